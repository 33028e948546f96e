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

// --- Cells and gates, from the core's cell table ---------------------------------------------------

#define NAME_BUFS 8
#define NAME_CAP 80

static char *name_buf(void) {  // one of a few static buffers, so a message can hold several names
    static char buf[NAME_BUFS][NAME_CAP];
    static int next;
    return buf[next++ % NAME_BUFS];
}

static const rnl_cell_info *info(rnl_cell cell) {
    const rnl_cell_info *ci = rnl_cell_info_of(cell);
    if (!ci) {
        fprintf(stderr, "grader: cell %d is not in the core's cell table\n", (int)cell);
        exit(3);
    }
    return ci;
}

const char *cell_label(rnl_cell cell) { return info(cell)->label; }

// Kept for the whole run, not rotated: callers hold a function's name across many messages.
const char *cell_function(rnl_cell cell, const char *suffix) {
    static struct {
        rnl_cell cell;
        const char *suffix;
        char name[NAME_CAP];
    } made[16];
    static int n_made;
    for (int i = 0; i < n_made; i++)
        if (made[i].cell == cell && strcmp(made[i].suffix, suffix) == 0) return made[i].name;
    if (n_made == 16) {
        fprintf(stderr, "grader: too many cell function names\n");
        exit(3);
    }
    made[n_made].cell = cell, made[n_made].suffix = suffix;
    snprintf(made[n_made].name, NAME_CAP, "rnl_%s_cell_%s", info(cell)->name, suffix);
    return made[n_made++].name;
}

const char *gate_name(rnl_cell cell, int gate) {
    const rnl_cell_info *ci = info(cell);
    if (ci->gates <= 1 || gate < 0 || gate >= ci->gates) return "h";
    char *s = name_buf();
    snprintf(s, NAME_CAP, "%s (%s)", ci->gate_names[gate], ci->gate_roles[gate]);
    return s;
}

const char *gate_order(rnl_cell cell) {
    const rnl_cell_info *ci = info(cell);
    char *s = name_buf();
    size_t n = 0;
    s[0] = 0;
    for (int g = 0; g < ci->gates && n < NAME_CAP; g++)
        n += (size_t)snprintf(s + n, NAME_CAP - n, "%s%s", g ? ", " : "", ci->gate_names[g]);
    return s;
}

const char *gate_label(rnl_cell cell, int G, int H, size_t k) {
    char *s = name_buf();
    if (G <= 1) snprintf(s, NAME_CAP, "unit %zu", k);
    else snprintf(s, NAME_CAP, "gate %s, unit %zu", gate_name(cell, (int)(k / (size_t)H)), k % (size_t)H);
    return s;
}
