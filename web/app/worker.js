// worker.js: the lab page's Web Worker. It owns the WebAssembly module (through ../rnnlab.js), the data
// set and the models, and does every computation: training, evaluation, traces, predictions, checkpoints.
// The page only draws. Progress is posted at a bounded rate (every PROGRESS_MS), whatever the step rate.
//
// Protocol. Page -> worker: { id, op, args }. Worker -> page: { id, ok: true, result } or
// { id, ok: false, error: { message, code } } for each request, and { event, data } while training.
// While a run trains, requests that read the model (inspect, predictText, predictions, save) are queued and
// run between two training steps, inside the progress callback, where the model is not in use; while a run
// is paused they run at once.
//
// Limits: one run at a time; models of earlier runs are kept (for saving and comparing) up to MAX_MODELS.
// The seq2seq view's two models (s2s* requests) are one pair, replaced by the next.
import { RnnLab } from '../rnnlab.js';
import { viewOps } from './worker_views.js';

const PROGRESS_MS = 150;   // at most ~7 progress messages a second, whatever the step rate
const ESTIMATE_STEPS = 8;  // a data run's first estimate of its epoch time, after this many batches ...
const ESTIMATE_MS = 3000;  // ... and this much time (or a tenth of the epoch), so one slow batch does not decide it
const MAX_MODELS = 12;     // older models of the session are freed past this (their runs keep their curves)

let lab = null;
let data = { key: null, kind: 'none' };  // the current data: a synthetic task, or a Dataset
const models = new Map();                // id -> { model, dataKey, kind }
let nextModelId = 1;
let run = null;                          // the run in progress: { abort, paused, resume, jobs, modelId }
let threadCount = 1;                     // the page's thread control (app/threads.js): what the next step uses

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);
const now = () => performance.now();

function errorInfo(e) {
  return { message: e?.message ?? String(e), code: e?.code ?? null, stepsDone: e?.stepsDone ?? null };
}

// --- Data ------------------------------------------------------------------------------------------------

function datasetInfo(ds) {
  let describe = '';
  try {
    describe = String(ds.describe?.() ?? '');
  } catch {}
  return { kind: ds.kind, counts: { ...ds.counts }, vocabSize: ds.vocabSize ?? 0, maxLen: ds.maxLen ?? 0, window: ds.window ?? null,
    horizon: ds.horizon ?? null, column: ds.column ?? null, mean: ds.mean ?? null, std: ds.std ?? null, valByMovie: !!ds.valByMovie,
    describe };
}

function replaceData(next) {
  if (data.ds && data.ds !== next.ds) {
    try {
      data.ds.free();
    } catch {}
  }
  data = next;
}

let dataAbort = null;

async function setData({ source, key }) {
  if (run) throw new Error('stop training before changing the data');
  if (source.kind === 'task') {
    const shape = lab.taskShape(source.task);
    replaceData({ key, kind: 'task', task: source.task, shape });
    return { kind: 'task', task: source.task, shape };
  }
  let ds, bytes = null;
  if (source.kind === 'rnld') {
    ds = lab.openDataset(new Uint8Array(source.bytes), source.name ? { name: source.name } : undefined);
  } else if (source.kind === 'imdb') {
    dataAbort = new AbortController();
    let last = 0;
    try {
      ds = await lab.prepareImdb(source.file, {
        ...source.opts,
        ...(source.file?.name ? { name: source.file.name } : {}),
        signal: dataAbort.signal,
        onProgress(p) {
          const t = now();
          if (t - last < PROGRESS_MS) return;
          last = t;
          post({ event: 'dataProgress', data: { bytesIn: p.bytesIn ?? 0, reviews: p.reviews ?? 0, total: p.bytesTotal ?? source.file?.size ?? 0 } });
        },
      });
    } finally {
      dataAbort = null;
    }
    bytes = ds.toBytes();  // the page caches the subset in IndexedDB
  } else if (source.kind === 'seriesCsv') {
    ds = lab.seriesCsvDataset(new Uint8Array(source.bytes), { ...source.opts, ...(source.name ? { name: source.name } : {}) });
  } else if (source.kind === 'textCsv') {
    ds = lab.textCsvDataset(new Uint8Array(source.bytes), { ...source.opts, ...(source.name ? { name: source.name } : {}) });
  } else {
    throw new Error(`unknown data source '${source.kind}'`);
  }
  const info = datasetInfo(ds);
  replaceData({ key, kind: ds.kind, ds, info });
  if (bytes) {
    const copy = bytes.slice();
    return { ...info, bytes: copy, transfer: [copy.buffer] };
  }
  return info;
}

// --- Models ----------------------------------------------------------------------------------------------

// A Transformer's config names its kind as a cell would (cell: 'transformer'), so the page tells them apart by it.
const isTransformer = (model) => model.kind === 'transformer';

function describeModel(id) {
  const { model, dataKey, kind } = models.get(id);
  const config = isTransformer(model) ? { cell: 'transformer', ...model.config } : { ...model.config };
  return { modelId: id, config, numParams: model.numParams, optimizer: model.optimizer, dataKey, kind, hasMeta: Boolean(model.meta()) };
}

function addModel(model, dataKey, kind) {
  const id = nextModelId++;
  models.set(id, { model, dataKey, kind });
  // Free the oldest models past the limit, never the one a run uses.
  for (const [oldId, m] of models) {
    if (models.size <= MAX_MODELS) break;
    if (oldId === id || oldId === run?.modelId) continue;
    m.model.free();
    models.delete(oldId);
    post({ event: 'modelFreed', data: { modelId: oldId } });
  }
  return id;
}

function getModel(id) {
  const m = models.get(id);
  if (!m) throw new Error(`model ${id} is no longer in memory (only the last ${MAX_MODELS} are kept); load its checkpoint`);
  return m;
}

// The Transformer encoder (the lab's fourth model choice): for the task's or the data set's inputs and head.
function createTransformer(config) {
  const c = { hidden: config.hidden, heads: config.heads, layers: config.layers, ffn: config.ffn, positions: config.positions, seed: config.seed };
  if (data.kind === 'task') c.task = data.task;
  else if (data.ds) c.dataset = data.ds;
  else throw new Error('load a data set first');
  return describeModel(addModel(lab.createTransformer(c), data.key, data.kind));
}

function createModel({ config }) {
  if (config.cell === 'transformer') return createTransformer(config);
  const c = { cell: config.cell, hidden: config.hidden, layers: config.layers, bidirectional: config.bidirectional,
    forgetBias: config.forgetBias, seed: config.seed, batchSize: config.batchSize };
  if (config.dropout !== undefined) c.dropout = config.dropout;
  if (config.pool !== undefined) c.pool = config.pool;
  if (data.kind === 'task' && config.length) c.length = config.length;
  if (data.kind === 'task') {
    c.task = data.task;
    if (lab.taskShape(data.task).vocab > 0) c.embed = config.embed;
  } else if (data.ds) {
    c.dataset = data.ds;
    if (data.kind === 'text') c.embed = config.embed;
  } else {
    throw new Error('load a data set first');
  }
  const model = lab.createModel(c);  // throws the core's message on an impossible configuration
  return describeModel(addModel(model, data.key, data.kind));
}

// A Transformer's checkpoint starts with its own magic (docs/checkpoint-format.md).
const TF_MAGIC = [...'RNNLABTF'].map((ch) => ch.charCodeAt(0));
const isTransformerFile = (b) => b.length >= 8 && TF_MAGIC.every((x, i) => b[i] === x);

function loadCheckpoint({ bytes }) {
  const b = new Uint8Array(bytes);
  const model = isTransformerFile(b) ? lab.loadTransformer(b) : lab.loadCheckpoint(b);
  const c = model.config;
  // Which data does it fit? A synthetic task by its shape, else a data set (whose description it keeps).
  let task = null;
  for (const t of lab.names.tasks) {
    const s = lab.taskShape(t);
    if (s.vocab === c.vocab && (s.vocab > 0 || s.inputSize === c.inputSize) && s.head === c.head && s.outputs === c.outputs
      && s.seq2seq === Boolean(c.seq2seq) && !model.meta()) {
      task = t;
      break;
    }
  }
  const kind = task ? 'task' : c.vocab > 0 ? 'text' : 'series';
  const id = addModel(model, task ? `task:${task}` : null, kind);
  return { ...describeModel(id), task };
}

function freeModel({ modelId }) {
  if (run?.modelId === modelId) throw new Error('this model is training');
  const m = models.get(modelId);
  if (m) {
    m.model.free();
    models.delete(modelId);
  }
  return true;
}

// Memory of a data run: the core's figure for training this model at the batch size and the data's length
// (parameters, gradients, Adam's moments, work memory: rnl_model_training_bytes through lab.trainingBytes),
// and the module's whole memory now (the data set included) and at most. WebAssembly memory never shrinks,
// so memoryBytes at the end of a run is its peak.
function memoryInfo(model, batchSize) {
  const c = model.config, stats = lab.memoryStats();
  const training = isTransformer(model) ? model.trainingBytes({ batchSize, length: data.ds.maxLen ?? data.ds.window,
    optimizer: model.optimizer?.kind ?? 'adam' }) : lab.trainingBytes({ cell: c.cell, hidden: c.hidden, layers: c.layers, bidirectional: c.bidirectional, embed: c.embed,
    dataset: data.ds }, { batchSize, length: data.ds.maxLen ?? data.ds.window, optimizer: model.optimizer?.kind ?? 'adam' });
  return { training, memoryBytes: stats.memoryBytes, heapInUse: stats.heapInUse, memoryLimit: stats.memoryLimit };
}

function saveCheckpoint({ modelId }) {
  const bytes = getModel(modelId).model.saveCheckpoint();
  return { bytes, transfer: [bytes.buffer] };
}

// --- Training -----------------------------------------------------------------------------------------

// Progress points travel as columns of typed arrays whose buffers are transferred, not as one object per
// step: at tens of thousands of steps a second (a tiny model), cloning objects would busy the page.
const newPoints = () => ({ step: [], loss: [], gradNorm: [], clipped: [], accuracy: [] });
const packPoints = (p) => ({ step: Float64Array.from(p.step), loss: Float64Array.from(p.loss), gradNorm: Float64Array.from(p.gradNorm),
  clipped: Uint8Array.from(p.clipped), accuracy: Float64Array.from(p.accuracy) });

// A real task boundary, so that messages from the page (pause, stop, trace requests) are delivered while
// training runs. rnnlab.js yields with scheduler.yield() where it exists, whose continuation Chromium runs
// ahead of queued message events: a worker that only yields that way never sees the page's messages.
// A MessageChannel message is queued behind them, and costs no timer clamping.
const channel = new MessageChannel();
let wake = null;
channel.port1.onmessage = () => wake?.();
function nextTask() {
  return new Promise((resolve) => {
    wake = resolve;
    channel.port2.postMessage(null);
  });
}
let lastTask = 0;

// Runs queued requests, then waits while paused. Called between training steps, where the model is idle.
async function safePoint() {
  if (now() - lastTask >= 40) {
    await nextTask();
    lastTask = now();
  }
  while (run.jobs.length) await runJob(run.jobs.shift());
  if (run.paused && !run.abort.signal.aborted) {
    // Pause is answered here, once the run has stopped, and after the steps it took since its last
    // progress message: the page then shows the step it paused at, and nothing moves until Resume.
    run.flush();
    for (const answer of run.parked.splice(0)) answer(true);
    const t0 = now();
    await new Promise((resolve) => (run.resume = resolve));
    run.pausedMs += now() - t0;
  }
}

// The run's schedule: none, or the kind and warm-up of the set-up, ending where the run ends (total: steps
// counted from the model's first). A resumed run keeps the end its first part had (opts.scheduleTotal).
function runSchedule(opts, stepsBefore) {
  if ((!opts.schedule || opts.schedule === 'none') && !opts.warmup) return { kind: 'none' };
  const steps = data.kind === 'task' ? opts.steps : (opts.epochs - (opts.epochsDone ?? 0)) * data.ds.batchesPerEpoch(opts.batchSize);
  return { kind: opts.schedule ?? 'none', warmup: opts.warmup ?? 0, total: opts.scheduleTotal ?? stepsBefore + steps };
}

// The learning rate over the steps a run of this set-up would train (the optimizer group's curve), from the
// core (lab.scheduleCurve); null until a data set is loaded (its batches per epoch set the run's length).
function scheduleCurve({ schedule, lr, epochs, batchSize, steps, modelId, task }) {
  if (!task && !data.ds) return null;
  const before = modelId && models.has(modelId) ? models.get(modelId).model.optimizer?.steps ?? 0 : 0;
  const perEpoch = task ? 0 : data.ds.batchesPerEpoch(batchSize);
  const last = before + (task ? steps : epochs * perEpoch);
  const c = lab.scheduleCurve({ kind: schedule.kind, warmup: schedule.warmup }, { lr, points: 120, first: before + 1, last, epochSteps: perEpoch });
  return { steps: Array.from(c.steps), lr: Array.from(c.lr), first: before + 1, last, perEpoch };
}

// --- Threads ---------------------------------------------------------------------------------------------

// The path n threads take in this Worker: one instance, Worker replicas of the model, or one shared memory
// (a lab loaded with shared memory: lab.sharedMemory).
const threadPathOf = (n) => (n <= 1 ? 'single' : lab?.sharedMemory === true ? 'shared' : 'replicas');

function threadInfo(model = null) {
  return { threads: model ? model.threads : threadCount, path: model ? model.threadPath : threadPathOf(threadCount),
    sharedMemory: lab?.sharedMemory === true, crossOriginIsolated: Boolean(self.crossOriginIsolated) };
}

// The count the page chose, on a run's model: before its first step and between two steps (onProgress, where
// no step is running); the results are the same bytes at any count. A count the browser cannot give (no
// nested Workers) falls back to one thread, and says so.
async function useThreads(model) {
  if (model.threads === threadCount || typeof model.setThreads !== 'function') return;
  try {
    await model.setThreads(threadCount);
  } catch (e) {
    threadCount = 1;
    await model.setThreads(1);
    post({ event: 'threads', data: { ...threadInfo(model), error: errorInfo(e).message } });
  }
}

async function train({ modelId, opts }) {
  if (run) throw new Error('a run is already training');
  const entry = getModel(modelId);
  const { model } = entry;
  // A checkpoint loaded for a data set (dataKey null) takes the data now loaded: the core checks that it fits.
  if (entry.dataKey === null && entry.kind !== 'task' && entry.kind === data.kind) entry.dataKey = data.key;
  if (entry.dataKey !== data.key) throw new Error('this model was made for other data; make a new model (Reset) or load its data');
  model.setOptimizer({ kind: opts.optimizer, lr: opts.lr, clip: opts.clip ? opts.clipAt : 0,
    ...(opts.optimizer === 'momentum' ? { momentum: opts.momentum ?? 0.9 } : {}) });
  const stepsBefore = model.optimizer?.steps ?? 0;
  const schedule = runSchedule(opts, stepsBefore);
  await useThreads(model);
  run = { abort: new AbortController(), paused: false, resume: null, parked: [], jobs: [], modelId, pausedMs: 0, flush: null };
  const t0 = now();
  let best = null, stoppedEarly = false;
  let pausedMs = 0, points = newPoints(), lastPost = 0, seqs = 0, lastGradNorm = NaN, lastStep = stepsBefore, status = 'done', error = null;
  const evals = [];
  const activeSeconds = () => (now() - t0 - run.pausedMs) / 1000;
  let lastExtra = {};
  const flush = (extra = lastExtra) => {
    lastExtra = extra;
    const active = (now() - t0 - run.pausedMs) / 1000;
    const cols = packPoints(points);
    // memoryBytes: the module's memory now, which never shrinks: at the end of a run, its peak.
    post({ event: 'progress', data: { modelId, points: cols, seconds: active, seqPerSec: active > 0 ? seqs / active : 0,
      memoryBytes: lab.memoryBytes, threads: model.threads, threadPath: model.threadPath, ...extra } },
      Object.values(cols).map((a) => a.buffer));
    points = newPoints();
    lastPost = now();
  };
  run.flush = () => flush();
  // One point per training step: the x axis is the model's optimizer step count (a continued run goes on).
  const record = (step, p, batchSize, extra) => {
    if (step > lastStep) seqs += (step - lastStep) * batchSize;
    lastStep = step;
    lastGradNorm = p.gradNorm;
    points.step.push(step);
    points.loss.push(p.loss);
    points.gradNorm.push(p.gradNorm);
    points.clipped.push(p.clipped ? 1 : 0);
    points.accuracy.push(p.accuracy ?? NaN);
    lastExtra = extra;
    if (now() - lastPost >= PROGRESS_MS) flush(extra);
  };
  try {
    if (data.kind === 'task') {
      const steps = opts.steps;
      const evalEvery = Math.max(10, Math.round(steps / 20));
      const res = await model.trainTask({
        task: data.task, length: opts.length, steps, batchSize: opts.batchSize, ...(isTransformer(model) ? {} : { bpttWindow: opts.bptt }),
        // The first run of a model sees the seed's batches (same seed, same data for every compared model);
        // a continued run goes on with the stream, as `rnnlab train` does.
        seed: stepsBefore === 0 ? opts.seed : undefined,
        evalEvery, evalBatches: 4, evalBatchSize: 64, progressEvery: 1, signal: run.abort.signal, yieldMs: 30, schedule,
        async onProgress(p) {
          record(p.totalSteps, p, opts.batchSize, { step: p.step, steps });
          if (p.eval) {
            evals.push({ step: p.totalSteps, loss: p.eval.loss, accuracy: p.eval.accuracy });
            post({ event: 'eval', data: { modelId, step: p.totalSteps, loss: p.eval.loss, accuracy: p.eval.accuracy, seconds: activeSeconds() } });
          }
          await safePoint();
          await useThreads(model);
        },
      });
      if (res.stopped) status = 'stopped';
    } else {
      // A run resumed from its checkpoint (opts.epochsDone of opts.epochs done) trains the epochs left with the
      // run's own seed: the shuffles of epoch k depend only on the seed and k, so it goes on as if never stopped.
      const done = opts.epochsDone ?? 0, epochs = opts.epochs - done;
      let estimated = false, epochT0 = now(), epochPaused = run.pausedMs;
      const res = await model.trainDataset(data.ds, {
        epochs, batchSize: opts.batchSize, bucket: 8, ...(isTransformer(model) ? {} : { bpttWindow: opts.bptt }), progressEvery: 1, schedule,
        ...(opts.keepBest ? { keepBest: true, patience: opts.patience ?? 0 } : {}),
        // A resumed run's best so far (with its bytes, kept by the page): later epochs must beat it.
        ...(opts.keepBest && opts.resumeBest && done > 0 ? { resumeBest: opts.resumeBest } : {}),
        // As for tasks: the seed's shuffles for a new model; a continued run goes on from its steps.
        seed: stepsBefore === 0 || done > 0 ? opts.seed : undefined,
        signal: run.abort.signal, yieldMs: 30,
        async onProgress(p) {
          // Where the run is inside its epoch, and how fast the epoch goes (pauses left out).
          const perEpoch = p.steps / p.epochs, inEpoch = p.step - (p.epoch - 1) * perEpoch;
          const epochSeconds = (now() - epochT0 - (run.pausedMs - epochPaused)) / 1000;
          const extra = { step: p.step, steps: p.steps, epoch: p.epoch + done, epochs: opts.epochs, batch: inEpoch, batches: perEpoch,
            epochSeconds };
          // The estimate, from the first batches: the time of an epoch at their pace, and the memory training takes.
          if (!estimated && p.step >= ESTIMATE_STEPS && (epochSeconds * 1000 >= ESTIMATE_MS || inEpoch * 10 >= perEpoch)) {
            estimated = true;
            post({ event: 'estimate', data: { modelId, batches: p.step, seconds: epochSeconds, epochSeconds: (epochSeconds / inEpoch) * perEpoch,
              perEpoch, memory: memoryInfo(model, opts.batchSize) } });
          }
          record(p.totalSteps, p, opts.batchSize, extra);
          await safePoint();
          await useThreads(model);
        },
        onEpoch(e) {
          const step = e.totalSteps ?? lastStep;
          const v = e.val ?? {};
          const epoch = e.epoch + done;
          // keepBest: the core's best epoch so far (numbered from the model's first epoch).
          if (e.best) best = e.best;
          evals.push({ step, epoch, loss: v.loss, accuracy: v.accuracy ?? null });
          post({ event: 'eval', data: { modelId, step, epoch, loss: v.loss, accuracy: v.accuracy ?? null, seconds: activeSeconds(), best } });
          // The checkpoint of this epoch (model, optimizer and its step count), for the page to keep in IndexedDB:
          // a closed tab resumes from it.
          const bytes = model.saveCheckpoint();
          // keepBest: the best epoch's own bytes when this epoch became it, so a resumed run can keep an
          // earlier best (resumeBest) rather than only compare against the epoch it resumes from.
          const bestBytes = e.best?.improved ? model.bestCheckpoint() : null;
          flush();
          post({ event: 'epochCheckpoint', data: { modelId, epoch, epochs: opts.epochs, step, bytes, bestBytes, seconds: activeSeconds(),
            memory: memoryInfo(model, opts.batchSize), scheduleTotal: schedule.total ?? null, best } },
          bestBytes ? [bytes.buffer, bestBytes.buffer] : [bytes.buffer]);
          epochT0 = now();
          epochPaused = run.pausedMs;
        },
      });
      if (res?.stopped || run.abort.signal.aborted) status = 'stopped';
      stoppedEarly = Boolean(res?.stoppedEarly);
    }
  } catch (e) {
    if (e?.code === 'RNL_ERR_NUMERIC') {
      status = 'failed';  // the core kept the parameters of the last good step
      error = errorInfo(e);
    } else {
      throw e;
    }
  } finally {
    const pending = run.jobs;
    flush();
    for (const answer of run.parked.splice(0)) answer(false);  // it ended before it could pause
    pausedMs = run.pausedMs;
    run = null;
    for (const job of pending) await runJob(job);
  }
  const stepsAfter = model.optimizer?.steps ?? lastStep;
  const result = { modelId, status, error, stepsBefore, stepsAfter, lastGradNorm, evals, seconds: (now() - t0 - pausedMs) / 1000, seqs,
    numParams: model.numParams, optimizer: model.optimizer, best, stoppedEarly, threads: model.threads, threadPath: model.threadPath };
  // The replicas hold a copy of the model each: ended with the run (the next run makes them again).
  if (model.threads > 1 && model.threadPath === 'replicas') await model.setThreads(1).catch(() => {});
  // Held-out figures of the model as it is now (after a numeric fault: the last good parameters).
  try {
    result.test = evaluate({ modelId });
  } catch (e) {
    result.testError = errorInfo(e).message;
  }
  result.memoryBytes = lab.memoryBytes;  // after the test split too: the run's peak (the memory never shrinks)
  return result;
}

// The model of the best epoch (keepBest) back into the model: parameters and optimizer; its test figures.
function restoreBest({ modelId }) {
  const { model } = getModel(modelId);
  const best = model.restoreBest();
  return { best, optimizer: model.optimizer, test: evaluate({ modelId }) };
}

function evaluate({ modelId, length }) {
  const { model } = getModel(modelId);
  if (data.kind === 'task') {
    const r = model.evaluateTask({ task: data.task, length: length ?? lastLength, batches: 10, batchSize: 100 });
    return { split: 'test', loss: r.loss, accuracy: r.accuracy, count: 1000 };
  }
  const r = model.evaluateDataset(data.ds, 'test');
  // A series' loss is the MSE of normalised values; its RMSE in the series' own units reads better.
  const rmse = data.kind === 'series' && Number.isFinite(data.ds.std) ? Math.sqrt(r.loss) * data.ds.std : undefined;
  return { split: 'test', ...r, rmse, column: data.kind === 'series' ? data.ds.column : undefined };
}
let lastLength = 50;

// --- Looking inside: gates, states, ||dL/dh_t|| -------------------------------------------------------------

function traces(model, batch) {
  const c = model.config;
  model.setTrace(0);
  let g;
  try {
    g = model.gradients(batch);
  } finally {
    model.setTrace(null);
  }
  const layers = [];
  for (let l = 0; l < c.layers; l++) {
    for (let d = 0; d < (c.bidirectional ? 2 : 1); d++) {
      const gate = model.gateTrace(l, d), state = model.stateTrace(l, d), grad = model.gradNormTrace(l, d);
      layers.push({ layer: l, dir: d, gates: gate, state, grad: grad ? Array.from(grad.data) : null });
    }
  }
  // The gate trace's blocks of H columns are the cell's gates in the core's order (its cell table).
  const gateNames = [...lab.cells.find((x) => x.name === c.cell).gateNames];
  return { loss: g.loss, gradNorm: g.gradNorm, predictions: Array.from(g.predictions), layers, gateNames, hidden: c.hidden, cell: c.cell };
}

function inspect({ modelId, source }) {
  const { model } = getModel(modelId);
  if (isTransformer(model)) throw new Error('a Transformer has no gates or carried state to trace: see its attention');
  const c = model.config;
  if (source.kind === 'task') {
    if (data.kind !== 'task') throw new Error('no synthetic task is loaded');
    const T = source.length;
    const batch = lab.generateTask(data.task, 1, T, source.seed);
    const tr = traces(model, batch);
    // Step labels: adding (value, marker), copy (symbol), sine (value).
    let labels, marks = null;
    if (batch.inputs && c.inputSize === 2) {
      labels = [];
      marks = [];
      for (let t = 0; t < T; t++) {
        labels.push(batch.inputs[2 * t].toFixed(2));
        marks.push(batch.inputs[2 * t + 1] > 0.5);
      }
    } else if (batch.inputs) {
      labels = Array.from(batch.inputs, (v) => v.toFixed(2));
    } else {
      labels = Array.from(batch.tokens, (v) => String(v));
    }
    return { ...tr, labels, marks, target: Array.from(batch.targets), kindLabel: 'step', task: data.task };
  }
  if (source.kind === 'text') {
    const p = model.predictText(source.text);
    const ids = Array.from(p.ids ?? []);
    if (ids.length === 0) throw new Error('the review has no words to read');
    // Its gradient: the loss if the label were the opposite of the prediction, so |p - y| >= 0.5 and the
    // curve is not flattened by a confident, right answer. Only the scale depends on y; the shape does not.
    const y = p.probability >= 0.5 ? 0 : 1;
    const tr = traces(model, { B: 1, T: ids.length, tokens: Int32Array.from(ids), targets: Float32Array.of(y) });
    return { ...tr, labels: Array.from(p.tokens ?? ids.map(String)), marks: null, target: [y], probability: p.probability,
      kindLabel: 'word' };
  }
  if (source.kind === 'series') {
    if (data.kind !== 'series') throw new Error('no series is loaded');
    const { first, count } = data.ds.split('test');
    if (count === 0) throw new Error('the series has no test windows');
    const batch = data.ds.batch([first + Math.min(Math.max(0, source.index ?? 0), count - 1)]);
    const tr = traces(model, batch);
    const { mean = 0, std = 1 } = data.ds;
    const labels = batch.inputs ? Array.from(batch.inputs, (v) => (v * std + mean).toFixed(1)) : [];
    return { ...tr, labels, marks: null, target: Array.from(batch.targets ?? [], (v) => v * std + mean), kindLabel: 'day' };
  }
  throw new Error(`unknown trace source '${source.kind}'`);
}

// --- Views of a model (worker_views.js: attention, step-through, word map, reading by all, history) ------

const { attention, walkText, wordMap, neighbours, readByAll, history } = viewOps({ getModel, data: () => data, lab: () => lab });

// --- Predictions ------------------------------------------------------------------------------------------

function predictText({ modelId, text }) {
  const { model } = getModel(modelId);
  const p = model.predictText(text);
  return { probability: p.probability, tokens: Array.from(p.tokens ?? []), words: p.words, ids: Array.from(p.ids ?? []),
    stepProbabilities: p.stepProbabilities ? Array.from(p.stepProbabilities) : null };
}

// Predicted against actual values, for regression: the adding problem (one sum per sequence), the sine
// task (a whole sequence), a series (the test split, in its own units).
function predictions({ modelId, length, seed }) {
  const { model } = getModel(modelId);
  const c = model.config;
  if (c.head !== 'regression') return null;
  if (data.kind === 'task') {
    if (c.seq2seq) {
      const b = lab.generateTask(data.task, 1, length, seed);
      const p = model.predict(b);
      return { kind: 'sequence', actual: Array.from(b.targets), predicted: Array.from(p), input: Array.from(b.inputs ?? []) };
    }
    const b = lab.generateTask(data.task, 200, length, seed);
    const p = model.predict(b);
    return { kind: 'scatter', actual: Array.from(b.targets), predicted: Array.from(p) };
  }
  if (data.kind === 'series') {
    const r = model.predictSeries(data.ds, 'test');
    return { kind: 'series', actual: Array.from(r.actual), predicted: Array.from(r.predicted) };
  }
  return null;
}

function bowBaseline() {
  if (!data.ds || data.kind !== 'text') return null;
  const r = lab.bowBaseline(data.ds);
  return { trainAccuracy: r.trainAccuracy, valAccuracy: r.valAccuracy, testAccuracy: r.testAccuracy,
    topPositive: Array.from(r.topPositive ?? []).slice(0, 12), topNegative: Array.from(r.topNegative ?? []).slice(0, 12) };
}

// --- Sequence to sequence: a pair of models, without and with attention ------------------------------------
//
// The page's seq2seq view trains two encoder-decoders made from the same settings and seed, one without
// attention and one with it, on the same batches: in lockstep, a chunk of steps of one and then the same
// chunk (same data seed) of the other, so that their curves differ by attention alone. One pair at a time:
// making a new pair frees the last. A stop ends the first model's chunk early and the second then trains
// exactly as many steps, so both always have the same step count.

let pair = null;  // { id, plain, attn }
let nextPairId = 1;

function freePair() {
  if (!pair) return;
  pair.plain.free();
  pair.attn.free();
  pair = null;
}

function getPair(pairId) {
  if (!pair || pair.id !== pairId) throw new Error('these seq2seq models are gone (a newer pair replaced them); train again');
  return pair;
}

const describeS2s = (m) => ({ numParams: m.numParams, config: { ...m.config }, task: { ...m.task }, steps: m.optimizer?.steps ?? 0 });

function s2sCreate({ config }) {
  if (run) throw new Error('stop training before making new models');
  const base = { task: config.task, cell: config.cell, hidden: config.hidden, embed: config.embed, bidirectional: config.bidirectional,
    seed: config.seed, ...(config.task === 'reverse' ? { length: config.length } : {}) };
  const plain = lab.createSeq2Seq({ ...base, attention: 'none' });  // throws the core's message on a bad configuration
  let attn;
  try {
    attn = lab.createSeq2Seq({ ...base, attention: config.attention });
  } catch (e) {
    plain.free();
    throw e;
  }
  freePair();
  pair = { id: nextPairId++, plain, attn };
  return { pairId: pair.id, plain: describeS2s(plain), attn: describeS2s(attn) };
}

// Per-step points of both models, as columns (see packPoints).
const newS2sPoints = () => ({ step: [], loss: [], tokenAccuracy: [], sequenceAccuracy: [] });
const packS2sPoints = (p) => ({ step: Float64Array.from(p.step), loss: Float64Array.from(p.loss),
  tokenAccuracy: Float64Array.from(p.tokenAccuracy), sequenceAccuracy: Float64Array.from(p.sequenceAccuracy) });

async function s2sTrain({ pairId, opts }) {
  if (run) throw new Error('a run is already training');
  const p = getPair(pairId);
  const models = { plain: p.plain, attn: p.attn };
  for (const m of Object.values(models)) m.setOptimizer({ kind: 'adam', lr: opts.lr, clip: 1 });
  const stepsBefore = p.attn.optimizer?.steps ?? 0;
  run = { abort: new AbortController(), paused: false, resume: null, parked: [], jobs: [], modelId: null, pausedMs: 0, flush: null };
  const t0 = now();
  const active = () => (now() - t0 - run.pausedMs) / 1000;
  let points = { plain: newS2sPoints(), attn: newS2sPoints() }, lastPost = 0, seqs = 0, done = 0, seconds = 0, status = 'done', error = null;
  const flush = () => {
    const cols = { plain: packS2sPoints(points.plain), attn: packS2sPoints(points.attn) };
    const seconds = active();
    post({ event: 's2sProgress', data: { pairId, points: cols, step: done, steps: opts.steps, seconds, seqPerSec: seconds > 0 ? seqs / seconds : 0 } },
      [...Object.values(cols.plain), ...Object.values(cols.attn)].map((a) => a.buffer));
    points = { plain: newS2sPoints(), attn: newS2sPoints() };
    lastPost = now();
  };
  run.flush = flush;
  const progress = (name) => async (q) => {
    const pts = points[name];
    pts.step.push(q.totalSteps);
    pts.loss.push(q.loss);
    pts.tokenAccuracy.push(q.tokenAccuracy);
    pts.sequenceAccuracy.push(q.sequenceAccuracy);
    seqs += opts.batchSize;
    if (q.eval) post({ event: 's2sEval', data: { pairId, model: name, step: q.totalSteps, ...q.eval, seconds: active() } });
    if (now() - lastPost >= PROGRESS_MS) flush();
    await safePoint();
  };
  const chunk = (m, name, steps, seed, signal) => m.trainTask({ steps, batchSize: opts.batchSize, seed, evalEvery: steps, evalBatches: 2,
    evalBatchSize: 64, progressEvery: 1, yieldMs: 30, onProgress: progress(name), ...(signal ? { signal } : {}) });
  try {
    while (done < opts.steps && !run.abort.signal.aborted) {
      const n = Math.min(opts.evalEvery, opts.steps - done);
      // The chunk's batches: from the run's seed and the step it starts at, the same for both models.
      const seed = opts.seed * 1e6 + stepsBefore + done + 1;
      const first = await chunk(models.plain, 'plain', n, seed, run.abort.signal);
      if (first.steps > 0) await chunk(models.attn, 'attn', first.steps, seed, null);
      done += first.steps;
      if (first.stopped) break;
    }
    if (run.abort.signal.aborted) status = 'stopped';
  } catch (e) {
    if (e?.code !== 'RNL_ERR_NUMERIC') throw e;
    status = 'failed';  // the core kept the parameters of the last good step
    error = errorInfo(e);
  } finally {
    const pending = run.jobs;
    flush();
    for (const answer of run.parked.splice(0)) answer(false);  // it ended before it could pause
    seconds = active();
    run = null;
    for (const job of pending) await runJob(job);
  }
  // The final figures: greedy decoding of 1000 held-out sequences (as `rnnlab eval`).
  const test = { plain: p.plain.evaluate(), attn: p.attn.evaluate() };
  return { pairId, status, error, stepsBefore, stepsAfter: p.attn.optimizer?.steps ?? 0, seconds, seqs, test };
}

// Greedy decoding of one typed input by both models: their outputs, and the attention model's weights.
function s2sDecode({ pairId, text }) {
  const p = getPair(pairId);
  const plain = p.plain.decode(text), attn = p.attn.decode(text);
  const strip = (d) => ({ output: d.output, stoppedAtEos: d.stoppedAtEos, inputTokens: d.inputTokens, outputTokens: d.outputTokens });
  return { plain: strip(plain), attn: { ...strip(attn), attention: attn.attention }, answer: p.attn.answer(text),
    transfer: [attn.attention.data.buffer] };
}

// --- Dispatch --------------------------------------------------------------------------------------------

const OPS = {
  async init(args) {
    // ?impl=student: the module `npm run grade` builds from the student's own cells (exercises/).
    const student = args?.impl === 'student';
    // The student's module is not part of a built site (the grader makes it on the student's machine).
    const studentFile = '../student/rnnlab.wasm';
    try {
      // The reference module: the loader's choice (rnnlab-relaxed.wasm where relaxed SIMD validates, else rnnlab.wasm).
      if (!lab) lab = await (student ? RnnLab.load(new URL(studentFile, import.meta.url)) : RnnLab.load());
    } catch (e) {
      // Not built yet is the usual case: say how to build it, not "HTTP 404".
      if (student && /HTTP 404\b/.test(e.message))
        throw new Error('your cells are not built for the browser yet (student/rnnlab.wasm is not there). Run npm run grade ' +
          'in the repository (it grades exercises/starter, then builds web/student/rnnlab.wasm; it needs Emscripten), ' +
          'then reload this page. Without ?impl=student the page runs the reference cells');
      throw e;
    }
    // cells and limits: the core's cell table and limits, for the page's controls (config.js useCore).
    // threads, path, sharedMemory, crossOriginIsolated: the thread control's starting line (app/threads.js).
    return { ...threadInfo(), version: lab.version, kernels: lab.kernels, names: { ...lab.names, positions: lab.transformerNames.positions }, cells: lab.cells,
      limits: lab.limits,
      sharedMemory: lab.sharedMemory,  // the shared-memory module: threads are the core's own (lib/shared.js)
      implementation: lab.implementation ?? { kind: 'reference', todoCount: 0, todos: [] } };
  },
  setData,
  createModel,
  loadCheckpoint,
  freeModel,
  saveCheckpoint,
  train(args) {
    lastLength = args.opts.length ?? lastLength;
    return train(args);
  },
  evaluate,
  restoreBest,
  // The thread control (app/threads.js): the count the next step of a run uses (a run in progress takes it
  // between two steps). 1..64 (the wrapper's limit; the page offers up to navigator.hardwareConcurrency).
  setThreads({ n }) {
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`threads must be a whole number from 1 to 64, not ${n}`);
    threadCount = n;
    return threadInfo();
  },
  scheduleCurve,
  inspect,
  attention,
  predictText,
  predictions,
  bowBaseline,
  wordMap,
  neighbours,
  readByAll,
  history,
  s2sCreate,
  s2sTrain,
  s2sDecode,
  walkText,
  // Resolves when the run has stopped between two steps (safePoint), or at once if it already has.
  pause() {
    if (!run) return false;
    run.paused = true;
    if (run.resume) return true;
    return new Promise((resolve) => run.parked.push(resolve));
  },
  resume() {
    if (run) {
      run.paused = false;
      run.resume?.();
      run.resume = null;
    }
    return Boolean(run);
  },
  stop() {
    if (run) {
      run.abort.abort();
      run.paused = false;
      run.resume?.();
      run.resume = null;
    }
    dataAbort?.abort();
    return true;
  },
};

// Requests that use a model: queued while a run is between pauses, run at its next step.
const MODEL_OPS = new Set(['inspect', 'attention', 'predictText', 'predictions', 'saveCheckpoint', 'evaluate', 'bowBaseline', 's2sDecode',
  'walkText',
  'wordMap', 'neighbours', 'readByAll', 'history']);

async function runJob({ id, op, args }) {
  try {
    const fn = OPS[op];
    if (!fn) throw new Error(`unknown request '${op}'`);
    let result = await fn(args ?? {});
    let transfer = [];
    if (result && result.transfer) {
      transfer = result.transfer;
      result = { ...result };
      delete result.transfer;
    }
    post({ id, ok: true, result }, transfer);
  } catch (e) {
    post({ id, ok: false, error: errorInfo(e) });
    // A trap retires the module instance: nothing more can run in this worker.
    if (e?.code === 'RNL_ERR_TRAP') post({ event: 'fatal', data: errorInfo(e) });
  }
}

self.onmessage = (e) => {
  const msg = e.data;
  if (run && MODEL_OPS.has(msg.op) && !run.paused) run.jobs.push(msg);
  else runJob(msg);
};
