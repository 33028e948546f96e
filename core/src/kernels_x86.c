// kernels_x86.c: SSE, AVX2+FMA and AVX-512F variants of the gemms in kernels.h, float only.
//
// The file builds with default flags: every SIMD function carries a target attribute, and kernels.c
// lists a variant only if __builtin_cpu_supports says this CPU (and OS) runs it. Names say what and how:
// ukr_avx512 is the register tile, tile_avx512_n/t dispatch its sizes, gemm_blocked drives them all.
//
// Design (after GotoBLAS / BLIS, minus the A packing): C is cut into register tiles of MR rows x NR
// columns (avx512 8x32, avx2 6x16, sse 4x8). For each block of KC steps of K and MC rows of C, a panel
// of op(B) (KC, NR) is packed contiguously into a stack buffer (32 KB) and swept by every row tile of the
// block: for nn and tn the first row tile copies the panel as it reads it; for nt a pass of 8x8 (4x4)
// transposes packs it first. A is read in place through strides, so tn costs the same as nn.
// Leftovers: the last panel is zero-padded to whole vectors and stored to C through masks (avx2/avx512)
// or a small tile on the stack (sse); the last row tile uses a smaller MR. No heap allocation.
// On a Zen 5 core avx512 reaches 75-90% of the FMA peak at the LSTM's shapes (tests/bench/bench_kernels).
#if defined(__x86_64__) && !defined(RNL_DOUBLE)

#include "kernels.h"

#include <immintrin.h>
#include <string.h>

#define KC 256       // steps of K per panel: avx512's (KC, 32) panel is 32 KB, to stay in L1D
#define MC_ROWS 192  // rows of C per block (rounded to MR): their A rows (MC, KC), 192 KB, stay in L2
#define NR_MAX 32

static inline int imin(int a, int b) { return a < b ? a : b; }

// The loops over a tile's rows and vectors must be unrolled completely, or its accumulators stay in
// memory. Their trip counts are constants once the microkernel is inlined; clang reads "GCC unroll N"
// as "by N", which it skips when N does not divide the count, so it gets its own spelling.
#if defined(__clang__)
#define UNROLL_FULL _Pragma("clang loop unroll(full)")
#else
#define UNROLL_FULL _Pragma("GCC unroll 16")
#endif

// A variant, as the driver sees it. tile_n reads A (M, K) row-major (nn, nt); tile_t reads A (K, M) (tn).
typedef void (*tile_fn)(int mr, int nr, int kc, const float *A, int lda, const float *Bp, int bs, float *C, int ldc);
// A full (MR, NR) tile that reads B (K, N) in place and leaves a packed copy of its panel in buf (kc, NR).
typedef void (*tile_copy_fn)(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc, float *buf);
typedef void (*pack_fn)(int kc, int nr, int nrp, const float *B, int ldb, float *buf);
typedef struct {
    int mr, nr, vw;    // register tile rows, columns; floats per vector
    tile_fn tile_n, tile_t;
    tile_copy_fn tile_copy_n, tile_copy_t;
    pack_fn pack_t;    // packs a panel of B (N, K) transposed, for nt
} isa_desc;

// --- Packing ------------------------------------------------------------------------------------

// buf (kc, nrp) = B[k][0..nr) (row-major B (K, N), rows ldb apart), zero-padded to nrp columns.
// Only for the last, narrower panel: full panels are copied by their first row tile, as it reads them.
static void pack_n_tail(int kc, int nr, int nrp, const float *B, int ldb, float *buf) {
    for (int k = 0; k < kc; k++) {
        memcpy(buf + (size_t)k * nrp, B + (size_t)k * ldb, sizeof(float) * (size_t)nr);
        for (int j = nr; j < nrp; j++) buf[(size_t)k * nrp + j] = 0;
    }
}

// buf (kc, nrp) = B[0..nr)[k] transposed (B (N, K)): scalar, for the leftovers of the SIMD transposes.
static void pack_t_scalar(int kc, int j0, int nr, int nrp, int k0, const float *B, int ldb, float *buf) {
    for (int k = k0; k < kc; k++)
        for (int j = j0; j < nr; j++) buf[(size_t)k * nrp + j] = B[(size_t)j * ldb + k];
}

static void pack_t_pad(int kc, int nr, int nrp, float *buf) {
    for (int k = 0; k < kc; k++)
        for (int j = nr; j < nrp; j++) buf[(size_t)k * nrp + j] = 0;
}

// 4x4 transposes (SSE): 4 rows of B, 4 steps of K at a time.
static void pack_t_sse(int kc, int nr, int nrp, const float *B, int ldb, float *buf) {
    int nr4 = nr & ~3, kc4 = kc & ~3;
    for (int j = 0; j < nr4; j += 4) {
        const float *b = B + (size_t)j * ldb;
        for (int k = 0; k < kc4; k += 4) {
            __m128 r0 = _mm_loadu_ps(b + k), r1 = _mm_loadu_ps(b + ldb + k);
            __m128 r2 = _mm_loadu_ps(b + 2 * (size_t)ldb + k), r3 = _mm_loadu_ps(b + 3 * (size_t)ldb + k);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float *d = buf + (size_t)k * nrp + j;
            _mm_storeu_ps(d, r0);
            _mm_storeu_ps(d + nrp, r1);
            _mm_storeu_ps(d + 2 * nrp, r2);
            _mm_storeu_ps(d + 3 * nrp, r3);
        }
    }
    pack_t_scalar(kc, 0, nr4, nrp, kc4, B, ldb, buf);  // last kc % 4 steps of the full row groups
    pack_t_scalar(kc, nr4, nr, nrp, 0, B, ldb, buf);   // last nr % 4 rows
    pack_t_pad(kc, nr, nrp, buf);
}

// 8x8 transposes (AVX): 8 rows of B, 8 steps of K at a time; shared by avx2 and avx512. The loads put
// rows j and j+4 in the two 128-bit halves, so two in-lane stages finish the transpose: 16 shuffles per
// block instead of 24, and shuffles are what bounds this loop (measured: 20% faster than the 3-stage one).
__attribute__((target("avx"))) static void pack_t_avx(int kc, int nr, int nrp, const float *B, int ldb, float *buf) {
    int nr8 = nr & ~7, kc8 = kc & ~7;
    for (int j = 0; j < nr8; j += 8) {
        const float *b = B + (size_t)j * ldb;
        for (int k = 0; k < kc8; k += 8) {
// rows (jj, jj + 4) of the block, 4 steps from k + kk
#define LOAD_PAIR(jj, kk)                                                                   \
    _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(b + (size_t)(jj)*ldb + k + (kk))), \
                         _mm_loadu_ps(b + (size_t)((jj) + 4) * ldb + k + (kk)), 1)
            __m256 r0 = LOAD_PAIR(0, 0), r1 = LOAD_PAIR(1, 0), r2 = LOAD_PAIR(2, 0), r3 = LOAD_PAIR(3, 0);
            __m256 r4 = LOAD_PAIR(0, 4), r5 = LOAD_PAIR(1, 4), r6 = LOAD_PAIR(2, 4), r7 = LOAD_PAIR(3, 4);
#undef LOAD_PAIR
            // 4x4 transposes in each half: steps k..k+3 from r0..r3, k+4..k+7 from r4..r7
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            float *d = buf + (size_t)k * nrp + j;
            _mm256_storeu_ps(d + 0 * nrp, _mm256_shuffle_ps(t0, t2, 0x44));
            _mm256_storeu_ps(d + 1 * nrp, _mm256_shuffle_ps(t0, t2, 0xEE));
            _mm256_storeu_ps(d + 2 * nrp, _mm256_shuffle_ps(t1, t3, 0x44));
            _mm256_storeu_ps(d + 3 * nrp, _mm256_shuffle_ps(t1, t3, 0xEE));
            _mm256_storeu_ps(d + 4 * nrp, _mm256_shuffle_ps(t4, t6, 0x44));
            _mm256_storeu_ps(d + 5 * nrp, _mm256_shuffle_ps(t4, t6, 0xEE));
            _mm256_storeu_ps(d + 6 * nrp, _mm256_shuffle_ps(t5, t7, 0x44));
            _mm256_storeu_ps(d + 7 * nrp, _mm256_shuffle_ps(t5, t7, 0xEE));
        }
    }
    pack_t_scalar(kc, 0, nr8, nrp, kc8, B, ldb, buf);
    pack_t_scalar(kc, nr8, nr, nrp, 0, B, ldb, buf);
    pack_t_pad(kc, nr, nrp, buf);
}

// --- Driver -------------------------------------------------------------------------------------

// C (M, N) += op(A) . op(B). ta: A is (K, M); tb: B is (N, K).
static void gemm_blocked(const isa_desc *s, int ta, int tb, int M, int N, int K, const float *A, int lda,
                         const float *B, int ldb, float *C, int ldc) {
    if (M <= 0 || N <= 0 || K <= 0) return;
    _Alignas(64) float buf[KC * NR_MAX];  // (kc, nrp) packed panel of op(B)
    int mc_max = MC_ROWS / s->mr * s->mr;
    int nk = (K + KC - 1) / KC, kc_even = (K + nk - 1) / nk;  // equal K blocks: no 3-step straggler
    for (int k0 = 0; k0 < K; k0 += kc_even) {
        int kc = imin(kc_even, K - k0);
        for (int i0 = 0; i0 < M; i0 += mc_max) {
            int mc = imin(mc_max, M - i0);
            for (int j0 = 0; j0 < N; j0 += s->nr) {
                int nr = imin(s->nr, N - j0), nrp = (nr + s->vw - 1) / s->vw * s->vw;
                const float *Bp = buf;
                int bs = nrp, i = i0;
                if (tb) {
                    s->pack_t(kc, nr, nrp, B + (size_t)j0 * ldb + k0, ldb, buf);
                } else if (nr < s->nr) {
                    pack_n_tail(kc, nr, nrp, B + (size_t)k0 * ldb + j0, ldb, buf);
                } else if (mc <= s->mr) {
                    Bp = B + (size_t)k0 * ldb + j0;  // one row tile reads the panel once: a copy would not pay
                    bs = ldb;
                } else {
                    // The first row tile reads B in place, its loads hidden under its FMAs, and leaves the
                    // panel packed for the others: a separate packing pass would stall on L2 (measured: the
                    // (32, 512, 128) nn lost 20% to it); reading B in place throughout would thrash L1
                    // sets when ldb is a large power of two.
                    float *c = C + (size_t)i0 * ldc + j0;
                    const float *b = B + (size_t)k0 * ldb + j0;
                    if (ta)
                        s->tile_copy_t(kc, A + (size_t)k0 * lda + i0, lda, b, ldb, c, ldc, buf);
                    else
                        s->tile_copy_n(kc, A + (size_t)i0 * lda + k0, lda, b, ldb, c, ldc, buf);
                    i += s->mr;
                }
                for (; i < i0 + mc; i += s->mr) {
                    int mr = imin(s->mr, i0 + mc - i);
                    float *c = C + (size_t)i * ldc + j0;
                    if (ta)
                        s->tile_t(mr, nr, kc, A + (size_t)k0 * lda + i, lda, Bp, bs, c, ldc);
                    else
                        s->tile_n(mr, nr, kc, A + (size_t)i * lda + k0, lda, Bp, bs, c, ldc);
                }
            }
        }
    }
}

// A tile's rows dispatched to compile-time sizes, so the accumulators of each size live in registers.
#define ROW_CASE(r, UKR, NV, MASKED, TA) \
    case r: UKR(r, NV, MASKED, TA, kc, A, lda, Bp, bs, C, ldc, m, NULL); break;

// --- AVX-512F: 8 x 32 ----------------------------------------------------------------------------

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

// C (mr, nv*16) += A (mr, kc) . Bp (kc, nv*16); A(r, k) at A[r*lda + k], or A[k*lda + r] if ta.
// masked: the last vector of each row of C is stored through m.
static inline AVX512 __attribute__((always_inline)) void ukr_avx512(const int mr, const int nv, const int masked,
                                                                     const int ta, int kc, const float *A, int lda,
                                                                     const float *Bp, int bs, float *C, int ldc,
                                                                     __mmask16 m, float *copy) {
    __m512 acc[8][2];
    UNROLL_FULL
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++) {
        const float *b = Bp + (size_t)k * bs;
        __m512 b0 = _mm512_loadu_ps(b), b1 = nv > 1 ? _mm512_loadu_ps(b + 16) : b0;
        if (copy) _mm512_store_ps(copy + 32 * k, b0), _mm512_store_ps(copy + 32 * k + 16, b1);
        UNROLL_FULL
        for (int r = 0; r < mr; r++) {
            __m512 a = _mm512_set1_ps(ta ? A[(size_t)k * lda + r] : A[(size_t)r * lda + k]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    UNROLL_FULL
    for (int r = 0; r < mr; r++) {
        float *c = C + (size_t)r * ldc, *last = c;
        __m512 tail = acc[r][0];
        if (nv > 1) {
            _mm512_storeu_ps(c, _mm512_add_ps(_mm512_loadu_ps(c), acc[r][0]));
            last = c + 16;
            tail = acc[r][1];
        }
        if (masked)
            _mm512_mask_storeu_ps(last, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, last), tail));
        else
            _mm512_storeu_ps(last, _mm512_add_ps(_mm512_loadu_ps(last), tail));
    }
}

#define AVX512_ROWS(NV, MASKED, TA)                                                                     \
    switch (mr) {                                                                                        \
        ROW_CASE(8, ukr_avx512, NV, MASKED, TA) ROW_CASE(7, ukr_avx512, NV, MASKED, TA)                  \
        ROW_CASE(6, ukr_avx512, NV, MASKED, TA) ROW_CASE(5, ukr_avx512, NV, MASKED, TA)                  \
        ROW_CASE(4, ukr_avx512, NV, MASKED, TA) ROW_CASE(3, ukr_avx512, NV, MASKED, TA)                  \
        ROW_CASE(2, ukr_avx512, NV, MASKED, TA) ROW_CASE(1, ukr_avx512, NV, MASKED, TA)                  \
    }
#define AVX512_TILE(name, TA)                                                                                \
    static AVX512 void name(int mr, int nr, int kc, const float *A, int lda, const float *Bp, int bs, float *C, \
                            int ldc) {                                                                       \
        __mmask16 m = (__mmask16)((1u << (nr > 16 ? nr - 16 : nr)) - 1);                                     \
        if (nr == 32) AVX512_ROWS(2, 0, TA)                                                                  \
        else if (nr > 16) AVX512_ROWS(2, 1, TA)                                                              \
        else AVX512_ROWS(1, 1, TA)                                                                           \
    }
AVX512_TILE(tile_avx512_n, 0)
AVX512_TILE(tile_avx512_t, 1)
static AVX512 void tile_copy_avx512_n(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                                      float *buf) {
    ukr_avx512(8, 2, 0, 0, kc, A, lda, B, ldb, C, ldc, 0, buf);
}
static AVX512 void tile_copy_avx512_t(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                                      float *buf) {
    ukr_avx512(8, 2, 0, 1, kc, A, lda, B, ldb, C, ldc, 0, buf);
}

static const isa_desc isa_avx512 = {8, 32, 16, tile_avx512_n, tile_avx512_t, tile_copy_avx512_n, tile_copy_avx512_t,
                                    pack_t_avx};

// --- AVX2 + FMA: 6 x 16 (12 accumulators, 2 B vectors, 1 broadcast: 15 of the 16 ymm registers) -------

#define AVX2 __attribute__((target("avx2,fma")))

static inline AVX2 __attribute__((always_inline)) void ukr_avx2(const int mr, const int nv, const int masked,
                                                                 const int ta, int kc, const float *A, int lda,
                                                                 const float *Bp, int bs, float *C, int ldc,
                                                                 __m256i m, float *copy) {
    __m256 acc[6][2];
    UNROLL_FULL
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++) {
        const float *b = Bp + (size_t)k * bs;
        __m256 b0 = _mm256_loadu_ps(b), b1 = nv > 1 ? _mm256_loadu_ps(b + 8) : b0;
        if (copy) _mm256_store_ps(copy + 16 * k, b0), _mm256_store_ps(copy + 16 * k + 8, b1);
        UNROLL_FULL
        for (int r = 0; r < mr; r++) {
            __m256 a = _mm256_broadcast_ss(ta ? &A[(size_t)k * lda + r] : &A[(size_t)r * lda + k]);
            acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    UNROLL_FULL
    for (int r = 0; r < mr; r++) {
        float *c = C + (size_t)r * ldc, *last = c;
        __m256 tail = acc[r][0];
        if (nv > 1) {
            _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), acc[r][0]));
            last = c + 8;
            tail = acc[r][1];
        }
        if (masked)
            _mm256_maskstore_ps(last, m, _mm256_add_ps(_mm256_maskload_ps(last, m), tail));
        else
            _mm256_storeu_ps(last, _mm256_add_ps(_mm256_loadu_ps(last), tail));
    }
}

#define AVX2_ROWS(NV, MASKED, TA)                                                                     \
    switch (mr) {                                                                                      \
        ROW_CASE(6, ukr_avx2, NV, MASKED, TA) ROW_CASE(5, ukr_avx2, NV, MASKED, TA)                    \
        ROW_CASE(4, ukr_avx2, NV, MASKED, TA) ROW_CASE(3, ukr_avx2, NV, MASKED, TA)                    \
        ROW_CASE(2, ukr_avx2, NV, MASKED, TA) ROW_CASE(1, ukr_avx2, NV, MASKED, TA)                    \
    }
#define AVX2_TILE(name, TA)                                                                                   \
    static AVX2 void name(int mr, int nr, int kc, const float *A, int lda, const float *Bp, int bs, float *C,    \
                          int ldc) {                                                                          \
        int rem = nr > 8 ? nr - 8 : nr;                                                                       \
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));    \
        if (nr == 16) AVX2_ROWS(2, 0, TA)                                                                     \
        else if (nr > 8) AVX2_ROWS(2, 1, TA)                                                                  \
        else if (nr == 8) AVX2_ROWS(1, 0, TA)                                                                 \
        else AVX2_ROWS(1, 1, TA)                                                                              \
    }
AVX2_TILE(tile_avx2_n, 0)
AVX2_TILE(tile_avx2_t, 1)
static AVX2 void tile_copy_avx2_n(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                                  float *buf) {
    ukr_avx2(6, 2, 0, 0, kc, A, lda, B, ldb, C, ldc, _mm256_setzero_si256(), buf);
}
static AVX2 void tile_copy_avx2_t(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                                  float *buf) {
    ukr_avx2(6, 2, 0, 1, kc, A, lda, B, ldb, C, ldc, _mm256_setzero_si256(), buf);
}

static const isa_desc isa_avx2 = {6, 16, 8, tile_avx2_n, tile_avx2_t, tile_copy_avx2_n, tile_copy_avx2_t, pack_t_avx};

// --- SSE (x86-64 baseline, no FMA): 4 x 8 ---------------------------------------------------------

// No masked stores in SSE: a partial tile goes through a (4, 8) tile on the stack.
static inline __attribute__((always_inline)) void ukr_sse(const int mr, const int nv, const int masked, const int ta,
                                                          int kc, const float *A, int lda, const float *Bp, int bs,
                                                          float *C, int ldc, int ncols, float *copy) {
    __m128 acc[4][2];
    UNROLL_FULL
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm_setzero_ps();
    for (int k = 0; k < kc; k++) {
        const float *b = Bp + (size_t)k * bs;
        __m128 b0 = _mm_loadu_ps(b), b1 = nv > 1 ? _mm_loadu_ps(b + 4) : b0;
        if (copy) _mm_store_ps(copy + 8 * k, b0), _mm_store_ps(copy + 8 * k + 4, b1);
        UNROLL_FULL
        for (int r = 0; r < mr; r++) {
            __m128 a = _mm_set1_ps(ta ? A[(size_t)k * lda + r] : A[(size_t)r * lda + k]);
            acc[r][0] = _mm_add_ps(acc[r][0], _mm_mul_ps(a, b0));
            if (nv > 1) acc[r][1] = _mm_add_ps(acc[r][1], _mm_mul_ps(a, b1));
        }
    }
    UNROLL_FULL
    for (int r = 0; r < mr; r++) {
        float *c = C + (size_t)r * ldc;
        if (masked) {
            float t[8];
            _mm_storeu_ps(t, acc[r][0]);
            if (nv > 1) _mm_storeu_ps(t + 4, acc[r][1]);
            for (int j = 0; j < ncols; j++) c[j] += t[j];
        } else {
            _mm_storeu_ps(c, _mm_add_ps(_mm_loadu_ps(c), acc[r][0]));
            if (nv > 1) _mm_storeu_ps(c + 4, _mm_add_ps(_mm_loadu_ps(c + 4), acc[r][1]));
        }
    }
}

#define SSE_ROWS(NV, MASKED, TA)                                                                    \
    switch (mr) {                                                                                    \
        ROW_CASE(4, ukr_sse, NV, MASKED, TA) ROW_CASE(3, ukr_sse, NV, MASKED, TA)                    \
        ROW_CASE(2, ukr_sse, NV, MASKED, TA) ROW_CASE(1, ukr_sse, NV, MASKED, TA)                    \
    }
#define SSE_TILE(name, TA)                                                                                 \
    static void name(int mr, int nr, int kc, const float *A, int lda, const float *Bp, int bs, float *C,      \
                     int ldc) {                                                                            \
        int m = nr;                                                                                        \
        if (nr == 8) SSE_ROWS(2, 0, TA)                                                                    \
        else if (nr > 4) SSE_ROWS(2, 1, TA)                                                                \
        else if (nr == 4) SSE_ROWS(1, 0, TA)                                                               \
        else SSE_ROWS(1, 1, TA)                                                                            \
    }
SSE_TILE(tile_sse_n, 0)
SSE_TILE(tile_sse_t, 1)
static void tile_copy_sse_n(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc, float *buf) {
    ukr_sse(4, 2, 0, 0, kc, A, lda, B, ldb, C, ldc, 8, buf);
}
static void tile_copy_sse_t(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc, float *buf) {
    ukr_sse(4, 2, 0, 1, kc, A, lda, B, ldb, C, ldc, 8, buf);
}

static const isa_desc isa_sse = {4, 8, 4, tile_sse_n, tile_sse_t, tile_copy_sse_n, tile_copy_sse_t, pack_t_sse};

// --- Exported entry points (declared in kernels.c) ---------------------------------------------------

#define GEMM_ENTRIES(name, desc)                                                                              \
    void rnl_gemm_nn_##name(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,    \
                            int ldc) {                                                                        \
        gemm_blocked(&desc, 0, 0, M, N, K, A, lda, B, ldb, C, ldc);                                           \
    }                                                                                                         \
    void rnl_gemm_nt_##name(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,    \
                            int ldc) {                                                                        \
        gemm_blocked(&desc, 0, 1, M, N, K, A, lda, B, ldb, C, ldc);                                           \
    }                                                                                                         \
    void rnl_gemm_tn_##name(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,    \
                            int ldc) {                                                                        \
        gemm_blocked(&desc, 1, 0, M, N, K, A, lda, B, ldb, C, ldc);                                           \
    }

GEMM_ENTRIES(sse, isa_sse)
GEMM_ENTRIES(avx2, isa_avx2)
GEMM_ENTRIES(avx512, isa_avx512)

// Declared by kernels.c beside the entry points (no shared header: only that table uses them).
int rnl_kernels_sse_available(void);
int rnl_kernels_avx2_available(void);
int rnl_kernels_avx512_available(void);

int rnl_kernels_sse_available(void) { return 1; }  // SSE2 is part of x86-64
int rnl_kernels_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
int rnl_kernels_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#else
typedef int rnl_kernels_x86_unused;  // ISO C wants at least one declaration per file
#endif
