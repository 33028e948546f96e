// kernels_wasm.c: the "wasmsimd" gemms (128-bit WebAssembly SIMD), float only, and through
// kernels_wasm_relaxed.c the same tiles as "wasmrelaxed", with the fused multiply-add of relaxed SIMD.
//
// Compiled to code only with -msimd128 (__wasm_simd128__), which the WASM build sets; kernels.c then
// lists this variant, always available (a runtime without SIMD would refuse the whole module).
// "wasmsimd" uses mul + add, rounded twice on every engine: the module the byte comparisons with the
// native build use, and every engine runs it.
// "wasmrelaxed" (RNL_WASM_RELAXED, set by kernels_wasm_relaxed.c) uses f32x4.relaxed_madd, which an
// engine may run fused (one rounding: results differ from wasmsimd's in the last bits) or as mul + add.
// It lives in a second module, web/rnnlab-relaxed.wasm, that the loader takes only where
// WebAssembly.validate accepts the instruction; it needs clang >= 16 (web/wasm.cmake says why).
//
// Same design as kernels_x86.c, at a smaller scale: register tiles of MR rows x 8 columns. V8 maps v128 to
// the 16 xmm registers on x86-64: with mul + add, 4x8 (8 accumulators, 2 panel vectors, a broadcast and
// the product) is the largest that does not spill; the fused relaxed_madd needs no product register, so
// "wasmrelaxed" takes 6x8 (12 + 2 + 1 = 15 registers; MR 6, set by kernels_wasm_relaxed.c). For each
// block of KC steps of K and MC rows of C, a panel of op(B) (KC, 8) is packed into a stack buffer (8 KB)
// and swept by every row tile: for nn and tn the first tile copies it as it reads it,
// for nt a pass of 4x4 transposes packs it. A is read in place. Leftover columns go through a small tile
// on the stack (WASM SIMD has no masked stores), leftover rows through a smaller tile.
#if defined(__wasm_simd128__) && !defined(RNL_DOUBLE)

#include "kernels.h"

#include <string.h>
#include <wasm_simd128.h>

#ifdef RNL_WASM_RELAXED
#ifndef __wasm_relaxed_simd__
#error "kernels_wasm_relaxed.c needs -mrelaxed-simd (clang >= 16, which writes the standard opcodes)"
#endif
typedef float rnl_f32x4 __attribute__((vector_size(16)));
// acc + a * b, f32x4.relaxed_madd (0xfd 0x85 0x02). clang 16 has the builtin but not yet the
// wasm_f32x4_relaxed_madd of wasm_simd128.h.
#define MADD(acc, a, b) \
    ((v128_t)__builtin_wasm_relaxed_madd_f32x4((rnl_f32x4)(a), (rnl_f32x4)(b), (rnl_f32x4)(acc)))
#define ISA wasmrelaxed
#else
#define MADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))  // acc + a * b, rounded twice
#define ISA wasmsimd
#endif
// rnl_gemm_nn_wasmsimd or rnl_gemm_nn_wasmrelaxed ...
#define RNL_NAME2(prefix, isa) prefix##isa
#define RNL_NAME(prefix, isa) RNL_NAME2(prefix, isa)

#define KC 256
#define MC_ROWS 128
#define NR 8
#ifndef MR
#define MR 4
#endif

static inline int imin(int a, int b) { return a < b ? a : b; }

// Emscripten is clang: full unrolling keeps a tile's accumulators in registers.
#define UNROLL_FULL _Pragma("clang loop unroll(full)")

// --- Packing ------------------------------------------------------------------------------------

// buf (kc, nrp) = B[k][0..nr) (B (K, N)), zero-padded: for the last, narrower panel only.
static void pack_n_tail(int kc, int nr, int nrp, const float *B, int ldb, float *buf) {
    for (int k = 0; k < kc; k++) {
        memcpy(buf + (size_t)k * nrp, B + (size_t)k * ldb, sizeof(float) * (size_t)nr);
        for (int j = nr; j < nrp; j++) buf[(size_t)k * nrp + j] = 0;
    }
}

// buf (kc, nrp) = B[0..nr)[k] transposed (B (N, K)), zero-padded: 4x4 transposes, scalar leftovers.
static void pack_t(int kc, int nr, int nrp, const float *B, int ldb, float *buf) {
    int nr4 = nr & ~3, kc4 = kc & ~3;
    for (int j = 0; j < nr4; j += 4) {
        const float *b = B + (size_t)j * ldb;
        for (int k = 0; k < kc4; k += 4) {
            v128_t r0 = wasm_v128_load(b + k), r1 = wasm_v128_load(b + (size_t)ldb + k);
            v128_t r2 = wasm_v128_load(b + 2 * (size_t)ldb + k), r3 = wasm_v128_load(b + 3 * (size_t)ldb + k);
            v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            float *d = buf + (size_t)k * nrp + j;
            wasm_v128_store(d, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
            wasm_v128_store(d + nrp, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
            wasm_v128_store(d + 2 * nrp, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
            wasm_v128_store(d + 3 * nrp, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
    }
    for (int k = 0; k < kc; k++) {
        for (int j = 0; j < nr; j++)
            if (j >= nr4 || k >= kc4) buf[(size_t)k * nrp + j] = B[(size_t)j * ldb + k];
        for (int j = nr; j < nrp; j++) buf[(size_t)k * nrp + j] = 0;
    }
}

// --- Register tile: 4 x 8 -----------------------------------------------------------------------

// C (mr, nv*4) += A (mr, kc) . Bp (kc, nv*4); A(r, k) at A[r*lda + k], or A[k*lda + r] if ta.
// masked: only the first ncols columns of C are updated. copy: if set, the panel is also stored there.
static inline __attribute__((always_inline)) void ukr(const int mr, const int nv, const int masked, const int ta,
                                                      int kc, const float *A, int lda, const float *Bp, int bs,
                                                      float *C, int ldc, int ncols, float *copy) {
    v128_t acc[MR][2];
    UNROLL_FULL
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
    for (int k = 0; k < kc; k++) {
        const float *b = Bp + (size_t)k * bs;
        v128_t b0 = wasm_v128_load(b), b1 = nv > 1 ? wasm_v128_load(b + 4) : b0;
        if (copy) wasm_v128_store(copy + NR * k, b0), wasm_v128_store(copy + NR * k + 4, b1);
        UNROLL_FULL
        for (int r = 0; r < mr; r++) {
            v128_t a = wasm_f32x4_splat(ta ? A[(size_t)k * lda + r] : A[(size_t)r * lda + k]);
            acc[r][0] = MADD(acc[r][0], a, b0);
            if (nv > 1) acc[r][1] = MADD(acc[r][1], a, b1);
        }
    }
    UNROLL_FULL
    for (int r = 0; r < mr; r++) {
        float *c = C + (size_t)r * ldc;
        if (masked) {
            float t[NR];
            wasm_v128_store(t, acc[r][0]);
            if (nv > 1) wasm_v128_store(t + 4, acc[r][1]);
            for (int j = 0; j < ncols; j++) c[j] += t[j];
        } else {
            wasm_v128_store(c, wasm_f32x4_add(wasm_v128_load(c), acc[r][0]));
            if (nv > 1) wasm_v128_store(c + 4, wasm_f32x4_add(wasm_v128_load(c + 4), acc[r][1]));
        }
    }
}

#define ROW_CASE(r, NV, MASKED, TA) \
    case r: ukr(r, NV, MASKED, TA, kc, A, lda, Bp, bs, C, ldc, nr, NULL); break;
#if MR == 6
#define ROW_CASES_OVER_4(NV, MASKED, TA) ROW_CASE(6, NV, MASKED, TA) ROW_CASE(5, NV, MASKED, TA)
#else
#define ROW_CASES_OVER_4(NV, MASKED, TA)
#endif
#define ROWS(NV, MASKED, TA)                                                                  \
    switch (mr) {                                                                             \
        ROW_CASES_OVER_4(NV, MASKED, TA)                                                      \
        ROW_CASE(4, NV, MASKED, TA) ROW_CASE(3, NV, MASKED, TA) ROW_CASE(2, NV, MASKED, TA)   \
        ROW_CASE(1, NV, MASKED, TA)                                                           \
    }
// One tile of mr <= MR rows and nr <= 8 columns, dispatched to compile-time sizes.
#define TILE(name, TA)                                                                                  \
    static void name(int mr, int nr, int kc, const float *A, int lda, const float *Bp, int bs, float *C, \
                     int ldc) {                                                                         \
        if (nr == 8) ROWS(2, 0, TA)                                                                     \
        else if (nr > 4) ROWS(2, 1, TA)                                                                 \
        else if (nr == 4) ROWS(1, 0, TA)                                                                \
        else ROWS(1, 1, TA)                                                                             \
    }
TILE(tile_n, 0)
TILE(tile_t, 1)

// --- Driver -------------------------------------------------------------------------------------

// C (M, N) += op(A) . op(B). ta: A is (K, M); tb: B is (N, K).
static void gemm_blocked(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                         float *C, int ldc) {
    if (M <= 0 || N <= 0 || K <= 0) return;
    _Alignas(16) float buf[KC * NR];  // (kc, nrp) packed panel of op(B)
    int mc_max = MC_ROWS / MR * MR;
    int nk = (K + KC - 1) / KC, kc_even = (K + nk - 1) / nk;  // equal K blocks
    for (int k0 = 0; k0 < K; k0 += kc_even) {
        int kc = imin(kc_even, K - k0);
        for (int i0 = 0; i0 < M; i0 += mc_max) {
            int mc = imin(mc_max, M - i0);
            for (int j0 = 0; j0 < N; j0 += NR) {
                int nr = imin(NR, N - j0), nrp = (nr + 3) / 4 * 4;
                const float *Bp = buf;
                int bs = nrp, i = i0;
                if (tb) {
                    pack_t(kc, nr, nrp, B + (size_t)j0 * ldb + k0, ldb, buf);
                } else if (nr < NR) {
                    pack_n_tail(kc, nr, nrp, B + (size_t)k0 * ldb + j0, ldb, buf);
                } else if (mc <= MR) {
                    Bp = B + (size_t)k0 * ldb + j0;  // one row tile reads the panel once: no copy
                    bs = ldb;
                } else {
                    // The first row tile reads B in place and leaves the panel packed for the others.
                    float *c = C + (size_t)i0 * ldc + j0;
                    const float *b = B + (size_t)k0 * ldb + j0;
                    if (ta)
                        ukr(MR, 2, 0, 1, kc, A + (size_t)k0 * lda + i0, lda, b, ldb, c, ldc, NR, buf);
                    else
                        ukr(MR, 2, 0, 0, kc, A + (size_t)i0 * lda + k0, lda, b, ldb, c, ldc, NR, buf);
                    i += MR;
                }
                for (; i < i0 + mc; i += MR) {
                    int mr = imin(MR, i0 + mc - i);
                    float *c = C + (size_t)i * ldc + j0;
                    if (ta)
                        tile_t(mr, nr, kc, A + (size_t)k0 * lda + i, lda, Bp, bs, c, ldc);
                    else
                        tile_n(mr, nr, kc, A + (size_t)i * lda + k0, lda, Bp, bs, c, ldc);
                }
            }
        }
    }
}

// --- Exported entry points (declared in kernels.c) ---------------------------------------------------

#define GEMM_NN RNL_NAME(rnl_gemm_nn_, ISA)
#define GEMM_NT RNL_NAME(rnl_gemm_nt_, ISA)
#define GEMM_TN RNL_NAME(rnl_gemm_tn_, ISA)
#define AVAILABLE RNL_NAME(RNL_NAME(rnl_kernels_, ISA), _available)
void GEMM_NN(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc);
void GEMM_NT(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc);
void GEMM_TN(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc);
int AVAILABLE(void);

void GEMM_NN(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    gemm_blocked(0, 0, M, N, K, A, lda, B, ldb, C, ldc);
}
void GEMM_NT(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    gemm_blocked(0, 1, M, N, K, A, lda, B, ldb, C, ldc);
}
void GEMM_TN(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    gemm_blocked(1, 0, M, N, K, A, lda, B, ldb, C, ldc);
}
// A module built with SIMD (or relaxed SIMD) only loads where it runs: always available once loaded.
int AVAILABLE(void) { return 1; }

#else
typedef int rnl_kernels_wasm_unused;  // ISO C wants at least one declaration per file
#endif
