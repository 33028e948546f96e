// heap.js: the owner of the WebAssembly heap. Everything that touches module memory goes through here:
// malloc/free, typed-array views (re-made whenever memory.buffer changes, since any call that allocates
// may grow memory and detach the old buffer), strings and bytes copied in and out, one reusable staging
// block for batches, and the records that cross the boundary by field name (lib/records.js). No view of
// module memory escapes: every read is a copy.
//
// CoreObject is the base of Dataset, Model and Seq2SeqModel: a core object in module memory, owned by
// one JS object until free() or garbage collection.
import { RnnLabError, ERR_NOMEM } from './errors.js';
import { Records } from './records.js';

const SLOTS = 4;  // record slots: a call fills or reads at most this many records

export class Heap {
  /** `c`: the module's exports (guarded calls); `memory`: its WebAssembly.Memory. */
  constructor(c, memory) {
    this._c = c;
    this._memory = memory;
    this._buf = null;
    this._stagePtr = 0;
    this._stageCap = 0;
  }

  /** Views of the current buffer: { u8, i32, f32, f64 }. Re-made after memory growth. */
  views() {
    const buf = this._memory.buffer;
    if (buf !== this._buf) {
      this._buf = buf;
      this._views = { u8: new Uint8Array(buf), i32: new Int32Array(buf), f32: new Float32Array(buf), f64: new Float64Array(buf),
        dv: new DataView(buf) };
    }
    return this._views;
  }

  /** The NUL-terminated UTF-8 string at ptr, or null for 0. */
  str(ptr) {
    if (!ptr) return null;
    const u8 = this.views().u8;
    let end = ptr;
    while (u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.slice(ptr, end));  // a copy: TextDecoder refuses views of shared memory
  }

  // Copies of n values at ptr.
  bytes(ptr, n) {
    return this.views().u8.slice(ptr, ptr + n);
  }

  i32(ptr, n) {
    return this.views().i32.slice(ptr >>> 2, (ptr >>> 2) + n);
  }

  f32(ptr, n) {
    return this.views().f32.slice(ptr >>> 2, (ptr >>> 2) + n);
  }

  f64(ptr, n) {
    return this.views().f64.slice(ptr >>> 3, (ptr >>> 3) + n);
  }

  /** A copy of a buffer the core allocated for the caller (checkpoint, data file), which is then freed. */
  takeBuffer(ptr, n) {
    const bytes = this.bytes(ptr, n);
    this._c.rnl_buffer_free(ptr);
    return bytes;
  }

  malloc(bytes) {
    const p = this._c.malloc(Math.max(bytes, 1));
    if (!p) throw new RnnLabError(`out of memory: cannot allocate ${bytes} bytes of WebAssembly memory`, ERR_NOMEM, 'out of memory');
    return p;
  }

  // --- Records: read and written by field name (lib/records.js) ---

  /**
   * Reads the module's record tables (rnlw_records) and allocates the slots records pass through, each
   * as large as the largest record. `enums`: the name lists of enum fields.
   */
  initRecords(enums) {
    const json = this.str(this._c.rnlw_records());
    if (!json) throw new Error('rnnlab: the module could not describe its records (out of memory)');
    this.records = new Records(json, this, enums);
    const size = (this.records.maxSize + 7) & ~7, base = this.malloc(size * SLOTS);
    this._slots = Array.from({ length: SLOTS }, (_, i) => base + i * size);
  }

  /** The address of record slot i (0..3): where a call writes a record for the wrapper, or reads one. */
  slot(i = 0) {
    return this._slots[i];
  }

  read(name, ptr) {
    return this.records.read(name, ptr);
  }

  /** Writes obj's fields into the record at ptr; returns ptr. */
  write(name, ptr, obj) {
    return this.records.write(name, ptr, obj);
  }

  free(ptr) {
    if (ptr) this._c.free(ptr);
  }

  /** Copies `u8` (bytes) to ptr. */
  put(ptr, u8) {
    this.views().u8.set(u8, ptr);
  }

  // Copies typed arrays (or nulls) into one reusable staging block; returns their pointers (0 for null).
  // The block keeps its largest size, so a training loop allocates nothing after its first batch.
  stage(arrays) {
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
      this._stagePtr = this.malloc(total);
      this._stageCap = total;
    }
    const u8 = this.views().u8;
    return arrays.map((a, i) => {
      if (!a) return 0;
      const p = this._stagePtr + offsets[i];
      u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
      return p;
    });
  }

  // Runs fn(ptr) with `bytes` (a typed array) copied into a temporary block, freed afterwards.
  withCopy(bytes, fn) {
    const p = this.malloc(bytes.byteLength);
    try {
      this.views().u8.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), p);
      return fn(p);
    } finally {
      this._c.free(p);
    }
  }

  // A NUL-terminated copy of a string in module memory, for fn(ptr); 0 for null/undefined.
  withCString(str, fn) {
    if (str === null || str === undefined) return fn(0);
    const bytes = new TextEncoder().encode(str), p = this.malloc(bytes.length + 1);
    try {
      const u8 = this.views().u8;
      u8.set(bytes, p);
      u8[p + bytes.length] = 0;
      return fn(p);
    } finally {
      this._c.free(p);
    }
  }
}

// --- Core objects -------------------------------------------------------------------------------

// One registry per kind (per export that destroys it): frees the C side of objects the program dropped
// without free().
const finalizers = {};
function finalizerFor(destroy) {
  if (typeof FinalizationRegistry !== 'function') return null;
  finalizers[destroy] ??= new FinalizationRegistry(({ lab, handle }) => { if (!lab._trapped) lab._c[destroy](handle); });
  return finalizers[destroy];
}

/** A core object in the module's memory, owned by this JS object until free() (or garbage collection). */
export class CoreObject {
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

// Copies a batch the core made (rnlw_task_generate, rnlw_dataset_batch; a 'batch' record r) into `batch`.
export function copyBatch(heap, batch, r) {
  if (r.tokens) batch.tokens = heap.i32(r.tokens, r.nTokens);
  if (r.inputs) batch.inputs = heap.f32(r.inputs, r.nInputs);
  batch.lengths = heap.i32(r.lengths, batch.B);
  batch.targets = heap.f32(r.targets, r.nTargets);
  return batch;
}
