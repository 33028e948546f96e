// rnnlab_cell_math.h: one time step of each recurrent cell for one sequence (one row), forward and
// backward, and global-norm gradient clipping: the part of rnnlab that exercises/ has students write
// (exercises/starter/cell_math.c), with the math functions it may use and the recurrent layer that
// calls it. core/src/cell_math.c is the reference and includes nothing else; a build can put a
// student's cell_math.c in its place (exercises/CMakeLists.txt, web/wasm.cmake's RNL_CELL_MATH).
//
// A worked example, one LSTM step with H = 2 units (G = 4 gates in PyTorch's order i, f, g, o; a buffer
// of G*H values holds gate 0 for units 0..H-1, then gate 1, ...: unit j of gate k is at k*H + j):
//
//     rnl_real gates[8];      // in: W_ih x_t + b_ih;  out: i, f, g, o after their activations
//     rnl_real hp[8];         // W_hh h_{t-1} + b_hh
//     rnl_real c_prev[2], c[2], h[2];
//     rnl_lstm_cell_forward(2, gates, hp, c_prev, c, h);           // c = c_t, h = h_t
//     rnl_real dh[2], dc[2];  // in: dL/dh_t (output and step t+1), dL/dc_t (step t+1)
//     rnl_real dg[8], dhh[8];
//     rnl_lstm_cell_backward(2, gates, c, c_prev, dh, dc, dg, dhh);
//     // dg = dL/d(W_ih x_t + b_ih), dhh = dL/d(W_hh h_{t-1} + b_hh), dc = dL/dc_{t-1}, dh = 0: the caller
//     // (rnl_layer_backward) adds dhh . W_hh into dL/dh_{t-1} and dg, dhh into the weight gradients.
//
// The matrix products, the loop over time and the batch's variable lengths are rnl_layer_forward/backward's
// (core/src/cells.c). Equations: docs/model.md.
#ifndef RNNLAB_CELL_MATH_H
#define RNNLAB_CELL_MATH_H

#include <math.h>
#include <stddef.h>

#include "rnnlab.h"  // rnl_real (float; double under RNL_DOUBLE), rnl_cell

#ifdef __cplusplus
extern "C" {
#endif

// --- One step of each cell (cell_math.c) -------------------------------------------------------
// Forward: gates (G*H): in: W_ih x_t + b_ih; out: the post-activation gates (backward reads them).
// hp (G*H): W_hh h_{t-1} + b_hh. h (H): out: h_t.
void rnl_rnn_cell_forward(int H, rnl_real *gates, const rnl_real *hp, rnl_real *h);
// c_prev (H): c_{t-1}; c (H): out: c_t.
void rnl_lstm_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *c_prev, rnl_real *c, rnl_real *h);
// h_prev (H): h_{t-1}; hn (H): out: W_hn h_{t-1} + b_hn, the third block of hp (the reset gate multiplies it).
void rnl_gru_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *h_prev, rnl_real *hn, rnl_real *h);

// Backward: dh (H): in: dL/dh_t (from the output and from step t+1); out: the part of dL/dh_{t-1} that
// does not go through W_hh (0 for the RNN and the LSTM; z * dL/dh_t for the GRU). dg (G*H): out:
// dL/d(W_ih x_t + b_ih). dhh (G*H): out: dL/d(W_hh h_{t-1} + b_hh). gates, c, hn: what forward left.
void rnl_rnn_cell_backward(int H, const rnl_real *gates, rnl_real *dh, rnl_real *dg, rnl_real *dhh);
// dc (H): in: dL/dc_t from step t+1; out: dL/dc_{t-1}.
void rnl_lstm_cell_backward(int H, const rnl_real *gates, const rnl_real *c, const rnl_real *c_prev, rnl_real *dh,
                            rnl_real *dc, rnl_real *dg, rnl_real *dhh);
void rnl_gru_cell_backward(int H, const rnl_real *gates, const rnl_real *hn, const rnl_real *h_prev, rnl_real *dh,
                           rnl_real *dg, rnl_real *dhh);

// Scales g (n) so that its global L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_, with its
// 1e-6 guard); returns the norm before clipping. The optimizer calls it on the whole gradient block.
double rnl_clip_grad_norm(rnl_real *g, size_t n, double max_norm);

// --- The recurrent layer that calls them (cells.c) ----------------------------------------------
// One direction of one recurrent layer: where its weights live and what it reads and writes. Batches
// inside the core are time-major and sorted by length, longest first, so at any step the sequences
// still running are rows 0..nb-1 (nb = number of lengths > step). Build these with designated
// initialisers (.cell = ..., .H = ...): fields may be added or reordered, and GCC warns at a positional
// initialiser of these three structs (RNL_DESIGNATED_INIT).
#if defined(__GNUC__) && !defined(__clang__)
#define RNL_DESIGNATED_INIT __attribute__((designated_init))
#else
#define RNL_DESIGNATED_INIT
#endif
typedef struct RNL_DESIGNATED_INIT {
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
typedef struct RNL_DESIGNATED_INIT {
    rnl_real *gates;  // (T, B, G*H) post-activation gates
    rnl_real *aux;    // (T, B, H) LSTM: cell state c_t; GRU: W_hn h_{t-1} + b_hn; RNN: unused
    rnl_real *h;      // (T, B, ldh) hidden state output, this direction's H columns
    int ldh;
} rnl_layer_cache;

// Scratch shared by all layers: hprev, cprev, dh, dc (B, H); hp, dhh (B, G*H); dg (T, B, G*H).
typedef struct RNL_DESIGNATED_INIT {
    rnl_real *hprev, *cprev, *hp, *dh, *dc, *dhh, *dg;
} rnl_layer_scratch;

// x (T, B, ldx) time-major, sorted batch order: the layer's input.
void rnl_layer_forward(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s,
                       const rnl_real *x, int ldx);
// dh_out: (T, B, ldd) gradient on this direction's outputs; accumulates into dW_ih..db_hh and dx (if
// non-NULL). bptt_window: 0 = full BPTT; k > 0 = truncated in windows of k steps. grad_norm2 (T), if
// non-NULL, receives the sum over the batch of ||dL/dh_t||^2 at each time t.
void rnl_layer_backward(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                        const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                        rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                        int bptt_window, double *grad_norm2);

// --- Math in the precision of the build, for the cells ------------------------------------------
// r_sigmoid(x) = 1 / (1 + e^-x) without overflow, r_tanh, r_exp, r_sqrt, r_fabs (and r_log, r_log1p
// for the losses): float functions in the float build, double ones under RNL_DOUBLE (the gradient
// checks). In WebAssembly, and natively when the build defines RNL_FAST_ACTIVATIONS, r_sigmoid and
// r_tanh are the branch-free approximations below: inline and without calls, so cell_math.c's loops
// vectorise (core/src/internal.h has the array versions, docs/performance.md the measurements). They
// sit here, in full, so that a student's cell_math.c computes exactly what the reference does.
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

#ifndef RNL_DOUBLE
// Branch-free float sigmoid and tanh, within 3 ulp of the exact values over the normal range (libm's
// tanhf is within 2); NaN in, NaN out; +-Inf saturate (tests/c/test_activations.c).

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

#ifdef __cplusplus
}
#endif

#endif
