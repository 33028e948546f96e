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

int cmd_bench(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return fputs("usage: rnnlab bench [--config bench|small|all] [--cell rnn|lstm|gru|transformer|all] [--repeats N] [--steps N] [--kernels NAME] [--json]\n"
                     "\nTraining (forward + backward + Adam) and inference throughput on random data, single thread.\n"
                     "--cell transformer (in all): the encoder with D = hidden, 4 heads, 2 layers, ffn 2D.\n"
                     "Prints the median and the range over --repeats runs (default 5) of --steps batches (default 3)\n"
                     "after one warm-up run. --kernels forces a kernel variant (e.g. scalar) for comparison.\n"
                     "Configurations (docs/performance.md): bench = vocab 10000, batch 32, length 200, embed 64,\n"
                     "hidden 128; small = embed 32, hidden 64, length 100.\n", stdout), 0;
    args a;
    args_init(&a, "bench", argc, argv);
    const char *which = "all", *cells = "all", *kernels = NULL;
    int repeats = 5, steps = 3, json = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--config")) args_str(&a, &which);
        else if (args_is(&a, "--cell")) args_str(&a, &cells);
        else if (args_is(&a, "--repeats")) args_int(&a, &repeats, 1, 1000);
        else if (args_is(&a, "--steps")) args_int(&a, &steps, 1, 100000);
        else if (args_is(&a, "--kernels")) args_str(&a, &kernels);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    rnl_cell only;
    if (strcmp(cells, "all") != 0 && strcmp(cells, "transformer") != 0 && !cli_parse_cell(&a, "--cell", cells, &only)) return 2;
    if (kernels && rnl_kernels_select(kernels)) return args_error(&a, "%s", rnl_last_error()), 2;
    const char *kname = rnl_kernels_active()->name;
    if (!json) printf("%-6s %-5s %-9s %12s %12s %10s %18s  (kernels: %s)\n", "config", "cell", "mode", "seq/s", "tokens/s", "GFLOP/s", "range seq/s", kname);
    int rc = 0;
    for (size_t ci = 0; ci < sizeof configs / sizeof configs[0]; ci++) {
        const bench_config *bc = &configs[ci];
        if (strcmp(which, "all") && strcmp(which, bc->name)) continue;
        for (int cell = 0; cell <= rnl_cell_count(); cell++) {  // the last: the Transformer
            int tf = cell == rnl_cell_count();
            const char *cname = tf ? "transformer" : rnl_cell_name((rnl_cell)cell);
            if (strcmp(cells, "all") && strcmp(cells, cname)) continue;
            rnl_config c = rnl_config_default(tf ? RNL_CELL_LSTM : (rnl_cell)cell);
            c.vocab = bc->vocab, c.embed = bc->E, c.hidden = bc->H;
            rnl_tf_config tc = tf_config(bc);
            rnl_model *m = NULL;
            rnl_tf *t = NULL;
            rnl_optimizer *o;
            rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
            if ((tf ? rnl_tf_create(&t, &tc, 1) : rnl_model_create(&m, &c, 1)) ||
                rnl_optimizer_create(&o, &oc, tf ? rnl_tf_num_params(t) : rnl_model_num_params(m)))
                return cli_error("bench", "%s", rnl_last_error());
            int32_t *tok = malloc(sizeof(int32_t) * bc->B * bc->T);
            rnl_real *y = malloc(sizeof(rnl_real) * bc->B);
            rnl_rng rng;
            rnl_rng_seed(&rng, 7);
            for (int i = 0; i < bc->B * bc->T; i++) tok[i] = 2 + (int32_t)rnl_rng_below(&rng, (uint32_t)bc->vocab - 2);
            for (int i = 0; i < bc->B; i++) y[i] = (rnl_real)rnl_rng_below(&rng, 2);
            rnl_batch b = {bc->B, bc->T, tok, NULL, NULL, y};
            double flops = tf ? tf_forward_flops(bc) : forward_flops(bc, (rnl_cell)cell);
            for (int mode = 0; mode < 2 && !rc; mode++) {  // 0: train, 1: inference
                double *rate = malloc(sizeof(double) * repeats), *cpu_rate = malloc(sizeof(double) * repeats);
                for (int r = -1; r < repeats && !rc; r++) {  // r = -1: warm-up
                    double t0 = now(), c0 = cpu_now();
                    for (int s = 0; s < steps; s++) {
                        rnl_step_stats st;
                        rnl_status e = tf ? (mode == 0 ? rnl_tf_train_step(t, o, &b, &st) : rnl_tf_forward(t, &b, NULL))
                                          : (mode == 0 ? rnl_train_step(m, o, &b, 0, &st) : rnl_model_forward(m, &b, NULL));
                        if (e) rc = cli_error("bench", "%s", rnl_last_error());
                    }
                    if (r >= 0) rate[r] = steps * bc->B / (now() - t0), cpu_rate[r] = steps * bc->B / (cpu_now() - c0);
                }
                stat3 sq = summarize(rate, repeats), cq = summarize(cpu_rate, repeats);
                double gf = sq.median / bc->B * flops * (mode == 0 ? 3 : 1) / 1e9;
                const char *mname = mode == 0 ? "train" : "inference";
                if (json)
                    printf("{\"engine\": \"rnnlab-native\", \"kernels\": \"%s\", \"config\": \"%s\", \"cell\": \"%s\", \"mode\": \"%s\", "
                           "\"seq_per_s\": %.2f, \"seq_per_s_min\": %.2f, \"seq_per_s_max\": %.2f, \"tokens_per_s\": %.0f, \"gflops\": %.3f, "
                           "\"cpu_seq_per_s\": %.2f, \"cpu_gflops\": %.3f, "
                           "\"batch\": %d, \"length\": %d, \"embed\": %d, \"hidden\": %d, \"repeats\": %d}\n",
                           kname, bc->name, cname, mname, sq.median, sq.lo, sq.hi, sq.median * bc->T, gf,
                           cq.median, gf * cq.median / sq.median, bc->B, bc->T, tf ? tc.d_model : bc->E, bc->H, repeats);
                else
                    printf("%-6s %-5.5s %-9s %12.1f %12.0f %10.2f %8.1f..%-8.1f\n", bc->name, cname, mname, sq.median,
                           sq.median * bc->T, gf, sq.lo, sq.hi);
                fflush(stdout);
                free(rate);
                free(cpu_rate);
            }
            free(tok);
            free(y);
            rnl_optimizer_destroy(o);
            rnl_model_destroy(m);
            rnl_tf_destroy(t);
        }
    }
    return rc;
}
