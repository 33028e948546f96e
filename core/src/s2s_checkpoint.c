// s2s_checkpoint.c: the versioned binary checkpoint of a seq2seq model (layout in docs/seq2seq.md): the
// blocks every checkpoint shares (model_base.c) around this kind's configuration and task fields. As
// checkpoint.c: every field and size and the CRC checked before a model is allocated, files written to a
// temporary name and renamed.
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "model_base.h"
#include "rnnlab_seq2seq.h"

#define S2_FLAG_TASK 2u

static const rnl_ck_format s2_format = {
    .what = "seq2seq checkpoint",
    .magic = "RNNLABS2",
    .other_magic = "RNNLABCK",
    .other_is = "this is a sequence model checkpoint (RNNLABCK), not a seq2seq one",
    .version = 1,
    .header = 136,  // the configuration at 16..59, the task at 60..75, the parameter count at 80
    .flag_optim = 1,
    .flags_kind = S2_FLAG_TASK,  // no meta bytes: a task is described by its fields
};

// --- Writing ----------------------------------------------------------------------------------------

rnl_status rnl_s2s_checkpoint_write(const rnl_s2s *m, const rnl_optimizer *o_const, const rnl_s2s_task_config *task,
                                    uint8_t **out, size_t *n_out) {
    const rnl_s2s_config *c = rnl_s2s_get_config(m);
    *out = NULL;
    if (task) {
        if (rnl_s2s_task_validate(task)) return rnl_fail(RNL_ERR_ARG, "seq2seq checkpoint: %s", rnl_last_error());
        rnl_s2s_config want = *c;
        rnl_s2s_task_shape(task, &want);
        if (want.src_vocab != c->src_vocab || want.tgt_vocab != c->tgt_vocab)
            return rnl_fail(RNL_ERR_ARG, "seq2seq checkpoint: task %s needs vocabularies %d/%d, the model has %d/%d",
                            rnl_s2s_task_name(task->task), want.src_vocab, want.tgt_vocab, c->src_vocab, c->tgt_vocab);
    }
    uint8_t *b;
    rnl_status st = rnl_ck_begin(&s2_format, (const rnl_base *)m, (rnl_optimizer *)o_const, task ? S2_FLAG_TASK : 0, &b, n_out);
    if (st) return st;
    int32_t fields[10] = {c->src_vocab, c->tgt_vocab, c->embed, c->enc_cell, c->enc_hidden,
                          c->enc_layers, c->bidirectional, c->dec_cell, c->attention, c->attn_width};
    for (int i = 0; i < 10; i++) rnl_put_u32(b + 16 + 4 * i, (uint32_t)fields[i]);
    rnl_put_f32(b + 56, c->forget_bias);
    if (task) {
        int32_t t[4] = {task->task, task->min_len, task->max_len, task->symbols};
        for (int i = 0; i < 4; i++) rnl_put_u32(b + 60 + 4 * i, (uint32_t)t[i]);
    } else {
        rnl_put_u32(b + 60, (uint32_t)-1);
    }
    rnl_ck_seal(b, *n_out);
    *out = b;
    return RNL_OK;
}

// --- Reading ----------------------------------------------------------------------------------------

rnl_status rnl_s2s_checkpoint_read(const uint8_t *b, size_t n, rnl_s2s **m_out, rnl_optimizer **o_out,
                                   rnl_s2s_task_config *task_out, int *has_task) {
    rnl_status st;
    uint32_t flags;
    *m_out = NULL;
    if (o_out) *o_out = NULL;
    if (has_task) *has_task = 0;
    if ((st = rnl_ck_open(&s2_format, b, n, &flags))) return st;
    rnl_s2s_config c = rnl_s2s_config_default();
    c.src_vocab = rnl_get_i32(b + 16);
    c.tgt_vocab = rnl_get_i32(b + 20);
    c.embed = rnl_get_i32(b + 24);
    c.enc_cell = (rnl_cell)rnl_get_i32(b + 28);
    c.enc_hidden = rnl_get_i32(b + 32);
    c.enc_layers = rnl_get_i32(b + 36);
    c.bidirectional = rnl_get_i32(b + 40);
    c.dec_cell = (rnl_cell)rnl_get_i32(b + 44);
    c.attention = (rnl_attn)rnl_get_i32(b + 48);
    c.attn_width = rnl_get_i32(b + 52);
    c.forget_bias = rnl_get_f32(b + 56);
    if (rnl_s2s_config_validate(&c) != RNL_OK)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: bad model configuration: %s", rnl_last_error());
    rnl_s2s_task_config task;
    memset(&task, 0, sizeof task);
    int with_task = (flags & S2_FLAG_TASK) != 0;
    if (with_task) {
        task.task = (rnl_s2s_task)rnl_get_i32(b + 60);
        task.min_len = rnl_get_i32(b + 64);
        task.max_len = rnl_get_i32(b + 68);
        task.symbols = rnl_get_i32(b + 72);
        if (rnl_s2s_task_validate(&task) != RNL_OK)
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: bad task: %s", rnl_last_error());
        rnl_s2s_config want = c;
        rnl_s2s_task_shape(&task, &want);
        if (want.src_vocab != c.src_vocab || want.tgt_vocab != c.tgt_vocab)
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: task %s needs vocabularies %d/%d, the model has %d/%d",
                            rnl_s2s_task_name(task.task), want.src_vocab, want.tgt_vocab, c.src_vocab, c.tgt_vocab);
    } else if (rnl_get_i32(b + 60) != -1) {
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: task fields present but not flagged");
    }
    rnl_ck_body body;
    if ((st = rnl_ck_check(&s2_format, b, n, flags, rnl_s2s_config_num_params(&c), &body))) return st;
    rnl_s2s *m;
    if ((st = rnl_s2s_create(&m, &c, 0))) return st;
    if ((st = rnl_ck_load(&s2_format, b, &body, (rnl_base *)m, o_out))) {
        rnl_s2s_destroy(m);
        return st;
    }
    *m_out = m;
    if (task_out && with_task) *task_out = task;
    if (has_task) *has_task = with_task;
    return RNL_OK;
}

// --- Files ------------------------------------------------------------------------------------------

rnl_status rnl_s2s_checkpoint_save(const rnl_s2s *m, const rnl_optimizer *o, const rnl_s2s_task_config *task, const char *path) {
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_s2s_checkpoint_write(m, o, task, &buf, &n);
    if (st) return st;
    return rnl_ck_save_file(&s2_format, path, buf, n);
}

rnl_status rnl_s2s_checkpoint_load(const char *path, rnl_s2s **m, rnl_optimizer **o, rnl_s2s_task_config *task_out,
                                   int *has_task) {
    uint8_t *buf;
    size_t n;
    *m = NULL;
    if (o) *o = NULL;
    if (has_task) *has_task = 0;
    rnl_status st = rnl_ck_read_file(&s2_format, path, &buf, &n);
    if (st) return st;
    if ((st = rnl_s2s_checkpoint_read(buf, n, m, o, task_out, has_task))) st = rnl_fail(st, "%s: %s", path, rnl_last_error());
    free(buf);
    return st;
}
