// checkpoint.c: the versioned binary checkpoint (docs/checkpoint-format.md). Little-endian fields,
// written byte by byte so the format does not depend on the host. Reading checks every field and
// size, and the CRC, before it allocates a model; files are written to a temporary name and renamed.
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "checkpoint_optim.h"
#include "internal.h"

#define CK_MAGIC "RNNLABCK"
#define CK_VERSION 1u
#define CK_HEADER 120u
#define CK_FLAG_OPTIM 1u
#define CK_FLAG_META 2u

// --- The optimizer block and the values (shared with s2s_checkpoint.c) ----------------------------------

void rnl_ck_put_optim(uint8_t *at, rnl_optimizer *o, size_t ns) {
    if (o) {
        const rnl_optim_config *oc = rnl_optimizer_config(o);
        rnl_put_u32(at, (uint32_t)oc->kind);
        float f[7] = {oc->lr, oc->momentum, oc->beta1, oc->beta2, oc->eps, oc->weight_decay, oc->clip};
        for (int i = 0; i < 7; i++) rnl_put_f32(at + 4 + 4 * i, f[i]);
        rnl_put_u64(at + 32, (uint64_t)rnl_optimizer_steps(o));
    } else {
        rnl_put_u32(at, (uint32_t)-1);
    }
    rnl_put_u64(at + 40, ns);
}

uint8_t *rnl_ck_put_values(uint8_t *w, const rnl_real *params, size_t np, const rnl_real *state, size_t ns) {
    for (size_t i = 0; i < np; i++, w += 4) rnl_put_f32(w, (float)params[i]);
    for (size_t i = 0; i < ns; i++, w += 4) rnl_put_f32(w, (float)state[i]);
    return w;
}

rnl_status rnl_ck_get_optim(const char *what, const uint8_t *at, int has, uint64_t np, rnl_optim_config *oc,
                            uint64_t *ns) {
    *oc = rnl_optim_default(RNL_OPTIM_ADAM);
    *ns = rnl_get_u64(at + 40);
    if (!has) {
        if (*ns != 0) return rnl_fail(RNL_ERR_FORMAT, "%s: optimizer state present but not flagged", what);
        return RNL_OK;
    }
    oc->kind = (rnl_optim)rnl_get_i32(at);
    oc->lr = rnl_get_f32(at + 4);
    oc->momentum = rnl_get_f32(at + 8);
    oc->beta1 = rnl_get_f32(at + 12);
    oc->beta2 = rnl_get_f32(at + 16);
    oc->eps = rnl_get_f32(at + 20);
    oc->weight_decay = rnl_get_f32(at + 24);
    oc->clip = rnl_get_f32(at + 28);
    if (rnl_optim_validate(oc) != RNL_OK)
        return rnl_fail(RNL_ERR_FORMAT, "%s: bad optimizer settings: %s", what, rnl_last_error());
    if (*ns != rnl_optim_state_count(oc->kind, np))
        return rnl_fail(RNL_ERR_FORMAT, "%s: optimizer state has %llu values, %s needs %zu", what, (unsigned long long)*ns,
                        rnl_optim_name(oc->kind), rnl_optim_state_count(oc->kind, np));
    if (rnl_get_u64(at + 32) > (uint64_t)1 << 40) return rnl_fail(RNL_ERR_FORMAT, "%s: step count is out of range", what);
    return RNL_OK;
}

rnl_status rnl_ck_check_params(const char *what, const uint8_t *r, size_t np) {
    for (size_t i = 0; i < np; i++)
        if (!isfinite(rnl_get_f32(r + 4 * i)))
            return rnl_fail(RNL_ERR_FORMAT, "%s: parameter %zu is not a finite number (NaN or Inf): the model was saved after "
                            "training diverged", what, i);
    return RNL_OK;
}

rnl_status rnl_ck_load_optim(const uint8_t *at, const rnl_optim_config *oc, size_t np, const uint8_t *state,
                             rnl_optimizer **o) {
    rnl_status st = rnl_optimizer_create(o, oc, np);
    if (st) return st;
    rnl_optimizer_set_steps(*o, (long)rnl_get_u64(at + 32));
    size_t cnt;
    rnl_real *s = rnl_optimizer_state(*o, &cnt);
    for (size_t i = 0; i < cnt; i++, state += 4) s[i] = rnl_get_f32(state);
    return RNL_OK;
}

// --- Writing ----------------------------------------------------------------------------------------

rnl_status rnl_checkpoint_write(const rnl_model *m, const rnl_optimizer *o_const, uint8_t **out, size_t *n_out) {
    rnl_model *mm = (rnl_model *)m;  // read-only use of the accessors
    rnl_optimizer *o = (rnl_optimizer *)o_const;
    const rnl_config *c = rnl_model_config(m);
    size_t np = rnl_model_num_params(m), ns = 0;
    const rnl_real *state = o ? rnl_optimizer_state(o, &ns) : NULL;
    size_t meta_n;
    const uint8_t *meta = rnl_model_meta(m, &meta_n);
    size_t total = CK_HEADER + 4 * (np + ns) + (meta_n ? 8 + meta_n : 0) + 4;
    uint8_t *b = calloc(1, total);
    if (!b) return rnl_fail(RNL_ERR_NOMEM, "checkpoint: out of memory for %zu bytes", total);
    memcpy(b, CK_MAGIC, 8);
    rnl_put_u32(b + 8, CK_VERSION);
    rnl_put_u32(b + 12, (o ? CK_FLAG_OPTIM : 0) | (meta_n ? CK_FLAG_META : 0));
    int32_t fields[10] = {c->cell, c->vocab, c->embed, c->input_size, c->hidden, c->layers, c->bidirectional, c->head, c->outputs, c->seq2seq};
    for (int i = 0; i < 10; i++) rnl_put_u32(b + 16 + 4 * i, (uint32_t)fields[i]);
    rnl_put_f32(b + 56, c->forget_bias);
    rnl_put_u64(b + 64, np);
    rnl_ck_put_optim(b + 72, o, ns);
    uint8_t *w = rnl_ck_put_values(b + CK_HEADER, rnl_model_params(mm), np, state, ns);
    if (meta_n) {
        rnl_put_u64(w, meta_n);
        memcpy(w + 8, meta, meta_n);
        w += 8 + meta_n;
    }
    rnl_put_u32(w, rnl_crc32(b, total - 4));
    *out = b;
    *n_out = total;
    return RNL_OK;
}

void rnl_buffer_free(void *p) { free(p); }

// --- Reading ----------------------------------------------------------------------------------------

rnl_status rnl_checkpoint_read(const uint8_t *b, size_t n, rnl_model **m_out, rnl_optimizer **o_out) {
    rnl_status st;
    *m_out = NULL;
    if (o_out) *o_out = NULL;
    if (n < 8 || memcmp(b, CK_MAGIC, 8) != 0) {
        if (n >= 8 && memcmp(b, "RNLDATA", 8) == 0)  // docs/data-format.md
            return rnl_fail(RNL_ERR_FORMAT, "checkpoint: this is a prepared data file, not a model checkpoint");
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: not an rnnlab checkpoint (the file does not start with \"%s\")", CK_MAGIC);
    }
    if (n < CK_HEADER + 4)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: truncated: %zu bytes, shorter than the %u-byte header", n, CK_HEADER + 4);
    uint32_t version = rnl_get_u32(b + 8), flags = rnl_get_u32(b + 12);
    if (version != CK_VERSION)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: format version %u; this build of rnnlab reads version %u%s", version,
                        CK_VERSION, version > CK_VERSION ? " (it was written by a newer rnnlab)" : "");
    if (flags & ~(CK_FLAG_OPTIM | CK_FLAG_META)) return rnl_fail(RNL_ERR_FORMAT, "checkpoint: unknown flags 0x%x", flags);
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
    if ((st = rnl_config_validate(&c)) != RNL_OK)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: bad model configuration: %s", rnl_last_error());
    uint64_t np = rnl_get_u64(b + 64), ns;
    size_t expect_np = rnl_config_num_params(&c);
    if (np != expect_np)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: holds %llu parameters, but its configuration has %zu",
                        (unsigned long long)np, expect_np);
    rnl_optim_config oc;
    int has_optim = (flags & CK_FLAG_OPTIM) != 0;
    if ((st = rnl_ck_get_optim("checkpoint", b + 72, has_optim, np, &oc, &ns))) return st;
    size_t expect = CK_HEADER + 4 * ((size_t)np + (size_t)ns) + 4, meta_n = 0, meta_at = 0;
    if (flags & CK_FLAG_META) {
        // The meta length sits right after the state: read it only once the bytes are known to be there.
        meta_at = expect - 4;
        if (n < meta_at + 8) return rnl_fail(RNL_ERR_FORMAT, "checkpoint: truncated: %zu bytes, the meta data starts at %zu", n, meta_at);
        uint64_t mn = rnl_get_u64(b + meta_at);
        if (mn == 0 || mn > RNL_MAX_META)
            return rnl_fail(RNL_ERR_FORMAT, "checkpoint: meta data of %llu bytes is outside 1..%u", (unsigned long long)mn, RNL_MAX_META);
        meta_n = (size_t)mn;
        expect += 8 + meta_n;
    }
    if (n < expect)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: truncated: %zu bytes, the header announces %zu", n, expect);
    if (n > expect)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: %zu unexpected bytes after the end of the data", n - expect);
    uint32_t crc = rnl_get_u32(b + expect - 4), actual = rnl_crc32(b, expect - 4);
    if (crc != actual)
        return rnl_fail(RNL_ERR_FORMAT, "checkpoint: corrupt: checksum mismatch (stored %08x, computed %08x)", crc, actual);
    const uint8_t *r = b + CK_HEADER;
    if ((st = rnl_ck_check_params("checkpoint", r, np))) return st;

    rnl_model *m;
    if ((st = rnl_model_create(&m, &c, 0))) return st;
    rnl_real *p = rnl_model_params(m);
    for (size_t i = 0; i < np; i++, r += 4) p[i] = rnl_get_f32(r);
    rnl_optimizer *o = NULL;
    if (has_optim && o_out && (st = rnl_ck_load_optim(b + 72, &oc, np, r, &o))) {
        rnl_model_destroy(m);
        return st;
    }
    if (meta_n && (st = rnl_model_set_meta(m, b + meta_at + 8, meta_n))) {
        rnl_optimizer_destroy(o);
        rnl_model_destroy(m);
        return st;
    }
    *m_out = m;
    if (o_out) *o_out = o;
    return RNL_OK;
}

// --- Files ------------------------------------------------------------------------------------------

rnl_status rnl_checkpoint_save(const rnl_model *m, const rnl_optimizer *o, const char *path) {
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_checkpoint_write(m, o, &buf, &n);
    if (st) return st;
    if ((st = rnl_file_write_atomic(path, buf, n))) st = rnl_fail(st, "checkpoint: %s", rnl_last_error());
    free(buf);
    return st;
}

rnl_status rnl_checkpoint_load(const char *path, rnl_model **m, rnl_optimizer **o) {
    uint8_t *buf;
    size_t n;
    *m = NULL;
    if (o) *o = NULL;
    rnl_status st = rnl_file_read(path, CK_HEADER + 4 + 4ull * 3 * RNL_MAX_PARAMS + 8 + RNL_MAX_META, &buf, &n);
    if (st) return rnl_fail(st, "checkpoint: %s", rnl_last_error());
    if ((st = rnl_checkpoint_read(buf, n, m, o))) st = rnl_fail(st, "%s: %s", path, rnl_last_error());
    free(buf);
    return st;
}
