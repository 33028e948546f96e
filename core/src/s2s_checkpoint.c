// s2s_checkpoint.c: the versioned binary checkpoint of a seq2seq model (layout in docs/seq2seq.md), on
// checkpoint.c's principles: little-endian fields written byte by byte, every field and size and the CRC
// checked before a model is allocated, files written to a temporary name and renamed.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef RNL_NO_FILES
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "internal.h"
#include "rnnlab_seq2seq.h"

#define S2_MAGIC "RNNLABS2"
#define S2_VERSION 1u
#define S2_HEADER 136u
#define S2_FLAG_OPTIM 1u
#define S2_FLAG_TASK 2u

static void put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_f32(uint8_t *p, float f) { uint32_t v; memcpy(&v, &f, 4); put_u32(p, v); }
static uint32_t get_u32(const uint8_t *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t get_u64(const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }
static int32_t get_i32(const uint8_t *p) { return (int32_t)get_u32(p); }
static float get_f32(const uint8_t *p) { uint32_t v = get_u32(p); float f; memcpy(&f, &v, 4); return f; }

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
    put_u32(b + 8, S2_VERSION);
    put_u32(b + 12, (o ? S2_FLAG_OPTIM : 0) | (task ? S2_FLAG_TASK : 0));
    int32_t fields[10] = {c->src_vocab, c->tgt_vocab, c->embed, c->enc_cell, c->enc_hidden,
                          c->enc_layers, c->bidirectional, c->dec_cell, c->attention, c->attn_width};
    for (int i = 0; i < 10; i++) put_u32(b + 16 + 4 * i, (uint32_t)fields[i]);
    put_f32(b + 56, c->forget_bias);
    if (task) {
        int32_t t[4] = {task->task, task->min_len, task->max_len, task->symbols};
        for (int i = 0; i < 4; i++) put_u32(b + 60 + 4 * i, (uint32_t)t[i]);
    } else {
        put_u32(b + 60, (uint32_t)-1);
    }
    put_u64(b + 80, np);
    if (o) {
        const rnl_optim_config *oc = rnl_optimizer_config(o);
        put_u32(b + 88, (uint32_t)oc->kind);
        float f[7] = {oc->lr, oc->momentum, oc->beta1, oc->beta2, oc->eps, oc->weight_decay, oc->clip};
        for (int i = 0; i < 7; i++) put_f32(b + 92 + 4 * i, f[i]);
        put_u64(b + 120, (uint64_t)rnl_optimizer_steps(o));
    } else {
        put_u32(b + 88, (uint32_t)-1);
    }
    put_u64(b + 128, ns);
    const rnl_real *p = rnl_s2s_params(mm);
    uint8_t *w = b + S2_HEADER;
    for (size_t i = 0; i < np; i++, w += 4) put_f32(w, (float)p[i]);
    for (size_t i = 0; i < ns; i++, w += 4) put_f32(w, (float)state[i]);
    put_u32(w, rnl_crc32(b, total - 4));
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
    uint32_t version = get_u32(b + 8), flags = get_u32(b + 12);
    if (version != S2_VERSION)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: format version %u; this build of rnnlab reads version %u%s", version,
                        S2_VERSION, version > S2_VERSION ? " (it was written by a newer rnnlab)" : "");
    if (flags & ~(S2_FLAG_OPTIM | S2_FLAG_TASK)) return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: unknown flags 0x%x", flags);
    rnl_s2s_config c = rnl_s2s_config_default();
    c.src_vocab = get_i32(b + 16);
    c.tgt_vocab = get_i32(b + 20);
    c.embed = get_i32(b + 24);
    c.enc_cell = (rnl_cell)get_i32(b + 28);
    c.enc_hidden = get_i32(b + 32);
    c.enc_layers = get_i32(b + 36);
    c.bidirectional = get_i32(b + 40);
    c.dec_cell = (rnl_cell)get_i32(b + 44);
    c.attention = (rnl_attn)get_i32(b + 48);
    c.attn_width = get_i32(b + 52);
    c.forget_bias = get_f32(b + 56);
    if (rnl_s2s_config_validate(&c) != RNL_OK)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: bad model configuration: %s", rnl_last_error());
    rnl_s2s_task_config task;
    memset(&task, 0, sizeof task);
    int with_task = (flags & S2_FLAG_TASK) != 0;
    if (with_task) {
        task.task = (rnl_s2s_task)get_i32(b + 60);
        task.min_len = get_i32(b + 64);
        task.max_len = get_i32(b + 68);
        task.symbols = get_i32(b + 72);
        if (rnl_s2s_task_validate(&task) != RNL_OK)
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: bad task: %s", rnl_last_error());
        rnl_s2s_config want = c;
        rnl_s2s_task_shape(&task, &want);
        if (want.src_vocab != c.src_vocab || want.tgt_vocab != c.tgt_vocab)
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: task %s needs vocabularies %d/%d, the model has %d/%d",
                            rnl_s2s_task_name(task.task), want.src_vocab, want.tgt_vocab, c.src_vocab, c.tgt_vocab);
    } else if (get_i32(b + 60) != -1) {
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: task fields present but not flagged");
    }
    uint64_t np = get_u64(b + 80), ns = get_u64(b + 128);
    size_t expect_np = rnl_s2s_config_num_params(&c);
    if (np != expect_np)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: holds %llu parameters, but its configuration has %zu",
                        (unsigned long long)np, expect_np);
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    int has_optim = (flags & S2_FLAG_OPTIM) != 0;
    if (has_optim) {
        oc.kind = (rnl_optim)get_i32(b + 88);
        oc.lr = get_f32(b + 92);
        oc.momentum = get_f32(b + 96);
        oc.beta1 = get_f32(b + 100);
        oc.beta2 = get_f32(b + 104);
        oc.eps = get_f32(b + 108);
        oc.weight_decay = get_f32(b + 112);
        oc.clip = get_f32(b + 116);
        if (rnl_optim_validate(&oc) != RNL_OK)
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: bad optimizer settings: %s", rnl_last_error());
        if (ns != rnl_optim_state_count(oc.kind, np))
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: optimizer state has %llu values, %s needs %zu",
                            (unsigned long long)ns, rnl_optim_name(oc.kind), rnl_optim_state_count(oc.kind, np));
        if (get_u64(b + 120) > (uint64_t)1 << 40) return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: step count is out of range");
    } else if (ns != 0) {
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: optimizer state present but not flagged");
    }
    // np <= RNL_MAX_PARAMS and ns <= 2 np (both checked above), so this cannot overflow.
    size_t expect = S2_HEADER + 4 * ((size_t)np + (size_t)ns) + 4;
    if (n < expect)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: truncated: %zu bytes, the header announces %zu", n, expect);
    if (n > expect)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: %zu unexpected bytes after the end of the data", n - expect);
    uint32_t crc = get_u32(b + expect - 4), actual = rnl_crc32(b, expect - 4);
    if (crc != actual)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: corrupt: checksum mismatch (stored %08x, computed %08x)", crc, actual);
    const uint8_t *r = b + S2_HEADER;
    for (size_t i = 0; i < np; i++)
        if (!isfinite(get_f32(r + 4 * i)))
            return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: parameter %zu is not a finite number (NaN or Inf): the model "
                            "was saved after training diverged", i);

    rnl_s2s *m;
    if ((st = rnl_s2s_create(&m, &c, 0))) return st;
    rnl_real *p = rnl_s2s_params(m);
    for (size_t i = 0; i < np; i++, r += 4) p[i] = get_f32(r);
    rnl_optimizer *o = NULL;
    if (has_optim && o_out) {
        if ((st = rnl_optimizer_create(&o, &oc, np))) {
            rnl_s2s_destroy(m);
            return st;
        }
        rnl_optimizer_set_steps(o, (long)get_u64(b + 120));
        size_t cnt;
        rnl_real *s = rnl_optimizer_state(o, &cnt);
        for (size_t i = 0; i < cnt; i++, r += 4) s[i] = get_f32(r);
    }
    *m_out = m;
    if (o_out) *o_out = o;
    if (task_out && with_task) *task_out = task;
    if (has_task) *has_task = with_task;
    return RNL_OK;
}

// --- Files (not in the WASM module: the page and Node pass bytes) ------------------------------------
#ifndef RNL_NO_FILES

rnl_status rnl_s2s_checkpoint_save(const rnl_s2s *m, const rnl_optimizer *o, const rnl_s2s_task_config *task, const char *path) {
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_s2s_checkpoint_write(m, o, task, &buf, &n);
    if (st) return st;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        free(buf);
        return rnl_fail(RNL_ERR_NOMEM, "seq2seq checkpoint: out of memory");
    }
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: cannot write %s: %s", tmp, strerror(errno));
    } else {
        int ok = fwrite(buf, 1, n, f) == n;
        ok = fflush(f) == 0 && ok;
        ok = fclose(f) == 0 && ok;
        if (!ok) st = rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: writing %s failed: %s", tmp, strerror(errno));
        else if (rename(tmp, path) != 0)
            st = rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (st) remove(tmp);
    }
    free(tmp);
    free(buf);
    return st;
}

rnl_status rnl_s2s_checkpoint_load(const char *path, rnl_s2s **m, rnl_optimizer **o, rnl_s2s_task_config *task_out,
                                   int *has_task) {
    struct stat sb;
    *m = NULL;
    if (o) *o = NULL;
    if (has_task) *has_task = 0;
    if (stat(path, &sb) != 0) return rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: %s is a directory, not a checkpoint file", path);
    uint64_t limit = S2_HEADER + 4 + 4ull * 3 * RNL_MAX_PARAMS;
    if ((uint64_t)sb.st_size > limit)
        return rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: %s is %lld bytes, larger than any checkpoint can be", path,
                        (long long)sb.st_size);
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: cannot open %s: %s", path, strerror(errno));
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return rnl_fail(RNL_ERR_NOMEM, "seq2seq checkpoint: out of memory reading %s", path);
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    rnl_status st;
    if (got != n) st = rnl_fail(RNL_ERR_IO, "seq2seq checkpoint: cannot read %s", path);
    else if ((st = rnl_s2s_checkpoint_read(buf, n, m, o, task_out, has_task)) != RNL_OK)
        st = rnl_fail(st, "%s: %s", path, rnl_last_error());
    free(buf);
    return st;
}
#endif  // RNL_NO_FILES
