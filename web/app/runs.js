// runs.js: models and their runs. Making a model from the set-up (or loading a checkpoint, or opening an
// earlier run's model again), training it in the Worker (worker.js train) and recording what comes back:
// every run keeps its curves, its test figures, its diagnosis and a copy of its checkpoint in a record
// of state.runs. Also the run buttons, the "Break it" presets (queues of runs), the comparison table, and
// the files a run gives: its checkpoint, the metrics CSV and the charts as PNG.
import * as C from './config.js';
import { stackPng, fmtNum, swatch, windowMean } from './charts.js';
import { download, toCsv } from './files.js';
import { diagnose, compareRuns, compareFix } from './diagnose.js';
import { SERIES } from './palette.js';
import { $, form, state, client, sentence, setStatus, setDataStatus, setDiagnosis, kindOf, archKey } from './state.js';
import { applyConfig, switchedConfig, updateButtons, updateUrl, s2s } from './setup.js';
import { ensureData, loadDataForTask, missingData } from './data.js';
import { clearMainCharts, drawMain, drawCompare, scheduleDraw } from './curves.js';
import { heatmap, refreshTrace, refreshPredictions, traceWhileTraining } from './inspect.js';
import { updateCards, updateTry } from './tryit.js';
import { refreshWordMap } from './wordmap.js';
import { updateReadAll } from './readall.js';

let nextRunId = 1;

// --- Models ----------------------------------------------------------------------------------------------

// batchSize and length: the core refuses a model that could not train at them in the WebAssembly memory,
// naming the memory it needs, before anything is allocated (a data set's length is its own).
function modelConfig(cfg) {
  return { cell: cfg.cell, hidden: cfg.hidden, layers: cfg.layers, bidirectional: cfg.bi, embed: cfg.emb, forgetBias: cfg.fb,
    seed: cfg.seed, batchSize: cfg.batch, length: kindOf(cfg) === 'task' ? cfg.len : undefined,
    dropout: cfg.dropout, pool: C.PER_STEP_TASKS.includes(cfg.task) ? 'last' : cfg.pool,  // (the pool field is hidden there)
    ...(cfg.cell === C.TRANSFORMER ? { heads: cfg.heads, ffn: cfg.ffn, positions: cfg.pos } : {}) };
}

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

// The set-up a checkpoint was trained with, when this page knows it: a run of this page whose checkpoint
// copy is these bytes, or a checkpoint saved from this browser (localStorage, by fingerprint). The file
// itself holds the model's shape and optimizer, not the task's settings (a length, a batch size).
const SAVED_KEY = 'rnnlab-saved-runs';
const SAVED_MAX = 50;

function fingerprint(bytes) {
  let h = 0x811c9dc5;  // FNV-1a, 32 bits, with the length: enough to tell a student's few files apart
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return `${bytes.length}:${(h >>> 0).toString(16)}`;
}

const sameBytes = (a, b) => a && b && a.length === b.length && a.every((x, i) => x === b[i]);

function rememberSaved(bytes, cfg) {
  try {
    const fp = fingerprint(bytes);
    const list = JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]').filter((e) => e.fp !== fp);
    list.push({ fp, cfg });
    localStorage.setItem(SAVED_KEY, JSON.stringify(list.slice(-SAVED_MAX)));
  } catch {}
}

function knownSetup(bytes) {
  const run = [...state.runs].reverse().find((r) => sameBytes(r.snapshot, bytes));
  if (run) return run.cfg;
  try {
    const fp = fingerprint(bytes);
    return JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]').find((e) => e.fp === fp)?.cfg ?? null;
  } catch {
    return null;
  }
}

export async function loadModel(bytes, name) {
  const info = await client.call('loadCheckpoint', { bytes: bytes.slice().buffer });
  const c = info.config;
  const cur = state.cfg.task;
  const task = info.task ?? (info.kind === 'text' ? (C.TEXT_TASKS.includes(cur) ? cur : 'imdb') : (C.SERIES_TASKS.includes(cur) ? cur : 'temp'));
  // Another task: its defaults (its length, its Data URL, its learning rate), as a switch in the form gives;
  // then what the page knows of the run; then the model's own shape and optimizer.
  const next = task === cur ? { ...state.cfg } : switchedConfig(task, cur);
  const known = knownSetup(bytes);
  if (known?.task === task) Object.assign(next, known);
  if (c.cell === C.TRANSFORMER) Object.assign(next, { cell: c.cell, hidden: c.hidden, layers: c.layers, heads: c.heads, ffn: c.ffn, pos: c.positions });
  else Object.assign(next, { cell: c.cell, hidden: c.hidden, layers: c.layers, bi: c.bidirectional });
  if (c.vocab > 0 && c.cell !== C.TRANSFORMER) next.emb = c.embed;
  if (c.cell === 'lstm') next.fb = c.forgetBias;
  if (c.cell !== C.TRANSFORMER) Object.assign(next, { dropout: Number(c.dropout.toPrecision(7)), pool: c.pool });  // (a float in the checkpoint)
  const o = info.optimizer;
  if (o?.steps > 0 && C.FIELDS.opt.values.includes(o.kind)) {
    const f32 = (x) => Number(x.toPrecision(7));  // the checkpoint holds floats: 0.003, not 0.0030000000260770321
    Object.assign(next, { opt: o.kind, lr: f32(o.lr), clip: o.clip > 0 });
    if (o.clip > 0) next.clipAt = f32(o.clip);
  }
  applyConfig(next);
  const rec = newRecord(info, state.cfg, `${name} (loaded)`);
  rec.status = 'loaded';
  rec.snapshot = bytes;
  await showHistory(rec);
  state.model = { ...info, archKey: archKey(state.cfg), dataKey: info.task ? `task:${info.task}` : null, rec };
  rec.dataKey = state.model.dataKey;
  $('stat-params').textContent = info.numParams.toLocaleString('en');
  $('stat-step').textContent = String(info.optimizer?.steps ?? 0);
  const what = `Loaded ${name}: ${c.cell === C.TRANSFORMER ? `Transformer (${c.heads} heads)` : c.cell.toUpperCase()}, ${c.layers} layer${c.layers > 1 ? 's' : ''}, ${c.cell === C.TRANSFORMER ? 'width' : 'hidden'} ${c.hidden}, ` +
    `${info.numParams.toLocaleString('en')} parameters, ${info.optimizer?.steps ?? 0} steps trained.` +
    (rec.historySteps ? ` Its training history (${rec.historySteps} steps) is drawn from the file.` : ' The file holds no training history.');
  setStatus(what, 'ok');
  clearMainCharts();
  drawMain();
  renderRuns();
  await loadDataForTask({ auto: true });
  // "Train continues it" only when the data it needs is there; else what is missing.
  const missing = missingData();
  if (missing) setStatus(`${what} To continue it, the page needs its data. ${missing}`);
  else setStatus(`${what} Train continues it.`, 'ok');
  updateCards();
  updateButtons();
  refreshTrace();
  refreshPredictions();
  updateTry();
  refreshWordMap();
  updateReadAll();
}

// The training history a checkpoint carries (losses, accuracies, gradient norms per logged step, and the
// validation figures after each epoch; worker.js history): a loaded model's curves, labelled as from the
// file (curves.js), so that it shows where it came from. A file without one (saved before training, or by
// an older rnnlab) leaves the charts empty and says so.
async function showHistory(rec) {
  let h;
  try {
    h = await client.call('history', { modelId: rec.modelId });
  } catch {
    return;
  }
  rec.historySteps = h.step.length;
  if (!h.step.length) return;
  rec.fromFile = true;
  onProgress({ modelId: rec.modelId, seconds: 0, seqPerSec: 0,
    points: { step: h.step, loss: h.loss, gradNorm: h.gradNorm, clipped: h.step.map(() => 0), accuracy: h.accuracy.map((a) => a ?? NaN) } });
  h.step.forEach((x, i) => {
    if (h.valLoss[i] !== null) rec.val.push({ x, y: h.valLoss[i] });
    if (h.valAccuracy[i] !== null) rec.valAcc.push({ x, y: h.valAccuracy[i] });
  });
  rec.sets = null;
}

/**
 * A model loaded in the Worker from a checkpoint kept in this browser (longrun.js), made the current one with
 * its run's set-up and curves so far: the next Train (with epochsDone) continues that run.
 */
export function adoptModel(info, cfg, kept) {
  const rec = newRecord(info, cfg, kept.label);
  rec.status = 'stopped';
  rec.snapshot = kept.bytes;
  rec.seconds = kept.seconds ?? 0;
  rec.kept = kept.epoch;
  for (const k of ['ema', 'val', 'valAcc']) rec[k] = (kept.curves?.[k] ?? []).map((p) => ({ ...p }));
  rec.emaState = rec.ema.length ? rec.ema[rec.ema.length - 1].y : NaN;
  state.model = { ...info, archKey: archKey(cfg), dataKey: state.data.key, rec };
  rec.dataKey = state.data.key;
  showStats(rec);
  $('stat-epoch').textContent = `${kept.epoch}/${kept.epochs}`;
  clearMainCharts();
  drawMain();
  renderRuns();
  updateButtons();
  return rec;
}

// --- Training --------------------------------------------------------------------------------------------

// epochsDone: a data run resumed from its kept checkpoint (longrun.js) trains epochs epochsDone+1..epochs,
// with its schedule ending where it did (scheduleTotal) and keepBest going on from its best so far (resumeBest).
function trainOpts(cfg, epochsDone = 0, scheduleTotal = null, resumeBest = null) {
  return { optimizer: cfg.opt, lr: cfg.lr, clip: cfg.clip, clipAt: cfg.clipAt, batchSize: cfg.batch, steps: cfg.steps,
    epochs: cfg.epochs, length: cfg.len, bptt: cfg.bptt, seed: cfg.seed, epochsDone, schedule: cfg.sched, warmup: cfg.warmup,
    keepBest: kindOf(cfg) !== 'task' && cfg.keepBest, patience: cfg.patience, ...(scheduleTotal ? { scheduleTotal } : {}),
    ...(resumeBest ? { resumeBest } : {}) };
}

/**
 * One run: makes a model if the set-up needs a new one, trains it, records and diagnoses the result.
 * epochsDone: the epochs a resumed run (longrun.js) has behind it.
 */
export async function train({ epochsDone = 0, scheduleTotal = null, resumeBest = null } = {}) {
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
    $('progress').value = 0;
    $('epoch-line').hidden = $('estimate-line').hidden = true;  // longrun.js shows them once they come
    let res;
    try {
      res = await client.call('train', { modelId: m.modelId, opts: trainOpts(cfg, epochsDone, scheduleTotal, resumeBest) });
    } catch (e) {
      rec.status = rec.train.length ? 'stopped' : 'new';
      if (e.code === 'WORKER_DIED') return null;
      setStatus(`Training failed: ${sentence(e.message)}${todoHint(e, cfg)} The model is kept as it was.`, 'error');
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

// ?impl=student: the way round a TODO the set-up can avoid. Clipping is a setting: a student who has
// finished a cell but not exercise 7 trains it with Clip unticked.
export function todoHint(e, cfg) {
  if (e.code !== 'RNL_ERR_TODO' || !cfg.clip || !/clipping is still a TODO/.test(e.message)) return '';
  return ' To train your finished cells meanwhile, untick Clip (Optimizer).';
}

let runDescription = '';  // the run in progress, for the status line (Pause and Resume repeat it)

function finishRun(rec, res) {
  rec.status = res.status;
  rec.error = res.error;
  rec.test = res.test ?? null;
  rec.seconds += res.seconds;
  rec.seqs = (rec.seqs ?? 0) + (res.seqs ?? 0);
  rec.stepsTotal = res.stepsAfter;
  rec.memoryBytes = res.memoryBytes;
  rec.threads = res.threads;
  rec.threadPath = res.threadPath;
  if (res.best) rec.best = res.best;
  $('stat-memory').textContent = `${(res.memoryBytes / 1048576).toFixed(0)} MB`;
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
  const best = res.best ? ` Best epoch: ${res.best.epoch} (validation accuracy ${fmtNum(res.best.accuracy)}); “Restore best epoch” makes it the model.` : '';
  setStatus(`${how} after ${rec.stepsTotal} steps in ${res.seconds.toFixed(1)} s${res.stoppedEarly ? ` (stopped early: no better epoch in ${rec.cfg.patience})` : ''}` +
    `${fig ? `: ${fig}` : ''}.${best}` + (res.status === 'failed' ? ' The last good parameters are kept.' : ''), res.status === 'failed' ? 'error' : 'ok');
  drawMain();
  renderRuns();
  snapshot(rec);
  refreshTrace();
  refreshPredictions();
  updateTry();
  refreshWordMap();
  updateReadAll();
}

// A copy of the trained model's checkpoint, kept by the page: for Save, and to restore it if the Worker dies.
async function snapshot(rec) {
  try {
    const r = await client.call('saveCheckpoint', { modelId: rec.modelId });
    rec.snapshot = new Uint8Array(r.bytes);
  } catch {}
  updateButtons();
}

export function onProgress(d) {
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
  scheduleDraw(renderRuns);
  traceWhileTraining();
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

export function onEval(d) {
  const rec = state.runs.find((r) => r.modelId === d.modelId);
  if (!rec) return;
  if (d.best) rec.best = d.best;  // the best epoch so far (keepBest): marked on the curves
  const t = rec.seconds + (d.seconds ?? 0);  // seconds of training of this model when it was measured
  if (Number.isFinite(d.loss)) rec.val.push({ x: d.step, y: d.loss, t });
  if (d.accuracy !== null && d.accuracy !== undefined && Number.isFinite(d.accuracy)) rec.valAcc.push({ x: d.step, y: d.accuracy, t });
  scheduleDraw(renderRuns);
}

// The model of the best epoch back as the current model (keepBest): its parameters and optimizer, and its
// test figures; Save then gives that model, and Train continues from it.
export async function restoreBest() {
  const rec = state.model?.rec;
  if (!rec?.best || state.running) return;
  try {
    const r = await client.call('restoreBest', { modelId: rec.modelId });
    rec.test = r.test;
    rec.restored = r.best.epoch;
    state.model.optimizer = r.optimizer;
    rec.stepsTotal = r.optimizer?.steps ?? rec.stepsTotal;
    $('stat-step').textContent = String(rec.stepsTotal);
    rec.saved = false;
    const t = r.test;
    setStatus(`Restored the model of epoch ${r.best.epoch} (step ${r.best.step}, validation accuracy ${fmtNum(r.best.accuracy)}): ` +
      `test accuracy ${fmtNum(t.accuracy)}, test loss ${fmtNum(t.loss)}. Save gives this model; Train continues from it.`, 'ok');
    await snapshot(rec);
  } catch (e) {
    setStatus(`Could not restore the best epoch: ${sentence(e.message)}`, 'error');
  }
  renderRuns();
  updateButtons();
}

// --- Pause, stop, reset ---------------------------------------------------------------------------------

export async function pauseResume() {
  if (!state.running) return;
  if (state.paused) {
    await client.call('resume');
    state.paused = false;
    setStatus(`Training: ${runDescription} …`);
  } else {
    // Answered once the run has stopped (false: it ended first, and its result follows).
    if (!(await client.call('pause')) || !state.running) return;
    state.paused = true;
    setStatus(`Paused: ${runDescription}. Resume goes on from here; the gates and Save work meanwhile.`);
  }
  updateButtons();
}

export async function stop() {
  if (state.sequence) state.sequence.cancelled = true;
  await client.call('stop');
  state.paused = false;
}

export function reset() {
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
  refreshWordMap();
  updateReadAll();
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
  // Length 30: measured with the CLI (same seed and settings, 1000 steps), the vanilla RNN stays at
  // MSE 0.167 (always predicting 1) while the LSTM reaches 0.0003 and the GRU 0.0003; at length 10 all
  // three learn, so the preset sets its own length rather than take the page's.
  cells: {
    note: 'The three cells on the adding problem at length 30, with the same seed, batches and settings.',
    runs: () => ['rnn', 'lstm', 'gru'].map((cell) => ({ task: 'adding', len: 30, cell, layers: 1, bi: false, hidden: 32, opt: 'adam',
      lr: 0.01, clip: true, clipAt: 1, steps: 1000, batch: 32, seed: 1, bptt: 0 })),
  },
  // Order matters in the copy task (name the first symbol), and self-attention alone cannot see it: it mixes
  // the positions' vectors by their content. Measured with the CLI (this set-up, 600 steps, seed 1): without
  // positions test accuracy 0.255 (chance 0.125), with sinusoidal positions 1.000. The broken run first.
  positions: {
    note: 'The same Transformer on the copy task, without positions and then with sinusoidal positions: watch the accuracy, then the attention of each.',
    runs: () => ['none', 'sinusoidal'].map((pos) => ({ task: 'copy', len: 20, cell: C.TRANSFORMER, layers: 2, hidden: 32, heads: 4, ffn: 64, pos,
      opt: 'adam', lr: 0.005, clip: true, clipAt: 1, sched: 'none', warmup: 0, steps: 600, batch: 32, seed: 1 })),
  },
};

export async function runPreset(name) {
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
  if (done.length) presetBroken.set(name, done[0]);
  if (done.length > 1) {
    // The headline compares the runs (what the preset is about), or else is the last run's own diagnosis:
    // the run the status line reports, never an earlier one.
    const head = compareRuns(name === 'slow' || name === 'positions' ? name : 'cells', done) ?? done[done.length - 1].diagnosis;
    const fig = (r) => {
      const t = r.test;
      if (!t) return r.status;
      return t.accuracy !== null && t.accuracy !== undefined ? `accuracy ${fmtNum(t.accuracy)}` : `test loss ${fmtNum(t.loss)}`;
    };
    const summary = done.map((r) => `${r.label}: ${fig(r)}`).join(' · ');
    setDiagnosis({ level: head?.level ?? 'info', text: `${head ? `${head.text} ` : ''}Compared: ${summary}.` });
  }
}

// --- Fix it: each preset's broken run, trained again with its fix ---------------------------------------------

// The fix of each preset's first (broken) run: the one setting that changes. The rest of the set-up, the seed
// and so the batches stay, so the two curves differ by the fix alone.
const FIXES = {
  explode: { what: 'gradient clipping on, threshold 1', change: { clip: true, clipAt: 1 } },
  vanish: { what: 'an LSTM', change: { cell: 'lstm' } },
  slow: { what: 'Adam', change: { opt: 'adam' } },
  cells: { what: 'a GRU', change: { cell: 'gru' } },
  positions: { what: 'sinusoidal positions added to the inputs', change: { pos: 'sinusoidal' } },
};
const presetBroken = new Map();  // preset -> the record of its first run, this session

/**
 * Fix it: the preset's broken run (the one it trained last, or trained now if there is none in the table),
 * then the same set-up with the fix; both curves are shown in the comparison, and one line says what changed.
 */
export async function runFix(name) {
  if (state.running || s2s.running) return;
  const fix = FIXES[name];
  const brokenCfg = { ...C.defaults(PRESETS[name].runs()[0].task), ...PRESETS[name].runs()[0] };
  const runs = [];
  let broken = presetBroken.get(name);
  if (!broken || !state.runs.includes(broken) || !['done', 'failed'].includes(broken.status)) {
    broken = null;
    runs.push({ cfg: brokenCfg, role: 'broken' });
  }
  runs.push({ cfg: { ...brokenCfg, ...fix.change }, role: 'fixed' });
  state.sequence = { runs: runs.map((r) => r.cfg), index: 0, cancelled: false };
  let fixed = null;
  try {
    for (let i = 0; i < runs.length; i++) {
      state.sequence.index = i;
      const cfg = runs[i].cfg;
      if (cfg.task !== state.cfg.task) state.cfg = { ...state.cfg, task: cfg.task };
      applyConfig(cfg);
      state.model = null;
      setDiagnosis({ level: 'info', text: runs[i].role === 'broken' ? `First the broken run, then the fix: ${fix.what}.`
        : `The same run with ${fix.what}: same seed, same batches.` });
      const rec = await train();
      if (!rec) return;
      if (runs[i].role === 'broken') {
        broken = rec;
        presetBroken.set(name, rec);
      } else {
        fixed = rec;
      }
      if (state.sequence.cancelled || rec.status === 'stopped') return;
    }
  } finally {
    state.sequence = null;
  }
  fixed.label = `${fixed.label} (the fix)`;  // short: it is a legend entry too; the diagnosis names the fix
  // Both curves, alone in the comparison chart: the training loss (a run that became NaN has no held-out one).
  for (const r of state.runs) r.show = r === broken || r === fixed;
  for (const r of [broken, fixed]) r.cmpSets = null;
  $('cmp-metric').value = 'ema';
  renderRuns();
  const d = compareFix(name, fix.what, broken, fixed) ?? fixed.diagnosis;
  fixed.diagnosis = d;
  setDiagnosis(d);
  document.getElementById('cmp-h')?.closest('section').scrollIntoView({ block: 'nearest' });
}

// --- The comparison table ----------------------------------------------------------------------------------

// Rows are made once per run and their cells updated in place, so focus (a checkbox, a Save button) is
// never lost while a run updates the table.
const rows = new Map();

function makeRow(r) {
  const tr = document.createElement('tr');
  const cells = [];
  for (let i = 0; i < 13; i++) {
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
  cells[12].className = 'actions';
  cells[12].append(open, ' ', save);
  return { tr, cells, cb, name, save, open };
}

export function renderRuns() {
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
    // The threads of the run's last part and their path (worker.js reports both with the result).
    c[10].textContent = r.threads ? String(r.threads) : '–';
    c[10].title = r.threadPath ? { single: 'one thread', replicas: 'Worker replicas', shared: 'shared memory' }[r.threadPath] ?? r.threadPath : '';
    c[11].textContent = r.numParams ? r.numParams.toLocaleString('en') : '–';
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
  refreshWordMap();
  updateReadAll();
}

// --- Files out: checkpoints, CSV, PNG ----------------------------------------------------------------------

function fileStem(rec) {
  return `rnnlab-${rec.cfg.task}-${rec.cfg.cell}-h${rec.cfg.hidden}-step${rec.stepsTotal}`;
}

export async function saveRun(rec) {
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
  rememberSaved(bytes, rec.cfg);
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

// The run buttons, the presets, the comparison's controls and the files out.
export function wireRuns() {
  $('train').addEventListener('click', () => train());  // (not train(event): a click is no resume)
  $('pause').addEventListener('click', pauseResume);
  $('stop').addEventListener('click', stop);
  $('reset').addEventListener('click', reset);
  $('restore-best').addEventListener('click', restoreBest);
  for (const b of document.querySelectorAll('[data-preset]')) b.addEventListener('click', () => runPreset(b.dataset.preset));
  for (const b of document.querySelectorAll('[data-fix]')) b.addEventListener('click', () => runFix(b.dataset.fix));
  $('save-model').addEventListener('click', () => state.model && saveRun(state.model.rec));
  $('export-csv').addEventListener('click', exportCsv);
  for (const b of document.querySelectorAll('[data-png]')) b.addEventListener('click', () => exportPng(b.dataset.png));
  $('cmp-metric').addEventListener('change', drawCompare);
  $('cmp-clear').addEventListener('click', () => {
    state.runs = state.runs.filter((r) => r === state.model?.rec);
    renderRuns();
  });
}
