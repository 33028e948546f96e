// cell_math.c (solution of exercises 1-7): one time step of a vanilla RNN, an LSTM and a GRU, for one
// sequence, forward and backward; and global-norm clipping. The grader builds the whole rnnlab core
// with this file in place of core/src/cell_math.c, so these seven functions are what every model,
// training run and test of that build uses.
//
// Written to be read: one named variable per quantity of docs/model.md, no tricks. It computes what
// core/src/cell_math.c computes. The matrix products (W_ih x_t, W_hh h_{t-1}) and the loop over time
// are done by the caller (core/src/cells.c); these functions only see their results.
#include "rnnlab_cell_math.h"  // core/include/: the contract of these seven functions; r_sigmoid, r_tanh

// Gate order is PyTorch's in every buffer: a buffer of G*H values holds gate 0 for units 0..H-1, then
// gate 1 for units 0..H-1, and so on. For unit j:  LSTM: i = [j], f = [H+j], g = [2H+j], o = [3H+j];
// GRU: r = [j], z = [H+j], n = [2H+j].
//
// Derivatives used in the backward passes (s = sigmoid(x), t = tanh(x)):
//     ds/dx = s (1 - s)          dt/dx = 1 - t^2
// Both are written in terms of the function's *output*, which is why the forward pass keeps the
// post-activation gates: backward needs nothing else.

// --- Exercise 1: vanilla RNN, forward -----------------------------------------------------------

// gates (H): in: W_ih x_t + b_ih; out: h_t (backward reads it from here).
// hp (H): W_hh h_{t-1} + b_hh.   h (H): out: h_t.
void rnl_rnn_cell_forward(int H, rnl_real *gates, const rnl_real *hp, rnl_real *h) {
    for (int j = 0; j < H; j++) {
        rnl_real pre = gates[j] + hp[j];  // the input part plus the recurrent part
        h[j] = r_tanh(pre);
        gates[j] = h[j];
    }
}

// --- Exercise 3: LSTM, forward ------------------------------------------------------------------

// gates (4H): in: W_ih x_t + b_ih; out: i, f, g, o after their activations.
// hp (4H): W_hh h_{t-1} + b_hh.   c_prev (H): c_{t-1}.   c, h (H): out: c_t, h_t.
void rnl_lstm_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *c_prev, rnl_real *c, rnl_real *h) {
    for (int j = 0; j < H; j++) {
        rnl_real i = r_sigmoid(gates[0 * H + j] + hp[0 * H + j]);  // input gate: how much of g to write
        rnl_real f = r_sigmoid(gates[1 * H + j] + hp[1 * H + j]);  // forget gate: how much of c_{t-1} to keep
        rnl_real g = r_tanh(gates[2 * H + j] + hp[2 * H + j]);     // candidate values, in (-1, 1)
        rnl_real o = r_sigmoid(gates[3 * H + j] + hp[3 * H + j]);  // output gate: how much of the cell to show

        c[j] = f * c_prev[j] + i * g;  // the cell state: an additive path through time
        h[j] = o * r_tanh(c[j]);

        gates[0 * H + j] = i;
        gates[1 * H + j] = f;
        gates[2 * H + j] = g;
        gates[3 * H + j] = o;
    }
}

// --- Exercise 5: GRU, forward -------------------------------------------------------------------

// gates (3H): in: W_ih x_t + b_ih; out: r, z, n after their activations.
// hp (3H): W_hh h_{t-1} + b_hh.   h_prev (H): h_{t-1}.
// hn (H): out: W_hn h_{t-1} + b_hn (the third block of hp), which backward needs.   h (H): out: h_t.
void rnl_gru_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *h_prev, rnl_real *hn, rnl_real *h) {
    for (int j = 0; j < H; j++) {
        rnl_real r = r_sigmoid(gates[0 * H + j] + hp[0 * H + j]);  // reset gate
        rnl_real z = r_sigmoid(gates[1 * H + j] + hp[1 * H + j]);  // update gate: 1 = keep h_{t-1}
        rnl_real recurrent_n = hp[2 * H + j];                        // W_hn h_{t-1} + b_hn
        // PyTorch's GRU: the reset gate scales the recurrent part after the matmul (docs/model.md).
        rnl_real n = r_tanh(gates[2 * H + j] + r * recurrent_n);    // candidate state

        h[j] = (1 - z) * n + z * h_prev[j];  // a blend: z near 1 copies the old state through
        hn[j] = recurrent_n;

        gates[0 * H + j] = r;
        gates[1 * H + j] = z;
        gates[2 * H + j] = n;
    }
}

// --- Backward passes ----------------------------------------------------------------------------
// Shared contract (see core/src/cells.c, which calls these once per step, from t = T-1 down to 0):
//   dh (H)   in: dL/dh_t, everything that reaches h_t (its output and step t+1).
//            out: the part of dL/dh_{t-1} that does NOT go through W_hh; the caller adds the rest
//            (dhh . W_hh). For the RNN and the LSTM that part is zero.
//   dg (G*H)  out: dL/d(W_ih x_t + b_ih) per gate: the caller turns it into dW_ih, db_ih and dx.
//   dhh (G*H) out: dL/d(W_hh h_{t-1} + b_hh) per gate: the caller turns it into dW_hh, db_hh, dh_{t-1}.
// Where a gate's pre-activation is a plain sum (input part + recurrent part), dg and dhh are equal.

// --- Exercise 2: vanilla RNN, backward ----------------------------------------------------------

// gates (H): h_t, as the forward left it.
void rnl_rnn_cell_backward(int H, const rnl_real *gates, rnl_real *dh, rnl_real *dg, rnl_real *dhh) {
    for (int j = 0; j < H; j++) {
        rnl_real h = gates[j];
        rnl_real dpre = dh[j] * (1 - h * h);  // back through tanh
        dg[j] = dpre;
        dhh[j] = dpre;
        dh[j] = 0;  // h_{t-1} only reaches h_t through W_hh: the caller adds dhh . W_hh
    }
}

// --- Exercise 4: LSTM, backward -----------------------------------------------------------------

// gates (4H): i, f, g, o of step t.   c, c_prev (H): c_t, c_{t-1}.
// dc (H): in: dL/dc_t from step t+1; out: dL/dc_{t-1}.
void rnl_lstm_cell_backward(int H, const rnl_real *gates, const rnl_real *c, const rnl_real *c_prev, rnl_real *dh,
                            rnl_real *dc, rnl_real *dg, rnl_real *dhh) {
    for (int j = 0; j < H; j++) {
        rnl_real i = gates[0 * H + j], f = gates[1 * H + j], g = gates[2 * H + j], o = gates[3 * H + j];
        rnl_real tanh_c = r_tanh(c[j]);

        // h_t = o * tanh(c_t)
        rnl_real d_o = dh[j] * tanh_c;
        // c_t reaches the loss twice: through h_t and through c_{t+1} (the dc carried in).
        rnl_real d_c = dc[j] + dh[j] * o * (1 - tanh_c * tanh_c);
        // c_t = f * c_{t-1} + i * g
        rnl_real d_i = d_c * g;
        rnl_real d_f = d_c * c_prev[j];
        rnl_real d_g = d_c * i;

        // Back through each gate's activation to its pre-activation.
        rnl_real dpre_i = d_i * i * (1 - i);
        rnl_real dpre_f = d_f * f * (1 - f);
        rnl_real dpre_g = d_g * (1 - g * g);
        rnl_real dpre_o = d_o * o * (1 - o);

        dg[0 * H + j] = dhh[0 * H + j] = dpre_i;
        dg[1 * H + j] = dhh[1 * H + j] = dpre_f;
        dg[2 * H + j] = dhh[2 * H + j] = dpre_g;
        dg[3 * H + j] = dhh[3 * H + j] = dpre_o;

        dc[j] = d_c * f;  // the cell path into step t-1: scaled by f only, no squashing
        dh[j] = 0;        // h_{t-1} enters only through W_hh
    }
}

// --- Exercise 6: GRU, backward ------------------------------------------------------------------

// gates (3H): r, z, n of step t.   hn (H): W_hn h_{t-1} + b_hn.   h_prev (H): h_{t-1}.
void rnl_gru_cell_backward(int H, const rnl_real *gates, const rnl_real *hn, const rnl_real *h_prev, rnl_real *dh,
                           rnl_real *dg, rnl_real *dhh) {
    for (int j = 0; j < H; j++) {
        rnl_real r = gates[0 * H + j], z = gates[1 * H + j], n = gates[2 * H + j];

        // h_t = (1 - z) * n + z * h_{t-1}
        rnl_real d_n = dh[j] * (1 - z);
        rnl_real d_z = dh[j] * (h_prev[j] - n);
        rnl_real d_hprev_direct = dh[j] * z;

        // n = tanh(a_n + r * hn): the pre-activation of n, then its two parts.
        rnl_real dpre_n = d_n * (1 - n * n);
        rnl_real d_r = dpre_n * hn[j];
        rnl_real dpre_r = d_r * r * (1 - r);
        rnl_real dpre_z = d_z * z * (1 - z);

        dg[0 * H + j] = dhh[0 * H + j] = dpre_r;
        dg[1 * H + j] = dhh[1 * H + j] = dpre_z;
        dg[2 * H + j] = dpre_n;       // the input part of n enters as is
        dhh[2 * H + j] = dpre_n * r;  // the recurrent part is scaled by r

        dh[j] = d_hprev_direct;  // the caller adds the path through W_hh
    }
}

// --- Exercise 7: gradient clipping --------------------------------------------------------------

// Scales g (n values: every gradient of the model, in one block) so that its global L2 norm is at most
// max_norm, as torch.nn.utils.clip_grad_norm_ does; returns the norm before clipping.
double rnl_clip_grad_norm(rnl_real *g, size_t n, double max_norm) {
    // Sum of squares in double: exploding gradients (entries of 1e20) would overflow a float sum, and
    // a million small squares summed in float lose digits.
    double sum_sq = 0;
    for (size_t k = 0; k < n; k++) sum_sq += (double)g[k] * (double)g[k];
    double norm = sqrt(sum_sq);

    // The 1e-6 keeps a zero gradient from dividing by zero; coef >= 1 means "already small enough":
    // clipping never scales a gradient up.
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1)
        for (size_t k = 0; k < n; k++) g[k] = (rnl_real)(g[k] * coef);
    return norm;
}
