// ex_bptt.c: exercise 8, the BPTT loop (ex_rnn_bptt in the student's bptt.c). Compared with
//   the core: one recurrent layer of the reference (ref_layer_forward/backward, B = 1, b in b_ih and
//     zeros in b_hh), full and truncated, windows 1, 3, 4, T and past T;
//   finite differences of the loss L = sum_t dL_dh[t] . h_t in double (full BPTT only: a truncated
//     gradient is not the gradient of anything).
// Independent of exercises 1-7: the reference layer uses the reference cells.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

#define MAX_T 64
#define MAX_W 16  // I and H: bugs.c works on stack arrays of this size

typedef struct {
    bptt_problem p;
    float *x, *W_ih, *W_hh, *b, *dL_dh;
} problem;

static void problem_init(problem *q, int T, int I, int H, int window, double w_hh_scale, rnl_rng *r) {
    q->x = malloc(sizeof(float) * T * I), q->W_ih = malloc(sizeof(float) * H * I), q->W_hh = malloc(sizeof(float) * H * H);
    q->b = malloc(sizeof(float) * H), q->dL_dh = malloc(sizeof(float) * T * H);
    rnd_normal(r, q->x, (size_t)T * I, 1);
    rnd_normal(r, q->W_ih, (size_t)H * I, 0.8);
    rnd_normal(r, q->W_hh, (size_t)H * H, w_hh_scale / sqrt(H));
    rnd_normal(r, q->b, (size_t)H, 0.3);
    rnd_normal(r, q->dL_dh, (size_t)T * H, 1);
    q->p = (bptt_problem){.T = T, .I = I, .H = H, .window = window,
                          .x = q->x, .W_ih = q->W_ih, .W_hh = q->W_hh, .b = q->b, .dL_dh = q->dL_dh};
}

static void problem_free(problem *q) { free(q->x), free(q->W_ih), free(q->W_hh), free(q->b), free(q->dL_dh); }

// The core's answer: one RNN layer, batch of one.
static void core_bptt(const bptt_problem *p, float *dW_ih, float *dW_hh, float *db, float *dh_norm) {
    const int T = p->T, I = p->I, H = p->H;
    int len[1] = {T};
    float *zeros = calloc((size_t)H, sizeof(float)), *db_hh = calloc((size_t)H, sizeof(float));
    rnl_layer_desc L = {.cell = RNL_CELL_RNN, .H = H, .in = I, .B = 1, .T = T, .reverse = 0, .len = len,
                        .W_ih = p->W_ih, .W_hh = p->W_hh, .b_ih = p->b, .b_hh = zeros};  // h0, c0: zeros
    rnl_layer_cache c = {.gates = calloc((size_t)T * H, sizeof(float)), .aux = calloc((size_t)T * H, sizeof(float)),
                         .h = calloc((size_t)T * H, sizeof(float)), .ldh = H};
    rnl_layer_scratch s = {.hprev = calloc((size_t)H, sizeof(float)), .cprev = calloc((size_t)H, sizeof(float)),
                           .hp = calloc((size_t)H, sizeof(float)), .dh = calloc((size_t)H, sizeof(float)),
                           .dc = calloc((size_t)H, sizeof(float)), .dhh = calloc((size_t)H, sizeof(float)),
                           .dg = calloc((size_t)T * H, sizeof(float))};
    double n2[MAX_T] = {0};
    ref_layer_forward(&L, &c, &s, p->x, I);
    ref_layer_backward(&L, &c, &s, p->x, I, p->dL_dh, H, NULL, dW_ih, dW_hh, db, db_hh, p->window, n2);
    for (int t = 0; t < T; t++) dh_norm[t] = (float)sqrt(n2[t]);
    free(zeros), free(db_hh), free(c.gates), free(c.aux), free(c.h);
    free(s.hprev), free(s.cprev), free(s.hp), free(s.dh), free(s.dc), free(s.dhh), free(s.dg);
}

typedef struct {
    gbuf dW_ih, dW_hh, db, dh_norm;
} grads;

static void student_bptt(const bptt_problem *p, grads *g) {
    g->dW_ih = gb_new((size_t)p->H * p->I, 0), g->dW_hh = gb_new((size_t)p->H * p->H, 0), g->db = gb_new((size_t)p->H, 0);
    g->dh_norm = gb_new((size_t)p->T, GR_UNWRITTEN);
    gr_where("ex_rnn_bptt (T = %d, I = %d, H = %d, window %d)", p->T, p->I, p->H, p->window);
    ex_rnn_bptt(p->T, p->I, p->H, p->x, p->W_ih, p->W_hh, p->b, p->dL_dh, g->dW_ih.p, g->dW_hh.p, g->db.p, g->dh_norm.p, p->window);
}

static void grads_free(grads *g) { gb_free(&g->dW_ih), gb_free(&g->dW_hh), gb_free(&g->db), gb_free(&g->dh_norm); }

static double max_abs(const float *v, size_t n) {
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fmax(m, fabs(v[k]));
    return m;
}

// A known mistake (computed in double) that reproduces the student's outputs: all four, or else
// output `only` alone (0 dh_norm, 1 db, 2 dW_ih, 3 dW_hh). Returns its description, or NULL.
static const char *match_bug(const bptt_problem *p, const grads *g, int only) {
    const int T = p->T, I = p->I, H = p->H;
    double dWi[MAX_W * MAX_W], dWh[MAX_W * MAX_W], db[MAX_W], nrm[MAX_T];
    const gbuf *got[4] = {&g->dh_norm, &g->db, &g->dW_ih, &g->dW_hh};
    const double *alt[4] = {nrm, db, dWi, dWh};
    const int n[4] = {T, H, H * I, H * H};
    for (int pass = 0; pass < 2; pass++) {
        const char *d;
        for (int bug = 1; (d = bug_bptt(bug, p, dWi, dWh, db, nrm)) != NULL; bug++) {
            int same = 1;
            for (int i = 0; i < 4 && same; i++)
                if (pass == 0 || i == only)
                    for (int k = 0; k < n[i] && same; k++) same = close_enough(got[i]->p[k], alt[i][k], 1e-4, 1e-3);
            if (same) return d;
        }
    }
    return NULL;
}

// (a) Against the core. Returns 1 if every output matches.
static int bptt_vs_core(const problem *q) {
    const bptt_problem *p = &q->p;
    const int T = p->T, I = p->I, H = p->H;
    float *dWi = calloc((size_t)H * I, sizeof(float)), *dWh = calloc((size_t)H * H, sizeof(float)), *db = calloc((size_t)H, sizeof(float)),
          *nrm = calloc((size_t)T, sizeof(float));
    core_bptt(p, dWi, dWh, db, nrm);
    grads g;
    student_bptt(p, &g);

    char msg[128], cfg[96];
    snprintf(cfg, sizeof cfg, "ex_rnn_bptt, T = %d, I = %d, H = %d, %s", T, I, H, p->window ? "" : "full BPTT");
    if (p->window) snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), "window %d", p->window);
    int ok = 1;
    const gbuf *bufs[4] = {&g.dh_norm, &g.db, &g.dW_ih, &g.dW_hh};
    static const char *names[4] = {"dh_norm", "db", "dW_ih", "dW_hh"};
    for (int i = 0; i < 4 && ok; i++)
        if (!gb_guards_ok(bufs[i], names[i], msg, sizeof msg)) {
            gr_say("%s: wrote %s", cfg, msg);
            ok = 0;
        }
    const float *want[4] = {nrm, db, dWi, dWh};
    int cols[4] = {1, 1, I, H};
    for (int i = 0; i < 4 && ok; i++) {
        size_t n = bufs[i]->n;
        cmp_result c = cmp_floats(bufs[i]->p, want[i], n, 1e-4 * (1 + max_abs(want[i], n)), 1e-3);
        if (c.first < 0) continue;
        ok = 0;
        size_t k = (size_t)c.first;
        if (i == 0) gr_say("%s: dh_norm[%zu] = ||dL/dh_t|| at t = %zu: the core gives %.6g, yours %.6g", cfg, k, k, want[i][k], bufs[i]->p[k]);
        else if (cols[i] == 1) gr_say("%s: db[%zu]: the core gives %.6g, yours %.6g", cfg, k, want[i][k], bufs[i]->p[k]);
        else gr_say("%s: %s[%zu][%zu]: the core gives %.6g, yours %.6g", cfg, names[i], k / cols[i], k % cols[i], want[i][k], bufs[i]->p[k]);
        if (c.bad > 1) gr_say("%zu of the %zu values of %s differ", c.bad, n, names[i]);

        const char *cause = match_bug(p, &g, i);
        if (cause) gr_say("likely cause: %s", cause);
        else if (c.unwritten || c.all_unwritten) gr_say("likely cause: dh_norm[%zu] was never written: write ||dL/dh_t|| for every t", k);
        else if (!isfinite(bufs[i]->p[k])) gr_say("likely cause: not a number: an uninitialised buffer (malloc does not zero; calloc does)?");
        else if (i == 0 && k + 1 < (size_t)T && close_enough(bufs[0]->p[T - 1], nrm[T - 1], 1e-4, 1e-3))
            gr_say("likely cause: the last step is right and the earlier ones are not: look at what flows into step t-1 "
                   "(dh = W_hh^T da)%s",
                   p->window ? " and at the truncation window" : "");
    }
    free(dWi), free(dWh), free(db), free(nrm);
    grads_free(&g);
    return ok;
}

// (b) Finite differences of L = sum_t dL_dh[t] . h_t over every weight. Returns 1 if they agree.
static int bptt_vs_finite_differences(const problem *q) {
    const bptt_problem *p = &q->p;
    const int I = p->I, H = p->H;
    double Wi[MAX_W * MAX_W], Wh[MAX_W * MAX_W], b[MAX_W];
    for (int k = 0; k < H * I; k++) Wi[k] = p->W_ih[k];
    for (int k = 0; k < H * H; k++) Wh[k] = p->W_hh[k];
    for (int k = 0; k < H; k++) b[k] = p->b[k];
    grads g;
    student_bptt(p, &g);
    struct {
        double *w;
        const float *grad;
        int n, cols;
        const char *name;
    } wrt[3] = {{.w = Wi, .grad = g.dW_ih.p, .n = H * I, .cols = I, .name = "dW_ih"},
                {.w = Wh, .grad = g.dW_hh.p, .n = H * H, .cols = H, .name = "dW_hh"},
                {.w = b, .grad = g.db.p, .n = H, .cols = 1, .name = "db"}};
    int ok = 1;
    for (int w = 0; w < 3 && ok; w++) {
        double scale = 1 + max_abs(wrt[w].grad, (size_t)wrt[w].n);
        for (int k = 0; k < wrt[w].n && ok; k++) {
            double v = wrt[w].w[k], eps = 1e-5;
            wrt[w].w[k] = v + eps;
            double Lu = bptt_loss(p, Wi, Wh, b);
            wrt[w].w[k] = v - eps;
            double Ld = bptt_loss(p, Wi, Wh, b);
            wrt[w].w[k] = v;
            double fd = (Lu - Ld) / (2 * eps);
            if (!close_enough(wrt[w].grad[k], fd, 2e-4 * scale, 2e-3)) {
                if (wrt[w].cols == 1) gr_say("ex_rnn_bptt, T = %d, full BPTT: finite differences give dL/db[%d] = %.6g; your db[%d] = %.6g", p->T, k, fd, k, wrt[w].grad[k]);
                else gr_say("ex_rnn_bptt, T = %d, full BPTT: finite differences give %s[%d][%d] = %.6g; yours %.6g", p->T, wrt[w].name,
                            k / wrt[w].cols, k % wrt[w].cols, fd, wrt[w].grad[k]);
                const char *cause = match_bug(p, &g, w == 0 ? 2 : w == 1 ? 3 : 1);
                if (cause) gr_say("likely cause: %s", cause);
                ok = 0;
            }
        }
    }
    grads_free(&g);
    return ok;
}

// On a pass: the vanishing gradient, computed by the student's own loop.
static void show_vanishing(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 8800);
    problem q;
    problem_init(&q, 30, 1, 8, 0, 1.0, &r);  // W_hh entries N(0, 1/H): spectral radius about 1
    memset(q.dL_dh, 0, sizeof(float) * 30 * 8);
    rnd_normal(&r, q.dL_dh + 29 * 8, 8, 1);  // a loss on the last step only
    grads g;
    student_bptt(&q.p, &g);
    char line[256];
    int n = snprintf(line, sizeof line, "the vanishing gradient, by your loop (a loss at t = 29 only): ||dL/dh_t|| =");
    for (int t = 29; t > 0 && n < (int)sizeof line - 24; t -= 6) n += snprintf(line + n, sizeof line - (size_t)n, " %.2g (t=%d)", g.dh_norm.p[t], t);
    snprintf(line + n, sizeof line - (size_t)n, " %.2g (t=0)", g.dh_norm.p[0]);
    gr_say("%s", line);
    grads_free(&g);
    problem_free(&q);
}

gr_status grade_bptt(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 8000);
    // TODO probe.
    {
        problem q;
        problem_init(&q, 3, 2, 2, 0, 0.9, &r);
        ex_todo_count = 0;
        grads g;
        student_bptt(&q.p, &g);
        int todo = ex_todo_count > 0;
        ex_todo_count = 0;
        float dWi[4] = {0}, dWh[4] = {0}, db[2] = {0}, nrm[3] = {0};
        core_bptt(&q.p, dWi, dWh, db, nrm);
        int looks_done = cmp_floats(g.dW_hh.p, dWh, 4, 1e-4, 1e-3).first < 0 && cmp_floats(g.dh_norm.p, nrm, 3, 1e-4, 1e-3).first < 0;
        grads_free(&g);
        problem_free(&q);
        if (todo) {
            if (looks_done) gr_summary("your ex_rnn_bptt already computes the right numbers, but still calls EX_TODO: delete that line");
            else gr_summary("not implemented yet (ex_rnn_bptt in %s)", gr_file("bptt.c"));
            return GR_TODO;
        }
    }

    static const int configs[][4] = {  // T, I, H, window
        {1, 1, 1, 0}, {4, 3, 2, 0}, {9, 2, 5, 0}, {9, 2, 5, 3}, {9, 2, 5, 1}, {7, 3, 4, 7}, {7, 3, 4, 20}, {16, 3, 8, 4},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof configs / sizeof configs[0] && ok; i++) {
        problem q;
        problem_init(&q, configs[i][0], configs[i][1], configs[i][2], configs[i][3], 0.9, &r);
        ok = bptt_vs_core(&q);
        if (ok && q.p.window == 0) ok = bptt_vs_finite_differences(&q);
        problem_free(&q);
    }
    if (!ok) return GR_FAILED;
    gr_summary("matches the core (full BPTT and windows 1, 3, 4, T, > T) and finite differences");
    show_vanishing();
    return GR_PASSED;
}
