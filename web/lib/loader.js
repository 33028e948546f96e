// loader.js: compiles and instantiates web/rnnlab.wasm without any Emscripten JavaScript, the same way
// in a page, a Worker and Node: the source (a URL, a path, bytes, a Response or a compiled module), the
// memory's declared maximum read from the binary's memory section, the imports the module asks for, and
// the check of its exports against the one list (lib/exports.js).
//
// Without a source it chooses between the two builds beside rnnlab.js: rnnlab-relaxed.wasm (its gemms use
// relaxed SIMD's fused multiply-add) where WebAssembly.validate accepts that instruction (current
// Chromium), else rnnlab.wasm (wasm_simd128 only: every engine; Node 20 without
// --experimental-wasm-relaxed-simd). A missing relaxed build falls back to the plain one.
//
// Each build has a shared-memory twin (rnnlab-shared.wasm, rnnlab-relaxed-shared.wasm): it imports its
// memory, which the loader makes shared, and its threads are Worker instances of the same module over that
// memory (lib/shared.js). It is taken with shared: true, or by shared: 'auto' where threads can wait on a
// shared memory: a cross-origin-isolated browser Worker (not a page's main thread, which may not block).
import { EXPORTS } from './exports.js';

export const isNode = typeof globalThis.process?.versions?.node === 'string';

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

// The smallest module that uses f32x4.relaxed_madd (0xfd 0x85 0x02, the standard opcode): one function
// () -> v128 that fuses three zero vectors. An engine that validates it runs rnnlab-relaxed.wasm.
const V128_ZERO = [0xfd, 0x0c, ...new Array(16).fill(0)];  // v128.const 0
const RELAXED_PROBE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  1, 5, 1, 0x60, 0, 1, 0x7b,  // type section: () -> v128
  3, 2, 1, 0,                 // function section: one function of type 0
  10, 61, 1, 59, 0, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02, 0x0b]);  // code: no locals, body

/** True where this engine runs relaxed SIMD (standard opcodes), so RnnLab.load() takes rnnlab-relaxed.wasm. */
export const relaxedSimd = WebAssembly.validate(RELAXED_PROBE);

// Optional: a build without clang >= 16 (and a site built from it) has none, and 'auto' falls back.
const RELAXED_FILE = '../rnnlab-relaxed.wasm';

// The default module: simd 'auto' takes the relaxed build where the engine runs it and the build exists,
// 'plain' always web/rnnlab.wasm (what tests that compare bytes with the native build use), 'relaxed' the
// relaxed build or an error; `shared` (a boolean here) their shared-memory twins.
async function compileDefault(simd, shared) {
  const name = (file) => new URL(shared ? file.replace(/\.wasm$/, '-shared.wasm') : file, import.meta.url);
  const plain = name('../rnnlab.wasm');  // web/rnnlab.wasm, beside rnnlab.js
  const relaxed = name(RELAXED_FILE);
  const load = (url) => (isNode ? compileInNode(url) : fetch(url).then(compileResponse));
  if (simd === 'plain' || (simd === 'auto' && !relaxedSimd)) return load(plain);
  if (!relaxedSimd) throw new Error("RnnLab.load: simd 'relaxed' asked for, but this engine does not run relaxed SIMD");
  if (simd === 'relaxed') return load(relaxed);
  try {
    return await load(relaxed);
  } catch {
    return load(plain);  // not built (no clang >= 16) or not deployed: the plain module computes the same
  }
}

async function compile(source, simd, shared) {
  if (source instanceof WebAssembly.Module) return { module: source, bytes: null };
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return compileBytes(source);
  if (typeof Response === 'function' && source instanceof Response) return compileResponse(source);
  if (source == null) return compileDefault(simd, shared);
  if (typeof source !== 'string' && !(source instanceof URL))
    throw new TypeError('RnnLab.load: expected a URL, a path (Node), bytes, a Response or a WebAssembly.Module');
  if (isNode) return compileInNode(source);
  return compileResponse(await fetch(source));
}

const WASM_PAGE = 65536;
export const WASM32_LIMIT = 65536 * WASM_PAGE;  // 4 GB: all a 32-bit memory can address

// The limits the module declares for its memory, in pages: { min, max (null: none), shared }, from its
// memory section, or from its import section for the shared build (which imports its memory); null when
// the bytes are unknown or it declares none.
function memoryLimits(bytes) {
  if (!bytes) return null;
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
  const limits = () => {
    const flags = u8[pos++], min = leb();
    return { min, max: flags & 1 ? leb() : null, shared: (flags & 2) !== 0 };
  };
  // A name. Not `pos += leb()`: that reads pos before leb() moves it past the length, one byte short.
  const skip = () => {
    const n = leb();
    pos += n;
  };
  while (pos < u8.length) {
    const id = u8[pos++], size = leb(), end = pos + size;
    if (id === 5 && leb() >= 1) return limits();  // the memory section, with at least one memory: memory 0
    if (id === 2) {  // the import section: module, name, kind, and what the kind is
      for (let n = leb(); n > 0; n--) {
        skip();
        skip();
        const kind = u8[pos++];
        if (kind === 2) return limits();
        if (kind === 0) leb();                        // a function: its type
        else if (kind === 1) { pos++; limits(); }     // a table: its element type and limits
        else if (kind === 3) pos += 2;                // a global: its type and mutability
        else break;
      }
    }
    pos = end;
  }
  return null;
}

// The maximum the module declares for its memory (-sALLOW_MEMORY_GROWTH with MAXIMUM_MEMORY 2 GB), in
// bytes; 4 GB when it declares none or the bytes are unknown. A browser may still refuse to grow that far:
// this is the most the memory can ever reach.
function memoryMaximum(limits) {
  return limits?.max != null ? Math.min(limits.max * WASM_PAGE, WASM32_LIMIT) : WASM32_LIMIT;
}

// Where threads may wait on a shared memory: Node (its main thread too), and a browser Worker of a
// cross-origin-isolated page (a page's main thread may not block, and without isolation shared memory
// cannot reach a Worker).
export const canShareMemory = isNode ||
  (globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' && typeof globalThis.document === 'undefined');

// The shared build's memory when the bytes are unknown (a WebAssembly.Module was given): web/wasm.cmake's
// INITIAL_MEMORY (16 MB) and MAXIMUM_MEMORY (2 GB).
const SHARED_DEFAULT = { min: 256, max: 32768, shared: true };

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
          text.push(new TextDecoder().decode(new Uint8Array(state.memory.buffer).slice(ptr, ptr + len)));  // a copy: shared memory
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
        new Uint8Array(state.memory.buffer).set(globalThis.crypto.getRandomValues(new Uint8Array(len)), ptr);
        return 0;
      },
    },
  };
  const imports = {};
  for (const { module: mod, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind === 'memory') {  // the shared build's memory (env.memory)
      (imports[mod] ??= {})[name] = state.memory;
      continue;
    }
    const fn = kind === 'function' ? shims[mod]?.[name] : undefined;
    imports[mod] ??= {};
    imports[mod][name] = fn ?? (() => {
      throw new Error(`rnnlab: the WebAssembly module called ${mod}.${name}, which rnnlab.js does not provide`);
    });
  }
  return imports;
}

// Every name of lib/exports.js must be a function of the module, and `memory` its memory; a module that
// lacks one (an old build, or a list changed without a rebuild) is refused, naming what is missing.
export function checkExports(ex) {
  const missing = EXPORTS.filter((n) => typeof ex[n] !== 'function');
  if (!(ex.memory instanceof WebAssembly.Memory)) missing.unshift('memory');
  if (missing.length) throw new Error(`RnnLab.load: the module lacks ${missing.join(', ')}: rebuild web/rnnlab.wasm (npm run build)`);
}

const importsMemory = (module) => WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');

/**
 * Compiles and instantiates `source` (see RnnLab.load; simd chooses the default module: 'auto', 'plain'
 * or 'relaxed'; shared: 'auto', true or false its shared-memory twin); resolves to { exports, memoryLimit,
 * module, shared } after running the reactor's constructors (exports.memory is the memory, made here for
 * a shared module). Throws when the module lacks an export of lib/exports.js, and for shared: true where
 * memory cannot be shared or with a source that is not a shared build.
 */
export async function instantiate(source, simd = 'auto', shared = 'auto') {
  if (!['auto', 'plain', 'relaxed'].includes(simd))
    throw new TypeError(`RnnLab.load: simd must be 'auto', 'plain' or 'relaxed', not ${JSON.stringify(simd)}`);
  if (!['auto', true, false].includes(shared))
    throw new TypeError(`RnnLab.load: shared must be 'auto', true or false, not ${JSON.stringify(shared)}`);
  if (shared === true && !canShareMemory)
    throw new Error('RnnLab.load: shared: true needs shared memory that a Worker can wait on: a Worker of a cross-origin-isolated ' +
      'page (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), or Node; ' +
      `here crossOriginIsolated is ${globalThis.crossOriginIsolated}${typeof globalThis.document === 'undefined' ? '' : ' and this is a page\'s main thread'}`);
  let compiled;
  if (source == null && shared === 'auto' && canShareMemory && !isNode) {
    // A missing or unreadable shared build (a site built without it) falls back to the plain one.
    compiled = await compile(null, simd, true).catch(() => compile(null, simd, false));
  } else compiled = await compile(source, simd, shared === true);
  const { module, bytes } = compiled;
  const isShared = importsMemory(module);
  if (shared === true && !isShared)
    throw new Error('RnnLab.load: shared: true, but this module has its own memory: give a shared build (web/rnnlab-shared.wasm) or no source');
  const limits = memoryLimits(bytes) ?? (isShared ? SHARED_DEFAULT : null);
  const state = { memory: isShared ? new WebAssembly.Memory({ initial: limits.min, maximum: limits.max, shared: true }) : null };
  const instance = await WebAssembly.instantiate(module, makeImports(module, state));
  const ex = isShared ? { ...instance.exports, memory: state.memory } : instance.exports;
  checkExports(ex);
  state.memory = ex.memory;
  if (ex._initialize) ex._initialize();  // the reactor's constructors (never in a shared module's Worker instances)
  return { exports: ex, memoryLimit: memoryMaximum(limits), module, shared: isShared };
}

/**
 * Worker k's instance of a shared module (lib/shared.js): the same compiled module over the owner's memory,
 * without _initialize (the memory is initialised once, by the owner). Its imports are the loader's own.
 */
export async function instantiateThread(module, memory) {
  const state = { memory };
  const instance = await WebAssembly.instantiate(module, makeImports(module, state));
  return instance.exports;
}
