// seq2seq.js: Seq2SeqModel, an encoder-decoder with attention (rnl_s2s) for its task (reverse or dates):
// training through the one loop of progress.js, held-out evaluation, greedy decoding with the attention
// matrix, and checkpoints.
import { argError, checkKeys, checkInt, checkNumber, checkBool, splitSeed, pick, shortF32, indexOf } from './errors.js';
import { CoreObject } from './heap.js';
import { trainLoop } from './progress.js';

// Slots of the out area (web/wasm_api.c, enum OUT_*).
const OUT_LOSS = 0, OUT_GRAD_NORM = 1, OUT_CLIPPED = 2, OUT_ACCURACY = 3, OUT_STEPS = 4;
const OUT_MEAN_LOSS = 5, OUT_DONE = 7;

// Held-out batches of trainTask's evaluations (as `rnnlab train` for a seq2seq checkpoint: 2 x 64, one seed).
const S2S_EVAL_SEED = 0x5eed5200;

/** An encoder-decoder with attention (rnnlab_seq2seq.h) for its task: reverse or dates. */
export class Seq2SeqModel extends CoreObject {
  constructor(lab, handle) {
    super(lab, handle, 'rnlw_s2s_destroy', 'model');
    this._busy = false;
    lab._c.rnlw_s2s_info(handle);
    const v = Array.from({ length: 16 }, (_, i) => lab._heap.out(i));
    const names = lab.seq2seqNames, task = pick(names.tasks, v[0]);
    this._numParams = v[15];
    /** The task: its name and, for reverse, lengths and symbols (shown as letters a..). */
    this.task = Object.freeze(task === 'reverse' ? { name: task, minLength: v[1], maxLength: v[2], symbols: v[3] } : { name: task });
    /** The model's configuration (as rnl_s2s_config). */
    this.config = Object.freeze({ srcVocab: v[4], tgtVocab: v[5], embed: v[6], encoderCell: pick(lab.names.cells, v[7]),
      hidden: v[8], layers: v[9], bidirectional: v[10] === 1, decoderCell: pick(lab.names.cells, v[11]),
      attention: pick(names.attention, v[12]), attnWidth: v[13], forgetBias: shortF32(v[14]) });
  }

  get numParams() {
    void this._handle;
    return this._numParams;
  }

  /** As Model.setOptimizer. Without one, training starts Adam at lr 0.005 with clip 1 (as the CLI). */
  setOptimizer(opts = {}) {
    const where = 'setOptimizer', lab = this._lab;
    const keys = ['lr', 'momentum', 'beta1', 'beta2', 'eps', 'weightDecay', 'clip'];
    checkKeys(opts, ['kind', ...keys, 'reset'], where);
    const kind = indexOf(lab.names.optimizers, opts.kind ?? 'adam', 'kind', where);
    const vals = keys.map((k) => (opts[k] === undefined ? NaN : checkNumber(opts[k], k, where)));
    const reset = opts.reset === undefined ? 0 : checkBool(opts.reset, 'reset', where);
    lab._check(lab._c.rnlw_s2s_set_optimizer(this._handle, kind, ...vals, reset));
  }

  /** The optimizer's settings and step count, or null before one is set or made by training. */
  get optimizer() {
    const lab = this._lab;
    if (!lab._c.rnlw_s2s_optimizer_info(this._handle)) return null;
    const v = Array.from({ length: 9 }, (_, i) => lab._heap.out(i));
    const [lr, momentum, beta1, beta2, eps, weightDecay, clip] = v.slice(1, 8).map(shortF32);
    return { kind: pick(lab.names.optimizers, v[0]), lr, momentum, beta1, beta2, eps, weightDecay, clip, steps: v[8] };
  }

  /**
   * Trains on fresh batches of the task (teacher forcing): the loop of `rnnlab train --model` for a seq2seq
   * checkpoint, in chunks with progress reports, greedy held-out evaluations every `evalEvery` steps, and
   * a yield to the event loop every `yieldMs` ms.
   */
  async trainTask(opts) {
    const where = 'trainTask', lab = this._lab;
    opts = checkKeys(opts, ['steps', 'batchSize', 'seed', 'evalEvery', 'evalBatches', 'evalBatchSize', 'progressEvery',
      'onProgress', 'signal', 'yieldMs'], where);
    const { steps = 1000, batchSize = 32, evalEvery = 0, evalBatches = 2, evalBatchSize = 64, progressEvery = 10, onProgress,
      signal, yieldMs = 30 } = opts;
    checkInt(steps, 'steps', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(evalEvery, 'evalEvery', where, 0);
    checkInt(evalBatches, 'evalBatches', where, 1);
    checkInt(evalBatchSize, 'evalBatchSize', where, 1);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    if (onProgress !== undefined && typeof onProgress !== 'function') throw argError(`${where}: onProgress must be a function`);
    if (this._busy) throw argError(`${where}: this model is already training`);
    // As the CLI: without a seed, continue the data stream from the steps already done.
    const [lo, hi] = splitSeed(opts.seed ?? 1 + (this.optimizer?.steps ?? 0), where);
    lab._c.rnlw_s2s_seed(this._handle, lo, hi);
    return trainLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        const status = lab._c.rnlw_s2s_train(this._handle, batchSize, n);
        return { status, done: lab._heap.out(OUT_DONE), stats: { step: lab._heap.out(OUT_STEPS), loss: lab._heap.out(OUT_LOSS),
          meanLoss: lab._heap.out(OUT_MEAN_LOSS), gradNorm: lab._heap.out(OUT_GRAD_NORM), clipped: lab._heap.out(OUT_CLIPPED) === 1,
          tokenAccuracy: lab._heap.out(OUT_ACCURACY), sequenceAccuracy: lab._heap.out(8) } };
      },
      evaluate: () => this.evaluate({ batches: evalBatches, batchSize: evalBatchSize, seed: S2S_EVAL_SEED }),
    });
  }

  /**
   * Held-out examples from their own seed, as `rnnlab eval` (same defaults: 10 batches of 100, seed
   * 1000003): greedy token and sequence accuracy, and the teacher-forced loss and accuracies.
   */
  evaluate(opts) {
    const where = 'evaluate', lab = this._lab;
    const { batches = 10, batchSize = 100, seed = 1000003 } = checkKeys(opts, ['batches', 'batchSize', 'seed'], where);
    const [lo, hi] = splitSeed(seed, where);
    lab._check(lab._c.rnlw_s2s_eval(this._handle, checkInt(batches, 'batches', where, 1),
      checkInt(batchSize, 'batchSize', where, 1), lo, hi));
    const v = Array.from({ length: 5 }, (_, i) => lab._heap.out(i));
    return { tokenAccuracy: v[3], sequenceAccuracy: v[4], loss: v[0], teacherForcedTokenAccuracy: v[1],
      teacherForcedSequenceAccuracy: v[2] };
  }

  /**
   * Greedy decoding of one text (reverse: letters of the task's symbols; dates: e.g. '3 May 1998'), with
   * the attention weights of each output step over the input (zeros without attention).
   */
  decode(text, opts) {
    const where = 'decode', lab = this._lab, h = this._handle;
    if (typeof text !== 'string') throw argError(`${where}: expected the input text as a string`);
    const { maxLength = 0 } = checkKeys(opts, ['maxLength'], where);
    checkInt(maxLength, 'maxLength', where, 0, 10000);
    lab._check(lab._heap.withCString(text, (p) => lab._c.rnlw_s2s_decode(h, p, maxLength)));
    const nSrc = lab._heap.out(0), nOut = lab._heap.out(1), pSrc = lab._heap.out(2), pOut = lab._heap.out(3), pAttn = lab._heap.out(4);
    const src = lab._heap.i32(pSrc, nSrc), toks = lab._heap.i32(pOut, nOut);
    const data = lab._heap.f32(pAttn, nOut * nSrc);
    const tokenText = (side, id) => lab._heap.str(lab._c.rnlw_s2s_token_text(h, side, id));
    const inputTokens = Array.from(src, (id) => tokenText(0, id));
    const outputTokens = Array.from(toks, (id) => tokenText(1, id));
    const output = lab._heap.str(lab._heap.withCopy(toks, (p) => lab._c.rnlw_s2s_text(h, 1, p, nOut)));
    return { input: text, output, stoppedAtEos: nOut > 0 && toks[nOut - 1] === 2, inputTokens, outputTokens,
      inputIds: src, outputIds: toks, attention: { rows: nOut, cols: nSrc, data } };
  }

  /**
   * The checkpoint (format of `rnnlab init/train --task`), naming the task, with the optimizer's state
   * unless optimizer: false. A fresh model's bytes equal `rnnlab init` of the same configuration and seed.
   */
  saveCheckpoint(opts) {
    const { optimizer = true } = checkKeys(opts, ['optimizer'], 'saveCheckpoint');
    const lab = this._lab;
    lab._check(lab._c.rnlw_s2s_checkpoint_write(this._handle, checkBool(optimizer, 'optimizer', 'saveCheckpoint')));
    return lab._heap.takeBuffer(lab._heap.out(0), lab._heap.out(1));
  }
}
