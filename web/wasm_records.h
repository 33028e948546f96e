// wasm_records.h: the records that cross between web/wasm_api.c and web/rnnlab.js. Each is a C struct,
// the core's own where one fits (rnl_config, rnl_imdb_config, ...) or one of the adapter's below, and each
// is described once, as a field table in wasm_records.c; the wrapper reads and writes them by field name
// (web/lib/records.js), never by position. Records are passed by pointer into memory the wrapper owns (its
// record slots), outputs first; pointers inside a record stay valid until the next call into the module.
#ifndef RNLW_RECORDS_H
#define RNLW_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "rnnlab.h"
#include "rnnlab_data.h"
#include "rnnlab_run.h"
#include "rnnlab_seq2seq.h"
#include "rnnlab_transformer.h"
#include "rnnlab_inspect.h"

// --- Field tables ---------------------------------------------------------------------------------

typedef enum {
    RNLW_I32, RNLW_U32,
    RNLW_F32, RNLW_F64, RNLW_U64,
    RNLW_BOOL,           // an int, 0 or 1
    RNLW_ENUM,           // an int, read as its name from the name list `names` ("cell", "head", ...)
    RNLW_STR,            // const char *, NULL or NUL-terminated
    RNLW_CHARS           // char[count], NUL-terminated inside
} rnlw_type;
// size_t and pointers: 32-bit in the module (a native build of the tables, for a test, gets 64).
#define RNLW_SIZE (sizeof(size_t) == 4 ? RNLW_U32 : RNLW_U64)

typedef struct {
    const char *name;   // C field name; the wrapper's key is its camelCase
    rnlw_type type;
    size_t offset;      // offsetof
    int count;          // > 1: an array (for CHARS: the array's size)
    const char *names;  // ENUM: which name list
} rnlw_field;

typedef struct {
    const char *name;
    size_t size;
    const rnlw_field *fields;
    int n_fields;
} rnlw_record;

int rnlw_record_count(void);
const rnlw_record *rnlw_record_at(int i);
// Every table as one JSON object (built once): what the wrapper reads at load.
const char *rnlw_records(void);

// --- The adapter's records (the core's structs are described as they are) -------------------------

// "training_defaults": a model kind's run defaults, and the batch size a split is evaluated in.
typedef struct {
    rnl_run_defaults defaults;
    int eval_batch;
} rnlw_run_defaults;

// "model_info": what a model's configuration does not say.
typedef struct {
    size_t params;  // parameters in the block
    int tensors;    // named tensors (rnlw_tensor)
} rnlw_model_info;

// "optimizer": an optimizer's settings and, read back, its step count.
typedef struct {
    rnl_optim_config config;
    double steps;
} rnlw_optimizer;

// "progress": a chunk of training steps (or one step, one evaluation): the last step's figures, then
// the chunk's. NaN where a figure does not apply (accuracy for regression, grad_norm in evaluation).
typedef struct {
    double loss, grad_norm;
    int clipped;
    double accuracy;      // recurrent: accuracy; seq2seq: teacher-forced token accuracy
    double seq_accuracy;  // seq2seq: teacher-forced sequence accuracy
    double steps;         // optimizer steps done in all
    double mean_loss;     // over the chunk
    int n_clipped;        // steps of the chunk that clipped
    int done;             // steps the chunk ran (also after a failure: those before it)
    double lr;            // the learning rate of the chunk's last step (its schedule's; NaN if none ran)
} rnlw_progress;

// "split_eval": loss and accuracy over a whole split (accuracy NaN for a series).
typedef struct {
    double loss, accuracy;
    int count;
} rnlw_split_eval;

// "s2s_eval": held-out seq2seq batches: teacher-forced loss and accuracies, then greedy ones.
typedef struct {
    double loss, tf_token_accuracy, tf_seq_accuracy, token_accuracy, seq_accuracy;
} rnlw_s2s_scores;

// "dataset_info": a dataset's description.
typedef struct {
    int text;                // 1: reviews (binary sentiment), 0: a series
    int n_train, n_val, n_test;
    int vocab, max_len, keep_end;    // text
    int window, horizon;             // series
    double mean, std;
    int n_values;
    uint64_t seed;           // of the selection (text)
    const char *column;      // series: the column read
    int val_by_movie;        // text: validation holds whole movies
} rnlw_dataset_desc;

// "batch": a batch the core made (a task's, a dataset's): pointers (NULL when absent) and value counts.
typedef struct {
    const int32_t *tokens;
    const rnl_real *inputs;
    const int32_t *lengths;
    const rnl_real *targets;
    int n_tokens, n_inputs, n_targets;
    int T;
    int B;  // rows (0: no batch, as past an epoch order's end)
} rnlw_batch_view;

// "span": values the module hands back (bytes, floats, ids): where and how many.
typedef struct {
    const void *data;
    size_t n;
} rnlw_span;

// "trace": a traced sample's (steps, width) values.
typedef struct {
    const rnl_real *data;
    int steps, width;
} rnlw_trace_view;

// "imdb_counts": reviews an IMDB reader has seen, per split and label.
typedef struct {
    int train_neg, train_pos, test_neg, test_pos, unsup;
} rnlw_imdb_tally;

// "example": example i of a text dataset.
typedef struct {
    const int32_t *ids;
    int length, label, rating;
    uint32_t id;
} rnlw_example;

// "text_prediction": the sentiment of a text, and after each word (NULL for a bidirectional model).
typedef struct {
    double probability;
    const int32_t *ids;
    int length;
    const rnl_real *step_probabilities;
} rnlw_text_prediction;

// "decoded": a greedy decoding: source and output tokens, the (n_out, n_src) attention weights.
typedef struct {
    const int32_t *src, *out;
    const rnl_real *attention;
    int n_src, n_out;
    int stopped_at_eos;  // 1 if the output ends with <eos> (else it stopped at max_len)
} rnlw_decoded;

// "s2s_info": a seq2seq model's task, configuration and size.
typedef struct {
    rnl_s2s_task_config task;
    rnl_s2s_config config;
    size_t params;
} rnlw_s2s_desc;

// "s2s_options": what createSeq2Seq was given; < 0 (NaN for forget_bias): the default.
typedef struct {
    int task, length, min_len, max_len, symbols;
    int enc_cell, dec_cell;  // dec_cell < 0: as enc_cell
    int hidden, embed, layers, bidirectional, attention, attn_width;
    float forget_bias;
} rnlw_s2s_options;

// "tf_info": a Transformer encoder's configuration and size.
typedef struct {
    rnl_tf_config config;
    size_t params;
    int tensors;
} rnlw_tf_desc;

// "tf_options": what createTransformer was given; < 0: the default (task < 0: none).
typedef struct {
    int task, vocab, input_size, hidden, heads, layers, ffn, positions, head, outputs;
} rnlw_tf_options;
// "best": the best epoch so far of a run with keepBest (rnl_run_best) and what the last epoch did.
typedef struct {
    int epoch;               // 0 before any
    double step;             // optimizer steps at its end
    double loss, accuracy;   // its validation figures (accuracy NaN for a series)
    int stale, patience;     // epochs since it; the patience (0: never stop)
    int improved, stop;      // the last epoch became the best; patience used up
    double val_loss, val_accuracy;  // the last epoch's own validation figures
} rnlw_best;
// --- Inspection (wasm_inspect.c) ----------------------------------------------------------------------
// "unit_step": rnl_unit_step (rnnlab_inspect.h), one unit at one step of a walk.
// "history_point": rnl_history_point (rnnlab.h), one logged training step.

// "inspect_step": one step of a walk: P(positive) after it, h_t's point on the state map, and the backward
// view (rnl_grad_paths' norms).
typedef struct {
    double positive, x, y;
    double grad_h, grad_c, to_prev_h;
    double path[2];
} rnlw_inspect_step;

// "walk": a review read word by word (rnlw_inspect_text); arrays valid until the next call.
typedef struct {
    const int32_t *ids;               // (length) token ids
    const rnlw_inspect_step *steps;   // (length)
    const rnl_unit_step *units;       // (length, n_units), the chosen units of `layer`
    int length, n_units, layer, n_paths;
    const char *path0, *path1;        // the paths' names: "W_hh"; "direct", "gates"; "cell", "gates"
    double probability;               // P(positive) of the whole text
    double explained[2];              // share of the state variance each map axis explains
    int fitted_on_data;               // 1: the map was fitted over a dataset's reviews (cloud below); 0: the text's own states
    const double *cloud;              // (cloud_n, 2) the reviews' final states on the map
    const int32_t *cloud_labels;      // (cloud_n)
    int cloud_n;
} rnlw_walk_view;

// "word_map": rnl_word_map laid out for the wrapper (arrays valid until the next call).
typedef struct {
    int n;
    const int32_t *ids;
    const double *pca, *readout;  // (n, 2) each
    const double *effect, *prob;  // (n) each
    double sep_pca, sep_readout;
    int best_readout;             // 1: the readout map separates better (against the data when given, else the effect)
    // With the model's data set: |correlation| of each map's x with the words' polarity in its training
    // reviews (rnl_word_polarity, rnl_word_map_against); NaN without one.
    double data_sep_pca, data_sep_readout;
} rnlw_word_map_view;

// "neighbours": nearest words by cosine (rnl_nearest_words).
typedef struct {
    const int32_t *ids;
    const double *cos;
    int found;
} rnlw_neighbours_view;

#endif
