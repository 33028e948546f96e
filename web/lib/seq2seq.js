// seq2seq.js: Seq2SeqModel, an encoder-decoder with attention (rnl_s2s) for its task (reverse or dates):
// training through the one loop of progress.js, held-out evaluation, greedy decoding with the attention
// matrix, and checkpoints.
import { argError, checkKeys, checkInt, checkNumber, checkBool, splitSeed, checkFunction } from './errors.js';
import { CoreObject } from './heap.js';
import { trainLoop } from './progress.js';
import { optimizerOptions, readOptimizer } from './optimizer.js';


const KIND_SEQ2SEQ = 1;  // rnl_run_kind

/** An encoder-decoder with attention (rnnlab_seq2seq.h) for its task: reverse or dates. */
export class Seq2SeqModel extends CoreObject {
  constructor(lab, handle) {
    super(lab, handle, 'rnlw_s2s_destroy', 'model');
    this._busy = false;
    const p = lab._heap.slot(0);
    lab._c.rnlw_s2s_info(p, handle);
    const v = lab._heap.read('s2s_info', p);
    this._numParams = v.params;
    /** The task: its name and, for reverse, lengths and symbols (shown as letters a..). */
    this.task = Object.freeze(v.task === 'reverse' ? { name: v.task, minLength: v.minLen, maxLength: v.maxLen, symbols: v.symbols }
      : { name: v.task });
    /** The model's configuration (as rnl_s2s_config). */
    this.config = Object.freeze({ srcVocab: v.srcVocab, tgtVocab: v.tgtVocab, embed: v.embed, encoderCell: v.encCell,
      hidden: v.encHidden, layers: v.encLayers, bidirectional: v.bidirectional, decoderCell: v.decCell, attention: v.attention,
      attnWidth: v.attnWidth, forgetBias: v.forgetBias });
  }

  get numParams() {
    void this._handle;
    return this._numParams;
  }

  /** As Model.setOptimizer. Without one, training starts Adam at lr 0.005 with clip 1 (as the CLI). */
  setOptimizer(opts = {}) {
    const { reset, record } = optimizerOptions(this._lab, opts, 'setOptimizer');
    this._lab._check(this._lab._c.rnlw_s2s_set_optimizer(this._handle, record(), reset));
  }

  /** The optimizer's settings and step count, or null before one is set or made by training. */
  get optimizer() {
    return readOptimizer(this._lab, 'rnlw_s2s_optimizer_info', this._handle);
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
    const d = lab._defaults.seq2seq;
    const { steps = d.steps, batchSize = d.batch, evalEvery = 0, evalBatches = d.heldoutBatches, evalBatchSize = d.heldoutBatch,
      progressEvery = 10, onProgress, signal, yieldMs = 30 } = opts;
    checkInt(steps, 'steps', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(evalEvery, 'evalEvery', where, 0);
    checkInt(evalBatches, 'evalBatches', where, 1);
    checkInt(evalBatchSize, 'evalBatchSize', where, 1);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    checkFunction(onProgress, 'onProgress', where);
    if (this._busy) throw argError(`${where}: this model is already training`);
    // As the CLI: without a seed, continue the data stream from the steps already done.
    const [lo, hi] = splitSeed(opts.seed ?? lab._c.rnlw_train_seed(this.optimizer?.steps ?? 0), where);
    lab._c.rnlw_s2s_seed(this._handle, lo, hi);
    return trainLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        const p = lab._heap.slot(0);
        const status = lab._c.rnlw_s2s_train(p, this._handle, batchSize, n);
        const r = lab._heap.read('progress', p);
        return { status, done: r.done, stats: { step: r.steps, loss: r.loss, meanLoss: r.meanLoss, gradNorm: r.gradNorm,
          clipped: r.clipped, tokenAccuracy: r.accuracy, sequenceAccuracy: r.seqAccuracy } };
      },
      // Held-out batches of the run layer's own seed, as `rnnlab train` for a seq2seq checkpoint.
      evaluate: () => this.evaluate({ batches: evalBatches, batchSize: evalBatchSize, seed: lab._c.rnlw_heldout_seed(KIND_SEQ2SEQ, 0) }),
    });
  }

  /**
   * Held-out examples from their own seed, as `rnnlab eval` (same defaults: 10 batches of 100, seed
   * 1000003): greedy token and sequence accuracy, and the teacher-forced loss and accuracies.
   */
  evaluate(opts) {
    const where = 'evaluate', lab = this._lab;
    const d = lab._defaults.seq2seq;
    const { batches = d.testBatches, batchSize = d.testBatch, seed = d.testSeed } = checkKeys(opts, ['batches', 'batchSize', 'seed'], where);
    const [lo, hi] = splitSeed(seed, where);
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_s2s_eval(p, this._handle, checkInt(batches, 'batches', where, 1),
      checkInt(batchSize, 'batchSize', where, 1), lo, hi));
    const v = lab._heap.read('s2s_eval', p);
    return { tokenAccuracy: v.tokenAccuracy, sequenceAccuracy: v.seqAccuracy, loss: v.loss,
      teacherForcedTokenAccuracy: v.tfTokenAccuracy, teacherForcedSequenceAccuracy: v.tfSeqAccuracy };
  }

  /**
   * Greedy decoding of one text (reverse: letters of the task's symbols; dates: e.g. '3 May 1998'), with
   * the attention weights of each output step over the input (zeros without attention).
   */
  decode(text, opts) {
    const where = 'decode', lab = this._lab, h = this._handle;
    if (typeof text !== 'string') throw argError(`${where}: expected the input text as a string`);
    const { maxLength = 0 } = checkKeys(opts, ['maxLength'], where);
    checkInt(maxLength, 'maxLength', where, 0, lab.limits.decode_len.max);  // 0: the task's longest target + 5
    const p = lab._heap.slot(0);
    lab._check(lab._heap.withCString(text, (tp) => lab._c.rnlw_s2s_decode(p, h, tp, maxLength)));
    const d = lab._heap.read('decoded', p), nSrc = d.nSrc, nOut = d.nOut;
    const src = lab._heap.i32(d.src, nSrc), toks = lab._heap.i32(d.out, nOut);
    const data = lab._heap.f32(d.attention, nOut * nSrc);
    const tokenText = (side, id) => lab._heap.str(lab._c.rnlw_s2s_token_text(h, side, id));
    const inputTokens = Array.from(src, (id) => tokenText(0, id));
    const outputTokens = Array.from(toks, (id) => tokenText(1, id));
    const output = lab._heap.str(lab._heap.withCopy(toks, (p) => lab._c.rnlw_s2s_text(h, 1, p, nOut)));
    return { input: text, output, stoppedAtEos: d.stoppedAtEos, inputTokens, outputTokens,
      inputIds: src, outputIds: toks, attention: { rows: nOut, cols: nSrc, data } };
  }

  /**
   * The right answer the model's task pairs with an input text (reverse: the text reversed; dates: the ISO
   * date of a text written in one of the task's formats, '1998-05-03'), or null when the task has none
   * for it (a character it cannot read, a date in none of its formats or outside its range).
   */
  answer(text) {
    const lab = this._lab;
    if (typeof text !== 'string') throw argError('answer: expected the input text as a string');
    const p = lab._heap.withCString(text, (tp) => lab._c.rnlw_s2s_answer(this._handle, tp));
    return p ? lab._heap.str(p) : null;
  }

  /**
   * The checkpoint (format of `rnnlab init/train --task`), naming the task, with the optimizer's state
   * unless optimizer: false. A fresh model's bytes equal `rnnlab init` of the same configuration and seed.
   */
  saveCheckpoint(opts) {
    const { optimizer = true } = checkKeys(opts, ['optimizer'], 'saveCheckpoint');
    const lab = this._lab;
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_s2s_checkpoint_write(p, this._handle, checkBool(optimizer, 'optimizer', 'saveCheckpoint')));
    const { data, n } = lab._heap.read('span', p);
    return lab._heap.takeBuffer(data, n);
  }
}
