// tasks.c: synthetic sequence tasks, generated from the run's rng. They are where a student sees a
// vanilla RNN fail at a length where LSTM and GRU succeed.
//   adding: inputs (value in [0,1), marker 0/1); two markers, one in each half; target: the sum of the
//           two marked values (Hochreiter & Schmidhuber 1997). Predicting 1 always gives MSE 1/6.
//   copy:   token 0 of the sequence is one of 8 symbols, the rest are random symbols too; target: the
//           first symbol, read after the whole sequence (chance: 1/8).
//   sine:   a noisy sine wave of random frequency and phase; at every step, predict the next value.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define COPY_SYMBOLS 8

const char *rnl_task_name(rnl_task t) {
    switch (t) {
    case RNL_TASK_ADDING: return "adding";
    case RNL_TASK_COPY: return "copy";
    case RNL_TASK_SINE: return "sine";
    }
    return "?";
}

rnl_status rnl_task_parse(const char *name, rnl_task *out) {
    for (int t = 0; t <= RNL_TASK_SINE; t++)
        if (strcmp(name, rnl_task_name((rnl_task)t)) == 0) {
            *out = (rnl_task)t;
            return RNL_OK;
        }
    char list[64];  // "adding, copy or sine", from the names above
    size_t n = 0;
    for (int t = 0; t <= RNL_TASK_SINE && n < sizeof list; t++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", t == 0 ? "" : t == RNL_TASK_SINE ? " or " : ", ",
                              rnl_task_name((rnl_task)t));
    return rnl_fail(RNL_ERR_ARG, "unknown task '%s' (expected %s)", name, list);
}

void rnl_task_shape(rnl_task t, rnl_config *c) {
    switch (t) {
    case RNL_TASK_ADDING:
        c->vocab = 0, c->input_size = 2, c->head = RNL_HEAD_REGRESSION, c->outputs = 1, c->seq2seq = 0;
        break;
    case RNL_TASK_COPY:
        c->vocab = COPY_SYMBOLS + 2, c->head = RNL_HEAD_CLASSES, c->outputs = COPY_SYMBOLS, c->seq2seq = 0;
        if (c->embed <= 0) c->embed = 8;
        break;
    case RNL_TASK_SINE:
        c->vocab = 0, c->input_size = 1, c->head = RNL_HEAD_REGRESSION, c->outputs = 1, c->seq2seq = 1;
        break;
    }
}

void rnl_task_data_init(rnl_task_data *d) { memset(d, 0, sizeof *d); }

void rnl_task_data_free(rnl_task_data *d) {
    free(d->tokens);
    free(d->lengths);
    free(d->inputs);
    free(d->targets);
    memset(d, 0, sizeof *d);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    void *q = realloc(*p, need * elem);
    if (!q) return 0;
    *p = q;
    *cap = need;
    return 1;
}

rnl_status rnl_task_generate(rnl_task_data *d, rnl_task task, int B, int T, rnl_rng *rng) {
    if (B < 1 || B > RNL_MAX_BATCH) return rnl_fail(RNL_ERR_ARG, "task: batch size %d is outside 1..%d", B, RNL_MAX_BATCH);
    if (T < 2 || T > RNL_MAX_STEPS) return rnl_fail(RNL_ERR_ARG, "task: length %d is outside 2..%d", T, RNL_MAX_STEPS);
    size_t BT = (size_t)B * T;
    int ok = grow((void **)&d->lengths, &d->cap_lengths, (size_t)B, sizeof(int32_t));
    switch (task) {
    case RNL_TASK_ADDING:
        ok = ok && grow((void **)&d->inputs, &d->cap_inputs, 2 * BT, sizeof(rnl_real));
        ok = ok && grow((void **)&d->targets, &d->cap_targets, (size_t)B, sizeof(rnl_real));
        break;
    case RNL_TASK_COPY:
        ok = ok && grow((void **)&d->tokens, &d->cap_tokens, BT, sizeof(int32_t));
        ok = ok && grow((void **)&d->targets, &d->cap_targets, (size_t)B, sizeof(rnl_real));
        break;
    case RNL_TASK_SINE:
        ok = ok && grow((void **)&d->inputs, &d->cap_inputs, BT, sizeof(rnl_real));
        ok = ok && grow((void **)&d->targets, &d->cap_targets, BT, sizeof(rnl_real));
        break;
    default: return rnl_fail(RNL_ERR_ARG, "task: unknown task %d", (int)task);
    }
    if (!ok) return rnl_fail(RNL_ERR_NOMEM, "task: out of memory for a batch of %d x %d", B, T);
    memset(&d->batch, 0, sizeof d->batch);
    d->batch.B = B;
    d->batch.T = T;
    d->batch.lengths = d->lengths;
    d->batch.targets = d->targets;
    for (int b = 0; b < B; b++) d->lengths[b] = T;

    for (int b = 0; b < B; b++) {
        switch (task) {
        case RNL_TASK_ADDING: {
            rnl_real *x = d->inputs + (size_t)b * T * 2;
            for (int t = 0; t < T; t++) x[2 * t] = (rnl_real)rnl_rng_uniform(rng), x[2 * t + 1] = 0;
            int half = T / 2;
            int p1 = (int)rnl_rng_below(rng, (uint32_t)half), p2 = half + (int)rnl_rng_below(rng, (uint32_t)(T - half));
            x[2 * p1 + 1] = 1;
            x[2 * p2 + 1] = 1;
            d->targets[b] = x[2 * p1] + x[2 * p2];
            break;
        }
        case RNL_TASK_COPY: {
            int32_t *tok = d->tokens + (size_t)b * T;
            int first = (int)rnl_rng_below(rng, COPY_SYMBOLS);
            tok[0] = 2 + first;
            for (int t = 1; t < T; t++) tok[t] = 2 + (int32_t)rnl_rng_below(rng, COPY_SYMBOLS);
            d->targets[b] = (rnl_real)first;
            break;
        }
        case RNL_TASK_SINE: {
            double w = 0.05 + 0.25 * rnl_rng_uniform(rng), phase = 6.283185307179586 * rnl_rng_uniform(rng);
            rnl_real *x = d->inputs + (size_t)b * T, *y = d->targets + (size_t)b * T;
            double prev = sin(phase) + 0.1 * rnl_rng_normal(rng);
            for (int t = 0; t < T; t++) {
                double next = sin(w * (t + 1) + phase) + 0.1 * rnl_rng_normal(rng);
                x[t] = (rnl_real)prev;
                y[t] = (rnl_real)next;
                prev = next;
            }
            break;
        }
        }
    }
    if (task == RNL_TASK_COPY) d->batch.tokens = d->tokens;
    else d->batch.inputs = d->inputs;
    return RNL_OK;
}
