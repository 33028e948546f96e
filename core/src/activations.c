// activations.c: sigmoid and tanh over arrays: the scalar reference (the inline approximations of
// internal.h, which r_sigmoid and r_tanh are in the WASM build; libm's exact functions in the double build)
// and SIMD variants of the very same arithmetic: SSE2 (x86-64 baseline), AVX2+FMA and AVX-512 natively,
// wasm_simd128 in the WASM build. rnl_act_list lists every variant built in, reference first; the tests
// (tests/c/test_activations.c) check each against the reference and against double-precision libm at
// every length 1..past two vector widths, and the benchmarks time each against the reference.
//
// The cells call r_sigmoid/r_tanh per element (cell_math.c); these array variants show what explicit
// SIMD of the same math reaches, and are checked against the reference. The SIMD bodies are written once with the GCC/clang vector extensions, instantiated per
// width; a remainder shorter than a vector goes through a vector on the stack.
#include <string.h>

#include "internal.h"

// --- Scalar reference ---------------------------------------------------------------------------

// Kept scalar (no auto-vectorisation), so that benchmarks compare SIMD against one value at a time.
#if defined(__clang__)
#define NO_VECTORIZE _Pragma("clang loop vectorize(disable) interleave(disable)")
#define NO_VECTORIZE_FN
#elif defined(__GNUC__)
#define NO_VECTORIZE
#define NO_VECTORIZE_FN __attribute__((optimize("no-tree-vectorize")))
#else
#define NO_VECTORIZE
#define NO_VECTORIZE_FN
#endif

// Float: the approximations of internal.h (what r_sigmoid / r_tanh are in the WASM build); double:
// libm's exact functions.
#ifdef RNL_DOUBLE
#define SIGMOID_REF r_sigmoid
#define TANH_REF r_tanh
#else
#define SIGMOID_REF rnl_sigmoidf_approx
#define TANH_REF rnl_tanhf_approx
#endif

NO_VECTORIZE_FN void rnl_sigmoid_scalar(int n, const rnl_real *x, rnl_real *y) {
    NO_VECTORIZE
    for (int i = 0; i < n; i++) y[i] = SIGMOID_REF(x[i]);
}

NO_VECTORIZE_FN void rnl_tanh_scalar(int n, const rnl_real *x, rnl_real *y) {
    NO_VECTORIZE
    for (int i = 0; i < n; i++) y[i] = TANH_REF(x[i]);
}

static int always_available(void) { return 1; }

// --- SIMD: one body, instantiated per vector width ---------------------------------------------------

#if !defined(RNL_DOUBLE) && (defined(__x86_64__) || defined(__wasm_simd128__)) && (defined(__GNUC__) || defined(__clang__))
#define RNL_ACT_SIMD 1

// rnl_expf_approx, rnl_sigmoidf_approx and rnl_tanhf_approx (internal.h) on W lanes, operation for
// operation (no FMA contraction in the reference build, none here), so results equal the reference's.
// sel(m, a, b): a where the lane mask m is set, else b; comparisons give 0 / -1 lanes.
#define RNL_ACT_BODY(isa, W, ATTR)                                                                         \
    typedef float isa##_vf __attribute__((vector_size(4 * (W)), aligned(4)));                              \
    typedef int isa##_vi __attribute__((vector_size(4 * (W)), aligned(4)));                                \
    static inline ATTR isa##_vf isa##_sel(isa##_vi m, isa##_vf a, isa##_vf b) {                            \
        return (isa##_vf)((m & (isa##_vi)a) | (~m & (isa##_vi)b));                                          \
    }                                                                                                      \
    static inline ATTR isa##_vf isa##_splat(float v) {                                                     \
        isa##_vf zero = {0};                                                                               \
        return zero + v; /* a scalar operand is broadcast (v is never -0 here) */                         \
    }                                                                                                      \
    static inline ATTR isa##_vf isa##_pow2(isa##_vf kt) { /* 2^k from the bits of k + 1.5 * 2^23 */      \
        return (isa##_vf)(((isa##_vi)kt - 0x4B400000 + 127) << 23);                                        \
    }                                                                                                      \
    static inline ATTR isa##_vf isa##_exp(isa##_vf x) {                                                    \
        const isa##_vf lo = isa##_splat(-87.0f), hi = isa##_splat(88.0f), magic = isa##_splat(12582912.0f); \
        x = isa##_sel(x < lo, lo, x);                                                                      \
        x = isa##_sel(x > hi, hi, x);                                                                      \
        isa##_vf kt = x * 1.44269504088896341f + magic, kf = kt - magic;                                   \
        isa##_vf r = x - kf * 0.693359375f;                                                                \
        r = r - kf * -2.12194440e-4f;                                                                      \
        isa##_vf p = isa##_splat(1.9875691500e-4f);                                                        \
        p = p * r + 1.3981999507e-3f;                                                                      \
        p = p * r + 8.3334519073e-3f;                                                                      \
        p = p * r + 4.1665795894e-2f;                                                                      \
        p = p * r + 1.6666665459e-1f;                                                                      \
        p = p * r + 5.0000001201e-1f;                                                                      \
        p = p * (r * r) + r + 1.0f;                                                                        \
        return p * isa##_pow2(kt);                                                                         \
    }                                                                                                      \
    static inline ATTR isa##_vf isa##_sigmoid(isa##_vf x) {                                                \
        return 1.0f / (1.0f + isa##_exp(-x));                                                              \
    }                                                                                                      \
    static inline ATTR isa##_vf isa##_tanh(isa##_vf x) {                                                   \
        const isa##_vf lo = isa##_splat(-20.0f), magic = isa##_splat(12582912.0f);                         \
        isa##_vf u = -2.0f * (isa##_vf)((isa##_vi)x & 0x7fffffff);                                         \
        u = isa##_sel(u < lo, lo, u);                                                                      \
        isa##_vf kt = u * 1.44269504088896341f + magic, kf = kt - magic;                                   \
        isa##_vf r = u - kf * 0.693359375f;                                                                \
        r = r - kf * -2.12194440e-4f;                                                                      \
        isa##_vf p = isa##_splat(1.0f / 40320);                                                            \
        p = p * r + 1.0f / 5040;                                                                           \
        p = p * r + 1.0f / 720;                                                                            \
        p = p * r + 1.0f / 120;                                                                            \
        p = p * r + 1.0f / 24;                                                                             \
        p = p * r + 1.0f / 6;                                                                              \
        p = p * r + 0.5f;                                                                                  \
        p = p * (r * r) + r;                                                                               \
        isa##_vf s = isa##_pow2(kt);                                                                       \
        isa##_vf t = s * p + (s - 1.0f);                                                                   \
        isa##_vf y = (0.0f - t) / (t + 2.0f);                                                              \
        return (isa##_vf)((isa##_vi)y | ((isa##_vi)x & (int)0x80000000u));                                 \
    }                                                                                                      \
    static inline ATTR void isa##_apply(int fn, int n, const float *x, float *y) {                         \
        int i = 0;                                                                                         \
        for (; i + (W) <= n; i += (W)) {                                                                   \
            isa##_vf v;                                                                                    \
            memcpy(&v, x + i, sizeof v);                                                                   \
            v = fn ? isa##_tanh(v) : isa##_sigmoid(v);                                                     \
            memcpy(y + i, &v, sizeof v);                                                                   \
        }                                                                                                  \
        if (i < n) {                                                                                       \
            isa##_vf v = isa##_splat(0.0f);                                                                \
            memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));                                            \
            v = fn ? isa##_tanh(v) : isa##_sigmoid(v);                                                     \
            memcpy(y + i, &v, sizeof(float) * (size_t)(n - i));                                            \
        }                                                                                                  \
    }                                                                                                      \
    static ATTR void rnl_sigmoid_##isa(int n, const float *x, float *y) { isa##_apply(0, n, x, y); }       \
    static ATTR void rnl_tanh_##isa(int n, const float *x, float *y) { isa##_apply(1, n, x, y); }

#if defined(__x86_64__)
RNL_ACT_BODY(sse2, 4, )
RNL_ACT_BODY(avx2, 8, __attribute__((target("avx2"))))
RNL_ACT_BODY(avx512, 16, __attribute__((target("avx512f"))))
static int avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
static int avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
#endif
#if defined(__wasm_simd128__)
RNL_ACT_BODY(wasmsimd, 4, )
#endif
#endif

// --- The table ----------------------------------------------------------------------------------

static const rnl_act_set act_sets[] = {
    {.name = "scalar", .sigmoid = rnl_sigmoid_scalar, .tanh = rnl_tanh_scalar, .available = always_available},
#if defined(RNL_ACT_SIMD) && defined(__x86_64__)
    {.name = "sse2", .sigmoid = rnl_sigmoid_sse2, .tanh = rnl_tanh_sse2, .available = always_available},
    {.name = "avx2", .sigmoid = rnl_sigmoid_avx2, .tanh = rnl_tanh_avx2, .available = avx2_available},
    {.name = "avx512", .sigmoid = rnl_sigmoid_avx512, .tanh = rnl_tanh_avx512, .available = avx512_available},
#endif
#if defined(RNL_ACT_SIMD) && defined(__wasm_simd128__)
    {.name = "wasmsimd", .sigmoid = rnl_sigmoid_wasmsimd, .tanh = rnl_tanh_wasmsimd, .available = always_available},
#endif
};

const rnl_act_set *rnl_act_list(int *count) {
    if (count) *count = (int)(sizeof act_sets / sizeof act_sets[0]);
    return act_sets;
}
