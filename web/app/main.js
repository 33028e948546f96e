// main.js: the lab page. It reads the set-up (form and URL), asks the Worker (worker.js) to load data,
// make models, train and look inside them, and draws what comes back: charts, the gate heatmap, word
// contributions, the comparison table. It computes nothing itself; the Worker runs the C core. The
// sequence-to-sequence view is seq2seq.js; this file switches between the two views (tabs) and keeps the
// URL on the one shown.
//
// State: `state.cfg` is the last valid set-up (the URL mirrors it); `state.model` is the model the next
// Train continues (null: the next Train makes a new one); every model trained in this page has a run
// record in `state.runs`, which keeps its curves for the comparison and its checkpoint bytes, so that no
// stop, failure, bad file or bad setting loses a trained model.
import { WorkerClient } from './client.js';
import * as C from './config.js';
import { lineChart, series, hline, markers, applyTheme, stackPng, fmtNum, redraw, swatch, windowMean } from './charts.js';
import { Heatmap } from './heatmap.js';
import { Seq2SeqView } from './seq2seq.js';
import { sniff, download, toCsv, looksLikeReviewCsv, cacheGet, cachePut } from './files.js';
import { diagnose, baselineLoss } from './diagnose.js';
import { SERIES, OKABE_ITO, diverging, css, textOn } from './palette.js';

const $ = (id) => document.getElementById(id);
const form = $('config');

const state = {
  page: 'lab',                        // the view shown: 'lab' or 's2s' (seq2seq.js)
  cfg: C.defaults(),
  view: { embed: false, hide: [] },
  engine: null,
  data: { key: null, info: null },   // what the Worker holds now
  files: { text: null, series: null },  // files the student dropped, by use
  model: null,
  runs: [],
  running: false,
  paused: false,
  sequence: null,                     // a preset's or a comparison's queue of runs
  bow: null,
};
let nextRunId = 1;
let nextFileId = 1;

// --- Messages ----------------------------------------------------------------------------------------

// A message as a sentence: no "Error: " prefix, a full stop at the end.
const sentence = (m) => {
  const t = String(m).replace(/^Error: /, '').trim();
  return /[.!?)]$/.test(t) ? t : `${t}.`;
};

function setStatus(text, level = '') {
  const el = $('status');
  el.textContent = text;
  el.className = `status-line ${level}`;
}

function setDataStatus(text, level = '') {
  const el = $('data-status');
  el.textContent = text;
  el.className = `status-line ${level}`;
}

function setDiagnosis(d) {
  const el = $('diagnosis');
  if (!d) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.hidden = false;
  el.className = `diagnosis ${d.level}`;
  el.textContent = ` ${d.text}`;
}

// --- Theme -------------------------------------------------------------------------------------------

function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set) return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// remember: the student chose it (kept in localStorage); otherwise the page follows the system's theme.
function setTheme(theme, remember) {
  if (remember) document.documentElement.dataset.theme = theme;
  if (remember) {
    try {
      localStorage.setItem('rnnlab-theme', theme);
    } catch {}
  }
  const b = $('theme');
  b.setAttribute('aria-pressed', String(theme === 'dark'));
  b.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
  b.setAttribute('aria-label', theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme');
  if (charts.loss) {
    applyTheme(Object.values(charts));
    heatmap.draw();
    heatmap.set && heatmap.data && heatmap.set(heatmap.data);
    renderWords(lastWords);
    s2s.themeChanged();
  }
}

// --- Form <-> config <-> URL -----------------------------------------------------------------------------

const TASK_HINTS = {
  adding: 'Each step holds a random number and a marker; two steps are marked. The target is the sum of the two marked numbers. Always guessing 1 gets an MSE of 0.167.',
  copy: 'The first of the sequence’s symbols is one of 8; the network must name it at the end. Chance is 12.5%.',
  sine: 'A noisy sine wave of random frequency and phase: predict the next value at every step.',
  imdb: 'Movie reviews, positive or negative: a subset prepared by `npm run data` (an .rnld file), loaded by URL.',
  imdbfile: 'Drop the official archive aclImdb_v1.tar.gz (about 84 MB): it is read in a background thread of this page, and the subset is kept in this browser for your next visit. A prepared .rnld file or a CSV of text,label reviews works too.',
  temp: 'Daily minimum temperatures in Melbourne, 1981–1990 (a CSV, by URL or dropped): from a window of past days, predict the next.',
  csv: 'Drop a CSV with a header and a numeric column: from a window of past values, predict the next.',
};

function updateVisibility() {
  const cfg = state.cfg, task = cfg.task;
  for (const el of document.querySelectorAll('[data-tasks]')) el.hidden = !el.dataset.tasks.split(' ').includes(task);
  const usesEmbed = task === 'copy' || C.TEXT_TASKS.includes(task);
  for (const el of document.querySelectorAll('[data-needs="embed"]')) el.hidden = !usesEmbed;
  for (const el of document.querySelectorAll('[data-needs="lstm"]')) el.hidden = cfg.cell !== 'lstm';
  form.elements.namedItem('clipAt').disabled = !cfg.clip || state.running;
  $('len-out').textContent = String(cfg.len);
  let hint = TASK_HINTS[task];
  if (!C.SYNTHETIC.includes(task) && state.engine && !state.engine.dataApi)
    hint += ' (This build of rnnlab.js has no data API yet: only the synthetic tasks can be trained.)';
  $('task-hint').textContent = hint;
  $('drop-text').textContent = task === 'imdb' || task === 'temp' ? 'Or drop the file here (anywhere on the page), or' : 'Drop a file here, anywhere on the page, or';
  updateButtons();
}

function updateUrl() {
  const extra = {};
  if (state.view.embed) extra.embed = '1';
  if (state.view.hide.length) extra.hide = state.view.hide.join(',');
  const q = state.page === 's2s' ? C.toQuery(s2s.cfg, extra, C.S2S) : C.toQuery(state.cfg, extra);
  history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
}

function applyConfig(cfg) {
  state.cfg = { ...cfg };
  C.writeForm(form, state.cfg);
  updateVisibility();
  updateUrl();
}

// Switching task: the fields each task sets by default follow the new task (the rest stay).
function switchTask(task, prev) {
  const next = { ...state.cfg, task };
  const d = C.defaults(task);
  for (const k of new Set([...Object.keys(C.TASK_DEFAULTS[prev] ?? {}), ...Object.keys(C.TASK_DEFAULTS[task] ?? {})])) next[k] = d[k];
  applyConfig(next);
}

function onFormChange(e) {
  const prevTask = state.cfg.task;
  const { cfg, errors } = C.readForm(form, state.cfg);
  if (errors.length) {
    setStatus(errors.map((x) => x.message).join('; '), 'error');
  } else if ($('status').classList.contains('error') && !state.running) {
    setStatus('');
  }
  state.cfg = cfg;
  if (cfg.task !== prevTask) {
    switchTask(cfg.task, prevTask);
    if (!state.model) drawMain();
    updateCards();
    loadDataForTask({ auto: true });
  } else {
    updateVisibility();
    updateUrl();
  }
  if (e?.target?.name && ['window', 'horizon', 'train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd'].includes(e.target.name) && e.type === 'change') {
    if (state.files.text?.fromCache) state.files.text = null;  // another subset: look for it, or ask for the archive
    loadDataForTask({ auto: true });
  }
}

// --- Data ----------------------------------------------------------------------------------------------

// The key of the data the current set-up needs, or null if it needs a file not dropped yet.
function wantedDataKey(cfg = state.cfg) {
  const t = cfg.task;
  if (C.SYNTHETIC.includes(t)) return `task:${t}`;
  if (t === 'imdb') return `url:${cfg.data}`;
  if (t === 'temp') return state.files.series?.forTask === 'temp' ? `file:${state.files.series.id}|w${cfg.window}|h${cfg.horizon}`
    : `url:${cfg.data}|w${cfg.window}|h${cfg.horizon}`;
  if (t === 'imdbfile') {
    const f = state.files.text;
    if (!f) return null;
    if (f.kind === 'archive') return `file:${f.id}|${cfg.train}|${cfg.val}|${cfg.test}|${cfg.vocab}|${cfg.maxLen}|${cfg.keepEnd}`;
    return `file:${f.id}`;
  }
  if (t === 'csv') {
    const f = state.files.series;
    if (!f) return null;
    return f.kind === 'rnld' ? `file:${f.id}` : `file:${f.id}|w${cfg.window}|h${cfg.horizon}`;
  }
  return null;
}

function describeData(info) {
  if (!info) return '';
  if (info.kind === 'task') return '';
  const c = info.counts ?? {};
  if (info.kind === 'text')
    return `${c.train ?? '?'} training, ${c.val ?? '?'} validation and ${c.test ?? '?'} test reviews; vocabulary ${info.vocabSize}, up to ${info.maxLen} words each.`;
  return `column ${info.column ?? '?'}: ${c.train ?? '?'} training, ${c.val ?? '?'} validation and ${c.test ?? '?'} test windows of ${info.window} values` +
    (Number.isFinite(info.std) ? ` (training mean ${fmtNum(info.mean)}, standard deviation ${fmtNum(info.std)}).` : '.');
}

const subsetCacheKey = (cfg) => `imdb|${cfg.train}|${cfg.val}|${cfg.test}|${cfg.vocab}|${cfg.maxLen}|${cfg.keepEnd}`;
const imdbOpts = (cfg) => ({ train: cfg.train, val: cfg.val, test: cfg.test, vocab: cfg.vocab, maxLen: cfg.maxLen, keepEnd: cfg.keepEnd,
  seed: 1 });
const seriesOpts = (cfg) => ({ window: cfg.window, horizon: cfg.horizon });

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

/**
 * Makes the Worker hold the data the set-up needs. Throws a message for the page when it cannot (no file
 * yet, a bad URL, a bad file); the Worker keeps its previous data and models in that case.
 */
async function ensureData() {
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
    if (!state.engine?.dataApi)
      throw new Error('This build of rnnlab.js has no data API yet (openDataset, prepareImdb …): only the synthetic tasks can be trained.');
    if (t === 'imdb') {
      setDataStatus(`Fetching ${cfg.data} …`);
      let bytes;
      try {
        bytes = await fetchBytes(cfg.data);
      } catch (e) {
        throw new Error(`${e.message}. Prepare the subset with \`npm run data\`, or drop the archive aclImdb_v1.tar.gz (choose “IMDB, from the archive you drop”).`);
      }
      label = cfg.data;
      source = { kind: 'rnld', bytes: bytes.buffer, name: label.split('/').pop() };
    } else if (t === 'temp' && state.files.series?.forTask !== 'temp') {
      setDataStatus(`Fetching ${cfg.data} …`);
      let bytes;
      try {
        bytes = await fetchBytes(cfg.data);
      } catch (e) {
        throw new Error(`${e.message}. Drop the CSV file (Date,Temp) onto the page instead.`);
      }
      label = cfg.data;
      source = { kind: 'seriesCsv', bytes: bytes.buffer, opts: seriesOpts(cfg), name: label.split('/').pop() };
    } else if (t === 'imdbfile') {
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

async function loadDataForTask({ auto } = {}) {
  const t = state.cfg.task;
  if (state.running) return;
  if (t === 'imdbfile' && !state.files.text) {
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
  if (!C.SYNTHETIC.includes(t) && !state.engine?.dataApi) {
    setDataStatus('This build of rnnlab.js has no data API yet: only the synthetic tasks can be trained.', 'error');
    return;
  }
  if (auto && t === 'imdbfile' && state.files.text?.kind === 'archive' && !state.files.text.file) return;
  try {
    await ensureData();
  } catch (e) {
    setDataStatus(e.message, 'error');
  }
  updateButtons();
}

// --- Dropped and chosen files ---------------------------------------------------------------------------

async function handleFile(file) {
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
      await loadModel(new Uint8Array(await file.arrayBuffer()), file.name);
      return;
    }
    if (!state.engine?.dataApi) {
      throw new Error(`“${file.name}” is a data file, but this build of rnnlab.js has no data API yet: only the synthetic tasks can be trained.`);
    }
    if (kind.type === 'gzip' || kind.type === 'tar') {
      state.files.text = { kind: 'archive', file, name: file.name, size: file.size, lastModified: file.lastModified, id };
      if (prevTask !== 'imdbfile') switchTask('imdbfile', prevTask);
      await ensureData();
      return;
    }
    if (kind.type === 'rnld') {
      const bytes = new Uint8Array(await file.arrayBuffer());
      // Open it first to learn its kind; only then does it become the current data.
      const key = `file:${id}`;
      const info = await client.call('setData', { source: { kind: 'rnld', bytes: bytes.slice().buffer, name: file.name }, key });
      if (info.kind === 'text') {
        state.files.text = { kind: 'rnld', bytes, name: file.name, id };
        if (state.cfg.task !== 'imdbfile') switchTask('imdbfile', state.cfg.task);
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
      const text = new TextDecoder().decode(bytes.subarray(0, 4096));
      if (looksLikeReviewCsv(text)) {
        const saved = state.files.text;
        state.files.text = { kind: 'textCsv', bytes, name: file.name, id };
        const before = state.cfg;
        if (prevTask !== 'imdbfile') switchTask('imdbfile', prevTask);
        try {
          await ensureData();
        } catch (e) {
          state.files.text = saved;
          applyConfig(before);
          throw e;
        }
      } else {
        const saved = state.files.series;
        state.files.series = { kind: 'csv', bytes, name: file.name, id, forTask: prevTask === 'temp' ? 'temp' : 'csv' };
        const before = state.cfg;
        if (prevTask !== 'temp' && prevTask !== 'csv') switchTask('csv', prevTask);
        try {
          await ensureData();
        } catch (e) {
          state.files.series = saved;
          applyConfig(before);
          throw e;
        }
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
    updateButtons();
  }
}

// --- Models ----------------------------------------------------------------------------------------------

// batchSize and length: the core refuses a model that could not train at them in the WebAssembly memory,
// naming the memory it needs, before anything is allocated (a data set's length is its own).
function modelConfig(cfg) {
  return { cell: cfg.cell, hidden: cfg.hidden, layers: cfg.layers, bidirectional: cfg.bi, embed: cfg.emb, forgetBias: cfg.fb,
    seed: cfg.seed, batchSize: cfg.batch, length: kindOf(cfg) === 'task' ? cfg.len : undefined };
}

const kindOf = (cfg) => (C.SYNTHETIC.includes(cfg.task) ? 'task' : C.TEXT_TASKS.includes(cfg.task) ? 'text' : 'series');

function newRecord(info, cfg, label) {
  const used = new Set(state.runs.filter((r) => r.show).map((r) => r.style));
  let style = 0;
  while (used.has(style) && style < SERIES.length) style++;
  const rec = {
    id: nextRunId++, modelId: info.modelId, cfg: { ...cfg }, label: label ?? C.runLabel(cfg), kind: info.kind ?? kindOf(cfg),
    style: style % SERIES.length, show: true, status: 'new', error: null, train: [], ema: [], acc: [], accEma: [], grad: [],
    clipped: [], val: [], valAcc: [], test: null, seconds: 0, seqPerSec: 0, numParams: info.numParams, clippedCount: 0,
    stepsTotal: info.optimizer?.steps ?? 0, snapshot: null, saved: true, freed: false, emaState: NaN, accState: NaN, lossWin: [], accWin: [], maxLoss: 0,
  };
  rec.info = info;
  state.runs.push(rec);
  return rec;
}

async function makeModel(cfg) {
  const info = await client.call('createModel', { config: modelConfig(cfg) });
  state.model = { ...info, archKey: archKey(cfg), dataKey: state.data.key, rec: newRecord(info, cfg) };
  state.model.rec.dataKey = state.data.key;
  $('stat-params').textContent = info.numParams.toLocaleString('en');
  return state.model;
}

const archKey = (cfg) => {
  const usesEmbed = cfg.task === 'copy' || C.TEXT_TASKS.includes(cfg.task);
  return [wantedDataKey(cfg), cfg.cell, cfg.layers, cfg.bi, cfg.hidden, usesEmbed ? cfg.emb : '', cfg.cell === 'lstm' ? cfg.fb : '', cfg.seed].join('|');
};

async function loadModel(bytes, name) {
  const info = await client.call('loadCheckpoint', { bytes: bytes.slice().buffer });
  const c = info.config;
  const next = { ...state.cfg, cell: c.cell, hidden: c.hidden, layers: c.layers, bi: c.bidirectional };
  if (c.vocab > 0) next.emb = c.embed;
  if (c.cell === 'lstm') next.fb = c.forgetBias;
  if (info.task) {
    if (state.cfg.task !== info.task) Object.assign(next, { ...C.defaults(info.task), ...next, task: info.task });
  } else if (info.kind === 'text' && !C.TEXT_TASKS.includes(next.task)) {
    next.task = 'imdb';
  } else if (info.kind === 'series' && !C.SERIES_TASKS.includes(next.task)) {
    next.task = 'temp';
  }
  applyConfig(next);
  const rec = newRecord(info, state.cfg, `${name} (loaded)`);
  rec.status = 'loaded';
  rec.snapshot = bytes;
  state.model = { ...info, archKey: archKey(state.cfg), dataKey: info.task ? `task:${info.task}` : null, rec };
  rec.dataKey = state.model.dataKey;
  $('stat-params').textContent = info.numParams.toLocaleString('en');
  $('stat-step').textContent = String(info.optimizer?.steps ?? 0);
  setStatus(`Loaded ${name}: ${c.cell.toUpperCase()}, ${c.layers} layer${c.layers > 1 ? 's' : ''}, hidden ${c.hidden}, ` +
    `${info.numParams.toLocaleString('en')} parameters, ${info.optimizer?.steps ?? 0} steps trained. Train continues it.`, 'ok');
  clearMainCharts();
  drawMain();
  renderRuns();
  if (info.task) await loadDataForTask({ auto: true });
  updateCards();
  updateButtons();
  refreshTrace();
  refreshPredictions();
  updateTry();
}

// --- Training --------------------------------------------------------------------------------------------

function trainOpts(cfg) {
  return { optimizer: cfg.opt, lr: cfg.lr, clip: cfg.clip, clipAt: cfg.clipAt, batchSize: cfg.batch, steps: cfg.steps,
    epochs: cfg.epochs, length: cfg.len, bptt: cfg.bptt, seed: cfg.seed };
}

/** One run: makes a model if the set-up needs a new one, trains it, records and diagnoses the result. */
async function train() {
  if (state.running || s2s.running) return null;
  const { cfg, errors } = C.readForm(form, state.cfg);
  if (errors.length) {
    setStatus(`Fix the set-up first: ${errors.map((x) => x.message).join('; ')}.`, 'error');
    return null;
  }
  state.cfg = cfg;
  updateUrl();
  setDiagnosis(null);
  state.running = true;
  state.paused = false;
  updateButtons();
  try {
    try {
      await ensureData();
    } catch (e) {
      setStatus(e.message, 'error');
      setDataStatus(e.message, 'error');
      return null;
    }
    const continuing = state.model && state.model.archKey === archKey(cfg) && (state.model.dataKey === null || state.model.dataKey === state.data.key);
    if (!continuing) {
      try {
        await makeModel(cfg);
      } catch (e) {
        const kept = state.model ? ' The previous model is kept.' : '';
        setStatus(`Could not make this model: ${sentence(e.message)}${kept}`, 'error');
        return null;
      }
      clearMainCharts();
      drawMain();
      resetStats(state.model.numParams.toLocaleString('en'));
    }
    const m = state.model, rec = m.rec;
    rec.cfg = { ...cfg };
    rec.status = 'running';
    renderRuns();
    const total = C.SYNTHETIC.includes(cfg.task) ? `${cfg.steps} steps` : `${cfg.epochs} epoch${cfg.epochs > 1 ? 's' : ''}`;
    runDescription = `${rec.label}, ${total}${state.sequence ? ` (run ${state.sequence.index + 1} of ${state.sequence.runs.length})` : ''}`;
    setStatus(`${continuing ? 'Training on' : 'Training'}: ${runDescription} …`);
    runStart = { steps: rec.stepsTotal, planned: cfg.steps, epochs: cfg.epochs, kind: rec.kind };
    $('progress').value = 0;
    let res;
    try {
      res = await client.call('train', { modelId: m.modelId, opts: trainOpts(cfg) });
    } catch (e) {
      rec.status = rec.train.length ? 'stopped' : 'new';
      if (e.code === 'WORKER_DIED') return null;
      setStatus(`Training failed: ${sentence(e.message)} The model is kept as it was.`, 'error');
      return null;
    }
    finishRun(rec, res);
    return rec;
  } finally {
    state.running = false;
    state.paused = false;
    updateButtons();
    renderRuns();
  }
}

let runStart = null;
let runDescription = '';

function finishRun(rec, res) {
  rec.status = res.status;
  rec.error = res.error;
  rec.test = res.test ?? null;
  rec.seconds += res.seconds;
  rec.seqs = (rec.seqs ?? 0) + (res.seqs ?? 0);
  rec.stepsTotal = res.stepsAfter;
  rec.failedStep = res.status === 'failed' ? res.stepsAfter + 1 : null;
  if (res.stepsAfter > res.stepsBefore) rec.saved = false;
  state.model.optimizer = res.optimizer;
  if (res.status === 'done') $('progress').value = 1;
  if (res.status === 'failed') {
    rec.nan = [{ x: res.stepsAfter + 1, y: Math.max(...rec.grad.map((p) => p.y).filter(Number.isFinite), 1) }];
  }
  const d = diagnose(rec);
  rec.diagnosis = d;
  setDiagnosis(d);
  const test = rec.test;
  const fig = test ? (test.accuracy !== null && test.accuracy !== undefined ? `test accuracy ${fmtNum(test.accuracy)}, ` : '') +
    `test loss ${fmtNum(test.loss)}` + (Number.isFinite(test.rmse) ? ` (RMSE ${fmtNum(test.rmse)} in ${test.column ?? 'the series'}’s units)` : '') : '';
  const how = { done: 'Done', stopped: 'Stopped', failed: 'Failed (numeric fault)' }[res.status] ?? res.status;
  setStatus(`${how} after ${rec.stepsTotal} steps in ${res.seconds.toFixed(1)} s${fig ? `: ${fig}` : ''}.` +
    (res.status === 'failed' ? ' The last good parameters are kept.' : ''), res.status === 'failed' ? 'error' : 'ok');
  drawMain();
  renderRuns();
  snapshot(rec);
  refreshTrace();
  refreshPredictions();
  updateTry();
}

// A copy of the trained model's checkpoint, kept by the page: for Save, and to restore it if the Worker dies.
async function snapshot(rec) {
  try {
    const r = await client.call('saveCheckpoint', { modelId: rec.modelId });
    rec.snapshot = new Uint8Array(r.bytes);
  } catch {}
  updateButtons();
}

function onProgress(d) {
  const rec = state.runs.find((r) => r.modelId === d.modelId);
  if (!rec) return;
  // The average is a plain mean of the last k steps: no long tail from the first, large losses; k grows
  // with the run (3 steps for a 100-step run, 25 from 1000 steps), so short runs are not all lag.
  const k = rec.kind === 'task' ? Math.max(3, Math.min(25, Math.round(rec.cfg.steps / 40))) : 10;
  const P = d.points;  // columns: step, loss, gradNorm, clipped, accuracy (NaN: none)
  const n = P.step.length;
  for (let i = 0; i < n; i++) {
    const step = P.step[i], loss = P.loss[i], gradNorm = P.gradNorm[i], accuracy = P.accuracy[i];
    rec.train.push({ x: step, y: loss });
    rec.maxLoss = Number.isFinite(loss) ? Math.max(rec.maxLoss, loss) : Infinity;
    rec.emaState = windowMean(rec.lossWin, loss, k);
    rec.ema.push({ x: step, y: rec.emaState });
    rec.grad.push({ x: step, y: gradNorm > 0 ? gradNorm : null });
    if (P.clipped[i]) {
      rec.clipped.push({ x: step, y: gradNorm });
      rec.clippedCount++;
    }
    if (!Number.isNaN(accuracy)) {
      rec.acc.push({ x: step, y: accuracy });
      rec.accState = windowMean(rec.accWin, accuracy, k);
      rec.accEma.push({ x: step, y: rec.accState });
    }
    rec.stepsTotal = step;
  }
  if (rec.train.length > 2 * CURVE_POINTS) compactRecord(rec);
  const last = n > 0;
  $('stat-step').textContent = String(rec.stepsTotal);
  $('stat-time').textContent = `${d.seconds.toFixed(1)} s`;
  $('stat-speed').textContent = d.seqPerSec > 0 ? Math.round(d.seqPerSec).toLocaleString('en') : '–';
  if (last) $('stat-loss').textContent = fmtNum(rec.emaState);
  if (d.epoch !== undefined) $('stat-epoch').textContent = `${d.epoch}/${d.epochs}`;
  if (d.steps) $('progress').value = Math.min(1, (d.step ?? 0) / d.steps);
  scheduleDraw();
  if ($('trace-live').checked && performance.now() - lastTraceAt > 1500 && !tracePending) refreshTrace();
}

// A run keeps at most about 2 x CURVE_POINTS points per curve: past that, each curve is halved, keeping
// the smallest and largest value of every 4 points (spikes survive) or every other point of a smooth
// curve, so memory and drawing stay bounded however long a run trains (a 1,000,000-step run included).
const CURVE_POINTS = 16384;

function minMaxHalve(a) {
  const out = [];
  for (let i = 0; i < a.length; i += 4) {
    let lo = a[i], hi = a[i];
    for (let j = i + 1; j < Math.min(i + 4, a.length); j++) {
      if (a[j].y < lo.y || !Number.isFinite(lo.y)) lo = a[j];
      if (a[j].y > hi.y || !Number.isFinite(hi.y)) hi = a[j];
    }
    if (lo === hi) out.push(lo);
    else out.push(...(lo.x < hi.x ? [lo, hi] : [hi, lo]));
  }
  return out;
}

const everyOther = (a) => a.filter((_, i) => i % 2 === 1 || i === a.length - 1);

function replaceContents(a, b) {
  a.length = 0;
  for (const p of b) a.push(p);
}

function compactRecord(rec) {
  for (const k of ['train', 'grad']) replaceContents(rec[k], minMaxHalve(rec[k]));
  for (const k of ['ema', 'acc', 'accEma']) if (rec[k].length > CURVE_POINTS) replaceContents(rec[k], everyOther(rec[k]));
  if (rec.clipped.length > CURVE_POINTS) replaceContents(rec.clipped, everyOther(rec.clipped));
  rec.compacted = true;
}

function onEval(d) {
  const rec = state.runs.find((r) => r.modelId === d.modelId);
  if (!rec) return;
  const t = rec.seconds + (d.seconds ?? 0);  // seconds of training of this model when it was measured
  if (Number.isFinite(d.loss)) rec.val.push({ x: d.step, y: d.loss, t });
  if (d.accuracy !== null && d.accuracy !== undefined && Number.isFinite(d.accuracy)) rec.valAcc.push({ x: d.step, y: d.accuracy, t });
  scheduleDraw();
}

// --- Buttons ---------------------------------------------------------------------------------------------

function updateButtons() {
  const ready = Boolean(state.engine);
  const running = state.running;
  $('train').disabled = !ready || running || s2s.running;
  const continuing = state.model && !running && state.model.archKey === archKey(state.cfg) && state.model.rec.stepsTotal > 0;
  $('train').textContent = continuing ? 'Train more' : 'Train';
  $('train').title = continuing ? 'Continue training the current model (Reset starts a new one)' : 'Make a new model from the set-up and train it';
  $('pause').disabled = !running;
  $('pause').textContent = state.paused ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(state.paused));
  $('stop').disabled = !running;
  $('reset').disabled = running || !state.model;
  $('save-model').disabled = !state.model || (running && !state.paused);
  $('export-csv').disabled = !state.runs.some((r) => r.train.length);
  for (const fs of form.querySelectorAll('fieldset')) fs.disabled = running;
  for (const b of document.querySelectorAll('[data-preset]')) b.disabled = !ready || running || s2s.running;
  $('load-model').disabled = running;
  $('data-load').disabled = running;
  form.elements.namedItem('clipAt').disabled = !state.cfg.clip || running;
}

async function pauseResume() {
  if (!state.running) return;
  if (state.paused) {
    await client.call('resume');
    state.paused = false;
    setStatus(`Training: ${runDescription} …`);
  } else {
    await client.call('pause');
    state.paused = true;
    setStatus(`Paused: ${runDescription}. Resume goes on from here; the gates and Save work meanwhile.`);
  }
  updateButtons();
}

async function stop() {
  if (state.sequence) state.sequence.cancelled = true;
  await client.call('stop');
  state.paused = false;
}

function reset() {
  if (state.running) return;
  state.model = null;
  clearMainCharts();
  drawMain();
  setDiagnosis(null);
  resetStats();
  heatmap.clear('Train a model to see its gates.');
  setStatus('Reset: the next Train makes a new model. Earlier runs stay in the comparison below.');
  updateButtons();
  updateTry();
}

// --- Presets and comparisons -----------------------------------------------------------------------------

const PRESETS = {
  explode: {
    note: 'Watch the gradient norm: with no clipping and a large step, each update makes the next gradient larger, until the loss is NaN.',
    runs: () => [{ task: 'adding', len: 50, cell: 'rnn', layers: 1, bi: false, hidden: 32, opt: 'sgd', lr: 1, clip: false, steps: 300, batch: 32, seed: 1, bptt: 0 }],
  },
  vanish: {
    note: 'Both cells see the same batches. Watch the held-out loss, then the ‖∂L/∂h_t‖ chart of each model.',
    runs: () => ['rnn', 'lstm'].map((cell) => ({ task: 'adding', len: 50, cell, layers: 1, bi: false, hidden: 32, opt: 'adam', lr: 0.01,
      clip: true, clipAt: 1, steps: 1000, batch: 32, seed: 1, bptt: 0 })),
  },
  slow: {
    note: 'The same RNN and data, trained by plain SGD and then by Adam.',
    runs: () => ['sgd', 'adam'].map((opt) => ({ task: 'adding', len: 10, cell: 'rnn', layers: 1, bi: false, hidden: 32, opt, lr: 0.01,
      clip: true, clipAt: 1, steps: 1000, batch: 32, seed: 1, bptt: 0 })),
  },
  cells: {
    note: 'The three cells on the same data with the same seed and settings.',
    runs: () => ['rnn', 'lstm', 'gru'].map((cell) => ({ ...state.cfg, cell })),
  },
};

async function runPreset(name) {
  if (state.running || s2s.running) return;
  const p = PRESETS[name];
  const runs = p.runs().map((r) => ({ ...C.defaults(r.task ?? state.cfg.task), ...r }));
  state.sequence = { runs, index: 0, cancelled: false };
  const done = [];
  try {
    for (let i = 0; i < runs.length; i++) {
      state.sequence.index = i;
      if (runs[i].task !== state.cfg.task) state.cfg = { ...state.cfg, task: runs[i].task };
      applyConfig(runs[i]);
      state.model = null;  // every run of a comparison starts from a fresh model
      setDiagnosis({ level: 'info', text: p.note });
      const rec = await train();
      if (!rec) break;
      done.push(rec);
      if (state.sequence.cancelled || rec.status === 'stopped') break;
    }
  } finally {
    state.sequence = null;
  }
  if (done.length > 1) {
    const first = done[0].diagnosis;
    const fig = (r) => {
      const t = r.test;
      if (!t) return r.status;
      return t.accuracy !== null && t.accuracy !== undefined ? `accuracy ${fmtNum(t.accuracy)}` : `test loss ${fmtNum(t.loss)}`;
    };
    const summary = done.map((r) => `${r.label}: ${fig(r)}`).join(' · ');
    setDiagnosis({ level: first?.level === 'ok' ? 'ok' : first?.level ?? 'info', text: `${first ? `${first.text} ` : ''}Compared: ${summary}.` });
  }
}

// --- Charts ----------------------------------------------------------------------------------------------

const charts = {};
let heatmap;
let drawQueued = false;
let lastDraw = 0;
let lastTable = 0;

function initCharts() {
  charts.loss = lineChart($('chart-loss'), { xTitle: 'step', yTitle: 'loss', empty: 'The loss appears here when you train.' });
  charts.acc = lineChart($('chart-acc'), { xTitle: 'step', yTitle: 'accuracy', yMin: 0, yMax: 1, empty: 'Accuracy appears here when you train.' });
  charts.grad = lineChart($('chart-grad'), { xTitle: 'step', yTitle: '‖gradient‖ (log scale)', yLog: true,
    empty: 'The gradient norm of every step appears here.' });
  charts.dh = lineChart($('chart-dh'), { xType: 'category', xTitle: 'step', yTitle: '‖∂L/∂h_t‖ (log)', yLog: true, xRotate: 60,
    tooltipTitle: (it) => `${it.label}`, empty: 'The gradient through time appears here after training.' });
  charts.pred = lineChart($('chart-pred'), { xTitle: 'actual', yTitle: 'predicted', empty: 'Predictions appear here after training.' });
  charts.cmp = lineChart($('chart-cmp'), { xTitle: 'step', yTitle: 'held-out loss', empty: 'Each run you train adds a curve here (when it has this measure).' });
  heatmap = new Heatmap($('heatmap'), { scaleId: 'heatmap-scale' });
  heatmap.clear('Train a model (or press Trace) to see its gates.');
  watchCharts();
}

// While a run trains, only the charts on screen are redrawn; the others are marked and redrawn when they
// scroll into view (or when the run ends): drawing is most of the page's work.
const onScreen = new Set();
const stale = new Set();
let paintAll = true;

function paint(chart) {
  if (paintAll || onScreen.has(chart.canvas)) {
    stale.delete(chart);
    redraw(chart);
  } else {
    stale.add(chart);
  }
}

function watchCharts() {
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) onScreen.add(e.target);
      else onScreen.delete(e.target);
      const ch = Object.values(charts).find((c) => c.canvas === e.target);
      if (e.isIntersecting && ch && stale.has(ch)) paint(ch);
    }
  });
  for (const ch of Object.values(charts)) io.observe(ch.canvas);
}

function scheduleDraw() {
  if (drawQueued) return;
  drawQueued = true;
  const wait = Math.max(0, 250 - (performance.now() - lastDraw));
  setTimeout(() => requestAnimationFrame(() => {
    drawQueued = false;
    lastDraw = performance.now();
    paintAll = !state.running;  // only in this redraw: every other one draws all
    try {
      drawMain();
      if (performance.now() - lastTable > 1000) {
        lastTable = performance.now();
        renderRuns();
      } else {
        drawCompare();
      }
    } finally {
      paintAll = true;
    }
  }), wait);
}

function clearMainCharts() {
  for (const k of ['loss', 'acc', 'grad']) {
    charts[k].data.datasets = [];
    charts[k].update('none');
  }
}

function xRange(rec) {
  const pts = rec.train;
  if (!pts.length) return [0, 1];
  return [pts[0].x, Math.max(pts[pts.length - 1].x, pts[0].x + 1)];
}

// The datasets of a run's charts are made once (per run and chart shape) and then only mutated: Chart.js
// keeps its parsed state, and each redraw costs one decimation pass, not a rebuild.
function mainSets(rec, cfg, classification) {
  const base = baselineLoss(cfg);
  const bow = state.bow && rec.kind === 'text' && Number.isFinite(state.bow.valAccuracy) ? state.bow.valAccuracy : null;
  const sig = [rec.id, classification, rec.cfg.clip, rec.cfg.clipAt, Boolean(rec.nan), bow].join('|');
  if (rec.sets?.sig === sig) return rec.sets;
  const heldOut = rec.kind === 'task' ? 'held-out' : 'validation';
  const loss = [
    series('training loss (each step)', { color: OKABE_ITO.sky, dash: [], point: 'circle' }, rec.train, { borderWidth: 1 }),
    series('training loss (average)', { color: OKABE_ITO.blue, dash: [], point: 'circle' }, rec.ema, { borderWidth: 2.5 }),
    series(`${heldOut} loss`, { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' }, rec.val, { pointRadius: 4, legendPoint: 'triangle' }),
  ];
  if (base) loss.push(hline(`${base.what} (${base.approx ? '≈' : ''}${fmtNum(base.loss)})`, base.loss, 0, 1));
  const acc = [
    series('training accuracy (average)', { color: OKABE_ITO.blue, dash: [], point: 'circle' }, rec.accEma, { borderWidth: 2.5 }),
    series(`${heldOut} accuracy`, { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' }, rec.valAcc, { pointRadius: 4, legendPoint: 'triangle' }),
  ];
  if (base?.accuracy !== undefined) acc.push(hline(`chance (${base.accuracy})`, base.accuracy, 0, 1));
  if (bow !== null) acc.push(hline(`bag-of-words baseline (${fmtNum(bow)})`, bow, 0, 1, OKABE_ITO.green, [10, 3, 2, 3]));
  const grad = [series('gradient norm', { color: OKABE_ITO.blue, dash: [], point: 'circle' }, rec.grad, { borderWidth: 1.5 })];
  let clippedSet = null;
  if (rec.cfg.clip) {
    grad.push(hline(`clipping threshold (${rec.cfg.clipAt})`, rec.cfg.clipAt, 0, 1, OKABE_ITO.vermillion, [6, 4]));
    clippedSet = markers('clipped step', { color: OKABE_ITO.vermillion, point: 'triangle' }, rec.clipped, { pointRadius: 3 });
    grad.push(clippedSet);
  }
  if (rec.nan) grad.push(markers('loss became NaN', { color: OKABE_ITO.purple, point: 'crossRot' }, rec.nan, { pointRadius: 9, borderWidth: 3 }));
  rec.sets = { sig, loss, acc, grad, clippedSet };
  return rec.sets;
}

function drawMain() {
  const rec = state.model?.rec;
  const cfg = rec?.cfg ?? state.cfg;
  const classification = cfg.task === 'copy' || C.TEXT_TASKS.includes(cfg.task);
  $('acc-box').hidden = !classification;
  $('acc-box').parentElement.classList.toggle('single', !classification);
  if (!rec) {
    for (const k of ['loss', 'acc', 'grad']) {
      charts[k].data.datasets = [];
      charts[k].update('none');
    }
    return;
  }
  const sets = mainSets(rec, cfg, classification);
  // Reference lines span the steps drawn so far.
  const [x0, x1] = xRange(rec);
  for (const ds of [...sets.loss, ...sets.acc, ...sets.grad]) {
    if (!ds.isRef) continue;
    ds.data[0].x = x0;
    ds.data[1].x = x1;
  }
  if (sets.clippedSet) sets.clippedSet.label = `clipped step (${rec.clippedCount})`;
  charts.loss.options.scales.y.title.text = classification ? 'cross-entropy loss' : 'mean squared error';
  // A run on its way to NaN spans many decades: then a log axis, or everything else is flat.
  const y = charts.loss.options.scales.y;
  y.type = rec.status === 'failed' || rec.maxLoss > 50 ? 'logarithmic' : 'linear';
  y.min = y.type === 'linear' ? 0 : undefined;
  if (charts.loss.data.datasets !== sets.loss) charts.loss.data.datasets = sets.loss;
  paint(charts.loss);
  if (classification) {
    if (charts.acc.data.datasets !== sets.acc) charts.acc.data.datasets = sets.acc;
    paint(charts.acc);
  }
  if (charts.grad.data.datasets !== sets.grad) charts.grad.data.datasets = sets.grad;
  paint(charts.grad);
}

function drawCompare() {
  const metric = $('cmp-metric').value;
  const titles = { val: 'held-out loss', ema: 'training loss (average)', acc: 'held-out accuracy', grad: 'gradient norm (log)' };
  const ch = charts.cmp;
  ch.options.scales.y.title.text = titles[metric];
  ch.options.scales.y.type = metric === 'grad' ? 'logarithmic' : 'linear';
  ch.options.scales.y.min = metric === 'acc' ? 0 : undefined;
  ch.options.scales.y.max = metric === 'acc' ? 1 : undefined;
  const key = { val: 'val', ema: 'ema', acc: 'valAcc', grad: 'grad' }[metric];
  const want = state.runs.filter((r) => r.show && r[key].length).map((r) => {
    r.cmpSets ??= {};
    return (r.cmpSets[key] ??= series(`#${r.id} ${r.label}`, r.style, r[key],
      { pointRadius: key === 'val' || key === 'valAcc' ? 3 : 0, borderWidth: key === 'grad' ? 1 : 2 }));
  });
  const same = want.length === ch.data.datasets.length && want.every((d, i) => d === ch.data.datasets[i]);
  if (!same) ch.data.datasets = want;
  // A NaN-bound run's huge losses would flatten the rest: then a log axis.
  if ((metric === 'val' || metric === 'ema') && state.runs.some((r) => r.show && r.maxLoss > 50)) ch.options.scales.y.type = 'logarithmic';
  paint(ch);
}

// --- The comparison table ----------------------------------------------------------------------------------

// Rows are made once per run and their cells updated in place, so focus (a checkbox, a Save button) is
// never lost while a run updates the table.
const rows = new Map();

function makeRow(r) {
  const tr = document.createElement('tr');
  const cells = [];
  for (let i = 0; i < 12; i++) {
    const c = document.createElement('td');
    tr.append(c);
    cells.push(c);
  }
  const cb = document.createElement('input');
  cb.type = 'checkbox';
  cb.setAttribute('aria-label', `Show run ${r.id} in the chart`);
  cb.addEventListener('change', () => {
    r.show = cb.checked;
    drawCompare();
  });
  cells[0].append(cb);
  const sw = swatch(SERIES[r.style]);
  const name = document.createElement('span');
  cells[1].append(sw, name);
  const open = document.createElement('button');
  open.type = 'button';
  open.textContent = 'Open';
  open.title = 'Make this the current model: its curves, gates and predictions above; Train continues it';
  open.setAttribute('aria-label', `Open the model of run ${r.id}`);
  open.addEventListener('click', () => openRun(r));
  const save = document.createElement('button');
  save.type = 'button';
  save.textContent = 'Save';
  save.setAttribute('aria-label', `Save the model of run ${r.id}`);
  save.addEventListener('click', () => saveRun(r));
  cells[11].className = 'actions';
  cells[11].append(open, ' ', save);
  return { tr, cells, cb, name, save, open };
}

function renderRuns() {
  const body = $('runs').tBodies[0];
  for (const [id, row] of rows) {
    if (!state.runs.some((r) => r.id === id)) {
      row.tr.remove();
      rows.delete(id);
    }
  }
  for (const r of state.runs) {
    let row = rows.get(r.id);
    if (!row) {
      row = makeRow(r);
      rows.set(r.id, row);
      body.append(row.tr);
    }
    const c = row.cells;
    const last = (a) => (a.length ? a[a.length - 1].y : NaN);
    const num = (v) => (Number.isFinite(v) ? fmtNum(v) : '–');
    row.cb.checked = r.show;
    row.name.textContent = `#${r.id} ${r.label}`;
    row.name.title = C.toQuery(r.cfg);
    c[2].textContent = { new: 'new', running: 'training', done: 'done', stopped: 'stopped', failed: 'NaN: stopped', loaded: 'loaded' }[r.status] ?? r.status;
    c[2].className = r.status === 'failed' ? 'status-failed' : '';
    c[3].textContent = String(r.stepsTotal);
    c[4].textContent = num(last(r.ema));
    c[5].textContent = num(last(r.val));
    c[6].textContent = num(last(r.valAcc));
    const t = r.test;
    c[7].textContent = !t ? '–' : t.accuracy !== null && t.accuracy !== undefined ? `acc ${fmtNum(t.accuracy)}`
      : Number.isFinite(t.rmse) ? `RMSE ${fmtNum(t.rmse)}` : `loss ${fmtNum(t.loss)}`;
    c[8].textContent = r.seconds ? `${r.seconds.toFixed(1)} s` : '–';
    c[9].textContent = r.seconds && r.seqs ? Math.round(r.seqs / r.seconds).toLocaleString('en') : '–';
    c[10].textContent = r.numParams ? r.numParams.toLocaleString('en') : '–';
    row.save.disabled = !r.snapshot && r.freed;
    const current = r === state.model?.rec;
    row.open.disabled = current || r.freed || state.running || (r.dataKey !== undefined && r.dataKey !== null && r.dataKey !== state.data.key);
    row.open.textContent = current ? 'Current' : 'Open';
    row.tr.classList.toggle('current', current);
  }
  drawCompare();
  $('export-csv').disabled = !state.runs.some((r) => r.train.length);
}

function resetStats(params = '–') {
  for (const id of ['stat-loss', 'stat-speed', 'stat-epoch']) $(id).textContent = '–';
  $('stat-step').textContent = '0';
  $('stat-params').textContent = params;
  $('stat-time').textContent = '0.0 s';
  $('progress').value = 0;
}

// The run panel's figures for a finished run (after a run, or when a run is opened again).
function showStats(r) {
  $('stat-params').textContent = r.numParams ? r.numParams.toLocaleString('en') : '–';
  $('stat-step').textContent = String(r.stepsTotal);
  $('stat-time').textContent = `${r.seconds.toFixed(1)} s`;
  $('stat-speed').textContent = r.seconds && r.seqs ? Math.round(r.seqs / r.seconds).toLocaleString('en') : '–';
  $('stat-loss').textContent = Number.isFinite(r.emaState) ? fmtNum(r.emaState) : '–';
  const lastEpoch = r.val.length && r.kind !== 'task' ? `${r.val.length}` : '–';
  $('stat-epoch').textContent = lastEpoch;
  $('progress').value = r.stepsTotal > 0 ? 1 : 0;
}

// Makes an earlier run's model the current one (it is still in the Worker): its curves in the charts, its
// gates, its predictions; the form shows its set-up, so Train continues it.
function openRun(r) {
  if (state.running || r.freed) return;
  applyConfig({ ...state.cfg, ...r.cfg });
  state.model = { ...r.info, modelId: r.modelId, optimizer: r.info.optimizer, archKey: archKey(state.cfg), dataKey: r.dataKey ?? null, rec: r };
  showStats(r);
  setDiagnosis(r.diagnosis ?? null);
  setStatus(`Opened run #${r.id}: ${r.label}. Train continues it.`);
  drawMain();
  renderRuns();
  updateButtons();
  updateCards();
  refreshTrace();
  refreshPredictions();
  updateTry();
}

// --- Looking inside ----------------------------------------------------------------------------------------

const GATE_OPTIONS = {
  lstm: [['f', 'forget gate f'], ['i', 'input gate i'], ['o', 'output gate o'], ['g', 'candidate g'], ['state', 'cell state c']],
  gru: [['z', 'update gate z'], ['r', 'reset gate r'], ['n', 'candidate n'], ['state', 'hidden state h']],
  rnn: [['state', 'hidden state h']],
};

let lastTraceAt = 0;
let tracePending = false;
let lastTrace = null;

function updateTraceControls() {
  const cfg = state.model?.config ?? modelConfigFromCfg(state.cfg);
  const gate = $('trace-gate');
  const prev = gate.value;
  const opts = GATE_OPTIONS[cfg.cell];
  if (gate.dataset.cell !== cfg.cell) {
    gate.replaceChildren(...opts.map(([v, t]) => new Option(t, v)));
    gate.dataset.cell = cfg.cell;
    gate.value = opts.some(([v]) => v === prev) ? prev : opts[0][0];
  }
  const layer = $('trace-layer');
  const want = [];
  for (let l = 0; l < cfg.layers; l++) {
    want.push([`${l}:0`, cfg.bidirectional ? `${l + 1}, forward` : `${l + 1}`]);
    if (cfg.bidirectional) want.push([`${l}:1`, `${l + 1}, backward`]);
  }
  const sig = want.map((w) => w[0]).join(',');
  if (layer.dataset.sig !== sig) {
    const p = layer.value;
    layer.replaceChildren(...want.map(([v, t]) => new Option(t, v)));
    layer.dataset.sig = sig;
    layer.value = want.some(([v]) => v === p) ? p : want[want.length - 1 - (cfg.bidirectional ? 1 : 0)][0];
  }
  $('trace-layer-wrap').hidden = want.length < 2;
  const src = $('trace-source');
  const kind = state.model?.kind ?? kindOf(state.cfg);
  const sources = kind === 'text' ? [['text', 'the review in “Try it”']] : kind === 'series' ? [['series', 'a test window']]
    : [['task', 'a sample sequence of the task']];
  const ssig = sources.map((s) => s[0]).join(',');
  if (src.dataset.sig !== ssig) {
    src.replaceChildren(...sources.map(([v, t]) => new Option(t, v)));
    src.dataset.sig = ssig;
  }
  $('trace-seed-wrap').hidden = kind === 'text';
}

const modelConfigFromCfg = (cfg) => ({ cell: cfg.cell, layers: cfg.layers, bidirectional: cfg.bi, hidden: cfg.hidden });

async function refreshTrace() {
  updateTraceControls();
  if (!state.model) {
    heatmap.clear('Train a model (or load one) to see its gates.');
    drawDh(null);
    return;
  }
  if (tracePending) return;
  tracePending = true;
  lastTraceAt = performance.now();
  const kind = $('trace-source').value;
  const seed = Number($('trace-seed').value) || 0;
  const source = kind === 'text' ? { kind, text: $('review').value } : kind === 'series' ? { kind, index: seed } : { kind, seed: 9000 + seed, length: state.cfg.len };
  try {
    const r = await client.call('inspect', { modelId: state.model.modelId, source });
    lastTrace = r;
    renderTrace();
  } catch (e) {
    lastTrace = null;
    heatmap.clear(e.message);
    drawDh(null);
    $('trace-info').textContent = e.message;
  } finally {
    tracePending = false;
  }
}

function renderTrace() {
  const r = lastTrace;
  if (!r) return;
  const [l, d] = $('trace-layer').value.split(':').map(Number);
  const entry = r.layers.find((x) => x.layer === (l || 0) && x.dir === (d || 0)) ?? r.layers[0];
  const which = $('trace-gate').value;
  const H = r.hidden;
  const src = which === 'state' || !entry.gates ? entry.state : entry.gates;
  if (!src) {
    heatmap.clear('No trace recorded.');
    return;
  }
  const gi = which === 'state' ? 0 : Math.max(0, r.gateNames.indexOf(which));
  const W = src.width, data = src.data;
  const off = which === 'state' ? 0 : gi * H;
  const signed = which === 'state' || which === 'g' || which === 'n' || r.cell === 'rnn';
  let scaleMax = 1;
  if (signed) {
    let m = 0;
    for (let t = 0; t < src.steps; t++) for (let u = 0; u < H; u++) m = Math.max(m, Math.abs(data[t * W + off + u]));
    scaleMax = m > 0 ? m : 1;
    if (which !== 'state' || r.cell !== 'lstm') scaleMax = Math.min(1, scaleMax) || 1;
  }
  const name = $('trace-gate').selectedOptions[0]?.textContent ?? which;
  const labels = r.labels.length === src.steps ? r.labels : Array.from({ length: src.steps }, (_, i) => String(i + 1));
  heatmap.set({ values: (u, t) => data[t * W + off + u], units: H, steps: src.steps, labels, marks: r.marks, signed, scaleMax,
    name, unitName: 'unit', stepName: r.kindLabel ?? 'step' });
  $('heatmap-scale').textContent = signed ? `${name}: purple negative, light 0, orange positive` : `${name}: 0 closed … 1 open`;
  const pred = r.predictions;
  let info = '';
  if (r.probability !== undefined) info = `P(positive) = ${fmtNum(r.probability)}. The gradient is that of the loss if the label were ${r.target[0] ? 'positive' : 'negative'} (the opposite of the prediction).`;
  else if (r.task === 'adding') info = `Target ${fmtNum(r.target[0])} (the sum of the two marked numbers, ★), predicted ${fmtNum(pred[0])}.`;
  else if (r.task === 'copy') info = `Target symbol ${r.target[0]} (the first one); loss ${fmtNum(r.loss)}.`;
  else info = `Loss on this sequence ${fmtNum(r.loss)}.`;
  // How much of the gradient at the last step reaches the first: the vanishing gradient as one number.
  const g = entry.grad;
  if (g && g.length > 1 && g[0] > 0 && g[g.length - 1] > 0) {
    const ratio = g[0] / g[g.length - 1];
    info += ratio < 1 ? ` At the first ${r.kindLabel ?? 'step'}, ‖∂L/∂h‖ is ${fmtNum(ratio)} of its size at the last one` +
      `${ratio < 0.01 ? ': it has vanished on the way back.' : '.'}` : ` At the first ${r.kindLabel ?? 'step'}, ‖∂L/∂h‖ is ${fmtNum(ratio)} times its size at the last one.`;
  }
  $('trace-info').textContent = info;
  drawDh(r, entry, labels);
}

function drawDh(r, entry, labels) {
  const ch = charts.dh;
  if (!r || !entry?.grad) {
    ch.data.labels = [];
    ch.data.datasets = [];
    ch.update('none');
    return;
  }
  ch.data.labels = labels.map((s, i) => (s.length > 12 ? `${s.slice(0, 11)}…` : s) + (r.marks?.[i] ? ' ★' : ''));
  ch.options.scales.x.title.text = r.kindLabel ?? 'step';
  const pos = (a) => a.map((v) => (v > 0 && Number.isFinite(v) ? v : null));
  const sets = [series(`‖∂L/∂h_t‖, layer ${entry.layer + 1}${r.layers.some((x) => x.dir === 1) ? (entry.dir ? ' backward' : ' forward') : ''}`,
    { color: OKABE_ITO.blue, dash: [], point: 'circle' }, pos(entry.grad), { pointRadius: labels.length <= 60 ? 3 : 0, legendPoint: 'circle' })];
  const other = r.layers.find((x) => x.layer === entry.layer && x.dir !== entry.dir);
  if (other?.grad) sets.push(series(`layer ${entry.layer + 1} ${other.dir ? 'backward' : 'forward'}`, { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' },
    pos(other.grad), { pointRadius: labels.length <= 60 ? 3 : 0, legendPoint: 'triangle' }));
  ch.data.datasets = sets;
  redraw(ch);
}

// --- Try it: a review, read as it is typed ----------------------------------------------------------------

const SAMPLES = [
  'An absolute delight from start to finish. The cast is wonderful and the story stayed with me for days.',
  'I wanted to like it, but it was slow, predictable and far too long. A waste of a great cast.',
  'Not bad at all: the first hour drags, yet the ending is brilliant and moving.',
  'The worst film I have seen this year. Awful dialogue, terrible acting, no plot.',
];

let lastWords = null;
let tryTimer = 0;
let tryPending = false;

function updateCards() {
  const kind = state.model?.kind ?? kindOf(state.cfg);
  // A card an embedding page hid stays hidden.
  $('try-card').hidden = kind !== 'text' || Boolean($('try-card').dataset.hiddenByEmbed);
  const regression = (state.model?.config?.head ?? (['adding', 'sine'].includes(state.cfg.task) || kind === 'series' ? 'regression' : 'x')) === 'regression';
  $('pred-card').hidden = !regression || Boolean($('pred-card').dataset.hiddenByEmbed);
  updateTraceControls();
}

function updateTry() {
  updateCards();
  clearTimeout(tryTimer);
  tryTimer = setTimeout(runTry, 120);
}

async function runTry() {
  if ($('try-card').hidden) return;
  if (!state.model || state.model.kind !== 'text') {
    $('verdict-text').textContent = 'Train or load an IMDB model to read reviews.';
    renderWords(null);
    return;
  }
  if (tryPending) {
    tryTimer = setTimeout(runTry, 120);
    return;
  }
  tryPending = true;
  try {
    const r = await client.call('predictText', { modelId: state.model.modelId, text: $('review').value });
    renderWords(r);
  } catch (e) {
    $('verdict-text').textContent = e.message;
    renderWords(null);
  } finally {
    tryPending = false;
  }
  if ($('trace-source').value === 'text') {
    clearTimeout(traceTimer);
    traceTimer = setTimeout(refreshTrace, 300);
  }
}
let traceTimer = 0;

function renderWords(r) {
  lastWords = r;
  const box = $('words');
  box.replaceChildren();
  if (!r) return;
  const p = r.probability;
  $('meter-fill').style.width = `${(100 * p).toFixed(1)}%`;
  $('verdict-text').textContent = r.tokens.length === 0 ? 'Type a review: no words yet.'
    : `${p >= 0.5 ? 'Positive' : 'Negative'}: P(positive) = ${(100 * p).toFixed(1)}%`;
  const steps = r.stepProbabilities;
  const dark = currentTheme() === 'dark';
  r.tokens.forEach((tok, i) => {
    const el = document.createElement('span');
    el.className = 'word';
    const w = document.createElement('span');
    w.className = 'w';
    w.textContent = tok;
    el.append(w);
    if (steps) {
      const delta = steps[i] - (i === 0 ? 0.5 : steps[i - 1]);
      const rgb = diverging(Math.max(-1, Math.min(1, delta * 4)));
      el.style.background = css(rgb);
      el.style.color = textOn(rgb);
      el.style.borderColor = dark ? 'transparent' : css(rgb);
      const dd = document.createElement('span');
      dd.className = 'd';
      dd.textContent = `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)}`;
      el.append(dd);
      el.title = `after “${tok}”: P(positive) = ${steps[i].toFixed(3)} (${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(3)})`;
      el.setAttribute('aria-label', `${tok}: ${delta >= 0 ? 'plus' : 'minus'} ${Math.abs(delta).toFixed(2)}`);
    }
    box.append(el);
  });
  if (!steps) {
    const note = document.createElement('p');
    note.className = 'hint';
    note.textContent = 'A bidirectional model reads the review both ways at once, so no single word has its own step: no per-word changes.';
    box.append(note);
  }
}

// --- Predictions (regression) -------------------------------------------------------------------------------

async function refreshPredictions() {
  if ($('pred-card').hidden || !state.model) return;
  const ch = charts.pred;
  try {
    const r = await client.call('predictions', { modelId: state.model.modelId, length: state.cfg.len, seed: 424242 });
    if (!r) return;
    if (r.kind === 'scatter') {
      const pts = r.actual.map((a, i) => ({ x: a, y: r.predicted[i] }));
      const lo = Math.min(...r.actual, ...r.predicted), hi = Math.max(...r.actual, ...r.predicted);
      ch.options.scales.x.title.text = 'actual sum';
      ch.options.scales.x.ticks.precision = undefined;
      ch.options.scales.y.title.text = 'predicted sum';
      ch.data.datasets = [markers('sequences (200 held-out)', { color: OKABE_ITO.blue, point: 'circle' }, pts.sort((a, b) => a.x - b.x), { pointRadius: 3 }),
        hline('perfect: predicted = actual', 0, lo, hi, OKABE_ITO.grey, [4, 4])];
      ch.data.datasets[1].data = [{ x: lo, y: lo }, { x: hi, y: hi }];
      $('pred-explain').textContent = 'Each marker is one held-out sequence: its true sum (across) and the prediction (up). A model that learned lies on the diagonal; one that only guesses the mean (1) lies on a flat line.';
    } else {
      const toPts = (a) => a.map((y, i) => ({ x: i, y }));
      ch.options.scales.x.title.text = r.kind === 'series' ? 'day of the test period' : 'step';
      ch.options.scales.x.ticks.precision = 0;
      ch.options.scales.y.title.text = r.kind === 'series' ? 'value (the series’ units)' : 'value';
      ch.data.datasets = [series('actual', { color: OKABE_ITO.grey, dash: [], point: 'circle' }, toPts(r.actual), { borderWidth: 2 }),
        series('predicted', { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' }, toPts(r.predicted), { borderWidth: 2 })];
      $('pred-explain').textContent = r.kind === 'series'
        ? 'The test period, after the training and validation periods: the real values and the one-step-ahead predictions, in the series’ own units.'
        : 'One held-out sequence: the next value at every step, and the prediction made from the steps before it.';
    }
    redraw(ch);
  } catch (e) {
    $('pred-explain').textContent = e.message;
  }
}

// --- Files out: checkpoints, CSV, PNG ----------------------------------------------------------------------

function fileStem(rec) {
  return `rnnlab-${rec.cfg.task}-${rec.cfg.cell}-h${rec.cfg.hidden}-step${rec.stepsTotal}`;
}

async function saveRun(rec) {
  let bytes = rec.snapshot;
  try {
    if (!state.running || state.paused || rec !== state.model?.rec) {
      const r = await client.call('saveCheckpoint', { modelId: rec.modelId });
      bytes = new Uint8Array(r.bytes);
      rec.snapshot = bytes;
    }
  } catch (e) {
    if (!bytes) {
      setStatus(`Could not save: ${e.message}`, 'error');
      return;
    }
  }
  download(bytes, `${fileStem(rec)}.rnl`);
  rec.saved = true;
  setStatus(`Saved ${fileStem(rec)}.rnl (${bytes.length.toLocaleString('en')} bytes): the checkpoint format of the rnnlab CLI and PyTorch loader.`, 'ok');
}

function exportCsv() {
  const rows = [];
  for (const r of state.runs) {
    const byX = (a) => new Map(a.map((p) => [p.x, p.y]));
    const val = byX(r.val), vacc = byX(r.valAcc), acc = byX(r.acc), ema = byX(r.ema), grad = byX(r.grad);
    const clipped = new Set(r.clipped.map((p) => p.x));
    for (const p of r.train)
      rows.push([r.id, r.label, r.cfg.task, r.cfg.cell, p.x, p.y, ema.get(p.x), grad.get(p.x), clipped.has(p.x) ? 1 : 0, acc.get(p.x),
        val.get(p.x), vacc.get(p.x)]);
  }
  // (Runs longer than about 30,000 steps keep the extremes of their curves, not every step: see compactRecord.)
  const csv = toCsv(['run', 'label', 'task', 'cell', 'step', 'train_loss', 'train_loss_avg', 'grad_norm', 'clipped', 'train_accuracy',
    'heldout_loss', 'heldout_accuracy'], rows);
  download(csv, 'rnnlab-metrics.csv', 'text/csv');
}

async function exportPng(which) {
  const pick = {
    loss: $('acc-box').hidden ? [$('chart-loss')] : [$('chart-loss'), $('chart-acc')],
    grad: [$('chart-grad')],
    heatmap: [heatmap.canvas, $('chart-dh')],
    pred: [$('chart-pred')],
    cmp: [$('chart-cmp')],
  }[which];
  download(await stackPng(pick), `rnnlab-${which}.png`, 'image/png');
}

// --- Embedding ------------------------------------------------------------------------------------------------

const CONTROL_GROUPS = ['data', 'model', 'optimizer', 'training', 'presets', 'files'];

function applyView(view) {
  state.view = view;
  document.body.classList.toggle('embed', view.embed);
  for (const el of document.querySelectorAll('[data-group]')) if (view.hide.includes(el.dataset.group)) el.dataset.hiddenByEmbed = '1';
  for (const el of document.querySelectorAll('[data-hidden-by-embed]')) el.hidden = true;
  const allHidden = CONTROL_GROUPS.every((g) => view.hide.includes(g));
  document.body.classList.toggle('no-controls', allHidden);
  if (allHidden) for (const el of document.querySelectorAll('.controls')) el.hidden = true;
}

// --- The two views: recurrent networks (this file) and sequence to sequence (seq2seq.js) --------------------

const PAGES = { lab: { tab: 'tab-lab', panel: 'view-lab', skip: '#main', title: 'rnnlab: train RNNs, LSTMs and GRUs in your browser' },
  s2s: { tab: 'tab-s2s', panel: 'view-s2s', skip: '#s2s-results', title: 'rnnlab: sequence to sequence, with and without attention' } };

function showPage(page) {
  state.page = page;
  for (const [name, p] of Object.entries(PAGES)) {
    const on = name === page;
    $(p.panel).hidden = !on;
    $(p.tab).setAttribute('aria-selected', String(on));
    $(p.tab).tabIndex = on ? 0 : -1;
  }
  document.querySelector('.skip').setAttribute('href', PAGES[page].skip);
  document.title = PAGES[page].title;
  updateUrl();
  if (page === 's2s') s2s.shown();
}

function wireTabs() {
  const order = Object.keys(PAGES);
  for (const [name, p] of Object.entries(PAGES)) {
    $(p.tab).addEventListener('click', () => showPage(name));
    $(p.tab).addEventListener('keydown', (e) => {
      const i = order.indexOf(name);
      const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: order.length - 1 }[e.key];
      if (j === undefined) return;
      e.preventDefault();
      const next = order[(j + order.length) % order.length];
      showPage(next);
      $(PAGES[next].tab).focus();
    });
  }
}

// --- Crash recovery ------------------------------------------------------------------------------------------

async function onWorkerDeath(message) {
  setStatus(`The computation thread stopped (${message}). Restarting it; the last saved copy of your model is restored.`, 'error');
  state.running = false;
  state.paused = false;
  state.data = { key: null, info: null };
  try {
    state.engine = await client.call('init', { impl: IMPL });
    await ensureData().catch(() => {});
    const rec = state.model?.rec;
    if (rec?.snapshot) {
      const info = await client.call('loadCheckpoint', { bytes: rec.snapshot.slice().buffer });
      rec.modelId = info.modelId;
      state.model = { ...state.model, ...info, dataKey: state.data.key, rec };
      rec.status = 'stopped';
    } else {
      state.model = null;
    }
  } catch (e) {
    setStatus(`The computation thread could not be restarted: ${e.message}. Reload the page.`, 'error');
  }
  s2s.onWorkerDeath();
  renderRuns();
  updateButtons();
}

// --- Start ------------------------------------------------------------------------------------------------

// ?impl=student loads the module built from the student's cells (exercises/README.md).
const IMPL = new URLSearchParams(location.search).get('impl') === 'student' ? 'student' : 'reference';
const client = new WorkerClient(new URL('./worker.js', import.meta.url), {
  onEvent(event, data) {
    if (event === 'progress') onProgress(data);
    else if (event === 'eval') onEval(data);
    else if (event === 's2sProgress') s2s.onProgress(data);
    else if (event === 's2sEval') s2s.onEval(data);
    else if (event === 'dataProgress') {
      const p = $('data-progress');
      if (data.total > 0) {
        p.max = data.total;
        p.value = Math.min(data.bytesIn, data.total);
      }
      setDataStatus(`Reading the archive: ${(data.bytesIn / 1e6).toFixed(0)} MB${data.total ? ` of ${(data.total / 1e6).toFixed(0)} MB` : ''}, ${data.reviews.toLocaleString('en')} reviews …`);
    } else if (event === 'modelFreed') {
      for (const r of state.runs) if (r.modelId === data.modelId) r.freed = true;
    }
  },
  onDeath: onWorkerDeath,
});
const s2s = new Seq2SeqView({ client, onConfig: () => updateUrl(), busyElsewhere: () => state.running, onBusy: () => updateButtons() });

function wire() {
  form.addEventListener('input', (e) => {
    if (e.target.name === 'data') return;  // a URL is loaded on Load / Enter / change, not per keystroke
    onFormChange(e);
  });
  form.addEventListener('change', (e) => {
    onFormChange(e);
    if (e.target.name === 'data') loadDataForTask();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  $('data-url').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      onFormChange(e);
      loadDataForTask();
    }
  });
  $('data-load').addEventListener('click', () => {
    onFormChange();
    state.data.key = state.data.key === wantedDataKey() ? null : state.data.key;  // Load again: fetch again
    loadDataForTask();
  });
  $('train').addEventListener('click', () => train());
  $('pause').addEventListener('click', pauseResume);
  $('stop').addEventListener('click', stop);
  $('reset').addEventListener('click', reset);
  for (const b of document.querySelectorAll('[data-preset]')) b.addEventListener('click', () => runPreset(b.dataset.preset));
  $('file').addEventListener('change', (e) => {
    handleFile(e.target.files[0]);
    e.target.value = '';
  });
  $('load-model').addEventListener('change', (e) => {
    handleFile(e.target.files[0]);
    e.target.value = '';
  });
  $('save-model').addEventListener('click', () => state.model && saveRun(state.model.rec));
  $('export-csv').addEventListener('click', exportCsv);
  for (const b of document.querySelectorAll('[data-png]')) b.addEventListener('click', () => exportPng(b.dataset.png));
  $('cmp-metric').addEventListener('change', drawCompare);
  $('cmp-clear').addEventListener('click', () => {
    state.runs = state.runs.filter((r) => r === state.model?.rec);
    renderRuns();
  });
  $('trace').addEventListener('click', refreshTrace);
  $('trace-gate').addEventListener('change', renderTrace);
  $('trace-layer').addEventListener('change', renderTrace);
  $('trace-seed').addEventListener('change', refreshTrace);
  $('trace-source').addEventListener('change', refreshTrace);
  $('review').addEventListener('input', updateTry);
  const samples = $('samples');
  SAMPLES.forEach((s, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'ghost small';
    b.textContent = `Sample ${i + 1}`;
    b.title = s;
    b.addEventListener('click', () => {
      $('review').value = s;
      updateTry();
    });
    samples.append(b);
  });
  $('theme').addEventListener('click', () => setTheme(currentTheme() === 'dark' ? 'light' : 'dark', true));
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (!document.documentElement.dataset.theme) setTheme(currentTheme(), false);
  });
  $('share').addEventListener('click', async () => {
    updateUrl();
    try {
      await navigator.clipboard.writeText(location.href);
      setStatus('Link copied: it opens the lab with this set-up.', 'ok');
    } catch {
      setStatus(`Copy this link: ${location.href}`);
    }
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
    handleFile(e.dataTransfer.files[0]);
  });
  window.addEventListener('beforeunload', (e) => {
    const unsaved = state.runs.some((r) => !r.saved && r.stepsTotal > 0 && r === state.model?.rec);
    if (unsaved || state.running) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
}

async function boot() {
  const { cfg, s2s: s2sCfg, errors, view } = C.fromQuery(location.search);
  let theme = view.theme;
  if (!theme) {
    try {
      theme = localStorage.getItem('rnnlab-theme');
    } catch {}
  }
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  applyView(view);
  applyConfig(cfg);
  try {
    initCharts();
    s2s.init();
  } catch (e) {
    setStatus(e.message, 'error');
  }
  s2s.setConfig(s2sCfg);
  wireTabs();
  showPage(view.page);
  setTheme(currentTheme(), false);
  drawMain();
  wire();
  renderRuns();
  updateCards();
  if (errors.length) {
    const msg = `Some settings in the link were not understood: ${errors.join('; ')}.`;
    setStatus(msg, 'error');
    if (view.page === 's2s') s2s.status(msg, 'error');
  }
  try {
    state.engine = await client.call('init', { impl: IMPL });
  } catch (e) {
    setStatus(`The lab could not start: ${e.message}`, 'error');
    return;
  }
  const impl = state.engine.implementation;
  $('engine').textContent = `rnnlab ${state.engine.version}, WebAssembly (${state.engine.kernels} kernels), in a background thread.` +
    (state.engine.dataApi ? '' : ' Data sets: not in this build yet.') +
    (impl.kind === 'student' ? ' Cells: your own, from exercises/ (npm run grade).' : '');
  updateVisibility();
  if (impl.kind === 'student' && impl.todoCount > 0)
    setStatus(`Your cells are not finished: ${impl.todoCount} TODOs (${impl.todos.join(', ')}). Cells you have finished train; run npm run grade for hints.`, 'error');
  else if (!errors.length) setStatus('Ready. Press Train, or try a “Break it” preset.');
  s2s.engineReady();
  if (view.page === 's2s' && !errors.length) s2s.status('Ready. Press “Train both”, or try the lengths 6, 12, 20.');
  await loadDataForTask({ auto: true });
  updateButtons();
  document.body.dataset.ready = '1';  // the tests wait for this
  if (view.autorun) {
    if (view.page === 's2s') s2s.train();
    else train();
  }
}

boot();

// For the end-to-end tests and curious students: a read-only look at the page's state.
globalThis.rnnlab = { get state() { return state; }, get s2s() { return s2s; } };
