// s2s_checkpoint.c: the versioned binary checkpoint of a seq2seq model (layout in docs/seq2seq.md), on
// checkpoint.c's principles: little-endian fields written byte by byte, every field and size and the CRC
// checked before a model is allocated, files written to a temporary name and renamed.
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "checkpoint_optim.h"
#include "internal.h"
#include "rnnlab_seq2seq.h"

#define S2_MAGIC "RNNLABS2"
#define S2_VERSION 1u
#define S2_HEADER 136u
#define S2_FLAG_OPTIM 1u
#define S2_FLAG_TASK 2u

// --- Writing ----------------------------------------------------------------------------------------

rnl_status rnl_s2s_checkpoint_write(const rnl_s2s *m, const rnl_optimizer *o_const, const rnl_s2s_task_config *task,
                                    uint8_t **out, size_t *n_out) {
    rnl_s2s *mm = (rnl_s2s *)m;  // read-only use of the accessors
    rnl_optimizer *o = (rnl_optimizer *)o_const;
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
    size_t np = rnl_s2s_num_params(m), ns = 0;
    const rnl_real *state = o ? rnl_optimizer_state(o, &ns) : NULL;
    if (o && ns != rnl_optim_state_count(rnl_optimizer_config(o)->kind, np))
        return rnl_fail(RNL_ERR_ARG, "seq2seq checkpoint: the optimizer was made for another model (%zu state values)", ns);
    size_t total = S2_HEADER + 4 * (np + ns) + 4;
    uint8_t *b = calloc(1, total);
    if (!b) return rnl_fail(RNL_ERR_NOMEM, "seq2seq checkpoint: out of memory for %zu bytes", total);
    memcpy(b, S2_MAGIC, 8);
    rnl_put_u32(b + 8, S2_VERSION);
    rnl_put_u32(b + 12, (o ? S2_FLAG_OPTIM : 0) | (task ? S2_FLAG_TASK : 0));
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
    rnl_put_u64(b + 80, np);
    rnl_ck_put_optim(b + 88, o, ns);
    uint8_t *w = rnl_ck_put_values(b + S2_HEADER, rnl_s2s_params(mm), np, state, ns);
    rnl_put_u32(w, rnl_crc32(b, total - 4));
    *out = b;
    *n_out = total;
    return RNL_OK;
}

// --- Reading ----------------------------------------------------------------------------------------

rnl_status rnl_s2s_checkpoint_read(const uint8_t *b, size_t n, rnl_s2s **m_out, rnl_optimizer **o_out,
                                   rnl_s2s_task_config *task_out, int *has_task) {
    rnl_status st;
    *m_out = NULL;
    if (o_out) *o_out = NULL;
    if (has_task) *has_task = 0;
    if (n < 8 || memcmp(b, S2_MAGIC, 8) != 0) {
        if (n >= 8 && memcmp(b, "RNNLABCK", 8) == 0)
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: this is a sequence model checkpoint (RNNLABCK), not a seq2seq one");
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: not an rnnlab seq2seq checkpoint (it does not start with \"%s\")", S2_MAGIC);
    }
    if (n < S2_HEADER + 4)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: truncated: %zu bytes, shorter than the %u-byte header", n, S2_HEADER + 4);
    uint32_t version = rnl_get_u32(b + 8), flags = rnl_get_u32(b + 12);
    if (version != S2_VERSION)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: format version %u; this build of rnnlab reads version %u%s", version,
                        S2_VERSION, version > S2_VERSION ? " (it was written by a newer rnnlab)" : "");
    if (flags & ~(S2_FLAG_OPTIM | S2_FLAG_TASK)) return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: unknown flags 0x%x", flags);
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
    uint64_t np = rnl_get_u64(b + 80), ns;
    size_t expect_np = rnl_s2s_config_num_params(&c);
    if (np != expect_np)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: holds %llu parameters, but its configuration has %zu",
                        (unsigned long long)np, expect_np);
    rnl_optim_config oc;
    int has_optim = (flags & S2_FLAG_OPTIM) != 0;
    if ((st = rnl_ck_get_optim("seq2seq checkpoint", b + 88, has_optim, np, &oc, &ns))) return st;
    // np <= RNL_MAX_PARAMS and ns <= 2 np (both checked above), so this cannot overflow.
    size_t expect = S2_HEADER + 4 * ((size_t)np + (size_t)ns) + 4;
    if (n < expect)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: truncated: %zu bytes, the header announces %zu", n, expect);
    if (n > expect)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: %zu unexpected bytes after the end of the data", n - expect);
    uint32_t crc = rnl_get_u32(b + expect - 4), actual = rnl_crc32(b, expect - 4);
    if (crc != actual)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: corrupt: checksum mismatch (stored %08x, computed %08x)", crc, actual);
    const uint8_t *r = b + S2_HEADER;
    if ((st = rnl_ck_check_params("seq2seq checkpoint", r, np))) return st;

    rnl_s2s *m;
    if ((st = rnl_s2s_create(&m, &c, 0))) return st;
    rnl_real *p = rnl_s2s_params(m);
    for (size_t i = 0; i < np; i++, r += 4) p[i] = rnl_get_f32(r);
    rnl_optimizer *o = NULL;
    if (has_optim && o_out && (st = rnl_ck_load_optim(b + 88, &oc, np, r, &o))) {
        rnl_s2s_destroy(m);
        return st;
    }
    *m_out = m;
    if (o_out) *o_out = o;
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
    if ((st = rnl_file_write_atomic(path, buf, n))) st = rnl_fail(st, "seq2seq checkpoint: %s", rnl_last_error());
    free(buf);
    return st;
}

rnl_status rnl_s2s_checkpoint_load(const char *path, rnl_s2s **m, rnl_optimizer **o, rnl_s2s_task_config *task_out,
                                   int *has_task) {
    uint8_t *buf;
    size_t n;
    *m = NULL;
    if (o) *o = NULL;
    if (has_task) *has_task = 0;
    rnl_status st = rnl_file_read(path, S2_HEADER + 4 + 4ull * 3 * RNL_MAX_PARAMS, &buf, &n);
    if (st) return rnl_fail(st, "seq2seq checkpoint: %s", rnl_last_error());
    if ((st = rnl_s2s_checkpoint_read(buf, n, m, o, task_out, has_task))) st = rnl_fail(st, "%s: %s", path, rnl_last_error());
    free(buf);
    return st;
}
