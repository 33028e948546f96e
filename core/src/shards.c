// shards.c: a training step as the fixed-order sum of its shards (rnnlab.h, "Shards and threads"), the
// flat gradient block a shard writes, and the threads that compute shards (training) or whole batches
// (evaluation) in parallel.
//
// A shard is a run of RNL_SHARD_ROWS rows of the caller's batch. Its forward and backward run on a batch
// view of those rows (pointers into the caller's arrays, no copy), with the whole batch's loss items as
// the backward's divisor and the global row numbers for dropout: so shard gradients add up to the whole
// batch's gradient, whoever computes them. The block holds the embedding's gradient as the rows the shard
// read (a review of 200 tokens touches at most 200 of 10000 rows), everything else dense.
//
// Threads: thread 0 is the model itself (its gradient block is scratch until the sum is written into it);
// thread k > 0 has a worker, a copy of the kind's struct that shares the parameters and owns its work
// memory and a gradient block. Workers are re-copied from the model before each run, so a changed
// setting (dropout, say) reaches them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model_base.h"
#include "threads.h"

#define HEAD_BYTES 64  // 8 doubles

// The first failure in task order of a run, whichever thread met it: each thread takes its tasks in
// increasing order, so its first failure is its lowest.
typedef struct {
    int task;  // -1: none
    rnl_status st;
    char msg[512];
} thread_error;

struct rnl_team {
    int threads;
    rnl_pool *pool;
    rnl_base **workers;      // (threads) workers[0] is NULL: thread 0 is the model
    rnl_shard_grad *blocks;  // (RNL_MAX_BATCH / RNL_SHARD_ROWS + 1) a training step's blocks, reused
    thread_error *errors;    // (threads)
};

int rnl_shard_count(int B) { return B < 1 ? 0 : (B + RNL_SHARD_ROWS - 1) / RNL_SHARD_ROWS; }

// --- The block -----------------------------------------------------------------------------------------

void rnl_shard_grad_free(rnl_shard_grad *g) {
    free(g->data);
    *g = (rnl_shard_grad){0};
}

static rnl_status reserve(rnl_shard_grad *g, size_t n) {
    if (n <= g->cap) return RNL_OK;
    uint8_t *d = realloc(g->data, n);
    if (!d) return rnl_fail(RNL_ERR_NOMEM, "shards: out of memory for a gradient block of %zu bytes", n);
    g->data = d;
    g->cap = n;
    return RNL_OK;
}

rnl_status rnl_shard_grad_set(rnl_shard_grad *g, const uint8_t *bytes, size_t n) {
    rnl_status st = reserve(g, n);
    if (st) return st;
    if (n) memcpy(g->data, bytes, n);
    g->size = n;
    return RNL_OK;
}

enum { H_SHARD, H_ROWS, H_LOSS, H_ITEMS, H_CORRECT, H_COUNT, H_FAULT };

static double head_get(const rnl_shard_grad *g, int i) {
    double v;
    memcpy(&v, g->data + 8 * i, 8);
    return v;
}
static void head_put(rnl_shard_grad *g, int i, double v) { memcpy(g->data + 8 * i, &v, 8); }

static size_t rows_bytes(int n_rows) { return ((size_t)4 * n_rows + 7) & ~(size_t)7; }

// The embedding tensor's span of the parameter block (n = 0: the model has no vocabulary); every other
// parameter is "dense", in two runs: [0, off) and [off + n, n_params).
typedef struct {
    size_t off, n;
    int rows, cols;
} emb_span;

static emb_span embedding(const rnl_base *b) {
    emb_span e = {0, 0, 0, 0};
    if (b->kind->io(b)->vocab <= 0) return e;
    for (int i = 0; i < b->n_tensors; i++)
        if (strcmp(b->tensors[i].name, "embedding.weight") == 0) {
            const rnl_tensor_info *t = &b->tensors[i];
            e = (emb_span){t->offset, (size_t)t->rows * t->cols, t->rows, t->cols};
        }
    return e;
}

static size_t block_bytes(size_t n_dense, int n_rows, int cols) {
    return HEAD_BYTES + sizeof(rnl_real) * n_dense + rows_bytes(n_rows) + sizeof(rnl_real) * (size_t)n_rows * cols;
}

// --- One shard ------------------------------------------------------------------------------------------

// Rows [row0, row0 + rows) of b as a batch of their own: pointers into b's arrays.
static rnl_batch batch_rows(const rnl_config *io, const rnl_batch *b, int row0, int rows) {
    rnl_batch p = *b;
    size_t T = (size_t)b->T, r0 = (size_t)row0;
    int per = io->head == RNL_HEAD_REGRESSION ? io->outputs : 1;
    p.B = rows;
    if (b->tokens) p.tokens = b->tokens + r0 * T;
    if (b->inputs) p.inputs = b->inputs + r0 * T * (size_t)io->input_size;
    if (b->lengths) p.lengths = b->lengths + r0;
    if (b->targets) p.targets = b->targets + (io->seq2seq ? r0 * T : r0) * (size_t)per;
    return p;
}

// What the whole batch's mean loss divides by: its rows (seq2seq: its real steps) times the values per
// target (as the kinds' forward passes count them).
static int batch_items(const rnl_config *io, const rnl_batch *b) {
    int per = io->head == RNL_HEAD_REGRESSION ? io->outputs : 1, n = b->B;
    if (io->seq2seq) {
        n = 0;
        for (int i = 0; i < b->B; i++) n += b->lengths ? b->lengths[i] : b->T;
    }
    return n * per;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

// Shard s of a checked batch into g, with b's gradient block and work memory as scratch.
static rnl_status shard_run(rnl_base *b, const rnl_batch *batch, int s, int bptt_window, long step, rnl_shard_grad *g) {
    const rnl_config *io = b->kind->io(b);
    const int row0 = s * RNL_SHARD_ROWS, rows = batch->B - row0 < RNL_SHARD_ROWS ? batch->B - row0 : RNL_SHARD_ROWS;
    const rnl_batch part = batch_rows(io, batch, row0, rows);
    const emb_span e = embedding(b);
    const size_t n_dense = b->n_params - e.n, tail = e.off + e.n;
    rnl_status st;

    // The embedding rows the shard reads, sorted and unique, straight into the block's rows region.
    int ntok = 0;
    if (e.n)
        for (int r = 0; r < rows; r++) ntok += part.lengths ? part.lengths[r] : part.T;
    if ((st = reserve(g, block_bytes(n_dense, ntok, e.cols)))) return st;
    int32_t *ids = (int32_t *)(g->data + HEAD_BYTES + sizeof(rnl_real) * n_dense);
    int n_rows = 0;
    if (e.n) {
        for (int r = 0, k = 0; r < rows; r++)
            for (int t = 0, len = part.lengths ? part.lengths[r] : part.T; t < len; t++)
                ids[k++] = part.tokens[(size_t)r * part.T + t];
        qsort(ids, (size_t)ntok, sizeof *ids, cmp_i32);
        for (int k = 0; k < ntok; k++)
            if (n_rows == 0 || ids[k] != ids[n_rows - 1]) ids[n_rows++] = ids[k];
    }

    // A clean scratch gradient where the backward adds: the dense runs and the rows read.
    rnl_real *grad = b->grads;
    memset(grad, 0, sizeof(rnl_real) * e.off);
    memset(grad + tail, 0, sizeof(rnl_real) * (b->n_params - tail));
    for (int k = 0; k < n_rows; k++) memset(grad + e.off + (size_t)ids[k] * e.cols, 0, sizeof(rnl_real) * e.cols);

    b->row0 = row0;
    b->batch_items = batch_items(io, batch);
    b->dropout_step = step;
    rnl_real loss;
    int fault = 0;
    if (!(st = b->kind->forward(b, &part, &loss))) {
        fault = !isfinite(b->sums.loss);
        if (!fault) st = b->kind->backward(b, bptt_window);
    }
    b->row0 = b->batch_items = 0;
    b->dropout_step = 0;
    if (st) return st;

    rnl_real *dense = (rnl_real *)(g->data + HEAD_BYTES);
    memcpy(dense, grad, sizeof(rnl_real) * e.off);
    memcpy(dense + e.off, grad + tail, sizeof(rnl_real) * (b->n_params - tail));
    if (n_rows & 1) ids[n_rows] = -1;  // the padding to 8 bytes
    rnl_real *row_grads = (rnl_real *)((uint8_t *)ids + rows_bytes(n_rows));
    for (int k = 0; k < n_rows; k++)
        memcpy(row_grads + (size_t)k * e.cols, grad + e.off + (size_t)ids[k] * e.cols, sizeof(rnl_real) * e.cols);
    memset(g->data, 0, HEAD_BYTES);
    double head[] = {s, n_rows, b->sums.loss, b->sums.items, b->sums.correct, b->sums.count, fault};
    for (int i = 0; i < (int)(sizeof head / sizeof head[0]); i++) head_put(g, i, head[i]);
    g->size = block_bytes(n_dense, n_rows, e.cols);
    return RNL_OK;
}

rnl_status rnl_base_shard_grad(rnl_base *b, const rnl_batch *batch, int shard, int bptt_window, long step,
                               rnl_shard_grad *g) {
    rnl_status st = rnl_batch_check(b->kind->io(b), batch, 1);
    if (st) return st;
    int n = rnl_shard_count(batch->B);
    if (shard < 0 || shard >= n)
        return rnl_fail(RNL_ERR_ARG, "shards: shard %d is outside 0..%d of a batch of %d sequences", shard, n - 1, batch->B);
    if (bptt_window < 0) return rnl_fail(RNL_ERR_ARG, "backward: bptt_window is %d, must be >= 0", bptt_window);
    return shard_run(b, batch, shard, bptt_window, step < 0 ? 0 : step, g);
}

// --- The sum and the step ------------------------------------------------------------------------------

// Block i must be shard i of a batch for this model: its size, row count and rows.
static rnl_status check_block(const rnl_base *b, const emb_span *e, const rnl_shard_grad *g, int i) {
    const char *name = b->kind->name;
    if (!g->data || g->size < HEAD_BYTES)
        return rnl_fail(RNL_ERR_ARG, "%s: gradient block %d is empty or shorter than its %d-byte head", name, i, HEAD_BYTES);
    double shard = head_get(g, H_SHARD), rows = head_get(g, H_ROWS);
    if (shard != i) return rnl_fail(RNL_ERR_ARG, "%s: gradient block %d holds shard %g: blocks go in shard order", name, i, shard);
    if (!(rows >= 0 && rows <= e->rows && rows == (int)rows))
        return rnl_fail(RNL_ERR_ARG, "%s: gradient block %d names %g embedding rows, more than the vocabulary's %d", name, i,
                        rows, e->rows);
    size_t want = block_bytes(b->n_params - e->n, (int)rows, e->cols);
    if (g->size != want)
        return rnl_fail(RNL_ERR_ARG, "%s: gradient block %d has %zu bytes, this model's holds %zu: it was made for another model",
                        name, i, g->size, want);
    const int32_t *ids = (const int32_t *)(g->data + HEAD_BYTES + sizeof(rnl_real) * (b->n_params - e->n));
    for (int k = 0; k < (int)rows; k++)
        if (ids[k] < 0 || ids[k] >= e->rows || (k && ids[k] <= ids[k - 1]))
            return rnl_fail(RNL_ERR_ARG, "%s: gradient block %d: embedding row %d is out of range or out of order", name, i,
                            (int)ids[k]);
    return RNL_OK;
}

rnl_status rnl_base_apply_shards(rnl_base *b, rnl_optimizer *o, const rnl_shard_grad *g, int n, const rnl_step_out *out) {
    const rnl_config *io = b->kind->io(b);
    const emb_span e = embedding(b);
    const size_t tail = e.off + e.n, n_tail = b->n_params - tail;
    rnl_status st;
    if (n < 1 || n > rnl_shard_count(RNL_MAX_BATCH))
        return rnl_fail(RNL_ERR_ARG, "%s: %d gradient blocks, must be 1..%d", b->kind->name, n, rnl_shard_count(RNL_MAX_BATCH));
    for (int i = 0; i < n; i++)
        if ((st = check_block(b, &e, &g[i], i))) return st;

    // The figures, summed in shard order.
    double loss = 0;
    long items = 0, correct = 0, count = 0;
    for (int i = 0; i < n; i++) {
        loss += head_get(&g[i], H_LOSS);
        items += (long)head_get(&g[i], H_ITEMS);
        correct += (long)head_get(&g[i], H_CORRECT);
        count += (long)head_get(&g[i], H_COUNT);
    }
    long step = rnl_optimizer_steps(o) + 1;
    *out->loss = (rnl_real)(loss / items);
    if (out->acc[0]) *out->acc[0] = io->head == RNL_HEAD_REGRESSION ? NAN : (double)correct / count;
    if (out->acc[1]) *out->acc[1] = NAN;
    *out->grad_norm = NAN;
    *out->clipped = 0;
    if ((st = rnl_base_check_finite(step, "loss", *out->loss))) return st;

    // The gradient: shard 0, plus shard 1, ... in order; the embedding's rows likewise, over zeros.
    rnl_real *grad = b->grads, *dE = b->grads + e.off;
    for (int i = 0; i < n; i++) {
        const rnl_real *d = (const rnl_real *)(g[i].data + HEAD_BYTES);
        if (i == 0) {
            memcpy(grad, d, sizeof(rnl_real) * e.off);
            memcpy(grad + tail, d + e.off, sizeof(rnl_real) * n_tail);
            continue;
        }
        for (size_t j = 0; j < e.off; j++) grad[j] += d[j];
        for (size_t j = 0; j < n_tail; j++) grad[tail + j] += d[e.off + j];
    }
    memset(dE, 0, sizeof(rnl_real) * e.n);
    for (int i = 0; i < n; i++) {
        int rows = (int)head_get(&g[i], H_ROWS);
        const int32_t *ids = (const int32_t *)(g[i].data + HEAD_BYTES + sizeof(rnl_real) * (b->n_params - e.n));
        const rnl_real *rg = (const rnl_real *)((const uint8_t *)ids + rows_bytes(rows));
        for (int k = 0; k < rows; k++) {
            rnl_real *row = dE + (size_t)ids[k] * e.cols;
            for (int j = 0; j < e.cols; j++) row[j] += rg[(size_t)k * e.cols + j];
        }
    }
    return rnl_base_finish_step(b, o, step, out);
}

// --- Threads -------------------------------------------------------------------------------------------

static rnl_base *worker_create(const rnl_base *b) {
    rnl_base *w = malloc(b->kind->size);
    if (!w) return NULL;
    memcpy(w, b, b->kind->size);
    w->grads = malloc(sizeof(rnl_real) * (b->n_params ? b->n_params : 1));
    w->ws = NULL;
    memset(w->cap, 0, sizeof w->cap);
    w->team = NULL;
    w->threads = 0;
    if (!w->grads) {
        free(w);
        return NULL;
    }
    return w;
}

// The model's struct again (settings, parameter pointers), keeping the worker's own memory.
static void worker_sync(rnl_base *w, const rnl_base *b) {
    rnl_real *grads = w->grads;
    void *ws = w->ws;
    int cap[RNL_BASE_MAX_DIMS];
    memcpy(cap, w->cap, sizeof cap);
    memcpy(w, b, b->kind->size);
    w->grads = grads;
    w->ws = ws;
    memcpy(w->cap, cap, sizeof cap);
    w->team = NULL;
    w->threads = 0;
}

static void worker_free(rnl_base *w) {
    if (!w) return;
    free(w->ws);
    free(w->grads);
    free(w);
}

void rnl_team_destroy(rnl_team *t) {
    if (!t) return;
    rnl_pool_destroy(t->pool);
    for (int k = 0; t->workers && k < t->threads; k++) worker_free(t->workers[k]);
    free(t->workers);
    for (int i = 0; t->blocks && i <= rnl_shard_count(RNL_MAX_BATCH); i++) rnl_shard_grad_free(&t->blocks[i]);
    free(t->blocks);
    free(t->errors);
    free(t);
}

rnl_status rnl_base_set_threads(rnl_base *b, int n) {
    if (n < 1 || n > RNL_MAX_THREADS)
        return rnl_fail(RNL_ERR_ARG, "threads is %d, must be in 1..%d", n, RNL_MAX_THREADS);
    if (n != (b->threads > 0 ? b->threads : 1) || !b->team) {
        rnl_team_destroy(b->team);
        b->team = NULL;
    }
    b->threads = n;
    return RNL_OK;
}

// b's team, made on first use, with its workers re-copied from b.
static rnl_status team_ready(rnl_base *b, rnl_team **out) {
    rnl_team *t = b->team;
    if (!t) {
        int n = b->threads > 0 ? b->threads : 1;
#ifdef RNL_NO_THREADS
        n = 1;
#endif
        rnl_status st;
        if (!(t = calloc(1, sizeof *t))) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for threads", b->kind->name);
        t->threads = n;
        t->workers = calloc((size_t)n, sizeof *t->workers);
        t->blocks = calloc((size_t)rnl_shard_count(RNL_MAX_BATCH) + 1, sizeof *t->blocks);
        t->errors = calloc((size_t)n, sizeof *t->errors);
        if (!t->workers || !t->blocks || !t->errors) {
            rnl_team_destroy(t);
            return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for threads", b->kind->name);
        }
        for (int k = 1; k < n; k++)
            if (!(t->workers[k] = worker_create(b))) {
                rnl_team_destroy(t);
                return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for the gradient blocks of %d threads", b->kind->name, n);
            }
        rnl_kernels_active();  // the kernel choice is made once, before any thread can race to make it
        if ((st = rnl_pool_create(&t->pool, n))) {
            rnl_team_destroy(t);
            return st;
        }
        b->team = t;
    }
    for (int k = 1; k < t->threads; k++) worker_sync(t->workers[k], b);
    *out = t;
    return RNL_OK;
}

static void error_note(thread_error *e, int task, rnl_status st) {
    if (e->task >= 0) return;
    e->task = task;
    e->st = st;
    snprintf(e->msg, sizeof e->msg, "%s", rnl_last_error());
}

static rnl_status errors_first(const thread_error *e, int n) {
    const thread_error *first = NULL;
    for (int k = 0; k < n; k++)
        if (e[k].task >= 0 && (!first || e[k].task < first->task)) first = &e[k];
    return first ? rnl_fail(first->st, "%s", first->msg) : RNL_OK;
}

typedef struct {
    rnl_base *b;
    rnl_team *team;
    const rnl_batch *batch;
    int bptt_window;
    long step;
    thread_error *errors;  // (threads)
} shard_job;

static void shard_task(void *ctx, int s, int thread) {
    shard_job *j = ctx;
    rnl_base *w = thread ? j->team->workers[thread] : j->b;
    rnl_status st = shard_run(w, j->batch, s, j->bptt_window, j->step, &j->team->blocks[s]);
    if (st) error_note(&j->errors[thread], s, st);
}

rnl_status rnl_base_train_shards(rnl_base *b, rnl_optimizer *o, const rnl_batch *batch, int bptt_window,
                                 const rnl_step_out *out) {
    rnl_status st;
    if ((st = rnl_batch_check(b->kind->io(b), batch, 1))) return st;
    if (bptt_window < 0) return rnl_fail(RNL_ERR_ARG, "backward: bptt_window is %d, must be >= 0", bptt_window);
    rnl_team *t;
    if ((st = team_ready(b, &t))) return st;
    const int S = rnl_shard_count(batch->B), used = S < t->threads ? S : t->threads;
    // Work memory for a shard in every thread that will run one, here, where a failure has its message.
    int shape[RNL_BASE_MAX_DIMS] = {batch->B < RNL_SHARD_ROWS ? batch->B : RNL_SHARD_ROWS, batch->T};
    for (int k = 0; k < used; k++)
        if ((st = rnl_base_workspace(k ? t->workers[k] : b, shape))) return st;
    thread_error *errors = t->errors;
    for (int k = 0; k < t->threads; k++) errors[k].task = -1;
    shard_job job = {b, t, batch, bptt_window, rnl_optimizer_steps(o) + 1, errors};
    rnl_pool_run(t->pool, S, shard_task, &job);
    if ((st = errors_first(errors, t->threads))) return st;
    return rnl_base_apply_shards(b, o, t->blocks, S, out);
}

typedef struct {
    rnl_base *b;
    rnl_team *team;
    rnl_batch_eval_fn eval;
    void *ctx;
    thread_error *errors;
} eval_job;

static void eval_task(void *ctx, int i, int thread) {
    eval_job *j = ctx;
    rnl_status st = j->eval(j->ctx, thread ? j->team->workers[thread] : j->b, thread, i);
    if (st) error_note(&j->errors[thread], i, st);
}

rnl_status rnl_base_eval_parallel(rnl_base *b, int n_batches, rnl_batch_eval_fn eval, void *ctx) {
    rnl_team *t;
    rnl_status st = team_ready(b, &t);
    if (st) return st;
    thread_error *errors = t->errors;
    for (int k = 0; k < t->threads; k++) errors[k].task = -1;
    eval_job job = {b, t, eval, ctx, errors};
    rnl_pool_run(t->pool, n_batches, eval_task, &job);
    return errors_first(errors, t->threads);
}

int rnl_base_team_threads(const rnl_base *b) {
#ifdef RNL_NO_THREADS
    return 1;
#else
    return b->threads > 0 ? b->threads : 1;
#endif
}

typedef struct {
    const rnl_batch *batches;
    const rnl_step_out *outs;
} batches_job;

static rnl_status batches_one(void *ctx, rnl_base *worker, int thread, int i) {
    batches_job *j = ctx;
    return rnl_base_eval_batch(worker, &j->batches[i], &j->outs[i]);
}

rnl_status rnl_base_eval_batches(rnl_base *b, const rnl_batch *batches, int n, const rnl_step_out *outs) {
    batches_job job = {batches, outs};
    return n < 1 ? RNL_OK : rnl_base_eval_parallel(b, n, batches_one, &job);
}
