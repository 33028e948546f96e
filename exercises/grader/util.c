// util.c: the grader's small tools: buffers with guard zones, random inputs, comparisons that say
// where and how two arrays differ, and the names of gates.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

// --- Buffers with guard zones -------------------------------------------------------------------

#define GUARD 8                  // floats on each side
#define GUARD_MARK 31337.25f     // a value no cell computes

gbuf gb_new(size_t n, float fill) {
    gbuf b = {0};
    b.base = malloc(sizeof(float) * (n + 2 * GUARD));
    if (!b.base) {
        fprintf(stderr, "grader: out of memory\n");
        exit(3);
    }
    for (size_t k = 0; k < n + 2 * GUARD; k++) b.base[k] = GUARD_MARK;
    b.p = b.base + GUARD;
    b.n = n;
    for (size_t k = 0; k < n; k++) b.p[k] = fill;
    return b;
}

gbuf gb_copy(const float *src, size_t n) {
    gbuf b = gb_new(n, 0);
    memcpy(b.p, src, sizeof(float) * n);
    return b;
}

void gb_free(gbuf *b) {
    free(b->base);
    memset(b, 0, sizeof *b);
}

int gb_guards_ok(const gbuf *b, const char *name, char *msg, size_t cap) {
    // Report the write nearest the buffer: that is the loop bound that ran one too far.
    for (int k = 0; k < GUARD; k++)
        if (b->p[b->n + k] != GUARD_MARK) {
            snprintf(msg, cap, "%s[%zu] (past the end: it has %zu element%s)", name, b->n + k, b->n, b->n == 1 ? "" : "s");
            return 0;
        }
    for (int k = 1; k <= GUARD; k++)
        if (b->p[-k] != GUARD_MARK) {
            snprintf(msg, cap, "%s[%d] (before the start)", name, -k);
            return 0;
        }
    return 1;
}

// --- Numbers ------------------------------------------------------------------------------------

void rnd_normal(rnl_rng *r, float *p, size_t n, double scale) {
    for (size_t k = 0; k < n; k++) p[k] = (float)(scale * rnl_rng_normal(r));
}

void rnd_uniform(rnl_rng *r, float *p, size_t n, double lo, double hi) {
    for (size_t k = 0; k < n; k++) p[k] = (float)(lo + (hi - lo) * rnl_rng_uniform(r));
}

int close_enough(double got, double want, double atol, double rtol) {
    return isfinite(got) && fabs(got - want) <= atol + rtol * fabs(want);
}

cmp_result cmp_floats(const float *got, const float *want, size_t n, double atol, double rtol) {
    cmp_result r = {.first = -1, .all_unwritten = n > 0, .all_zero = n > 0};
    int want_nonzero = 0;
    for (size_t k = 0; k < n; k++) {
        if (got[k] != GR_UNWRITTEN) r.all_unwritten = 0;
        if (got[k] != 0) r.all_zero = 0;
        if (want[k] != 0) want_nonzero = 1;
        if (close_enough(got[k], want[k], atol, rtol)) continue;
        double e = isfinite(got[k]) ? fabs((double)got[k] - want[k]) : INFINITY;
        if (e > r.max_err) r.max_err = e;
        if (r.first < 0) r.first = (long)k;
        r.bad++;
    }
    if (!want_nonzero) r.all_zero = 0;
    if (r.first >= 0) r.unwritten = got[r.first] == GR_UNWRITTEN;
    else r.all_unwritten = r.all_zero = 0;
    return r;
}

// --- Gate names ---------------------------------------------------------------------------------

const char *gate_name(rnl_cell cell, int gate) {
    static const char *lstm[] = {"i (input)", "f (forget)", "g (candidate)", "o (output)"};
    static const char *gru[] = {"r (reset)", "z (update)", "n (candidate)"};
    if (cell == RNL_CELL_LSTM && gate >= 0 && gate < 4) return lstm[gate];
    if (cell == RNL_CELL_GRU && gate >= 0 && gate < 3) return gru[gate];
    return "h";
}

const char *gate_label(rnl_cell cell, int G, int H, size_t k) {
    static char buf[4][64];  // a few labels may appear in one message
    static int next;
    char *s = buf[next++ % 4];
    if (G <= 1) snprintf(s, 64, "unit %zu", k);
    else snprintf(s, 64, "gate %s, unit %zu", gate_name(cell, (int)(k / (size_t)H)), k % (size_t)H);
    return s;
}
