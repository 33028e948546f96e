// tf_checkpoint.c: the checkpoint of a Transformer encoder (rnnlab_transformer.h; docs/checkpoint-format.md,
// "Transformer"): the blocks every checkpoint shares (model_base.c) around this kind's nine configuration
// fields. Reading checks the magic, every field, the sizes and the CRC before it allocates a model.
#include <stdlib.h>

#include "bytes.h"
#include "model_base.h"
#include "rnnlab_transformer.h"

static const rnl_ck_format tf_format = {
    .what = "transformer checkpoint",
    .magic = RNL_TF_MAGIC,
    .other_magic = "RNNLABCK",  // checkpoint.c: a recurrent model's checkpoint
    .other_is = "this is a recurrent model's checkpoint, not a Transformer's",
    .version = 1,
    .header = 112,  // the configuration at 16..51, 52..55 zero, the parameter count at 56
    .flag_optim = 1,
    .flag_meta = 2,
    .flag_history = 4,  // the training history (rnl_run_net_history), as a recurrent model's
};

#define TF_FIELDS 9

rnl_status rnl_tf_checkpoint_write(const rnl_tf *m, const rnl_optimizer *o, uint8_t **out, size_t *n_out) {
    const rnl_tf_config *c = rnl_tf_get_config(m);
    uint8_t *b;
    rnl_status st = rnl_ck_begin(&tf_format, (const rnl_base *)m, (rnl_optimizer *)o, 0, &b, n_out);
    if (st) return st;
    int32_t fields[TF_FIELDS] = {c->vocab, c->input_size, c->d_model, c->heads, c->layers, c->ffn, c->positions, c->head, c->outputs};
    for (int i = 0; i < TF_FIELDS; i++) rnl_put_u32(b + 16 + 4 * i, (uint32_t)fields[i]);
    rnl_ck_seal(b, *n_out);
    *out = b;
    return RNL_OK;
}

rnl_status rnl_tf_checkpoint_read(const uint8_t *b, size_t n, rnl_tf **m_out, rnl_optimizer **o_out) {
    rnl_status st;
    uint32_t flags;
    *m_out = NULL;
    if (o_out) *o_out = NULL;
    if ((st = rnl_ck_open(&tf_format, b, n, &flags))) return st;
    rnl_tf_config c;
    c.vocab = rnl_get_i32(b + 16);
    c.input_size = rnl_get_i32(b + 20);
    c.d_model = rnl_get_i32(b + 24);
    c.heads = rnl_get_i32(b + 28);
    c.layers = rnl_get_i32(b + 32);
    c.ffn = rnl_get_i32(b + 36);
    c.positions = (rnl_tf_positions)rnl_get_i32(b + 40);
    c.head = (rnl_head)rnl_get_i32(b + 44);
    c.outputs = rnl_get_i32(b + 48);
    if ((st = rnl_tf_config_validate(&c)) != RNL_OK)
        return rnl_fail(RNL_ERR_FORMAT, "%s: bad model configuration: %s", tf_format.what, rnl_last_error());
    rnl_ck_body body;
    if ((st = rnl_ck_check(&tf_format, b, n, flags, (size_t)rnl_tf_config_num_params(&c), &body))) return st;
    rnl_tf *m;
    if ((st = rnl_tf_create(&m, &c, 0))) return st;
    if ((st = rnl_ck_load(&tf_format, b, &body, (rnl_base *)m, o_out))) {
        rnl_tf_destroy(m);
        return st;
    }
    *m_out = m;
    return RNL_OK;
}

rnl_status rnl_tf_checkpoint_save(const rnl_tf *m, const rnl_optimizer *o, const char *path) {
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_tf_checkpoint_write(m, o, &buf, &n);
    if (st) return st;
    return rnl_ck_save_file(&tf_format, path, buf, n);
}

rnl_status rnl_tf_checkpoint_load(const char *path, rnl_tf **m, rnl_optimizer **o) {
    uint8_t *buf;
    size_t n;
    *m = NULL;
    if (o) *o = NULL;
    rnl_status st = rnl_ck_read_file(&tf_format, path, &buf, &n);
    if (st) return st;
    if ((st = rnl_tf_checkpoint_read(buf, n, m, o))) st = rnl_fail(st, "%s: %s", path, rnl_last_error());
    free(buf);
    return st;
}
