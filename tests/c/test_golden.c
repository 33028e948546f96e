// test_golden.c: the core against golden vectors computed by PyTorch in float64 (tests/golden/gen_golden.py,
// format in tests/golden/README.md). For every case: loss, predictions and gradients of one batch; for
// training cases also the loss and gradient norm of each of N optimizer steps on that batch and the
// parameters after them. test_golden_f64.c includes this file to run it against the double-precision core
// at a much tighter tolerance. Reading the file and the comparisons: golden_file.c.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden_file.h"
#include "testutil.h"

#ifdef RNL_DOUBLE
#define TEST_NAME "test_golden_f64"
// Torch and the core compute the same float64 expressions in different orders: ~1e-15 apart.
#define RTOL 1e-9
#define ATOL 1e-12
#define RTOL_ADAM 1e-9
#define ATOL_ADAM 1e-12
#else
#define TEST_NAME "test_golden"
// float32 against float64. gen_golden.py --check-f32 runs torch itself in float32 on these cases: its worst
// error is about 1% of these tolerances, so they leave room for a different summation order, not for a bug.
#define RTOL 1e-4
#define ATOL 1e-5
// Parameters after Adam: the update lr * m / (sqrt(v) + eps) is scale-free, so an element whose gradient is
// near the float rounding of the others can move by up to lr per step whatever its size; atol 1e-4 is 1%
// of lr. (Torch float32 stays within 0.05 of the tight tolerance on these cases.)
#define RTOL_ADAM 1e-4
#define ATOL_ADAM 1e-4
#endif

// --- The tensor table ----------------------------------------------------------------------------

// The tensor table the core must have: torch's state_dict names, in order, with their shapes.
static int expected_tensors(const rnl_config *cfg, rnl_tensor_info *out, int cap) {
    int n = 0, G = rnl_cell_gates(cfg->cell), H = cfg->hidden, dirs = cfg->bidirectional ? 2 : 1;
    size_t off = 0;
    char nm[sizeof out->name];
    if (cfg->vocab > 0) gold_add_tensor(out, cap, &n, &off, "embedding.weight", cfg->vocab, cfg->embed);
    for (int l = 0; l < cfg->layers; l++) {
        int in = l == 0 ? (cfg->vocab > 0 ? cfg->embed : cfg->input_size) : H * dirs;
        for (int d = 0; d < dirs; d++) {
            const char *sfx = d ? "_reverse" : "";
            snprintf(nm, sizeof nm, "rnn.weight_ih_l%d%s", l, sfx);
            gold_add_tensor(out, cap, &n, &off, nm, G * H, in);
            snprintf(nm, sizeof nm, "rnn.weight_hh_l%d%s", l, sfx);
            gold_add_tensor(out, cap, &n, &off, nm, G * H, H);
            snprintf(nm, sizeof nm, "rnn.bias_ih_l%d%s", l, sfx);
            gold_add_tensor(out, cap, &n, &off, nm, G * H, 1);
            snprintf(nm, sizeof nm, "rnn.bias_hh_l%d%s", l, sfx);
            gold_add_tensor(out, cap, &n, &off, nm, G * H, 1);
        }
    }
    gold_add_tensor(out, cap, &n, &off, "head.weight", cfg->outputs, H * dirs);
    gold_add_tensor(out, cap, &n, &off, "head.bias", cfg->outputs, 1);
    return n;
}

static const rnl_tensor_info *core_tensor(const void *m, int i) { return rnl_model_tensor(m, i); }

// --- One case ------------------------------------------------------------------------------------

static void run_case(const gold_case *c) {
    const gold_record *gcfg = gold_find(c, "config", GOLD_I32, 10), *gshape = gold_find(c, "shape", GOLD_I32, 2);
    if (!gcfg || !gshape) return;
    rnl_config cfg = rnl_config_default((rnl_cell)gold_i32(gcfg, 0));
    cfg.vocab = gold_i32(gcfg, 1);
    cfg.embed = gold_i32(gcfg, 2);
    cfg.input_size = gold_i32(gcfg, 3);
    cfg.hidden = gold_i32(gcfg, 4);
    cfg.layers = gold_i32(gcfg, 5);
    cfg.bidirectional = gold_i32(gcfg, 6);
    cfg.head = (rnl_head)gold_i32(gcfg, 7);
    cfg.outputs = gold_i32(gcfg, 8);
    cfg.seq2seq = gold_i32(gcfg, 9);
    long drop_step = 0;  // a dropout case: the rate, and the step whose masks torch was given
    if (gold_has(c, "dropout")) {
        const gold_record *gd = gold_find(c, "dropout", GOLD_F64, 2);
        if (!gd) return;
        cfg.dropout = (float)gold_f64(gd, 0);
        drop_step = (long)gold_f64(gd, 1);
    }
    if (gold_has(c, "pool")) {  // a pooled head: 1 mean, 2 max (absent: the last state)
        const gold_record *gp = gold_find(c, "pool", GOLD_I32, 1);
        if (!gp) return;
        cfg.pool = (rnl_pooling)gold_i32(gp, 0);
    }
    int B = gold_i32(gshape, 0), T = gold_i32(gshape, 1);
    CHECK(B >= 1 && B <= 64 && T >= 1 && T <= 64, "%s: shape %d x %d", c->name, B, T);
    if (!(B >= 1 && B <= 64 && T >= 1 && T <= 64)) return;
    size_t n_tg = (size_t)B * (cfg.seq2seq ? (size_t)T : 1) * (cfg.head == RNL_HEAD_REGRESSION ? (size_t)cfg.outputs : 1);
    size_t n_pred = (size_t)B * (cfg.seq2seq ? (size_t)T : 1) * (size_t)cfg.outputs;

    const gold_record *glen = gold_find(c, "lengths", GOLD_I32, (size_t)B), *gtg = gold_find(c, "targets", GOLD_F64, n_tg);
    const gold_record *gin = cfg.vocab > 0 ? gold_find(c, "tokens", GOLD_I32, (size_t)B * T)
                                           : gold_find(c, "inputs", GOLD_F64, (size_t)B * T * cfg.input_size);
    const gold_record *gparams = gold_find(c, "params", GOLD_F64, 0), *gpred = gold_find(c, "predictions", GOLD_F64, n_pred);
    const gold_record *gloss = gold_find(c, "loss", GOLD_F64, 1), *ggrads = gold_find(c, "grads", GOLD_F64, 0);
    if (!glen || !gtg || !gin || !gparams || !gpred || !gloss || !ggrads) return;

    rnl_model *m = NULL;
    rnl_status st = rnl_model_create(&m, &cfg, 1);
    CHECK(st == RNL_OK, "%s: rnl_model_create: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
    if (st != RNL_OK) return;
    rnl_model_set_dropout_step(m, drop_step);
    size_t np = rnl_model_num_params(m);
    CHECK(np == gparams->count && np == ggrads->count, "%s: core has %zu parameters, torch %zu", c->name, np,
          gparams->count);
    if (np != gparams->count || np != ggrads->count) {
        rnl_model_destroy(m);
        return;
    }
    // The core's tensor table must be torch's layout; then per-tensor slices of the golden vectors are named by it.
    rnl_tensor_info want[2 + 4 * 2 * RNL_MAX_LAYERS + 2];
    int n_want = expected_tensors(rnl_model_config(m), want, (int)(sizeof want / sizeof want[0]));
    const rnl_tensor_info *table =
        gold_check_table(c->name, want, n_want, m, rnl_model_num_tensors(m), core_tensor) ? want : NULL;

    // The batch, batch-major as the API takes it. Lengths all == T are passed as NULL (the API's "every
    // sequence is T long"), the others as given.
    int32_t *tokens = NULL, *lengths = malloc(sizeof(int32_t) * B);
    rnl_real *inputs = NULL, *targets = gold_reals(gtg);
    int all_full = 1;
    for (int b = 0; b < B; b++) lengths[b] = gold_i32(glen, b), all_full &= lengths[b] == T;
    if (cfg.vocab > 0) {
        tokens = malloc(sizeof(int32_t) * B * T);
        for (size_t i = 0; i < (size_t)B * T; i++) tokens[i] = gold_i32(gin, i);
    } else {
        inputs = gold_reals(gin);
    }
    rnl_batch batch = {.B = B, .T = T, .tokens = tokens, .inputs = inputs, .lengths = all_full ? NULL : lengths,
                       .targets = targets};
    rnl_real *p0 = gold_reals(gparams);
    char what[256];

    // Forward and backward of one batch.
    memcpy(rnl_model_params(m), p0, sizeof(rnl_real) * np);
    rnl_model_zero_grad(m);
    rnl_real loss = 0;
    st = rnl_model_forward(m, &batch, &loss);
    CHECK(st == RNL_OK, "%s: rnl_model_forward: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
    if (st == RNL_OK) {
        snprintf(what, sizeof what, "%s loss", c->name);
        gold_close(what, &loss, gloss, RTOL, ATOL);
        snprintf(what, sizeof what, "%s predictions", c->name);
        gold_close(what, rnl_model_predictions(m), gpred, RTOL, ATOL);
        st = rnl_model_backward(m, 0);
        CHECK(st == RNL_OK, "%s: rnl_model_backward: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
        if (st == RNL_OK) gold_close_flat(c->name, "grads", table, n_want, rnl_model_grads(m), ggrads, RTOL, ATOL);
    }

    // Training: N steps of rnl_train_step on the same batch from the same parameters.
    if (gold_has(c, "optim")) {
        const gold_record *go = gold_find(c, "optim", GOLD_I32, 2), *gh = gold_find(c, "hparams", GOLD_F64, 7);
        int steps = go ? gold_i32(go, 1) : 0;
        const gold_record *gl = gold_find(c, "train_losses", GOLD_F64, (size_t)steps);
        const gold_record *gn = gold_find(c, "train_grad_norms", GOLD_F64, (size_t)steps);
        const gold_record *gafter = gold_find(c, "params_after", GOLD_F64, np);
        if (go && gh && gl && gn && gafter && steps >= 1 && steps <= 1000) {
            rnl_optim kind = (rnl_optim)gold_i32(go, 0);
            rnl_optim_config oc = rnl_optim_default(kind);
            oc.lr = (float)gold_f64(gh, 0);  // the generator rounded every hyperparameter to float: exact
            oc.momentum = (float)gold_f64(gh, 1);
            oc.beta1 = (float)gold_f64(gh, 2);
            oc.beta2 = (float)gold_f64(gh, 3);
            oc.eps = (float)gold_f64(gh, 4);
            oc.weight_decay = (float)gold_f64(gh, 5);
            oc.clip = (float)gold_f64(gh, 6);
            rnl_optimizer *o = NULL;
            st = rnl_optimizer_create(&o, &oc, np);
            CHECK(st == RNL_OK, "%s: rnl_optimizer_create: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
            if (st == RNL_OK) {
                memcpy(rnl_model_params(m), p0, sizeof(rnl_real) * np);
                double *losses = malloc(sizeof(double) * steps), *norms = malloc(sizeof(double) * steps);
                int done = 0;
                for (; done < steps; done++) {
                    rnl_step_stats ss;
                    st = rnl_train_step(m, o, &batch, 0, &ss);
                    CHECK(st == RNL_OK, "%s: rnl_train_step %d: %s: %s", c->name, done, rnl_status_name(st),
                          rnl_last_error());
                    if (st != RNL_OK) break;
                    losses[done] = ss.loss, norms[done] = ss.grad_norm;
                    // The generator keeps every norm at least 0.1% away from the clip, so this is exact.
                    int want_clip = oc.clip > 0 && gold_f64(gh, 6) / (gold_f64(gn, done) + 1e-6) < 1;
                    CHECK(ss.clipped == want_clip, "%s: step %d clipped = %d, torch %d (norm %.9g, clip %g)", c->name,
                          done, ss.clipped, want_clip, gold_f64(gn, done), oc.clip);
                }
                if (done == steps) {
                    double *wl = gold_doubles(gl), *wn = gold_doubles(gn);
                    snprintf(what, sizeof what, "%s train_losses (%s)", c->name, rnl_optim_name(kind));
                    tu_close(what, losses, wl, steps, RTOL, ATOL);
                    snprintf(what, sizeof what, "%s train_grad_norms (%s)", c->name, rnl_optim_name(kind));
                    tu_close(what, norms, wn, steps, RTOL, ATOL);
                    free(wl);
                    free(wn);
                    snprintf(what, sizeof what, "params_after (%s, %d steps)", rnl_optim_name(kind), steps);
                    int adam = kind == RNL_OPTIM_ADAM;
                    gold_close_flat(c->name, what, table, n_want, rnl_model_params(m), gafter,
                                    adam ? RTOL_ADAM : RTOL, adam ? ATOL_ADAM : ATOL);
                }
                free(losses);
                free(norms);
                rnl_optimizer_destroy(o);
            }
        }
    }
    free(p0);
    free(tokens);
    free(inputs);
    free(lengths);
    free(targets);
    rnl_model_destroy(m);
}

// --- Main ----------------------------------------------------------------------------------------

int main(void) {
    gold_run_file("tests/golden/golden.bin", "tests/golden/gen_golden.py", run_case);
    return tu_summary(TEST_NAME);
}
