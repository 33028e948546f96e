// transformer.c: a pre-LN Transformer encoder (rnnlab_transformer.h) on the model base (model_base.h):
// embedding or input projection + sinusoidal positions -> N x [LayerNorm, multi-head self-attention,
// residual, LayerNorm, ReLU feed-forward, residual] -> LayerNorm -> mean of the real positions -> head.
// Forward above backward; every product is a gemm of kernels.h (the SIMD kernels the cells use, with
// their scalar reference beside them), so `rnl_kernels_select("scalar")` runs the naive reference path.
//
// Packing instead of masking: a batch is sorted by length (rnl_sort_rows, longest first) and the real
// positions of its sequences are laid one after another, N = sum of the lengths rows of width D. Every
// linear layer is one gemm over those N rows, and attention runs per sequence over its own L x L block,
// so a padded position is never computed and a padded key never takes part (PyTorch's
// src_key_padding_mask, exactly). Row i of sequence r (sorted) is row off[r] + i.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model_base.h"
#include "rnnlab_attention_math.h"  // the scaled dot-product attention of one sequence (attention_math.c)
#include "rnnlab_transformer.h"

#define TF_MAX_TENSORS (2 + RNL_MAX_LAYERS * 12 + 4)
#define TF_LN_EPS 1e-5  // nn.LayerNorm's default

// Offsets of one layer's tensors in the parameter block, in PyTorch's state_dict order.
typedef struct {
    size_t in_w, in_b, out_w, out_b, l1_w, l1_b, l2_w, l2_b, n1_w, n1_b, n2_w, n2_b;
} tf_layer_off;

// What one layer's forward keeps for its backward; N rows each.
typedef struct {
    rnl_real *x;         // (N, D) the layer's input (the residual stream)
    rnl_real *ln1;       // (N, D) norm1(x)
    rnl_real *mu1, *rs1; // (N) its mean and 1/std
    rnl_real *qkv;       // (N, 3D) q | k | v, head h at columns h*dk of each third
    rnl_real *att;       // (sum over sequences of heads * L * L) softmax weights, per sequence then head
    rnl_real *ctx;       // (N, D) the heads' outputs, concatenated
    rnl_real *mid;       // (N, D) x + out_proj(ctx)
    rnl_real *ln2;       // (N, D) norm2(mid)
    rnl_real *mu2, *rs2; // (N)
    rnl_real *pre;       // (N, F) linear1(ln2), before the ReLU
    rnl_real *act;       // (N, F) relu(pre)
} tf_cache;

struct rnl_tf {
    rnl_base base;  // first: parameters, gradients, tensor table, meta, work memory (model_base.h)
    rnl_tf_config cfg;
    rnl_config io;  // what it reads and predicts, for rnl_batch_check and rnl_head_loss
    size_t off_emb, off_in_w, off_in_b, off_nf_w, off_nf_b, off_head_w, off_head_b;
    tf_layer_off L[RNL_MAX_LAYERS];

    // The last forward; buffers carved from base.ws for (B, T) = base.cap.
    int B, N, has_targets, valid, loss_count;
    double accuracy;
    int *order, *len;    // (B) sorted row -> caller's row, its length
    int *off;            // (B + 1) first packed row of each sorted sequence; off[B] = N
    size_t *att_off;     // (B + 1) first attention weight of each sorted sequence
    int32_t *tokens;     // (N) packed token ids
    rnl_real *inputs;    // (N, input_size) packed features (no vocabulary)
    rnl_real *pe;        // (T, D) positions of this batch's steps
    tf_cache c[RNL_MAX_LAYERS];
    rnl_real *xf;        // (N, D) the stream after the last layer
    rnl_real *lnf, *muf, *rsf;  // (N, D), (N), (N) the final norm
    rnl_real *feat;      // (B, D) mean of lnf over each sequence's rows
    rnl_real *logits, *dlogits, *targets;  // (B, O) sorted
    rnl_real *preds;     // (B, O) caller's order
    // Backward scratch.
    rnl_real *dx;        // (N, D) dL/d(the residual stream)
    rnl_real *dn;        // (N, D) dL/d(a norm's output), then dL/d ctx
    rnl_real *dqkv;      // (N, 3D)
    rnl_real *dff;       // (N, F)
    rnl_real *ds;        // (T, T) one head's dL/d weights, then dL/d scores
};

static const rnl_kind tf_kind;  // at the end of the file

// --- Configuration -------------------------------------------------------------------------------

rnl_tf_config rnl_tf_config_default(void) {
    rnl_tf_config c;
    memset(&c, 0, sizeof c);
    c.d_model = 64;
    c.heads = 4;
    c.layers = 2;
    c.ffn = 128;
    c.positions = RNL_TF_POS_SINUSOIDAL;
    c.head = RNL_HEAD_BINARY;
    c.outputs = 1;
    return c;
}

const char *rnl_tf_positions_name(rnl_tf_positions p) {
    return p == RNL_TF_POS_NONE ? "none" : p == RNL_TF_POS_SINUSOIDAL ? "sinusoidal" : "?";
}

rnl_config rnl_tf_io_config(const rnl_tf_config *t) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = t->vocab;
    c.embed = t->vocab > 0 ? t->d_model : 0;
    c.input_size = t->vocab > 0 ? 0 : t->input_size;
    c.hidden = t->d_model;
    c.layers = t->layers;
    c.head = t->head;
    c.outputs = t->outputs;
    return c;
}

uint64_t rnl_tf_config_num_params(const rnl_tf_config *c) {
    int ok = 1;
    uint64_t D = c->d_model > 0 ? (uint64_t)c->d_model : 0, F = c->ffn > 0 ? (uint64_t)c->ffn : 0;
    uint64_t O = c->outputs > 0 ? (uint64_t)c->outputs : 0, n;
    if (c->vocab > 0) n = rnl_mul_u64((uint64_t)c->vocab, D, &ok);
    else n = rnl_mul_u64((uint64_t)(c->input_size > 0 ? c->input_size : 0) + 1, D, &ok);
    // in_proj 3D(D+1), out_proj D(D+1), linear1 F(D+1), linear2 D(F+1), two norms 4D.
    uint64_t per = rnl_add_u64(rnl_add_u64(rnl_mul_u64(4 * D, D + 1, &ok), rnl_mul_u64(F, D + 1, &ok), &ok), rnl_add_u64(rnl_mul_u64(D, F + 1, &ok), 4 * D, &ok), &ok);
    for (int l = 0; l < c->layers && l < RNL_MAX_LAYERS; l++) n = rnl_add_u64(n, per, &ok);
    n = rnl_add_u64(n, rnl_add_u64(2 * D, rnl_mul_u64(O, D + 1, &ok), &ok), &ok);
    return ok ? n : UINT64_MAX;
}

rnl_status rnl_tf_config_validate(const rnl_tf_config *c) {
    rnl_status st;
    if (!c) return rnl_fail(RNL_ERR_ARG, "config: missing");
    if (c->vocab != 0) {
        if ((st = rnl_config_check_field("vocab", c->vocab))) return st;
    } else {
        if (c->input_size == 0)
            return rnl_fail(RNL_ERR_ARG, "config: give either vocab (token inputs) or input_size (real-valued inputs)");
        if ((st = rnl_config_check_field("input_size", c->input_size))) return st;
    }
    if ((st = rnl_config_check_field("hidden", c->d_model))) return st;
    if ((st = rnl_config_check_field("heads", c->heads))) return st;
    if (c->d_model % c->heads)
        return rnl_fail(RNL_ERR_ARG, "config: heads is %d, must divide hidden (%d) into equal heads", c->heads, c->d_model);
    if ((st = rnl_config_check_field("layers", c->layers))) return st;
    if ((st = rnl_config_check_field("ffn", c->ffn))) return st;
    if (c->positions != RNL_TF_POS_NONE && c->positions != RNL_TF_POS_SINUSOIDAL)
        return rnl_fail(RNL_ERR_ARG, "config: positions is %d, must be 0 (none) or 1 (sinusoidal)", (int)c->positions);
    if (c->head != RNL_HEAD_BINARY && c->head != RNL_HEAD_CLASSES && c->head != RNL_HEAD_REGRESSION)
        return rnl_fail(RNL_ERR_ARG, "config: head is %d, must be 0 (binary), 1 (classes) or 2 (regression)", (int)c->head);
    if (c->head == RNL_HEAD_BINARY && c->outputs != 1)
        return rnl_fail(RNL_ERR_ARG, "config: a binary head has 1 output, not %d", c->outputs);
    if (c->head == RNL_HEAD_CLASSES && rnl_limit_check("classes", c->outputs)) {
        const rnl_limit *l = rnl_limit_find("classes");
        return rnl_fail(RNL_ERR_ARG, "config: a classes head needs %.0f..%.0f classes, not %d", l->min, l->max, c->outputs);
    }
    if ((st = rnl_config_check_field("outputs", c->outputs))) return st;
    uint64_t n = rnl_tf_config_num_params(c);
    if (n == 0 || n > RNL_MAX_PARAMS)
        return rnl_fail(RNL_ERR_NOMEM, "config: the model would have %llu parameters, more than the limit of %u",
                        (unsigned long long)n, (unsigned)RNL_MAX_PARAMS);
    return RNL_OK;
}

// --- Parameter layout and initialisation ---------------------------------------------------------------

// The tensors in the state_dict order of the PyTorch module in tests/golden/gen_golden_transformer.py.
static void build_layout(rnl_tf *m) {
    const rnl_tf_config *c = &m->cfg;
    rnl_base *b = &m->base;
    const int D = c->d_model, F = c->ffn;
    if (c->vocab > 0) {
        m->off_emb = rnl_base_add_tensor(b, c->vocab, D, "embedding.weight");
    } else {
        m->off_in_w = rnl_base_add_tensor(b, D, c->input_size, "input.weight");
        m->off_in_b = rnl_base_add_tensor(b, D, 1, "input.bias");
    }
    for (int l = 0; l < c->layers; l++) {
        tf_layer_off *o = &m->L[l];
        o->in_w = rnl_base_add_tensor(b, 3 * D, D, "layers.%d.self_attn.in_proj_weight", l);
        o->in_b = rnl_base_add_tensor(b, 3 * D, 1, "layers.%d.self_attn.in_proj_bias", l);
        o->out_w = rnl_base_add_tensor(b, D, D, "layers.%d.self_attn.out_proj.weight", l);
        o->out_b = rnl_base_add_tensor(b, D, 1, "layers.%d.self_attn.out_proj.bias", l);
        o->l1_w = rnl_base_add_tensor(b, F, D, "layers.%d.linear1.weight", l);
        o->l1_b = rnl_base_add_tensor(b, F, 1, "layers.%d.linear1.bias", l);
        o->l2_w = rnl_base_add_tensor(b, D, F, "layers.%d.linear2.weight", l);
        o->l2_b = rnl_base_add_tensor(b, D, 1, "layers.%d.linear2.bias", l);
        o->n1_w = rnl_base_add_tensor(b, D, 1, "layers.%d.norm1.weight", l);
        o->n1_b = rnl_base_add_tensor(b, D, 1, "layers.%d.norm1.bias", l);
        o->n2_w = rnl_base_add_tensor(b, D, 1, "layers.%d.norm2.weight", l);
        o->n2_b = rnl_base_add_tensor(b, D, 1, "layers.%d.norm2.bias", l);
    }
    m->off_nf_w = rnl_base_add_tensor(b, D, 1, "norm.weight");
    m->off_nf_b = rnl_base_add_tensor(b, D, 1, "norm.bias");
    m->off_head_w = rnl_base_add_tensor(b, c->outputs, D, "head.weight");
    m->off_head_b = rnl_base_add_tensor(b, c->outputs, 1, "head.bias");
}

static void fill(rnl_real *p, size_t n, rnl_real v) {
    for (size_t i = 0; i < n; i++) p[i] = v;
}

// nn.Linear's default: weight and bias U(+-1/sqrt(fan_in)).
static void init_linear(rnl_real *p, size_t w, size_t b, int out, int in, rnl_rng *rng) {
    double k = 1 / sqrt((double)in);
    rnl_init_uniform(p + w, (size_t)out * in, k, rng);
    rnl_init_uniform(p + b, (size_t)out, k, rng);
}

static void init_params(rnl_tf *m, uint64_t seed) {
    const rnl_tf_config *c = &m->cfg;
    const int D = c->d_model, F = c->ffn;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_real *p = m->base.params;
    memset(p, 0, sizeof(rnl_real) * m->base.n_params);
    if (c->vocab > 0)
        for (size_t i = 0; i < (size_t)c->vocab * D; i++) p[m->off_emb + i] = (rnl_real)rnl_rng_normal(&rng);
    else
        init_linear(p, m->off_in_w, m->off_in_b, D, c->input_size, &rng);
    for (int l = 0; l < c->layers; l++) {
        const tf_layer_off *o = &m->L[l];
        rnl_init_uniform(p + o->in_w, (size_t)3 * D * D, sqrt(6.0 / (D + 3 * D)), &rng);  // xavier over (3D, D)
        rnl_init_uniform(p + o->out_w, (size_t)D * D, 1 / sqrt((double)D), &rng);      // out_proj.bias stays 0
        init_linear(p, o->l1_w, o->l1_b, F, D, &rng);
        init_linear(p, o->l2_w, o->l2_b, D, F, &rng);
        fill(p + o->n1_w, (size_t)D, 1);
        fill(p + o->n2_w, (size_t)D, 1);
    }
    fill(p + m->off_nf_w, (size_t)D, 1);
    rnl_init_uniform(p + m->off_head_w, (size_t)c->outputs * D, sqrt(6.0 / (D + c->outputs)), &rng);
}

rnl_status rnl_tf_create(rnl_tf **out, const rnl_tf_config *cfg, uint64_t seed) {
    rnl_status st;
    *out = NULL;
    if ((st = rnl_tf_config_validate(cfg))) return st;
    rnl_tf *m = calloc(1, sizeof *m);
    if (!m) return rnl_fail(RNL_ERR_NOMEM, "transformer: out of memory");
    if ((st = rnl_base_init(&m->base, &tf_kind, TF_MAX_TENSORS))) {
        free(m);
        return st;
    }
    m->cfg = *cfg;
    m->io = rnl_tf_io_config(cfg);
    build_layout(m);
    if ((st = rnl_base_alloc_params(&m->base))) {
        rnl_tf_destroy(m);
        return st;
    }
    init_params(m, seed);
    *out = m;
    return RNL_OK;
}

void rnl_tf_destroy(rnl_tf *m) {
    if (!m) return;
    rnl_base_free(&m->base);
    free(m);
}

const rnl_tf_config *rnl_tf_get_config(const rnl_tf *m) { return &m->cfg; }
size_t rnl_tf_num_params(const rnl_tf *m) { return m->base.n_params; }
rnl_real *rnl_tf_params(rnl_tf *m) { return m->base.params; }
rnl_real *rnl_tf_grads(rnl_tf *m) { return m->base.grads; }
int rnl_tf_num_tensors(const rnl_tf *m) { return m->base.n_tensors; }
const rnl_tensor_info *rnl_tf_tensor(const rnl_tf *m, int i) { return rnl_base_tensor(&m->base, i); }
void rnl_tf_zero_grad(rnl_tf *m) { rnl_base_zero_grad(&m->base); }
rnl_status rnl_tf_set_meta(rnl_tf *m, const uint8_t *bytes, size_t n) { return rnl_base_set_meta(&m->base, bytes, n); }
const uint8_t *rnl_tf_meta(const rnl_tf *m, size_t *n) {
    if (n) *n = m->base.meta_n;
    return m->base.meta;
}
const rnl_real *rnl_tf_predictions(const rnl_tf *m) { return m->valid ? m->preds : NULL; }

// --- Workspace -------------------------------------------------------------------------------------

// Every buffer of a batch of at most B x T: N = B * T packed rows, B * heads * T * T attention weights.
static void layout_workspace(rnl_base *base, rnl_carver *cv, const int *shape) {
    rnl_tf *m = (rnl_tf *)base;
    const rnl_tf_config *c = &m->cfg;
    const size_t B = (size_t)shape[0], T = (size_t)shape[1], N = B * T, D = (size_t)c->d_model, F = (size_t)c->ffn;
    const size_t O = (size_t)c->outputs;
    size_t n_att = rnl_mul_size(rnl_mul_size(N, T, &cv->ok), (size_t)c->heads, &cv->ok);
    m->order = rnl_carve(cv, B, sizeof(int));
    m->len = rnl_carve(cv, B, sizeof(int));
    m->off = rnl_carve(cv, B + 1, sizeof(int));
    m->att_off = rnl_carve(cv, B + 1, sizeof(size_t));
    m->tokens = c->vocab > 0 ? rnl_carve(cv, N, sizeof(int32_t)) : NULL;
    m->inputs = c->vocab > 0 ? NULL : rnl_carve(cv, rnl_mul_size(N, (size_t)c->input_size, &cv->ok), sizeof(rnl_real));
    m->pe = rnl_carve(cv, rnl_mul_size(T, D, &cv->ok), sizeof(rnl_real));
    size_t ND = rnl_mul_size(N, D, &cv->ok), NF = rnl_mul_size(N, F, &cv->ok);
    for (int l = 0; l < c->layers; l++) {
        tf_cache *k = &m->c[l];
        k->x = rnl_carve(cv, ND, sizeof(rnl_real));
        k->ln1 = rnl_carve(cv, ND, sizeof(rnl_real));
        k->mu1 = rnl_carve(cv, N, sizeof(rnl_real));
        k->rs1 = rnl_carve(cv, N, sizeof(rnl_real));
        k->qkv = rnl_carve(cv, rnl_mul_size(ND, 3, &cv->ok), sizeof(rnl_real));
        k->att = rnl_carve(cv, n_att, sizeof(rnl_real));
        k->ctx = rnl_carve(cv, ND, sizeof(rnl_real));
        k->mid = rnl_carve(cv, ND, sizeof(rnl_real));
        k->ln2 = rnl_carve(cv, ND, sizeof(rnl_real));
        k->mu2 = rnl_carve(cv, N, sizeof(rnl_real));
        k->rs2 = rnl_carve(cv, N, sizeof(rnl_real));
        k->pre = rnl_carve(cv, NF, sizeof(rnl_real));
        k->act = rnl_carve(cv, NF, sizeof(rnl_real));
    }
    m->xf = rnl_carve(cv, ND, sizeof(rnl_real));
    m->lnf = rnl_carve(cv, ND, sizeof(rnl_real));
    m->muf = rnl_carve(cv, N, sizeof(rnl_real));
    m->rsf = rnl_carve(cv, N, sizeof(rnl_real));
    m->feat = rnl_carve(cv, B * D, sizeof(rnl_real));
    m->logits = rnl_carve(cv, B * O, sizeof(rnl_real));
    m->dlogits = rnl_carve(cv, B * O, sizeof(rnl_real));
    m->targets = rnl_carve(cv, B * O, sizeof(rnl_real));
    m->preds = rnl_carve(cv, B * O, sizeof(rnl_real));
    m->dx = rnl_carve(cv, ND, sizeof(rnl_real));
    m->dn = rnl_carve(cv, ND, sizeof(rnl_real));
    m->dqkv = rnl_carve(cv, rnl_mul_size(ND, 3, &cv->ok), sizeof(rnl_real));
    m->dff = rnl_carve(cv, NF, sizeof(rnl_real));
    m->ds = rnl_carve(cv, rnl_mul_size(T, T, &cv->ok), sizeof(rnl_real));
}

size_t rnl_tf_workspace_bytes(const rnl_tf_config *cfg, int B, int T) {
    if (B < 1 || T < 1 || rnl_tf_config_validate(cfg) != RNL_OK) return 0;
    rnl_tf scratch;
    scratch.base.kind = &tf_kind;
    scratch.cfg = *cfg;
    return rnl_base_workspace_bytes(&scratch.base, (int[]){B, T});
}

size_t rnl_tf_training_bytes(const rnl_tf_config *cfg, rnl_optim kind, int B, int T) {
    if (rnl_tf_config_validate(cfg) != RNL_OK) return 0;
    return rnl_base_training_bytes((size_t)rnl_tf_config_num_params(cfg), kind, rnl_tf_workspace_bytes(cfg, B, T));
}

// --- Layers: forward and backward of each ---------------------------------------------------------------

// y (N, out) = x (N, in) W^T + b, with W (out, in) as nn.Linear keeps it.
static void linear_forward(rnl_real *y, const rnl_real *x, const rnl_real *W, const rnl_real *b, int N, int in, int out) {
    for (int i = 0; i < N; i++) memcpy(y + (size_t)i * out, b, sizeof(rnl_real) * out);
    rnl_gemm_nt(N, out, in, x, in, W, in, y, out);
}

// dW += dy^T x, db += column sums of dy, and dx += dy W if dx is non-NULL.
static void linear_backward(rnl_real *dx, rnl_real *dW, rnl_real *db, const rnl_real *dy, const rnl_real *x,
                            const rnl_real *W, int N, int in, int out) {
    rnl_gemm_tn(out, in, N, dy, out, x, in, dW, in);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < out; j++) db[j] += dy[(size_t)i * out + j];
    if (dx) rnl_gemm_nn(N, in, out, dy, out, W, in, dx, in);
}

// y = (x - mean) / sqrt(var + eps) * g + b over each row of D (biased variance, as nn.LayerNorm).
static void layernorm_forward(rnl_real *y, rnl_real *mu, rnl_real *rs, const rnl_real *x, const rnl_real *g,
                              const rnl_real *b, int N, int D) {
    for (int i = 0; i < N; i++) {
        const rnl_real *xi = x + (size_t)i * D;
        double s = 0, s2 = 0;
        for (int j = 0; j < D; j++) s += xi[j];
        double mean = s / D;
        for (int j = 0; j < D; j++) s2 += (xi[j] - mean) * (xi[j] - mean);
        double r = 1 / sqrt(s2 / D + TF_LN_EPS);
        mu[i] = (rnl_real)mean;
        rs[i] = (rnl_real)r;
        rnl_real *yi = y + (size_t)i * D;
        for (int j = 0; j < D; j++) yi[j] = (rnl_real)((xi[j] - mean) * r) * g[j] + b[j];
    }
}

// With xh = (x - mean) * rs: dg += dy xh, db += dy, dx += rs (dy g - mean(dy g) - xh mean(dy g xh)).
static void layernorm_backward(rnl_real *dx, rnl_real *dg, rnl_real *db, const rnl_real *dy, const rnl_real *x,
                               const rnl_real *mu, const rnl_real *rs, const rnl_real *g, int N, int D) {
    for (int i = 0; i < N; i++) {
        const rnl_real *xi = x + (size_t)i * D, *dyi = dy + (size_t)i * D;
        double a = 0, bsum = 0;
        for (int j = 0; j < D; j++) {
            double xh = (xi[j] - mu[i]) * rs[i], dxh = (double)dyi[j] * g[j];
            dg[j] += (rnl_real)(dyi[j] * xh);
            db[j] += dyi[j];
            a += dxh;
            bsum += dxh * xh;
        }
        a /= D;
        bsum /= D;
        rnl_real *dxi = dx + (size_t)i * D;
        for (int j = 0; j < D; j++) {
            double xh = (xi[j] - mu[i]) * rs[i];
            dxi[j] += (rnl_real)(rs[i] * ((double)dyi[j] * g[j] - a - xh * bsum));
        }
    }
}

// Self-attention itself, per sequence on its own L x L block, is rnl_attention_forward/backward
// (attention_math.c, rnnlab_attention_math.h): the part exercises 9 and 10 have students write.

// --- Forward -----------------------------------------------------------------------------------------

// pe (T, D): column 2i is sin(t w_i), column 2i + 1 is cos(t w_i), w_i = 10000^(-2i/D) (Vaswani et al.).
static void positions(rnl_real *pe, int T, int D) {
    for (int j = 0; j < D; j += 2) {
        double w = exp(-log(10000.0) * j / D);
        for (int t = 0; t < T; t++) {
            pe[(size_t)t * D + j] = (rnl_real)sin(t * w);
            if (j + 1 < D) pe[(size_t)t * D + j + 1] = (rnl_real)cos(t * w);
        }
    }
}

rnl_status rnl_tf_forward(rnl_tf *m, const rnl_batch *b, rnl_real *loss) {
    const rnl_tf_config *c = &m->cfg;
    int need_targets = loss != NULL;
    rnl_status st = rnl_batch_check(&m->io, b, need_targets);
    if (st) return st;
    if ((st = rnl_base_workspace(&m->base, (int[]){b->B, b->T}))) return st;
    m->valid = 0;
    const int B = b->B, D = c->d_model, F = c->ffn, O = c->outputs, H = c->heads;
    const rnl_real *p = m->base.params;
    m->B = B;
    m->has_targets = need_targets;

    // Pack the real positions, longest sequence first.
    rnl_sort_rows(b->lengths, B, b->T, m->order, m->len);
    const int T = m->len[0];
    m->off[0] = 0;
    m->att_off[0] = 0;
    for (int r = 0; r < B; r++) {
        m->off[r + 1] = m->off[r] + m->len[r];
        m->att_off[r + 1] = m->att_off[r] + (size_t)H * m->len[r] * m->len[r];
    }
    const int N = m->N = m->off[B];

    // x_0: the embedding rows (or the input projection), plus positions.
    rnl_real *x = c->layers > 0 ? m->c[0].x : m->xf;
    for (int r = 0; r < B; r++) {
        int src = m->order[r];
        for (int t = 0; t < m->len[r]; t++) {
            size_t row = (size_t)m->off[r] + t;
            if (c->vocab > 0) {
                int32_t tok = b->tokens[(size_t)src * b->T + t];
                m->tokens[row] = tok;
                memcpy(x + row * D, p + m->off_emb + (size_t)tok * D, sizeof(rnl_real) * D);
            } else {
                memcpy(m->inputs + row * c->input_size, b->inputs + ((size_t)src * b->T + t) * c->input_size,
                       sizeof(rnl_real) * c->input_size);
            }
        }
    }
    if (c->vocab == 0) linear_forward(x, m->inputs, p + m->off_in_w, p + m->off_in_b, N, c->input_size, D);
    if (c->positions == RNL_TF_POS_SINUSOIDAL) {
        positions(m->pe, T, D);
        for (int r = 0; r < B; r++)
            for (int t = 0; t < m->len[r]; t++) {
                rnl_real *xr = x + ((size_t)m->off[r] + t) * D;
                const rnl_real *pr = m->pe + (size_t)t * D;
                for (int j = 0; j < D; j++) xr[j] += pr[j];
            }
    }

    // Encoder layers (pre-LN): mid = x + attn(norm1(x)); x' = mid + ffn(norm2(mid)).
    for (int l = 0; l < c->layers; l++) {
        tf_cache *k = &m->c[l];
        const tf_layer_off *o = &m->L[l];
        rnl_real *xnext = l + 1 < c->layers ? m->c[l + 1].x : m->xf;
        layernorm_forward(k->ln1, k->mu1, k->rs1, k->x, p + o->n1_w, p + o->n1_b, N, D);
        linear_forward(k->qkv, k->ln1, p + o->in_w, p + o->in_b, N, D, 3 * D);
        for (int r = 0; r < B; r++)
            rnl_attention_forward(k->ctx + (size_t)m->off[r] * D, k->att + m->att_off[r], k->qkv + (size_t)m->off[r] * 3 * D,
                              m->len[r], D, H);
        linear_forward(k->mid, k->ctx, p + o->out_w, p + o->out_b, N, D, D);
        for (size_t i = 0; i < (size_t)N * D; i++) k->mid[i] += k->x[i];
        layernorm_forward(k->ln2, k->mu2, k->rs2, k->mid, p + o->n2_w, p + o->n2_b, N, D);
        linear_forward(k->pre, k->ln2, p + o->l1_w, p + o->l1_b, N, D, F);
        for (size_t i = 0; i < (size_t)N * F; i++) k->act[i] = k->pre[i] > 0 ? k->pre[i] : 0;
        linear_forward(xnext, k->act, p + o->l2_w, p + o->l2_b, N, F, D);
        for (size_t i = 0; i < (size_t)N * D; i++) xnext[i] += k->mid[i];
    }

    // Final norm, the mean of each sequence's rows, the head and the loss.
    layernorm_forward(m->lnf, m->muf, m->rsf, m->xf, p + m->off_nf_w, p + m->off_nf_b, N, D);
    const rnl_real *bias = p + m->off_head_b;
    for (int r = 0; r < B; r++) {
        rnl_real *f = m->feat + (size_t)r * D, inv = (rnl_real)1 / m->len[r];
        memset(f, 0, sizeof(rnl_real) * D);
        for (int t = m->off[r]; t < m->off[r + 1]; t++)
            for (int j = 0; j < D; j++) f[j] += m->lnf[(size_t)t * D + j];
        for (int j = 0; j < D; j++) f[j] *= inv;
        memcpy(m->logits + (size_t)r * O, bias, sizeof(rnl_real) * O);
    }
    rnl_gemm_nt(B, O, D, m->feat, D, p + m->off_head_w, D, m->logits, O);
    int per = c->head == RNL_HEAD_REGRESSION ? O : 1, correct = 0;
    double total = 0;
    for (int r = 0; r < B; r++) {
        int src = m->order[r], ok = 0;
        rnl_real *y = NULL;
        if (need_targets) {
            y = m->targets + (size_t)r * per;
            memcpy(y, b->targets + (size_t)src * per, sizeof(rnl_real) * per);
        }
        total += rnl_head_loss(&m->io, m->logits + (size_t)r * O, y, need_targets ? m->dlogits + (size_t)r * O : NULL,
                               m->preds + (size_t)src * O, &ok);
        correct += ok;
    }
    m->loss_count = B * per;
    m->accuracy = c->head == RNL_HEAD_REGRESSION ? NAN : (double)correct / B;
    m->base.sums = (rnl_sums){total, m->loss_count, correct, B};
    if (loss) *loss = (rnl_real)(total / m->loss_count);
    m->valid = 1;
    return RNL_OK;
}

const rnl_real *rnl_tf_attention(const rnl_tf *m, int layer, int head, int sample, int *len) {
    if (!m->valid || layer < 0 || layer >= m->cfg.layers || head < 0 || head >= m->cfg.heads || sample < 0 || sample >= m->B)
        return NULL;
    int r = 0;
    while (m->order[r] != sample) r++;
    if (len) *len = m->len[r];
    return m->c[layer].att + m->att_off[r] + (size_t)head * m->len[r] * m->len[r];
}

// --- Backward ----------------------------------------------------------------------------------------

rnl_status rnl_tf_backward(rnl_tf *m) {
    const rnl_tf_config *c = &m->cfg;
    if (!m->valid || !m->has_targets) return rnl_fail(RNL_ERR_ARG, "backward: needs a forward pass with targets first");
    const int B = m->B, N = m->N, D = c->d_model, F = c->ffn, O = c->outputs, H = c->heads;
    const rnl_real *p = m->base.params;
    rnl_real *g = m->base.grads;
    const rnl_real scale = rnl_base_loss_scale(&m->base, m->loss_count);  // a shard: of the whole batch

    // Head: dlogits were stored unscaled; dfeat (B, D) = dl W goes into dn's first B rows.
    rnl_real *dl = m->dlogits, *dfeat = m->dn;
    for (size_t i = 0; i < (size_t)B * O; i++) dl[i] *= scale;
    memset(dfeat, 0, sizeof(rnl_real) * (size_t)B * D);
    linear_backward(dfeat, g + m->off_head_w, g + m->off_head_b, dl, m->feat, p + m->off_head_w, B, D, O);
    // The mean: every row of sequence r gets dfeat[r] / len. Written into dqkv's first N x D as scratch.
    rnl_real *dlnf = m->dqkv;
    for (int r = 0; r < B; r++)
        for (int t = m->off[r]; t < m->off[r + 1]; t++)
            for (int j = 0; j < D; j++) dlnf[(size_t)t * D + j] = dfeat[(size_t)r * D + j] / m->len[r];
    memset(m->dx, 0, sizeof(rnl_real) * (size_t)N * D);
    layernorm_backward(m->dx, g + m->off_nf_w, g + m->off_nf_b, dlnf, m->xf, m->muf, m->rsf, p + m->off_nf_w, N, D);

    // Layers, top down; dx holds dL/d(the layer's output) and leaves as dL/d(its input).
    for (int l = c->layers - 1; l >= 0; l--) {
        const tf_cache *k = &m->c[l];
        const tf_layer_off *o = &m->L[l];
        // x' = mid + linear2(relu(linear1(norm2(mid)))): dx is dmid's residual part already.
        memset(m->dff, 0, sizeof(rnl_real) * (size_t)N * F);
        linear_backward(m->dff, g + o->l2_w, g + o->l2_b, m->dx, k->act, p + o->l2_w, N, F, D);
        for (size_t i = 0; i < (size_t)N * F; i++)
            if (k->pre[i] <= 0) m->dff[i] = 0;
        memset(m->dn, 0, sizeof(rnl_real) * (size_t)N * D);
        linear_backward(m->dn, g + o->l1_w, g + o->l1_b, m->dff, k->ln2, p + o->l1_w, N, D, F);
        layernorm_backward(m->dx, g + o->n2_w, g + o->n2_b, m->dn, k->mid, k->mu2, k->rs2, p + o->n2_w, N, D);
        // mid = x + out_proj(attention(in_proj(norm1(x)))): dx is now dmid, and dx's residual part.
        memset(m->dn, 0, sizeof(rnl_real) * (size_t)N * D);
        linear_backward(m->dn, g + o->out_w, g + o->out_b, m->dx, k->ctx, p + o->out_w, N, D, D);
        memset(m->dqkv, 0, sizeof(rnl_real) * (size_t)N * 3 * D);
        for (int r = 0; r < B; r++)
            rnl_attention_backward(m->dqkv + (size_t)m->off[r] * 3 * D, m->ds, m->dn + (size_t)m->off[r] * D,
                               k->att + m->att_off[r], k->qkv + (size_t)m->off[r] * 3 * D, m->len[r], D, H);
        memset(m->dn, 0, sizeof(rnl_real) * (size_t)N * D);
        linear_backward(m->dn, g + o->in_w, g + o->in_b, m->dqkv, k->ln1, p + o->in_w, N, D, 3 * D);
        layernorm_backward(m->dx, g + o->n1_w, g + o->n1_b, m->dn, k->x, k->mu1, k->rs1, p + o->n1_w, N, D);
    }

    // x_0: positions have no parameters; the embedding rows read (scatter-add) or the input projection.
    if (c->vocab > 0) {
        rnl_real *dE = g + m->off_emb;
        for (int i = 0; i < N; i++) {
            rnl_real *row = dE + (size_t)m->tokens[i] * D;
            const rnl_real *d = m->dx + (size_t)i * D;
            for (int j = 0; j < D; j++) row[j] += d[j];
        }
    } else {
        linear_backward(NULL, g + m->off_in_w, g + m->off_in_b, m->dx, m->inputs, p + m->off_in_w, N, c->input_size, D);
    }
    m->has_targets = 0;  // dlogits were scaled in place: one backward per forward
    return RNL_OK;
}

// --- The kind: what the base calls (model_base.h) -----------------------------------------------------

static rnl_status kind_forward(rnl_base *b, const void *batch, rnl_real *loss) { return rnl_tf_forward((rnl_tf *)b, batch, loss); }
static rnl_status kind_backward(rnl_base *b, int bptt_window) { return rnl_tf_backward((rnl_tf *)b); }
static void kind_accuracy(const rnl_base *b, double acc[2]) { acc[0] = ((const rnl_tf *)b)->accuracy; }
static const rnl_config *kind_io(const rnl_base *b) { return &((const rnl_tf *)b)->io; }

static const rnl_kind tf_kind = {
    .name = "transformer",
    .n_dims = 2,
    .dims = {"sequences", "steps"},
    .layout = layout_workspace,
    .forward = kind_forward,
    .backward = kind_backward,
    .accuracy = kind_accuracy,
    .size = sizeof(rnl_tf),
    .io = kind_io,
};

rnl_status rnl_tf_train_step(rnl_tf *m, rnl_optimizer *o, const rnl_batch *b, rnl_step_stats *st) {
    rnl_step_stats local;
    if (!st) st = &local;
    rnl_step_out out = rnl_step_out_of(st);
    return rnl_base_train_step(&m->base, o, b, 0, &out);
}

rnl_status rnl_tf_eval_batch(rnl_tf *m, const rnl_batch *b, rnl_step_stats *st) {
    rnl_step_out out = rnl_step_out_of(st);
    return rnl_base_eval_batch(&m->base, b, &out);
}

// --- Shards and threads (shards.c) ------------------------------------------------------------------

rnl_status rnl_tf_shard_grad(rnl_tf *m, const rnl_batch *b, int shard, long step, rnl_shard_grad *g) {
    return rnl_base_shard_grad(&m->base, b, shard, 0, step, g);
}

rnl_status rnl_tf_apply_shards(rnl_tf *m, rnl_optimizer *o, const rnl_shard_grad *g, int n, rnl_step_stats *st) {
    rnl_step_stats local;
    if (!st) st = &local;
    rnl_step_out out = rnl_step_out_of(st);
    return rnl_base_apply_shards(&m->base, o, g, n, &out);
}

rnl_status rnl_tf_set_threads(rnl_tf *m, int n) { return rnl_base_set_threads(&m->base, n); }
int rnl_tf_threads(const rnl_tf *m) { return rnl_base_team_threads(&m->base); }

rnl_status rnl_tf_eval_batches(rnl_tf *m, const rnl_batch *b, int n, rnl_step_stats *st) {
    return rnl_base_eval_batches_stats(&m->base, b, n, st);
}
