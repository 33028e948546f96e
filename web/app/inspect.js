// inspect.js: looking inside the current model. The gate heatmap (one gate, or the state, of every unit
// at every step of one sequence), the ||dL/dh_t|| chart under it (the gradient through time), and the
// predicted-against-actual chart of a regression model. The Worker traces the model (worker.js inspect,
// predictions); this module picks the sequence, asks, and draws what comes back.
import { lineChart, series, hline, markers, fmtNum, redraw } from './charts.js';
import { Heatmap } from './heatmap.js';
import { OKABE_ITO } from './palette.js';
import { charts } from './curves.js';
import { $, state, client, kindOf, modelConfigFromCfg } from './state.js';

// The gate heatmap (its canvas is also one of the PNG exports).
export let heatmap;

// ‖∂L/∂h_t‖ sits under the heatmap step for step: its plot spans the heatmap's columns (its y axis takes the
// heatmap's left margin, its right padding the rest of the width) with one category band per column
// (offset), so the point of step t is under column t. Its ticks are the steps' numbers (a text's words),
// every few as the heatmap labels its columns, and every marked step (★) whatever the spacing.
const DH_AXIS = 76;  // px: the heatmap's left margin, the room the chart's y axis needs (title, 1e-5 ticks)
let dhTicks = { labels: [], marks: null, every: 1, tips: [] };

function dhTick(i) {
  const { labels, marks, every } = dhTicks;
  if (marks?.[i]) return `${labels[i]} ★`;
  return i % every === 0 && !marks?.[i - 1] && !marks?.[i + 1] ? labels[i] : '';
}

export function initInspect() {
  charts.dh = lineChart($('chart-dh'), { xType: 'category', xTitle: 'step', yTitle: '‖∂L/∂h_t‖ (log)', yLog: true, xRotate: 60,
    tooltipTitle: (it) => dhTicks.tips[it.dataIndex] ?? it.label, empty: 'The gradient through time appears here after training.' });
  const dh = charts.dh.options;
  dh.scales.x.offset = true;
  Object.assign(dh.scales.x.ticks, { autoSkip: false, callback: (value, i) => dhTick(i) });
  dh.scales.y.afterFit = (scale) => {
    scale.width = heatmap?.geometry?.left ?? DH_AXIS;
  };
  // Chart.js would widen the margins for the first and last tick labels; the heatmap's margins hold them.
  dh.scales.x.afterFit = (scale) => {
    scale.paddingLeft = 0;
    scale.paddingRight = 0;
  };
  dh.layout = { padding: (ctx) => {
    const g = heatmap?.geometry;
    return { left: 0, right: g ? Math.max(0, ctx.chart.width - g.left - g.plotW) : 8, top: 0, bottom: 0 };
  } };
  charts.pred = lineChart($('chart-pred'), { xTitle: 'actual', yTitle: 'predicted', empty: 'Predictions appear here after training.' });
  heatmap = new Heatmap($('heatmap'), { scaleId: 'heatmap-scale' });
  heatmap.clear('Train a model (or press Trace) to see its gates.');
}

export function wireInspect() {
  $('trace').addEventListener('click', refreshTrace);
  $('trace-gate').addEventListener('change', renderTrace);
  $('trace-layer').addEventListener('change', renderTrace);
  $('trace-seed').addEventListener('change', refreshTrace);
  $('trace-source').addEventListener('change', refreshTrace);
  // A Transformer chosen in the form hides this card at once (its attention card shows instead).
  document.addEventListener('rnnlab:changed', () => {
    const inside = document.querySelector('section[data-group="inside"]');
    if (inside.hidden !== ((state.model?.config ?? state.cfg).cell === 'transformer' || Boolean(inside.dataset.hiddenByEmbed))) updateTraceControls();
  });
}

// The gate heatmap redrawn in the theme's colours.
export function themeChanged() {
  heatmap.draw();
  heatmap.set && heatmap.data && heatmap.set(heatmap.data);
}

// --- Gates and the gradient through time --------------------------------------------------------------------

// The core names each cell's gates (its cell table, lab.cells, in the order of the gate trace's blocks);
// the page adds the words, and the order a student reads them in (the forget gate first). A gate not named
// here (a new cell's) comes after these, as "gate x". Candidates (g, n) are a tanh: signed, in -1..1.
const GATE_WORDS = { f: 'forget gate', i: 'input gate', o: 'output gate', g: 'candidate', z: 'update gate', r: 'reset gate', n: 'candidate' };
const SIGNED_GATES = ['g', 'n'];

const cellInfo = (name) => state.engine.cells.find((c) => c.name === name);

// The "Show" choices for a cell, [value, text]: its gates, then its state. A one-block cell (the plain RNN)
// has no gate: its one block is the new hidden state, shown as the state.
function gateOptions(name) {
  const cell = cellInfo(name);
  const order = Object.keys(GATE_WORDS);
  const rank = (g) => (order.includes(g) ? order.indexOf(g) : order.length);
  const gates = cell.gates > 1 ? [...cell.gateNames].sort((a, b) => rank(a) - rank(b)) : [];
  return [...gates.map((g) => [g, `${GATE_WORDS[g] ?? 'gate'} ${g}`]), ['state', cell.hasCellState ? 'cell state c' : 'hidden state h']];
}

let lastTraceAt = 0;
let tracePending = false;
let lastTrace = null;

// While a run trains (and "Live while training" is ticked): a new trace at most every 1.5 s.
export function traceWhileTraining() {
  if ($('trace-live').checked && performance.now() - lastTraceAt > 1500 && !tracePending) refreshTrace();
}

export function updateTraceControls() {
  const cfg = state.model?.config ?? modelConfigFromCfg(state.cfg);
  // A Transformer has no gates nor a state carried from step to step: its view is attention (attention.js).
  const inside = document.querySelector('section[data-group="inside"]');
  inside.hidden = cfg.cell === 'transformer' || Boolean(inside.dataset.hiddenByEmbed);
  if (cfg.cell === 'transformer') return;
  const gate = $('trace-gate');
  const prev = gate.value;
  if (gate.dataset.cell !== cfg.cell) {
    const opts = gateOptions(cfg.cell);
    gate.replaceChildren(...opts.map(([v, t]) => new Option(t, v)));
    gate.dataset.cell = cfg.cell;
    gate.value = opts.some(([v]) => v === prev) ? prev : opts[0][0];
  }
  const layer = $('trace-layer');
  const want = [];
  for (let l = 0; l < cfg.layers; l++) {
    want.push([`${l}:0`, cfg.bidirectional ? `${l + 1}, forward` : `${l + 1}`]);
    if (cfg.bidirectional) want.push([`${l}:1`, `${l + 1}, backward`]);
  }
  const sig = want.map((w) => w[0]).join(',');
  if (layer.dataset.sig !== sig) {
    const p = layer.value;
    layer.replaceChildren(...want.map(([v, t]) => new Option(t, v)));
    layer.dataset.sig = sig;
    layer.value = want.some(([v]) => v === p) ? p : want[want.length - 1 - (cfg.bidirectional ? 1 : 0)][0];
  }
  $('trace-layer-wrap').hidden = want.length < 2;
  const src = $('trace-source');
  const kind = state.model?.kind ?? kindOf(state.cfg);
  const sources = kind === 'text' ? [['text', 'the review in “Try it”']] : kind === 'series' ? [['series', 'a test window']]
    : [['task', 'a sample sequence of the task']];
  const ssig = sources.map((s) => s[0]).join(',');
  if (src.dataset.sig !== ssig) {
    src.replaceChildren(...sources.map(([v, t]) => new Option(t, v)));
    src.dataset.sig = ssig;
  }
  $('trace-seed-wrap').hidden = kind === 'text';
}

export async function refreshTrace() {
  updateTraceControls();
  if ((state.model?.config ?? state.cfg).cell === 'transformer') return;
  if (!state.model) {
    heatmap.clear('Train a model (or load one) to see its gates.');
    drawDh(null);
    return;
  }
  if (tracePending) return;
  tracePending = true;
  lastTraceAt = performance.now();
  const kind = $('trace-source').value;
  const seed = Number($('trace-seed').value) || 0;
  const source = kind === 'text' ? { kind, text: $('review').value } : kind === 'series' ? { kind, index: seed } : { kind, seed: 9000 + seed, length: state.cfg.len };
  try {
    const r = await client.call('inspect', { modelId: state.model.modelId, source });
    lastTrace = r;
    renderTrace();
    // The step-through and the state's path (stepcell.js, statepath.js) walk the same sequence again.
    if (kind === 'text') document.dispatchEvent(new Event('rnnlab:traced'));
  } catch (e) {
    lastTrace = null;
    heatmap.clear(e.message);
    drawDh(null);
    $('trace-info').textContent = e.message;
  } finally {
    tracePending = false;
  }
}

function renderTrace() {
  const r = lastTrace;
  if (!r) return;
  const [l, d] = $('trace-layer').value.split(':').map(Number);
  const entry = r.layers.find((x) => x.layer === (l || 0) && x.dir === (d || 0)) ?? r.layers[0];
  const which = $('trace-gate').value;
  const H = r.hidden;
  const src = which === 'state' || !entry.gates ? entry.state : entry.gates;
  if (!src) {
    heatmap.clear('No trace recorded.');
    return;
  }
  const gi = which === 'state' ? 0 : Math.max(0, r.gateNames.indexOf(which));
  const W = src.width, data = src.data;
  const off = which === 'state' ? 0 : gi * H;
  const cell = cellInfo(r.cell);
  const signed = which === 'state' || SIGNED_GATES.includes(which) || cell.gates === 1;
  let scaleMax = 1;
  if (signed) {
    let m = 0;
    for (let t = 0; t < src.steps; t++) for (let u = 0; u < H; u++) m = Math.max(m, Math.abs(data[t * W + off + u]));
    scaleMax = m > 0 ? m : 1;
    if (which !== 'state' || !cell.hasCellState) scaleMax = Math.min(1, scaleMax) || 1;  // only a cell state is unbounded
  }
  const name = $('trace-gate').selectedOptions[0]?.textContent ?? which;
  const labels = r.labels.length === src.steps ? r.labels : Array.from({ length: src.steps }, (_, i) => String(i + 1));
  heatmap.set({ values: (u, t) => data[t * W + off + u], units: H, steps: src.steps, labels, marks: r.marks, signed, scaleMax,
    name, unitName: 'unit', stepName: r.kindLabel ?? 'step', left: DH_AXIS });
  $('heatmap-scale').textContent = signed ? `${name}: purple negative, light 0, orange positive` : `${name}: 0 closed … 1 open`;
  const pred = r.predictions;
  let info = '';
  if (r.probability !== undefined) info = `P(positive) = ${fmtNum(r.probability)}. The gradient is that of the loss if the label were ${r.target[0] ? 'positive' : 'negative'} (the opposite of the prediction).`;
  else if (r.task === 'adding') info = `Target ${fmtNum(r.target[0])} (the sum of the two marked numbers, ★), predicted ${fmtNum(pred[0])}.`;
  else if (r.task === 'copy') info = `Target symbol ${r.target[0]} (the first one); loss ${fmtNum(r.loss)}.`;
  else info = `Loss on this sequence ${fmtNum(r.loss)}.`;
  // How much of the gradient at the last step reaches the first: the vanishing gradient as one number.
  const g = entry.grad;
  if (g && g.length > 1 && g[0] > 0 && g[g.length - 1] > 0) {
    const ratio = g[0] / g[g.length - 1];
    info += ratio < 1 ? ` At the first ${r.kindLabel ?? 'step'}, ‖∂L/∂h‖ is ${fmtNum(ratio)} of its size at the last one` +
      `${ratio < 0.01 ? ': it has vanished on the way back.' : '.'}` : ` At the first ${r.kindLabel ?? 'step'}, ‖∂L/∂h‖ is ${fmtNum(ratio)} times its size at the last one.`;
  }
  $('trace-info').textContent = info;
  drawDh(r, entry, labels);
}

function drawDh(r, entry, labels) {
  const ch = charts.dh;
  if (!r || !entry?.grad) {
    ch.data.labels = [];
    ch.data.datasets = [];
    ch.update('none');
    return;
  }
  // A task's steps by number (their input values go to the tooltip); a text's by its words.
  const words = r.kindLabel === 'word';
  const short = (s) => (s.length > 12 ? `${s.slice(0, 11)}…` : s);
  dhTicks = {
    labels: labels.map((s, i) => (words ? short(s) : String(i + 1))),
    marks: r.marks,
    every: heatmap.geometry?.tEvery ?? Math.max(1, Math.ceil(labels.length / 25)),
    tips: labels.map((s, i) => (words ? `word ${i + 1}: “${s}”` : `step ${i + 1}${r.marks?.[i] ? ' ★ (marked)' : ''}: input ${s}`)),
  };
  ch.data.labels = dhTicks.labels.map((s, i) => (r.marks?.[i] ? `${s} ★` : s));
  ch.options.scales.x.title.text = r.kindLabel ?? 'step';
  const pos = (a) => a.map((v) => (v > 0 && Number.isFinite(v) ? v : null));
  const sets = [series(`‖∂L/∂h_t‖, layer ${entry.layer + 1}${r.layers.some((x) => x.dir === 1) ? (entry.dir ? ' backward' : ' forward') : ''}`,
    { color: OKABE_ITO.blue, dash: [], point: 'circle' }, pos(entry.grad), { pointRadius: labels.length <= 60 ? 3 : 0, legendPoint: 'circle' })];
  const other = r.layers.find((x) => x.layer === entry.layer && x.dir !== entry.dir);
  if (other?.grad) sets.push(series(`layer ${entry.layer + 1} ${other.dir ? 'backward' : 'forward'}`, { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' },
    pos(other.grad), { pointRadius: labels.length <= 60 ? 3 : 0, legendPoint: 'triangle' }));
  ch.data.datasets = sets;
  redraw(ch);
}

// --- Predictions (regression) -------------------------------------------------------------------------------

export async function refreshPredictions() {
  if ($('pred-card').hidden || !state.model) return;
  const ch = charts.pred;
  try {
    const r = await client.call('predictions', { modelId: state.model.modelId, length: state.cfg.len, seed: 424242 });
    if (!r) return;
    if (r.kind === 'scatter') {
      const pts = r.actual.map((a, i) => ({ x: a, y: r.predicted[i] }));
      const lo = Math.min(...r.actual, ...r.predicted), hi = Math.max(...r.actual, ...r.predicted);
      ch.options.scales.x.title.text = 'actual sum';
      ch.options.scales.x.ticks.precision = undefined;
      ch.options.scales.y.title.text = 'predicted sum';
      ch.data.datasets = [markers('sequences (200 held-out)', { color: OKABE_ITO.blue, point: 'circle' }, pts.sort((a, b) => a.x - b.x), { pointRadius: 3 }),
        hline('perfect: predicted = actual', 0, lo, hi, OKABE_ITO.grey, [4, 4])];
      ch.data.datasets[1].data = [{ x: lo, y: lo }, { x: hi, y: hi }];
      $('pred-explain').textContent = 'Each marker is one held-out sequence: its true sum (across) and the prediction (up). A model that learned lies on the diagonal; one that only guesses the mean (1) lies on a flat line.';
    } else {
      const toPts = (a) => a.map((y, i) => ({ x: i, y }));
      ch.options.scales.x.title.text = r.kind === 'series' ? 'day of the test period' : 'step';
      ch.options.scales.x.ticks.precision = 0;
      ch.options.scales.y.title.text = r.kind === 'series' ? 'value (the series’ units)' : 'value';
      ch.data.datasets = [series('actual', { color: OKABE_ITO.grey, dash: [], point: 'circle' }, toPts(r.actual), { borderWidth: 2 }),
        series('predicted', { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' }, toPts(r.predicted), { borderWidth: 2 })];
      $('pred-explain').textContent = r.kind === 'series'
        ? 'The test period, after the training and validation periods: the real values and the one-step-ahead predictions, in the series’ own units.'
        : 'One held-out sequence: the next value at every step, and the prediction made from the steps before it.';
    }
    redraw(ch);
  } catch (e) {
    $('pred-explain').textContent = e.message;
  }
}
