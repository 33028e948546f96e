// wasm_api.c: the flat C face of the WebAssembly module, compiled only into it (web/wasm.cmake).
// Every function takes and returns plain numbers and pointers, so web/rnnlab.js needs no struct layout:
// results of more than one number go to one small array of doubles (rnlw_out), which the wrapper reads
// right after the call. All numeric work stays in the core; this file only adapts calling conventions
// and keeps, per model, what the page would otherwise juggle: the optimizer, the task-data stream, the
// order of the current epoch over a dataset, and the model's vocabulary read from its meta bytes. The
// training rules (fit checks, defaults, seeds, epoch orders, evaluation) are the run layer's
// (rnnlab_run.h), shared with the CLI; this file only calls them and lays out their results.
//
// Sequence-to-sequence models (rnnlab_seq2seq.h) have their own handle (s2s_handle) and rnlw_s2s_* calls;
// with RNL_STUDENT_CELLS (the student build of web/wasm.cmake) the module also reports the TODOs left in
// the exercises' cell_math.c (rnlw_todo_*).
//
// Limits: one thread (the core is single-threaded; a Worker gets its own module instance). A pointer
// handed out here (rnlw_out, predictions, traces, parameters) is valid until the next call into the
// module, which may grow memory: the wrapper copies out at once.
#include <malloc.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "rnnlab.h"
#include "rnnlab_data.h"
#include "rnnlab_run.h"
#include "rnnlab_seq2seq.h"

// --- Results ------------------------------------------------------------------------------------

// The out area. Each function below says which slots it fills; training calls use this order:
enum {
    OUT_LOSS = 0,        // loss of the (last) step
    OUT_GRAD_NORM = 1,   // before clipping; NaN when not computed
    OUT_CLIPPED = 2,     // 1 if clipping scaled the gradient
    OUT_ACCURACY = 3,    // NaN for regression
    OUT_STEPS = 4,       // optimizer steps done in all
    OUT_MEAN_LOSS = 5,   // rnlw_train_task: mean loss of the steps it ran
    OUT_N_CLIPPED = 6,   // rnlw_train_task: how many of them clipped
    OUT_DONE = 7,        // rnlw_train_task: how many steps it ran
    OUT_SLOTS = 32       // rnlw_bow fills 24
};
static double out[OUT_SLOTS];
static rnl_status last_status;

double *rnlw_out(void) { return out; }
// The status of the last call that returned a NULL handle or pointer (see rnl_last_error for why).
int rnlw_last_status(void) { return (int)last_status; }
const char *rnlw_version(void) { return RNL_VERSION_STRING; }
// The gemm variant the core runs here ("wasmsimd" when the module was built with -msimd128).
const char *rnlw_kernels(void) { return rnl_kernels_active()->name; }
// Bytes the allocator has handed out and not had back: the leak check of tests/js/memory.test.mjs.
size_t rnlw_heap_in_use(void) { return (size_t)mallinfo().uordblks; }

static void put_stats(const rnl_step_stats *st, long steps) {
    out[OUT_LOSS] = st->loss;
    out[OUT_GRAD_NORM] = st->grad_norm;
    out[OUT_CLIPPED] = st->clipped;
    out[OUT_ACCURACY] = st->accuracy;
    out[OUT_STEPS] = (double)steps;
}

// A training span's record (rnl_run_progress): the last step's stats, then mean loss, clipped count, steps run.
static void put_progress(const rnl_run_progress *p) {
    put_stats(&p->last, p->steps);
    out[OUT_MEAN_LOSS] = p->mean_loss;
    out[OUT_N_CLIPPED] = p->clipped;
    out[OUT_DONE] = p->done;
}

// What a span reports when its checks refused it before any step.
static rnl_run_progress no_progress(const rnl_optimizer *o) {
    rnl_run_progress p = {{NAN, NAN, 0, NAN}, NAN, 0, 0, o ? rnl_optimizer_steps(o) : 0};
    return p;
}

static uint64_t seed64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

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

// The configuration rnlw_model_create and rnlw_config_training_bytes are given, field by field.
#define CONFIG_ARGS int cell, int vocab, int embed, int input_size, int hidden, int layers, int bidirectional, \
                    int head, int outputs, int seq2seq, float forget_bias
static rnl_config config_of(CONFIG_ARGS) {
    rnl_config c = rnl_config_default((rnl_cell)cell);
    c.vocab = vocab;
    c.embed = embed;
    c.input_size = input_size;
    c.hidden = hidden;
    c.layers = layers;
    c.bidirectional = bidirectional;
    c.head = (rnl_head)head;
    c.outputs = outputs;
    c.seq2seq = seq2seq;
    c.forget_bias = forget_bias;
    return c;
}

handle *rnlw_model_create(CONFIG_ARGS, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_config c = config_of(cell, vocab, embed, input_size, hidden, layers, bidirectional, head, outputs, seq2seq,
                             forget_bias);
    rnl_model *m;
    if ((last_status = rnl_model_create(&m, &c, seed64(seed_lo, seed_hi))) != RNL_OK) return NULL;
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

// out: cell, vocab, embed, input_size, hidden, layers, bidirectional, head, outputs, seq2seq, forget_bias.
static void put_config(const rnl_config *c) {
    double v[] = {c->cell, c->vocab, c->embed, c->input_size, c->hidden, c->layers, c->bidirectional, c->head,
                  c->outputs, c->seq2seq, c->forget_bias};
    memcpy(out, v, sizeof v);
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

double rnlw_config_training_bytes(CONFIG_ARGS, int kind, int B, int T) {
    rnl_config c = config_of(cell, vocab, embed, input_size, hidden, layers, bidirectional, head, outputs, seq2seq,
                             forget_bias);
    return training_bytes(&c, kind, B, T);
}

double rnlw_model_training_bytes(handle *h, int kind, int B, int T) {
    return training_bytes(rnl_model_config(h->m), kind, B, T);
}

// Memory below the heap (static data and the stack), which the allocator never hands out.
size_t rnlw_heap_base(void) {
    extern unsigned char __heap_base;
    return (size_t)&__heap_base;
}

// The defaults of rnl_config_default, for the fields the page leaves out. out: as put_config.
void rnlw_config_default(int cell) {
    rnl_config c = rnl_config_default((rnl_cell)cell);
    put_config(&c);
}

// out: as put_config, then the number of parameters and of tensors.
void rnlw_model_config(handle *h) {
    put_config(rnl_model_config(h->m));
    out[11] = (double)rnl_model_num_params(h->m);
    out[12] = rnl_model_num_tensors(h->m);
}

size_t rnlw_model_num_params(handle *h) { return rnl_model_num_params(h->m); }
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

// The name of tensor i (NULL past the last); out: offset, rows, cols.
const char *rnlw_tensor(handle *h, int i) {
    const rnl_tensor_info *t = rnl_model_tensor(h->m, i);
    if (!t) return NULL;
    out[0] = (double)t->offset;
    out[1] = t->rows;
    out[2] = t->cols;
    return t->name;
}

// The model's opaque meta bytes (the description of its data, kept in checkpoints); NULL if none.
// out[0]: how many.
const uint8_t *rnlw_meta(handle *h) {
    size_t n = 0;
    const uint8_t *p = rnl_model_meta(h->m, &n);
    out[0] = (double)n;
    return p;
}

rnl_status rnlw_set_meta(handle *h, const uint8_t *bytes, size_t n) {
    forget_meta(h);
    return rnl_model_set_meta(h->m, bytes, n);
}

// --- Optimizers ---------------------------------------------------------------------------------

// The default when training starts with none set: the run layer's (Adam, clipping at 1, as the CLI).
static rnl_status ensure_optimizer(handle *h) {
    return rnl_run_ensure_optimizer(&h->o, RNL_RUN_RECURRENT, rnl_model_num_params(h->m));
}

// NaN in any field means its default: the run layer's for a recurrent model (rnl_run_optim_default:
// rnl_optim_default, and clip 1 as the CLI), for both model kinds, as before. Same kind and no reset:
// the live optimizer takes the new settings and keeps its moments and step count (a learning-rate
// schedule, a resumed run); otherwise a fresh optimizer replaces it.
static rnl_status set_optimizer(rnl_optimizer **po, size_t np, int kind, float lr, float momentum, float beta1,
                                float beta2, float eps, float weight_decay, float clip, int reset) {
    rnl_optim_config oc = rnl_run_optim_default(RNL_RUN_RECURRENT, (rnl_optim)kind);
    float *fields[] = {&oc.lr, &oc.momentum, &oc.beta1, &oc.beta2, &oc.eps, &oc.weight_decay, &oc.clip};
    float given[] = {lr, momentum, beta1, beta2, eps, weight_decay, clip};
    for (int i = 0; i < 7; i++)
        if (!isnan(given[i])) *fields[i] = given[i];
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

rnl_status rnlw_set_optimizer(handle *h, int kind, float lr, float momentum, float beta1, float beta2, float eps,
                              float weight_decay, float clip, int reset) {
    return set_optimizer(&h->o, rnl_model_num_params(h->m), kind, lr, momentum, beta1, beta2, eps, weight_decay, clip, reset);
}

// 0 if the model has no optimizer yet; else 1 and out: kind, lr, momentum, beta1, beta2, eps,
// weight_decay, clip, steps.
static int optimizer_info(rnl_optimizer *o) {
    if (!o) return 0;
    const rnl_optim_config *c = rnl_optimizer_config(o);
    double v[] = {c->kind, c->lr, c->momentum, c->beta1, c->beta2, c->eps, c->weight_decay, c->clip,
                  (double)rnl_optimizer_steps(o)};
    memcpy(out, v, sizeof v);
    return 1;
}

int rnlw_optimizer_info(handle *h) { return optimizer_info(h->o); }

// --- Batches ------------------------------------------------------------------------------------

// The batch of the next rnlw_train_step / rnlw_eval / rnlw_predict / rnlw_gradients: pointers into
// memory the wrapper staged, whose sizes it checked against the model (the core checks the values).
static rnl_batch batch;

void rnlw_batch_set(int B, int T, const int32_t *tokens, const rnl_real *inputs, const int32_t *lengths,
                    const rnl_real *targets) {
    batch = (rnl_batch){B, T, tokens, inputs, lengths, targets};
}

rnl_status rnlw_train_step(handle *h, int bptt_window) {
    rnl_status st = ensure_optimizer(h);
    if (st) return st;
    rnl_step_stats s = {0};
    st = rnl_train_step(h->m, h->o, &batch, bptt_window, &s);
    h->pred_B = batch.B, h->pred_T = batch.T;
    put_stats(&s, rnl_optimizer_steps(h->o));
    return st;
}

// out: loss, -, -, accuracy.
rnl_status rnlw_eval(handle *h) {
    rnl_step_stats s = {0};
    rnl_status st = rnl_eval_batch(h->m, &batch, &s);
    h->pred_B = batch.B, h->pred_T = batch.T;
    put_stats(&s, h->o ? rnl_optimizer_steps(h->o) : 0);
    return st;
}

// Forward without targets; read the result with rnlw_predictions.
rnl_status rnlw_predict(handle *h) {
    h->pred_B = batch.B, h->pred_T = batch.T;
    return rnl_model_forward(h->m, &batch, NULL);
}

// Loss and gradients of one batch without an update (zero_grad, forward, backward): the gradients are
// in rnlw_model_grads, the predictions in rnlw_predictions. out: loss, gradient norm.
rnl_status rnlw_gradients(handle *h, int bptt_window) {
    rnl_real loss = 0;
    rnl_model_zero_grad(h->m);
    h->pred_B = batch.B, h->pred_T = batch.T;
    rnl_status st = rnl_model_forward(h->m, &batch, &loss);
    if (!st) st = rnl_model_backward(h->m, bptt_window);
    rnl_step_stats s = {loss, NAN, 0, NAN};
    if (!st) s.grad_norm = rnl_grad_norm(rnl_model_grads(h->m), rnl_model_num_params(h->m));
    put_stats(&s, h->o ? rnl_optimizer_steps(h->o) : 0);
    return st;
}

// Predictions of the last forward (NULL if it failed); out[0]: how many values,
// (B, outputs) or, seq2seq, (B, T, outputs).
const rnl_real *rnlw_predictions(handle *h) {
    const rnl_config *c = rnl_model_config(h->m);
    out[0] = (double)h->pred_B * (c->seq2seq ? h->pred_T : 1) * c->outputs;
    return rnl_model_predictions(h->m);
}

// --- Synthetic tasks ----------------------------------------------------------------------------

static rnl_status check_task(int task) {
    if (task < RNL_TASK_ADDING || task > RNL_TASK_SINE) return rnl_fail(RNL_ERR_ARG, "task: unknown task %d", task);
    return RNL_OK;
}

// out: vocab, embed, input_size, head, outputs, seq2seq: the model shape the task needs.
rnl_status rnlw_task_shape(int task) {
    rnl_status st = check_task(task);
    if (st) return st;
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    rnl_task_shape((rnl_task)task, &c);
    double v[] = {c.vocab, c.embed, c.input_size, c.head, c.outputs, c.seq2seq};
    memcpy(out, v, sizeof v);
    return RNL_OK;
}

// The model must read what the task gives and predict what it asks (rnl_run_task_fits names what differs).
static rnl_status check_task_fits(const rnl_model *m, rnl_task task) {
    return rnl_run_task_fits(rnl_model_config(m), task, "make one with createModel({ cell, task })");
}

// One batch of a task for the page, from its own generator seeded with `seed`. Valid until the next
// call. out: tokens, inputs, lengths, targets (pointers, 0 when absent), then the number of tokens,
// input values and target values.
static rnl_task_data generated;

rnl_status rnlw_task_generate(int task, int B, int T, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (st) return st;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed64(seed_lo, seed_hi));
    if ((st = rnl_task_generate(&generated, (rnl_task)task, B, T, &rng))) return st;
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    rnl_task_shape((rnl_task)task, &c);
    const rnl_batch *b = &generated.batch;
    size_t BT = (size_t)B * T;
    out[0] = (double)(uintptr_t)b->tokens;
    out[1] = (double)(uintptr_t)b->inputs;
    out[2] = (double)(uintptr_t)b->lengths;
    out[3] = (double)(uintptr_t)b->targets;
    out[4] = b->tokens ? (double)BT : 0;
    out[5] = b->inputs ? (double)(BT * c.input_size) : 0;
    out[6] = (double)((c.seq2seq ? BT : (size_t)B) * (c.head == RNL_HEAD_REGRESSION ? c.outputs : 1));
    return RNL_OK;
}

// Restarts the model's training-data stream (rnlw_train_task) from `seed`.
void rnlw_task_seed(handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, seed64(seed_lo, seed_hi)); }

// `steps` training steps, each on a fresh batch of B x T from the model's stream: the loop of
// `rnnlab train`, so the same seed gives the same batches. The wrapper calls this in chunks and reports
// progress between them. out: the last step's stats, then mean loss, clipped count, steps run (also
// after a failure, for the steps before it).
rnl_status rnlw_train_task(handle *h, int task, int B, int T, int steps, int bptt_window) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h->m, (rnl_task)task);
    if (!st) st = ensure_optimizer(h);
    rnl_run_progress p = no_progress(h->o);
    if (!st) st = rnl_run_train_task(h->m, h->o, (rnl_task)task, B, T, steps, bptt_window, &h->rng, &h->data, &p);
    h->pred_B = B, h->pred_T = T;
    put_progress(&p);
    return st;
}

// Held-out evaluation as `rnnlab eval` (rnl_run_eval_task): `batches` batches of B x T from a generator
// seeded with `seed` (not the training stream). out: mean loss, -, -, mean accuracy (NaN for regression).
rnl_status rnlw_eval_task(handle *h, int task, int T, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h->m, (rnl_task)task);
    rnl_run_eval r = {NAN, NAN, 0};
    if (!st) st = rnl_run_eval_task(h->m, (rnl_task)task, T, batches, B, seed64(seed_lo, seed_hi), &h->data, &r);
    h->pred_B = B, h->pred_T = T;
    rnl_step_stats s = {r.loss, NAN, 0, r.accuracy};
    put_stats(&s, h->o ? rnl_optimizer_steps(h->o) : 0);
    return st;
}

// --- Introspection ------------------------------------------------------------------------------

void rnlw_set_trace(handle *h, int sample) { rnl_model_set_trace(h->m, sample); }

// kind 0: gates (steps, G*H); 1: cell or hidden state (steps, H); 2: ||dL/dh_t|| (steps). NULL when
// nothing was traced. out: steps, width.
const rnl_real *rnlw_trace(handle *h, int kind, int layer, int dir) {
    int steps = 0, width = 1;
    const rnl_real *p = NULL;
    if (kind == 0) p = rnl_model_trace_gates(h->m, layer, dir, &steps, &width);
    else if (kind == 1) p = rnl_model_trace_state(h->m, layer, dir, &steps, &width);
    else if (kind == 2) p = rnl_model_trace_grad_norms(h->m, layer, dir, &steps);
    out[0] = steps;
    out[1] = width;
    return p;
}

// --- Checkpoints --------------------------------------------------------------------------------

// The checkpoint as bytes (with the optimizer's state if asked and there is one). out: pointer, size;
// the wrapper copies them and frees the buffer with rnl_buffer_free.
rnl_status rnlw_checkpoint_write(handle *h, int with_optimizer) {
    uint8_t *buf = NULL;
    size_t n = 0;
    rnl_status st = rnl_checkpoint_write(h->m, with_optimizer ? h->o : NULL, &buf, &n);
    out[0] = (double)(uintptr_t)buf;
    out[1] = (double)n;
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

// out: kind, n_train, n_val, n_test, vocab size (0 for a series), max_len, keep_end, window, horizon,
// mean, std, n_values, seed low and high 32 bits. Returns the column name (a series) or "".
const char *rnlw_dataset_info(const rnl_dataset *ds) {
    int text = ds->kind == RNL_DATASET_TEXT;
    double v[] = {ds->kind, ds->n_train, ds->n_val, ds->n_test, text ? rnl_vocab_size(ds->vocab) : 0, ds->max_len, ds->keep_end,
                  ds->window, ds->horizon, ds->mean, ds->std, ds->n_values, (double)(uint32_t)ds->seed,
                  (double)(uint32_t)(ds->seed >> 32)};
    memcpy(out, v, sizeof v);
    return ds->column;
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
// out: pointer, size; the wrapper copies them and frees the buffer with rnl_buffer_free.
rnl_status rnlw_dataset_write(const rnl_dataset *ds, int description) {
    uint8_t *buf = NULL;
    size_t n = 0;
    rnl_status st = description ? rnl_dataset_write_description(ds, &buf, &n) : rnl_dataset_write(ds, &buf, &n);
    out[0] = (double)(uintptr_t)buf;
    out[1] = (double)n;
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

// Tokenizes and encodes a text as the dataset does (its vocabulary, max_len, keep_end). Returns the ids
// (NULL on failure); out[0]: how many.
const int32_t *rnlw_dataset_encode(const rnl_dataset *ds, const char *text, size_t n) {
    if ((last_status = need_text(ds, "encode"))) return NULL;
    int32_t *ids = ids_buffer((size_t)ds->max_len);
    if (!ids) {
        last_status = rnl_fail(RNL_ERR_NOMEM, "encode: out of memory");
        return NULL;
    }
    out[0] = rnl_vocab_encode(ds->vocab, text, n, ds->max_len, ds->keep_end, ids);
    return ids;
}

// The word of a token id; NULL for a series or an id out of range.
const char *rnlw_dataset_word(const rnl_dataset *ds, int id) {
    return ds->kind == RNL_DATASET_TEXT ? rnl_vocab_word(ds->vocab, id) : NULL;
}

// Example i of a text dataset: returns its token ids; out: length, label, rating, review id.
const int32_t *rnlw_dataset_example(const rnl_dataset *ds, int i) {
    if ((last_status = need_text(ds, "example"))) return NULL;
    if (i < 0 || i >= rnl_dataset_size(ds)) {
        last_status = rnl_fail(RNL_ERR_ARG, "example: index %d is outside 0..%d", i, rnl_dataset_size(ds) - 1);
        return NULL;
    }
    out[0] = (double)(ds->offsets[i + 1] - ds->offsets[i]);
    out[1] = ds->labels[i];
    out[2] = ds->ratings[i];
    out[3] = ds->ids[i];
    return ds->tokens + ds->offsets[i];
}

// The batch of examples idx[0..B-1] (rnl_dataset_batch), in the buffers of rnlw_task_generate and with
// the same out slots: tokens, inputs, lengths, targets (pointers, 0 when absent), then the number of
// tokens, input values and target values; out[7]: T.
rnl_status rnlw_dataset_batch(const rnl_dataset *ds, const int32_t *idx, int B) {
    rnl_status st = rnl_dataset_batch(ds, idx, B, &generated);
    if (st) return st;
    const rnl_batch *b = &generated.batch;
    size_t BT = (size_t)b->B * b->T;
    out[0] = (double)(uintptr_t)b->tokens;
    out[1] = (double)(uintptr_t)b->inputs;
    out[2] = (double)(uintptr_t)b->lengths;
    out[3] = (double)(uintptr_t)b->targets;
    out[4] = b->tokens ? (double)BT : 0;
    out[5] = b->inputs ? (double)BT : 0;  // input_size 1
    out[6] = ds->kind == RNL_DATASET_TEXT ? B : (double)B * ds->horizon;
    out[7] = b->T;
    return RNL_OK;
}

// The model fields the data decides (rnl_dataset_shape). out: vocab, embed, input_size, head, outputs,
// seq2seq. embed: the caller's (0: the data layer's default).
void rnlw_dataset_shape(const rnl_dataset *ds, int embed) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.embed = embed;
    rnl_dataset_shape(ds, &c);
    double v[] = {c.vocab, c.embed, c.input_size, c.head, c.outputs, c.seq2seq};
    memcpy(out, v, sizeof v);
}

// --- Making datasets ------------------------------------------------------------------------------

static rnl_imdb_config imdb_config(int n_train, int n_val, int n_test, int vocab_words, int max_len, int keep_end,
                                   uint32_t seed_lo, uint32_t seed_hi) {
    rnl_imdb_config c = {n_train, n_val, n_test, vocab_words, max_len, keep_end, seed64(seed_lo, seed_hi)};
    return c;
}

// The defaults of `rnnlab data`, for the options the page leaves out. out: n_train, n_val, n_test,
// vocab_words, max_len, keep_end, seed; then the series' window, horizon, val_frac, test_frac.
void rnlw_data_defaults(void) {
    rnl_imdb_config c = rnl_imdb_default();
    rnl_series_config s = rnl_series_default();
    double v[] = {c.n_train, c.n_val, c.n_test, c.vocab_words, c.max_len, c.keep_end, (double)c.seed,
                  s.window, s.horizon, s.val_frac, s.test_frac};
    memcpy(out, v, sizeof v);
}

// An IMDB reader; the wrapper feeds it tar bytes (rnl_imdb_feed_tar, rnl_imdb_end_tar) or files
// (rnl_imdb_add_file), then builds (rnlw_imdb_build) and destroys it (rnl_imdb_destroy).
rnl_imdb *rnlw_imdb_create(int n_train, int n_val, int n_test, int vocab_words, int max_len, int keep_end,
                           uint32_t seed_lo, uint32_t seed_hi) {
    rnl_imdb_config c = imdb_config(n_train, n_val, n_test, vocab_words, max_len, keep_end, seed_lo, seed_hi);
    rnl_imdb *im;
    if ((last_status = rnl_imdb_create(&im, &c)) != RNL_OK) return NULL;
    return im;
}

// Reviews seen so far. out: train neg, train pos, test neg, test pos, train/unsup.
void rnlw_imdb_counts(const rnl_imdb *im) {
    int c[2][2], unsup;
    rnl_imdb_counts(im, c, &unsup);
    double v[] = {c[0][0], c[0][1], c[1][0], c[1][1], unsup};
    memcpy(out, v, sizeof v);
}

rnl_dataset *rnlw_imdb_build(rnl_imdb *im) {
    rnl_dataset *ds;
    if ((last_status = rnl_imdb_build(im, &ds)) != RNL_OK) return NULL;
    return ds;
}

// A dataset from a CSV of labelled reviews (rnl_text_csv_dataset); sizes < 0: all a balanced subset
// allows. out (also after a failure, once the rows were read): rows, then rows per part and label:
// train neg, train pos, test neg, test pos.
rnl_dataset *rnlw_text_csv(const char *text, size_t n, const char *label, int n_train, int n_val, int n_test, int vocab_words,
                           int max_len, int keep_end, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_imdb_config c = imdb_config(n_train < 0 ? RNL_TEXT_CSV_ALL : n_train, n_val < 0 ? RNL_TEXT_CSV_ALL : n_val,
                                    n_test < 0 ? RNL_TEXT_CSV_ALL : n_test, vocab_words, max_len, keep_end, seed_lo, seed_hi);
    rnl_text_csv_info info;
    rnl_dataset *ds;
    last_status = rnl_text_csv_dataset(label, text, n, &c, &ds, &info);
    double v[] = {info.rows, info.part[0][0], info.part[0][1], info.part[1][0], info.part[1][1]};
    memcpy(out, v, sizeof v);
    return last_status ? NULL : ds;
}

// A dataset of sliding windows over one numeric column of a CSV (rnl_series_parse_csv +
// rnl_dataset_from_series). column NULL or "": the only numeric column.
rnl_dataset *rnlw_series_csv(const char *text, size_t n, const char *label, const char *column, int window, int horizon,
                             double val_frac, double test_frac) {
    rnl_series s;
    rnl_series_config c = {window, horizon, val_frac, test_frac};
    rnl_dataset *ds = NULL;
    if ((last_status = rnl_series_parse_csv(&s, label, text, n, column)) != RNL_OK) return NULL;
    last_status = rnl_dataset_from_series(&ds, &s, &c);
    rnl_series_free(&s);
    return last_status ? NULL : ds;
}

// The bag-of-words baseline with its defaults (rnl_bow_baseline, as `rnnlab baseline`). out: train,
// val, test accuracy (NaN for an empty split), train loss, then the ten most positive and the ten most
// negative word ids (ids below 2 stand in when the vocabulary is tiny).
rnl_status rnlw_bow(const rnl_dataset *ds) {
    rnl_bow_config c = rnl_bow_default();
    rnl_bow_result r;
    rnl_status st = rnl_bow_baseline(ds, &c, &r);
    if (st) return st;
    out[0] = r.train_acc, out[1] = r.val_acc, out[2] = r.test_acc, out[3] = r.train_loss;
    for (int i = 0; i < 10; i++) out[4 + i] = r.top_pos[i], out[14 + i] = r.top_neg[i];
    return RNL_OK;
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
// only), kept in the handle for rnlw_train_data. out: examples, batches.
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
    out[0] = count;
    out[1] = (double)rnl_run_batches_per_epoch(ds, B);
    return RNL_OK;
}

// Trains on batches [first, first + n) of the current epoch order (rnl_run_train_data): the inner loop of
// `rnnlab train --data`. out: as rnlw_train_task (the last step's stats, mean loss, clipped count, steps run).
rnl_status rnlw_train_data(handle *h, const rnl_dataset *ds, int first, int n, int B, int bptt_window) {
    rnl_status st = RNL_OK;
    if (h->order_ds != ds) st = rnl_fail(RNL_ERR_ARG, "train: no epoch order for this dataset (call rnlw_data_epoch first)");
    if (!st) st = ensure_optimizer(h);
    rnl_run_progress p = no_progress(h->o);
    if (!st) st = rnl_run_train_data(h->m, h->o, ds, h->order, h->order_n, first, n, B, bptt_window, &h->data, &p);
    h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    put_progress(&p);
    return st;
}

// Mean loss and accuracy over a whole split (rnl_run_eval_split: batches of 64 in order, each weighted by
// its size): `rnnlab eval --data` and the CLI's validation after each epoch. out: loss, accuracy (NaN for
// a series), count.
rnl_status rnlw_eval_data(handle *h, const rnl_dataset *ds, int split) {
    rnl_status st = check_data_fits(h->m, ds);
    if (st) return st;
    rnl_run_eval r;
    st = rnl_run_eval_split(h->m, ds, (rnl_split)split, &h->data, &r);
    if (r.count == 0) return st;  // an empty split: nothing ran, out untouched (as before)
    h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    out[0] = r.loss;
    out[1] = r.accuracy;
    out[2] = r.count;
    return st;
}

// Next-step predictions over a split's windows in the series' own units (rnl_run_predict_series):
// predicted = first output * std + mean, actual = the value right after the window, as read. Returns
// (2, count) doubles: actual, then predicted (valid until the next call); out[0]: count.
const double *rnlw_predict_series(handle *h, const rnl_dataset *ds, int split) {
    static double *buf;
    static size_t cap;
    if ((last_status = check_data_fits(h->m, ds))) return NULL;
    if (ds->kind != RNL_DATASET_SERIES) {
        last_status = rnl_fail(RNL_ERR_ARG, "predictSeries: this is a text dataset, not a time series");
        return NULL;
    }
    int first, count;
    rnl_dataset_split(ds, (rnl_split)split, &first, &count);
    if ((size_t)count * 2 > cap) {
        double *p = realloc(buf, sizeof(double) * (size_t)count * 2);
        if (!p) {
            last_status = rnl_fail(RNL_ERR_NOMEM, "predictSeries: out of memory");
            return NULL;
        }
        buf = p;
        cap = (size_t)count * 2;
    }
    rnl_status st = rnl_run_predict_series(h->m, ds, (rnl_split)split, &h->data, buf);
    if (count > 0) h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    if ((last_status = st)) return NULL;
    out[0] = count;
    return buf;
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
// after each word (rnl_model_predict_steps; unidirectional models only). Returns the token ids; out:
// probability, length, pointer to the per-step probabilities (0 for a bidirectional model).
const int32_t *rnlw_predict_text(handle *h, const char *text, size_t n) {
    if ((last_status = model_vocabulary(h, "predictText"))) return NULL;
    const rnl_dataset *ds = h->meta_ds;
    if (!h->ids) {
        h->ids = malloc(sizeof(int32_t) * (size_t)ds->max_len);
        h->steps = malloc(sizeof(rnl_real) * (size_t)ds->max_len);
        if (!h->ids || !h->steps) {
            free(h->ids), free(h->steps);
            h->ids = NULL, h->steps = NULL;
            last_status = rnl_fail(RNL_ERR_NOMEM, "predictText: out of memory");
            return NULL;
        }
    }
    int len = rnl_vocab_encode(ds->vocab, text, n, ds->max_len, ds->keep_end, h->ids);
    rnl_batch b = {1, len, h->ids, NULL, NULL, NULL};
    int each = !rnl_model_config(h->m)->bidirectional;
    h->pred_B = 1, h->pred_T = len;
    last_status = each ? rnl_model_predict_steps(h->m, &b, h->steps, NULL) : rnl_model_forward(h->m, &b, NULL);
    if (last_status) return NULL;
    out[0] = rnl_model_predictions(h->m)[0];
    out[1] = len;
    out[2] = each ? (double)(uintptr_t)h->steps : 0;
    return h->ids;
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

// A fresh model for a task, as `rnnlab init --task`: a value < 0 takes the default (rnl_s2s_task_default,
// rnl_s2s_config_default); dec_cell < 0 follows enc_cell. length > 0 sets both length bounds (reverse only).
s2s_handle *rnlw_s2s_create(int task, int length, int min_len, int max_len, int symbols, int enc_cell, int dec_cell,
                            int hidden, int embed, int layers, int bidirectional, int attention, int attn_width,
                            float forget_bias, uint32_t seed_lo, uint32_t seed_hi) {
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
    if (enc_cell >= 0) c.enc_cell = c.dec_cell = (rnl_cell)enc_cell;
    if (dec_cell >= 0) c.dec_cell = (rnl_cell)dec_cell;
    if (hidden >= 0) c.enc_hidden = hidden;
    if (embed >= 0) c.embed = embed;
    if (layers >= 0) c.enc_layers = layers;
    if (bidirectional >= 0) c.bidirectional = bidirectional;
    if (attention >= 0) c.attention = (rnl_attn)attention;
    if (attn_width >= 0) c.attn_width = attn_width;
    if (!isnan(forget_bias)) c.forget_bias = forget_bias;
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

// out: task, min_len, max_len, symbols, src_vocab, tgt_vocab, embed, enc_cell, enc_hidden, enc_layers,
// bidirectional, dec_cell, attention, attn_width, forget_bias, parameters.
void rnlw_s2s_info(s2s_handle *h) {
    const rnl_s2s_config *c = rnl_s2s_get_config(h->m);
    double v[] = {h->tc.task, h->tc.min_len, h->tc.max_len, h->tc.symbols, c->src_vocab, c->tgt_vocab, c->embed,
                  c->enc_cell, c->enc_hidden, c->enc_layers, c->bidirectional, c->dec_cell, c->attention, c->attn_width,
                  c->forget_bias, (double)rnl_s2s_num_params(h->m)};
    memcpy(out, v, sizeof v);
}


// As rnlw_set_optimizer, for a seq2seq model.
rnl_status rnlw_s2s_set_optimizer(s2s_handle *h, int kind, float lr, float momentum, float beta1, float beta2, float eps,
                                  float weight_decay, float clip, int reset) {
    return set_optimizer(&h->o, rnl_s2s_num_params(h->m), kind, lr, momentum, beta1, beta2, eps, weight_decay, clip, reset);
}

// As rnlw_optimizer_info.
int rnlw_s2s_optimizer_info(s2s_handle *h) { return optimizer_info(h->o); }

void rnlw_s2s_seed(s2s_handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, seed64(seed_lo, seed_hi)); }

// n training steps on fresh batches of B from the handle's stream (rnl_run_s2s_train): the loop of
// `rnnlab train` for a seq2seq checkpoint (a new optimizer is the run layer's seq2seq default: Adam at
// lr 0.005, clip 1, as there). out: loss, grad norm, clipped, token accuracy (teacher forcing), steps,
// mean loss, clipped steps, steps run, sequence accuracy.
rnl_status rnlw_s2s_train(s2s_handle *h, int B, int n) {
    rnl_status st = rnl_run_ensure_optimizer(&h->o, RNL_RUN_SEQ2SEQ, rnl_s2s_num_params(h->m));
    rnl_run_s2s_progress p = {{NAN, NAN, 0, NAN, NAN}, NAN, 0, 0, 0};
    if (!st) st = rnl_run_s2s_train(h->m, h->o, &h->tc, B, n, &h->rng, &h->data, &p);
    const rnl_s2s_stats *s = &p.last;
    out[OUT_LOSS] = s->loss, out[OUT_GRAD_NORM] = s->grad_norm, out[OUT_CLIPPED] = s->clipped;
    out[OUT_ACCURACY] = s->token_accuracy;
    out[OUT_STEPS] = h->o ? (double)rnl_optimizer_steps(h->o) : 0;
    out[OUT_MEAN_LOSS] = p.mean_loss;
    out[OUT_N_CLIPPED] = p.clipped;
    out[OUT_DONE] = p.done;
    out[8] = s->seq_accuracy;
    return st;
}

// Held-out batches from their own seed, as `rnnlab eval` (rnl_run_s2s_evaluate): out: loss, teacher-forced
// token and sequence accuracy, greedy token and sequence accuracy (means over the batches).
rnl_status rnlw_s2s_eval(s2s_handle *h, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_run_s2s_eval r;
    rnl_status st = rnl_run_s2s_evaluate(h->m, &h->tc, batches, B, seed64(seed_lo, seed_hi), &r);
    if (batches < 1 || B < 1) return st;  // refused before any batch: out untouched (as before)
    double v[] = {r.loss, r.tf_token, r.tf_seq, r.token, r.seq};
    memcpy(out, v, sizeof v);
    return st;
}

// Greedy decoding of one text (as `rnnlab decode`, max_len <= 0: the task's longest target + 5).
// out: source tokens, output tokens (with <eos> if reached), then pointers to the source tokens, the
// output tokens and the (outputs, sources) attention weights (zeros without attention).
rnl_status rnlw_s2s_decode(s2s_handle *h, const char *text, int max_len) {
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
    out[0] = n, out[1] = n_out;
    out[2] = (double)(uintptr_t)h->src, out[3] = (double)(uintptr_t)h->toks, out[4] = (double)(uintptr_t)h->attn;
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
// the format of `rnnlab init/train --task`. out: pointer (free with rnl_buffer_free), bytes.
rnl_status rnlw_s2s_checkpoint_write(s2s_handle *h, int with_optimizer) {
    uint8_t *p;
    size_t n;
    rnl_status st = rnl_s2s_checkpoint_write(h->m, with_optimizer ? h->o : NULL, &h->tc, &p, &n);
    if (st) return st;
    out[0] = (double)(uintptr_t)p;
    out[1] = (double)n;
    return RNL_OK;
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
// out[0]: how many, and rnlw_todo_names: their names ("LSTM forward, gradient clipping"). The counter
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
