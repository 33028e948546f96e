// transformer.js: TransformerModel, a Transformer encoder (rnnlab_transformer.h): training on a synthetic
// task or a dataset through the one loop of progress.js, held-out and split evaluation, text prediction,
// the attention weights of each head (of a batch or of a typed text), and checkpoints (the RNNLABTF format
// of `rnnlab init --cell transformer`).
//
// The module's model handle holds either kind (web/wasm_api.c: an rnl_run_net), so the calls about
// optimizers, tasks, datasets, keep-best, schedules, text and checkpoints are the same C functions as a
// recurrent Model's, and the methods over them are Model's own (borrowed below, not copied); this class
// adds what is the Transformer's: its configuration and tensors, and attention.
import { argError, checkKeys, checkInt, checkNumber, checkBool, splitSeed, indexOf, checkFunction } from './errors.js';
import { CoreObject } from './heap.js';
import { trainLoop } from './progress.js';
import { Model } from './model.js';

const KIND_TRANSFORMER = 2;  // rnl_run_kind

/** A Transformer encoder: pre-LN layers of multi-head self-attention, mean of the positions into the head. */
export class TransformerModel extends CoreObject {
  constructor(lab, handle) {
    super(lab, handle, 'rnlw_model_destroy', 'model');
    this._busy = false;
    const p = lab._heap.slot(0);
    lab._c.rnlw_tf_info(p, handle);
    const v = lab._heap.read('tf_info', p);
    this._numParams = v.params;
    this._numTensors = v.tensors;
    /** The model's configuration (as rnl_tf_config; hidden is d_model). */
    this.config = Object.freeze({ vocab: v.vocab, inputSize: v.inputSize, hidden: v.hidden, heads: v.heads, layers: v.layers,
      ffn: v.ffn, positions: v.positions, head: v.head, outputs: v.outputs });
    // Work-memory bookkeeping, as Model's (_reserve): the module's memory must be able to grow that far.
    this._capB = 0;
    this._capT = 0;
    this._held = this._bytesAt(this._optimKind(false), 0, 0);
  }

  /** Which kind of model: 'transformer' (a recurrent Model's config.cell names its cell). */
  get kind() {
    return 'transformer';
  }

  get numParams() {
    void this._handle;
    return this._numParams;
  }

  /**
   * Bytes training this model takes at batchSize x length with `optimizer` (default Adam): parameters,
   * gradients, the optimizer's state and work memory (rnl_tf_training_bytes; work memory grows with
   * length squared). Infinity past 4 GB. As lab.trainingBytes for a recurrent configuration.
   */
  trainingBytes(opts = {}) {
    const where = 'trainingBytes';
    const { batchSize = 32, length, optimizer = 'adam' } = checkKeys(opts, ['batchSize', 'length', 'optimizer'], where);
    const kind = indexOf(this._lab.names.optimizers, optimizer, 'optimizer', where);
    return this._bytesAt(kind, checkInt(batchSize, 'batchSize', where, 1), checkInt(length, 'length', where, 1));
  }

  /** The tensors of the parameter block: PyTorch's state_dict names, shapes and offsets. */
  tensors() {
    const lab = this._lab;
    return Array.from({ length: this._numTensors }, (_, i) => {
      const t = lab._heap.read('tensor', lab._c.rnlw_tf_tensor(this._handle, i));
      return { name: t.name, rows: t.rows, cols: t.cols, offset: t.offset };
    });
  }

  /** A copy of the parameter block (Float32Array, in the tensors' layout). */
  params() {
    return this._lab._heap.f32(this._lab._c.rnlw_tf_params(this._handle), this._numParams).slice();
  }

  /**
   * Trains on fresh batches of a synthetic task (adding or copy): the loop of `rnnlab train --task` for a
   * Transformer checkpoint, in chunks with progress reports, held-out evaluations every `evalEvery` steps
   * and a yield to the event loop every `yieldMs` ms.
   */
  async trainTask(opts) {
    const where = 'trainTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'steps', 'batchSize', 'seed', 'evalEvery', 'evalBatches', 'evalBatchSize',
      'progressEvery', 'onProgress', 'signal', 'yieldMs', 'schedule'], where);
    const d = lab._defaults.transformer;
    const { length = d.length, steps = d.steps, batchSize = d.batch, evalEvery = 0, evalBatches = d.heldoutBatches,
      evalBatchSize = d.heldoutBatch, progressEvery = 10, onProgress, signal, yieldMs = 30 } = opts;
    const task = indexOf(lab.names.tasks, opts.task, 'task', where);
    checkInt(length, 'length', where, 2);
    checkInt(steps, 'steps', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(evalEvery, 'evalEvery', where, 0);
    checkInt(evalBatches, 'evalBatches', where, 1);
    checkInt(evalBatchSize, 'evalBatchSize', where, 1);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    checkFunction(onProgress, 'onProgress', where);
    if (this._busy) throw argError(`${where}: this model is already training`);
    this._reserve(batchSize, length, true, 'train', evalEvery ? evalBatchSize : 0);
    const done0 = this.optimizer?.steps ?? 0;
    const [lo, hi] = splitSeed(opts.seed ?? lab._c.rnlw_train_seed(done0), where);
    this._setSchedule(opts.schedule, where, done0 + steps, 0);
    lab._c.rnlw_task_seed(this._handle, lo, hi);
    return trainLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        if (this.threadPath === 'replicas')
          return this._replicaChunk(n, (v) => lab._c.rnlw_span_task_batch(v, this._handle, task, batchSize, length), 0);
        const { status, r } = this._progress((p) => lab._c.rnlw_train_task(p, this._handle, task, batchSize, length, n, 0));
        return { status, done: r.done, stats: { step: r.steps, loss: r.loss, meanLoss: r.meanLoss, gradNorm: r.gradNorm,
          clipped: r.clipped, accuracy: Number.isNaN(r.accuracy) ? null : r.accuracy, lr: Number.isNaN(r.lr) ? null : r.lr } };
      },
      evaluate: () => this.evaluateTask({ task: opts.task, length, batches: evalBatches, batchSize: evalBatchSize,
        seed: lab._c.rnlw_heldout_seed(KIND_TRANSFORMER, length) }),
    });
  }

  /** Held-out loss and accuracy (null for regression) on fresh batches, as `rnnlab eval` (same defaults). */
  evaluateTask(opts) {
    const where = 'evaluateTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'batches', 'batchSize', 'seed'], where);
    const d = lab._defaults.transformer;
    const { length = d.length, batches = d.testBatches, batchSize = d.testBatch, seed = d.testSeed } = opts;
    const task = indexOf(lab.names.tasks, opts.task, 'task', where);
    const [lo, hi] = splitSeed(seed, where);
    checkInt(length, 'length', where, 2);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(batches, 'batches', where, 1);
    this._reserve(batchSize, length, false, 'evaluate');
    const { status, r } = this._progress((p) => lab._c.rnlw_eval_task(p, this._handle, task, length, batches, batchSize, lo, hi));
    lab._check(status);
    return { loss: r.loss, accuracy: Number.isNaN(r.accuracy) ? null : r.accuracy };
  }

  /**
   * The attention weights of one head of one layer for one sequence of the last batch the model ran (its
   * last training step's or evaluation's): { rows, cols, data } with rows = queries, cols = keys, each row
   * summing to 1. Null when there is no such batch or sample.
   */
  attention(opts) {
    const where = 'attention', lab = this._lab;
    const { layer = 0, head = 0, sample = 0 } = checkKeys(opts, ['layer', 'head', 'sample'], where);
    checkInt(layer, 'layer', where, 0, this.config.layers - 1);
    checkInt(head, 'head', where, 0, this.config.heads - 1);
    checkInt(sample, 'sample', where, 0);
    const p = lab._heap.slot(0);
    lab._c.rnlw_tf_attention(p, this._handle, layer, head, sample);
    const t = lab._heap.read('trace', p);
    if (!t.data) return null;
    return { rows: t.steps, cols: t.width, data: lab._heap.f32(t.data, t.steps * t.width).slice() };
  }

  // --- Datasets (the loop of `rnnlab train --data`, through Model's methods over the shared calls) ---

  /**
   * As Model.trainDataset (epochs, batchSize, bucket, seed, schedule, keepBest, patience, onProgress,
   * onEpoch, signal, yieldMs, progressEvery): the loop of `rnnlab train --data` for a Transformer. There is
   * no bpttWindow: every position is computed at once.
   */
  async trainDataset(dataset, opts = {}) {
    if (opts && opts.bpttWindow !== undefined)
      throw argError('trainDataset: a Transformer has no bpttWindow (it computes every position at once, not step by step)');
    return Model.prototype.trainDataset.call(this, dataset, opts);
  }

  /**
   * The attention of a typed text: predictText's reading of it (probability, ids, tokens, words) and the
   * weights of one head of one layer, { rows, cols, data } with a row per query word and a column per key
   * word, each row summing to 1.
   */
  attentionText(text, opts) {
    const where = 'attentionText';
    const { layer = 0, head = 0 } = checkKeys(opts, ['layer', 'head'], where);
    checkInt(layer, 'layer', where, 0, this.config.layers - 1);
    checkInt(head, 'head', where, 0, this.config.heads - 1);
    const p = this.predictText(text);  // a forward of this text alone: sample 0 of the last batch
    return { ...p, attention: this.attention({ layer, head, sample: 0 }) };
  }

  /**
   * The checkpoint (format of `rnnlab init --cell transformer`), with the optimizer's state unless
   * optimizer: false. A fresh model's bytes equal `rnnlab init` of the same configuration and seed.
   */
  saveCheckpoint(opts) {
    const { optimizer = true } = checkKeys(opts, ['optimizer'], 'saveCheckpoint');
    const lab = this._lab;
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_checkpoint_write(p, this._handle, checkBool(optimizer, 'optimizer', 'saveCheckpoint')));
    const { data, n } = lab._heap.read('span', p);
    return lab._heap.takeBuffer(data, n);
  }
}

// Model's methods over the calls both kinds share (the handle holds either: web/wasm_api.c), used as they
// are: optimizer, work-memory checks, schedules, a batch's loss and predictions, dataset evaluation,
// keep-best, text and series prediction, the training history.
for (const name of ['_bytesAt', '_optimKind', '_reserve', '_reserveSplit', '_progress', '_setSchedule', '_keepBest', '_setBatch',
  '_predictions', 'setOptimizer', 'optimizer', 'evaluate', 'predict', 'trainStep', 'evaluateDataset', 'restoreBest', 'bestCheckpoint', 'predictText',
  'predictSeries', 'meta', 'history',
  // Threads: Worker replicas of the Transformer (lib/threads.js: trainStepAsync, the spans' steps), or the core's
  // own threads on a shared-memory lab (lib/shared.js), as for a recurrent model.
  'setThreads', 'threads', 'threadPath', 'threadStats', 'trainStepAsync', '_replicaChunk', 'free'])
  Object.defineProperty(TransformerModel.prototype, name, Object.getOwnPropertyDescriptor(Model.prototype, name));
