// bench_kernels_wasm.c: the kernel micro-benchmarks in WebAssembly. A standalone module with no
// JavaScript glue and no clock: it exposes every entry of rnl_kernels_list (gemm nn/nt/tn) and
// rnl_act_list (sigmoid/tanh over arrays) by index, and tests/bench/bench.mjs times the calls with
// performance.now(), as bench_kernels.c does natively. Built by bench.mjs with its own emcc call
// (the core's kernels.c, kernels_wasm.c, activations.c, error.c and this file; -msimd128), never by
// CMake: the lab's module (web/wasm.cmake, web/lib/exports.js) is not touched. Imports at most
// env.emscripten_notify_memory_growth.
#include <stdlib.h>

#include "internal.h"
#include "kernels.h"

#define EXPORT __attribute__((used, visibility("default")))

EXPORT void *kb_alloc(int bytes) { return malloc((size_t)bytes); }

EXPORT int kb_gemm_count(void) {
    int n;
    rnl_kernels_list(&n);
    return n;
}

EXPORT const char *kb_gemm_name(int v) {
    int n;
    const rnl_kernel_set *s = rnl_kernels_list(&n);
    return v >= 0 && v < n ? s[v].name : NULL;
}

// `iters` calls of variant v's gemm (op 0 nn, 1 nt, 2 tn) on packed operands (ld = row width).
EXPORT void kb_gemm(int v, int op, int M, int N, int K, const float *A, const float *B, float *C, int iters) {
    const rnl_kernel_set *s = rnl_kernels_list(NULL) + v;
    rnl_gemm_fn fn = op == 0 ? s->gemm_nn : op == 1 ? s->gemm_nt : s->gemm_tn;
    int lda = op == 2 ? M : K, ldb = op == 1 ? K : N;
    for (int i = 0; i < iters; i++) fn(M, N, K, A, lda, B, ldb, C, N);
}

EXPORT int kb_act_count(void) {
    int n;
    rnl_act_list(&n);
    return n;
}

EXPORT const char *kb_act_name(int v) {
    int n;
    const rnl_act_set *s = rnl_act_list(&n);
    return v >= 0 && v < n ? s[v].name : NULL;
}

// `iters` calls of variant v's activation (fn 0 sigmoid, 1 tanh) over n values.
EXPORT void kb_act(int v, int fn, int n, const float *x, float *y, int iters) {
    const rnl_act_set *s = rnl_act_list(NULL) + v;
    rnl_act_fn f = fn == 0 ? s->sigmoid : s->tanh;
    for (int i = 0; i < iters; i++) f(n, x, y);
}

// As kb_gemm with explicit leading dimensions (strides that are, or are not, powers of two).
EXPORT void kb_gemm_ld(int v, int op, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
                       int ldc, int iters) {
    const rnl_kernel_set *s = rnl_kernels_list(NULL) + v;
    rnl_gemm_fn fn = op == 0 ? s->gemm_nn : op == 1 ? s->gemm_nt : s->gemm_tn;
    for (int i = 0; i < iters; i++) fn(M, N, K, A, lda, B, ldb, C, ldc);
}
