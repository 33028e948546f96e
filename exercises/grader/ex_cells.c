// ex_cells.c: exercises 1-6, one step of each cell, forward and backward. For each function:
//   (a) the student's step against the reference on random inputs, H = 1, 2, 3, 7, 16, 33 and one
//       case of large inputs (|x| up to ~200, where a hand-written exp overflows);
//   (b) backward only: a finite-difference gradient check against the forward (the student's once its
//       exercise passes, the reference's before, so each exercise can turn green on its own);
//   (c) the student's cell inside the core's time loop (ex_core.c), and for backward a short training
//       run through the whole core once the matching forward exercise passes.
// A mismatch names the function, the buffer, the gate and unit, expected and got, and a likely cause
// when one of the known mistakes of bugs.c reproduces the student's numbers.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

// Tolerances for one step in float: the student's sums and activations may round differently.
#define STEP_ATOL 2e-5
#define STEP_RTOL 2e-4
// Finite differences: central, step FD_EPS, sums in double; tolerance for a float forward.
#define FD_EPS 2e-3
#define FD_ATOL 2e-4
#define FD_RTOL 2e-3

static const int SIZES[] = {1, 2, 3, 7, 16, 33};
#define NSIZES ((int)(sizeof SIZES / sizeof SIZES[0]))
#define LARGE_H 5  // the size of the large-input case, graded after the others

static const char *fwd_name(rnl_cell c) { return cell_function(c, "forward"); }
static const char *bwd_name(rnl_cell c) { return cell_function(c, "backward"); }
static int fwd_exercise(rnl_cell c) { return c == RNL_CELL_RNN ? 1 : c == RNL_CELL_LSTM ? 3 : 5; }

// --- Calling a step, the student's or the reference's --------------------------------------------

typedef struct {
    void (*rnn_f)(int, rnl_real *, const rnl_real *, rnl_real *);
    void (*lstm_f)(int, rnl_real *, const rnl_real *, const rnl_real *, rnl_real *, rnl_real *);
    void (*gru_f)(int, rnl_real *, const rnl_real *, const rnl_real *, rnl_real *, rnl_real *);
    void (*rnn_b)(int, const rnl_real *, rnl_real *, rnl_real *, rnl_real *);
    void (*lstm_b)(int, const rnl_real *, const rnl_real *, const rnl_real *, rnl_real *, rnl_real *, rnl_real *, rnl_real *);
    void (*gru_b)(int, const rnl_real *, const rnl_real *, const rnl_real *, rnl_real *, rnl_real *, rnl_real *);
} impl;

static const impl STUDENT = {.rnn_f = rnl_rnn_cell_forward, .lstm_f = rnl_lstm_cell_forward, .gru_f = rnl_gru_cell_forward,
                             .rnn_b = rnl_rnn_cell_backward, .lstm_b = rnl_lstm_cell_backward, .gru_b = rnl_gru_cell_backward};
static const impl REFERENCE = {.rnn_f = ref_rnn_cell_forward, .lstm_f = ref_lstm_cell_forward, .gru_f = ref_gru_cell_forward,
                               .rnn_b = ref_rnn_cell_backward, .lstm_b = ref_lstm_cell_backward, .gru_b = ref_gru_cell_backward};

// Inputs of one forward step and what it wrote, each in a guarded buffer.
typedef struct {
    rnl_cell cell;
    int H, G;
    float *a, *hp, *c_prev, *h_prev;  // inputs: a = W_ih x_t + b_ih (G*H), hp (G*H), c_prev, h_prev (H)
    gbuf gates, c, h, hn;             // outputs; gates starts as a copy of a
} fwd_step;

static void fwd_alloc(fwd_step *s, rnl_cell cell, int H) {
    memset(s, 0, sizeof *s);
    s->cell = cell, s->H = H, s->G = rnl_cell_gates(cell);
    size_t GH = (size_t)s->G * H;
    s->a = calloc(GH, sizeof(float)), s->hp = calloc(GH, sizeof(float));
    s->c_prev = calloc((size_t)H, sizeof(float)), s->h_prev = calloc((size_t)H, sizeof(float));
    s->gates = gb_new(GH, 0), s->c = gb_new((size_t)H, 0), s->h = gb_new((size_t)H, 0), s->hn = gb_new((size_t)H, 0);
}

static void fwd_free(fwd_step *s) {
    free(s->a), free(s->hp), free(s->c_prev), free(s->h_prev);
    gb_free(&s->gates), gb_free(&s->c), gb_free(&s->h), gb_free(&s->hn);
}

// Random inputs; `large` multiplies the pre-activations so |x| reaches ~200.
static void fwd_random(fwd_step *s, rnl_rng *r, int large) {
    size_t GH = (size_t)s->G * s->H;
    double scale = large ? 60 : 1.2;
    rnd_normal(r, s->a, GH, scale);
    rnd_normal(r, s->hp, GH, scale);
    rnd_normal(r, s->c_prev, (size_t)s->H, large ? 20 : 1.5);
    rnd_uniform(r, s->h_prev, (size_t)s->H, -1, 1);
}

static void fwd_run(const impl *im, fwd_step *s) {
    size_t GH = (size_t)s->G * s->H;
    memcpy(s->gates.p, s->a, sizeof(float) * GH);
    for (int j = 0; j < s->H; j++) s->c.p[j] = s->h.p[j] = s->hn.p[j] = GR_UNWRITTEN;
    switch (s->cell) {
    case RNL_CELL_RNN: im->rnn_f(s->H, s->gates.p, s->hp, s->h.p); break;
    case RNL_CELL_LSTM: im->lstm_f(s->H, s->gates.p, s->hp, s->c_prev, s->c.p, s->h.p); break;
    case RNL_CELL_GRU: im->gru_f(s->H, s->gates.p, s->hp, s->h_prev, s->hn.p, s->h.p); break;
    }
}

// Inputs of one backward step and what it wrote.
typedef struct {
    rnl_cell cell;
    int H, G;
    float *gates, *c, *c_prev, *hn, *h_prev, *dh_in, *dc_in;  // inputs, from a reference forward
    gbuf dh, dc, dg, dhh;                                     // dh, dc in/out; dg, dhh out
} bwd_step;

static void bwd_alloc(bwd_step *s, rnl_cell cell, int H) {
    memset(s, 0, sizeof *s);
    s->cell = cell, s->H = H, s->G = rnl_cell_gates(cell);
    size_t GH = (size_t)s->G * H, h = (size_t)H;
    s->gates = calloc(GH, sizeof(float));
    s->c = calloc(h, sizeof(float)), s->c_prev = calloc(h, sizeof(float)), s->hn = calloc(h, sizeof(float));
    s->h_prev = calloc(h, sizeof(float)), s->dh_in = calloc(h, sizeof(float)), s->dc_in = calloc(h, sizeof(float));
    s->dh = gb_new(h, 0), s->dc = gb_new(h, 0), s->dg = gb_new(GH, 0), s->dhh = gb_new(GH, 0);
}

static void bwd_free(bwd_step *s) {
    free(s->gates), free(s->c), free(s->c_prev), free(s->hn), free(s->h_prev), free(s->dh_in), free(s->dc_in);
    gb_free(&s->dh), gb_free(&s->dc), gb_free(&s->dg), gb_free(&s->dhh);
}

// Consistent inputs: the gates, c and hn a reference forward step computes from random pre-activations.
static void bwd_random(bwd_step *s, rnl_rng *r, int large) {
    fwd_step f;
    fwd_alloc(&f, s->cell, s->H);
    fwd_random(&f, r, large);
    fwd_run(&REFERENCE, &f);
    memcpy(s->gates, f.gates.p, sizeof(float) * s->G * s->H);
    memcpy(s->c, f.c.p, sizeof(float) * s->H);
    memcpy(s->c_prev, f.c_prev, sizeof(float) * s->H);
    memcpy(s->hn, f.hn.p, sizeof(float) * s->H);
    memcpy(s->h_prev, f.h_prev, sizeof(float) * s->H);
    rnd_normal(r, s->dh_in, (size_t)s->H, 1);
    rnd_normal(r, s->dc_in, (size_t)s->H, 1);
    fwd_free(&f);
}

static void bwd_run(const impl *im, bwd_step *s) {
    size_t GH = (size_t)s->G * s->H;
    memcpy(s->dh.p, s->dh_in, sizeof(float) * s->H);
    memcpy(s->dc.p, s->dc_in, sizeof(float) * s->H);
    for (size_t k = 0; k < GH; k++) s->dg.p[k] = s->dhh.p[k] = GR_UNWRITTEN;
    switch (s->cell) {
    case RNL_CELL_RNN: im->rnn_b(s->H, s->gates, s->dh.p, s->dg.p, s->dhh.p); break;
    case RNL_CELL_LSTM: im->lstm_b(s->H, s->gates, s->c, s->c_prev, s->dh.p, s->dc.p, s->dg.p, s->dhh.p); break;
    case RNL_CELL_GRU: im->gru_b(s->H, s->gates, s->hn, s->h_prev, s->dh.p, s->dg.p, s->dhh.p); break;
    }
}

// --- Describing a mismatch ----------------------------------------------------------------------

// One output buffer of a step, as the report names it.
typedef struct {
    const char *name;     // "gates", "dg", ...
    const char *meaning;  // what element k holds, e.g. "dL/d(pre-activation)"
    const char *unwritten_hint;
    const float *got, *want;
    size_t n;
    int per_gate;  // (G*H): label elements by gate
} output;

static int outputs_match(const output *o, int n_out, float *const *alt) {
    for (int i = 0; i < n_out; i++)
        if (cmp_floats(o[i].got, alt[i], o[i].n, STEP_ATOL, STEP_RTOL).first >= 0) return 0;
    return 1;
}

// Prints the first mismatching output of a step and a likely cause. alt_run(bug, alt) fills alt[] with
// the outputs of known mistake `bug` and returns its description (NULL past the last).
static void describe_mismatch(rnl_cell cell, int H, const char *fn, const char *case_desc, const output *o, int n_out,
                              const char *(*alt_run)(int bug, void *ctx, float **alt), void *ctx) {
    int G = rnl_cell_gates(cell);
    for (int i = 0; i < n_out; i++) {
        cmp_result c = cmp_floats(o[i].got, o[i].want, o[i].n, STEP_ATOL, STEP_RTOL);
        if (c.first < 0) continue;
        size_t k = (size_t)c.first;
        const char *label = o[i].per_gate ? gate_label(cell, G, H, k) : gate_label(cell, 1, H, k);
        gr_say("%s, %s: %s[%zu] (%s, %s): expected %.6g, got %.6g", fn, case_desc, o[i].name, k, o[i].meaning, label,
               o[i].want[k], o[i].got[k]);
        if (c.bad > 1) gr_say("%zu of the %zu values of %s differ (largest error %.3g)", c.bad, o[i].n, o[i].name, c.max_err);
        if (gr_verbose)
            for (size_t m = k + 1, shown = 0; m < o[i].n && shown < 5; m++)
                if (!close_enough(o[i].got[m], o[i].want[m], STEP_ATOL, STEP_RTOL))
                    gr_say("  also %s[%zu] (%s): expected %.6g, got %.6g", o[i].name, m,
                           o[i].per_gate ? gate_label(cell, G, H, m) : gate_label(cell, 1, H, m), o[i].want[m], o[i].got[m]),
                        shown++;

        // A known mistake that reproduces every output?
        float *alt[4];
        for (int a = 0; a < n_out; a++) alt[a] = malloc(sizeof(float) * o[a].n);
        // First a mistake that reproduces every output; else one that reproduces this output (the
        // student may have made it alongside correct code elsewhere).
        const char *cause = NULL, *d;
        for (int bug = 1; !cause && (d = alt_run(bug, ctx, alt)) != NULL; bug++)
            if (outputs_match(o, n_out, alt)) cause = d;
        for (int bug = 1; !cause && (d = alt_run(bug, ctx, alt)) != NULL; bug++)
            if (cmp_floats(o[i].got, alt[i], o[i].n, STEP_ATOL, STEP_RTOL).first < 0) cause = d;
        for (int a = 0; a < n_out; a++) free(alt[a]);
        if (cause) {
            gr_say("likely cause: %s", cause);
            return;
        }
        // Generic patterns.
        if (!isfinite(o[i].got[k]))
            gr_say("likely cause: %s is not a number: an exp that overflows (use r_sigmoid and r_tanh, which are safe for "
                   "any input), a division by zero, or an uninitialised variable",
                   o[i].name);
        else if (c.unwritten)
            gr_say("likely cause: %s[%zu] was never written (it still holds the grader's marker %g): %s", o[i].name, k,
                   (double)GR_UNWRITTEN, o[i].unwritten_hint);
        else if (c.all_zero)
            gr_say("likely cause: %s is all zeros: is the EX_ZERO placeholder line still there, or is %s never assigned?",
                   o[i].name, o[i].name);
        else if (o[i].per_gate) {
            // The values of one gate block in another block: the gate order.
            int kb = (int)(k / (size_t)H);
            for (int m = 0; m < G; m++)
                if (m != kb && cmp_floats(o[i].got + (size_t)kb * H, o[i].want + (size_t)m * H, (size_t)H, STEP_ATOL, STEP_RTOL).first < 0) {
                    gr_say("likely cause: the values in block %d of %s (gate %s) are those of gate %s: check the gate order "
                           "(%s) and the offsets k * H + j",
                           kb, o[i].name, gate_name(cell, kb), gate_name(cell, m), gate_order(cell));
                    break;
                }
        }
        return;
    }
}

// --- TODO probes --------------------------------------------------------------------------------

// Calls the student's function once; 1 if it still calls EX_TODO.
static int probe_todo(rnl_cell cell, int backward, int *looks_done) {
    rnl_rng r;
    rnl_rng_seed(&r, 99);
    ex_todo_count = 0;
    int same;
    if (!backward) {
        fwd_step s, ref;
        fwd_alloc(&s, cell, 3), fwd_alloc(&ref, cell, 3);
        fwd_random(&s, &r, 0);
        memcpy(ref.a, s.a, sizeof(float) * s.G * 3), memcpy(ref.hp, s.hp, sizeof(float) * s.G * 3);
        memcpy(ref.c_prev, s.c_prev, sizeof(float) * 3), memcpy(ref.h_prev, s.h_prev, sizeof(float) * 3);
        gr_where("%s (H = 3)", fwd_name(cell));
        fwd_run(&STUDENT, &s);
        fwd_run(&REFERENCE, &ref);
        same = cmp_floats(s.h.p, ref.h.p, 3, STEP_ATOL, STEP_RTOL).first < 0;
        fwd_free(&s), fwd_free(&ref);
    } else {
        bwd_step s;
        bwd_alloc(&s, cell, 3);
        bwd_random(&s, &r, 0);
        gr_where("%s (H = 3)", bwd_name(cell));
        bwd_run(&STUDENT, &s);
        gbuf dg = gb_copy(s.dg.p, s.dg.n);
        bwd_run(&REFERENCE, &s);
        same = cmp_floats(dg.p, s.dg.p, dg.n, STEP_ATOL, STEP_RTOL).first < 0;
        gb_free(&dg), bwd_free(&s);
    }
    *looks_done = same;
    int todo = ex_todo_count > 0;
    ex_todo_count = 0;
    return todo;
}

static gr_status report_todo(const char *fn, int looks_done) {
    if (looks_done)
        gr_summary("your %s already computes the right numbers, but still calls EX_TODO: delete that line (and EX_ZERO)", fn);
    else gr_summary("not implemented yet (%s in %s)", fn, gr_file("cell_math.c"));
    return GR_TODO;
}

// Checks every guard zone of a step's outputs; 0 and a message if the student wrote outside one.
static int guards_ok(const char *fn, const char *case_desc, const gbuf *const *bufs, const char *const *names, int n) {
    char msg[160];
    for (int i = 0; i < n; i++)
        if (!gb_guards_ok(bufs[i], names[i], msg, sizeof msg)) {
            gr_say("%s, %s: wrote %s", fn, case_desc, msg);
            gr_say("likely cause: a loop bound (j < H for (H) buffers, k < G*H for (G*H) ones) or a gate offset (k * H + j)");
            return 0;
        }
    return 1;
}

// --- Exercises 1, 3, 5: forward -----------------------------------------------------------------

typedef struct {
    const fwd_step *s;
} fwd_alt_ctx;

// Outputs of a forward step in report order: gates first (a wrong gate explains everything after it).
static int fwd_outputs(const fwd_step *s, const float *const *want, output *o) {
    int n = 0;
    size_t GH = (size_t)s->G * s->H, H = (size_t)s->H;
    o[n++] = (output){.name = "gates", .meaning = "post-activation",
                      .unwritten_hint = "write each gate's activation back into gates[]",
                      .got = s->gates.p, .want = want[0], .n = GH, .per_gate = 1};
    if (s->cell == RNL_CELL_LSTM)
        o[n++] = (output){.name = "c", .meaning = "c_t", .unwritten_hint = "c[j] = f * c_prev[j] + i * g",
                          .got = s->c.p, .want = want[1], .n = H};
    if (s->cell == RNL_CELL_GRU)
        o[n++] = (output){.name = "hn", .meaning = "W_hn h_{t-1} + b_hn", .unwritten_hint = "hn[j] = hp[2 * H + j]",
                          .got = s->hn.p, .want = want[3], .n = H};
    o[n++] = (output){.name = "h", .meaning = "h_t", .unwritten_hint = "write h_t into h[j]", .got = s->h.p, .want = want[2], .n = H};
    return n;
}

static const char *fwd_alt(int bug, void *ctx, float **alt) {
    const fwd_step *s = ((fwd_alt_ctx *)ctx)->s;
    size_t GH = (size_t)s->G * s->H;
    float *g = malloc(sizeof(float) * GH), *c = malloc(sizeof(float) * s->H), *h = malloc(sizeof(float) * s->H),
          *hn = malloc(sizeof(float) * s->H);
    for (int j = 0; j < s->H; j++) c[j] = h[j] = hn[j] = GR_UNWRITTEN;
    fwd_io io = {.cell = s->cell, .H = s->H, .a = s->a, .hp = s->hp, .c_prev = s->c_prev, .h_prev = s->h_prev,
                 .gates = g, .c = c, .h = h, .hn = hn};
    const char *d = bug_forward(bug, &io);
    if (d) {
        int n = 0;
        memcpy(alt[n++], g, sizeof(float) * GH);
        if (s->cell == RNL_CELL_LSTM) memcpy(alt[n++], c, sizeof(float) * s->H);
        if (s->cell == RNL_CELL_GRU) memcpy(alt[n++], hn, sizeof(float) * s->H);
        memcpy(alt[n++], h, sizeof(float) * s->H);
    }
    free(g), free(c), free(h), free(hn);
    return d;
}

gr_status grade_cell_forward(rnl_cell cell) {
    const char *fn = fwd_name(cell);
    int looks_done;
    if (probe_todo(cell, 0, &looks_done)) return report_todo(fn, looks_done);

    rnl_rng r;
    rnl_rng_seed(&r, 1000 + (uint64_t)cell);
    for (int ci = 0; ci <= NSIZES; ci++) {
        int large = ci == NSIZES, H = large ? LARGE_H : SIZES[ci];
        char case_desc[64];
        snprintf(case_desc, sizeof case_desc, large ? "H = %d, large inputs (|x| up to ~200)" : "H = %d", H);
        fwd_step s, ref;
        fwd_alloc(&s, cell, H), fwd_alloc(&ref, cell, H);
        fwd_random(&s, &r, large);
        size_t GH = (size_t)s.G * H;
        memcpy(ref.a, s.a, sizeof(float) * GH), memcpy(ref.hp, s.hp, sizeof(float) * GH);
        memcpy(ref.c_prev, s.c_prev, sizeof(float) * H), memcpy(ref.h_prev, s.h_prev, sizeof(float) * H);
        fwd_run(&REFERENCE, &ref);
        gr_where("%s (%s)", fn, case_desc);
        fwd_run(&STUDENT, &s);

        const gbuf *bufs[] = {&s.gates, &s.c, &s.h, &s.hn};
        const char *names[] = {"gates", "c", "h", "hn"};
        int ok = guards_ok(fn, case_desc, bufs, names, 4);
        if (ok) {
            const float *want[4] = {ref.gates.p, ref.c.p, ref.h.p, ref.hn.p};
            output o[4];
            int n = fwd_outputs(&s, want, o);
            for (int i = 0; i < n && ok; i++) ok = cmp_floats(o[i].got, o[i].want, o[i].n, STEP_ATOL, STEP_RTOL).first < 0;
            if (!ok) {
                fwd_alt_ctx ctx = {.s = &s};
                describe_mismatch(cell, H, fn, case_desc, o, n, fwd_alt, &ctx);
                if (large) gr_say("(the %d sizes with ordinary inputs pass: only large inputs go wrong)", NSIZES);
            }
        }
        fwd_free(&s), fwd_free(&ref);
        if (!ok) return GR_FAILED;
    }
    if (!core_layer_forward_check(cell)) return GR_FAILED;
    gr_summary("matches the reference for H = 1..33 and large inputs, alone and inside the core's time loop");
    return GR_PASSED;
}

// --- Exercises 2, 4, 6: backward ----------------------------------------------------------------

typedef struct {
    const bwd_step *s;
} bwd_alt_ctx;

static int bwd_outputs(const bwd_step *s, const float *const *want, output *o) {
    int n = 0;
    size_t GH = (size_t)s->G * s->H, H = (size_t)s->H;
    o[n++] = (output){.name = "dg", .meaning = "dL/d(W_ih x + b_ih)", .unwritten_hint = "every dg[k], k < G*H, must be written",
                      .got = s->dg.p, .want = want[0], .n = GH, .per_gate = 1};
    o[n++] = (output){.name = "dhh", .meaning = "dL/d(W_hh h + b_hh)", .unwritten_hint = "every dhh[k], k < G*H, must be written",
                      .got = s->dhh.p, .want = want[1], .n = GH, .per_gate = 1};
    if (s->cell == RNL_CELL_LSTM)
        o[n++] = (output){.name = "dc", .meaning = "dL/dc_{t-1} on the way out", .unwritten_hint = "dc[j] = dL/dc_t * f",
                          .got = s->dc.p, .want = want[2], .n = H};
    o[n++] = (output){.name = "dh",
                      .meaning = s->cell == RNL_CELL_GRU ? "dL/dh_{t-1} without the W_hh path" : "on the way out (must be 0)",
                      .unwritten_hint = "", .got = s->dh.p, .want = want[3], .n = H};
    return n;
}

static const char *bwd_alt(int bug, void *ctx, float **alt) {
    const bwd_step *s = ((bwd_alt_ctx *)ctx)->s;
    size_t GH = (size_t)s->G * s->H;
    float *dh = malloc(sizeof(float) * s->H), *dc = malloc(sizeof(float) * s->H), *dg = malloc(sizeof(float) * GH),
          *dhh = malloc(sizeof(float) * GH);
    memcpy(dh, s->dh_in, sizeof(float) * s->H);
    memcpy(dc, s->dc_in, sizeof(float) * s->H);
    bwd_io io = {.cell = s->cell, .H = s->H, .gates = s->gates, .c = s->c, .c_prev = s->c_prev, .hn = s->hn,
                 .h_prev = s->h_prev, .dh = dh, .dc = dc, .dg = dg, .dhh = dhh};
    const char *d = bug_backward(bug, &io);
    if (d) {
        int n = 0;
        memcpy(alt[n++], dg, sizeof(float) * GH);
        memcpy(alt[n++], dhh, sizeof(float) * GH);
        if (s->cell == RNL_CELL_LSTM) memcpy(alt[n++], dc, sizeof(float) * s->H);
        memcpy(alt[n++], dh, sizeof(float) * s->H);
    }
    free(dh), free(dc), free(dg), free(dhh);
    return d;
}

// (a) Against the reference, every size. Returns 1 if all match.
static int backward_vs_reference(rnl_cell cell) {
    const char *fn = bwd_name(cell);
    rnl_rng r;
    rnl_rng_seed(&r, 2000 + (uint64_t)cell);
    for (int ci = 0; ci <= NSIZES; ci++) {
        int large = ci == NSIZES, H = large ? LARGE_H : SIZES[ci];
        char case_desc[80];
        snprintf(case_desc, sizeof case_desc, large ? "H = %d, saturated gates" : "H = %d", H);
        bwd_step s;
        bwd_alloc(&s, cell, H);
        bwd_random(&s, &r, large);
        bwd_run(&REFERENCE, &s);
        size_t GH = (size_t)s.G * H;
        gbuf w_dg = gb_copy(s.dg.p, GH), w_dhh = gb_copy(s.dhh.p, GH), w_dc = gb_copy(s.dc.p, (size_t)H),
             w_dh = gb_copy(s.dh.p, (size_t)H);
        gr_where("%s (%s)", fn, case_desc);
        bwd_run(&STUDENT, &s);

        const gbuf *bufs[] = {&s.dh, &s.dc, &s.dg, &s.dhh};
        const char *names[] = {"dh", "dc", "dg", "dhh"};
        int ok = guards_ok(fn, case_desc, bufs, names, 4);
        if (ok) {
            const float *want[4] = {w_dg.p, w_dhh.p, w_dc.p, w_dh.p};
            output o[4];
            int n = bwd_outputs(&s, want, o);
            for (int i = 0; i < n && ok; i++) ok = cmp_floats(o[i].got, o[i].want, o[i].n, STEP_ATOL, STEP_RTOL).first < 0;
            if (!ok) {
                bwd_alt_ctx ctx = {.s = &s};
                describe_mismatch(cell, H, fn, case_desc, o, n, bwd_alt, &ctx);
            }
        }
        gb_free(&w_dg), gb_free(&w_dhh), gb_free(&w_dc), gb_free(&w_dh);
        bwd_free(&s);
        if (!ok) return 0;
    }
    return 1;
}

// The loss of the gradient check: L = sum_j wh[j] h[j] (+ sum_j wc[j] c[j] for the LSTM), in double,
// from a forward step of `im` at inputs (a, hp, c_prev, h_prev).
static double step_loss(const impl *im, fwd_step *s, const float *wh, const float *wc) {
    fwd_run(im, s);
    double L = 0;
    for (int j = 0; j < s->H; j++) {
        L += (double)wh[j] * s->h.p[j];
        if (s->cell == RNL_CELL_LSTM) L += (double)wc[j] * s->c.p[j];
    }
    return L;
}

// Central difference of step_loss in one input value *v.
static double finite_diff(const impl *im, fwd_step *s, float *v, const float *wh, const float *wc) {
    float v0 = *v;
    float up = (float)(v0 + FD_EPS), down = (float)(v0 - FD_EPS);
    *v = up;
    double Lu = step_loss(im, s, wh, wc);
    *v = down;
    double Ld = step_loss(im, s, wh, wc);
    *v = v0;
    return (Lu - Ld) / ((double)up - (double)down);
}

// (b) The student's backward against finite differences of a forward (the student's if its exercise
// passed, else the reference's). Returns 1 if every derivative agrees; *worst: largest relative error.
static int gradient_check(rnl_cell cell, double *worst) {
    const char *fn = bwd_name(cell);
    int own = gr_passed(fwd_exercise(cell));
    const impl *fwd = own ? &STUDENT : &REFERENCE;
    const char *whose = own ? "your forward" : "the reference forward";
    static const int fd_sizes[] = {1, 3, 6};
    rnl_rng r;
    rnl_rng_seed(&r, 3000 + (uint64_t)cell);
    *worst = 0;
    for (int si = 0; si < 3; si++) {
        int H = fd_sizes[si], G = rnl_cell_gates(cell), GH = G * H;
        fwd_step f;
        fwd_alloc(&f, cell, H);
        fwd_random(&f, &r, 0);
        float *wh = malloc(sizeof(float) * H), *wc = malloc(sizeof(float) * H);
        rnd_normal(&r, wh, (size_t)H, 1);
        rnd_normal(&r, wc, (size_t)H, 1);

        // Analytic: the student's backward at the forward's point, with dL/dh = wh and dL/dc = wc.
        gr_where("%s, gradient check (H = %d)", fn, H);
        fwd_run(fwd, &f);
        bwd_step b;
        bwd_alloc(&b, cell, H);
        memcpy(b.gates, f.gates.p, sizeof(float) * GH);
        memcpy(b.c, f.c.p, sizeof(float) * H), memcpy(b.c_prev, f.c_prev, sizeof(float) * H);
        memcpy(b.hn, f.hn.p, sizeof(float) * H), memcpy(b.h_prev, f.h_prev, sizeof(float) * H);
        memcpy(b.dh_in, wh, sizeof(float) * H), memcpy(b.dc_in, wc, sizeof(float) * H);
        bwd_run(&STUDENT, &b);

        // Every input of the step, the backward output that must hold its derivative, and its name.
        struct {
            float *in;
            const float *grad;
            int n, per_gate;
            const char *what, *out;
        } wrt[4] = {
            {.in = f.a, .grad = b.dg.p, .n = GH, .per_gate = 1, .what = "dL/d(input part W_ih x + b_ih)", .out = "dg"},
            {.in = f.hp, .grad = b.dhh.p, .n = GH, .per_gate = 1, .what = "dL/d(recurrent part W_hh h + b_hh)", .out = "dhh"},
            {.in = f.c_prev, .grad = b.dc.p, .n = cell == RNL_CELL_LSTM ? H : 0, .what = "dL/dc_{t-1}", .out = "dc"},
            {.in = f.h_prev, .grad = b.dh.p, .n = H, .what = "dL/dh_{t-1} not through W_hh", .out = "dh"},
        };
        int ok = 1;
        for (int w = 0; w < 4 && ok; w++)
            for (int k = 0; k < wrt[w].n && ok; k++) {
                gr_where("%s, finite differences (H = %d)", own ? fwd_name(cell) : "the reference forward", H);
                double fd = finite_diff(fwd, &f, &wrt[w].in[k], wh, wc);
                double an = wrt[w].grad[k];
                double rel = fabs(an - fd) / (FD_ATOL / FD_RTOL + fabs(fd));
                if (rel > *worst) *worst = rel;
                if (!close_enough(an, fd, FD_ATOL, FD_RTOL)) {
                    const char *label = wrt[w].per_gate ? gate_label(cell, G, H, (size_t)k) : gate_label(cell, 1, H, (size_t)k);
                    gr_say("gradient check, H = %d: %s, %s: finite differences of %s give %.6g; your %s writes %s[%d] = %.6g", H,
                           wrt[w].what, label, whose, fd, fn, wrt[w].out, k, an);
                    if (w == 3 && cell != RNL_CELL_GRU)
                        gr_say("likely cause: in the %s step h_{t-1} enters only through W_hh: dh must be 0 on the way out", cell_label(cell));
                    ok = 0;
                }
            }
        free(wh), free(wc);
        bwd_free(&b), fwd_free(&f);
        if (!ok) return 0;
    }
    return 1;
}

gr_status grade_cell_backward(rnl_cell cell) {
    const char *fn = bwd_name(cell);
    int looks_done;
    if (probe_todo(cell, 1, &looks_done)) return report_todo(fn, looks_done);

    int ok_ref = backward_vs_reference(cell);
    double worst = 0;
    int ok_fd = gradient_check(cell, &worst);
    if (!ok_ref || !ok_fd) return GR_FAILED;
    if (!core_layer_backward_check(cell)) return GR_FAILED;

    int fx = fwd_exercise(cell);
    char train[256] = "";
    if (gr_passed(fx)) {
        if (!core_training_run(cell, train, sizeof train)) return GR_FAILED;
    } else snprintf(train, sizeof train, "training run through the core: waits for exercise %d (%s forward)", fx, cell_label(cell));
    gr_summary("matches the reference and finite differences (%s forward), alone and inside the core", gr_passed(fx) ? "your" : "reference");
    gr_say("%s", train);
    if (gr_verbose) gr_say("largest relative error against finite differences: %.2g", worst);
    return GR_PASSED;
}
