// batch.c: from a dataset to the core's batches, and the order of an epoch.
// A text batch is as long as its longest review (never longer than the dataset's max_len), so sorting
// similar lengths together (bucketing) cuts the padding; the core itself never computes on padding, but
// a batch of one long and 31 short reviews still costs the long one's steps in memory and time.
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    void *q = realloc(*p, need * elem);
    if (!q) return 0;
    *p = q;
    *cap = need;
    return 1;
}

rnl_status rnl_dataset_batch(const rnl_dataset *ds, const int32_t *idx, int B, rnl_task_data *d) {
    if (B < 1 || B > RNL_MAX_BATCH) return rnl_fail(RNL_ERR_ARG, "batch: size %d is outside 1..%d", B, RNL_MAX_BATCH);
    int n = rnl_dataset_size(ds);
    for (int b = 0; b < B; b++)
        if (idx[b] < 0 || idx[b] >= n)
            return rnl_fail(RNL_ERR_ARG, "batch: example index %d (item %d) is outside 0..%d", (int)idx[b], b, n - 1);
    memset(&d->batch, 0, sizeof d->batch);
    if (ds->kind == RNL_DATASET_TEXT) {
        int T = 1;
        for (int b = 0; b < B; b++) {
            int len = (int)(ds->offsets[idx[b] + 1] - ds->offsets[idx[b]]);
            if (len > T) T = len;
        }
        if (T > ds->max_len) T = ds->max_len;  // lengths are <= max_len by construction; kept as a guard
        size_t BT = (size_t)B * T;
        if (!grow((void **)&d->tokens, &d->cap_tokens, BT, sizeof(int32_t)) ||
            !grow((void **)&d->lengths, &d->cap_lengths, (size_t)B, sizeof(int32_t)) ||
            !grow((void **)&d->targets, &d->cap_targets, (size_t)B, sizeof(rnl_real)))
            return rnl_fail(RNL_ERR_NOMEM, "batch: out of memory for %d x %d tokens", B, T);
        for (int b = 0; b < B; b++) {
            int i = idx[b];
            int len = (int)(ds->offsets[i + 1] - ds->offsets[i]);
            if (len > T) len = T;
            int32_t *row = d->tokens + (size_t)b * T;  // (B, T)
            memcpy(row, ds->tokens + ds->offsets[i], sizeof(int32_t) * (size_t)len);
            for (int t = len; t < T; t++) row[t] = RNL_PAD;
            d->lengths[b] = len;
            d->targets[b] = (rnl_real)ds->labels[i];
        }
        d->batch.B = B, d->batch.T = T;
        d->batch.tokens = d->tokens;
        d->batch.lengths = d->lengths;
        d->batch.targets = d->targets;
        return RNL_OK;
    }
    if (ds->kind != RNL_DATASET_SERIES) return rnl_fail(RNL_ERR_ARG, "batch: unknown dataset kind %d", (int)ds->kind);
    int T = ds->window, K = ds->horizon;
    if (!grow((void **)&d->inputs, &d->cap_inputs, (size_t)B * T, sizeof(rnl_real)) ||
        !grow((void **)&d->lengths, &d->cap_lengths, (size_t)B, sizeof(int32_t)) ||
        !grow((void **)&d->targets, &d->cap_targets, (size_t)B * K, sizeof(rnl_real)))
        return rnl_fail(RNL_ERR_NOMEM, "batch: out of memory for %d windows of %d steps", B, T);
    int part_start[3] = {0, ds->part[0], ds->part[0] + ds->part[1]};
    for (int b = 0; b < B; b++) {
        int i = idx[b];
        int s = i < ds->n_train ? 0 : i < ds->n_train + ds->n_val ? 1 : 2;
        int first = s == 0 ? 0 : s == 1 ? ds->n_train : ds->n_train + ds->n_val;
        const float *w = ds->norm + part_start[s] + (i - first);  // window start
        rnl_real *x = d->inputs + (size_t)b * T;                  // (B, T, 1)
        rnl_real *y = d->targets + (size_t)b * K;                 // (B, K)
        for (int t = 0; t < T; t++) x[t] = (rnl_real)w[t];
        for (int k = 0; k < K; k++) y[k] = (rnl_real)w[T + k];
        d->lengths[b] = T;
    }
    d->batch.B = B, d->batch.T = T;
    d->batch.inputs = d->inputs;
    d->batch.lengths = d->lengths;
    d->batch.targets = d->targets;
    return RNL_OK;
}

// --- Epoch order --------------------------------------------------------------------------------

static void shuffle(int32_t *a, int n, rnl_rng *r) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnl_rng_below(r, (uint32_t)(i + 1));
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

// A stable counting sort by length (1..max_len): equal lengths keep their shuffled order, so the
// result depends only on the seed.
static void sort_by_length(const rnl_dataset *ds, int32_t *a, int n, int32_t *tmp, int *count) {
    int L = ds->max_len;
    memset(count, 0, sizeof(int) * (size_t)(L + 2));
    for (int i = 0; i < n; i++) count[rnl_dataset_length(ds, a[i]) + 1]++;
    for (int l = 1; l <= L + 1; l++) count[l] += count[l - 1];
    for (int i = 0; i < n; i++) tmp[count[rnl_dataset_length(ds, a[i])]++] = a[i];
    memcpy(a, tmp, sizeof(int32_t) * (size_t)n);
}

rnl_status rnl_dataset_epoch_order(const rnl_dataset *ds, rnl_split s, uint64_t seed, int epoch, int batch_size,
                                   int bucket, int32_t *order) {
    if (batch_size < 1 || batch_size > RNL_MAX_BATCH)
        return rnl_fail(RNL_ERR_ARG, "epoch order: batch size %d is outside 1..%d", batch_size, RNL_MAX_BATCH);
    if (epoch < 0) return rnl_fail(RNL_ERR_ARG, "epoch order: epoch %d is negative", epoch);
    int first, count;
    rnl_dataset_split(ds, s, &first, &count);
    for (int i = 0; i < count; i++) order[i] = first + i;
    rnl_rng r;
    rnl_rng_seed(&r, seed ^ (0xd1b54a32d192ed03ull * (uint64_t)(epoch + 1)) ^ ((uint64_t)s << 56));
    shuffle(order, count, &r);
    if (bucket <= 1 || ds->kind != RNL_DATASET_TEXT || count <= batch_size) return RNL_OK;

    long long pool = (long long)bucket * batch_size;
    if (pool > count) pool = count;
    int nfull = count / batch_size;
    int32_t *tmp = malloc(sizeof(int32_t) * (size_t)count);
    int32_t *batches = malloc(sizeof(int32_t) * (size_t)(nfull ? nfull : 1));
    int *hist = malloc(sizeof(int) * (size_t)(ds->max_len + 2));
    if (!tmp || !batches || !hist) {
        free(tmp), free(batches), free(hist);
        return rnl_fail(RNL_ERR_NOMEM, "epoch order: out of memory");
    }
    for (long long p = 0; p < count; p += pool) {
        int m = (int)(count - p < pool ? count - p : pool);
        sort_by_length(ds, order + p, m, tmp, hist);
    }
    // Shuffle the full batches as blocks; the short last batch stays last.
    for (int b = 0; b < nfull; b++) batches[b] = b;
    shuffle(batches, nfull, &r);
    for (int b = 0; b < nfull; b++)
        memcpy(tmp + (size_t)b * batch_size, order + (size_t)batches[b] * batch_size, sizeof(int32_t) * (size_t)batch_size);
    memcpy(order, tmp, sizeof(int32_t) * (size_t)nfull * batch_size);
    free(tmp), free(batches), free(hist);
    return RNL_OK;
}
