// cli_common.c: what the model and seq2seq commands share beyond flag parsing: the clock, Ctrl-C, the
// progress bar, the optimizer flags of train, a training run's reporting, and parts of info.
#define _POSIX_C_SOURCE 200809L  // clock_gettime, isatty under -std=c11
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile sig_atomic_t interrupted = 0;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

void cli_catch_sigint(void) { signal(SIGINT, on_sigint); }
int cli_interrupted(void) { return interrupted != 0; }

void cli_progress(const char *label, long step, long total, const char *fmt, ...) {
    int width = 30, fill = (int)(width * step / (total ? total : 1));
    fprintf(stderr, "\r%s[", label);
    for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%% ", (int)(100 * step / (total ? total : 1)));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

int cli_parse_cell(args *a, const char *flag, const char *s, rnl_cell *out) {
    if (rnl_cell_parse(s, out) == RNL_OK) return 1;
    // The core says "cell must be rnn, lstm or gru, not 'x'"; the flag (--cell, --enc-cell, --dec-cell)
    // ends in "cell", so its prefix completes the sentence: "--enc-cell must be ...".
    size_t n = strlen(flag), k = strlen("cell");
    return args_error(a, "%.*s%s", (int)(n >= k ? n - k : 0), flag, rnl_last_error());
}

// --- Optimizer flags --------------------------------------------------------------------------------

void cli_optim_flags_init(cli_optim_flags *f) {
    f->optim = NULL;
    f->lr = f->momentum = f->weight_decay = f->clip = -1;
}

int cli_optim_flag(args *a, cli_optim_flags *f) {
    if (args_is(a, "--optim")) args_str(a, &f->optim);
    else if (args_is(a, "--lr")) args_limit_real(a, &f->lr, "lr");
    else if (args_is(a, "--momentum")) args_limit_real(a, &f->momentum, "momentum");
    else if (args_is(a, "--weight-decay")) args_limit_real(a, &f->weight_decay, "weight_decay");
    else if (args_is(a, "--clip")) args_limit_real(a, &f->clip, "clip");
    else return 0;
    return 1;
}

int cli_optim_kind(args *a, const cli_optim_flags *f, rnl_optim *kind) {
    *kind = RNL_OPTIM_ADAM;
    if (!f->optim) return 1;
    if (strcmp(f->optim, "adam") == 0) *kind = RNL_OPTIM_ADAM;
    else if (strcmp(f->optim, "momentum") == 0) *kind = RNL_OPTIM_MOMENTUM;
    else if (strcmp(f->optim, "sgd") == 0) *kind = RNL_OPTIM_SGD;
    else return args_error(a, "--optim must be adam, momentum or sgd, not '%s'", f->optim);
    return 1;
}

int cli_optim_setup(const char *cmd, const cli_optim_flags *f, rnl_optim kind, rnl_run_kind run, size_t n_params,
                    rnl_optimizer **o) {
    // Resume with the checkpoint's optimizer unless another one is asked for.
    if (*o && f->optim && rnl_optimizer_config(*o)->kind != kind) {
        rnl_optimizer_destroy(*o);
        *o = NULL;
    }
    if (!*o) {
        rnl_optim_config oc = rnl_run_optim_default(run, kind);
        if (rnl_optimizer_create(o, &oc, n_params)) return cli_error(cmd, "%s", rnl_last_error());
    }
    rnl_optim_config *oc = rnl_optimizer_config(*o);
    if (f->lr > 0) oc->lr = f->lr;
    if (f->momentum >= 0) oc->momentum = f->momentum;
    if (f->weight_decay >= 0) oc->weight_decay = f->weight_decay;
    if (f->clip >= 0) oc->clip = f->clip;
    if (rnl_optim_validate(oc)) return cli_error(cmd, "%s", rnl_last_error());
    return 0;
}

// --- A training run ---------------------------------------------------------------------------------

void cli_run_start(cli_run *r, const char *cmd, int json, int B) {
    cli_catch_sigint();
    r->cmd = cmd;
    r->json = json;
    r->tty = !json && isatty(2);
    r->B = B;
    r->t0 = cli_now();
    r->ema = -1;
    r->done = 0;
}

double cli_run_step(cli_run *r, double loss) {
    r->done++;
    r->ema = r->ema < 0 ? loss : 0.95 * r->ema + 0.05 * loss;
    double elapsed = cli_now() - r->t0;
    return r->done * r->B / (elapsed > 0 ? elapsed : 1e-9);
}

int cli_run_fault(const cli_run *r, const char *kind, long step) {
    if (r->tty) fputc('\n', stderr);
    cli_error(r->cmd, "%s", rnl_last_error());
    if (r->json) printf("{\"error\": \"%s\", \"step\": %ld}\n", kind, step);
    return 1;
}

void cli_run_end(const cli_run *r) {
    if (r->tty) fputc('\n', stderr);
    if (interrupted) fprintf(stderr, "rnnlab %s: interrupted after %ld steps; saving\n", r->cmd, r->done);
}

int cli_run_report(const cli_run *r, int rc, rnl_status save, const char *dest, long total_steps) {
    if (r->done > 0) {
        if (save) rc = cli_error(r->cmd, "%s", rnl_last_error());
        else if (!r->json && dest)  // dest NULL: the run saved as it went (train --keep-best)
            printf("saved %s after %ld steps (%ld in all), %.1f s\n", dest, r->done, total_steps, cli_now() - r->t0);
    }
    if (r->json && !rc)
        printf("{\"done\": true, \"steps\": %ld, \"total_steps\": %ld, \"seconds\": %.3f}\n", r->done, total_steps,
               cli_now() - r->t0);
    return rc ? rc : interrupted ? 130 : 0;
}

// --- info -------------------------------------------------------------------------------------------

int cli_model_only(const char *cmd, int argc, char **argv, const char **path) {
    args a;
    args_init(&a, cmd, argc, argv);
    *path = NULL;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, path);
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!*path) return args_error(&a, "--model is required"), 2;
    return 0;
}

void cli_print_optimizer(rnl_optimizer *o, const char *steps, const char *none) {
    if (o) {
        const rnl_optim_config *oc = rnl_optimizer_config(o);
        printf("  optimizer: %s, lr %g, clip %g, %ld %s\n", rnl_optim_name(oc->kind), oc->lr, oc->clip,
               rnl_optimizer_steps(o), steps);
    } else {
        printf("  optimizer: %s\n", none);
    }
}

void cli_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 32) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}
