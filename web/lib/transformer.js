// transformer.js: TransformerModel, a Transformer encoder (rnnlab_transformer.h): training on a synthetic
// task through the one loop of progress.js, held-out evaluation, the attention weights of each head,
// and checkpoints (the RNNLABTF format of `rnnlab init --cell transformer`).
import { argError, checkKeys, checkInt, checkNumber, checkBool, splitSeed, indexOf, checkFunction } from './errors.js';
import { CoreObject } from './heap.js';
import { trainLoop } from './progress.js';
import { optimizerOptions, readOptimizer } from './optimizer.js';

const KIND_TRANSFORMER = 2;  // rnl_run_kind

/** A Transformer encoder: pre-LN layers of multi-head self-attention, mean of the positions into the head. */
export class TransformerModel extends CoreObject {
  constructor(lab, handle) {
    super(lab, handle, 'rnlw_tf_destroy', 'model');
    this._busy = false;
    const p = lab._heap.slot(0);
    lab._c.rnlw_tf_info(p, handle);
    const v = lab._heap.read('tf_info', p);
    this._numParams = v.params;
    this._numTensors = v.tensors;
    /** The model's configuration (as rnl_tf_config; hidden is d_model). */
    this.config = Object.freeze({ vocab: v.vocab, inputSize: v.inputSize, hidden: v.hidden, heads: v.heads, layers: v.layers,
      ffn: v.ffn, positions: v.positions, head: v.head, outputs: v.outputs });
  }

  get numParams() {
    void this._handle;
    return this._numParams;
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

  /** As Model.setOptimizer. Without one, training starts Adam at lr 0.001 with clip 1 (as the CLI). */
  setOptimizer(opts = {}) {
    const { reset, record } = optimizerOptions(this._lab, opts, 'setOptimizer');
    this._lab._check(this._lab._c.rnlw_tf_set_optimizer(this._handle, record(), reset));
  }

  /** The optimizer's settings and step count, or null before one is set or made by training. */
  get optimizer() {
    return readOptimizer(this._lab, 'rnlw_tf_optimizer_info', this._handle);
  }

  /**
   * Trains on fresh batches of a synthetic task (adding or copy): the loop of `rnnlab train --task` for a
   * Transformer checkpoint, in chunks with progress reports, held-out evaluations every `evalEvery` steps
   * and a yield to the event loop every `yieldMs` ms.
   */
  async trainTask(opts) {
    const where = 'trainTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'steps', 'batchSize', 'seed', 'evalEvery', 'evalBatches', 'evalBatchSize',
      'progressEvery', 'onProgress', 'signal', 'yieldMs'], where);
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
    const [lo, hi] = splitSeed(opts.seed ?? lab._c.rnlw_train_seed(this.optimizer?.steps ?? 0), where);
    lab._c.rnlw_tf_seed(this._handle, lo, hi);
    return trainLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        const p = lab._heap.slot(0);
        const status = lab._c.rnlw_tf_train_task(p, this._handle, task, batchSize, length, n);
        const r = lab._heap.read('progress', p);
        return { status, done: r.done, stats: { step: r.steps, loss: r.loss, meanLoss: r.meanLoss, gradNorm: r.gradNorm,
          clipped: r.clipped, accuracy: Number.isNaN(r.accuracy) ? null : r.accuracy } };
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
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_tf_eval_task(p, this._handle, task, checkInt(length, 'length', where, 2),
      checkInt(batches, 'batches', where, 1), checkInt(batchSize, 'batchSize', where, 1), lo, hi));
    const r = lab._heap.read('progress', p);
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

  /**
   * The checkpoint (format of `rnnlab init --cell transformer`), with the optimizer's state unless
   * optimizer: false. A fresh model's bytes equal `rnnlab init` of the same configuration and seed.
   */
  saveCheckpoint(opts) {
    const { optimizer = true } = checkKeys(opts, ['optimizer'], 'saveCheckpoint');
    const lab = this._lab;
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_tf_checkpoint_write(p, this._handle, checkBool(optimizer, 'optimizer', 'saveCheckpoint')));
    const { data, n } = lab._heap.read('span', p);
    return lab._heap.takeBuffer(data, n);
  }
}
