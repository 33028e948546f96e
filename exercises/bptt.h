// bptt.h: exercise 8, backpropagation through time written out by hand for one sequence of a vanilla
// RNN. starter/bptt.c and solution/bptt.c implement it; the grader compares it with the core
// (rnl_layer_forward/rnl_layer_backward) and with finite differences.
// Float buffers, row-major; no batch (one sequence), no lengths: the core handles those.
#ifndef EX_BPTT_H
#define EX_BPTT_H

// The model, for t = 0..T-1 with h_{-1} = 0:
//     a_t = W_ih x_t + W_hh h_{t-1} + b        (H)
//     h_t = tanh(a_t)                          (H)
// and a loss L whose gradient with respect to each h_t, through the outputs only (not through
// h_{t+1}), is given: dL_dh[t]. ex_rnn_bptt runs the forward pass itself, then the backward loop.
//
//   x      (T, I)  inputs
//   W_ih   (H, I), W_hh (H, H), b (H)
//   dL_dh  (T, H)  gradient of the loss with respect to each h_t from the outputs
//   dW_ih  (H, I), dW_hh (H, H), db (H): gradients, ADDED to what the buffers hold (+=, as every
//                  backward pass in rnnlab; the grader passes zeros)
//   dh_norm (T)    written: ||dL/dh_t||, the total gradient reaching h_t (from its output and, through
//                  h_{t+1}, from later steps): the vanishing-gradient picture
//   window         truncated BPTT: 0 = full; k > 0 = no gradient flows from step t into step t-1 when
//                  t is a multiple of k (windows [0, k), [k, 2k), ...), as rnl_model_backward does
void ex_rnn_bptt(int T, int I, int H, const float *x, const float *W_ih, const float *W_hh, const float *b,
                 const float *dL_dh, float *dW_ih, float *dW_hh, float *db, float *dh_norm, int window);

#endif
