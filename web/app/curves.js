// curves.js: the lab's curves. The current model's loss, accuracy and gradient-norm charts, and the chart
// that compares every run; each chart is made once and its datasets mutated, and while a run trains only
// the charts on screen are redrawn. The registry `charts` also holds the charts of inspect.js, so that a
// theme change reaches them all.
import * as C from './config.js';
import { lineChart, series, hline, markers, redraw, fmtNum } from './charts.js';
import { baselineLoss } from './diagnose.js';
import { OKABE_ITO } from './palette.js';
import { $, state } from './state.js';

// Chart.js charts by name: loss, acc, grad, cmp (here), dh, pred (inspect.js).
export const charts = {};
let drawQueued = false;
let lastDraw = 0;
let lastTable = 0;

export function initCurves() {
  charts.loss = lineChart($('chart-loss'), { xTitle: 'step', yTitle: 'loss', empty: 'The loss appears here when you train.' });
  charts.acc = lineChart($('chart-acc'), { xTitle: 'step', yTitle: 'accuracy', yMin: 0, yMax: 1, empty: 'Accuracy appears here when you train.' });
  charts.grad = lineChart($('chart-grad'), { xTitle: 'step', yTitle: '‖gradient‖ (log scale)', yLog: true,
    empty: 'The gradient norm of every step appears here.' });
  charts.cmp = lineChart($('chart-cmp'), { xTitle: 'step', yTitle: 'held-out loss', empty: 'Each run you train adds a curve here (when it has this measure).' });
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

// Redraws the curves at most every 250 ms, and the runs table (renderTable, runs.js) at most every second.
export function scheduleDraw(renderTable) {
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
        renderTable();
      } else {
        drawCompare();
      }
    } finally {
      paintAll = true;
    }
  }), wait);
}

export function clearMainCharts() {
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
  const sig = [rec.id, classification, rec.cfg.clip, rec.cfg.clipAt, Boolean(rec.nan), bow, rec.best?.step].join('|');
  if (rec.sets?.sig === sig) return rec.sets;
  const heldOut = rec.kind === 'task' ? 'held-out' : 'validation';
  const loss = [
    series('training loss (each step)', { color: OKABE_ITO.sky, dash: [], point: 'circle' }, rec.train, { borderWidth: 1 }),
    series('training loss (average)', { color: OKABE_ITO.blue, dash: [], point: 'circle' }, rec.ema, { borderWidth: 2.5 }),
    series(`${heldOut} loss`, { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' }, rec.val, { pointRadius: 4, legendPoint: 'triangle' }),
  ];
  if (base) loss.push(hline(`${base.what} (${base.approx ? '≈' : ''}${fmtNum(base.loss)})`, base.loss, 0, 1));
  // keepBest: the best epoch so far, a star on its validation point (the core chose it).
  const bestAt = (pts) => (rec.best ? pts.filter((p) => p.x === rec.best.step) : []);
  const bestLabel = rec.best ? `best epoch (${rec.best.epoch})` : '';
  if (rec.best) loss.push(markers(bestLabel, { color: OKABE_ITO.green, point: 'star' }, bestAt(rec.val), { pointRadius: 10, borderWidth: 2.5 }));
  const acc = [
    series('training accuracy (average)', { color: OKABE_ITO.blue, dash: [], point: 'circle' }, rec.accEma, { borderWidth: 2.5 }),
    series(`${heldOut} accuracy`, { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' }, rec.valAcc, { pointRadius: 4, legendPoint: 'triangle' }),
  ];
  if (rec.best) acc.push(markers(bestLabel, { color: OKABE_ITO.green, point: 'star' }, bestAt(rec.valAcc), { pointRadius: 10, borderWidth: 2.5 }));
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
  // A loaded model's stored training history (runs.js showHistory): each curve says it came from the file.
  if (rec.fromFile) for (const ds of [...loss, ...acc, ...grad]) if (!ds.isRef && !ds.label.endsWith(FROM_FILE)) ds.label += FROM_FILE;
  rec.sets = { sig, loss, acc, grad, clippedSet };
  return rec.sets;
}

const FROM_FILE = ' (from the file)';

export function drawMain() {
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
  // A checkpoint's history keeps the gradient norms, not which steps were clipped.
  if (sets.clippedSet && rec.fromFile && !rec.clippedCount) sets.clippedSet.label = 'clipped steps (not kept in the file)';
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

export function drawCompare() {
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
