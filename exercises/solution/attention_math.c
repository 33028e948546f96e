// attention_math.c (solution of exercises 9-10): multi-head scaled dot-product attention of one
// sequence, forward and backward, in plain loops. The core's own version (core/src/attention_math.c)
// computes the same with the gemm kernels of core/src/kernels.h; this one shows every sum.
#include "rnnlab_attention_math.h"

// --- Exercise 9: attention, forward ---------------------------------------------------------------

void rnl_attention_forward(rnl_real *ctx, rnl_real *att, const rnl_real *qkv, int L, int D, int heads) {
    const int dk = D / heads, ld = 3 * D;
    // One head's width, not D: q . k sums dk products of roughly unit spread, so its spread is sqrt(dk).
    const double scale = 1 / sqrt((double)dk);
    for (int h = 0; h < heads; h++) {
        const rnl_real *q = qkv + h * dk, *k = qkv + D + h * dk, *v = qkv + 2 * D + h * dk;
        for (int i = 0; i < L; i++) {
            rnl_real *a = att + ((size_t)h * L + i) * L;  // the weights of query i over the L keys
            // Scores. Only j < L: the caller packed the sequence, so every key is real (the key-padding
            // mask is the loop bound; a padded key would have had score -inf and weight 0).
            double mx = -INFINITY;
            for (int j = 0; j < L; j++) {
                double s = 0;
                for (int c = 0; c < dk; c++) s += (double)q[(size_t)i * ld + c] * k[(size_t)j * ld + c];
                a[j] = (rnl_real)(s * scale);
                if (a[j] > mx) mx = a[j];
            }
            // Softmax, stable: exp(s - max) is in (0, 1], the same weights without overflow.
            double sum = 0;
            for (int j = 0; j < L; j++) sum += a[j] = r_exp((rnl_real)(a[j] - mx));
            for (int j = 0; j < L; j++) a[j] = (rnl_real)(a[j] / sum);
            // Context: the weighted mean of the values, into head h's columns.
            for (int c = 0; c < dk; c++) {
                double s = 0;
                for (int j = 0; j < L; j++) s += (double)a[j] * v[(size_t)j * ld + c];
                ctx[(size_t)i * D + h * dk + c] = (rnl_real)s;
            }
        }
    }
}

// --- Exercise 10: attention, backward -------------------------------------------------------------

void rnl_attention_backward(rnl_real *dqkv, rnl_real *ds, const rnl_real *dctx, const rnl_real *att,
                            const rnl_real *qkv, int L, int D, int heads) {
    const int dk = D / heads, ld = 3 * D;
    const double scale = 1 / sqrt((double)dk);
    for (int h = 0; h < heads; h++) {
        const rnl_real *q = qkv + h * dk, *k = qkv + D + h * dk, *v = qkv + 2 * D + h * dk, *dc = dctx + h * dk;
        rnl_real *dq = dqkv + h * dk, *dkk = dqkv + D + h * dk, *dv = dqkv + 2 * D + h * dk;
        const rnl_real *P = att + (size_t)h * L * L;
        // ctx_i = sum_j P[i][j] v_j: dv_j += sum_i P[i][j] dctx_i, and dP[i][j] = dctx_i . v_j (into ds).
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++) {
                double dp = 0;
                for (int c = 0; c < dk; c++) {
                    dv[(size_t)j * ld + c] += P[(size_t)i * L + j] * dc[(size_t)i * D + c];
                    dp += (double)dc[(size_t)i * D + c] * v[(size_t)j * ld + c];
                }
                ds[(size_t)i * L + j] = (rnl_real)dp;
            }
        // Softmax backward, row by row: dS = P o (dP - rowsum(dP o P)); then the forward's scale.
        for (int i = 0; i < L; i++) {
            const rnl_real *p = P + (size_t)i * L;
            rnl_real *d = ds + (size_t)i * L;
            double dot = 0;
            for (int j = 0; j < L; j++) dot += (double)d[j] * p[j];
            for (int j = 0; j < L; j++) d[j] = (rnl_real)(p[j] * (d[j] - dot) * scale);
        }
        // s_ij = q_i . k_j (scaled above): dq_i += sum_j dS[i][j] k_j; dk_j += sum_i dS[i][j] q_i.
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++) {
                rnl_real g = ds[(size_t)i * L + j];
                for (int c = 0; c < dk; c++) {
                    dq[(size_t)i * ld + c] += g * k[(size_t)j * ld + c];
                    dkk[(size_t)j * ld + c] += g * q[(size_t)i * ld + c];
                }
            }
    }
}
