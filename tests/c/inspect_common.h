// inspect_common.h: what test_inspect.c (float core) and test_inspect_f64.c (double core) share: a walk held
// to the model's own forward and backward. Included by both, so rnl_real is each one's; the tolerance is the
// caller's (float: the fast activations and float sums; double: rounding only).
#ifndef RNNLAB_INSPECT_COMMON_H
#define RNNLAB_INSPECT_COMMON_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_inspect.h"
#include "testutil.h"

// A seeded model of `cell` whose head reads `pool`, scaled up so that the gates leave their linear range.
static rnl_model *ic_model_pooled(rnl_cell cell, int layers, rnl_head head, int vocab, uint64_t seed, rnl_pooling pool) {
    rnl_config cfg = rnl_config_default(cell);
    cfg.pool = pool;
    if (vocab) cfg.vocab = vocab, cfg.embed = 5;
    else cfg.input_size = 3;
    cfg.hidden = 6, cfg.layers = layers, cfg.head = head;
    cfg.outputs = head == RNL_HEAD_CLASSES ? 3 : head == RNL_HEAD_REGRESSION ? 2 : 1;
    rnl_model *m = NULL;
    CHECK_OK(rnl_model_create(&m, &cfg, seed));
    if (!m) return NULL;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed + 1);
    rnl_real *p = rnl_model_params(m);
    for (size_t i = 0; i < rnl_model_num_params(m); i++) p[i] = (rnl_real)(p[i] * 1.5 + 0.2 * rnl_rng_normal(&rng));
    return m;
}

static rnl_model *ic_model(rnl_cell cell, int layers, rnl_head head, int vocab, uint64_t seed) {
    return ic_model_pooled(cell, layers, head, vocab, seed, RNL_POOLING_LAST);
}

// One sequence of T steps: distinct token ids (so that a word's embedding is read at one step), or inputs.
typedef struct {
    int32_t tokens[16];
    rnl_real inputs[16 * 3];
    rnl_real target[2];
    rnl_batch b;
} ic_seq;

static void ic_sequence(ic_seq *s, const rnl_model *m, int T) {
    const rnl_config *c = rnl_model_config(m);
    rnl_rng rng;
    rnl_rng_seed(&rng, 99);
    for (int t = 0; t < T; t++) s->tokens[t] = (int32_t)(2 + (t * 7) % (c->vocab > 2 ? c->vocab - 2 : 1));
    for (int i = 0; i < T * 3; i++) s->inputs[i] = (rnl_real)rnl_rng_normal(&rng);
    s->target[0] = c->head == RNL_HEAD_CLASSES ? 2 : (rnl_real)0.8;  // a soft binary label, class 2, a value
    s->target[1] = (rnl_real)-0.3;
    rnl_batch b = {.B = 1, .T = T, .tokens = c->vocab ? s->tokens : NULL, .inputs = c->vocab ? NULL : s->inputs,
                   .targets = s->target};
    s->b = b;
}

// The walk against the model: gates and states (the trace), outputs at every step (predict_steps), and
// ||dL/dh_t|| (the traced backward), within rtol/atol. Returns the walk (the caller destroys it).
static rnl_walk *ic_check_walk(const char *name, rnl_model *m, const ic_seq *s, double rtol, double atol) {
    const rnl_config *c = rnl_model_config(m);
    const int H = c->hidden, G = rnl_cell_gates(c->cell), T = s->b.T, O = c->outputs;
    rnl_walk *w = NULL;
    CHECK_OK(rnl_walk_create(&w, m, &s->b, s->target));
    if (!w) return NULL;
    CHECK(rnl_walk_steps(w) == T, "%s: %d steps", name, rnl_walk_steps(w));
    rnl_model_set_trace(m, 0);
    rnl_real loss;
    rnl_model_zero_grad(m);
    CHECK_OK(rnl_model_forward(m, &s->b, &loss));
    char what[160];
    double *got = malloc(sizeof(double) * T * (G * H + 2 * O)), *want = malloc(sizeof(double) * T * (G * H + 2 * O));
    for (int l = 0; l < c->layers; l++) {
        int steps, width;
        const rnl_real *tg = rnl_model_trace_gates(m, l, 0, &steps, &width);
        const rnl_real *ts = rnl_model_trace_state(m, l, 0, &steps, &width);
        CHECK(tg && ts && steps == T, "%s: trace of layer %d", name, l);
        if (!tg || !ts) continue;
        // Gates: unit by unit through rnl_walk_unit, against the trace's (T, G*H).
        for (int t = 0; t < T; t++)
            for (int j = 0; j < H; j++) {
                rnl_unit_step u;
                CHECK_OK(rnl_walk_unit(w, l, t, j, &u));
                for (int k = 0; k < G; k++) {
                    got[(size_t)t * G * H + k * H + j] = u.gate[k];
                    want[(size_t)t * G * H + k * H + j] = tg[(size_t)t * G * H + k * H + j];
                }
                // The parts add up to what each activation read (the GRU's n: the reset gate scales h_part).
                for (int k = 0; k < G; k++) {
                    double sum = c->cell == RNL_CELL_GRU && k == 2 ? u.x_part[k] + u.gate[0] * u.h_part[k] : u.x_part[k] + u.h_part[k];
                    CHECK(fabs(sum - u.pre[k]) <= 1e-12 * (1 + fabs(sum)), "%s: layer %d step %d unit %d gate %d: parts %g, pre %g",
                          name, l, t, j, k, sum, u.pre[k]);
                }
                double state = c->cell == RNL_CELL_LSTM ? u.c : u.h;
                CHECK(fabs(state - ts[(size_t)t * H + j]) <= atol + rtol * fabs(ts[(size_t)t * H + j]),
                      "%s: layer %d step %d unit %d: state %.9g, model %.9g", name, l, t, j, state, (double)ts[(size_t)t * H + j]);
                CHECK(u.h == rnl_walk_state(w, l, t)[j], "%s: unit step h and the walk's state", name);
            }
        snprintf(what, sizeof what, "%s: gates of layer %d", name, l);
        tu_close(what, got, want, (size_t)T * G * H, rtol, atol);
    }
    // Outputs after every step, against rnl_model_predict_steps (which the page's per-word view uses).
    rnl_real *ps = malloc(sizeof(rnl_real) * T * O);
    int steps = 0;
    CHECK_OK(rnl_model_predict_steps(m, &s->b, ps, &steps));
    for (int t = 0; t < T * O; t++) got[t] = rnl_walk_output(w, t / O)[t % O], want[t] = ps[t];
    snprintf(what, sizeof what, "%s: outputs after each step", name);
    tu_close(what, got, want, (size_t)T * O, rtol, atol);
    free(ps);
    // ||dL/dh_t|| against the model's traced backward, layer by layer.
    CHECK_OK(rnl_model_forward(m, &s->b, &loss));
    CHECK_OK(rnl_model_backward(m, 0));
    for (int l = 0; l < c->layers; l++) {
        const rnl_real *gn = rnl_model_trace_grad_norms(m, l, 0, &steps);
        CHECK(gn && steps == T, "%s: grad-norm trace of layer %d", name, l);
        if (!gn) continue;
        for (int t = 0; t < T; t++) {
            rnl_grad_paths g;
            CHECK_OK(rnl_walk_paths(w, l, t, &g));
            got[t] = g.grad_h, want[t] = gn[t];
        }
        snprintf(what, sizeof what, "%s: ||dL/dh_t|| of layer %d", name, l);
        tu_close(what, got, want, (size_t)T, rtol, atol);
    }
    rnl_model_set_trace(m, -1);
    free(got), free(want);
    return w;
}

// The paths' vectors add up to what step t hands back, and in a layer with no other input at t-1 (the top
// layer of a sequence-to-one model, before its last step) that is the whole dL/dh_{t-1}; under a mean
// pool the head adds its direct part at every step, the same at each: dL/dh_{T-1}, which has no recurrence.
static void ic_check_paths(const char *name, const rnl_model *m, const rnl_walk *w) {
    const rnl_config *c = rnl_model_config(m);
    const int H = c->hidden, T = rnl_walk_steps(w), top = c->layers - 1;
    double tr[64], p0[64], p1[64], sum[64], dh[64];
    for (int l = 0; l < c->layers; l++)
        for (int t = 1; t < T; t++) {
            rnl_grad_paths g;
            CHECK_OK(rnl_walk_paths(w, l, t, &g));
            CHECK_OK(rnl_walk_grad_vector(w, l, t, 2, tr));
            CHECK_OK(rnl_walk_grad_vector(w, l, t, 3, p0));
            CHECK_OK(rnl_walk_grad_vector(w, l, t, 4, p1));
            for (int j = 0; j < H; j++)
                sum[j] = c->cell == RNL_CELL_RNN ? p0[j] : c->cell == RNL_CELL_GRU ? p0[j] + p1[j] : p1[j];
            char what[256];
            snprintf(what, sizeof what, "%s: layer %d step %d: paths into h_{t-1} sum to step t's part", name, l, t);
            tu_close(what, sum, tr, (size_t)H, 1e-12, 1e-14);
            CHECK(g.n_paths == (c->cell == RNL_CELL_RNN ? 1 : 2), "%s: %d paths", name, g.n_paths);
            if (l == top && t - 1 < T - 1 && c->pool == RNL_POOLING_MEAN) {
                double last[64];
                CHECK_OK(rnl_walk_grad_vector(w, l, t - 1, 0, dh));
                CHECK_OK(rnl_walk_grad_vector(w, l, T - 1, 0, last));
                for (int j = 0; j < H; j++) sum[j] = tr[j] + last[j];
                snprintf(what, sizeof what, "%s: top layer step %d: dL/dh_{t-1} is step t's part plus the head's direct part", name, t);
                tu_close(what, dh, sum, (size_t)H, 1e-12, 1e-14);
            }
            if (l == top && t - 1 < T - 1 && c->pool == RNL_POOLING_LAST) {
                CHECK_OK(rnl_walk_grad_vector(w, l, t - 1, 0, dh));
                snprintf(what, sizeof what, "%s: top layer step %d: dL/dh_{t-1} is step t's part", name, t);
                tu_close(what, dh, tr, (size_t)H, 1e-12, 1e-14);
            }
        }
}

#endif
