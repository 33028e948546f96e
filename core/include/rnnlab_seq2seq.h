// rnnlab_seq2seq.h: sequence-to-sequence encoder-decoder models with attention, in the same core as
// rnnlab.h (same errors, rng, tensor table, optimizers and checkpoint principles). Equations: docs/seq2seq.md.
//
// A worked example: learn to reverse sequences of 10 symbols, then decode one.
//
//     rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_REVERSE);   // lengths 5..10
//     rnl_s2s_config cfg = rnl_s2s_config_default();
//     rnl_s2s_task_shape(&tc, &cfg);                   // vocabularies of the task
//     cfg.enc_cell = cfg.dec_cell = RNL_CELL_GRU; cfg.enc_hidden = 32; cfg.attention = RNL_ATTN_DOT;
//     rnl_s2s *m;
//     if (rnl_s2s_create(&m, &cfg, 42) != RNL_OK) die(rnl_last_error());
//     rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
//     oc.lr = 3e-3f; oc.clip = 1.0f;
//     rnl_optimizer *opt; rnl_optimizer_create(&opt, &oc, rnl_s2s_num_params(m));
//     rnl_s2s_task_data d; rnl_s2s_task_data_init(&d);
//     rnl_rng rng; rnl_rng_seed(&rng, 1);
//     for (int step = 0; step < 1000; step++) {
//         rnl_s2s_task_generate(&d, &tc, 64, &rng);
//         rnl_s2s_stats st;
//         if (rnl_s2s_train_step(m, opt, &d.batch, &st) != RNL_OK) die(rnl_last_error());
//     }
//     int32_t src[16], out[16], n_out; int n_src;
//     rnl_s2s_task_encode(&tc, "abcdef", src, 16, &n_src);        // text -> source tokens
//     int32_t lens[1] = {n_src};
//     rnl_s2s_batch one = {.B = 1, .S = n_src, .src = src, .src_len = lens};
//     rnl_s2s_decode(m, &one, 16, out, &n_out, NULL);            // greedy: "fedcba" + <eos>
//     int steps, width;
//     const rnl_real *a = rnl_s2s_attention(m, 0, &steps, &width);  // (steps, n_src) weights
//
// Conventions:
// - Token ids 0 = <pad>, 1 = <bos>, 2 = <eos> in both vocabularies; a task's symbols start at 3.
// - Batches are batch-major: sources (B, S) and targets (B, U) with their lengths; a target ends with its
//   <eos> (counted in its length). Entries past a length are padding and never read.
// - The decoder is trained with teacher forcing: at step t its input is y_{t-1}, with y_{-1} = <bos>.
// - One parameter block and one gradient block of the same layout (rnl_s2s_tensor names them, after
//   PyTorch's state_dict), so rnl_optimizer trains it as it trains an rnl_model.
#ifndef RNNLAB_SEQ2SEQ_H
#define RNNLAB_SEQ2SEQ_H

#include "rnnlab.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RNL_S2S_PAD 0
#define RNL_S2S_BOS 1
#define RNL_S2S_EOS 2
#define RNL_S2S_FIRST_SYMBOL 3

// Work memory of one batch (checked before it is allocated): rnnlab.h's limit for every model kind.
#define RNL_S2S_MAX_WORKSPACE RNL_MAX_WORKSPACE

// --- Configuration ------------------------------------------------------------------------------

typedef enum {
    RNL_ATTN_NONE = 0,      // plain encoder-decoder: logits = W_out s_t + b_out
    RNL_ATTN_DOT = 1,       // Luong dot product: score_j = s_t . h_j
    RNL_ATTN_ADDITIVE = 2,  // Bahdanau scoring: score_j = v . tanh(W_q s_t + W_k h_j)
} rnl_attn;

typedef struct {
    int src_vocab, tgt_vocab;  // Vs, Vt: including the 3 special tokens (>= 4)
    int embed;                 // E: width of both embeddings
    rnl_cell enc_cell;
    int enc_hidden;            // H per direction; the decoder's width is Hd = De = H x directions
    int enc_layers;            // 1..RNL_MAX_LAYERS; the decoder starts from the top layer's final state
    int bidirectional;         // 0 or 1
    rnl_cell dec_cell;
    rnl_attn attention;
    int attn_width;            // A, additive attention only; 0 = Hd
    float forget_bias;         // LSTM forget-gate bias at init, encoder and decoder (default 1)
} rnl_s2s_config;

rnl_s2s_config rnl_s2s_config_default(void);  // GRU/GRU, hidden 32, embed 16, 1 layer, dot attention
// Checks every field against its range and the hard limits; the message names the field.
rnl_status rnl_s2s_config_validate(const rnl_s2s_config *cfg);
size_t rnl_s2s_config_num_params(const rnl_s2s_config *cfg);  // 0 if the configuration is invalid
const char *rnl_attn_name(rnl_attn a);                        // "none", "dot", "additive"
rnl_status rnl_attn_parse(const char *name, rnl_attn *out);

// --- Batches ------------------------------------------------------------------------------------

typedef struct {
    int B, S, U;             // sequences, source steps, target steps (U unused by rnl_s2s_decode)
    const int32_t *src;      // (B, S) source token ids
    const int32_t *src_len;  // (B) each in 1..S; NULL = all S
    const int32_t *tgt;      // (B, U) target token ids ending with <eos>; NULL for decoding
    const int32_t *tgt_len;  // (B) each in 1..U, <eos> included; NULL = all U
} rnl_s2s_batch;

// --- Models -------------------------------------------------------------------------------------

typedef struct rnl_s2s rnl_s2s;

// Parameters initialised like rnl_model_create (Glorot uniform, orthogonal recurrent gate blocks, zero
// biases but the LSTM forget gate, embeddings uniform(-0.05, 0.05)), all from one rnl_rng seeded with `seed`.
rnl_status rnl_s2s_create(rnl_s2s **out, const rnl_s2s_config *cfg, uint64_t seed);
void rnl_s2s_destroy(rnl_s2s *m);
const rnl_s2s_config *rnl_s2s_get_config(const rnl_s2s *m);
size_t rnl_s2s_num_params(const rnl_s2s *m);
rnl_real *rnl_s2s_params(rnl_s2s *m);
rnl_real *rnl_s2s_grads(rnl_s2s *m);
int rnl_s2s_num_tensors(const rnl_s2s *m);
const rnl_tensor_info *rnl_s2s_tensor(const rnl_s2s *m, int i);  // NULL if i is out of range
void rnl_s2s_zero_grad(rnl_s2s *m);
// Bytes of work memory a batch of this shape needs (0 if the shape or configuration is invalid).
size_t rnl_s2s_workspace_bytes(const rnl_s2s_config *cfg, int B, int S, int U);

// Teacher-forced forward pass: logits of every real target step, the mean cross-entropy over the real
// target tokens (`loss` may be NULL), accuracies, attention weights; keeps what backward needs.
rnl_status rnl_s2s_forward(rnl_s2s *m, const rnl_s2s_batch *b, rnl_real *loss);
// Backward through decoder, attention and encoder for the last forward: accumulates (+=) into the grads.
rnl_status rnl_s2s_backward(rnl_s2s *m);
// Logits of the last forward, batch-major (B, U, Vt), zeros at padding steps; NULL unless the last
// pass was a forward (rnl_s2s_decode's logits are not kept).
const rnl_real *rnl_s2s_logits(const rnl_s2s *m);

typedef struct {
    double loss;            // mean cross-entropy per real target token (teacher forcing)
    double grad_norm;       // train step: global norm before clipping; NaN otherwise
    int clipped;            // train step: 1 if clipping scaled the gradient
    double token_accuracy;  // teacher forcing: argmax == target, over the real target tokens
    double seq_accuracy;    // teacher forcing: sequences whose every real token is right
} rnl_s2s_stats;

// zero_grad + forward + backward + NaN/Inf checks + rnl_optimizer_step (with its clipping). A non-finite
// loss or gradient returns RNL_ERR_NUMERIC before the update, as rnl_train_step does.
rnl_status rnl_s2s_train_step(rnl_s2s *m, rnl_optimizer *o, const rnl_s2s_batch *b, rnl_s2s_stats *st);
rnl_status rnl_s2s_eval_batch(rnl_s2s *m, const rnl_s2s_batch *b, rnl_s2s_stats *st);

// Greedy decoding of b's sources (its targets are ignored): at each step the argmax is fed back, until
// <eos> or max_len tokens. out_tokens (B, max_len): each output, <eos> included, then <pad>; out_len (B):
// tokens written. attn (B, max_len, S), if non-NULL: the attention weights of each output step over the
// source, zeros past the output or the source (and all zeros without attention).
rnl_status rnl_s2s_decode(rnl_s2s *m, const rnl_s2s_batch *b, int max_len, int32_t *out_tokens,
                          int32_t *out_len, rnl_real *attn);
// Greedy decoding of b's sources compared with its targets: token accuracy over the real target positions
// (a missing token is wrong) and sequence accuracy (the output equals the target, <eos> included).
rnl_status rnl_s2s_greedy_accuracy(rnl_s2s *m, const rnl_s2s_batch *b, int max_len, double *token_acc,
                                   double *seq_acc);

// --- Introspection for teaching -----------------------------------------------------------------

// Attention weights of one sample (caller's index) after the last forward or decode: (steps, src_len)
// row-major, output step x input step; steps = its target length (forward) or output length (decode).
// NULL without attention, before any pass, or for a bad sample. Valid until the next call on m.
const rnl_real *rnl_s2s_attention(rnl_s2s *m, int sample, int *steps, int *src_len);

// --- Checkpoints --------------------------------------------------------------------------------

// Format in docs/seq2seq.md: magic "RNNLABS2", version, configuration, the task it was made for (optional),
// parameter block, optional optimizer state, CRC-32. Reading validates every field before it allocates.
typedef enum { RNL_S2S_TASK_REVERSE = 0, RNL_S2S_TASK_DATES = 1 } rnl_s2s_task;

typedef struct {
    rnl_s2s_task task;
    int min_len, max_len;  // reverse: source lengths (targets are one longer: <eos>); dates: fixed, informative
    int symbols;           // reverse: distinct symbols, 1..26 (shown as letters a, b, ...); dates: unused
} rnl_s2s_task_config;

rnl_status rnl_s2s_checkpoint_write(const rnl_s2s *m, const rnl_optimizer *o, const rnl_s2s_task_config *task,
                                    uint8_t **out, size_t *n);  // free *out with rnl_buffer_free
// task_out may be NULL; *has_task says whether the checkpoint names one.
rnl_status rnl_s2s_checkpoint_read(const uint8_t *buf, size_t n, rnl_s2s **m, rnl_optimizer **o,
                                   rnl_s2s_task_config *task_out, int *has_task);
// Files: written atomically (temporary file + rename). Not in builds with RNL_NO_FILES.
rnl_status rnl_s2s_checkpoint_save(const rnl_s2s *m, const rnl_optimizer *o, const rnl_s2s_task_config *task,
                                   const char *path);
rnl_status rnl_s2s_checkpoint_load(const char *path, rnl_s2s **m, rnl_optimizer **o,
                                   rnl_s2s_task_config *task_out, int *has_task);

// --- Tasks --------------------------------------------------------------------------------------
//   reverse: random symbols (tokens 3..3+symbols-1), length uniform in min_len..max_len; target: the
//            sequence reversed, then <eos>. Vs = Vt = symbols + 3.
//   dates:   a date drawn uniformly from 1950-01-01..2049-12-31, written in one of 10 human formats
//            ("3 May 1998", "May 3, 1998", "03.05.1998", "sunday 3 may 1998", "3 MAY 98", ...), one
//            token per character; target: ISO "1998-05-03" then <eos>. Vocabularies in docs/seq2seq.md.

typedef struct {
    rnl_s2s_batch batch;  // views into the buffers below
    int32_t *src, *tgt, *src_len, *tgt_len;
    size_t cap_src, cap_tgt, cap_len;
} rnl_s2s_task_data;

rnl_s2s_task_config rnl_s2s_task_default(rnl_s2s_task t);  // reverse: lengths 5..10, 10 symbols
rnl_status rnl_s2s_task_validate(const rnl_s2s_task_config *tc);
const char *rnl_s2s_task_name(rnl_s2s_task t);  // "reverse", "dates"
rnl_status rnl_s2s_task_parse(const char *name, rnl_s2s_task *out);
// Sets src_vocab and tgt_vocab for the task.
void rnl_s2s_task_shape(const rnl_s2s_task_config *tc, rnl_s2s_config *cfg);
// The longest source and target (with <eos>) the task generates.
int rnl_s2s_task_max_source(const rnl_s2s_task_config *tc);
int rnl_s2s_task_max_target(const rnl_s2s_task_config *tc);

void rnl_s2s_task_data_init(rnl_s2s_task_data *d);
void rnl_s2s_task_data_free(rnl_s2s_task_data *d);
// Fills d with B examples drawn from rng, padded to the batch's longest source and target.
rnl_status rnl_s2s_task_generate(rnl_s2s_task_data *d, const rnl_s2s_task_config *tc, int B, rnl_rng *rng);

// Text to source tokens (reverse: letters a.. for the symbols; dates: characters of the source
// vocabulary). Fails naming the first character the task cannot read, or if more than cap tokens.
rnl_status rnl_s2s_task_encode(const rnl_s2s_task_config *tc, const char *text, int32_t *tokens, int cap, int *n);
// The right answer the task pairs with an input text, as target text: reverse: the symbols reversed (any
// length); dates: the ISO date ("1998-05-03") of an input written exactly as one of the task's formats
// writes a date of its range. Returns 1 and writes out (NUL-terminated, truncated to cap - 1), or 0 when
// the task never pairs this text with an answer (a character it cannot read, a date in none of its
// formats, a day outside 1950..2049); out is then "".
int rnl_s2s_task_answer(const rnl_s2s_task_config *tc, const char *text, char *out, size_t cap);
// Tokens of one side (0 = source, 1 = target) to text, stopping at <eos>; other special tokens and
// out-of-range ids are written as <pad>, <bos>, <?>. Always NUL-terminates (truncates to cap - 1);
// returns the length of the full text.
size_t rnl_s2s_task_decode_text(const rnl_s2s_task_config *tc, int side, const int32_t *tokens, int n, char *out,
                                size_t cap);

#ifdef __cplusplus
}
#endif
#endif
