// wasm_s2s.c: the adapter's sequence-to-sequence models (rnnlab_seq2seq.h): a handle of their own that
// holds the model, its optimizer, the task it was made for and its training-data stream; creation for a
// task, training and held-out evaluation through the run layer, greedy decoding with the attention
// matrix, token texts, checkpoints.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_api.h"

// A seq2seq model as JavaScript holds it: the model, its optimizer, the task it was made for, the
// training-data stream, and the buffers of the last decode.
typedef struct {
    rnl_s2s *m;
    rnl_optimizer *o;          // NULL until set, or until the first training step makes the default
    rnl_s2s_task_config tc;
    rnl_s2s_task_data data;
    rnl_rng rng;               // the training-data stream (rnlw_s2s_seed)
    int32_t *src, *toks;       // last decode: (cap) source tokens, (max_len) output tokens
    rnl_real *attn;            // (max_len, n_src) its attention weights
    int cap, max_len;
    char text[64];             // rnlw_s2s_token_text
} s2s_handle;

static s2s_handle *s2s_wrap(rnl_s2s *m, rnl_optimizer *o, const rnl_s2s_task_config *tc) {
    s2s_handle *h = calloc(1, sizeof *h);
    if (!h) {
        rnl_optimizer_destroy(o);
        rnl_s2s_destroy(m);
        wasm_status = rnl_fail(RNL_ERR_NOMEM, "seq2seq: out of memory");
        return NULL;
    }
    h->m = m, h->o = o, h->tc = *tc;
    rnl_s2s_task_data_init(&h->data);
    rnl_rng_seed(&h->rng, 1);
    return h;
}

// A fresh model for a task, as `rnnlab init --task`, from an "s2s_options" record: a value < 0 (NaN for
// forget_bias) takes the default (rnl_s2s_task_default, rnl_s2s_config_default); dec_cell < 0 follows
// enc_cell. length > 0 sets both length bounds (reverse only).
s2s_handle *rnlw_s2s_create(const rnlw_s2s_options *o, uint32_t seed_lo, uint32_t seed_hi) {
    int task = o->task, length = o->length, min_len = o->min_len, max_len = o->max_len, symbols = o->symbols;
    if (task != RNL_S2S_TASK_REVERSE && task != RNL_S2S_TASK_DATES) {
        wasm_status = rnl_fail(RNL_ERR_ARG, "task: unknown seq2seq task %d", task);
        return NULL;
    }
    rnl_s2s_task_config tc = rnl_s2s_task_default((rnl_s2s_task)task);
    if (task == RNL_S2S_TASK_DATES && (length > 0 || min_len > 0 || max_len > 0 || symbols > 0)) {
        wasm_status = rnl_fail(RNL_ERR_ARG, "task: symbols and lengths are for the reverse task; dates has fixed formats");
        return NULL;
    }
    if (symbols > 0) tc.symbols = symbols;
    if (length > 0) tc.min_len = tc.max_len = length;
    if (min_len > 0) tc.min_len = min_len;
    if (max_len > 0) tc.max_len = max_len;
    if ((wasm_status = rnl_s2s_task_validate(&tc))) return NULL;
    rnl_s2s_config c = rnl_s2s_config_default();
    rnl_s2s_task_shape(&tc, &c);
    if (o->enc_cell >= 0) c.enc_cell = c.dec_cell = (rnl_cell)o->enc_cell;
    if (o->dec_cell >= 0) c.dec_cell = (rnl_cell)o->dec_cell;
    if (o->hidden >= 0) c.enc_hidden = o->hidden;
    if (o->embed >= 0) c.embed = o->embed;
    if (o->layers >= 0) c.enc_layers = o->layers;
    if (o->bidirectional >= 0) c.bidirectional = o->bidirectional;
    if (o->attention >= 0) c.attention = (rnl_attn)o->attention;
    if (o->attn_width >= 0) c.attn_width = o->attn_width;
    if (!isnan(o->forget_bias)) c.forget_bias = o->forget_bias;
    rnl_s2s *m;
    if ((wasm_status = rnl_s2s_create(&m, &c, wasm_seed64(seed_lo, seed_hi)))) return NULL;
    return s2s_wrap(m, NULL, &tc);
}

void rnlw_s2s_destroy(s2s_handle *h) {
    if (!h) return;
    free(h->src), free(h->toks), free(h->attn);
    rnl_s2s_task_data_free(&h->data);
    rnl_optimizer_destroy(h->o);
    rnl_s2s_destroy(h->m);
    free(h);
}

void rnlw_s2s_info(rnlw_s2s_desc *out, s2s_handle *h) {
    *out = (rnlw_s2s_desc){h->tc, *rnl_s2s_get_config(h->m), rnl_s2s_num_params(h->m)};
}

// As rnlw_set_optimizer, for a seq2seq model.
rnl_status rnlw_s2s_set_optimizer(s2s_handle *h, const rnlw_optimizer *rec, int reset) {
    return wasm_set_optimizer(&h->o, rnl_s2s_num_params(h->m), rec, reset);
}

// As rnlw_optimizer_info.
int rnlw_s2s_optimizer_info(rnlw_optimizer *out, s2s_handle *h) { return wasm_optimizer_info(out, h->o); }

void rnlw_s2s_seed(s2s_handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, wasm_seed64(seed_lo, seed_hi)); }

// n training steps on fresh batches of B from the handle's stream (rnl_run_s2s_train): the loop of
// `rnnlab train` for a seq2seq checkpoint (a new optimizer is the run layer's seq2seq default: Adam at
// lr 0.005, clip 1, as there). out: accuracy is the teacher-forced token accuracy, seq_accuracy the
// sequence accuracy.
rnl_status rnlw_s2s_train(rnlw_progress *out, s2s_handle *h, int B, int n) {
    rnl_status st = rnl_run_ensure_optimizer(&h->o, RNL_RUN_SEQ2SEQ, rnl_s2s_num_params(h->m));
    rnl_run_s2s_progress p = {{NAN, NAN, 0, NAN, NAN}, NAN, 0, 0, 0};
    if (!st) st = rnl_run_s2s_train(h->m, h->o, &h->tc, B, n, &h->rng, &h->data, &p);
    const rnl_s2s_stats *s = &p.last;
    *out = (rnlw_progress){s->loss, s->grad_norm, s->clipped, s->token_accuracy, s->seq_accuracy, wasm_steps(h->o), p.mean_loss,
                           p.clipped, p.done, NAN};  // lr: seq2seq runs have no schedule
    return st;
}

// Held-out batches from their own seed, as `rnnlab eval` (rnl_run_s2s_evaluate): out: loss, teacher-forced
// token and sequence accuracy, greedy token and sequence accuracy (means over the batches).
rnl_status rnlw_s2s_eval(rnlw_s2s_scores *out, s2s_handle *h, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_run_s2s_eval r;
    rnl_status st = rnl_run_s2s_evaluate(h->m, &h->tc, batches, B, wasm_seed64(seed_lo, seed_hi), &r);
    if (batches < 1 || B < 1) return st;  // refused before any batch
    *out = (rnlw_s2s_scores){r.loss, r.tf_token, r.tf_seq, r.token, r.seq};
    return st;
}

// Greedy decoding of one text (as `rnnlab decode`, max_len <= 0: the task's longest target + 5). out: the
// source tokens, the output tokens (with <eos> if reached) and the (outputs, sources) attention weights
// (zeros without attention).
rnl_status rnlw_s2s_decode(rnlw_decoded *out, s2s_handle *h, const char *text, int max_len) {
    if (max_len <= 0) max_len = rnl_s2s_task_max_target(&h->tc) + 5;
    int cap = (int)strlen(text) + 1;
    if (cap > h->cap) {
        free(h->src);
        if (!(h->src = malloc(sizeof(int32_t) * (size_t)cap))) return h->cap = 0, rnl_fail(RNL_ERR_NOMEM, "decode: out of memory");
        h->cap = cap;
    }
    int n = 0;
    rnl_status st = rnl_s2s_task_encode(&h->tc, text, h->src, h->cap, &n);
    if (st) return st;
    if (n < 1) return rnl_fail(RNL_ERR_ARG, "decode: the input is empty");
    free(h->toks), free(h->attn);
    h->toks = malloc(sizeof(int32_t) * (size_t)max_len);
    h->attn = malloc(sizeof(rnl_real) * (size_t)max_len * n);
    if (!h->toks || !h->attn) return rnl_fail(RNL_ERR_NOMEM, "decode: out of memory");
    int32_t lens[1] = {n}, n_out = 0;
    rnl_s2s_batch b = {1, n, 0, h->src, lens, NULL, NULL};
    if ((st = rnl_s2s_decode(h->m, &b, max_len, h->toks, &n_out, h->attn))) return st;
    *out = (rnlw_decoded){h->src, h->toks, h->attn, n, n_out, n_out > 0 && h->toks[n_out - 1] == RNL_S2S_EOS};
    return RNL_OK;
}

// The text of one token of a side (0 source, 1 target): "<eos>", "<bos>", "<pad>" for the special ones.
const char *rnlw_s2s_token_text(s2s_handle *h, int side, int id) {
    int32_t t = id;
    if (id == RNL_S2S_EOS) return "<eos>";
    rnl_s2s_task_decode_text(&h->tc, side, &t, 1, h->text, sizeof h->text);
    return h->text;
}

// The text of tokens of a side, stopping at <eos> (rnl_s2s_task_decode_text); NULL if out of memory.
const char *rnlw_s2s_text(s2s_handle *h, int side, const int32_t *tokens, int n) {
    static char *buf;
    static size_t cap;
    size_t need = rnl_s2s_task_decode_text(&h->tc, side, tokens, n, h->text, 1) + 1;
    if (need > cap) {
        free(buf);
        if (!(buf = malloc(need))) return cap = 0, NULL;
        cap = need;
    }
    rnl_s2s_task_decode_text(&h->tc, side, tokens, n, buf, cap);
    return buf;
}

// The right answer the model's task pairs with a typed input (rnl_s2s_task_answer), or NULL when there is
// none (or out of memory).
const char *rnlw_s2s_answer(s2s_handle *h, const char *text) {
    static char *buf;
    static size_t cap;
    size_t need = strlen(text) + 16;  // reverse: as long as the text; dates: "1998-05-03"
    if (need > cap) {
        free(buf);
        if (!(buf = malloc(need))) return cap = 0, NULL;
        cap = need;
    }
    return rnl_s2s_task_answer(&h->tc, text, buf, cap) ? buf : NULL;
}

// The checkpoint bytes (with the task, and the optimizer state if `with_optimizer` and there is one):
// the format of `rnnlab init/train --task`. out: the bytes (free with rnl_buffer_free).
rnl_status rnlw_s2s_checkpoint_write(rnlw_span *out, s2s_handle *h, int with_optimizer) {
    uint8_t *p = NULL;
    rnl_status st = rnl_s2s_checkpoint_write(h->m, with_optimizer ? h->o : NULL, &h->tc, &p, &out->n);
    out->data = p;
    return st;
}

// A model from checkpoint bytes, which must name its task (as the CLI's train/eval/decode).
s2s_handle *rnlw_s2s_checkpoint_read(const uint8_t *bytes, size_t n) {
    rnl_s2s *m;
    rnl_optimizer *o;
    rnl_s2s_task_config tc;
    int has = 0;
    if ((wasm_status = rnl_s2s_checkpoint_read(bytes, n, &m, &o, &tc, &has))) return NULL;
    if (!has) {
        rnl_optimizer_destroy(o);
        rnl_s2s_destroy(m);
        wasm_status = rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: it names no task (make one with createSeq2Seq or "
                               "'rnnlab init --task reverse|dates')");
        return NULL;
    }
    return s2s_wrap(m, o, &tc);
}
