// wasm_api.c: the flat C face of the WebAssembly module, compiled only into it (web/wasm.cmake).
// Every function takes and returns plain numbers and pointers, so web/rnnlab.js needs no struct layout:
// results of more than one number go to one small array of doubles (rnlw_out), which the wrapper reads
// right after the call. All numeric work stays in the core; this file only adapts calling conventions
// and keeps, per model, what the page would otherwise juggle: the optimizer and the task-data stream.
//
// Limits: one thread (the core is single-threaded; a Worker gets its own module instance). A pointer
// handed out here (rnlw_out, predictions, traces, parameters) is valid until the next call into the
// module, which may grow memory: the wrapper copies out at once.
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "rnnlab.h"

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
    OUT_SLOTS = 16
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

static uint64_t seed64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

// --- Models -------------------------------------------------------------------------------------

// What JavaScript holds as a model: the core's model plus what a training loop keeps beside it.
typedef struct {
    rnl_model *m;
    rnl_optimizer *o;     // NULL until set, or until the first training step makes the default
    rnl_task_data data;   // batches of rnlw_train_task and rnlw_eval_task
    rnl_rng rng;          // the training-data stream of rnlw_train_task (rnlw_task_seed)
    int pred_B, pred_T;   // shape of the last forward's batch, for the size of its predictions
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

handle *rnlw_model_create(int cell, int vocab, int embed, int input_size, int hidden, int layers, int bidirectional,
                          int head, int outputs, int seq2seq, float forget_bias, uint32_t seed_lo, uint32_t seed_hi) {
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
    rnl_model *m;
    if ((last_status = rnl_model_create(&m, &c, seed64(seed_lo, seed_hi))) != RNL_OK) return NULL;
    return wrap(m, NULL);
}

void rnlw_model_destroy(handle *h) {
    if (!h) return;
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

rnl_status rnlw_set_meta(handle *h, const uint8_t *bytes, size_t n) { return rnl_model_set_meta(h->m, bytes, n); }

// --- Optimizers ---------------------------------------------------------------------------------

// The default when training starts with none set: Adam as rnl_optim_default, clipping at 1 (as the CLI).
static rnl_status ensure_optimizer(handle *h) {
    if (h->o) return RNL_OK;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.clip = 1.0f;
    return rnl_optimizer_create(&h->o, &oc, rnl_model_num_params(h->m));
}

// NaN in any field means its default (rnl_optim_default, and clip 1 as the CLI). Same kind and no
// reset: the live optimizer takes the new settings and keeps its moments and step count (a learning-rate
// schedule, a resumed run); otherwise a fresh optimizer replaces it.
rnl_status rnlw_set_optimizer(handle *h, int kind, float lr, float momentum, float beta1, float beta2, float eps,
                              float weight_decay, float clip, int reset) {
    rnl_optim_config oc = rnl_optim_default((rnl_optim)kind);
    float *fields[] = {&oc.lr, &oc.momentum, &oc.beta1, &oc.beta2, &oc.eps, &oc.weight_decay, &oc.clip};
    float given[] = {lr, momentum, beta1, beta2, eps, weight_decay, clip};
    oc.clip = 1.0f;
    for (int i = 0; i < 7; i++)
        if (!isnan(given[i])) *fields[i] = given[i];
    rnl_status st = rnl_optim_validate(&oc);
    if (st) return st;
    if (h->o && !reset && rnl_optimizer_config(h->o)->kind == oc.kind) {
        *rnl_optimizer_config(h->o) = oc;
        return RNL_OK;
    }
    rnl_optimizer *o;
    if ((st = rnl_optimizer_create(&o, &oc, rnl_model_num_params(h->m)))) return st;
    rnl_optimizer_destroy(h->o);
    h->o = o;
    return RNL_OK;
}

// 0 if the model has no optimizer yet; else 1 and out: kind, lr, momentum, beta1, beta2, eps,
// weight_decay, clip, steps.
int rnlw_optimizer_info(handle *h) {
    if (!h->o) return 0;
    const rnl_optim_config *c = rnl_optimizer_config(h->o);
    double v[] = {c->kind, c->lr, c->momentum, c->beta1, c->beta2, c->eps, c->weight_decay, c->clip,
                  (double)rnl_optimizer_steps(h->o)};
    memcpy(out, v, sizeof v);
    return 1;
}

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

// The model must read what the task gives and predict what it asks; the message says what differs.
static rnl_status check_task_fits(const rnl_model *m, rnl_task task) {
    const rnl_config *c = rnl_model_config(m);
    rnl_config want = *c;
    rnl_task_shape(task, &want);
    if (want.vocab == c->vocab && want.input_size == c->input_size && want.head == c->head &&
        want.outputs == c->outputs && want.seq2seq == c->seq2seq)
        return RNL_OK;
    return rnl_fail(RNL_ERR_ARG,
                    "task: the model does not fit task '%s': it needs %s (vocab %d, input_size %d), a %s head with "
                    "%d output%s, seq2seq %d; the model has vocab %d, input_size %d, a %s head with %d output%s, "
                    "seq2seq %d",
                    rnl_task_name(task), want.vocab ? "token inputs" : "real-valued inputs", want.vocab,
                    want.input_size, rnl_head_name(want.head), want.outputs, want.outputs > 1 ? "s" : "", want.seq2seq,
                    c->vocab, c->input_size, rnl_head_name(c->head), c->outputs, c->outputs > 1 ? "s" : "", c->seq2seq);
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
    rnl_step_stats s = {NAN, NAN, 0, NAN};
    double sum = 0;
    int done = 0, clipped = 0;
    for (; !st && done < steps; done++) {
        if ((st = rnl_task_generate(&h->data, (rnl_task)task, B, T, &h->rng))) break;
        if ((st = rnl_train_step(h->m, h->o, &h->data.batch, bptt_window, &s))) break;
        sum += s.loss;
        clipped += s.clipped;
    }
    h->pred_B = B, h->pred_T = T;
    put_stats(&s, h->o ? rnl_optimizer_steps(h->o) : 0);
    out[OUT_MEAN_LOSS] = done ? sum / done : NAN;
    out[OUT_N_CLIPPED] = clipped;
    out[OUT_DONE] = done;
    return st;
}

// Held-out evaluation as `rnnlab eval`: `batches` batches of B x T from a generator seeded with `seed`
// (not the training stream). out: mean loss, -, -, mean accuracy (NaN for regression).
rnl_status rnlw_eval_task(handle *h, int task, int T, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h->m, (rnl_task)task);
    if (!st && batches < 1) st = rnl_fail(RNL_ERR_ARG, "evaluate: batches is %d, must be at least 1", batches);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed64(seed_lo, seed_hi));
    double loss = 0, acc = 0;
    for (int i = 0; i < batches && !st; i++) {
        rnl_step_stats s;
        if (!(st = rnl_task_generate(&h->data, (rnl_task)task, B, T, &rng)) && !(st = rnl_eval_batch(h->m, &h->data.batch, &s))) {
            loss += s.loss;
            acc += s.accuracy;
        }
    }
    h->pred_B = B, h->pred_T = T;
    rnl_step_stats s = {loss / batches, NAN, 0, acc / batches};
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
