// inspect.c: the numbers behind the "see inside" views (rnnlab_inspect.h): a walk (one sequence through a
// unidirectional recurrent model, recomputed in double from the parameters, with every intermediate kept
// and the backward pass split by path), PCA by a Jacobi eigen-solver, and the word map and neighbours.
//
// The walk is a naive reference beside the batched, sorted, fused forward of cells.c: one sequence, one
// matrix-vector product at a time, the cell equations of docs/model.md written out again in double. The
// tests hold it to the model's own forward (gates, states, predictions) and backward (‖dL/dh_t‖), so the
// step-through view shows exactly what the model computes. It reads the parameters through the public
// tensor table (PyTorch names) and keeps a copy of nothing but its results.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_inspect.h"

// --- Parameters by name ---------------------------------------------------------------------------

static const rnl_real *tensor(const rnl_model *m, const char *name) {
    for (int i = 0; i < rnl_model_num_tensors(m); i++) {
        const rnl_tensor_info *ti = rnl_model_tensor(m, i);
        if (strcmp(ti->name, name) == 0) return rnl_model_params((rnl_model *)m) + ti->offset;
    }
    return NULL;
}

typedef struct {
    const rnl_real *W_ih, *W_hh, *b_ih, *b_hh;  // (GH, in), (GH, H), (GH), (GH)
} layer_params;

static layer_params layer_of(const rnl_model *m, int l) {
    char n[48];
    layer_params p;
    snprintf(n, sizeof n, "rnn.weight_ih_l%d", l), p.W_ih = tensor(m, n);
    snprintf(n, sizeof n, "rnn.weight_hh_l%d", l), p.W_hh = tensor(m, n);
    snprintf(n, sizeof n, "rnn.bias_ih_l%d", l), p.b_ih = tensor(m, n);
    snprintf(n, sizeof n, "rnn.bias_hh_l%d", l), p.b_hh = tensor(m, n);
    return p;
}

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }
// tanh through exp: libm's tanh (and the expm1 under it) would be the WebAssembly module's only use of them.
// Exact to rounding in the value (absolute error ~1e-16 near 0, where 1 - t cancels).
static double tanh_exp(double x) {
    double t = exp(-2 * fabs(x)), y = (1 - t) / (1 + t);
    return x < 0 ? -y : y;
}

// y (rows) = b + W x, W (rows, cols) row-major.
static void affine(double *y, const rnl_real *W, const rnl_real *b, const double *x, int rows, int cols) {
    for (int i = 0; i < rows; i++) {
        double s = b ? b[i] : 0;
        const rnl_real *w = W + (size_t)i * cols;
        for (int j = 0; j < cols; j++) s += w[j] * x[j];
        y[i] = s;
    }
}

// y (cols) += W^T x, W (rows, cols).
static void affine_t(double *y, const rnl_real *W, const double *x, int rows, int cols) {
    for (int i = 0; i < rows; i++) {
        const rnl_real *w = W + (size_t)i * cols;
        for (int j = 0; j < cols; j++) y[j] += w[j] * x[i];
    }
}

static double norm(const double *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

// --- Walk -------------------------------------------------------------------------------------------

struct rnl_walk {
    rnl_cell cell;
    rnl_head head;
    rnl_pooling pool;  // what the head reads: the last state, or the mean or max of h_0..h_t (rnnlab.h)
    int L, H, G, in0, O, T;
    int has_back;
    // Forward, per layer: every buffer (T, ...) in time order.
    double *x0;                   // (T, in0) layer 0's input
    double *xp[RNL_MAX_LAYERS];   // (T, GH) W_ih x_t + b_ih
    double *hp[RNL_MAX_LAYERS];   // (T, GH) W_hh h_{t-1} + b_hh
    double *pre[RNL_MAX_LAYERS];  // (T, GH) what each activation read
    double *gate[RNL_MAX_LAYERS]; // (T, GH) post-activation
    double *h[RNL_MAX_LAYERS];    // (T, H)
    double *c[RNL_MAX_LAYERS];    // (T, H) the LSTM's cell state
    double *logit, *out;          // (T, O) the head's logits and outputs after each step
    double *feat;                 // (T, H) what the head read after each step: h_t, or the pool of h_0..h_t
    double *sum;                  // (H) the mean pool's running sum
    // Backward, per layer (has_back).
    double *dh[RNL_MAX_LAYERS];   // (T, H) dL/dh_t, everything reaching h_t
    double *dc[RNL_MAX_LAYERS];   // (T, H) the LSTM's dL/dc_t
    double *tr[RNL_MAX_LAYERS];   // (T, H) step t's part of dL/dh_{t-1}
    double *p0[RNL_MAX_LAYERS];   // (T, H) path 0: RNN W_hh, GRU direct, LSTM cell (into c_{t-1})
    double *p1[RNL_MAX_LAYERS];   // (T, H) path 1: the gates, through W_hh
    double *dx0;                  // (T, in0) dL/dx_t of layer 0
    double *block;                // everything above, one allocation
};

static const double *row(const double *a, int t, int width) { return a + (size_t)t * width; }

// Allocates every buffer of a walk of T steps.
static rnl_status walk_alloc(rnl_walk **out, const rnl_model *m, int T) {
    const rnl_config *c = rnl_model_config(m);
    rnl_walk *w = calloc(1, sizeof *w);
    if (!w) return rnl_fail(RNL_ERR_NOMEM, "walk: out of memory");
    w->cell = c->cell, w->head = c->head, w->pool = c->pool, w->L = c->layers, w->H = c->hidden, w->G = rnl_cell_gates(c->cell);
    w->in0 = c->vocab > 0 ? c->embed : c->input_size, w->O = c->outputs, w->T = T;
    size_t GH = (size_t)w->G * w->H, H = (size_t)w->H, per_layer = 4 * GH + 7 * H;
    size_t total = (size_t)T * (2 * (size_t)w->in0 + 2 * (size_t)w->O + H + (size_t)w->L * per_layer) + H;
    if ((double)total * sizeof(double) > (double)RNL_MAX_WORKSPACE) {
        free(w);
        return rnl_fail(RNL_ERR_NOMEM, "walk: %d steps of this model need more than %zu bytes", T, (size_t)RNL_MAX_WORKSPACE);
    }
    double *p = w->block = calloc(total, sizeof(double));
    if (!p) {
        free(w);
        return rnl_fail(RNL_ERR_NOMEM, "walk: out of memory for %zu values", total);
    }
#define TAKE(dst, width) (dst = p, p += (size_t)T * (width))
    TAKE(w->x0, w->in0);
    TAKE(w->dx0, w->in0);
    TAKE(w->logit, w->O);
    TAKE(w->out, w->O);
    TAKE(w->feat, H);
    w->sum = p, p += H;
    for (int l = 0; l < w->L; l++) {
        TAKE(w->xp[l], GH), TAKE(w->hp[l], GH), TAKE(w->pre[l], GH), TAKE(w->gate[l], GH);
        TAKE(w->h[l], H), TAKE(w->c[l], H), TAKE(w->dh[l], H), TAKE(w->dc[l], H);
        TAKE(w->tr[l], H), TAKE(w->p0[l], H), TAKE(w->p1[l], H);
    }
#undef TAKE
    *out = w;
    return RNL_OK;
}

void rnl_walk_destroy(rnl_walk *w) {
    if (!w) return;
    free(w->block);
    free(w);
}

// The head on h (D = H) into logit and out (O).
static void head_of(const rnl_walk *w, const rnl_model *m, const double *h, double *logit, double *out) {
    affine(logit, tensor(m, "head.weight"), tensor(m, "head.bias"), h, w->O, w->H);
    switch (w->head) {
    case RNL_HEAD_BINARY: out[0] = sigmoid(logit[0]); break;
    case RNL_HEAD_CLASSES: {
        double mx = logit[0], s = 0;
        for (int k = 1; k < w->O; k++) mx = logit[k] > mx ? logit[k] : mx;
        for (int k = 0; k < w->O; k++) s += out[k] = exp(logit[k] - mx);
        for (int k = 0; k < w->O; k++) out[k] /= s;
        break;
    }
    case RNL_HEAD_REGRESSION: memcpy(out, logit, sizeof(double) * w->O); break;
    }
}

// The forward pass over w->x0, as cells.c's header writes the equations.
static void walk_forward(rnl_walk *w, const rnl_model *m) {
    const int H = w->H, GH = w->G * H, T = w->T;
    for (int l = 0; l < w->L; l++) {
        layer_params P = layer_of(m, l);
        int in = l ? H : w->in0;
        double *zero = w->dh[l];  // zeros until the backward: h_{-1} and c_{-1}
        for (int t = 0; t < T; t++) {
            const double *x = l ? row(w->h[l - 1], t, H) : row(w->x0, t, in);
            const double *hprev = t ? row(w->h[l], t - 1, H) : zero;
            const double *cprev = t ? row(w->c[l], t - 1, H) : zero;
            double *xp = w->xp[l] + (size_t)t * GH, *hp = w->hp[l] + (size_t)t * GH;
            double *pre = w->pre[l] + (size_t)t * GH, *g = w->gate[l] + (size_t)t * GH;
            double *h = w->h[l] + (size_t)t * H, *c = w->c[l] + (size_t)t * H;
            affine(xp, P.W_ih, P.b_ih, x, GH, in);
            affine(hp, P.W_hh, P.b_hh, hprev, GH, H);
            for (int k = 0; k < GH; k++) pre[k] = xp[k] + hp[k];
            for (int j = 0; j < H; j++) {
                switch (w->cell) {
                case RNL_CELL_RNN: h[j] = g[j] = tanh_exp(pre[j]); break;
                case RNL_CELL_LSTM: {
                    double i = g[j] = sigmoid(pre[j]), f = g[H + j] = sigmoid(pre[H + j]);
                    double gg = g[2 * H + j] = tanh_exp(pre[2 * H + j]), o = g[3 * H + j] = sigmoid(pre[3 * H + j]);
                    c[j] = f * cprev[j] + i * gg;
                    h[j] = o * tanh_exp(c[j]);
                    break;
                }
                case RNL_CELL_GRU: {
                    double r = g[j] = sigmoid(pre[j]), z = g[H + j] = sigmoid(pre[H + j]);
                    pre[2 * H + j] = xp[2 * H + j] + r * hp[2 * H + j];  // the reset gate scales W_hn h + b_hn
                    double n = g[2 * H + j] = tanh_exp(pre[2 * H + j]);
                    h[j] = (1 - z) * n + z * hprev[j];
                    break;
                }
                }
            }
        }
    }
    // The head after each step t: on h_t, or on the pool of h_0..h_t (the mean summed in time order, as
    // model.c's pool; the max keeps the first step on a tie, which changes no value).
    const double *top = w->h[w->L - 1];
    for (int t = 0; t < T; t++) {
        double *f = w->feat + (size_t)t * H;
        const double *h = row(top, t, H), *prev = t ? row(w->feat, t - 1, H) : NULL;
        for (int j = 0; j < H; j++) {
            switch (w->pool) {
            case RNL_POOLING_LAST: f[j] = h[j]; break;
            case RNL_POOLING_MEAN:
                w->sum[j] = (t ? w->sum[j] : 0) + h[j];
                f[j] = w->sum[j] / (t + 1);
                break;
            case RNL_POOLING_MAX: f[j] = prev && prev[j] >= h[j] ? prev[j] : h[j]; break;
            }
        }
        head_of(w, m, f, w->logit + (size_t)t * w->O, w->out + (size_t)t * w->O);
    }
}

// The backward pass from dz = dL/dlogit (O) at the last step, as cell_math.c's backward written out.
static rnl_status walk_backward(rnl_walk *w, const rnl_model *m, const double *dz) {
    const int H = w->H, G = w->G, GH = G * H, T = w->T;
    double *dy = calloc((size_t)T * H + 3 * (size_t)GH + 2 * (size_t)H, sizeof(double));  // (T, H) + scratch
    if (!dy) return rnl_fail(RNL_ERR_NOMEM, "walk: out of memory");
    double *dxp = dy + (size_t)T * H, *dhp = dxp + GH, *dxin = dhp + GH, *carry_h = dxin + GH, *carry_c = carry_h + H;
    // dL/dh_top: W_head^T dz, at the last step (a last-state head), or straight from the head at every
    // step the pool read: 1/T of it at each step (mean), or each unit's at the step of its max.
    double *df = dy + (size_t)(T - 1) * H;
    affine_t(df, tensor(m, "head.weight"), dz, w->O, H);
    if (w->pool == RNL_POOLING_MEAN) {
        for (int j = 0; j < H; j++) df[j] /= T;
        for (int t = 0; t < T - 1; t++) memcpy(dy + (size_t)t * H, df, sizeof(double) * H);
    } else if (w->pool == RNL_POOLING_MAX) {
        const double *top = w->h[w->L - 1];
        for (int j = 0; j < H; j++) {
            int arg = 0;
            for (int t = 1; t < T; t++)
                if (top[(size_t)t * H + j] > top[(size_t)arg * H + j]) arg = t;  // ties: the first step
            double g = df[j];
            df[j] = 0;
            dy[(size_t)arg * H + j] = g;
        }
    }
    for (int l = w->L - 1; l >= 0; l--) {
        layer_params P = layer_of(m, l);
        int in = l ? H : w->in0;
        memset(carry_h, 0, sizeof(double) * 2 * H);
        for (int t = T - 1; t >= 0; t--) {
            const double *g = row(w->gate[l], t, GH), *hp = row(w->hp[l], t, GH);
            const double *hprev = t ? row(w->h[l], t - 1, H) : NULL, *cprev = t ? row(w->c[l], t - 1, H) : NULL;
            double *dh = w->dh[l] + (size_t)t * H, *dc = w->dc[l] + (size_t)t * H;
            double *p0 = w->p0[l] + (size_t)t * H, *p1 = w->p1[l] + (size_t)t * H, *tr = w->tr[l] + (size_t)t * H;
            for (int j = 0; j < H; j++) dh[j] = dy[(size_t)t * H + j] + carry_h[j];
            for (int j = 0; j < H; j++) {
                double hpv = hprev ? hprev[j] : 0, cpv = cprev ? cprev[j] : 0;
                switch (w->cell) {
                case RNL_CELL_RNN:
                    dxp[j] = dhp[j] = dh[j] * (1 - g[j] * g[j]);
                    break;
                case RNL_CELL_LSTM: {
                    double i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
                    double tc = tanh_exp(w->c[l][(size_t)t * H + j]);
                    double dct = dc[j] = carry_c[j] + dh[j] * o * (1 - tc * tc);
                    dxp[j] = dhp[j] = dct * gg * i * (1 - i);
                    dxp[H + j] = dhp[H + j] = dct * cpv * f * (1 - f);
                    dxp[2 * H + j] = dhp[2 * H + j] = dct * i * (1 - gg * gg);
                    dxp[3 * H + j] = dhp[3 * H + j] = dh[j] * tc * o * (1 - o);
                    p0[j] = carry_c[j] = dct * f;  // the cell path: into c_{t-1}
                    break;
                }
                case RNL_CELL_GRU: {
                    double r = g[j], z = g[H + j], n = g[2 * H + j];
                    double dn = dh[j] * (1 - z) * (1 - n * n);
                    dxp[j] = dhp[j] = dn * hp[2 * H + j] * r * (1 - r);
                    dxp[H + j] = dhp[H + j] = dh[j] * (hpv - n) * z * (1 - z);
                    dxp[2 * H + j] = dn;
                    dhp[2 * H + j] = dn * r;
                    p0[j] = dh[j] * z;  // the direct path: h_{t-1} -> h_t through z
                    break;
                }
                }
            }
            // The gates' path into h_{t-1}: W_hh^T dhp.
            double *gates_path = w->cell == RNL_CELL_RNN ? p0 : p1;
            memset(gates_path, 0, sizeof(double) * H);
            affine_t(gates_path, P.W_hh, dhp, GH, H);
            for (int j = 0; j < H; j++) tr[j] = carry_h[j] = gates_path[j] + (w->cell == RNL_CELL_GRU ? p0[j] : 0);
            // The layer's input: dL/dx_t = W_ih^T dxp, into the layer below (or dx0).
            double *dx = l ? dy + (size_t)t * H : w->dx0 + (size_t)t * in;
            memset(dxin, 0, sizeof(double) * in);
            affine_t(dxin, P.W_ih, dxp, GH, in);
            memcpy(dx, dxin, sizeof(double) * in);
        }
    }
    free(dy);
    w->has_back = 1;
    return RNL_OK;
}

// dL/dlogit of the last step against target (NULL: the model's own answer), as model.c's losses with B = 1.
static void loss_grad(const rnl_walk *w, const rnl_real *target, double *dz) {
    const double *out = row(w->out, w->T - 1, w->O);
    switch (w->head) {
    case RNL_HEAD_BINARY: dz[0] = out[0] - (target ? (double)target[0] : out[0] > 0.5); break;
    case RNL_HEAD_CLASSES: {
        int cls = 0;
        if (target) cls = (int)target[0];
        else
            for (int k = 1; k < w->O; k++) cls = out[k] > out[cls] ? k : cls;
        for (int k = 0; k < w->O; k++) dz[k] = out[k] - (k == cls);
        break;
    }
    case RNL_HEAD_REGRESSION:
        // Mean squared error over the O values; the model's own answer has no error.
        for (int k = 0; k < w->O; k++) dz[k] = target ? 2 * (out[k] - target[k]) / w->O : 0;
        break;
    }
}

static rnl_status check_walkable(const rnl_model *m) {
    const rnl_config *c = rnl_model_config(m);
    if (c->bidirectional)
        return rnl_fail(RNL_ERR_ARG, "walk: a bidirectional model's state at step t has read the future; "
                                     "step-through needs a unidirectional model");
    return RNL_OK;
}

// A walk over given layer-0 inputs x0 (T, in0); dz: the backward's seed, or NULL for none.
static rnl_status walk_inputs(rnl_walk **out, const rnl_model *m, const double *x0, int T, const double *dz) {
    rnl_walk *w = NULL;
    rnl_status st = walk_alloc(&w, m, T);
    if (st) return st;
    memcpy(w->x0, x0, sizeof(double) * (size_t)T * w->in0);
    walk_forward(w, m);
    if (dz && (st = walk_backward(w, m, dz))) {
        rnl_walk_destroy(w);
        return st;
    }
    *out = w;
    return RNL_OK;
}

rnl_status rnl_walk_create(rnl_walk **out, const rnl_model *m, const rnl_batch *b, const rnl_real *target) {
    const rnl_config *c = rnl_model_config(m);
    rnl_status st;
    *out = NULL;
    if ((st = check_walkable(m))) return st;
    if (!b || b->B != 1) return rnl_fail(RNL_ERR_ARG, "walk: takes one sequence (B = 1)");
    int T = b->lengths ? b->lengths[0] : b->T;
    if (T < 1 || T > b->T || T > RNL_MAX_STEPS)
        return rnl_fail(RNL_ERR_ARG, "walk: the sequence has %d steps, must be in 1..%d", T, b->T < RNL_MAX_STEPS ? b->T : RNL_MAX_STEPS);
    if (c->vocab > 0 ? !b->tokens : !b->inputs) return rnl_fail(RNL_ERR_ARG, "walk: the batch has no %s", c->vocab > 0 ? "token ids" : "inputs");
    int in0 = c->vocab > 0 ? c->embed : c->input_size;
    double *x0 = malloc(sizeof(double) * (size_t)T * in0);
    if (!x0) return rnl_fail(RNL_ERR_NOMEM, "walk: out of memory");
    const rnl_real *E = c->vocab > 0 ? tensor(m, "embedding.weight") : NULL;
    for (int t = 0; t < T; t++) {
        const rnl_real *src;
        if (E) {
            int32_t tok = b->tokens[t];
            if (tok < 0 || tok >= c->vocab) {
                free(x0);
                return rnl_fail(RNL_ERR_ARG, "walk: step %d: token id %d is outside the vocabulary 0..%d", t, (int)tok, c->vocab - 1);
            }
            src = E + (size_t)tok * in0;
        } else {
            src = b->inputs + (size_t)t * in0;
        }
        for (int k = 0; k < in0; k++) x0[(size_t)t * in0 + k] = src[k];
    }
    // Forward first; the backward's seed depends on the output (the model's own answer).
    rnl_walk *w = NULL;
    st = walk_inputs(&w, m, x0, T, NULL);
    free(x0);
    if (st) return st;
    if (!c->seq2seq) {
        double *dz = malloc(sizeof(double) * c->outputs);
        if (dz) loss_grad(w, target, dz);
        st = dz ? walk_backward(w, m, dz) : rnl_fail(RNL_ERR_NOMEM, "walk: out of memory");
        free(dz);
        if (st) {
            rnl_walk_destroy(w);
            return st;
        }
    }
    *out = w;
    return RNL_OK;
}

int rnl_walk_steps(const rnl_walk *w) { return w->T; }

const double *rnl_walk_output(const rnl_walk *w, int t) { return t >= 0 && t < w->T ? row(w->out, t, w->O) : NULL; }

const double *rnl_walk_state(const rnl_walk *w, int layer, int t) {
    return layer >= 0 && layer < w->L && t >= 0 && t < w->T ? row(w->h[layer], t, w->H) : NULL;
}

const double *rnl_walk_head_input(const rnl_walk *w, int t) { return t >= 0 && t < w->T ? row(w->feat, t, w->H) : NULL; }

static rnl_status check_at(const rnl_walk *w, int layer, int t) {
    if (layer < 0 || layer >= w->L) return rnl_fail(RNL_ERR_ARG, "walk: layer %d is outside 0..%d", layer, w->L - 1);
    if (t < 0 || t >= w->T) return rnl_fail(RNL_ERR_ARG, "walk: step %d is outside 0..%d", t, w->T - 1);
    return RNL_OK;
}

rnl_status rnl_walk_unit(const rnl_walk *w, int layer, int t, int unit, rnl_unit_step *u) {
    rnl_status st = check_at(w, layer, t);
    if (st) return st;
    if (unit < 0 || unit >= w->H) return rnl_fail(RNL_ERR_ARG, "walk: unit %d is outside 0..%d", unit, w->H - 1);
    const int H = w->H, GH = w->G * H;
    memset(u, 0, sizeof *u);
    u->gates = w->G;
    for (int k = 0; k < w->G; k++) {
        size_t at = (size_t)t * GH + (size_t)k * H + unit;
        u->x_part[k] = w->xp[layer][at];
        u->h_part[k] = w->hp[layer][at];
        u->pre[k] = w->pre[layer][at];
        u->gate[k] = w->gate[layer][at];
    }
    u->h = w->h[layer][(size_t)t * H + unit];
    u->h_prev = t ? w->h[layer][(size_t)(t - 1) * H + unit] : 0;
    if (w->cell == RNL_CELL_LSTM) {
        u->c = w->c[layer][(size_t)t * H + unit];
        u->c_prev = t ? w->c[layer][(size_t)(t - 1) * H + unit] : 0;
    }
    u->x_norm = layer ? norm(row(w->h[layer - 1], t, H), H) : norm(row(w->x0, t, w->in0), w->in0);
    u->h_prev_norm = t ? norm(row(w->h[layer], t - 1, H), H) : 0;
    if (w->has_back) {
        u->dh = w->dh[layer][(size_t)t * H + unit];
        if (w->cell == RNL_CELL_LSTM) u->dc = w->dc[layer][(size_t)t * H + unit];
    }
    return RNL_OK;
}

static rnl_status check_back(const rnl_walk *w) {
    if (!w->has_back) return rnl_fail(RNL_ERR_ARG, "walk: no backward pass (a sequence-to-sequence model has no one loss to follow back)");
    return RNL_OK;
}

rnl_status rnl_walk_paths(const rnl_walk *w, int layer, int t, rnl_grad_paths *g) {
    rnl_status st = check_at(w, layer, t);
    if (st || (st = check_back(w))) return st;
    const int H = w->H;
    memset(g, 0, sizeof *g);
    g->grad_h = norm(row(w->dh[layer], t, H), H);
    g->to_prev_h = norm(row(w->tr[layer], t, H), H);
    switch (w->cell) {
    case RNL_CELL_RNN:
        g->n_paths = 1, g->names[0] = "W_hh";
        break;
    case RNL_CELL_LSTM:
        g->grad_c = norm(row(w->dc[layer], t, H), H);
        g->n_paths = 2, g->names[0] = "cell", g->names[1] = "gates";
        break;
    case RNL_CELL_GRU:
        g->n_paths = 2, g->names[0] = "direct", g->names[1] = "gates";
        break;
    }
    g->norms[0] = norm(row(w->p0[layer], t, H), H);
    if (g->n_paths == 2) g->norms[1] = norm(row(w->p1[layer], t, H), H);
    return RNL_OK;
}

rnl_status rnl_walk_grad_vector(const rnl_walk *w, int layer, int t, int which, double *out) {
    rnl_status st = check_at(w, layer, t);
    if (st || (st = check_back(w))) return st;
    const double *src[5] = {w->dh[layer], w->dc[layer], w->tr[layer], w->p0[layer], w->p1[layer]};
    if (which < 0 || which > 4) return rnl_fail(RNL_ERR_ARG, "walk: gradient vector %d is outside 0..4", which);
    memcpy(out, row(src[which], t, w->H), sizeof(double) * w->H);
    return RNL_OK;
}

rnl_status rnl_walk_input_grad(const rnl_walk *w, int t, double *out) {
    rnl_status st = check_at(w, 0, t);
    if (st || (st = check_back(w))) return st;
    memcpy(out, row(w->dx0, t, w->in0), sizeof(double) * w->in0);
    return RNL_OK;
}

// --- PCA --------------------------------------------------------------------------------------------

// The sign rule (rnnlab_inspect.h): the entry of largest magnitude is positive, the first on a tie.
static void fix_sign(double *v, int n) {
    int arg = 0;
    for (int i = 1; i < n; i++)
        if (fabs(v[i]) > fabs(v[arg])) arg = i;
    if (v[arg] < 0)
        for (int i = 0; i < n; i++) v[i] = -v[i];
}

// Cyclic Jacobi: rotations J^T A J, each zeroing one off-diagonal pair, until the off-diagonal mass is
// negligible against the whole; V accumulates the rotations, its columns the eigenvectors. Exact to
// rounding for the symmetric matrices PCA makes, and short: no tridiagonalisation, no shifts.
rnl_status rnl_sym_eigen(double *vals, double *vecs, double *A, int n) {
    if (n < 1 || n > RNL_PCA_MAX_DIM) return rnl_fail(RNL_ERR_ARG, "eigen: size %d is outside 1..%d", n, RNL_PCA_MAX_DIM);
    double *V = malloc(sizeof(double) * (size_t)n * n);
    int *order = malloc(sizeof(int) * n);
    if (!V || !order) {
        free(V), free(order);
        return rnl_fail(RNL_ERR_NOMEM, "eigen: out of memory");
    }
    for (size_t i = 0; i < (size_t)n * n; i++) V[i] = 0;
    for (int i = 0; i < n; i++) V[(size_t)i * n + i] = 1;
    double total = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) total += A[i] * A[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += A[(size_t)p * n + q] * A[(size_t)p * n + q];
        if (off <= 1e-30 * total || off == 0) break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = A[(size_t)p * n + q];
                if (apq == 0) continue;
                double theta = (A[(size_t)q * n + q] - A[(size_t)p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {  // columns p, q of A and of V
                    double akp = A[(size_t)k * n + p], akq = A[(size_t)k * n + q];
                    A[(size_t)k * n + p] = c * akp - s * akq, A[(size_t)k * n + q] = s * akp + c * akq;
                    double vkp = V[(size_t)k * n + p], vkq = V[(size_t)k * n + q];
                    V[(size_t)k * n + p] = c * vkp - s * vkq, V[(size_t)k * n + q] = s * vkp + c * vkq;
                }
                for (int k = 0; k < n; k++) {  // rows p, q of A
                    double apk = A[(size_t)p * n + k], aqk = A[(size_t)q * n + k];
                    A[(size_t)p * n + k] = c * apk - s * aqk, A[(size_t)q * n + k] = s * apk + c * aqk;
                }
            }
    }
    // Falling eigenvalues (a stable insertion sort: equal values keep their order).
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && A[(size_t)order[j - 1] * n + order[j - 1]] < A[(size_t)i * n + i]) order[j] = order[j - 1], j--;
        order[j] = i;
    }
    for (int r = 0; r < n; r++) {
        int k = order[r];
        vals[r] = A[(size_t)k * n + k];
        for (int i = 0; i < n; i++) vecs[(size_t)r * n + i] = V[(size_t)i * n + k];
        fix_sign(vecs + (size_t)r * n, n);
    }
    free(V), free(order);
    return RNL_OK;
}

void rnl_pca_free(rnl_pca *p) {
    if (!p) return;
    free(p->mean);
    memset(p, 0, sizeof *p);
}

rnl_status rnl_pca_fit_cov(rnl_pca *p, const double *cov, const double *mean, int dim, int k) {
    memset(p, 0, sizeof *p);
    if (dim < 1 || dim > RNL_PCA_MAX_DIM) return rnl_fail(RNL_ERR_ARG, "pca: width %d is outside 1..%d", dim, RNL_PCA_MAX_DIM);
    if (k < 1 || k > dim) return rnl_fail(RNL_ERR_ARG, "pca: %d axes asked of a width of %d", k, dim);
    size_t d = (size_t)dim;
    // What the result keeps (mean, axes, var) in one block; the solver's copy and output apart.
    double *blk = calloc(d + (size_t)k * d + k, sizeof(double)), *C = malloc(sizeof(double) * (2 * d * d + d));
    if (!blk || !C) {
        free(blk), free(C);
        return rnl_fail(RNL_ERR_NOMEM, "pca: out of memory for a width of %d", dim);
    }
    p->mean = blk, p->axes = blk + d, p->var = p->axes + (size_t)k * d, p->dim = dim, p->k = k;
    double *vecs = C + d * d, *vals = vecs + d * d;
    memcpy(p->mean, mean, sizeof(double) * d);
    memcpy(C, cov, sizeof(double) * d * d);
    for (size_t a = 0; a < d; a++) p->total_var += C[a * d + a];
    rnl_status st = rnl_sym_eigen(vals, vecs, C, dim);
    for (int r = 0; r < k && !st; r++) {
        p->var[r] = vals[r] > 0 ? vals[r] : 0;
        memcpy(p->axes + (size_t)r * d, vecs + (size_t)r * d, sizeof(double) * d);
    }
    free(C);
    if (st) rnl_pca_free(p);
    return st;
}

// Mean and covariance (n - 1 in the denominator, as numpy's cov), then the fit.
rnl_status rnl_pca_fit_f64(rnl_pca *p, const double *X, int n, int dim, int ldx, int k) {
    memset(p, 0, sizeof *p);
    if (n < 2) return rnl_fail(RNL_ERR_ARG, "pca: needs at least 2 rows, got %d", n);
    if (dim < 1 || dim > RNL_PCA_MAX_DIM) return rnl_fail(RNL_ERR_ARG, "pca: width %d is outside 1..%d", dim, RNL_PCA_MAX_DIM);
    if (ldx < dim) return rnl_fail(RNL_ERR_ARG, "pca: rows %d apart, narrower than the width %d", ldx, dim);
    size_t d = (size_t)dim;
    double *mean = calloc(d * d + 2 * d, sizeof(double));
    if (!mean) return rnl_fail(RNL_ERR_NOMEM, "pca: out of memory for a width of %d", dim);
    double *C = mean + d, *cen = C + d * d;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += X[(size_t)i * ldx + j];
    for (size_t j = 0; j < d; j++) mean[j] /= n;
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) cen[j] = X[(size_t)i * ldx + j] - mean[j];
        for (size_t a = 0; a < d; a++)
            for (size_t b = a; b < d; b++) C[a * d + b] += cen[a] * cen[b];
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++) C[b * d + a] = C[a * d + b] /= (n - 1);
    rnl_status st = rnl_pca_fit_cov(p, C, mean, dim, k);
    free(mean);
    return st;
}

// Float rows (a model's states) are widened first: one fit, in double.
rnl_status rnl_pca_fit(rnl_pca *out, const rnl_real *X, int n, int dim, int ldx, int k) {
    memset(out, 0, sizeof *out);
    if (n < 2 || dim < 1 || ldx < dim) return rnl_pca_fit_f64(out, NULL, n, dim, ldx, k);  // its message
    double *x = malloc(sizeof(double) * (size_t)n * dim);
    if (!x) return rnl_fail(RNL_ERR_NOMEM, "pca: out of memory for %d rows", n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++) x[(size_t)i * dim + j] = X[(size_t)i * ldx + j];
    rnl_status st = rnl_pca_fit_f64(out, x, n, dim, dim, k);
    free(x);
    return st;
}

void rnl_pca_project(const rnl_pca *p, const double *x, double *out) {
    for (int r = 0; r < p->k; r++) {
        double s = 0;
        const double *a = p->axes + (size_t)r * p->dim;
        for (int j = 0; j < p->dim; j++) s += a[j] * (x[j] - p->mean[j]);
        out[r] = s;
    }
}

// --- Hidden states of a batch -----------------------------------------------------------------------

rnl_status rnl_walk_pca(rnl_pca *out, const rnl_walk *w) {
    const int top = w->L - 1;
    return rnl_pca_fit_f64(out, w->h[top], w->T, w->H, w->H, 2);  // (T, H), time order
}

rnl_status rnl_state_space_fit(rnl_pca *out, rnl_model *m, const rnl_batch *b) {
    const rnl_config *c = rnl_model_config(m);
    int D = c->hidden * (c->bidirectional ? 2 : 1);
    memset(out, 0, sizeof *out);
    rnl_status st = rnl_model_forward(m, b, NULL);
    if (st) return st;
    size_t rows = 0;
    for (int i = 0; i < b->B; i++) rows += (size_t)(b->lengths ? b->lengths[i] : b->T);
    rnl_real *X = malloc(sizeof(rnl_real) * rows * D);
    if (!X) return rnl_fail(RNL_ERR_NOMEM, "state space: out of memory for %zu states", rows);
    size_t at = 0;
    for (int i = 0; i < b->B; i++) {
        int steps;
        rnl_model_states(m, c->layers - 1, i, X + at * D, &steps);
        at += (size_t)steps;
    }
    st = rows > (size_t)INT32_MAX ? rnl_fail(RNL_ERR_ARG, "state space: too many states") : rnl_pca_fit(out, X, (int)rows, D, D, 2);
    free(X);
    return st;
}

// --- Word map ---------------------------------------------------------------------------------------

static double abs_corr(const double *x, int xs, const double *y, int n) {
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) mx += x[(size_t)i * xs], my += y[i];
    mx /= n, my /= n;
    for (int i = 0; i < n; i++) {
        double a = x[(size_t)i * xs] - mx, b = y[i] - my;
        sxy += a * b, sxx += a * a, syy += b * b;
    }
    return sxx > 0 && syy > 0 ? fabs(sxy) / sqrt(sxx * syy) : 0;
}

static rnl_status check_text_binary(const rnl_model *m, const char *what) {
    const rnl_config *c = rnl_model_config(m);
    if (c->vocab <= 0) return rnl_fail(RNL_ERR_ARG, "%s: the model has no vocabulary (it reads real-valued inputs)", what);
    return RNL_OK;
}

void rnl_word_map_free(rnl_word_map *w) {
    if (!w) return;
    free(w->ids), free(w->pca);
    memset(w, 0, sizeof *w);
}

rnl_status rnl_word_map_build(rnl_word_map *wm, const rnl_model *m, int n) {
    const rnl_config *c = rnl_model_config(m);
    rnl_status st;
    memset(wm, 0, sizeof *wm);
    if ((st = check_text_binary(m, "word map")) || (st = check_walkable(m))) return st;
    if (c->head != RNL_HEAD_BINARY || c->seq2seq)
        return rnl_fail(RNL_ERR_ARG, "word map: colours words by P(positive): needs a binary sequence-to-one model");
    if (n < 2 || n > c->vocab - 2)
        return rnl_fail(RNL_ERR_ARG, "word map: %d words asked, the vocabulary has %d (besides <pad> and <unk>), at least 2 needed", n,
                        c->vocab - 2);
    const int E = c->embed;
    wm->n = n;
    wm->ids = malloc(sizeof(int32_t) * n);
    wm->pca = calloc((size_t)n * 6 + 3 * (size_t)E, sizeof(double));
    if (!wm->ids || !wm->pca) {
        rnl_word_map_free(wm);
        return rnl_fail(RNL_ERR_NOMEM, "word map: out of memory");
    }
    wm->readout = wm->pca + 2 * (size_t)n, wm->effect = wm->readout + 2 * (size_t)n, wm->prob = wm->effect + n;
    double *mean = wm->prob + n, *x = mean + E, *dir = x + E;  // (E) each
    const rnl_real *Emb = tensor(m, "embedding.weight");
    for (int i = 0; i < n; i++) wm->ids[i] = 2 + i;
    // Each word alone: a one-step walk from the zero state.
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < E; k++) mean[k] += x[k] = Emb[(size_t)wm->ids[i] * E + k];
        rnl_walk *w;
        if ((st = walk_inputs(&w, m, x, 1, NULL))) {
            rnl_word_map_free(wm);
            return st;
        }
        wm->effect[i] = w->logit[0], wm->prob[i] = w->out[0];
        rnl_walk_destroy(w);
    }
    for (int k = 0; k < E; k++) mean[k] /= n;
    // The readout direction: d logit / d x at the mean embedding (seed dz = 1).
    rnl_walk *w = NULL;
    double one = 1;
    if ((st = walk_inputs(&w, m, mean, 1, &one))) {
        rnl_word_map_free(wm);
        return st;
    }
    double dn = norm(w->dx0, E);
    for (int k = 0; k < E; k++) dir[k] = dn > 0 ? w->dx0[k] / dn : 0;
    rnl_walk_destroy(w);
    rnl_pca p;
    if ((st = rnl_pca_fit(&p, Emb + 2 * (size_t)E, n, E, E, E >= 2 ? 2 : 1))) {
        rnl_word_map_free(wm);
        return st;
    }
    for (int i = 0; i < n; i++) {
        double xy[2] = {0, 0}, r = 0;
        for (int k = 0; k < E; k++) x[k] = Emb[(size_t)wm->ids[i] * E + k];
        rnl_pca_project(&p, x, xy);
        for (int k = 0; k < E; k++) r += dir[k] * (x[k] - p.mean[k]);
        wm->pca[2 * i] = xy[0], wm->pca[2 * i + 1] = xy[1];
        wm->readout[2 * i] = r, wm->readout[2 * i + 1] = xy[0];
    }
    rnl_pca_free(&p);
    wm->sep_pca = abs_corr(wm->pca, 2, wm->effect, n);
    wm->sep_readout = abs_corr(wm->readout, 2, wm->effect, n);
    wm->best = wm->sep_readout > wm->sep_pca ? RNL_WORDMAP_READOUT : RNL_WORDMAP_PCA;
    return RNL_OK;
}

void rnl_word_map_against(const rnl_word_map *wm, const double *polarity, double *sep_pca, double *sep_readout) {
    *sep_pca = abs_corr(wm->pca, 2, polarity, wm->n);
    *sep_readout = abs_corr(wm->readout, 2, polarity, wm->n);
}

rnl_status rnl_nearest_words(int32_t *ids, double *cos, int *found, const rnl_model *m, int32_t id, int k) {
    const rnl_config *c = rnl_model_config(m);
    rnl_status st = check_text_binary(m, "neighbours");
    *found = 0;
    if (st) return st;
    if (id < 2 || id >= c->vocab) return rnl_fail(RNL_ERR_ARG, "neighbours: word id %d is outside 2..%d", (int)id, c->vocab - 1);
    if (k < 1 || k > 1000) return rnl_fail(RNL_ERR_ARG, "neighbours: %d asked, must be in 1..1000", k);
    const int E = c->embed;
    const rnl_real *Emb = tensor(m, "embedding.weight"), *q = Emb + (size_t)id * E;
    double qn = 0;
    for (int j = 0; j < E; j++) qn += (double)q[j] * q[j];
    qn = sqrt(qn);
    int n = 0;
    for (int32_t v = 2; v < c->vocab; v++) {
        if (v == id) continue;
        const rnl_real *e = Emb + (size_t)v * E;
        double dot = 0, en = 0;
        for (int j = 0; j < E; j++) dot += (double)q[j] * e[j], en += (double)e[j] * e[j];
        double s = qn > 0 && en > 0 ? dot / (qn * sqrt(en)) : 0;
        // Keep the k best, falling (insertion: ties keep the lower id first).
        if (n == k && s <= cos[k - 1]) continue;
        int i = n < k ? n++ : k - 1;
        while (i > 0 && cos[i - 1] < s) cos[i] = cos[i - 1], ids[i] = ids[i - 1], i--;
        cos[i] = s, ids[i] = v;
    }
    *found = n;
    return RNL_OK;
}
