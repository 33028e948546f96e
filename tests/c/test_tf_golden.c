// test_tf_golden.c: the Transformer encoder against golden vectors computed by PyTorch in float64
// (tests/golden/gen_golden_transformer.py: nn.TransformerEncoderLayer, norm_first, batch_first, with a
// key-padding mask). Every case: the tensor table (torch's state_dict names and shapes, in order), loss,
// predictions and gradients of one masked variable-length batch; training cases: 5 Adam steps on that batch
// (losses, gradient norms, clipping, parameters after). test_tf_golden_f64.c runs this file against the
// double-precision core at a much tighter tolerance.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden_file.h"
#include "rnnlab_transformer.h"
#include "testutil.h"

#ifdef RNL_DOUBLE
#define TEST_NAME "test_tf_golden_f64"
#define RTOL 1e-9
#define ATOL 1e-12
#else
#define TEST_NAME "test_tf_golden"
// float32 against float64: gen_golden_transformer.py --check-f32 puts torch's own float32 within 4% of these.
#define RTOL 1e-4
#define ATOL 1e-5
#endif
// Parameters after Adam, as test_golden.c: lr * m / (sqrt(v) + eps) is scale-free, so float32 rounding in a
// tiny gradient can move an element by up to lr per step.
#define RTOL_ADAM 1e-4
#define ATOL_ADAM 1e-4

// torch's state_dict of the reference module, in order.
static int expected_tensors(const rnl_tf_config *c, rnl_tensor_info *out, int cap) {
    int n = 0, D = c->d_model, F = c->ffn;
    size_t off = 0;
    char nm[sizeof out->name];
    if (c->vocab > 0) {
        gold_add_tensor(out, cap, &n, &off, "embedding.weight", c->vocab, D);
    } else {
        gold_add_tensor(out, cap, &n, &off, "input.weight", D, c->input_size);
        gold_add_tensor(out, cap, &n, &off, "input.bias", D, 1);
    }
    for (int l = 0; l < c->layers; l++) {
        struct { const char *name; int rows, cols; } t[] = {
            {"self_attn.in_proj_weight", 3 * D, D}, {"self_attn.in_proj_bias", 3 * D, 1},
            {"self_attn.out_proj.weight", D, D},    {"self_attn.out_proj.bias", D, 1},
            {"linear1.weight", F, D},               {"linear1.bias", F, 1},
            {"linear2.weight", D, F},               {"linear2.bias", D, 1},
            {"norm1.weight", D, 1},                 {"norm1.bias", D, 1},
            {"norm2.weight", D, 1},                 {"norm2.bias", D, 1},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
            snprintf(nm, sizeof nm, "layers.%d.%s", l, t[i].name);
            gold_add_tensor(out, cap, &n, &off, nm, t[i].rows, t[i].cols);
        }
    }
    gold_add_tensor(out, cap, &n, &off, "norm.weight", D, 1);
    gold_add_tensor(out, cap, &n, &off, "norm.bias", D, 1);
    gold_add_tensor(out, cap, &n, &off, "head.weight", c->outputs, D);
    gold_add_tensor(out, cap, &n, &off, "head.bias", c->outputs, 1);
    return n;
}

static const rnl_tensor_info *core_tensor(const void *m, int i) { return rnl_tf_tensor(m, i); }

#ifndef RNL_DOUBLE
// The key third of in_proj_bias adds the same amount to every score of a query row, which the softmax
// removes: its true gradient is exactly 0, and what float32 leaves there is rounding noise that Adam
// scales up to about lr per step (in torch's float32 too). Those elements are checked against that bound
// and then set to torch's values, so the comparison of everything else stays tight.
static void settle_key_bias(const char *cname, const rnl_tf *m, rnl_real *got, const gold_record *want, double bound) {
    const rnl_tf_config *c = rnl_tf_get_config(m);
    for (int k = 0; k < rnl_tf_num_tensors(m); k++) {
        const rnl_tensor_info *ti = rnl_tf_tensor(m, k);
        if (!strstr(ti->name, "in_proj_bias")) continue;
        for (int j = c->d_model; j < 2 * c->d_model; j++) {
            size_t i = ti->offset + (size_t)j;
            double d = fabs(got[i] - gold_f64(want, i));
            CHECK(d <= bound, "%s: %s[%d] moved %g from torch's, more than the Adam bound %g", cname, ti->name, j, d, bound);
            got[i] = (rnl_real)gold_f64(want, i);
        }
    }
}
#endif

static void run_case(const gold_case *c) {
    const gold_record *gcfg = gold_find(c, "config", GOLD_I32, 9), *gshape = gold_find(c, "shape", GOLD_I32, 2);
    if (!gcfg || !gshape) return;
    rnl_tf_config cfg;
    cfg.vocab = gold_i32(gcfg, 0);
    cfg.input_size = gold_i32(gcfg, 1);
    cfg.d_model = gold_i32(gcfg, 2);
    cfg.heads = gold_i32(gcfg, 3);
    cfg.layers = gold_i32(gcfg, 4);
    cfg.ffn = gold_i32(gcfg, 5);
    cfg.positions = (rnl_tf_positions)gold_i32(gcfg, 6);
    cfg.head = (rnl_head)gold_i32(gcfg, 7);
    cfg.outputs = gold_i32(gcfg, 8);
    int B = gold_i32(gshape, 0), T = gold_i32(gshape, 1);
    CHECK(B >= 1 && B <= 64 && T >= 1 && T <= 64, "%s: shape %d x %d", c->name, B, T);
    if (!(B >= 1 && B <= 64 && T >= 1 && T <= 64)) return;
    size_t n_tg = (size_t)B * (cfg.head == RNL_HEAD_REGRESSION ? (size_t)cfg.outputs : 1);
    const gold_record *glen = gold_find(c, "lengths", GOLD_I32, (size_t)B), *gtg = gold_find(c, "targets", GOLD_F64, n_tg);
    const gold_record *gin = cfg.vocab > 0 ? gold_find(c, "tokens", GOLD_I32, (size_t)B * T)
                                           : gold_find(c, "inputs", GOLD_F64, (size_t)B * T * cfg.input_size);
    const gold_record *gparams = gold_find(c, "params", GOLD_F64, 0);
    const gold_record *gpred = gold_find(c, "predictions", GOLD_F64, (size_t)B * cfg.outputs);
    const gold_record *gloss = gold_find(c, "loss", GOLD_F64, 1), *ggrads = gold_find(c, "grads", GOLD_F64, 0);
    if (!glen || !gtg || !gin || !gparams || !gpred || !gloss || !ggrads) return;

    rnl_tf *m = NULL;
    rnl_status st = rnl_tf_create(&m, &cfg, 1);
    CHECK(st == RNL_OK, "%s: rnl_tf_create: %s", c->name, rnl_last_error());
    if (st) return;
    size_t np = rnl_tf_num_params(m);
    CHECK(np == gparams->count && np == ggrads->count, "%s: core has %zu parameters, torch %zu", c->name, np, gparams->count);
    if (np != gparams->count || np != ggrads->count) {
        rnl_tf_destroy(m);
        return;
    }
    rnl_tensor_info want[2 + 12 * RNL_MAX_LAYERS + 4];
    int n_want = expected_tensors(&cfg, want, (int)(sizeof want / sizeof want[0]));
    const rnl_tensor_info *table = gold_check_table(c->name, want, n_want, m, rnl_tf_num_tensors(m), core_tensor) ? want : NULL;

    int32_t *tokens = NULL, lengths[64];
    rnl_real *inputs = NULL, *targets = gold_reals(gtg), *p0 = gold_reals(gparams);
    for (int i = 0; i < B; i++) lengths[i] = gold_i32(glen, i);
    if (cfg.vocab > 0) {
        tokens = malloc(sizeof(int32_t) * B * T);
        for (size_t i = 0; i < (size_t)B * T; i++) tokens[i] = gold_i32(gin, i);
    } else {
        inputs = gold_reals(gin);
    }
    rnl_batch batch = {.B = B, .T = T, .tokens = tokens, .inputs = inputs, .lengths = lengths, .targets = targets};
    char what[256];

    memcpy(rnl_tf_params(m), p0, sizeof(rnl_real) * np);
    rnl_tf_zero_grad(m);
    rnl_real loss = 0;
    CHECK_OK(st = rnl_tf_forward(m, &batch, &loss));
    if (st == RNL_OK) {
        snprintf(what, sizeof what, "%s loss", c->name);
        gold_close(what, &loss, gloss, RTOL, ATOL);
        snprintf(what, sizeof what, "%s predictions", c->name);
        gold_close(what, rnl_tf_predictions(m), gpred, RTOL, ATOL);
        CHECK_OK(st = rnl_tf_backward(m));
        if (st == RNL_OK) gold_close_flat(c->name, "grads", table, n_want, rnl_tf_grads(m), ggrads, RTOL, ATOL);
    }

    if (gold_has(c, "optim")) {
        const gold_record *go = gold_find(c, "optim", GOLD_I32, 2), *gh = gold_find(c, "hparams", GOLD_F64, 7);
        int steps = go ? gold_i32(go, 1) : 0;
        const gold_record *gl = gold_find(c, "train_losses", GOLD_F64, (size_t)steps);
        const gold_record *gn = gold_find(c, "train_grad_norms", GOLD_F64, (size_t)steps);
        const gold_record *gafter = gold_find(c, "params_after", GOLD_F64, np);
        if (go && gh && gl && gn && gafter && steps >= 1 && steps <= 100) {
            rnl_optim_config oc = rnl_optim_default((rnl_optim)gold_i32(go, 0));
            oc.lr = (float)gold_f64(gh, 0);
            oc.momentum = (float)gold_f64(gh, 1);
            oc.beta1 = (float)gold_f64(gh, 2);
            oc.beta2 = (float)gold_f64(gh, 3);
            oc.eps = (float)gold_f64(gh, 4);
            oc.weight_decay = (float)gold_f64(gh, 5);
            oc.clip = (float)gold_f64(gh, 6);
            rnl_optimizer *o = NULL;
            CHECK_OK(rnl_optimizer_create(&o, &oc, np));
            memcpy(rnl_tf_params(m), p0, sizeof(rnl_real) * np);
            double losses[100], norms[100];
            int done = 0;
            for (; o && done < steps; done++) {
                rnl_step_stats ss;
                CHECK_OK(st = rnl_tf_train_step(m, o, &batch, &ss));
                if (st) break;
                losses[done] = ss.loss, norms[done] = ss.grad_norm;
                int want_clip = oc.clip > 0 && gold_f64(gh, 6) / (gold_f64(gn, done) + 1e-6) < 1;
                CHECK(ss.clipped == want_clip, "%s: step %d clipped = %d, torch %d", c->name, done, ss.clipped, want_clip);
            }
            if (done == steps) {
                double *wl = gold_doubles(gl), *wn = gold_doubles(gn);
                snprintf(what, sizeof what, "%s train_losses", c->name);
                tu_close(what, losses, wl, steps, RTOL, ATOL);
                snprintf(what, sizeof what, "%s train_grad_norms", c->name);
                tu_close(what, norms, wn, steps, RTOL, ATOL);
                free(wl);
                free(wn);
#ifndef RNL_DOUBLE
                settle_key_bias(c->name, m, rnl_tf_params(m), gafter, 1.01 * steps * oc.lr);
#endif
                gold_close_flat(c->name, "params_after (adam, 5 steps)", table, n_want, rnl_tf_params(m), gafter,
#ifdef RNL_DOUBLE
                                RTOL, ATOL);
#else
                                RTOL_ADAM, ATOL_ADAM);
#endif
            }
            rnl_optimizer_destroy(o);
        }
    }
    free(p0);
    free(tokens);
    free(inputs);
    free(targets);
    rnl_tf_destroy(m);
}

int main(void) {
    int n = gold_run_file("tests/golden/golden_transformer.bin", "tests/golden/gen_golden_transformer.py", run_case);
    CHECK(n == 6, "%d cases, expected 6", n);
    return tu_summary(TEST_NAME);
}
