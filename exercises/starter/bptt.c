// bptt.c (starter of exercise 8): write backpropagation through time for one sequence of a vanilla RNN
// with plain loops. Contract and shapes: ../bptt.h (read it first). The grader compares your
// gradients with the rnnlab core and with finite differences, with and without a truncation window.
// Delete the EX_TODO and EX_ZERO lines when you start.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bptt.h"
#include "ex_todo.h"

void ex_rnn_bptt(int T, int I, int H, const float *x, const float *W_ih, const float *W_hh, const float *b,
                 const float *dL_dh, float *dW_ih, float *dW_hh, float *db, float *dh_norm, int window) {
    // TODO(exercise 8), in two parts.
    //
    // Forward: keep every hidden state, h (T, H) (malloc it, free it at the end):
    //     a_t = W_ih x_t + W_hh h_{t-1} + b,   h_t = tanh(a_t),   h_{-1} = 0
    //     W_ih is (H, I) row-major: row i of W_ih times x_t gives the input part of unit i.
    //
    // Backward: one vector dh (H), starting at zero, walks from t = T-1 down to 0:
    //   1. if window > 0, t + 1 < T and (t + 1) % window == 0: set dh to zero (truncated BPTT:
    //      step t+1 starts a window, and nothing flows from it into step t)
    //   2. dh += dL_dh[t]: now dh is the TOTAL gradient on h_t; dh_norm[t] = its L2 norm
    //   3. da = dh * (1 - h_t^2)                 (back through tanh)
    //   4. db += da;  dW_ih += da x_t^T;  dW_hh += da h_{t-1}^T   (nothing for t = 0: h_{-1} = 0)
    //   5. dh = W_hh^T da                         (into step t-1: note the TRANSPOSE)
    // Hints: the order of 1 and 2 matters for dh_norm; step 5 is the product that, repeated T
    // times, makes gradients vanish or explode; the gradients are added (+=) to what dW_ih... hold.
    EX_TODO("BPTT loop");
    EX_ZERO(dh_norm, T);
}
