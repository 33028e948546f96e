// files.js: what the page does with files: recognise a dropped file by its first bytes (never by its name),
// download bytes as a file, and keep prepared data sets in IndexedDB so that an archive dropped once is not
// parsed again on the next visit. Nothing here sends anything anywhere: files stay in the page.

/**
 * What a file is, from its first bytes: 'gzip' (the IMDB archive), 'tar', 'rnld' (a prepared data set),
 * 'checkpoint' (a model), 'text' (a CSV, we hope), or 'unknown'. Returns { type, hint }.
 */
export function sniff(bytes) {
  const b = bytes.subarray(0, 512);
  const ascii = (from, n) => String.fromCharCode(...b.subarray(from, from + n));
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { type: 'gzip' };
  if (b.length >= 8 && ascii(0, 8) === 'RNLDATA\0') return { type: 'rnld' };
  if (b.length >= 8 && ascii(0, 8) === 'RNNLABCK') return { type: 'checkpoint' };
  if (b.length >= 263 && ascii(257, 5) === 'ustar') return { type: 'tar' };
  if (b.length === 0) return { type: 'unknown', hint: 'the file is empty' };
  // Text: no NUL bytes and valid UTF-8 in the first bytes.
  if (!b.includes(0)) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.length === 512 ? trimUtf8(b) : b);
      return { type: 'text' };
    } catch {}
  }
  const known = [[[0x89, 0x50, 0x4e, 0x47], 'a PNG image'], [[0xff, 0xd8, 0xff], 'a JPEG image'], [[0x25, 0x50, 0x44, 0x46], 'a PDF'],
    [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive'], [[0x42, 0x5a, 0x68], 'a bzip2 file'], [[0xfd, 0x37, 0x7a, 0x58], 'an xz file']];
  for (const [magic, what] of known) if (magic.every((x, i) => b[i] === x)) return { type: 'unknown', hint: `it looks like ${what}` };
  const hex = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return { type: 'unknown', hint: `it starts with the bytes ${hex}` };
}

// Drops a UTF-8 sequence cut at the end of a 512-byte sample, so a sample of valid text decodes.
function trimUtf8(b) {
  let end = b.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const c = b[end - k];
    if ((c & 0xc0) === 0x80) continue;       // a continuation byte: look further back
    if (c >= 0xc0) end -= k;                 // a lead byte whose sequence may be cut
    break;
  }
  return b.subarray(0, end);
}

/** Is this CSV text reviews (a text column and a label column) rather than a numeric series? */
export function looksLikeReviewCsv(text) {
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0].toLowerCase();
  const cols = header.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  return cols.some((c) => ['text', 'review', 'sentence'].includes(c)) && cols.some((c) => ['label', 'sentiment', 'polarity'].includes(c));
}

/** Saves bytes (or a Blob) as a download named `name`. */
export function download(data, name, type = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** CSV text from rows of values (numbers printed in full, strings quoted when needed). */
export function toCsv(header, rows) {
  const cell = (v) => {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

// --- IndexedDB: prepared data sets --------------------------------------------------------------------

const DB = 'rnnlab', STORE = 'datasets';

function openDb() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) return reject(new Error('this browser has no IndexedDB'));
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB cannot be opened'));
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** { bytes, info, savedAt } under `key`, or null. Never throws (a private window may refuse storage). */
export async function cacheGet(key) {
  try {
    return (await withStore('readonly', (s) => s.get(key))) ?? null;
  } catch {
    return null;
  }
}

export async function cachePut(key, value) {
  try {
    await withStore('readwrite', (s) => s.put(value, key));
    return true;
  } catch {
    return false;
  }
}

export async function cacheDelete(key) {
  try {
    await withStore('readwrite', (s) => s.delete(key));
  } catch {}
}
