// golden_file.c: see golden_file.h.
#include "golden_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

// --- Reading -------------------------------------------------------------------------------------

typedef struct {
    const uint8_t *p;
    size_t n, pos;
    const char *err;  // first problem found, NULL if none
} gold_reader;

static uint32_t rd_u32(gold_reader *r) {
    if (r->err) return 0;
    if (r->n - r->pos < 4) {
        r->err = "truncated";
        return 0;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += 4;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static const uint8_t *rd_bytes(gold_reader *r, size_t k) {
    if (r->err) return NULL;
    if (r->n - r->pos < k) {
        r->err = "truncated";
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += k;
    return q;
}

static void rd_name(gold_reader *r, char *out) {
    uint32_t len = rd_u32(r);
    if (!r->err && len >= GOLD_MAX_NAME) r->err = "name too long";
    const uint8_t *s = rd_bytes(r, len);
    out[0] = 0;
    if (s) memcpy(out, s, len), out[len] = 0;
}

static void rd_case(gold_reader *r, gold_case *c) {
    rd_name(r, c->name);
    c->n_records = rd_u32(r);
    if (!r->err && c->n_records > GOLD_MAX_RECORDS) r->err = "too many records";
    for (uint32_t i = 0; i < c->n_records && !r->err; i++) {
        gold_record *g = &c->rec[i];
        rd_name(r, g->name);
        g->dtype = rd_u32(r);
        g->ndim = rd_u32(r);
        if (!r->err && g->dtype != GOLD_F64 && g->dtype != GOLD_I32) r->err = "unknown dtype";
        if (!r->err && g->ndim > GOLD_MAX_NDIM) r->err = "too many dimensions";
        g->count = 1;
        for (uint32_t d = 0; d < g->ndim && !r->err; d++) {
            g->dims[d] = rd_u32(r);
            if (g->dims[d] > (1u << 24) || g->count * g->dims[d] > (1u << 24)) r->err = "record too large";
            g->count *= g->dims[d];
        }
        g->data = rd_bytes(r, g->count * (g->dtype == GOLD_F64 ? 8 : 4));
    }
}

int gold_run_file(const char *rel_path, const char *regen_hint, void (*run)(const gold_case *)) {
    const char *path = tu_source_path(rel_path);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "cannot open %s (set RNL_SOURCE_DIR to the source tree, or run through ctest); "
                     "regenerate it with %s", path, regen_hint);
    if (!f) return 0;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, k;
    do {
        if (n == cap) buf = realloc(buf, cap = cap ? 2 * cap : 1 << 20);
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);

    gold_reader r = {buf, n, 0, NULL};
    const uint8_t *magic = rd_bytes(&r, 8);
    uint32_t version = rd_u32(&r), n_cases = rd_u32(&r);
    CHECK(magic && memcmp(magic, "RNLGOLD1", 8) == 0, "%s: bad magic (not a golden file)", path);
    CHECK(!r.err && version == 1, "%s: version %u, this test reads 1", path, version);
    CHECK(!r.err && n_cases >= 1 && n_cases <= 1000, "%s: %u cases", path, n_cases);
    if (!magic || memcmp(magic, "RNLGOLD1", 8) != 0 || r.err || version != 1 || n_cases < 1 || n_cases > 1000) {
        free(buf);
        return 0;
    }
    gold_case *gc = malloc(sizeof *gc);
    uint32_t ran = 0;
    for (uint32_t i = 0; i < n_cases; i++) {
        rd_case(&r, gc);
        CHECK(!r.err, "%s: case %u (%s) at byte %zu: %s", path, i, gc->name, r.pos, r.err ? r.err : "");
        if (r.err) break;
        int before = tu_failures;
        run(gc);
        printf("  golden %-40s %s\n", gc->name, tu_failures == before ? "ok" : "FAILED");
        ran++;
    }
    CHECK(r.err || r.pos == n, "%s: %zu bytes after the last case", path, n - r.pos);
    CHECK(ran == n_cases, "%s: ran %u of %u cases", path, ran, n_cases);
    free(gc);
    free(buf);
    return (int)ran;
}

// --- Records -------------------------------------------------------------------------------------

double gold_f64(const gold_record *g, size_t i) {
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--) u = u << 8 | g->data[8 * i + k];
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

int32_t gold_i32(const gold_record *g, size_t i) {
    const uint8_t *q = g->data + 4 * i;
    return (int32_t)((uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24);
}

int gold_has(const gold_case *c, const char *name) {
    for (uint32_t i = 0; i < c->n_records; i++)
        if (strcmp(c->rec[i].name, name) == 0) return 1;
    return 0;
}

const gold_record *gold_find(const gold_case *c, const char *name, uint32_t dtype, size_t count) {
    for (uint32_t i = 0; i < c->n_records; i++) {
        const gold_record *g = &c->rec[i];
        if (strcmp(g->name, name) != 0) continue;
        CHECK(g->dtype == dtype, "%s: record %s has dtype %u, want %u", c->name, name, g->dtype, dtype);
        CHECK(count == 0 || g->count == count, "%s: record %s has %zu values, want %zu", c->name, name,
              g->count, count);
        return (g->dtype == dtype && (count == 0 || g->count == count)) ? g : NULL;
    }
    CHECK(0, "%s: record %s missing", c->name, name);
    return NULL;
}

double *gold_doubles(const gold_record *g) {
    double *v = malloc(sizeof(double) * (g->count ? g->count : 1));
    for (size_t i = 0; i < g->count; i++) v[i] = gold_f64(g, i);
    return v;
}

rnl_real *gold_reals(const gold_record *g) {
    rnl_real *v = malloc(sizeof(rnl_real) * (g->count ? g->count : 1));
    for (size_t i = 0; i < g->count; i++) v[i] = (rnl_real)gold_f64(g, i);
    return v;
}

// --- Comparisons ---------------------------------------------------------------------------------

static double *widen(const rnl_real *got, size_t n) {
    double *a = malloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) a[i] = (double)got[i];
    return a;
}

void gold_close(const char *what, const rnl_real *got, const gold_record *want, double rtol, double atol) {
    double *a = widen(got, want->count), *b = gold_doubles(want);
    tu_close(what, a, b, want->count, rtol, atol);
    free(a);
    free(b);
}

void gold_add_tensor(rnl_tensor_info *out, int cap, int *n, size_t *off, const char *name, int rows, int cols) {
    if (*n < cap) {
        snprintf(out[*n].name, sizeof out[*n].name, "%s", name);
        out[*n].offset = *off, out[*n].rows = rows, out[*n].cols = cols;
    }
    *off += (size_t)rows * (size_t)cols, (*n)++;
}

int gold_check_table(const char *cname, const rnl_tensor_info *want, int n_want, const void *model, int n_got,
                     gold_tensor_fn tensor) {
    CHECK(n_got == n_want, "%s: core has %d tensors, torch %d", cname, n_got, n_want);
    if (n_got != n_want) return 0;
    int ok = 1;
    for (int i = 0; i < n_want; i++) {
        const rnl_tensor_info *t = tensor(model, i);
        int same = t && strcmp(t->name, want[i].name) == 0 && t->offset == want[i].offset &&
                   t->rows == want[i].rows && t->cols == want[i].cols;
        CHECK(same, "%s: tensor %d is %s at %zu (%d x %d), torch's is %s at %zu (%d x %d)", cname, i,
              t ? t->name : "NULL", t ? t->offset : 0, t ? t->rows : 0, t ? t->cols : 0, want[i].name,
              want[i].offset, want[i].rows, want[i].cols);
        ok &= same;
    }
    return ok;
}

void gold_close_flat(const char *cname, const char *what, const rnl_tensor_info *table, int n_tensors,
                     const rnl_real *got, const gold_record *want, double rtol, double atol) {
    double *a = widen(got, want->count), *b = gold_doubles(want);
    char label[256];
    if (!table) {
        snprintf(label, sizeof label, "%s %s (whole block: the tensor table differs)", cname, what);
        tu_close(label, a, b, want->count, rtol, atol);
    } else {
        for (int i = 0; i < n_tensors; i++) {
            const rnl_tensor_info *t = &table[i];
            snprintf(label, sizeof label, "%s %s %s (%d x %d)", cname, what, t->name, t->rows, t->cols);
            tu_close(label, a + t->offset, b + t->offset, (size_t)t->rows * (size_t)t->cols, rtol, atol);
        }
    }
    free(a);
    free(b);
}
