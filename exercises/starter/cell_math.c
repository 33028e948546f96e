// cell_math.c (starter of exercises 1-7): write one time step of a vanilla RNN, an LSTM and a GRU,
// forward and backward, and global-norm clipping. The grader builds the whole rnnlab core with this
// file in place of core/src/cell_math.c: once your cells pass, every model and training run of that
// build uses them.
//
// Grade it:  node exercises/grade.mjs   (or: cmake --build build --target grade)
// Each TODO starts with EX_TODO(...) and EX_ZERO(...): delete both lines when you write the function.
// The matrix products (W_ih x_t, W_hh h_{t-1}) and the loop over time are done for you by the caller
// (core/src/cells.c); these functions see only their results, for one sequence and one time step.
// Equations: docs/model.md. README.md in this folder has more hints per exercise.
#include "rnnlab_cell_math.h"  // core/include/: the contract of these seven functions, and the helpers below

#include "ex_todo.h"

// Helpers you may use (rnnlab_cell_math.h): r_sigmoid(x) = 1 / (1 + e^-x), computed without overflow;
// r_tanh(x); r_sqrt(x). rnl_real is float.
//
// Gate order is PyTorch's in every buffer: a buffer of G*H values holds gate 0 for units 0..H-1, then
// gate 1 for units 0..H-1, and so on. For unit j:
//     LSTM (G = 4): i = [j], f = [H + j], g = [2H + j], o = [3H + j]
//     GRU  (G = 3): r = [j], z = [H + j], n = [2H + j]
//     RNN  (G = 1): just [j]

// --- Exercise 1: vanilla RNN, forward -----------------------------------------------------------

// gates (H): in: W_ih x_t + b_ih; out: h_t (write it back here: your backward reads it).
// hp (H): W_hh h_{t-1} + b_hh.
// h (H): out: h_t.
void rnl_rnn_cell_forward(int H, rnl_real *gates, const rnl_real *hp, rnl_real *h) {
    // TODO(exercise 1): for each unit j,  h_t[j] = tanh(input part + recurrent part).
    // Hint: the two parts are already computed: gates[j] and hp[j].
    EX_TODO("RNN forward");
    EX_ZERO(h, H);
}

// --- Exercise 3: LSTM, forward ------------------------------------------------------------------

// gates (4H): in: W_ih x_t + b_ih, blocks i f g o; out: the four gates after their activations.
// hp (4H): W_hh h_{t-1} + b_hh, same blocks.
// c_prev (H): c_{t-1}.   c (H): out: c_t.   h (H): out: h_t.
void rnl_lstm_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *c_prev, rnl_real *c, rnl_real *h) {
    // TODO(exercise 3): for each unit j,
    //     i = sigmoid(gates[j]         + hp[j])            input gate
    //     f = sigmoid(gates[H + j]     + hp[H + j])        forget gate
    //     g = tanh   (gates[2 * H + j] + hp[2 * H + j])    candidate (tanh, not sigmoid!)
    //     o = sigmoid(gates[3 * H + j] + hp[3 * H + j])    output gate
    //     c_t = f * c_{t-1} + i * g
    //     h_t = o * tanh(c_t)
    // then write i, f, g, o back into gates[] (backward needs them) and c_t, h_t into c[], h[].
    // Hint: read all four pre-activations of unit j before you overwrite any of them.
    EX_TODO("LSTM forward");
    EX_ZERO(c, H), EX_ZERO(h, H);
}

// --- Exercise 5: GRU, forward -------------------------------------------------------------------

// gates (3H): in: W_ih x_t + b_ih, blocks r z n; out: r, z, n after their activations.
// hp (3H): W_hh h_{t-1} + b_hh, same blocks.   h_prev (H): h_{t-1}.
// hn (H): out: W_hn h_{t-1} + b_hn, i.e. the third block of hp (backward needs it).   h (H): out: h_t.
void rnl_gru_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *h_prev, rnl_real *hn, rnl_real *h) {
    // TODO(exercise 5): for each unit j,
    //     r = sigmoid(input part of r + recurrent part of r)       reset gate
    //     z = sigmoid(input part of z + recurrent part of z)       update gate
    //     n = tanh(input part of n + r * recurrent part of n)      candidate: r scales only the recurrent part
    //     h_t = (1 - z) * n + z * h_{t-1}
    // Hint: z = 1 keeps the old state. Some books write h_t = z * n + (1 - z) * h_{t-1}: that is the
    // same model with z renamed, but rnnlab (and PyTorch, whose weights it loads) use the form above.
    EX_TODO("GRU forward");
    EX_ZERO(hn, H), EX_ZERO(h, H);
}

// --- Backward passes ----------------------------------------------------------------------------
// The caller (core/src/cells.c) runs them once per step, from t = T-1 down to 0. Shared contract:
//   dh (H)    in: dL/dh_t, everything that reaches h_t (from its output and from step t+1).
//             out: the part of dL/dh_{t-1} that does NOT go through W_hh (the caller adds dhh . W_hh).
//   dg (G*H)  out: dL/d(W_ih x_t + b_ih), per gate.
//   dhh (G*H) out: dL/d(W_hh h_{t-1} + b_hh), per gate.
// Derivatives in terms of outputs: s = sigmoid(x): ds/dx = s (1 - s);  t = tanh(x): dt/dx = 1 - t^2.
// The forward pass left the post-activation gates in `gates`: that is all you need.

// --- Exercise 2: vanilla RNN, backward ----------------------------------------------------------

// gates (H): h_t, as your forward left it.
void rnl_rnn_cell_backward(int H, const rnl_real *gates, rnl_real *dh, rnl_real *dg, rnl_real *dhh) {
    // TODO(exercise 2): for each unit j, the gradient on the pre-activation is dh[j] * (1 - h^2).
    // Both parts of the pre-activation (input and recurrent) were simply added, so dg[j] and dhh[j]
    // get the same value. Then set dh[j] = 0: in a vanilla RNN, h_{t-1} reaches h_t only through W_hh,
    // and the caller adds that path itself.
    EX_TODO("RNN backward");
    EX_ZERO(dg, H), EX_ZERO(dhh, H);
}

// --- Exercise 4: LSTM, backward -----------------------------------------------------------------

// gates (4H): i, f, g, o of step t.   c, c_prev (H): c_t and c_{t-1}.
// dc (H): in: dL/dc_t from step t+1; out: dL/dc_{t-1}.
void rnl_lstm_cell_backward(int H, const rnl_real *gates, const rnl_real *c, const rnl_real *c_prev, rnl_real *dh,
                            rnl_real *dc, rnl_real *dg, rnl_real *dhh) {
    // TODO(exercise 4): for each unit j, go back through the forward equations in reverse order:
    //   1. h_t = o * tanh(c_t):          dL/do, and dL/dc_t = dc[j] (from step t+1) + dh[j] * o * (1 - tanh(c_t)^2)
    //   2. c_t = f * c_{t-1} + i * g:    dL/di, dL/df, dL/dg, and dL/dc_{t-1} = dL/dc_t * f  -> dc[j]
    //   3. through each activation:      i, f, o are sigmoids; g is a tanh
    //   4. dg and dhh get the same four values (gate order i f g o); dh[j] = 0 (as in the RNN).
    // Hint: do not forget the dc[j] that comes in from step t+1: it is the LSTM's long-range path.
    EX_TODO("LSTM backward");
    EX_ZERO(dg, 4 * H), EX_ZERO(dhh, 4 * H);
}

// --- Exercise 6: GRU, backward ------------------------------------------------------------------

// gates (3H): r, z, n of step t.   hn (H): W_hn h_{t-1} + b_hn, as your forward saved it.
// h_prev (H): h_{t-1}.
void rnl_gru_cell_backward(int H, const rnl_real *gates, const rnl_real *hn, const rnl_real *h_prev, rnl_real *dh,
                           rnl_real *dg, rnl_real *dhh) {
    // TODO(exercise 6): for each unit j, from h_t = (1 - z) * n + z * h_{t-1}:
    //     dL/dn = dh * (1 - z),   dL/dz = dh * (h_{t-1} - n),   and the direct path dL/dh_{t-1} = dh * z
    // then n = tanh(a_n + r * hn): the pre-activation of n gets dL/dn * (1 - n^2); call it dn.
    //     the input part of n (dg, block n) gets dn; the recurrent part (dhh, block n) gets dn * r;
    //     r gets dn * hn, then back through its sigmoid.
    // r and z are plain sums, so dg and dhh are equal for those two blocks.
    // Unlike the RNN and the LSTM, dh[j] is NOT zero on the way out: write the direct path dh * z.
    EX_TODO("GRU backward");
    EX_ZERO(dg, 3 * H), EX_ZERO(dhh, 3 * H);
}

// --- Exercise 7: gradient clipping --------------------------------------------------------------

// g (n): every gradient of the model in one block. Scale it so that its global L2 norm
// sqrt(sum of g[k]^2) is at most max_norm, as torch.nn.utils.clip_grad_norm_ does, and return the norm
// BEFORE clipping (it is the number to watch for exploding gradients).
double rnl_clip_grad_norm(rnl_real *g, size_t n, double max_norm) {
    // TODO(exercise 7):
    //   1. norm = sqrt(sum of g[k]^2). Sum in a double: exploding gradients (entries around 1e20)
    //      overflow a float sum, and a float sum of a million squares loses digits.
    //   2. coef = max_norm / (norm + 1e-6)   (the 1e-6 keeps a zero gradient from dividing by zero)
    //   3. only if coef < 1: multiply every g[k] by coef. Never scale a small gradient up.
    EX_TODO("gradient clipping");
    return 0;
}
