// rnnlab_transformer.h: a small Transformer encoder, the third model kind of the core beside the recurrent
// models (rnnlab.h) and the encoder-decoders (rnnlab_seq2seq.h): same errors, rng, batches (rnl_batch),
// tensor table, optimizers, step stats and checkpoint principles. Equations: docs/model.md ("Transformer").
//
// A worked example: the adding problem with a 2-layer, 4-head encoder.
//
//     rnl_tf_config cfg = rnl_tf_config_default();
//     cfg.input_size = 2; cfg.d_model = 32; cfg.heads = 4; cfg.layers = 2; cfg.ffn = 64;
//     cfg.head = RNL_HEAD_REGRESSION;
//     rnl_tf *m;
//     if (rnl_tf_create(&m, &cfg, 42) != RNL_OK) die(rnl_last_error());
//     rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
//     rnl_optimizer *opt; rnl_optimizer_create(&opt, &oc, rnl_tf_num_params(m));
//     rnl_task_data d; rnl_task_data_init(&d);
//     rnl_rng rng; rnl_rng_seed(&rng, 1);
//     for (int step = 0; step < 1000; step++) {
//         rnl_task_generate(&d, RNL_TASK_ADDING, 32, 50, &rng);
//         rnl_step_stats st;
//         if (rnl_tf_train_step(m, opt, &d.batch, &st) != RNL_OK) die(rnl_last_error());
//     }
//
// The model, in PyTorch's terms (tests/golden/gen_golden_transformer.py builds exactly this):
//   x_0 = embedding(tokens) or input(features), + sinusoidal positions (unless positions is NONE)
//   x_{l+1} = nn.TransformerEncoderLayer(d_model, heads, ffn, dropout=0, activation="relu",
//                                        batch_first=True, norm_first=True)(x_l, src_key_padding_mask)
//   y = head(mean over the real positions of norm(x_N))
// Pre-LN (norm_first) because it trains without a learning-rate warm-up at the Adam rates the lab uses
// for the RNNs; the final LayerNorm "norm" is what pre-LN needs so that the head reads normalised values.
// Padded positions are never computed: the core packs the real positions of every sequence one after
// another, so a padded key cannot take part in any attention row (PyTorch's key-padding mask, exactly).
#ifndef RNNLAB_TRANSFORMER_H
#define RNNLAB_TRANSFORMER_H

#include "rnnlab.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RNL_TF_POS_NONE = 0,        // no positions: the encoder sees a bag of words ("break it")
    RNL_TF_POS_SINUSOIDAL = 1,  // sin/cos of t / 10000^(2i/D), added to the embedding; no parameters
} rnl_tf_positions;

typedef struct {
    int vocab;          // > 0: inputs are token ids into an embedding of width d_model
    int input_size;     // used when vocab == 0: real-valued features per step, projected by "input"
    int d_model;        // D: the width of every position's vector (the CLI's --hidden; limit "hidden")
    int heads;          // h: attention heads, each of width D / h (limit "heads"; must divide D)
    int layers;         // encoder layers (limit "layers")
    int ffn;            // F: feed-forward width (limit "ffn")
    rnl_tf_positions positions;
    rnl_head head;      // as rnl_config: binary, classes or regression, over the mean of the real positions
    int outputs;        // BINARY: 1; CLASSES: classes; REGRESSION: values per target
} rnl_tf_config;

// 2 layers, D 64, 4 heads, F 128, sinusoidal positions, binary head; no inputs set.
rnl_tf_config rnl_tf_config_default(void);
// Every field against its limit; the message names it ("config: heads is 3, must divide hidden (64)").
rnl_status rnl_tf_config_validate(const rnl_tf_config *cfg);
uint64_t rnl_tf_config_num_params(const rnl_tf_config *cfg);  // UINT64_MAX if even 64 bits overflow
// What the model reads and predicts as an rnl_config (vocab, embed = D, input_size, head, outputs,
// seq2seq 0), for the fit checks the recurrent models have (rnnlab_run.h, rnnlab_data.h).
rnl_config rnl_tf_io_config(const rnl_tf_config *cfg);
const char *rnl_tf_positions_name(rnl_tf_positions p);  // "none", "sinusoidal"

typedef struct rnl_tf rnl_tf;

// Initialised as PyTorch initialises the same modules: Xavier uniform in_proj_weight and head, zero
// in_proj_bias and out_proj.bias, U(+-1/sqrt(fan_in)) for the other linear weights and biases, LayerNorms
// 1 and 0, embedding N(0, 1); all from one rnl_rng seeded with `seed`.
rnl_status rnl_tf_create(rnl_tf **out, const rnl_tf_config *cfg, uint64_t seed);
void rnl_tf_destroy(rnl_tf *m);
const rnl_tf_config *rnl_tf_get_config(const rnl_tf *m);
size_t rnl_tf_num_params(const rnl_tf *m);
rnl_real *rnl_tf_params(rnl_tf *m);
rnl_real *rnl_tf_grads(rnl_tf *m);
int rnl_tf_num_tensors(const rnl_tf *m);
const rnl_tensor_info *rnl_tf_tensor(const rnl_tf *m, int i);  // NULL if out of range
void rnl_tf_zero_grad(rnl_tf *m);
// The data description kept with the model (as rnl_model_set_meta).
rnl_status rnl_tf_set_meta(rnl_tf *m, const uint8_t *bytes, size_t n);
const uint8_t *rnl_tf_meta(const rnl_tf *m, size_t *n);
// Bytes of work memory a batch of B x T needs (0: invalid or overflowing); all the memory training takes.
size_t rnl_tf_workspace_bytes(const rnl_tf_config *cfg, int B, int T);
size_t rnl_tf_training_bytes(const rnl_tf_config *cfg, rnl_optim kind, int B, int T);

// Forward: predictions and the mean loss (loss NULL: no targets needed), keeping what backward needs.
// Sequence-to-one only: batches with targets (B) or (B, outputs) as rnl_batch says for seq2seq == 0.
rnl_status rnl_tf_forward(rnl_tf *m, const rnl_batch *b, rnl_real *loss);
// Backward for the last forward with targets: accumulates (+=) into the gradient block.
rnl_status rnl_tf_backward(rnl_tf *m);
// Predictions of the last forward, (B, outputs), batch-major (as rnl_model_predictions).
const rnl_real *rnl_tf_predictions(const rnl_tf *m);
// Attention weights of one sequence of the last forward: (len, len), row = query position, column = key
// position, rows sum to 1. NULL if there was no forward or an index is out of range.
const rnl_real *rnl_tf_attention(const rnl_tf *m, int layer, int head, int sample, int *len);

rnl_status rnl_tf_train_step(rnl_tf *m, rnl_optimizer *o, const rnl_batch *b, rnl_step_stats *st);
rnl_status rnl_tf_eval_batch(rnl_tf *m, const rnl_batch *b, rnl_step_stats *st);
// Shards and threads as for rnl_model (rnnlab.h, "Shards and threads").
rnl_status rnl_tf_shard_grad(rnl_tf *m, const rnl_batch *b, int shard, long step, rnl_shard_grad *g);
rnl_status rnl_tf_apply_shards(rnl_tf *m, rnl_optimizer *o, const rnl_shard_grad *g, int n, rnl_step_stats *st);
rnl_status rnl_tf_set_threads(rnl_tf *m, int n);
rnl_status rnl_tf_eval_batches(rnl_tf *m, const rnl_batch *b, int n, rnl_step_stats *st);
int rnl_tf_threads(const rnl_tf *m);

// Checkpoints (docs/checkpoint-format.md, "Transformer"): magic "RNNLABTF", the configuration, the
// parameter block, the optional optimizer state and meta bytes, CRC-32; checked before anything is allocated.
rnl_status rnl_tf_checkpoint_write(const rnl_tf *m, const rnl_optimizer *o, uint8_t **out, size_t *n);
rnl_status rnl_tf_checkpoint_read(const uint8_t *buf, size_t n, rnl_tf **m, rnl_optimizer **o);
rnl_status rnl_tf_checkpoint_save(const rnl_tf *m, const rnl_optimizer *o, const char *path);
rnl_status rnl_tf_checkpoint_load(const char *path, rnl_tf **m, rnl_optimizer **o);
#define RNL_TF_MAGIC "RNNLABTF"

#ifdef __cplusplus
}
#endif
#endif
