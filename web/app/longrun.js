// longrun.js: what a long run on a data set needs besides its curves. Before the first epoch is over, an
// estimate of the epoch's time and of the memory (measured by the Worker from the first batches, the memory
// figure the core's); while it trains, where it is inside its epoch and the time left; after each epoch, a
// checkpoint kept in this browser (IndexedDB: the model with its optimizer and step count, the set-up, the
// curves so far), so that a closed tab offers "Resume epoch k" on the next visit and goes on with the same
// bytes an uninterrupted run would have. A stored checkpoint that does not read back whole is named and never
// loaded. The Worker computes every figure; this module only formats and stores them.
import * as C from './config.js';
import { fmtNum } from './charts.js';
import { checkpointPut, checkpointKeys, checkpointGet, checkpointDelete } from './files.js';
import { $, state, client, sentence, setStatus, kindOf } from './state.js';
import { applyConfig } from './setup.js';
import { loadDataForTask, missingData } from './data.js';
import { adoptModel, train } from './runs.js';

const KEEP = 2;  // checkpoints of the latest runs kept; an older one goes when a newer run saves its first epoch

const mb = (n) => `${(n / 1048576).toFixed(0)} MB`;

export function duration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

// 32-bit FNV-1a of the bytes with their length: a stored checkpoint that changed (a broken write, a disk
// error) no longer matches the figure saved beside it, and is refused before it reaches the core.
export function fingerprint(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return `${bytes.length}:${(h >>> 0).toString(16)}`;
}

// --- The estimate and the progress inside an epoch ---------------------------------------------------------

let estimate = null;  // the Worker's last estimate: { epochSeconds, perEpoch, memory }

function line(text, id = 'epoch-line') {
  const el = $(id);
  el.hidden = !text;
  el.textContent = text ?? '';
}

function memoryText(m) {
  return `Memory: training takes ${mb(m.training)} (the core's figure: the model, Adam, batches of this size); ` +
    `the page's WebAssembly memory is ${mb(m.memoryBytes)} with the data, of ${mb(m.memoryLimit)} it can grow to`;
}

/** The Worker's estimate after the first batches of a data run. */
export function onEstimate(d) {
  estimate = d;
  const rec = state.model?.rec;
  if (rec) rec.estimate = d;
  line(`Estimate from the first ${d.batches} batches: about ${duration(d.epochSeconds)} an epoch of ` +
    `${d.perEpoch.toLocaleString('en')} batches, then its validation. ${memoryText(d.memory)}.`, 'estimate-line');
}

/** Progress of a data run: batches done of the epoch and the time left in it, at the epoch's pace so far. */
export function onEpochProgress(d) {
  if (d.batch === undefined) return;
  if (d.memoryBytes) $('stat-memory').textContent = mb(d.memoryBytes);
  const left = d.batch > 0 ? (d.epochSeconds / d.batch) * (d.batches - d.batch) : NaN;
  const est = estimate?.modelId === d.modelId ? ` (estimate: ${duration(estimate.epochSeconds)} an epoch)` : '';
  line(`Epoch ${d.epoch} of ${d.epochs}: batch ${d.batch.toLocaleString('en')} of ${d.batches.toLocaleString('en')}, ` +
    `${duration(d.epochSeconds)} so far, about ${duration(left)} left in this epoch${est}.`);
}

// --- Checkpoints after each epoch ----------------------------------------------------------------------------

const points = (a) => a.map((p) => ({ x: p.x, y: p.y, t: p.t }));

/** The Worker's checkpoint after epoch d.epoch of a data run: kept in IndexedDB with what resuming needs. */
export async function onEpochCheckpoint(d) {
  const rec = state.runs.find((r) => r.modelId === d.modelId);
  if (!rec) return;
  const bytes = new Uint8Array(d.bytes);
  rec.snapshot = bytes;  // also what Save and a restarted Worker use
  if (d.memory) $('stat-memory').textContent = mb(d.memory.memoryBytes);
  rec.checkpointKey ??= `run:${Date.now()}:${rec.id}`;
  // The best epoch's bytes: new when this epoch became the best, else those kept with the last one that did.
  if (d.bestBytes) rec.bestBytes = new Uint8Array(d.bestBytes);
  const value = { bytes, fingerprint: fingerprint(bytes), cfg: { ...rec.cfg, epochs: d.epochs }, label: rec.label, epoch: d.epoch,
    scheduleTotal: d.scheduleTotal, best: d.best ?? null, bestBytes: d.best ? rec.bestBytes ?? null : null,
    epochs: d.epochs, step: d.step, savedAt: Date.now(), seconds: rec.seconds + (d.seconds ?? 0), dataName: state.data.info?.describe ?? '',
    curves: { ema: points(rec.ema), val: points(rec.val), valAcc: points(rec.valAcc) } };
  try {
    await checkpointPut(rec.checkpointKey, value);
    rec.kept = d.epoch;
    const keys = (await checkpointKeys()).filter((k) => k !== rec.checkpointKey).sort();
    for (const k of keys.slice(0, Math.max(0, keys.length - (KEEP - 1)))) await checkpointDelete(k);
  } catch (e) {
    setStatus(`The checkpoint of epoch ${d.epoch} could not be kept in this browser (${e?.message ?? e}); the run goes on, ` +
      'and Save still gives its file.', 'error');
  }
}

// --- Resuming on the next visit ------------------------------------------------------------------------------

let offered = null;  // { key, value } of the checkpoint the resume box offers

async function latest() {
  const keys = (await checkpointKeys()).sort();
  if (!keys.length) return null;
  const key = keys[keys.length - 1];
  return { key, value: await checkpointGet(key) };
}

function showBox(text, { resume = null, level = '' } = {}) {
  $('resume-box').hidden = !text;
  $('resume-text').textContent = text ?? '';
  $('resume-text').className = level;
  $('resume-run').hidden = !resume;
  if (resume) $('resume-run').textContent = resume;
}

function hideBox() {
  offered = null;
  showBox(null);
}

// Is a stored record whole? A message naming what is wrong, or null.
function damaged(v) {
  if (!v || typeof v !== 'object') return 'the record is empty';
  if (!(v.bytes instanceof Uint8Array) || !v.bytes.length) return 'its model bytes are missing';
  if (!v.cfg || !C.TASKS.includes(v.cfg.task) || !(v.epoch >= 1) || !(v.epochs >= v.epoch)) return 'its set-up is incomplete';
  if (fingerprint(v.bytes) !== v.fingerprint) return `its ${v.bytes.length.toLocaleString('en')} bytes no longer match the fingerprint saved with them`;
  return null;
}

/** On load: offers the latest run kept in this browser ("Resume epoch k", or opening a finished one). */
export async function offerResume() {
  let found;
  try {
    found = await latest();
  } catch {
    return;  // no IndexedDB (a private window): nothing was kept
  }
  if (!found) return;
  offered = found;
  const v = found.value, bad = damaged(v);
  if (bad) {
    showBox(`A checkpoint kept in this browser is damaged (${bad}): it was not loaded. Discard it; your other files are untouched.`,
      { level: 'error' });
    return;
  }
  const when = new Date(v.savedAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  const acc = (v.curves?.valAcc?.length ? `, validation accuracy ${fmtNum(v.curves.valAcc[v.curves.valAcc.length - 1].y)}` : '') +
    (v.best ? ` (best: epoch ${v.best.epoch})` : '');
  const what = `${v.label}, epoch ${v.epoch} of ${v.epochs}${acc}; kept ${when}`;
  if (v.epoch < v.epochs) showBox(`A run stopped after its checkpoint: ${what}. Resume goes on with epoch ${v.epoch + 1} exactly as if it had never stopped.`,
    { resume: `Resume epoch ${v.epoch + 1}` });
  else showBox(`A finished run is kept in this browser: ${what}.`, { resume: 'Open it' });
}

async function resume() {
  if (!offered || state.running) return;
  const { value: v } = offered, bad = damaged(v);
  if (bad) {
    showBox(`The checkpoint kept in this browser is damaged (${bad}): it was not loaded.`, { level: 'error' });
    return;
  }
  applyConfig({ ...C.defaults(v.cfg.task), ...v.cfg });
  await loadDataForTask({ auto: true });
  const missing = missingData();
  if (missing) {
    showBox(`To resume, the page needs the run's data first. ${missing} Then press Resume again.`, { resume: `Resume epoch ${v.epoch + 1}` });
    return;
  }
  let info;
  try {
    info = await client.call('loadCheckpoint', { bytes: v.bytes.slice().buffer });
  } catch (e) {
    showBox(`The checkpoint kept in this browser cannot be read (${sentence(e.message)}) It was not loaded; discard it.`, { level: 'error' });
    return;
  }
  if (info.kind !== kindOf(state.cfg) || info.optimizer?.steps !== v.step) {
    await client.call('freeModel', { modelId: info.modelId }).catch(() => {});
    showBox(`The checkpoint kept in this browser does not match its set-up (it holds ${info.optimizer?.steps ?? 0} steps of a ${info.kind} model). ` +
      'It was not loaded; discard it.', { level: 'error' });
    return;
  }
  const rec = adoptModel(info, state.cfg, v);
  rec.checkpointKey = offered.key;
  if (v.bestBytes instanceof Uint8Array) rec.bestBytes = v.bestBytes;
  hideBox();
  if (v.epoch >= v.epochs) {
    setStatus(`Opened the finished run ${v.label} (epoch ${v.epoch} of ${v.epochs}) from this browser.`, 'ok');
    return;
  }
  // keepBest goes on from the run's best so far (perhaps an epoch before the one resumed from), when the
  // record has its bytes (records kept before they were stored compare against the resumed epoch only).
  const resumeBest = v.best && v.bestBytes instanceof Uint8Array ? { ...v.best, checkpoint: v.bestBytes } : null;
  await train({ epochsDone: v.epoch, scheduleTotal: v.scheduleTotal, resumeBest });
}

async function discard() {
  if (!offered) return;
  try {
    await checkpointDelete(offered.key);
  } catch {}
  hideBox();
  setStatus('The kept checkpoint is discarded.');
  offerResume();
}

export function wireLongRun() {
  $('resume-run').addEventListener('click', resume);
  $('resume-discard').addEventListener('click', discard);
}
