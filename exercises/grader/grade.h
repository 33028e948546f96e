// grade.h: what the grader's files share. The grader is linked with a core built from a student's
// cell_math.c and attention_math.c (so rnl_* are the student's functions and everything that calls
// them), the student's bptt.c, and the reference: core/src/cell_math.c, cells.c, attention_math.c and
// transformer.c compiled a second time with every rnl_ name of theirs renamed ref_ (exercises/CMakeLists.txt).
//
// Each exercise is one function returning a gr_status; grade.c runs it in a child process, so a
// crash, a sanitizer report or an endless loop in one exercise is reported and the others still run.
#ifndef EX_GRADE_H
#define EX_GRADE_H

#include <stddef.h>

#include "bptt.h"
#include "ex_todo.h"
#include "rnnlab.h"
#include "rnnlab_attention_math.h"  // rnl_attention_forward/backward (exercises 9, 10)
#include "rnnlab_cell_math.h"  // the cells, rnl_layer_*, r_sigmoid, r_tanh: never the core's internal.h
#include "rnnlab_transformer.h"

// --- The reference (core/src/cell_math.c and cells.c under other names) -------------------------

void ref_rnn_cell_forward(int H, rnl_real *gates, const rnl_real *hp, rnl_real *h);
void ref_lstm_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *c_prev, rnl_real *c, rnl_real *h);
void ref_gru_cell_forward(int H, rnl_real *gates, const rnl_real *hp, const rnl_real *h_prev, rnl_real *hn, rnl_real *h);
void ref_rnn_cell_backward(int H, const rnl_real *gates, rnl_real *dh, rnl_real *dg, rnl_real *dhh);
void ref_lstm_cell_backward(int H, const rnl_real *gates, const rnl_real *c, const rnl_real *c_prev, rnl_real *dh,
                            rnl_real *dc, rnl_real *dg, rnl_real *dhh);
void ref_gru_cell_backward(int H, const rnl_real *gates, const rnl_real *hn, const rnl_real *h_prev, rnl_real *dh,
                           rnl_real *dg, rnl_real *dhh);
double ref_clip_grad_norm(rnl_real *g, size_t n, double max_norm);
void ref_layer_forward(const rnl_layer_desc *L, rnl_layer_cache *c, rnl_layer_scratch *s, const rnl_real *x, int ldx);
void ref_layer_backward(const rnl_layer_desc *L, const rnl_layer_cache *c, rnl_layer_scratch *s,
                        const rnl_real *x, int ldx, const rnl_real *dh_out, int ldd, rnl_real *dx,
                        rnl_real *dW_ih, rnl_real *dW_hh, rnl_real *db_ih, rnl_real *db_hh,
                        int bptt_window, double *grad_norm2);
// core/src/attention_math.c and transformer.c under other names: the reference Transformer encoder.
void ref_attention_forward(rnl_real *ctx, rnl_real *att, const rnl_real *qkv, int L, int D, int heads);
void ref_attention_backward(rnl_real *dqkv, rnl_real *ds, const rnl_real *dctx, const rnl_real *att,
                            const rnl_real *qkv, int L, int D, int heads);
rnl_status ref_tf_create(rnl_tf **out, const rnl_tf_config *cfg, uint64_t seed);
void ref_tf_destroy(rnl_tf *m);
rnl_status ref_tf_forward(rnl_tf *m, const rnl_batch *b, rnl_real *loss);
rnl_status ref_tf_backward(rnl_tf *m);
void ref_tf_zero_grad(rnl_tf *m);
rnl_real *ref_tf_grads(rnl_tf *m);
const rnl_real *ref_tf_predictions(const rnl_tf *m);
const rnl_real *ref_tf_attention(const rnl_tf *m, int layer, int head, int sample, int *len);

// --- Report (grade.c) ---------------------------------------------------------------------------

typedef enum { GR_PASSED = 0, GR_FAILED = 1, GR_TODO = 2 } gr_status;

#if defined(__GNUC__) || defined(__clang__)
#define GR_PRINTF __attribute__((format(printf, 1, 2)))
#else
#define GR_PRINTF
#endif
void gr_where(const char *fmt, ...) GR_PRINTF;    // what runs next: named in the report if it crashes
void gr_say(const char *fmt, ...) GR_PRINTF;      // one detail line under the exercise's status line
void gr_summary(const char *fmt, ...) GR_PRINTF;  // the few words printed after the status on its line
int gr_passed(int exercise);                      // 1 if an earlier exercise passed in this run
const char *gr_file(const char *name);            // "<student dir>/<name>", for messages
extern int gr_verbose;

// --- Buffers with guard zones (util.c) ----------------------------------------------------------
// A student's loop that runs one element too far must be reported ("wrote h[3], past the end"), not
// silently corrupt the next buffer: each buffer sits between two guard zones filled with a marker.

#define GR_UNWRITTEN (-7777.0f)  // what an output holds before the student's function runs

typedef struct {
    float *p;     // n usable values
    size_t n;
    float *base;  // the allocation, guard zones included
} gbuf;

gbuf gb_new(size_t n, float fill);
void gb_free(gbuf *b);
gbuf gb_copy(const float *src, size_t n);
// 1 if both guard zones are intact; else writes e.g. "h[3] (past the end)" into msg.
int gb_guards_ok(const gbuf *b, const char *name, char *msg, size_t cap);

// --- Numbers (util.c) ---------------------------------------------------------------------------

void rnd_normal(rnl_rng *r, float *p, size_t n, double scale);
void rnd_uniform(rnl_rng *r, float *p, size_t n, double lo, double hi);

// The first element where |got - want| > atol + rtol |want| (or got is NaN/Inf).
typedef struct {
    long first;        // -1: all close
    size_t bad;        // how many differ
    double max_err;    // largest |got - want|
    int unwritten;     // got[first] still holds GR_UNWRITTEN
    int all_unwritten; // every got[k] still holds GR_UNWRITTEN
    int all_zero;      // every got[k] is 0 while want is not
} cmp_result;
cmp_result cmp_floats(const float *got, const float *want, size_t n, double atol, double rtol);
int close_enough(double got, double want, double atol, double rtol);

// --- Cells, from the core's cell table (rnl_cell_info_of; util.c) -------------------------------
// The strings but cell_function's are rotated through a few static buffers: use them in the message
// they are made for (several may appear in one).

const char *cell_label(rnl_cell cell);                         // "LSTM"
const char *cell_function(rnl_cell cell, const char *suffix);  // "rnl_lstm_cell_" + suffix ("forward")
const char *gate_name(rnl_cell cell, int gate);                // "f (forget gate)"; "h" for a one-gate cell
const char *gate_order(rnl_cell cell);                         // "i, f, g, o"
// "gate f (forget gate), unit 2" for element k of a (G*H) buffer of this cell; "unit 2" when G == 1.
const char *gate_label(rnl_cell cell, int G, int H, size_t k);

// --- Known mistakes (bugs.c) --------------------------------------------------------------------
// The reference step with one deliberate, common mistake: if a student's output matches one of
// these, the grader names the mistake. Bug 0 is the reference itself. Each returns NULL past the last.

typedef struct {
    rnl_cell cell;
    int H;
    const float *a, *hp, *c_prev, *h_prev;  // forward inputs: a = W_ih x_t + b_ih (G*H)
    float *gates, *c, *h, *hn;              // forward outputs (gates is filled from a)
} fwd_io;
const char *bug_forward(int bug, fwd_io *io);

typedef struct {
    rnl_cell cell;
    int H;
    const float *gates, *c, *c_prev, *hn, *h_prev;  // what the forward left
    float *dh, *dc, *dg, *dhh;                       // dh, dc in/out (filled by the caller)
} bwd_io;
const char *bug_backward(int bug, bwd_io *io);

// BPTT (exercise 8) in double, with bug switches; also the grader's forward for finite differences.
typedef struct {
    int T, I, H, window;
    const float *x, *W_ih, *W_hh, *b, *dL_dh;
} bptt_problem;
// Returns the bug's description (NULL past the last); fills dW_ih, dW_hh, db, dh_norm (zeroed first).
const char *bug_bptt(int bug, const bptt_problem *p, double *dW_ih, double *dW_hh, double *db, double *dh_norm);
// L = sum_t dL_dh[t] . h_t for the given weights, in double.
double bptt_loss(const bptt_problem *p, const double *W_ih, const double *W_hh, const double *b);

// --- Exercises ----------------------------------------------------------------------------------

gr_status grade_cell_forward(rnl_cell cell);   // 1, 3, 5 (ex_cells.c)
gr_status grade_cell_backward(rnl_cell cell);  // 2, 4, 6
gr_status grade_clipping(void);                // 7 (ex_clip.c)
gr_status grade_bptt(void);                    // 8 (ex_bptt.c)
gr_status grade_attention_forward(void);       // 9 (ex_attention.c)
gr_status grade_attention_backward(void);      // 10

// Through the whole core (ex_core.c): the student's cell inside rnl_layer_forward/backward, compared
// with the reference layer; and a short training run. Each returns 1 if it passed (and says why not).
int core_layer_forward_check(rnl_cell cell);
int core_layer_backward_check(rnl_cell cell);
int core_training_run(rnl_cell cell, char *summary, size_t cap);

#endif
