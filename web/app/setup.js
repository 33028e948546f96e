// setup.js: the lab's set-up as the student sees it. The form and the URL (both mirror state.cfg), which
// fields a task shows, what each button may do now, the embed mode's hidden groups, and the two views
// (tabs): recurrent networks and sequence to sequence (seq2seq.js, whose view object lives here because
// the URL and the buttons depend on it).
import * as C from './config.js';
import { Seq2SeqView } from './seq2seq.js';
import { $, form, state, client, archKey, IMPL } from './state.js';

// The sequence-to-sequence view; it shares the Worker with the lab, so only one of them trains at a time.
export const s2s = new Seq2SeqView({ client, onConfig: () => updateUrl(), busyElsewhere: () => state.running, onBusy: () => updateButtons() });

// --- Form <-> config <-> URL -----------------------------------------------------------------------------

const TASK_HINTS = {
  adding: 'Each step holds a random number and a marker; two steps are marked. The target is the sum of the two marked numbers. Always guessing 1 gets an MSE of 0.167.',
  copy: 'The first of the sequence’s symbols is one of 8; the network must name it at the end. Chance is 12.5%.',
  sine: 'A noisy sine wave of random frequency and phase: predict the next value at every step.',
  imdb: 'Movie reviews, positive or negative: a subset prepared by `npm run data` (an .rnld file), loaded by URL.',
  imdbfile: 'Drop the official archive aclImdb_v1.tar.gz (about 84 MB): it is read in a background thread of this page, and the subset is kept in this browser for your next visit. A prepared .rnld file or a CSV of text,label reviews works too.',
  imdbfull: 'The whole set: 25,000 training reviews (2,500 of other movies for validation), the 25,000 official test reviews, the 5,000 most frequent words, the last 400 of each review. Drop aclImdb_v1.tar.gz, or give the Data URL of a full file from `npm run data` (docs/imdb.md). An epoch takes minutes: the page estimates it, and keeps a checkpoint in this browser after each.',
  temp: 'Daily minimum temperatures in Melbourne, 1981–1990 (a CSV, by URL or dropped): from a window of past days, predict the next.',
  csv: 'Drop a CSV with a header and a numeric column: from a window of past values, predict the next.',
};

// The task choices of dropped files name the file they hold now: "Reviews, from my.csv", not "IMDB, from
// the archive you drop" once a CSV of reviews is the data.
export function labelFileTasks() {
  const text = state.files.text, series = state.files.series;
  const option = (value) => $('task').querySelector(`option[value="${value}"]`);
  option('imdbfile').textContent = !text ? 'IMDB, from the archive you drop'
    : text.fromCache ? 'IMDB, the subset kept in this browser'
      : text.kind === 'archive' ? `IMDB, from ${text.name}` : `Reviews, from ${text.name}`;
  option('csv').textContent = series && series.forTask !== 'temp' ? `Your own CSV series: ${series.name}` : 'Your own CSV series';
}

export function updateVisibility() {
  labelFileTasks();
  const cfg = state.cfg, task = cfg.task;
  for (const el of document.querySelectorAll('[data-tasks]')) el.hidden = !el.dataset.tasks.split(' ').includes(task);
  // A Transformer's tokens are embedded at its width (d_model): no embedding size, no cell settings.
  const transformer = cfg.cell === C.TRANSFORMER;
  const usesEmbed = !transformer && (task === 'copy' || C.TEXT_TASKS.includes(task));
  for (const el of document.querySelectorAll('[data-needs="embed"]')) el.hidden = !usesEmbed;
  for (const el of document.querySelectorAll('[data-needs="lstm"]')) el.hidden = cfg.cell !== 'lstm';
  for (const el of document.querySelectorAll('[data-needs="rnn"]')) el.hidden = transformer;
  for (const el of document.querySelectorAll('[data-needs="transformer"]')) el.hidden = !transformer;
  // A pool is what a sequence-to-one head reads: not a Transformer's setting, nor a per-step task's.
  for (const el of document.querySelectorAll('[data-needs="pool"]')) el.hidden = transformer || C.PER_STEP_TASKS.includes(task);
  form.elements.namedItem('clipAt').disabled = !cfg.clip || state.running;
  $('len-out').textContent = String(cfg.len);
  $('task-hint').textContent = TASK_HINTS[task];
  $('drop-text').textContent = task === 'imdb' || task === 'temp' ? 'Or drop the file here (anywhere on the page), or' : 'Drop a file here, anywhere on the page, or';
  updateButtons();
}

export function updateUrl() {
  const extra = {};
  if (state.view.embed) extra.embed = '1';
  if (state.view.hide.length) extra.hide = state.view.hide.join(',');
  if (IMPL === 'student') extra.impl = 'student';  // a reload or a copied link stays on the student's cells
  const q = state.page === 's2s' ? C.toQuery(s2s.cfg, extra, C.S2S) : C.toQuery(state.cfg, extra);
  history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
}

export function applyConfig(cfg) {
  state.cfg = { ...cfg };
  C.writeForm(form, state.cfg);
  updateVisibility();
  updateUrl();
}

// Switching task: the fields each task sets by default follow the new task (the rest stay).
export function switchTask(task, prev) {
  applyConfig(switchedConfig(task, prev));
}

// The set-up after a switch from task `prev` to `task`, without applying it (a loaded model adds its own).
export function switchedConfig(task, prev, cfg = state.cfg) {
  const next = { ...cfg, task };
  const d = C.defaults(task);
  for (const k of new Set([...Object.keys(C.TASK_DEFAULTS[prev] ?? {}), ...Object.keys(C.TASK_DEFAULTS[task] ?? {})])) next[k] = d[k];
  return next;
}

// The cell choices of both forms (the lab's and the seq2seq view's), from the core's cell table
// (lab.cells, through the Worker): one radio button per cell, in the table's order, named by its label;
// the lab's (data-transformer) then offers the Transformer encoder.
export function writeCellChoices(cells) {
  for (const group of document.querySelectorAll('[data-cells]')) {
    const choices = 'transformer' in group.dataset ? [...cells, { name: C.TRANSFORMER, label: 'Transformer' }] : cells;
    group.replaceChildren(...choices.map((c) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'cell';
      input.value = c.name;
      const name = document.createElement('span');
      name.textContent = c.label;
      label.append(input, ' ', name);
      return label;
    }));
  }
}

// --- Buttons ---------------------------------------------------------------------------------------------

export function updateButtons() {
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
  $('restore-best').disabled = running || !state.model?.rec?.best;
  $('restore-best').hidden = !state.model?.rec?.best && !state.cfg.keepBest;
  $('save-model').disabled = !state.model || (running && !state.paused);
  $('export-csv').disabled = !state.runs.some((r) => r.train.length);
  for (const fs of form.querySelectorAll('fieldset')) fs.disabled = running;
  for (const b of document.querySelectorAll('[data-preset]')) b.disabled = !ready || running || s2s.running;
  for (const b of document.querySelectorAll('[data-fix]')) b.disabled = !ready || running || s2s.running;
  $('load-model').disabled = running;
  $('data-load').disabled = running;
  form.elements.namedItem('clipAt').disabled = !state.cfg.clip || running;
  // The buttons follow every change of set-up, data, model or run: so does what listens for this event
  // (main.js: the learning-rate curve).
  document.dispatchEvent(new Event('rnnlab:changed'));
}

// --- Embedding ------------------------------------------------------------------------------------------------

const CONTROL_GROUPS = ['data', 'model', 'optimizer', 'training', 'presets', 'files'];

export function applyView(view) {
  state.view = view;
  document.body.classList.toggle('embed', view.embed);
  for (const el of document.querySelectorAll('[data-group]')) if (view.hide.includes(el.dataset.group)) el.dataset.hiddenByEmbed = '1';
  for (const el of document.querySelectorAll('[data-hidden-by-embed]')) el.hidden = true;
  const allHidden = CONTROL_GROUPS.every((g) => view.hide.includes(g));
  document.body.classList.toggle('no-controls', allHidden);
  if (allHidden) for (const el of document.querySelectorAll('.controls')) el.hidden = true;
}

// --- The two views: recurrent networks (the lab) and sequence to sequence (seq2seq.js) --------------------

const PAGES = { lab: { tab: 'tab-lab', panel: 'view-lab', skip: '#main', title: 'rnnlab: train RNNs, LSTMs and GRUs in your browser' },
  s2s: { tab: 'tab-s2s', panel: 'view-s2s', skip: '#s2s-results', title: 'rnnlab: sequence to sequence, with and without attention' } };

export function showPage(page) {
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

export function wireTabs() {
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
