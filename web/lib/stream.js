// stream.js: byte sources for the data preparers. Archives arrive as bytes, a Blob (a File from <input>),
// a Response or its body (a ReadableStream), or any async iterable of Uint8Array (a Node file stream). All
// become one async iterable of Uint8Array chunks, so nothing but the current chunk is held; gzip is
// inflated by the platform (DecompressionStream, else node:zlib).
import { RnnLabError, ERR_FORMAT, argError } from './errors.js';
import { isNode } from './loader.js';


export function asU8(chunk, where) {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw argError(`${where}: the source gave a ${chunk?.constructor?.name ?? typeof chunk} chunk, not bytes`);
}

// A text given as a string (encoded as UTF-8) or as bytes.
export function textBytes(x, where) {
  if (typeof x === 'string') return new TextEncoder().encode(x);
  if (x instanceof ArrayBuffer || ArrayBuffer.isView(x)) return asU8(x, where);
  throw argError(`${where}: expected a string or bytes (a Uint8Array or an ArrayBuffer)`);
}

export const SLICE = 1 << 20;  // bytes handed on at a time when the source is one block in memory

export async function* chunksOf(source, where) {
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
export async function peek(chunks, n) {
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

export const isGzip = (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;  // RFC 1952 magic

// Inflates a gzip stream with the platform: DecompressionStream (browsers, Workers, Node >= 18), else
// node:zlib. `state.bytesIn` counts compressed bytes read; a failure is rethrown as a format error that
// says whether the data was cut short (the input ended first) or is corrupt.
export async function* gunzip(chunks, state, name) {
  // Worded as the native reader's messages (core/src/data/gzip.c). Node's inflater says Z_BUF_ERROR when
  // the data stops early; browsers give only a message ("Compressed input was truncated." in Chrome).
  const fail = (e) => {
    const cutShort = e?.code ? e.code === 'Z_BUF_ERROR' : /truncat|end of (file|input|stream)/i.test(e?.message ?? '');
    if (state.inputEnded && cutShort)
      return new RnnLabError(`bad format: ${name}: truncated gzip data: the file ends at byte ${state.bytesIn} before the end of ` +
        'the compressed stream', ERR_FORMAT, 'bad format');
    return new RnnLabError(`bad format: ${name}: corrupt gzip data near compressed byte ${state.bytesIn} (${e?.message ?? e})`,
      ERR_FORMAT, 'bad format');
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
