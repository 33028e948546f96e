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
// each sequence's real end, and padding is never read. A layer starts from zeros or from an initial state
// (L->h0, L->c0: seq2seq.c's decoder); rnl_layer_forward_step runs one step at a time, for a decoder that
// feeds its outputs back.
//
// Where the time costs go, and what is done about it (docs/performance.md has the measurements):
// - The input projection W_ih x (and, backward, dW_ih and dx) does not depend on the recurrence: it runs
//   as one large gemm over every step at which all B rows run (their rows are contiguous: time-major),
//   and per step, over the running prefix of rows, for the rest.
// - The forward direction reads h_{t-1} and c_{t-1} where the previous step wrote them (no gathers), and
//   for the RNN and the LSTM the recurrent product accumulates straight into the step's gates, whose
//   bias is then b_ih + b_hh, set once with the projection (no per-step bias copies); the cell gets a
//   zero row for its `hp`. The GRU needs W_hn h + b_hn apart (the reset gate scales it), so it keeps hp.
// - Backward, for the RNN and the LSTM, dL/d(W_hh h + b_hh) equals dL/d(W_ih x + b_ih) (dg), so dW_hh
//   and db_hh are one large gemm and one sum over the steps, like dW_ih, instead of one per step.
// The reverse direction keeps the per-step gathers (its rows are at different times).
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

// Time index of row b at step s.
static inline int time_of(const rnl_layer_desc *L, int b, int s) {
    return L->reverse ? L->len[b] - 1 - s : s;
}

// --- Shared pieces ----------------------------------------------------------------------------------

// Steps 0..full-1 run every row: full = the shortest length (the batch is sorted, longest first).
static inline int full_steps(const rnl_layer_desc *L) { return L->len[L->B - 1]; }

// Runs the block (the macro's last argument) over the real steps with t (first step) and rows set: once
// for the steps 0..full-1 together (rows = full * B, contiguous in every (T, B, ...) buffer), then once
// per later step with its running prefix of rows.
#define FOR_STEP_BLOCKS(L, t, rows, ...)                                      \
    do {                                                                      \
        int full_ = full_steps(L), teff_ = (L)->len[0];                       \
        for (int t = 0; t < teff_;) {                                         \
            int rows = t < full_ ? (full_ - t) * (L)->B : rnl_active_rows((L)->len, (L)->B, t); \
            __VA_ARGS__                                                       \
            t += t < full_ ? full_ - t : 1;                                   \
        }                                                                     \
    } while (0)

// h_{t-1} and c_{t-1} of step st's nb running rows: *hprev (nb, H), rows *ldhp apart, and *cprev
// (nb, H; the LSTM's only). Forward direction: where step st-1 wrote them (the running rows of st are
// a prefix of its rows), no copies. Reverse: each row's state at t+1, gathered into s->hprev / s->cprev.
// Step 0: the initial state L->h0, L->c0, or zeros in s->hprev / s->cprev.
static void previous_state(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s, int st, int nb,
                           const rnl_real **hprev, int *ldhp, const rnl_real **cprev) {
    const int H = L->H, B = L->B, ldh = c->ldh, lstm = L->cell == RNL_CELL_LSTM;
    *hprev = s->hprev, *cprev = s->cprev, *ldhp = H;
    if (st == 0) {
        if (L->h0) *hprev = L->h0;
        else memset(s->hprev, 0, sizeof(rnl_real) * nb * H);
        if (lstm && L->c0) *cprev = L->c0;
        else if (lstm) memset(s->cprev, 0, sizeof(rnl_real) * nb * H);
    } else if (!L->reverse) {
        *hprev = c->h + (size_t)(st - 1) * B * ldh, *ldhp = ldh;
        if (lstm) *cprev = c->aux + (size_t)(st - 1) * B * H;
    } else {
        for (int b = 0; b < nb; b++) {
            int tp = time_of(L, b, st) + 1;
            memcpy(s->hprev + (size_t)b * H, c->h + ((size_t)tp * B + b) * ldh, sizeof(rnl_real) * H);
            if (lstm) memcpy(s->cprev + (size_t)b * H, c->aux + ((size_t)tp * B + b) * H, sizeof(rnl_real) * H);
        }
    }
}

// --- Forward ------------------------------------------------------------------------------------

// A new W_hh^T (H, GH) with rows ldw apart, for one forward call (the caller frees it): its size depends
// on the layer only, not on the batch, so a sequence's arithmetic is the same alone or in any batch.
// NULL (the nt path) in the double build, whose scalar kernels gain nothing from it, or if out of memory.
static rnl_real *transposed_w_hh(const rnl_layer_desc *L, int ldw) {
#ifdef RNL_DOUBLE
    (void)L, (void)ldw;
    return NULL;
#else
    const int H = L->H, GH = rnl_cell_gates(L->cell) * H;
    rnl_real *t = malloc(sizeof(rnl_real) * (size_t)H * ldw);
    if (t)
        for (int i = 0; i < GH; i++)
            for (int j = 0; j < H; j++) t[(size_t)j * ldw + i] = L->W_hh[(size_t)i * H + j];
    return t;
#endif
}

// C (nb, GH), rows GH apart, += h (nb, H) W_hh^T; through the transposed copy WhhT (H, GH) if there is one.
static void recurrent_product(const rnl_layer_desc *L, int nb, const rnl_real *h, int ldh, const rnl_real *WhhT,
                              int ldw, rnl_real *C) {
    const int H = L->H, GH = rnl_cell_gates(L->cell) * H;
    if (WhhT) rnl_gemm_nn(nb, GH, H, h, ldh, WhhT, ldw, C, GH);
    else rnl_gemm_nt(nb, GH, H, h, ldh, L->W_hh, H, C, GH);
}

// RNN and LSTM, forward direction: the recurrent product goes straight into the gates, whose bias is then
// b_ih + b_hh (the cell gets a zero row for its `hp`). The GRU needs W_hn h + b_hn apart (its reset gate
// scales it), and the reverse direction's rows sit at different times.
static int fused_bias(const rnl_layer_desc *L) { return !L->reverse && L->cell != RNL_CELL_GRU; }

// Before forward steps: the fused cells' zero row s->hp (GH), and the input projection's bias (GH), returned,
// in s->dhh (backward's scratch, free during forward).
static const rnl_real *begin_forward(const rnl_layer_desc *L, rnl_layer_scratch *s) {
    const int GH = rnl_cell_gates(L->cell) * L->H, fused = fused_bias(L);
    if (fused) memset(s->hp, 0, sizeof(rnl_real) * GH);
    for (int j = 0; j < GH; j++) s->dhh[j] = fused ? L->b_ih[j] + L->b_hh[j] : L->b_ih[j];
    return s->dhh;
}

// gates[t .. , rows] = W_ih x + bias for `rows` rows from step t's first (time-major: they may run on into
// the next steps).
static void project(const rnl_layer_desc *L, rnl_layer_cache *c, const rnl_real *bias, const rnl_real *x, int ldx, int t,
                    int rows) {
    const int GH = rnl_cell_gates(L->cell) * L->H;
    rnl_real *g = c->gates + (size_t)t * L->B * GH;
    for (int r = 0; r < rows; r++) memcpy(g + (size_t)r * GH, bias, sizeof(rnl_real) * GH);
    rnl_gemm_nt(rows, GH, L->in, x + (size_t)t * L->B * ldx, ldx, L->W_ih, L->in, g, GH);
}

// Step st of the recurrence, its gates holding the projection: h_t (and c_t) for the running rows.
// WhhT: the transposed W_hh (transposed_w_hh) or NULL.
static void forward_step(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s, int st,
                         const rnl_real *WhhT, int ldw) {
    const int H = L->H, B = L->B, GH = rnl_cell_gates(L->cell) * H, ldh = c->ldh, fused = fused_bias(L);
    int nb = rnl_active_rows(L->len, B, st);
    const rnl_real *hprev, *cprev;  // (nb, H), rows ldhp / H apart
    int ldhp;
    previous_state(L, c, s, st, nb, &hprev, &ldhp, &cprev);
    const int recur = st > 0 || L->h0;  // h_{-1} = 0 adds nothing
    const rnl_real *hp;
    size_t hp_stride;
    if (fused) {
        // gates[st] += h_{t-1} W_hh^T   // (nb, GH); the cells' hp is a zero row
        if (recur) recurrent_product(L, nb, hprev, ldhp, WhhT, ldw, c->gates + (size_t)st * B * GH);
        hp = s->hp, hp_stride = 0;  // zeros (begin_forward)
    } else {
        // Recurrent projection: hp = W_hh h_{t-1} + b_hh.   // (nb, GH)
        for (int b = 0; b < nb; b++) memcpy(s->hp + (size_t)b * GH, L->b_hh, sizeof(rnl_real) * GH);
        if (recur) recurrent_product(L, nb, hprev, ldhp, WhhT, ldw, s->hp);
        hp = s->hp, hp_stride = (size_t)GH;
    }
    for (int b = 0; b < nb; b++) {
        int t = time_of(L, b, st);
        rnl_real *g = c->gates + ((size_t)t * B + b) * GH;  // W_ih x + b_ih (+ W_hh h + b_hh if fused)
        const rnl_real *hpb = hp + b * hp_stride;
        rnl_real *h = c->h + ((size_t)t * B + b) * ldh;
        switch (L->cell) {
        case RNL_CELL_RNN: rnl_rnn_cell_forward(H, g, hpb, h); break;
        case RNL_CELL_LSTM:
            rnl_lstm_cell_forward(H, g, hpb, cprev + (size_t)b * H, c->aux + ((size_t)t * B + b) * H, h);
            break;
        case RNL_CELL_GRU:
            rnl_gru_cell_forward(H, g, hpb, hprev + (size_t)b * ldhp, c->aux + ((size_t)t * B + b) * H, h);
            break;
        }
    }
}

void rnl_layer_forward(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s,
                       const rnl_real *x, int ldx) {
    const int GH = rnl_cell_gates(L->cell) * L->H, Teff = L->len[0] < L->T ? L->len[0] : L->T;
    // Input projection for every real (t, b): gates[t, b] = W_ih x[t, b] + bias.   // (T, B, GH)
    const rnl_real *bias = begin_forward(L, s);
    FOR_STEP_BLOCKS(L, t, rows, { project(L, c, bias, x, ldx, t, rows); });

    // W_hh^T (H, GH), rows ldw apart: the per-step product then runs as nn, whose kernels read W_hh^T in
    // place (the first row tile copies each panel as it goes), instead of nt, which would pack
    // (transpose) all of W_hh again at every step. ldw is no power of two, so the panel's rows do not
    // crowd a few cache sets. Float build only: the double build's scalar kernels gain nothing from it.
    const int ldw = GH + 16;
    rnl_real *WhhT = Teff > 1 ? transposed_w_hh(L, ldw) : NULL;
    for (int st = 0; st < Teff; st++) forward_step(L, c, s, st, WhhT, ldw);
    free(WhhT);
}

void rnl_layer_forward_step(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s, const rnl_real *x,
                            int ldx, int st) {
    int nb = rnl_active_rows(L->len, L->B, st);
    if (nb == 0) return;
    project(L, c, begin_forward(L, s), x, ldx, st, nb);
    forward_step(L, c, s, st, NULL, 0);
}

// --- Backward -----------------------------------------------------------------------------------

void rnl_layer_backward(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                        const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                        rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                        int bptt_window, double *grad_norm2) {
    rnl_layer_backward_state(L, c, s, x, ldx, dh_out, ldd, dx, dW_ih, dW_hh, db_ih, db_hh, bptt_window, grad_norm2,
                             NULL, NULL, NULL);
}

void rnl_layer_backward_state(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                              const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                              rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                              int bptt_window, double *grad_norm2, const rnl_real *dc_last, rnl_real *dh0,
                              rnl_real *dc0) {
    const int H = L->H, B = L->B, G = rnl_cell_gates(L->cell), GH = G * H, ldh = c->ldh;
    // RNN and LSTM: dhh == dg, so dW_hh and db_hh are summed over all steps at the end (forward
    // direction: h_{t-1} of every row of step t is in place).
    const int batched_hh = !L->reverse && L->cell != RNL_CELL_GRU;
    // Carried gradients into step s from step s+1: dh (B, H), dc (B, H). Rows join as s goes down
    // (their last real step); rows not yet running were never written, so they start at zero, or, for
    // dc, at dL/dc of the final state.
    memset(s->dh, 0, sizeof(rnl_real) * B * H);
    if (dc_last) memcpy(s->dc, dc_last, sizeof(rnl_real) * B * H);
    else memset(s->dc, 0, sizeof(rnl_real) * B * H);

    int Teff = L->len[0];
    for (int st = Teff - 1; st >= 0; st--) {
        int nb = rnl_active_rows(L->len, B, st);
        // Truncated BPTT: no gradient flows from the first step of a window into the step before it.
        if (bptt_window > 0 && st + 1 < Teff && (st + 1) % bptt_window == 0) {
            memset(s->dh, 0, sizeof(rnl_real) * B * H);
            memset(s->dc, 0, sizeof(rnl_real) * B * H);
        }
        // h_{t-1} (and c_{t-1}) of the running rows, as in forward.
        const rnl_real *hprev, *cprev;
        int ldhp;
        previous_state(L, c, s, st, nb, &hprev, &ldhp, &cprev);
        for (int b = 0; b < nb; b++) {
            int t = time_of(L, b, st);
            const rnl_real *g = c->gates + ((size_t)t * B + b) * GH;
            const rnl_real *dho = dh_out + ((size_t)t * B + b) * ldd;
            rnl_real *dh = s->dh + (size_t)b * H;      // in: from step s+1; out: into step s-1
            rnl_real *dc = s->dc + (size_t)b * H;
            rnl_real *dg = s->dg + ((size_t)t * B + b) * GH;  // dL/d(W_ih x + b_ih)
            rnl_real *dhh = s->dhh + (size_t)b * GH;          // dL/d(W_hh h + b_hh)
            for (int j = 0; j < H; j++) dh[j] += dho[j];
            if (grad_norm2) {
                double n2 = 0;
                for (int j = 0; j < H; j++) n2 += (double)dh[j] * dh[j];
                grad_norm2[t] += n2;
            }
            switch (L->cell) {
            case RNL_CELL_RNN: rnl_rnn_cell_backward(H, g, dh, dg, dhh); break;
            case RNL_CELL_LSTM:
                rnl_lstm_cell_backward(H, g, c->aux + ((size_t)t * B + b) * H, cprev + (size_t)b * H, dh, dc, dg, dhh);
                break;
            case RNL_CELL_GRU:
                rnl_gru_cell_backward(H, g, c->aux + ((size_t)t * B + b) * H, hprev + (size_t)b * ldhp, dh, dg, dhh);
                break;
            }
        }
        // Recurrent weights: dW_hh += dhh^T hprev, db_hh += sum dhh (here, or batched below);
        // dh_{t-1} += dhh W_hh.
        if (!batched_hh) {
            rnl_gemm_tn(GH, H, nb, s->dhh, GH, hprev, ldhp, dW_hh, H);
            for (int b = 0; b < nb; b++) {
                const rnl_real *d = s->dhh + (size_t)b * GH;
                for (int j = 0; j < GH; j++) db_hh[j] += d[j];
            }
        }
        if (st > 0 || dh0) rnl_gemm_nn(nb, H, GH, s->dhh, GH, L->W_hh, H, s->dh, H);
    }
    // After step 0 every row (all lengths >= 1) holds dL/dh_{-1} and dL/dc_{-1}.
    if (dh0)
        for (size_t i = 0; i < (size_t)B * H; i++) dh0[i] += s->dh[i];
    if (dc0 && L->cell == RNL_CELL_LSTM)
        for (size_t i = 0; i < (size_t)B * H; i++) dc0[i] += s->dc[i];
    // Batched below from t = 1: step 0's product with the initial state.
    if (batched_hh && L->h0) rnl_gemm_tn(GH, H, rnl_active_rows(L->len, B, 0), s->dg, GH, L->h0, H, dW_hh, H);

    // Input weights and input gradient (and, batched, the recurrent weights), over blocks of steps.
    FOR_STEP_BLOCKS(L, t, rows, {
        const rnl_real *dg = s->dg + (size_t)t * B * GH;
        rnl_gemm_tn(GH, L->in, rows, dg, GH, x + (size_t)t * B * ldx, ldx, dW_ih, L->in);
        for (int r = 0; r < rows; r++) {
            const rnl_real *d = dg + (size_t)r * GH;
            for (int j = 0; j < GH; j++) db_ih[j] += d[j];
            if (batched_hh)
                for (int j = 0; j < GH; j++) db_hh[j] += d[j];
        }
        if (dx) rnl_gemm_nn(rows, L->in, GH, dg, GH, L->W_ih, L->in, dx + (size_t)t * B * ldx, ldx);
        if (batched_hh) {
            // dW_hh += dg_t^T h_{t-1} for t >= 1: step t's rows against step t-1's (a prefix of them).
            int t1 = t > 0 ? t : 1, skip = t1 - t, n = rows - skip * B;
            if (n > 0)
                rnl_gemm_tn(GH, H, n, dg + (size_t)skip * B * GH, GH, c->h + (size_t)(t1 - 1) * B * ldh, ldh, dW_hh, H);
        }
    });
}
