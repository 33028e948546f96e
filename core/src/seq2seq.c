// seq2seq.c: encoder-decoder models with attention (rnnlab_seq2seq.h; equations in docs/seq2seq.md).
//
//   source (B, S) -> embedding -> recurrent layer(s), optionally bidirectional -> h_j (width De)
//   target -> <bos> y_0 .. y_{U-2} -> embedding -> one decoder cell (width Hd = De), started from the
//   encoder's final state -> s_t -> attention over h_j (none, dot, additive) -> o_t -> logits (Vt)
//
// The encoder runs time-major over the batch sorted by source length, the decoder over the batch sorted
// by target length (two orders; rows are mapped through the caller's sample index), so padding is never
// computed or read. The encoder outputs are copied, per decoder row, into a batch-major memory (B, S, De)
// that the attention reads.
//
// The recurrent layers are cells.c's loops with two additions the bridge between encoder and decoder
// needs: an initial state (h0, c0) with its gradient, and a gradient on the final cell state. The cell
// math itself is cell_math.c's, as everywhere else. Limits: no truncated BPTT; the decoder has one layer.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model_base.h"
#include "rnnlab_seq2seq.h"

#define S2S_MAX_TENSORS (2 + RNL_MAX_LAYERS * 2 * 4 + 4 + 7)

struct rnl_s2s {
    rnl_base base;  // first: parameters, gradients, tensor table, work memory (model_base.h)
    rnl_s2s_config cfg;
    // Offsets into the parameter block.
    size_t off_enc_emb, off_dec_emb;
    size_t off_w_ih[RNL_MAX_LAYERS][2], off_w_hh[RNL_MAX_LAYERS][2], off_b_ih[RNL_MAX_LAYERS][2], off_b_hh[RNL_MAX_LAYERS][2];
    size_t off_d_w_ih, off_d_w_hh, off_d_b_ih, off_d_b_hh;
    size_t off_wq, off_wk, off_v, off_wc, off_bc, off_out_w, off_out_b;
    int ndir, He, De, Hd, A, E, Vs, Vt;

    // The last pass: B, S = longest source, U = longest target (or decoding steps); Ub = caller's U.
    int B, S, U, Ub;
    int valid, has_targets, decoded;
    int *enc_order, *enc_len, *enc_row;  // (B) encoder row -> sample, its source length; sample -> row
    int *dec_order, *dec_len, *mlen;     // (B) decoder row -> sample, its target length, its source length
    int32_t *out_len;                    // (B) decoding: tokens emitted per decoder row
    int32_t *src_tok;                    // (S, B) encoder order
    int32_t *dec_in, *tgt_tok;           // (U, B) decoder order: input token y_{t-1}, target (or argmax) y_t
    rnl_real *x0;                        // (S, B, E) encoder embeddings
    rnl_real *y[RNL_MAX_LAYERS];         // (S, B, De) encoder layer outputs
    rnl_real *gates[RNL_MAX_LAYERS][2];  // (S, B, Ge*He)
    rnl_real *aux[RNL_MAX_LAYERS][2];    // (S, B, He)
    rnl_real *dy[2];                     // (S, B, max(De, E)) ping-pong gradients
    rnl_real *dc_last[2];                // (B, He) dL/d(final cell state) of the top layer, per direction
    rnl_real *mem, *dmem;                // (B, S, De) encoder outputs per decoder row, zero past mlen
    rnl_real *keys, *dkeys;              // (B, S, A) W_k h_j (additive)
    rnl_real *h0, *c0, *dh0, *dc0;       // (B, Hd) decoder initial state, from the encoder
    rnl_real *xd, *dxd;                  // (U, B, E) decoder inputs
    rnl_real *dgates, *daux;             // (U, B, Gd*Hd), (U, B, Hd) decoder caches
    rnl_real *s, *ds;                    // (U, B, Hd) decoder states s_t
    rnl_real *q, *dq;                    // (U, B, A) W_q s_t (additive)
    rnl_real *th;                        // (U, B, S, A) tanh(W_q s_t + W_k h_j) (additive)
    rnl_real *alpha;                     // (U, B, S) attention weights, zero past mlen
    rnl_real *sc, *dsc;                  // (U, B, Hd + De) [s_t; c_t]
    rnl_real *o, *dout;                  // (U, B, Hd) attentional state o_t
    rnl_real *logits, *dlogits;          // (U, B, Vt); dlogits already divided by the token count
    rnl_real *out_logits;                // (B, Ub, Vt) caller's order, zeros at padding
    rnl_real *trace;                     // (U, S) one sample's attention weights
    rnl_layer_scratch scratch;           // all of the above: carved from base.ws for (B, S, U) = base.cap
    double token_acc, seq_acc;
};

static const rnl_kind s2s_kind;  // at the end of the file

// --- Configuration ------------------------------------------------------------------------------

rnl_s2s_config rnl_s2s_config_default(void) {
    rnl_s2s_config c;
    memset(&c, 0, sizeof c);
    c.src_vocab = c.tgt_vocab = 13;
    c.embed = 16;
    c.enc_cell = c.dec_cell = RNL_CELL_GRU;
    c.enc_hidden = 32;
    c.enc_layers = 1;
    c.attention = RNL_ATTN_DOT;
    c.forget_bias = 1.0f;
    return c;
}

const char *rnl_attn_name(rnl_attn a) {
    switch (a) {
    case RNL_ATTN_NONE: return "none";
    case RNL_ATTN_DOT: return "dot";
    case RNL_ATTN_ADDITIVE: return "additive";
    }
    return "?";
}

rnl_status rnl_attn_parse(const char *name, rnl_attn *out) {
    for (int a = 0; a <= RNL_ATTN_ADDITIVE; a++)
        if (strcmp(name, rnl_attn_name((rnl_attn)a)) == 0) {
            *out = (rnl_attn)a;
            return RNL_OK;
        }
    return rnl_fail(RNL_ERR_ARG, "unknown attention '%s' (expected none, dot or additive)", name);
}

static int valid_cell(rnl_cell c) { return rnl_cell_info_of(c) != NULL; }

static int attn_width(const rnl_s2s_config *c) {
    int Hd = c->enc_hidden * (c->bidirectional ? 2 : 1);
    return c->attention != RNL_ATTN_ADDITIVE ? 0 : c->attn_width > 0 ? c->attn_width : Hd;
}

// Counts the parameters of a configuration whose fields are within their ranges (checked by the caller).
static size_t count_params(const rnl_s2s_config *c) {
    int ok = 1;
    size_t E = (size_t)c->embed, He = (size_t)c->enc_hidden, ndir = c->bidirectional ? 2 : 1, De = He * ndir, Hd = De;
    size_t Ge = (size_t)rnl_cell_gates(c->enc_cell), Gd = (size_t)rnl_cell_gates(c->dec_cell), A = (size_t)attn_width(c);
    size_t Vs = (size_t)c->src_vocab, Vt = (size_t)c->tgt_vocab;
    size_t n = rnl_mul_size(Vs, E, &ok);
    for (int l = 0; l < c->enc_layers; l++) {
        size_t in = l ? De : E;
        size_t per = rnl_mul_size(Ge * He, in + He + 2, &ok);
        n = rnl_add_size(n, rnl_mul_size(per, ndir, &ok), &ok);
    }
    n = rnl_add_size(n, rnl_mul_size(Vt, E, &ok), &ok);
    n = rnl_add_size(n, rnl_mul_size(Gd * Hd, E + Hd + 2, &ok), &ok);
    if (c->attention == RNL_ATTN_ADDITIVE) n = rnl_add_size(n, rnl_mul_size(A, Hd + De + 1, &ok), &ok);
    if (c->attention != RNL_ATTN_NONE) n = rnl_add_size(n, rnl_mul_size(Hd, Hd + De + 1, &ok), &ok);
    n = rnl_add_size(n, rnl_mul_size(Vt, Hd + 1, &ok), &ok);
    return ok ? n : 0;
}

static rnl_status range(const char *name, long v, long lo, long hi) {
    if (v < lo || v > hi) return rnl_fail(RNL_ERR_ARG, "seq2seq config: %s is %ld, must be in %ld..%ld", name, v, lo, hi);
    return RNL_OK;
}

rnl_status rnl_s2s_config_validate(const rnl_s2s_config *c) {
    rnl_status st;
    if (!c) return rnl_fail(RNL_ERR_ARG, "seq2seq config: missing");
    if (!valid_cell(c->enc_cell))
        return rnl_fail(RNL_ERR_ARG, "seq2seq config: enc_cell is %d, must be 0 (rnn), 1 (lstm) or 2 (gru)", (int)c->enc_cell);
    if (!valid_cell(c->dec_cell))
        return rnl_fail(RNL_ERR_ARG, "seq2seq config: dec_cell is %d, must be 0 (rnn), 1 (lstm) or 2 (gru)", (int)c->dec_cell);
    if (c->attention != RNL_ATTN_NONE && c->attention != RNL_ATTN_DOT && c->attention != RNL_ATTN_ADDITIVE)
        return rnl_fail(RNL_ERR_ARG, "seq2seq config: attention is %d, must be 0 (none), 1 (dot) or 2 (additive)", (int)c->attention);
    if ((st = range("src_vocab", c->src_vocab, RNL_S2S_FIRST_SYMBOL + 1, RNL_MAX_VOCAB))) return st;
    if ((st = range("tgt_vocab", c->tgt_vocab, RNL_S2S_FIRST_SYMBOL + 1, RNL_MAX_VOCAB))) return st;
    if ((st = range("embed", c->embed, 1, RNL_MAX_WIDTH))) return st;
    if ((st = range("enc_hidden", c->enc_hidden, 1, RNL_MAX_WIDTH))) return st;
    if ((st = range("enc_layers", c->enc_layers, 1, RNL_MAX_LAYERS))) return st;
    if ((st = range("bidirectional", c->bidirectional, 0, 1))) return st;
    if ((st = range("attn_width", c->attn_width, 0, RNL_MAX_WIDTH))) return st;
    if (c->enc_hidden * (c->bidirectional ? 2 : 1) > RNL_MAX_WIDTH)
        return rnl_fail(RNL_ERR_ARG, "seq2seq config: the decoder width enc_hidden x 2 directions = %d exceeds %d",
                        c->enc_hidden * 2, RNL_MAX_WIDTH);
    if (!(c->forget_bias > -100.0f && c->forget_bias < 100.0f))
        return rnl_fail(RNL_ERR_ARG, "seq2seq config: forget_bias must be a finite number in (-100, 100)");
    size_t n = count_params(c);
    if (n == 0 || n > RNL_MAX_PARAMS)
        return rnl_fail(RNL_ERR_NOMEM, "seq2seq config: the model would have %zu parameters, more than the limit of %u", n,
                        (unsigned)RNL_MAX_PARAMS);
    return RNL_OK;
}

size_t rnl_s2s_config_num_params(const rnl_s2s_config *c) {
    char keep[512];  // validation must not clobber the caller's last error
    snprintf(keep, sizeof keep, "%s", rnl_last_error());
    size_t n = rnl_s2s_config_validate(c) == RNL_OK ? count_params(c) : 0;
    rnl_fail(RNL_OK, "%s", keep);
    return n;
}

// --- Parameter layout ---------------------------------------------------------------------------

// The tensors, named as the PyTorch reference model of docs/seq2seq.md names them.
static void build_layout(rnl_s2s *m) {
    const rnl_s2s_config *c = &m->cfg;
    rnl_base *b = &m->base;
    int GHe = rnl_cell_gates(c->enc_cell) * m->He, GHd = rnl_cell_gates(c->dec_cell) * m->Hd;
    m->off_enc_emb = rnl_base_add_tensor(b, m->Vs, m->E, "encoder.embedding.weight");
    for (int l = 0; l < c->enc_layers; l++)
        for (int d = 0; d < m->ndir; d++) {
            const char *sfx = d ? "_reverse" : "";
            m->off_w_ih[l][d] = rnl_base_add_tensor(b, GHe, l ? m->De : m->E, "encoder.rnn.weight_ih_l%d%s", l, sfx);
            m->off_w_hh[l][d] = rnl_base_add_tensor(b, GHe, m->He, "encoder.rnn.weight_hh_l%d%s", l, sfx);
            m->off_b_ih[l][d] = rnl_base_add_tensor(b, GHe, 1, "encoder.rnn.bias_ih_l%d%s", l, sfx);
            m->off_b_hh[l][d] = rnl_base_add_tensor(b, GHe, 1, "encoder.rnn.bias_hh_l%d%s", l, sfx);
        }
    m->off_dec_emb = rnl_base_add_tensor(b, m->Vt, m->E, "decoder.embedding.weight");
    m->off_d_w_ih = rnl_base_add_tensor(b, GHd, m->E, "decoder.cell.weight_ih");
    m->off_d_w_hh = rnl_base_add_tensor(b, GHd, m->Hd, "decoder.cell.weight_hh");
    m->off_d_b_ih = rnl_base_add_tensor(b, GHd, 1, "decoder.cell.bias_ih");
    m->off_d_b_hh = rnl_base_add_tensor(b, GHd, 1, "decoder.cell.bias_hh");
    if (c->attention == RNL_ATTN_ADDITIVE) {
        m->off_wq = rnl_base_add_tensor(b, m->A, m->Hd, "attention.W_q");
        m->off_wk = rnl_base_add_tensor(b, m->A, m->De, "attention.W_k");
        m->off_v = rnl_base_add_tensor(b, m->A, 1, "attention.v");
    }
    if (c->attention != RNL_ATTN_NONE) {
        m->off_wc = rnl_base_add_tensor(b, m->Hd, m->Hd + m->De, "attention.W_c");
        m->off_bc = rnl_base_add_tensor(b, m->Hd, 1, "attention.b_c");
    }
    m->off_out_w = rnl_base_add_tensor(b, m->Vt, m->Hd, "out.weight");
    m->off_out_b = rnl_base_add_tensor(b, m->Vt, 1, "out.bias");
}

// --- Initialisation (model.c's helpers: an encoder starts like an rnl_model's layer with the same draws) --

static rnl_status init_params(rnl_s2s *m, uint64_t seed) {
    const rnl_s2s_config *c = &m->cfg;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_real *p = m->base.params;
    int ok = 1;
    memset(p, 0, sizeof(rnl_real) * m->base.n_params);
    rnl_init_uniform(p + m->off_enc_emb, (size_t)m->Vs * m->E, 0.05, &rng);
    for (int l = 0; l < c->enc_layers; l++)
        for (int d = 0; d < m->ndir; d++)
            ok = ok && rnl_init_recurrent(p, m->off_w_ih[l][d], m->off_w_hh[l][d], m->off_b_ih[l][d], c->enc_cell,
                                      l ? m->De : m->E, m->He, c->forget_bias, &rng);
    rnl_init_uniform(p + m->off_dec_emb, (size_t)m->Vt * m->E, 0.05, &rng);
    ok = ok && rnl_init_recurrent(p, m->off_d_w_ih, m->off_d_w_hh, m->off_d_b_ih, c->dec_cell, m->E, m->Hd, c->forget_bias, &rng);
    if (!ok) return rnl_fail(RNL_ERR_NOMEM, "seq2seq: out of memory initialising recurrent weights");
    if (c->attention == RNL_ATTN_ADDITIVE) {
        rnl_init_uniform(p + m->off_wq, (size_t)m->A * m->Hd, sqrt(6.0 / (m->Hd + m->A)), &rng);
        rnl_init_uniform(p + m->off_wk, (size_t)m->A * m->De, sqrt(6.0 / (m->De + m->A)), &rng);
        rnl_init_uniform(p + m->off_v, (size_t)m->A, sqrt(6.0 / (m->A + 1)), &rng);
    }
    if (c->attention != RNL_ATTN_NONE)
        rnl_init_uniform(p + m->off_wc, (size_t)m->Hd * (m->Hd + m->De), sqrt(6.0 / (2 * m->Hd + m->De)), &rng);
    rnl_init_uniform(p + m->off_out_w, (size_t)m->Vt * m->Hd, sqrt(6.0 / (m->Hd + m->Vt)), &rng);
    return RNL_OK;
}

rnl_status rnl_s2s_create(rnl_s2s **out, const rnl_s2s_config *cfg, uint64_t seed) {
    rnl_status st;
    *out = NULL;
    if ((st = rnl_s2s_config_validate(cfg))) return st;
    rnl_s2s *m = calloc(1, sizeof *m);
    if (!m) return rnl_fail(RNL_ERR_NOMEM, "seq2seq: out of memory");
    if ((st = rnl_base_init(&m->base, &s2s_kind, S2S_MAX_TENSORS))) {
        free(m);
        return st;
    }
    m->cfg = *cfg;
    m->ndir = cfg->bidirectional ? 2 : 1;
    m->He = cfg->enc_hidden;
    m->De = m->Hd = m->ndir * m->He;
    m->A = attn_width(cfg);
    m->E = cfg->embed;
    m->Vs = cfg->src_vocab;
    m->Vt = cfg->tgt_vocab;
    build_layout(m);
    if ((st = rnl_base_alloc_params(&m->base)) || (st = init_params(m, seed))) {
        rnl_s2s_destroy(m);
        return st;
    }
    *out = m;
    return RNL_OK;
}

void rnl_s2s_destroy(rnl_s2s *m) {
    if (!m) return;
    rnl_base_free(&m->base);
    free(m);
}

const rnl_s2s_config *rnl_s2s_get_config(const rnl_s2s *m) { return &m->cfg; }
size_t rnl_s2s_num_params(const rnl_s2s *m) { return m->base.n_params; }
rnl_real *rnl_s2s_params(rnl_s2s *m) { return m->base.params; }
rnl_real *rnl_s2s_grads(rnl_s2s *m) { return m->base.grads; }
int rnl_s2s_num_tensors(const rnl_s2s *m) { return m->base.n_tensors; }
const rnl_tensor_info *rnl_s2s_tensor(const rnl_s2s *m, int i) { return rnl_base_tensor(&m->base, i); }
void rnl_s2s_zero_grad(rnl_s2s *m) { rnl_base_zero_grad(&m->base); }
const rnl_real *rnl_s2s_logits(const rnl_s2s *m) { return m->valid && !m->decoded ? m->out_logits : NULL; }

// --- Workspace ----------------------------------------------------------------------------------

// Every buffer for a batch of B sequences, sources up to S and targets up to U steps. The sizes of a
// config whose fields passed validation; products go through the overflow-checked carver.
static void layout_workspace(rnl_base *base, rnl_carver *cv, const int *shape) {
    rnl_s2s *m = (rnl_s2s *)base;
    const rnl_s2s_config *c = &m->cfg;
    const int B = shape[0], S = shape[1], U = shape[2];
    int ndir = c->bidirectional ? 2 : 1, He = c->enc_hidden, De = ndir * He, Hd = De, E = c->embed, A = attn_width(c);
    int GHe = rnl_cell_gates(c->enc_cell) * He, GHd = rnl_cell_gates(c->dec_cell) * Hd, Vt = c->tgt_vocab;
    int Hmax = He > Hd ? He : Hd, GHmax = GHe > GHd ? GHe : GHd, Tmax = S > U ? S : U, wide = De > E ? De : E;
    size_t SB = (size_t)S * B, UB = (size_t)U * B, BS = (size_t)B * S;
    int attn = c->attention != RNL_ATTN_NONE, add = c->attention == RNL_ATTN_ADDITIVE;
    m->enc_order = rnl_carve(cv, B, sizeof(int));
    m->enc_len = rnl_carve(cv, B, sizeof(int));
    m->enc_row = rnl_carve(cv, B, sizeof(int));
    m->dec_order = rnl_carve(cv, B, sizeof(int));
    m->dec_len = rnl_carve(cv, B, sizeof(int));
    m->mlen = rnl_carve(cv, B, sizeof(int));
    m->out_len = rnl_carve(cv, B, sizeof(int32_t));
    m->src_tok = rnl_carve(cv, SB, sizeof(int32_t));
    m->dec_in = rnl_carve(cv, UB, sizeof(int32_t));
    m->tgt_tok = rnl_carve(cv, UB, sizeof(int32_t));
    m->x0 = rnl_carve(cv, SB * E, sizeof(rnl_real));
    for (int l = 0; l < c->enc_layers; l++) {
        m->y[l] = rnl_carve(cv, SB * De, sizeof(rnl_real));
        for (int d = 0; d < ndir; d++) {
            m->gates[l][d] = rnl_carve(cv, SB * GHe, sizeof(rnl_real));
            m->aux[l][d] = rnl_cell_info_of(c->enc_cell)->extra_state ? rnl_carve(cv, SB * He, sizeof(rnl_real)) : NULL;
        }
    }
    m->dy[0] = rnl_carve(cv, SB * wide, sizeof(rnl_real));
    m->dy[1] = rnl_carve(cv, SB * wide, sizeof(rnl_real));
    m->dc_last[0] = rnl_carve(cv, (size_t)B * He, sizeof(rnl_real));
    m->dc_last[1] = rnl_carve(cv, (size_t)B * He, sizeof(rnl_real));
    m->mem = rnl_carve(cv, BS * De, sizeof(rnl_real));
    m->dmem = rnl_carve(cv, BS * De, sizeof(rnl_real));
    m->keys = add ? rnl_carve(cv, BS * A, sizeof(rnl_real)) : NULL;
    m->dkeys = add ? rnl_carve(cv, BS * A, sizeof(rnl_real)) : NULL;
    m->h0 = rnl_carve(cv, (size_t)B * Hd, sizeof(rnl_real));
    m->c0 = rnl_carve(cv, (size_t)B * Hd, sizeof(rnl_real));
    m->dh0 = rnl_carve(cv, (size_t)B * Hd, sizeof(rnl_real));
    m->dc0 = rnl_carve(cv, (size_t)B * Hd, sizeof(rnl_real));
    m->xd = rnl_carve(cv, UB * E, sizeof(rnl_real));
    m->dxd = rnl_carve(cv, UB * E, sizeof(rnl_real));
    m->dgates = rnl_carve(cv, UB * GHd, sizeof(rnl_real));
    m->daux = rnl_cell_info_of(c->dec_cell)->extra_state ? rnl_carve(cv, UB * Hd, sizeof(rnl_real)) : NULL;
    m->s = rnl_carve(cv, UB * Hd, sizeof(rnl_real));
    m->ds = rnl_carve(cv, UB * Hd, sizeof(rnl_real));
    m->q = add ? rnl_carve(cv, UB * A, sizeof(rnl_real)) : NULL;
    m->dq = add ? rnl_carve(cv, UB * A, sizeof(rnl_real)) : NULL;
    m->th = add ? rnl_carve(cv, rnl_mul_size(UB * S, (size_t)A, &cv->ok), sizeof(rnl_real)) : NULL;
    m->alpha = attn ? rnl_carve(cv, UB * S, sizeof(rnl_real)) : NULL;
    m->sc = attn ? rnl_carve(cv, UB * (Hd + De), sizeof(rnl_real)) : NULL;
    m->dsc = attn ? rnl_carve(cv, UB * (Hd + De), sizeof(rnl_real)) : NULL;
    m->o = attn ? rnl_carve(cv, UB * Hd, sizeof(rnl_real)) : NULL;
    m->dout = attn ? rnl_carve(cv, UB * Hd, sizeof(rnl_real)) : NULL;
    m->logits = rnl_carve(cv, UB * Vt, sizeof(rnl_real));
    m->dlogits = rnl_carve(cv, UB * Vt, sizeof(rnl_real));
    m->out_logits = rnl_carve(cv, UB * Vt, sizeof(rnl_real));
    m->trace = attn ? rnl_carve(cv, (size_t)U * S, sizeof(rnl_real)) : NULL;
    m->scratch.hprev = rnl_carve(cv, (size_t)B * Hmax, sizeof(rnl_real));
    m->scratch.cprev = rnl_carve(cv, (size_t)B * Hmax, sizeof(rnl_real));
    m->scratch.dh = rnl_carve(cv, (size_t)B * Hmax, sizeof(rnl_real));
    m->scratch.dc = rnl_carve(cv, (size_t)B * Hmax, sizeof(rnl_real));
    m->scratch.hp = rnl_carve(cv, (size_t)B * GHmax, sizeof(rnl_real));
    m->scratch.dhh = rnl_carve(cv, (size_t)B * GHmax, sizeof(rnl_real));
    m->scratch.dg = rnl_carve(cv, rnl_mul_size((size_t)Tmax * B, (size_t)GHmax, &cv->ok), sizeof(rnl_real));
}

size_t rnl_s2s_workspace_bytes(const rnl_s2s_config *cfg, int B, int S, int U) {
    if (B < 1 || S < 1 || U < 1 || B > RNL_MAX_BATCH || S > RNL_MAX_STEPS || U > RNL_MAX_STEPS) return 0;
    char keep[512];
    snprintf(keep, sizeof keep, "%s", rnl_last_error());
    rnl_status st = rnl_s2s_config_validate(cfg);
    rnl_fail(RNL_OK, "%s", keep);
    if (st) return 0;
    rnl_s2s scratch;
    scratch.base.kind = &s2s_kind;
    scratch.cfg = *cfg;
    return rnl_base_workspace_bytes(&scratch.base, (int[]){B, S, U});
}

static rnl_layer_desc enc_desc(const rnl_s2s *m, int l, int d) {
    rnl_layer_desc L = {.cell = m->cfg.enc_cell, .H = m->He, .in = l ? m->De : m->E, .B = m->B, .T = m->S,
                        .reverse = d, .len = m->enc_len,
                        .W_ih = m->base.params + m->off_w_ih[l][d], .W_hh = m->base.params + m->off_w_hh[l][d],
                        .b_ih = m->base.params + m->off_b_ih[l][d], .b_hh = m->base.params + m->off_b_hh[l][d]};
    return L;
}

static rnl_layer_cache enc_cache(const rnl_s2s *m, int l, int d) {
    rnl_layer_cache c = {.gates = m->gates[l][d], .aux = m->aux[l][d], .h = m->y[l] + d * m->He, .ldh = m->De};
    return c;
}

static rnl_layer_desc dec_desc(const rnl_s2s *m) {
    rnl_layer_desc L = {.cell = m->cfg.dec_cell, .H = m->Hd, .in = m->E, .B = m->B, .T = m->U, .reverse = 0,
                        .len = m->dec_len, .W_ih = m->base.params + m->off_d_w_ih, .W_hh = m->base.params + m->off_d_w_hh,
                        .b_ih = m->base.params + m->off_d_b_ih, .b_hh = m->base.params + m->off_d_b_hh, .h0 = m->h0,
                        .c0 = m->c0};
    return L;
}

static rnl_layer_cache dec_cache(const rnl_s2s *m) {
    rnl_layer_cache c = {.gates = m->dgates, .aux = m->daux, .h = m->s, .ldh = m->Hd};
    return c;
}

// --- Batches ------------------------------------------------------------------------------------

static rnl_status check_tokens(const char *what, const int32_t *tok, const int32_t *lens, int B, int T, int V) {
    for (int i = 0; i < B; i++) {
        int len = lens ? lens[i] : T;
        if (len < 1 || len > T)
            return rnl_fail(RNL_ERR_ARG, "seq2seq batch: %s %d has length %d, must be in 1..%d", what, i, len, T);
        for (int t = 0; t < len; t++) {
            int32_t k = tok[(size_t)i * T + t];
            if (k < 0 || k >= V)
                return rnl_fail(RNL_ERR_ARG, "seq2seq batch: %s %d, step %d: token id %d is outside the vocabulary 0..%d",
                                what, i, t, (int)k, V - 1);
        }
    }
    return RNL_OK;
}

static rnl_status check_batch(const rnl_s2s *m, const rnl_s2s_batch *b, int need_targets) {
    rnl_status st;
    if (!b) return rnl_fail(RNL_ERR_ARG, "seq2seq batch: missing");
    if (b->B < 1 || b->B > RNL_MAX_BATCH) return rnl_fail(RNL_ERR_ARG, "seq2seq batch: B = %d is outside 1..%d", b->B, RNL_MAX_BATCH);
    if (b->S < 1 || b->S > RNL_MAX_STEPS) return rnl_fail(RNL_ERR_ARG, "seq2seq batch: S = %d source steps is outside 1..%d", b->S, RNL_MAX_STEPS);
    if (!b->src) return rnl_fail(RNL_ERR_ARG, "seq2seq batch: no source tokens (src)");
    if ((st = check_tokens("source", b->src, b->src_len, b->B, b->S, m->Vs))) return st;
    if (!need_targets) return RNL_OK;
    if (b->U < 1 || b->U > RNL_MAX_STEPS) return rnl_fail(RNL_ERR_ARG, "seq2seq batch: U = %d target steps is outside 1..%d", b->U, RNL_MAX_STEPS);
    if (!b->tgt) return rnl_fail(RNL_ERR_ARG, "seq2seq batch: no target tokens (tgt): teacher forcing needs them");
    return check_tokens("target", b->tgt, b->tgt_len, b->B, b->U, m->Vt);
}

// --- Forward ------------------------------------------------------------------------------------

static void encoder_forward(rnl_s2s *m, const rnl_s2s_batch *b) {
    const int B = m->B, S = m->S, E = m->E, De = m->De;
    memset(m->x0, 0, sizeof(rnl_real) * (size_t)S * B * E);
    for (int r = 0; r < B; r++) {
        int i = m->enc_order[r];
        m->enc_row[i] = r;
        for (int t = 0; t < m->enc_len[r]; t++) {
            int32_t tok = b->src[(size_t)i * b->S + t];
            m->src_tok[(size_t)t * B + r] = tok;
            memcpy(m->x0 + ((size_t)t * B + r) * E, m->base.params + m->off_enc_emb + (size_t)tok * E, sizeof(rnl_real) * E);
        }
    }
    const rnl_real *x = m->x0;
    int ldx = E;
    for (int l = 0; l < m->cfg.enc_layers; l++) {
        memset(m->y[l], 0, sizeof(rnl_real) * (size_t)S * B * De);
        for (int d = 0; d < m->ndir; d++) {
            rnl_layer_desc L = enc_desc(m, l, d);
            rnl_layer_cache c = enc_cache(m, l, d);
            rnl_layer_forward(&L, &c, &m->scratch, x, ldx);
        }
        x = m->y[l];
        ldx = De;
    }
}

// The bridge: per decoder row, the memory h_j (zeros past the source) and the initial state: the top
// layer's forward final state, then the reverse direction's (its state after t = 0); likewise the LSTM
// cell state when both encoder and decoder are LSTMs (otherwise c0 = 0).
static void bridge_forward(rnl_s2s *m) {
    const int B = m->B, S = m->S, He = m->He, De = m->De, top = m->cfg.enc_layers - 1;
    const rnl_real *ytop = m->y[top];
    int pass_c = m->cfg.enc_cell == RNL_CELL_LSTM && m->cfg.dec_cell == RNL_CELL_LSTM;
    memset(m->c0, 0, sizeof(rnl_real) * (size_t)B * m->Hd);
    for (int r = 0; r < B; r++) {
        int re = m->enc_row[m->dec_order[r]], n = m->enc_len[re];
        m->mlen[r] = n;
        rnl_real *mem = m->mem + (size_t)r * S * De;
        for (int j = 0; j < n; j++) memcpy(mem + (size_t)j * De, ytop + ((size_t)j * B + re) * De, sizeof(rnl_real) * De);
        memset(mem + (size_t)n * De, 0, sizeof(rnl_real) * (size_t)(S - n) * De);
        rnl_real *h0 = m->h0 + (size_t)r * m->Hd, *c0 = m->c0 + (size_t)r * m->Hd;
        memcpy(h0, ytop + ((size_t)(n - 1) * B + re) * De, sizeof(rnl_real) * He);
        if (m->ndir == 2) memcpy(h0 + He, ytop + (size_t)re * De + He, sizeof(rnl_real) * He);
        if (pass_c) {
            memcpy(c0, m->aux[top][0] + ((size_t)(n - 1) * B + re) * He, sizeof(rnl_real) * He);
            if (m->ndir == 2) memcpy(c0 + He, m->aux[top][1] + (size_t)re * He, sizeof(rnl_real) * He);
        }
    }
    if (m->cfg.attention == RNL_ATTN_ADDITIVE) {  // keys (B*S, A) = mem W_k^T, once per pass
        memset(m->keys, 0, sizeof(rnl_real) * (size_t)B * S * m->A);
        rnl_gemm_nt(B * S, m->A, De, m->mem, De, m->base.params + m->off_wk, De, m->keys, m->A);
    }
}

// Attention of one decoder row at one step over its n source positions: alpha (S, zeros past n), the
// context into ctx (De); additive also caches th (n, A) = tanh(q + k_j).
static void attend_row(const rnl_s2s *m, const rnl_real *s, const rnl_real *q, const rnl_real *mem,
                       const rnl_real *keys, int n, rnl_real *alpha, rnl_real *th, rnl_real *ctx) {
    const int De = m->De, A = m->A;
    const rnl_real *v = m->base.params + m->off_v;
    rnl_real mx = 0;
    for (int j = 0; j < n; j++) {
        rnl_real e = 0;
        const rnl_real *h = mem + (size_t)j * De;
        if (m->cfg.attention == RNL_ATTN_DOT) {
            for (int k = 0; k < De; k++) e += s[k] * h[k];
        } else {
            const rnl_real *kj = keys + (size_t)j * A;
            rnl_real *tj = th + (size_t)j * A;
            for (int a = 0; a < A; a++) {
                tj[a] = r_tanh(q[a] + kj[a]);
                e += v[a] * tj[a];
            }
        }
        alpha[j] = e;
        if (j == 0 || e > mx) mx = e;
    }
    double sum = 0;
    for (int j = 0; j < n; j++) sum += alpha[j] = r_exp(alpha[j] - mx);
    for (int j = 0; j < n; j++) alpha[j] = (rnl_real)(alpha[j] / sum);
    for (int j = n; j < m->S; j++) alpha[j] = 0;
    memset(ctx, 0, sizeof(rnl_real) * De);
    for (int j = 0; j < n; j++) {
        const rnl_real *h = mem + (size_t)j * De;
        for (int k = 0; k < De; k++) ctx[k] += alpha[j] * h[k];
    }
}

// One decoder step t over its running rows, given their input tokens in dec_in[t]: cell, attention,
// attentional state, logits.
static void decoder_step(rnl_s2s *m, int t) {
    const int B = m->B, S = m->S, E = m->E, Hd = m->Hd, De = m->De, A = m->A, Vt = m->Vt, W = Hd + De;
    int nb = rnl_active_rows(m->dec_len, B, t);
    for (int r = 0; r < nb; r++) {
        int32_t tok = m->dec_in[(size_t)t * B + r];
        memcpy(m->xd + ((size_t)t * B + r) * E, m->base.params + m->off_dec_emb + (size_t)tok * E, sizeof(rnl_real) * E);
    }
    rnl_layer_desc L = dec_desc(m);
    rnl_layer_cache c = dec_cache(m);
    rnl_layer_forward_step(&L, &c, &m->scratch, m->xd, E, t);
    const rnl_real *st = m->s + (size_t)t * B * Hd, *feat = st;
    if (m->cfg.attention != RNL_ATTN_NONE) {
        rnl_real *q = NULL;
        if (m->cfg.attention == RNL_ATTN_ADDITIVE) {
            q = m->q + (size_t)t * B * A;
            memset(q, 0, sizeof(rnl_real) * (size_t)nb * A);
            rnl_gemm_nt(nb, A, Hd, st, Hd, m->base.params + m->off_wq, Hd, q, A);  // W_q s_t   // (nb, A)
        }
        rnl_real *sc = m->sc + (size_t)t * B * W, *o = m->o + (size_t)t * B * Hd;
        for (int r = 0; r < nb; r++) {
            memcpy(sc + (size_t)r * W, st + (size_t)r * Hd, sizeof(rnl_real) * Hd);
            attend_row(m, st + (size_t)r * Hd, q ? q + (size_t)r * A : NULL, m->mem + (size_t)r * S * De,
                       m->keys ? m->keys + (size_t)r * S * A : NULL, m->mlen[r], m->alpha + ((size_t)t * B + r) * S,
                       m->th ? m->th + ((size_t)t * B + r) * S * A : NULL, sc + (size_t)r * W + Hd);
        }
        // o_t = tanh(W_c [s_t; c_t] + b_c)   // (nb, Hd)
        for (int r = 0; r < nb; r++) memcpy(o + (size_t)r * Hd, m->base.params + m->off_bc, sizeof(rnl_real) * Hd);
        rnl_gemm_nt(nb, Hd, W, sc, W, m->base.params + m->off_wc, W, o, Hd);
        for (size_t i = 0; i < (size_t)nb * Hd; i++) o[i] = r_tanh(o[i]);
        feat = o;
    }
    rnl_real *lg = m->logits + (size_t)t * B * Vt;  // W_out feat + b_out   // (nb, Vt)
    for (int r = 0; r < nb; r++) memcpy(lg + (size_t)r * Vt, m->base.params + m->off_out_b, sizeof(rnl_real) * Vt);
    rnl_gemm_nt(nb, Vt, Hd, feat, Hd, m->base.params + m->off_out_w, Hd, lg, Vt);
}

static int argmax(const rnl_real *z, int n) {
    int k = 0;
    for (int i = 1; i < n; i++)
        if (z[i] > z[k]) k = i;
    return k;
}

rnl_status rnl_s2s_forward(rnl_s2s *m, const rnl_s2s_batch *b, rnl_real *loss) {
    rnl_status st = check_batch(m, b, 1);
    if (st) return st;
    if ((st = rnl_base_workspace(&m->base, (int[]){b->B, b->S, b->U}))) return st;
    m->valid = m->has_targets = m->decoded = 0;
    const int B = b->B, Vt = m->Vt;
    m->B = B;
    m->Ub = b->U;
    rnl_sort_rows(b->src_len, B, b->S, m->enc_order, m->enc_len);
    rnl_sort_rows(b->tgt_len, B, b->U, m->dec_order, m->dec_len);
    m->S = m->enc_len[0];  // steps past the longest sequence are all padding
    m->U = m->dec_len[0];
    const int U = m->U;
    encoder_forward(m, b);
    bridge_forward(m);

    long n_tokens = 0;
    for (int r = 0; r < B; r++) {
        int i = m->dec_order[r];
        n_tokens += m->dec_len[r];
        for (int t = 0; t < m->dec_len[r]; t++) {
            m->tgt_tok[(size_t)t * B + r] = b->tgt[(size_t)i * b->U + t];
            m->dec_in[(size_t)t * B + r] = t ? b->tgt[(size_t)i * b->U + t - 1] : RNL_S2S_BOS;
        }
    }
    for (int t = 0; t < U; t++) decoder_step(m, t);

    // Softmax cross-entropy per real target token; dlogits = (p - onehot) / n_tokens.
    double total = 0;
    int right = 0, seq_right = 0;
    const rnl_real inv = (rnl_real)(1.0 / n_tokens);
    memset(m->out_logits, 0, sizeof(rnl_real) * (size_t)B * b->U * Vt);
    for (int r = 0; r < B; r++) {
        int i = m->dec_order[r], all = 1;
        for (int t = 0; t < m->dec_len[r]; t++) {
            const rnl_real *z = m->logits + ((size_t)t * B + r) * Vt;
            rnl_real *dz = m->dlogits + ((size_t)t * B + r) * Vt;
            int y = m->tgt_tok[(size_t)t * B + r], k = argmax(z, Vt);
            rnl_real mx = z[k];
            double sum = 0;
            for (int v = 0; v < Vt; v++) sum += dz[v] = r_exp(z[v] - mx);
            for (int v = 0; v < Vt; v++) dz[v] = (rnl_real)(dz[v] / sum - (v == y)) * inv;
            total += log(sum) + mx - z[y];
            right += k == y;
            all &= k == y;
            memcpy(m->out_logits + ((size_t)i * b->U + t) * Vt, z, sizeof(rnl_real) * Vt);
        }
        seq_right += all;
    }
    m->token_acc = (double)right / n_tokens;
    m->seq_acc = (double)seq_right / B;
    if (loss) *loss = (rnl_real)(total / n_tokens);
    m->valid = m->has_targets = 1;
    return RNL_OK;
}

// --- Backward -----------------------------------------------------------------------------------

// Gradient of one row's attention at one step: dctx (De) in; += into ds (Hd), dmem (n, De), and for
// additive dq (A), dkeys (n, A), dv (A). dscore is scratch (n).
static void attend_row_backward(rnl_s2s *m, const rnl_real *s, const rnl_real *mem, int n, const rnl_real *alpha,
                                const rnl_real *th, const rnl_real *dctx, rnl_real *ds, rnl_real *dmem, rnl_real *dq,
                                rnl_real *dkeys, rnl_real *dscore) {
    const int De = m->De, A = m->A;
    // c = sum_j alpha_j h_j: dalpha_j = dctx . h_j, dh_j += alpha_j dctx.
    double dot = 0;
    for (int j = 0; j < n; j++) {
        const rnl_real *h = mem + (size_t)j * De;
        rnl_real *dh = dmem + (size_t)j * De, da = 0;
        for (int k = 0; k < De; k++) {
            da += dctx[k] * h[k];
            dh[k] += alpha[j] * dctx[k];
        }
        dscore[j] = da;
        dot += (double)alpha[j] * da;
    }
    // Softmax: dscore_j = alpha_j (dalpha_j - sum_k alpha_k dalpha_k).
    for (int j = 0; j < n; j++) dscore[j] = alpha[j] * (dscore[j] - (rnl_real)dot);
    if (m->cfg.attention == RNL_ATTN_DOT) {
        for (int j = 0; j < n; j++) {
            const rnl_real *h = mem + (size_t)j * De;
            rnl_real *dh = dmem + (size_t)j * De, g = dscore[j];
            for (int k = 0; k < De; k++) {
                ds[k] += g * h[k];
                dh[k] += g * s[k];
            }
        }
    } else {
        const rnl_real *v = m->base.params + m->off_v;
        rnl_real *dv = m->base.grads + m->off_v;
        for (int j = 0; j < n; j++) {
            const rnl_real *tj = th + (size_t)j * A;
            rnl_real *dk = dkeys + (size_t)j * A, g = dscore[j];
            for (int a = 0; a < A; a++) {
                dv[a] += g * tj[a];
                rnl_real du = g * v[a] * (1 - tj[a] * tj[a]);
                dq[a] += du;
                dk[a] += du;
            }
        }
    }
}

rnl_status rnl_s2s_backward(rnl_s2s *m) {
    if (!m->valid || !m->has_targets || m->decoded)
        return rnl_fail(RNL_ERR_ARG, "seq2seq backward: needs a forward pass with targets first");
    const rnl_s2s_config *c = &m->cfg;
    const int B = m->B, S = m->S, U = m->U, E = m->E, He = m->He, Hd = m->Hd, De = m->De, A = m->A, Vt = m->Vt, W = Hd + De;
    const int attn = c->attention != RNL_ATTN_NONE, add = c->attention == RNL_ATTN_ADDITIVE;
    rnl_real *g = m->base.grads;
    const rnl_real *p = m->base.params;
    memset(m->ds, 0, sizeof(rnl_real) * (size_t)U * B * Hd);
    memset(m->dmem, 0, sizeof(rnl_real) * (size_t)B * S * De);
    memset(m->dh0, 0, sizeof(rnl_real) * (size_t)B * Hd);
    memset(m->dc0, 0, sizeof(rnl_real) * (size_t)B * Hd);
    if (add) {
        memset(m->dkeys, 0, sizeof(rnl_real) * (size_t)B * S * A);
        memset(m->dq, 0, sizeof(rnl_real) * (size_t)U * B * A);
    }
    rnl_real *dscore = m->dy[1];  // (S) scratch: dy[1] is free until the encoder's backward below

    // Output layer and attention, step by step over the running rows.
    for (int t = 0; t < U; t++) {
        int nb = rnl_active_rows(m->dec_len, B, t);
        const rnl_real *dl = m->dlogits + (size_t)t * B * Vt, *st = m->s + (size_t)t * B * Hd;
        rnl_real *dst = m->ds + (size_t)t * B * Hd;
        const rnl_real *feat = attn ? m->o + (size_t)t * B * Hd : st;
        rnl_real *dfeat = attn ? m->dout + (size_t)t * B * Hd : dst;
        if (attn) memset(dfeat, 0, sizeof(rnl_real) * (size_t)nb * Hd);
        rnl_gemm_tn(Vt, Hd, nb, dl, Vt, feat, Hd, g + m->off_out_w, Hd);  // dW_out += dl^T feat
        for (int r = 0; r < nb; r++)
            for (int v = 0; v < Vt; v++) g[m->off_out_b + v] += dl[(size_t)r * Vt + v];
        rnl_gemm_nn(nb, Hd, Vt, dl, Vt, p + m->off_out_w, Hd, dfeat, Hd);  // dfeat += dl W_out
        if (!attn) continue;
        // o = tanh(W_c sc + b_c): dpre = do (1 - o^2); dW_c += dpre^T sc; dsc = dpre W_c.
        const rnl_real *o = m->o + (size_t)t * B * Hd, *sc = m->sc + (size_t)t * B * W;
        rnl_real *dsc = m->dsc + (size_t)t * B * W;
        for (size_t i = 0; i < (size_t)nb * Hd; i++) dfeat[i] *= 1 - o[i] * o[i];
        rnl_gemm_tn(Hd, W, nb, dfeat, Hd, sc, W, g + m->off_wc, W);
        for (int r = 0; r < nb; r++)
            for (int k = 0; k < Hd; k++) g[m->off_bc + k] += dfeat[(size_t)r * Hd + k];
        memset(dsc, 0, sizeof(rnl_real) * (size_t)nb * W);
        rnl_gemm_nn(nb, W, Hd, dfeat, Hd, p + m->off_wc, W, dsc, W);
        rnl_real *dq = add ? m->dq + (size_t)t * B * A : NULL;
        for (int r = 0; r < nb; r++) {
            rnl_real *dsr = dst + (size_t)r * Hd;
            const rnl_real *dscr = dsc + (size_t)r * W;
            for (int k = 0; k < Hd; k++) dsr[k] += dscr[k];
            attend_row_backward(m, st + (size_t)r * Hd, m->mem + (size_t)r * S * De, m->mlen[r],
                                m->alpha + ((size_t)t * B + r) * S, add ? m->th + ((size_t)t * B + r) * S * A : NULL,
                                dscr + Hd, dsr, m->dmem + (size_t)r * S * De, add ? dq + (size_t)r * A : NULL,
                                add ? m->dkeys + (size_t)r * S * A : NULL, dscore);
        }
        if (add) {  // q = W_q s: dW_q += dq^T s; ds += dq W_q
            rnl_gemm_tn(A, Hd, nb, dq, A, st, Hd, g + m->off_wq, Hd);
            rnl_gemm_nn(nb, Hd, A, dq, A, p + m->off_wq, Hd, dst, Hd);
        }
    }
    if (add) {  // keys = W_k h: dW_k += dkeys^T mem; dmem += dkeys W_k (padding rows of dkeys are zero)
        rnl_gemm_tn(A, De, B * S, m->dkeys, A, m->mem, De, g + m->off_wk, De);
        rnl_gemm_nn(B * S, De, A, m->dkeys, A, p + m->off_wk, De, m->dmem, De);
    }

    // Decoder recurrence, back to its initial state; then its embedding.
    rnl_layer_desc Ld = dec_desc(m);
    rnl_layer_cache cd = dec_cache(m);
    memset(m->dxd, 0, sizeof(rnl_real) * (size_t)U * B * E);
    rnl_layer_backward_state(&Ld, &cd, &m->scratch, m->xd, E, m->ds, Hd, m->dxd, g + m->off_d_w_ih, g + m->off_d_w_hh,
                             g + m->off_d_b_ih, g + m->off_d_b_hh, 0, NULL, NULL, m->dh0, m->dc0);
    for (int t = 0; t < U; t++) {
        int nb = rnl_active_rows(m->dec_len, B, t);
        for (int r = 0; r < nb; r++) {
            rnl_real *row = g + m->off_dec_emb + (size_t)m->dec_in[(size_t)t * B + r] * E;
            const rnl_real *d = m->dxd + ((size_t)t * B + r) * E;
            for (int k = 0; k < E; k++) row[k] += d[k];
        }
    }

    // The bridge backward: memory and initial state to the top encoder layer's outputs (encoder order).
    const int top = c->enc_layers - 1, pass_c = c->enc_cell == RNL_CELL_LSTM && c->dec_cell == RNL_CELL_LSTM;
    rnl_real *dy = m->dy[0];
    memset(dy, 0, sizeof(rnl_real) * (size_t)S * B * De);
    memset(m->dc_last[0], 0, sizeof(rnl_real) * (size_t)B * He);
    memset(m->dc_last[1], 0, sizeof(rnl_real) * (size_t)B * He);
    for (int r = 0; r < B; r++) {
        int re = m->enc_row[m->dec_order[r]], n = m->enc_len[re];
        const rnl_real *dmem = m->dmem + (size_t)r * S * De, *dh0 = m->dh0 + (size_t)r * Hd, *dc0 = m->dc0 + (size_t)r * Hd;
        for (int j = 0; j < n; j++) {
            rnl_real *d = dy + ((size_t)j * B + re) * De;
            for (int k = 0; k < De; k++) d[k] += dmem[(size_t)j * De + k];
        }
        rnl_real *fwd = dy + ((size_t)(n - 1) * B + re) * De;
        for (int k = 0; k < He; k++) fwd[k] += dh0[k];
        if (m->ndir == 2)
            for (int k = 0; k < He; k++) dy[(size_t)re * De + He + k] += dh0[He + k];
        if (pass_c) {
            memcpy(m->dc_last[0] + (size_t)re * He, dc0, sizeof(rnl_real) * He);
            if (m->ndir == 2) memcpy(m->dc_last[1] + (size_t)re * He, dc0 + He, sizeof(rnl_real) * He);
        }
    }

    // Encoder layers, top down (as model.c); then the source embedding.
    for (int l = top; l >= 0; l--) {
        const rnl_real *x = l ? m->y[l - 1] : m->x0;
        int ldx = l ? De : E;
        rnl_real *dx = m->dy[(top + 1 - l) & 1];
        memset(dx, 0, sizeof(rnl_real) * (size_t)S * B * ldx);
        for (int d = 0; d < m->ndir; d++) {
            rnl_layer_desc L = enc_desc(m, l, d);
            rnl_layer_cache cc = enc_cache(m, l, d);
            rnl_layer_backward_state(&L, &cc, &m->scratch, x, ldx, dy + d * He, De, dx, g + m->off_w_ih[l][d],
                                     g + m->off_w_hh[l][d], g + m->off_b_ih[l][d], g + m->off_b_hh[l][d], 0, NULL,
                                     l == top && pass_c ? m->dc_last[d] : NULL, NULL, NULL);
        }
        dy = dx;
    }
    for (int t = 0; t < S; t++) {
        int nb = rnl_active_rows(m->enc_len, B, t);
        for (int r = 0; r < nb; r++) {
            rnl_real *row = g + m->off_enc_emb + (size_t)m->src_tok[(size_t)t * B + r] * E;
            const rnl_real *d = dy + ((size_t)t * B + r) * E;
            for (int k = 0; k < E; k++) row[k] += d[k];
        }
    }
    m->has_targets = 0;  // one backward per forward
    return RNL_OK;
}

// --- Training -----------------------------------------------------------------------------------

static rnl_status kind_forward(rnl_base *b, const void *batch, rnl_real *loss) {
    return rnl_s2s_forward((rnl_s2s *)b, batch, loss);
}
static rnl_status kind_backward(rnl_base *b, int bptt_window) {
    (void)bptt_window;  // no truncated BPTT in seq2seq
    return rnl_s2s_backward((rnl_s2s *)b);
}
static void kind_accuracy(const rnl_base *b, double acc[2]) {
    const rnl_s2s *m = (const rnl_s2s *)b;
    acc[0] = m->token_acc;
    acc[1] = m->seq_acc;
}

static const rnl_kind s2s_kind = {
    .name = "seq2seq",
    .n_dims = 3,
    .dims = {"sequences", "source", "target steps"},
    .layout = layout_workspace,
    .forward = kind_forward,
    .backward = kind_backward,
    .accuracy = kind_accuracy,
};

rnl_status rnl_s2s_train_step(rnl_s2s *m, rnl_optimizer *o, const rnl_s2s_batch *b, rnl_s2s_stats *st) {
    rnl_s2s_stats local;
    if (!st) st = &local;
    rnl_step_out out = {&st->loss, &st->grad_norm, &st->clipped, {&st->token_accuracy, &st->seq_accuracy}};
    return rnl_base_train_step(&m->base, o, b, 0, &out);
}

rnl_status rnl_s2s_eval_batch(rnl_s2s *m, const rnl_s2s_batch *b, rnl_s2s_stats *st) {
    rnl_step_out out = {&st->loss, &st->grad_norm, &st->clipped, {&st->token_accuracy, &st->seq_accuracy}};
    return rnl_base_eval_batch(&m->base, b, &out);
}

// --- Greedy decoding ----------------------------------------------------------------------------

// Runs the encoder and decodes greedily into tgt_tok (U, B) / out_len (B), decoder rows in encoder order.
static rnl_status decode_internal(rnl_s2s *m, const rnl_s2s_batch *b, int max_len) {
    rnl_status st = check_batch(m, b, 0);
    if (st) return st;
    if (max_len < 1 || max_len > RNL_MAX_STEPS)
        return rnl_fail(RNL_ERR_ARG, "seq2seq decode: max_len %d is outside 1..%d", max_len, RNL_MAX_STEPS);
    if ((st = rnl_base_workspace(&m->base, (int[]){b->B, b->S, max_len}))) return st;
    m->valid = m->has_targets = 0;
    m->decoded = 1;
    const int B = b->B, Vt = m->Vt;
    m->B = B;
    rnl_sort_rows(b->src_len, B, b->S, m->enc_order, m->enc_len);
    m->S = m->enc_len[0];
    m->U = max_len;
    for (int r = 0; r < B; r++) m->dec_order[r] = m->enc_order[r], m->dec_len[r] = max_len, m->out_len[r] = 0;
    encoder_forward(m, b);
    bridge_forward(m);
    // Every row runs until all have emitted <eos> (rows done earlier compute steps nobody reads).
    int steps = 0, done = 0;
    for (int t = 0; t < max_len && done < B; t++) {
        for (int r = 0; r < B; r++) m->dec_in[(size_t)t * B + r] = t ? m->tgt_tok[(size_t)(t - 1) * B + r] : RNL_S2S_BOS;
        decoder_step(m, t);
        for (int r = 0; r < B; r++) {
            int k = argmax(m->logits + ((size_t)t * B + r) * Vt, Vt);
            m->tgt_tok[(size_t)t * B + r] = k;
            // Still running: it emitted every step so far, and not <eos> at the last one.
            if (m->out_len[r] == t && (t == 0 || m->tgt_tok[(size_t)(t - 1) * B + r] != RNL_S2S_EOS)) {
                m->out_len[r] = t + 1;
                if (k == RNL_S2S_EOS) done++;
            }
        }
        steps = t + 1;
    }
    m->U = steps;
    m->valid = 1;
    return RNL_OK;
}

rnl_status rnl_s2s_decode(rnl_s2s *m, const rnl_s2s_batch *b, int max_len, int32_t *out_tokens, int32_t *out_len,
                          rnl_real *attn) {
    rnl_status st = decode_internal(m, b, max_len);
    if (st) return st;
    const int B = m->B, S = m->S;
    for (int r = 0; r < B; r++) {
        int i = m->dec_order[r], n = m->out_len[r];
        if (out_len) out_len[i] = n;
        if (out_tokens)
            for (int t = 0; t < max_len; t++) out_tokens[(size_t)i * max_len + t] = t < n ? m->tgt_tok[(size_t)t * B + r] : RNL_S2S_PAD;
        if (attn) {
            rnl_real *a = attn + (size_t)i * max_len * b->S;
            memset(a, 0, sizeof(rnl_real) * (size_t)max_len * b->S);
            if (m->alpha)
                for (int t = 0; t < n; t++) memcpy(a + (size_t)t * b->S, m->alpha + ((size_t)t * B + r) * S, sizeof(rnl_real) * m->mlen[r]);
        }
    }
    return RNL_OK;
}

rnl_status rnl_s2s_greedy_accuracy(rnl_s2s *m, const rnl_s2s_batch *b, int max_len, double *token_acc, double *seq_acc) {
    rnl_status st = check_batch(m, b, 1);
    if (st) return st;
    if ((st = decode_internal(m, b, max_len))) return st;
    long right = 0, total = 0;
    int seq_right = 0;
    for (int r = 0; r < m->B; r++) {
        int i = m->dec_order[r], n = b->tgt_len ? b->tgt_len[i] : b->U, all = m->out_len[r] == n;
        for (int t = 0; t < n; t++) {
            int ok = t < m->out_len[r] && m->tgt_tok[(size_t)t * m->B + r] == b->tgt[(size_t)i * b->U + t];
            right += ok;
            all &= ok;
        }
        total += n;
        seq_right += all;
    }
    if (token_acc) *token_acc = (double)right / total;
    if (seq_acc) *seq_acc = (double)seq_right / m->B;
    return RNL_OK;
}

// --- Introspection ------------------------------------------------------------------------------

const rnl_real *rnl_s2s_attention(rnl_s2s *m, int sample, int *steps, int *src_len) {
    if (!m->valid || !m->alpha || sample < 0 || sample >= m->B) return NULL;
    int r = 0;
    while (m->dec_order[r] != sample) r++;
    int n = m->mlen[r], u = m->decoded ? m->out_len[r] : m->dec_len[r];
    for (int t = 0; t < u; t++) memcpy(m->trace + (size_t)t * n, m->alpha + ((size_t)t * m->B + r) * m->S, sizeof(rnl_real) * n);
    if (steps) *steps = u;
    if (src_len) *src_len = n;
    return m->trace;
}
