// kernels.c: the scalar reference gemms, the table of every kernel variant built into this binary,
// and the choice of the active one.
//
// The reference loops are written to be obviously right, not fast: they are what every SIMD variant
// (kernels_x86.c, kernels_wasm.c) is tested against, and the double-precision build (RNL_DOUBLE) uses
// them alone. The active variant is chosen once, at first use, from the CPU's features; the choice is
// not thread-safe (the core is single-threaded), so call rnl_kernels_active() once before any threads.
#include "kernels.h"

#include <string.h>

// --- Scalar reference ---------------------------------------------------------------------------

// C (M, N) += A (M, K) . B (K, N)
void rnl_gemm_nn_scalar(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C,
                        int ldc) {
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) {
            rnl_real a = A[(size_t)i * lda + k];
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] += a * B[(size_t)k * ldb + j];
        }
}

// C (M, N) += A (M, K) . B^T, B (N, K): one dot product per element of C.
void rnl_gemm_nt_scalar(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C,
                        int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            rnl_real s = 0;
            for (int k = 0; k < K; k++) s += A[(size_t)i * lda + k] * B[(size_t)j * ldb + k];
            C[(size_t)i * ldc + j] += s;
        }
}

// C (M, N) += A^T . B, A (K, M), B (K, N)
void rnl_gemm_tn_scalar(int M, int N, int K, const rnl_real *A, int lda, const rnl_real *B, int ldb, rnl_real *C,
                        int ldc) {
    for (int k = 0; k < K; k++)
        for (int i = 0; i < M; i++) {
            rnl_real a = A[(size_t)k * lda + i];
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] += a * B[(size_t)k * ldb + j];
        }
}

static int always_available(void) { return 1; }

// --- The table ----------------------------------------------------------------------------------

// The SIMD variants live in their own files, each compiled only where its instructions exist; they
// export plain functions (not rnl_kernel_set objects) so this table stays a constant initializer.
#define RNL_GEMM_DECL(isa)                                                                                    \
    void rnl_gemm_nn_##isa(int, int, int, const rnl_real *, int, const rnl_real *, int, rnl_real *, int);    \
    void rnl_gemm_nt_##isa(int, int, int, const rnl_real *, int, const rnl_real *, int, rnl_real *, int);    \
    void rnl_gemm_tn_##isa(int, int, int, const rnl_real *, int, const rnl_real *, int, rnl_real *, int);    \
    int rnl_kernels_##isa##_available(void);
#define RNL_GEMM_ENTRY(isa) \
    { .name = #isa, .gemm_nn = rnl_gemm_nn_##isa, .gemm_nt = rnl_gemm_nt_##isa, .gemm_tn = rnl_gemm_tn_##isa, \
      .available = rnl_kernels_##isa##_available }

#if defined(__x86_64__) && !defined(RNL_DOUBLE)
#define RNL_KERNELS_X86 1
RNL_GEMM_DECL(sse)
RNL_GEMM_DECL(avx2)
RNL_GEMM_DECL(avx512)
#endif
#if defined(__wasm_simd128__) && !defined(RNL_DOUBLE)
#define RNL_KERNELS_WASM 1
RNL_GEMM_DECL(wasmsimd)
// The relaxed-SIMD module (web/rnnlab-relaxed.wasm) links kernels_wasm_relaxed.c too, and says so.
#ifdef RNL_KERNELS_WASM_RELAXED
RNL_GEMM_DECL(wasmrelaxed)
#endif
#endif

// Reference first, then in increasing order of speed: rnl_kernels_active takes the last available one.
static const rnl_kernel_set kernel_sets[] = {
    {.name = "scalar", .gemm_nn = rnl_gemm_nn_scalar, .gemm_nt = rnl_gemm_nt_scalar, .gemm_tn = rnl_gemm_tn_scalar,
     .available = always_available},
#ifdef RNL_KERNELS_X86
    RNL_GEMM_ENTRY(sse),
    RNL_GEMM_ENTRY(avx2),
    RNL_GEMM_ENTRY(avx512),
#endif
#ifdef RNL_KERNELS_WASM
    RNL_GEMM_ENTRY(wasmsimd),
#ifdef RNL_KERNELS_WASM_RELAXED
    RNL_GEMM_ENTRY(wasmrelaxed),
#endif
#endif
};
#define NUM_SETS ((int)(sizeof kernel_sets / sizeof kernel_sets[0]))

static const rnl_kernel_set *active;

const rnl_kernel_set *rnl_kernels_list(int *count) {
    if (count) *count = NUM_SETS;
    return kernel_sets;
}

const rnl_kernel_set *rnl_kernels_active(void) {
    if (!active) {
        active = &kernel_sets[0];
        for (int i = NUM_SETS - 1; i > 0; i--)
            if (kernel_sets[i].available()) {
                active = &kernel_sets[i];
                break;
            }
    }
    return active;
}

rnl_status rnl_kernels_select(const char *name) {
    if (!name) return rnl_fail(RNL_ERR_ARG, "kernels: no variant name given");
    for (int i = 0; i < NUM_SETS; i++) {
        if (strcmp(kernel_sets[i].name, name) != 0) continue;
        if (!kernel_sets[i].available())
            return rnl_fail(RNL_ERR_ARG, "kernels: variant '%s' is built in but this CPU cannot run it", name);
        active = &kernel_sets[i];
        return RNL_OK;
    }
    char names[128] = "";
    for (int i = 0; i < NUM_SETS; i++) {
        if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, kernel_sets[i].name, sizeof names - strlen(names) - 1);
    }
    return rnl_fail(RNL_ERR_ARG, "kernels: unknown variant '%s' (built in: %s)", name, names);
}
