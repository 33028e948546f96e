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
// Threads: a step runs in rounds of up to `threads` shards; each shard's gradient goes to a slot of its
// own, and after the round the slots are added into the model's gradient block in shard order, exactly
// the adds rnl_base_apply_shards makes from blocks: so the thread count, and whether the shards were
// computed here or in a replica, changes no bit. Memory: one gradient block per thread beside the model's
// (the sum), not one per shard. Thread 0 is the model itself (its work memory); thread k > 0 has a
// worker, a copy of the kind's struct that shares the parameters and owns its work memory and gradient
// block. Workers are re-copied from the model before each run, so a changed setting reaches them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model_base.h"
#include "threads.h"

#define HEAD_BYTES 64  // 8 doubles

// What one shard's forward and backward leave: the gradient in the computing model's gradient block (the
// dense runs, and the embedding rows ids[0..n_rows)), and the figures of the block's head.
typedef struct {
    int32_t *ids;  // (tokens of the shard) room for the rows read; the first n_rows are them, ascending
    int n_rows, fault;
    rnl_sums sums;
} shard_out;

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
    rnl_base **workers;     // (threads) workers[0] is NULL: thread 0 is the model
    // A round of a training step computes up to `threads` shards at once, shard r0 + i in slot i: its
    // gradient in slot_grads[i] (n_params), its rows and figures in slot_out[i]. Slot 0's gradient is
    // the team's own; slot k > 0 reuses worker k's gradient block.
    rnl_real **slot_grads;  // (threads)
    shard_out *slot_out;    // (threads), ids of room ids_cap each
    int ids_cap;
    thread_error *errors;   // (threads)
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

// Tokens of rows [row0, row0 + rows): room for the ids of a shard.
static int shard_tokens(const rnl_batch *batch, int row0, int rows) {
    int n = 0;
    for (int r = row0; r < row0 + rows; r++) n += batch->lengths ? batch->lengths[r] : batch->T;
    return n;
}

// Shard s of a checked batch, computed with b's gradient block and work memory as scratch; o->ids has room
// for shard_tokens() ids.
static rnl_status shard_compute(rnl_base *b, const rnl_batch *batch, int s, int bptt_window, long step, shard_out *o) {
    const rnl_config *io = b->kind->io(b);
    const int row0 = s * RNL_SHARD_ROWS, rows = batch->B - row0 < RNL_SHARD_ROWS ? batch->B - row0 : RNL_SHARD_ROWS;
    const rnl_batch part = batch_rows(io, batch, row0, rows);
    const emb_span e = embedding(b);
    const size_t tail = e.off + e.n;
    rnl_status st;

    // The embedding rows the shard reads, sorted and unique.
    int32_t *ids = o->ids;
    o->n_rows = 0;
    if (e.n) {
        int k = 0;
        for (int r = 0; r < rows; r++)
            for (int t = 0, len = part.lengths ? part.lengths[r] : part.T; t < len; t++) ids[k++] = part.tokens[(size_t)r * part.T + t];
        qsort(ids, (size_t)k, sizeof *ids, cmp_i32);
        for (int i = 0; i < k; i++)
            if (o->n_rows == 0 || ids[i] != ids[o->n_rows - 1]) ids[o->n_rows++] = ids[i];
    }

    // A clean scratch gradient where the backward adds: the dense runs and the rows read.
    rnl_real *grad = b->grads;
    memset(grad, 0, sizeof(rnl_real) * e.off);
    memset(grad + tail, 0, sizeof(rnl_real) * (b->n_params - tail));
    for (int k = 0; k < o->n_rows; k++) memset(grad + e.off + (size_t)ids[k] * e.cols, 0, sizeof(rnl_real) * e.cols);

    b->row0 = row0;
    b->batch_items = batch_items(io, batch);
    b->dropout_step = step;
    rnl_real loss;
    o->fault = 0;
    if (!(st = b->kind->forward(b, &part, &loss))) {
        o->sums = b->sums;
        o->fault = !isfinite(b->sums.loss);
        if (!o->fault) st = b->kind->backward(b, bptt_window);
    }
    b->row0 = b->batch_items = 0;
    b->dropout_step = 0;
    return st;
}

// Shard s into the block g (rnnlab.h gives its layout).
static rnl_status shard_run(rnl_base *b, const rnl_batch *batch, int s, int bptt_window, long step, rnl_shard_grad *g) {
    const emb_span e = embedding(b);
    const size_t n_dense = b->n_params - e.n, tail = e.off + e.n;
    const int row0 = s * RNL_SHARD_ROWS, rows = batch->B - row0 < RNL_SHARD_ROWS ? batch->B - row0 : RNL_SHARD_ROWS;
    const int ntok = e.n ? shard_tokens(batch, row0, rows) : 0;
    rnl_status st;
    if ((st = reserve(g, block_bytes(n_dense, ntok, e.cols)))) return st;
    // The ids go straight into the block's rows region; the row gradients follow the n_rows kept.
    shard_out o = {(int32_t *)(g->data + HEAD_BYTES + sizeof(rnl_real) * n_dense), 0, 0, {0, 0, 0, 0}};
    if ((st = shard_compute(b, batch, s, bptt_window, step, &o))) return st;
    const rnl_real *grad = b->grads;
    rnl_real *dense = (rnl_real *)(g->data + HEAD_BYTES);
    memcpy(dense, grad, sizeof(rnl_real) * e.off);
    memcpy(dense + e.off, grad + tail, sizeof(rnl_real) * (b->n_params - tail));
    if (o.n_rows & 1) o.ids[o.n_rows] = -1;  // the padding to 8 bytes
    rnl_real *row_grads = (rnl_real *)((uint8_t *)o.ids + rows_bytes(o.n_rows));
    for (int k = 0; k < o.n_rows; k++)
        memcpy(row_grads + (size_t)k * e.cols, grad + e.off + (size_t)o.ids[k] * e.cols, sizeof(rnl_real) * e.cols);
    memset(g->data, 0, HEAD_BYTES);
    double head[] = {s, o.n_rows, o.sums.loss, o.sums.items, o.sums.correct, o.sums.count, o.fault};
    for (int i = 0; i < (int)(sizeof head / sizeof head[0]); i++) head_put(g, i, head[i]);
    g->size = block_bytes(n_dense, o.n_rows, e.cols);
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

// The sum of a step's shards, added in shard order into b's gradient block: shard 0's dense runs copied,
// every later shard's added; the embedding zeroed, then each shard's rows added. The blocks of a replica
// (rnl_base_apply_shards) and the scratch gradients of this process's threads go through the same adds.
typedef struct {
    double loss;
    long items, correct, count;
    int n;  // shards added
} reduction;

static void reduce_begin(rnl_base *b, reduction *r) {
    const emb_span e = embedding(b);
    memset(r, 0, sizeof *r);
    memset(b->grads + e.off, 0, sizeof(rnl_real) * e.n);
}

// One shard: its dense runs (d0: the values before the embedding, d1: after), its rows and their
// gradients (row k at rg + k * cols in a block; by_id: at rg + ids[k] * cols, a whole scratch embedding),
// its figures.
static void reduce_add(rnl_base *b, reduction *r, const rnl_real *d0, const rnl_real *d1, const int32_t *ids, int n_rows,
                       const rnl_real *rg, int by_id, const rnl_sums *sums) {
    const emb_span e = embedding(b);
    const size_t tail = e.off + e.n, n_tail = b->n_params - tail;
    rnl_real *grad = b->grads, *dE = b->grads + e.off;
    if (r->n == 0) {
        memcpy(grad, d0, sizeof(rnl_real) * e.off);
        memcpy(grad + tail, d1, sizeof(rnl_real) * n_tail);
    } else {
        for (size_t j = 0; j < e.off; j++) grad[j] += d0[j];
        for (size_t j = 0; j < n_tail; j++) grad[tail + j] += d1[j];
    }
    for (int k = 0; k < n_rows; k++) {
        rnl_real *row = dE + (size_t)ids[k] * e.cols;
        const rnl_real *g = rg + (size_t)(by_id ? ids[k] : k) * e.cols;
        for (int j = 0; j < e.cols; j++) row[j] += g[j];
    }
    r->loss += sums->loss;
    r->items += sums->items;
    r->correct += sums->correct;
    r->count += sums->count;
    r->n++;
}

static rnl_status reduce_end(rnl_base *b, reduction *r, rnl_optimizer *o, const rnl_step_out *out) {
    long step = rnl_optimizer_steps(o) + 1;
    *out->loss = (rnl_real)(r->loss / r->items);
    if (out->acc[0]) *out->acc[0] = b->kind->io(b)->head == RNL_HEAD_REGRESSION ? NAN : (double)r->correct / r->count;
    if (out->acc[1]) *out->acc[1] = NAN;
    *out->grad_norm = NAN;
    *out->clipped = 0;
    rnl_status st = rnl_base_check_finite(step, "loss", *out->loss);
    if (st) return st;
    return rnl_base_finish_step(b, o, step, out);
}

rnl_status rnl_base_apply_shards(rnl_base *b, rnl_optimizer *o, const rnl_shard_grad *g, int n, const rnl_step_out *out) {
    const emb_span e = embedding(b);
    const size_t n_dense = b->n_params - e.n;
    rnl_status st;
    if (n < 1 || n > rnl_shard_count(RNL_MAX_BATCH))
        return rnl_fail(RNL_ERR_ARG, "%s: %d gradient blocks, must be 1..%d", b->kind->name, n, rnl_shard_count(RNL_MAX_BATCH));
    for (int i = 0; i < n; i++)
        if ((st = check_block(b, &e, &g[i], i))) return st;
    reduction r;
    reduce_begin(b, &r);
    for (int i = 0; i < n; i++) {
        const rnl_real *d = (const rnl_real *)(g[i].data + HEAD_BYTES);
        int rows = (int)head_get(&g[i], H_ROWS);
        const int32_t *ids = (const int32_t *)(g[i].data + HEAD_BYTES + sizeof(rnl_real) * n_dense);
        const rnl_real *rg = (const rnl_real *)((const uint8_t *)ids + rows_bytes(rows));
        rnl_sums sums = {head_get(&g[i], H_LOSS), (int)head_get(&g[i], H_ITEMS), (int)head_get(&g[i], H_CORRECT),
                         (int)head_get(&g[i], H_COUNT)};
        reduce_add(b, &r, d, d + e.off, ids, rows, rg, 0, &sums);
    }
    return reduce_end(b, &r, o, out);
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
    if (t->slot_grads) free(t->slot_grads[0]);
    free(t->slot_grads);
    for (int k = 0; t->slot_out && k < t->threads; k++) free(t->slot_out[k].ids);
    free(t->slot_out);
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
        t->slot_grads = calloc((size_t)n, sizeof *t->slot_grads);
        t->slot_out = calloc((size_t)n, sizeof *t->slot_out);
        t->errors = calloc((size_t)n, sizeof *t->errors);
        if (!t->workers || !t->slot_grads || !t->slot_out || !t->errors ||
            !(t->slot_grads[0] = malloc(sizeof(rnl_real) * (b->n_params ? b->n_params : 1)))) {
            rnl_team_destroy(t);
            return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for threads", b->kind->name);
        }
        for (int k = 1; k < n; k++) {
            if (!(t->workers[k] = worker_create(b))) {
                rnl_team_destroy(t);
                return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for the gradient blocks of %d threads", b->kind->name, n);
            }
            t->slot_grads[k] = t->workers[k]->grads;
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
    int bptt_window, first;  // the round's first shard
    long step;
} shard_job;

// Slot i of a round on `thread`: shard first + i with the thread's work memory, into slot i's gradient.
static void shard_task(void *ctx, int i, int thread) {
    shard_job *j = ctx;
    rnl_base *w = thread ? j->team->workers[thread] : j->b;
    rnl_real *own = w->grads;
    w->grads = j->team->slot_grads[i];
    rnl_status st = shard_compute(w, j->batch, j->first + i, j->bptt_window, j->step, &j->team->slot_out[i]);
    w->grads = own;
    if (st) error_note(&j->team->errors[thread], j->first + i, st);
}

rnl_status rnl_base_train_shards(rnl_base *b, rnl_optimizer *o, const rnl_batch *batch, int bptt_window,
                                 const rnl_step_out *out) {
    rnl_status st;
    if ((st = rnl_batch_check(b->kind->io(b), batch, 1))) return st;
    if (bptt_window < 0) return rnl_fail(RNL_ERR_ARG, "backward: bptt_window is %d, must be >= 0", bptt_window);
    rnl_team *t;
    if ((st = team_ready(b, &t))) return st;
    const int S = rnl_shard_count(batch->B), used = S < t->threads ? S : t->threads;
    const emb_span e = embedding(b);
    const size_t tail = e.off + e.n;
    // Work memory, here, where a failure has its message: the model's for the whole batch (what
    // rnl_training_bytes counts; a shard lays its buffers inside), each worker's for a shard.
    int whole[RNL_BASE_MAX_DIMS] = {batch->B, batch->T};
    int shard[RNL_BASE_MAX_DIMS] = {batch->B < RNL_SHARD_ROWS ? batch->B : RNL_SHARD_ROWS, batch->T};
    if ((st = rnl_base_workspace(b, whole))) return st;
    for (int k = 1; k < used; k++)
        if ((st = rnl_base_workspace(t->workers[k], shard))) return st;
    int ids = e.n ? RNL_SHARD_ROWS * batch->T : 0;
    if (ids > t->ids_cap) {
        for (int k = 0; k < t->threads; k++) {
            int32_t *p = realloc(t->slot_out[k].ids, sizeof(int32_t) * (size_t)ids);
            if (!p) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for the token ids of a shard", b->kind->name);
            t->slot_out[k].ids = p;
        }
        t->ids_cap = ids;
    }
    // Rounds of up to `threads` shards, each round's added in shard order before the next starts.
    reduction r;
    reduce_begin(b, &r);
    shard_job job = {b, t, batch, bptt_window, 0, rnl_optimizer_steps(o) + 1};
    for (int first = 0; first < S; first += t->threads) {
        int n = S - first < t->threads ? S - first : t->threads;
        for (int k = 0; k < t->threads; k++) t->errors[k].task = -1;
        job.first = first;
        if (b->trace)  // the traced sample's shard must run on the model, whose work memory holds the trace
            for (int i = 0; i < n; i++) shard_task(&job, i, 0);
        else
            rnl_pool_run(t->pool, n, shard_task, &job);
        if ((st = errors_first(t->errors, t->threads))) return st;
        for (int i = 0; i < n; i++) {
            const rnl_real *g = t->slot_grads[i];
            const shard_out *so = &t->slot_out[i];
            reduce_add(b, &r, g, g + tail, so->ids, so->n_rows, g + e.off, 1, &so->sums);
        }
    }
    return reduce_end(b, &r, o, out);
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

rnl_status rnl_base_eval_batches_stats(rnl_base *b, const rnl_batch *batches, int n, rnl_step_stats *st) {
    rnl_step_out *outs = malloc(sizeof *outs * (size_t)(n > 0 ? n : 1));
    if (!outs) return rnl_fail(RNL_ERR_NOMEM, "evaluate: out of memory for %d batches", n);
    for (int i = 0; i < n; i++) outs[i] = rnl_step_out_of(&st[i]);
    rnl_status s = rnl_base_eval_batches(b, batches, n, outs);
    free(outs);
    return s;
}
