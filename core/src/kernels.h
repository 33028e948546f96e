// kernels.h: matrix microkernels of the core. Every kernel has a scalar reference that is never
// compiled out; SIMD variants (SSE/AVX2/AVX-512 natively, wasm_simd128 in the WASM build) sit beside it.
// One table (rnl_kernels_list) lists every variant built into this binary: the tests and the
// benchmarks both loop over it, so each variant is checked against the reference at every size.
//
// All matrices are row-major. Every gemm accumulates: C (M, N) += op(A) . op(B).
#ifndef RNNLAB_KERNELS_H
#define RNNLAB_KERNELS_H

#include "rnnlab.h"

// nn: A (M, K) lda, B (K, N) ldb.   nt: A (M, K), B (N, K) (B transposed).   tn: A (K, M) (A transposed), B (K, N).
typedef void (*rnl_gemm_fn)(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb,
                            rnl_real *C, int ldc);

typedef struct {
    const char *name;        // e.g. "scalar", "avx2", "wasmsimd"
    rnl_gemm_fn gemm_nn, gemm_nt, gemm_tn;
    int (*available)(void);  // 1 if this CPU can run it
} rnl_kernel_set;

// The scalar reference: plain loops, always built.
void rnl_gemm_nn_scalar(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C, int ldc);
void rnl_gemm_nt_scalar(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C, int ldc);
void rnl_gemm_tn_scalar(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C, int ldc);

// Every variant compiled into this binary, reference first. *count receives the number of entries.
const rnl_kernel_set *rnl_kernels_list(int *count);
// The fastest available variant (chosen once, at first use); rnl_kernels_select forces one by name
// (returns RNL_ERR_ARG if it is unknown or unavailable), e.g. for benchmarks and tests.
const rnl_kernel_set *rnl_kernels_active(void);
rnl_status rnl_kernels_select(const char *name);

// What the core calls.
static inline void rnl_gemm_nn(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C, int ldc) {
    rnl_kernels_active()->gemm_nn(M, N, K, A, lda, B, ldb, C, ldc);
}
static inline void rnl_gemm_nt(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C, int ldc) {
    rnl_kernels_active()->gemm_nt(M, N, K, A, lda, B, ldb, C, ldc);
}
static inline void rnl_gemm_tn(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C, int ldc) {
    rnl_kernels_active()->gemm_tn(M, N, K, A, lda, B, ldb, C, ldc);
}

#endif
