// config.js: the lab's configuration: its fields, their defaults (per task), how they live in the URL
// (so a link reproduces a set-up), and how they are read from and written to the form. Pure functions and
// plain objects; the page (main.js) decides when to call them.
//
// The URL holds only the fields that differ from the task's defaults, so links stay short; reading a URL
// starts from the same defaults, so a link round-trips exactly.

export const TASKS = ['adding', 'copy', 'sine', 'imdb', 'imdbfile', 'temp', 'csv'];
export const SYNTHETIC = ['adding', 'copy', 'sine'];
export const TEXT_TASKS = ['imdb', 'imdbfile'];
export const SERIES_TASKS = ['temp', 'csv'];

// type: int | num | bool | enum | str. `group` names the form section (and the embed mode's hide list).
export const FIELDS = {
  task: { type: 'enum', values: TASKS, def: 'adding', group: 'data' },
  len: { type: 'int', min: 2, max: 1000, def: 50, group: 'data', label: 'Sequence length' },
  data: { type: 'str', def: '', group: 'data', label: 'Data URL' },
  train: { type: 'int', min: 2, max: 25000, def: 2000, group: 'data', label: 'Training reviews' },
  val: { type: 'int', min: 0, max: 24000, def: 500, group: 'data', label: 'Validation reviews' },
  test: { type: 'int', min: 0, max: 25000, def: 2000, group: 'data', label: 'Test reviews' },
  vocab: { type: 'int', min: 10, max: 100000, def: 10000, group: 'data', label: 'Vocabulary' },
  maxLen: { type: 'int', min: 1, max: 5000, def: 200, group: 'data', label: 'Maximum length' },
  keepEnd: { type: 'bool', def: true, group: 'data' },
  window: { type: 'int', min: 2, max: 1000, def: 30, group: 'data', label: 'Window' },
  horizon: { type: 'int', min: 1, max: 100, def: 1, group: 'data', label: 'Horizon' },
  cell: { type: 'enum', values: ['rnn', 'lstm', 'gru'], def: 'lstm', group: 'model' },
  layers: { type: 'int', min: 1, max: 8, def: 1, group: 'model', label: 'Layers' },
  bi: { type: 'bool', def: false, group: 'model' },
  emb: { type: 'int', min: 1, max: 100000, def: 32, group: 'model', label: 'Embedding size' },  // not 'embed': that is the embed mode
  hidden: { type: 'int', min: 1, max: 10000000, def: 32, group: 'model', label: 'Hidden size' },
  fb: { type: 'num', min: -99, max: 99, def: 1, group: 'model', label: 'Forget-gate bias' },
  seed: { type: 'int', min: 0, max: 2 ** 31 - 1, def: 1, group: 'model', label: 'Seed' },
  opt: { type: 'enum', values: ['adam', 'momentum', 'sgd'], def: 'adam', group: 'optimizer' },
  lr: { type: 'num', min: 1e-7, max: 100, def: 0.01, group: 'optimizer', label: 'Learning rate' },
  clip: { type: 'bool', def: true, group: 'optimizer' },
  clipAt: { type: 'num', min: 1e-6, max: 1e8, def: 1, group: 'optimizer', label: 'Clipping threshold' },
  batch: { type: 'int', min: 1, max: 4096, def: 32, group: 'training', label: 'Batch size' },
  steps: { type: 'int', min: 1, max: 1000000, def: 1000, group: 'training', label: 'Steps' },
  epochs: { type: 'int', min: 1, max: 1000, def: 3, group: 'training', label: 'Epochs' },
  bptt: { type: 'int', min: 0, max: 100000, def: 0, group: 'training', label: 'BPTT window' },
};

// Defaults that differ by task: each starts from a set-up that learns in a minute or two in a page.
export const TASK_DEFAULTS = {
  adding: { len: 50, lr: 0.01, hidden: 32, steps: 1000 },
  copy: { len: 20, emb: 8, lr: 0.01, hidden: 32, steps: 500 },
  sine: { len: 50, lr: 0.01, hidden: 32, steps: 500 },
  imdb: { data: '../data/imdb-2000.rnld', cell: 'gru', emb: 32, hidden: 64, lr: 0.003, epochs: 3 },
  imdbfile: { cell: 'gru', emb: 32, hidden: 64, lr: 0.003, epochs: 3 },
  temp: { data: '../data/daily-min-temperatures.csv', hidden: 32, lr: 0.003, epochs: 10, batch: 32 },
  csv: { hidden: 32, lr: 0.003, epochs: 10, batch: 32 },
};

// Fields of the model's architecture and data: changing one needs a new model; others (optimizer,
// training) apply to the next run of the same model.
export const ARCH_FIELDS = ['task', 'data', 'train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'window', 'horizon',
  'cell', 'layers', 'bi', 'emb', 'hidden', 'fb', 'seed'];
export const DATA_FIELDS = ['task', 'data', 'train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'window', 'horizon'];

export function defaults(task = FIELDS.task.def) {
  const d = {};
  for (const [k, f] of Object.entries(FIELDS)) d[k] = f.def;
  return { ...d, ...(TASK_DEFAULTS[task] ?? {}), task };
}

// Parses one value; returns { value } or { error }.
export function parseField(key, raw) {
  const f = FIELDS[key];
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

// The URL query for a configuration: the task, then the fields that differ from its defaults.
export function toQuery(cfg, extra = {}) {
  const d = defaults(cfg.task);
  const q = new URLSearchParams();
  q.set('task', cfg.task);
  for (const [k, f] of Object.entries(FIELDS)) {
    if (k === 'task') continue;
    if (cfg[k] !== undefined && encode(f, cfg[k]) !== encode(f, d[k])) q.set(k, encode(f, cfg[k]));
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  return q.toString();
}

// A configuration from a URL query: { cfg, errors, view } where view holds the page's own parameters
// (embed, hide, theme). A bad value is reported and replaced by the default, never half-applied.
export function fromQuery(search) {
  const q = new URLSearchParams(search);
  const errors = [];
  let task = FIELDS.task.def;
  if (q.has('task')) {
    const r = parseField('task', q.get('task'));
    if (r.error) errors.push(r.error);
    else task = r.value;
  }
  const cfg = defaults(task);
  for (const [k, raw] of q) {
    if (k === 'task' || !(k in FIELDS)) continue;
    const r = parseField(k, raw);
    if (r.error) errors.push(`${r.error} (from the link; using ${encode(FIELDS[k], cfg[k])})`);
    else cfg[k] = r.value;
  }
  const view = {
    embed: q.get('embed') === '1' || q.get('embed') === 'true',
    hide: (q.get('hide') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    theme: ['light', 'dark'].includes(q.get('theme')) ? q.get('theme') : null,
    autorun: q.get('autorun') === '1',
  };
  return { cfg, errors, view };
}

// --- The form ------------------------------------------------------------------------------------------

export function writeForm(form, cfg) {
  for (const [k, f] of Object.entries(FIELDS)) {
    const el = form.elements.namedItem(k);
    if (!el || cfg[k] === undefined) continue;
    if (f.type === 'bool') el.checked = Boolean(cfg[k]);
    else if (el instanceof RadioNodeList) el.value = String(cfg[k]);
    else el.value = String(cfg[k]);
    el.removeAttribute?.('aria-invalid');
  }
}

// Reads the form: { cfg, errors: [{ key, message }] }; a field in error keeps its last good value.
export function readForm(form, last) {
  const cfg = { ...last }, errors = [];
  for (const [k, f] of Object.entries(FIELDS)) {
    const el = form.elements.namedItem(k);
    if (!el) continue;
    const raw = f.type === 'bool' ? (el.checked ? '1' : '0') : el.value;
    const r = parseField(k, raw);
    if (el.setAttribute) {
      if (r.error) el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
    }
    if (r.error) errors.push({ key: k, message: r.error });
    else cfg[k] = r.value;
  }
  return { cfg, errors };
}

export const archKey = (cfg) => ARCH_FIELDS.map((k) => `${k}=${cfg[k]}`).join('&');
export const dataKey = (cfg) => {
  // Only the fields that matter for this task's data.
  const keys = SYNTHETIC.includes(cfg.task) ? ['task'] : TEXT_TASKS.includes(cfg.task)
    ? (cfg.task === 'imdb' ? ['task', 'data'] : ['task', 'train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd'])
    : ['task', 'data', 'window', 'horizon'];
  return keys.map((k) => `${k}=${cfg[k]}`).join('&');
};

// A short name of a configuration, for legends and the comparison table.
export function runLabel(cfg) {
  const cell = cfg.cell.toUpperCase();
  const shape = `${cfg.layers > 1 ? `${cfg.layers}×` : ''}${cfg.hidden}${cfg.bi ? ' bi' : ''}`;
  const clip = cfg.clip ? `clip ${cfg.clipAt}` : 'no clip';
  const data = SYNTHETIC.includes(cfg.task) ? `${cfg.task} T=${cfg.len}` : { imdb: 'IMDB', imdbfile: 'IMDB', temp: 'temperatures', csv: 'CSV' }[cfg.task];
  return `${cell} ${shape}, ${cfg.opt} ${cfg.lr}, ${clip}, ${data}`;
}
