// lrcurve.js: the optimizer group's small chart of the learning rate over the run's steps, as the core's
// schedule gives it (lab.scheduleCurve, computed in C through the Worker): warm-up, then constant, cosine or
// step decay, from the model's next step to the end of the run the set-up describes. For a data set the
// run's length needs its batches per epoch, so the curve waits for the data.
import { lineChart, series, redraw, fmtNum } from './charts.js';
import { OKABE_ITO } from './palette.js';
import { $, state, client, archKey, kindOf } from './state.js';
import { charts } from './curves.js';

let pending = null, last = '';

export function initLrCurve() {
  charts.lr = lineChart($('chart-lr'), { xTitle: 'step', yTitle: 'learning rate', yMin: 0, legend: false,
    empty: 'The learning rate of each step appears here.' });
}

// What the curve depends on: the schedule, the rate, the run's length, the data, and the steps already done.
function request() {
  const cfg = state.cfg;
  const continuing = state.model && state.model.archKey === archKey(cfg) ? state.model.modelId : null;
  return { schedule: { kind: cfg.sched, warmup: cfg.warmup }, lr: cfg.lr, epochs: cfg.epochs, batchSize: cfg.batch, steps: cfg.steps,
    modelId: continuing, task: kindOf(cfg) === 'task', dataKey: state.data.key };
}

/** Redraws the curve when the set-up changed what it shows (the Worker computes it; a failure clears it). */
export async function updateLrCurve() {
  if (!charts.lr || state.running) return;
  const req = request(), key = JSON.stringify(req);
  if (key === last) return;
  last = key;
  const job = (pending = client.call('scheduleCurve', req).catch((e) => ({ error: e.message })));
  const r = await job;
  if (job !== pending) return;  // a newer request is on its way
  const ch = charts.lr;
  if (!r || r.error) {
    ch.data.datasets = [];
    redraw(ch);
    $('lr-hint').textContent = r?.error ? `No curve: ${r.error}` : 'The curve appears when the data is loaded (its batches per epoch set the run’s length).';
    return;
  }
  const pts = r.steps.map((s, i) => ({ x: s, y: r.lr[i] }));
  ch.data.datasets = [series('learning rate', { color: OKABE_ITO.blue, dash: [], point: 'circle' }, pts, { borderWidth: 2, pointRadius: 0 })];
  ch.options.scales.x.min = r.first;
  ch.options.scales.x.max = r.last;
  redraw(ch);
  const epochs = r.perEpoch ? `, ${r.perEpoch.toLocaleString('en')} steps an epoch` : '';
  const more = r.first > 1 ? ' (Train more continues the current model: its schedule runs from its first step)' : '';
  $('lr-hint').textContent = `Steps ${r.first.toLocaleString('en')} to ${r.last.toLocaleString('en')}${epochs}${more}: the rate goes from ` +
    `${fmtNum(r.lr[0])} to ${fmtNum(r.lr[r.lr.length - 1])}.`;
}
