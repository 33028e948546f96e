// exports.js: the one list of the functions the WebAssembly module exports. web/wasm.cmake reads the
// quoted names below into -sEXPORTED_FUNCTIONS (so keep this file to the list: one quoted name each, '//'
// comments), and the loader (lib/loader.js) refuses a module that lacks one, naming it. The module's
// memory is exported too, without being listed (it is not a function).
//
// rnlw_* are the adapter (web/wasm_*.c); rnl_* are the core's own, exported where a core function
// already takes and returns plain numbers and pointers.

export const EXPORTS = Object.freeze([
  // Heap: the wrapper stages batches, parameters and checkpoint bytes in memory it allocates.
  'malloc', 'free', 'rnl_buffer_free',
  // Errors, names, version (the wrapper builds its name tables from the core's own names).
  'rnl_last_error', 'rnl_status_name', 'rnl_cell_name', 'rnl_head_name', 'rnl_pooling_name', 'rnl_pooling_label', 'rnl_optim_name', 'rnl_task_name',
  'rnlw_last_status', 'rnlw_version', 'rnlw_kernels', 'rnlw_heap_in_use', 'rnlw_heap_base',
  // The record tables (web/wasm_records.c), as JSON: what lib/records.js reads and writes by field name.
  'rnlw_records',
  // The core's cell table and limits; the run layer's defaults, seeds and epochs (rnnlab_run.h).
  'rnl_cell_count', 'rnl_cell_info_of', 'rnl_limit_count', 'rnl_limit_at', 'rnlw_training_defaults', 'rnlw_heldout_seed',
  'rnlw_train_seed', 'rnl_run_batches_per_epoch', 'rnl_run_first_epoch',
  // Models.
  'rnlw_config_default', 'rnlw_model_create', 'rnlw_config_training_bytes', 'rnlw_model_training_bytes',
  'rnlw_model_destroy', 'rnlw_model_config', 'rnlw_model_params', 'rnlw_model_grads', 'rnlw_set_params',
  'rnlw_tensor', 'rnlw_meta', 'rnlw_set_meta',
  // Optimizers.
  'rnlw_optimizer_default', 'rnlw_set_optimizer', 'rnlw_optimizer_info',
  // Batches, training, evaluation, prediction.
  'rnlw_batch_set', 'rnlw_train_step', 'rnlw_eval', 'rnlw_predict', 'rnlw_predictions', 'rnlw_gradients', 'rnlw_set_dropout_step',
  // Synthetic tasks.
  'rnlw_task_shape', 'rnlw_task_generate', 'rnlw_task_seed', 'rnlw_train_task', 'rnlw_eval_task',
  // Introspection.
  'rnlw_set_trace', 'rnlw_trace',
  // Inspection views (web/wasm_inspect.c, rnnlab_inspect.h): a text word by word, the word map, neighbours,
  // the training history.
  'rnlw_inspect_text', 'rnlw_word_map', 'rnlw_neighbours', 'rnlw_word_id', 'rnlw_history', 'rnlw_history_heldout',
  // Checkpoints as bytes.
  'rnlw_checkpoint_write', 'rnlw_checkpoint_read',
  // Datasets (rnnlab_data.h): reading, writing, describing, encoding text, batches.
  'rnl_dataset_destroy', 'rnlw_dataset_info', 'rnlw_dataset_read', 'rnlw_dataset_describe', 'rnlw_dataset_write',
  'rnlw_dataset_encode', 'rnlw_dataset_word', 'rnlw_dataset_example', 'rnlw_dataset_batch', 'rnlw_dataset_shape',
  // Making datasets: IMDB from tar bytes in chunks (or files), reviews CSV, CSV series; the baseline.
  'rnlw_data_defaults', 'rnlw_imdb_create', 'rnl_imdb_feed_tar', 'rnl_imdb_end_tar', 'rnl_imdb_add_file',
  'rnlw_imdb_counts', 'rnlw_imdb_build', 'rnl_imdb_destroy', 'rnlw_text_csv', 'rnlw_series_csv', 'rnlw_bow',
  // Models on datasets: the loop of `rnnlab train --data`, evaluation, prediction.
  'rnlw_attach_data', 'rnlw_data_epoch', 'rnlw_train_data', 'rnlw_eval_data', 'rnlw_predict_series',
  'rnlw_model_word', 'rnlw_predict_text', 'rnlw_text_words',
  // Schedules and the best epoch (the run layer's)
  'rnl_run_schedule_name', 'rnlw_schedule_default', 'rnlw_schedule_resolve', 'rnlw_set_schedule', 'rnlw_schedule_curve',
  'rnlw_keep_best_start', 'rnlw_keep_best', 'rnlw_keep_best_resume', 'rnlw_best_checkpoint', 'rnlw_restore_best',
  // Sequence-to-sequence models (rnnlab_seq2seq.h): create for a task, train, evaluate, decode, checkpoints.
  'rnl_attn_name', 'rnl_s2s_task_name', 'rnlw_s2s_create', 'rnlw_s2s_destroy', 'rnlw_s2s_info',
  'rnlw_s2s_set_optimizer', 'rnlw_s2s_optimizer_info', 'rnlw_s2s_seed', 'rnlw_s2s_train', 'rnlw_s2s_eval',
  'rnlw_s2s_decode', 'rnlw_s2s_token_text', 'rnlw_s2s_text', 'rnlw_s2s_answer', 'rnlw_s2s_checkpoint_write', 'rnlw_s2s_checkpoint_read',
  // Transformer encoders (rnnlab_transformer.h): what is their own (create, configuration, tensors, attention,
  // reading a checkpoint); the model handle holds either kind, so the calls above serve them too.
  'rnl_tf_positions_name', 'rnlw_tf_create', 'rnlw_tf_info', 'rnlw_tf_params', 'rnlw_tf_tensor', 'rnlw_tf_attention',
  'rnlw_tf_checkpoint_read',
  // A span of replica steps (the run layer's step by step): Model.trainTask / trainDataset over replicas.
  'rnlw_span_start', 'rnlw_span_task_batch', 'rnlw_span_data_batch', 'rnlw_span_apply', 'rnlw_span_finish',
  // Replica steps (web/lib/threads.js): shards of the staged batch computed by Worker replicas, as bytes.
  'rnlw_shard_count', 'rnlw_next_step', 'rnlw_params_hash', 'rnlw_shard_grad', 'rnlw_shard_data', 'rnlw_shard_size',
  'rnlw_shard_set', 'rnlw_apply_shards',
  // Threads of the shared-memory module (core/src/threads.c, web/lib/shared.js): the core's own pool, whose
  // threads are Worker instances over the same memory; rnlw_set_threads sets a model's count (1 elsewhere).
  'rnlw_set_threads', 'rnlw_thread_prepare', 'rnlw_thread_main', 'rnlw_threads_running', 'rnlw_threads_stop',
  'rnlw_threads_release', 'rnlw_thread_message', 'rnlw_thread_failed',
  // The exercises' cells: TODOs left in a student build (-DRNL_CELL_MATH=...); -1 / 0 in the reference.
  'rnlw_todo_check', 'rnlw_todo_names', 'rnlw_todo_count', 'rnlw_todo_last',
]);
