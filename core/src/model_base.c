// model_base.c: the memory every model kind stands on (model_base.h): parameter and gradient blocks and
// their tensor table, meta bytes, the work memory and the length sort. No numeric
// code: the kinds' forward and backward passes, and the training step (train.c), run over what is here.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    // The kind sizes the table for its largest layout: overrunning it is a programming error.
    if (b->n_tensors >= b->max_tensors) abort();
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
    free(b->params);
    free(b->grads);
    free(b->tensors);
    free(b->ws);
    free(b->meta);
}

void rnl_base_zero_grad(rnl_base *b) { memset(b->grads, 0, sizeof(rnl_real) * b->n_params); }

const rnl_tensor_info *rnl_base_tensor(const rnl_base *b, int i) {
    return i >= 0 && i < b->n_tensors ? &b->tensors[i] : NULL;
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
    b->ws_bytes = cv.used;
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
