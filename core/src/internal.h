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
    const rnl_real *h0, *c0;  // (B, H) initial state (c0: the LSTM's), sorted order; NULL: zeros
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
// The same, for a layer started from an initial state (L->h0, L->c0): dc_last (B, H), if non-NULL, is
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

// model.c: parameter initialisation, shared with seq2seq.c. Uniform in [-limit, limit]; one recurrent
// block: Glorot uniform W_ih, orthogonal W_hh gate blocks, the LSTM's forget-gate bias (0: out of memory).
void rnl_init_uniform(rnl_real *w, size_t n, double limit, rnl_rng *r);
int rnl_init_recurrent(rnl_real *p, size_t w_ih, size_t w_hh, size_t b_ih, rnl_cell cell, int in, int H,
                       float forget_bias, rnl_rng *rng);

// optim.c: the optimizer's state block size for a config.
size_t rnl_optim_state_count(rnl_optim kind, size_t n_params);

// --- Activations (activations.c): vectorisable sigmoid and tanh ------------------------------------
// Branch-free float approximations of sigmoid and tanh (within 3 ulp of the exact values over the normal
// range, as libm's tanhf is within 2; NaN in, NaN out; +-Inf saturate; tests/c/test_activations.c).
// r_sigmoid and r_tanh are these in the float core: in WebAssembly (inline, without calls or branches,
// they cost a fraction of musl's expm1f/tanhf/expf, which took a fifth of the training time) and in the
// native build when it defines RNL_FAST_ACTIVATIONS (CMakeLists.txt does, with GCC and clang, together
// with the flag that lets cell_math.c's loops vectorise: vectorised, they beat glibc's calls; scalar,
// they do not). The double build (gradient checks) keeps the exact libm functions. docs/performance.md
// has the measurements. activations.c applies the same math to arrays: a scalar reference (these inline
// functions) and SIMD variants (SSE2, AVX2, AVX-512, wasm_simd128) listed in rnl_act_list, for the tests
// and the benchmarks.
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

#ifndef RNL_DOUBLE
// Bits of a float, and back (the compilers turn these into register moves, also when vectorising).
static inline int rnl_f2i_bits(float f) { union { float f; int i; } u = {f}; return u.i; }
static inline float rnl_i2f_bits(int i) { union { int i; float f; } u = {i}; return u.f; }
// c ? a : b, branch-free. GCC (with its default -ftrapping-math) turns a float ?: followed by arithmetic
// into a branch, which stops vectorisation: there, a bit blend through integer masks; clang selects.
static inline float rnl_sel_f(int c, float a, float b) {
#if defined(__clang__)
    return c ? a : b;
#else
    int m = -c;
    return rnl_i2f_bits((rnl_f2i_bits(a) & m) | (rnl_f2i_bits(b) & ~m));
#endif
}

// 2^k from kt = k + 1.5 * 2^23 (whose low bits hold k): k + 127 in the exponent field. Unsigned, so that
// the garbage bits of a NaN kt wrap instead of overflowing a signed shift (the result is NaN anyway).
static inline float rnl_pow2_bits(float kt) {
    return rnl_i2f_bits((int)(((unsigned)rnl_f2i_bits(kt) - 0x4B400000u + 127u) << 23));
}

// e^x for x in [-87, 88] (clamped outside): x = k ln2 + r, |r| <= ln2/2, Cephes' degree-7 polynomial
// for e^r, times 2^k built in the exponent bits. k is rounded by adding 1.5 * 2^23 (SSE2 has no vector
// round), whose low bits then hold k: no float-to-int conversion (undefined for NaN). ln2 is split in
// two (Cody-Waite) so r is exact enough. The clamps keep NaN, and a NaN r makes the result NaN.
static inline float rnl_expf_approx(float x) {
    x = rnl_sel_f(x < -87.0f, -87.0f, x);
    x = rnl_sel_f(x > 88.0f, 88.0f, x);
    float kt = x * 1.44269504088896341f + 12582912.0f, kf = kt - 12582912.0f;
    float r = x - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    return p * rnl_pow2_bits(kt);
}

static inline float rnl_sigmoidf_approx(float x) { return 1.0f / (1.0f + rnl_expf_approx(-x)); }

// tanh|x| = -t / (t + 2), t = e^(-2|x|) - 1 in (-1, 0]: no cancellation anywhere. t = 2^k (e^r - 1) +
// (2^k - 1) with e^r - 1 by its Taylor series to r^8 (|r| <= ln2/2), exact for tiny x. The sign of x
// is copied in the bits (tanh(-0) = -0). Clamp and k as in rnl_expf_approx.
static inline float rnl_tanhf_approx(float x) {
    float u = -2.0f * rnl_i2f_bits(rnl_f2i_bits(x) & 0x7fffffff);
    u = rnl_sel_f(u < -20.0f, -20.0f, u);  // tanh(10) is 1 in float
    float kt = u * 1.44269504088896341f + 12582912.0f, kf = kt - 12582912.0f;
    float r = u - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    float p = 1.0f / 40320;
    p = p * r + 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * (r * r) + r;
    float s = rnl_pow2_bits(kt);
    float t = s * p + (s - 1.0f);
    float y = (0.0f - t) / (t + 2.0f);
    return rnl_i2f_bits(rnl_f2i_bits(y) | (rnl_f2i_bits(x) & (int)0x80000000u));
}

#if defined(__wasm__) || defined(RNL_FAST_ACTIVATIONS)
#undef r_tanh
#define r_tanh rnl_tanhf_approx
#define r_sigmoid rnl_sigmoidf_approx
#endif
#endif

#endif
