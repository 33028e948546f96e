// files.js: what the page does with files: recognise a dropped file by its first bytes (never by its name),
// download bytes as a file, and keep prepared data sets in IndexedDB so that an archive dropped once is not
// parsed again on the next visit. Nothing here sends anything anywhere: files stay in the page.

/**
 * What a file is, from its first bytes: 'gzip' (the IMDB archive), 'tar', 'rnld' (a prepared data set),
 * 'checkpoint' (a model of either kind), 'text' (a CSV, we hope), or 'unknown'. Returns { type, hint }.
 */
export function sniff(bytes) {
  const b = bytes.subarray(0, 512);
  const ascii = (from, n) => String.fromCharCode(...b.subarray(from, from + n));
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { type: 'gzip' };
  if (b.length >= 8 && ascii(0, 8) === 'RNLDATA\0') return { type: 'rnld' };
  if (b.length >= 8 && ['RNNLABCK', 'RNNLABTF'].includes(ascii(0, 8))) return { type: 'checkpoint' };  // a recurrent model, a Transformer
  if (b.length >= 263 && ascii(257, 5) === 'ustar') return { type: 'tar' };
  if (b.length === 0) return { type: 'unknown', hint: 'the file is empty' };
  const known = [[[0x89, 0x50, 0x4e, 0x47], 'a PNG image'], [[0xff, 0xd8, 0xff], 'a JPEG image'], [[0x25, 0x50, 0x44, 0x46], 'a PDF'],
    [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive'], [[0x42, 0x5a, 0x68], 'a bzip2 file'], [[0xfd, 0x37, 0x7a, 0x58], 'an xz file']];
  for (const [magic, what] of known) if (magic.every((x, i) => b[i] === x)) return { type: 'unknown', hint: `it looks like ${what}` };
  // Text: the first line (a CSV's header) has no NUL byte and is valid UTF-8; so is the whole sample when no
  // line ends in it. The rest is the readers' to judge, as the API reads the file: the reviews reader takes
  // any bytes but NUL in a review and names the line of a NUL ("binary data"), the series reader names a
  // line that is not numbers.
  const nl = b.indexOf(0x0a);
  const head = nl >= 0 ? b.subarray(0, nl) : b.length === 512 ? trimUtf8(b) : b;
  if (!head.includes(0)) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head);
      return { type: 'text' };
    } catch {}
  }
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

/**
 * Is this CSV text reviews rather than a numeric series? Exactly when the core's reviews reader
 * (core/src/data/textcsv.c, read_header) finds its columns: a header naming a text column (`text` or
 * `review`) and a label column (`label` or `sentiment`). `text` is the start of the file (the header must
 * be in it); the rows are left to the core, whose messages name a bad one.
 */
export function looksLikeReviewCsv(text) {
  const header = csvHeader(text.replace(/^\uFEFF/, ''));
  if (!header) return false;
  const names = header.map(columnName);
  return names.some((c) => c === 'text' || c === 'review') && names.some((c) => c === 'label' || c === 'sentiment');
}

// A header field as the core compares it (same_word): without blanks (space, tab) around it, ASCII letters
// in lower case; any other character is kept, so it cannot match a column name.
const columnName = (f) => f.replace(/^[ \t]+|[ \t]+$/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase());

// The first record of a CSV, read as textcsv.c's next_record reads it (RFC 4180): lines of nothing but
// blanks before it are skipped; a field may be quoted (blanks around the quotes dropped, commas, line
// breaks and doubled quotes inside), and is compared as written between its quotes; an unquoted field
// ends at a comma or a line end (LF or CRLF). Returns the fields, or null where the core refuses the
// header (a quote never closed, text after a closing quote).
function csvHeader(t) {
  const n = t.length, blank = (c) => c === ' ' || c === '\t';
  let i = 0;
  for (;;) {
    let j = i;
    while (j < n && (blank(t[j]) || t[j] === '\r')) j++;
    if (j >= n) return null;  // no header at all
    if (t[j] !== '\n') break;
    i = j + 1;
  }
  const fields = [];
  for (;;) {
    let s = i;
    while (s < n && blank(t[s])) s++;
    if (s < n && t[s] === '"') {
      let e = s + 1;
      for (;;) {
        if (e >= n) return null;
        if (t[e] === '"') {
          if (t[e + 1] === '"') {
            e += 2;
            continue;
          }
          break;
        }
        e++;
      }
      fields.push(t.slice(s + 1, e));
      i = e + 1;
      while (i < n && blank(t[i])) i++;
      if (i < n && t[i] !== ',' && t[i] !== '\n' && !(t[i] === '\r' && (i + 1 === n || t[i + 1] === '\n'))) return null;
    } else {
      let e = i;
      while (e < n && t[e] !== ',' && t[e] !== '\n') e++;
      const f = t.slice(i, e);
      fields.push(f.endsWith('\r') && (e === n || t[e] === '\n') ? f.slice(0, -1) : f);
      i = e;
    }
    if (t[i] !== ',') return fields;
    i++;
  }
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

// --- IndexedDB: prepared data sets, and the checkpoints of long runs (longrun.js) ---------------------------

const DB = 'rnnlab', STORE = 'datasets', CHECKPOINTS = 'checkpoints';

function openDb() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) return reject(new Error('this browser has no IndexedDB'));
    const req = indexedDB.open(DB, 2);  // 2: the checkpoints store
    req.onupgradeneeded = () => {
      for (const name of [STORE, CHECKPOINTS]) if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB cannot be opened'));
  });
}

async function withStore(mode, fn, store = STORE) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const req = fn(tx.objectStore(store));
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

// A checkpoint record is written in one transaction: it is there whole or not at all, and the record it
// replaces stays until the new one is complete. These throw (the caller says why nothing was kept).
export const checkpointPut = (key, value) => withStore('readwrite', (s) => s.put(value, key), CHECKPOINTS);
export const checkpointKeys = () => withStore('readonly', (s) => s.getAllKeys(), CHECKPOINTS);
export const checkpointGet = (key) => withStore('readonly', (s) => s.get(key), CHECKPOINTS);
export const checkpointDelete = (key) => withStore('readwrite', (s) => s.delete(key), CHECKPOINTS);
