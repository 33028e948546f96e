// ex_attention.c: exercises 9 and 10, multi-head scaled dot-product attention of one sequence
// (rnl_attention_forward/backward, attention_math.c). For each function:
//   (a) against the reference (core/src/attention_math.c renamed ref_) for shapes from one position and
//       one head up to L = 33 with 8 heads, and scores of several hundred (an exp that is not shifted by
//       the row's maximum overflows); the rows past L of qkv (and dctx) hold NaN, as the next
//       sequence's rows would in the core, so a loop that runs past L shows;
//   (b) backward only: finite differences of a forward (the student's once exercise 9 passes);
//   (c) inside the core: a Transformer encoder (2 layers, 2 heads, a batch of 3 sequences of lengths 3,
//       6 and 1) built on the student's functions against the same encoder on the reference (transformer.c
//       renamed ref_tf_): every attention weight, the predictions; for the backward, once the forward
//       passes (the core's Transformer runs both), every gradient, then training on the adding problem.
// A mismatch names the buffer, the head, the query and key (or position and column), expected and got,
// and a likely cause when one of the mistakes below reproduces the student's numbers.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

#define ATT_ATOL 2e-5
#define ATT_RTOL 2e-4
#define FD_EPS 4e-3
#define FD_ATOL 5e-4
#define FD_RTOL 5e-3
#define EXTRA_ROWS 2  // NaN rows after the sequence's L rows of qkv and dctx

typedef struct {
    int L, D, heads;
    double scale;  // |q|, |k| of the random inputs: 12 gives scores of several hundred
    const char *note;
} att_case;

static const att_case CASES[] = {
    {1, 1, 1, 1, ""}, {2, 2, 1, 1, ""}, {3, 4, 2, 1, ""}, {5, 6, 3, 1, ""}, {7, 8, 2, 1, ""},
    {17, 16, 4, 1, ""}, {33, 16, 8, 1, ""}, {6, 8, 2, 12, ", scores of several hundred"},
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

static void case_desc(char *s, size_t cap, const att_case *c) {
    snprintf(s, cap, "L = %d, D = %d, heads = %d (dk = %d)%s", c->L, c->D, c->heads, c->D / c->heads, c->note);
}

// --- One call, with its inputs and guarded outputs --------------------------------------------------

typedef struct {
    att_case c;
    float *qkv, *dctx;  // (L + EXTRA_ROWS, 3D), (L + EXTRA_ROWS, D): the extra rows are NaN
    gbuf ctx, att;      // forward outputs
    float *att_in;      // backward input: the reference forward's weights (heads, L, L)
    float *dqkv0;       // what dqkv holds before backward (nonzero: backward must add)
    gbuf dqkv, ds;      // backward outputs
} att_io;

static void io_new(att_io *io, const att_case *c, rnl_rng *r) {
    memset(io, 0, sizeof *io);
    io->c = *c;
    const size_t L = (size_t)c->L, D = (size_t)c->D, H = (size_t)c->heads;
    io->qkv = malloc(sizeof(float) * (L + EXTRA_ROWS) * 3 * D);
    io->dctx = malloc(sizeof(float) * (L + EXTRA_ROWS) * D);
    rnd_normal(r, io->qkv, L * 3 * D, 1);
    for (size_t k = 0; k < L * 3 * D; k++)
        if (k % (3 * D) < 2 * D) io->qkv[k] *= (float)c->scale;  // q and k
    rnd_normal(r, io->dctx, L * D, 1);
    for (size_t k = L * 3 * D; k < (L + EXTRA_ROWS) * 3 * D; k++) io->qkv[k] = NAN;
    for (size_t k = L * D; k < (L + EXTRA_ROWS) * D; k++) io->dctx[k] = NAN;
    io->ctx = gb_new(L * D, GR_UNWRITTEN);
    io->att = gb_new(H * L * L, GR_UNWRITTEN);
    io->att_in = malloc(sizeof(float) * H * L * L);
    io->dqkv0 = malloc(sizeof(float) * L * 3 * D);
    rnd_normal(r, io->dqkv0, L * 3 * D, 0.5);
    io->dqkv = gb_new(L * 3 * D, 0);
    io->ds = gb_new(L * L, 0);
    // The weights the backward reads: the reference's, so exercise 10 does not depend on exercise 9.
    gbuf ctx = gb_new(L * D, 0);
    ref_attention_forward(ctx.p, io->att_in, io->qkv, c->L, c->D, c->heads);
    gb_free(&ctx);
}

static void io_free(att_io *io) {
    free(io->qkv), free(io->dctx), free(io->att_in), free(io->dqkv0);
    gb_free(&io->ctx), gb_free(&io->att), gb_free(&io->dqkv), gb_free(&io->ds);
}

typedef void (*fwd_fn)(rnl_real *, rnl_real *, const rnl_real *, int, int, int);
typedef void (*bwd_fn)(rnl_real *, rnl_real *, const rnl_real *, const rnl_real *, const rnl_real *, int, int, int);

static void run_forward(fwd_fn f, att_io *io) {
    for (size_t k = 0; k < io->ctx.n; k++) io->ctx.p[k] = GR_UNWRITTEN;
    for (size_t k = 0; k < io->att.n; k++) io->att.p[k] = GR_UNWRITTEN;
    f(io->ctx.p, io->att.p, io->qkv, io->c.L, io->c.D, io->c.heads);
}

static void run_backward(bwd_fn f, att_io *io) {
    memcpy(io->dqkv.p, io->dqkv0, sizeof(float) * io->dqkv.n);
    f(io->dqkv.p, io->ds.p, io->dctx, io->att_in, io->qkv, io->c.L, io->c.D, io->c.heads);
}

// --- Known mistakes, in double ----------------------------------------------------------------------

enum { F_OK, F_SQRT_D, F_NO_SCALE, F_DIV_DK, F_COLUMNS, F_CTX_T, F_LAST };
static const char *const FWD_BUGS[F_LAST] = {
    [F_SQRT_D] = "the scores are divided by sqrt(D), the model's width; divide by sqrt(dk), one head's width (dk = D / heads)",
    [F_NO_SCALE] = "the scores are not scaled: s = (q . k) / sqrt(dk)",
    [F_DIV_DK] = "the scores are divided by dk; divide by sqrt(dk)",
    [F_COLUMNS] = "the softmax normalises each column (over the queries); it normalises each row: for query i, over the keys j",
    [F_CTX_T] = "the context uses the weights transposed: ctx_i = sum_j att[i][j] v_j (query i's row), not att[j][i]",
};

// ctx (L, D), att (heads, L, L) of the forward with mistake `bug`, in double.
static void forward_variant(int bug, const att_case *c, const float *qkv, double *ctx, double *att) {
    const int L = c->L, D = c->D, dk = D / c->heads, ld = 3 * D;
    double scale = bug == F_SQRT_D ? 1 / sqrt((double)D) : bug == F_NO_SCALE ? 1 : bug == F_DIV_DK ? 1.0 / dk : 1 / sqrt((double)dk);
    for (int h = 0; h < c->heads; h++) {
        double *a = att + (size_t)h * L * L;
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++) {
                double s = 0;
                for (int e = 0; e < dk; e++) s += (double)qkv[i * ld + h * dk + e] * qkv[j * ld + D + h * dk + e];
                a[i * L + j] = s * scale;
            }
        for (int i = 0; i < L; i++) {  // softmax over a row (or a column)
            double mx = -INFINITY, sum = 0;
            int col = bug == F_COLUMNS;
            for (int j = 0; j < L; j++) mx = fmax(mx, col ? a[j * L + i] : a[i * L + j]);
            for (int j = 0; j < L; j++) sum += exp((col ? a[j * L + i] : a[i * L + j]) - mx);
            for (int j = 0; j < L; j++) {
                double *x = col ? &a[j * L + i] : &a[i * L + j];
                *x = exp(*x - mx) / sum;
            }
        }
        for (int i = 0; i < L; i++)
            for (int e = 0; e < dk; e++) {
                double s = 0;
                for (int j = 0; j < L; j++) s += (bug == F_CTX_T ? a[j * L + i] : a[i * L + j]) * qkv[j * ld + 2 * D + h * dk + e];
                ctx[i * D + h * dk + e] = s;
            }
    }
}

enum { B_OK, B_OVERWRITE, B_NO_SCALE, B_SQRT_D, B_NO_ROWSUM, B_DK_NOT_T, B_DV_NOT_T, B_LAST };
static const char *const BWD_BUGS[B_LAST] = {
    [B_OVERWRITE] = "dqkv is overwritten; add (+=) into it: it held values before the call, and they must stay",
    [B_NO_SCALE] = "dq and dk miss the forward's 1/sqrt(dk): the scores were scaled, so their gradient is too",
    [B_SQRT_D] = "dq and dk are scaled by 1/sqrt(D); the forward scaled by 1/sqrt(dk), one head's width",
    [B_NO_ROWSUM] = "the softmax backward is P o dP; it is dS = P o (dP - rowsum(dP o P)): every weight of a row depends "
                    "on every score of that row",
    [B_DK_NOT_T] = "dk is not transposed: key j gets sum over the queries i of dS[i][j] q_i (a column of dS), not a row",
    [B_DV_NOT_T] = "dv is not transposed: value j gets sum over the queries i of P[i][j] dctx_i (a column of P), not a row",
};

// dqkv (L, 3D) after the backward with mistake `bug` (starting from io->dqkv0), in double.
static void backward_variant(int bug, const att_io *io, double *dqkv) {
    const att_case *c = &io->c;
    const int L = c->L, D = c->D, dk = D / c->heads, ld = 3 * D;
    const float *qkv = io->qkv, *dctx = io->dctx;
    double scale = bug == B_NO_SCALE ? 1 : bug == B_SQRT_D ? 1 / sqrt((double)D) : 1 / sqrt((double)dk);
    for (int k = 0; k < L * ld; k++) dqkv[k] = bug == B_OVERWRITE ? 0 : io->dqkv0[k];
    double *dS = malloc(sizeof(double) * L * L);
    for (int h = 0; h < c->heads; h++) {
        const float *P = io->att_in + (size_t)h * L * L;
        const int q = h * dk, kk = D + h * dk, v = 2 * D + h * dk, o = h * dk;
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++) {
                double dp = 0;
                for (int e = 0; e < dk; e++) {
                    double p = bug == B_DV_NOT_T ? P[j * L + i] : P[i * L + j];
                    dqkv[j * ld + v + e] += p * dctx[i * D + o + e];
                    dp += (double)dctx[i * D + o + e] * qkv[j * ld + v + e];
                }
                dS[i * L + j] = dp;
            }
        for (int i = 0; i < L; i++) {
            double dot = 0;
            for (int j = 0; j < L; j++) dot += dS[i * L + j] * P[i * L + j];
            if (bug == B_NO_ROWSUM) dot = 0;
            for (int j = 0; j < L; j++) dS[i * L + j] = P[i * L + j] * (dS[i * L + j] - dot) * scale;
        }
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++)
                for (int e = 0; e < dk; e++) {
                    dqkv[i * ld + q + e] += dS[i * L + j] * qkv[j * ld + kk + e];
                    if (bug == B_DK_NOT_T) dqkv[i * ld + kk + e] += dS[i * L + j] * qkv[j * ld + q + e];
                    else dqkv[j * ld + kk + e] += dS[i * L + j] * qkv[i * ld + q + e];
                }
    }
    free(dS);
}

// 1 if got (n) matches want (n doubles).
static int matches_double(const float *got, const double *want, size_t n) {
    float *w = malloc(sizeof(float) * (n ? n : 1));
    for (size_t k = 0; k < n; k++) w[k] = (float)want[k];
    int ok = cmp_floats(got, w, n, ATT_ATOL, ATT_RTOL).first < 0;
    free(w);
    return ok;
}

// --- Describing an element ----------------------------------------------------------------------------

static const char *att_label(const att_case *c, size_t k) {
    static char s[96];
    size_t L = (size_t)c->L;
    snprintf(s, sizeof s, "head %zu, query %zu, key %zu", k / (L * L), k / L % L, k % L);
    return s;
}

static const char *ctx_label(const att_case *c, size_t k) {
    static char s[96];
    int D = c->D, dk = D / c->heads, col = (int)(k % (size_t)D);
    snprintf(s, sizeof s, "position %zu, head %d, column %d", k / (size_t)D, col / dk, col % dk);
    return s;
}

static const char *dqkv_label(const att_case *c, size_t k) {
    static char s[96];
    int D = c->D, dk = D / c->heads, col = (int)(k % (size_t)(3 * D));
    snprintf(s, sizeof s, "d%c at position %zu, head %d, column %d", "qkv"[col / D], k / (size_t)(3 * D), col % D / dk, col % D % dk);
    return s;
}

static void say_generic(const char *name, const float *got, int large, cmp_result r, const char *unwritten_hint) {
    if (!isfinite(got[r.first]) && large)
        gr_say("likely cause: %s is not a number: exp of a score of several hundred overflows a float (e^89 does); subtract "
               "the row's largest score before exp: the same weights, and every exp is at most 1", name);
    else if (!isfinite(got[r.first]))
        gr_say("likely cause: %s is not a number: a read past the sequence's L rows (the grader puts NaN there, as the core has "
               "the next sequence's rows there: keys are j < L only), or a division by zero", name);
    else if (r.unwritten) gr_say("likely cause: %s[%ld] was never written (it still holds the grader's marker %g): %s", name, r.first,
                                 (double)GR_UNWRITTEN, unwritten_hint);
    else if (r.all_zero) gr_say("likely cause: %s is all zeros: is the EX_ZERO placeholder line still there?", name);
}

// --- TODO probes ------------------------------------------------------------------------------------

static int probe_todo(int backward, int *looks_done) {
    rnl_rng r;
    rnl_rng_seed(&r, 90);
    att_io io, ref;
    const att_case c = {3, 4, 2, 1, ""};
    io_new(&io, &c, &r);
    rnl_rng_seed(&r, 90);
    io_new(&ref, &c, &r);
    ex_todo_count = 0;
    if (!backward) {
        gr_where("rnl_attention_forward (L = 3, D = 4, heads = 2)");
        run_forward(rnl_attention_forward, &io);
        run_forward(ref_attention_forward, &ref);
        *looks_done = cmp_floats(io.ctx.p, ref.ctx.p, io.ctx.n, ATT_ATOL, ATT_RTOL).first < 0;
    } else {
        gr_where("rnl_attention_backward (L = 3, D = 4, heads = 2)");
        run_backward(rnl_attention_backward, &io);
        run_backward(ref_attention_backward, &ref);
        *looks_done = cmp_floats(io.dqkv.p, ref.dqkv.p, io.dqkv.n, ATT_ATOL, ATT_RTOL).first < 0;
    }
    int todo = ex_todo_count > 0;
    ex_todo_count = 0;
    io_free(&io), io_free(&ref);
    return todo;
}

static gr_status report_todo(const char *fn, int looks_done) {
    if (looks_done)
        gr_summary("your %s already computes the right numbers, but still calls EX_TODO: delete that line (and EX_ZERO)", fn);
    else gr_summary("not implemented yet (%s in %s)", fn, gr_file("attention_math.c"));
    return GR_TODO;
}

static int guards_ok(const char *fn, const char *desc, const gbuf *b, const char *name) {
    char msg[160];
    if (gb_guards_ok(b, name, msg, sizeof msg)) return 1;
    gr_say("%s, %s: wrote %s", fn, desc, msg);
    gr_say("likely cause: a loop bound (i, j < L; columns < dk within a head) or an offset (head h starts at column h * dk)");
    return 0;
}

// --- Inside the core: a Transformer on the student's attention against one on the reference -----------

#define TF_B 3
#define TF_T 6
static const int32_t TF_LENS[TF_B] = {3, 6, 1};  // unsorted: the core sorts and packs them

static rnl_tf_config tf_small(void) {
    rnl_tf_config c = rnl_tf_config_default();
    c.vocab = 11, c.d_model = 8, c.heads = 2, c.layers = 2, c.ffn = 16;
    return c;
}

// Compares the encoder built on the student's functions with the reference one on one batch whose
// padding holds token ids that would change every result if they took part. backward: also gradients.
static int core_transformer_check(int backward) {
    rnl_tf_config cfg = tf_small();
    rnl_tf *stu = NULL, *ref = NULL;
    if (rnl_tf_create(&stu, &cfg, 7) || ref_tf_create(&ref, &cfg, 7)) {
        gr_say("through the core: %s", rnl_last_error());
        rnl_tf_destroy(stu), ref_tf_destroy(ref);
        return 0;
    }
    int32_t tokens[TF_B * TF_T];
    rnl_real targets[TF_B] = {1, 0, 1};
    rnl_rng r;
    rnl_rng_seed(&r, 6000);
    for (int k = 0; k < TF_B * TF_T; k++) tokens[k] = (int32_t)(rnl_rng_uniform(&r) * cfg.vocab) % cfg.vocab;
    rnl_batch b = {.B = TF_B, .T = TF_T, .tokens = tokens, .lengths = TF_LENS, .targets = targets};
    const char *what = "a Transformer encoder (2 layers, 2 heads, D = 8) on your attention, a batch of 3 sequences of lengths 3, 6, 1";

    rnl_real ls = 0, lr = 0;
    gr_where("rnl_tf_forward (the core's Transformer) calling your rnl_attention_forward");
    rnl_status st = rnl_tf_forward(stu, &b, &ls);
    int ok = st == RNL_OK && ref_tf_forward(ref, &b, &lr) == RNL_OK;
    if (!ok) gr_say("through the core: %s: %s", what, rnl_last_error());
    // The attention weights of every layer, head and sequence, then the predictions.
    for (int l = 0; l < cfg.layers && ok; l++)
        for (int h = 0; h < cfg.heads && ok; h++)
            for (int s = 0; s < TF_B && ok; s++) {
                int n = 0, nr = 0;
                const rnl_real *a = rnl_tf_attention(stu, l, h, s, &n), *w = ref_tf_attention(ref, l, h, s, &nr);
                cmp_result c = cmp_floats(a, w, (size_t)n * n, 1e-4, 1e-3);
                if (c.first < 0) continue;
                gr_say("through the core: %s:", what);
                gr_say("layer %d, head %d, sequence %d (length %d): weight of query %ld for key %ld: expected %.6g, got %.6g", l, h, s, n,
                       c.first / n, c.first % n, w[c.first], a[c.first]);
                gr_say("likely cause: it passes alone but not in the core: does it keep state between calls (a static variable), "
                       "or assume something of L, D or heads that changes from one sequence or layer to the next?");
                ok = 0;
            }
    if (ok) {
        cmp_result c = cmp_floats(rnl_tf_predictions(stu), ref_tf_predictions(ref), TF_B, 1e-4, 1e-3);
        if (c.first >= 0) {
            gr_say("through the core: %s: prediction %ld: expected %.6g, got %.6g", what, c.first, ref_tf_predictions(ref)[c.first],
                   rnl_tf_predictions(stu)[c.first]);
            ok = 0;
        }
    }
    if (ok && backward) {
        rnl_tf_zero_grad(stu), ref_tf_zero_grad(ref);
        gr_where("rnl_tf_backward (the core's Transformer) calling your rnl_attention_backward");
        rnl_tf_backward(stu), ref_tf_backward(ref);
        const rnl_real *gs = rnl_tf_grads(stu), *gref = ref_tf_grads(ref);
        for (int t = 0; t < rnl_tf_num_tensors(stu) && ok; t++) {
            const rnl_tensor_info *ti = rnl_tf_tensor(stu, t);
            size_t n = (size_t)ti->rows * ti->cols;
            double scale = 0;
            for (size_t k = 0; k < n; k++) scale = fmax(scale, fabs(gref[ti->offset + k]));
            cmp_result c = cmp_floats(gs + ti->offset, gref + ti->offset, n, 1e-4 * (1 + scale), 2e-3);
            if (c.first < 0) continue;
            gr_say("through the core: %s, backward:", what);
            gr_say("gradient of %s[%ld]: expected %.6g, got %.6g", ti->name, c.first, gref[ti->offset + c.first], gs[ti->offset + c.first]);
            gr_say("likely cause: it passes alone but not in the core: does it add (+=) into dqkv, and keep no state between calls?");
            ok = 0;
        }
    }
    rnl_tf_destroy(stu), ref_tf_destroy(ref);
    return ok;
}

// The adding problem of length 10 with a 1-layer, 2-head encoder (D = 16, F = 32), Adam 0.005, 300 steps
// of 32. With the reference attention (3 seeds) the held-out MSE is 0.0006-0.0018; chance is 0.167.
static int tf_training_run(char *summary, size_t cap) {
    const int T = 10, steps = 300;
    rnl_tf_config cfg = rnl_tf_config_default();
    cfg.input_size = 2, cfg.d_model = 16, cfg.heads = 2, cfg.layers = 1, cfg.ffn = 32;
    cfg.head = RNL_HEAD_REGRESSION, cfg.outputs = 1;
    rnl_tf *m = NULL;
    rnl_optimizer *o = NULL;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 0.005f, oc.clip = 0;
    if (rnl_tf_create(&m, &cfg, 1) || rnl_optimizer_create(&o, &oc, rnl_tf_num_params(m))) {
        gr_say("training: %s", rnl_last_error());
        rnl_tf_destroy(m);
        return 0;
    }
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 1);
    rnl_step_stats st;
    int ok = 1;
    for (int i = 0; i < steps && ok; i++) {
        gr_where("training a Transformer on the adding problem with your attention, step %d", i + 1);
        rnl_task_generate(&d, RNL_TASK_ADDING, 32, T, &rng);
        if (rnl_tf_train_step(m, o, &d.batch, &st) != RNL_OK) {
            gr_say("training a Transformer through the core with your attention: %s", rnl_last_error());
            ok = 0;
        }
    }
    double mse = 0;
    if (ok) {
        rnl_rng_seed(&rng, 424242);
        for (int i = 0; i < 5; i++) {
            rnl_task_generate(&d, RNL_TASK_ADDING, 100, T, &rng);
            rnl_tf_eval_batch(m, &d.batch, &st);
            mse += st.loss / 5;
        }
        if (!(mse < 0.03)) {
            gr_say("training a Transformer through the core with your attention: adding problem, length %d, %d steps: held-out "
                   "MSE %.4f; with the reference attention it is below 0.002 (chance 0.167)", T, steps, mse);
            ok = 0;
        } else snprintf(summary, cap, "training through the core: a Transformer on the adding problem, length %d, %d steps: "
                        "held-out MSE %.4f (chance 0.167)", T, steps, mse);
    }
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_tf_destroy(m);
    return ok;
}

// --- Exercise 9: forward ------------------------------------------------------------------------------

gr_status grade_attention_forward(void) {
    const char *fn = "rnl_attention_forward";
    int looks_done;
    if (probe_todo(0, &looks_done)) return report_todo(fn, looks_done);
    rnl_rng r;
    rnl_rng_seed(&r, 9000);
    for (int ci = 0; ci < NCASES; ci++) {
        const att_case *c = &CASES[ci];
        char desc[96];
        case_desc(desc, sizeof desc, c);
        att_io io, ref;
        io_new(&io, c, &r);
        ref = io;  // same inputs; its own outputs
        ref.ctx = gb_new(io.ctx.n, 0), ref.att = gb_new(io.att.n, 0);
        run_forward(ref_attention_forward, &ref);
        gr_where("%s (%s)", fn, desc);
        run_forward(rnl_attention_forward, &io);
        int ok = guards_ok(fn, desc, &io.att, "att") && guards_ok(fn, desc, &io.ctx, "ctx");
        // The weights first: a wrong weight explains a wrong context.
        struct {
            const char *name, *hint;
            const gbuf *got, *want;
            const char *(*label)(const att_case *, size_t);
        } out[2] = {{"att", "store every weight: att[(h * L + i) * L + j]", &io.att, &ref.att, att_label},
                    {"ctx", "write every column of every position (or zero ctx before you accumulate)", &io.ctx, &ref.ctx, ctx_label}};
        for (int i = 0; i < 2 && ok; i++) {
            cmp_result cr = cmp_floats(out[i].got->p, out[i].want->p, out[i].got->n, ATT_ATOL, ATT_RTOL);
            if (cr.first < 0) continue;
            ok = 0;
            size_t k = (size_t)cr.first;
            gr_say("%s, %s: %s[%zu] (%s): expected %.6g, got %.6g", fn, desc, out[i].name, k, out[i].label(c, k), out[i].want->p[k],
                   out[i].got->p[k]);
            if (cr.bad > 1) gr_say("%zu of the %zu values of %s differ (largest error %.3g)", cr.bad, out[i].got->n, out[i].name, cr.max_err);
            const char *cause = NULL;
            double *vc = malloc(sizeof(double) * io.ctx.n), *va = malloc(sizeof(double) * io.att.n);
            for (int bug = 1; bug < F_LAST && !cause; bug++) {
                forward_variant(bug, c, io.qkv, vc, va);
                if (matches_double(io.att.p, va, io.att.n) && matches_double(io.ctx.p, vc, io.ctx.n)) cause = FWD_BUGS[bug];
            }
            free(vc), free(va);
            if (cause) gr_say("likely cause: %s", cause);
            else say_generic(out[i].name, out[i].got->p, c->scale > 1, cr, out[i].hint);
            if (c->scale > 1 && !cause) gr_say("(the %d cases with ordinary scores pass: only large scores go wrong)", NCASES - 1);
        }
        gb_free(&ref.ctx), gb_free(&ref.att);
        io_free(&io);
        if (!ok) return GR_FAILED;
    }
    if (!core_transformer_check(0)) return GR_FAILED;
    gr_summary("matches the reference for L = 1..33, 1 to 8 heads and large scores, alone and inside the core's Transformer");
    return GR_PASSED;
}

// --- Exercise 10: backward ----------------------------------------------------------------------------

// Finite differences of L = sum ctx o w through a forward (the student's once exercise 9 passes), against
// the student's backward with that forward's weights. Returns 1 if all agree; *worst: largest relative error.
static int gradient_check(double *worst) {
    const int own = gr_passed(9);
    const fwd_fn fwd = own ? rnl_attention_forward : ref_attention_forward;
    const char *whose = own ? "your forward" : "the reference forward";
    static const att_case fd_cases[] = {{1, 2, 1, 1, ""}, {3, 4, 2, 1, ""}, {4, 6, 3, 1.5, ""}};
    rnl_rng r;
    rnl_rng_seed(&r, 9100);
    *worst = 0;
    for (int ci = 0; ci < 3; ci++) {
        const att_case *c = &fd_cases[ci];
        att_io io;
        io_new(&io, c, &r);
        const size_t n = io.dqkv.n;
        gr_where("%s, gradient check", own ? "rnl_attention_forward" : "the reference forward");
        run_forward(fwd, &io);
        memcpy(io.att_in, io.att.p, sizeof(float) * io.att.n);  // the backward gets this forward's weights
        memset(io.dqkv0, 0, sizeof(float) * n);
        gr_where("rnl_attention_backward, gradient check");
        run_backward(rnl_attention_backward, &io);
        int ok = 1;
        for (size_t k = 0; k < n && ok; k++) {
            float v0 = io.qkv[k], up = (float)(v0 + FD_EPS), down = (float)(v0 - FD_EPS);
            double Lu = 0, Ld = 0;
            io.qkv[k] = up;
            run_forward(fwd, &io);
            for (size_t m = 0; m < io.ctx.n; m++) Lu += (double)io.dctx[m] * io.ctx.p[m];
            io.qkv[k] = down;
            run_forward(fwd, &io);
            for (size_t m = 0; m < io.ctx.n; m++) Ld += (double)io.dctx[m] * io.ctx.p[m];
            io.qkv[k] = v0;
            double fd = (Lu - Ld) / ((double)up - (double)down), an = io.dqkv.p[k];
            double rel = fabs(an - fd) / (FD_ATOL / FD_RTOL + fabs(fd));
            if (rel > *worst) *worst = rel;
            if (!close_enough(an, fd, FD_ATOL, FD_RTOL)) {
                char desc[96];
                case_desc(desc, sizeof desc, c);
                gr_say("gradient check, %s: %s: finite differences of %s give %.6g; your rnl_attention_backward gives %.6g", desc,
                       dqkv_label(c, k), whose, fd, an);
                ok = 0;
            }
        }
        io_free(&io);
        if (!ok) return 0;
    }
    return 1;
}

gr_status grade_attention_backward(void) {
    const char *fn = "rnl_attention_backward";
    int looks_done;
    if (probe_todo(1, &looks_done)) return report_todo(fn, looks_done);
    rnl_rng r;
    rnl_rng_seed(&r, 9200);
    for (int ci = 0; ci < NCASES; ci++) {
        const att_case *c = &CASES[ci];
        char desc[96];
        case_desc(desc, sizeof desc, c);
        att_io io;
        io_new(&io, c, &r);
        run_backward(ref_attention_backward, &io);
        gbuf want = gb_copy(io.dqkv.p, io.dqkv.n);
        gr_where("%s (%s)", fn, desc);
        run_backward(rnl_attention_backward, &io);
        int ok = guards_ok(fn, desc, &io.dqkv, "dqkv") && guards_ok(fn, desc, &io.ds, "ds");
        if (ok) {
            double scale = 0;
            for (size_t k = 0; k < want.n; k++) scale = fmax(scale, fabs(want.p[k]));
            cmp_result cr = cmp_floats(io.dqkv.p, want.p, want.n, ATT_ATOL * (1 + scale), ATT_RTOL);
            if (cr.first >= 0) {
                ok = 0;
                size_t k = (size_t)cr.first;
                gr_say("%s, %s: dqkv[%zu] (%s): expected %.6g, got %.6g (it held %.6g before the call)", fn, desc, k, dqkv_label(c, k),
                       want.p[k], io.dqkv.p[k], io.dqkv0[k]);
                if (cr.bad > 1) gr_say("%zu of the %zu values of dqkv differ (largest error %.3g)", cr.bad, want.n, cr.max_err);
                const char *cause = NULL;
                double *v = malloc(sizeof(double) * want.n);
                for (int bug = 1; bug < B_LAST && !cause; bug++) {
                    backward_variant(bug, &io, v);
                    if (matches_double(io.dqkv.p, v, want.n)) cause = BWD_BUGS[bug];
                }
                free(v);
                if (cause) gr_say("likely cause: %s", cause);
                else if (close_enough(io.dqkv.p[k], (double)want.p[k] - io.dqkv0[k], ATT_ATOL * (1 + scale), ATT_RTOL))
                    gr_say("likely cause: that is the gradient without the %.6g dqkv held before: %s is overwritten (=); add (+=) "
                           "into dqkv", io.dqkv0[k], dqkv_label(c, k));
                else if (!isfinite(io.dqkv.p[k]))
                    gr_say("likely cause: dqkv is not a number: a read past the sequence's L rows (the grader puts NaN there, as the "
                           "core has the next sequence's rows: loop j < L)");
                else if (memcmp(io.dqkv.p, io.dqkv0, sizeof(float) * want.n) == 0)
                    gr_say("likely cause: dqkv is unchanged: is the EX_ZERO placeholder still there, or are the sums never added in?");
            }
        }
        gb_free(&want);
        io_free(&io);
        if (!ok) return GR_FAILED;
    }
    double worst = 0;
    if (!gradient_check(&worst)) return GR_FAILED;
    // The core's Transformer runs the student's forward before the backward: both wait for exercise 9.
    char train[256] = "";
    if (gr_passed(9)) {
        if (!core_transformer_check(1) || !tf_training_run(train, sizeof train)) return GR_FAILED;
    } else snprintf(train, sizeof train, "inside the core's Transformer, and its training run: wait for exercise 9 (attention forward)");
    gr_summary("matches the reference and finite differences (%s forward)%s", gr_passed(9) ? "your" : "reference",
               gr_passed(9) ? ", alone and inside the core's Transformer" : "");
    gr_say("%s", train);
    if (gr_verbose) gr_say("largest relative error against finite differences: %.2g", worst);
    return GR_PASSED;
}
