// lab.js: RnnLab, one instance of the module: loading, the guarded calls into it, the names the core
// knows, memory accounting, and the factories of models and datasets (synthetic tasks, IMDB archives and
// files, CSVs, .rnld files). The classes they return live in model.js, seq2seq.js and dataset.js.
import { instantiate, WASM32_LIMIT } from './loader.js';
import { Heap, copyBatch } from './heap.js';
import { RnnLabError, ERR_NOMEM, argError, checkKeys, checkInt, checkNumber, checkBool, splitSeed, indexOf, checkFunction } from './errors.js';
import { asU8, textBytes, chunksOf, peek, isGzip, gunzip, SLICE } from './stream.js';
import { now, yieldToEventLoop, abortError } from './progress.js';
import { Dataset, dataLength } from './dataset.js';
import { Model } from './model.js';
import { Seq2SeqModel } from './seq2seq.js';
import { TransformerModel } from './transformer.js';
import { scheduleRecord } from './optimizer.js';
import { SharedThreads } from './shared.js';

const TRAINING_KINDS = ['recurrent', 'seq2seq', 'transformer'];  // rnl_run_kind order

export class RnnLab {
  /**
   * Loads the module: `source` is a URL or (in Node) a path to rnnlab.wasm, its bytes, a Response or a
   * compiled WebAssembly.Module; by default the build beside this file that the engine runs best:
   * rnnlab-relaxed.wasm where relaxed SIMD validates, else rnnlab.wasm. options.simd ('auto', 'plain',
   * 'relaxed') forces the default's choice; 'plain' gives the native build's bytes. options.shared
   * ('auto', true, false) takes the shared-memory twin of that build, whose threads (model.setThreads) are
   * Worker instances over one memory (lib/shared.js): 'auto' does where it can (a Worker of a
   * cross-origin-isolated page; not Node, where the plain module is the default), true insists.
   */
  static async load(source, opts) {
    const { simd = 'auto', shared = 'auto' } = checkKeys(opts, ['simd', 'shared'], 'RnnLab.load');
    const { exports, memoryLimit, module, shared: isShared } = await instantiate(source, simd, shared);
    const lab = new RnnLab(exports, memoryLimit);
    lab._module = module;  // the compiled module, which Worker replicas (lib/threads.js) instantiate again
    /** True for the shared-memory module: setThreads runs the core's threads on Worker instances of it. */
    lab.sharedMemory = isShared;
    lab._threads = isShared ? new SharedThreads(lab, exports) : null;
    return lab;
  }

  /**
   * Ends the Worker threads of a shared-memory lab (lab.sharedMemory); models keep their thread counts and
   * run on this thread, with the same results, until setThreads starts Workers again. Nothing to do elsewhere.
   */
  async stopThreads() {
    await this._threads?.stop();
  }

  constructor(ex, memoryLimit) {
    this._memory = ex.memory;
    /** The most bytes this module's WebAssembly memory can grow to (its declared maximum; 4 GB if none). */
    this.memoryLimit = memoryLimit;
    this._trapped = null;
    // Every export behind one guard: a trap (a bug, never bad input) leaves the C heap in an unknown
    // state, so the instance is retired and every later call says so.
    this._c = {};
    // A student build (rnlw_todo_check() >= 0): a call that ran a function still marked EX_TODO throws
    // after it returns, naming the function, instead of handing back the numbers of a placeholder.
    const student = ex.rnlw_todo_check() >= 0;
    let todoSeen = student ? ex.rnlw_todo_count() : 0;
    for (const [name, f] of Object.entries(ex)) {
      if (typeof f !== 'function') continue;
      this._c[name] = (...args) => {
        if (this._trapped) throw this._trapError();
        let r;
        try {
          r = f(...args);
        } catch (e) {
          if (e instanceof WebAssembly.RuntimeError) {
            this._trapped = e;
            this._threads?.terminate();
            throw this._trapError();
          }
          throw e;
        }
        if (student && ex.rnlw_todo_count() !== todoSeen) {
          todoSeen = ex.rnlw_todo_count();
          const all = this.implementation?.todos ?? [];
          const last = this._heap.str(ex.rnlw_todo_last()), attention = /^attention/.test(last);  // exercises 9-10
          throw new RnnLabError(`your ${attention ? 'attention is' : 'cells are'} not finished: ${last} is still a TODO in ` +
            `${attention ? 'attention_math.c' : 'cell_math.c'}${all.length > 1 ? ` (unfinished: ${all.join(', ')})` : ''}. ` +
            'This module was built from your exercises: finish them (node exercises/grade.mjs) or use the reference module',
            -3, 'todo');
        }
        return r;
      };
    }
    this._heap = new Heap(this._c, ex.memory);
    const names = (fn) => {
      const out = [];
      for (let i = 0; i < 64; i++) {
        const s = this._heap.str(fn(i));
        if (s === '?') break;
        out.push(s);
      }
      return out;
    };
    /** Names the core knows, in enum order: cells, heads, pools (what a head reads), optimizers, tasks,
     * learning-rate schedules. */
    this.names = Object.freeze({
      cells: names(this._c.rnl_cell_name),
      heads: names(this._c.rnl_head_name),
      pools: names(this._c.rnl_pooling_name),
      optimizers: names(this._c.rnl_optim_name),
      tasks: names(this._c.rnl_task_name),
      schedules: names(this._c.rnl_run_schedule_name),
    });
    /** The core's version, e.g. "0.1.0". */
    this.version = this._heap.str(this._c.rnlw_version());
    /** The gemm kernels the module runs: "wasmsimd" when built with SIMD, else "scalar". */
    this.kernels = this._heap.str(this._c.rnlw_kernels());
    /** Seq2seq names in enum order: attention kinds, tasks. */
    this.seq2seqNames = Object.freeze({ attention: names(this._c.rnl_attn_name), tasks: names(this._c.rnl_s2s_task_name) });
    /** Transformer names in enum order: positions. */
    this.transformerNames = Object.freeze({ positions: names(this._c.rnl_tf_positions_name) });
    // The records' enum fields read and write these names.
    /** What a sequence-to-one head can read, in enum order: { name, label } ('last', 'the last state'; 'mean'; 'max'). */
    this.pools = Object.freeze(this.names.pools.map((name, i) => Object.freeze({ name, label: this._heap.str(this._c.rnl_pooling_label(i)) })));
    this._heap.initRecords({ cell: this.names.cells, head: this.names.heads, pool: this.names.pools, optim: this.names.optimizers,
      task: this.names.tasks, attn: this.seq2seqNames.attention, s2s_task: this.seq2seqNames.tasks, schedule: this.names.schedules,
      positions: this.transformerNames.positions });
    const heap = this._heap, c = this._c;
    /** The core's cell table (rnl_cell_info), in enum order: name, label, gates and their names, states. */
    this.cells = Object.freeze(Array.from({ length: c.rnl_cell_count() }, (_, i) => {
      const r = heap.read('cell', c.rnl_cell_info_of(i));
      return Object.freeze({ name: r.name, label: r.label, gates: r.gates, gateNames: Object.freeze(r.gateNames.slice(0, r.gates)),
        gateRoles: Object.freeze(r.gateRoles.slice(0, r.gates)), hasCellState: r.hasCellState, extraState: r.extraState });
    }));
    /** The core's limits (rnl_limit) by name: { hidden: { min, max, what, whole }, ... }. */
    this.limits = Object.freeze(Object.fromEntries(Array.from({ length: c.rnl_limit_count() }, (_, i) => {
      const r = heap.read('limit', c.rnl_limit_at(i));
      return [r.name, Object.freeze({ min: r.min, max: r.max, what: r.what, whole: r.whole })];
    })));
    // The run layer's defaults of each model kind (rnl_run_defaults), read once.
    this._defaults = Object.freeze(Object.fromEntries(TRAINING_KINDS.map((kind, i) => {
      const p = heap.slot(0);
      c.rnlw_training_defaults(p, i);
      return [kind, Object.freeze(heap.read('training_defaults', p))];
    })));
    /**
     * Which cells the module runs: 'reference' (core/src/cell_math.c) or 'student' (a build from the
     * exercises' cell_math.c), and for a student build the functions still marked TODO.
     */
    if (student) {
      const count = this._c.rnlw_todo_check(), list = this._heap.str(this._c.rnlw_todo_names());
      this.implementation = Object.freeze({ kind: 'student', todoCount: count,
        todos: Object.freeze(count ? list.split(', ') : []) });
    } else this.implementation = Object.freeze({ kind: 'reference', todoCount: 0, todos: Object.freeze([]) });
  }

  /**
   * What a run of a model kind ('recurrent' or 'seq2seq') uses when it is not told otherwise: the run
   * layer's defaults (batch, learning rates, clip, steps, length, epochs, held-out and test batches, ...).
   */
  trainingDefaults(kind) {
    return { ...this._defaults[TRAINING_KINDS[indexOf(TRAINING_KINDS, kind, 'kind', 'trainingDefaults')]] };
  }

  /** Bytes of WebAssembly memory (it grows, never shrinks). */
  get memoryBytes() {
    return this._memory.buffer.byteLength;
  }

  /**
   * Memory size, bytes the C allocator has handed out and not had back, the most the memory can grow
   * to, and what is left of that (below the heap sit the stack and static data).
   */
  memoryStats() {
    const heapInUse = this._c.rnlw_heap_in_use() >>> 0;
    return { memoryBytes: this.memoryBytes, heapInUse, memoryLimit: this.memoryLimit,
      available: this.memoryLimit - (this._c.rnlw_heap_base() >>> 0) - heapInUse };
  }

  // Refuses, before anything is allocated, to take a model from `held` bytes to `need` (trainingBytes)
  // when the memory cannot grow that far: `what` says what for ("train at batch 32, length 200").
  _ensureRoom(need, held, what, advice) {
    if (need <= held) return;
    const { available, memoryLimit } = this.memoryStats(), room = available + held;
    if (need <= room) return;
    const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
    const needs = Number.isFinite(need) ? mb(need) : `more than ${mb(WASM32_LIMIT)} (past all a 32-bit WebAssembly memory can address)`;
    throw new RnnLabError(`out of memory: this model needs ${needs} to ${what}; the WebAssembly memory allows at most ` +
      `${mb(Math.max(room, 0))} here (it grows to ${mb(memoryLimit)} at most, ${mb(memoryLimit - room)} of which hold other ` +
      `things): ${advice}`, ERR_NOMEM, 'out of memory');
  }

  _error(status) {
    const statusName = this._heap.str(this._c.rnl_status_name(status));
    return new RnnLabError(`${statusName}: ${this._heap.str(this._c.rnl_last_error())}`, status, statusName);
  }

  _check(status) {
    if (status !== 0) throw this._error(status);
  }

  _trapError() {
    const worker = this._threads?.failure();  // a Worker thread's trap, which the owner's wait turned into its own
    return new RnnLabError(
      `rnnlab: the WebAssembly module trapped (${this._trapped.message}${worker ? `; ${worker}` : ''}); this is a bug in rnnlab, please report it. ` +
        'This instance can no longer be used: load the module again.', -2, 'trap');
  }

  // --- Models ----------------------------------------------------------------------------------

  /**
   * A fresh model; see rnnlab.d.ts (ModelConfig) for the fields and their defaults. Refused up front,
   * before anything is allocated, when training it at `batchSize` x `length` (default 1 x 1: the model
   * and Adam's state alone) would need more memory than the module can grow to.
   */
  createModel(cfg) {
    const where = 'createModel';
    const { config, ds } = this._modelConfig(cfg, where, ['seed', 'batchSize', 'length']);
    const B = cfg.batchSize === undefined ? 1 : checkInt(cfg.batchSize, 'batchSize', where, 1);
    const T = cfg.length === undefined ? 1 : checkInt(cfg.length, 'length', where, 1);
    this._ensureRoom(this._configBytes(config, B, T), 0, `train at batch ${B}, length ${T} with Adam`,
      B * T > 1 ? 'reduce hidden, layers, embed or vocab, the batch size or the length' : 'reduce hidden, layers, embed or vocab');
    const [lo, hi] = splitSeed(cfg.seed ?? 0, where);
    const h = this._c.rnlw_model_create(this._heap.write('config', this._heap.slot(0), config), lo, hi);
    if (!h) throw this._error(this._c.rnlw_last_status());
    const m = new Model(this, h);
    if (ds) {
      // The model keeps the data's description (vocabulary or normalisation) as its meta bytes, as the CLI.
      const st = this._c.rnlw_attach_data(h, ds);
      if (st) {
        m.free();
        throw this._error(st);
      }
    }
    return m;
  }

  /**
   * Bytes training a model of `cfg` (createModel's fields) takes at `batchSize` x `length` (from opts, else
   * from cfg, else 32 and the dataset's max length or window, or 50 as trainTask) with `optimizer` (default
   * Adam): parameters, gradients, the optimizer's state and work memory (rnl_training_bytes). Infinity
   * past 4 GB.
   */
  trainingBytes(cfg, opts = {}) {
    const where = 'trainingBytes';
    const { config } = this._modelConfig(cfg, where, ['seed', 'batchSize', 'length']);
    opts = checkKeys(opts, ['batchSize', 'length', 'optimizer'], where);
    const B = checkInt(opts.batchSize ?? cfg.batchSize ?? 32, 'batchSize', where, 1);
    const T = checkInt(opts.length ?? cfg.length ?? (cfg.dataset ? dataLength(cfg.dataset) : 50), 'length', where, 1);
    const kind = indexOf(this.names.optimizers, opts.optimizer ?? 'adam', 'optimizer', where);
    return this._configBytes(config, B, T, kind);
  }

  _configBytes(config, B, T, kind = this.names.optimizers.indexOf('adam')) {
    const n = this._c.rnlw_config_training_bytes(this._heap.write('config', this._heap.slot(0), config), kind, B, T);
    if (n < 0) throw this._error(-n);
    return n;
  }

  // createModel's fields resolved as the core takes them: { config (a 'config' record: the core's defaults
  // for the cell, then the task's or the data's shape, then the fields given), ds (0 or a dataset handle) }.
  _modelConfig(cfg, where, extraKeys) {
    cfg = checkKeys(cfg, ['cell', 'task', 'vocab', 'embed', 'inputSize', 'hidden', 'layers', 'bidirectional', 'head',
      'outputs', 'seq2seq', 'forgetBias', 'dropout', 'pool', 'dataset', ...extraKeys], where);
    if (cfg.cell === undefined) throw argError(`${where}: cell is required (${this.names.cells.join(', ')})`);
    const cell = indexOf(this.names.cells, cfg.cell, 'cell', where);
    const heap = this._heap, p = heap.slot(0);
    this._c.rnlw_config_default(p, cell);
    const c = heap.read('config', p);
    if (cfg.task !== undefined) {
      // As `rnnlab init --task`: the task decides the input, the head and the outputs.
      const shape = this.taskShape(cfg.task);
      for (const k of ['vocab', 'inputSize', 'head', 'outputs', 'seq2seq'])
        if (cfg[k] !== undefined && cfg[k] !== shape[k] && !(k === 'seq2seq' && Boolean(cfg[k]) === shape[k]))
          throw argError(`${where}: task '${cfg.task}' sets ${k} to ${JSON.stringify(shape[k])}; leave ${k} out or drop task`);
      Object.assign(c, { vocab: shape.vocab, inputSize: shape.inputSize, head: shape.head, outputs: shape.outputs,
        seq2seq: shape.seq2seq });
      if (cfg.embed === undefined && shape.embed) c.embed = shape.embed;
    }
    let ds = 0;
    if (cfg.dataset !== undefined) {
      // As `rnnlab init --data`: the data decides the input, the head and the outputs; embed defaults to the
      // run layer's width for data models.
      ds = this._datasetHandle(cfg.dataset, where);
      if (cfg.task !== undefined) throw argError(`${where}: dataset decides the inputs: leave out task`);
      for (const k of ['vocab', 'inputSize', 'head', 'outputs', 'seq2seq'])
        if (cfg[k] !== undefined) throw argError(`${where}: dataset decides vocab, inputSize, head, outputs and seq2seq: leave ${k} out`);
      const embed = cfg.embed === undefined ? this._defaults.recurrent.dataEmbed : checkInt(cfg.embed, 'embed', where);
      this._c.rnlw_dataset_shape(p, ds, embed);
      const v = heap.read('config', p);
      Object.assign(c, { vocab: v.vocab, embed: v.embed, inputSize: v.inputSize, head: v.head, outputs: v.outputs, seq2seq: v.seq2seq });
    }
    for (const k of ['vocab', 'embed', 'inputSize', 'hidden', 'layers', 'outputs'])
      if (cfg[k] !== undefined) c[k] = checkInt(cfg[k], k, where);
    for (const k of ['bidirectional', 'seq2seq']) if (cfg[k] !== undefined) c[k] = checkBool(cfg[k], k, where);
    if (cfg.forgetBias !== undefined) c.forgetBias = checkNumber(cfg.forgetBias, 'forgetBias', where);
    if (cfg.dropout !== undefined) c.dropout = checkNumber(cfg.dropout, 'dropout', where);  // its range: the core's (limit "dropout")
    if (cfg.pool !== undefined) c.pool = this.names.pools[indexOf(this.names.pools, cfg.pool, 'pool', where)];  // seq2seq: the core refuses
    if (cfg.head !== undefined) {
      c.head = this.names.heads[indexOf(this.names.heads, cfg.head, 'head', where)];
      if (cfg.head === 'classes' && cfg.outputs === undefined && cfg.task === undefined)
        throw argError(`${where}: a 'classes' head needs outputs (the number of classes)`);
    }
    return { config: c, ds };
  }

  /**
   * Points of a learning-rate schedule's curve, computed in the core (rnl_run_schedule_curve), for a
   * drawing: { steps: Int32Array, lr: Float32Array }, `points` steps evenly spaced from `first` to `last`
   * (default: the schedule's total) for the base rate `lr`. With `epochSteps`, the schedule's total and step
   * size left out are resolved as a run ending at `last` with epochs of that many steps resolves them (0: a
   * task run: a third of the steps), so the curve is the one that run trains with.
   */
  scheduleCurve(schedule, opts) {
    const where = 'scheduleCurve';
    opts = checkKeys(opts, ['lr', 'points', 'first', 'last', 'epochSteps'], where);
    const lr = checkNumber(opts.lr ?? this._defaults.recurrent.lrAdam, 'lr', where);
    const points = checkInt(opts.points ?? 100, 'points', where, 1, 100000);
    const first = checkInt(opts.first ?? 1, 'first', where, 1);
    const resolve = opts.epochSteps !== undefined && opts.last !== undefined;
    const s = scheduleRecord(this, schedule, where, resolve ? { endStep: checkInt(opts.last, 'last', where, 1),
      epochSteps: checkInt(opts.epochSteps, 'epochSteps', where, 0) } : {});
    const last = checkInt(opts.last ?? this._heap.read('schedule', s).total, 'last', where, 1);
    const heap = this._heap, lp = heap.malloc(4 * points), sp = heap.malloc(4 * points);
    try {
      this._check(this._c.rnlw_schedule_curve(lp, sp, s, lr, points, first, last));
      return { steps: heap.i32(sp, points), lr: heap.f32(lp, points) };
    } finally {
      this._c.free(lp);
      this._c.free(sp);
    }
  }

  /** A model (with its optimizer and step count, if saved with them) from checkpoint bytes. */
  loadCheckpoint(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('loadCheckpoint: expected a Uint8Array or an ArrayBuffer of checkpoint bytes');
    const h = this._heap.withCopy(bytes, (p) => this._c.rnlw_checkpoint_read(p, bytes.byteLength));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Model(this, h);
  }

  // --- Sequence-to-sequence -------------------------------------------------------------------

  /** A fresh seq2seq model for a task, as `rnnlab init --task`; see rnnlab.d.ts (Seq2SeqConfig). */
  createSeq2Seq(cfg) {
    const where = 'createSeq2Seq';
    cfg = checkKeys(cfg, ['task', 'length', 'minLength', 'maxLength', 'symbols', 'cell', 'encoderCell', 'decoderCell',
      'hidden', 'embed', 'layers', 'bidirectional', 'attention', 'attnWidth', 'forgetBias', 'seed'], where);
    if (cfg.task === undefined) throw argError(`${where}: task is required (${this.seq2seqNames.tasks.join(', ')})`);
    const task = indexOf(this.seq2seqNames.tasks, cfg.task, 'task', where);
    const int = (k, lo) => (cfg[k] === undefined ? -1 : checkInt(cfg[k], k, where, lo));
    const cell = (k) => (cfg[k] === undefined ? -1 : indexOf(this.names.cells, cfg[k], k, where));
    if (cfg.cell !== undefined && (cfg.encoderCell !== undefined || cfg.decoderCell !== undefined))
      throw argError(`${where}: give cell (both) or encoderCell/decoderCell, not both`);
    const enc = cfg.cell !== undefined ? cell('cell') : cell('encoderCell');
    const dec = cfg.cell !== undefined ? enc : cell('decoderCell');
    const attention = cfg.attention === undefined ? -1 : indexOf(this.seq2seqNames.attention, cfg.attention, 'attention', where);
    if (cfg.attnWidth !== undefined && cfg.attention !== 'additive') throw argError(`${where}: attnWidth is for attention 'additive'`);
    const bidi = cfg.bidirectional === undefined ? -1 : checkBool(cfg.bidirectional, 'bidirectional', where);
    const fb = cfg.forgetBias === undefined ? NaN : checkNumber(cfg.forgetBias, 'forgetBias', where);
    const [lo, hi] = splitSeed(cfg.seed ?? 0, where);
    const options = { task, length: int('length', 1), minLen: int('minLength', 1), maxLen: int('maxLength', 1),
      symbols: int('symbols', 1), encCell: enc, decCell: dec, hidden: int('hidden', 1), embed: int('embed', 1),
      layers: int('layers', 1), bidirectional: bidi, attention, attnWidth: int('attnWidth', 1), forgetBias: fb };
    const h = this._c.rnlw_s2s_create(this._heap.write('s2s_options', this._heap.slot(0), options), lo, hi);
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Seq2SeqModel(this, h);
  }

  /** A seq2seq model (with its optimizer, if saved with it) from checkpoint bytes that name a task. */
  loadSeq2Seq(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('loadSeq2Seq: expected a Uint8Array or an ArrayBuffer of checkpoint bytes');
    const h = this._heap.withCopy(bytes, (p) => this._c.rnlw_s2s_checkpoint_read(p, bytes.byteLength));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Seq2SeqModel(this, h);
  }

  // --- Transformer encoders ------------------------------------------------------------------

  /**
   * A fresh Transformer encoder, as `rnnlab init --cell transformer`: for a task (its inputs and head), or
   * with vocab or inputSize (and head, outputs); hidden (d_model), heads, layers, ffn, positions
   * ('sinusoidal' or 'none'), seed. See rnnlab.d.ts (TransformerConfig).
   */
  createTransformer(cfg) {
    const where = 'createTransformer';
    cfg = checkKeys(cfg, ['task', 'dataset', 'vocab', 'inputSize', 'hidden', 'heads', 'layers', 'ffn', 'positions', 'head',
      'outputs', 'seed'], where);
    let ds = 0;
    if (cfg.dataset !== undefined) {
      // As `rnnlab init --cell transformer --data`: the data decides the input, the head and the outputs.
      ds = this._datasetHandle(cfg.dataset, where);
      for (const k of ['task', 'vocab', 'inputSize', 'head', 'outputs'])
        if (cfg[k] !== undefined) throw argError(`${where}: dataset decides vocab, inputSize, head and outputs: leave ${k} out`);
      const p = this._heap.slot(0);
      this._c.rnlw_dataset_shape(p, ds, 0);
      const v = this._heap.read('config', p);
      if (v.seq2seq) throw argError(`${where}: this dataset asks a prediction at every step; a Transformer here predicts one value per sequence`);
      cfg = { ...cfg, vocab: v.vocab, inputSize: v.vocab ? 0 : v.inputSize, head: v.head, outputs: v.outputs };
    }
    const int = (k, lo) => (cfg[k] === undefined ? -1 : checkInt(cfg[k], k, where, lo));
    const pick = (k, list) => (cfg[k] === undefined ? -1 : indexOf(list, cfg[k], k, where));
    if (cfg.task === undefined && cfg.vocab === undefined && cfg.inputSize === undefined)
      throw argError(`${where}: give task, vocab or inputSize (or a dataset)`);
    const [lo, hi] = splitSeed(cfg.seed ?? 0, where);
    const options = { task: pick('task', this.names.tasks), vocab: int('vocab', 0), inputSize: int('inputSize', 0),
      hidden: int('hidden', 0), heads: int('heads', 0), layers: int('layers', 0), ffn: int('ffn', 0),
      positions: pick('positions', this.transformerNames.positions), head: pick('head', this.names.heads), outputs: int('outputs', 0) };
    const h = this._c.rnlw_tf_create(this._heap.write('tf_options', this._heap.slot(0), options), lo, hi);
    if (!h) throw this._error(this._c.rnlw_last_status());
    const m = new TransformerModel(this, h);
    if (ds) {
      // The model keeps the data's description as its meta bytes, as the CLI's init --data.
      const st = this._c.rnlw_attach_data(h, ds);
      if (st) {
        m.free();
        throw this._error(st);
      }
    }
    return m;
  }

  /** A Transformer encoder (with its optimizer, if saved with it) from checkpoint bytes. */
  loadTransformer(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('loadTransformer: expected a Uint8Array or an ArrayBuffer of checkpoint bytes');
    const h = this._heap.withCopy(bytes, (p) => this._c.rnlw_tf_checkpoint_read(p, bytes.byteLength));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new TransformerModel(this, h);
  }

  // --- Data ------------------------------------------------------------------------------------

  _datasetHandle(ds, where) {
    if (!(ds instanceof Dataset) || ds._lab !== this) throw argError(`${where}: expected a Dataset of this RnnLab instance`);
    return ds._handle;
  }

  /** The defaults of `rnnlab data` (rnl_imdb_default, rnl_series_default). */
  get dataDefaults() {
    const heap = this._heap, pt = heap.slot(0), ps = heap.slot(1);
    this._c.rnlw_data_defaults(pt, ps);
    const t = heap.read('imdb_config', pt), s = heap.read('series_config', ps);
    return { train: t.nTrain, val: t.nVal, test: t.nTest, vocab: t.vocabWords, maxLen: t.maxLen, keepEnd: t.keepEnd, seed: t.seed,
      valByMovie: t.valByMovie,
      window: s.window, horizon: s.horizon, valFrac: s.valFrac, testFrac: s.testFrac };
  }

  // Checks the text-subset options and fills in defaults: an 'imdb_config' record.
  _textOptions(opts, where, all) {
    const d = this.dataDefaults;
    const size = (k) => {
      if (opts[k] === undefined) return all ? -1 : d[k];
      if (all && opts[k] === 'all') return -1;
      return checkInt(opts[k], k, where, 0);
    };
    const vocab = opts.vocab === undefined ? d.vocab : checkInt(opts.vocab, 'vocab', where, 1);
    const maxLen = opts.maxLen === undefined ? d.maxLen : checkInt(opts.maxLen, 'maxLen', where, 1);
    const keepEnd = opts.keepEnd === undefined ? 0 : checkBool(opts.keepEnd, 'keepEnd', where);
    const valByMovie = opts.valByMovie === undefined ? 0 : checkBool(opts.valByMovie, 'valByMovie', where);
    const seed = opts.seed ?? d.seed;
    splitSeed(seed, where);  // checks it
    return { nTrain: size('train'), nVal: size('val'), nTest: size('test'), vocabWords: vocab, maxLen, keepEnd, seed, valByMovie };
  }

  /** A dataset from the bytes of a .rnld file (from `rnnlab data`, `npm run data` or Dataset.toBytes). */
  openDataset(bytes, opts) {
    const where = 'openDataset';
    const { name = null } = checkKeys(opts, ['name'], where);
    if (!(bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes))) throw argError(`${where}: expected the bytes of a .rnld file (a Uint8Array or an ArrayBuffer)`);
    const b = asU8(bytes, where);
    const h = this._heap.withCopy(b, (p) => this._heap.withCString(name, (label) => this._c.rnlw_dataset_read(p, b.byteLength, label)));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Dataset(this, h, null);
  }

  _imdbReader(opts, where) {
    const im = this._c.rnlw_imdb_create(this._heap.write('imdb_config', this._heap.slot(0), this._textOptions(opts, where, false)));
    if (!im) throw this._error(this._c.rnlw_last_status());
    return im;
  }

  _imdbCounts(im) {
    const p = this._heap.slot(0);
    this._c.rnlw_imdb_counts(p, im);
    const v = this._heap.read('imdb_counts', p);
    return { train: { neg: v.trainNeg, pos: v.trainPos }, test: { neg: v.testNeg, pos: v.testPos }, unsup: v.unsup };
  }

  _imdbBuild(im) {
    const counts = this._imdbCounts(im);
    const h = this._c.rnlw_imdb_build(im);
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Dataset(this, h, counts);
  }

  /**
   * An IMDB subset (as `rnnlab data --source`), streamed from the official aclImdb_v1.tar.gz, the shared
   * aclImdb_v1_labeled.tar.gz or a .tar: the archive is read chunk by chunk (gzip is inflated by the
   * platform) and never held whole in WebAssembly memory.
   */
  async prepareImdb(source, opts) {
    const where = 'prepareImdb';
    opts = checkKeys(opts, ['train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'valByMovie', 'seed', 'onProgress', 'signal', 'yieldMs', 'name'], where);
    const { onProgress, signal, yieldMs = 30 } = opts;
    checkFunction(onProgress, 'onProgress', where);
    checkNumber(yieldMs, 'yieldMs', where);
    const name = opts.name ?? (typeof source?.name === 'string' && source.name ? source.name : 'IMDB archive');
    const bytesTotal = source instanceof ArrayBuffer || ArrayBuffer.isView(source) ? source.byteLength
      : typeof Blob === 'function' && source instanceof Blob ? source.size : null;
    const im = this._imdbReader(opts, where);
    let buf = 0, cap = 0;
    try {
      signal?.throwIfAborted?.();
      const state = { bytesIn: 0, inputEnded: false };
      const { first, chunks } = await peek(chunksOf(source, where), 2);
      let tar = chunks;
      if (isGzip(first)) tar = gunzip(chunks, state, name);
      else {
        tar = (async function* () {
          for await (const c of chunks) {
            state.bytesIn += c.length;
            yield c;
          }
        })();
      }
      let lastReport = now(), lastYield = now();
      const report = () => {
        const c = this._imdbCounts(im);
        const r = onProgress({ bytesIn: state.bytesIn, bytesTotal, reviews: c.train.neg + c.train.pos + c.test.neg + c.test.pos });
        return r && typeof r.then === 'function' ? r : null;
      };
      for await (const chunk of tar) {
        // Each chunk goes through one reusable block, at most SLICE bytes at a time.
        for (let off = 0; off < chunk.length; off += SLICE) {
          const part = chunk.subarray(off, off + SLICE);
          if (part.length > cap) {
            this._heap.free(buf);
            buf = 0;
            buf = this._heap.malloc(cap = Math.max(part.length, 65536));
          }
          this._heap.put(buf, part);
          this._check(this._c.rnl_imdb_feed_tar(im, buf, part.length));
        }
        if (signal?.aborted) throw abortError(signal);
        if (onProgress && now() - lastReport >= 100) {
          await report();
          lastReport = now();
        }
        if (now() - lastYield >= yieldMs) {
          await yieldToEventLoop();
          lastYield = now();
        }
      }
      this._check(this._c.rnl_imdb_end_tar(im));
      if (onProgress) await report();
      return this._imdbBuild(im);
    } finally {
      this._heap.free(buf);
      this._c.rnl_imdb_destroy(im);
    }
  }

  /**
   * An IMDB subset from files one by one: an unpacked aclImdb/ directory (Node), or the Files of an
   * <input webkitdirectory>. `files`: an iterable or async iterable of File objects (their
   * webkitRelativePath is used) or of { name, data } with data a Uint8Array, an ArrayBuffer, a Blob or a
   * string. Names are paths ending in {train,test}/{pos,neg}/<id>_<rating>.txt (with valByMovie also
   * train/urls_pos.txt and urls_neg.txt, the reviews' movies); others are ignored.
   */
  async prepareImdbFiles(files, opts) {
    const where = 'prepareImdbFiles';
    opts = checkKeys(opts, ['train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'valByMovie', 'seed', 'onProgress', 'signal', 'yieldMs'], where);
    const { onProgress, signal, yieldMs = 30 } = opts;
    checkFunction(onProgress, 'onProgress', where);
    if (!files || (typeof files[Symbol.asyncIterator] !== 'function' && typeof files[Symbol.iterator] !== 'function'))
      throw argError(`${where}: files must be an iterable or async iterable of Files or { name, data }`);
    const im = this._imdbReader(opts, where);
    try {
      let n = 0, lastYield = now(), lastReport = now();
      for await (const f of files) {
        let name, data;
        if (typeof Blob === 'function' && f instanceof Blob) {
          name = f.webkitRelativePath || f.name;
          data = f;
        } else if (f && typeof f.name === 'string') {
          ({ name, data } = f);
        } else throw argError(`${where}: item ${n} is not a File or a { name, data } object`);
        // train/unsup reviews are only counted by the core: their text is not needed.
        if (/(^|\/)unsup\/[^/]*$/.test(name)) data = new Uint8Array(0);
        if (typeof Blob === 'function' && data instanceof Blob) data = new Uint8Array(await data.arrayBuffer());
        else if (typeof data === 'string') data = new TextEncoder().encode(data);
        else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) data = asU8(data, where);
        else throw argError(`${where}: the data of '${name}' must be a Uint8Array, an ArrayBuffer, a Blob or a string`);
        const st = this._heap.withCopy(data, (p) => this._heap.withCString(name, (np) => this._c.rnl_imdb_add_file(im, np, p, data.byteLength)));
        this._check(st);
        n++;
        if (signal?.aborted) throw abortError(signal);
        if (onProgress && now() - lastReport >= 100) {
          const c = this._imdbCounts(im);
          await onProgress({ files: n, reviews: c.train.neg + c.train.pos + c.test.neg + c.test.pos });
          lastReport = now();
        }
        if (now() - lastYield >= yieldMs) {
          await yieldToEventLoop();
          lastYield = now();
        }
      }
      return this._imdbBuild(im);
    } finally {
      this._c.rnl_imdb_destroy(im);
    }
  }

  /**
   * A dataset from a CSV of labelled reviews (rnl_text_csv_dataset): a header row with `text` (or
   * `review`) and `label` (or `sentiment`) columns; labels 0/1, neg/pos or negative/positive. Sizes left
   * out (or 'all'): all that a balanced subset allows, a tenth of the training part to validation.
   */
  textCsvDataset(textOrBytes, opts) {
    const where = 'textCsvDataset';
    opts = checkKeys(opts, ['train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'valByMovie', 'seed', 'name'], where);
    const heap = this._heap, pc = heap.write('imdb_config', heap.slot(0), this._textOptions(opts, where, true)), pi = heap.slot(1);
    const bytes = textBytes(textOrBytes, where);
    const h = heap.withCopy(bytes, (p) => heap.withCString(opts.name ?? 'reviews CSV',
      (label) => this._c.rnlw_text_csv(pi, p, bytes.byteLength, label, pc)));
    if (!h) throw this._error(this._c.rnlw_last_status());
    const v = heap.read('text_csv_info', pi);
    return new Dataset(this, h, { rows: v.rows, train: { neg: v.trainNeg, pos: v.trainPos }, test: { neg: v.testNeg, pos: v.testPos } });
  }

  /**
   * A time series from one numeric column of a CSV (rnl_series_parse_csv + rnl_dataset_from_series):
   * sliding windows for next-step regression, parts split in time, normalised with the training part.
   */
  seriesCsvDataset(textOrBytes, opts) {
    const where = 'seriesCsvDataset';
    opts = checkKeys(opts, ['column', 'window', 'horizon', 'valFrac', 'testFrac', 'name'], where);
    const d = this.dataDefaults;
    const window = opts.window === undefined ? d.window : checkInt(opts.window, 'window', where, 1);
    const horizon = opts.horizon === undefined ? d.horizon : checkInt(opts.horizon, 'horizon', where, 1);
    const valFrac = opts.valFrac === undefined ? d.valFrac : checkNumber(opts.valFrac, 'valFrac', where);
    const testFrac = opts.testFrac === undefined ? d.testFrac : checkNumber(opts.testFrac, 'testFrac', where);
    if (opts.column !== undefined && opts.column !== null && typeof opts.column !== 'string') throw argError(`${where}: column must be a string`);
    const bytes = textBytes(textOrBytes, where), heap = this._heap;
    const pc = heap.write('series_config', heap.slot(0), { window, horizon, valFrac, testFrac });
    const h = heap.withCopy(bytes, (p) => heap.withCString(opts.name ?? 'CSV', (label) => heap.withCString(opts.column ?? null,
      (col) => this._c.rnlw_series_csv(p, bytes.byteLength, label, col, pc))));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Dataset(this, h, null);
  }

  /**
   * The bag-of-words baseline of `rnnlab baseline` (logistic regression on which words a review has):
   * accuracy on each split (null when empty) and the ten words with the largest and smallest weights.
   */
  bowBaseline(dataset) {
    const ds = this._datasetHandle(dataset, 'bowBaseline');
    const p = this._heap.slot(0);
    this._check(this._c.rnlw_bow(p, ds));
    const v = this._heap.read('bow', p);
    const acc = (x) => (Number.isNaN(x) ? null : x);
    const words = (ids) => ids.filter((id) => id >= 2).map((id) => dataset.word(id));
    return { trainAccuracy: acc(v.trainAcc), valAccuracy: acc(v.valAcc), testAccuracy: acc(v.testAcc), trainLoss: v.trainLoss,
      topPositive: words(v.topPos), topNegative: words(v.topNeg) };
  }

  // --- Synthetic tasks ---------------------------------------------------------------------------

  /** The model shape a task needs: { vocab, embed, inputSize, head, outputs, seq2seq }. */
  taskShape(task) {
    const p = this._heap.slot(0);
    this._check(this._c.rnlw_task_shape(p, indexOf(this.names.tasks, task, 'task', 'taskShape')));
    const v = this._heap.read('config', p);
    return { vocab: v.vocab, embed: v.embed, inputSize: v.inputSize, head: v.head, outputs: v.outputs, seq2seq: v.seq2seq };
  }

  /** One batch of B sequences of T steps of a synthetic task, from a generator seeded with `seed`. */
  generateTask(task, B, T, seed = 0) {
    const where = 'generateTask';
    const t = indexOf(this.names.tasks, task, 'task', where);
    const [lo, hi] = splitSeed(seed, where);
    const p = this._heap.slot(0);
    this._check(this._c.rnlw_task_generate(p, t, checkInt(B, 'B', where), checkInt(T, 'T', where), lo, hi));
    return copyBatch(this._heap, { B, T }, this._heap.read('batch', p));
  }
}
