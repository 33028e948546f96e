// rnnlab.js: the one JavaScript API of rnnlab, unchanged in a page, a Web Worker and Node >= 20. An ES
// module without dependencies: it instantiates web/rnnlab.wasm (the C core, built by web/wasm.cmake) with
// its own small loader and gives classes that never show a pointer.
//
//     import { RnnLab } from './rnnlab.js';
//     const lab = await RnnLab.load();            // rnnlab.wasm beside this file; or a URL, a path, bytes
//     const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 32, seed: 1 });
//     m.setOptimizer({ kind: 'adam', lr: 0.01 });
//     await m.trainTask({ task: 'adding', length: 50, steps: 500, onProgress: (p) => console.log(p.step, p.loss) });
//     const bytes = m.saveCheckpoint();           // Uint8Array: the checkpoint format of the native CLI
//     m.free();
//
// Heap rules: this file owns the WASM heap. It copies every array in and out (no view of WASM memory
// escapes), and re-makes its typed-array views whenever memory.buffer changes, since any call that
// allocates may grow memory and detach the old buffer. Numbers are computed in C only; JavaScript checks
// names, types and array sizes (C cannot see how long a JS array was) and moves bytes.
// Types and documentation of every call: rnnlab.d.ts.

const isNode = typeof globalThis.process?.versions?.node === 'string';

// Codes of rnl_status (core/include/rnnlab.h), then this wrapper's own two.
const STATUS_CODES = ['RNL_OK', 'RNL_ERR_ARG', 'RNL_ERR_NOMEM', 'RNL_ERR_IO', 'RNL_ERR_FORMAT', 'RNL_ERR_NUMERIC'];
const ERR_ARG = 1;

// Slots of the out area (web/wasm_api.c, enum OUT_*).
const OUT_LOSS = 0, OUT_GRAD_NORM = 1, OUT_CLIPPED = 2, OUT_ACCURACY = 3, OUT_STEPS = 4;
const OUT_MEAN_LOSS = 5, OUT_N_CLIPPED = 6, OUT_DONE = 7;

// Every export rnnlab.js calls; load() refuses a module that lacks one (an old build).
const REQUIRED_EXPORTS = [
  'memory', 'malloc', 'free', 'rnl_buffer_free', 'rnl_last_error', 'rnl_status_name', 'rnl_cell_name',
  'rnl_head_name', 'rnl_optim_name', 'rnl_task_name', 'rnlw_last_status', 'rnlw_version', 'rnlw_kernels', 'rnlw_out',
  'rnlw_heap_in_use', 'rnlw_config_default', 'rnlw_model_create', 'rnlw_model_destroy', 'rnlw_model_config',
  'rnlw_model_num_params', 'rnlw_model_params', 'rnlw_model_grads', 'rnlw_set_params', 'rnlw_tensor',
  'rnlw_set_optimizer', 'rnlw_optimizer_info', 'rnlw_batch_set', 'rnlw_train_step', 'rnlw_eval', 'rnlw_predict',
  'rnlw_predictions', 'rnlw_gradients', 'rnlw_task_shape', 'rnlw_task_generate', 'rnlw_task_seed',
  'rnlw_train_task', 'rnlw_eval_task', 'rnlw_set_trace', 'rnlw_trace', 'rnlw_checkpoint_write',
  'rnlw_checkpoint_read', 'rnlw_meta', 'rnlw_set_meta',
];

/** An error from rnnlab: the core's message (rnl_last_error) and its status. */
export class RnnLabError extends Error {
  constructor(message, status, statusName) {
    super(message);
    this.name = 'RnnLabError';
    this.status = status;          // rnl_status value; -1: freed model; -2: the module trapped
    this.statusName = statusName;  // rnl_status_name, e.g. "bad argument"
    this.code = status >= 0 ? (STATUS_CODES[status] ?? 'RNL_ERR_UNKNOWN') : status === -1 ? 'RNL_ERR_FREED' : 'RNL_ERR_TRAP';
  }
}

function argError(message) {
  return new RnnLabError(`bad argument: ${message}`, ERR_ARG, 'bad argument');
}

// --- Loading ------------------------------------------------------------------------------------

async function compileResponse(resp) {
  if (!resp.ok) throw new Error(`RnnLab.load: fetching ${resp.url} failed: HTTP ${resp.status} ${resp.statusText}`);
  // Streaming compilation needs the server to say application/wasm; fall back to bytes otherwise.
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/.test(resp.headers.get('content-type') ?? ''))
    return WebAssembly.compileStreaming(resp);
  return WebAssembly.compile(await resp.arrayBuffer());
}

// Node: a path, or a file: URL, is read from disk (Node's fetch does not do file:); http(s) is fetched.
async function compileInNode(source) {
  let url = source;
  if (typeof source === 'string') {
    // A scheme of two letters or more ("C:\x" is a Windows path, not a URL).
    if (/^[a-z][a-z0-9+.-]+:/i.test(source)) url = new URL(source);
    else url = (await import('node:url')).pathToFileURL(source);
  }
  if (url.protocol !== 'file:') return compileResponse(await fetch(url));
  const { readFile } = await import('node:fs/promises');
  let bytes;
  try {
    bytes = await readFile(url);
  } catch (e) {
    throw new Error(`RnnLab.load: cannot read ${decodeURIComponent(url.pathname)}: ${e.code ?? e.message} (build it with 'npm run build')`);
  }
  return WebAssembly.compile(bytes);
}

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof Response === 'function' && source instanceof Response) return compileResponse(source);
  source ??= new URL('./rnnlab.wasm', import.meta.url);
  if (typeof source !== 'string' && !(source instanceof URL))
    throw new TypeError('RnnLab.load: expected a URL, a path (Node), bytes, a Response or a WebAssembly.Module');
  if (isNode) return compileInNode(source);
  return compileResponse(await fetch(source));
}

// The module imports one function today (env.emscripten_notify_memory_growth). The WASI shims are here
// so that a core change that pulls in printf or a clock still loads and says what it needs, loudly.
function makeImports(module, state) {
  const text = [];
  const shims = {
    env: {
      emscripten_notify_memory_growth() {},  // views are re-made lazily when memory.buffer changes
    },
    wasi_snapshot_preview1: {
      fd_write(fd, iovs, iovcnt, nwritten) {
        const dv = new DataView(state.memory.buffer);
        let n = 0;
        for (let i = 0; i < iovcnt; i++) {
          const ptr = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
          text.push(new TextDecoder().decode(new Uint8Array(state.memory.buffer, ptr, len)));
          n += len;
        }
        dv.setUint32(nwritten, n, true);
        const joined = text.join('');
        if (joined.includes('\n')) {
          console.error(`rnnlab (wasm fd ${fd}): ${joined.trimEnd()}`);
          text.length = 0;
        }
        return 0;
      },
      proc_exit(code) {
        throw new Error(`rnnlab: the WebAssembly module exited with code ${code}`);
      },
      clock_time_get(id, precision, out) {
        const ns = BigInt(Math.round((id === 0 ? Date.now() : performance.now()) * 1e6));
        new DataView(state.memory.buffer).setBigUint64(out, ns, true);
        return 0;
      },
      random_get(ptr, len) {
        globalThis.crypto.getRandomValues(new Uint8Array(state.memory.buffer, ptr, len));
        return 0;
      },
    },
  };
  const imports = {};
  for (const { module: mod, name, kind } of WebAssembly.Module.imports(module)) {
    const fn = kind === 'function' ? shims[mod]?.[name] : undefined;
    imports[mod] ??= {};
    imports[mod][name] = fn ?? (() => {
      throw new Error(`rnnlab: the WebAssembly module called ${mod}.${name}, which rnnlab.js does not provide`);
    });
  }
  return imports;
}

function yieldToEventLoop() {
  if (typeof globalThis.scheduler?.yield === 'function') return globalThis.scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));  // Node: lets I/O run
  return new Promise((r) => setTimeout(r, 0));
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// --- Argument checks ----------------------------------------------------------------------------

function checkKeys(obj, allowed, where) {
  if (obj === undefined) return {};
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw argError(`${where}: expected an object of options`);
  for (const k of Object.keys(obj))
    if (!allowed.includes(k)) throw argError(`${where}: unknown field '${k}' (known: ${allowed.join(', ')})`);
  return obj;
}

function checkInt(v, name, where, lo = -(2 ** 31), hi = 2 ** 31 - 1) {
  if (!Number.isInteger(v)) throw argError(`${where}: ${name} must be a whole number, not ${JSON.stringify(v) ?? String(v)}`);
  if (v < lo || v > hi) throw argError(`${where}: ${name} is ${v}, must be in ${lo}..${hi}`);
  return v;
}

function checkNumber(v, name, where) {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argError(`${where}: ${name} must be a finite number, not ${String(v)}`);
  return v;
}

function checkBool(v, name, where) {
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  throw argError(`${where}: ${name} must be true or false, not ${JSON.stringify(v) ?? String(v)}`);
}

// A 64-bit seed as two 32-bit halves (the glue takes uint32 pairs, not BigInt).
function splitSeed(seed, where) {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw argError(`${where}: seed must be in 0..2^64-1, not ${seed}`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw argError(`${where}: seed must be a whole number in 0..2^53-1 (or a BigInt below 2^64), not ${String(seed)}`);
  return [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
}

// Copies `a` (a typed array or an array of numbers) to a typed array of `Type` with exactly n values.
function toTyped(Type, a, n, name, where) {
  if (a === undefined || a === null) throw argError(`${where}: ${name} is missing`);
  if (!(ArrayBuffer.isView(a) || Array.isArray(a))) throw argError(`${where}: ${name} must be an array or a typed array`);
  if (n !== undefined && a.length !== n) throw argError(`${where}: ${name} has ${a.length} values, expected ${n}`);
  if (a instanceof Type) return a;
  const t = Type.from(a);
  if (Type === Int32Array)
    for (let i = 0; i < t.length; i++)
      if (t[i] !== a[i]) throw argError(`${where}: ${name}[${i}] is ${a[i]}, not a 32-bit whole number`);
  return t;
}

const pick = (names, i) => names[i] ?? String(i);

// A float32 setting read back from C as the shortest decimal that rounds to the same float32
// (0.01, not 0.009999999776482582), so settings print as they were given and round-trip exactly.
function shortF32(x) {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

// --- The lab: one module instance ---------------------------------------------------------------

// Frees the C side of models the program dropped without free().
const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ lab, handle }) => { if (!lab._trapped) lab._c.rnlw_model_destroy(handle); })
  : null;

export class RnnLab {
  /**
   * Loads the module: `source` is a URL or (in Node) a path to rnnlab.wasm, its bytes, a Response or a
   * compiled WebAssembly.Module; by default rnnlab.wasm beside this file.
   */
  static async load(source) {
    const module = await compile(source);
    const state = { memory: null };
    const instance = await WebAssembly.instantiate(module, makeImports(module, state));
    return new RnnLab(instance, state);
  }

  constructor(instance, state) {
    const ex = instance.exports;
    const missing = REQUIRED_EXPORTS.filter((n) => !(n in ex));
    if (missing.length) throw new Error(`RnnLab.load: the module lacks ${missing.join(', ')}: rebuild web/rnnlab.wasm (npm run build)`);
    this._memory = state.memory = ex.memory;
    this._buf = null;
    this._trapped = null;
    // Every export behind one guard: a trap (a bug, never bad input) leaves the C heap in an unknown
    // state, so the instance is retired and every later call says so.
    this._c = {};
    for (const [name, f] of Object.entries(ex)) {
      if (typeof f !== 'function') continue;
      this._c[name] = (...args) => {
        if (this._trapped) throw this._trapError();
        try {
          return f(...args);
        } catch (e) {
          if (e instanceof WebAssembly.RuntimeError) {
            this._trapped = e;
            throw this._trapError();
          }
          throw e;
        }
      };
    }
    if (ex._initialize) ex._initialize();  // the reactor's constructors
    this._outPtr = this._c.rnlw_out();
    this._stagePtr = 0;
    this._stageCap = 0;
    const names = (fn) => {
      const out = [];
      for (let i = 0; i < 64; i++) {
        const s = this._str(fn(i));
        if (s === '?') break;
        out.push(s);
      }
      return out;
    };
    /** Names the core knows, in enum order: cells, heads, optimizers, tasks. */
    this.names = Object.freeze({
      cells: names(this._c.rnl_cell_name),
      heads: names(this._c.rnl_head_name),
      optimizers: names(this._c.rnl_optim_name),
      tasks: names(this._c.rnl_task_name),
    });
    /** The core's version, e.g. "0.1.0". */
    this.version = this._str(this._c.rnlw_version());
    /** The gemm kernels the module runs: "wasmsimd" when built with SIMD, else "scalar". */
    this.kernels = this._str(this._c.rnlw_kernels());
  }

  /** Bytes of WebAssembly memory (it grows, never shrinks). */
  get memoryBytes() {
    return this._memory.buffer.byteLength;
  }

  /** Memory size, and bytes the C allocator has handed out and not had back. */
  memoryStats() {
    return { memoryBytes: this.memoryBytes, heapInUse: this._c.rnlw_heap_in_use() >>> 0 };
  }

  // --- Heap access: views re-made whenever memory.buffer changed (memory growth detaches it) ---

  _views() {
    const buf = this._memory.buffer;
    if (buf !== this._buf) {
      this._buf = buf;
      this._u8 = new Uint8Array(buf);
      this._i32 = new Int32Array(buf);
      this._f32 = new Float32Array(buf);
      this._f64 = new Float64Array(buf);
    }
    return this;
  }

  _out(i) {
    return this._views()._f64[(this._outPtr >>> 3) + i];
  }

  _str(ptr) {
    if (!ptr) return null;
    const u8 = this._views()._u8;
    let end = ptr;
    while (u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.subarray(ptr, end));
  }

  _copyF32(ptr, n) {
    return this._views()._f32.slice(ptr >>> 2, (ptr >>> 2) + n);
  }

  _malloc(bytes) {
    const p = this._c.malloc(Math.max(bytes, 1));
    if (!p) throw new RnnLabError(`out of memory: cannot allocate ${bytes} bytes of WebAssembly memory`, 2, 'out of memory');
    return p;
  }

  // Copies typed arrays (or nulls) into one reusable staging block; returns their pointers (0 for null).
  // The block keeps its largest size, so a training loop allocates nothing after its first batch.
  _stage(arrays) {
    let total = 0;
    const offsets = arrays.map((a) => {
      if (!a) return -1;
      const at = total;
      total += (a.byteLength + 15) & ~15;
      return at;
    });
    if (total > this._stageCap) {
      if (this._stagePtr) this._c.free(this._stagePtr);
      this._stagePtr = 0;
      this._stageCap = 0;
      this._stagePtr = this._malloc(total);
      this._stageCap = total;
    }
    const u8 = this._views()._u8;
    return arrays.map((a, i) => {
      if (!a) return 0;
      const p = this._stagePtr + offsets[i];
      u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
      return p;
    });
  }

  // Runs fn(ptr) with `bytes` (a typed array) copied into a temporary block, freed afterwards.
  _withCopy(bytes, fn) {
    const p = this._malloc(bytes.byteLength);
    try {
      this._views()._u8.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), p);
      return fn(p);
    } finally {
      this._c.free(p);
    }
  }

  _error(status) {
    const statusName = this._str(this._c.rnl_status_name(status));
    return new RnnLabError(`${statusName}: ${this._str(this._c.rnl_last_error())}`, status, statusName);
  }

  _check(status) {
    if (status !== 0) throw this._error(status);
  }

  _trapError() {
    return new RnnLabError(
      `rnnlab: the WebAssembly module trapped (${this._trapped.message}); this is a bug in rnnlab, please report it. ` +
        'This instance can no longer be used: load the module again.', -2, 'trap');
  }

  _index(list, value, field, where) {
    const i = list.indexOf(value);
    if (i < 0) throw argError(`${where}: ${field} must be ${list.map((s) => `'${s}'`).join(', ')}, not ${JSON.stringify(value) ?? String(value)}`);
    return i;
  }

  // --- Models ----------------------------------------------------------------------------------

  /** A fresh model; see rnnlab.d.ts (ModelConfig) for the fields and their defaults. */
  createModel(cfg) {
    const where = 'createModel';
    cfg = checkKeys(cfg, ['cell', 'task', 'vocab', 'embed', 'inputSize', 'hidden', 'layers', 'bidirectional', 'head',
      'outputs', 'seq2seq', 'forgetBias', 'seed'], where);
    if (cfg.cell === undefined) throw argError(`${where}: cell is required (${this.names.cells.join(', ')})`);
    const cell = this._index(this.names.cells, cfg.cell, 'cell', where);
    this._c.rnlw_config_default(cell);
    const d = Array.from({ length: 11 }, (_, i) => this._out(i));
    const c = { vocab: d[1], embed: d[2], inputSize: d[3], hidden: d[4], layers: d[5], bidirectional: d[6],
      head: d[7], outputs: d[8], seq2seq: d[9], forgetBias: d[10] };
    if (cfg.task !== undefined) {
      // As `rnnlab init --task`: the task decides the input, the head and the outputs.
      const shape = this.taskShape(cfg.task);
      for (const k of ['vocab', 'inputSize', 'head', 'outputs', 'seq2seq'])
        if (cfg[k] !== undefined && cfg[k] !== shape[k] && !(k === 'seq2seq' && Boolean(cfg[k]) === shape[k]))
          throw argError(`${where}: task '${cfg.task}' sets ${k} to ${JSON.stringify(shape[k])}; leave ${k} out or drop task`);
      Object.assign(c, { vocab: shape.vocab, inputSize: shape.inputSize, head: this.names.heads.indexOf(shape.head),
        outputs: shape.outputs, seq2seq: shape.seq2seq ? 1 : 0 });
      if (cfg.embed === undefined && shape.embed) c.embed = shape.embed;
    }
    for (const k of ['vocab', 'embed', 'inputSize', 'hidden', 'layers', 'outputs'])
      if (cfg[k] !== undefined) c[k] = checkInt(cfg[k], k, where);
    for (const k of ['bidirectional', 'seq2seq']) if (cfg[k] !== undefined) c[k] = checkBool(cfg[k], k, where);
    if (cfg.forgetBias !== undefined) c.forgetBias = checkNumber(cfg.forgetBias, 'forgetBias', where);
    if (cfg.head !== undefined) {
      c.head = this._index(this.names.heads, cfg.head, 'head', where);
      if (cfg.head === 'classes' && cfg.outputs === undefined && cfg.task === undefined)
        throw argError(`${where}: a 'classes' head needs outputs (the number of classes)`);
    }
    const [lo, hi] = splitSeed(cfg.seed ?? 0, where);
    const h = this._c.rnlw_model_create(cell, c.vocab, c.embed, c.inputSize, c.hidden, c.layers, c.bidirectional,
      c.head, c.outputs, c.seq2seq, c.forgetBias, lo, hi);
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Model(this, h);
  }

  /** A model (with its optimizer and step count, if saved with them) from checkpoint bytes. */
  loadCheckpoint(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('loadCheckpoint: expected a Uint8Array or an ArrayBuffer of checkpoint bytes');
    const h = this._withCopy(bytes, (p) => this._c.rnlw_checkpoint_read(p, bytes.byteLength));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Model(this, h);
  }

  // --- Synthetic tasks ---------------------------------------------------------------------------

  /** The model shape a task needs: { vocab, embed, inputSize, head, outputs, seq2seq }. */
  taskShape(task) {
    this._check(this._c.rnlw_task_shape(this._index(this.names.tasks, task, 'task', 'taskShape')));
    const v = Array.from({ length: 6 }, (_, i) => this._out(i));
    return { vocab: v[0], embed: v[1], inputSize: v[2], head: pick(this.names.heads, v[3]), outputs: v[4], seq2seq: v[5] === 1 };
  }

  /** One batch of B sequences of T steps of a synthetic task, from a generator seeded with `seed`. */
  generateTask(task, B, T, seed = 0) {
    const where = 'generateTask';
    const t = this._index(this.names.tasks, task, 'task', where);
    const [lo, hi] = splitSeed(seed, where);
    this._check(this._c.rnlw_task_generate(t, checkInt(B, 'B', where), checkInt(T, 'T', where), lo, hi));
    const o = Array.from({ length: 7 }, (_, i) => this._out(i));
    const v = this._views();
    const batch = { B, T };
    if (o[0]) batch.tokens = v._i32.slice(o[0] >>> 2, (o[0] >>> 2) + o[4]);
    if (o[1]) batch.inputs = v._f32.slice(o[1] >>> 2, (o[1] >>> 2) + o[5]);
    batch.lengths = v._i32.slice(o[2] >>> 2, (o[2] >>> 2) + B);
    batch.targets = v._f32.slice(o[3] >>> 2, (o[3] >>> 2) + o[6]);
    return batch;
  }
}

// --- Models -------------------------------------------------------------------------------------

const BATCH_KEYS = ['B', 'T', 'tokens', 'inputs', 'lengths', 'targets'];

export class Model {
  constructor(lab, handle) {
    this._lab = lab;
    this._h = handle;
    this._busy = false;
    finalizer?.register(this, { lab, handle }, this);
    this.config = Object.freeze(this._readConfig());
  }

  get _handle() {
    if (!this._h)
      throw new RnnLabError('rnnlab: this model was freed (model.free() was called); it can no longer be used', -1, 'freed');
    return this._h;
  }

  /** Releases the model's WebAssembly memory. Calling it again does nothing; any other call then throws. */
  free() {
    if (!this._h) return;
    const h = this._h;
    this._h = 0;
    finalizer?.unregister(this);
    if (!this._lab._trapped) this._lab._c.rnlw_model_destroy(h);  // a retired instance's heap is dropped whole
  }

  get freed() {
    return this._h === 0;
  }

  _readConfig() {
    const lab = this._lab;
    lab._c.rnlw_model_config(this._handle);
    const v = Array.from({ length: 13 }, (_, i) => lab._out(i));
    this._numParams = v[11];
    this._numTensors = v[12];
    return { cell: pick(lab.names.cells, v[0]), vocab: v[1], embed: v[2], inputSize: v[3], hidden: v[4], layers: v[5],
      bidirectional: v[6] === 1, head: pick(lab.names.heads, v[7]), outputs: v[8], seq2seq: v[9] === 1, forgetBias: shortF32(v[10]) };
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
    const where = 'setOptimizer';
    const keys = ['lr', 'momentum', 'beta1', 'beta2', 'eps', 'weightDecay', 'clip'];
    checkKeys(opts, ['kind', ...keys, 'reset'], where);
    const kind = this._lab._index(this._lab.names.optimizers, opts.kind ?? 'adam', 'kind', where);
    const vals = keys.map((k) => (opts[k] === undefined ? NaN : checkNumber(opts[k], k, where)));
    const reset = opts.reset === undefined ? 0 : checkBool(opts.reset, 'reset', where);
    this._lab._check(this._lab._c.rnlw_set_optimizer(this._handle, kind, ...vals, reset));
  }

  /** The optimizer's settings and step count, or null before one is set or made by training. */
  get optimizer() {
    const lab = this._lab;
    if (!lab._c.rnlw_optimizer_info(this._handle)) return null;
    const v = Array.from({ length: 9 }, (_, i) => lab._out(i));
    const [lr, momentum, beta1, beta2, eps, weightDecay, clip] = v.slice(1, 8).map(shortF32);
    return { kind: pick(lab.names.optimizers, v[0]), lr, momentum, beta1, beta2, eps, weightDecay, clip, steps: v[8] };
  }

  // --- Batches ---

  // Checks a batch object against the model and stages it in WASM memory for the next call.
  _setBatch(batch, needTargets, where) {
    const c = this.config, lab = this._lab;
    if (batch === undefined) throw argError(`${where}: a batch is required`);
    checkKeys(batch, BATCH_KEYS, where);
    const B = checkInt(batch.B, 'batch.B', where, 1), T = checkInt(batch.T, 'batch.T', where, 1);
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
    const p = lab._stage([tokens, inputs, lengths, targets]);
    lab._c.rnlw_batch_set(B, T, ...p);
    return h;
  }

  _stats() {
    const lab = this._lab, acc = lab._out(OUT_ACCURACY);
    return { loss: lab._out(OUT_LOSS), gradNorm: lab._out(OUT_GRAD_NORM), clipped: lab._out(OUT_CLIPPED) === 1,
      accuracy: Number.isNaN(acc) ? null : acc, step: lab._out(OUT_STEPS) };
  }

  /** One training step (zero grads, forward, backward, clip, update) on a batch. */
  trainStep(batch, opts) {
    const { bpttWindow = 0 } = checkKeys(opts, ['bpttWindow'], 'trainStep');
    checkInt(bpttWindow, 'bpttWindow', 'trainStep', 0);
    const h = this._setBatch(batch, true, 'trainStep');
    const st = this._lab._c.rnlw_train_step(h, bpttWindow);
    this._lab._check(st);
    return this._stats();
  }

  /** Loss and accuracy (null for regression) of a batch, without training. */
  evaluate(batch) {
    const h = this._setBatch(batch, true, 'evaluate');
    this._lab._check(this._lab._c.rnlw_eval(h));
    const { loss, accuracy } = this._stats();
    return { loss, accuracy };
  }

  _predictions(h) {
    const lab = this._lab;
    const p = lab._c.rnlw_predictions(h);
    return lab._copyF32(p, lab._out(0));
  }

  /** Predictions for a batch (targets are not needed): (B, outputs), or (B, T, outputs) for seq2seq. */
  predict(batch) {
    const h = this._setBatch(batch, false, 'predict');
    this._lab._check(this._lab._c.rnlw_predict(h));
    return this._predictions(h);
  }

  /** Loss, gradients and predictions of a batch, with no update (what `rnnlab grad` prints). */
  gradients(batch, opts) {
    const { bpttWindow = 0 } = checkKeys(opts, ['bpttWindow'], 'gradients');
    checkInt(bpttWindow, 'bpttWindow', 'gradients', 0);
    const lab = this._lab, h = this._setBatch(batch, true, 'gradients');
    lab._check(lab._c.rnlw_gradients(h, bpttWindow));
    const loss = lab._out(OUT_LOSS), gradNorm = lab._out(OUT_GRAD_NORM);
    const gradients = lab._copyF32(lab._c.rnlw_model_grads(h), this._numParams);
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
      'evalBatchSize', 'progressEvery', 'onProgress', 'signal', 'yieldMs'], where);
    const { task, length = 50, steps = 1000, batchSize = 32, bpttWindow = 0, evalEvery = 0, evalBatches = 4,
      evalBatchSize = 64, progressEvery = 10, onProgress, signal, yieldMs = 30 } = opts;
    const t = lab._index(lab.names.tasks, task, 'task', where);
    checkInt(length, 'length', where, 2);
    checkInt(steps, 'steps', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(bpttWindow, 'bpttWindow', where, 0);
    checkInt(evalEvery, 'evalEvery', where, 0);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    if (onProgress !== undefined && typeof onProgress !== 'function') throw argError(`${where}: onProgress must be a function`);
    if (this._busy) throw argError(`${where}: this model is already training`);
    // As `rnnlab train`: without a seed, continue the data stream from the steps already done.
    const seed = opts.seed ?? 1 + (this.optimizer?.steps ?? 0);
    const [lo, hi] = splitSeed(seed, where);
    lab._c.rnlw_task_seed(this._handle, lo, hi);
    this._busy = true;
    try {
      const t0 = now();
      let done = 0, lastYield = t0, stats = null, lastEval = null, stopped = false;
      while (done < steps) {
        if (signal?.aborted) {
          stopped = true;
          break;
        }
        const nextReport = Math.min((Math.floor(done / progressEvery) + 1) * progressEvery,
          evalEvery ? (Math.floor(done / evalEvery) + 1) * evalEvery : Infinity, steps);
        const st = lab._c.rnlw_train_task(this._handle, t, batchSize, length, nextReport - done, bpttWindow);
        done += lab._out(OUT_DONE);
        stats = { ...this._stats(), meanLoss: lab._out(OUT_MEAN_LOSS), clippedSteps: lab._out(OUT_N_CLIPPED) };
        if (st) {
          const err = lab._error(st);
          err.stepsDone = done;
          throw err;
        }
        const seconds = (now() - t0) / 1000;
        const progress = { step: done, steps, totalSteps: stats.step, loss: stats.loss, meanLoss: stats.meanLoss,
          gradNorm: stats.gradNorm, clipped: stats.clipped, accuracy: stats.accuracy, seconds,
          seqPerSec: seconds > 0 ? (done * batchSize) / seconds : 0 };
        if (evalEvery && (done % evalEvery === 0 || done === steps)) {
          // The held-out batches of `rnnlab train`: their own seed, so every run sees the same ones.
          progress.eval = lastEval = this.evaluateTask({ task, length, batches: evalBatches, batchSize: evalBatchSize,
            seed: 0x5eed0000 + length });
        }
        if (onProgress) {
          const r = onProgress(progress);
          if (r && typeof r.then === 'function') await r;
        }
        if (now() - lastYield >= yieldMs) {
          await yieldToEventLoop();
          lastYield = now();
        }
      }
      const seconds = (now() - t0) / 1000;
      return { steps: done, totalSteps: stats ? stats.step : this.optimizer?.steps ?? 0, loss: stats ? stats.loss : NaN,
        meanLoss: stats ? stats.meanLoss : NaN, eval: lastEval, seconds,
        seqPerSec: seconds > 0 ? (done * batchSize) / seconds : 0, stopped };
    } finally {
      this._busy = false;
    }
  }

  /** Held-out loss and accuracy (null for regression) on fresh batches, as `rnnlab eval` (same defaults). */
  evaluateTask(opts) {
    const where = 'evaluateTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'batches', 'batchSize', 'seed'], where);
    const { task, length = 50, batches = 10, batchSize = 100, seed = 1000003 } = opts;
    const t = lab._index(lab.names.tasks, task, 'task', where);
    const [lo, hi] = splitSeed(seed, where);
    lab._check(lab._c.rnlw_eval_task(this._handle, t, checkInt(length, 'length', where, 2),
      checkInt(batches, 'batches', where, 1), checkInt(batchSize, 'batchSize', where, 1), lo, hi));
    const { loss, accuracy } = this._stats();
    return { loss, accuracy };
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
    const p = lab._c.rnlw_trace(this._handle, kind, layer, dir);
    if (!p) return null;
    const steps = lab._out(0), width = lab._out(1);
    return { steps, width, data: lab._copyF32(p, steps * width) };
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

  // --- Parameters and checkpoints ---

  /** A copy of the whole parameter block (layout: tensors()). */
  parameters() {
    return this._lab._copyF32(this._lab._c.rnlw_model_params(this._handle), this._numParams);
  }

  /** Replaces the whole parameter block (numParams finite values). */
  setParameters(values) {
    const h = this._handle, lab = this._lab;
    const a = toTyped(Float32Array, values, undefined, 'values', 'setParameters');
    lab._check(lab._withCopy(a, (p) => lab._c.rnlw_set_params(h, p, a.length)));
  }

  /** The tensors of the parameter block: PyTorch state_dict names, offsets and shapes. */
  tensors() {
    const h = this._handle, lab = this._lab, list = [];
    for (let i = 0; i < this._numTensors; i++) {
      const name = lab._str(lab._c.rnlw_tensor(h, i));
      const offset = lab._out(0), rows = lab._out(1), cols = lab._out(2);
      list.push({ name, offset, rows, cols, shape: cols === 1 ? [rows] : [rows, cols] });
    }
    return list;
  }

  /** A copy of the model's meta bytes (the description of its data, kept in checkpoints), or null. */
  meta() {
    const lab = this._lab, p = lab._c.rnlw_meta(this._handle);
    return p ? lab._views()._u8.slice(p, p + lab._out(0)) : null;
  }

  /** Sets the meta bytes saved with the model (null or empty: none). */
  setMeta(bytes) {
    const h = this._handle, lab = this._lab;
    if (bytes === null || bytes === undefined || bytes.byteLength === 0) return lab._check(lab._c.rnlw_set_meta(h, 0, 0));
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('setMeta: expected a Uint8Array, an ArrayBuffer or null');
    lab._check(lab._withCopy(bytes, (p) => lab._c.rnlw_set_meta(h, p, bytes.byteLength)));
  }

  /** The checkpoint (format of the native CLI), with the optimizer's state unless optimizer: false. */
  saveCheckpoint(opts) {
    const { optimizer = true } = checkKeys(opts, ['optimizer'], 'saveCheckpoint');
    const lab = this._lab;
    lab._check(lab._c.rnlw_checkpoint_write(this._handle, checkBool(optimizer, 'optimizer', 'saveCheckpoint')));
    const p = lab._out(0), n = lab._out(1);
    const bytes = lab._views()._u8.slice(p, p + n);
    lab._c.rnl_buffer_free(p);
    return bytes;
  }
}
