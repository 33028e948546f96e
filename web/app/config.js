// config.js: the lab's configuration: its fields, their defaults (per task), how they live in the URL
// (so a link reproduces a set-up), and how they are read from and written to the form. Pure functions and
// plain objects; the page (setup.js, main.js) decides when to call them.
//
// The URL holds only the fields that differ from the task's defaults, so links stay short; reading a URL
// starts from the same defaults, so a link round-trips exactly.
//
// The cells and the numeric limits (of the model, its training and its data sets) are the core's, not
// this file's: its cell table and its limits, which the wrapper reads from the module (lab.cells,
// lab.limits). The page hands them to useCore() when its Worker's module is up, before it reads a link or
// the form; a field with `limit` takes its range from the core's limit of that name, so one limit has one
// range everywhere.

export const TASKS = ['adding', 'copy', 'sine', 'imdb', 'imdbfile', 'imdbfull', 'temp', 'csv'];
// The sequence-to-sequence view's tasks (its own settings, S2S_FIELDS): a link with one of them opens that view.
export const S2S_TASKS = ['reverse', 'dates'];
export const SYNTHETIC = ['adding', 'copy', 'sine'];
export const TEXT_TASKS = ['imdb', 'imdbfile', 'imdbfull'];
export const SERIES_TASKS = ['temp', 'csv'];
// Tasks with an output at every step: their head reads every state, so it has no pool.
export const PER_STEP_TASKS = ['sine'];
// The lab's fourth model choice, beside the core's cells: a Transformer encoder (rnnlab_transformer.h).
export const TRANSFORMER = 'transformer';

// type: int | num | bool | enum | str. `group` names the form section (and the embed mode's hide list).
// `limit`: the core's limit that gives the field's min and max (useCore); `cells`: the core's cell names
// (`transformer`: and after them the Transformer encoder, the lab's fourth model choice).
// The fields with their own min and max have no core limit: the IMDB subset's split sizes (its archive has
// 25000 reviews a side) and the seed.
export const FIELDS = {
  task: { type: 'enum', values: TASKS, def: 'adding', group: 'data' },
  len: { type: 'int', limit: 'length', def: 50, group: 'data', label: 'Sequence length' },
  data: { type: 'str', def: '', group: 'data', label: 'Data URL' },
  train: { type: 'int', min: 2, max: 25000, def: 2000, group: 'data', label: 'Training reviews' },
  val: { type: 'int', min: 0, max: 24000, def: 500, group: 'data', label: 'Validation reviews' },
  test: { type: 'int', min: 0, max: 25000, def: 2000, group: 'data', label: 'Test reviews' },
  vocab: { type: 'int', limit: 'vocab_words', def: 10000, group: 'data', label: 'Vocabulary' },
  maxLen: { type: 'int', limit: 'max_len', def: 200, group: 'data', label: 'Maximum length' },
  keepEnd: { type: 'bool', def: true, group: 'data' },
  // Validation of whole movies, none of them in training (the archive's urls files name each review's movie),
  // so that validation figures stand in for the test set's, whose movies are apart from the training half's.
  valByMovie: { type: 'bool', def: false, group: 'data' },
  window: { type: 'int', limit: 'window', def: 30, group: 'data', label: 'Window' },
  horizon: { type: 'int', limit: 'horizon', def: 1, group: 'data', label: 'Horizon' },
  cell: { type: 'enum', cells: true, transformer: true, values: [], def: 'lstm', group: 'model' },
  layers: { type: 'int', limit: 'layers', def: 1, group: 'model', label: 'Layers' },
  bi: { type: 'bool', def: false, group: 'model' },
  emb: { type: 'int', limit: 'embed', def: 32, group: 'model', label: 'Embedding size' },  // not 'embed': that is the embed mode
  hidden: { type: 'int', limit: 'hidden', def: 32, group: 'model', label: 'Hidden size' },
  fb: { type: 'num', limit: 'forget_bias', def: 1, group: 'model', label: 'Forget-gate bias' },
  dropout: { type: 'num', limit: 'dropout', def: 0, group: 'model', label: 'Dropout' },
  // What the head reads (the core's: lab.names.pools): the last state, or the mean or max of all states.
  pool: { type: 'enum', pools: true, values: [], def: 'last', group: 'model' },
  // The Transformer's own (its d_model is `hidden`, its layers `layers`): heads, feed-forward width, positions.
  heads: { type: 'int', limit: 'heads', def: 4, group: 'model', label: 'Heads' },
  ffn: { type: 'int', limit: 'ffn', def: 64, group: 'model', label: 'Feed-forward width' },
  pos: { type: 'enum', positions: true, values: [], def: 'sinusoidal', group: 'model' },
  seed: { type: 'int', min: 0, max: 2 ** 31 - 1, def: 1, group: 'model', label: 'Seed' },
  opt: { type: 'enum', values: ['adam', 'momentum', 'sgd'], def: 'adam', group: 'optimizer' },
  lr: { type: 'num', limit: 'lr', def: 0.01, group: 'optimizer', label: 'Learning rate' },
  clip: { type: 'bool', def: true, group: 'optimizer' },
  clipAt: { type: 'num', limit: 'clip', def: 1, group: 'optimizer', label: 'Clipping threshold' },
  // The learning-rate schedule (the core's: lab.names.schedules) and its linear warm-up, in steps.
  sched: { type: 'enum', schedules: true, values: [], def: 'none', group: 'optimizer' },
  warmup: { type: 'int', limit: 'warmup', def: 0, group: 'optimizer', label: 'Warm-up steps' },
  batch: { type: 'int', limit: 'batch', def: 32, group: 'training', label: 'Batch size' },
  steps: { type: 'int', limit: 'steps', def: 1000, group: 'training', label: 'Steps' },
  epochs: { type: 'int', limit: 'epochs', def: 3, group: 'training', label: 'Epochs' },
  bptt: { type: 'int', limit: 'bptt', def: 0, group: 'training', label: 'BPTT window' },
  // Data runs: keep the epoch with the best validation figures, and stop after `patience` epochs without one.
  keepBest: { type: 'bool', def: false, group: 'training' },
  patience: { type: 'int', limit: 'patience', def: 0, group: 'training', label: 'Patience' },
};

// Defaults that differ by task: each starts from a set-up that learns in a minute or two in a page.
// The default Data URLs come from ../site.js (the repository's or a built site's own).
import { DATA } from '../site.js';
export const TASK_DEFAULTS = {
  adding: { len: 50, lr: 0.01, hidden: 32, steps: 1000 },
  copy: { len: 20, emb: 8, lr: 0.01, hidden: 32, steps: 500 },
  sine: { len: 50, lr: 0.01, hidden: 32, steps: 500 },
  imdb: { data: DATA.imdb, cell: 'gru', emb: 32, hidden: 64, lr: 0.003, epochs: 3 },
  imdbfile: { cell: 'gru', emb: 32, hidden: 64, lr: 0.003, epochs: 3 },
  // The whole data set: all 25,000 training reviews (a tenth kept for validation, whole movies) and the 25,000
  // official test reviews, the 5,000 most frequent words and the last 400, with docs/imdb.md's recipe; validation
  // holds whole movies, as the test set's movies are not the training ones.
  imdbfull: { train: 22500, val: 2500, test: 25000, vocab: 5000, maxLen: 400, keepEnd: true, valByMovie: true, cell: 'gru', emb: 64, hidden: 128, lr: 0.003,
    epochs: 3, dropout: 0.4, sched: 'cosine', warmup: 200, keepBest: true },
  temp: { data: DATA.temp, hidden: 32, lr: 0.003, epochs: 10, batch: 32 },
  csv: { hidden: 32, lr: 0.003, epochs: 10, batch: 32 },
};

export function defaults(task = FIELDS.task.def) {
  const d = {};
  for (const [k, f] of Object.entries(FIELDS)) d[k] = f.def;
  return { ...d, ...(TASK_DEFAULTS[task] ?? {}), task };
}

// --- The sequence-to-sequence view --------------------------------------------------------------------------
//
// Its settings share the lab's key names where they mean the same (task, len, cell, hidden, emb, bi, seed,
// lr, batch, steps), so `?task=reverse&len=20&cell=lstm` reads as the lab's links do; `attn` is its own, and
// `input` the text decoded under the heatmap. Both models of the view (without and with attention) are made
// from these settings. `len` is the reversal task's own range (its inputs are at most 40 letters).
export const S2S_FIELDS = {
  task: { type: 'enum', values: S2S_TASKS, def: 'reverse', group: 'data' },
  len: { type: 'int', min: 2, max: 40, def: 12, group: 'data', label: 'Sequence length' },
  cell: { type: 'enum', cells: true, values: [], def: 'gru', group: 'model' },
  hidden: { type: 'int', limit: 'hidden', def: 32, group: 'model', label: 'Hidden size' },
  emb: { type: 'int', limit: 'embed', def: 16, group: 'model', label: 'Embedding size' },
  bi: { type: 'bool', def: false, group: 'model' },
  attn: { type: 'enum', values: ['dot', 'additive'], def: 'dot', group: 'model' },
  seed: { type: 'int', min: 0, max: 2 ** 31 - 1, def: 1, group: 'model', label: 'Seed' },
  lr: { type: 'num', limit: 'lr', def: 0.005, group: 'training', label: 'Learning rate' },
  batch: { type: 'int', limit: 'batch', def: 32, group: 'training', label: 'Batch size' },
  steps: { type: 'int', limit: 'steps', def: 800, group: 'training', label: 'Steps' },
  input: { type: 'str', def: '', group: 'attention', label: 'Input' },
};

// Dates need the encoder to read the whole date before the first digit of the year: a bidirectional one.
export const S2S_TASK_DEFAULTS = { reverse: {}, dates: { bi: true } };

export function s2sDefaults(task = S2S_FIELDS.task.def) {
  const d = {};
  for (const [k, f] of Object.entries(S2S_FIELDS)) d[k] = f.def;
  return { ...d, ...(S2S_TASK_DEFAULTS[task] ?? {}), task };
}

/**
 * Takes the cell names and the numeric limits from the core: `cells` as lab.cells ([{ name, ... }], in the
 * core's order), `limits` as lab.limits ({ hidden: { min, max }, ... }). Call it once the Worker's module is
 * up, before any other function here reads a field (they throw until then: there is no second copy).
 */
export function useCore({ cells, limits, names }) {
  for (const fields of [FIELDS, S2S_FIELDS]) {
    for (const [k, f] of Object.entries(fields)) {
      if (f.cells) f.values = [...cells.map((c) => c.name), ...(f.transformer ? [TRANSFORMER] : [])];
      if (f.schedules) f.values = [...names.schedules];
      if (f.positions) f.values = [...names.positions];  // the core's: lab.transformerNames.positions
      if (f.pools) f.values = [...names.pools];
      if (!f.limit) continue;
      const l = limits[f.limit];
      if (!l) throw new Error(`config.js: the core has no limit '${f.limit}' (for the field ${k})`);
      f.min = l.min;
      f.max = l.max;
    }
  }
}

const needCore = (key, f) => {
  if (((f.cells || f.schedules || f.positions || f.pools) && !f.values.length) || (f.limit && f.min === undefined))
    throw new Error(`config.js: ${key} comes from the core: call useCore() with the module's cells and limits first`);
};

// The two schemes a URL can hold: the lab's (FIELDS) and the sequence-to-sequence view's.
export const LAB = { fields: FIELDS, defaults, tasks: TASKS };
export const S2S = { fields: S2S_FIELDS, defaults: s2sDefaults, tasks: S2S_TASKS };

// Parses one value of a field of `fields` (FIELDS or S2S_FIELDS); returns { value } or { error }.
export function parseField(key, raw, fields = FIELDS) {
  const f = fields[key];
  needCore(key, f);
  const s = String(raw).trim();
  if (f.type === 'bool') {
    if (['1', 'true', 'on', 'yes'].includes(s)) return { value: true };
    if (['0', 'false', 'off', 'no'].includes(s)) return { value: false };
    return { error: `${key} must be 1 or 0, not '${s}'` };
  }
  if (f.type === 'enum') {
    if (f.values.includes(s)) return { value: s };
    return { error: `${key} must be one of ${f.values.join(', ')}, not '${s}'` };
  }
  if (f.type === 'str') return { value: s };
  const label = f.label ?? key;
  if (s === '') return { error: `${label} is empty` };
  const x = Number(s);
  if (!Number.isFinite(x)) return { error: `${label} must be a number, not '${s}'` };
  if (f.type === 'int' && !Number.isInteger(x)) return { error: `${label} must be a whole number, not ${s}` };
  if (x < f.min || x > f.max) return { error: `${label} is ${s}; it must be between ${f.min} and ${f.max}` };
  return { value: x };
}

const encode = (f, v) => (f.type === 'bool' ? (v ? '1' : '0') : String(v));

// The URL query for a configuration of `scheme` (LAB or S2S): the task, then the fields that differ from its
// defaults.
export function toQuery(cfg, extra = {}, scheme = LAB) {
  const d = scheme.defaults(cfg.task);
  const q = new URLSearchParams();
  q.set('task', cfg.task);
  for (const [k, f] of Object.entries(scheme.fields)) {
    if (k === 'task') continue;
    if (cfg[k] !== undefined && encode(f, cfg[k]) !== encode(f, d[k])) q.set(k, encode(f, cfg[k]));
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  return q.toString();
}

// A configuration from a URL query: { cfg, s2s, errors, view } where view holds the page's own parameters
// (page, embed, hide, theme). `task=reverse` or `task=dates` (or `view=seq2seq`) opens the sequence-to-
// sequence view and sets `s2s` from the link, `cfg` from the lab's defaults; any other task, the lab, and
// `s2s` from its defaults. A bad value is reported and replaced by the default, never half-applied.
export function fromQuery(search) {
  const q = new URLSearchParams(search);
  const errors = [];
  const rawTask = q.get('task')?.trim();
  const view = viewFromQuery(search);
  const page = view.page;
  const scheme = page === 's2s' ? S2S : LAB;
  let task = scheme.fields.task.def;
  if (q.has('task')) {
    const r = parseField('task', rawTask, scheme.fields);
    if (r.error) errors.push(`task must be one of ${[...TASKS, ...S2S_TASKS].join(', ')}, not '${rawTask}'`);
    else task = r.value;
  }
  const cfg = scheme.defaults(task);
  for (const [k, raw] of q) {
    if (k === 'task' || !(k in scheme.fields)) continue;
    const r = parseField(k, raw, scheme.fields);
    if (r.error) errors.push(`${r.error} (from the link; using ${encode(scheme.fields[k], cfg[k])})`);
    else cfg[k] = r.value;
  }
  return page === 's2s' ? { cfg: defaults(), s2s: cfg, errors, view } : { cfg, s2s: s2sDefaults(), errors, view };
}

// The page's own parameters of a URL query (they need nothing from the core, so the page can apply the
// theme and the embed mode before its module is up): { page, embed, hide, theme, autorun }.
export function viewFromQuery(search) {
  const q = new URLSearchParams(search);
  const rawTask = q.get('task')?.trim();
  return {
    page: S2S_TASKS.includes(rawTask) || (!q.has('task') && q.get('view') === 'seq2seq') ? 's2s' : 'lab',
    embed: q.get('embed') === '1' || q.get('embed') === 'true',
    hide: (q.get('hide') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    theme: ['light', 'dark'].includes(q.get('theme')) ? q.get('theme') : null,
    autorun: q.get('autorun') === '1',
  };
}

// --- The form ------------------------------------------------------------------------------------------

// The ranges the core gives (useCore) on the form's number inputs, so the browser's own checks and the
// spin buttons stop where the core does.
export function writeLimits(form, fields = FIELDS) {
  for (const [k, f] of Object.entries(fields)) {
    const el = form.elements.namedItem(k);
    if (!f.limit || !el || el.type !== 'number') continue;
    needCore(k, f);
    el.min = String(f.min);
    el.max = String(f.max);
  }
}

export function writeForm(form, cfg, fields = FIELDS) {
  for (const [k, f] of Object.entries(fields)) {
    const el = form.elements.namedItem(k);
    if (!el || cfg[k] === undefined) continue;
    if (f.type === 'bool') el.checked = Boolean(cfg[k]);
    else if (el instanceof RadioNodeList) el.value = String(cfg[k]);
    else el.value = String(cfg[k]);
    el.removeAttribute?.('aria-invalid');
  }
}

// Reads the form: { cfg, errors: [{ key, message }] }; a field in error keeps its last good value.
export function readForm(form, last, fields = FIELDS) {
  const cfg = { ...last }, errors = [];
  for (const [k, f] of Object.entries(fields)) {
    const el = form.elements.namedItem(k);
    if (!el) continue;
    const raw = f.type === 'bool' ? (el.checked ? '1' : '0') : el.value;
    const r = parseField(k, raw, fields);
    if (el.setAttribute) {
      if (r.error) el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
    }
    if (r.error) errors.push({ key: k, message: r.error });
    else cfg[k] = r.value;
  }
  return { cfg, errors };
}

// A short name of a configuration, for legends and the comparison table.
export function runLabel(cfg) {
  if (cfg.cell === TRANSFORMER) return transformerLabel(cfg);
  const cell = cfg.cell.toUpperCase();
  const shape = `${cfg.layers > 1 ? `${cfg.layers}×` : ''}${cfg.hidden}${cfg.bi ? ' bi' : ''}`;
  const clip = (cfg.clip ? `clip ${cfg.clipAt}` : 'no clip') + (cfg.sched && cfg.sched !== 'none' ? `, ${cfg.sched}` : '') +
    (cfg.dropout > 0 ? `, dropout ${cfg.dropout}` : '') + (cfg.pool && cfg.pool !== 'last' && !PER_STEP_TASKS.includes(cfg.task) ? `, ${cfg.pool} pool` : '');
  const data = SYNTHETIC.includes(cfg.task) ? `${cfg.task} T=${cfg.len}` : { imdb: 'IMDB', imdbfile: 'IMDB', imdbfull: 'IMDB 25k', temp: 'temperatures', csv: 'CSV' }[cfg.task];
  return `${cell} ${shape}, ${cfg.opt} ${cfg.lr}, ${clip}, ${data}`;
}

// A Transformer's: "Transformer 2×32, 4 heads, ffn 64[, no positions], adam 0.003, ... , copy T=20".
function transformerLabel(cfg) {
  const shape = `${cfg.layers > 1 ? `${cfg.layers}×` : ''}${cfg.hidden}, ${cfg.heads} head${cfg.heads > 1 ? 's' : ''}, ffn ${cfg.ffn}` +
    (cfg.pos === 'none' ? ', no positions' : '');
  const clip = (cfg.clip ? `clip ${cfg.clipAt}` : 'no clip') + (cfg.sched && cfg.sched !== 'none' ? `, ${cfg.sched}` : '');
  const data = SYNTHETIC.includes(cfg.task) ? `${cfg.task} T=${cfg.len}` : { imdb: 'IMDB', imdbfile: 'IMDB', imdbfull: 'IMDB 25k', temp: 'temperatures', csv: 'CSV' }[cfg.task];
  return `Transformer ${shape}, ${cfg.opt} ${cfg.lr}, ${clip}, ${data}`;
}
