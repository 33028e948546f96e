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
// The adapter's other files: wasm_data.c (datasets and making them), wasm_s2s.c (sequence-to-sequence
// models, their own handle and rnlw_s2s_* calls), wasm_student.c (the TODO report of a student build),
// wasm_records.c (the record tables); wasm_api.h is what they share.
//
// Limits: one thread (the core is single-threaded; a Worker gets its own module instance). A pointer
// handed out here (in a record, or parameters) is valid until the next call into the module, which may
// grow memory: the wrapper copies out at once.
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "wasm_api.h"

// --- Results ------------------------------------------------------------------------------------

rnl_status wasm_status;  // wasm_api.h

// The status of the last call that returned a NULL handle or pointer (see rnl_last_error for why).
int rnlw_last_status(void) { return (int)wasm_status; }
const char *rnlw_version(void) { return RNL_VERSION_STRING; }
// The gemm variant the core runs here ("wasmsimd" when the module was built with -msimd128).
const char *rnlw_kernels(void) { return rnl_kernels_active()->name; }
// Bytes the allocator has handed out and not had back: the leak check of tests/js/memory.test.mjs.
size_t rnlw_heap_in_use(void) { return (size_t)mallinfo().uordblks; }

// A step's (or an evaluation's) figures as a progress record of one step.
static void put_stats(rnlw_progress *out, const rnl_step_stats *st, long steps) {
    *out = (rnlw_progress){st->loss, st->grad_norm, st->clipped, st->accuracy, NAN, (double)steps, st->loss, st->clipped, 1, NAN};
}

// A training span (rnl_run_progress): the last step's figures, the span's mean loss, clipped count, steps run.
static void put_progress(rnlw_progress *out, const rnl_run_progress *p) {
    put_stats(out, &p->last, p->steps);
    out->mean_loss = p->mean_loss;
    out->n_clipped = p->clipped;
    out->done = p->done;
    out->lr = p->lr;
}

// What a span reports when its checks refused it before any step.
static rnl_run_progress no_progress(const rnl_optimizer *o) {
    rnl_run_progress p = {{NAN, NAN, 0, NAN}, NAN, 0, 0, o ? rnl_optimizer_steps(o) : 0, NAN};
    return p;
}

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
// A handle holds either kind the run layer trains over rnl_batch (rnl_run_net): a recurrent model (m) or a
// Transformer encoder (tf, made by wasm_transformer.c), so the optimizer, batch, task, data-set, keep-best,
// schedule, text-prediction and checkpoint calls below serve both; the calls about a recurrent model's own
// insides (its config record, tensors, gradients, dropout, traces) take m only, and the wrapper's classes
// call each kind's own (lib/model.js, lib/transformer.js).
typedef struct rnlw_handle {
    rnl_model *m;         // exactly one of m and tf is set
    rnl_tf *tf;
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
    char *words;          // rnlw_text_words' words, each NUL-terminated
    rnl_run_schedule sched;  // the learning-rate schedule of rnlw_train_task / _train_data (rnlw_set_schedule)
    int has_sched;           // 0: the optimizer's own rate
    rnl_run_best best;       // keepBest: the best epoch so far (rnlw_keep_best_start, rnlw_keep_best) ...
    uint8_t *best_ck;        // ... and its checkpoint, with the optimizer (NULL: none yet)
    size_t best_n;
    rnl_shard_grad *shards;  // (shards_n) the shard blocks of the replica step (rnlw_shard_grad, _shard_set)
    int shards_n;
    rnl_run_span span;       // the span of replica steps in progress (rnlw_span_start .. rnlw_span_finish)
} handle;

static handle *wrap_net(rnl_run_net n, rnl_optimizer *o) {
    handle *h = calloc(1, sizeof *h);
    if (!h) {
        rnl_optimizer_destroy(o);
        rnl_model_destroy(n.rnn);
        rnl_tf_destroy(n.tf);
        wasm_status = rnl_fail(RNL_ERR_NOMEM, "model: out of memory");
        return NULL;
    }
    h->m = n.rnn;
    h->tf = n.tf;
    h->o = o;
    rnl_task_data_init(&h->data);
    rnl_rng_seed(&h->rng, 1);
    return h;
}

static handle *wrap(rnl_model *m, rnl_optimizer *o) { return wrap_net(rnl_run_net_of_model(m), o); }

// wasm_api.h: the handle of a Transformer encoder (wasm_transformer.c), and its parts.
handle *wasm_wrap_tf(rnl_tf *m, rnl_optimizer *o) { return wrap_net(rnl_run_net_of_tf(m), o); }
rnl_tf *wasm_tf(handle *h) { return h->tf; }

// The model the run layer's calls take, whichever kind it is.
static rnl_run_net net(const handle *h) { return h->tf ? rnl_run_net_of_tf(h->tf) : rnl_run_net_of_model(h->m); }
rnl_run_net wasm_net(handle *h) { return net(h); }

// The hint of a fit check (for a task, or else for a data set): how to make a model that fits.
static const char *make_hint(const handle *h, int task) {
    if (h->tf) return task ? "make one with createTransformer({ task })" : "make one with createTransformer({ dataset })";
    return task ? "make one with createModel({ cell, task })" : "make one with createModel({ cell, dataset })";
}

// c: a "config" record (the wrapper starts from rnlw_config_default and writes the fields it was given).
handle *rnlw_model_create(const rnl_config *c, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_model *m;
    if ((wasm_status = rnl_model_create(&m, c, wasm_seed64(seed_lo, seed_hi))) != RNL_OK) return NULL;
    return wrap(m, NULL);
}

// Drops what was read from the meta bytes (they are about to change): the vocabulary and the buffers
// sized by its max_len.
static void forget_meta(handle *h) {
    rnl_dataset_destroy(h->meta_ds);
    free(h->ids);
    free(h->steps);
    free(h->words);
    h->meta_ds = NULL;
    h->ids = NULL;
    h->steps = NULL;
    h->words = NULL;
}

void rnlw_model_destroy(handle *h) {
    if (!h) return;
    forget_meta(h);
    rnl_buffer_free(h->best_ck);
    for (int i = 0; i < h->shards_n; i++) rnl_shard_grad_free(&h->shards[i]);
    free(h->shards);
    free(h->order);
    rnl_task_data_free(&h->data);
    rnl_optimizer_destroy(h->o);
    rnl_model_destroy(h->m);
    rnl_tf_destroy(h->tf);
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
    if (!h->tf) return training_bytes(rnl_model_config(h->m), kind, B, T);
    const rnl_tf_config *c = rnl_tf_get_config(h->tf);  // as training_bytes, for a Transformer
    size_t n = rnl_tf_training_bytes(c, (rnl_optim)kind, B ? B : 1, B ? T : 1);
    if (!B && n) n -= rnl_tf_workspace_bytes(c, 1, 1);
    return n ? (double)n : INFINITY;
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
void rnlw_meta(rnlw_span *out, handle *h) { out->data = h->tf ? rnl_tf_meta(h->tf, &out->n) : rnl_model_meta(h->m, &out->n); }

rnl_status rnlw_set_meta(handle *h, const uint8_t *bytes, size_t n) {
    forget_meta(h);
    return h->tf ? rnl_tf_set_meta(h->tf, bytes, n) : rnl_model_set_meta(h->m, bytes, n);
}

// --- Optimizers ---------------------------------------------------------------------------------

// The default when training starts with none set: the run layer's (Adam, clipping at 1, as the CLI).
static rnl_status ensure_optimizer(handle *h) {
    return rnl_run_ensure_optimizer(&h->o, rnl_run_net_kind(net(h)), rnl_run_net_num_params(net(h)));
}

// The settings setOptimizer starts from for a kind: the run layer's for a recurrent model
// (rnl_run_optim_default: rnl_optim_default, and clip 1 as the CLI), for both model kinds, as before.
void rnlw_optimizer_default(rnlw_optimizer *out, int kind) {
    *out = (rnlw_optimizer){rnl_run_optim_default(RNL_RUN_RECURRENT, (rnl_optim)kind), 0};
}

// oc: an "optimizer" record (the wrapper starts from rnlw_optimizer_default). Same kind and no reset: the
// live optimizer takes the new settings and keeps its moments and step count (a learning-rate schedule, a
// resumed run); otherwise a fresh optimizer replaces it.
rnl_status wasm_set_optimizer(rnl_optimizer **po, size_t np, const rnlw_optimizer *rec, int reset) {
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
    return wasm_set_optimizer(&h->o, rnl_run_net_num_params(net(h)), rec, reset);
}

int wasm_optimizer_info(rnlw_optimizer *out, rnl_optimizer *o) {
    if (!o) return 0;
    *out = (rnlw_optimizer){*rnl_optimizer_config(o), (double)rnl_optimizer_steps(o)};
    return 1;
}

int rnlw_optimizer_info(rnlw_optimizer *out, handle *h) { return wasm_optimizer_info(out, h->o); }

// --- Batches ------------------------------------------------------------------------------------

// The batch of the next rnlw_train_step / rnlw_eval / rnlw_predict / rnlw_gradients: pointers into
// memory the wrapper staged, whose sizes it checked against the model (the core checks the values).
static rnl_batch batch;

void rnlw_batch_set(int B, int T, const int32_t *tokens, const rnl_real *inputs, const int32_t *lengths,
                    const rnl_real *targets) {
    batch = (rnl_batch){B, T, tokens, inputs, lengths, targets};
}

double wasm_steps(const rnl_optimizer *o) { return o ? (double)rnl_optimizer_steps(o) : 0; }

// Either kind (a Transformer has no BPTT window: it is not read).
rnl_status rnlw_train_step(rnlw_progress *out, handle *h, int bptt_window) {
    rnl_status st = ensure_optimizer(h);
    if (st) return st;
    rnl_step_stats s = {0};
    st = h->tf ? rnl_tf_train_step(h->tf, h->o, &batch, &s) : rnl_train_step(h->m, h->o, &batch, bptt_window, &s);
    h->pred_B = batch.B, h->pred_T = batch.T;
    put_stats(out, &s, rnl_optimizer_steps(h->o));
    return st;
}

// out: loss and accuracy. Either kind.
rnl_status rnlw_eval(rnlw_progress *out, handle *h) {
    rnl_step_stats s = {0};
    rnl_status st = h->tf ? rnl_tf_eval_batch(h->tf, &batch, &s) : rnl_eval_batch(h->m, &batch, &s);
    h->pred_B = batch.B, h->pred_T = batch.T;
    put_stats(out, &s, wasm_steps(h->o));
    return st;
}

// Forward without targets; read the result with rnlw_predictions. Either kind.
rnl_status rnlw_predict(handle *h) {
    h->pred_B = batch.B, h->pred_T = batch.T;
    return rnl_run_net_forward(net(h), &batch, NULL);
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
    put_stats(out, &s, wasm_steps(h->o));
    return st;
}

// Forward passes after this use the dropout masks of optimizer step `step` (0: none), as training would
// (rnl_model_set_dropout_step): for rnlw_gradients on a model with dropout, to check a step's gradients.
void rnlw_set_dropout_step(handle *h, double step) { rnl_model_set_dropout_step(h->m, (long)step); }

// Predictions of the last forward (data NULL if it failed): (B, outputs) or, seq2seq, (B, T, outputs).
void rnlw_predictions(rnlw_span *out, handle *h) {
    rnl_config c = rnl_run_net_config(net(h));
    out->data = rnl_run_net_predictions(net(h));
    out->n = (size_t)h->pred_B * (c.seq2seq ? h->pred_T : 1) * c.outputs;
}

// --- Learning-rate schedules (the run layer's: rnl_run_schedule) ----------------------------------

void rnlw_schedule_default(rnl_run_schedule *out) { *out = rnl_run_schedule_default(); }

// Fills total (0: the end of the run, end_step) and step_size (0: one epoch of epoch_steps batches, or a
// third of a task run) as rnl_run_schedule_resolve.
void rnlw_schedule_resolve(rnl_run_schedule *s, double end_step, double epoch_steps) {
    rnl_run_schedule_resolve(s, (long)end_step, (long)epoch_steps);
}

// The schedule of the model's next training calls (rnlw_train_task, rnlw_train_data) until changed; NULL
// or kind none without warm-up: the optimizer's own rate. Checked first (the message names the field).
rnl_status rnlw_set_schedule(handle *h, const rnl_run_schedule *s) {
    if (!s || (s->kind == RNL_RUN_SCHEDULE_NONE && s->warmup == 0)) {
        h->has_sched = 0;
        return RNL_OK;
    }
    rnl_status st = rnl_run_schedule_check(s);
    if (st) return st;
    h->sched = *s;
    h->has_sched = 1;
    return RNL_OK;
}

// n points of a schedule's curve from step first to last (rnl_run_schedule_curve): lr (n floats) and
// steps (n int32), in memory the wrapper owns.
rnl_status rnlw_schedule_curve(float *lr, int32_t *steps, const rnl_run_schedule *s, float base_lr, int n, double first,
                               double last) {
    return rnl_run_schedule_curve(lr, steps, n, s, base_lr, (long)first, (long)last);
}

// --- Keeping the best epoch (the run layer's rule: rnl_run_best) ----------------------------------

// The checkpoint bytes of either kind (RNNLAB or RNNLABTF), as the CLI writes them.
static rnl_status checkpoint_write(const handle *h, const rnl_optimizer *o, uint8_t **buf, size_t *n) {
    return h->tf ? rnl_tf_checkpoint_write(h->tf, o, buf, n) : rnl_checkpoint_write(h->m, o, buf, n);
}

static rnl_status check_data_fits(const handle *h, const rnl_dataset *ds);  // below, with the dataset calls

// Starts a run that keeps its best epoch: forgets any best of an earlier run.
void rnlw_keep_best_start(handle *h, int patience) {
    rnl_run_best_init(&h->best, patience);
    rnl_buffer_free(h->best_ck);
    h->best_ck = NULL;
    h->best_n = 0;
}

static void put_best(rnlw_best *out, const rnl_run_best *b, int improved, int stop, const rnl_run_eval *val) {
    *out = (rnlw_best){b->epoch, (double)b->step, b->loss, b->accuracy, b->stale, b->patience, improved, stop,
                       val ? val->loss : NAN, val ? val->accuracy : NAN};
}

// After epoch `epoch`: evaluates the validation split (as the CLI), and when the epoch improves on the best
// keeps the model's checkpoint (with the optimizer) in the handle, as `rnnlab train --keep-best` writes its
// file. out: the best so far, whether this epoch improved, whether patience is used up.
rnl_status rnlw_keep_best(rnlw_best *out, handle *h, const rnl_dataset *ds, int epoch) {
    put_best(out, &h->best, 0, 0, NULL);
    rnl_status st = check_data_fits(h, ds);
    if (st) return st;
    rnl_run_eval r;
    if ((st = rnl_run_net_eval_split(net(h), ds, RNL_SPLIT_VAL, &h->data, &r))) return st;
    h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    rnl_run_net_history_heldout(net(h), r.loss, r.accuracy);  // before the checkpoint below, which keeps it
    rnl_run_best next = h->best;
    int stop = 0, improved = rnl_run_best_update(&next, &r, epoch, h->o ? rnl_optimizer_steps(h->o) : 0, &stop);
    if (improved) {
        uint8_t *buf = NULL;
        size_t n = 0;
        if ((st = checkpoint_write(h, h->o, &buf, &n))) return st;  // the best so far stays as it was
        rnl_buffer_free(h->best_ck);
        h->best_ck = buf;
        h->best_n = n;
    }
    h->best = next;
    put_best(out, &h->best, improved, stop, &r);
    return RNL_OK;
}

// Takes up keepBest where an earlier part of the run left it (the page resuming a closed tab): `earlier` is
// that part's best record (epoch, step, loss, accuracy, stale) and ck/n its checkpoint bytes, which must be
// a checkpoint of this model's configuration. Call after rnlw_keep_best_start; later epochs must beat it, and
// restoreBest puts it back if none does.
rnl_status rnlw_keep_best_resume(handle *h, const rnlw_best *earlier, const uint8_t *ck, size_t n) {
    const rnl_run_best e = {h->best.patience, earlier->epoch, (long)earlier->step, earlier->loss, earlier->accuracy,
                            earlier->stale};
    rnl_run_best next = h->best;
    rnl_status st = rnl_run_best_resume(&next, &e);
    if (st) return st;
    rnl_optimizer *o;
    int same;
    if (h->tf) {  // a Transformer's checkpoint (RNNLABTF); rnl_tf_config is all 4-byte fields too
        rnl_tf *m;
        if ((st = rnl_tf_checkpoint_read(ck, n, &m, &o))) return st;
        same = memcmp(rnl_tf_get_config(m), rnl_tf_get_config(h->tf), sizeof(rnl_tf_config)) == 0 &&
               rnl_tf_num_params(m) == rnl_tf_num_params(h->tf);
        rnl_tf_destroy(m);
    } else {
        rnl_model *m;
        if ((st = rnl_checkpoint_read(ck, n, &m, &o))) return st;
        // rnl_config is all 4-byte fields (no padding), so the bytes compare the settings.
        same = memcmp(rnl_model_config(m), rnl_model_config(h->m), sizeof(rnl_config)) == 0 &&
               rnl_model_num_params(m) == rnl_model_num_params(h->m);
        rnl_model_destroy(m);
    }
    rnl_optimizer_destroy(o);
    if (!same) return rnl_fail(RNL_ERR_ARG, "keepBest: the earlier best epoch's checkpoint is of another model configuration");
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) return rnl_fail(RNL_ERR_NOMEM, "keepBest: no memory for the earlier best epoch's checkpoint (%zu bytes)", n);
    memcpy(copy, ck, n);
    rnl_buffer_free(h->best_ck);
    h->best_ck = copy, h->best_n = n;
    h->best = next;
    return RNL_OK;
}

// The kept best epoch's checkpoint bytes (data NULL if none): the wrapper copies them.
void rnlw_best_checkpoint(rnlw_span *out, handle *h) { *out = (rnlw_span){h->best_ck, h->best_ck ? h->best_n : 0}; }

// Puts the kept best epoch back: its parameters and optimizer replace the model's (same configuration and
// meta bytes: it is this model, earlier).
rnl_status rnlw_restore_best(handle *h) {
    if (!h->best_ck) return rnl_fail(RNL_ERR_ARG, "restoreBest: no best epoch kept (train with keepBest first)");
    rnl_optimizer *o;
    rnl_status st;
    if (h->tf) {
        rnl_tf *m;
        if ((st = rnl_tf_checkpoint_read(h->best_ck, h->best_n, &m, &o))) return st;
        memcpy(rnl_tf_params(h->tf), rnl_tf_params(m), sizeof(rnl_real) * rnl_tf_num_params(m));
        rnl_tf_destroy(m);
    } else {
        rnl_model *m;
        if ((st = rnl_checkpoint_read(h->best_ck, h->best_n, &m, &o))) return st;
        memcpy(rnl_model_params(h->m), rnl_model_params(m), sizeof(rnl_real) * rnl_model_num_params(m));
        rnl_model_destroy(m);
    }
    rnl_optimizer_destroy(h->o);
    h->o = o;
    return RNL_OK;
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
static rnl_status check_task_fits(const handle *h, rnl_task task) {
    rnl_config c = rnl_run_net_config(net(h));
    return rnl_run_task_fits(&c, task, make_hint(h, 1));
}

// One batch of a task for the page, from its own generator seeded with `seed`. Valid until the next call.
static rnl_task_data generated;

rnl_status rnlw_task_generate(rnlw_batch_view *out, int task, int B, int T, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (st) return st;
    rnl_rng rng;
    rnl_rng_seed(&rng, wasm_seed64(seed_lo, seed_hi));
    if ((st = rnl_task_generate(&generated, (rnl_task)task, B, T, &rng))) return st;
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    rnl_task_shape((rnl_task)task, &c);
    const rnl_batch *b = &generated.batch;
    int BT = B * T;
    *out = (rnlw_batch_view){b->tokens, b->inputs, b->lengths, b->targets, b->tokens ? BT : 0, b->inputs ? BT * c.input_size : 0,
                             (c.seq2seq ? BT : B) * (c.head == RNL_HEAD_REGRESSION ? c.outputs : 1), T, B};
    return RNL_OK;
}

// Restarts the model's training-data stream (rnlw_train_task) from `seed`.
void rnlw_task_seed(handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, wasm_seed64(seed_lo, seed_hi)); }

// `steps` training steps, each on a fresh batch of B x T from the model's stream (rnl_run_train_task): the
// loop of `rnnlab train`, so the same seed gives the same batches. The wrapper calls this in chunks and
// reports progress between them (also after a failure, for the steps before it).
rnl_status rnlw_train_task(rnlw_progress *out, handle *h, int task, int B, int T, int steps, int bptt_window) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h, (rnl_task)task);
    if (!st) st = ensure_optimizer(h);
    rnl_run_progress p = no_progress(h->o);
    if (!st) st = rnl_run_net_train_task(net(h), h->o, (rnl_task)task, B, T, steps, bptt_window, h->has_sched ? &h->sched : NULL, &h->rng,
                                     &h->data, &p);
    h->pred_B = B, h->pred_T = T;
    put_progress(out, &p);
    return st;
}

// Held-out evaluation as `rnnlab eval` (rnl_run_eval_task): `batches` batches of B x T from a generator
// seeded with `seed` (not the training stream). out: mean loss and accuracy (NaN for regression).
rnl_status rnlw_eval_task(rnlw_progress *out, handle *h, int task, int T, int batches, int B, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h, (rnl_task)task);
    rnl_run_eval r = {NAN, NAN, 0};
    if (!st) st = rnl_run_net_eval_task(net(h), (rnl_task)task, T, batches, B, wasm_seed64(seed_lo, seed_hi), &h->data, &r);
    h->pred_B = B, h->pred_T = T;
    rnl_step_stats s = {r.loss, NAN, 0, r.accuracy};
    put_stats(out, &s, wasm_steps(h->o));
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
    rnl_status st = checkpoint_write(h, with_optimizer ? h->o : NULL, &buf, &out->n);
    out->data = buf;
    return st;
}

// A model (and its optimizer, if the checkpoint holds one) from checkpoint bytes; NULL on failure.
handle *rnlw_checkpoint_read(const uint8_t *buf, size_t n) {
    rnl_model *m;
    rnl_optimizer *o;
    if ((wasm_status = rnl_checkpoint_read(buf, n, &m, &o)) != RNL_OK) return NULL;
    return wrap(m, o);
}

// --- Models on datasets -------------------------------------------------------------------------

// The model must read what the data gives and predict what it asks (rnl_run_data_fits, as the CLI's check).
static rnl_status check_data_fits(const handle *h, const rnl_dataset *ds) {
    rnl_config c = rnl_run_net_config(net(h));
    return rnl_run_data_fits(&c, ds, make_hint(h, 0));
}

// Ties a model to a dataset as `rnnlab train --data` does (rnl_run_attach_data): the model must fit it,
// and keeps the data's description as its meta bytes (so predictText needs no dataset); a model that
// already has other meta bytes was trained on other data and is refused.
rnl_status rnlw_attach_data(handle *h, const rnl_dataset *ds) {
    int changed = 0;
    rnl_status st = check_data_fits(h, ds);  // first, for its own hint
    if (!st) st = rnl_run_net_attach_data(net(h), ds, h->tf ? "start a new model with createTransformer({ dataset })"
                                                           : "start a new model with createModel({ cell, dataset })", &changed);
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
    rnl_status st = rnl_run_epoch_order(ds, wasm_seed64(seed_lo, seed_hi), epoch, B, bucket, h->order);
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
    if (!st) st = rnl_run_net_train_data(net(h), h->o, ds, h->order, h->order_n, first, n, B, bptt_window, h->has_sched ? &h->sched : NULL,
                                     &h->data, &p);
    h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    put_progress(out, &p);
    return st;
}

// Mean loss and accuracy over a whole split (rnl_run_eval_split: batches of 64 in order, each weighted by
// its size): `rnnlab eval --data` and the CLI's validation after each epoch. out: loss, accuracy (NaN for
// a series), count.
rnl_status rnlw_eval_data(rnlw_split_eval *out, handle *h, const rnl_dataset *ds, int split) {
    rnl_status st = check_data_fits(h, ds);
    if (st) return st;
    rnl_run_eval r;
    st = rnl_run_net_eval_split(net(h), ds, (rnl_split)split, &h->data, &r);
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
    rnl_status st = check_data_fits(h, ds);
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
    st = rnl_run_net_predict_series(net(h), ds, (rnl_split)split, &h->data, buf);
    if (count > 0) h->pred_B = h->data.batch.B, h->pred_T = h->data.batch.T;
    *out = (rnlw_span){buf, (size_t)count};
    return st;
}

// The model's meta bytes read as a text description (its vocabulary), read once and kept.
static rnl_status model_vocabulary(handle *h, const char *what) {
    if (h->meta_ds) return RNL_OK;
    size_t n;
    const uint8_t *meta = h->tf ? rnl_tf_meta(h->tf, &n) : rnl_model_meta(h->m, &n);
    if (!meta)
        return rnl_fail(RNL_ERR_ARG, "%s: the model has no vocabulary: create it with %s or train it with trainDataset on a text "
                        "dataset first", what, h->tf ? "createTransformer({ dataset })" : "createModel({ cell, dataset })");
    rnl_dataset *ds;
    rnl_status st = rnl_dataset_read(meta, n, "the model's meta bytes", &ds);
    if (st) return st;
    if (ds->kind != RNL_DATASET_TEXT) {
        rnl_dataset_destroy(ds);
        return rnl_fail(RNL_ERR_ARG, "%s: the model predicts a time series, not the sentiment of a text", what);
    }
    if ((st = check_data_fits(h, ds))) {
        rnl_dataset_destroy(ds);
        return st;
    }
    h->meta_ds = ds;
    return RNL_OK;
}

// wasm_api.h: for the other adapter files (wasm_inspect.c).
rnl_model *wasm_model(handle *h) { return h->m; }
const rnl_dataset *wasm_vocabulary(handle *h, const char *what, rnl_status *st) {
    *st = model_vocabulary(h, what);
    return *st ? NULL : h->meta_ds;
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
    // The prediction after each word needs a model that reads left to right: not a bidirectional one, nor
    // a Transformer (every position sees every other).
    int each = h->m && !rnl_model_config(h->m)->bidirectional;
    h->pred_B = 1, h->pred_T = len;
    if ((st = each ? rnl_model_predict_steps(h->m, &b, h->steps, NULL) : rnl_run_net_forward(net(h), &b, NULL))) return st;
    *out = (rnlw_text_prediction){rnl_run_net_predictions(net(h))[0], h->ids, len, each ? h->steps : NULL};
    return RNL_OK;
}

// The tokens of a text as the tokenizer cut them (lowercased, before the vocabulary), every one of them
// in the order read, so that a page can show the typed word where the vocabulary says <unk>.
typedef struct {
    char *buf;            // (cap) the words, each followed by a NUL
    size_t len, cap;
    size_t *ends;         // (n) the end of each word in buf, its NUL included
    size_t n, ncap;
    int failed;
} word_list;

static int collect_word(void *user, const char *tok, size_t len) {
    word_list *w = user;
    if (w->len + len + 1 > w->cap) {
        size_t cap = (w->cap ? w->cap * 2 : 256) + len + 1;
        char *b = realloc(w->buf, cap);
        if (!b) return w->failed = 1;
        w->buf = b, w->cap = cap;
    }
    if (w->n == w->ncap) {
        size_t cap = w->ncap ? w->ncap * 2 : 64;
        size_t *e = realloc(w->ends, sizeof *e * cap);
        if (!e) return w->failed = 1;
        w->ends = e, w->ncap = cap;
    }
    memcpy(w->buf + w->len, tok, len);
    w->len += len;
    w->buf[w->len++] = 0;
    w->ends[w->n++] = w->len;
    return 0;
}

// The words behind rnlw_predict_text's ids for the same text: the tokens it keeps (its max_len, the
// first or the last: rnl_vocab_encode's window), one NUL-terminated word per id, in *out (*bytes in
// all). A token too long to be a word is "", and so is the one <unk> of a text without any token.
rnl_status rnlw_text_words(const char **out, int32_t *bytes, handle *h, const char *text, size_t n) {
    rnl_status st = model_vocabulary(h, "textWords");
    if (st) return st;
    const rnl_dataset *ds = h->meta_ds;
    word_list w = {0};
    rnl_tokenize(text, n, collect_word, &w);
    size_t keep = w.n < (size_t)ds->max_len ? w.n : (size_t)ds->max_len;
    size_t first = ds->keep_end ? w.n - keep : 0;
    size_t from = first ? w.ends[first - 1] : 0, to = keep ? w.ends[first + keep - 1] : 0;
    free(h->words);
    h->words = w.failed ? NULL : malloc(keep ? to - from : 1);
    if (h->words) {
        if (keep) memcpy(h->words, w.buf + from, to - from);
        else h->words[0] = 0;
    }
    free(w.buf);
    free(w.ends);
    if (!h->words) return rnl_fail(RNL_ERR_NOMEM, "textWords: out of memory");
    *out = h->words;
    *bytes = keep ? (int32_t)(to - from) : 1;
    return RNL_OK;
}

// --- Threads of the shared-memory module (core/src/threads.c, web/lib/shared.js) -----------------------------

// The model's thread count: its training steps and split evaluations then run on the module's Worker
// threads (the plain module has none and runs everything on one, with the same results).
int rnlw_set_threads(handle *h, int n) { return (int)rnl_run_net_set_threads(net(h), n); }

// --- Replica steps: shards computed by Worker replicas (web/lib/threads.js) -------------------------------
//
// One training step over Workers that each hold an instance of this module and a replica of the model:
// every instance computes some shards of the staged batch (rnlw_shard_grad), the blocks travel as bytes
// (rnlw_shard_data/_size out, rnlw_shard_set in), and rnlw_apply_shards sums them in shard order and takes
// the optimizer step, on the main instance and on each replica alike, so they stay byte-identical. The
// arithmetic is the core's (rnl_model_shard_grad, rnl_model_apply_shards); JavaScript only carries bytes.

int rnlw_shard_count(int B) { return rnl_shard_count(B); }

// The block slots of h: at least n (kept between steps, grown here).
static rnl_status ensure_shards(handle *h, int n) {
    if (n <= h->shards_n) return RNL_OK;
    rnl_shard_grad *g = realloc(h->shards, sizeof *g * (size_t)n);
    if (!g) return rnl_fail(RNL_ERR_NOMEM, "shards: out of memory for %d blocks", n);
    for (int i = h->shards_n; i < n; i++) g[i] = (rnl_shard_grad){0};
    h->shards = g;
    h->shards_n = n;
    return RNL_OK;
}

static rnl_status check_shard(const handle *h, int shard, int n_wanted) {
    int n = rnl_shard_count(batch.B);
    if (shard < 0 || shard >= n || (n_wanted && shard >= h->shards_n))
        return rnl_fail(RNL_ERR_ARG, "shards: shard %d of a batch of %d rows (%d shards)", shard, batch.B, n);
    return RNL_OK;
}

// The optimizer step the next training step takes (its dropout masks' step): the main instance sends it.
double rnlw_next_step(handle *h) {
    if (ensure_optimizer(h)) return -1;
    return (double)rnl_optimizer_steps(h->o) + 1;
}

// A 32-bit hash of the parameter block: a replica computes shards only for parameters equal to the main's.
// FNV-1a over 32-bit words in 4 interleaved lanes, then the lanes folded: any one word changed changes it
// (each step is a bijection of the lane), more than one collides with odds of about 2^-32. Not CRC-32
// byte by byte: this runs on the main instance and on every replica at each step, and that took 21 ms at
// the page's IMDB model (0.34 M parameters; 74 ms at the full-IMDB model's 1.35 M) in a Worker.
double rnlw_params_hash(handle *h) {
    const uint32_t *w = (const uint32_t *)(h->tf ? rnl_tf_params(h->tf) : rnl_model_params(h->m));
    size_t n = rnl_run_net_num_params(net(h)), i = 0;  // sizeof(rnl_real) == 4 in this build
    const uint32_t prime = 16777619u;
    uint32_t a = 2166136261u, b = a ^ 1u, c = a ^ 2u, d = a ^ 3u;
    for (; i + 4 <= n; i += 4) {
        a = (a ^ w[i]) * prime;
        b = (b ^ w[i + 1]) * prime;
        c = (c ^ w[i + 2]) * prime;
        d = (d ^ w[i + 3]) * prime;
    }
    for (; i < n; i++) a = (a ^ w[i]) * prime;
    uint32_t x = (((((a ^ b) * prime) ^ c) * prime) ^ d) * prime;
    return (double)(x ^ (uint32_t)n);
}

// Shard `shard` of the staged batch (rnlw_batch_set), with the dropout masks of optimizer step `step`,
// into block slot `shard`.
rnl_status rnlw_shard_grad(handle *h, int shard, int bptt_window, double step) {
    rnl_status st = check_shard(h, shard, 0);
    if (!st) st = ensure_shards(h, rnl_shard_count(batch.B));
    if (st) return st;
    if (h->tf) return rnl_tf_shard_grad(h->tf, &batch, shard, (long)step, &h->shards[shard]);
    return rnl_model_shard_grad(h->m, &batch, shard, bptt_window, (long)step, &h->shards[shard]);
}

uint8_t *rnlw_shard_data(handle *h, int shard) { return shard >= 0 && shard < h->shards_n ? h->shards[shard].data : NULL; }
int rnlw_shard_size(handle *h, int shard) { return shard >= 0 && shard < h->shards_n ? (int)h->shards[shard].size : 0; }

// Copies a block received from another instance into slot `shard` (checked when applied).
rnl_status rnlw_shard_set(handle *h, int shard, const uint8_t *bytes, int n) {
    rnl_status st = check_shard(h, shard, 0);
    if (!st) st = ensure_shards(h, rnl_shard_count(batch.B));
    if (st) return st;
    return rnl_shard_grad_set(&h->shards[shard], bytes, (size_t)n);
}

// The step from the blocks of every shard of the staged batch: their sum in shard order, the checks,
// clipping and the optimizer step, as rnlw_train_step.
static rnl_status apply_staged(handle *h, rnl_step_stats *s) {
    int n = rnl_shard_count(batch.B);
    rnl_status st = ensure_optimizer(h);
    if (!st && n > h->shards_n) st = rnl_fail(RNL_ERR_ARG, "shards: %d blocks for a batch of %d shards", h->shards_n, n);
    if (st) return st;
    h->pred_B = batch.B, h->pred_T = batch.T;
    return h->tf ? rnl_tf_apply_shards(h->tf, h->o, h->shards, n, s) : rnl_model_apply_shards(h->m, h->o, h->shards, n, s);
}

// The step of the staged blocks at learning rate `lr` (NaN: the optimizer's own), the optimizer's own rate
// kept: a replica takes the main instance's step at the rate the main's schedule gave it. out: the batch's
// figures and the rate.
rnl_status rnlw_apply_shards(rnlw_progress *out, handle *h, double lr) {
    rnl_step_stats s = {NAN, NAN, 0, NAN};
    rnl_status st = ensure_optimizer(h);
    float base = h->o ? rnl_optimizer_config(h->o)->lr : NAN;
    if (!st && !isnan(lr)) rnl_optimizer_config(h->o)->lr = (float)lr;
    if (!st) st = apply_staged(h, &s);
    if (h->o) rnl_optimizer_config(h->o)->lr = base;
    put_stats(out, &s, wasm_steps(h->o));
    out->lr = isnan(lr) ? base : lr;
    return st;
}

// --- A span of replica steps: the run layer's step-by-step form (rnnlab_run.h) -----------------------
//
// Model.trainTask / trainDataset over replicas: rnlw_span_start; per step the next batch
// (rnlw_span_task_batch or rnlw_span_data_batch: made in the handle, its view handed out for the
// replicas), its shards computed on every instance, then rnlw_span_apply (the run layer's begin, the
// shards' sum, end); rnlw_span_finish gives the span's record, as rnlw_train_task / _train_data do.

rnl_status rnlw_span_start(handle *h) {
    rnl_run_span_start(&h->span);
    return ensure_optimizer(h);
}

// The view of the handle's batch (B rows; B 0: none).
static void batch_view(rnlw_batch_view *out, const handle *h, const rnl_batch *b) {
    *out = (rnlw_batch_view){0};
    if (!b) return;
    rnl_config c = rnl_run_net_config(net(h));
    int BT = b->B * b->T;
    *out = (rnlw_batch_view){b->tokens, b->inputs, b->lengths, b->targets, b->tokens ? BT : 0, b->inputs ? BT * c.input_size : 0,
                             (c.seq2seq ? BT : b->B) * (c.head == RNL_HEAD_REGRESSION ? c.outputs : 1), b->T, b->B};
}

// The span's next batch of a task, from the model's stream (rnlw_task_seed), as rnlw_train_task's.
rnl_status rnlw_span_task_batch(rnlw_batch_view *out, handle *h, int task, int B, int T) {
    *out = (rnlw_batch_view){0};
    rnl_status st = check_task(task);
    if (!st) st = check_task_fits(h, (rnl_task)task);
    if (!st) st = rnl_task_generate(&h->data, (rnl_task)task, B, T, &h->rng);
    if (!st) batch_view(out, h, &h->data.batch);
    return st;
}

// The span's next batch of the epoch order: batch first + (steps the span ran), as rnlw_train_data's;
// out->B 0 past the order's end.
rnl_status rnlw_span_data_batch(rnlw_batch_view *out, handle *h, const rnl_dataset *ds, int first, int B) {
    *out = (rnlw_batch_view){0};
    if (h->order_ds != ds) return rnl_fail(RNL_ERR_ARG, "train: no epoch order for this dataset (call rnlw_data_epoch first)");
    const rnl_batch *b = NULL;
    rnl_status st = rnl_run_data_batch(&b, ds, h->order, h->order_n, (long)first + h->span.p.done, B, &h->data);
    if (!st) batch_view(out, h, b);
    return st;
}

// The span's step from the staged blocks: the run layer's begin (the schedule's rate), the shards' sum and
// the optimizer step, end (the record, the history). out: the step's figures and its rate (for the replicas).
rnl_status rnlw_span_apply(rnlw_progress *out, handle *h) {
    rnl_status st = ensure_optimizer(h);
    rnl_step_stats s = h->span.p.last;
    double lr = NAN;
    if (!st) {
        rnl_run_step k = rnl_run_step_begin(&h->span, h->o, h->has_sched ? &h->sched : NULL);
        lr = k.lr;
        st = rnl_run_step_end(&h->span, net(h), h->o, &k, apply_staged(h, &s), &s);
    }
    put_stats(out, &s, wasm_steps(h->o));
    out->lr = lr;
    return st;
}

// The span's record, as rnlw_train_task's out.
void rnlw_span_finish(rnlw_progress *out, handle *h) {
    rnl_run_progress p;
    rnl_run_span_finish(&h->span, h->o, &p);
    put_progress(out, &p);
}
