// cells.c: one direction of one recurrent layer (vanilla RNN, LSTM, GRU) over a batch of sequences,
// forward and backward through time. Equations and gate order follow PyTorch (docs/model.md):
//
//   RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
//   LSTM: [i f g o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;  i, f, o = sigmoid, g = tanh
//         c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)
//   GRU:  [r z] = sigmoid(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
//         n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))     (reset applied after the matmul)
//         h_t = (1 - z) * n + z * h_{t-1}
//
// The batch is time-major and sorted by length (longest first), so at step s the running sequences
// are rows 0..nb-1. A reverse direction visits, at step s, time t = len_b - 1 - s of row b: it starts at
// each sequence's real end, and padding is never read. The input projection is done per time step
// over the running rows only; the recurrent projection once per step.
#include <string.h>

#include "internal.h"
#include "kernels.h"

// Time index of row b at step s.
static inline int time_of(const rnl_layer_desc *L, int b, int s) {
    return L->reverse ? L->len[b] - 1 - s : s;
}

// --- Forward ------------------------------------------------------------------------------------

void rnl_layer_forward(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s,
                       const rnl_real *x, int ldx) {
    const int H = L->H, B = L->B, T = L->T, G = rnl_cell_gates(L->cell), GH = G * H;

    // Input projection for every real (t, b): gates[t, b] = W_ih x[t, b] + b_ih.   // (T, B, GH)
    for (int t = 0; t < T; t++) {
        int nb = rnl_active_rows(L->len, B, t);
        if (nb == 0) break;
        rnl_real *g = c->gates + (size_t)t * B * GH;
        for (int b = 0; b < nb; b++) memcpy(g + (size_t)b * GH, L->b_ih, sizeof(rnl_real) * GH);
        rnl_gemm_nt(nb, GH, L->in, x + (size_t)t * B * ldx, ldx, L->W_ih, L->in, g, GH);
    }

    for (int st = 0; st < T; st++) {
        int nb = rnl_active_rows(L->len, B, st);
        if (nb == 0) break;
        // Gather h_{t-1} (and c_{t-1}) of the running rows into contiguous (nb, H) buffers.
        for (int b = 0; b < nb; b++) {
            rnl_real *hp = s->hprev + (size_t)b * H, *cp = s->cprev + (size_t)b * H;
            if (st == 0) {
                memset(hp, 0, sizeof(rnl_real) * H);
                memset(cp, 0, sizeof(rnl_real) * H);
            } else {
                int tp = L->reverse ? time_of(L, b, st) + 1 : st - 1;
                memcpy(hp, c->h + ((size_t)tp * B + b) * c->ldh, sizeof(rnl_real) * H);
                if (L->cell == RNL_CELL_LSTM) memcpy(cp, c->aux + ((size_t)tp * B + b) * H, sizeof(rnl_real) * H);
            }
        }
        // Recurrent projection: hp = W_hh h_{t-1} + b_hh.   // (nb, GH)
        for (int b = 0; b < nb; b++) memcpy(s->hp + (size_t)b * GH, L->b_hh, sizeof(rnl_real) * GH);
        rnl_gemm_nt(nb, GH, H, s->hprev, H, L->W_hh, H, s->hp, GH);

        for (int b = 0; b < nb; b++) {
            int t = time_of(L, b, st);
            rnl_real *g = c->gates + ((size_t)t * B + b) * GH;  // holds W_ih x + b_ih on entry
            const rnl_real *hp = s->hp + (size_t)b * GH;
            rnl_real *h = c->h + ((size_t)t * B + b) * c->ldh;
            switch (L->cell) {
            case RNL_CELL_RNN: rnl_rnn_cell_forward(H, g, hp, h); break;
            case RNL_CELL_LSTM:
                rnl_lstm_cell_forward(H, g, hp, s->cprev + (size_t)b * H, c->aux + ((size_t)t * B + b) * H, h);
                break;
            case RNL_CELL_GRU:
                rnl_gru_cell_forward(H, g, hp, s->hprev + (size_t)b * H, c->aux + ((size_t)t * B + b) * H, h);
                break;
            }
        }
    }
}

// --- Backward -----------------------------------------------------------------------------------

void rnl_layer_backward(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                        const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                        rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                        int bptt_window, double *grad_norm2) {
    const int H = L->H, B = L->B, G = rnl_cell_gates(L->cell), GH = G * H;
    // Carried gradients into step s from step s+1: dh (B, H), dc (B, H). Rows join as s goes down
    // (their last real step); rows not yet running were never written, so they start at zero.
    memset(s->dh, 0, sizeof(rnl_real) * B * H);
    memset(s->dc, 0, sizeof(rnl_real) * B * H);

    int Teff = L->len[0];
    for (int st = Teff - 1; st >= 0; st--) {
        int nb = rnl_active_rows(L->len, B, st);
        // Truncated BPTT: no gradient flows from the first step of a window into the step before it.
        if (bptt_window > 0 && st + 1 < Teff && (st + 1) % bptt_window == 0) {
            memset(s->dh, 0, sizeof(rnl_real) * B * H);
            memset(s->dc, 0, sizeof(rnl_real) * B * H);
        }
        // h_{t-1} of the running rows, as in forward.
        for (int b = 0; b < nb; b++) {
            rnl_real *hp = s->hprev + (size_t)b * H, *cp = s->cprev + (size_t)b * H;
            if (st == 0) {
                memset(hp, 0, sizeof(rnl_real) * H);
                memset(cp, 0, sizeof(rnl_real) * H);
            } else {
                int tp = L->reverse ? time_of(L, b, st) + 1 : st - 1;
                memcpy(hp, c->h + ((size_t)tp * B + b) * c->ldh, sizeof(rnl_real) * H);
                if (L->cell == RNL_CELL_LSTM) memcpy(cp, c->aux + ((size_t)tp * B + b) * H, sizeof(rnl_real) * H);
            }
        }
        for (int b = 0; b < nb; b++) {
            int t = time_of(L, b, st);
            const rnl_real *g = c->gates + ((size_t)t * B + b) * GH;
            const rnl_real *dho = dh_out + ((size_t)t * B + b) * ldd;
            rnl_real *dh = s->dh + (size_t)b * H;      // in: from step s+1; out: into step s-1
            rnl_real *dc = s->dc + (size_t)b * H;
            rnl_real *dg = s->dg + ((size_t)t * B + b) * GH;  // dL/d(W_ih x + b_ih)
            rnl_real *dhh = s->dhh + (size_t)b * GH;          // dL/d(W_hh h + b_hh)
            const rnl_real *hprev = s->hprev + (size_t)b * H;
            double n2 = 0;
            for (int j = 0; j < H; j++) {
                dh[j] += dho[j];
                n2 += (double)dh[j] * dh[j];
            }
            if (grad_norm2) grad_norm2[t] += n2;
            switch (L->cell) {
            case RNL_CELL_RNN: rnl_rnn_cell_backward(H, g, dh, dg, dhh); break;
            case RNL_CELL_LSTM:
                rnl_lstm_cell_backward(H, g, c->aux + ((size_t)t * B + b) * H, s->cprev + (size_t)b * H, dh, dc, dg, dhh);
                break;
            case RNL_CELL_GRU: rnl_gru_cell_backward(H, g, c->aux + ((size_t)t * B + b) * H, hprev, dh, dg, dhh); break;
            }
        }
        // Recurrent weights: dW_hh += dhh^T hprev, db_hh += sum dhh; dh_{t-1} += dhh W_hh.
        rnl_gemm_tn(GH, H, nb, s->dhh, GH, s->hprev, H, dW_hh, H);
        for (int b = 0; b < nb; b++) {
            const rnl_real *d = s->dhh + (size_t)b * GH;
            for (int j = 0; j < GH; j++) db_hh[j] += d[j];
        }
        if (st > 0) rnl_gemm_nn(nb, H, GH, s->dhh, GH, L->W_hh, H, s->dh, H);
    }

    // Input weights and input gradient, per time over the running rows.
    for (int t = 0; t < Teff; t++) {
        int nb = rnl_active_rows(L->len, B, t);
        const rnl_real *dg = s->dg + (size_t)t * B * GH;
        rnl_gemm_tn(GH, L->in, nb, dg, GH, x + (size_t)t * B * ldx, ldx, dW_ih, L->in);
        for (int b = 0; b < nb; b++)
            for (int j = 0; j < GH; j++) db_ih[j] += dg[(size_t)b * GH + j];
        if (dx) rnl_gemm_nn(nb, L->in, GH, dg, GH, L->W_ih, L->in, dx + (size_t)t * B * ldx, ldx);
    }
}
