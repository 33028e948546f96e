// rnnlab_run.h: the run layer: the training protocol that every face (the native CLI, the WebAssembly
// module and through it the page and Node) follows, written once. It holds the rules, not the loops'
// reporting: whether a model fits a task or a data set, tying a model to a data set's description, which
// seeds and batch sizes held-out evaluation uses, the order of each epoch and how a resumed run picks it
// up, training over a span of steps with a progress record, and the defaults of each model kind.
//
// A face drives a run in spans and reports between them (a progress bar, JSON lines, a yield to the
// event loop); the same seed gives the same batches whatever the span lengths:
//
//     rnl_run_defaults def = rnl_run_defaults_of(RNL_RUN_RECURRENT);
//     if (rnl_run_task_fits(rnl_model_config(m), RNL_TASK_ADDING, NULL)) die(rnl_last_error());
//     rnl_optimizer *o = NULL;
//     rnl_run_ensure_optimizer(&o, RNL_RUN_RECURRENT, rnl_model_num_params(m));
//     rnl_rng rng; rnl_rng_seed(&rng, rnl_run_train_seed(rnl_optimizer_steps(o)));
//     rnl_task_data d; rnl_task_data_init(&d);
//     rnl_run_progress p;
//     for (int done = 0; done < def.steps; done += p.done) {
//         if (rnl_run_train_task(m, o, RNL_TASK_ADDING, def.batch, def.length, 10, 0, NULL, &rng, &d, &p)) break;
//         printf("step %ld: loss %.4f (mean of the span %.4f)\n", p.steps, p.last.loss, p.mean_loss);
//     }
//     rnl_run_eval r;
//     rnl_run_eval_task(m, RNL_TASK_ADDING, def.length, def.heldout_batches, def.heldout_batch,
//                       rnl_run_heldout_seed(def.length), &d, &r);
//
// Conventions as rnnlab.h: outputs first, rnl_status with a message that names the problem. A `hint`
// argument is the face's own next step, appended to a refusal ("make one with createModel({ cell,
// dataset })"); NULL for none. Scratch `d` arguments are batch buffers the caller keeps between calls
// (they grow with realloc); NULL: a temporary one.
#ifndef RNNLAB_RUN_H
#define RNNLAB_RUN_H

#include "rnnlab.h"
#include "rnnlab_data.h"
#include "rnnlab_seq2seq.h"
#include "rnnlab_transformer.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- Defaults of each model kind ------------------------------------------------------------------

// RNL_RUN_TRANSFORMER has the recurrent models' defaults: the same batches, rates and clipping, so the two
// kinds are compared on the same protocol.
typedef enum { RNL_RUN_RECURRENT = 0, RNL_RUN_SEQ2SEQ = 1, RNL_RUN_TRANSFORMER = 2 } rnl_run_kind;

// What a run uses when the face is not told otherwise (the CLI's help and the wrapper's defaults).
typedef struct {
    int batch;                 // sequences per step: 32
    float lr_adam, lr_other;   // a new optimizer's learning rate: Adam 0.001 (seq2seq 0.005), sgd/momentum 0.1
    float momentum;            // 0.9 with momentum
    float weight_decay;        // 0
    float clip;                // global gradient-norm clipping of a new optimizer: 1
    int steps;                 // task training steps: 1000
    int length;                // task sequence length: 50 (recurrent; seq2seq tasks set their own)
    int epochs;                // passes over a data set: 3 (recurrent)
    int bucket;                // length-bucketing pools of 8 batches (text data)
    int bptt;                  // 0: full backpropagation through time
    int eval_every_parts;      // held-out check every steps / 10 steps (at least 1)
    int heldout_batches, heldout_batch;  // the in-training held-out check: 4 x 64 (seq2seq 2 x 64)
    int test_batches, test_batch;        // `eval`: 10 batches of 100
    uint64_t test_seed;                  // `eval`'s seed: 1000003
    int data_embed;            // embedding width of a model made for a data set when none is given: 64
} rnl_run_defaults;

rnl_run_defaults rnl_run_defaults_of(rnl_run_kind kind);
// Steps between held-out checks of a run of `steps` steps: steps / 10, at least 1.
int rnl_run_eval_every(rnl_run_kind kind, long steps);
// The optimizer a run starts with when none is set: rnl_optim_default(optim) with the kind's clip and,
// for Adam, the kind's learning rate.
rnl_optim_config rnl_run_optim_default(rnl_run_kind kind, rnl_optim optim);
// Creates that optimizer (Adam) for n_params if *o is NULL; leaves an existing one alone.
rnl_status rnl_run_ensure_optimizer(rnl_optimizer **o, rnl_run_kind kind, size_t n_params);

// --- Seeds and batch sizes ------------------------------------------------------------------------

#define RNL_RUN_EVAL_BATCH 64              // a split is evaluated (and predicted) in batches of 64, in order
#define RNL_RUN_TEST_SEED 1000003u         // `eval` on a task: fresh batches from this seed
#define RNL_RUN_HELDOUT_SEED 0x5eed0000u   // + T: the in-training held-out batches of a task of length T
#define RNL_RUN_S2S_HELDOUT_SEED 0x5eed5200u  // the in-training held-out batches of a seq2seq task

// The seed of the in-training held-out batches of a task of length T: every run sees the same ones.
uint64_t rnl_run_heldout_seed(int T);
// The training-data seed of a run that is given none: 1 + the optimizer steps already done, so a resumed
// run continues the data stream (and the epoch shuffles) instead of repeating it.
uint64_t rnl_run_train_seed(long steps_done);

// --- Fit checks -----------------------------------------------------------------------------------

// RNL_OK if the model reads what the task gives and predicts what it asks; otherwise RNL_ERR_ARG naming
// what differs: "the model does not fit task 'copy': it needs token inputs, a classes head with 8 outputs;
// the model has real-valued inputs of size 2, a regression head with 1 output", then "; " and the hint.
rnl_status rnl_run_task_fits(const rnl_config *c, rnl_task task, const char *hint);
// As rnl_run_task_fits for a data set: "the model does not fit this data: ..." (text) or "the model
// does not fit this series: ..." (a series).
rnl_status rnl_run_data_fits(const rnl_config *c, const rnl_dataset *ds, const char *hint);
// Ties a model to a data set: it must fit, and keeps the data's description (vocabulary and tokenizer
// settings, or the series' normalisation) as its meta bytes, so new input can be read without the data.
// A model with other meta bytes was trained on other data and is refused ("this model was trained on a
// different vocabulary or series than this dataset; " hint). *changed (may be NULL): 1 if the meta
// bytes were set now.
rnl_status rnl_run_attach_data(rnl_model *m, const rnl_dataset *ds, const char *hint, int *changed);

// --- Epochs ---------------------------------------------------------------------------------------

// Batches of B in one epoch over the training split: ceil(n_train / B).
long rnl_run_batches_per_epoch(const rnl_dataset *ds, int B);
// The epoch a run starts at: a resumed run (steps_done optimizer steps) continues the shuffles.
int rnl_run_first_epoch(const rnl_dataset *ds, int B, long steps_done);
// The order of one epoch over the training split (rnl_dataset_epoch_order), with length bucketing in
// pools of `bucket` batches for text only (a series' windows all have one length). order: (n_train).
// RNL_ERR_ARG if the training split is empty.
rnl_status rnl_run_epoch_order(const rnl_dataset *ds, uint64_t seed, int epoch, int B, int bucket, int32_t *order);

// --- Learning-rate schedules ----------------------------------------------------------------------

// The learning rate of optimizer step s (counted from the model's first step, 1) is the optimizer's own
// (base) rate times the schedule's factor at s. The factor is recomputed from the step count at every step,
// and the optimizer keeps its base rate (also in checkpoints), so a resumed run continues the schedule when
// it is given the same one. docs/model.md draws them.
//   warm-up (any kind, warmup > 0): s / warmup for s <= warmup, a linear ramp to the base rate;
//   none:   1 after the warm-up;
//   cosine: (1 + cos(pi * e / (total - warmup))) / 2 with e = s - 1 - warmup, down to 0 at s = total + 1
//           (and 0 after it), as PyTorch's CosineAnnealingLR with eta_min 0;
//   step:   gamma ^ floor(e / step_size), as PyTorch's StepLR.
typedef enum { RNL_RUN_SCHEDULE_NONE = 0, RNL_RUN_SCHEDULE_COSINE = 1, RNL_RUN_SCHEDULE_STEP = 2 } rnl_run_schedule_kind;

typedef struct {
    rnl_run_schedule_kind kind;
    int warmup;     // steps of linear warm-up (0: none)
    int total;      // cosine: the step the decay ends at (0: the end of the run, rnl_run_schedule_resolve)
    int step_size;  // step: steps between two decays (0: one epoch, or a third of a task run's steps)
    float gamma;    // step: the factor of each decay (default 0.1)
} rnl_run_schedule;

rnl_run_schedule rnl_run_schedule_default(void);  // none, no warm-up, gamma 0.1
// "cosine" -> RNL_RUN_SCHEDULE_COSINE; otherwise RNL_ERR_ARG, "schedule must be none, cosine or step, not 'x'".
rnl_status rnl_run_schedule_parse(const char *name, rnl_run_schedule_kind *out);
const char *rnl_run_schedule_name(rnl_run_schedule_kind k);  // "none", "cosine", "step" ("?" if unknown)
// Every field in range (warmup, total, step_size: the limit table's; gamma in (0, 1]); the message names it.
rnl_status rnl_run_schedule_check(const rnl_run_schedule *s);
// Fills what a run decides: total 0 -> end_step (the step the run ends at: the steps done before it plus
// its own), step_size 0 -> epoch_steps (a data run's batches per epoch), or for a task run (epoch_steps 0)
// a third of the steps after the warm-up, at least 1.
void rnl_run_schedule_resolve(rnl_run_schedule *s, long end_step, long epoch_steps);
// The learning rate of step `step` (>= 1) for base rate lr. NULL: lr.
double rnl_run_schedule_lr(const rnl_run_schedule *s, double lr, long step);
// n points of the curve for a drawing: step_out[i] evenly spaced from first to last (rounded; both ends
// included; n 1: first alone) and lr_out[i] its learning rate. RNL_ERR_ARG for n < 1 or first < 1 or
// last < first, or a schedule that fails rnl_run_schedule_check.
rnl_status rnl_run_schedule_curve(float *lr_out, int32_t *step_out, int n, const rnl_run_schedule *s, double lr, long first,
                                  long last);

// --- Training over a span -------------------------------------------------------------------------

// What a span of training steps did; faces report it between spans.
typedef struct {
    rnl_step_stats last;  // the last step's stats (NaN loss, grad_norm and accuracy before any step)
    double mean_loss;     // mean loss of the steps this span ran (NaN if none)
    int clipped;          // how many of them clipped
    int done;             // how many ran (also after a failure: those before it)
    long steps;           // optimizer steps in all, after the span
    double lr;            // the learning rate of the last step (the schedule's; NaN before any step)
} rnl_run_progress;

// n steps, each on a fresh batch of B x T of a task from `rng` (the training stream), with truncated
// BPTT windows of `bptt` steps (0: full), at the learning rates of `sched` (NULL: the optimizer's own).
// Stops at the first failure (a numeric fault leaves the parameters of the last good step: rnl_train_step).
rnl_status rnl_run_train_task(rnl_model *m, rnl_optimizer *o, rnl_task task, int B, int T, int n, int bptt,
                              const rnl_run_schedule *sched, rnl_rng *rng, rnl_task_data *d, rnl_run_progress *p);
// Batches [first, first + n) of an epoch order (rnl_run_epoch_order; order_n examples) over the training
// split: consecutive runs of B examples, the last one possibly shorter. Stops early at the order's end.
rnl_status rnl_run_train_data(rnl_model *m, rnl_optimizer *o, const rnl_dataset *ds, const int32_t *order, int order_n,
                              int first, int n, int B, int bptt, const rnl_run_schedule *sched, rnl_task_data *d,
                              rnl_run_progress *p);

// --- Evaluation -----------------------------------------------------------------------------------

typedef struct {
    double loss;      // mean loss
    double accuracy;  // mean accuracy; NaN for regression (and for a series)
    int count;        // sequences evaluated
} rnl_run_eval;

// `batches` batches of B x T of a task from a generator seeded with `seed` (not the training stream):
// the mean of their losses and accuracies.
rnl_status rnl_run_eval_task(rnl_model *m, rnl_task task, int T, int batches, int B, uint64_t seed, rnl_task_data *d,
                             rnl_run_eval *r);
// A whole split in batches of RNL_RUN_EVAL_BATCH, in order, each batch weighted by its size.
// RNL_ERR_ARG if the split is empty.
rnl_status rnl_run_eval_split(rnl_model *m, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, rnl_run_eval *r);
// Next-step predictions of a series model over a split's windows, in the series' own units, batched as
// rnl_run_eval_split: out (2, count): the value right after each window as read, then the first output
// * std + mean. count: the split's size (rnl_dataset_split).
rnl_status rnl_run_predict_series(rnl_model *m, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, double *out);

// --- Either model over rnl_batch: a recurrent model or a Transformer encoder -------------------------

// The functions above that take an rnl_model are these over rnl_run_net_of_model(m): a face that holds
// either kind (the CLI, by a checkpoint's magic) calls these. Exactly one of rnn and tf is non-NULL.
typedef struct {
    rnl_model *rnn;
    rnl_tf *tf;
} rnl_run_net;

rnl_run_net rnl_run_net_of_model(rnl_model *m);
rnl_run_net rnl_run_net_of_tf(rnl_tf *m);
rnl_run_kind rnl_run_net_kind(rnl_run_net n);            // RNL_RUN_RECURRENT or RNL_RUN_TRANSFORMER
rnl_config rnl_run_net_config(rnl_run_net n);            // what it reads and predicts (rnl_tf_io_config)
size_t rnl_run_net_num_params(rnl_run_net n);
rnl_status rnl_run_net_forward(rnl_run_net n, const rnl_batch *b, rnl_real *loss);
const rnl_real *rnl_run_net_predictions(rnl_run_net n);
// Threads for training steps (shards) and split evaluations (whole batches, summed in batch order); the
// results are the same for every count (rnnlab.h, "Shards and threads").
rnl_status rnl_run_net_set_threads(rnl_run_net n, int threads);
// The training history of either kind (rnnlab.h "Training history"): the run layer appends one point per
// step; a held-out check goes on the last point. Both kinds save it in their checkpoints.
const rnl_history_point *rnl_run_net_history(rnl_run_net n, size_t *count);  // NULL (and *count = 0) if none
void rnl_run_net_history_heldout(rnl_run_net n, double loss, double accuracy);
rnl_status rnl_run_net_attach_data(rnl_run_net n, const rnl_dataset *ds, const char *hint, int *changed);
rnl_status rnl_run_net_train_task(rnl_run_net n, rnl_optimizer *o, rnl_task task, int B, int T, int steps, int bptt,
                                  const rnl_run_schedule *sched, rnl_rng *rng, rnl_task_data *d, rnl_run_progress *p);
rnl_status rnl_run_net_train_data(rnl_run_net n, rnl_optimizer *o, const rnl_dataset *ds, const int32_t *order,
                                  int order_n, int first, int steps, int B, int bptt, const rnl_run_schedule *sched,
                                  rnl_task_data *d, rnl_run_progress *p);
rnl_status rnl_run_net_eval_task(rnl_run_net n, rnl_task task, int T, int batches, int B, uint64_t seed, rnl_task_data *d,
                                 rnl_run_eval *r);
rnl_status rnl_run_net_eval_split(rnl_run_net n, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, rnl_run_eval *r);
rnl_status rnl_run_net_predict_series(rnl_run_net n, const rnl_dataset *ds, rnl_split split, rnl_task_data *d, double *out);
// --- Keeping the best epoch -----------------------------------------------------------------------

// The best epoch of a run by its validation figures, and the patience rule. The face saves the model
// when rnl_run_best_update says it improved (the CLI writes its file, the WebAssembly module keeps the
// checkpoint's bytes), so the model kept is always the best one seen.
typedef struct {
    int patience;            // > 0: stop after this many epochs in a row without improvement; 0: never stop
    int epoch;               // the best epoch (as the caller counts them), 0 before any
    long step;               // optimizer steps done at its end
    double loss, accuracy;   // its validation loss and accuracy (accuracy NaN for a series)
    int stale;               // epochs since it
} rnl_run_best;

void rnl_run_best_init(rnl_run_best *b, int patience);
// After an epoch's validation: 1 if it improves on the best and is now the best (higher accuracy, or the
// same accuracy and a lower loss; a lower loss when there is no accuracy, as for a series; the first
// epoch always does unless its loss is NaN), else 0. *stop (may be NULL) is 1 once `patience` epochs in a
// row have not improved.
int rnl_run_best_update(rnl_run_best *b, const rnl_run_eval *val, int epoch, long step, int *stop);
// Takes up the rule where an earlier part of the same run left it (a page reopening a closed tab): *b
// becomes `earlier` (its best epoch >= 1, figures and stale count) with this part's patience, so an epoch
// trained now must beat the best from before. RNL_ERR_ARG, *b unchanged, if `earlier` is not such a record.
rnl_status rnl_run_best_resume(rnl_run_best *b, const rnl_run_best *earlier);

// --- Sequence-to-sequence runs --------------------------------------------------------------------

typedef struct {
    rnl_s2s_stats last;  // the last step's stats (NaN before any step)
    double mean_loss;    // over the steps this span ran (NaN if none)
    int clipped, done;
    long steps;          // optimizer steps in all
} rnl_run_s2s_progress;

// n steps on fresh batches of B examples of the model's task from `rng`.
rnl_status rnl_run_s2s_train(rnl_s2s *m, rnl_optimizer *o, const rnl_s2s_task_config *tc, int B, int n, rnl_rng *rng,
                             rnl_s2s_task_data *d, rnl_run_s2s_progress *p);

typedef struct {
    double loss;             // teacher-forced cross-entropy per target token
    double tf_token, tf_seq; // teacher-forced token and sequence accuracy
    double token, seq;       // greedy decoding's token and sequence accuracy
} rnl_run_s2s_eval;

// `batches` batches of B held-out examples from a generator seeded with `seed`; means over the batches.
rnl_status rnl_run_s2s_evaluate(rnl_s2s *m, const rnl_s2s_task_config *tc, int batches, int B, uint64_t seed,
                                rnl_run_s2s_eval *r);

#ifdef __cplusplus
}
#endif
#endif
