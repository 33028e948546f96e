// internal.h: what the core's files share but the public API does not show: the model's insides, the
// recurrent-layer kernels (cells.c) beyond what the exercises see, and the array activations. The cell
// math, the layer description, rnl_layer_forward/backward and the math in the precision of the build
// (r_tanh, r_sigmoid, ...) are declared once, in rnnlab_cell_math.h, which the exercises include instead.
#ifndef RNNLAB_INTERNAL_H
#define RNNLAB_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include "rnnlab.h"
#include "rnnlab_cell_math.h"

#define RNL_MAX_TENSORS (1 + RNL_MAX_LAYERS * 2 * 4 + 2)

// cells.c, beyond rnl_layer_forward/backward (rnnlab_cell_math.h): the seq2seq model's entry points.
// rnl_layer_backward for a layer started from an initial state (L->h0, L->c0): dc_last (B, H), if non-NULL, is
// dL/dc at each row's final step (an LSTM's cell state handed on); dh0, dc0 (B, H), if non-NULL,
// receive (+=) dL/dh0 and dL/dc0.
void rnl_layer_backward_state(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                              const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                              rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                              int bptt_window, double *grad_norm2, const rnl_real *dc_last, rnl_real *dh0,
                              rnl_real *dc0);
// One step st of rnl_layer_forward (its input projection and recurrence), for a decoder that feeds its
// outputs back: the steps must run in order 0, 1, ...
void rnl_layer_forward_step(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s, const rnl_real *x,
                            int ldx, int st);

// Number of sequences in a sorted batch that are still running at step t.
static inline int rnl_active_rows(const int *len, int B, int t) {
    int nb = B;
    while (nb > 0 && len[nb - 1] <= t) nb--;
    return nb;
}

// model.c: the parameter count of a configuration, shared with checkpoint.c and memory.c.
// The parameter count in 64 bits (UINT64_MAX: beyond even that), and as a size_t (0 if it does not fit).
uint64_t rnl_config_num_params64(const rnl_config *cfg);
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
// The same in 64 bits in every build, for parameter counts: in WebAssembly size_t is 32 bits, and a count
// that wrapped there could pass the parameter limit and under-allocate.
static inline uint64_t rnl_mul_u64(uint64_t a, uint64_t b, int *ok) {
    if (a != 0 && b > UINT64_MAX / a) { *ok = 0; return 0; }
    return a * b;
}
static inline uint64_t rnl_add_u64(uint64_t a, uint64_t b, int *ok) {
    if (b > UINT64_MAX - a) { *ok = 0; return 0; }
    return a + b;
}
// config.c: a configuration field against its limit (rnnlab.h's table); the message starts "config: ".
rnl_status rnl_config_check_field(const char *name, double v);

// model.c: what every model over an rnl_batch shares (model.c, transformer.c). rnl_batch_check: the
// batch's shape, lengths, token ids and targets against c (its vocab, head, outputs, seq2seq), with a message
// naming the sequence and step. rnl_head_loss: the loss of one output row (logits z of width c->outputs)
// against target y (NULL: none): the prediction into pred, dL/dz (unscaled) into dz if non-NULL, and
// *correct for classification heads; the caller divides the sum by the item count.
rnl_status rnl_batch_check(const rnl_config *c, const rnl_batch *b, int need_targets);
double rnl_head_loss(const rnl_config *c, const rnl_real *z, const rnl_real *y, rnl_real *dz, rnl_real *pred, int *correct);
// dropout.c: x[j] *= rnl_dropout_mask's value (rnnlab.h) for j < n, in place: the forward's dropout, and
// also its backward (the same mask multiplies the gradient).
void rnl_dropout_apply(rnl_real *x, int n, float p, uint64_t step, int site, int row, int t);

// model.c: parameter initialisation, shared with seq2seq.c. Uniform in [-limit, limit]; one recurrent
// block: Glorot uniform W_ih, orthogonal W_hh gate blocks, the LSTM's forget-gate bias (0: out of memory).
void rnl_init_uniform(rnl_real *w, size_t n, double limit, rnl_rng *r);
int rnl_init_recurrent(rnl_real *p, size_t w_ih, size_t w_hh, size_t b_ih, rnl_cell cell, int in, int H,
                       float forget_bias, rnl_rng *rng);

// optim.c: the optimizer's state block size for a config.
size_t rnl_optim_state_count(rnl_optim kind, size_t n_params);

// --- Activations (activations.c): vectorisable sigmoid and tanh ------------------------------------
// Branch-free float approximations of sigmoid and tanh (rnl_sigmoidf_approx, rnl_tanhf_approx, inline
// in rnnlab_cell_math.h: within 3 ulp of the exact values over the normal range, as libm's tanhf is
// within 2; NaN in, NaN out; +-Inf saturate; tests/c/test_activations.c). r_sigmoid and r_tanh are these
// in the float core: in WebAssembly (inline, without calls or branches, they cost a fraction of musl's
// expm1f/tanhf/expf, which took a fifth of the training time) and in the native build when it defines
// RNL_FAST_ACTIVATIONS (CMakeLists.txt does, with GCC and clang, together with the flag that lets
// cell_math.c's loops vectorise: vectorised, they beat glibc's calls; scalar, they do not). The double
// build (gradient checks) keeps the exact libm functions. docs/performance.md has the measurements.
// activations.c applies the same math to arrays: a scalar reference (these inline functions) and SIMD
// variants (SSE2, AVX2, AVX-512, wasm_simd128) listed in rnl_act_list, for the tests and the benchmarks.
typedef void (*rnl_act_fn)(int n, const rnl_real *x, rnl_real *y);  // y[i] = f(x[i]); x == y allowed
typedef struct {
    const char *name;        // "scalar", "sse2", "avx2", "avx512", "wasmsimd"
    rnl_act_fn sigmoid, tanh;
    int (*available)(void);  // 1 if this CPU can run it
} rnl_act_set;
// Every variant built into this binary, the scalar reference first.
const rnl_act_set *rnl_act_list(int *count);
void rnl_sigmoid_scalar(int n, const rnl_real *x, rnl_real *y);
void rnl_tanh_scalar(int n, const rnl_real *x, rnl_real *y);

#endif
