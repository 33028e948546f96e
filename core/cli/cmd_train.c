// cmd_train.c: `rnnlab train` and `rnnlab eval` on the synthetic tasks. Training updates the checkpoint
// atomically, keeps the optimizer state in it (so a second run resumes), stops cleanly on Ctrl-C or on
// a numeric fault, and in both cases saves the last good parameters.
#define _POSIX_C_SOURCE 200809L  // clock_gettime, isatty under -std=c11
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t interrupted = 0;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The task must fit the model's input and head; say exactly what differs.
static int check_task_fits(const char *cmd, const rnl_config *c, rnl_task task) {
    rnl_config want = *c;
    rnl_task_shape(task, &want);
    if (want.vocab != c->vocab || want.input_size != c->input_size || want.head != c->head ||
        want.outputs != c->outputs || want.seq2seq != c->seq2seq) {
        cli_error(cmd, "the model does not fit task '%s': it needs %s%s, a %s head with %d output%s%s; make one with "
                       "'rnnlab init --task %s --cell ...'",
                  rnl_task_name(task), want.vocab ? "token inputs" : "real-valued inputs",
                  want.vocab ? "" : (want.input_size == 2 ? " of size 2" : " of size 1"), rnl_head_name(want.head), want.outputs,
                  want.outputs > 1 ? "s" : "", want.seq2seq ? " at every step" : "", rnl_task_name(task));
        return 0;
    }
    return 1;
}

typedef struct { double loss, accuracy; } eval_result;

static rnl_status evaluate(rnl_model *m, rnl_task task, int T, int batches, int B, uint64_t seed, eval_result *r) {
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    double loss = 0, acc = 0;
    rnl_status st = RNL_OK;
    for (int i = 0; i < batches && !st; i++) {
        rnl_step_stats s;
        if (!(st = rnl_task_generate(&d, task, B, T, &rng)) && !(st = rnl_eval_batch(m, &d.batch, &s))) {
            loss += s.loss;
            acc += s.accuracy;
        }
    }
    rnl_task_data_free(&d);
    r->loss = loss / batches;
    r->accuracy = acc / batches;
    return st;
}

static void progress_bar(long step, long total, double loss, double gnorm, double seq_s) {
    int width = 30, fill = (int)(width * step / (total ? total : 1));
    fprintf(stderr, "\r[");
    for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%% step %ld/%ld  loss %.5f  grad %.3g  %.0f seq/s ", (int)(100 * step / (total ? total : 1)), step, total,
            loss, gnorm, seq_s);
    fflush(stderr);
}

static const char *train_help =
    "usage: rnnlab train --model FILE --task adding|copy|sine [flags]\n"
    "\n"
    "Trains the model in FILE on a synthetic task and writes it back (atomically; the optimizer state is\n"
    "kept, so running train again resumes). Ctrl-C stops after the current step and saves.\n"
    "\n"
    "  --task NAME        adding (sum of two marked values), copy (recall the first symbol), sine (next step)\n"
    "  --length T         sequence length (default 50)\n"
    "  --steps N          training steps (default 1000)\n"
    "  --batch B          sequences per step (default 32)\n"
    "  --optim adam|momentum|sgd   optimizer (default: the checkpoint's, else adam)\n"
    "  --lr X             learning rate (default 0.001 for adam, 0.1 otherwise)\n"
    "  --momentum X       momentum (default 0.9 with --optim momentum)\n"
    "  --weight-decay X   decoupled weight decay (default 0)\n"
    "  --clip X           clip the global gradient norm to X (default 1; 0 = off)\n"
    "  --bptt K           truncated backpropagation through time: windows of K steps (default 0 = full)\n"
    "  --seed N           seed of the training data (default: continues from the steps already done)\n"
    "  --eval-every N     evaluate on held-out batches every N steps (default steps/10)\n"
    "  --out FILE         write the trained model here instead of back to --model\n"
    "  --json             print metrics as JSON lines on stdout instead of a progress bar\n";

int cmd_train(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(train_help, stdout), 0;
    args a;
    args_init(&a, "train", argc, argv);
    const char *model = NULL, *task_name = NULL, *optim = NULL, *out = NULL;
    int T = 50, steps = 1000, B = 32, window = 0, json = 0, eval_every = 0, have_seed = 0;
    float lr = -1, momentum = -1, wd = -1, clip = -1;
    uint64_t seed = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--length")) args_int(&a, &T, 2, RNL_MAX_STEPS);
        else if (args_is(&a, "--steps")) args_int(&a, &steps, 1, 100000000);
        else if (args_is(&a, "--batch")) args_int(&a, &B, 1, RNL_MAX_BATCH);
        else if (args_is(&a, "--optim")) args_str(&a, &optim);
        else if (args_is(&a, "--lr")) args_float(&a, &lr, 1e-9, 100);
        else if (args_is(&a, "--momentum")) args_float(&a, &momentum, 0, 0.9999);
        else if (args_is(&a, "--weight-decay")) args_float(&a, &wd, 0, 0.9999);
        else if (args_is(&a, "--clip")) args_float(&a, &clip, 0, 1e8);
        else if (args_is(&a, "--bptt")) args_int(&a, &window, 0, RNL_MAX_STEPS);
        else if (args_is(&a, "--seed")) have_seed = args_u64(&a, &seed);
        else if (args_is(&a, "--eval-every")) args_int(&a, &eval_every, 1, 100000000);
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model) return args_error(&a, "--model is required"), 2;
    if (!task_name) return args_error(&a, "--task is required (adding, copy or sine; data sets come with 'rnnlab data')"), 2;
    rnl_task task;
    if (rnl_task_parse(task_name, &task)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_optim kind = RNL_OPTIM_ADAM;
    if (optim) {
        if (strcmp(optim, "adam") == 0) kind = RNL_OPTIM_ADAM;
        else if (strcmp(optim, "momentum") == 0) kind = RNL_OPTIM_MOMENTUM;
        else if (strcmp(optim, "sgd") == 0) kind = RNL_OPTIM_SGD;
        else return args_error(&a, "--optim must be adam, momentum or sgd, not '%s'", optim), 2;
    }

    rnl_model *m;
    rnl_optimizer *o;
    if (rnl_checkpoint_load(model, &m, &o)) return cli_error("train", "%s", rnl_last_error());
    if (!check_task_fits("train", rnl_model_config(m), task)) {
        rnl_optimizer_destroy(o);
        rnl_model_destroy(m);
        return 1;
    }
    // Resume with the checkpoint's optimizer unless another one is asked for.
    if (o && optim && rnl_optimizer_config(o)->kind != kind) {
        rnl_optimizer_destroy(o);
        o = NULL;
    }
    if (!o) {
        rnl_optim_config oc = rnl_optim_default(kind);
        oc.clip = 1.0f;
        if (rnl_optimizer_create(&o, &oc, rnl_model_num_params(m))) {
            rnl_model_destroy(m);
            return cli_error("train", "%s", rnl_last_error());
        }
    }
    rnl_optim_config *oc = rnl_optimizer_config(o);
    if (lr > 0) oc->lr = lr;
    if (momentum >= 0) oc->momentum = momentum;
    if (wd >= 0) oc->weight_decay = wd;
    if (clip >= 0) oc->clip = clip;
    if (rnl_optim_validate(oc)) {
        rnl_optimizer_destroy(o);
        rnl_model_destroy(m);
        return cli_error("train", "%s", rnl_last_error());
    }
    if (!have_seed) seed = 1 + (uint64_t)rnl_optimizer_steps(o);
    if (!eval_every) eval_every = steps >= 10 ? steps / 10 : 1;
    const char *dest = out ? out : model;

    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_task_data d;
    rnl_task_data_init(&d);
    signal(SIGINT, on_sigint);
    int tty = !json && isatty(2), rc = 0;
    double t0 = now_seconds(), ema = -1;
    long done = 0;
    rnl_step_stats s = {0};
    for (long step = 1; step <= steps && !interrupted; step++) {
        rnl_status st = rnl_task_generate(&d, task, B, T, &rng);
        if (!st) st = rnl_train_step(m, o, &d.batch, window, &s);
        if (st) {
            if (tty) fputc('\n', stderr);
            rc = cli_error("train", "%s", rnl_last_error());
            if (json) printf("{\"error\": \"numeric\", \"step\": %ld}\n", rnl_optimizer_steps(o) + 1);
            break;
        }
        done++;
        ema = ema < 0 ? s.loss : 0.95 * ema + 0.05 * s.loss;
        double elapsed = now_seconds() - t0, seq_s = done * B / (elapsed > 0 ? elapsed : 1e-9);
        if (json && (step % 10 == 0 || step == steps))
            printf("{\"step\": %ld, \"loss\": %.6g, \"grad_norm\": %.6g, \"clipped\": %s, \"accuracy\": %.6g, \"seq_per_s\": %.1f}\n",
                   rnl_optimizer_steps(o), s.loss, s.grad_norm, s.clipped ? "true" : "false", isnan(s.accuracy) ? -1 : s.accuracy, seq_s);
        if (tty && (step % 5 == 0 || step == steps)) progress_bar(step, steps, ema, s.grad_norm, seq_s);
        if (step % eval_every == 0 || step == steps) {
            eval_result er;
            if (evaluate(m, task, T, 4, 64, 0x5eed0000u + (uint64_t)T, &er) == RNL_OK) {
                if (json) printf("{\"eval\": {\"step\": %ld, \"loss\": %.6g, \"accuracy\": %.6g}}\n", rnl_optimizer_steps(o), er.loss,
                                 task == RNL_TASK_COPY ? er.accuracy : -1);
                else if (!tty) printf("step %ld  train loss %.5f  held-out loss %.5f%s\n", rnl_optimizer_steps(o), ema, er.loss, "");
            }
        }
        if (json) fflush(stdout);
    }
    if (tty) fputc('\n', stderr);
    if (interrupted) fprintf(stderr, "rnnlab train: interrupted after %ld steps; saving\n", done);
    // Save what was learned: a numeric fault leaves the parameters of the last good step untouched.
    if (done > 0) {
        if (rnl_checkpoint_save(m, o, dest)) rc = cli_error("train", "%s", rnl_last_error());
        else if (!json) printf("saved %s after %ld steps (%ld in all), %.1f s\n", dest, done, rnl_optimizer_steps(o), now_seconds() - t0);
    }
    if (json && !rc) printf("{\"done\": true, \"steps\": %ld, \"total_steps\": %ld, \"seconds\": %.3f}\n", done, rnl_optimizer_steps(o), now_seconds() - t0);
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    return rc ? rc : interrupted ? 130 : 0;
}

static const char *eval_help =
    "usage: rnnlab eval --model FILE --task adding|copy|sine [flags]\n"
    "\n"
    "Evaluates the model on freshly generated held-out sequences and prints the loss (test MSE for\n"
    "adding and sine, cross-entropy and accuracy for copy), beside the baseline a model without memory gets.\n"
    "\n"
    "  --length T     sequence length (default 50)\n"
    "  --batches N    batches of 100 sequences (default 10)\n"
    "  --seed N       seed of the test data (default 1000003)\n"
    "  --json         print the result as one JSON object\n";

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(eval_help, stdout), 0;
    args a;
    args_init(&a, "eval", argc, argv);
    const char *model = NULL, *task_name = NULL;
    int T = 50, batches = 10, json = 0;
    uint64_t seed = 1000003;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--length")) args_int(&a, &T, 2, RNL_MAX_STEPS);
        else if (args_is(&a, "--batches")) args_int(&a, &batches, 1, 100000);
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !task_name) return args_error(&a, "--model and --task are required"), 2;
    rnl_task task;
    if (rnl_task_parse(task_name, &task)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_model *m;
    if (rnl_checkpoint_load(model, &m, NULL)) return cli_error("eval", "%s", rnl_last_error());
    if (!check_task_fits("eval", rnl_model_config(m), task)) {
        rnl_model_destroy(m);
        return 1;
    }
    eval_result r;
    int rc = 0;
    if (evaluate(m, task, T, batches, 100, seed, &r)) rc = cli_error("eval", "%s", rnl_last_error());
    else if (task == RNL_TASK_COPY) {
        if (json) printf("{\"task\": \"copy\", \"length\": %d, \"loss\": %.6g, \"accuracy\": %.6g, \"chance\": 0.125}\n", T, r.loss, r.accuracy);
        else printf("copy, length %d: test accuracy %.4f (chance 0.125), cross-entropy %.5f\n", T, r.accuracy, r.loss);
    } else {
        // Without memory the best constant guess for adding is 1 (MSE 1/6 = 0.1667).
        const char *base = task == RNL_TASK_ADDING ? "0.1667 (always predicting 1)" : "see docs/tasks.md";
        if (json) printf("{\"task\": \"%s\", \"length\": %d, \"mse\": %.6g}\n", rnl_task_name(task), T, r.loss);
        else printf("%s, length %d: test MSE %.5f (baseline %s)\n", rnl_task_name(task), T, r.loss, base);
    }
    rnl_model_destroy(m);
    return rc;
}
