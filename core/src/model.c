// model.c: a whole model: embedding (or dense input) -> stacked, optionally bidirectional recurrent
// layers -> linear head, with its loss. Parameters live in one block laid out exactly like PyTorch's
// state_dict (docs/checkpoint-format.md); gradients in a second block of the same layout. Both, the
// tensor table, the meta bytes and the work memory are the model base's (model_base.h).
//
// A forward pass sorts the batch by length (stable, longest first) and turns it time-major; every
// buffer below is in that sorted order, and predictions are scattered back to the caller's order.
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "kernels.h"
#include "model_base.h"

struct rnl_model {
    rnl_base base;  // first: parameters, gradients, tensor table, meta, work memory (model_base.h)
    rnl_config cfg;
    // Offsets into the parameter block.
    size_t off_emb;
    size_t off_w_ih[RNL_MAX_LAYERS][2], off_w_hh[RNL_MAX_LAYERS][2], off_b_ih[RNL_MAX_LAYERS][2], off_b_hh[RNL_MAX_LAYERS][2];
    size_t off_head_w, off_head_b;
    int in0;    // width of layer 0's input: embed or input_size
    int ndir;   // 1 or 2
    int D;      // ndir * hidden: width of every layer's output

    // The last forward's batch; the buffers below are carved from base.ws for (B, T) = base.cap.
    int B, T, has_targets, valid;
    int *order;          // (B) sorted row -> caller's row
    int *len;            // (B) sorted lengths
    int32_t *tokens;     // (T, B) sorted, time-major
    rnl_real *x0;        // (T, B, in0) layer 0 input
    rnl_real *y[RNL_MAX_LAYERS];                 // (T, B, D) layer outputs
    rnl_real *gates[RNL_MAX_LAYERS][2];          // (T, B, G*H)
    rnl_real *aux[RNL_MAX_LAYERS][2];            // (T, B, H)
    rnl_real *feat;      // (B, D) sequence-to-one features: what the head reads (cfg.pool), before its mask
    int32_t *pool_arg;   // (B, D) max pool: the step each feature came from (carved only for RNL_POOLING_MAX)
    rnl_real *logits;    // (B, O) or (T, B, O)
    rnl_real *dlogits;   // same
    rnl_real *targets;   // (B, O') or (T, B, O') sorted; O' = O for regression, else 1
    rnl_real *preds;     // caller's order: (B, O) or (B, T, O)
    rnl_real *dy[2];     // (T, B, max(D, in0)) ping-pong gradient buffers
    // Dropout (carved only when cfg.dropout > 0): yd[l] is y[l] with the masks of site l + 1 applied,
    // the input of layer l + 1 (l < layers - 1) or, seq2seq, the head's input (l = layers - 1); y[l] itself
    // stays as the cells' backward needs it. The masks are recomputed in backward (dropout.c).
    int drop;            // 1 if the last forward dropped (a training step's) ...
    uint64_t drop_step;  // ... with the masks of this optimizer step, which its backward recomputes
    rnl_real *yd[RNL_MAX_LAYERS];                // (T, B, D)
    rnl_real *dfeat;     // (D) one row's dL/d(head input), before its mask (carved with dropout or a pool)
    rnl_layer_scratch scratch;
    double accuracy;
    int loss_count;      // items the loss averages over

    // Introspection.
    int trace_sample;    // caller's row, or -1
    int trace_steps;
    rnl_real *trace_gates[RNL_MAX_LAYERS][2];   // (T, G*H)
    rnl_real *trace_state[RNL_MAX_LAYERS][2];   // (T, H)
    rnl_real *trace_gn[RNL_MAX_LAYERS][2];      // (T)
    int trace_has_gn;
    int trace_T;         // steps of trace_gn: the traced backward's T
};

static const rnl_kind model_kind;  // at the end of the file

// --- Parameter layout ---------------------------------------------------------------------------

static int layer_in(const rnl_config *c, int l) {
    if (l > 0) return c->hidden * (c->bidirectional ? 2 : 1);
    return c->vocab > 0 ? c->embed : c->input_size;
}

// Counted in 64 bits in every build (rnl_mul_u64); UINT64_MAX if even 64 bits overflow (only a corrupt,
// unvalidated config gets there).

uint64_t rnl_config_num_params64(const rnl_config *c) {
    int ok = 1;
    uint64_t n = 0, G = (uint64_t)rnl_cell_gates(c->cell), H = (uint64_t)(c->hidden > 0 ? c->hidden : 0);
    if (c->vocab > 0 && c->embed > 0) n = rnl_mul_u64((uint64_t)c->vocab, (uint64_t)c->embed, &ok);
    int ndir = c->bidirectional ? 2 : 1;
    for (int l = 0; l < c->layers && l < RNL_MAX_LAYERS; l++) {
        int in = layer_in(c, l);
        if (in < 0) return 0;
        uint64_t per = rnl_mul_u64(G * H, (uint64_t)in + H + 2, &ok);
        n = rnl_add_u64(n, rnl_mul_u64(per, (uint64_t)ndir, &ok), &ok);
    }
    uint64_t D = H * (uint64_t)ndir, O = (uint64_t)(c->outputs > 0 ? c->outputs : 0);
    n = rnl_add_u64(n, rnl_mul_u64(O, D + 1, &ok), &ok);
    return ok ? n : UINT64_MAX;
}

size_t rnl_config_num_params(const rnl_config *c) {
    uint64_t n = rnl_config_num_params64(c);
    return n > SIZE_MAX || n == UINT64_MAX ? 0 : (size_t)n;
}

// The tensors in PyTorch's state_dict order (docs/checkpoint-format.md).
static void build_layout(rnl_model *m) {
    const rnl_config *c = &m->cfg;
    rnl_base *b = &m->base;
    int GH = rnl_cell_gates(c->cell) * c->hidden;
    if (c->vocab > 0) m->off_emb = rnl_base_add_tensor(b, c->vocab, c->embed, "embedding.weight");
    for (int l = 0; l < c->layers; l++) {
        for (int d = 0; d < m->ndir; d++) {
            const char *sfx = d ? "_reverse" : "";
            m->off_w_ih[l][d] = rnl_base_add_tensor(b, GH, layer_in(c, l), "rnn.weight_ih_l%d%s", l, sfx);
            m->off_w_hh[l][d] = rnl_base_add_tensor(b, GH, c->hidden, "rnn.weight_hh_l%d%s", l, sfx);
            m->off_b_ih[l][d] = rnl_base_add_tensor(b, GH, 1, "rnn.bias_ih_l%d%s", l, sfx);
            m->off_b_hh[l][d] = rnl_base_add_tensor(b, GH, 1, "rnn.bias_hh_l%d%s", l, sfx);
        }
    }
    m->off_head_w = rnl_base_add_tensor(b, c->outputs, m->D, "head.weight");
    m->off_head_b = rnl_base_add_tensor(b, c->outputs, 1, "head.bias");
}

// --- Initialisation -----------------------------------------------------------------------------

void rnl_init_uniform(rnl_real *w, size_t n, double limit, rnl_rng *r) {
    for (size_t i = 0; i < n; i++) w[i] = (rnl_real)((2 * rnl_rng_uniform(r) - 1) * limit);
}

// An (n, n) orthogonal matrix: QR of a Gaussian matrix by modified Gram-Schmidt in double, with the
// signs fixed by R's diagonal so that the result is uniformly distributed (Mezzadri 2007).
static int init_orthogonal(rnl_real *w, int n, rnl_rng *r) {
    double *q = malloc(sizeof(double) * (size_t)n * n);
    if (!q) return 0;
    for (size_t i = 0; i < (size_t)n * n; i++) q[i] = rnl_rng_normal(r);
    // Columns of q are orthonormalised in turn; q is row-major (n, n), column j is q[i*n + j].
    for (int j = 0; j < n; j++) {
        for (int k = 0; k < j; k++) {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += q[i * n + k] * q[i * n + j];
            for (int i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + k];
        }
        double norm = 0;
        for (int i = 0; i < n; i++) norm += q[i * n + j] * q[i * n + j];
        norm = sqrt(norm);
        if (norm < 1e-12) norm = 1e-12;
        // R's diagonal is +norm: Gram-Schmidt already yields the sign-fixed Q.
        for (int i = 0; i < n; i++) q[i * n + j] /= norm;
    }
    for (size_t i = 0; i < (size_t)n * n; i++) w[i] = (rnl_real)q[i];
    free(q);
    return 1;
}

int rnl_init_recurrent(rnl_real *p, size_t w_ih, size_t w_hh, size_t b_ih, rnl_cell cell, int in, int H,
                       float forget_bias, rnl_rng *rng) {
    int G = rnl_cell_gates(cell);
    // Glorot/Xavier uniform per gate block: fan_in = in, fan_out = H.
    rnl_init_uniform(p + w_ih, (size_t)G * H * in, sqrt(6.0 / (in + H)), rng);
    for (int k = 0; k < G; k++)
        if (!init_orthogonal(p + w_hh + (size_t)k * H * H, H, rng)) return 0;
    if (cell == RNL_CELL_LSTM)
        for (int j = 0; j < H; j++) p[b_ih + H + j] = (rnl_real)forget_bias;
    return 1;
}

static rnl_status init_params(rnl_model *m, uint64_t seed) {
    const rnl_config *c = &m->cfg;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_real *p = m->base.params;
    memset(p, 0, sizeof(rnl_real) * m->base.n_params);
    if (c->vocab > 0) rnl_init_uniform(p + m->off_emb, (size_t)c->vocab * c->embed, 0.05, &rng);
    for (int l = 0; l < c->layers; l++)
        for (int d = 0; d < m->ndir; d++)
            if (!rnl_init_recurrent(p, m->off_w_ih[l][d], m->off_w_hh[l][d], m->off_b_ih[l][d], c->cell, layer_in(c, l),
                                    c->hidden, c->forget_bias, &rng))
                return rnl_fail(RNL_ERR_NOMEM, "model: out of memory initialising recurrent weights");
    rnl_init_uniform(p + m->off_head_w, (size_t)c->outputs * m->D, sqrt(6.0 / (m->D + c->outputs)), &rng);
    return RNL_OK;
}

rnl_status rnl_model_create(rnl_model **out, const rnl_config *cfg, uint64_t seed) {
    rnl_status st;
    *out = NULL;
    if ((st = rnl_config_validate(cfg))) return st;
    rnl_model *m = calloc(1, sizeof *m);
    if (!m) return rnl_fail(RNL_ERR_NOMEM, "model: out of memory");
    if ((st = rnl_base_init(&m->base, &model_kind, RNL_MAX_TENSORS))) {
        free(m);
        return st;
    }
    m->cfg = *cfg;
    m->ndir = cfg->bidirectional ? 2 : 1;
    m->D = m->ndir * cfg->hidden;
    m->in0 = layer_in(cfg, 0);
    m->trace_sample = -1;
    build_layout(m);
    if ((st = rnl_base_alloc_params(&m->base)) || (st = init_params(m, seed))) {
        rnl_model_destroy(m);
        return st;
    }
    *out = m;
    return RNL_OK;
}

void rnl_model_destroy(rnl_model *m) {
    if (!m) return;
    rnl_base_free(&m->base);
    free(m);
}

rnl_status rnl_model_set_meta(rnl_model *m, const uint8_t *bytes, size_t n) { return rnl_base_set_meta(&m->base, bytes, n); }

const uint8_t *rnl_model_meta(const rnl_model *m, size_t *n) {
    if (n) *n = m->base.meta_n;
    return m->base.meta;
}

rnl_status rnl_model_history_append(rnl_model *m, const rnl_history_point *p) { return rnl_base_history_append(&m->base, p); }

const rnl_history_point *rnl_model_history(const rnl_model *m, size_t *n) {
    if (n) *n = m->base.history_n;
    return m->base.history_n ? m->base.history : NULL;
}

void rnl_model_history_clear(rnl_model *m) { m->base.history_n = 0; }

void rnl_model_history_heldout(rnl_model *m, double loss, double accuracy) {
    if (!m->base.history_n) return;
    m->base.history[m->base.history_n - 1].val_loss = (float)loss;
    m->base.history[m->base.history_n - 1].val_accuracy = (float)accuracy;
}

const rnl_config *rnl_model_config(const rnl_model *m) { return &m->cfg; }
size_t rnl_model_num_params(const rnl_model *m) { return m->base.n_params; }
rnl_real *rnl_model_params(rnl_model *m) { return m->base.params; }
rnl_real *rnl_model_grads(rnl_model *m) { return m->base.grads; }
int rnl_model_num_tensors(const rnl_model *m) { return m->base.n_tensors; }
const rnl_tensor_info *rnl_model_tensor(const rnl_model *m, int i) { return rnl_base_tensor(&m->base, i); }
void rnl_model_zero_grad(rnl_model *m) { rnl_base_zero_grad(&m->base); }
const rnl_real *rnl_model_predictions(const rnl_model *m) { return m->valid ? m->preds : NULL; }

// --- Workspace ----------------------------------------------------------------------------------

// Every buffer of a batch of shape (B, T), in rnl_model's order (the figure tests/js/limits.test.mjs checks).
static void layout_workspace(rnl_base *base, rnl_carver *cv, const int *shape) {
    rnl_model *m = (rnl_model *)base;
    const rnl_config *c = &m->cfg;
    const int B = shape[0], T = shape[1];
    int ndir = c->bidirectional ? 2 : 1, H = c->hidden, D = ndir * H, GH = rnl_cell_gates(c->cell) * H;
    int in0 = layer_in(c, 0), O = c->outputs, wide = D > in0 ? D : in0;
    size_t TB = (size_t)T * B;
    size_t steps_out = c->seq2seq ? TB : (size_t)B;
    m->order = rnl_carve(cv, B, sizeof(int));
    m->len = rnl_carve(cv, B, sizeof(int));
    m->tokens = rnl_carve(cv, TB, sizeof(int32_t));
    m->x0 = rnl_carve(cv, TB * in0, sizeof(rnl_real));
    for (int l = 0; l < c->layers; l++) {
        m->y[l] = rnl_carve(cv, TB * D, sizeof(rnl_real));
        for (int d = 0; d < ndir; d++) {
            m->gates[l][d] = rnl_carve(cv, TB * GH, sizeof(rnl_real));
            m->aux[l][d] = rnl_cell_info_of(c->cell)->extra_state ? rnl_carve(cv, TB * H, sizeof(rnl_real)) : NULL;
        }
    }
    m->feat = rnl_carve(cv, (size_t)B * D, sizeof(rnl_real));
    m->pool_arg = c->pool == RNL_POOLING_MAX ? rnl_carve(cv, (size_t)B * D, sizeof(int32_t)) : NULL;
    m->logits = rnl_carve(cv, steps_out * O, sizeof(rnl_real));
    m->dlogits = rnl_carve(cv, steps_out * O, sizeof(rnl_real));
    m->targets = rnl_carve(cv, steps_out * O, sizeof(rnl_real));
    m->preds = rnl_carve(cv, steps_out * O, sizeof(rnl_real));
    m->dy[0] = rnl_carve(cv, TB * wide, sizeof(rnl_real));
    m->dy[1] = rnl_carve(cv, TB * wide, sizeof(rnl_real));
    for (int l = 0; l < c->layers; l++)
        m->yd[l] = c->dropout > 0 && (l < c->layers - 1 || c->seq2seq) ? rnl_carve(cv, TB * D, sizeof(rnl_real)) : NULL;
    m->dfeat = c->dropout > 0 || c->pool != RNL_POOLING_LAST ? rnl_carve(cv, (size_t)D, sizeof(rnl_real)) : NULL;
    m->scratch.hprev = rnl_carve(cv, (size_t)B * H, sizeof(rnl_real));
    m->scratch.cprev = rnl_carve(cv, (size_t)B * H, sizeof(rnl_real));
    m->scratch.dh = rnl_carve(cv, (size_t)B * H, sizeof(rnl_real));
    m->scratch.dc = rnl_carve(cv, (size_t)B * H, sizeof(rnl_real));
    m->scratch.hp = rnl_carve(cv, (size_t)B * GH, sizeof(rnl_real));
    m->scratch.dhh = rnl_carve(cv, (size_t)B * GH, sizeof(rnl_real));
    m->scratch.dg = rnl_carve(cv, TB * GH, sizeof(rnl_real));
    for (int l = 0; l < c->layers; l++)
        for (int d = 0; d < ndir; d++) {
            m->trace_gates[l][d] = rnl_carve(cv, (size_t)T * GH, sizeof(rnl_real));
            m->trace_state[l][d] = rnl_carve(cv, (size_t)T * H, sizeof(rnl_real));
            m->trace_gn[l][d] = rnl_carve(cv, (size_t)T, sizeof(rnl_real));
        }
}

size_t rnl_model_workspace_bytes(const rnl_config *cfg, int B, int T) {
    if (B < 1 || T < 1 || rnl_config_validate(cfg) != RNL_OK) return 0;
    rnl_model scratch;
    scratch.base.kind = &model_kind;
    scratch.cfg = *cfg;
    return rnl_base_workspace_bytes(&scratch.base, (int[]){B, T});
}

// --- Dropout ------------------------------------------------------------------------------------

void rnl_model_set_dropout_step(rnl_model *m, long step) { m->base.dropout_step = step > 0 ? step : 0; }

// x (T, B, w) with rows ld apart, time-major in sorted order: every real step of every row times its mask at
// `site` (the caller's row, so a mask does not depend on the sort). Forward applies it to activations,
// backward to their gradients.
static void apply_masks(const rnl_model *m, rnl_real *x, int ld, int w, int site) {
    const float p = m->cfg.dropout;
    const uint64_t step = m->drop_step;
    for (int t = 0; t < m->T; t++) {
        int nb = rnl_active_rows(m->len, m->B, t);
        for (int r = 0; r < nb; r++)
            rnl_dropout_apply(x + ((size_t)t * m->B + r) * ld, w, p, step, site, m->base.row0 + m->order[r], t);
    }
}

// --- Forward ------------------------------------------------------------------------------------

// The pooled head's input of one sequence: over its real steps t < len of y (rows ld apart, D wide),
// out[j] = the mean of y[t][j] (MEAN), or their max (MAX, with arg[j] = the first step that holds it).
// In double for the mean, so a long review's sum loses nothing before it is divided.
static void pool_row(rnl_real *out, int32_t *arg, rnl_pooling pool, const rnl_real *y, size_t ld, int len, int D) {
    if (pool == RNL_POOLING_MEAN) {
        for (int j = 0; j < D; j++) {
            double s = 0;
            for (int t = 0; t < len; t++) s += y[(size_t)t * ld + j];
            out[j] = (rnl_real)(s / len);
        }
        return;
    }
    for (int j = 0; j < D; j++) {
        rnl_real best = y[j];
        int at = 0;
        for (int t = 1; t < len; t++)
            if (y[(size_t)t * ld + j] > best) best = y[(size_t)t * ld + j], at = t;  // ties: the first step
        out[j] = best;
        arg[j] = at;
    }
}

// The backward of pool_row: dy (rows ld apart) += df spread as the pool read it: df / len at every real
// step (MEAN), or df[j] at step arg[j] (MAX).
static void pool_row_backward(rnl_real *dy, size_t ld, const rnl_real *df, const int32_t *arg, rnl_pooling pool, int len, int D) {
    if (pool == RNL_POOLING_MEAN) {
        for (int t = 0; t < len; t++)
            for (int j = 0; j < D; j++) dy[(size_t)t * ld + j] += df[j] / len;
        return;
    }
    for (int j = 0; j < D; j++) dy[(size_t)arg[j] * ld + j] += df[j];
}

static rnl_layer_desc layer_desc(const rnl_model *m, int l, int d) {
    rnl_layer_desc L;
    L.cell = m->cfg.cell;
    L.H = m->cfg.hidden;
    L.in = layer_in(&m->cfg, l);
    L.B = m->B;
    L.T = m->T;
    L.reverse = d;
    L.len = m->len;
    L.W_ih = m->base.params + m->off_w_ih[l][d];
    L.W_hh = m->base.params + m->off_w_hh[l][d];
    L.b_ih = m->base.params + m->off_b_ih[l][d];
    L.b_hh = m->base.params + m->off_b_hh[l][d];
    L.h0 = L.c0 = NULL;  // starts from zeros
    return L;
}

static rnl_layer_cache layer_cache(const rnl_model *m, int l, int d) {
    rnl_layer_cache c = {.gates = m->gates[l][d], .aux = m->aux[l][d], .h = m->y[l] + d * m->cfg.hidden, .ldh = m->D};
    return c;
}

rnl_status rnl_batch_check(const rnl_config *c, const rnl_batch *b, int need_targets) {
    if (!b) return rnl_fail(RNL_ERR_ARG, "batch: missing");
    if (b->B < 1 || b->B > RNL_MAX_BATCH) return rnl_fail(RNL_ERR_ARG, "batch: size %d is outside 1..%d", b->B, RNL_MAX_BATCH);
    if (b->T < 1 || b->T > RNL_MAX_STEPS) return rnl_fail(RNL_ERR_ARG, "batch: %d steps is outside 1..%d", b->T, RNL_MAX_STEPS);
    if (c->vocab > 0 && !b->tokens) return rnl_fail(RNL_ERR_ARG, "batch: the model reads token ids, but the batch has none");
    if (c->vocab == 0 && !b->inputs) return rnl_fail(RNL_ERR_ARG, "batch: the model reads real-valued inputs, but the batch has none");
    for (int i = 0; i < b->B; i++) {
        int len = b->lengths ? b->lengths[i] : b->T;
        if (len < 1 || len > b->T)
            return rnl_fail(RNL_ERR_ARG, "batch: sequence %d has length %d, must be in 1..%d", i, len, b->T);
        if (c->vocab > 0)
            for (int t = 0; t < len; t++) {
                int32_t tok = b->tokens[(size_t)i * b->T + t];
                if (tok < 0 || tok >= c->vocab)
                    return rnl_fail(RNL_ERR_ARG, "batch: sequence %d, step %d: token id %d is outside the vocabulary 0..%d",
                                    i, t, (int)tok, c->vocab - 1);
            }
    }
    if (need_targets) {
        if (!b->targets) return rnl_fail(RNL_ERR_ARG, "batch: no targets");
        int per = c->head == RNL_HEAD_REGRESSION ? c->outputs : 1;
        for (int i = 0; i < b->B; i++) {
            int len = b->lengths ? b->lengths[i] : b->T, steps = c->seq2seq ? len : 1;
            for (int t = 0; t < steps; t++)
                for (int k = 0; k < per; k++) {
                    size_t at = c->seq2seq ? ((size_t)i * b->T + t) * per + k : (size_t)i * per + k;
                    rnl_real y = b->targets[at];
                    if (!isfinite(y)) return rnl_fail(RNL_ERR_ARG, "batch: target of sequence %d is not a finite number", i);
                    if (c->head == RNL_HEAD_BINARY && (y < 0 || y > 1))
                        return rnl_fail(RNL_ERR_ARG, "batch: binary target of sequence %d is %g, must be in [0, 1]", i, (double)y);
                    if (c->head == RNL_HEAD_CLASSES && (y < 0 || y >= c->outputs || y != (int)y))  // range before the cast
                        return rnl_fail(RNL_ERR_ARG, "batch: class target of sequence %d is %g, must be an integer in 0..%d",
                                        i, (double)y, c->outputs - 1);
                }
        }
    }
    return RNL_OK;
}

double rnl_head_loss(const rnl_config *c, const rnl_real *z, const rnl_real *y, rnl_real *dz, rnl_real *pred, int *correct) {
    int O = c->outputs;
    switch (c->head) {
    case RNL_HEAD_BINARY: {
        rnl_real p = r_sigmoid(z[0]);
        pred[0] = p;
        if (!y) return 0;
        if (dz) dz[0] = p - y[0];
        *correct = (z[0] > 0) == (y[0] > (rnl_real)0.5);
        return rnl_loss_bce_logits(z, y, 1, NULL);
    }
    case RNL_HEAD_CLASSES: {
        rnl_real mx = z[0];
        int arg = 0;
        for (int k = 1; k < O; k++)
            if (z[k] > mx) mx = z[k], arg = k;
        double sum = 0;
        for (int k = 0; k < O; k++) sum += pred[k] = r_exp(z[k] - mx);
        for (int k = 0; k < O; k++) pred[k] = (rnl_real)(pred[k] / sum);
        if (!y) return 0;
        int cls = (int)y[0];
        if (dz)
            for (int k = 0; k < O; k++) dz[k] = pred[k] - (k == cls);
        *correct = arg == cls;
        return log(sum) + mx - z[cls];
    }
    case RNL_HEAD_REGRESSION: {
        double l = 0;
        for (int k = 0; k < O; k++) {
            pred[k] = z[k];
            if (!y) continue;
            rnl_real e = z[k] - y[k];
            if (dz) dz[k] = 2 * e;
            l += (double)e * e;
        }
        return l;  // divided by the element count by the caller
    }
    }
    return 0;
}

rnl_status rnl_model_forward(rnl_model *m, const rnl_batch *b, rnl_real *loss) {
    const rnl_config *c = &m->cfg;
    int need_targets = loss != NULL;
    rnl_status st = rnl_batch_check(c, b, need_targets);
    if (st) return st;
    if ((st = rnl_base_workspace(&m->base, (int[]){b->B, b->T}))) return st;
    m->valid = 0;
    const int B = b->B, H = c->hidden, D = m->D, O = c->outputs, in0 = m->in0;
    int T = b->T;
    m->B = B;
    m->T = T;
    m->has_targets = need_targets;

    rnl_sort_rows(b->lengths, B, T, m->order, m->len);
    m->T = T = m->len[0];  // steps past the longest sequence are all padding
    m->drop = c->dropout > 0 && m->base.dropout_step > 0;
    m->drop_step = (uint64_t)m->base.dropout_step;

    // Layer 0 input, time-major: embedding rows or the given features; zeros at padding.
    memset(m->x0, 0, sizeof(rnl_real) * (size_t)T * B * in0);
    for (int r = 0; r < B; r++) {
        int src = m->order[r];
        for (int t = 0; t < m->len[r]; t++) {
            rnl_real *dst = m->x0 + ((size_t)t * B + r) * in0;
            if (c->vocab > 0) {
                int32_t tok = b->tokens[(size_t)src * b->T + t];
                m->tokens[(size_t)t * B + r] = tok;
                memcpy(dst, m->base.params + m->off_emb + (size_t)tok * c->embed, sizeof(rnl_real) * in0);
            } else {
                memcpy(dst, b->inputs + ((size_t)src * b->T + t) * in0, sizeof(rnl_real) * in0);
            }
        }
    }

    if (m->drop && c->vocab > 0) apply_masks(m, m->x0, in0, in0, 0);  // the embedding output

    // Recurrent layers; with dropout, layer l + 1 reads yd[l], y[l] with the masks of site l + 1.
    const rnl_real *x = m->x0;
    int ldx = in0;
    for (int l = 0; l < c->layers; l++) {
        memset(m->y[l], 0, sizeof(rnl_real) * (size_t)T * B * D);
        for (int d = 0; d < m->ndir; d++) {
            rnl_layer_desc L = layer_desc(m, l, d);
            rnl_layer_cache cc = layer_cache(m, l, d);
            rnl_layer_forward(&L, &cc, &m->scratch, x, ldx);
        }
        x = m->y[l];
        ldx = D;
        if (m->drop && m->yd[l]) {
            memcpy(m->yd[l], m->y[l], sizeof(rnl_real) * (size_t)T * B * D);
            apply_masks(m, m->yd[l], D, D, l + 1);
            x = m->yd[l];
        }
    }
    // What the head reads: the top layer's outputs (seq2seq: with dropout, their masked copy).
    const rnl_real *ytop = m->drop && c->seq2seq ? m->yd[c->layers - 1] : m->y[c->layers - 1];

    // Head and loss.
    const rnl_real *W = m->base.params + m->off_head_w, *bias = m->base.params + m->off_head_b;
    int per = c->head == RNL_HEAD_REGRESSION ? O : 1;
    double total = 0;
    int correct = 0, count = 0;
    if (!c->seq2seq) {
        for (int r = 0; r < B; r++) {
            if (c->pool == RNL_POOLING_LAST) {
                // Forward direction: its state at the last real step; reverse: its state at t = 0.
                memcpy(m->feat + (size_t)r * D, ytop + ((size_t)(m->len[r] - 1) * B + r) * D, sizeof(rnl_real) * H);
                if (m->ndir == 2) memcpy(m->feat + (size_t)r * D + H, ytop + (size_t)r * D + H, sizeof(rnl_real) * H);
            } else {
                pool_row(m->feat + (size_t)r * D, m->pool_arg ? m->pool_arg + (size_t)r * D : NULL, c->pool, ytop + (size_t)r * D,
                         (size_t)B * D, m->len[r], D);
            }
            memcpy(m->logits + (size_t)r * O, bias, sizeof(rnl_real) * O);
            if (m->drop)
                rnl_dropout_apply(m->feat + (size_t)r * D, D, c->dropout, m->drop_step, c->layers, m->base.row0 + m->order[r], 0);
        }
        rnl_gemm_nt(B, O, D, m->feat, D, W, D, m->logits, O);
        for (int r = 0; r < B; r++) {
            int src = m->order[r], ok = 0;
            rnl_real *y = NULL;
            if (need_targets) {
                y = m->targets + (size_t)r * per;
                memcpy(y, b->targets + (size_t)src * per, sizeof(rnl_real) * per);
            }
            total += rnl_head_loss(c, m->logits + (size_t)r * O, y, need_targets ? m->dlogits + (size_t)r * O : NULL,
                              m->preds + (size_t)src * O, &ok);
            correct += ok;
            count++;
        }
    } else {
        memset(m->preds, 0, sizeof(rnl_real) * (size_t)B * b->T * O);
        for (int t = 0; t < T; t++) {
            int nb = rnl_active_rows(m->len, B, t);
            rnl_real *lg = m->logits + (size_t)t * B * O;
            for (int r = 0; r < nb; r++) memcpy(lg + (size_t)r * O, bias, sizeof(rnl_real) * O);
            rnl_gemm_nt(nb, O, D, ytop + (size_t)t * B * D, D, W, D, lg, O);
            for (int r = 0; r < nb; r++) {
                int src = m->order[r], ok = 0;
                rnl_real *y = NULL;
                if (need_targets) {
                    y = m->targets + ((size_t)t * B + r) * per;
                    memcpy(y, b->targets + ((size_t)src * b->T + t) * per, sizeof(rnl_real) * per);
                }
                total += rnl_head_loss(c, lg + (size_t)r * O, y, need_targets ? m->dlogits + ((size_t)t * B + r) * O : NULL,
                                  m->preds + ((size_t)src * b->T + t) * O, &ok);
                correct += ok;
                count++;
            }
        }
    }
    m->loss_count = count * (c->head == RNL_HEAD_REGRESSION ? O : 1);
    m->accuracy = c->head == RNL_HEAD_REGRESSION ? NAN : (double)correct / count;
    m->base.sums = (rnl_sums){total, m->loss_count, correct, count};
    if (loss) *loss = (rnl_real)(total / m->loss_count);

    // Traces of one sample, copied out of the caches.
    // A shard (shards.c) traces the sample only if it is one of its rows, and otherwise leaves the trace of
    // the shard that had it; the training step runs the shards of a traced model on this model, in order.
    int ts = m->trace_sample >= 0 ? m->trace_sample - m->base.row0 : -1, mine = ts >= 0 && ts < B;
    if (mine || !m->base.batch_items) {
        m->trace_steps = 0;
        m->trace_has_gn = 0;
    }
    if (mine) {
        int r = 0;
        while (m->order[r] != ts) r++;
        int GH = rnl_cell_gates(c->cell) * H, len = m->len[r];
        m->trace_steps = len;
        for (int l = 0; l < c->layers; l++)
            for (int d = 0; d < m->ndir; d++)
                for (int t = 0; t < len; t++) {
                    memcpy(m->trace_gates[l][d] + (size_t)t * GH, m->gates[l][d] + ((size_t)t * B + r) * GH, sizeof(rnl_real) * GH);
                    const rnl_real *state = c->cell == RNL_CELL_LSTM ? m->aux[l][d] + ((size_t)t * B + r) * H
                                                                      : m->y[l] + ((size_t)t * B + r) * D + d * H;
                    memcpy(m->trace_state[l][d] + (size_t)t * H, state, sizeof(rnl_real) * H);
                }
    }
    m->valid = 1;
    return RNL_OK;
}

// --- Backward -----------------------------------------------------------------------------------

rnl_status rnl_model_backward(rnl_model *m, int bptt_window) {
    const rnl_config *c = &m->cfg;
    if (!m->valid || !m->has_targets)
        return rnl_fail(RNL_ERR_ARG, "backward: needs a forward pass with targets first");
    if (bptt_window < 0) return rnl_fail(RNL_ERR_ARG, "backward: bptt_window is %d, must be >= 0", bptt_window);
    const int B = m->B, T = m->T, H = c->hidden, D = m->D, O = c->outputs;
    const rnl_real scale = rnl_base_loss_scale(&m->base, m->loss_count);  // a shard: of the whole batch
    const rnl_real *W = m->base.params + m->off_head_w;
    rnl_real *dW = m->base.grads + m->off_head_w, *db = m->base.grads + m->off_head_b;
    rnl_real *dy = m->dy[0];
    const rnl_real *ytop = m->drop && c->seq2seq ? m->yd[c->layers - 1] : m->y[c->layers - 1];  // the head's input
    const uint64_t step = m->drop_step;
    memset(dy, 0, sizeof(rnl_real) * (size_t)T * B * D);

    // Head: dlogits were stored unscaled; the mean divides by the item count.
    if (!c->seq2seq) {
        rnl_real *dl = m->dlogits;
        for (size_t i = 0; i < (size_t)B * O; i++) dl[i] *= scale;
        rnl_gemm_tn(O, D, B, dl, O, m->feat, D, dW, D);
        for (int r = 0; r < B; r++)
            for (int k = 0; k < O; k++) db[k] += dl[(size_t)r * O + k];
        // dfeat = dl W (times the head's dropout mask), scattered to where the features came from.
        for (int r = 0; r < B; r++) {
            rnl_real *fwd = dy + ((size_t)(m->len[r] - 1) * B + r) * D;
            if (c->pool != RNL_POOLING_LAST) {
                // Every real step is read by the head directly; a BPTT window limits only the recurrence.
                rnl_real *df = m->dfeat;
                memset(df, 0, sizeof(rnl_real) * D);
                rnl_gemm_nn(1, D, O, dl + (size_t)r * O, O, W, D, df, D);
                if (m->drop) rnl_dropout_apply(df, D, c->dropout, step, c->layers, m->base.row0 + m->order[r], 0);
                pool_row_backward(dy + (size_t)r * D, (size_t)B * D, df, m->pool_arg ? m->pool_arg + (size_t)r * D : NULL,
                                  c->pool, m->len[r], D);
                continue;
            }
            if (m->drop) {
                rnl_real *df = m->dfeat;
                memset(df, 0, sizeof(rnl_real) * D);
                rnl_gemm_nn(1, D, O, dl + (size_t)r * O, O, W, D, df, D);
                rnl_dropout_apply(df, D, c->dropout, step, c->layers, m->base.row0 + m->order[r], 0);
                for (int j = 0; j < H; j++) fwd[j] += df[j];
                if (m->ndir == 2)
                    for (int j = 0; j < H; j++) dy[(size_t)r * D + H + j] += df[H + j];
                continue;
            }
            rnl_gemm_nn(1, H, O, dl + (size_t)r * O, O, W, D, fwd, D);
            if (m->ndir == 2) rnl_gemm_nn(1, H, O, dl + (size_t)r * O, O, W + H, D, dy + (size_t)r * D + H, D);
        }
    } else {
        for (int t = 0; t < T; t++) {
            int nb = rnl_active_rows(m->len, B, t);
            rnl_real *dl = m->dlogits + (size_t)t * B * O;
            for (size_t i = 0; i < (size_t)nb * O; i++) dl[i] *= scale;
            rnl_gemm_tn(O, D, nb, dl, O, ytop + (size_t)t * B * D, D, dW, D);
            for (int r = 0; r < nb; r++)
                for (int k = 0; k < O; k++) db[k] += dl[(size_t)r * O + k];
            rnl_gemm_nn(nb, D, O, dl, O, W, D, dy + (size_t)t * B * D, D);
        }
        if (m->drop) apply_masks(m, dy, D, D, c->layers);  // dL/dy of the top layer through the head's mask
    }

    // Recurrent layers, top down; dy holds dL/d(output of layer l).
    int tracing = m->trace_sample >= 0 && m->trace_sample - m->base.row0 >= 0 && m->trace_sample - m->base.row0 < B;
    double *gn2 = NULL;
    if (tracing) {
        gn2 = malloc(sizeof(double) * T);
        if (!gn2) tracing = 0;
    }
    for (int l = c->layers - 1; l >= 0; l--) {
        const rnl_real *x = l ? (m->drop ? m->yd[l - 1] : m->y[l - 1]) : m->x0;
        int ldx = l ? D : m->in0;
        int need_dx = l > 0 || c->vocab > 0;
        rnl_real *dx = m->dy[(c->layers - l) & 1];
        if (need_dx) memset(dx, 0, sizeof(rnl_real) * (size_t)T * B * ldx);
        for (int d = 0; d < m->ndir; d++) {
            rnl_layer_desc L = layer_desc(m, l, d);
            rnl_layer_cache cc = layer_cache(m, l, d);
            if (gn2) memset(gn2, 0, sizeof(double) * T);
            rnl_layer_backward(&L, &cc, &m->scratch, x, ldx, dy + d * H, D, need_dx ? dx : NULL,
                               m->base.grads + m->off_w_ih[l][d], m->base.grads + m->off_w_hh[l][d],
                               m->base.grads + m->off_b_ih[l][d], m->base.grads + m->off_b_hh[l][d], bptt_window, gn2);
            if (gn2)
                for (int t = 0; t < T; t++) m->trace_gn[l][d][t] = (rnl_real)sqrt(gn2[t]);
        }
        // dx is the gradient of the layer's input as read, after its mask: back through the mask of site l.
        if (m->drop && need_dx) apply_masks(m, dx, ldx, ldx, l);
        dy = dx;
    }
    free(gn2);
    if (tracing || !m->base.batch_items) m->trace_has_gn = tracing;
    if (tracing) m->trace_T = T;

    // Embedding: scatter-add the input gradient into the rows of the tokens read.
    if (c->vocab > 0) {
        rnl_real *dE = m->base.grads + m->off_emb;
        for (int t = 0; t < T; t++) {
            int nb = rnl_active_rows(m->len, B, t);
            for (int r = 0; r < nb; r++) {
                rnl_real *row = dE + (size_t)m->tokens[(size_t)t * B + r] * c->embed;
                const rnl_real *g = dy + ((size_t)t * B + r) * m->in0;
                for (int j = 0; j < c->embed; j++) row[j] += g[j];
            }
        }
    }
    m->has_targets = 0;  // dlogits were scaled in place: one backward per forward
    return RNL_OK;
}

rnl_status rnl_model_predict_steps(rnl_model *m, const rnl_batch *b, rnl_real *out, int *steps) {
    const rnl_config *c = &m->cfg;
    if (c->bidirectional || c->seq2seq)
        return rnl_fail(RNL_ERR_ARG, "per-step predictions need a unidirectional sequence-to-one model");
    if (!b || b->B != 1) return rnl_fail(RNL_ERR_ARG, "per-step predictions take one sequence (B = 1)");
    rnl_status st = rnl_model_forward(m, b, NULL);
    if (st) return st;
    const int D = m->D, O = c->outputs, len = m->len[0];
    const rnl_real *ytop = m->y[c->layers - 1], *W = m->base.params + m->off_head_w, *bias = m->base.params + m->off_head_b;
    rnl_real *logits = m->logits;  // (B, O) scratch of the forward, reused one step at a time
    for (int t = 0; t < len; t++) {
        int unused;
        memcpy(logits, bias, sizeof(rnl_real) * O);
        // A pooled head reads the pool of steps 0..t (into dfeat, the backward's scratch: no backward
        // follows a forward without targets), so the last step's is the forward's feature to the bit.
        const rnl_real *feat = ytop + (size_t)t * m->B * D;
        if (c->pool != RNL_POOLING_LAST) {
            pool_row(m->dfeat, m->pool_arg, c->pool, ytop, (size_t)m->B * D, t + 1, D);
            feat = m->dfeat;
        }
        rnl_gemm_nt(1, O, D, feat, D, W, D, logits, O);
        rnl_head_loss(c, logits, NULL, NULL, out + (size_t)t * O, &unused);
    }
    // The last step's logits are the forward's; the final prediction is unchanged.
    if (steps) *steps = len;
    return RNL_OK;
}

// --- Introspection ------------------------------------------------------------------------------

void rnl_model_set_trace(rnl_model *m, int sample) {
    m->trace_sample = sample < 0 ? -1 : sample;
    m->base.trace = m->trace_sample >= 0;
}

static int trace_ok(const rnl_model *m, int layer, int dir) {
    return m->valid && m->trace_steps > 0 && layer >= 0 && layer < m->cfg.layers && dir >= 0 && dir < m->ndir;
}

const rnl_real *rnl_model_trace_gates(const rnl_model *m, int layer, int dir, int *steps, int *width) {
    if (!trace_ok(m, layer, dir)) return NULL;
    if (steps) *steps = m->trace_steps;
    if (width) *width = rnl_cell_gates(m->cfg.cell) * m->cfg.hidden;
    return m->trace_gates[layer][dir];
}

const rnl_real *rnl_model_trace_state(const rnl_model *m, int layer, int dir, int *steps, int *width) {
    if (!trace_ok(m, layer, dir)) return NULL;
    if (steps) *steps = m->trace_steps;
    if (width) *width = m->cfg.hidden;
    return m->trace_state[layer][dir];
}

const rnl_real *rnl_model_trace_grad_norms(const rnl_model *m, int layer, int dir, int *steps) {
    if (!trace_ok(m, layer, dir) || !m->trace_has_gn) return NULL;
    if (steps) *steps = m->trace_T;
    return m->trace_gn[layer][dir];
}

// rnnlab_inspect.h: a layer's outputs for one row of the last forward, copied back into time order.
rnl_status rnl_model_states(const rnl_model *m, int layer, int sample, rnl_real *out, int *steps) {
    if (!m->valid) return rnl_fail(RNL_ERR_ARG, "states: no forward pass yet");
    if (layer < 0 || layer >= m->cfg.layers) return rnl_fail(RNL_ERR_ARG, "states: layer %d is outside 0..%d", layer, m->cfg.layers - 1);
    if (sample < 0 || sample >= m->B) return rnl_fail(RNL_ERR_ARG, "states: sequence %d is outside 0..%d", sample, m->B - 1);
    int r = 0;
    while (m->order[r] != sample) r++;
    for (int t = 0; t < m->len[r]; t++)
        memcpy(out + (size_t)t * m->D, m->y[layer] + ((size_t)t * m->B + r) * m->D, sizeof(rnl_real) * m->D);
    if (steps) *steps = m->len[r];
    return RNL_OK;
}

// --- The kind: what the base calls (model_base.h) ---------------------------------------------------

static rnl_status kind_forward(rnl_base *b, const void *batch, rnl_real *loss) {
    return rnl_model_forward((rnl_model *)b, batch, loss);
}
static rnl_status kind_backward(rnl_base *b, int bptt_window) { return rnl_model_backward((rnl_model *)b, bptt_window); }
static void kind_accuracy(const rnl_base *b, double acc[2]) { acc[0] = ((const rnl_model *)b)->accuracy; }
static const rnl_config *kind_io(const rnl_base *b) { return &((const rnl_model *)b)->cfg; }

static const rnl_kind model_kind = {
    .name = "model",
    .n_dims = 2,
    .dims = {"sequences", "steps"},
    .layout = layout_workspace,
    .forward = kind_forward,
    .backward = kind_backward,
    .accuracy = kind_accuracy,
    .size = sizeof(rnl_model),
    .io = kind_io,
};

rnl_status rnl_train_step(rnl_model *m, rnl_optimizer *o, const rnl_batch *b, int bptt_window, rnl_step_stats *st) {
    rnl_step_stats local;
    if (!st) st = &local;
    rnl_step_out out = rnl_step_out_of(st);
    return rnl_base_train_step(&m->base, o, b, bptt_window, &out);
}

rnl_status rnl_eval_batch(rnl_model *m, const rnl_batch *b, rnl_step_stats *st) {
    rnl_step_out out = rnl_step_out_of(st);
    return rnl_base_eval_batch(&m->base, b, &out);
}

// --- Shards and threads (shards.c) ------------------------------------------------------------------

rnl_status rnl_model_shard_grad(rnl_model *m, const rnl_batch *b, int shard, int bptt_window, long step,
                                rnl_shard_grad *g) {
    return rnl_base_shard_grad(&m->base, b, shard, bptt_window, step, g);
}

rnl_status rnl_model_apply_shards(rnl_model *m, rnl_optimizer *o, const rnl_shard_grad *g, int n, rnl_step_stats *st) {
    rnl_step_stats local;
    if (!st) st = &local;
    rnl_step_out out = rnl_step_out_of(st);
    return rnl_base_apply_shards(&m->base, o, g, n, &out);
}

rnl_status rnl_model_set_threads(rnl_model *m, int n) { return rnl_base_set_threads(&m->base, n); }
int rnl_model_threads(const rnl_model *m) { return rnl_base_team_threads(&m->base); }

rnl_status rnl_model_eval_batches(rnl_model *m, const rnl_batch *b, int n, rnl_step_stats *st) {
    return rnl_base_eval_batches_stats(&m->base, b, n, st);
}
