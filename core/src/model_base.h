// model_base.h: what every model kind stands on (rnl_model in model.c, rnl_s2s in seq2seq.c): the parameter
// and gradient blocks with their tensor table, the meta bytes, the work memory (one allocation, one size
// limit), the length sort, the training and evaluation step (train.c), and the checkpoint blocks.
//
// A kind embeds an rnl_base as its FIRST member, so that (rnl_base *)model and back are valid casts (its
// callbacks and its checkpoint file use them), and describes itself once in an rnl_kind. The numeric code
// (forward, backward) stays the kind's own; the base only holds and moves memory around it.
//
// Adding a kind (a Transformer encoder, say) takes no copy of any of this:
//   - a public header: its config and batch, create/destroy, forward/backward, train_step/eval_batch, the
//     checkpoint calls;
//   - its source: a struct with rnl_base first; a parameter layout of rnl_base_add_tensor calls in PyTorch
//     order and names; a workspace layout of rnl_carve calls; forward (batches in rnl_sort_rows order) and
//     backward; its rnl_kind; train_step/eval_batch as rnl_base_train_step/_eval_batch with an rnl_step_out
//     over its stats record;
//   - its checkpoint file: an rnl_ck_format (magic, header size, flags) and its config fields;
//   - then its tests, docs and faces (CLI, WASM adapter, run layer).
#ifndef RNNLAB_MODEL_BASE_H
#define RNNLAB_MODEL_BASE_H

#include <stdint.h>

#include "internal.h"

typedef struct rnl_base rnl_base;

// --- Work memory ----------------------------------------------------------------------------------

// Carves buffers out of one allocation at `base`, or only counts their bytes when base is NULL. Blocks are
// 64-byte aligned for SIMD; sizes are overflow-checked (ok = 0 on overflow, and every later pointer is NULL).
typedef struct {
    char *base;
    size_t used;
    int ok;
} rnl_carver;
void *rnl_carve(rnl_carver *cv, size_t count, size_t elem);

#define RNL_BASE_MAX_DIMS 3  // dimensions of a batch shape: (B, T), (B, S, U)

// What a model kind tells the base. The batch is the kind's own record (rnl_batch, rnl_s2s_batch).
typedef struct {
    const char *name;  // "model", "seq2seq": starts the base's messages
    // The batch shape's dimensions, named for messages: {"sequences", "steps"} reads "4 sequences x 9 steps".
    int n_dims;
    const char *dims[RNL_BASE_MAX_DIMS];
    // Points every buffer of the kind at cv (rnl_carve) for a batch of `shape`; reads only the kind's config.
    void (*layout)(rnl_base *b, rnl_carver *cv, const int *shape);
    rnl_status (*forward)(rnl_base *b, const void *batch, rnl_real *loss);  // loss NULL: no targets
    rnl_status (*backward)(rnl_base *b, int bptt_window);  // += into the gradient block
    void (*accuracy)(const rnl_base *b, double acc[2]);     // of the last forward; acc[1] if the kind has two
    // Sharded training (shards.c), for a kind whose batch is an rnl_batch: its size in bytes (workers are
    // copies of the kind's struct) and the rnl_config that describes its batches (vocab, head, outputs,
    // seq2seq: the batch check, row strides and loss items). NULL io: the kind trains on whole batches.
    size_t size;
    const rnl_config *(*io)(const rnl_base *b);
} rnl_kind;

// The figures of a forward pass as sums, so that shards add up to the whole batch's: the loss summed over
// `items` (what the mean divides by), and `correct` of `count` predictions (rows, or steps of seq2seq).
typedef struct {
    double loss;
    int items, correct, count;
} rnl_sums;

typedef struct rnl_team rnl_team;  // shards.c: the threads and workers of a model

struct rnl_base {
    const rnl_kind *kind;
    size_t n_params;
    rnl_real *params, *grads;  // (n_params) each, in the tensor table's layout
    int n_tensors, max_tensors;
    rnl_tensor_info *tensors;  // (max_tensors) PyTorch state_dict names, in block order
    uint8_t *meta;             // rnl_model_set_meta's bytes, saved in the checkpoint
    size_t meta_n;
    rnl_history_point *history;  // (history_n) the training history, saved in the checkpoint (0: none)
    size_t history_n, history_cap;
    void *ws;                  // the work memory, carved by kind->layout for a batch of cap
    int cap[RNL_BASE_MAX_DIMS];
    long dropout_step;         // >= 1: forward passes draw dropout masks of this optimizer step; 0: none
    // Shards: the forward of rows [row0, row0 + B) of a larger batch draws the dropout masks of global rows
    // row0 + r, and backward scales by 1 / batch_items, the whole batch's items (0: the batch's own).
    int row0, batch_items;
    rnl_sums sums;             // of the last forward, written by the kind
    int trace;                 // the kind records a traced sample: a training step runs its shards here, in order
    int threads;               // training and evaluation threads (rnl_base_set_threads); 0 or 1: one
    rnl_team *team;            // made at the first sharded step; NULL in a worker
};

// The scale of a backward pass: 1 / (the whole batch's items when b is a shard, else `own`).
static inline rnl_real rnl_base_loss_scale(const rnl_base *b, int own) {
    return (rnl_real)1 / (b->batch_items > 0 ? b->batch_items : own);
}

// Room for max_tensors tensors (the parameters come with rnl_base_alloc_params). On failure the base holds
// nothing and rnl_base_free is still safe.
rnl_status rnl_base_init(rnl_base *b, const rnl_kind *kind, int max_tensors);
// Appends a rows x cols tensor named by fmt to the layout and returns its offset in the parameter block.
size_t rnl_base_add_tensor(rnl_base *b, int rows, int cols, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
// The parameter block (uninitialised) and the gradient block (zeros) for the tensors added so far.
rnl_status rnl_base_alloc_params(rnl_base *b);
void rnl_base_free(rnl_base *b);  // everything the base holds; not b itself
void rnl_base_zero_grad(rnl_base *b);
const rnl_tensor_info *rnl_base_tensor(const rnl_base *b, int i);  // NULL if i is out of range
rnl_status rnl_base_set_meta(rnl_base *b, const uint8_t *bytes, size_t n);
rnl_status rnl_base_history_append(rnl_base *b, const rnl_history_point *p);

// Makes the work memory fit a batch of `shape` (grown to the larger of it and the last, never shrunk) and
// lays the kind's buffers over it. Over RNL_MAX_WORKSPACE or out of memory: RNL_ERR_NOMEM, and a message
// naming the limit or the figure.
rnl_status rnl_base_workspace(rnl_base *b, const int *shape);
// Bytes a batch of `shape` needs: kind->layout counted over `scratch` (a kind whose config is set); 0 on
// overflow.
size_t rnl_base_workspace_bytes(rnl_base *scratch, const int *shape);
// memory.c: all the memory training takes: n_params parameters and gradients, the optimizer's state, and
// `work` bytes of work memory (0: too large, and so is the result).
size_t rnl_base_training_bytes(size_t n_params, rnl_optim kind, size_t work);

// Stable sort of B rows by length, longest first: order (B) sorted row -> caller's row, len (B) its length
// (lens NULL: every row is T long). Every kind runs its batches in this order (internal.h, rnl_active_rows).
void rnl_sort_rows(const int32_t *lens, int B, int T, int *order, int *len);

// --- Training and evaluation step (train.c) --------------------------------------------------------

// Where a step's figures go: fields of the kind's public stats record (acc[k] NULL: the kind has no k-th).
typedef struct {
    double *loss, *grad_norm;
    int *clipped;
    double *acc[2];
} rnl_step_out;

// Where the figures go for a kind whose public record is rnl_step_stats (one accuracy).
static inline rnl_step_out rnl_step_out_of(rnl_step_stats *st) {
    return (rnl_step_out){&st->loss, &st->grad_norm, &st->clipped, {&st->accuracy, NULL}};
}

// zero_grad + forward + the loss check + backward + the update (forward and backward with the dropout masks
// of the step it takes, b->dropout_step, which is 0 again afterwards): a loss or gradient norm that is NaN or
// infinite is a numeric fault (RNL_ERR_NUMERIC, with what to try), reported before the update, so the
// parameters stay those of the last good step. out's fields are written once the forward has run.
rnl_status rnl_base_train_step(rnl_base *b, rnl_optimizer *o, const void *batch, int bptt_window,
                               const rnl_step_out *out);
// Forward only: loss and accuracies (grad_norm NaN, clipped 0).
rnl_status rnl_base_eval_batch(rnl_base *b, const void *batch, const rnl_step_out *out);
// The end of every training step, whole or sharded: the gradient norm and its check, the clip flag and
// the optimizer step (train.c).
rnl_status rnl_base_finish_step(rnl_base *b, rnl_optimizer *o, long step, const rnl_step_out *out);
rnl_status rnl_base_check_finite(long step, const char *what, double value);

// --- Shards and threads (shards.c; rnnlab.h "Shards and threads" says what a shard is) ------------------

// A training step over the kind's shards on b's threads: rnl_base_shard_grad for every shard, then
// rnl_base_apply_shards. Kinds with io only.
rnl_status rnl_base_train_shards(rnl_base *b, rnl_optimizer *o, const rnl_batch *batch, int bptt_window,
                                 const rnl_step_out *out);
rnl_status rnl_base_shard_grad(rnl_base *b, const rnl_batch *batch, int shard, int bptt_window, long step,
                               rnl_shard_grad *g);
rnl_status rnl_base_apply_shards(rnl_base *b, rnl_optimizer *o, const rnl_shard_grad *g, int n,
                                 const rnl_step_out *out);
rnl_status rnl_base_set_threads(rnl_base *b, int n);
int rnl_base_team_threads(const rnl_base *b);  // the threads b runs on (1 in WebAssembly)
void rnl_team_destroy(rnl_team *t);  // rnl_base_free calls it
// Evaluation over many batches on b's threads: eval(ctx, worker, thread, i) evaluates batch i with the
// worker's work memory (a copy of b sharing its parameters; thread 0 uses b itself) and keeps its figures
// apart; the caller sums them in batch order, so they do not depend on the thread count.
typedef rnl_status (*rnl_batch_eval_fn)(void *ctx, rnl_base *worker, int thread, int i);
rnl_status rnl_base_eval_parallel(rnl_base *b, int n_batches, rnl_batch_eval_fn eval, void *ctx);
// n batches on b's threads, batch i's figures into outs[i].
rnl_status rnl_base_eval_batches(rnl_base *b, const rnl_batch *batches, int n, const rnl_step_out *outs);
// The same into n rnl_step_stats (rnl_model_eval_batches, rnl_tf_eval_batches).
rnl_status rnl_base_eval_batches_stats(rnl_base *b, const rnl_batch *batches, int n, rnl_step_stats *st);

// --- Checkpoint blocks ------------------------------------------------------------------------------

// Every checkpoint format (checkpoint.c, s2s_checkpoint.c; docs/checkpoint-format.md, docs/seq2seq.md) is
//   magic (8) | version u32 | flags u32 | the kind's fields, from byte 16 | parameter count u64 at header-56 |
//   optimizer block (48) at header-48 | from header: f32 parameters, f32 optimizer state |
//   [meta length u64, meta bytes] | [history count u64, 24-byte points] | CRC-32 of every byte before it
// The optimizer block: kind (i32, -1 without an optimizer), lr, momentum, beta1, beta2, eps, weight decay,
// clip (f32 each), steps (u64), number of state values (u64). Fields are little-endian (bytes.h).
typedef struct {
    const char *what;        // "checkpoint", "seq2seq checkpoint": starts every message
    const char *magic;       // 8 bytes
    const char *other_magic; // the 8-byte magic of a file often given instead, or NULL ...
    const char *other_is;    // ... and what to say then: "this is a prepared data file, not a model checkpoint"
    uint32_t version, header;
    uint32_t flag_optim, flag_meta, flags_kind;  // flag bits: optimizer, meta bytes (0: never), the kind's own
    uint32_t flag_history;   // the training history block (0: never)
} rnl_ck_format;

// Allocates the checkpoint of b (with o's settings and state, if o is non-NULL, and b's meta bytes) into
// *out (*n bytes) and fills all but the kind's fields and the CRC: write those, then rnl_ck_seal.
rnl_status rnl_ck_begin(const rnl_ck_format *f, const rnl_base *b, rnl_optimizer *o, uint32_t flags_kind,
                        uint8_t **out, size_t *n);
void rnl_ck_seal(uint8_t *buf, size_t n);

// What rnl_ck_check found after the kind's fields.
typedef struct {
    uint32_t flags;
    uint64_t np, ns;         // parameters, optimizer state values
    rnl_optim_config oc;     // the optimizer's settings, if flagged
    size_t meta_at, meta_n;  // the meta length field's offset, and the meta bytes (0: none)
    size_t hist_at, hist_n;  // the history count field's offset, and the points (0: none)
} rnl_ck_body;

// Reading is in three steps, so that nothing is allocated before every field and size is checked:
// rnl_ck_open (magic, header size, version, flags into *flags); the kind reads and checks its fields;
// rnl_ck_check (parameter count against expect_np, optimizer block, total size, meta, CRC, finite values);
// the kind creates its model; rnl_ck_load (parameters, the optimizer if o_out, meta). On a failing
// rnl_ck_load the kind destroys its model; nothing else is left allocated.
rnl_status rnl_ck_open(const rnl_ck_format *f, const uint8_t *b, size_t n, uint32_t *flags);
rnl_status rnl_ck_check(const rnl_ck_format *f, const uint8_t *b, size_t n, uint32_t flags, size_t expect_np,
                        rnl_ck_body *body);
rnl_status rnl_ck_load(const rnl_ck_format *f, const uint8_t *b, const rnl_ck_body *body, rnl_base *m,
                       rnl_optimizer **o_out);

// Files: writes buf (then frees it) atomically; reads a whole file no larger than the format allows.
rnl_status rnl_ck_save_file(const rnl_ck_format *f, const char *path, uint8_t *buf, size_t n);
rnl_status rnl_ck_read_file(const rnl_ck_format *f, const char *path, uint8_t **buf, size_t *n);

#endif
