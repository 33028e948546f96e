// model_base.c: the memory every model kind stands on (model_base.h): parameter and gradient blocks and
// their tensor table, meta bytes, the work memory, the length sort, and the checkpoint blocks. No numeric
// code: the kinds' forward and backward passes, and the training step (train.c), run over what is here.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "model_base.h"

// --- Parameters and tensors -------------------------------------------------------------------------

rnl_status rnl_base_init(rnl_base *b, const rnl_kind *kind, int max_tensors) {
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->tensors = calloc((size_t)max_tensors, sizeof *b->tensors);
    if (!b->tensors) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", kind->name);
    b->max_tensors = max_tensors;
    return RNL_OK;
}

size_t rnl_base_add_tensor(rnl_base *b, int rows, int cols, const char *fmt, ...) {
    // The kind sizes the table for its largest layout: overrunning it is a programming error. A trap, not
    // abort(): in WebAssembly abort() would import proc_exit, and a trap reaches the wrapper as an error.
    if (b->n_tensors >= b->max_tensors) __builtin_trap();
    rnl_tensor_info *t = &b->tensors[b->n_tensors++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->offset = b->n_params;
    t->rows = rows;
    t->cols = cols;
    b->n_params += (size_t)rows * (size_t)cols;
    return t->offset;
}

rnl_status rnl_base_alloc_params(rnl_base *b) {
    b->params = malloc(sizeof(rnl_real) * b->n_params);
    b->grads = calloc(b->n_params, sizeof(rnl_real));
    if (!b->params || !b->grads)
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu parameters", b->kind->name, b->n_params);
    return RNL_OK;
}

void rnl_base_free(rnl_base *b) {
    rnl_team_destroy(b->team);
    free(b->params);
    free(b->grads);
    free(b->tensors);
    free(b->ws);
    free(b->meta);
    free(b->history);
}

void rnl_base_zero_grad(rnl_base *b) { memset(b->grads, 0, sizeof(rnl_real) * b->n_params); }

const rnl_tensor_info *rnl_base_tensor(const rnl_base *b, int i) {
    return i >= 0 && i < b->n_tensors ? &b->tensors[i] : NULL;
}

rnl_status rnl_base_history_append(rnl_base *b, const rnl_history_point *p) {
    if (b->history_n >= RNL_MAX_HISTORY)
        return rnl_fail(RNL_ERR_ARG, "%s: the training history is full (%u points)", b->kind->name, RNL_MAX_HISTORY);
    if (b->history_n == b->history_cap) {
        size_t cap = b->history_cap ? 2 * b->history_cap : 64;
        rnl_history_point *h = realloc(b->history, sizeof *h * cap);
        if (!h) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for the training history", b->kind->name);
        b->history = h, b->history_cap = cap;
    }
    b->history[b->history_n++] = *p;
    return RNL_OK;
}

rnl_status rnl_base_set_meta(rnl_base *b, const uint8_t *bytes, size_t n) {
    const char *name = b->kind->name;
    if (n > RNL_MAX_META)
        return rnl_fail(RNL_ERR_ARG, "%s: %zu bytes of meta data, more than the limit of %u", name, n, RNL_MAX_META);
    uint8_t *copy = NULL;
    if (n) {
        if (!(copy = malloc(n))) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu bytes of meta data", name, n);
        memcpy(copy, bytes, n);
    }
    free(b->meta);
    b->meta = copy;
    b->meta_n = n;
    return RNL_OK;
}

// --- Work memory --------------------------------------------------------------------------------------

void *rnl_carve(rnl_carver *cv, size_t count, size_t elem) {
    size_t bytes = rnl_mul_size(count, elem, &cv->ok);
    bytes = rnl_add_size(bytes, 63, &cv->ok) & ~(size_t)63;  // 64-byte aligned blocks for SIMD
    void *p = cv->base && cv->ok ? cv->base + cv->used : NULL;
    cv->used = rnl_add_size(cv->used, bytes, &cv->ok);
    return p;
}

size_t rnl_base_workspace_bytes(rnl_base *scratch, const int *shape) {
    rnl_carver cv = {NULL, 0, 1};
    scratch->kind->layout(scratch, &cv, shape);
    return cv.ok ? cv.used : 0;
}

// "4 sequences x 12 source x 13 target steps": a batch shape in the kind's words.
static const char *shape_text(const rnl_kind *k, const int *shape, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < k->n_dims && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%d %s", i ? " x " : "", shape[i], k->dims[i]);
    return buf;
}

rnl_status rnl_base_workspace(rnl_base *b, const int *shape) {
    const rnl_kind *k = b->kind;
    int fits = b->ws != NULL, want[RNL_BASE_MAX_DIMS] = {0};
    for (int i = 0; i < k->n_dims; i++) {
        fits &= shape[i] <= b->cap[i];
        want[i] = shape[i] > b->cap[i] ? shape[i] : b->cap[i];
    }
    if (fits) {  // re-lay over the same memory: the buffers of the capacity's shape
        rnl_carver cv = {b->ws, 0, 1};
        k->layout(b, &cv, b->cap);
        return RNL_OK;
    }
    rnl_carver cv = {NULL, 0, 1};
    k->layout(b, &cv, want);
    char text[96];
    if (!cv.ok || cv.used > RNL_MAX_WORKSPACE)
        return rnl_fail(RNL_ERR_NOMEM, "%s: a batch of %s needs more than the %zu MB work-memory limit", k->name,
                        shape_text(k, shape, text, sizeof text), RNL_MAX_WORKSPACE >> 20);
    void *ws = malloc(cv.used);
    if (!ws)
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory: a batch of %s needs %.1f MB of work memory", k->name,
                        shape_text(k, shape, text, sizeof text), cv.used / 1048576.0);
    free(b->ws);
    b->ws = ws;
    memcpy(b->cap, want, sizeof b->cap);
    cv = (rnl_carver){b->ws, 0, 1};
    k->layout(b, &cv, b->cap);
    return RNL_OK;
}

// Insertion sort: batches are small, and it is stable.
void rnl_sort_rows(const int32_t *lens, int B, int T, int *order, int *len) {
    for (int i = 0; i < B; i++) {
        int n = lens ? lens[i] : T, j = i;
        while (j > 0 && len[j - 1] < n) {
            len[j] = len[j - 1];
            order[j] = order[j - 1];
            j--;
        }
        len[j] = n;
        order[j] = i;
    }
}

// --- Checkpoint blocks --------------------------------------------------------------------------------

// The optimizer block at `at`: o's settings and steps (o NULL: kind -1), and ns.
static void put_optim(uint8_t *at, rnl_optimizer *o, size_t ns) {
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

rnl_status rnl_ck_begin(const rnl_ck_format *f, const rnl_base *m, rnl_optimizer *o, uint32_t flags_kind,
                        uint8_t **out, size_t *n) {
    size_t np = m->n_params, ns = 0;
    const rnl_real *state = o ? rnl_optimizer_state(o, &ns) : NULL;
    *out = NULL;
    if (o && ns != rnl_optim_state_count(rnl_optimizer_config(o)->kind, np))
        return rnl_fail(RNL_ERR_ARG, "%s: the optimizer was made for another model (%zu state values)", f->what, ns);
    size_t meta_n = f->flag_meta ? m->meta_n : 0, hist_n = f->flag_history ? m->history_n : 0;
    size_t total = f->header + 4 * (np + ns) + (meta_n ? 8 + meta_n : 0) + (hist_n ? 8 + 24 * hist_n : 0) + 4;
    uint8_t *b = calloc(1, total);
    if (!b) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu bytes", f->what, total);
    memcpy(b, f->magic, 8);
    rnl_put_u32(b + 8, f->version);
    rnl_put_u32(b + 12, (o ? f->flag_optim : 0) | (meta_n ? f->flag_meta : 0) | (hist_n ? f->flag_history : 0) | flags_kind);
    rnl_put_u64(b + f->header - 56, np);
    put_optim(b + f->header - 48, o, ns);
    uint8_t *w = b + f->header;
    for (size_t i = 0; i < np; i++, w += 4) rnl_put_f32(w, (float)m->params[i]);
    for (size_t i = 0; i < ns; i++, w += 4) rnl_put_f32(w, (float)state[i]);
    if (meta_n) {
        rnl_put_u64(w, meta_n);
        memcpy(w + 8, m->meta, meta_n);
        w += 8 + meta_n;
    }
    if (hist_n) {
        rnl_put_u64(w, hist_n);
        w += 8;
        for (size_t i = 0; i < hist_n; i++, w += 24) {
            const rnl_history_point *h = &m->history[i];
            rnl_put_u32(w, h->step);
            float v[5] = {h->loss, h->accuracy, h->grad_norm, h->val_loss, h->val_accuracy};
            for (int k = 0; k < 5; k++) rnl_put_f32(w + 4 + 4 * k, v[k]);
        }
    }
    *out = b;
    *n = total;
    return RNL_OK;
}

void rnl_ck_seal(uint8_t *buf, size_t n) { rnl_put_u32(buf + n - 4, rnl_crc32(buf, n - 4)); }

rnl_status rnl_ck_open(const rnl_ck_format *f, const uint8_t *b, size_t n, uint32_t *flags) {
    if (n < 8 || memcmp(b, f->magic, 8) != 0) {
        if (n >= 8 && f->other_magic && memcmp(b, f->other_magic, 8) == 0)
            return rnl_fail(RNL_ERR_FORMAT, "%s: %s", f->what, f->other_is);
        return rnl_fail(RNL_ERR_FORMAT, "%s: not an rnnlab %s (the file does not start with \"%.8s\")", f->what, f->what,
                        f->magic);
    }
    if (n < f->header + 4)
        return rnl_fail(RNL_ERR_FORMAT, "%s: truncated: %zu bytes, shorter than the %u-byte header", f->what, n,
                        f->header + 4);
    uint32_t version = rnl_get_u32(b + 8);
    *flags = rnl_get_u32(b + 12);
    if (version != f->version)
        return rnl_fail(RNL_ERR_FORMAT, "%s: format version %u; this build of rnnlab reads version %u%s", f->what, version,
                        f->version, version > f->version ? " (it was written by a newer rnnlab)" : "");
    if (*flags & ~(f->flag_optim | f->flag_meta | f->flag_history | f->flags_kind))
        return rnl_fail(RNL_ERR_FORMAT, "%s: unknown flags 0x%x", f->what, *flags);
    return RNL_OK;
}

// The optimizer block at `at` for a model of np parameters into *oc and *ns. With the optimizer flag
// (`has`), the settings must be valid, the state count the kind's and the step count in range; without it,
// there must be no state.
static rnl_status get_optim(const char *what, const uint8_t *at, int has, uint64_t np, rnl_optim_config *oc,
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

rnl_status rnl_ck_check(const rnl_ck_format *f, const uint8_t *b, size_t n, uint32_t flags, size_t expect_np,
                        rnl_ck_body *body) {
    rnl_status st;
    const char *what = f->what;
    memset(body, 0, sizeof *body);
    body->flags = flags;
    body->np = rnl_get_u64(b + f->header - 56);
    if (body->np != expect_np)
        return rnl_fail(RNL_ERR_FORMAT, "%s: holds %llu parameters, but its configuration has %zu", what,
                        (unsigned long long)body->np, expect_np);
    if ((st = get_optim(what, b + f->header - 48, (flags & f->flag_optim) != 0, body->np, &body->oc, &body->ns)))
        return st;
    // np <= RNL_MAX_PARAMS and ns <= 2 np (both checked above), so this cannot overflow.
    size_t expect = f->header + 4 * ((size_t)body->np + (size_t)body->ns) + 4;
    if (flags & f->flag_meta) {
        // The meta length sits right after the state: read it only once the bytes are known to be there.
        size_t at = expect - 4;
        if (n < at + 8) return rnl_fail(RNL_ERR_FORMAT, "%s: truncated: %zu bytes, the meta data starts at %zu", what, n, at);
        uint64_t mn = rnl_get_u64(b + at);
        if (mn == 0 || mn > RNL_MAX_META)
            return rnl_fail(RNL_ERR_FORMAT, "%s: meta data of %llu bytes is outside 1..%u", what, (unsigned long long)mn,
                            RNL_MAX_META);
        body->meta_at = at;
        body->meta_n = (size_t)mn;
        expect += 8 + body->meta_n;
    }
    if (flags & f->flag_history) {
        // The history count follows the meta block (or the state): read once the bytes are there.
        size_t at = expect - 4;
        if (n < at + 8) return rnl_fail(RNL_ERR_FORMAT, "%s: truncated: %zu bytes, the training history starts at %zu", what, n, at);
        uint64_t hn = rnl_get_u64(b + at);
        if (hn == 0 || hn > RNL_MAX_HISTORY)
            return rnl_fail(RNL_ERR_FORMAT, "%s: training history of %llu points is outside 1..%u", what, (unsigned long long)hn,
                            RNL_MAX_HISTORY);
        body->hist_at = at;
        body->hist_n = (size_t)hn;
        expect += 8 + 24 * body->hist_n;
    }
    if (n < expect) return rnl_fail(RNL_ERR_FORMAT, "%s: truncated: %zu bytes, the header announces %zu", what, n, expect);
    if (n > expect) return rnl_fail(RNL_ERR_FORMAT, "%s: %zu unexpected bytes after the end of the data", what, n - expect);
    uint32_t crc = rnl_get_u32(b + expect - 4), actual = rnl_crc32(b, expect - 4);
    if (crc != actual)
        return rnl_fail(RNL_ERR_FORMAT, "%s: corrupt: checksum mismatch (stored %08x, computed %08x)", what, crc, actual);
    const uint8_t *r = b + f->header;
    for (size_t i = 0; i < body->np; i++)
        if (!isfinite(rnl_get_f32(r + 4 * i)))
            return rnl_fail(RNL_ERR_FORMAT, "%s: parameter %zu is not a finite number (NaN or Inf): the model was saved "
                            "after training diverged", what, i);
    return RNL_OK;
}

rnl_status rnl_ck_load(const rnl_ck_format *f, const uint8_t *b, const rnl_ck_body *body, rnl_base *m,
                       rnl_optimizer **o_out) {
    rnl_status st;
    const uint8_t *r = b + f->header;
    for (size_t i = 0; i < body->np; i++, r += 4) m->params[i] = rnl_get_f32(r);
    rnl_optimizer *o = NULL;
    if ((body->flags & f->flag_optim) && o_out) {
        const uint8_t *at = b + f->header - 48;
        if ((st = rnl_optimizer_create(&o, &body->oc, body->np))) return st;
        rnl_optimizer_set_steps(o, (long)rnl_get_u64(at + 32));
        size_t cnt;
        rnl_real *s = rnl_optimizer_state(o, &cnt);
        for (size_t i = 0; i < cnt; i++, r += 4) s[i] = rnl_get_f32(r);
    }
    if (body->meta_n && (st = rnl_base_set_meta(m, b + body->meta_at + 8, body->meta_n))) {
        rnl_optimizer_destroy(o);
        return st;
    }
    const uint8_t *h = b + body->hist_at + 8;
    for (size_t i = 0; i < body->hist_n; i++, h += 24) {
        rnl_history_point pt = {rnl_get_u32(h), rnl_get_f32(h + 4), rnl_get_f32(h + 8), rnl_get_f32(h + 12),
                                rnl_get_f32(h + 16), rnl_get_f32(h + 20)};
        if ((st = rnl_base_history_append(m, &pt))) {
            rnl_optimizer_destroy(o);
            return st;
        }
    }
    if (o_out) *o_out = o;
    return RNL_OK;
}

rnl_status rnl_ck_save_file(const rnl_ck_format *f, const char *path, uint8_t *buf, size_t n) {
    rnl_status st = rnl_file_write_atomic(path, buf, n);
    if (st) st = rnl_fail(st, "%s: %s", f->what, rnl_last_error());
    free(buf);
    return st;
}

rnl_status rnl_ck_read_file(const rnl_ck_format *f, const char *path, uint8_t **buf, size_t *n) {
    uint64_t limit = f->header + 4 + 4ull * 3 * RNL_MAX_PARAMS + (f->flag_meta ? 8 + RNL_MAX_META : 0) +
                     (f->flag_history ? 8 + 24ull * RNL_MAX_HISTORY : 0);
    rnl_status st = rnl_file_read(path, limit, buf, n);
    if (st) return rnl_fail(st, "%s: %s", f->what, rnl_last_error());
    return RNL_OK;
}
