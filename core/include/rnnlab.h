// rnnlab.h: the main public header of the rnnlab core, for every face (the WebAssembly module, the
// Node runner, the native CLI, the tests): models, cells, tasks, optimizers, checkpoints, errors.
// Beside it in core/include, one header per area, each including this one: rnnlab_data.h (data sets:
// IMDB reviews, CSV series, the .rnld file, batches), rnnlab_seq2seq.h (encoder-decoder models with
// attention); a new area gets its own rnnlab_<area>.h there.
//
// A worked example: train an LSTM on the adding problem.
//
//     rnl_config cfg = rnl_config_default(RNL_CELL_LSTM);
//     cfg.input_size = 2; cfg.hidden = 32; cfg.head = RNL_HEAD_REGRESSION;
//     rnl_model *m;
//     if (rnl_model_create(&m, &cfg, 42) != RNL_OK) die(rnl_last_error());
//     rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
//     oc.clip = 1.0f;
//     rnl_optimizer *opt; rnl_optimizer_create(&opt, &oc, rnl_model_num_params(m));
//     rnl_task_data d; rnl_task_data_init(&d);
//     rnl_rng rng; rnl_rng_seed(&rng, 1);
//     for (int step = 0; step < 1000; step++) {
//         rnl_task_generate(&d, RNL_TASK_ADDING, 32, 50, &rng);   // 32 sequences of 50 steps
//         rnl_step_stats st;
//         if (rnl_train_step(m, opt, &d.batch, 0, &st) != RNL_OK) die(rnl_last_error());  // 0: full BPTT
//     }
//     rnl_task_data_free(&d); rnl_optimizer_destroy(opt); rnl_model_destroy(m);
//
// Conventions (after llm.c / ggml):
// - Calls that can fail return rnl_status and leave a message in rnl_last_error().
// - Batches are given batch-major, (B, T, ...), as people write them; internally the core works
//   time-major, (T, B, ...), sorted by length, so padding never costs compute or changes a result.
// - A model's parameters live in one contiguous block and its gradients in a second block of the same
//   layout: the optimizer is a flat loop and a checkpoint is a header plus that block. The layout of every
//   tensor matches PyTorch's state_dict for nn.Embedding + nn.RNN/LSTM/GRU + nn.Linear
//   (docs/checkpoint-format.md gives it exactly).
// - rnl_real is float, except in the double-precision build used by the gradient checks (RNL_DOUBLE).
#ifndef RNNLAB_H
#define RNNLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef RNL_DOUBLE
typedef double rnl_real;
#else
typedef float rnl_real;
#endif

#define RNL_VERSION_STRING "0.1.0"

// --- Errors -------------------------------------------------------------------------------------

typedef enum {
    RNL_OK = 0,
    RNL_ERR_ARG,      // a bad argument or configuration (names the field)
    RNL_ERR_NOMEM,    // an allocation failed or would exceed a hard limit
    RNL_ERR_IO,       // a file could not be opened, read or written
    RNL_ERR_FORMAT,   // a file or buffer is truncated, corrupt or foreign
    RNL_ERR_NUMERIC,  // NaN or Inf in a loss or gradient
} rnl_status;

// The message of the last failed call (empty if none). Valid until the next failing call.
const char *rnl_last_error(void);
// Records a message (printf-style) and returns `st`, so failing paths read `return rnl_fail(...)`.
rnl_status rnl_fail(rnl_status st, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
const char *rnl_status_name(rnl_status st);

// --- Limits -------------------------------------------------------------------------------------

// Hard limits, checked before any allocation (a corrupt header must not become a 4 GB malloc). These are
// the numbers of the limit table below, which is what every face reads.
#define RNL_MAX_VOCAB 1000000
#define RNL_MAX_WIDTH 4096      // embed, input_size, hidden, classes
#define RNL_MAX_LAYERS 8
#define RNL_MAX_PARAMS (256u * 1024u * 1024u / 4u)  // 256 MB of float32 parameters
#define RNL_MAX_BATCH 4096
#define RNL_MAX_STEPS 100000
#define RNL_MAX_WORKSPACE ((size_t)1 << 30)  // bytes of work memory for one batch, every model kind
#define RNL_MAX_THREADS 256  // training and evaluation threads of one model

// One range per setting that people type (model sizes, training settings), defined once: the config
// check, the CLI's flags, the page and the Node runner read it, so a limit has one message everywhere:
// "hidden is 0, must be in 1..4096" (whole numbers) or "lr is 200, must be in [1e-09, 100]".
// Names: vocab, embed, input_size, hidden, layers, outputs, classes, forget_bias, dropout, pool, attn_width, symbols,
// reverse_length, decode_len, batch, length, steps, epochs, bucket, bptt, eval_every, eval_batches, lr,
// momentum, weight_decay, clip, warmup, step_size, gamma, patience, n_train, n_val, n_test, vocab_words, max_len,
// window, horizon, heads, ffn, threads.
typedef struct {
    const char *name;  // "hidden": the config field's or the setting's name
    double min, max;   // inclusive
    const char *what;  // "hidden units per direction"
    int whole;         // 1: a whole number (written "1..4096"); 0: a real number (written "[0, 0.9999]")
} rnl_limit;

int rnl_limit_count(void);
const rnl_limit *rnl_limit_at(int i);               // NULL past the end
const rnl_limit *rnl_limit_find(const char *name);  // NULL if unknown
// RNL_OK if v is in the named limit's range (and whole, for a whole limit); otherwise RNL_ERR_ARG and
// "hidden is 0, must be in 1..4096". An unknown name is a programmer error (RNL_ERR_ARG, says so).
rnl_status rnl_limit_check(const char *name, double v);
// As rnl_limit_check, with the setting called `label` in the message ("--hidden is 0, must be in 1..4096").
rnl_status rnl_limit_check_as(const char *name, const char *label, double v);

// --- Random numbers -----------------------------------------------------------------------------

// One seeded generator (xoshiro256**, seeded through splitmix64): every random choice of a run
// comes from it, so a run is reproducible bit for bit on one build.
typedef struct { uint64_t s[4]; } rnl_rng;
void rnl_rng_seed(rnl_rng *r, uint64_t seed);
uint64_t rnl_rng_next(rnl_rng *r);
double rnl_rng_uniform(rnl_rng *r);            // [0, 1)
double rnl_rng_normal(rnl_rng *r);             // mean 0, sd 1
uint32_t rnl_rng_below(rnl_rng *r, uint32_t n); // [0, n), unbiased

// --- Model configuration ------------------------------------------------------------------------

typedef enum { RNL_CELL_RNN = 0, RNL_CELL_LSTM = 1, RNL_CELL_GRU = 2 } rnl_cell;
typedef enum { RNL_HEAD_BINARY = 0, RNL_HEAD_CLASSES = 1, RNL_HEAD_REGRESSION = 2 } rnl_head;
// What a sequence-to-one head reads from the top layer's outputs (all D = directions x H columns):
// LAST the final states (forward direction at the last real step, reverse at step 0); MEAN their mean
// over the real steps; MAX their elementwise max over the real steps. Padding is never read.
typedef enum { RNL_POOLING_LAST = 0, RNL_POOLING_MEAN = 1, RNL_POOLING_MAX = 2 } rnl_pooling;

typedef struct {
    rnl_cell cell;
    int vocab;          // > 0: inputs are token ids into an embedding of width `embed`
    int embed;
    int input_size;     // used when vocab == 0: real-valued features per step
    int hidden;         // H, per direction
    int layers;         // stacked recurrent layers, 1..RNL_MAX_LAYERS
    int bidirectional;  // 0 or 1
    rnl_head head;
    int outputs;        // BINARY: 1; CLASSES: number of classes (>= 2); REGRESSION: values per target
    int seq2seq;        // 0: one output per sequence (from the last real step), 1: an output every step
    float forget_bias;  // LSTM forget-gate bias at init (default 1)
    // Inverted dropout in training (0: none, the default): on the embedding output, on the input of every
    // stacked layer above the first, and on the head's input; never in evaluation or prediction.
    float dropout;
    // What the head reads (sequence-to-one models only; a seq2seq model reads every step and has LAST).
    rnl_pooling pool;
} rnl_config;

rnl_config rnl_config_default(rnl_cell cell);  // 1 layer, hidden 32, binary head, forget_bias 1, dropout 0
// Checks every field against its range (the limit table below) and the hard limits; the message names
// the field.
rnl_status rnl_config_validate(const rnl_config *cfg);
const char *rnl_head_name(rnl_head h);     // "binary", "classes", "regression"
// The pools, by name: "last", "mean", "max" ("?" if unknown), and what people read ("the last state",
// "the mean of all states", "the max of all states"); rnl_pooling_count() of them, 0..count-1.
int rnl_pooling_count(void);
const char *rnl_pooling_name(rnl_pooling p);
const char *rnl_pooling_label(rnl_pooling p);
// "mean" -> RNL_POOLING_MEAN; otherwise RNL_ERR_ARG, "pool must be last, mean or max, not 'x'".
rnl_status rnl_pooling_parse(const char *name, rnl_pooling *out);

// --- The cell table -----------------------------------------------------------------------------

// What a cell is, once: every face (CLI flags, the page's <select>, the Node runner, the grader, traces)
// reads its names and gates from here. Adding a cell means an entry here, its math (cells.c), its tests
// and its docs.
typedef struct {
    rnl_cell cell;
    const char *name;           // "lstm": what flags and configs spell
    const char *label;          // "LSTM": what people read
    int gates;                  // G: rows of weight_ih per hidden unit (1, 4, 3)
    const char *gate_names[4];  // PyTorch's gate order: "i", "f", "g", "o"; an RNN's one "gate" is "h"
    int has_cell_state;         // 1: a second state (the LSTM's c) besides h
    const char *extra_state;    // what the layer's extra cache holds, or NULL
    const char *gate_roles[4];  // what each gate is, for people: "input gate", "forget gate", "candidate", ...
} rnl_cell_info;

int rnl_cell_count(void);                        // cells are 0..rnl_cell_count() - 1
const rnl_cell_info *rnl_cell_info_of(rnl_cell c);  // NULL if unknown
// "lstm" -> RNL_CELL_LSTM; otherwise RNL_ERR_ARG, "cell must be rnn, lstm or gru, not 'x'".
rnl_status rnl_cell_parse(const char *name, rnl_cell *out);
const char *rnl_cell_name(rnl_cell c);     // "rnn", "lstm", "gru" ("?" if unknown)
int rnl_cell_gates(rnl_cell c);            // 1, 4, 3: rows of weight_ih per hidden unit

// --- Batches ------------------------------------------------------------------------------------

// A batch of B sequences of up to T steps, batch-major. Entries past a sequence's length are padding:
// their values are never read.
typedef struct {
    int B, T;
    const int32_t *tokens;    // (B, T) token ids, when the model has a vocabulary
    const rnl_real *inputs;   // (B, T, input_size), when it has not
    const int32_t *lengths;   // (B) each in 1..T; NULL means every sequence is T long
    // Targets: binary 0/1, class index (as a number), or regression value.
    // seq2seq == 0: (B, outputs) for regression, (B) otherwise; seq2seq == 1: (B, T, ...) likewise.
    const rnl_real *targets;
} rnl_batch;

// --- Models -------------------------------------------------------------------------------------

typedef struct rnl_model rnl_model;

// A named view of one tensor in the parameter block: rows x cols floats at `offset`.
typedef struct {
    char name[48];   // PyTorch state_dict name, e.g. "rnn.weight_hh_l0_reverse"
    size_t offset;
    int rows, cols;  // a vector has cols == 1
} rnl_tensor_info;

// Creates a model with freshly initialised parameters: Glorot/Xavier uniform for input weights and the
// head, orthogonal (per gate block) for recurrent weights, zeros for biases but the LSTM forget gate,
// uniform(-0.05, 0.05) for the embedding. All from rnl_rng seeded with `seed`.
rnl_status rnl_model_create(rnl_model **out, const rnl_config *cfg, uint64_t seed);
void rnl_model_destroy(rnl_model *m);
const rnl_config *rnl_model_config(const rnl_model *m);
size_t rnl_model_num_params(const rnl_model *m);
rnl_real *rnl_model_params(rnl_model *m);   // the parameter block
rnl_real *rnl_model_grads(rnl_model *m);    // gradients, same layout
int rnl_model_num_tensors(const rnl_model *m);
const rnl_tensor_info *rnl_model_tensor(const rnl_model *m, int i);
// Opaque bytes kept with the model and saved in its checkpoint: the description of the data it was
// trained on (vocabulary and tokenizer settings, or a series' normalisation; rnnlab_data.h), so that
// new input can be read without the data file. At most RNL_MAX_META bytes; NULL/0 clears it.
#define RNL_MAX_META (64u << 20)
rnl_status rnl_model_set_meta(rnl_model *m, const uint8_t *bytes, size_t n);
const uint8_t *rnl_model_meta(const rnl_model *m, size_t *n);  // NULL (and *n = 0) if none
// Bytes of work memory a batch of this shape needs (checked against a caller's budget before training).
size_t rnl_model_workspace_bytes(const rnl_config *cfg, int B, int T);

// Forward pass: computes predictions and the mean loss (see docs/model.md for the reductions) and keeps
// what backward needs. `loss` may be NULL; targets may then be NULL too (inference).
rnl_status rnl_model_forward(rnl_model *m, const rnl_batch *b, rnl_real *loss);
// Backward pass through time for the last forward: accumulates (+=) into the gradient block.
// bptt_window > 0 truncates backpropagation through the recurrence to windows of that many steps.
rnl_status rnl_model_backward(rnl_model *m, int bptt_window);
void rnl_model_zero_grad(rnl_model *m);
// Predictions of the last forward, batch-major: sigmoid probability (binary), softmax probabilities
// (classes) or the value (regression); (B, outputs), or (B, T, outputs) for seq2seq with zeros at padding.
const rnl_real *rnl_model_predictions(const rnl_model *m);

// The prediction after each step of one sequence (B = 1): the head applied to the top layer's state at
// every real step, i.e. what the model would say having read steps 0..t. Differences between
// consecutive steps show how each word moved the prediction. Sequence-to-one, unidirectional models
// only (a reverse direction's state at t has already read the future). out: (len, outputs).
rnl_status rnl_model_predict_steps(rnl_model *m, const rnl_batch *b, rnl_real *out, int *steps);

// --- Dropout ------------------------------------------------------------------------------------

// Forward passes draw dropout masks only inside rnl_train_step, for the optimizer step it takes, so that
// evaluation and prediction never drop anything. A mask is a counter-based draw from (optimizer step, site,
// the sequence's row in the caller's batch, position, unit): the same step gives the same masks after a
// resume, in WebAssembly and at any thread count. docs/model.md has the rule.
// For tests and tools: step >= 1 makes later forward passes use that step's masks (as training would); 0
// turns them off again. No effect on a model whose config has dropout 0.
void rnl_model_set_dropout_step(rnl_model *m, long step);
// The mask of one site, row and position: out[j] (j < n) is 0 (dropped, with probability p) or 1 / (1 - p).
// Sites: 0 the embedding output, l (1..layers-1) the input of layer l, `layers` the head's input (position 0
// for a sequence-to-one model). p in [0, 1).
void rnl_dropout_mask(rnl_real *out, int n, float p, uint64_t step, int site, int row, int t);

// --- Introspection for teaching -----------------------------------------------------------------

// Off by default and free when off. With sample >= 0, the next forward records that sample's gate
// activations and cell state at every step, and the next backward records ||dL/dh_t|| at every step
// (summed over the batch) for each layer and direction.
void rnl_model_set_trace(rnl_model *m, int sample);
// Gates of the traced sample for one layer and direction: (steps, G*H) post-activation, in PyTorch gate
// order (RNN: h; LSTM: i f g o; GRU: r z n). Returns NULL if nothing was traced.
const rnl_real *rnl_model_trace_gates(const rnl_model *m, int layer, int dir, int *steps, int *width);
// Cell state (LSTM) or hidden state (RNN, GRU) of the traced sample: (steps, H).
const rnl_real *rnl_model_trace_state(const rnl_model *m, int layer, int dir, int *steps, int *width);
// ||dL/dh_t|| for t = 0..T-1 (time order, both directions) after a traced backward: (T).
const rnl_real *rnl_model_trace_grad_norms(const rnl_model *m, int layer, int dir, int *steps);

// --- Training history ---------------------------------------------------------------------------

// Where a model came from: one point per logged training step, kept with the model and saved in its
// checkpoint (an optional block, docs/checkpoint-format.md), so a loaded model can show its curves.
// A figure that was not measured at that step is NaN (held-out figures between checks, accuracy of a
// regression).
typedef struct {
    uint32_t step;           // optimizer steps taken when the point was logged
    float loss, accuracy;    // of the training batch (or the mean over the logged span)
    float grad_norm;         // global gradient norm before clipping
    float val_loss, val_accuracy;  // held-out check at this step, or NaN
} rnl_history_point;

#define RNL_MAX_HISTORY (1u << 20)  // points kept (24 bytes each in a checkpoint)
// Appends one point; RNL_ERR_ARG past RNL_MAX_HISTORY (the message says so; the history is unchanged).
rnl_status rnl_model_history_append(rnl_model *m, const rnl_history_point *p);
const rnl_history_point *rnl_model_history(const rnl_model *m, size_t *n);  // NULL (and *n = 0) if none
void rnl_model_history_clear(rnl_model *m);
// Records a held-out check (loss, accuracy: NaN if none) on the last point; nothing without a history.
void rnl_model_history_heldout(rnl_model *m, double loss, double accuracy);

// --- Losses -------------------------------------------------------------------------------------

// Binary cross-entropy on logits: the mean loss over n items, and dL/dlogit (already divided by n)
// into `dlogits` when it is non-NULL. Stable for any magnitude. (The softmax cross-entropy and the
// squared error are derived inside the model; docs/model.md gives all three.)
rnl_real rnl_loss_bce_logits(const rnl_real *logits, const rnl_real *targets, int n, rnl_real *dlogits);

// --- Optimizers ---------------------------------------------------------------------------------

typedef enum { RNL_OPTIM_SGD = 0, RNL_OPTIM_MOMENTUM = 1, RNL_OPTIM_ADAM = 2 } rnl_optim;

typedef struct {
    rnl_optim kind;
    float lr;
    float momentum;      // MOMENTUM: v = momentum * v + g; p -= lr * v  (PyTorch's SGD)
    float beta1, beta2, eps;  // ADAM, bias-corrected as in PyTorch
    float weight_decay;  // decoupled (AdamW / SGDW): p -= lr * weight_decay * p
    float clip;          // > 0: clip the global gradient norm to this value
} rnl_optim_config;

typedef struct rnl_optimizer rnl_optimizer;

rnl_optim_config rnl_optim_default(rnl_optim kind);  // lr 1e-3 (Adam) or 0.1, betas .9/.999, eps 1e-8
rnl_status rnl_optim_validate(const rnl_optim_config *oc);
const char *rnl_optim_name(rnl_optim k);             // "sgd", "momentum", "adam"
rnl_status rnl_optimizer_create(rnl_optimizer **out, const rnl_optim_config *oc, size_t n_params);
void rnl_optimizer_destroy(rnl_optimizer *o);
rnl_optim_config *rnl_optimizer_config(rnl_optimizer *o);  // the live config (e.g. to change lr)
long rnl_optimizer_steps(const rnl_optimizer *o);
// Its state (step count and moments) as one block, for checkpoints: count floats.
rnl_real *rnl_optimizer_state(rnl_optimizer *o, size_t *count);
void rnl_optimizer_set_steps(rnl_optimizer *o, long steps);
// Global L2 norm of a gradient block.
double rnl_grad_norm(const rnl_real *g, size_t n);
// Clips (if configured) and applies one update. Writes the norm before clipping to *norm_out.
rnl_status rnl_optimizer_step(rnl_optimizer *o, rnl_real *params, rnl_real *grads, size_t n,
                              double *norm_out);

// --- Training -----------------------------------------------------------------------------------

typedef struct {
    double loss;
    double grad_norm;  // before clipping
    int clipped;       // 1 if clipping scaled the gradient
    double accuracy;   // fraction correct (binary/classes), or NaN for regression
} rnl_step_stats;

// zero_grad + forward + backward + NaN/Inf check + optimizer step. On a non-finite loss or gradient it
// returns RNL_ERR_NUMERIC before touching the parameters, so the last good model is kept.
rnl_status rnl_train_step(rnl_model *m, rnl_optimizer *o, const rnl_batch *b, int bptt_window,
                          rnl_step_stats *st);
// All the memory training needs on batches of (B, T): parameters, gradients, the optimizer's state and
// the work memory. 0 if the configuration is invalid or the size overflows. Not counted: what a sharded
// step adds ("Shards and threads"), a gradient slot of the parameters' size per thread and, past the
// first thread, a worker's work memory for 8 rows.
size_t rnl_training_bytes(const rnl_config *cfg, rnl_optim kind, int B, int T);
// Forward only; loss and accuracy of one batch.
rnl_status rnl_eval_batch(rnl_model *m, const rnl_batch *b, rnl_step_stats *st);

// --- Shards and threads ---------------------------------------------------------------------------
//
// A training step is the fixed-order sum of its shards. Shard s of a batch of B rows is the caller's rows
// [8s, min(B, 8s + 8)) (RNL_SHARD_ROWS): the split depends only on the batch, never on the thread count.
// Each shard's forward and backward writes its own gradient, scaled as its part of the whole batch's mean
// (1 / the batch's loss items) with the dropout masks of the batch's global rows; the shards' gradients
// are then added in shard order 0, 1, ..., S-1, and the step ends as ever (norm, checks, clip, optimizer).
// So a step gives the same bytes on 1, 2 or 16 threads, natively and in WebAssembly, and in a Worker
// replica that computes some shards in another address space: rnl_model_shard_grad there, the blocks
// posted back, rnl_model_apply_shards here. (Against one whole-batch pass the sums run in another order:
// the same gradient to rounding, not the same bits.) Seq2seq models train on whole batches, one thread.
//
//     rnl_shard_grad g[RNL_MAX_BATCH / RNL_SHARD_ROWS] = {{0}};
//     long step = rnl_optimizer_steps(o) + 1;
//     for (int s = 0; s < rnl_shard_count(b.B); s++) rnl_model_shard_grad(m, &b, s, 0, step, &g[s]);
//     rnl_model_apply_shards(m, o, g, rnl_shard_count(b.B), &st);   // == rnl_train_step(m, o, &b, 0, &st)
#define RNL_SHARD_ROWS 8

int rnl_shard_count(int B);  // ceil(B / RNL_SHARD_ROWS); 0 if B < 1

// One shard's gradient and figures as one flat block of bytes that a Worker can post (both ends the same
// build: rnl_real is float in WebAssembly). Layout, offsets in bytes:
//   0: head, 8 doubles: shard index, n_rows, loss sum, loss items, correct, count, fault (1: the shard's
//      loss was NaN or infinite and it has no gradient), 0
//   64: dense, n_dense rnl_real: the gradient of every parameter outside the embedding, in block order
//   then rows, n_rows int32: the embedding rows the shard read, ascending, padded with -1 to 8 bytes
//   then row grads, (n_rows, embed) rnl_real: those rows of the embedding's gradient
// A model without a vocabulary has n_rows 0 and every parameter in dense. {0} is an empty block.
typedef struct {
    uint8_t *data;
    size_t size, cap;
} rnl_shard_grad;
void rnl_shard_grad_free(rnl_shard_grad *g);  // and back to {0}
// Copies a received block in (checked against the model in rnl_model_apply_shards).
rnl_status rnl_shard_grad_set(rnl_shard_grad *g, const uint8_t *bytes, size_t n);

// Forward and backward of shard `shard` of the whole batch b with the dropout masks of optimizer step
// `step` (rnl_optimizer_steps(o) + 1 for the step being taken) into *g. Uses m's gradient block and work
// memory as scratch: a replica's own model will do. A non-finite loss is not an error here: the block
// says so (fault), and rnl_model_apply_shards reports it.
rnl_status rnl_model_shard_grad(rnl_model *m, const rnl_batch *b, int shard, int bptt_window, long step,
                                rnl_shard_grad *g);
// The step from n blocks (n = rnl_shard_count(B), block i of shard i): m's gradient block = their sum in
// order, then the checks, norm, clip and optimizer step of rnl_train_step; st gets the batch's figures.
rnl_status rnl_model_apply_shards(rnl_model *m, rnl_optimizer *o, const rnl_shard_grad *g, int n,
                                  rnl_step_stats *st);
// Threads for training steps (over shards) and the run layer's evaluations (over batches): 1..
// RNL_MAX_THREADS; the plain WebAssembly build always uses 1 (the shared-memory one runs them on Worker
// instances: core/src/threads.c). Results are the same for every count. Each
// thread past the first holds a worker: work memory for (8, T) and a gradient block of the model's size.
rnl_status rnl_model_set_threads(rnl_model *m, int n);
// n batches evaluated (forward, loss, accuracy) on m's threads, batch i's figures into st[i]; each
// thread reads whole batches, so st[] does not depend on the thread count.
rnl_status rnl_model_eval_batches(rnl_model *m, const rnl_batch *b, int n, rnl_step_stats *st);
int rnl_model_threads(const rnl_model *m);
int rnl_cpu_count(void);  // cores online (1 in WebAssembly): the CLI's default thread count

// --- Checkpoints --------------------------------------------------------------------------------

// Format in docs/checkpoint-format.md: magic "RNNLABCK", version, config, parameter block, optional
// optimizer state, optional meta bytes (rnl_model_set_meta), CRC-32. Reading validates every field and size before it allocates or reads.
rnl_status rnl_checkpoint_write(const rnl_model *m, const rnl_optimizer *o, uint8_t **out, size_t *n);
rnl_status rnl_checkpoint_read(const uint8_t *buf, size_t n, rnl_model **m, rnl_optimizer **o);
// Files: written atomically (temporary file + rename), so a failed save never destroys the old one.
rnl_status rnl_checkpoint_save(const rnl_model *m, const rnl_optimizer *o, const char *path);
rnl_status rnl_checkpoint_load(const char *path, rnl_model **m, rnl_optimizer **o);
void rnl_buffer_free(void *p);
uint32_t rnl_crc32(const uint8_t *p, size_t n);

// --- Synthetic tasks ----------------------------------------------------------------------------

typedef enum {
    RNL_TASK_ADDING = 0,  // (value, marker) pairs; target: sum of the two marked values (regression)
    RNL_TASK_COPY = 1,    // remember the first token through a delay (classes)
    RNL_TASK_SINE = 2,    // noisy sine wave, next-step prediction (seq2seq regression)
} rnl_task;

typedef struct {
    rnl_batch batch;      // views into the buffers below
    int32_t *tokens, *lengths;
    rnl_real *inputs, *targets;
    size_t cap_tokens, cap_inputs, cap_targets, cap_lengths;
} rnl_task_data;

void rnl_task_data_init(rnl_task_data *d);
void rnl_task_data_free(rnl_task_data *d);
// Fills `d` with B sequences of length T drawn from `rng`.
rnl_status rnl_task_generate(rnl_task_data *d, rnl_task task, int B, int T, rnl_rng *rng);
const char *rnl_task_name(rnl_task t);  // "adding", "copy", "sine"
rnl_status rnl_task_parse(const char *name, rnl_task *out);
// The model shape a task needs: input kind, head, outputs, seq2seq.
void rnl_task_shape(rnl_task t, rnl_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
