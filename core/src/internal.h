// internal.h: what the core's files share but the public API does not show: math in the precision of
// the build, the model's insides, and the recurrent-layer kernels (cells.c).
#ifndef RNNLAB_INTERNAL_H
#define RNNLAB_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include "rnnlab.h"

#ifdef RNL_DOUBLE
#define r_exp exp
#define r_tanh tanh
#define r_log log
#define r_log1p log1p
#define r_sqrt sqrt
#define r_fabs fabs
#else
#define r_exp expf
#define r_tanh tanhf
#define r_log logf
#define r_log1p log1pf
#define r_sqrt sqrtf
#define r_fabs fabsf
#endif

static inline rnl_real r_sigmoid(rnl_real x) {
    // Both branches avoid exp overflow for large |x|.
    if (x >= 0) return 1 / (1 + r_exp(-x));
    rnl_real e = r_exp(x);
    return e / (1 + e);
}

#define RNL_MAX_TENSORS (1 + RNL_MAX_LAYERS * 2 * 4 + 2)

// One direction of one recurrent layer: where its weights live and what it reads and writes.
// Batches inside the core are time-major and sorted by length, longest first, so at any step the
// sequences still running are rows 0..nb-1 (nb = number of lengths > step).
typedef struct {
    rnl_cell cell;
    int H, in, B, T;
    int reverse;              // 1: runs from each sequence's last real step back to t = 0
    const int *len;           // (B) sorted, descending
    const rnl_real *W_ih;     // (G*H, in)
    const rnl_real *W_hh;     // (G*H, H)
    const rnl_real *b_ih;     // (G*H)
    const rnl_real *b_hh;     // (G*H)
} rnl_layer_desc;

// Caches of one layer direction, all time-indexed (T, B, ...) in sorted batch order.
typedef struct {
    rnl_real *gates;  // (T, B, G*H) post-activation gates
    rnl_real *aux;    // (T, B, H) LSTM: cell state c_t; GRU: W_hn h_{t-1} + b_hn; RNN: unused
    rnl_real *h;      // (T, B, ldh) hidden state output, this direction's H columns
    int ldh;
} rnl_layer_cache;

// Scratch shared by all layers: hprev, dh, dc (B, H); hp, dhh (B, G*H); dg (T, B, G*H).
typedef struct {
    rnl_real *hprev, *cprev, *hp, *dh, *dc, *dhh, *dg;
} rnl_layer_scratch;

// cell_math.c: one step of each cell for one row, and clipping (the parts exercises/ has students write).
void rnl_rnn_cell_forward(int H, rnl_real *gates, const rnl_real *hp, rnl_real *h);
void rnl_lstm_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *c_prev, rnl_real *c, rnl_real *h);
void rnl_gru_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *h_prev, rnl_real *hn, rnl_real *h);
void rnl_rnn_cell_backward(int H, const rnl_real *gates, rnl_real *dh, rnl_real *dg, rnl_real *dhh);
void rnl_lstm_cell_backward(int H, const rnl_real *gates, const rnl_real *c, const rnl_real *c_prev, rnl_real *dh,
                            rnl_real *dc, rnl_real *dg, rnl_real *dhh);
void rnl_gru_cell_backward(int H, const rnl_real *gates, const rnl_real *hn, const rnl_real *h_prev, rnl_real *dh,
                           rnl_real *dg, rnl_real *dhh);
double rnl_clip_grad_norm(rnl_real *g, size_t n, double max_norm);

// cells.c
void rnl_layer_forward(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s,
                       const rnl_real *x, int ldx);
// dh_out: (T, B, ldh) gradient on this direction's outputs; accumulates into dW_ih..db_hh and dx.
// grad_norm2 (T), if non-NULL, receives the sum over the batch of ||dL/dh_t||^2 at each time t.
void rnl_layer_backward(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                        const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                        rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                        int bptt_window, double *grad_norm2);

// Number of sequences in a sorted batch that are still running at step t.
static inline int rnl_active_rows(const int *len, int B, int t) {
    int nb = B;
    while (nb > 0 && len[nb - 1] <= t) nb--;
    return nb;
}

// model.c: the parameter layout, shared with checkpoint.c; the last forward's accuracy (train.c).
double rnl_model_last_accuracy(const rnl_model *m);
size_t rnl_config_num_params(const rnl_config *cfg);
// Overflow-checked size arithmetic: returns 0 and sets *ok = 0 on overflow.
static inline size_t rnl_mul_size(size_t a, size_t b, int *ok) {
    if (a != 0 && b > SIZE_MAX / a) { *ok = 0; return 0; }
    return a * b;
}
static inline size_t rnl_add_size(size_t a, size_t b, int *ok) {
    if (b > SIZE_MAX - a) { *ok = 0; return 0; }
    return a + b;
}

// optim.c: the optimizer's state block size for a config.
size_t rnl_optim_state_count(rnl_optim kind, size_t n_params);

#endif
