// cell_math.c: the elementwise math of one step of each cell, for one sequence (one row). This is the
// part of a recurrent network a student writes by hand in exercises/: the grader builds the core with
// the student's version of this file in its place. Matmuls, the time loop and the bookkeeping of
// variable lengths stay in cells.c. Equations: docs/model.md; gate order is PyTorch's.
#include "rnnlab_cell_math.h"  // only the public cell-math interface, as a student's version

// --- Forward ------------------------------------------------------------------------------------
// gates (G*H): in: W_ih x_t + b_ih; out: post-activation gates. hp (G*H): W_hh h_{t-1} + b_hh.

void rnl_rnn_cell_forward(int H, rnl_real *gates, const rnl_real *hp, rnl_real *h) {
    for (int j = 0; j < H; j++) h[j] = gates[j] = r_tanh(gates[j] + hp[j]);
}

void rnl_lstm_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *c_prev, rnl_real *c, rnl_real *h) {
    for (int j = 0; j < H; j++) {
        rnl_real i = r_sigmoid(gates[j] + hp[j]);
        rnl_real f = r_sigmoid(gates[H + j] + hp[H + j]);
        rnl_real g = r_tanh(gates[2 * H + j] + hp[2 * H + j]);
        rnl_real o = r_sigmoid(gates[3 * H + j] + hp[3 * H + j]);
        gates[j] = i, gates[H + j] = f, gates[2 * H + j] = g, gates[3 * H + j] = o;
        c[j] = f * c_prev[j] + i * g;
        h[j] = o * r_tanh(c[j]);
    }
}

// hn (H) receives W_hn h_{t-1} + b_hn, which backward needs (the reset gate multiplies it).
void rnl_gru_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *h_prev, rnl_real *hn, rnl_real *h) {
    for (int j = 0; j < H; j++) {
        rnl_real r = r_sigmoid(gates[j] + hp[j]);
        rnl_real z = r_sigmoid(gates[H + j] + hp[H + j]);
        hn[j] = hp[2 * H + j];
        rnl_real n = r_tanh(gates[2 * H + j] + r * hn[j]);
        gates[j] = r, gates[H + j] = z, gates[2 * H + j] = n;
        h[j] = (1 - z) * n + z * h_prev[j];
    }
}

// --- Backward -----------------------------------------------------------------------------------
// dh (H): in: dL/dh_t (from the output and from step t+1); out: the part of dL/dh_{t-1} that does not
// go through W_hh (the caller adds dhh . W_hh). dg (G*H): dL/d(W_ih x + b_ih). dhh (G*H): dL/d(W_hh h + b_hh).

void rnl_rnn_cell_backward(int H, const rnl_real *gates, rnl_real *dh, rnl_real *dg, rnl_real *dhh) {
    for (int j = 0; j < H; j++) {
        dg[j] = dhh[j] = dh[j] * (1 - gates[j] * gates[j]);
        dh[j] = 0;
    }
}

// dc (H): in: dL/dc_t from step t+1; out: dL/dc_{t-1}.
void rnl_lstm_cell_backward(int H, const rnl_real *gates, const rnl_real *c, const rnl_real *c_prev, rnl_real *dh,
                            rnl_real *dc, rnl_real *dg, rnl_real *dhh) {
    for (int j = 0; j < H; j++) {
        rnl_real i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j];
        rnl_real tc = r_tanh(c[j]);
        rnl_real dct = dc[j] + dh[j] * o * (1 - tc * tc);
        dg[j] = dhh[j] = dct * g * i * (1 - i);
        dg[H + j] = dhh[H + j] = dct * c_prev[j] * f * (1 - f);
        dg[2 * H + j] = dhh[2 * H + j] = dct * i * (1 - g * g);
        dg[3 * H + j] = dhh[3 * H + j] = dh[j] * tc * o * (1 - o);
        dc[j] = dct * f;
        dh[j] = 0;
    }
}

void rnl_gru_cell_backward(int H, const rnl_real *gates, const rnl_real *hn, const rnl_real *h_prev, rnl_real *dh,
                           rnl_real *dg, rnl_real *dhh) {
    for (int j = 0; j < H; j++) {
        rnl_real r = gates[j], z = gates[H + j], n = gates[2 * H + j];
        rnl_real dn = dh[j] * (1 - z) * (1 - n * n);  // through tanh
        rnl_real dz = dh[j] * (h_prev[j] - n) * z * (1 - z);
        rnl_real dr = dn * hn[j] * r * (1 - r);
        dg[j] = dhh[j] = dr;
        dg[H + j] = dhh[H + j] = dz;
        dg[2 * H + j] = dn;
        dhh[2 * H + j] = dn * r;  // the reset gate scales the recurrent part of n
        dh[j] = dh[j] * z;        // the direct path h_{t-1} -> h_t
    }
}

// --- Gradient clipping --------------------------------------------------------------------------

// Scales g so that its global L2 norm is at most max_norm (as torch.nn.utils.clip_grad_norm_, with
// its 1e-6 guard); returns the norm before clipping.
double rnl_clip_grad_norm(rnl_real *g, size_t n, double max_norm) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    double norm = sqrt(s), coef = max_norm / (norm + 1e-6);
    if (coef < 1)
        for (size_t i = 0; i < n; i++) g[i] = (rnl_real)(g[i] * coef);
    return norm;
}
