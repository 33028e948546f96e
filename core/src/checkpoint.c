// checkpoint.c: the versioned binary checkpoint of an rnl_model (docs/checkpoint-format.md): the blocks
// every checkpoint shares (model_base.c: magic, version, flags, parameters, optimizer, meta, CRC) around
// this kind's configuration fields. Reading checks every field and size, and the CRC, before it
// allocates a model; files are written to a temporary name and renamed.
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "model_base.h"

static const rnl_ck_format ck_format = {
    .what = "checkpoint",
    .magic = "RNNLABCK",
    .other_magic = "RNLDATA\0",  // docs/data-format.md
    .other_is = "this is a prepared data file, not a model checkpoint",
    .version = 1,
    .header = 120,  // the configuration at 16..63, the parameter count at 64
    .flag_optim = 1,
    .flag_meta = 2,
    .flag_history = 4,  // the training history (rnl_model_history)
    .flags_kind = 0x300,  // bits 8-9: the head's pool (rnl_pooling); 0, a last-state head, writes the bytes of before
};

// The pool sits in flag bits 8-9 (the flags' second byte; the first flags optional blocks): the
// configuration fields at 16..63 are all taken, and an older reader refuses a pooled model ("unknown
// flags") instead of reading it as a last-state one.
#define CK_POOL_SHIFT 8

rnl_status rnl_checkpoint_write(const rnl_model *m, const rnl_optimizer *o, uint8_t **out, size_t *n_out) {
    const rnl_config *c = rnl_model_config(m);
    uint8_t *b;
    rnl_status st = rnl_ck_begin(&ck_format, (const rnl_base *)m, (rnl_optimizer *)o, (uint32_t)c->pool << CK_POOL_SHIFT, &b, n_out);
    if (st) return st;
    int32_t fields[10] = {c->cell, c->vocab, c->embed, c->input_size, c->hidden, c->layers, c->bidirectional, c->head, c->outputs, c->seq2seq};
    for (int i = 0; i < 10; i++) rnl_put_u32(b + 16 + 4 * i, (uint32_t)fields[i]);
    rnl_put_f32(b + 56, c->forget_bias);
    rnl_put_f32(b + 60, c->dropout);  // 0 without dropout: such files are as before
    rnl_ck_seal(b, *n_out);
    *out = b;
    return RNL_OK;
}

void rnl_buffer_free(void *p) { free(p); }

rnl_status rnl_checkpoint_read(const uint8_t *b, size_t n, rnl_model **m_out, rnl_optimizer **o_out) {
    rnl_status st;
    uint32_t flags;
    *m_out = NULL;
    if (o_out) *o_out = NULL;
    if ((st = rnl_ck_open(&ck_format, b, n, &flags))) return st;
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.cell = (rnl_cell)rnl_get_i32(b + 16);
    c.vocab = rnl_get_i32(b + 20);
    c.embed = rnl_get_i32(b + 24);
    c.input_size = rnl_get_i32(b + 28);
    c.hidden = rnl_get_i32(b + 32);
    c.layers = rnl_get_i32(b + 36);
    c.bidirectional = rnl_get_i32(b + 40);
    c.head = (rnl_head)rnl_get_i32(b + 44);
    c.outputs = rnl_get_i32(b + 48);
    c.seq2seq = rnl_get_i32(b + 52);
    c.forget_bias = rnl_get_f32(b + 56);
    c.dropout = rnl_get_f32(b + 60);  // files written before dropout have 0 here
    uint32_t pool = (flags & ck_format.flags_kind) >> CK_POOL_SHIFT;  // files written before pooling have 0 here
    if (pool >= (uint32_t)rnl_pooling_count())
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: bad model configuration: pool is %u (flags 0x%x), must be 0 (last), 1 (mean) or 2 (max)",
                        pool, flags);
    c.pool = (rnl_pooling)pool;
    if ((st = rnl_config_validate(&c)) != RNL_OK)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: bad model configuration: %s", rnl_last_error());
    rnl_ck_body body;
    if ((st = rnl_ck_check(&ck_format, b, n, flags, rnl_config_num_params(&c), &body))) return st;
    rnl_model *m;
    if ((st = rnl_model_create(&m, &c, 0))) return st;
    if ((st = rnl_ck_load(&ck_format, b, &body, (rnl_base *)m, o_out))) {
        rnl_model_destroy(m);
        return st;
    }
    *m_out = m;
    return RNL_OK;
}

rnl_status rnl_checkpoint_save(const rnl_model *m, const rnl_optimizer *o, const char *path) {
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_checkpoint_write(m, o, &buf, &n);
    if (st) return st;
    return rnl_ck_save_file(&ck_format, path, buf, n);
}

rnl_status rnl_checkpoint_load(const char *path, rnl_model **m, rnl_optimizer **o) {
    uint8_t *buf;
    size_t n;
    *m = NULL;
    if (o) *o = NULL;
    rnl_status st = rnl_ck_read_file(&ck_format, path, &buf, &n);
    if (st) return st;
    if ((st = rnl_checkpoint_read(buf, n, m, o))) st = rnl_fail(st, "%s: %s", path, rnl_last_error());
    free(buf);
    return st;
}
