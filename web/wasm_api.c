// wasm_api.c: the flat C face of the WebAssembly module, compiled only into it (web/wasm.cmake).
// Functions take and return numbers, pointers and records: a config goes in, and a result of more than
// one number comes back, as a record (wasm_records.h) in memory the wrapper owns, given first. Each
// record is described once, as a field table in wasm_records.c, and web/rnnlab.js reads and writes it by
// field name. All numeric work stays in the core; this file only adapts calling conventions and keeps,
// per model, what the page would otherwise juggle: the optimizer, the task-data stream, the order of the
// current epoch over a dataset, and the model's vocabulary read from its meta bytes. The training rules
// (fit checks, defaults, seeds, epoch orders, evaluation) are the run layer's (rnnlab_run.h), shared with
// the CLI; this file only calls them and lays out their results.
//
// Sequence-to-sequence models (rnnlab_seq2seq.h) have their own handle (s2s_handle) and rnlw_s2s_* calls;
// with RNL_STUDENT_CELLS (the student build of web/wasm.cmake) the module also reports the TODOs left in
// the exercises' cell_math.c (rnlw_todo_*).
//
// Limits: one thread (the core is single-threaded; a Worker gets its own module instance). A pointer
// handed out here (in a record, or parameters) is valid until the next call into the module, which may
// grow memory: the wrapper copies out at once.
#include <malloc.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "rnnlab_run.h"
#include "wasm_records.h"

// --- Results ------------------------------------------------------------------------------------

static rnl_status last_status;

// The status of the last call that returned a NULL handle or pointer (see rnl_last_error for why).
int rnlw_last_status(void) { return (int)last_status; }
const char *rnlw_version(void) { return RNL_VERSION_STRING; }
// The gemm variant the core runs here ("wasmsimd" when the module was built with -msimd128).
const char *rnlw_kernels(void) { return rnl_kernels_active()->name; }
// Bytes the allocator has handed out and not had back: the leak check of tests/js/memory.test.mjs.
size_t rnlw_heap_in_use(void) { return (size_t)mallinfo().uordblks; }

// A step's (or an evaluation's) figures as a progress record of one step.
static void put_stats(rnlw_progress *out, const rnl_step_stats *st, long steps) {
    *out = (rnlw_progress){st->loss, st->grad_norm, st->clipped, st->accuracy, NAN, (double)steps, st->loss, st->clipped, 1};
}

// A training span (rnl_run_progress): the last step's figures, the span's mean loss, clipped count, steps run.
static void put_progress(rnlw_progress *out, const rnl_run_progress *p) {
    put_stats(out, &p->last, p->steps);
    out->mean_loss = p->mean_loss;
    out->n_clipped = p->clipped;
    out->done = p->done;
}

// What a span reports when its checks refused it before any step.
static rnl_run_progress no_progress(const rnl_optimizer *o) {
    rnl_run_progress p = {{NAN, NAN, 0, NAN}, NAN, 0, 0, o ? rnl_optimizer_steps(o) : 0};
    return p;
}

static uint64_t seed64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

// --- The run layer's defaults and seeds ----------------------------------------------------------

// A model kind's defaults (rnl_run_defaults_of), with the batch size splits are evaluated in.
void rnlw_training_defaults(rnlw_run_defaults *out, int kind) {
    *out = (rnlw_run_defaults){rnl_run_defaults_of((rnl_run_kind)kind), RNL_RUN_EVAL_BATCH};
}

// The seed of the in-training held-out batches: a task's of length T (recurrent), or the seq2seq task's.
double rnlw_heldout_seed(int kind, int T) {
    return kind == RNL_RUN_SEQ2SEQ ? (double)RNL_RUN_S2S_HELDOUT_SEED : (double)rnl_run_heldout_seed(T);
}

// The training-data seed of a run given none, after `steps_done` optimizer steps (rnl_run_train_seed).
double rnlw_train_seed(double steps_done) { return (double)rnl_run_train_seed((long)steps_done); }

// --- Models -------------------------------------------------------------------------------------

// What JavaScript holds as a model: the core's model plus what a training loop keeps beside it.
typedef struct {
    rnl_model *m;
    rnl_optimizer *o;     // NULL until set, or until the first training step makes the default
    rnl_task_data data;   // batches of rnlw_train_task / _eval_task / _train_data / _eval_data
    rnl_rng rng;          // the training-data stream of rnlw_train_task (rnlw_task_seed)
    int pred_B, pred_T;   // shape of the last forward's batch, for the size of its predictions
    int32_t *order;       // (order_n) the epoch order of rnlw_data_epoch, over order_ds's training split
    int order_n, order_cap;
    const rnl_dataset *order_ds;
    rnl_dataset *meta_ds; // the model's meta bytes read as a data description (lazily; NULL: not yet)
    int32_t *ids;         // (max_len) rnlw_predict_text's token ids
    rnl_real *steps;      // (max_len) and its per-step predictions
} handle;

static handle *wrap(rnl_model *m, rnl_optimizer *o) {
    handle *h = calloc(1, sizeof *h);
    if (!h) {
        rnl_optimizer_destroy(o);
        rnl_model_destroy(m);
        last_status = rnl_fail(RNL_ERR_NOMEM, "model: out of memory");
        return NULL;
    }
    h->m = m;
    h->o = o;
    rnl_task_data_init(&h->data);
    rnl_rng_seed(&h->rng, 1);
    return h;
}

// c: a "config" record (the wrapper starts from rnlw_config_default and writes the fields it was given).
handle *rnlw_model_create(const rnl_config *c, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_model *m;
    if ((last_status = rnl_model_create(&m, c, seed64(seed_lo, seed_hi))) != RNL_OK) return NULL;
    return wrap(m, NULL);
}

// Drops what was read from the meta bytes (they are about to change): the vocabulary and the buffers
// sized by its max_len.
static void forget_meta(handle *h) {
    rnl_dataset_destroy(h->meta_ds);
    free(h->ids);
    free(h->steps);
    h->meta_ds = NULL;
    h->ids = NULL;
    h->steps = NULL;
}

void rnlw_model_destroy(handle *h) {
    if (!h) return;
    forget_meta(h);
    free(h->order);
    rnl_task_data_free(&h->data);
    rnl_optimizer_destroy(h->o);
    rnl_model_destroy(h->m);
    free(h);
}

// --- Training memory: what rnnlab.js checks before it lets a model or a batch allocate -------------

// rnl_training_bytes as a double, since here size_t stops at 4 GB: INFINITY past that, minus the status
// (and a message) for an invalid configuration. B = 0: no work memory yet (parameters, gradients and the
// optimizer's state alone, what a model holds before its first batch).
static double training_bytes(const rnl_config *c, int kind, int B, int T) {
    rnl_status st = rnl_config_validate(c);
    if (st) return -(double)st;
    size_t n = rnl_training_bytes(c, (rnl_optim)kind, B ? B : 1, B ? T : 1);
    if (!B && n) n -= rnl_model_workspace_bytes(c, 1, 1);
    return n ? (double)n : INFINITY;  // 0 for a valid configuration: the sum overflowed
}

double rnlw_config_training_bytes(const rnl_config *c, int kind, int B, int T) { return training_bytes(c, kind, B, T); }

double rnlw_model_training_bytes(handle *h, int kind, int B, int T) {
    return training_bytes(rnl_model_config(h->m), kind, B, T);
}

// Memory below the heap (static data and the stack), which the allocator never hands out.
size_t rnlw_heap_base(void) {
    extern unsigned char __heap_base;
    return (size_t)&__heap_base;
}

// The defaults of rnl_config_default, for the fields the page leaves out.
void rnlw_config_default(rnl_config *out, int cell) { *out = rnl_config_default((rnl_cell)cell); }

void rnlw_model_config(rnl_config *out, rnlw_model_info *info, handle *h) {
    *out = *rnl_model_config(h->m);
    *info = (rnlw_model_info){rnl_model_num_params(h->m), rnl_model_num_tensors(h->m)};
}

rnl_real *rnlw_model_params(handle *h) { return rnl_model_params(h->m); }
rnl_real *rnlw_model_grads(handle *h) { return rnl_model_grads(h->m); }

// Replaces the whole parameter block; refuses a wrong count or a non-finite value before changing any.
rnl_status rnlw_set_params(handle *h, const rnl_real *p, size_t n) {
    size_t np = rnl_model_num_params(h->m);
    if (n != np) return rnl_fail(RNL_ERR_ARG, "parameters: got %zu values, the model has %zu", n, np);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i])) return rnl_fail(RNL_ERR_ARG, "parameters: value %zu is not a finite number", i);
    memcpy(rnl_model_params(h->m), p, sizeof(rnl_real) * n);
    return RNL_OK;
}

// Tensor i; 0 past the last.
int rnlw_tensor(rnl_tensor_info *out, handle *h, int i) {
    const rnl_tensor_info *t = rnl_model_tensor(h->m, i);
    if (t) *out = *t;
    return t != NULL;
}

// The model's opaque meta bytes (the description of its data, kept in checkpoints); data NULL if none.
void rnlw_meta(rnlw_span *out, handle *h) { out->data = rnl_model_meta(h->m, &out->n); }

rnl_status rnlw_set_meta(handle *h, const uint8_t *bytes, size_t n) {
    forget_meta(h);
    return rnl_model_set_meta(h->m, bytes, n);
}

// --- Optimizers ---------------------------------------------------------------------------------

// The default when training starts with none set: the run layer's (Adam, clipping at 1, as the CLI).
static rnl_status ensure_optimizer(handle *h) {
    return rnl_run_ensure_optimizer(&h->o, RNL_RUN_RECURRENT, rnl_model_num_params(h->m));
}

// The settings setOptimizer starts from for a kind: the run layer's for a recurrent model
// (rnl_run_optim_default: rnl_optim_default, and clip 1 as the CLI), for both model kinds, as before.
void rnlw_optimizer_default(rnlw_optimizer *out, int kind) {
    *out = (rnlw_optimizer){rnl_run_optim_default(RNL_RUN_RECURRENT, (rnl_optim)kind), 0};
}

// oc: an "optimizer" record (the wrapper starts from rnlw_optimizer_default). Same kind and no reset: the
// live optimizer takes the new settings and keeps its moments and step count (a learning-rate schedule, a
// resumed run); otherwise a fresh optimizer replaces it.
static rnl_status set_optimizer(rnl_optimizer **po, size_t np, const rnlw_optimizer *rec, int reset) {
    rnl_optim_config oc = rec->config;
    rnl_status st = rnl_optim_validate(&oc);
    if (st) return st;
    if (*po && !reset && rnl_optimizer_config(*po)->kind == oc.kind) {
        *rnl_optimizer_config(*po) = oc;
        return RNL_OK;
    }
    rnl_optimizer *o;
    if ((st = rnl_optimizer_create(&o, &oc, np))) return st;
    rnl_optimizer_destroy(*po);
    *po = o;
    return RNL_OK;
}

rnl_status rnlw_set_optimizer(handle *h, const rnlw_optimizer *rec, int reset) {
    return set_optimizer(&h->o, rnl_model_num_params(h->m), rec, reset);
}

// 0 if the model has no optimizer yet; else 1 and its settings and steps.
static int optimizer_info(rnlw_optimizer *out, rnl_optimizer *o) {
    if (!o) return 0;
    *out = (rnlw_optimizer){*rnl_optimizer_config(o), (double)rnl_optimizer_steps(o)};
    return 1;
}

int rnlw_optimizer_info(rnlw_optimizer *out, handle *h) { return optimizer_info(out, h->o); }

// --- Batches ------------------------------------------------------------------------------------

// The batch of the next rnlw_train_step / rnlw_eval / rnlw_predict / rnlw_gradients: pointers into
// memory the wrapper staged, whose sizes it checked against the model (the core checks the values).
static rnl_batch batch;

void rnlw_batch_set(int B, int T, const int32_t *tokens, const rnl_real *inputs, const int32_t *lengths,
                    const rnl_real *targets) {
    batch = (rnl_batch){B, T, tokens, inputs, lengths, targets};
}

static double steps_of(const rnl_optimizer *o) { return o ? (double)rnl_optimizer_steps(o) : 0; }

rnl_status rnlw_train_step(rnlw_progress *out, handle *h, int bptt_window) {
    rnl_status st = ensure_optimizer(h);
    if (st) return st;
    rnl_step_stats s = {0};
    st = rnl_train_step(h->m, h->o, &batch, bptt_window, &s);
    h->pred_B = batch.B, h->pred_T = batch.T;
    put_stats(out, &s, rnl_optimizer_steps(h->o));
    return st;
}

// out: loss and accuracy.
rnl_status rnlw_eval(rnlw_progress *out, handle *h) {
    rnl_step_stats s = {0};
    rnl_status st = rnl_eval_batch(h->m, &batch, &s);
    h->pred_B = batch.B, h->pred_T = batch.T;
    put_stats(out, &s, steps_of(h->o));
    return st;
}

// Forward without targets; read the result with rnlw_predictions.
rnl_status rnlw_predict(handle *h) {
    h->pred_B = batch.B, h->pred_T = batch.T;
    return rnl_model_forward(h->m, &batch, NULL);
}

// Loss and gradients of one batch without an update (zero_grad, forward, backward): the gradients are
// in rnlw_model_grads, the predictions in rnlw_predictions. out: loss, gradient norm.
rnl_status rnlw_gradients(rnlw_progress *out, handle *h, int bptt_window) {
    rnl_real loss = 0;
    rnl_model_zero_grad(h->m);
    h->pred_B = batch.B, h->pred_T = batch.T;
    rnl_status st = rnl_model_forward(h->m, &batch, &loss);
    if (!st) st = rnl_model_backward(h->m, bptt_window);
    rnl_step_stats s = {loss, NAN, 0, NAN};
    if (!st) s.grad_norm = rnl_grad_norm(rnl_model_grads(h->m), rnl_model_num_params(h->m));
    put_stats(out, &s, steps_of(h->o));
    return st;
}

// Predictions of the last forward (data NULL if it failed): (B, outputs) or, seq2seq, (B, T, outputs).
void rnlw_predictions(rnlw_span *out, handle *h) {
    const rnl_config *c = rnl_model_config(h->m);
    out->data = rnl_model_predictions(h->m);
    out->n = (size_t)h->pred_B * (c->seq2seq ? h->pred_T : 1) * c->outputs;
}

// --- Synthetic tasks ----------------------------------------------------------------------------

static rnl_status check_task(int task) {
    if (task < RNL_TASK_ADDING || task > RNL_TASK_SINE) return rnl_fail(RNL_ERR_ARG, "task: unknown task %d", task);
    return RNL_OK;
}

// The model shape the task needs (vocab, embed, input_size, head, outputs, seq2seq), on an LSTM's defaults.
rnl_status rnlw_task_shape(rnl_config *out, int task) {
    rnl_status st = check_task(task);
    if (st) return st;
    *out = rnl_config_default(RNL_CELL_LSTM);
    rnl_task_shape((rnl_task)task, out);
    return RNL_OK;
}

// The model must read what the task gives and predict what it asks (rnl_run_task_fits names what differs).
static rnl_status check_task_fits(const rnl_model *m, rnl_task task) {
    return rnl_run_task_fits(rnl_model_config(m), task, "make one with createModel({ cell, task })");
}

// One batch of a task for the page, from its own generator seeded with `seed`. Valid until the next call.
static rnl_task_data generated;

rnl_status rnlw_task_generate(rnlw_batch_view *out, int task, int B, int T, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (st) return st;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed64(seed_lo, seed_hi));
    if ((st = rnl_task_generate(&generated, (rnl_task)task, B, T, &rng))) return st;
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    rnl_task_shape((rnl_task)task, &c);
    const rnl_batch *b = &generated.batch;
    int BT = B * T;
    *out = (rnlw_batch_view){b->tokens, b->inputs, b->lengths, b->targets, b->tokens ? BT : 0, b->inputs ? BT * c.input_size : 0,
                             (c.seq2seq ? BT : B) * (c.head == RNL_HEAD_REGRESSION ? c.outputs : 1), T};
    return RNL_OK;
}

// Restarts the model's training-data stream (rnlw_train_task) from `seed`.
void rnlw_task_seed(handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, seed64(seed_lo, seed_hi)); }

// `steps` training steps, each on a fresh batch of B x T from the model's stream (rnl_run_train_task): the
// loop of `rnnlab train`, so the same seed gives the same batches. The wrapper calls this in chunks and
// reports progress between them (also after a failure, for the steps before it).
rnl_status rnlw_train_task(rnlw_progress *out, handle *h, int task, int B, int T, int steps, int bptt_window) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h->m, (rnl_task)task);
    if (!st) st = ensure_optimizer(h);
    rnl_run_progress p = no_progress(h->o);
    if (!st) st = rnl_run_train_task(h->m, h->o, (rnl_task)task, B, T, steps, bptt_window, &h->rng, &h->data, &p);
    h->pred_B = B, h->pred_T = T;
    put_progress(out, &p);
    return st;
}

// Held-out evaluation as `rnnlab eval` (rnl_run_eval_task): `batches` batches of B x T from a generator
// seeded with `seed` (not the training stream). out: mean loss and accuracy (NaN for regression).
rnl_status rnlw_eval_task(rnlw_progress *out, handle *h, int task, int T, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h->m, (rnl_task)task);
    rnl_run_eval r = {NAN, NAN, 0};
    if (!st) st = rnl_run_eval_task(h->m, (rnl_task)task, T, batches, B, seed64(seed_lo, seed_hi), &h->data, &r);
    h->pred_B = B, h->pred_T = T;
    rnl_step_stats s = {r.loss, NAN, 0, r.accuracy};
    put_stats(out, &s, steps_of(h->o));
    return st;
}

// --- Introspection ------------------------------------------------------------------------------

void rnlw_set_trace(handle *h, int sample) { rnl_model_set_trace(h->m, sample); }

// kind 0: gates (steps, G*H); 1: cell or hidden state (steps, H); 2: ||dL/dh_t|| (steps). data NULL
// when nothing was traced.
void rnlw_trace(rnlw_trace_view *out, handle *h, int kind, int layer, int dir) {
    *out = (rnlw_trace_view){NULL, 0, 1};
    if (kind == 0) out->data = rnl_model_trace_gates(h->m, layer, dir, &out->steps, &out->width);
    else if (kind == 1) out->data = rnl_model_trace_state(h->m, layer, dir, &out->steps, &out->width);
    else if (kind == 2) out->data = rnl_model_trace_grad_norms(h->m, layer, dir, &out->steps);
}

// --- Checkpoints --------------------------------------------------------------------------------

// The checkpoint as bytes (with the optimizer's state if asked and there is one); the wrapper copies
// them and frees the buffer with rnl_buffer_free.
rnl_status rnlw_checkpoint_write(rnlw_span *out, handle *h, int with_optimizer) {
    uint8_t *buf = NULL;
    rnl_status st = rnl_checkpoint_write(h->m, with_optimizer ? h->o : NULL, &buf, &out->n);
    out->data = buf;
    return st;
}

// A model (and its optimizer, if the checkpoint holds one) from checkpoint bytes; NULL on failure.
handle *rnlw_checkpoint_read(const uint8_t *buf, size_t n) {
    rnl_model *m;
    rnl_optimizer *o;
    if ((last_status = rnl_checkpoint_read(buf, n, &m, &o)) != RNL_OK) return NULL;
    return wrap(m, o);
}

// --- Datasets -----------------------------------------------------------------------------------
// A dataset is the core's rnl_dataset, handed to JavaScript as a pointer and freed with
// rnl_dataset_destroy. The constructors return NULL on failure (status in rnlw_last_status).

void rnlw_dataset_info(rnlw_dataset_desc *out, const rnl_dataset *ds) {
    int text = ds->kind == RNL_DATASET_TEXT;
    *out = (rnlw_dataset_desc){text, ds->n_train, ds->n_val, ds->n_test, text ? rnl_vocab_size(ds->vocab) : 0, ds->max_len,
                               ds->keep_end, ds->window, ds->horizon, ds->mean, ds->std, ds->n_values, ds->seed, ds->column};
}

rnl_dataset *rnlw_dataset_read(const uint8_t *buf, size_t n, const char *label) {
    rnl_dataset *ds;
    if ((last_status = rnl_dataset_read(buf, n, label, &ds)) != RNL_OK) return NULL;
    return ds;
}

// One line for people (rnl_dataset_describe); valid until the next call.
const char *rnlw_dataset_describe(const rnl_dataset *ds) {
    static char line[512];
    rnl_dataset_describe(ds, line, sizeof line);
    return line;
}

// The data file (description == 0) or its description (the vocabulary, what a model keeps as meta).
// The wrapper copies the bytes and frees them with rnl_buffer_free.
rnl_status rnlw_dataset_write(rnlw_span *out, const rnl_dataset *ds, int description) {
    uint8_t *buf = NULL;
    rnl_status st = description ? rnl_dataset_write_description(ds, &buf, &out->n) : rnl_dataset_write(ds, &buf, &out->n);
    out->data = buf;
    return st;
}

// A growing int32 buffer shared by the calls below that hand back token ids (valid until the next call).
static int32_t *scratch_ids;
static size_t scratch_cap;

static int32_t *ids_buffer(size_t n) {
    if (n > scratch_cap) {
        int32_t *p = realloc(scratch_ids, sizeof(int32_t) * n);
        if (!p) return NULL;
        scratch_ids = p;
        scratch_cap = n;
    }
    return scratch_ids;
}

static rnl_status need_text(const rnl_dataset *ds, const char *what) {
    if (ds->kind == RNL_DATASET_TEXT) return RNL_OK;
    return rnl_fail(RNL_ERR_ARG, "%s: this is a time series, not a text dataset", what);
}

// Tokenizes and encodes a text as the dataset does (its vocabulary, max_len, keep_end). out: the ids.
rnl_status rnlw_dataset_encode(rnlw_span *out, const rnl_dataset *ds, const char *text, size_t n) {
    rnl_status st = need_text(ds, "encode");
    if (st) return st;
    int32_t *ids = ids_buffer((size_t)ds->max_len);
    if (!ids) return rnl_fail(RNL_ERR_NOMEM, "encode: out of memory");
    out->data = ids;
    out->n = (size_t)rnl_vocab_encode(ds->vocab, text, n, ds->max_len, ds->keep_end, ids);
    return RNL_OK;
}

// The word of a token id; NULL for a series or an id out of range.
const char *rnlw_dataset_word(const rnl_dataset *ds, int id) {
    return ds->kind == RNL_DATASET_TEXT ? rnl_vocab_word(ds->vocab, id) : NULL;
}

// Example i of a text dataset: its token ids, label, rating and review id.
rnl_status rnlw_dataset_example(rnlw_example *out, const rnl_dataset *ds, int i) {
    rnl_status st = need_text(ds, "example");
    if (st) return st;
    if (i < 0 || i >= rnl_dataset_size(ds))
        return rnl_fail(RNL_ERR_ARG, "example: index %d is outside 0..%d", i, rnl_dataset_size(ds) - 1);
    *out = (rnlw_example){ds->tokens + ds->offsets[i], (int)(ds->offsets[i + 1] - ds->offsets[i]), ds->labels[i], ds->ratings[i],
                          ds->ids[i]};
    return RNL_OK;
}

// The batch of examples idx[0..B-1] (rnl_dataset_batch), in the buffers of rnlw_task_generate.
rnl_status rnlw_dataset_batch(rnlw_batch_view *out, const rnl_dataset *ds, const int32_t *idx, int B) {
    rnl_status st = rnl_dataset_batch(ds, idx, B, &generated);
    if (st) return st;
    const rnl_batch *b = &generated.batch;
    int BT = b->B * b->T;  // input_size 1
    *out = (rnlw_batch_view){b->tokens, b->inputs, b->lengths, b->targets, b->tokens ? BT : 0, b->inputs ? BT : 0,
                             ds->kind == RNL_DATASET_TEXT ? B : B * ds->horizon, b->T};
    return RNL_OK;
}

// The model fields the data decides (rnl_dataset_shape: vocab, embed, input_size, head, outputs, seq2seq),
// on an LSTM's defaults. embed: the caller's (0: the data layer's default).
void rnlw_dataset_shape(rnl_config *out, const rnl_dataset *ds, int embed) {
    *out = rnl_config_default(RNL_CELL_LSTM);
    out->embed = embed;
    rnl_dataset_shape(ds, out);
}

// --- Making datasets ------------------------------------------------------------------------------

// The defaults of `rnnlab data`, for the options the page leaves out.
void rnlw_data_defaults(rnl_imdb_config *imdb, rnl_series_config *series) {
    *imdb = rnl_imdb_default();
    *series = rnl_series_default();
}

// An IMDB reader; the wrapper feeds it tar bytes (rnl_imdb_feed_tar, rnl_imdb_end_tar) or files
// (rnl_imdb_add_file), then builds (rnlw_imdb_build) and destroys it (rnl_imdb_destroy).
rnl_imdb *rnlw_imdb_create(const rnl_imdb_config *c) {
    rnl_imdb *im;
    if ((last_status = rnl_imdb_create(&im, c)) != RNL_OK) return NULL;
    return im;
}

// Reviews seen so far. out: train neg, train pos, test neg, test pos, train/unsup.
void rnlw_imdb_counts(rnlw_imdb_tally *out, const rnl_imdb *im) {
    int c[2][2], unsup;
    rnl_imdb_counts(im, c, &unsup);
    *out = (rnlw_imdb_tally){c[0][0], c[0][1], c[1][0], c[1][1], unsup};
}

rnl_dataset *rnlw_imdb_build(rnl_imdb *im) {
    rnl_dataset *ds;
    if ((last_status = rnl_imdb_build(im, &ds)) != RNL_OK) return NULL;
    return ds;
}

// A dataset from a CSV of labelled reviews (rnl_text_csv_dataset); sizes < 0: all a balanced subset
// allows. info: rows, and rows per part and label.
rnl_dataset *rnlw_text_csv(rnl_text_csv_info *info, const char *text, size_t n, const char *label, const rnl_imdb_config *cfg) {
    rnl_imdb_config c = *cfg;
    int *sizes[] = {&c.n_train, &c.n_val, &c.n_test};
    for (int i = 0; i < 3; i++)
        if (*sizes[i] < 0) *sizes[i] = RNL_TEXT_CSV_ALL;
    rnl_dataset *ds;
    *info = (rnl_text_csv_info){0};
    last_status = rnl_text_csv_dataset(label, text, n, &c, &ds, info);
    return last_status ? NULL : ds;
}

// A dataset of sliding windows over one numeric column of a CSV (rnl_series_parse_csv +
// rnl_dataset_from_series). column NULL or "": the only numeric column.
rnl_dataset *rnlw_series_csv(const char *text, size_t n, const char *label, const char *column, const rnl_series_config *c) {
    rnl_series s;
    rnl_dataset *ds = NULL;
    if ((last_status = rnl_series_parse_csv(&s, label, text, n, column)) != RNL_OK) return NULL;
    last_status = rnl_dataset_from_series(&ds, &s, c);
    rnl_series_free(&s);
    return last_status ? NULL : ds;
}

// The bag-of-words baseline with its defaults (rnl_bow_baseline, as `rnnlab baseline`): accuracies (NaN
// for an empty split), train loss, the ten most positive and most negative word ids (ids below 2 stand
// in when the vocabulary is tiny).
rnl_status rnlw_bow(rnl_bow_result *out, const rnl_dataset *ds) {
    rnl_bow_config c = rnl_bow_default();
    return rnl_bow_baseline(ds, &c, out);
}

// --- Models on datasets -------------------------------------------------------------------------

// The model must read what the data gives and predict what it asks (rnl_run_data_fits, as the CLI's check).
static rnl_status check_data_fits(const rnl_model *m, const rnl_dataset *ds) {
    return rnl_run_data_fits(rnl_model_config(m), ds, "make one with createModel({ cell, dataset })");
}

// Ties a model to a dataset as `rnnlab train --data` does (rnl_run_attach_data): the model must fit it,
// and keeps the data's description as its meta bytes (so predictText needs no dataset); a model that
// already has other meta bytes was trained on other data and is refused.
rnl_status rnlw_attach_data(handle *h, const rnl_dataset *ds) {
    int changed = 0;
    rnl_status st = check_data_fits(h->m, ds);  // first, for its own hint
    if (!st) st = rnl_run_attach_data(h->m, ds, "start a new model with createModel({ cell, dataset })", &changed);
    if (changed) forget_meta(h);
    return st;
}

// The order of epoch `epoch` over the training split (rnl_run_epoch_order: the CLI's bucketing, text
// only), kept in the handle for rnlw_train_data.
rnl_status rnlw_data_epoch(handle *h, const rnl_dataset *ds, uint32_t seed_lo, uint32_t seed_hi, int epoch, int B, int bucket) {
    int count = ds->n_train;
    if (count > h->order_cap) {
        int32_t *p = realloc(h->order, sizeof(int32_t) * (size_t)count);
        if (!p) return rnl_fail(RNL_ERR_NOMEM, "train: out of memory for the epoch order");
        h->order = p;
        h->order_cap = count;
    }
    h->order_n = count;
    h->order_ds = NULL;
    rnl_status st = rnl_run_epoch_order(ds, seed64(seed_lo, seed_hi), epoch, B, bucket, h->order);
    if (st) return st;
    h->order_ds = ds;
    return RNL_OK;
}

// Trains on batches [first, first + n) of the current epoch order (rnl_run_train_data): the inner loop of
// `rnnlab train --data`. out: as rnlw_train_task.
rnl_status rnlw_train_data(rnlw_progress *out, handle *h, const rnl_dataset *ds, int first, int n, int B, int bptt_window) {
    rnl_status st = RNL_OK;
    if (h->order_ds != ds) st = rnl_fail(RNL_ERR_ARG, "train: no epoch order for this dataset (call rnlw_data_epoch first)");
    if (!st) st = ensure_optimizer(h);
    rnl_run_progress p = no_progress(h->o);
    if (!st) st = rnl_run_train_data(h->m, h->o, ds, h->order, h->order_n, first, n, B, bptt_window, &h->data, &p);
    h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    put_progress(out, &p);
    return st;
}

// Mean loss and accuracy over a whole split (rnl_run_eval_split: batches of 64 in order, each weighted by
// its size): `rnnlab eval --data` and the CLI's validation after each epoch. out: loss, accuracy (NaN for
// a series), count.
rnl_status rnlw_eval_data(rnlw_split_eval *out, handle *h, const rnl_dataset *ds, int split) {
    rnl_status st = check_data_fits(h->m, ds);
    if (st) return st;
    rnl_run_eval r;
    st = rnl_run_eval_split(h->m, ds, (rnl_split)split, &h->data, &r);
    if (r.count == 0) return st;  // an empty split: nothing ran
    h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    *out = (rnlw_split_eval){r.loss, r.accuracy, r.count};
    return st;
}

// Next-step predictions over a split's windows in the series' own units (rnl_run_predict_series):
// predicted = first output * std + mean, actual = the value right after the window, as read. out: (2, n)
// doubles, actual then predicted (valid until the next call).
rnl_status rnlw_predict_series(rnlw_span *out, handle *h, const rnl_dataset *ds, int split) {
    static double *buf;
    static size_t cap;
    rnl_status st = check_data_fits(h->m, ds);
    if (st) return st;
    if (ds->kind != RNL_DATASET_SERIES) return rnl_fail(RNL_ERR_ARG, "predictSeries: this is a text dataset, not a time series");
    int first, count;
    rnl_dataset_split(ds, (rnl_split)split, &first, &count);
    if ((size_t)count * 2 > cap) {
        double *p = realloc(buf, sizeof(double) * (size_t)count * 2);
        if (!p) return rnl_fail(RNL_ERR_NOMEM, "predictSeries: out of memory");
        buf = p;
        cap = (size_t)count * 2;
    }
    st = rnl_run_predict_series(h->m, ds, (rnl_split)split, &h->data, buf);
    if (count > 0) h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    *out = (rnlw_span){buf, (size_t)count};
    return st;
}

// The model's meta bytes read as a text description (its vocabulary), read once and kept.
static rnl_status model_vocabulary(handle *h, const char *what) {
    if (h->meta_ds) return RNL_OK;
    size_t n;
    const uint8_t *meta = rnl_model_meta(h->m, &n);
    if (!meta)
        return rnl_fail(RNL_ERR_ARG, "%s: the model has no vocabulary: create it with createModel({ cell, dataset }) or train it "
                        "with trainDataset on a text dataset first", what);
    rnl_dataset *ds;
    rnl_status st = rnl_dataset_read(meta, n, "the model's meta bytes", &ds);
    if (st) return st;
    if (ds->kind != RNL_DATASET_TEXT) {
        rnl_dataset_destroy(ds);
        return rnl_fail(RNL_ERR_ARG, "%s: the model predicts a time series, not the sentiment of a text", what);
    }
    if ((st = check_data_fits(h->m, ds))) {
        rnl_dataset_destroy(ds);
        return st;
    }
    h->meta_ds = ds;
    return RNL_OK;
}

// A word of the model's vocabulary (NULL out of range, or without one).
const char *rnlw_model_word(handle *h, int id) {
    if (model_vocabulary(h, "word")) return NULL;
    return rnl_vocab_word(h->meta_ds->vocab, id);
}

// The sentiment of a text read with the model's vocabulary (as `rnnlab predict`), and the prediction
// after each word (rnl_model_predict_steps; unidirectional models only, else step_probabilities NULL).
rnl_status rnlw_predict_text(rnlw_text_prediction *out, handle *h, const char *text, size_t n) {
    rnl_status st = model_vocabulary(h, "predictText");
    if (st) return st;
    const rnl_dataset *ds = h->meta_ds;
    if (!h->ids) {
        h->ids = malloc(sizeof(int32_t) * (size_t)ds->max_len);
        h->steps = malloc(sizeof(rnl_real) * (size_t)ds->max_len);
        if (!h->ids || !h->steps) {
            free(h->ids), free(h->steps);
            h->ids = NULL, h->steps = NULL;
            return rnl_fail(RNL_ERR_NOMEM, "predictText: out of memory");
        }
    }
    int len = rnl_vocab_encode(ds->vocab, text, n, ds->max_len, ds->keep_end, h->ids);
    rnl_batch b = {1, len, h->ids, NULL, NULL, NULL};
    int each = !rnl_model_config(h->m)->bidirectional;
    h->pred_B = 1, h->pred_T = len;
    if ((st = each ? rnl_model_predict_steps(h->m, &b, h->steps, NULL) : rnl_model_forward(h->m, &b, NULL))) return st;
    *out = (rnlw_text_prediction){rnl_model_predictions(h->m)[0], h->ids, len, each ? h->steps : NULL};
    return RNL_OK;
}

// --- Sequence-to-sequence models ----------------------------------------------------------------

// A seq2seq model as JavaScript holds it: the model, its optimizer, the task it was made for, the
// training-data stream, and the buffers of the last decode.
typedef struct {
    rnl_s2s *m;
    rnl_optimizer *o;          // NULL until set, or until the first training step makes the default
    rnl_s2s_task_config tc;
    rnl_s2s_task_data data;
    rnl_rng rng;               // the training-data stream (rnlw_s2s_seed)
    int32_t *src, *toks;       // last decode: (cap) source tokens, (max_len) output tokens
    rnl_real *attn;            // (max_len, n_src) its attention weights
    int cap, max_len;
    char text[64];             // rnlw_s2s_token_text
} s2s_handle;

static s2s_handle *s2s_wrap(rnl_s2s *m, rnl_optimizer *o, const rnl_s2s_task_config *tc) {
    s2s_handle *h = calloc(1, sizeof *h);
    if (!h) {
        rnl_optimizer_destroy(o);
        rnl_s2s_destroy(m);
        last_status = rnl_fail(RNL_ERR_NOMEM, "seq2seq: out of memory");
        return NULL;
    }
    h->m = m, h->o = o, h->tc = *tc;
    rnl_s2s_task_data_init(&h->data);
    rnl_rng_seed(&h->rng, 1);
    return h;
}

// A fresh model for a task, as `rnnlab init --task`, from an "s2s_options" record: a value < 0 (NaN for
// forget_bias) takes the default (rnl_s2s_task_default, rnl_s2s_config_default); dec_cell < 0 follows
// enc_cell. length > 0 sets both length bounds (reverse only).
s2s_handle *rnlw_s2s_create(const rnlw_s2s_options *o, uint32_t seed_lo, uint32_t seed_hi) {
    int task = o->task, length = o->length, min_len = o->min_len, max_len = o->max_len, symbols = o->symbols;
    if (task != RNL_S2S_TASK_REVERSE && task != RNL_S2S_TASK_DATES) {
        last_status = rnl_fail(RNL_ERR_ARG, "task: unknown seq2seq task %d", task);
        return NULL;
    }
    rnl_s2s_task_config tc = rnl_s2s_task_default((rnl_s2s_task)task);
    if (task == RNL_S2S_TASK_DATES && (length > 0 || min_len > 0 || max_len > 0 || symbols > 0)) {
        last_status = rnl_fail(RNL_ERR_ARG, "task: symbols and lengths are for the reverse task; dates has fixed formats");
        return NULL;
    }
    if (symbols > 0) tc.symbols = symbols;
    if (length > 0) tc.min_len = tc.max_len = length;
    if (min_len > 0) tc.min_len = min_len;
    if (max_len > 0) tc.max_len = max_len;
    if ((last_status = rnl_s2s_task_validate(&tc))) return NULL;
    rnl_s2s_config c = rnl_s2s_config_default();
    rnl_s2s_task_shape(&tc, &c);
    if (o->enc_cell >= 0) c.enc_cell = c.dec_cell = (rnl_cell)o->enc_cell;
    if (o->dec_cell >= 0) c.dec_cell = (rnl_cell)o->dec_cell;
    if (o->hidden >= 0) c.enc_hidden = o->hidden;
    if (o->embed >= 0) c.embed = o->embed;
    if (o->layers >= 0) c.enc_layers = o->layers;
    if (o->bidirectional >= 0) c.bidirectional = o->bidirectional;
    if (o->attention >= 0) c.attention = (rnl_attn)o->attention;
    if (o->attn_width >= 0) c.attn_width = o->attn_width;
    if (!isnan(o->forget_bias)) c.forget_bias = o->forget_bias;
    rnl_s2s *m;
    if ((last_status = rnl_s2s_create(&m, &c, seed64(seed_lo, seed_hi)))) return NULL;
    return s2s_wrap(m, NULL, &tc);
}

void rnlw_s2s_destroy(s2s_handle *h) {
    if (!h) return;
    free(h->src), free(h->toks), free(h->attn);
    rnl_s2s_task_data_free(&h->data);
    rnl_optimizer_destroy(h->o);
    rnl_s2s_destroy(h->m);
    free(h);
}

void rnlw_s2s_info(rnlw_s2s_desc *out, s2s_handle *h) {
    *out = (rnlw_s2s_desc){h->tc, *rnl_s2s_get_config(h->m), rnl_s2s_num_params(h->m)};
}

// As rnlw_set_optimizer, for a seq2seq model.
rnl_status rnlw_s2s_set_optimizer(s2s_handle *h, const rnlw_optimizer *rec, int reset) {
    return set_optimizer(&h->o, rnl_s2s_num_params(h->m), rec, reset);
}

// As rnlw_optimizer_info.
int rnlw_s2s_optimizer_info(rnlw_optimizer *out, s2s_handle *h) { return optimizer_info(out, h->o); }

void rnlw_s2s_seed(s2s_handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, seed64(seed_lo, seed_hi)); }

// n training steps on fresh batches of B from the handle's stream (rnl_run_s2s_train): the loop of
// `rnnlab train` for a seq2seq checkpoint (a new optimizer is the run layer's seq2seq default: Adam at
// lr 0.005, clip 1, as there). out: accuracy is the teacher-forced token accuracy, seq_accuracy the
// sequence accuracy.
rnl_status rnlw_s2s_train(rnlw_progress *out, s2s_handle *h, int B, int n) {
    rnl_status st = rnl_run_ensure_optimizer(&h->o, RNL_RUN_SEQ2SEQ, rnl_s2s_num_params(h->m));
    rnl_run_s2s_progress p = {{NAN, NAN, 0, NAN, NAN}, NAN, 0, 0, 0};
    if (!st) st = rnl_run_s2s_train(h->m, h->o, &h->tc, B, n, &h->rng, &h->data, &p);
    const rnl_s2s_stats *s = &p.last;
    *out = (rnlw_progress){s->loss, s->grad_norm, s->clipped, s->token_accuracy, s->seq_accuracy, steps_of(h->o), p.mean_loss,
                           p.clipped, p.done};
    return st;
}

// Held-out batches from their own seed, as `rnnlab eval` (rnl_run_s2s_evaluate): out: loss, teacher-forced
// token and sequence accuracy, greedy token and sequence accuracy (means over the batches).
rnl_status rnlw_s2s_eval(rnlw_s2s_scores *out, s2s_handle *h, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_run_s2s_eval r;
    rnl_status st = rnl_run_s2s_evaluate(h->m, &h->tc, batches, B, seed64(seed_lo, seed_hi), &r);
    if (batches < 1 || B < 1) return st;  // refused before any batch
    *out = (rnlw_s2s_scores){r.loss, r.tf_token, r.tf_seq, r.token, r.seq};
    return st;
}

// Greedy decoding of one text (as `rnnlab decode`, max_len <= 0: the task's longest target + 5). out: the
// source tokens, the output tokens (with <eos> if reached) and the (outputs, sources) attention weights
// (zeros without attention).
rnl_status rnlw_s2s_decode(rnlw_decoded *out, s2s_handle *h, const char *text, int max_len) {
    if (max_len <= 0) max_len = rnl_s2s_task_max_target(&h->tc) + 5;
    int cap = (int)strlen(text) + 1;
    if (cap > h->cap) {
        free(h->src);
        if (!(h->src = malloc(sizeof(int32_t) * (size_t)cap))) return h->cap = 0, rnl_fail(RNL_ERR_NOMEM, "decode: out of memory");
        h->cap = cap;
    }
    int n = 0;
    rnl_status st = rnl_s2s_task_encode(&h->tc, text, h->src, h->cap, &n);
    if (st) return st;
    if (n < 1) return rnl_fail(RNL_ERR_ARG, "decode: the input is empty");
    free(h->toks), free(h->attn);
    h->toks = malloc(sizeof(int32_t) * (size_t)max_len);
    h->attn = malloc(sizeof(rnl_real) * (size_t)max_len * n);
    if (!h->toks || !h->attn) return rnl_fail(RNL_ERR_NOMEM, "decode: out of memory");
    int32_t lens[1] = {n}, n_out = 0;
    rnl_s2s_batch b = {1, n, 0, h->src, lens, NULL, NULL};
    if ((st = rnl_s2s_decode(h->m, &b, max_len, h->toks, &n_out, h->attn))) return st;
    *out = (rnlw_decoded){h->src, h->toks, h->attn, n, n_out, n_out > 0 && h->toks[n_out - 1] == RNL_S2S_EOS};
    return RNL_OK;
}

// The text of one token of a side (0 source, 1 target): "<eos>", "<bos>", "<pad>" for the special ones.
const char *rnlw_s2s_token_text(s2s_handle *h, int side, int id) {
    int32_t t = id;
    if (id == RNL_S2S_EOS) return "<eos>";
    rnl_s2s_task_decode_text(&h->tc, side, &t, 1, h->text, sizeof h->text);
    return h->text;
}

// The text of tokens of a side, stopping at <eos> (rnl_s2s_task_decode_text); NULL if out of memory.
const char *rnlw_s2s_text(s2s_handle *h, int side, const int32_t *tokens, int n) {
    static char *buf;
    static size_t cap;
    size_t need = rnl_s2s_task_decode_text(&h->tc, side, tokens, n, h->text, 1) + 1;
    if (need > cap) {
        free(buf);
        if (!(buf = malloc(need))) return cap = 0, NULL;
        cap = need;
    }
    rnl_s2s_task_decode_text(&h->tc, side, tokens, n, buf, cap);
    return buf;
}

// The checkpoint bytes (with the task, and the optimizer state if `with_optimizer` and there is one):
// the format of `rnnlab init/train --task`. out: the bytes (free with rnl_buffer_free).
rnl_status rnlw_s2s_checkpoint_write(rnlw_span *out, s2s_handle *h, int with_optimizer) {
    uint8_t *p = NULL;
    rnl_status st = rnl_s2s_checkpoint_write(h->m, with_optimizer ? h->o : NULL, &h->tc, &p, &out->n);
    out->data = p;
    return st;
}

// A model from checkpoint bytes, which must name its task (as the CLI's train/eval/decode).
s2s_handle *rnlw_s2s_checkpoint_read(const uint8_t *bytes, size_t n) {
    rnl_s2s *m;
    rnl_optimizer *o;
    rnl_s2s_task_config tc;
    int has = 0;
    if ((last_status = rnl_s2s_checkpoint_read(bytes, n, &m, &o, &tc, &has))) return NULL;
    if (!has) {
        rnl_optimizer_destroy(o);
        rnl_s2s_destroy(m);
        last_status = rnl_fail(RNL_ERR_FORMAT, "seq2seq checkpoint: it names no task (make one with createSeq2Seq or "
                               "'rnnlab init --task reverse|dates')");
        return NULL;
    }
    return s2s_wrap(m, o, &tc);
}

// --- The exercises' cells (the student build) ---------------------------------------------------

#ifdef RNL_STUDENT_CELLS
#include "ex_todo.h"
#include "internal.h"

// Runs every function of cell_math.c once on a tiny problem and counts those still marked EX_TODO;
// returns how many, and rnlw_todo_names: their names ("LSTM forward, gradient clipping"). The counter
// ex_todo_count is restored, so this probe does not count as a use.
static char todo_names[512];
int rnlw_todo_check(void) {
    int saved = ex_todo_count, found = 0;
    const char *saved_last = ex_todo_last;
    todo_names[0] = 0;
    const char *seen[16];
    rnl_cell cells[] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    float x[6] = {0.5f, -0.25f, 0.75f, 0.1f, -0.6f, 0.3f}, y[2] = {0.2f, -0.1f};
    for (int k = 0; k < 4; k++) {
        // Three cells (forward, then backward), then clipping.
        for (int phase = 0; phase < (k < 3 ? 2 : 1); phase++) {
            ex_todo_count = 0;
            ex_todo_last = NULL;
            if (k < 3) {
                rnl_config c = rnl_config_default(cells[k]);
                c.vocab = 0, c.input_size = 1, c.hidden = 2, c.head = RNL_HEAD_REGRESSION, c.outputs = 1;
                rnl_model *m;
                if (rnl_model_create(&m, &c, 1)) continue;
                rnl_batch b = {2, 3, NULL, x, NULL, y};
                rnl_real loss;
                rnl_model_zero_grad(m);
                if (!rnl_model_forward(m, &b, &loss) && phase == 1) {
                    ex_todo_count = 0;
                    rnl_model_backward(m, 0);
                }
                rnl_model_destroy(m);
            } else {
                rnl_real g[2] = {3, 4};
                rnl_clip_grad_norm(g, 2, 1.0);
            }
            if (!ex_todo_count || !ex_todo_last) continue;
            int dup = 0;
            for (int i = 0; i < found; i++) dup |= strcmp(seen[i], ex_todo_last) == 0;
            if (dup || found == 16) continue;
            seen[found++] = ex_todo_last;
            size_t len = strlen(todo_names);
            snprintf(todo_names + len, sizeof todo_names - len, "%s%s", len ? ", " : "", ex_todo_last);
        }
    }
    ex_todo_count = saved;
    ex_todo_last = saved_last;
    return found;
}
const char *rnlw_todo_names(void) { return todo_names; }
// EX_TODO marks since the module started: rnnlab.js turns a rise during a call into an error.
int rnlw_todo_count(void) { return ex_todo_count; }
const char *rnlw_todo_last(void) { return ex_todo_last ? ex_todo_last : ""; }
#else
// The reference module: -1 says "not a student build".
int rnlw_todo_check(void) { return -1; }
const char *rnlw_todo_names(void) { return ""; }
int rnlw_todo_count(void) { return 0; }
const char *rnlw_todo_last(void) { return ""; }
#endif
