// wasm_records.c: the field tables of the records in wasm_records.h, and rnlw_records, which hands them
// to the wrapper as JSON once at load. A field added to one of these structs is added to its table here,
// and the wrapper reads it by name (web/lib/records.js): no slot numbers on either side.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "wasm_records.h"

// F: a field under its own name; N: a nested member under another name; A: an array; E: an enum.
#define F(S, m, t) {#m, t, offsetof(S, m), 1, NULL}
#define N(S, name, m, t) {name, t, offsetof(S, m), 1, NULL}
#define A(S, m, t, n) {#m, t, offsetof(S, m), n, NULL}
#define E(S, name, m, list) {name, RNLW_ENUM, offsetof(S, m), 1, list}
#define RECORD(name, S, table) {name, sizeof(S), table, (int)(sizeof table / sizeof table[0])}

static const rnlw_field config_fields[] = {
    E(rnl_config, "cell", cell, "cell"), F(rnl_config, vocab, RNLW_I32), F(rnl_config, embed, RNLW_I32),
    F(rnl_config, input_size, RNLW_I32), F(rnl_config, hidden, RNLW_I32), F(rnl_config, layers, RNLW_I32),
    F(rnl_config, bidirectional, RNLW_BOOL), E(rnl_config, "head", head, "head"), F(rnl_config, outputs, RNLW_I32),
    F(rnl_config, seq2seq, RNLW_BOOL), F(rnl_config, forget_bias, RNLW_F32), F(rnl_config, dropout, RNLW_F32),
    E(rnl_config, "pool", pool, "pool"),
};

static const rnlw_field model_info_fields[] = {
    F(rnlw_model_info, params, RNLW_SIZE), F(rnlw_model_info, tensors, RNLW_I32),
};

static const rnlw_field tensor_fields[] = {
    A(rnl_tensor_info, name, RNLW_CHARS, sizeof(((rnl_tensor_info *)0)->name)), F(rnl_tensor_info, offset, RNLW_SIZE),
    F(rnl_tensor_info, rows, RNLW_I32), F(rnl_tensor_info, cols, RNLW_I32),
};

static const rnlw_field optimizer_fields[] = {
    E(rnlw_optimizer, "kind", config.kind, "optim"), N(rnlw_optimizer, "lr", config.lr, RNLW_F32),
    N(rnlw_optimizer, "momentum", config.momentum, RNLW_F32), N(rnlw_optimizer, "beta1", config.beta1, RNLW_F32),
    N(rnlw_optimizer, "beta2", config.beta2, RNLW_F32), N(rnlw_optimizer, "eps", config.eps, RNLW_F32),
    N(rnlw_optimizer, "weight_decay", config.weight_decay, RNLW_F32), N(rnlw_optimizer, "clip", config.clip, RNLW_F32),
    F(rnlw_optimizer, steps, RNLW_F64),
};

static const rnlw_field progress_fields[] = {
    F(rnlw_progress, loss, RNLW_F64), F(rnlw_progress, grad_norm, RNLW_F64), F(rnlw_progress, clipped, RNLW_BOOL),
    F(rnlw_progress, accuracy, RNLW_F64), F(rnlw_progress, seq_accuracy, RNLW_F64), F(rnlw_progress, steps, RNLW_F64),
    F(rnlw_progress, mean_loss, RNLW_F64), F(rnlw_progress, n_clipped, RNLW_I32), F(rnlw_progress, done, RNLW_I32),
    F(rnlw_progress, lr, RNLW_F64),
};

static const rnlw_field schedule_fields[] = {
    E(rnl_run_schedule, "kind", kind, "schedule"), F(rnl_run_schedule, warmup, RNLW_I32), F(rnl_run_schedule, total, RNLW_I32),
    F(rnl_run_schedule, step_size, RNLW_I32), F(rnl_run_schedule, gamma, RNLW_F32),
};

static const rnlw_field best_fields[] = {
    F(rnlw_best, epoch, RNLW_I32), F(rnlw_best, step, RNLW_F64), F(rnlw_best, loss, RNLW_F64), F(rnlw_best, accuracy, RNLW_F64),
    F(rnlw_best, stale, RNLW_I32), F(rnlw_best, patience, RNLW_I32), F(rnlw_best, improved, RNLW_BOOL),
    F(rnlw_best, stop, RNLW_BOOL), F(rnlw_best, val_loss, RNLW_F64), F(rnlw_best, val_accuracy, RNLW_F64),
};

static const rnlw_field split_eval_fields[] = {
    F(rnlw_split_eval, loss, RNLW_F64), F(rnlw_split_eval, accuracy, RNLW_F64), F(rnlw_split_eval, count, RNLW_I32),
};

static const rnlw_field s2s_eval_fields[] = {
    F(rnlw_s2s_scores, loss, RNLW_F64), F(rnlw_s2s_scores, tf_token_accuracy, RNLW_F64),
    F(rnlw_s2s_scores, tf_seq_accuracy, RNLW_F64), F(rnlw_s2s_scores, token_accuracy, RNLW_F64),
    F(rnlw_s2s_scores, seq_accuracy, RNLW_F64),
};

static const rnlw_field dataset_info_fields[] = {
    F(rnlw_dataset_desc, text, RNLW_BOOL), F(rnlw_dataset_desc, n_train, RNLW_I32), F(rnlw_dataset_desc, n_val, RNLW_I32),
    F(rnlw_dataset_desc, n_test, RNLW_I32), F(rnlw_dataset_desc, vocab, RNLW_I32), F(rnlw_dataset_desc, max_len, RNLW_I32),
    F(rnlw_dataset_desc, keep_end, RNLW_BOOL), F(rnlw_dataset_desc, window, RNLW_I32), F(rnlw_dataset_desc, horizon, RNLW_I32),
    F(rnlw_dataset_desc, mean, RNLW_F64), F(rnlw_dataset_desc, std, RNLW_F64), F(rnlw_dataset_desc, n_values, RNLW_I32),
    F(rnlw_dataset_desc, seed, RNLW_U64), F(rnlw_dataset_desc, column, RNLW_STR), F(rnlw_dataset_desc, val_by_movie, RNLW_BOOL),
};

static const rnlw_field batch_fields[] = {
    F(rnlw_batch_view, tokens, RNLW_SIZE), F(rnlw_batch_view, inputs, RNLW_SIZE), F(rnlw_batch_view, lengths, RNLW_SIZE),
    F(rnlw_batch_view, targets, RNLW_SIZE), F(rnlw_batch_view, n_tokens, RNLW_I32), F(rnlw_batch_view, n_inputs, RNLW_I32),
    F(rnlw_batch_view, n_targets, RNLW_I32), F(rnlw_batch_view, T, RNLW_I32),
    F(rnlw_batch_view, B, RNLW_I32),
};

static const rnlw_field span_fields[] = {F(rnlw_span, data, RNLW_SIZE), F(rnlw_span, n, RNLW_SIZE)};

static const rnlw_field trace_fields[] = {
    F(rnlw_trace_view, data, RNLW_SIZE), F(rnlw_trace_view, steps, RNLW_I32), F(rnlw_trace_view, width, RNLW_I32),
};

static const rnlw_field imdb_config_fields[] = {
    F(rnl_imdb_config, n_train, RNLW_I32), F(rnl_imdb_config, n_val, RNLW_I32), F(rnl_imdb_config, n_test, RNLW_I32),
    F(rnl_imdb_config, vocab_words, RNLW_I32), F(rnl_imdb_config, max_len, RNLW_I32), F(rnl_imdb_config, keep_end, RNLW_BOOL),
    F(rnl_imdb_config, seed, RNLW_U64), F(rnl_imdb_config, val_by_movie, RNLW_BOOL),
};

static const rnlw_field series_config_fields[] = {
    F(rnl_series_config, window, RNLW_I32), F(rnl_series_config, horizon, RNLW_I32),
    F(rnl_series_config, val_frac, RNLW_F64), F(rnl_series_config, test_frac, RNLW_F64),
};

static const rnlw_field imdb_counts_fields[] = {
    F(rnlw_imdb_tally, train_neg, RNLW_I32), F(rnlw_imdb_tally, train_pos, RNLW_I32),
    F(rnlw_imdb_tally, test_neg, RNLW_I32), F(rnlw_imdb_tally, test_pos, RNLW_I32), F(rnlw_imdb_tally, unsup, RNLW_I32),
};

static const rnlw_field text_csv_info_fields[] = {
    F(rnl_text_csv_info, rows, RNLW_I32), N(rnl_text_csv_info, "train_neg", part[0][0], RNLW_I32),
    N(rnl_text_csv_info, "train_pos", part[0][1], RNLW_I32), N(rnl_text_csv_info, "test_neg", part[1][0], RNLW_I32),
    N(rnl_text_csv_info, "test_pos", part[1][1], RNLW_I32),
};

static const rnlw_field bow_fields[] = {
    F(rnl_bow_result, train_acc, RNLW_F64), F(rnl_bow_result, val_acc, RNLW_F64), F(rnl_bow_result, test_acc, RNLW_F64),
    F(rnl_bow_result, train_loss, RNLW_F64), A(rnl_bow_result, top_pos, RNLW_I32, 10), A(rnl_bow_result, top_neg, RNLW_I32, 10),
};

static const rnlw_field example_fields[] = {
    F(rnlw_example, ids, RNLW_SIZE), F(rnlw_example, length, RNLW_I32), F(rnlw_example, label, RNLW_I32),
    F(rnlw_example, rating, RNLW_I32), F(rnlw_example, id, RNLW_U32),
};

static const rnlw_field text_prediction_fields[] = {
    F(rnlw_text_prediction, probability, RNLW_F64), F(rnlw_text_prediction, ids, RNLW_SIZE),
    F(rnlw_text_prediction, length, RNLW_I32), F(rnlw_text_prediction, step_probabilities, RNLW_SIZE),
};

static const rnlw_field decoded_fields[] = {
    F(rnlw_decoded, src, RNLW_SIZE), F(rnlw_decoded, out, RNLW_SIZE), F(rnlw_decoded, attention, RNLW_SIZE),
    F(rnlw_decoded, n_src, RNLW_I32), F(rnlw_decoded, n_out, RNLW_I32), F(rnlw_decoded, stopped_at_eos, RNLW_BOOL),
};

static const rnlw_field s2s_info_fields[] = {
    E(rnlw_s2s_desc, "task", task.task, "s2s_task"), N(rnlw_s2s_desc, "min_len", task.min_len, RNLW_I32),
    N(rnlw_s2s_desc, "max_len", task.max_len, RNLW_I32), N(rnlw_s2s_desc, "symbols", task.symbols, RNLW_I32),
    N(rnlw_s2s_desc, "src_vocab", config.src_vocab, RNLW_I32), N(rnlw_s2s_desc, "tgt_vocab", config.tgt_vocab, RNLW_I32),
    N(rnlw_s2s_desc, "embed", config.embed, RNLW_I32), E(rnlw_s2s_desc, "enc_cell", config.enc_cell, "cell"),
    N(rnlw_s2s_desc, "enc_hidden", config.enc_hidden, RNLW_I32), N(rnlw_s2s_desc, "enc_layers", config.enc_layers, RNLW_I32),
    N(rnlw_s2s_desc, "bidirectional", config.bidirectional, RNLW_BOOL), E(rnlw_s2s_desc, "dec_cell", config.dec_cell, "cell"),
    E(rnlw_s2s_desc, "attention", config.attention, "attn"), N(rnlw_s2s_desc, "attn_width", config.attn_width, RNLW_I32),
    N(rnlw_s2s_desc, "forget_bias", config.forget_bias, RNLW_F32), F(rnlw_s2s_desc, params, RNLW_SIZE),
};

static const rnlw_field s2s_options_fields[] = {
    F(rnlw_s2s_options, task, RNLW_I32), F(rnlw_s2s_options, length, RNLW_I32), F(rnlw_s2s_options, min_len, RNLW_I32),
    F(rnlw_s2s_options, max_len, RNLW_I32), F(rnlw_s2s_options, symbols, RNLW_I32), F(rnlw_s2s_options, enc_cell, RNLW_I32),
    F(rnlw_s2s_options, dec_cell, RNLW_I32), F(rnlw_s2s_options, hidden, RNLW_I32), F(rnlw_s2s_options, embed, RNLW_I32),
    F(rnlw_s2s_options, layers, RNLW_I32), F(rnlw_s2s_options, bidirectional, RNLW_I32),
    F(rnlw_s2s_options, attention, RNLW_I32), F(rnlw_s2s_options, attn_width, RNLW_I32),
    F(rnlw_s2s_options, forget_bias, RNLW_F32),
};

static const rnlw_field cell_fields[] = {
    E(rnl_cell_info, "cell", cell, "cell"), F(rnl_cell_info, name, RNLW_STR), F(rnl_cell_info, label, RNLW_STR),
    F(rnl_cell_info, gates, RNLW_I32), A(rnl_cell_info, gate_names, RNLW_STR, 4), F(rnl_cell_info, has_cell_state, RNLW_BOOL),
    F(rnl_cell_info, extra_state, RNLW_STR), A(rnl_cell_info, gate_roles, RNLW_STR, 4),
};

static const rnlw_field limit_fields[] = {
    F(rnl_limit, name, RNLW_STR), F(rnl_limit, min, RNLW_F64), F(rnl_limit, max, RNLW_F64), F(rnl_limit, what, RNLW_STR),
    F(rnl_limit, whole, RNLW_BOOL),
};

#define D(name, m, t) N(rnlw_run_defaults, name, defaults.m, t)
static const rnlw_field training_defaults_fields[] = {
    D("batch", batch, RNLW_I32), D("lr_adam", lr_adam, RNLW_F32), D("lr_other", lr_other, RNLW_F32),
    D("momentum", momentum, RNLW_F32), D("weight_decay", weight_decay, RNLW_F32), D("clip", clip, RNLW_F32),
    D("steps", steps, RNLW_I32), D("length", length, RNLW_I32), D("epochs", epochs, RNLW_I32), D("bucket", bucket, RNLW_I32),
    D("bptt", bptt, RNLW_I32), D("eval_every_parts", eval_every_parts, RNLW_I32),
    D("heldout_batches", heldout_batches, RNLW_I32), D("heldout_batch", heldout_batch, RNLW_I32),
    D("test_batches", test_batches, RNLW_I32), D("test_batch", test_batch, RNLW_I32), D("test_seed", test_seed, RNLW_U64),
    D("data_embed", data_embed, RNLW_I32),
    F(rnlw_run_defaults, eval_batch, RNLW_I32),
};
#undef D

static const rnlw_field tf_info_fields[] = {
    N(rnlw_tf_desc, "vocab", config.vocab, RNLW_I32), N(rnlw_tf_desc, "input_size", config.input_size, RNLW_I32),
    N(rnlw_tf_desc, "hidden", config.d_model, RNLW_I32), N(rnlw_tf_desc, "heads", config.heads, RNLW_I32),
    N(rnlw_tf_desc, "layers", config.layers, RNLW_I32), N(rnlw_tf_desc, "ffn", config.ffn, RNLW_I32),
    E(rnlw_tf_desc, "positions", config.positions, "positions"), E(rnlw_tf_desc, "head", config.head, "head"),
    N(rnlw_tf_desc, "outputs", config.outputs, RNLW_I32), F(rnlw_tf_desc, params, RNLW_SIZE), F(rnlw_tf_desc, tensors, RNLW_I32),
};

static const rnlw_field tf_options_fields[] = {
    F(rnlw_tf_options, task, RNLW_I32), F(rnlw_tf_options, vocab, RNLW_I32), F(rnlw_tf_options, input_size, RNLW_I32),
    F(rnlw_tf_options, hidden, RNLW_I32), F(rnlw_tf_options, heads, RNLW_I32), F(rnlw_tf_options, layers, RNLW_I32),
    F(rnlw_tf_options, ffn, RNLW_I32), F(rnlw_tf_options, positions, RNLW_I32), F(rnlw_tf_options, head, RNLW_I32),
    F(rnlw_tf_options, outputs, RNLW_I32),
};

static const rnlw_field unit_step_fields[] = {
    F(rnl_unit_step, gates, RNLW_I32), A(rnl_unit_step, x_part, RNLW_F64, 4), A(rnl_unit_step, h_part, RNLW_F64, 4),
    A(rnl_unit_step, pre, RNLW_F64, 4), A(rnl_unit_step, gate, RNLW_F64, 4), F(rnl_unit_step, h_prev, RNLW_F64),
    F(rnl_unit_step, h, RNLW_F64), F(rnl_unit_step, c_prev, RNLW_F64), F(rnl_unit_step, c, RNLW_F64),
    F(rnl_unit_step, x_norm, RNLW_F64), F(rnl_unit_step, h_prev_norm, RNLW_F64), F(rnl_unit_step, dh, RNLW_F64),
    F(rnl_unit_step, dc, RNLW_F64),
};

static const rnlw_field history_point_fields[] = {
    F(rnl_history_point, step, RNLW_U32), F(rnl_history_point, loss, RNLW_F32), F(rnl_history_point, accuracy, RNLW_F32),
    F(rnl_history_point, grad_norm, RNLW_F32), F(rnl_history_point, val_loss, RNLW_F32),
    F(rnl_history_point, val_accuracy, RNLW_F32),
};

static const rnlw_field inspect_step_fields[] = {
    F(rnlw_inspect_step, positive, RNLW_F64), F(rnlw_inspect_step, x, RNLW_F64), F(rnlw_inspect_step, y, RNLW_F64),
    F(rnlw_inspect_step, grad_h, RNLW_F64), F(rnlw_inspect_step, grad_c, RNLW_F64), F(rnlw_inspect_step, to_prev_h, RNLW_F64),
    A(rnlw_inspect_step, path, RNLW_F64, 2),
};

static const rnlw_field walk_fields[] = {
    F(rnlw_walk_view, ids, RNLW_SIZE), F(rnlw_walk_view, steps, RNLW_SIZE), F(rnlw_walk_view, units, RNLW_SIZE),
    F(rnlw_walk_view, length, RNLW_I32), F(rnlw_walk_view, n_units, RNLW_I32), F(rnlw_walk_view, layer, RNLW_I32),
    F(rnlw_walk_view, n_paths, RNLW_I32), F(rnlw_walk_view, path0, RNLW_STR), F(rnlw_walk_view, path1, RNLW_STR),
    F(rnlw_walk_view, probability, RNLW_F64), A(rnlw_walk_view, explained, RNLW_F64, 2),
    F(rnlw_walk_view, fitted_on_data, RNLW_BOOL), F(rnlw_walk_view, cloud, RNLW_SIZE), F(rnlw_walk_view, cloud_labels, RNLW_SIZE),
    F(rnlw_walk_view, cloud_n, RNLW_I32),
};

static const rnlw_field word_map_fields[] = {
    F(rnlw_word_map_view, n, RNLW_I32), F(rnlw_word_map_view, ids, RNLW_SIZE), F(rnlw_word_map_view, pca, RNLW_SIZE),
    F(rnlw_word_map_view, readout, RNLW_SIZE), F(rnlw_word_map_view, effect, RNLW_SIZE), F(rnlw_word_map_view, prob, RNLW_SIZE),
    F(rnlw_word_map_view, sep_pca, RNLW_F64), F(rnlw_word_map_view, sep_readout, RNLW_F64),
    F(rnlw_word_map_view, best_readout, RNLW_BOOL),
    F(rnlw_word_map_view, data_sep_pca, RNLW_F64), F(rnlw_word_map_view, data_sep_readout, RNLW_F64),
};

static const rnlw_field neighbours_fields[] = {
    F(rnlw_neighbours_view, ids, RNLW_SIZE), F(rnlw_neighbours_view, cos, RNLW_SIZE), F(rnlw_neighbours_view, found, RNLW_I32),
};

static const rnlw_record records[] = {
    RECORD("cell", rnl_cell_info, cell_fields),
    RECORD("limit", rnl_limit, limit_fields),
    RECORD("training_defaults", rnlw_run_defaults, training_defaults_fields),
    RECORD("config", rnl_config, config_fields),
    RECORD("model_info", rnlw_model_info, model_info_fields),
    RECORD("tensor", rnl_tensor_info, tensor_fields),
    RECORD("optimizer", rnlw_optimizer, optimizer_fields),
    RECORD("progress", rnlw_progress, progress_fields),
    RECORD("split_eval", rnlw_split_eval, split_eval_fields),
    RECORD("s2s_eval", rnlw_s2s_scores, s2s_eval_fields),
    RECORD("dataset_info", rnlw_dataset_desc, dataset_info_fields),
    RECORD("batch", rnlw_batch_view, batch_fields),
    RECORD("span", rnlw_span, span_fields),
    RECORD("trace", rnlw_trace_view, trace_fields),
    RECORD("imdb_config", rnl_imdb_config, imdb_config_fields),
    RECORD("series_config", rnl_series_config, series_config_fields),
    RECORD("imdb_counts", rnlw_imdb_tally, imdb_counts_fields),
    RECORD("text_csv_info", rnl_text_csv_info, text_csv_info_fields),
    RECORD("bow", rnl_bow_result, bow_fields),
    RECORD("example", rnlw_example, example_fields),
    RECORD("text_prediction", rnlw_text_prediction, text_prediction_fields),
    RECORD("decoded", rnlw_decoded, decoded_fields),
    RECORD("s2s_info", rnlw_s2s_desc, s2s_info_fields),
    RECORD("s2s_options", rnlw_s2s_options, s2s_options_fields),
    RECORD("tf_info", rnlw_tf_desc, tf_info_fields),
    RECORD("tf_options", rnlw_tf_options, tf_options_fields),
    RECORD("schedule", rnl_run_schedule, schedule_fields),
    RECORD("best", rnlw_best, best_fields),
    RECORD("unit_step", rnl_unit_step, unit_step_fields),
    RECORD("history_point", rnl_history_point, history_point_fields),
    RECORD("inspect_step", rnlw_inspect_step, inspect_step_fields),
    RECORD("walk", rnlw_walk_view, walk_fields),
    RECORD("word_map", rnlw_word_map_view, word_map_fields),
    RECORD("neighbours", rnlw_neighbours_view, neighbours_fields),
};

int rnlw_record_count(void) { return (int)(sizeof records / sizeof records[0]); }

const rnlw_record *rnlw_record_at(int i) { return i >= 0 && i < rnlw_record_count() ? &records[i] : NULL; }

// --- JSON -------------------------------------------------------------------------------------------

typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} text_buf;

static void put(text_buf *b, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap : 1024) * 2 + (size_t)n;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
}

static const char *const type_names[] = {"i32", "u32", "f32", "f64", "u64", "bool", "enum", "str", "chars"};

// { "name": { "size": S, "fields": [[name, type, offset, count(, names)], ...] }, ... }; NULL if out of
// memory. Names are C identifiers: nothing to escape.
const char *rnlw_records(void) {
    static text_buf b;
    if (b.p && !b.failed) return b.p;
    b.len = 0, b.failed = 0;
    put(&b, "{");
    for (int i = 0; i < rnlw_record_count(); i++) {
        const rnlw_record *r = &records[i];
        put(&b, "%s\"%s\":{\"size\":%zu,\"fields\":[", i ? "," : "", r->name, r->size);
        for (int k = 0; k < r->n_fields; k++) {
            const rnlw_field *f = &r->fields[k];
            put(&b, "%s[\"%s\",\"%s\",%zu,%d", k ? "," : "", f->name, type_names[f->type], f->offset, f->count);
            if (f->names) put(&b, ",\"%s\"", f->names);
            put(&b, "]");
        }
        put(&b, "]}");
    }
    put(&b, "}");
    return b.failed ? NULL : b.p;
}
