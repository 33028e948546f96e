// bow.c: the bag-of-words logistic regression baseline. Features: which vocabulary words a review
// contains (binary, the row scaled to unit L2 norm; <pad> and <unk> left out), read from the same
// truncated token ids the RNN sees, so both work on the same data. Plain SGD on the training split with
// L2 weight decay, kept sparse by the scaled-weight trick (w = scale * v; Bottou 2012), in double
// precision and a fixed order: the same numbers on every build.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

rnl_bow_config rnl_bow_default(void) {
    rnl_bow_config c = {.epochs = 20, .lr = 0.5, .l2 = 1e-5, .seed = 1};
    return c;
}

typedef struct {
    int64_t *off;  // (n + 1) into ids
    int32_t *ids;  // distinct word ids of each example, in order of first appearance
} features;

static double dot(const double *v, const int32_t *ids, int64_t n) {
    double s = 0;
    for (int64_t k = 0; k < n; k++) s += v[ids[k]];
    return s;
}

static double accuracy(const rnl_dataset *ds, const features *F, const double *v, double scale, double b, int first,
                       int count) {
    if (count == 0) return NAN;
    int right = 0;
    for (int i = first; i < first + count; i++) {
        int64_t nnz = F->off[i + 1] - F->off[i];
        double z = nnz ? scale * dot(v, F->ids + F->off[i], nnz) / sqrt((double)nnz) + b : b;
        right += (z > 0) == (ds->labels[i] == 1);
    }
    return (double)right / count;
}

rnl_status rnl_bow_baseline(const rnl_dataset *ds, const rnl_bow_config *cfg, rnl_bow_result *out) {
    memset(out, 0, sizeof *out);
    if (ds->kind != RNL_DATASET_TEXT) return rnl_fail(RNL_ERR_ARG, "bow baseline: needs a text dataset");
    if (ds->n_train < 1) return rnl_fail(RNL_ERR_ARG, "bow baseline: the training split is empty");
    if (cfg->epochs < 1 || cfg->epochs > 1000 || !(cfg->lr > 0) || !(cfg->l2 >= 0) || !(cfg->lr * cfg->l2 < 1))
        return rnl_fail(RNL_ERR_ARG, "bow baseline: epochs %d (1..1000), lr %g (> 0), l2 %g (>= 0, lr * l2 < 1)",
                        cfg->epochs, cfg->lr, cfg->l2);
    int n = rnl_dataset_size(ds), V = rnl_vocab_size(ds->vocab);
    int64_t total = ds->offsets[n];
    features F = {malloc(sizeof(int64_t) * ((size_t)n + 1)), malloc(sizeof(int32_t) * (size_t)(total ? total : 1))};
    int32_t *stamp = malloc(sizeof(int32_t) * (size_t)V), *order = malloc(sizeof(int32_t) * (size_t)ds->n_train);
    double *v = calloc((size_t)V, sizeof(double));
    rnl_status st = RNL_OK;
    if (!F.off || !F.ids || !stamp || !order || !v) {
        st = rnl_fail(RNL_ERR_NOMEM, "bow baseline: out of memory");
        goto done;
    }
    // Distinct ids per example.
    for (int j = 0; j < V; j++) stamp[j] = -1;
    int64_t k = 0;
    for (int i = 0; i < n; i++) {
        F.off[i] = k;
        for (int64_t t = ds->offsets[i]; t < ds->offsets[i + 1]; t++) {
            int32_t id = ds->tokens[t];
            if (id < 2 || stamp[id] == i) continue;
            stamp[id] = i;
            F.ids[k++] = id;
        }
    }
    F.off[n] = k;

    double scale = 1, b = 0, loss = 0;
    long long step = 0;
    rnl_rng r;
    for (int epoch = 0; epoch < cfg->epochs; epoch++) {
        for (int i = 0; i < ds->n_train; i++) order[i] = i;
        rnl_rng_seed(&r, cfg->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(epoch + 1)));
        for (int i = ds->n_train - 1; i > 0; i--) {
            int j = (int)rnl_rng_below(&r, (uint32_t)(i + 1));
            int32_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        loss = 0;
        for (int q = 0; q < ds->n_train; q++) {
            int i = order[q];
            const int32_t *ids = F.ids + F.off[i];
            int64_t nnz = F.off[i + 1] - F.off[i];
            double x = nnz ? 1 / sqrt((double)nnz) : 0;  // every feature of the row has this value
            double z = scale * x * dot(v, ids, nnz) + b, y = ds->labels[i];
            loss += (z > 0 ? z : 0) - y * z + log1p(exp(-fabs(z)));
            double p = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
            double g = p - y, eta = cfg->lr / (1 + cfg->lr * cfg->l2 * (double)step++);
            scale *= 1 - eta * cfg->l2;
            if (scale < 1e-9) {  // fold the scale back in before it underflows
                for (int j = 0; j < V; j++) v[j] *= scale;
                scale = 1;
            }
            double dv = eta * g * x / scale;
            for (int64_t t = 0; t < nnz; t++) v[ids[t]] -= dv;
            b -= eta * g;
        }
        loss /= ds->n_train;
    }
    int f;
    out->train_loss = loss;
    out->train_acc = accuracy(ds, &F, v, scale, b, 0, ds->n_train);
    rnl_dataset_split(ds, RNL_SPLIT_VAL, &f, NULL);
    out->val_acc = accuracy(ds, &F, v, scale, b, f, ds->n_val);
    rnl_dataset_split(ds, RNL_SPLIT_TEST, &f, NULL);
    out->test_acc = accuracy(ds, &F, v, scale, b, f, ds->n_test);
    // The ten largest and smallest weights (ties: lower id first); ids 0 and 1 stand in if V is tiny.
    for (int s = 0; s < 10; s++) out->top_pos[s] = out->top_neg[s] = RNL_UNK;
    for (int j = 2; j < V; j++) {
        for (int side = 0; side < 2; side++) {
            int *top = side ? out->top_neg : out->top_pos;
            double w = side ? -v[j] : v[j];
            int pos = 10;
            while (pos > 0 && (top[pos - 1] < 2 || w > (side ? -v[top[pos - 1]] : v[top[pos - 1]]))) pos--;
            if (pos == 10) continue;
            memmove(top + pos + 1, top + pos, sizeof(int) * (size_t)(9 - pos));
            top[pos] = j;
        }
    }
done:
    free(F.off), free(F.ids), free(stamp), free(order), free(v);
    return st;
}
