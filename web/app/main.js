// main.js: the lab page. It reads the set-up (form and URL), asks the Worker (worker.js) to load data,
// make models, train and look inside them, and draws what comes back: charts, the gate heatmap, word
// contributions, the comparison table. It computes nothing itself; the Worker runs the C core.
//
// This file wires the page's parts together and starts it; each part is a module of its own:
//   state.js    the one state object, the Worker client, status lines, the keys a set-up needs
//   setup.js    the form and the URL, task fields, buttons, embed mode, the two views (tabs; seq2seq.js)
//   curves.js   the loss, accuracy, gradient-norm and comparison charts
//   inspect.js  the gate heatmap, the ||dL/dh_t|| and the predicted-against-actual charts
//   attention.js a Transformer's self-attention: one head of one layer, query words x key words
//   tryit.js    "Try it": a typed review's prediction, word by word
//   wordmap.js  the word map: embeddings in 2-D, each word's own effect, neighbours of a searched word
//   readall.js  every run's reading of the typed review, word by word, side by side
//   stepcell.js "Step through one cell": a cell's equations with their numbers at one word, the gradient's paths
//   statepath.js "The state's path": h_t of the typed review in 2-D over a cloud of test reviews, two runs side by side
//   data.js     data sets: tasks, URLs, dropped files, the IMDB archive and its cached subset, CSVs
//   runs.js     models and runs: training, progress, presets, the comparison table, files out
//   lrcurve.js  the optimizer group's learning-rate curve (the core's schedule)
//   longrun.js  long data runs: the estimate, progress inside an epoch, checkpoints kept in IndexedDB, resume
//   runbar.js   the run bar of narrow screens (it presses the run panel's buttons)
//   threads.js  the thread control: how many cores training uses, and the path (replicas, shared memory)
//   embed.js    framed: the content's height to the course page; the embed code
// A module imports only those above it in this list (state.js none of them), so the graph has no cycles;
// the one call that goes up (a checkpoint among dropped files, opened as a model) is passed in by main.js.
import * as C from './config.js';
import { applyTheme } from './charts.js';
import { $, form, state, client, IMPL, setStatus, setDataStatus, currentTheme, wantedDataKey } from './state.js';
import { s2s, applyConfig, applyView, showPage, switchTask, updateButtons, updateUrl, updateVisibility, wireTabs, writeCellChoices }
  from './setup.js';
import { READY, ensureData, loadDataForTask, wireFiles } from './data.js';
import { loadModel, renderRuns, train, wireRuns, onProgress, onEval } from './runs.js';
import { offerResume, onEstimate, onEpochProgress, onEpochCheckpoint, wireLongRun } from './longrun.js';
import { initLrCurve, updateLrCurve } from './lrcurve.js';
import { charts, drawMain, initCurves } from './curves.js';
import { initInspect, wireInspect, themeChanged as inspectThemeChanged } from './inspect.js';
import { initAttention, wireAttention, attentionWhileTraining, themeChanged as attentionThemeChanged } from './attention.js';
import { updateCards, wireTry, themeChanged as tryThemeChanged } from './tryit.js';
import { initWordMap, wireWordMap, themeChanged as wordMapThemeChanged } from './wordmap.js';
import { wireReadAll, themeChanged as readAllThemeChanged } from './readall.js';
import { embedSnippet, reportHeight } from './embed.js';
import { initStepCell, wireStepCell, themeChanged as stepThemeChanged } from './stepcell.js';
import { initStatePath, wireStatePath, themeChanged as stateThemeChanged } from './statepath.js';
import { wireRunBar } from './runbar.js';
import { initThreads, threadsProgress, threadsFailed } from './threads.js';

// --- Theme -------------------------------------------------------------------------------------------

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
    inspectThemeChanged();
    attentionThemeChanged();
    tryThemeChanged();
    wordMapThemeChanged();
    readAllThemeChanged();
    s2s.themeChanged();
    stepThemeChanged();
    stateThemeChanged();
  }
}

// --- The form ------------------------------------------------------------------------------------------

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
    // A subset kept in this browser is of the task it was made for (imdbfile and imdbfull draw different ones).
    if (state.files.text?.fromCache) state.files.text = null;
    switchTask(cfg.task, prevTask);
    if (!state.model) drawMain();
    updateCards();
    loadDataForTask({ auto: true });
  } else {
    updateVisibility();
    updateUrl();
  }
  if (e?.target?.name && ['window', 'horizon', 'train', 'val', 'test', 'vocab', 'maxLen', 'keepEnd', 'valByMovie'].includes(e.target.name) && e.type === 'change') {
    if (state.files.text?.fromCache) state.files.text = null;  // another subset: look for it, or ask for the archive
    loadDataForTask({ auto: true });
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

client.onEvent = (event, data) => {
  if (event === 'progress') {
    onProgress(data);
    onEpochProgress(data);
    attentionWhileTraining();
    threadsProgress(data);
  } else if (event === 'threads') threadsFailed(data);
  else if (event === 'estimate') onEstimate(data);
  else if (event === 'epochCheckpoint') onEpochCheckpoint(data);
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
};
client.onDeath = onWorkerDeath;

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
  wireRuns();
  wireLongRun();
  document.addEventListener('rnnlab:changed', () => updateLrCurve());
  wireFiles(loadModel);
  wireInspect();
  wireAttention();
  wireTry();
  wireWordMap();
  wireReadAll();
  wireStepCell();
  wireStatePath();
  $('share').addEventListener('click', async () => {
    updateUrl();
    try {
      await navigator.clipboard.writeText(location.href);
      setStatus('Link copied: it opens the lab with this set-up.', 'ok');
    } catch {
      setStatus(`Copy this link: ${location.href}`);
    }
  });
  $('embed-code').addEventListener('click', copyEmbedCode);
  $('embed-close').addEventListener('click', () => $('embed-dialog').close());
  wireRunBar();
  window.addEventListener('beforeunload', (e) => {
    const unsaved = state.runs.some((r) => !r.saved && r.stepsTotal > 0 && r === state.model?.rec);
    if (unsaved || state.running) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
}

// The HTML that puts this lab, with this set-up, in a course page (embed.js): copied, or shown to copy
// by hand when the browser refuses (a frame without clipboard-write, an old browser).
async function copyEmbedCode() {
  updateUrl();
  const url = new URL(location.href);
  url.searchParams.set('embed', '1');
  url.hash = '';
  const code = embedSnippet(url.href);
  const button = $('embed-code');
  try {
    await navigator.clipboard.writeText(code);
    button.textContent = 'Copied ✓';
    setTimeout(() => (button.textContent = 'Copy embed code'), 2500);
    setStatus('Embed code copied: paste it into your course page\'s HTML. The lab opens with this set-up, as tall as its content.', 'ok');
  } catch {
    $('embed-text').value = code;
    $('embed-dialog').showModal();
    $('embed-text').select();
  }
}

async function boot() {
  reportHeight();  // framed in a course page: it sizes the frame to the lab (embed.js)
  // The theme and the embed mode at once: they need nothing from the core.
  const view = C.viewFromQuery(location.search);
  let theme = view.theme;
  if (!theme) {
    try {
      theme = localStorage.getItem('rnnlab-theme');
    } catch {}
  }
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  applyView(view);
  setTheme(currentTheme(), false);
  $('theme').addEventListener('click', () => setTheme(currentTheme() === 'dark' ? 'light' : 'dark', true));
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (!document.documentElement.dataset.theme) setTheme(currentTheme(), false);
  });
  // The rest waits for the Worker's module: the form's cells and ranges, and so the reading of a link, are
  // the core's (its cell table and limits, config.js useCore).
  try {
    state.engine = await client.call('init', { impl: IMPL });
    C.useCore(state.engine);
  } catch (e) {
    setStatus(`The lab could not start: ${e.message}`, 'error');
    return;
  }
  writeCellChoices(state.engine.cells);
  initThreads(state.engine);
  C.writeLimits(form);
  C.writeLimits($('s2s-config'), C.S2S_FIELDS);
  const { cfg, s2s: s2sCfg, errors } = C.fromQuery(location.search);
  applyConfig(cfg);
  try {
    initCurves();
    initLrCurve();
    initInspect();
    initAttention();
    initWordMap();
    s2s.init();
    initStepCell();
    initStatePath();
  } catch (e) {
    // Without Chart.js (vendor/chart.umd.js not there) the page cannot draw a run: it says so and starts no
    // further, with Train and the presets disabled, instead of failing on the first chart it touches.
    setStatus(e.message, 'error');
    for (const b of document.querySelectorAll('#train, [data-preset]')) b.disabled = true;
    return;
  }
  s2s.setConfig(s2sCfg);
  wireTabs();
  showPage(view.page);
  setTheme(currentTheme(), false);  // the charts made above, in the theme
  drawMain();
  wire();
  renderRuns();
  updateCards();
  if (errors.length) {
    const msg = `Some settings in the link were not understood: ${errors.join('; ')}.`;
    setStatus(msg, 'error');
    if (view.page === 's2s') s2s.status(msg, 'error');
  }
  const impl = state.engine.implementation;
  $('engine').textContent = `rnnlab ${state.engine.version}, WebAssembly (${state.engine.kernels} kernels), in a background thread.` +
    (impl.kind === 'student' ? ' Cells: your own, from exercises/ (npm run grade).' : '');
  updateVisibility();
  if (impl.kind === 'student' && impl.todoCount > 0)
    setStatus(`Your exercises are not finished: ${impl.todoCount} TODOs (${impl.todos.join(', ')}). Cells you have finished train` +
      `${impl.todos.includes('gradient clipping') ? ' (with Clip unticked, while gradient clipping is a TODO)' : ''}; run npm run grade for hints.`, 'error');
  else if (!errors.length) setStatus(READY);  // data.js replaces it by what is missing, if the data is
  s2s.engineReady();
  if (view.page === 's2s' && !errors.length) s2s.status('Ready. Press “Train both”, or try the lengths 6, 12, 20.');
  await loadDataForTask({ auto: true });
  updateButtons();
  if (!view.autorun && !view.embed) await offerResume();  // a run kept in this browser after an epoch
  document.body.dataset.ready = '1';  // the tests wait for this
  if (view.autorun) {
    if (view.page === 's2s') s2s.train();
    else train();
  }
}

boot();

// For the end-to-end tests and curious students: a read-only look at the page's state.
globalThis.rnnlab = { get state() { return state; }, get s2s() { return s2s; } };
