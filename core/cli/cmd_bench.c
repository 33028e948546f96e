// cmd_bench.c: `rnnlab bench`: training and inference throughput of RNN, LSTM, GRU and the Transformer
// encoder at the bench and small configurations of docs/performance.md, on random data, single thread. Median and spread
// over repeated runs after warm-up; sequences/s, tokens/s and GFLOP/s (matmul FLOPs only: a training
// step counts 3x the forward's). Rates come from the wall clock; --json also gives them from the process's
// CPU time (cpu_seq_per_s), which a loaded machine (other builds sharing the cores) inflates far less.
#define _POSIX_C_SOURCE 200809L  // clock_gettime
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kernels.h"
#include "rnnlab_transformer.h"

typedef struct {
    const char *name;
    int vocab, B, T, E, H;
} bench_config;

static const bench_config configs[] = {
    {"bench", 10000, 32, 200, 64, 128},
    {"small", 10000, 32, 100, 32, 64},
};

// The Transformer's sizes at a configuration: D = the cells' H, 4 heads, 2 layers, ffn 2D (tests/bench/
// torch_bench.py builds the same nn.TransformerEncoder). It reads the vocabulary, batch and length as they do.
#define TF_HEADS 4
#define TF_LAYERS 2
static rnl_tf_config tf_config(const bench_config *bc) {
    rnl_tf_config c = rnl_tf_config_default();
    c.vocab = bc->vocab, c.d_model = bc->H, c.heads = TF_HEADS, c.layers = TF_LAYERS, c.ffn = 2 * bc->H;
    return c;
}

// Its forward matmul FLOPs: per layer and token the projections 2 (3D D + D D + 2 D F), per layer and
// sequence the scores and the weighted sum 2 * 2 T^2 D; plus the head.
static double tf_forward_flops(const bench_config *bc) {
    double D = bc->H, F = 2.0 * bc->H, T = bc->T;
    return (double)bc->B * TF_LAYERS * (T * 2 * (4 * D * D + 2 * D * F) + 4 * T * T * D) + 2.0 * bc->B * D;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct { double median, lo, hi; } stat3;

static stat3 summarize(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    stat3 s = {n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), v[0], v[n - 1]};
    return s;
}

// Forward matmul FLOPs of one batch: per step and sequence, 2 * G*H * (E + H) (input and recurrent
// projections), plus the head.
static double forward_flops(const bench_config *bc, rnl_cell cell) {
    double G = rnl_cell_gates(cell);
    return (double)bc->B * bc->T * 2.0 * G * bc->H * (bc->E + bc->H) + 2.0 * bc->B * bc->H;
}

// "1,2,4" into counts[] (each in the limit table's threads range); the number of counts, 0 on a bad list.
#define BENCH_MAX_COUNTS 8
static int parse_threads(args *a, const char *text, int *counts) {
    const rnl_limit *l = rnl_limit_find("threads");
    int n = 0;
    for (const char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || v < l->min || v > l->max || n == BENCH_MAX_COUNTS)
            return args_error(a, "--threads takes up to %d counts in %.0f..%.0f separated by commas (1,2,4), not '%s'",
                              BENCH_MAX_COUNTS, l->min, l->max, text), 0;
        counts[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (!n) return args_error(a, "--threads needs at least one count"), 0;
    return n;
}

// One model per thread count, all from the same seed, so the counts run side by side.
typedef struct {
    rnl_model *m;
    rnl_tf *t;
    rnl_optimizer *o;
    int threads;
} bench_net;

// One timed run of `steps` batches: training steps, or inference over `steps` batches per thread
// (rnl_model_eval_batches: each thread reads whole batches). Returns the batches run, 0 on an error.
static int bench_run(bench_net *n, int mode, const rnl_batch *b, rnl_batch *many, rnl_step_stats *st, int steps) {
    if (mode == 0) {
        for (int s = 0; s < steps; s++)
            if (n->t ? rnl_tf_train_step(n->t, n->o, b, st) : rnl_train_step(n->m, n->o, b, 0, st)) return 0;
        return steps;
    }
    int k = steps * n->threads;
    for (int i = 0; i < k; i++) many[i] = *b;
    return (n->t ? rnl_tf_eval_batches(n->t, many, k, st) : rnl_model_eval_batches(n->m, many, k, st)) ? 0 : k;
}

int cmd_bench(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return printf("usage: rnnlab bench [--config bench|small|all] [--cell rnn|lstm|gru|transformer|all] [--repeats N] [--steps N] [--kernels NAME] [--threads N[,N...]] [--json]\n"
                      "\nTraining (forward + backward + Adam) and inference throughput on random data.\n"
                      "--cell transformer (in all): the encoder with D = hidden, 4 heads, 2 layers, ffn 2D.\n"
                      "Prints the median and the range over --repeats runs (default 5) of --steps batches (default 3)\n"
                      "after one warm-up run. --kernels forces a kernel variant (e.g. scalar) for comparison.\n"
                      "--threads: one count (default: the cores, %d here) or a list such as 1,2,4: each count has its\n"
                      "own model and their runs are interleaved (repeat 1 of every count, then repeat 2 ...), so a\n"
                      "loaded machine slows them alike; rows after the first give the median of the paired ratios\n"
                      "(speedup). Training: a step's shards on the threads; inference: --steps batches per thread.\n"
                      "Configurations (docs/performance.md): bench = vocab 10000, batch 32, length 200, embed 64,\n"
                      "hidden 128; small = embed 32, hidden 64, length 100.\n", rnl_cpu_count()), 0;
    args a;
    args_init(&a, "bench", argc, argv);
    const char *which = "all", *cells = "all", *kernels = NULL, *thread_list = NULL;
    int repeats = 5, steps = 3, json = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--config")) args_str(&a, &which);
        else if (args_is(&a, "--cell")) args_str(&a, &cells);
        else if (args_is(&a, "--repeats")) args_int(&a, &repeats, 1, 1000);
        else if (args_is(&a, "--steps")) args_int(&a, &steps, 1, 100000);
        else if (args_is(&a, "--kernels")) args_str(&a, &kernels);
        else if (args_is(&a, "--threads")) args_str(&a, &thread_list);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    int counts[BENCH_MAX_COUNTS] = {rnl_cpu_count()}, K = 1;
    if (thread_list && !(K = parse_threads(&a, thread_list, counts))) return 2;
    rnl_cell only;
    if (strcmp(cells, "all") != 0 && strcmp(cells, "transformer") != 0 && !cli_parse_cell(&a, "--cell", cells, &only)) return 2;
    if (kernels && rnl_kernels_select(kernels)) return args_error(&a, "%s", rnl_last_error()), 2;
    const char *kname = rnl_kernels_active()->name;  // chosen here, before any thread starts
    if (!json) printf("%-6s %-5s %-9s %7s %12s %12s %10s %18s %8s  (kernels: %s)\n", "config", "cell", "mode", "threads", "seq/s", "tokens/s", "GFLOP/s", "range seq/s", "speedup", kname);
    int rc = 0;
    for (size_t ci = 0; ci < sizeof configs / sizeof configs[0] && !rc; ci++) {
        const bench_config *bc = &configs[ci];
        if (strcmp(which, "all") && strcmp(which, bc->name)) continue;
        for (int cell = 0; cell <= rnl_cell_count() && !rc; cell++) {  // the last: the Transformer
            int tf = cell == rnl_cell_count();
            const char *cname = tf ? "transformer" : rnl_cell_name((rnl_cell)cell);
            if (strcmp(cells, "all") && strcmp(cells, cname)) continue;
            rnl_config c = rnl_config_default(tf ? RNL_CELL_LSTM : (rnl_cell)cell);
            c.vocab = bc->vocab, c.embed = bc->E, c.hidden = bc->H;
            rnl_tf_config tc = tf_config(bc);
            rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
            bench_net nets[BENCH_MAX_COUNTS] = {{0}};
            int max_threads = 1;
            for (int k = 0; k < K && !rc; k++) {
                bench_net *n = &nets[k];
                n->threads = counts[k];
                max_threads = counts[k] > max_threads ? counts[k] : max_threads;
                if ((tf ? rnl_tf_create(&n->t, &tc, 1) : rnl_model_create(&n->m, &c, 1)) ||
                    rnl_optimizer_create(&n->o, &oc, tf ? rnl_tf_num_params(n->t) : rnl_model_num_params(n->m)) ||
                    (tf ? rnl_tf_set_threads(n->t, n->threads) : rnl_model_set_threads(n->m, n->threads)))
                    rc = cli_error("bench", "%s", rnl_last_error());
            }
            int32_t *tok = malloc(sizeof(int32_t) * bc->B * bc->T);
            rnl_real *y = malloc(sizeof(rnl_real) * bc->B);
            rnl_batch *many = malloc(sizeof *many * (size_t)steps * max_threads);
            rnl_step_stats *st = malloc(sizeof *st * (size_t)steps * max_threads);
            double *rate = malloc(sizeof(double) * repeats * K), *cpu_rate = malloc(sizeof(double) * repeats * K);
            double *ratio = malloc(sizeof(double) * repeats);
            if (!rc && (!tok || !y || !many || !st || !rate || !cpu_rate || !ratio)) rc = cli_error("bench", "out of memory");
            rnl_batch b = {bc->B, bc->T, tok, NULL, NULL, y};
            if (!rc) {
                rnl_rng rng;
                rnl_rng_seed(&rng, 7);
                for (int i = 0; i < bc->B * bc->T; i++) tok[i] = 2 + (int32_t)rnl_rng_below(&rng, (uint32_t)bc->vocab - 2);
                for (int i = 0; i < bc->B; i++) y[i] = (rnl_real)rnl_rng_below(&rng, 2);
            }
            double flops = tf ? tf_forward_flops(bc) : forward_flops(bc, (rnl_cell)cell);
            for (int mode = 0; mode < 2 && !rc; mode++) {  // 0: train, 1: inference
                for (int r = -1; r < repeats && !rc; r++)  // r = -1: warm-up
                    for (int k = 0; k < K && !rc; k++) {
                        double t0 = now(), c0 = cpu_now();
                        int done = bench_run(&nets[k], mode, &b, many, st, steps);
                        if (!done) rc = cli_error("bench", "%s", rnl_last_error());
                        else if (r >= 0)
                            rate[k * repeats + r] = done * bc->B / (now() - t0), cpu_rate[k * repeats + r] = done * bc->B / (cpu_now() - c0);
                    }
                for (int k = 0; k < K && !rc; k++) {
                    double *rk = rate + k * repeats;
                    for (int r = 0; r < repeats; r++) ratio[r] = rk[r] / rate[r];  // paired: against count 0's same repeat
                    double speedup = summarize(ratio, repeats).median;
                    stat3 sq = summarize(rk, repeats), cq = summarize(cpu_rate + k * repeats, repeats);
                    double gf = sq.median / bc->B * flops * (mode == 0 ? 3 : 1) / 1e9;
                    const char *mname = mode == 0 ? "train" : "inference";
                    if (json) {
                        printf("{\"engine\": \"rnnlab-native\", \"kernels\": \"%s\", \"config\": \"%s\", \"cell\": \"%s\", \"mode\": \"%s\", "
                               "\"threads\": %d, \"seq_per_s\": %.2f, \"seq_per_s_min\": %.2f, \"seq_per_s_max\": %.2f, \"tokens_per_s\": %.0f, \"gflops\": %.3f, "
                               "\"cpu_seq_per_s\": %.2f, \"cpu_gflops\": %.3f, "
                               "\"batch\": %d, \"length\": %d, \"embed\": %d, \"hidden\": %d, \"repeats\": %d",
                               kname, bc->name, cname, mname, nets[k].threads, sq.median, sq.lo, sq.hi, sq.median * bc->T, gf,
                               cq.median, gf * cq.median / sq.median, bc->B, bc->T, tf ? tc.d_model : bc->E, bc->H, repeats);
                        if (k) printf(", \"speedup\": %.3f, \"speedup_vs_threads\": %d", speedup, nets[0].threads);
                        printf("}\n");
                    } else {
                        char sp[16] = "";
                        if (k) snprintf(sp, sizeof sp, "%.2fx", speedup);
                        printf("%-6s %-5.5s %-9s %7d %12.1f %12.0f %10.2f %8.1f..%-8.1f %8s\n", bc->name, cname, mname, nets[k].threads,
                               sq.median, sq.median * bc->T, gf, sq.lo, sq.hi, sp);
                    }
                    fflush(stdout);
                }
            }
            free(tok);
            free(y);
            free(many);
            free(st);
            free(rate);
            free(cpu_rate);
            free(ratio);
            for (int k = 0; k < K; k++) {
                rnl_optimizer_destroy(nets[k].o);
                rnl_model_destroy(nets[k].m);
                rnl_tf_destroy(nets[k].t);
            }
        }
    }
    return rc;
}
