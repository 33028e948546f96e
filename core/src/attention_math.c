// attention_math.c: multi-head scaled dot-product attention of one sequence, forward and backward
// (rnnlab_attention_math.h). The Transformer encoder (transformer.c) calls it once per sequence on that
// sequence's packed rows; exercises/ has students write the same two functions, and the grader builds the
// core with theirs in place of this file. Here the products are the gemms of kernels.h (SIMD, with their
// scalar reference: rnl_kernels_select("scalar")), so this file, unlike a student's, includes a private
// header. Per head: S = Q K^T, P = softmax(S / sqrt(dk)), ctx = P V.
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "rnnlab_attention_math.h"

// The softmax's exponential: where the cells use the branch-free approximations (rnnlab_cell_math.h:
// WebAssembly, and native builds with RNL_FAST_ACTIVATIONS), the same e^x, a few ulp from expf, inline,
// so the loop vectorises (it was a seventh of the small bench's time as expf calls); libm otherwise and in
// the double build.
#if !defined(RNL_DOUBLE) && (defined(__wasm__) || defined(RNL_FAST_ACTIVATIONS))
#define softmax_exp rnl_expf_approx
#else
#define softmax_exp r_exp
#endif

// Self-attention of one sequence of L packed rows, every head: ctx (L, D) = concat_h softmax(Q_h K_h^T /
// sqrt(dk)) V_h, with q, k, v the thirds of qkv (L, 3D); att (heads, L, L) keeps the weights.
void rnl_attention_forward(rnl_real *ctx, rnl_real *att, const rnl_real *qkv, int L, int D, int heads) {
    const int dk = D / heads;
    const rnl_real scale = (rnl_real)(1 / sqrt((double)dk));
    memset(ctx, 0, sizeof(rnl_real) * (size_t)L * D);  // rows of one sequence are contiguous: ld D
    for (int h = 0; h < heads; h++) {
        const rnl_real *q = qkv + h * dk, *k = qkv + D + h * dk, *v = qkv + 2 * D + h * dk;
        rnl_real *a = att + (size_t)h * L * L;
        memset(a, 0, sizeof(rnl_real) * (size_t)L * L);
        rnl_gemm_nt(L, L, dk, q, 3 * D, k, 3 * D, a, L);  // scores (L, L)
        // Softmax of each row, in separate simple loops so that the scaling, the maximum and the
        // normalisation vectorise; the sum is in double (rows of thousands of keys).
        for (int i = 0; i < L; i++) {
            rnl_real *row = a + (size_t)i * L, mx = row[0];
            for (int j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
            for (int j = 0; j < L; j++) row[j] = softmax_exp((row[j] - mx) * scale);
            double sum = 0;
            for (int j = 0; j < L; j++) sum += row[j];
            rnl_real inv = (rnl_real)(1 / sum);
            for (int j = 0; j < L; j++) row[j] *= inv;
        }
        rnl_gemm_nn(L, dk, L, a, L, v, 3 * D, ctx + h * dk, D);
    }
}

// Backward of rnl_attention_forward: dqkv (L, 3D) += from dctx (L, D); ds (L, L) scratch.
void rnl_attention_backward(rnl_real *dqkv, rnl_real *ds, const rnl_real *dctx, const rnl_real *att,
                            const rnl_real *qkv, int L, int D, int heads) {
    const int dk = D / heads;
    const rnl_real scale = (rnl_real)(1 / sqrt((double)dk));
    for (int h = 0; h < heads; h++) {
        const rnl_real *q = qkv + h * dk, *k = qkv + D + h * dk, *v = qkv + 2 * D + h * dk, *dc = dctx + h * dk;
        const rnl_real *a = att + (size_t)h * L * L;
        rnl_real *dq = dqkv + h * dk, *dkk = dqkv + D + h * dk, *dv = dqkv + 2 * D + h * dk;
        rnl_gemm_tn(L, dk, L, a, L, dc, D, dv, 3 * D);  // dV += A^T dctx
        memset(ds, 0, sizeof(rnl_real) * (size_t)L * L);
        rnl_gemm_nt(L, L, dk, dc, D, v, 3 * D, ds, L);  // dA = dctx V^T
        // Softmax: dS = A (dA - rowsum(dA A)), then the score scale.
        for (int i = 0; i < L; i++) {
            const rnl_real *ai = a + (size_t)i * L;
            rnl_real *di = ds + (size_t)i * L;
            double dot = 0;
            for (int j = 0; j < L; j++) dot += (double)di[j] * ai[j];
            for (int j = 0; j < L; j++) di[j] = (rnl_real)(ai[j] * (di[j] - dot)) * scale;
        }
        rnl_gemm_nn(L, dk, L, ds, L, k, 3 * D, dq, 3 * D);   // dQ += dS K
        rnl_gemm_tn(L, dk, L, ds, L, q, 3 * D, dkk, 3 * D);  // dK += dS^T Q
    }
}
