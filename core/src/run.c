// run.c: the run layer (rnnlab_run.h): the training protocol the CLI and the WebAssembly module share,
// written once: defaults per model kind, seeds, fit checks, attaching a data description, epoch orders,
// training over a span of steps, and the evaluation of tasks and splits. The loops here are the ones the
// faces ran before; their arithmetic (sums, divisions and their order) is kept as it was, so results
// and checkpoints stay bit-identical between the faces and with earlier runs.
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_run.h"
#include "model_base.h"

// --- Defaults ---------------------------------------------------------------------------------------

rnl_run_defaults rnl_run_defaults_of(rnl_run_kind kind) {
    rnl_run_defaults d;
    memset(&d, 0, sizeof d);
    d.batch = 32;
    d.lr_adam = 1e-3f;
    d.lr_other = 0.1f;
    d.momentum = 0.9f;
    d.weight_decay = 0;
    d.clip = 1.0f;
    d.steps = 1000;
    d.bptt = 0;
    d.eval_every_parts = 10;
    d.test_batches = 10;
    d.test_batch = 100;
    d.test_seed = RNL_RUN_TEST_SEED;
    d.data_embed = 64;
    if (kind == RNL_RUN_SEQ2SEQ) {
        d.lr_adam = 0.005f;  // the seq2seq tasks here learn fastest around this rate
        d.length = 0;        // the task config decides the lengths
        d.epochs = 0;        // no data sets
        d.bucket = 1;
        d.heldout_batches = 2;
        d.heldout_batch = 64;
    } else {
        d.length = 50;
        d.epochs = 3;
        d.bucket = 8;
        d.heldout_batches = 4;
        d.heldout_batch = 64;
    }
    return d;
}

int rnl_run_eval_every(rnl_run_kind kind, long steps) {
    long parts = rnl_run_defaults_of(kind).eval_every_parts;
    return steps >= parts ? (int)(steps / parts) : 1;
}

rnl_optim_config rnl_run_optim_default(rnl_run_kind kind, rnl_optim optim) {
    rnl_run_defaults d = rnl_run_defaults_of(kind);
    rnl_optim_config oc = rnl_optim_default(optim);
    oc.lr = optim == RNL_OPTIM_ADAM ? d.lr_adam : d.lr_other;
    if (optim == RNL_OPTIM_MOMENTUM) oc.momentum = d.momentum;
    oc.weight_decay = d.weight_decay;
    oc.clip = d.clip;
    return oc;
}

rnl_status rnl_run_ensure_optimizer(rnl_optimizer **o, rnl_run_kind kind, size_t n_params) {
    if (*o) return RNL_OK;
    rnl_optim_config oc = rnl_run_optim_default(kind, RNL_OPTIM_ADAM);
    return rnl_optimizer_create(o, &oc, n_params);
}

uint64_t rnl_run_heldout_seed(int T) { return RNL_RUN_HELDOUT_SEED + (uint64_t)T; }

uint64_t rnl_run_train_seed(long steps_done) { return 1 + (uint64_t)steps_done; }

// --- Fit checks -------------------------------------------------------------------------------------

// A refusal: the message, then "; " and the face's hint if it gave one.
static rnl_status refuse(const char *hint, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static rnl_status refuse(const char *hint, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rnl_fail(RNL_ERR_ARG, "%s%s%s", msg, hint ? "; " : "", hint ? hint : "");
}

static int same_shape(const rnl_config *a, const rnl_config *b) {
    return a->vocab == b->vocab && a->input_size == b->input_size && a->head == b->head && a->outputs == b->outputs &&
           a->seq2seq == b->seq2seq;
}

// "token inputs with a vocabulary of 10, a classes head with 8 outputs at every step"
static void describe_io(const rnl_config *c, char *out, size_t cap) {
    char in[64];
    if (c->vocab) snprintf(in, sizeof in, "token inputs with a vocabulary of %d", c->vocab);
    else snprintf(in, sizeof in, "real-valued inputs of size %d", c->input_size);
    snprintf(out, cap, "%s, a %s head with %d output%s%s", in, rnl_head_name(c->head), c->outputs, c->outputs > 1 ? "s" : "",
             c->seq2seq ? " at every step" : "");
}

rnl_status rnl_run_task_fits(const rnl_config *c, rnl_task task, const char *hint) {
    if ((int)task < RNL_TASK_ADDING || (int)task > RNL_TASK_SINE) return rnl_fail(RNL_ERR_ARG, "task: unknown task %d", (int)task);
    rnl_config want = *c;
    rnl_task_shape(task, &want);
    if (same_shape(&want, c)) return RNL_OK;
    char needs[160], has[160];
    describe_io(&want, needs, sizeof needs);
    describe_io(c, has, sizeof has);
    return refuse(hint, "the model does not fit task '%s': it needs %s; the model has %s", rnl_task_name(task), needs, has);
}

rnl_status rnl_run_data_fits(const rnl_config *c, const rnl_dataset *ds, const char *hint) {
    rnl_config want = *c;
    rnl_dataset_shape(ds, &want);
    if (same_shape(&want, c)) return RNL_OK;
    if (ds->kind == RNL_DATASET_TEXT)
        return refuse(hint, "the model does not fit this data: it needs token inputs with a vocabulary of %d and a binary head "
                            "(the model has %s%d, a %s head)", want.vocab, c->vocab ? "a vocabulary of " : "real-valued inputs of size ",
                      c->vocab ? c->vocab : c->input_size, rnl_head_name(c->head));
    return refuse(hint, "the model does not fit this series: it needs 1 real-valued input and a regression head with %d output%s",
                  want.outputs, want.outputs > 1 ? "s" : "");
}

// --- Either model kind --------------------------------------------------------------------------------

rnl_run_net rnl_run_net_of_model(rnl_model *m) { return (rnl_run_net){m, NULL}; }
rnl_run_net rnl_run_net_of_tf(rnl_tf *m) { return (rnl_run_net){NULL, m}; }

// Both kinds keep their base first (model_base.h), so the history lives in one place.
static rnl_base *net_base(rnl_run_net n) { return n.rnn ? (rnl_base *)n.rnn : (rnl_base *)n.tf; }

const rnl_history_point *rnl_run_net_history(rnl_run_net n, size_t *count) {
    const rnl_base *b = net_base(n);
    if (count) *count = b->history_n;
    return b->history_n ? b->history : NULL;
}

void rnl_run_net_history_heldout(rnl_run_net n, double loss, double accuracy) {
    rnl_base *b = net_base(n);
    if (!b->history_n) return;
    b->history[b->history_n - 1].val_loss = (float)loss;
    b->history[b->history_n - 1].val_accuracy = (float)accuracy;
}
rnl_run_kind rnl_run_net_kind(rnl_run_net n) { return n.tf ? RNL_RUN_TRANSFORMER : RNL_RUN_RECURRENT; }
rnl_config rnl_run_net_config(rnl_run_net n) { return n.tf ? rnl_tf_io_config(rnl_tf_get_config(n.tf)) : *rnl_model_config(n.rnn); }
size_t rnl_run_net_num_params(rnl_run_net n) { return n.tf ? rnl_tf_num_params(n.tf) : rnl_model_num_params(n.rnn); }
rnl_status rnl_run_net_forward(rnl_run_net n, const rnl_batch *b, rnl_real *loss) {
    return n.tf ? rnl_tf_forward(n.tf, b, loss) : rnl_model_forward(n.rnn, b, loss);
}
const rnl_real *rnl_run_net_predictions(rnl_run_net n) { return n.tf ? rnl_tf_predictions(n.tf) : rnl_model_predictions(n.rnn); }

static rnl_status net_train_step(rnl_run_net n, rnl_optimizer *o, const rnl_batch *b, int bptt, rnl_step_stats *st) {
    return n.tf ? rnl_tf_train_step(n.tf, o, b, st) : rnl_train_step(n.rnn, o, b, bptt, st);
}
rnl_status rnl_run_net_set_threads(rnl_run_net n, int threads) {
    return n.tf ? rnl_tf_set_threads(n.tf, threads) : rnl_model_set_threads(n.rnn, threads);
}
static rnl_status net_eval_batch(rnl_run_net n, const rnl_batch *b, rnl_step_stats *st) {
    return n.tf ? rnl_tf_eval_batch(n.tf, b, st) : rnl_eval_batch(n.rnn, b, st);
}

rnl_status rnl_run_net_attach_data(rnl_run_net n, const rnl_dataset *ds, const char *hint, int *changed) {
    if (changed) *changed = 0;
    rnl_config c = rnl_run_net_config(n);
    rnl_status st = rnl_run_data_fits(&c, ds, hint);
    if (st) return st;
    uint8_t *desc;
    size_t dn, have_n;
    if ((st = rnl_dataset_write_description(ds, &desc, &dn))) return st;
    const uint8_t *have = n.tf ? rnl_tf_meta(n.tf, &have_n) : rnl_model_meta(n.rnn, &have_n);
    if (have && (have_n != dn || memcmp(have, desc, dn) != 0))
        st = refuse(hint, "this model was trained on a different vocabulary or series than this dataset");
    else if (!have && !(st = n.tf ? rnl_tf_set_meta(n.tf, desc, dn) : rnl_model_set_meta(n.rnn, desc, dn)) && changed)
        *changed = 1;
    free(desc);
    return st;
}

rnl_status rnl_run_attach_data(rnl_model *m, const rnl_dataset *ds, const char *hint, int *changed) {
    return rnl_run_net_attach_data(rnl_run_net_of_model(m), ds, hint, changed);
}

// --- Epochs -----------------------------------------------------------------------------------------

long rnl_run_batches_per_epoch(const rnl_dataset *ds, int B) {
    int first, count;
    rnl_dataset_split(ds, RNL_SPLIT_TRAIN, &first, &count);
    return B > 0 ? ((long)count + B - 1) / B : 0;
}

int rnl_run_first_epoch(const rnl_dataset *ds, int B, long steps_done) {
    long per = rnl_run_batches_per_epoch(ds, B);
    return per > 0 ? (int)(steps_done / per) : 0;
}

rnl_status rnl_run_epoch_order(const rnl_dataset *ds, uint64_t seed, int epoch, int B, int bucket, int32_t *order) {
    int first, count;
    rnl_dataset_split(ds, RNL_SPLIT_TRAIN, &first, &count);
    if (count == 0) return rnl_fail(RNL_ERR_ARG, "train: the dataset has no training examples");
    return rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, seed, epoch, B, ds->kind == RNL_DATASET_TEXT ? bucket : 1, order);
}

// --- Learning-rate schedules -------------------------------------------------------------------------

static const char *const schedule_names[] = {"none", "cosine", "step"};
#define N_SCHEDULES 3

rnl_run_schedule rnl_run_schedule_default(void) {
    rnl_run_schedule s = {RNL_RUN_SCHEDULE_NONE, 0, 0, 0, 0.1f};
    return s;
}

rnl_status rnl_run_schedule_parse(const char *name, rnl_run_schedule_kind *out) {
    for (int i = 0; i < N_SCHEDULES; i++)
        if (name && strcmp(name, schedule_names[i]) == 0) {
            *out = (rnl_run_schedule_kind)i;
            return RNL_OK;
        }
    return rnl_fail(RNL_ERR_ARG, "schedule must be none, cosine or step, not '%s'", name ? name : "");
}

const char *rnl_run_schedule_name(rnl_run_schedule_kind k) {
    return (int)k >= 0 && (int)k < N_SCHEDULES ? schedule_names[k] : "?";
}

rnl_status rnl_run_schedule_check(const rnl_run_schedule *s) {
    rnl_status st;
    if ((int)s->kind < 0 || (int)s->kind >= N_SCHEDULES)
        return rnl_fail(RNL_ERR_ARG, "schedule: kind is %d, must be 0 (none), 1 (cosine) or 2 (step)", (int)s->kind);
    if (s->warmup != 0 && (st = rnl_limit_check("warmup", s->warmup))) return st;
    if (s->total != 0 && (st = rnl_limit_check("steps", s->total))) return rnl_fail(st, "schedule: total: %s", rnl_last_error());
    if (s->step_size != 0 && (st = rnl_limit_check("step_size", s->step_size))) return st;
    if ((st = rnl_limit_check("gamma", s->gamma))) return st;
    return RNL_OK;
}

void rnl_run_schedule_resolve(rnl_run_schedule *s, long end_step, long epoch_steps) {
    if (s->total == 0) s->total = end_step > INT32_MAX ? INT32_MAX : (int)end_step;
    if (s->step_size == 0) {
        long n = epoch_steps > 0 ? epoch_steps : (end_step - s->warmup + 2) / 3;
        s->step_size = n < 1 ? 1 : n > INT32_MAX ? INT32_MAX : (int)n;
    }
}

double rnl_run_schedule_lr(const rnl_run_schedule *s, double lr, long step) {
    if (!s) return lr;
    if (s->warmup > 0 && step <= s->warmup) return lr * (double)step / s->warmup;
    long e = step - 1 - s->warmup;  // steps since the warm-up
    switch (s->kind) {
    case RNL_RUN_SCHEDULE_COSINE: {
        long span = (long)s->total - s->warmup;
        if (span <= 0 || e >= span) return 0;
        return lr * 0.5 * (1 + cos(3.14159265358979323846 * (double)e / (double)span));
    }
    case RNL_RUN_SCHEDULE_STEP: return lr * pow(s->gamma, (double)(e / (s->step_size > 0 ? s->step_size : 1)));
    default: return lr;
    }
}

rnl_status rnl_run_schedule_curve(float *lr_out, int32_t *step_out, int n, const rnl_run_schedule *s, double lr, long first,
                                  long last) {
    rnl_status st = rnl_run_schedule_check(s);
    if (st) return st;
    if (n < 1 || first < 1 || last < first)
        return rnl_fail(RNL_ERR_ARG, "schedule curve: %d points from step %ld to %ld: need at least 1 point and 1 <= first <= last",
                        n, first, last);
    for (int i = 0; i < n; i++) {
        long step = n == 1 ? first : first + (long)floor((double)(last - first) * i / (n - 1) + 0.5);
        step_out[i] = (int32_t)step;
        lr_out[i] = (float)rnl_run_schedule_lr(s, lr, step);
    }
    return RNL_OK;
}

// --- Keeping the best epoch --------------------------------------------------------------------------

void rnl_run_best_init(rnl_run_best *b, int patience) {
    *b = (rnl_run_best){patience > 0 ? patience : 0, 0, 0, NAN, NAN, 0};
}

int rnl_run_best_update(rnl_run_best *b, const rnl_run_eval *val, int epoch, long step, int *stop) {
    int better;
    if (isnan(val->loss)) better = 0;
    else if (b->epoch == 0) better = 1;
    else if (!isnan(val->accuracy) && !isnan(b->accuracy))
        better = val->accuracy > b->accuracy || (val->accuracy == b->accuracy && val->loss < b->loss);
    else better = val->loss < b->loss;
    if (better) {
        b->epoch = epoch, b->step = step, b->loss = val->loss, b->accuracy = val->accuracy;
        b->stale = 0;
    } else {
        b->stale++;
    }
    if (stop) *stop = b->patience > 0 && b->stale >= b->patience;
    return better;
}

rnl_status rnl_run_best_resume(rnl_run_best *b, const rnl_run_best *earlier) {
    const rnl_run_best *e = earlier;
    if (e->epoch < 1 || e->step < 0 || e->stale < 0)
        return rnl_fail(RNL_ERR_ARG, "the earlier best epoch must be epoch 1 or later, at step 0 or later, with a stale count "
                                     ">= 0 (epoch %d, step %ld, stale %d)", e->epoch, e->step, e->stale);
    if (isnan(e->loss) || (!isnan(e->accuracy) && (e->accuracy < 0 || e->accuracy > 1)))
        return rnl_fail(RNL_ERR_ARG, "the earlier best epoch needs its validation loss and an accuracy in [0, 1] or none "
                                     "(loss %g, accuracy %g)", e->loss, e->accuracy);
    int patience = b->patience;
    *b = *e;
    b->patience = patience;
    return RNL_OK;
}

// --- Training over a span ---------------------------------------------------------------------------

static void progress_start(rnl_run_progress *p) {
    p->last = (rnl_step_stats){NAN, NAN, 0, NAN};
    p->mean_loss = NAN;
    p->clipped = p->done = 0;
    p->steps = 0;
    p->lr = NAN;
}

// One step of a span: train on the batch at the schedule's rate, add its stats to the record and to the
// model's training history (every step, whatever the span length, so every face records the
// same history; a full history keeps its first RNL_MAX_HISTORY points). The optimizer keeps its base rate
// between steps (and so in checkpoints): the schedule only scales it.
static rnl_status span_step(rnl_run_net m, rnl_optimizer *o, const rnl_batch *b, int bptt, const rnl_run_schedule *sched,
                            rnl_run_progress *p, double *sum) {
    rnl_optim_config *oc = rnl_optimizer_config(o);
    float base = oc->lr;
    p->lr = sched ? (float)rnl_run_schedule_lr(sched, base, rnl_optimizer_steps(o) + 1) : base;
    oc->lr = (float)p->lr;
    rnl_status st = net_train_step(m, o, b, bptt, &p->last);
    oc->lr = base;
    if (st) return st;
    if (net_base(m)->history_n < RNL_MAX_HISTORY) {
        rnl_history_point pt = {(uint32_t)rnl_optimizer_steps(o), (float)p->last.loss, (float)p->last.accuracy,
                                (float)p->last.grad_norm, NAN, NAN};
        if ((st = rnl_base_history_append(net_base(m), &pt))) return st;
    }
    *sum += p->last.loss;
    p->clipped += p->last.clipped;
    return RNL_OK;
}

static void progress_end(rnl_run_progress *p, const rnl_optimizer *o, double sum) {
    p->mean_loss = p->done ? sum / p->done : NAN;
    p->steps = o ? rnl_optimizer_steps(o) : 0;
}

rnl_status rnl_run_train_task(rnl_model *m, rnl_optimizer *o, rnl_task task, int B, int T, int n, int bptt,
                              const rnl_run_schedule *sched, rnl_rng *rng, rnl_task_data *d, rnl_run_progress *p) {
    return rnl_run_net_train_task(rnl_run_net_of_model(m), o, task, B, T, n, bptt, sched, rng, d, p);
}

rnl_status rnl_run_net_train_task(rnl_run_net m, rnl_optimizer *o, rnl_task task, int B, int T, int n, int bptt,
                                  const rnl_run_schedule *sched, rnl_rng *rng, rnl_task_data *d, rnl_run_progress *p) {
    rnl_task_data own;
    if (!d) rnl_task_data_init(d = &own);
    progress_start(p);
    double sum = 0;
    rnl_status st = RNL_OK;
    for (; p->done < n; p->done++) {
        if ((st = rnl_task_generate(d, task, B, T, rng)) || (st = span_step(m, o, &d->batch, bptt, sched, p, &sum))) break;
    }
    progress_end(p, o, sum);
    if (d == &own) rnl_task_data_free(&own);
    return st;
}

rnl_status rnl_run_train_data(rnl_model *m, rnl_optimizer *o, const rnl_dataset *ds, const int32_t *order, int order_n,
                              int first, int n, int B, int bptt, const rnl_run_schedule *sched, rnl_task_data *d,
                              rnl_run_progress *p) {
    return rnl_run_net_train_data(rnl_run_net_of_model(m), o, ds, order, order_n, first, n, B, bptt, sched, d, p);
}

rnl_status rnl_run_net_train_data(rnl_run_net m, rnl_optimizer *o, const rnl_dataset *ds, const int32_t *order,
                                  int order_n, int first, int n, int B, int bptt, const rnl_run_schedule *sched,
                                  rnl_task_data *d, rnl_run_progress *p) {
    rnl_task_data own;
    if (!d) rnl_task_data_init(d = &own);
    progress_start(p);
    double sum = 0;
    rnl_status st = RNL_OK;
    for (; p->done < n; p->done++) {
        long i = (long)(first + p->done) * B;
        if (i >= order_n) break;
        int nb = order_n - i < B ? (int)(order_n - i) : B;
        if ((st = rnl_dataset_batch(ds, order + i, nb, d)) || (st = span_step(m, o, &d->batch, bptt, sched, p, &sum))) break;
    }
    progress_end(p, o, sum);
    if (d == &own) rnl_task_data_free(&own);
    return st;
}

// --- Evaluation -------------------------------------------------------------------------------------

rnl_status rnl_run_eval_task(rnl_model *m, rnl_task task, int T, int batches, int B, uint64_t seed, rnl_task_data *d,
                             rnl_run_eval *r) {
    return rnl_run_net_eval_task(rnl_run_net_of_model(m), task, T, batches, B, seed, d, r);
}

rnl_status rnl_run_net_eval_task(rnl_run_net m, rnl_task task, int T, int batches, int B, uint64_t seed, rnl_task_data *d,
                                 rnl_run_eval *r) {
    r->loss = r->accuracy = NAN;
    r->count = 0;
    if (batches < 1) return rnl_fail(RNL_ERR_ARG, "evaluate: batches is %d, must be at least 1", batches);
    rnl_task_data own;
    if (!d) rnl_task_data_init(d = &own);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    double loss = 0, acc = 0;
    rnl_status st = RNL_OK;
    for (int i = 0; i < batches && !st; i++) {
        rnl_step_stats s;
        if (!(st = rnl_task_generate(d, task, B, T, &rng)) && !(st = net_eval_batch(m, &d->batch, &s))) {
            loss += s.loss;
            acc += s.accuracy;
        }
    }
    if (d == &own) rnl_task_data_free(&own);
    r->loss = loss / batches;
    r->accuracy = acc / batches;
    r->count = batches * B;
    return st;
}

static const char *split_name(rnl_split s) { return s == RNL_SPLIT_VAL ? "validation" : s == RNL_SPLIT_TEST ? "test" : "training"; }

rnl_status rnl_run_eval_split(rnl_model *m, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, rnl_run_eval *r) {
    return rnl_run_net_eval_split(rnl_run_net_of_model(m), ds, split, d, r);
}

// A split's batches on the net's threads (shards.c): batch i into loss[i] and acc[i], read by the thread's
// worker (thread 0: the net itself) with the thread's batch memory; the caller sums them in batch order.
typedef struct {
    rnl_run_net net;
    const rnl_dataset *ds;
    int first, count;
    rnl_task_data *data;  // (threads) data[0] is the caller's
    double *loss, *acc;   // (batches)
} split_job;

static rnl_status split_batch(void *ctx, rnl_base *worker, int thread, int i) {
    split_job *j = ctx;
    int at = i * RNL_RUN_EVAL_BATCH, nb = j->count - at < RNL_RUN_EVAL_BATCH ? j->count - at : RNL_RUN_EVAL_BATCH;
    int32_t idx[RNL_RUN_EVAL_BATCH];
    for (int k = 0; k < nb; k++) idx[k] = j->first + at + k;
    rnl_run_net w = j->net.tf ? rnl_run_net_of_tf((rnl_tf *)worker) : rnl_run_net_of_model((rnl_model *)worker);
    rnl_step_stats s;
    rnl_status st = rnl_dataset_batch(j->ds, idx, nb, &j->data[thread]);
    if (!st) st = net_eval_batch(w, &j->data[thread].batch, &s);
    j->loss[i] = st ? NAN : s.loss;
    j->acc[i] = st ? NAN : s.accuracy;
    return st;
}

rnl_status rnl_run_net_eval_split(rnl_run_net m, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, rnl_run_eval *r) {
    int first, count;
    rnl_dataset_split(ds, split, &first, &count);
    r->loss = r->accuracy = 0;
    r->count = count;
    if (count == 0) return rnl_fail(RNL_ERR_ARG, "the %s split is empty", split_name(split));
    rnl_base *base = m.tf ? (rnl_base *)m.tf : (rnl_base *)m.rnn;  // rnl_base is both kinds' first member
    int threads = rnl_base_team_threads(base), batches = (count + RNL_RUN_EVAL_BATCH - 1) / RNL_RUN_EVAL_BATCH;
    rnl_task_data own, *data = calloc((size_t)threads, sizeof *data);
    double *figures = malloc(sizeof(double) * 2 * (size_t)batches);
    if (!data || !figures) {
        free(data);
        free(figures);
        return rnl_fail(RNL_ERR_NOMEM, "evaluate: out of memory for %d batches", batches);
    }
    if (!d) rnl_task_data_init(d = &own);
    data[0] = *d;
    for (int k = 1; k < threads; k++) rnl_task_data_init(&data[k]);
    split_job job = {m, ds, first, count, data, figures, figures + batches};
    rnl_status st = rnl_base_eval_parallel(base, batches, split_batch, &job);
    *d = data[0];  // grown buffers stay the caller's
    for (int k = 1; k < threads; k++) rnl_task_data_free(&data[k]);
    if (d == &own) rnl_task_data_free(&own);
    // Summed in batch order, each batch weighted by its size: the same figures at any thread count.
    double loss = 0, acc = 0;
    for (int i = 0; i < batches && !st; i++) {
        int nb = count - i * RNL_RUN_EVAL_BATCH < RNL_RUN_EVAL_BATCH ? count - i * RNL_RUN_EVAL_BATCH : RNL_RUN_EVAL_BATCH;
        loss += job.loss[i] * nb;
        acc += (isnan(job.acc[i]) ? 0 : job.acc[i]) * nb;
    }
    free(data);
    free(figures);
    r->loss = loss / count;
    r->accuracy = ds->kind == RNL_DATASET_TEXT ? acc / count : NAN;
    return st;
}

rnl_status rnl_run_predict_series(rnl_model *m, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, double *out) {
    return rnl_run_net_predict_series(rnl_run_net_of_model(m), ds, split, d, out);
}

rnl_status rnl_run_net_predict_series(rnl_run_net m, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, double *out) {
    if (ds->kind != RNL_DATASET_SERIES) return rnl_fail(RNL_ERR_ARG, "this is a text dataset, not a time series");
    int first, count;
    rnl_dataset_split(ds, split, &first, &count);
    if (count == 0) return rnl_fail(RNL_ERR_ARG, "the %s split is empty", split_name(split));
    rnl_task_data own;
    if (!d) rnl_task_data_init(d = &own);
    int part = split == RNL_SPLIT_TRAIN ? 0 : split == RNL_SPLIT_VAL ? 1 : 2;
    int start = part == 0 ? 0 : part == 1 ? ds->part[0] : ds->part[0] + ds->part[1];  // first value of the part
    int32_t idx[RNL_RUN_EVAL_BATCH];
    rnl_status st = RNL_OK;
    for (int i = 0; i < count && !st; i += RNL_RUN_EVAL_BATCH) {
        int nb = count - i < RNL_RUN_EVAL_BATCH ? count - i : RNL_RUN_EVAL_BATCH;
        for (int k = 0; k < nb; k++) idx[k] = first + i + k;
        if ((st = rnl_dataset_batch(ds, idx, nb, d)) || (st = rnl_run_net_forward(m, &d->batch, NULL))) break;
        const rnl_real *p = rnl_run_net_predictions(m);  // (nb, horizon)
        for (int k = 0; k < nb; k++) {
            out[i + k] = ds->values[start + i + k + ds->window];
            out[count + i + k] = (double)p[(size_t)k * ds->horizon] * ds->std + ds->mean;
        }
    }
    if (d == &own) rnl_task_data_free(&own);
    return st;
}

// --- Sequence-to-sequence runs ----------------------------------------------------------------------

rnl_status rnl_run_s2s_train(rnl_s2s *m, rnl_optimizer *o, const rnl_s2s_task_config *tc, int B, int n, rnl_rng *rng,
                             rnl_s2s_task_data *d, rnl_run_s2s_progress *p) {
    rnl_s2s_task_data own;
    if (!d) rnl_s2s_task_data_init(d = &own);
    p->last = (rnl_s2s_stats){NAN, NAN, 0, NAN, NAN};
    p->clipped = p->done = 0;
    double sum = 0;
    rnl_status st = RNL_OK;
    for (; p->done < n; p->done++) {
        if ((st = rnl_s2s_task_generate(d, tc, B, rng))) break;
        if ((st = rnl_s2s_train_step(m, o, &d->batch, &p->last))) break;
        sum += p->last.loss;
        p->clipped += p->last.clipped;
    }
    p->mean_loss = p->done ? sum / p->done : NAN;
    p->steps = o ? rnl_optimizer_steps(o) : 0;
    if (d == &own) rnl_s2s_task_data_free(&own);
    return st;
}

rnl_status rnl_run_s2s_evaluate(rnl_s2s *m, const rnl_s2s_task_config *tc, int batches, int B, uint64_t seed,
                                rnl_run_s2s_eval *r) {
    memset(r, 0, sizeof *r);
    if (batches < 1 || B < 1) return rnl_fail(RNL_ERR_ARG, "evaluate: batches and batchSize must be at least 1");
    rnl_s2s_task_data d;
    rnl_s2s_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_status st = RNL_OK;
    for (int i = 0; i < batches && !st; i++) {
        rnl_s2s_stats s;
        double tok, seq;
        if (!(st = rnl_s2s_task_generate(&d, tc, B, &rng)) && !(st = rnl_s2s_eval_batch(m, &d.batch, &s)) &&
            !(st = rnl_s2s_greedy_accuracy(m, &d.batch, rnl_s2s_task_max_target(tc) + 1, &tok, &seq))) {
            r->loss += s.loss / batches, r->tf_token += s.token_accuracy / batches, r->tf_seq += s.seq_accuracy / batches;
            r->token += tok / batches, r->seq += seq / batches;
        }
    }
    rnl_s2s_task_data_free(&d);
    return st;
}
