// data.js: the data the Worker trains on. Which data set the set-up needs (a synthetic task, a prepared
// subset by URL, a series CSV, a dropped archive, CSV or .rnld file), fetching and handing it to the
// Worker (worker.js setData) once per key, keeping a subset parsed from the IMDB archive in this browser
// (files.js, IndexedDB) for the next visit, and the files a student drops or chooses. A checkpoint among
// them is handed back to the caller (main.js opens it as a model, runs.js loadModel).
import * as C from './config.js';
import { fmtNum } from './charts.js';
import { sniff, looksLikeReviewCsv, cacheGet, cachePut } from './files.js';
import { $, state, client, sentence, setStatus, setDataStatus, wantedDataKey } from './state.js';
import { applyConfig, labelFileTasks, switchTask, updateButtons } from './setup.js';
import { drawMain } from './curves.js';
import { updateCards } from './tryit.js';

let nextFileId = 1;

// --- Data ----------------------------------------------------------------------------------------------

function describeData(info) {
  if (!info) return '';
  if (info.kind === 'task') return '';
  const c = info.counts ?? {};
  if (info.kind === 'text')
    return `${c.train ?? '?'} training, ${c.val ?? '?'} validation and ${c.test ?? '?'} test reviews; vocabulary ${info.vocabSize}, up to ${info.maxLen} words each` +
      (info.valByMovie ? '; validation reviews are of other movies than the training ones.' : '.');
  return `column ${info.column ?? '?'}: ${c.train ?? '?'} training, ${c.val ?? '?'} validation and ${c.test ?? '?'} test windows of ${info.window} values` +
    (Number.isFinite(info.std) ? ` (training mean ${fmtNum(info.mean)}, standard deviation ${fmtNum(info.std)}).` : '.');
}

const subsetCacheKey = (cfg) => `imdb|${cfg.train}|${cfg.val}|${cfg.test}|${cfg.vocab}|${cfg.maxLen}|${cfg.keepEnd}` +
  (cfg.valByMovie ? '|movies' : '');  // without it, the key of the subsets kept before the field existed
const imdbOpts = (cfg) => ({ train: cfg.train, val: cfg.val, test: cfg.test, vocab: cfg.vocab, maxLen: cfg.maxLen, keepEnd: cfg.keepEnd,
  valByMovie: cfg.valByMovie, seed: 1 });
const seriesOpts = (cfg) => ({ window: cfg.window, horizon: cfg.horizon });

// The page's Content-Security-Policy (connect-src 'self', index.html) lets it fetch only from its own site:
// a Data URL on another one is refused here, saying so, before the browser blocks it with a bare "Failed
// to fetch" that would read as missing data.
function checkSameSite(url) {
  let u;
  try {
    u = new URL(url, location.href);
  } catch {
    return;  // fetch names a malformed URL itself
  }
  if (u.origin === location.origin) return;
  throw new Error(`The Data URL ${url} is on another site (${u.origin}), and this page may load data only from its own ` +
    `site (${location.origin}): its security policy allows nothing else. Put the file beside the page (for example in its ` +
    'data/ folder) and type its relative URL, or download it and drop it onto the page.');
}

async function fetchBytes(url) {
  let resp;
  try {
    resp = await fetch(new URL(url, location.href));
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) throw new Error(`cannot fetch ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
  return new Uint8Array(await resp.arrayBuffer());
}

let dataLoading = null;

const emptyUrl = (t) => `The Data URL is empty: type the URL of ${t === 'imdb' ? 'a prepared subset (.rnld)' : 'a CSV series'}, ` +
  `such as ${C.TASK_DEFAULTS[t].data}, or drop the file onto the page.`;

// A data file that could not be fetched (as against one that was fetched and is bad).
function notThere(message) {
  const e = new Error(message);
  e.notThere = true;
  return e;
}

/**
 * Makes the Worker hold the data the set-up needs. Throws a message for the page when it cannot (no file
 * yet, a bad URL, a bad file); the Worker keeps its previous data and models in that case.
 */
export async function ensureData() {
  const key = wantedDataKey();
  const cfg = state.cfg;
  if (key === null) {
    throw new Error(cfg.task === 'csv' ? 'Drop a CSV file first (or choose one with “Choose a file…”).'
      : 'Drop the IMDB archive aclImdb_v1.tar.gz, a prepared .rnld file or a CSV of reviews first.');
  }
  if (state.data.key === key) return state.data.info;
  if (dataLoading) await dataLoading.catch(() => {});
  if (state.data.key === key) return state.data.info;
  const job = loadData(key, cfg);
  dataLoading = job;
  try {
    return await job;
  } finally {
    dataLoading = null;
  }
}

async function loadData(key, cfg) {
  const t = cfg.task;
  let source, label;
  if (C.SYNTHETIC.includes(t)) {
    source = { kind: 'task', task: t };
  } else {
    if ((t === 'imdb' || t === 'temp') && !cfg.data.trim() && !(t === 'temp' && state.files.series?.forTask === 'temp'))
      throw new Error(emptyUrl(t));  // an empty URL would fetch the page itself
    if (t === 'imdb' || (t === 'imdbfull' && !state.files.text)) {
      setDataStatus(`Fetching ${cfg.data} …`);
      let bytes;
      checkSameSite(cfg.data);
      try {
        bytes = await fetchBytes(cfg.data);
      } catch (e) {
        throw notThere(`${e.message}. Prepare the subset with \`npm run data\`, or drop the archive aclImdb_v1.tar.gz (choose “IMDB, from the archive you drop”).`);
      }
      label = cfg.data;
      source = { kind: 'rnld', bytes: bytes.buffer, name: label.split('/').pop() };
    } else if (t === 'temp' && state.files.series?.forTask !== 'temp') {
      setDataStatus(`Fetching ${cfg.data} …`);
      let bytes;
      checkSameSite(cfg.data);
      try {
        bytes = await fetchBytes(cfg.data);
      } catch (e) {
        throw notThere(`${e.message}. Drop the CSV file (Date,Temp) onto the page instead.`);
      }
      label = cfg.data;
      source = { kind: 'seriesCsv', bytes: bytes.buffer, opts: seriesOpts(cfg), name: label.split('/').pop() };
    } else if (t === 'imdbfile' || t === 'imdbfull') {
      const f = state.files.text;
      label = f.name;
      if (f.kind === 'archive') {
        // The same archive with the same subset settings: the subset kept from last time, not a new parse.
        const cacheKey = subsetCacheKey(cfg);
        const cached = await cacheGet(cacheKey);
        if (cached && cached.name === f.name && cached.size === f.size && cached.lastModified === f.lastModified)
          source = { kind: 'rnld', bytes: cached.bytes.slice().buffer, cached: true, name: f.name };
        else source = { kind: 'imdb', file: f.file, opts: imdbOpts(cfg), cacheKey, name: f.name };
      } else if (f.kind === 'rnld') {
        source = { kind: 'rnld', bytes: f.bytes.slice().buffer, name: f.name };
      } else {
        source = { kind: 'textCsv', bytes: f.bytes.slice().buffer, opts: { vocab: cfg.vocab, maxLen: cfg.maxLen, keepEnd: cfg.keepEnd }, name: f.name };
      }
    } else {
      const f = state.files.series;
      label = f.name;
      source = f.kind === 'rnld' ? { kind: 'rnld', bytes: f.bytes.slice().buffer, name: f.name }
        : { kind: 'seriesCsv', bytes: f.bytes.slice().buffer, opts: seriesOpts(cfg), name: f.name };
    }
  }
  if (source.kind === 'imdb') {
    setDataStatus(`Reading ${label} in the background: this takes a minute or so …`);
    $('data-progress').hidden = false;
    $('data-progress').removeAttribute('value');
  } else if (source.kind !== 'task') {
    setDataStatus(`Opening ${label} …`);
  }
  let info;
  try {
    info = await client.call('setData', { source: { ...source, cached: undefined, cacheKey: undefined }, key },
      source.bytes ? [source.bytes] : []);
  } finally {
    $('data-progress').hidden = true;
  }
  if (source.kind === 'imdb' && info.bytes) {
    const f = state.files.text;
    const ok = await cachePut(source.cacheKey, { bytes: new Uint8Array(info.bytes), name: f.name, size: f.size, lastModified: f.lastModified,
      savedAt: Date.now() });
    delete info.bytes;
    label += ok ? ' (the subset is kept in this browser for next time)' : '';
  }
  state.data = { key, info };
  state.bow = null;
  if (info.kind === 'task') setDataStatus('');
  else setDataStatus(`${source.cached ? 'From this browser’s cache: ' : ''}${label}: ${describeData(info)}`, 'ok');
  if (info.kind === 'text') loadBowBaseline();
  updateCards();
  return info;
}

async function loadBowBaseline() {
  try {
    const bow = await client.call('bowBaseline', {});
    if (!bow) return;
    state.bow = bow;
    drawMain();
  } catch {}
}

// --- Is the data there? ----------------------------------------------------------------------------------

export const READY = 'Ready. Press Train, or try a “Break it” preset.';
let lastError = null;   // { key, error } of the last load that failed
let noDataShown = '';   // the status line's "No data" message, while it shows it

/**
 * Why the data the set-up needs is not in the Worker, as what is missing and what to do; null when it is
 * there, or while it loads.
 */
export function missingData(cfg = state.cfg) {
  const key = wantedDataKey(cfg);
  if (key !== null && state.data.key === key) return null;
  const t = cfg.task;
  if (t === 'imdbfull' && key === null)
    return 'No data yet: drop the IMDB archive aclImdb_v1.tar.gz onto the page (or choose it with “Choose a file…”), or give the Data URL of a prepared full file.';
  if (t === 'imdbfile' && key === null)
    return 'No data yet: drop the IMDB archive aclImdb_v1.tar.gz onto the page (or a prepared .rnld file, or a CSV of text,label reviews), or choose it with “Choose a file…”.';
  if (t === 'csv' && key === null) return 'No data yet: drop a CSV series (a header, then a numeric column) onto the page, or choose it with “Choose a file…”.';
  if (lastError?.key !== key) return null;
  if (lastError.error.notThere && t === 'imdbfull')
    return `No data: there is no prepared full file at ${cfg.data}; drop the archive aclImdb_v1.tar.gz instead, or prepare the file with npm run data (see docs/imdb.md).`;
  if (lastError.error.notThere && t === 'imdb')
    return `No data: the IMDB subset is not at ${cfg.data}; prepare it with npm run data (see data/README.md), or choose “IMDB, from the archive you drop” and drop aclImdb_v1.tar.gz.`;
  if (lastError.error.notThere && t === 'temp')
    return `No data: the temperature series is not at ${cfg.data}; put it there (see data/README.md) or drop the CSV (Date,Temp) onto the page.`;
  return `No data: ${sentence(lastError.error.message)}`;
}

// The status line says "Ready" only when the data is there; otherwise what is missing. It replaces only
// its own lines (Ready, No data), never a run's result or an error.
function showReadiness() {
  if (state.running) return;
  const now = $('status').textContent;
  if (now !== READY && (!noDataShown || now !== noDataShown)) return;
  const missing = missingData();
  if (missing) {
    setStatus(missing);
    noDataShown = missing;
  } else if (now === noDataShown && wantedDataKey() === state.data.key) {
    setStatus(READY);
    noDataShown = '';
  }
}

export async function loadDataForTask({ auto } = {}) {
  await loadDataForTaskOnly({ auto });
  labelFileTasks();
  showReadiness();
}

async function loadDataForTaskOnly({ auto } = {}) {
  const t = state.cfg.task;
  if (state.running) return;
  if ((t === 'imdbfile' || t === 'imdbfull') && !state.files.text) {
    // A subset parsed on an earlier visit, kept in this browser: used without dropping the archive again.
    const cached = await cacheGet(subsetCacheKey(state.cfg));
    if (cached && !state.files.text) {
      state.files.text = { kind: 'rnld', bytes: cached.bytes, name: `the subset of ${cached.name} kept in this browser`, id: nextFileId++,
        fromCache: true };
    }
  }
  const key = wantedDataKey();
  if (key === null) {
    setDataStatus(t === 'csv' ? 'Drop a CSV series (with a header) or choose a file.' : 'Drop the archive, an .rnld file or a CSV of reviews, or choose a file.');
    updateCards();
    return;
  }
  if (auto && (t === 'imdbfile' || t === 'imdbfull') && state.files.text?.kind === 'archive' && !state.files.text.file) return;
  try {
    await ensureData();
  } catch (e) {
    lastError = { key, error: e };
    setDataStatus(e.message, 'error');
  }
  updateButtons();
}

// --- Dropped and chosen files ---------------------------------------------------------------------------

// openModel(bytes, name): what to do with a checkpoint (.rnl) among the files.
export async function handleFile(file, openModel) {
  if (!file) return;
  if (state.running) {
    setStatus(`Stop training before opening “${file.name}”; the running model is untouched.`, 'error');
    return;
  }
  const head = new Uint8Array(await file.slice(0, 512).arrayBuffer());
  const kind = sniff(head);
  const id = nextFileId++;
  const prevTask = state.cfg.task;
  try {
    if (kind.type === 'checkpoint') {
      await openModel(new Uint8Array(await file.arrayBuffer()), file.name);
      return;
    }
    if (kind.type === 'gzip' || kind.type === 'tar') {
      await useDataFile('text', { kind: 'archive', file, name: file.name, size: file.size, lastModified: file.lastModified, id },
        textTask(prevTask), prevTask);
      return;
    }
    if (kind.type === 'rnld') {
      const bytes = new Uint8Array(await file.arrayBuffer());
      // Open it first to learn its kind; only then does it become the current data.
      const key = `file:${id}`;
      const info = await client.call('setData', { source: { kind: 'rnld', bytes: bytes.slice().buffer, name: file.name }, key });
      if (info.kind === 'text') {
        state.files.text = { kind: 'rnld', bytes, name: file.name, id };
        if (state.cfg.task !== 'imdbfile' && state.cfg.task !== 'imdbfull') switchTask('imdbfile', state.cfg.task);
      } else {
        state.files.series = { kind: 'rnld', bytes, name: file.name, id };
        if (state.cfg.task !== 'csv') switchTask('csv', state.cfg.task);
      }
      state.data = { key: wantedDataKey(), info };
      state.bow = null;
      setDataStatus(`${file.name}: ${describeData(info)}`, 'ok');
      if (info.kind === 'text') loadBowBaseline();
      updateCards();
      return;
    }
    if (kind.type === 'text') {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const text = new TextDecoder().decode(bytes.subarray(0, 65536));  // the header, however wide
      if (looksLikeReviewCsv(text)) {
        await useDataFile('text', { kind: 'textCsv', bytes, name: file.name, id }, textTask(prevTask), prevTask);
      } else {
        const task = prevTask === 'temp' ? 'temp' : 'csv';
        await useDataFile('series', { kind: 'csv', bytes, name: file.name, id, forTask: task }, task, prevTask);
      }
      return;
    }
    throw new Error(`“${file.name}” is not a file the lab can open: ${kind.hint}. It opens the IMDB archive (aclImdb_v1.tar.gz), ` +
      'prepared data sets (.rnld), CSV files (a numeric series, or text,label reviews) and saved models (.rnl).');
  } catch (e) {
    const kept = state.model ? ' Your model and data are unchanged.' : '';
    setDataStatus(`${sentence(e.message)}${kept}`, 'error');
    setStatus(`Could not open “${file.name}”.${kept}`, 'error');
  } finally {
    labelFileTasks();
    updateButtons();
    showReadiness();  // a dropped file may be the data the status line asked for
  }
}

// Makes `entry` the dropped file of `slot` ('text' or 'series'), switches to `task` and loads it. When it
// cannot be loaded (a bad archive, a bad CSV), everything comes back as it was: the slot's earlier file,
// the task, the form and the URL; the Worker has kept its data and models.
// The reviews task a dropped text file goes to: the whole set if that is chosen, else the archive's subset.
const textTask = (prev) => (prev === 'imdbfull' ? 'imdbfull' : 'imdbfile');

async function useDataFile(slot, entry, task, prevTask) {
  const saved = state.files[slot], before = state.cfg;
  state.files[slot] = entry;
  if (prevTask !== task) switchTask(task, prevTask);
  try {
    await ensureData();
  } catch (e) {
    state.files[slot] = saved;
    applyConfig(before);
    throw e;
  }
}

// The file inputs and dropping a file anywhere on the page; openModel as for handleFile.
export function wireFiles(openModel) {
  $('file').addEventListener('change', (e) => {
    handleFile(e.target.files[0], openModel);
    e.target.value = '';
  });
  $('load-model').addEventListener('change', (e) => {
    handleFile(e.target.files[0], openModel);
    e.target.value = '';
  });
  // Dropping a file anywhere on the page.
  let depth = 0;
  const overlay = $('drop-overlay');
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    handleFile(e.dataTransfer.files[0], openModel);
  });
}
