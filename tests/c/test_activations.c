// test_activations.c: every variant of rnl_act_list (sigmoid and tanh over arrays) against the scalar
// reference and against double-precision libm.
//
// - Every length 1..2*16+3 (past two AVX-512 vectors: every remainder path) at several offsets into
//   the array, with a guard value after the end that must stay untouched; in place (x == y) too.
// - Accuracy: the reference (rnl_sigmoidf_approx / rnl_tanhf_approx: r_sigmoid / r_tanh of the WASM build) within
//   MAX_ULP ulp of 1/(1+e^-x) and tanh(x) computed in double, over a dense sweep of [-30, 30] and a
//   sweep of tiny and huge magnitudes; SIMD variants equal to the reference within SIMD_ULP ulp (they
//   run the same operations, so in practice they are bit-identical).
// - Special values: +-0 (tanh keeps the sign), +-Inf saturate, NaN propagates.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define MAX_LEN (2 * 16 + 3)
#define MAX_ULP 3.0
#define SIMD_ULP 1.0
#define GUARD ((float)-7777.25)

static double ulp_of(double v) {
    float a = fabsf((float)v);
    if (a < 1.17549435e-38f) return 1.4e-45;  // denormal spacing
    return (double)nextafterf(a, INFINITY) - a;
}

static double ref_sigmoid(double x) { return 1 / (1 + exp(-x)); }

// Error of y in ulp of the exact value e.
static double ulp_err(float y, double e) {
    if (isnan(e)) return isnan(y) ? 0 : INFINITY;
    return fabs((double)y - e) / ulp_of(e);
}

static void test_accuracy(void) {
    const rnl_act_set *sets = rnl_act_list(NULL);
    double worst_s = 0, worst_t = 0, at_s = 0, at_t = 0;
    // Dense sweep of [-30, 30] and a log sweep of magnitudes 1e-30..1e4, both signs.
    enum { N = 600001 };
    float *x = malloc(sizeof(float) * N * 2), *ys = malloc(sizeof(float) * N * 2), *yt = malloc(sizeof(float) * N * 2);
    if (!x || !ys || !yt) {
        CHECK(0, "out of memory");
        return;
    }
    for (int i = 0; i < N; i++) {
        x[i] = (float)(-30.0 + 60.0 * i / (N - 1));
        double mag = pow(10.0, -30.0 + 34.0 * (i / 2) / (double)(N / 2));
        x[N + i] = (float)(i & 1 ? -mag : mag);
    }
    sets[0].sigmoid(2 * N, x, ys);
    sets[0].tanh(2 * N, x, yt);
    for (int i = 0; i < 2 * N; i++) {
        double es = ref_sigmoid(x[i]), et = tanh((double)x[i]);
        // Relative accuracy over the normal range of the result; below it, an absolute bound.
        double e1 = es >= 1.17549435e-38 ? ulp_err(ys[i], es) : (fabs(ys[i] - es) < 1.3e-38 ? 0 : INFINITY);
        double e2 = ulp_err(yt[i], et);
        if (e1 > worst_s) worst_s = e1, at_s = x[i];
        if (e2 > worst_t) worst_t = e2, at_t = x[i];
    }
    printf("reference accuracy: sigmoid %.2f ulp (at %g), tanh %.2f ulp (at %g); bound %.1f\n", worst_s, at_s, worst_t,
           at_t, MAX_ULP);
    CHECK(worst_s <= MAX_ULP, "sigmoid: %.2f ulp from double libm at x = %.9g (bound %.1f)", worst_s, at_s, MAX_ULP);
    CHECK(worst_t <= MAX_ULP, "tanh: %.2f ulp from double libm at x = %.9g (bound %.1f)", worst_t, at_t, MAX_ULP);
    free(x), free(ys), free(yt);
}

static void test_special_values(void) {
    int n;
    const rnl_act_set *sets = rnl_act_list(&n);
    const float in[6] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-30f};
    for (int v = 0; v < n; v++) {
        if (!sets[v].available()) continue;
        float s[6], t[6];
        sets[v].sigmoid(6, in, s);
        sets[v].tanh(6, in, t);
        CHECK(s[0] == 0.5f && s[1] == 0.5f, "%s: sigmoid(+-0) = %g, %g", sets[v].name, s[0], s[1]);
        CHECK(t[0] == 0 && !signbit(t[0]) && t[1] == 0 && signbit(t[1]), "%s: tanh(+-0) = %g, %g (sign kept)",
              sets[v].name, t[0], t[1]);
        CHECK(s[2] == 1 && s[3] >= 0 && s[3] < 1e-37f, "%s: sigmoid(+-inf) = %g, %g", sets[v].name, s[2], s[3]);
        CHECK(t[2] == 1 && t[3] == -1, "%s: tanh(+-inf) = %g, %g", sets[v].name, t[2], t[3]);
        CHECK(isnan(s[4]) && isnan(t[4]), "%s: NaN in, %g and %g out", sets[v].name, s[4], t[4]);
        CHECK(t[5] == 1e-30f, "%s: tanh(1e-30) = %g", sets[v].name, t[5]);
    }
}

// Every variant against the reference at every length and offset; the value after the end untouched.
static void test_lengths(void) {
    int n;
    const rnl_act_set *sets = rnl_act_list(&n);
    float x[MAX_LEN + 8], ref[MAX_LEN + 8], y[MAX_LEN + 9], inplace[MAX_LEN + 8];
    uint32_t seed = 12345;
    for (int i = 0; i < MAX_LEN + 8; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) / 16777216.0 * 24.0 - 12.0);  // both saturating tails and the middle
    }
    int tested = 0;
    for (int v = 1; v < n; v++) {
        if (!sets[v].available()) {
            printf("variant %s: not available on this CPU, skipped\n", sets[v].name);
            continue;
        }
        for (int fn = 0; fn < 2; fn++) {
            rnl_act_fn f = fn ? sets[v].tanh : sets[v].sigmoid, r = fn ? sets[0].tanh : sets[0].sigmoid;
            const char *fname = fn ? "tanh" : "sigmoid";
            for (int len = 1; len <= MAX_LEN; len++)
                for (int off = 0; off < 4; off++) {
                    r(len, x + off, ref);
                    for (int i = 0; i <= len; i++) y[i] = GUARD;
                    f(len, x + off, y);
                    memcpy(inplace, x + off, sizeof(float) * len);
                    f(len, inplace, inplace);
                    for (int i = 0; i < len; i++) {
                        double e = fabs((double)y[i] - ref[i]) / ulp_of(ref[i]);
                        int ok = e <= SIMD_ULP && y[i] == inplace[i];
                        CHECK(ok, "%s %s: length %d offset %d: [%d] = %.9g (in place %.9g), reference %.9g (%.1f ulp)",
                              sets[v].name, fname, len, off, i, y[i], inplace[i], ref[i], e);
                        if (!ok) return;
                    }
                    CHECK(y[len] == GUARD, "%s %s: length %d wrote past the end", sets[v].name, fname, len);
                    if (y[len] != GUARD) return;
                }
        }
        tested++;
    }
    printf("%d SIMD variant(s) checked at lengths 1..%d\n", tested, MAX_LEN);
}

int main(void) {
    int n;
    const rnl_act_set *sets = rnl_act_list(&n);
    CHECK(n >= 1 && strcmp(sets[0].name, "scalar") == 0, "the reference comes first");
    test_accuracy();
    test_special_values();
    test_lengths();
    return tu_summary("test_activations");
}
