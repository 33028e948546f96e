// model.js: Model, a recurrent model in module memory (rnl_model) with what training keeps beside it:
// its optimizer, batches, training on synthetic tasks and datasets (through the one loop of progress.js),
// evaluation, prediction, traces, parameters and checkpoints. Before any call that grows its work memory it
// checks that the module's memory can grow that far (RNL_ERR_NOMEM with the core's figure).
import { argError, checkKeys, checkInt, checkNumber, checkBool, splitSeed, toTyped, indexOf, checkFunction } from './errors.js';
import { CoreObject } from './heap.js';
import { textBytes } from './stream.js';
import { trainLoop, settle } from './progress.js';
import { optimizerOptions, readOptimizer, scheduleRecord } from './optimizer.js';
import { dataLength, splitIndex } from './dataset.js';
import { ReplicaPool } from './threads.js';
import { setSharedThreads } from './shared.js';

const KIND_RECURRENT = 0;  // rnl_run_kind

// A 'progress' record as the figures a step reports (accuracy null for regression).
const stepStats = (r) => ({ step: r.steps, loss: r.loss, meanLoss: r.meanLoss, gradNorm: r.gradNorm, clipped: r.clipped,
  accuracy: Number.isNaN(r.accuracy) ? null : r.accuracy, lr: Number.isNaN(r.lr) ? null : r.lr });

// A 'best' record as keepBest reports it (accuracy null for a series).
// `stale` (epochs since the best) is what trainDataset's resumeBest needs to take the rule up again.
const bestOf = (r) => ({ epoch: r.epoch, step: r.step, loss: r.loss, accuracy: Number.isNaN(r.accuracy) ? null : r.accuracy,
  stale: r.stale, improved: r.improved });

// trainDataset's resumeBest: the `best` record an earlier part of the run reported after the epoch the model
// is at, with `checkpoint`, the bytes model.bestCheckpoint() gave then.
function checkResumeBest(r, keepBest, where) {
  if (!keepBest) throw argError(`${where}: resumeBest takes up keepBest where an earlier part left it: it needs keepBest`);
  if (typeof r !== 'object' || !(r.checkpoint instanceof Uint8Array))
    throw argError(`${where}: resumeBest must be { epoch, step, loss, accuracy, stale, checkpoint: Uint8Array } (the best record ` +
      'onEpoch gave, with model.bestCheckpoint())');
  for (const k of ['epoch', 'step', 'loss', 'stale'])
    if (typeof r[k] !== 'number') throw argError(`${where}: resumeBest.${k} must be a number, not ${typeof r[k]}`);
}

const BATCH_KEYS = ['B', 'T', 'tokens', 'inputs', 'lengths', 'targets'];
const MAX_THREADS = 64;  // replicas: each holds a whole module instance and model

export class Model extends CoreObject {
  constructor(lab, handle) {
    super(lab, handle, 'rnlw_model_destroy', 'model');
    this._busy = false;
    this.config = Object.freeze(this._readConfig());
    // What the model holds (rnlw_model_training_bytes), and the largest batch and length its work memory
    // was sized for: the core grows it to the largest of each it has run, and never shrinks it.
    this._capB = 0;
    this._capT = 0;
    this._held = this._bytesAt(this._optimKind(false), 0, 0);
  }

  _bytesAt(kind, B, T) {
    const n = this._lab._c.rnlw_model_training_bytes(this._handle, kind, B, T);
    if (n < 0) throw this._lab._error(-n);
    return n;
  }

  // The optimizer kind the model has; without one, the Adam a training step makes (`training`), or 'sgd',
  // which keeps no state.
  _optimKind(training) {
    const lab = this._lab;
    const o = readOptimizer(lab, 'rnlw_optimizer_info', this._handle);
    if (o) return lab.names.optimizers.indexOf(o.kind);
    return lab.names.optimizers.indexOf(training ? 'adam' : 'sgd');
  }

  // Before a call that runs batches of B x T (evaluation in batches of evalB too): refuses it up front when
  // the work memory it grows cannot fit in what the WebAssembly memory can still grow to.
  _reserve(B, T, training, verb, evalB = 0) {
    const capB = Math.max(this._capB, B, evalB), capT = Math.max(this._capT, T);
    const need = this._bytesAt(this._optimKind(training), capB, capT);
    let what = `${verb} at batch ${B}, length ${T}`;
    if (capB > B || capT > T)
      what += ` (work memory for batch ${capB}, length ${capT}: ${evalB > B ? `evaluation runs in batches of ${evalB}` : 'the largest this model has run'})`;
    this._lab._ensureRoom(need, this._held, what, 'reduce hidden, the batch size or the length');
    this._capB = capB;
    this._capT = capT;
    this._held = Math.max(this._held, need);
  }

  // Before running a dataset's split in the run layer's evaluation batches (rnlw_eval_data, rnlw_predict_series).
  _reserveSplit(dataset, split, verb) {
    const evalBatch = this._lab._defaults.recurrent.evalBatch;
    this._reserve(Math.max(1, Math.min(evalBatch, dataset.counts[split])), dataLength(dataset), false, verb);
  }

  _readConfig() {
    const lab = this._lab;
    const heap = lab._heap, pc = heap.slot(0), pi = heap.slot(1);
    lab._c.rnlw_model_config(pc, pi, this._handle);
    const info = heap.read('model_info', pi);
    this._numParams = info.params;
    this._numTensors = info.tensors;
    return heap.read('config', pc);  // cell, vocab, embed, inputSize, hidden, layers, bidirectional, head, outputs, seq2seq, forgetBias
  }

  get numParams() {
    void this._handle;  // throws if freed
    return this._numParams;
  }

  // --- Optimizer ---

  /**
   * Sets the optimizer. Fields left out take their defaults (rnl_optim_default; clip 1 as the CLI). With
   * the same kind as the current one (and no `reset`) the moments and step count are kept.
   */
  setOptimizer(opts = {}) {
    const { kind, reset, record } = optimizerOptions(this._lab, opts, 'setOptimizer');
    // A new kind changes the optimizer's state (Adam: two floats per parameter).
    const need = this._bytesAt(kind, this._capB, this._capT);
    this._lab._ensureRoom(need, this._held, `train with ${this._lab.names.optimizers[kind]}`, 'reduce hidden, layers, embed or vocab, or use sgd');
    this._lab._check(this._lab._c.rnlw_set_optimizer(this._handle, record(), reset));
    this._held = need;
  }

  /** The optimizer's settings and step count, or null before one is set or made by training. */
  get optimizer() {
    // kind, lr, momentum, beta1, beta2, eps, weightDecay, clip, steps
    return readOptimizer(this._lab, 'rnlw_optimizer_info', this._handle);
  }

  // --- Batches ---

  // Checks a batch object against the model and stages it in WASM memory for the next call.
  _setBatch(batch, needTargets, where) {
    const c = this.config, lab = this._lab;
    if (batch === undefined) throw argError(`${where}: a batch is required`);
    checkKeys(batch, BATCH_KEYS, where);
    const B = checkInt(batch.B, 'batch.B', where, 1), T = checkInt(batch.T, 'batch.T', where, 1);
    const training = where === 'trainStep' || where === 'trainStepAsync' || where === 'replica';
    this._reserve(B, T, training, training ? 'train' : 'run');
    let tokens = null, inputs = null, lengths = null, targets = null;
    if (c.vocab > 0) {
      if (batch.inputs !== undefined) throw argError(`${where}: the model reads token ids (vocab ${c.vocab}): give batch.tokens, not batch.inputs`);
      tokens = toTyped(Int32Array, batch.tokens, B * T, 'batch.tokens', where);
    } else {
      if (batch.tokens !== undefined) throw argError(`${where}: the model reads real-valued inputs (inputSize ${c.inputSize}): give batch.inputs, not batch.tokens`);
      inputs = toTyped(Float32Array, batch.inputs, B * T * c.inputSize, 'batch.inputs', where);
    }
    if (batch.lengths !== undefined && batch.lengths !== null) lengths = toTyped(Int32Array, batch.lengths, B, 'batch.lengths', where);
    if (needTargets) {
      const per = c.head === 'regression' ? c.outputs : 1;
      targets = toTyped(Float32Array, batch.targets, B * (c.seq2seq ? T : 1) * per, 'batch.targets', where);
    }
    const h = this._handle;
    const p = lab._heap.stage([tokens, inputs, lengths, targets]);
    lab._c.rnlw_batch_set(B, T, ...p);
    return h;
  }

  // Runs a call that fills a 'progress' record (given first): its status, and the record.
  _progress(call) {
    const lab = this._lab, p = lab._heap.slot(0);
    const status = call(p);
    return { status, r: lab._heap.read('progress', p) };
  }

  /** One training step (zero grads, forward, backward, clip, update) on a batch. */
  trainStep(batch, opts) {
    const { bpttWindow = 0 } = checkKeys(opts, ['bpttWindow'], 'trainStep');
    checkInt(bpttWindow, 'bpttWindow', 'trainStep', 0);
    const h = this._setBatch(batch, true, 'trainStep');
    const { status, r } = this._progress((p) => this._lab._c.rnlw_train_step(p, h, bpttWindow));
    this._lab._check(status);
    const { loss, gradNorm, clipped, accuracy, step } = stepStats(r);
    return { loss, gradNorm, clipped, accuracy, step };
  }

  /**
   * Training steps on n instances of the module: n - 1 Worker replicas of this model (worker_threads in
   * Node, Workers in a browser; lib/threads.js), used by trainStepAsync. 1 ends them. The results are the
   * same bytes at every count.
   */
  async setThreads(n) {
    // Between two steps of a run (its onProgress) is fine: the run's next chunk takes the new path. The
    // seam of the shared-memory path (lab.sharedMemory) goes after the count's check: the core's own
    // threads take n there, and threadPath is 'shared'; everywhere else, Worker replicas.
    if (this._stepping) throw argError('setThreads: a step is running on the threads (call it between steps)');
    checkInt(n, 'threads', 'setThreads', 1, MAX_THREADS);
    // A shared-memory lab: the core's own threads, Worker instances over its memory (lib/shared.js).
    if (this._lab.sharedMemory) return void (this._sharedThreads = await setSharedThreads(this, n));
    this._pool?.close();
    this._pool = null;
    if (n > 1) this._pool = await ReplicaPool.create(this, n);
  }

  /** The instances trainStepAsync uses (setThreads). */
  get threads() {
    return this._sharedThreads ?? this._pool?.threads ?? 1;
  }

  /**
   * How its threads run: 'single' (one), 'replicas' (Worker replicas that exchange gradient bytes) or
   * 'shared' (the core's own threads on a shared-memory lab).
   */
  get threadPath() {
    if (this.threads <= 1) return 'single';
    return this._sharedThreads ? 'shared' : 'replicas';
  }

  /** What the replicas' copies cost so far: steps, bytes posted out and in, fresh copies of the model. */
  get threadStats() {
    return this._pool ? { ...this._pool.stats } : null;
  }

  /** trainStep over the instances of setThreads: the same result, to the bit, at any count. */
  async trainStepAsync(batch, opts) {
    const { bpttWindow = 0 } = checkKeys(opts, ['bpttWindow'], 'trainStepAsync');
    checkInt(bpttWindow, 'bpttWindow', 'trainStepAsync', 0);
    if (!this._pool) return this.trainStep(batch, opts);
    if (this._busy) throw argError('trainStepAsync: this model is already training (await the step before the next)');
    this._busy = this._stepping = true;
    try {
      const { status, r } = await this._pool.step(batch, bpttWindow);
      this._lab._check(status);
      const { loss, gradNorm, clipped, accuracy, step } = stepStats(r);
      return { loss, gradNorm, clipped, accuracy, step };
    } finally {
      this._busy = this._stepping = false;
    }
  }

  // n steps of a span over the replicas (threadPath 'replicas'): the run layer's step-by-step form, each
  // step's batch made in C by next(out) (a 'batch' record), its shards computed on every instance, then
  // rnlw_span_apply. What a chunk of rnlw_train_task / _train_data gives: { status, done, stats }, the
  // same bytes.
  async _replicaChunk(n, next, bpttWindow) {
    const lab = this._lab, c = lab._c, heap = lab._heap;
    let status = c.rnlw_span_start(this._handle);
    this._stepping = true;
    try {
      for (let i = 0; i < n && !status; i++) {
        const v = heap.slot(1);
        if ((status = next(v))) break;
        const r = heap.read('batch', v);
        if (!r.B) break;  // the epoch order's end
        const batch = { B: r.B, T: r.T, targets: heap.f32(r.targets, r.nTargets) };
        if (r.tokens) batch.tokens = heap.i32(r.tokens, r.nTokens);
        if (r.inputs) batch.inputs = heap.f32(r.inputs, r.nInputs);
        if (r.lengths) batch.lengths = heap.i32(r.lengths, r.B);
        ({ status } = await this._pool.step(batch, bpttWindow, true));
      }
    } finally {
      this._stepping = false;
    }
    const { r } = this._progress((p) => c.rnlw_span_finish(p, this._handle));
    return { status, done: r.done, stats: stepStats(r) };
  }

  /** Releases its WebAssembly memory and ends its replicas (setThreads). */
  free() {
    this._pool?.close();
    this._pool = null;
    super.free();
  }

  /** Loss and accuracy (null for regression) of a batch, without training. */
  evaluate(batch) {
    const h = this._setBatch(batch, true, 'evaluate');
    const { status, r } = this._progress((p) => this._lab._c.rnlw_eval(p, h));
    this._lab._check(status);
    const { loss, accuracy } = stepStats(r);
    return { loss, accuracy };
  }

  _predictions(h) {
    const lab = this._lab;
    const p = lab._heap.slot(0);
    lab._c.rnlw_predictions(p, h);
    const { data, n } = lab._heap.read('span', p);
    return lab._heap.f32(data, n);
  }

  /** Predictions for a batch (targets are not needed): (B, outputs), or (B, T, outputs) for seq2seq. */
  predict(batch) {
    const h = this._setBatch(batch, false, 'predict');
    this._lab._check(this._lab._c.rnlw_predict(h));
    return this._predictions(h);
  }

  /**
   * Loss, gradients and predictions of a batch, with no update (what `rnnlab grad` prints). dropoutStep >= 1
   * (a model with dropout): with the dropout masks training draws at that optimizer step.
   */
  gradients(batch, opts) {
    const { bpttWindow = 0, dropoutStep = 0 } = checkKeys(opts, ['bpttWindow', 'dropoutStep'], 'gradients');
    checkInt(bpttWindow, 'bpttWindow', 'gradients', 0);
    checkInt(dropoutStep, 'dropoutStep', 'gradients', 0);
    const lab = this._lab, h = this._setBatch(batch, true, 'gradients');
    lab._c.rnlw_set_dropout_step(h, dropoutStep);
    const { status, r } = this._progress((p) => lab._c.rnlw_gradients(p, h, bpttWindow));
    lab._c.rnlw_set_dropout_step(h, 0);
    lab._check(status);
    const { loss, gradNorm } = r;
    const gradients = lab._heap.f32(lab._c.rnlw_model_grads(h), this._numParams);
    return { loss, gradNorm, gradients, predictions: this._predictions(h) };
  }

  // --- Synthetic tasks ---

  /**
   * Trains on a synthetic task: the loop of `rnnlab train` (same seed, same batches), run in chunks with
   * progress reports between them and a yield to the event loop every `yieldMs` ms.
   */
  async trainTask(opts) {
    const where = 'trainTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'steps', 'batchSize', 'seed', 'bpttWindow', 'evalEvery', 'evalBatches',
      'evalBatchSize', 'progressEvery', 'onProgress', 'signal', 'yieldMs', 'schedule'], where);
    const d = lab._defaults.recurrent;
    const { task, length = d.length, steps = d.steps, batchSize = d.batch, bpttWindow = d.bptt, evalEvery = 0,
      evalBatches = d.heldoutBatches, evalBatchSize = d.heldoutBatch, progressEvery = 10, onProgress, signal, yieldMs = 30 } = opts;
    const t = indexOf(lab.names.tasks, task, 'task', where);
    checkInt(length, 'length', where, 2);
    checkInt(steps, 'steps', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(bpttWindow, 'bpttWindow', where, 0);
    checkInt(evalEvery, 'evalEvery', where, 0);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    checkFunction(onProgress, 'onProgress', where);
    if (this._busy) throw argError(`${where}: this model is already training`);
    this._reserve(batchSize, length, true, 'train', evalEvery ? evalBatchSize : 0);
    // As `rnnlab train`: without a seed, continue the data stream from the steps already done.
    const done0 = this.optimizer?.steps ?? 0;
    const seed = opts.seed ?? lab._c.rnlw_train_seed(done0);
    const [lo, hi] = splitSeed(seed, where);
    this._setSchedule(opts.schedule, where, done0 + steps, 0);
    lab._c.rnlw_task_seed(this._handle, lo, hi);
    return trainLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        if (this.threadPath === 'replicas')
          return this._replicaChunk(n, (v) => lab._c.rnlw_span_task_batch(v, this._handle, t, batchSize, length), bpttWindow);
        const { status, r } = this._progress((p) => lab._c.rnlw_train_task(p, this._handle, t, batchSize, length, n, bpttWindow));
        return { status, done: r.done, stats: stepStats(r) };
      },
      // The held-out batches of `rnnlab train`: their own seed (the run layer's), so every run sees the same ones.
      // Recorded on the history's last point, as `rnnlab train` does.
      evaluate: () => {
        const e = this.evaluateTask({ task, length, batches: evalBatches, batchSize: evalBatchSize,
          seed: lab._c.rnlw_heldout_seed(KIND_RECURRENT, length) });
        lab._c.rnlw_history_heldout(this._handle, e.loss, e.accuracy ?? NaN);
        return e;
      },
    });
  }

  /** Held-out loss and accuracy (null for regression) on fresh batches, as `rnnlab eval` (same defaults). */
  evaluateTask(opts) {
    const where = 'evaluateTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'batches', 'batchSize', 'seed'], where);
    const d = lab._defaults.recurrent;
    const { task, length = d.length, batches = d.testBatches, batchSize = d.testBatch, seed = d.testSeed } = opts;
    const t = indexOf(lab.names.tasks, task, 'task', where);
    const [lo, hi] = splitSeed(seed, where);
    checkInt(length, 'length', where, 2);
    checkInt(batchSize, 'batchSize', where, 1);
    this._reserve(batchSize, length, false, 'evaluate');
    checkInt(batches, 'batches', where, 1);
    const { status, r } = this._progress((p) => lab._c.rnlw_eval_task(p, this._handle, t, length, batches, batchSize, lo, hi));
    lab._check(status);
    const { loss, accuracy } = stepStats(r);
    return { loss, accuracy };
  }

  // --- Datasets ---

  /**
   * Trains on a dataset's training split: the loop of `rnnlab train --data` (same epoch orders for the
   * same seed, length bucketing for text, validation after each epoch), run in C in chunks with progress
   * reports and yields to the event loop between them. The model keeps the data's description as meta.
   */
  async trainDataset(dataset, opts) {
    const where = 'trainDataset', lab = this._lab;
    const ds = lab._datasetHandle(dataset, where);
    opts = checkKeys(opts, ['epochs', 'batchSize', 'bucket', 'seed', 'bpttWindow', 'onProgress', 'onEpoch', 'signal', 'yieldMs',
      'progressEvery', 'schedule', 'keepBest', 'patience', 'resumeBest'], where);
    const d = lab._defaults.recurrent;
    const { epochs = d.epochs, batchSize = d.batch, bucket = d.bucket, bpttWindow = d.bptt, onProgress, onEpoch, signal, yieldMs = 30,
      progressEvery = 10, keepBest = false, patience = 0 } = opts;
    checkBool(keepBest, 'keepBest', where);
    checkInt(patience, 'patience', where, 0, lab.limits.patience.max);
    if (patience && !keepBest) throw argError(`${where}: patience counts epochs without improvement: it needs keepBest`);
    if (keepBest && dataset.counts.val === 0)
      throw argError(`${where}: keepBest judges each epoch on the validation split, and this dataset has none`);
    const resumeBest = opts.resumeBest ?? null;
    if (resumeBest !== null) checkResumeBest(resumeBest, keepBest, where);
    checkInt(epochs, 'epochs', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(bucket, 'bucket', where, 1);
    checkInt(bpttWindow, 'bpttWindow', where, 0);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    checkFunction(onProgress, 'onProgress', where);
    checkFunction(onEpoch, 'onEpoch', where);
    if (this._busy) throw argError(`${where}: this model is already training`);
    this._reserve(batchSize, dataLength(dataset), true, 'train', Math.min(d.evalBatch, dataset.counts.val));
    lab._check(lab._c.rnlw_attach_data(this._handle, ds));
    // As `rnnlab train --data`: without a seed the shuffles continue from the steps already done, and a
    // resumed run continues the epoch count.
    const done0 = this.optimizer?.steps ?? 0;
    const [lo, hi] = splitSeed(opts.seed ?? lab._c.rnlw_train_seed(done0), where);
    if (dataset.counts.train === 0) throw argError(`${where}: the dataset has no training examples`);
    const perEpoch = lab._c.rnl_run_batches_per_epoch(ds, batchSize), steps = perEpoch * epochs;
    const epoch0 = lab._c.rnl_run_first_epoch(ds, batchSize, done0);
    this._setSchedule(opts.schedule, where, done0 + steps, perEpoch);
    let val = null, best = null;
    if (keepBest) {
      // As `rnnlab train --keep-best`: a trained model's own score is the mark to beat (and is kept until beaten).
      lab._c.rnlw_keep_best_start(this._handle, patience);
      this._best = null;
      if (resumeBest) {
        // A run taken up again: the earlier part already judged the epoch this model is at, and its best
        // (perhaps an earlier epoch, whose checkpoint the caller kept) is the mark to beat.
        const { epoch, step, loss, accuracy, stale, checkpoint } = resumeBest;
        const p = lab._heap.write('best', lab._heap.slot(0), { epoch, step, loss, accuracy: accuracy ?? NaN, stale });
        lab._heap.withCopy(checkpoint, (ck) => lab._check(lab._c.rnlw_keep_best_resume(this._handle, p, ck, checkpoint.byteLength)));
        best = this._best = { epoch, step, loss, accuracy: accuracy ?? null, stale, improved: false };
      } else if (done0 > 0) {
        best = this._keepBest(dataset, epoch0).best;
      }
    }
    const r = await trainLoop(this, { steps, batchSize, progressEvery, perEpoch, epochs, onProgress, signal, yieldMs,
      startEpoch: (e) => lab._check(lab._c.rnlw_data_epoch(this._handle, dataset._handle, lo, hi, epoch0 + e, batchSize, bucket)),
      chunk: (n, done) => {
        if (this.threadPath === 'replicas')
          return this._replicaChunk(n, (v) => lab._c.rnlw_span_data_batch(v, this._handle, dataset._handle, done % perEpoch, batchSize),
            bpttWindow);
        const { status, r } = this._progress((p) => lab._c.rnlw_train_data(p, this._handle, dataset._handle, done % perEpoch, n,
          batchSize, bpttWindow));
        return { status, done: r.done, stats: stepStats(r) };
      },
      // Validation after each epoch, as the CLI (not after an interrupted one); with keepBest, the core's rule
      // decides whether the epoch is kept and whether patience has run out (which ends the run).
      endEpoch: async (e, done) => {
        let stop = false;
        if (keepBest) ({ val, best, stop } = this._keepBest(dataset, epoch0 + e + 1));
        else {
          val = dataset.counts.val > 0 ? this.evaluateDataset(dataset, 'val') : null;
          if (val) lab._c.rnlw_history_heldout(this._handle, val.loss, val.accuracy ?? NaN);
        }
        if (onEpoch) await settle(onEpoch({ epoch: e + 1, epochs, step: done, totalSteps: this.optimizer.steps, val, best }));
        return stop;
      },
    });
    return { epochs, steps: r.steps, totalSteps: r.totalSteps, loss: r.loss, meanLoss: r.meanLoss, val, seconds: r.seconds,
      seqPerSec: r.seqPerSec, stopped: r.stopped, best, stoppedEarly: r.stoppedEarly };
  }

  // The schedule of the next training calls (null/undefined: the optimizer's own rate), its total and step
  // size resolved for a run ending at endStep with epochs of epochSteps steps (0: a task run).
  _setSchedule(schedule, where, endStep, epochSteps) {
    const lab = this._lab;
    const p = schedule === undefined || schedule === null ? 0 : scheduleRecord(lab, schedule, where, { endStep, epochSteps });
    lab._check(lab._c.rnlw_set_schedule(this._handle, p));
  }

  // keepBest after an epoch (rnlw_keep_best): { val (this epoch's), best, stop }.
  _keepBest(dataset, epoch) {
    const lab = this._lab, p = lab._heap.slot(0);
    this._reserveSplit(dataset, 'val', 'evaluate');
    lab._check(lab._c.rnlw_keep_best(p, this._handle, dataset._handle, epoch));
    const r = lab._heap.read('best', p);
    this._best = bestOf(r);  // what restoreBest puts back
    const val = { loss: r.valLoss, accuracy: Number.isNaN(r.valAccuracy) ? null : r.valAccuracy, count: dataset.counts.val };
    return { val, best: bestOf(r), stop: r.stop };
  }

  /**
   * Puts back the best epoch kept by trainDataset({ keepBest: true }): its parameters and optimizer state
   * replace the model's. Returns { epoch, step, loss, accuracy }; throws if none was kept.
   */
  restoreBest() {
    const lab = this._lab;
    lab._check(lab._c.rnlw_restore_best(this._handle));
    const { epoch, step, loss, accuracy } = this._best;
    return { epoch, step, loss, accuracy };
  }

  /** The checkpoint bytes (with the optimizer) of the best epoch kept by keepBest, or null. */
  bestCheckpoint() {
    const lab = this._lab, p = lab._heap.slot(0);
    lab._c.rnlw_best_checkpoint(p, this._handle);
    const { data, n } = lab._heap.read('span', p);
    return data ? lab._heap.bytes(data, n) : null;
  }

  /** Loss and accuracy (null for a series) over a whole split, as `rnnlab eval --data`. Default split: 'test'. */
  evaluateDataset(dataset, split = 'test') {
    const where = 'evaluateDataset', lab = this._lab;
    const ds = lab._datasetHandle(dataset, where);
    const s = splitIndex(split, where);
    this._reserveSplit(dataset, split, 'evaluate');
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_eval_data(p, this._handle, ds, s));
    const { loss, accuracy, count } = lab._heap.read('split_eval', p);
    return { loss, accuracy: Number.isNaN(accuracy) ? null : accuracy, count };
  }

  /**
   * The sentiment of a text, read with the model's own vocabulary (its meta bytes, as `rnnlab predict`):
   * the probability that it is positive, the token ids and words the model saw ('<unk>' for unknown
   * ones), the words as typed (lowercased, as the tokenizer cut them: what an '<unk>' stood for), and
   * the probability after each word (null for a bidirectional model): the change from one step to the
   * next is that word's contribution.
   */
  predictText(text) {
    const lab = this._lab, h = this._handle, bytes = textBytes(text, 'predictText');
    const p = lab._heap.slot(0);
    lab._check(lab._heap.withCopy(bytes, (tp) => lab._c.rnlw_predict_text(p, h, tp, bytes.byteLength)));
    const r = lab._heap.read('text_prediction', p), probability = r.probability, len = r.length;
    const ids = lab._heap.i32(r.ids, len);
    const stepProbabilities = r.stepProbabilities ? lab._heap.f32(r.stepProbabilities, len) : null;
    const tokens = Array.from(ids, (id) => lab._heap.str(lab._c.rnlw_model_word(h, id)));
    let unknown = 0;
    for (const id of ids) unknown += id === 1;
    // The same text's words, one per id (slot 0: their address, slot 1: their size in bytes).
    const wp = lab._heap.slot(0), wn = lab._heap.slot(1);
    lab._check(lab._heap.withCopy(bytes, (tp) => lab._c.rnlw_text_words(wp, wn, h, tp, bytes.byteLength)));
    const raw = lab._heap.bytes(lab._heap.i32(wp, 1)[0] >>> 0, lab._heap.i32(wn, 1)[0]);
    const words = new TextDecoder().decode(raw.subarray(0, raw.length - 1)).split('\0');
    return { probability, ids, tokens, words, unknown, stepProbabilities };
  }

  /**
   * Next-step predictions over a split's windows of a series, in the series' own units (de-normalised in
   * C): actual[i] is the value right after window i, predicted[i] the model's first output for it.
   */
  predictSeries(dataset, split = 'test') {
    const where = 'predictSeries', lab = this._lab;
    const ds = lab._datasetHandle(dataset, where);
    const s = splitIndex(split, where);
    this._reserveSplit(dataset, split, 'predict');
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_predict_series(p, this._handle, ds, s));
    const { data, n } = lab._heap.read('span', p);  // (2, n) doubles: actual, then predicted
    return { actual: lab._heap.f64(data, n), predicted: lab._heap.f64(data + 8 * n, n) };
  }

  // --- Introspection ---

  /** Records sample `sample` of the next forward (gates, states) and backward (gradient norms); null: off. */
  setTrace(sample) {
    if (sample === null || sample === false || sample === undefined) sample = -1;
    checkInt(sample, 'sample', 'setTrace', -1);
    this._lab._c.rnlw_set_trace(this._handle, sample);
  }

  _trace(kind, layer, dir, where) {
    const c = this.config, lab = this._lab;
    checkInt(layer, 'layer', where, 0, c.layers - 1);
    checkInt(dir, 'dir', where, 0, c.bidirectional ? 1 : 0);
    const p = lab._heap.slot(0);
    lab._c.rnlw_trace(p, this._handle, kind, layer, dir);
    const { data, steps, width } = lab._heap.read('trace', p);
    if (!data) return null;
    return { steps, width, data: lab._heap.f32(data, steps * width) };
  }

  /** Gate activations of the traced sample, (steps, G*H) in PyTorch gate order; null if none traced. */
  gateTrace(layer = 0, dir = 0) {
    return this._trace(0, layer, dir, 'gateTrace');
  }

  /** Cell state (LSTM) or hidden state (RNN, GRU) of the traced sample, (steps, H); null if none traced. */
  stateTrace(layer = 0, dir = 0) {
    return this._trace(1, layer, dir, 'stateTrace');
  }

  /** ||dL/dh_t|| per step after a traced backward, (steps); null if none. */
  gradNormTrace(layer = 0, dir = 0) {
    return this._trace(2, layer, dir, 'gradNormTrace');
  }

  // --- Inspection (rnnlab_inspect.h, through web/wasm_inspect.c) ---

  /**
   * A text read word by word, as `rnnlab inspect`: for each token its word, P(positive) after it, h_t's
   * point on the state map (a PCA over `reviews` reviews of the dataset's split, with their final states as
   * a cloud, or over this text's own states without a dataset), the backward view (‖dL/dh_t‖ and the paths
   * of step t's part of dL/dh_{t-1}) and the chosen units of `layer` (gates, their parts, c_t, h_t).
   * `label` (0, 1) is what the backward view follows; null: the model's own answer.
   */
  inspectText(text, opts) {
    const where = 'inspectText', lab = this._lab, h = this._handle, c = this.config;
    const { units = [0, 1, 2].filter((u) => u < c.hidden), layer = 0, label = null, dataset = null, split = 'test',
      reviews = 200 } = checkKeys(opts, ['units', 'layer', 'label', 'dataset', 'split', 'reviews'], where);
    checkInt(layer, 'layer', where, 0, c.layers - 1);
    if (label !== null) checkInt(label, 'label', where, 0, 1);
    checkInt(reviews, 'reviews', where, 2);
    const u = toTyped(Int32Array, units, undefined, 'units', where);
    for (const v of u) checkInt(v, 'units[i]', where, 0, c.hidden - 1);
    const ds = dataset ? lab._datasetHandle(dataset, where) : 0, s = dataset ? splitIndex(split, where) : 0;
    if (dataset) this._reserveSplit(dataset, split, 'inspect');
    const bytes = textBytes(text, where), p = lab._heap.slot(0);
    lab._check(lab._heap.withCopy(bytes, (tp) => lab._heap.withCopy(u.length ? u : new Int32Array(1), (up) =>
      lab._c.rnlw_inspect_text(p, h, tp, bytes.byteLength, label ?? -1, layer, up, u.length, ds, s, reviews))));
    const r = lab._heap.read('walk', p), heap = lab._heap, n = r.length;
    const ids = heap.i32(r.ids, n), stepSize = heap.records.size('inspect_step'), unitSize = heap.records.size('unit_step');
    const paths = [r.path0, r.path1].slice(0, r.nPaths);
    const tokens = Array.from(ids, (id, t) => {
      const st = heap.read('inspect_step', r.steps + t * stepSize);
      const unitSteps = Array.from(u, (unit, i) => {
        const us = heap.read('unit_step', r.units + (t * u.length + i) * unitSize), G = us.gates;
        return { unit, gates: us.gate.slice(0, G), pre: us.pre.slice(0, G), xPart: us.xPart.slice(0, G), hPart: us.hPart.slice(0, G),
          hPrev: us.hPrev, h: us.h, cPrev: us.cPrev, c: us.c, xNorm: us.xNorm, hPrevNorm: us.hPrevNorm, dh: us.dh, dc: us.dc };
      });
      return { word: heap.str(lab._c.rnlw_model_word(h, id)), id, positive: st.positive, xy: [st.x, st.y], gradH: st.gradH,
        gradC: st.gradC, toPrev: st.toPrevH, paths: Object.fromEntries(paths.map((name, k) => [name, st.path[k]])), units: unitSteps };
    });
    const cloud = r.cloud ? { xy: heap.f64(r.cloud, 2 * r.cloudN), labels: heap.i32(r.cloudLabels, r.cloudN) } : null;
    return { cell: c.cell, layer, units: Array.from(u), probability: r.probability, label, paths, tokens,
      projection: { fittedOn: r.fittedOnData ? 'dataset' : n >= 2 ? 'text' : 'none', explained: r.explained }, cloud };
  }

  /**
   * The word map, as `rnnlab embeddings`: the n most frequent words with their places on two maps (pca:
   * the first two principal axes; readout: the readout direction against the first axis), each word's own
   * effect (the logit and P(positive) of the one-word review), and which map lines words up by it better.
   * opts.dataset (the model's own data set): each map also measured against the words' polarity in its
   * training reviews (dataSeparation), and `best` chosen by that, as `rnnlab embeddings --data`.
   */
  wordMap(n = 200, opts) {
    const where = 'wordMap', lab = this._lab, heap = lab._heap;
    checkInt(n, 'n', where, 2);
    const { dataset = null } = checkKeys(opts, ['dataset'], where);
    const ds = dataset ? lab._datasetHandle(dataset, where) : 0;
    const p = heap.slot(0);
    lab._check(lab._c.rnlw_word_map(p, this._handle, Math.min(n, Math.max(2, this.config.vocab - 2)), ds));
    const r = heap.read('word_map', p), ids = heap.i32(r.ids, r.n);
    return { words: Array.from(ids, (id) => heap.str(lab._c.rnlw_model_word(this._handle, id))), ids,
      pca: heap.f64(r.pca, 2 * r.n), readout: heap.f64(r.readout, 2 * r.n), effect: heap.f64(r.effect, r.n),
      positive: heap.f64(r.prob, r.n), separation: { pca: r.sepPca, readout: r.sepReadout },
      dataSeparation: dataset ? { pca: r.dataSepPca, readout: r.dataSepReadout } : null, best: r.bestReadout ? 'readout' : 'pca' };
  }

  /** The k words whose embeddings have the largest cosine with `word`'s: [{ word, cos }], falling. */
  neighbours(word, k = 5) {
    const where = 'neighbours', lab = this._lab, heap = lab._heap, h = this._handle;
    if (typeof word !== 'string' || word === '') throw argError(`${where}: expected a word`);
    checkInt(k, 'k', where, 1, 1000);
    const bytes = new TextEncoder().encode(word);
    const id = heap.withCopy(bytes, (wp) => lab._c.rnlw_word_id(h, wp, bytes.byteLength));
    if (id < 0) lab._check(lab._c.rnlw_last_status());
    if (id === 1) throw argError(`${where}: '${word}' is not in the model's vocabulary`);
    const p = heap.slot(0);
    lab._check(lab._c.rnlw_neighbours(p, h, id, k));
    const r = heap.read('neighbours', p), ids = heap.i32(r.ids, r.found), cos = heap.f64(r.cos, r.found);
    return Array.from(ids, (nid, i) => ({ word: heap.str(lab._c.rnlw_model_word(h, nid)), id: nid, cos: cos[i] }));
  }

  /**
   * The training history kept with the model (and in its checkpoint): one point per training step,
   * { step, loss, accuracy, gradNorm, valLoss, valAccuracy }, null where a figure was not measured.
   */
  history() {
    const lab = this._lab, heap = lab._heap, p = heap.slot(0);
    lab._c.rnlw_history(p, this._handle);
    const { data, n } = heap.read('span', p), size = heap.records.size('history_point'), out = [];
    const orNull = (v) => (Number.isNaN(v) ? null : v);
    for (let i = 0; i < n; i++) {
      const r = heap.read('history_point', data + i * size);
      out.push({ step: r.step, loss: r.loss, accuracy: orNull(r.accuracy), gradNorm: r.gradNorm, valLoss: orNull(r.valLoss),
        valAccuracy: orNull(r.valAccuracy) });
    }
    return out;
  }

  // --- Parameters and checkpoints ---

  /** A copy of the whole parameter block (layout: tensors()). */
  parameters() {
    return this._lab._heap.f32(this._lab._c.rnlw_model_params(this._handle), this._numParams);
  }

  /** Replaces the whole parameter block (numParams finite values). */
  setParameters(values) {
    const h = this._handle, lab = this._lab;
    const a = toTyped(Float32Array, values, undefined, 'values', 'setParameters');
    lab._check(lab._heap.withCopy(a, (p) => lab._c.rnlw_set_params(h, p, a.length)));
  }

  /** The tensors of the parameter block: PyTorch state_dict names, offsets and shapes. */
  tensors() {
    const h = this._handle, lab = this._lab, list = [];
    for (let i = 0; i < this._numTensors; i++) {
      const p = lab._heap.slot(0);
      lab._c.rnlw_tensor(p, h, i);
      const { name, offset, rows, cols } = lab._heap.read('tensor', p);
      list.push({ name, offset, rows, cols, shape: cols === 1 ? [rows] : [rows, cols] });
    }
    return list;
  }

  /** A copy of the model's meta bytes (the description of its data, kept in checkpoints), or null. */
  meta() {
    const lab = this._lab, p = lab._heap.slot(0);
    lab._c.rnlw_meta(p, this._handle);
    const { data, n } = lab._heap.read('span', p);
    return data ? lab._heap.bytes(data, n) : null;
  }

  /** Sets the meta bytes saved with the model (null or empty: none). */
  setMeta(bytes) {
    const h = this._handle, lab = this._lab;
    if (bytes === null || bytes === undefined || bytes.byteLength === 0) return lab._check(lab._c.rnlw_set_meta(h, 0, 0));
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('setMeta: expected a Uint8Array, an ArrayBuffer or null');
    lab._check(lab._heap.withCopy(bytes, (p) => lab._c.rnlw_set_meta(h, p, bytes.byteLength)));
  }

  /** The checkpoint (format of the native CLI), with the optimizer's state unless optimizer: false. */
  saveCheckpoint(opts) {
    const { optimizer = true } = checkKeys(opts, ['optimizer'], 'saveCheckpoint');
    const lab = this._lab;
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_checkpoint_write(p, this._handle, checkBool(optimizer, 'optimizer', 'saveCheckpoint')));
    const { data, n } = lab._heap.read('span', p);
    return lab._heap.takeBuffer(data, n);
  }
}

