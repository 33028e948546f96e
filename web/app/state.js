// state.js: what every part of the lab page shares. One state object (`state`), the Worker client that
// every part sends its requests through, the page's status lines, and the keys derived from the state that
// decide whether data or a model can be kept. Nothing here draws a chart or handles an event: the parts
// (setup.js, data.js, runs.js, curves.js, inspect.js, tryit.js) import this module; main.js wires them.
//
// State: `state.cfg` is the last valid set-up (the URL mirrors it); `state.model` is the model the next
// Train continues (null: the next Train makes a new one); every model trained in this page has a run
// record in `state.runs`, which keeps its curves for the comparison and its checkpoint bytes, so that no
// stop, failure, bad file or bad setting loses a trained model.
import { WorkerClient } from './client.js';
import * as C from './config.js';

export const $ = (id) => document.getElementById(id);
export const form = $('config');

export const state = {
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

// ?impl=student loads the module built from the student's cells (exercises/README.md).
export const IMPL = new URLSearchParams(location.search).get('impl') === 'student' ? 'student' : 'reference';

// The Worker that runs the core (worker.js); main.js sets its event and restart handlers before any can fire.
export const client = new WorkerClient(new URL('./worker.js', import.meta.url), {});

// --- Messages ----------------------------------------------------------------------------------------

// A message as a sentence: no "Error: " prefix, a full stop at the end.
export const sentence = (m) => {
  const t = String(m).replace(/^Error: /, '').trim();
  return /[.!?)]$/.test(t) ? t : `${t}.`;
};

export function setStatus(text, level = '') {
  const el = $('status');
  el.textContent = text;
  el.className = `status-line ${level}`;
}

export function setDataStatus(text, level = '') {
  const el = $('data-status');
  el.textContent = text;
  el.className = `status-line ${level}`;
}

export function setDiagnosis(d) {
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

// The page's theme now: the student's choice, else the system's.
export function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set) return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// --- Keys: what the set-up needs -------------------------------------------------------------------------

// The key of the data the current set-up needs, or null if it needs a file not dropped yet.
export function wantedDataKey(cfg = state.cfg) {
  const t = cfg.task;
  if (C.SYNTHETIC.includes(t)) return `task:${t}`;
  if (t === 'imdb') return `url:${cfg.data}`;
  if (t === 'temp') return state.files.series?.forTask === 'temp' ? `file:${state.files.series.id}|w${cfg.window}|h${cfg.horizon}`
    : `url:${cfg.data}|w${cfg.window}|h${cfg.horizon}`;
  // The whole set: the dropped archive (or prepared file) if there is one, else the Data URL if given.
  if (t === 'imdbfull' && !state.files.text) return cfg.data.trim() ? `url:${cfg.data}` : null;
  if (t === 'imdbfile' || t === 'imdbfull') {
    const f = state.files.text;
    if (!f) return null;
    if (f.kind === 'archive') return `file:${f.id}|${cfg.train}|${cfg.val}|${cfg.test}|${cfg.vocab}|${cfg.maxLen}|${cfg.keepEnd}|${cfg.valByMovie}`;
    return `file:${f.id}`;
  }
  if (t === 'csv') {
    const f = state.files.series;
    if (!f) return null;
    return f.kind === 'rnld' ? `file:${f.id}` : `file:${f.id}|w${cfg.window}|h${cfg.horizon}`;
  }
  return null;
}

export const kindOf = (cfg) => (C.SYNTHETIC.includes(cfg.task) ? 'task' : C.TEXT_TASKS.includes(cfg.task) ? 'text' : 'series');

// A model's architecture and data: a model is continued only by a set-up with the same key.
export const archKey = (cfg) => {
  if (cfg.cell === C.TRANSFORMER) return [wantedDataKey(cfg), cfg.cell, cfg.layers, cfg.hidden, cfg.heads, cfg.ffn, cfg.pos, cfg.seed].join('|');
  const usesEmbed = cfg.task === 'copy' || C.TEXT_TASKS.includes(cfg.task);
  return [wantedDataKey(cfg), cfg.cell, cfg.layers, cfg.bi, cfg.hidden, usesEmbed ? cfg.emb : '', cfg.cell === 'lstm' ? cfg.fb : '', cfg.seed,
    cfg.dropout, C.PER_STEP_TASKS.includes(cfg.task) ? 'last' : cfg.pool].join('|');
};

// The shape of the model a set-up would make (the trace controls show its layers and gates before one exists).
export const modelConfigFromCfg = (cfg) => ({ cell: cfg.cell, layers: cfg.layers, bidirectional: cfg.bi, hidden: cfg.hidden });
