// bugs.c: the common mistakes of exercises 1-6 and 8, each modelled as the reference computation with
// that one mistake. When a student's numbers are wrong, the grader runs these on the same inputs; the
// one that reproduces the student's output exactly names the likely cause. Bug 0 is the reference.
// Limits: only mistakes that give a recognisable pattern are here; the others get a generic hint.
#include <math.h>
#include <string.h>

#include "grade.h"

static rnl_real sig(rnl_real x) { return r_sigmoid(x); }

// --- Forward ------------------------------------------------------------------------------------

enum { RF_NO_HP = 1, RF_SIGMOID, RF_GATES_NOT_WRITTEN, RF_COUNT };
static const char *rnn_fwd_bugs[RF_COUNT] = {
    "reference",
    "the recurrent part is missing: the pre-activation is gates[j] + hp[j] (hp = W_hh h_{t-1} + b_hh)",
    "sigmoid instead of tanh: the vanilla RNN's activation is tanh",
    "h is right, but gates[] still holds the pre-activations: write h_t back into gates[j] (backward reads it there)",
};

enum {
    LF_SWAP_IF = 1, LF_TF_ORDER, LF_SWAP_GO, LF_SIGMOID_G, LF_TANH_GATES, LF_NO_TANH_C, LF_NO_I, LF_NO_F,
    LF_C_SWAPPED, LF_NO_HP, LF_GATES_NOT_WRITTEN, LF_COUNT
};
static const char *lstm_fwd_bugs[LF_COUNT] = {
    "reference",
    "the input and forget gates are swapped: gate order is i, f, g, o (i = [j], f = [H + j])",
    "gates read in the order i, g, f, o (TensorFlow's old LSTMCell); rnnlab and PyTorch use i, f, g, o",
    "g and o are swapped: g (tanh) is block 2, o (sigmoid) is block 3",
    "the candidate g uses sigmoid: it must be tanh (values in (-1, 1), so the cell can also decrease)",
    "i, f and o use tanh: gates are sigmoids (values in (0, 1): how much to let through)",
    "h_t = o * c_t: the tanh is missing, h_t = o * tanh(c_t)",
    "c_t = f * c_{t-1} + g: the input gate must scale the candidate, c_t = f * c_{t-1} + i * g",
    "c_t = c_{t-1} + i * g: the forget gate must scale the old cell, c_t = f * c_{t-1} + i * g",
    "c_t = i * c_{t-1} + f * g: f scales the old cell and i the candidate",
    "the recurrent part is missing: each gate's pre-activation is gates[k] + hp[k]",
    "c and h are right, but gates[] still holds the pre-activations: write i, f, g, o back (backward reads them)",
};

enum {
    GF_OTHER_CONVENTION = 1, GF_NO_ONE_MINUS_Z, GF_NO_RESET, GF_RESET_ALL, GF_RESET_INPUT, GF_SWAP_RZ, GF_SIGMOID_N,
    GF_NO_HP_RZ, GF_HN_SCALED, GF_GATES_NOT_WRITTEN, GF_COUNT
};
static const char *gru_fwd_bugs[GF_COUNT] = {
    "reference",
    "h_t = z * n + (1 - z) * h_{t-1}: that is the other convention; rnnlab and PyTorch use h_t = (1 - z) * n + z * h_{t-1}",
    "the (1 - z) is missing: h_t = (1 - z) * n + z * h_{t-1}",
    "the reset gate is not applied: n = tanh(input part + r * recurrent part)",
    "r scales the whole pre-activation of n: it scales only the recurrent part, n = tanh(a_n + r * hn)",
    "r scales the input part of n: it scales the recurrent part, n = tanh(a_n + r * hn)",
    "r and z are swapped: r is block 0, z is block 1",
    "n uses sigmoid: the candidate is a tanh",
    "the recurrent parts of r and z are missing: r = sigmoid(gates[j] + hp[j]), z = sigmoid(gates[H + j] + hp[H + j])",
    "hn holds r * (W_hn h + b_hn): store hp[2H + j] itself (backward applies r)",
    "h and hn are right, but gates[] still holds the pre-activations: write r, z, n back (backward reads them)",
};

const char *bug_forward(int bug, fwd_io *io) {
    const int H = io->H, G = rnl_cell_gates(io->cell);
    memcpy(io->gates, io->a, sizeof(float) * G * H);
    if (io->cell == RNL_CELL_RNN) {
        if (bug >= RF_COUNT) return NULL;
        for (int j = 0; j < H; j++) {
            rnl_real pre = io->a[j] + (bug == RF_NO_HP ? 0 : io->hp[j]);
            io->h[j] = bug == RF_SIGMOID ? sig(pre) : r_tanh(pre);
            if (bug != RF_GATES_NOT_WRITTEN) io->gates[j] = io->h[j];
        }
        return rnn_fwd_bugs[bug];
    }
    if (io->cell == RNL_CELL_LSTM) {
        if (bug >= LF_COUNT) return NULL;
        int src[4] = {0, 1, 2, 3};  // which block feeds i, f, g, o
        if (bug == LF_SWAP_IF) src[0] = 1, src[1] = 0;
        if (bug == LF_TF_ORDER) src[1] = 2, src[2] = 1;
        if (bug == LF_SWAP_GO) src[2] = 3, src[3] = 2;
        for (int j = 0; j < H; j++) {
            rnl_real pre[4];
            for (int k = 0; k < 4; k++) pre[k] = io->a[src[k] * H + j] + (bug == LF_NO_HP ? 0 : io->hp[src[k] * H + j]);
            rnl_real i = bug == LF_TANH_GATES ? r_tanh(pre[0]) : sig(pre[0]);
            rnl_real f = bug == LF_TANH_GATES ? r_tanh(pre[1]) : sig(pre[1]);
            rnl_real g = bug == LF_SIGMOID_G ? sig(pre[2]) : r_tanh(pre[2]);
            rnl_real o = bug == LF_TANH_GATES ? r_tanh(pre[3]) : sig(pre[3]);
            rnl_real cp = io->c_prev[j];
            rnl_real c = bug == LF_NO_I ? f * cp + g : bug == LF_NO_F ? cp + i * g : bug == LF_C_SWAPPED ? i * cp + f * g : f * cp + i * g;
            io->c[j] = c;
            io->h[j] = bug == LF_NO_TANH_C ? o * c : o * r_tanh(c);
            if (bug != LF_GATES_NOT_WRITTEN) io->gates[j] = i, io->gates[H + j] = f, io->gates[2 * H + j] = g, io->gates[3 * H + j] = o;
        }
        return lstm_fwd_bugs[bug];
    }
    if (bug >= GF_COUNT) return NULL;
    int rs = bug == GF_SWAP_RZ ? 1 : 0, zs = 1 - rs;
    for (int j = 0; j < H; j++) {
        rnl_real rec_rz = bug == GF_NO_HP_RZ ? 0 : 1;
        rnl_real r = sig(io->a[rs * H + j] + rec_rz * io->hp[rs * H + j]);
        rnl_real z = sig(io->a[zs * H + j] + rec_rz * io->hp[zs * H + j]);
        rnl_real an = io->a[2 * H + j], hn = io->hp[2 * H + j];
        rnl_real pre_n = bug == GF_NO_RESET ? an + hn : bug == GF_RESET_ALL ? r * (an + hn) : bug == GF_RESET_INPUT ? r * an + hn : an + r * hn;
        rnl_real n = bug == GF_SIGMOID_N ? sig(pre_n) : r_tanh(pre_n);
        rnl_real hp_ = io->h_prev[j];
        io->h[j] = bug == GF_OTHER_CONVENTION ? z * n + (1 - z) * hp_ : bug == GF_NO_ONE_MINUS_Z ? n + z * hp_ : (1 - z) * n + z * hp_;
        io->hn[j] = bug == GF_HN_SCALED ? r * hn : hn;
        if (bug != GF_GATES_NOT_WRITTEN) io->gates[j] = r, io->gates[H + j] = z, io->gates[2 * H + j] = n;
    }
    return gru_fwd_bugs[bug];
}

// --- Backward -----------------------------------------------------------------------------------

enum { RB_DH_KEPT = 1, RB_ONE_MINUS_H, RB_SIGMOID_DERIV, RB_NO_DERIV, RB_TANH_AGAIN, RB_COUNT };
static const char *rnn_bwd_bugs[RB_COUNT] = {
    "reference",
    ("dh still holds dL/dh_t on the way out: set dh[j] = 0 (h_{t-1} reaches h_t only through W_hh, which the caller adds; "
     "what is left in dh is counted twice)"),
    "tanh's derivative is 1 - h^2, not 1 - h",
    "h * (1 - h) is the sigmoid's derivative; tanh's is 1 - h^2",
    "the derivative of tanh is missing: dg[j] = dh[j] * (1 - h^2)",
    "gates[] already holds h = tanh(pre): the derivative is 1 - h^2, not 1 - tanh(h)^2",
};

enum {
    LB_NO_DC_IN = 1, LB_DC_NOT_TIMES_F, LB_ONE_MINUS_C2, LB_DO_USES_C, LB_DH_KEPT, LB_DF_USES_C, LB_G_SIGMOID_DERIV,
    LB_DC_KEPT, LB_NO_TANH_DERIV, LB_COUNT
};
static const char *lstm_bwd_bugs[LB_COUNT] = {
    "reference",
    "the dc[j] coming in from step t+1 is missing: dL/dc_t = dc[j] + dh[j] * o * (1 - tanh(c_t)^2)",
    "dL/dc_{t-1} = dL/dc_t * f: multiply by the forget gate before writing dc[j]",
    "the derivative of tanh(c_t) is 1 - tanh(c_t)^2, not 1 - c_t^2",
    "dL/do = dh * tanh(c_t), not dh * c_t",
    "dh still holds dL/dh_t on the way out: set dh[j] = 0 (the caller adds the path through W_hh)",
    "dL/df = dL/dc_t * c_{t-1} (the old cell, c_prev), not c_t",
    "g is a tanh: its derivative is 1 - g^2, not g (1 - g)",
    "dc[j] must be overwritten with dL/dc_{t-1} = dL/dc_t * f (it still holds the dc that came in)",
    "dL/dc_t through h_t = o * tanh(c_t) is dh * o * (1 - tanh(c_t)^2): the tanh derivative is missing",
};

enum {
    GB_DH_KEPT = 1, GB_DH_ZERO, GB_DHH_N_NO_R, GB_DZ_SIGN, GB_DN_NO_ONE_MINUS_Z, GB_OTHER_CONVENTION,
    GB_DR_NO_SIGMOID_DERIV, GB_DG_N_TIMES_R, GB_DN_NO_TANH_DERIV, GB_COUNT
};
static const char *gru_bwd_bugs[GB_COUNT] = {
    "reference",
    "dh still holds dL/dh_t on the way out: it must become the direct path dL/dh_{t-1} = dh * z",
    "dh is not zero for a GRU: h_{t-1} also reaches h_t directly (the z * h_{t-1} term), so dh[j] = dh[j] * z",
    "the recurrent part of n was scaled by r in the forward: dhh (block n) = dn * r",
    "dL/dz = dh * (h_{t-1} - n): your sign is flipped",
    "dL/dn = dh * (1 - z): the (1 - z) is missing",
    "this is the backward of the other convention h_t = z * n + (1 - z) * h_{t-1}; rnnlab uses h_t = (1 - z) * n + z * h_{t-1}",
    "r is a sigmoid: multiply dL/dr by r (1 - r)",
    "only the recurrent part of n is scaled by r: dg (block n) = dn, dhh (block n) = dn * r",
    "n is a tanh: the pre-activation of n gets dL/dn * (1 - n^2)",
};

const char *bug_backward(int bug, bwd_io *io) {
    const int H = io->H;
    if (io->cell == RNL_CELL_RNN) {
        if (bug >= RB_COUNT) return NULL;
        for (int j = 0; j < H; j++) {
            rnl_real h = io->gates[j], d;
            switch (bug) {
            case RB_ONE_MINUS_H: d = 1 - h; break;
            case RB_SIGMOID_DERIV: d = h * (1 - h); break;
            case RB_NO_DERIV: d = 1; break;
            case RB_TANH_AGAIN: d = 1 - r_tanh(h) * r_tanh(h); break;
            default: d = 1 - h * h;
            }
            io->dg[j] = io->dhh[j] = io->dh[j] * d;
            if (bug != RB_DH_KEPT) io->dh[j] = 0;
        }
        return rnn_bwd_bugs[bug];
    }
    if (io->cell == RNL_CELL_LSTM) {
        if (bug >= LB_COUNT) return NULL;
        for (int j = 0; j < H; j++) {
            rnl_real i = io->gates[j], f = io->gates[H + j], g = io->gates[2 * H + j], o = io->gates[3 * H + j];
            rnl_real c = io->c[j], tc = r_tanh(c);
            rnl_real dtc = bug == LB_ONE_MINUS_C2 ? 1 - c * c : bug == LB_NO_TANH_DERIV ? 1 : 1 - tc * tc;
            rnl_real dct = (bug == LB_NO_DC_IN ? 0 : io->dc[j]) + io->dh[j] * o * dtc;
            rnl_real dpi = dct * g * i * (1 - i);
            rnl_real dpf = dct * (bug == LB_DF_USES_C ? c : io->c_prev[j]) * f * (1 - f);
            rnl_real dpg = dct * i * (bug == LB_G_SIGMOID_DERIV ? g * (1 - g) : 1 - g * g);
            rnl_real dpo = io->dh[j] * (bug == LB_DO_USES_C ? c : tc) * o * (1 - o);
            io->dg[j] = io->dhh[j] = dpi;
            io->dg[H + j] = io->dhh[H + j] = dpf;
            io->dg[2 * H + j] = io->dhh[2 * H + j] = dpg;
            io->dg[3 * H + j] = io->dhh[3 * H + j] = dpo;
            if (bug != LB_DC_KEPT) io->dc[j] = bug == LB_DC_NOT_TIMES_F ? dct : dct * f;
            if (bug != LB_DH_KEPT) io->dh[j] = 0;
        }
        return lstm_bwd_bugs[bug];
    }
    if (bug >= GB_COUNT) return NULL;
    for (int j = 0; j < H; j++) {
        rnl_real r = io->gates[j], z = io->gates[H + j], n = io->gates[2 * H + j], dh = io->dh[j], hp = io->h_prev[j];
        rnl_real keep = bug == GB_OTHER_CONVENTION ? 1 - z : z;  // weight of h_{t-1} in h_t
        rnl_real dn = dh * (bug == GB_DN_NO_ONE_MINUS_Z ? 1 : 1 - keep);
        rnl_real dz = dh * (bug == GB_DZ_SIGN ? n - hp : hp - n);
        if (bug == GB_OTHER_CONVENTION) dz = -dz;
        rnl_real dpn = dn * (bug == GB_DN_NO_TANH_DERIV ? 1 : 1 - n * n);
        rnl_real dpr = dpn * io->hn[j] * (bug == GB_DR_NO_SIGMOID_DERIV ? 1 : r * (1 - r));
        rnl_real dpz = dz * z * (1 - z);
        io->dg[j] = io->dhh[j] = dpr;
        io->dg[H + j] = io->dhh[H + j] = dpz;
        io->dg[2 * H + j] = bug == GB_DG_N_TIMES_R ? dpn * r : dpn;
        io->dhh[2 * H + j] = bug == GB_DHH_N_NO_R ? dpn : dpn * r;
        if (bug == GB_DH_ZERO) io->dh[j] = 0;
        else if (bug != GB_DH_KEPT) io->dh[j] = dh * keep;
    }
    return gru_bwd_bugs[bug];
}

// --- BPTT (exercise 8), in double ---------------------------------------------------------------

enum {
    BB_NO_TRANSPOSE = 1, BB_NO_TANH_DERIV, BB_DWHH_USES_HT, BB_NORM_BEFORE_ADD, BB_WINDOW_OFF_BY_ONE, BB_WINDOW_FROM_END,
    BB_WINDOW_IGNORED, BB_OVERWRITE, BB_NO_RECURRENT_GRAD, BB_NO_RECURRENCE_FWD, BB_COUNT
};
static const char *bptt_bugs[BB_COUNT] = {
    "reference",
    "into step t-1 the gradient is W_hh^T da (the transpose): you multiplied by W_hh itself",
    "the tanh derivative is missing: da = dh * (1 - h_t^2)",
    "dW_hh += da h_{t-1}^T: the previous state h_{t-1}, not h_t",
    "dh_norm[t] must include dL_dh[t]: add it to dh first, then take the norm",
    "the window cuts one step off: zero dh before step t when (t + 1) % window == 0 (step t+1 starts a window)",
    "windows are counted from the start of the sequence (0, k, 2k, ...), not from its end",
    "the truncation window is ignored: your gradients are those of full BPTT",
    "the gradients must sum the contributions of every step (+=): yours hold one step's only",
    "nothing flows from step t into step t-1: dh = W_hh^T da is missing (that is truncation with a window of 1)",
    "the forward pass must include the recurrence: a_t = W_ih x_t + W_hh h_{t-1} + b",
};

// Forward in double: h (T, H).
static void bptt_forward(const bptt_problem *p, const double *W_ih, const double *W_hh, const double *b, int no_rec, double *h) {
    const int I = p->I, H = p->H;
    for (int t = 0; t < p->T; t++)
        for (int i = 0; i < H; i++) {
            double a = b[i];
            for (int k = 0; k < I; k++) a += W_ih[i * I + k] * p->x[t * I + k];
            if (t > 0 && !no_rec)
                for (int k = 0; k < H; k++) a += W_hh[i * H + k] * h[(t - 1) * H + k];
            h[t * H + i] = tanh(a);
        }
}

static void to_double(const float *src, double *dst, size_t n) {
    for (size_t k = 0; k < n; k++) dst[k] = src[k];
}

double bptt_loss(const bptt_problem *p, const double *W_ih, const double *W_hh, const double *b) {
    double h[64 * 16];  // the grader's problems are at most T = 64, H = 16
    bptt_forward(p, W_ih, W_hh, b, 0, h);
    double L = 0;
    for (int k = 0; k < p->T * p->H; k++) L += p->dL_dh[k] * h[k];
    return L;
}

const char *bug_bptt(int bug, const bptt_problem *p, double *dW_ih, double *dW_hh, double *db, double *dh_norm) {
    if (bug >= BB_COUNT) return NULL;
    const int T = p->T, I = p->I, H = p->H, w = p->window;
    double Wi[16 * 16], Wh[16 * 16], bb[16], h[64 * 16], dh[16], da[16];
    to_double(p->W_ih, Wi, (size_t)H * I);
    to_double(p->W_hh, Wh, (size_t)H * H);
    to_double(p->b, bb, (size_t)H);
    bptt_forward(p, Wi, Wh, bb, bug == BB_NO_RECURRENCE_FWD, h);
    memset(dW_ih, 0, sizeof(double) * H * I);
    memset(dW_hh, 0, sizeof(double) * H * H);
    memset(db, 0, sizeof(double) * H);
    memset(dh, 0, sizeof dh);
    for (int t = T - 1; t >= 0; t--) {
        int cut = w > 0 && t + 1 < T && (t + 1) % w == 0;
        if (bug == BB_WINDOW_OFF_BY_ONE) cut = w > 0 && t + 1 < T && t % w == 0;
        if (bug == BB_WINDOW_FROM_END) cut = w > 0 && t + 1 < T && (T - 1 - t) % w == 0;
        if (bug == BB_WINDOW_IGNORED) cut = 0;
        if (cut) memset(dh, 0, sizeof dh);
        double n2 = 0;
        for (int i = 0; i < H; i++) {
            if (bug == BB_NORM_BEFORE_ADD) n2 += dh[i] * dh[i];
            dh[i] += p->dL_dh[t * H + i];
            if (bug != BB_NORM_BEFORE_ADD) n2 += dh[i] * dh[i];
        }
        dh_norm[t] = sqrt(n2);
        for (int i = 0; i < H; i++) {
            double ht = h[t * H + i];
            da[i] = dh[i] * (bug == BB_NO_TANH_DERIV ? 1 : 1 - ht * ht);
        }
        const double *hsrc = bug == BB_DWHH_USES_HT ? h + t * H : t > 0 ? h + (t - 1) * H : NULL;
        for (int i = 0; i < H; i++) {
            if (bug == BB_OVERWRITE) {
                db[i] = 0;
                for (int k = 0; k < I; k++) dW_ih[i * I + k] = 0;
                if (hsrc)
                    for (int k = 0; k < H; k++) dW_hh[i * H + k] = 0;
            }
            db[i] += da[i];
            for (int k = 0; k < I; k++) dW_ih[i * I + k] += da[i] * p->x[t * I + k];
            if (hsrc)
                for (int k = 0; k < H; k++) dW_hh[i * H + k] += da[i] * hsrc[k];
        }
        for (int k = 0; k < H; k++) {
            double s = 0;
            for (int i = 0; i < H; i++) s += (bug == BB_NO_TRANSPOSE ? Wh[k * H + i] : Wh[i * H + k]) * da[i];
            dh[k] = bug == BB_NO_RECURRENT_GRAD ? 0 : s;
        }
    }
    return bptt_bugs[bug];
}
