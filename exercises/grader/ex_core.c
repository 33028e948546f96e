// ex_core.c: the student's cells inside the whole core. A step that is right alone can still fail in
// the time loop (a static variable kept between calls, a read of a buffer the loop reuses), so each
// cell exercise also runs one recurrent layer of the core (rnl_layer_forward/backward, built with the
// student's cell_math.c) on a batch of 3 sequences of lengths 6, 4 and 1, forward and reverse, full
// and truncated BPTT, against the reference layer; then the backward exercises train a small model.
// The backward check feeds the student's backward with caches from the reference forward, so it does
// not depend on the forward exercise.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

#define LAYER_H 5
#define LAYER_IN 3
#define LAYER_B 3
#define LAYER_T 6
static const int LAYER_LENS[LAYER_B] = {6, 4, 1};  // sorted, longest first, as the core keeps batches

typedef struct {
    rnl_layer_desc L;
    float *W_ih, *W_hh, *b_ih, *b_hh, *x;  // x (T, B, in), time-major
    rnl_layer_cache c;
    rnl_layer_scratch s;
} layer;

static float *fcalloc(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) {
        fprintf(stderr, "grader: out of memory\n");
        exit(3);
    }
    return p;
}

// Zeroed caches for one direction of T steps of a batch of B: gates (T, B, G*H), aux and h (T, B, H).
static rnl_layer_cache layer_cache_new(rnl_cell cell, int H, int B, int T) {
    size_t TBH = (size_t)T * B * H;
    return (rnl_layer_cache){.gates = fcalloc(TBH * rnl_cell_gates(cell)), .aux = fcalloc(TBH), .h = fcalloc(TBH), .ldh = H};
}

static void layer_init(layer *y, rnl_cell cell, int reverse, rnl_rng *r) {
    memset(y, 0, sizeof *y);
    const int H = LAYER_H, G = rnl_cell_gates(cell), GH = G * H, B = LAYER_B, T = LAYER_T;
    y->W_ih = fcalloc((size_t)GH * LAYER_IN), y->W_hh = fcalloc((size_t)GH * H);
    y->b_ih = fcalloc((size_t)GH), y->b_hh = fcalloc((size_t)GH), y->x = fcalloc((size_t)T * B * LAYER_IN);
    rnd_normal(r, y->W_ih, (size_t)GH * LAYER_IN, 0.6);
    rnd_normal(r, y->W_hh, (size_t)GH * H, 0.5);
    rnd_normal(r, y->b_ih, (size_t)GH, 0.3);
    rnd_normal(r, y->b_hh, (size_t)GH, 0.3);
    rnd_normal(r, y->x, (size_t)T * B * LAYER_IN, 1);
    y->L = (rnl_layer_desc){.cell = cell, .H = H, .in = LAYER_IN, .B = B, .T = T, .reverse = reverse, .len = LAYER_LENS,
                            .W_ih = y->W_ih, .W_hh = y->W_hh, .b_ih = y->b_ih, .b_hh = y->b_hh};  // h0, c0: zeros
    y->c = layer_cache_new(cell, H, B, T);
    y->s = (rnl_layer_scratch){.hprev = fcalloc((size_t)B * H), .cprev = fcalloc((size_t)B * H), .hp = fcalloc((size_t)B * GH),
                               .dh = fcalloc((size_t)B * H), .dc = fcalloc((size_t)B * H), .dhh = fcalloc((size_t)B * GH),
                               .dg = fcalloc((size_t)T * B * GH)};
}

static void layer_free(layer *y) {
    free(y->W_ih), free(y->W_hh), free(y->b_ih), free(y->b_hh), free(y->x);
    free(y->c.gates), free(y->c.aux), free(y->c.h);
    free(y->s.hprev), free(y->s.cprev), free(y->s.hp), free(y->s.dh), free(y->s.dc), free(y->s.dhh), free(y->s.dg);
}

static void say_config(const char *fn, rnl_cell cell, int reverse, int window) {
    char trunc[48] = "";
    if (window) snprintf(trunc, sizeof trunc, ", truncated BPTT with window %d", window);
    gr_say("through the core: %s with your %s cell (B = %d sequences of lengths %d, %d, %d; %s direction%s)", fn,
           cell_label(cell), LAYER_B, LAYER_LENS[0], LAYER_LENS[1], LAYER_LENS[2], reverse ? "reverse" : "forward", trunc);
}

static void say_loop_hint(void) {
    gr_say("likely cause: your function passes on a single step but not inside the core's time loop: does it keep state "
           "between calls (a static variable), or read an output buffer before writing it?");
}

int core_layer_forward_check(rnl_cell cell) {
    const int G = rnl_cell_gates(cell), GH = G * LAYER_H;
    rnl_rng r;
    rnl_rng_seed(&r, 4000 + (uint64_t)cell);
    for (int reverse = 0; reverse <= 1; reverse++) {
        layer ref, stu;
        layer_init(&ref, cell, reverse, &r);
        stu = ref;  // same weights and inputs; its own caches
        stu.c = layer_cache_new(cell, LAYER_H, LAYER_B, LAYER_T);
        ref_layer_forward(&ref.L, &ref.c, &ref.s, ref.x, LAYER_IN);
        gr_where("rnl_layer_forward (the core's time loop) calling your %s forward", cell_label(cell));
        rnl_layer_forward(&stu.L, &stu.c, &ref.s, stu.x, LAYER_IN);

        int ok = 1;
        for (int t = 0; t < LAYER_T && ok; t++)
            for (int b = 0; b < LAYER_B && ok; b++) {
                if (t >= LAYER_LENS[b]) continue;
                size_t row = (size_t)t * LAYER_B + b;
                struct {
                    const char *name;
                    const float *got, *want;
                    int n, per_gate;
                } cmp[3] = {
                    {.name = "h", .got = stu.c.h + row * LAYER_H, .want = ref.c.h + row * LAYER_H, .n = LAYER_H},
                    {.name = "gates", .got = stu.c.gates + row * GH, .want = ref.c.gates + row * GH, .n = GH, .per_gate = 1},
                    {.name = cell == RNL_CELL_LSTM ? "c" : "hn", .got = stu.c.aux + row * LAYER_H, .want = ref.c.aux + row * LAYER_H,
                     .n = cell == RNL_CELL_RNN ? 0 : LAYER_H},
                };
                for (int i = 0; i < 3 && ok; i++) {
                    cmp_result c = cmp_floats(cmp[i].got, cmp[i].want, (size_t)cmp[i].n, 1e-4, 1e-3);
                    if (c.first < 0) continue;
                    say_config("rnl_layer_forward", cell, reverse, 0);
                    gr_say("sequence %d, step t = %d: %s (%s): expected %.6g, got %.6g", b, t, cmp[i].name,
                           gate_label(cell, cmp[i].per_gate ? G : 1, LAYER_H, (size_t)c.first), cmp[i].want[c.first], cmp[i].got[c.first]);
                    say_loop_hint();
                    ok = 0;
                }
            }
        free(stu.c.gates), free(stu.c.aux), free(stu.c.h);
        layer_free(&ref);
        if (!ok) return 0;
    }
    return 1;
}

int core_layer_backward_check(rnl_cell cell) {
    const int H = LAYER_H, G = rnl_cell_gates(cell), GH = G * H, T = LAYER_T, B = LAYER_B;
    static const int configs[3][2] = {{0, 0}, {1, 0}, {0, 2}};  // reverse, window
    rnl_rng r;
    rnl_rng_seed(&r, 5000 + (uint64_t)cell);
    for (int ci = 0; ci < 3; ci++) {
        int reverse = configs[ci][0], window = configs[ci][1];
        layer y;
        layer_init(&y, cell, reverse, &r);
        ref_layer_forward(&y.L, &y.c, &y.s, y.x, LAYER_IN);
        float *dh_out = fcalloc((size_t)T * B * H);
        rnd_normal(&r, dh_out, (size_t)T * B * H, 1);

        // Gradients of both: dW_ih, dW_hh, db_ih, db_hh, dx; and the per-step norms.
        size_t n[5] = {(size_t)GH * LAYER_IN, (size_t)GH * H, (size_t)GH, (size_t)GH, (size_t)T * B * LAYER_IN};
        float *ref_g[5], *stu_g[5];
        for (int i = 0; i < 5; i++) ref_g[i] = fcalloc(n[i]), stu_g[i] = fcalloc(n[i]);
        double ref_n2[LAYER_T] = {0}, stu_n2[LAYER_T] = {0};
        ref_layer_backward(&y.L, &y.c, &y.s, y.x, LAYER_IN, dh_out, H, ref_g[4], ref_g[0], ref_g[1], ref_g[2], ref_g[3], window, ref_n2);
        gr_where("rnl_layer_backward (the core's time loop) calling your %s backward", cell_label(cell));
        rnl_layer_backward(&y.L, &y.c, &y.s, y.x, LAYER_IN, dh_out, H, stu_g[4], stu_g[0], stu_g[1], stu_g[2], stu_g[3], window, stu_n2);

        static const char *names[5] = {"dW_ih", "dW_hh", "db_ih", "db_hh", "dx"};
        int ok = 1;
        for (int i = 0; i < 5 && ok; i++) {
            double scale = 0;
            for (size_t k = 0; k < n[i]; k++) scale = fmax(scale, fabs(ref_g[i][k]));
            cmp_result c = cmp_floats(stu_g[i], ref_g[i], n[i], 1e-4 * (1 + scale), 1e-3);
            if (c.first < 0) continue;
            say_config("rnl_layer_backward", cell, reverse, window);
            size_t k = (size_t)c.first;
            if (i < 2) {
                int cols = i == 0 ? LAYER_IN : H;
                gr_say("%s[%zu][%zu] (%s): expected %.6g, got %.6g", names[i], k / cols, k % cols, gate_label(cell, G, H, k / cols),
                       ref_g[i][k], stu_g[i][k]);
            } else if (i < 4) gr_say("%s[%zu] (%s): expected %.6g, got %.6g", names[i], k, gate_label(cell, G, H, k), ref_g[i][k], stu_g[i][k]);
            else gr_say("dx at step %zu, sequence %zu: expected %.6g, got %.6g", k / (B * LAYER_IN), k / LAYER_IN % B, ref_g[i][k], stu_g[i][k]);
            say_loop_hint();
            ok = 0;
        }
        for (int t = 0; t < T && ok; t++)
            if (!close_enough(sqrt(stu_n2[t]), sqrt(ref_n2[t]), 1e-4, 1e-3)) {
                say_config("rnl_layer_backward", cell, reverse, window);
                gr_say("||dL/dh_t|| at t = %d: expected %.6g, got %.6g", t, sqrt(ref_n2[t]), sqrt(stu_n2[t]));
                say_loop_hint();
                ok = 0;
            }
        for (int i = 0; i < 5; i++) free(ref_g[i]), free(stu_g[i]);
        free(dh_out);
        layer_free(&y);
        if (!ok) return 0;
    }
    return 1;
}

// --- Training runs ------------------------------------------------------------------------------
// Settings measured with the reference core (6 seeds): the RNN reaches a held-out MSE of 0.004-0.009
// on the adding problem of length 5 in 300 steps; the LSTM and the GRU a loss of 0.004-0.04 on the
// copy task of length 5 in 150. No clipping, so a bug in exercise 7 cannot fail a cell exercise.

int core_training_run(rnl_cell cell, char *summary, size_t cap) {
    const int rnn = cell == RNL_CELL_RNN, T = 5, steps = rnn ? 300 : 150;
    const rnl_task task = rnn ? RNL_TASK_ADDING : RNL_TASK_COPY;
    const double chance = rnn ? 1.0 / 6 : log(8.0), want = rnn ? 0.03 : 0.5;
    const char *what = rnn ? "held-out MSE" : "held-out loss";

    rnl_config cfg = rnl_config_default(cell);
    rnl_task_shape(task, &cfg);
    cfg.hidden = 16;
    rnl_model *m = NULL;
    rnl_optimizer *o = NULL;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 0.02f, oc.clip = 0;
    if (rnl_model_create(&m, &cfg, 1) || rnl_optimizer_create(&o, &oc, rnl_model_num_params(m))) {
        gr_say("training: %s", rnl_last_error());
        rnl_model_destroy(m);
        return 0;
    }
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 101);
    rnl_step_stats st;
    int ok = 1;
    for (int i = 0; i < steps && ok; i++) {
        gr_where("training a %s on the %s task with your cells, step %d", cell_label(cell), rnl_task_name(task), i + 1);
        rnl_task_generate(&d, task, 32, T, &rng);
        if (rnl_train_step(m, o, &d.batch, 0, &st) != RNL_OK) {
            gr_say("training a %s through the core with your cells: %s", cell_label(cell), rnl_last_error());
            ok = 0;
        }
    }
    double loss = 0, acc = 0;
    if (ok) {
        rnl_rng_seed(&rng, 424242);
        for (int i = 0; i < 5; i++) {
            rnl_task_generate(&d, task, 100, T, &rng);
            rnl_eval_batch(m, &d.batch, &st);
            loss += st.loss / 5, acc += st.accuracy / 5;
        }
        if (!(loss < want)) {
            gr_say("training a %s through the core with your cells: %s task, length %d, %d steps: %s %.4f; with the reference "
                   "cells it is below %.2f (chance %.3f)",
                   cell_label(cell), rnl_task_name(task), T, steps, what, loss, want, chance);
            gr_say("likely cause: the single steps match the reference, so look at what the time loop passes between steps: "
                   "the cached gates (written back by your forward) and, for the LSTM, c");
            ok = 0;
        }
    }
    if (ok) {
        if (rnn) snprintf(summary, cap, "training through the core: adding problem, length %d, %d steps: %s %.4f (chance %.3f)", T, steps, what, loss, chance);
        else snprintf(summary, cap, "training through the core: copy task, length %d, %d steps: %s %.4f, accuracy %.0f%% (chance %.3f, 12.5%%)",
                      T, steps, what, loss, 100 * acc, chance);
    }
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    return ok;
}
