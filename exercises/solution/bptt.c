// bptt.c (solution of exercise 8): backpropagation through time for one sequence of a vanilla RNN,
// written out with plain loops: the forward pass keeps every h_t, then one loop walks back from
// t = T-1 to 0, carrying dL/dh_t into step t-1 through W_hh. Contract and shapes: ../bptt.h.
// Limits: one sequence, float sums (as the core's kernels); allocates T*H + 2*H floats.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bptt.h"

void ex_rnn_bptt(int T, int I, int H, const float *x, const float *W_ih, const float *W_hh, const float *b,
                 const float *dL_dh, float *dW_ih, float *dW_hh, float *db, float *dh_norm, int window) {
    float *h = malloc(sizeof(float) * (size_t)T * H);  // (T, H) every hidden state: backward needs them all
    float *dh = calloc((size_t)H, sizeof(float));      // (H) dL/dh_t, carried from step t+1 down to t
    float *da = malloc(sizeof(float) * H);              // (H) dL/da_t, a_t the pre-activation
    if (!h || !dh || !da) goto out;

    // --- Forward: a_t = W_ih x_t + W_hh h_{t-1} + b;  h_t = tanh(a_t); h_{-1} = 0.
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * I;
        const float *hprev = t > 0 ? h + (size_t)(t - 1) * H : NULL;
        for (int i = 0; i < H; i++) {
            float a = b[i];
            for (int k = 0; k < I; k++) a += W_ih[(size_t)i * I + k] * xt[k];
            if (hprev)
                for (int k = 0; k < H; k++) a += W_hh[(size_t)i * H + k] * hprev[k];
            h[(size_t)t * H + i] = tanhf(a);
        }
    }

    // --- Backward, t = T-1 down to 0. On entry to step t, dh holds what step t+1 sent back.
    for (int t = T - 1; t >= 0; t--) {
        // Truncation: step t+1 opens a window, so nothing it received flows into step t.
        if (window > 0 && t + 1 < T && (t + 1) % window == 0) memset(dh, 0, sizeof(float) * H);

        // The total gradient on h_t: from its own output, plus from the future (already in dh).
        double norm2 = 0;
        for (int i = 0; i < H; i++) {
            dh[i] += dL_dh[(size_t)t * H + i];
            norm2 += (double)dh[i] * dh[i];
        }
        dh_norm[t] = (float)sqrt(norm2);

        // Through tanh: dL/da = dL/dh * (1 - h^2).
        const float *ht = h + (size_t)t * H;
        for (int i = 0; i < H; i++) da[i] = dh[i] * (1 - ht[i] * ht[i]);

        // a_t = W_ih x_t + W_hh h_{t-1} + b: each weight collects (its row's da) x (the input it saw).
        const float *xt = x + (size_t)t * I;
        const float *hprev = t > 0 ? h + (size_t)(t - 1) * H : NULL;
        for (int i = 0; i < H; i++) {
            db[i] += da[i];
            for (int k = 0; k < I; k++) dW_ih[(size_t)i * I + k] += da[i] * xt[k];
            if (hprev)
                for (int k = 0; k < H; k++) dW_hh[(size_t)i * H + k] += da[i] * hprev[k];
        }

        // Into step t-1: dL/dh_{t-1} = W_hh^T da (the transpose: h_{t-1}[k] fed every row i).
        // Repeated T times, this product is what shrinks (vanishes) or grows (explodes).
        for (int k = 0; k < H; k++) {
            float s = 0;
            for (int i = 0; i < H; i++) s += W_hh[(size_t)i * H + k] * da[i];
            dh[k] = s;
        }
    }
out:
    free(h);
    free(dh);
    free(da);
}
