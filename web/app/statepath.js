// statepath.js: "The state's path". The hidden state h_t of the review typed in "Try it", word by word,
// projected to 2-D, drawn as a path whose points are coloured by P(positive) after each word (the words on
// hover), over a cloud of test reviews' final states coloured by their label. The projection (a PCA of
// the states of the data set's first test reviews at every step) and every point are the core's
// (worker.js walkText with cloud -> Model.inspectText). An RNN and an LSTM (or GRU) run of the same data
// are drawn side by side when the runs list has both; otherwise the current model alone.
//
// The cloud costs a forward pass over a few hundred reviews, so the view is redrawn when a trace of the
// review comes (typing, a new model) and no run is training, or when "Redraw" is pressed: during a run,
// that request waits in the Worker for the next pause between two training steps, like every other.
import { lineChart, cssVar } from './charts.js';
import { diverging, css } from './palette.js';
import { charts } from './curves.js';
import { $, state, client, kindOf } from './state.js';

const PANELS = ['a', 'b'];
let pending = false;
let again = false;
let shown = [];  // per panel: { rec, walk } drawn
let ringed = null;  // the step-through's word t (stepcell.js), ringed on each path

export function initStatePath() {
  for (const k of PANELS) {
    const ch = lineChart($(`chart-state-${k}`), { xTitle: 'first principal axis', yTitle: 'second principal axis', legend: true,
      empty: 'The state’s path appears here for a text model.' });
    // A path is not sorted by x: parsed (not taken as sorted, as parsing: false does), the axes see every point.
    Object.assign(ch.options, { parsing: true, normalized: false });
    ch.options.interaction = { mode: 'nearest', axis: 'xy', intersect: false };
    ch.options.plugins.tooltip.callbacks = {
      title: () => '',
      label: (item) => item.dataset.tips?.[item.dataIndex] ?? '',
    };
    charts[`state${k.toUpperCase()}`] = ch;
  }
}

export function wireStatePath() {
  $('state-redraw').addEventListener('click', () => refresh(true));
  // Typing traces the review at every pause; the cloud waits for a longer one (it costs seconds in the Worker).
  let timer = 0;
  document.addEventListener('rnnlab:step', (e) => {
    ringed = e.detail.t;
    PANELS.forEach((k, i) => shown[i] && ring(k, shown[i].walk));
  });
  document.addEventListener('rnnlab:traced', () => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(false), 700);
  });
  // Shown for a text model (as "Try it"), unless an embedding page hid it; shown again, it draws.
  const show = () => {
    const card = $('state-card'), was = card.hidden;
    card.hidden = (state.model?.kind ?? kindOf(state.cfg)) !== 'text' || Boolean(card.dataset.hiddenByEmbed);
    if (was && !card.hidden) refresh(false);
  };
  document.addEventListener('rnnlab:changed', show);
  show();
}

// The runs drawn: the current text model, and beside it the newest other run of the same data whose cell
// differs (an RNN beside a gated cell when there is one), RNN on the left.
function pickRuns() {
  const cur = state.model;
  if (!cur || cur.kind !== 'text' || !cur.rec) return [];
  const others = state.runs.filter((r) => r !== cur.rec && r.kind === 'text' && !r.freed && r.modelId && r.dataKey === cur.rec.dataKey
    && r.cfg.cell !== cur.rec.cfg.cell && !r.cfg.bi && (r.stepsTotal ?? 0) > 0).reverse();
  const gated = (r) => r.cfg.cell !== 'rnn';
  const other = others.find((r) => gated(r) !== gated(cur.rec)) ?? others[0];
  const pair = other ? [cur.rec, other] : [cur.rec];
  return pair.sort((x, y) => Number(gated(x)) - Number(gated(y)));
}

// force: also while a run trains (the Redraw button).
export async function refresh(force) {
  if ($('state-card').hidden) return;
  if (state.running && !force) return;
  if (pending) {
    again = true;
    return;
  }
  const runs = pickRuns();
  if (!runs.length) {
    shown = [];
    draw();
    $('state-info').textContent = 'Train or load an IMDB model, then type a review in “Try it”.';
    return;
  }
  pending = true;
  $('state-card').dataset.busy = '1';
  try {
    const text = $('review').value;
    const walks = [];
    for (const rec of runs) walks.push({ rec, walk: await client.call('walkText', { modelId: rec.modelId, text, units: [0], cloud: true }) });
    shown = walks;
    draw();
  } catch (e) {
    shown = [];
    draw();
    $('state-info').textContent = e.message;
  } finally {
    pending = false;
    delete $('state-card').dataset.busy;
  }
  if (again) {
    again = false;
    refresh(force);
  }
}

function draw() {
  PANELS.forEach((k, i) => drawPanel(k, shown[i]));
  $(`state-panel-b`).hidden = shown.length < 2;
  $('state-pair').classList.toggle('single', shown.length < 2);
  if (!shown.length) return;
  const one = shown.length === 1;
  const cells = shown.map((s) => s.rec.cfg.cell);
  $('state-info').textContent = one
    ? `Only run ${shown[0].rec.id} (${shown[0].rec.label}) is here. To see an RNN beside an LSTM or GRU, train the other cell on the same data ` +
      `(change Cell and press Train): both paths then show side by side.`
    : `Run ${shown[0].rec.id} (${cells[0].toUpperCase()}) beside run ${shown[1].rec.id} (${cells[1].toUpperCase()}), the same review and data; ` +
      'each has its own state space, so compare the shapes, not the coordinates.';
}

function drawPanel(k, s) {
  const ch = charts[`state${k.toUpperCase()}`];
  const title = $(`state-title-${k}`), note = $(`state-note-${k}`);
  const canvas = $(`chart-state-${k}`);
  if (!s) {
    ch.data.datasets = [];
    ch.update('none');
    title.textContent = '';
    note.textContent = '';
    delete canvas.dataset.points;
    return;
  }
  const { rec, walk } = s;
  title.textContent = `Run ${rec.id}: ${rec.label}`;
  const sets = [];
  if (walk.cloud) {
    const n = walk.cloud.labels.length;
    for (const [label, want, shape, v] of [['test reviews, negative (final state)', 0, 'circle', -0.55], ['test reviews, positive (final state)', 1, 'triangle', 0.55]]) {
      const pts = [], tips = [];
      for (let i = 0; i < n; i++) {
        if (walk.cloud.labels[i] !== want) continue;
        pts.push({ x: walk.cloud.xy[2 * i], y: walk.cloud.xy[2 * i + 1] });
        tips.push(`test review ${i + 1}: ${want ? 'positive' : 'negative'}`);
      }
      const color = css(diverging(v), 0.75);  // light ends of the scale: seen on both themes' backgrounds
      sets.push({ label, data: pts, tips, showLine: false, pointStyle: shape, pointRadius: 3, pointHoverRadius: 5, borderWidth: 0,
        backgroundColor: color, borderColor: color, legendPoint: shape });
    }
  }
  const T = walk.tokens.length;
  const fill = walk.tokens.map((t) => css(diverging(2 * t.positive - 1)));
  sets.push({
    label: 'the review: h_t after each word (■ first, ★ last)',
    data: walk.tokens.map((t) => ({ x: t.xy[0], y: t.xy[1] })),
    tips: walk.tokens.map((t, i) => `word ${i + 1} “${t.word}”: P(positive) = ${t.positive.toFixed(3)}`),
    showLine: true, borderColor: cssVar('--fg-muted'), borderWidth: 1.5, tension: 0,
    pointBackgroundColor: fill, pointBorderColor: cssVar('--fg'), pointBorderWidth: 1,
    pointStyle: walk.tokens.map((_, i) => (i === 0 ? 'rect' : i === T - 1 ? 'star' : 'circle')),
    pointHoverRadius: 7, legendPoint: 'circle',
    backgroundColor: cssVar('--fg-muted'),
  });
  ch.data.datasets = sets;
  ring(k, walk);
  canvas.dataset.points = String(T);
  canvas.dataset.cloud = String(walk.cloud?.labels.length ?? 0);
  const pct = (v) => `${(100 * v).toFixed(0)}%`;
  note.textContent = (walk.projection.fittedOn === 'dataset'
    ? `Axes: the states of ${walk.cloud.labels.length} test reviews at every word (they explain ${pct(walk.projection.explained[0])} and ${pct(walk.projection.explained[1])} of their variance).`
    : `Axes: this review’s own states (${pct(walk.projection.explained[0])} and ${pct(walk.projection.explained[1])} of their variance); no cloud: the model was not trained on the loaded data.`) +
    ` P(positive) at the end: ${walk.probability.toFixed(3)}.`;
}

// The path's point of the step-through's word t: larger, in the text colour's ring; the others as drawn.
function ring(k, walk) {
  const ch = charts[`state${k.toUpperCase()}`], path = ch.data.datasets[ch.data.datasets.length - 1];
  const T = walk.tokens.length, t = ringed !== null && ringed < T ? ringed : null;
  path.pointRadius = walk.tokens.map((_, i) => (i === t ? 10 : i === 0 || i === T - 1 ? 7 : 4));
  path.pointBorderWidth = walk.tokens.map((_, i) => (i === t ? 3 : 1));
  $(`chart-state-${k}`).dataset.ringed = t === null ? '' : String(t);
  ch.update('none');
}

export function themeChanged() {
  draw();
}
