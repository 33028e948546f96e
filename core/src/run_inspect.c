// run_inspect.c: the inspection numbers that read a data set (rnnlab_inspect.h): the state cloud of a
// split. Apart from inspect.c because the double-precision build of the core (the gradient checks) has
// no data layer.
#include <stdlib.h>
#include <string.h>

#include "rnnlab_inspect.h"
#include "rnnlab_run.h"

rnl_status rnl_state_cloud(rnl_pca *pca, double *xy, int *labels, rnl_model *m, const rnl_dataset *ds,
                           rnl_split split, int n) {
    const rnl_config *c = rnl_model_config(m);
    rnl_status st;
    int first, count;
    memset(pca, 0, sizeof *pca);
    if (c->seq2seq || c->head == RNL_HEAD_REGRESSION)
        return rnl_fail(RNL_ERR_ARG, "state cloud: needs a sequence-to-one classifier (its final state is its reading of the review)");
    if ((st = rnl_run_data_fits(c, ds, NULL))) return st;
    rnl_dataset_split(ds, split, &first, &count);
    if (n < 2 || n > count)
        return rnl_fail(RNL_ERR_ARG, "state cloud: %d reviews asked, the split has %d (at least 2 needed)", n, count);
    const int D = c->hidden * (c->bidirectional ? 2 : 1), top = c->layers - 1, Bmax = RNL_RUN_EVAL_BATCH;
    size_t d = (size_t)D;
    double *sum = calloc(d * d + d, sizeof(double)), *cross = sum ? sum + d : NULL;  // cross: (D, D) upper half
    int32_t *idx = malloc(sizeof(int32_t) * Bmax);
    rnl_real *states = NULL;
    rnl_real *finals = malloc(sizeof(rnl_real) * (size_t)n * D);
    rnl_task_data data;
    rnl_task_data_init(&data);
    if (!sum || !idx || !finals) {
        st = rnl_fail(RNL_ERR_NOMEM, "state cloud: out of memory");
        goto done;
    }
    double rows = 0;
    for (int i0 = 0; i0 < n; i0 += Bmax) {
        int B = n - i0 < Bmax ? n - i0 : Bmax;
        for (int i = 0; i < B; i++) idx[i] = first + i0 + i;
        if ((st = rnl_dataset_batch(ds, idx, B, &data)) || (st = rnl_model_forward(m, &data.batch, NULL))) goto done;
        rnl_real *grown = realloc(states, sizeof(rnl_real) * (size_t)data.batch.T * d);
        if (!grown) {
            st = rnl_fail(RNL_ERR_NOMEM, "state cloud: out of memory");
            goto done;
        }
        states = grown;
        for (int i = 0; i < B; i++) {
            int steps;
            if ((st = rnl_model_states(m, top, i, states, &steps))) goto done;
            for (int t = 0; t < steps; t++) {
                const rnl_real *h = states + (size_t)t * d;
                for (size_t a = 0; a < d; a++) {
                    sum[a] += h[a];
                    for (size_t b = a; b < d; b++) cross[a * d + b] += (double)h[a] * h[b];
                }
            }
            rows += steps;
            // The review's point: what the head reads, its final state or the pool of its states.
            rnl_real *fin = finals + (size_t)(i0 + i) * d;
            memcpy(fin, states + (size_t)(steps - 1) * d, sizeof(rnl_real) * d);
            for (size_t a = 0; a < d && c->pool != RNL_POOLING_LAST; a++) {
                double acc = states[a];
                for (int t = 1; t < steps; t++) {
                    double v = states[(size_t)t * d + a];
                    acc = c->pool == RNL_POOLING_MEAN ? acc + v : v > acc ? v : acc;
                }
                fin[a] = (rnl_real)(c->pool == RNL_POOLING_MEAN ? acc / steps : acc);
            }
            labels[i0 + i] = (int)data.batch.targets[i];
        }
    }
    // cov = (sum h h^T - rows * mean mean^T) / (rows - 1)
    for (size_t a = 0; a < d; a++) sum[a] /= rows;
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++)
            cross[b * d + a] = cross[a * d + b] = (cross[a * d + b] - rows * sum[a] * sum[b]) / (rows - 1);
    if ((st = rnl_pca_fit_cov(pca, cross, sum, D, 2))) goto done;
    double *h = (double *)cross;  // the covariance is no longer needed: a row of D doubles
    for (int i = 0; i < n; i++) {
        for (size_t a = 0; a < d; a++) h[a] = finals[(size_t)i * d + a];
        rnl_pca_project(pca, h, xy + 2 * (size_t)i);
    }
done:
    if (st) rnl_pca_free(pca);
    rnl_task_data_free(&data);
    free(sum), free(idx), free(states), free(finals);
    return st;
}

rnl_status rnl_word_polarity(double *out, const rnl_dataset *ds, const int32_t *ids, int n) {
    if (ds->kind != RNL_DATASET_TEXT) return rnl_fail(RNL_ERR_ARG, "word polarity: needs a text data set");
    int V = rnl_vocab_size(ds->vocab), first, count;
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) return rnl_fail(RNL_ERR_ARG, "word polarity: id %d is outside 0..%d", (int)ids[i], V - 1);
    uint32_t *tally = calloc(2 * (size_t)V, sizeof(uint32_t));  // (V, 2): occurrences in negative, positive reviews
    if (!tally) return rnl_fail(RNL_ERR_NOMEM, "word polarity: out of memory");
    rnl_dataset_split(ds, RNL_SPLIT_TRAIN, &first, &count);
    for (int e = first; e < first + count; e++)
        for (int64_t t = ds->offsets[e]; t < ds->offsets[e + 1]; t++) tally[2 * (size_t)ds->tokens[t] + (ds->labels[e] ? 1 : 0)]++;
    for (int i = 0; i < n; i++) {
        const uint32_t *c = tally + 2 * (size_t)ids[i];
        out[i] = (c[1] + 1.0) / (c[0] + c[1] + 2.0);
    }
    free(tally);
    return RNL_OK;
}
