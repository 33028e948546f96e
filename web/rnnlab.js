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
// Data (the C data layer, rnnlab_data.h): an IMDB subset streamed from the archive, a reviews CSV, a CSV
// time series, or a prepared .rnld file; then the loop of `rnnlab train --data`:
//
//     const ds = await lab.prepareImdb(file, { train: 2000, val: 500, test: 2000, keepEnd: true });  // a File, fetch body, bytes
//     const m = lab.createModel({ cell: 'gru', hidden: 64, dataset: ds, seed: 1 });
//     await m.trainDataset(ds, { epochs: 3, onEpoch: (e) => console.log(e.epoch, e.val.accuracy) });
//     m.predictText('a wonderful film');          // { probability, tokens, stepProbabilities, ... }
//
// Sequence-to-sequence (rnnlab_seq2seq.h): an encoder-decoder with attention for the reverse and dates
// tasks, its greedy decoding and attention matrix:
//
//     const s = lab.createSeq2Seq({ task: 'reverse', length: 8, attention: 'dot', seed: 1 });
//     await s.trainTask({ steps: 600 });
//     s.decode('abcdefgh');                        // { output: 'hgfedcba', attention: { rows, cols, data }, ... }
//
// Memory: the module's 32-bit memory grows up to the maximum it declares (lab.memoryLimit, 2 GB) and never
// shrinks, so a size that cannot fit is refused before anything is allocated: lab.trainingBytes(cfg,
// { batchSize, length }) is the core's figure (rnl_training_bytes), and createModel (at cfg.batchSize x
// cfg.length, default 1 x 1), setOptimizer and every call that runs batches throw RNL_ERR_NOMEM with it
// ("out of memory: this model needs 812.4 MB to train at batch 32, length 200; ... reduce hidden, ...").
//
// A module built from the exercises' cells (exercises/grade.mjs: web/student/rnnlab.wasm) loads the same
// way; lab.implementation says which it is, and a call that runs an unfinished cell throws (code RNL_ERR_TODO).
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
  'rnlw_heap_in_use', 'rnlw_heap_base', 'rnlw_config_training_bytes', 'rnlw_model_training_bytes', 'rnlw_config_default', 'rnlw_model_create', 'rnlw_model_destroy', 'rnlw_model_config',
  'rnlw_model_num_params', 'rnlw_model_params', 'rnlw_model_grads', 'rnlw_set_params', 'rnlw_tensor',
  'rnlw_set_optimizer', 'rnlw_optimizer_info', 'rnlw_batch_set', 'rnlw_train_step', 'rnlw_eval', 'rnlw_predict',
  'rnlw_predictions', 'rnlw_gradients', 'rnlw_task_shape', 'rnlw_task_generate', 'rnlw_task_seed',
  'rnlw_train_task', 'rnlw_eval_task', 'rnlw_set_trace', 'rnlw_trace', 'rnlw_checkpoint_write',
  'rnlw_checkpoint_read', 'rnlw_meta', 'rnlw_set_meta',
  // The data layer.
  'rnl_dataset_destroy', 'rnlw_dataset_info', 'rnlw_dataset_read', 'rnlw_dataset_describe', 'rnlw_dataset_write',
  'rnlw_dataset_encode', 'rnlw_dataset_word', 'rnlw_dataset_example', 'rnlw_dataset_batch', 'rnlw_dataset_shape',
  'rnlw_data_defaults', 'rnlw_imdb_create', 'rnl_imdb_feed_tar', 'rnl_imdb_end_tar', 'rnl_imdb_add_file', 'rnlw_imdb_counts',
  'rnlw_imdb_build', 'rnl_imdb_destroy', 'rnlw_text_csv', 'rnlw_series_csv', 'rnlw_bow', 'rnlw_attach_data',
  'rnlw_data_epoch', 'rnlw_train_data', 'rnlw_eval_data', 'rnlw_predict_series', 'rnlw_model_word', 'rnlw_predict_text',
  // Sequence-to-sequence models, and the TODO report of a student build.
  'rnl_attn_name', 'rnl_s2s_task_name', 'rnlw_s2s_create', 'rnlw_s2s_destroy', 'rnlw_s2s_info', 'rnlw_s2s_set_optimizer',
  'rnlw_s2s_optimizer_info', 'rnlw_s2s_seed', 'rnlw_s2s_train', 'rnlw_s2s_eval', 'rnlw_s2s_decode', 'rnlw_s2s_token_text',
  'rnlw_s2s_text', 'rnlw_s2s_checkpoint_write', 'rnlw_s2s_checkpoint_read', 'rnlw_todo_check', 'rnlw_todo_names',
  'rnlw_todo_count', 'rnlw_todo_last',
];

const SPLITS = ['train', 'val', 'test'];  // rnl_split order
const EVAL_BATCH = 64;                    // rnlw_eval_data and rnlw_predict_series run splits in batches of 64
const FORMAT = 4;                         // RNL_ERR_FORMAT

/** An error from rnnlab: the core's message (rnl_last_error) and its status. */
export class RnnLabError extends Error {
  constructor(message, status, statusName) {
    super(message);
    this.name = 'RnnLabError';
    this.status = status;          // rnl_status value; -1: freed model; -2: the module trapped; -3: a TODO cell ran
    this.statusName = statusName;  // rnl_status_name, e.g. "bad argument"
    this.code = status >= 0 ? (STATUS_CODES[status] ?? 'RNL_ERR_UNKNOWN')
      : status === -1 ? 'RNL_ERR_FREED' : status === -3 ? 'RNL_ERR_TODO' : 'RNL_ERR_TRAP';
  }
}

function argError(message) {
  return new RnnLabError(`bad argument: ${message}`, ERR_ARG, 'bad argument');
}

// --- Loading ------------------------------------------------------------------------------------

// The compile functions below give { module, bytes }: the bytes (null for a given WebAssembly.Module) are
// read once more for the memory's declared maximum (memoryMaximum).
const compileBytes = async (bytes) => ({ module: await WebAssembly.compile(bytes), bytes });

async function compileResponse(resp) {
  if (!resp.ok) throw new Error(`RnnLab.load: fetching ${resp.url} failed: HTTP ${resp.status} ${resp.statusText}`);
  // Streaming compilation needs the server to say application/wasm; fall back to bytes otherwise.
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/.test(resp.headers.get('content-type') ?? '')) {
    const [module, bytes] = await Promise.all([WebAssembly.compileStreaming(resp.clone()), resp.arrayBuffer()]);
    return { module, bytes };
  }
  return compileBytes(await resp.arrayBuffer());
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
  return compileBytes(bytes);
}

async function compile(source) {
  if (source instanceof WebAssembly.Module) return { module: source, bytes: null };
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return compileBytes(source);
  if (typeof Response === 'function' && source instanceof Response) return compileResponse(source);
  source ??= new URL('./rnnlab.wasm', import.meta.url);
  if (typeof source !== 'string' && !(source instanceof URL))
    throw new TypeError('RnnLab.load: expected a URL, a path (Node), bytes, a Response or a WebAssembly.Module');
  if (isNode) return compileInNode(source);
  return compileResponse(await fetch(source));
}

const WASM_PAGE = 65536, WASM32_LIMIT = 65536 * WASM_PAGE;  // 4 GB: all a 32-bit memory can address

// The maximum the module declares for its memory (in its memory section; -sALLOW_MEMORY_GROWTH with
// Emscripten's default MAXIMUM_MEMORY gives 2 GB), in bytes; 4 GB when it declares none or the bytes are
// unknown. A browser may still refuse to grow that far: this is the most the memory can ever reach.
function memoryMaximum(bytes) {
  if (!bytes) return WASM32_LIMIT;
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;  // after the magic and the version
  const leb = () => {
    let v = 0, shift = 0, b;
    do {
      b = u8[pos++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80 && pos < u8.length);
    return v;
  };
  while (pos < u8.length) {
    const id = u8[pos++], size = leb(), end = pos + size;
    if (id === 5 && leb() >= 1) {  // the memory section, with at least one memory: limits of memory 0
      const flags = u8[pos++];
      leb();  // the minimum
      return flags & 1 ? Math.min(leb() * WASM_PAGE, WASM32_LIMIT) : WASM32_LIMIT;
    }
    pos = end;
  }
  return WASM32_LIMIT;
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

/**
 * The step loop of trainTask (Model and Seq2SeqModel): `chunk(n)` trains n steps in the core and returns
 * { status, done, stats } (stats: step, loss, meanLoss and the model's own figures); the loop runs it up to
 * each progress or evaluation boundary, reports { step, steps, totalSteps, ...stats, seconds, seqPerSec }
 * (with `eval` from `evaluate()` every evalEvery steps), yields to the event loop every yieldMs ms, and
 * stops early when the signal aborts. A failed chunk throws the core's error with `stepsDone`.
 */
async function stepLoop(model, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs, chunk, evaluate }) {
  model._busy = true;
  try {
    const t0 = now();
    let done = 0, lastYield = t0, stats = null, lastEval = null, stopped = false;
    const seqPerSec = (seconds) => (seconds > 0 ? (done * batchSize) / seconds : 0);
    while (done < steps) {
      if (signal?.aborted) {
        stopped = true;
        break;
      }
      const nextReport = Math.min((Math.floor(done / progressEvery) + 1) * progressEvery,
        evalEvery ? (Math.floor(done / evalEvery) + 1) * evalEvery : Infinity, steps);
      const r = chunk(nextReport - done);
      done += r.done;
      stats = r.stats;
      if (r.status) {
        const err = model._lab._error(r.status);
        err.stepsDone = done;
        throw err;
      }
      const seconds = (now() - t0) / 1000;
      const { step, ...figures } = stats;
      const progress = { step: done, steps, totalSteps: step, ...figures, seconds, seqPerSec: seqPerSec(seconds) };
      if (evalEvery && (done % evalEvery === 0 || done === steps)) progress.eval = lastEval = evaluate();
      if (onProgress) {
        const p = onProgress(progress);
        if (p && typeof p.then === 'function') await p;
      }
      if (now() - lastYield >= yieldMs) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    const seconds = (now() - t0) / 1000;
    return { steps: done, totalSteps: stats ? stats.step : model.optimizer?.steps ?? 0, loss: stats ? stats.loss : NaN,
      meanLoss: stats ? stats.meanLoss : NaN, eval: lastEval, seconds, seqPerSec: seqPerSec(seconds), stopped };
  } finally {
    model._busy = false;
  }
}

function abortError(signal) {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

// --- Byte sources -------------------------------------------------------------------------------
// Archives arrive as bytes, a Blob (a File from <input>), a Response or its body (a ReadableStream), or
// any async iterable of Uint8Array (a Node file stream). All become one async iterable of Uint8Array chunks,
// so nothing but the current chunk is held.

function asU8(chunk, where) {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw argError(`${where}: the source gave a ${chunk?.constructor?.name ?? typeof chunk} chunk, not bytes`);
}

// A text given as a string (encoded as UTF-8) or as bytes.
function textBytes(x, where) {
  if (typeof x === 'string') return new TextEncoder().encode(x);
  if (x instanceof ArrayBuffer || ArrayBuffer.isView(x)) return asU8(x, where);
  throw argError(`${where}: expected a string or bytes (a Uint8Array or an ArrayBuffer)`);
}

const SLICE = 1 << 20;  // bytes handed on at a time when the source is one block in memory

async function* chunksOf(source, where) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const u8 = asU8(source, where);
    for (let i = 0; i < u8.length; i += SLICE) yield u8.subarray(i, i + SLICE);
    return;
  }
  if (typeof Blob === 'function' && source instanceof Blob) source = source.stream();
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new Error(`${where}: fetching ${source.url} failed: HTTP ${source.status} ${source.statusText}`);
    source = source.body;
  }
  if (source && typeof source.getReader === 'function') {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield asU8(value, where);
      }
    } finally {
      reader.cancel().catch(() => {});  // stops the source when the reader stops early (an error, an abort)
    }
  }
  if (source && (typeof source[Symbol.asyncIterator] === 'function' || typeof source[Symbol.iterator] === 'function')) {
    for await (const c of source) yield asU8(c, where);
    return;
  }
  throw argError(`${where}: the source must be a Uint8Array, an ArrayBuffer, a Blob, a Response, a ReadableStream or an async iterable of Uint8Array`);
}

// Reads chunks until at least n bytes are known (or the input ends); returns them and an iterable that
// gives them again followed by the rest, so the caller can look at the magic bytes first.
async function peek(chunks, n) {
  const it = chunks[Symbol.asyncIterator](), head = [];
  let have = 0;
  while (have < n) {
    const { done, value } = await it.next();
    if (done) break;
    head.push(value);
    have += value.length;
  }
  const first = new Uint8Array(Math.min(have, n));
  let k = 0;
  for (const c of head) for (let i = 0; i < c.length && k < first.length; i++) first[k++] = c[i];
  async function* all() {
    try {
      yield* head;
      for (;;) {
        const { done, value } = await it.next();
        if (done) return;
        yield value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { first, chunks: all() };
}

const isGzip = (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;  // RFC 1952 magic

// Inflates a gzip stream with the platform: DecompressionStream (browsers, Workers, Node >= 18), else
// node:zlib. `state.bytesIn` counts compressed bytes read; a failure is rethrown as a format error that
// says whether the data was cut short (the input ended first) or is corrupt.
async function* gunzip(chunks, state, name) {
  // Worded as the native reader's messages (core/src/data/gzip.c). Node's inflater says Z_BUF_ERROR when
  // the data stops early; browsers give only a message ("Compressed input was truncated." in Chrome).
  const fail = (e) => {
    const cutShort = e?.code ? e.code === 'Z_BUF_ERROR' : /truncat|end of (file|input|stream)/i.test(e?.message ?? '');
    if (state.inputEnded && cutShort)
      return new RnnLabError(`bad format: ${name}: truncated gzip data: the file ends at byte ${state.bytesIn} before the end of ` +
        'the compressed stream', FORMAT, 'bad format');
    return new RnnLabError(`bad format: ${name}: corrupt gzip data near compressed byte ${state.bytesIn} (${e?.message ?? e})`,
      FORMAT, 'bad format');
  };
  const counted = (async function* () {
    for await (const c of chunks) {
      state.bytesIn += c.length;
      yield c;
    }
    state.inputEnded = true;
  })();
  if (typeof DecompressionStream !== 'function') {
    if (!isNode) throw new Error(`${name}: this platform has no DecompressionStream to inflate gzip data; decompress it first`);
    const [{ createGunzip }, { Readable }] = await Promise.all([import('node:zlib'), import('node:stream')]);
    const z = createGunzip(), src = Readable.from(counted);
    let sourceError = null;
    src.on('error', (e) => z.destroy(sourceError = e));
    src.pipe(z);
    try {
      for await (const c of z) yield asU8(c, name);
    } catch (e) {
      throw sourceError ?? fail(e);
    } finally {
      src.destroy();
      z.destroy();
    }
    return;
  }
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter(), reader = ds.readable.getReader();
  let sourceError = null;
  // Writes the compressed chunks while the loop below reads what they inflate to. A failed write means
  // the inflater failed (the reader sees the same error); a failure of the source aborts the inflater.
  const pump = (async () => {
    try {
      for await (const c of counted) {
        try {
          await writer.write(c);
        } catch {
          return;
        }
      }
    } catch (e) {
      sourceError = e;
      writer.abort(e).catch(() => {});
      return;
    }
    writer.close().catch(() => {});
  })();
  let finished = false;
  try {
    for (;;) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        await pump;
        throw sourceError ?? fail(e);
      }
      if (r.done) break;
      yield r.value;
    }
    finished = true;
  } finally {
    // The consumer stopped early: stop the inflater; the pump then stops the source at its next chunk
    // (not awaited: a stalled network must not hold up the error).
    if (!finished) reader.cancel().catch(() => {});
  }
}

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

// --- Objects in WebAssembly memory: Dataset, Model, Seq2SeqModel -----------------------------------

// One registry per kind (per export that destroys it): frees the C side of objects the program dropped
// without free().
const finalizers = {};
function finalizerFor(destroy) {
  if (typeof FinalizationRegistry !== 'function') return null;
  finalizers[destroy] ??= new FinalizationRegistry(({ lab, handle }) => { if (!lab._trapped) lab._c[destroy](handle); });
  return finalizers[destroy];
}

/** A core object in the module's memory, owned by this JS object until free() (or garbage collection). */
class CoreObject {
  constructor(lab, handle, destroy, noun) {
    this._lab = lab;
    this._h = handle;
    this._destroy = destroy;  // the export that frees it
    this._noun = noun;        // 'model' or 'dataset', for the message after free()
    finalizerFor(destroy)?.register(this, { lab, handle }, this);
  }

  get _handle() {
    if (!this._h) {
      const noun = this._noun;
      throw new RnnLabError(`rnnlab: this ${noun} was freed (${noun}.free() was called); it can no longer be used`, -1, 'freed');
    }
    return this._h;
  }

  /** Releases its WebAssembly memory. Calling it again does nothing; any other call then throws. */
  free() {
    if (!this._h) return;
    const h = this._h;
    this._h = 0;
    finalizerFor(this._destroy)?.unregister(this);
    if (!this._lab._trapped) this._lab._c[this._destroy](h);  // a retired instance's heap is dropped whole
  }

  get freed() {
    return this._h === 0;
  }
}

// --- The lab: one module instance ---------------------------------------------------------------

export class RnnLab {
  /**
   * Loads the module: `source` is a URL or (in Node) a path to rnnlab.wasm, its bytes, a Response or a
   * compiled WebAssembly.Module; by default rnnlab.wasm beside this file.
   */
  static async load(source) {
    const { module, bytes } = await compile(source);
    const state = { memory: null, maximum: memoryMaximum(bytes) };
    const instance = await WebAssembly.instantiate(module, makeImports(module, state));
    return new RnnLab(instance, state);
  }

  constructor(instance, state) {
    const ex = instance.exports;
    const missing = REQUIRED_EXPORTS.filter((n) => !(n in ex));
    if (missing.length) throw new Error(`RnnLab.load: the module lacks ${missing.join(', ')}: rebuild web/rnnlab.wasm (npm run build)`);
    this._memory = state.memory = ex.memory;
    /** The most bytes this module's WebAssembly memory can grow to (its declared maximum; 4 GB if none). */
    this.memoryLimit = state.maximum ?? WASM32_LIMIT;
    this._buf = null;
    this._trapped = null;
    // Every export behind one guard: a trap (a bug, never bad input) leaves the C heap in an unknown
    // state, so the instance is retired and every later call says so.
    this._c = {};
    // A student build (rnlw_todo_check() >= 0): a call that ran a function still marked EX_TODO throws
    // after it returns, naming the function, instead of handing back the numbers of a placeholder.
    if (ex._initialize) ex._initialize();  // the reactor's constructors
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
            throw this._trapError();
          }
          throw e;
        }
        if (student && ex.rnlw_todo_count() !== todoSeen) {
          todoSeen = ex.rnlw_todo_count();
          const all = this.implementation?.todos ?? [];
          throw new RnnLabError(`your cells are not finished: ${this._str(ex.rnlw_todo_last())} is still a TODO in ` +
            `cell_math.c${all.length > 1 ? ` (unfinished: ${all.join(', ')})` : ''}. This module was built from your ` +
            'exercises: finish them (node exercises/grade.mjs) or use the reference module', -3, 'todo');
        }
        return r;
      };
    }
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
    /** Seq2seq names in enum order: attention kinds, tasks. */
    this.seq2seqNames = Object.freeze({ attention: names(this._c.rnl_attn_name), tasks: names(this._c.rnl_s2s_task_name) });
    /**
     * Which cells the module runs: 'reference' (core/src/cell_math.c) or 'student' (a build from the
     * exercises' cell_math.c), and for a student build the functions still marked TODO.
     */
    if (student) {
      const count = this._c.rnlw_todo_check(), list = this._str(this._c.rnlw_todo_names());
      this.implementation = Object.freeze({ kind: 'student', todoCount: count,
        todos: Object.freeze(count ? list.split(', ') : []) });
    } else this.implementation = Object.freeze({ kind: 'reference', todoCount: 0, todos: Object.freeze([]) });
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
      `things): ${advice}`, 2, 'out of memory');
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

  /**
   * A fresh model; see rnnlab.d.ts (ModelConfig) for the fields and their defaults. Refused up front,
   * before anything is allocated, when training it at `batchSize` x `length` (default 1 x 1: the model
   * and Adam's state alone) would need more memory than the module can grow to.
   */
  createModel(cfg) {
    const where = 'createModel';
    const { args, ds } = this._modelConfig(cfg, where, ['seed', 'batchSize', 'length']);
    const B = cfg.batchSize === undefined ? 1 : checkInt(cfg.batchSize, 'batchSize', where, 1);
    const T = cfg.length === undefined ? 1 : checkInt(cfg.length, 'length', where, 1);
    this._ensureRoom(this._configBytes(args, B, T), 0, `train at batch ${B}, length ${T} with Adam`,
      B * T > 1 ? 'reduce hidden, layers, embed or vocab, the batch size or the length' : 'reduce hidden, layers, embed or vocab');
    const [lo, hi] = splitSeed(cfg.seed ?? 0, where);
    const h = this._c.rnlw_model_create(...args, lo, hi);
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
    const { args } = this._modelConfig(cfg, where, ['seed', 'batchSize', 'length']);
    opts = checkKeys(opts, ['batchSize', 'length', 'optimizer'], where);
    const B = checkInt(opts.batchSize ?? cfg.batchSize ?? 32, 'batchSize', where, 1);
    const T = checkInt(opts.length ?? cfg.length ?? (cfg.dataset ? dataLength(cfg.dataset) : 50), 'length', where, 1);
    const kind = this._index(this.names.optimizers, opts.optimizer ?? 'adam', 'optimizer', where);
    return this._configBytes(args, B, T, kind);
  }

  _configBytes(args, B, T, kind = this.names.optimizers.indexOf('adam')) {
    const n = this._c.rnlw_config_training_bytes(...args, kind, B, T);
    if (n < 0) throw this._error(-n);
    return n;
  }

  // createModel's fields resolved as the core takes them: { args (rnlw_model_create's, up to forget_bias),
  // ds (0 or a dataset handle) }.
  _modelConfig(cfg, where, extraKeys) {
    cfg = checkKeys(cfg, ['cell', 'task', 'vocab', 'embed', 'inputSize', 'hidden', 'layers', 'bidirectional', 'head',
      'outputs', 'seq2seq', 'forgetBias', 'dataset', ...extraKeys], where);
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
    let ds = 0;
    if (cfg.dataset !== undefined) {
      // As `rnnlab init --data`: the data decides the input, the head and the outputs; embed defaults to 64.
      ds = this._datasetHandle(cfg.dataset, where);
      if (cfg.task !== undefined) throw argError(`${where}: dataset decides the inputs: leave out task`);
      for (const k of ['vocab', 'inputSize', 'head', 'outputs', 'seq2seq'])
        if (cfg[k] !== undefined) throw argError(`${where}: dataset decides vocab, inputSize, head, outputs and seq2seq: leave ${k} out`);
      this._c.rnlw_dataset_shape(ds, cfg.embed === undefined ? 64 : checkInt(cfg.embed, 'embed', where));
      const v = Array.from({ length: 6 }, (_, i) => this._out(i));
      Object.assign(c, { vocab: v[0], embed: v[1], inputSize: v[2], head: v[3], outputs: v[4], seq2seq: v[5] });
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
    return { args: [cell, c.vocab, c.embed, c.inputSize, c.hidden, c.layers, c.bidirectional, c.head, c.outputs, c.seq2seq,
      c.forgetBias], ds };
  }

  /** A model (with its optimizer and step count, if saved with them) from checkpoint bytes. */
  loadCheckpoint(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('loadCheckpoint: expected a Uint8Array or an ArrayBuffer of checkpoint bytes');
    const h = this._withCopy(bytes, (p) => this._c.rnlw_checkpoint_read(p, bytes.byteLength));
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
    const task = this._index(this.seq2seqNames.tasks, cfg.task, 'task', where);
    const int = (k, lo) => (cfg[k] === undefined ? -1 : checkInt(cfg[k], k, where, lo));
    const cell = (k) => (cfg[k] === undefined ? -1 : this._index(this.names.cells, cfg[k], k, where));
    if (cfg.cell !== undefined && (cfg.encoderCell !== undefined || cfg.decoderCell !== undefined))
      throw argError(`${where}: give cell (both) or encoderCell/decoderCell, not both`);
    const enc = cfg.cell !== undefined ? cell('cell') : cell('encoderCell');
    const dec = cfg.cell !== undefined ? enc : cell('decoderCell');
    const attention = cfg.attention === undefined ? -1 : this._index(this.seq2seqNames.attention, cfg.attention, 'attention', where);
    if (cfg.attnWidth !== undefined && cfg.attention !== 'additive') throw argError(`${where}: attnWidth is for attention 'additive'`);
    const bidi = cfg.bidirectional === undefined ? -1 : checkBool(cfg.bidirectional, 'bidirectional', where);
    const fb = cfg.forgetBias === undefined ? NaN : checkNumber(cfg.forgetBias, 'forgetBias', where);
    const [lo, hi] = splitSeed(cfg.seed ?? 0, where);
    const h = this._c.rnlw_s2s_create(task, int('length', 1), int('minLength', 1), int('maxLength', 1), int('symbols', 1),
      enc, dec, int('hidden', 1), int('embed', 1), int('layers', 1), bidi, attention, int('attnWidth', 1), fb, lo, hi);
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Seq2SeqModel(this, h);
  }

  /** A seq2seq model (with its optimizer, if saved with it) from checkpoint bytes that name a task. */
  loadSeq2Seq(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!ArrayBuffer.isView(bytes)) throw argError('loadSeq2Seq: expected a Uint8Array or an ArrayBuffer of checkpoint bytes');
    const h = this._withCopy(bytes, (p) => this._c.rnlw_s2s_checkpoint_read(p, bytes.byteLength));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Seq2SeqModel(this, h);
  }

  // --- Data ------------------------------------------------------------------------------------

  // A NUL-terminated copy of a string in WASM memory, for fn(ptr); 0 for null/undefined.
  _withCString(str, fn) {
    if (str === null || str === undefined) return fn(0);
    const bytes = new TextEncoder().encode(str), p = this._malloc(bytes.length + 1);
    try {
      const u8 = this._views()._u8;
      u8.set(bytes, p);
      u8[p + bytes.length] = 0;
      return fn(p);
    } finally {
      this._c.free(p);
    }
  }

  _datasetHandle(ds, where) {
    if (!(ds instanceof Dataset) || ds._lab !== this) throw argError(`${where}: expected a Dataset of this RnnLab instance`);
    return ds._handle;
  }

  /** The defaults of `rnnlab data` (rnl_imdb_default, rnl_series_default). */
  get dataDefaults() {
    this._c.rnlw_data_defaults();
    const v = Array.from({ length: 11 }, (_, i) => this._out(i));
    return { train: v[0], val: v[1], test: v[2], vocab: v[3], maxLen: v[4], keepEnd: v[5] === 1, seed: v[6],
      window: v[7], horizon: v[8], valFrac: v[9], testFrac: v[10] };
  }

  // Checks the text-subset options and fills in defaults: the C call's arguments (seed as two halves).
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
    return [size('train'), size('val'), size('test'), vocab, maxLen, keepEnd, ...splitSeed(opts.seed ?? d.seed, where)];
  }

  /** A dataset from the bytes of a .rnld file (from `rnnlab data`, `npm run data` or Dataset.toBytes). */
  openDataset(bytes, opts) {
    const where = 'openDataset';
    const { name = null } = checkKeys(opts, ['name'], where);
    if (!(bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes))) throw argError(`${where}: expected the bytes of a .rnld file (a Uint8Array or an ArrayBuffer)`);
    const b = asU8(bytes, where);
    const h = this._withCopy(b, (p) => this._withCString(name, (label) => this._c.rnlw_dataset_read(p, b.byteLength, label)));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Dataset(this, h, null);
  }

  _imdbReader(opts, where) {
    const im = this._c.rnlw_imdb_create(...this._textOptions(opts, where, false));
    if (!im) throw this._error(this._c.rnlw_last_status());
    return im;
  }

  _imdbCounts(im) {
    this._c.rnlw_imdb_counts(im);
    const v = Array.from({ length: 5 }, (_, i) => this._out(i));
    return { train: { neg: v[0], pos: v[1] }, test: { neg: v[2], pos: v[3] }, unsup: v[4] };
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
    opts = checkKeys(opts, ['train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'seed', 'onProgress', 'signal', 'yieldMs', 'name'], where);
    const { onProgress, signal, yieldMs = 30 } = opts;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw argError(`${where}: onProgress must be a function`);
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
            if (buf) this._c.free(buf);
            buf = 0;
            buf = this._malloc(cap = Math.max(part.length, 65536));
          }
          this._views()._u8.set(part, buf);
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
      if (buf) this._c.free(buf);
      this._c.rnl_imdb_destroy(im);
    }
  }

  /**
   * An IMDB subset from files one by one: an unpacked aclImdb/ directory (Node), or the Files of an
   * <input webkitdirectory>. `files`: an iterable or async iterable of File objects (their
   * webkitRelativePath is used) or of { name, data } with data a Uint8Array, an ArrayBuffer, a Blob or a
   * string. Names are paths ending in {train,test}/{pos,neg}/<id>_<rating>.txt; others are ignored.
   */
  async prepareImdbFiles(files, opts) {
    const where = 'prepareImdbFiles';
    opts = checkKeys(opts, ['train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'seed', 'onProgress', 'signal', 'yieldMs'], where);
    const { onProgress, signal, yieldMs = 30 } = opts;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw argError(`${where}: onProgress must be a function`);
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
        const st = this._withCopy(data, (p) => this._withCString(name, (np) => this._c.rnl_imdb_add_file(im, np, p, data.byteLength)));
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
    opts = checkKeys(opts, ['train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'seed', 'name'], where);
    const args = this._textOptions(opts, where, true);
    const bytes = textBytes(textOrBytes, where);
    const h = this._withCopy(bytes, (p) => this._withCString(opts.name ?? 'reviews CSV',
      (label) => this._c.rnlw_text_csv(p, bytes.byteLength, label, ...args)));
    const v = Array.from({ length: 5 }, (_, i) => this._out(i));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Dataset(this, h, { rows: v[0], train: { neg: v[1], pos: v[2] }, test: { neg: v[3], pos: v[4] } });
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
    const bytes = textBytes(textOrBytes, where);
    const h = this._withCopy(bytes, (p) => this._withCString(opts.name ?? 'CSV', (label) => this._withCString(opts.column ?? null,
      (col) => this._c.rnlw_series_csv(p, bytes.byteLength, label, col, window, horizon, valFrac, testFrac))));
    if (!h) throw this._error(this._c.rnlw_last_status());
    return new Dataset(this, h, null);
  }

  /**
   * The bag-of-words baseline of `rnnlab baseline` (logistic regression on which words a review has):
   * accuracy on each split (null when empty) and the ten words with the largest and smallest weights.
   */
  bowBaseline(dataset) {
    const ds = this._datasetHandle(dataset, 'bowBaseline');
    this._check(this._c.rnlw_bow(ds));
    const v = Array.from({ length: 24 }, (_, i) => this._out(i));
    const acc = (x) => (Number.isNaN(x) ? null : x);
    const words = (ids) => ids.filter((id) => id >= 2).map((id) => dataset.word(id));
    return { trainAccuracy: acc(v[0]), valAccuracy: acc(v[1]), testAccuracy: acc(v[2]), trainLoss: v[3],
      topPositive: words(v.slice(4, 14)), topNegative: words(v.slice(14, 24)) };
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

// --- Datasets -----------------------------------------------------------------------------------

/** A dataset in WebAssembly memory (the core's rnl_dataset): reviews or a time series. */
export class Dataset extends CoreObject {
  constructor(lab, handle, source) {
    super(lab, handle, 'rnl_dataset_destroy', 'dataset');
    const column = lab._str(lab._c.rnlw_dataset_info(handle));
    const v = Array.from({ length: 14 }, (_, i) => lab._out(i));
    const text = v[0] === 1;
    /** 'text' (reviews, binary sentiment) or 'series' (next-step regression on windows). */
    this.kind = text ? 'text' : 'series';
    /** Examples per split. */
    this.counts = Object.freeze({ train: v[1], val: v[2], test: v[3] });
    this.vocabSize = text ? v[4] : null;
    this.maxLen = text ? v[5] : null;
    this.keepEnd = text ? v[6] === 1 : null;
    this.window = text ? null : v[7];
    this.horizon = text ? null : v[8];
    this.mean = text ? null : v[9];
    this.std = text ? null : v[10];
    this.column = text ? null : column;
    /** Values in the series (all parts). */
    this.valueCount = text ? null : v[11];
    /** The seed of the selection (text). */
    this.seed = text ? v[12] + v[13] * 2 ** 32 : null;
    /** What the source held (prepareImdb: reviews per split and label; textCsvDataset: rows), else null. */
    this.source = source;
  }

  /** One line: kind, split sizes, vocabulary or window (rnl_dataset_describe). */
  describe() {
    return this._lab._str(this._lab._c.rnlw_dataset_describe(this._handle));
  }

  _write(description) {
    const lab = this._lab;
    lab._check(lab._c.rnlw_dataset_write(this._handle, description));
    const p = lab._out(0), n = lab._out(1);
    const bytes = lab._views()._u8.slice(p, p + n);
    lab._c.rnl_buffer_free(p);
    return bytes;
  }

  /** The .rnld file (byte-identical to `rnnlab data`'s for the same source and options). */
  toBytes() {
    return this._write(0);
  }

  /** The data file without its examples: what a model keeps as meta to read new input. */
  description() {
    return this._write(1);
  }

  /** The examples [first, first + count) of a split ('train', 'val' or 'test'). */
  split(name) {
    const i = SPLITS.indexOf(name);
    if (i < 0) throw argError(`split: name must be 'train', 'val' or 'test', not ${JSON.stringify(name) ?? String(name)}`);
    void this._handle;
    const c = this.counts, first = [0, c.train, c.train + c.val][i];
    return { first, count: c[name] };
  }

  /** A text as the model reads it: token ids (max_len, keep_end as the data) and their words. */
  encode(text) {
    const lab = this._lab, bytes = textBytes(text, 'encode');
    const p = lab._withCopy(bytes, (tp) => lab._c.rnlw_dataset_encode(this._handle, tp, bytes.byteLength));
    if (!p) throw lab._error(lab._c.rnlw_last_status());
    const ids = lab._views()._i32.slice(p >>> 2, (p >>> 2) + lab._out(0));
    return { ids, tokens: Array.from(ids, (id) => this.word(id)) };
  }

  /** The word of a token id ('<pad>', '<unk>', a word), or null out of range (and for a series). */
  word(id) {
    checkInt(id, 'id', 'word');
    return this._lab._str(this._lab._c.rnlw_dataset_word(this._handle, id));
  }

  /** Example i of a text dataset: its token ids, label (0 neg, 1 pos), rating (1..10, 0 unknown) and review id. */
  example(i) {
    const lab = this._lab;
    checkInt(i, 'index', 'example');
    const p = lab._c.rnlw_dataset_example(this._handle, i);
    if (!p) throw lab._error(lab._c.rnlw_last_status());
    const v = [0, 1, 2, 3].map((k) => lab._out(k));
    return { ids: lab._views()._i32.slice(p >>> 2, (p >>> 2) + v[0]), label: v[1], rating: v[2], id: v[3] };
  }

  /**
   * A batch of examples (dataset indices; split() gives each split's range), as generateTask's: text
   * { B, T, tokens (B, T) padded with 0, lengths, targets 0/1 }, series { B, T, inputs (B, T, 1), lengths,
   * targets (B, horizon) } in normalised units.
   */
  batch(indices) {
    const lab = this._lab, where = 'batch';
    const idx = toTyped(Int32Array, indices, undefined, 'indices', where);
    if (idx.length < 1) throw argError(`${where}: indices is empty`);
    lab._check(lab._withCopy(idx, (p) => lab._c.rnlw_dataset_batch(this._handle, p, idx.length)));
    const o = Array.from({ length: 8 }, (_, i) => lab._out(i));
    const v = lab._views(), B = idx.length, batch = { B, T: o[7] };
    if (o[0]) batch.tokens = v._i32.slice(o[0] >>> 2, (o[0] >>> 2) + o[4]);
    if (o[1]) batch.inputs = v._f32.slice(o[1] >>> 2, (o[1] >>> 2) + o[5]);
    batch.lengths = v._i32.slice(o[2] >>> 2, (o[2] >>> 2) + B);
    batch.targets = v._f32.slice(o[3] >>> 2, (o[3] >>> 2) + o[6]);
    return batch;
  }
}

// --- Models -------------------------------------------------------------------------------------

const BATCH_KEYS = ['B', 'T', 'tokens', 'inputs', 'lengths', 'targets'];

// The longest batch a dataset makes: its max length (text) or its window (series).
const dataLength = (ds) => ds.maxLen ?? ds.window;

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
    if (lab._c.rnlw_optimizer_info(this._handle)) return lab._out(0);
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

  // Before running a dataset's split in batches of up to EVAL_BATCH (rnlw_eval_data, rnlw_predict_series).
  _reserveSplit(dataset, split, verb) {
    this._reserve(Math.max(1, Math.min(EVAL_BATCH, dataset.counts[split])), dataLength(dataset), false, verb);
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
    // A new kind changes the optimizer's state (Adam: two floats per parameter).
    const need = this._bytesAt(kind, this._capB, this._capT);
    this._lab._ensureRoom(need, this._held, `train with ${this._lab.names.optimizers[kind]}`, 'reduce hidden, layers, embed or vocab, or use sgd');
    this._lab._check(this._lab._c.rnlw_set_optimizer(this._handle, kind, ...vals, reset));
    this._held = need;
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
    this._reserve(B, T, where === 'trainStep', where === 'trainStep' ? 'train' : 'run');
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
    this._reserve(batchSize, length, true, 'train', evalEvery ? evalBatchSize : 0);
    // As `rnnlab train`: without a seed, continue the data stream from the steps already done.
    const seed = opts.seed ?? 1 + (this.optimizer?.steps ?? 0);
    const [lo, hi] = splitSeed(seed, where);
    lab._c.rnlw_task_seed(this._handle, lo, hi);
    return stepLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        const status = lab._c.rnlw_train_task(this._handle, t, batchSize, length, n, bpttWindow);
        const { loss, gradNorm, clipped, accuracy, step } = this._stats();
        return { status, done: lab._out(OUT_DONE), stats: { step, loss, meanLoss: lab._out(OUT_MEAN_LOSS), gradNorm, clipped, accuracy } };
      },
      // The held-out batches of `rnnlab train`: their own seed, so every run sees the same ones.
      evaluate: () => this.evaluateTask({ task, length, batches: evalBatches, batchSize: evalBatchSize, seed: 0x5eed0000 + length }),
    });
  }

  /** Held-out loss and accuracy (null for regression) on fresh batches, as `rnnlab eval` (same defaults). */
  evaluateTask(opts) {
    const where = 'evaluateTask', lab = this._lab;
    opts = checkKeys(opts, ['task', 'length', 'batches', 'batchSize', 'seed'], where);
    const { task, length = 50, batches = 10, batchSize = 100, seed = 1000003 } = opts;
    const t = lab._index(lab.names.tasks, task, 'task', where);
    const [lo, hi] = splitSeed(seed, where);
    checkInt(length, 'length', where, 2);
    checkInt(batchSize, 'batchSize', where, 1);
    this._reserve(batchSize, length, false, 'evaluate');
    lab._check(lab._c.rnlw_eval_task(this._handle, t, length, checkInt(batches, 'batches', where, 1), batchSize, lo, hi));
    const { loss, accuracy } = this._stats();
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
      'progressEvery'], where);
    const { epochs = 3, batchSize = 32, bucket = 8, bpttWindow = 0, onProgress, onEpoch, signal, yieldMs = 30, progressEvery = 10 } = opts;
    checkInt(epochs, 'epochs', where, 1);
    checkInt(batchSize, 'batchSize', where, 1);
    checkInt(bucket, 'bucket', where, 1);
    checkInt(bpttWindow, 'bpttWindow', where, 0);
    checkInt(progressEvery, 'progressEvery', where, 1);
    checkNumber(yieldMs, 'yieldMs', where);
    for (const [k, f] of [['onProgress', onProgress], ['onEpoch', onEpoch]])
      if (f !== undefined && typeof f !== 'function') throw argError(`${where}: ${k} must be a function`);
    if (this._busy) throw argError(`${where}: this model is already training`);
    this._reserve(batchSize, dataLength(dataset), true, 'train', Math.min(EVAL_BATCH, dataset.counts.val));
    lab._check(lab._c.rnlw_attach_data(this._handle, ds));
    // As `rnnlab train --data`: without a seed the shuffles continue from the steps already done, and a
    // resumed run continues the epoch count.
    const done0 = this.optimizer?.steps ?? 0;
    const [lo, hi] = splitSeed(opts.seed ?? 1 + done0, where);
    const count = dataset.counts.train, perEpoch = Math.ceil(count / batchSize), steps = perEpoch * epochs;
    if (count === 0) throw argError(`${where}: the dataset has no training examples`);
    const epoch0 = Math.floor(done0 / perEpoch);
    this._busy = true;
    try {
      const t0 = now();
      let done = 0, lastYield = t0, stats = null, lastVal = null, stopped = false;
      for (let e = 0; e < epochs && !stopped; e++) {
        lab._check(lab._c.rnlw_data_epoch(this._handle, dataset._handle, lo, hi, epoch0 + e, batchSize, bucket));
        for (let b = 0; b < perEpoch;) {
          if (signal?.aborted) {
            stopped = true;
            break;
          }
          // Up to the next multiple of progressEvery (counted over the run, as the CLI's JSON lines).
          const n = Math.min(progressEvery - (done % progressEvery), perEpoch - b);
          const st = lab._c.rnlw_train_data(this._handle, dataset._handle, b, n, batchSize, bpttWindow);
          const ran = lab._out(OUT_DONE);
          done += ran;
          b += ran;
          stats = { ...this._stats(), meanLoss: lab._out(OUT_MEAN_LOSS) };
          if (st) {
            const err = lab._error(st);
            err.stepsDone = done;
            throw err;
          }
          const seconds = (now() - t0) / 1000;
          if (onProgress) {
            const r = onProgress({ epoch: e + 1, epochs, step: done, steps, totalSteps: stats.step, loss: stats.loss,
              meanLoss: stats.meanLoss, gradNorm: stats.gradNorm, clipped: stats.clipped, accuracy: stats.accuracy, seconds,
              seqPerSec: seconds > 0 ? (done * batchSize) / seconds : 0 });
            if (r && typeof r.then === 'function') await r;
          }
          if (now() - lastYield >= yieldMs) {
            await yieldToEventLoop();
            lastYield = now();
          }
        }
        if (stopped) break;
        // Validation after each epoch, as the CLI (not after an interrupted one).
        const val = dataset.counts.val > 0 ? this.evaluateDataset(dataset, 'val') : null;
        lastVal = val;
        if (onEpoch) {
          const r = onEpoch({ epoch: e + 1, epochs, step: done, totalSteps: this.optimizer.steps, val });
          if (r && typeof r.then === 'function') await r;
        }
      }
      const seconds = (now() - t0) / 1000;
      return { epochs, steps: done, totalSteps: this.optimizer?.steps ?? 0, loss: stats ? stats.loss : NaN,
        meanLoss: stats ? stats.meanLoss : NaN, val: lastVal, seconds, seqPerSec: seconds > 0 ? (done * batchSize) / seconds : 0, stopped };
    } finally {
      this._busy = false;
    }
  }

  /** Loss and accuracy (null for a series) over a whole split, as `rnnlab eval --data`. Default split: 'test'. */
  evaluateDataset(dataset, split = 'test') {
    const where = 'evaluateDataset', lab = this._lab;
    const ds = lab._datasetHandle(dataset, where);
    const s = SPLITS.indexOf(split);
    if (s < 0) throw argError(`${where}: split must be 'train', 'val' or 'test', not ${JSON.stringify(split) ?? String(split)}`);
    this._reserveSplit(dataset, split, 'evaluate');
    lab._check(lab._c.rnlw_eval_data(this._handle, ds, s));
    const acc = lab._out(1);
    return { loss: lab._out(0), accuracy: Number.isNaN(acc) ? null : acc, count: lab._out(2) };
  }

  /**
   * The sentiment of a text, read with the model's own vocabulary (its meta bytes, as `rnnlab predict`):
   * the probability that it is positive, the token ids and words the model saw ('<unk>' for unknown
   * ones), and the probability after each word (null for a bidirectional model): the change from one
   * step to the next is that word's contribution.
   */
  predictText(text) {
    const lab = this._lab, h = this._handle, bytes = textBytes(text, 'predictText');
    const p = lab._withCopy(bytes, (tp) => lab._c.rnlw_predict_text(h, tp, bytes.byteLength));
    if (!p) throw lab._error(lab._c.rnlw_last_status());
    const probability = lab._out(0), len = lab._out(1), sp = lab._out(2);
    const v = lab._views();
    const ids = v._i32.slice(p >>> 2, (p >>> 2) + len);
    const stepProbabilities = sp ? v._f32.slice(sp >>> 2, (sp >>> 2) + len) : null;
    const tokens = Array.from(ids, (id) => lab._str(lab._c.rnlw_model_word(h, id)));
    let unknown = 0;
    for (const id of ids) unknown += id === 1;
    return { probability, ids, tokens, unknown, stepProbabilities };
  }

  /**
   * Next-step predictions over a split's windows of a series, in the series' own units (de-normalised in
   * C): actual[i] is the value right after window i, predicted[i] the model's first output for it.
   */
  predictSeries(dataset, split = 'test') {
    const where = 'predictSeries', lab = this._lab;
    const ds = lab._datasetHandle(dataset, where);
    const s = SPLITS.indexOf(split);
    if (s < 0) throw argError(`${where}: split must be 'train', 'val' or 'test', not ${JSON.stringify(split) ?? String(split)}`);
    this._reserveSplit(dataset, split, 'predict');
    const p = lab._c.rnlw_predict_series(this._handle, ds, s);
    if (!p) throw lab._error(lab._c.rnlw_last_status());
    const n = lab._out(0), f64 = lab._views()._f64, at = p >>> 3;
    return { actual: f64.slice(at, at + n), predicted: f64.slice(at + n, at + 2 * n) };
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

// --- Sequence-to-sequence models ----------------------------------------------------------------

// Held-out batches of trainTask's evaluations (as `rnnlab train` for a seq2seq checkpoint: 2 x 64, one seed).
const S2S_EVAL_SEED = 0x5eed5200;

/** An encoder-decoder with attention (rnnlab_seq2seq.h) for its task: reverse or dates. */
export class Seq2SeqModel extends CoreObject {
  constructor(lab, handle) {
    super(lab, handle, 'rnlw_s2s_destroy', 'model');
    this._busy = false;
    lab._c.rnlw_s2s_info(handle);
    const v = Array.from({ length: 16 }, (_, i) => lab._out(i));
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
    const kind = lab._index(lab.names.optimizers, opts.kind ?? 'adam', 'kind', where);
    const vals = keys.map((k) => (opts[k] === undefined ? NaN : checkNumber(opts[k], k, where)));
    const reset = opts.reset === undefined ? 0 : checkBool(opts.reset, 'reset', where);
    lab._check(lab._c.rnlw_s2s_set_optimizer(this._handle, kind, ...vals, reset));
  }

  /** The optimizer's settings and step count, or null before one is set or made by training. */
  get optimizer() {
    const lab = this._lab;
    if (!lab._c.rnlw_s2s_optimizer_info(this._handle)) return null;
    const v = Array.from({ length: 9 }, (_, i) => lab._out(i));
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
    return stepLoop(this, { steps, batchSize, progressEvery, evalEvery, onProgress, signal, yieldMs,
      chunk: (n) => {
        const status = lab._c.rnlw_s2s_train(this._handle, batchSize, n);
        return { status, done: lab._out(OUT_DONE), stats: { step: lab._out(OUT_STEPS), loss: lab._out(OUT_LOSS),
          meanLoss: lab._out(OUT_MEAN_LOSS), gradNorm: lab._out(OUT_GRAD_NORM), clipped: lab._out(OUT_CLIPPED) === 1,
          tokenAccuracy: lab._out(OUT_ACCURACY), sequenceAccuracy: lab._out(8) } };
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
    const v = Array.from({ length: 5 }, (_, i) => lab._out(i));
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
    lab._check(lab._withCString(text, (p) => lab._c.rnlw_s2s_decode(h, p, maxLength)));
    const nSrc = lab._out(0), nOut = lab._out(1), pSrc = lab._out(2), pOut = lab._out(3), pAttn = lab._out(4);
    const i32 = lab._views()._i32;
    const src = i32.slice(pSrc >>> 2, (pSrc >>> 2) + nSrc), toks = i32.slice(pOut >>> 2, (pOut >>> 2) + nOut);
    const data = lab._copyF32(pAttn, nOut * nSrc);
    const tokenText = (side, id) => lab._str(lab._c.rnlw_s2s_token_text(h, side, id));
    const inputTokens = Array.from(src, (id) => tokenText(0, id));
    const outputTokens = Array.from(toks, (id) => tokenText(1, id));
    const output = lab._str(lab._withCopy(toks, (p) => lab._c.rnlw_s2s_text(h, 1, p, nOut)));
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
    const p = lab._out(0), n = lab._out(1);
    const bytes = lab._views()._u8.slice(p, p + n);
    lab._c.rnl_buffer_free(p);
    return bytes;
  }
}
