// stepcell.js: "Step through one cell". For the review typed in "Try it" and one step t (one word), the
// cell's equations with the numbers of a few chosen units: each gate's two inputs (the part from x_t and
// the part from h_{t-1}), the gate, the candidate, c_t and h_t; and under them the backward view: how
// dL/dh_t reaches step t-1 by each path (the LSTM's cell state through f_t against the gates), per word.
// Every number is the core's (worker.js walkText -> Model.inspectText): this module lays them out, and
// keeps step t, the gate heatmap's highlighted column (inspect.js) and the keys in step.
import { lineChart, series, redraw, fmtNum } from './charts.js';
import { OKABE_ITO } from './palette.js';
import { charts } from './curves.js';
import { $, state, client, kindOf } from './state.js';
import { heatmap } from './inspect.js';

const MAX_UNITS = 4;
let walk = null;     // the last walk: worker.js walkText's result
let step = 0;        // t, 0-based
let pending = false;
let again = false;   // a refresh asked for while one was running

// How the page writes each cell's lines. Gates come in the core's order (the cell table's gateNames, PyTorch
// order); a gate named here gets its activation, others (a new cell's) σ. The candidate is a tanh.
const ACT = { g: 'tanh', n: 'tanh', h: 'tanh' };
const PATH_WORDS = {
  cell: ['via the cell state', 'f_t ⊙ ∂L/∂c_t: no matrix, no squashing'],
  gates: ['via the gates', 'W_hhᵀ (the gates’ gradients)'],
  direct: ['direct', 'z_t ⊙ ∂L/∂h_t: the part of h_{t−1} kept in h_t'],
  W_hh: ['via W_hh and tanh′', 'W_hhᵀ (∂L/∂h_t ⊙ (1 − h_t²))'],
};
const PATH_STYLE = [{ color: OKABE_ITO.vermillion, dash: [], point: 'rectRot' }, { color: OKABE_ITO.green, dash: [6, 4], point: 'triangle' }];

// A number as shown, with its full value kept in data-v (what the tests compare with the JS API).
function num(v, digits = 3) {
  const s = document.createElement('span');
  s.className = 'eqv';
  s.dataset.v = String(v);
  s.textContent = !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(digits).replace('-', '−') : fmtNum(v);
  return s;
}

// A line of an equation: parts are text, numbers (shown by num), or [text] for a symbol.
function line(...parts) {
  const el = document.createElement('div');
  el.className = 'eq';
  for (const p of parts) {
    if (typeof p === 'number') el.append(num(p));
    else if (Array.isArray(p)) {
      const v = document.createElement('var');
      v.textContent = p[0];
      el.append(v);
    } else el.append(p);
  }
  return el;
}

export function initStepCell() {
  charts.paths = lineChart($('chart-paths'), { xType: 'category', xTitle: 'word', yTitle: 'norm (log)', yLog: true, xRotate: 60,
    empty: 'Train a text model to see the gradient’s paths.' });
  charts.paths.options.scales.x.ticks.autoSkip = true;
  heatmap.onColumn = (t) => {
    const u = heatmap.cursor?.u;
    if (walk && Number.isInteger(u) && u < walk.hidden && !walk.units.includes(u)) {
      $('step-units').value = [u, ...walk.units].slice(0, MAX_UNITS).join(', ');
      refresh(t);
    } else go(t);
  };
}

export function wireStepCell() {
  $('step-prev').addEventListener('click', () => go(step - 1));
  $('step-next').addEventListener('click', () => go(step + 1));
  $('step-units').addEventListener('change', () => refresh());
  $('step-panel').addEventListener('keydown', (e) => {
    if (!walk) return;
    const n = walk.tokens.length;
    const to = { ArrowLeft: step - 1, ArrowRight: step + 1, Home: 0, End: n - 1 }[e.key];
    if (to === undefined || e.target.matches('input, select, textarea')) return;
    e.preventDefault();
    go(to);
  });
  // A new trace of the typed review (typing, a new model, live training): the same review, walked again.
  document.addEventListener('rnnlab:traced', () => refresh());
  // Shown for a text model (as "Try it"), unless an embedding page hid it; shown again, it draws.
  const show = () => {
    const card = $('step-card'), was = card.hidden;
    card.hidden = (state.model?.kind ?? kindOf(state.cfg)) !== 'text' || Boolean(card.dataset.hiddenByEmbed);
    if (was && !card.hidden) refresh();
    if (!was && card.hidden && walk) {
      walk = null;  // another kind of model: its heatmap has no word t to outline
      render();
    }
  };
  document.addEventListener('rnnlab:changed', show);
  show();
}

// The chosen units as typed ("0, 5, 12"), or a message naming what is wrong.
function readUnits(hidden) {
  const raw = $('step-units').value.trim();
  if (!raw) return { units: [0, 1, 2].filter((u) => u < hidden) };
  const parts = raw.split(/[\s,]+/).filter(Boolean);
  const units = [];
  for (const p of parts) {
    const u = Number(p);
    if (!/^\d+$/.test(p) || u >= hidden) return { error: `units are numbers from 0 to ${hidden - 1} (this model has ${hidden}), not “${p}”` };
    if (!units.includes(u)) units.push(u);
  }
  if (units.length > MAX_UNITS) return { error: `at most ${MAX_UNITS} units at a time` };
  return { units };
}

function say(text) {
  $('step-info').textContent = text;
}

// Walks the typed review through the current model again (at step `to`, or the current step).
export async function refresh(to) {
  if ($('step-card').hidden) return;
  const m = state.model;
  if (!m || m.kind !== 'text') {
    walk = null;
    render();
    say('Train or load an IMDB model, then type a review in “Try it”: its words are the steps.');
    return;
  }
  if (pending) {
    again = true;
    return;
  }
  const { units, error } = readUnits(m.config.hidden);
  if (error) {
    say(error);
    return;
  }
  const layer = Number(($('trace-layer').value || '0').split(':')[0]) || 0;
  pending = true;
  try {
    walk = await client.call('walkText', { modelId: m.modelId, text: $('review').value, units, layer });
    if (to !== undefined) step = to;
    step = Math.max(0, Math.min(step, walk.tokens.length - 1));
    render();
  } catch (e) {
    walk = null;
    render();
    say(e.message);
  } finally {
    pending = false;
  }
  if (again) {
    again = false;
    refresh();
  }
}

function go(t) {
  if (!walk) return;
  step = Math.max(0, Math.min(t, walk.tokens.length - 1));
  render();
}

function render() {
  const box = $('step-eqs');
  box.replaceChildren();
  $('step-prev').disabled = !walk || step === 0;
  $('step-next').disabled = !walk || step >= (walk?.tokens.length ?? 1) - 1;
  heatmap?.highlightColumn(walk ? step : null);
  // The state's path (statepath.js) rings the same word's point.
  document.dispatchEvent(new CustomEvent('rnnlab:step', { detail: { t: walk ? step : null } }));
  drawPaths();
  if (!walk) {
    $('step-pos').textContent = '';
    return;
  }
  const n = walk.tokens.length, tok = walk.tokens[step], cell = state.engine.cells.find((c) => c.name === walk.cell);
  $('step-panel').dataset.step = String(step);
  $('step-pos').textContent = `Word ${step + 1} of ${n}: “${tok.word}”`;
  const head = document.createElement('p');
  head.className = 'step-head';
  head.append(`Layer ${walk.layer + 1} (${cell.label}) reads x_t, the embedding of “${tok.word}” (‖x_t‖ = `, num(tok.units[0]?.xNorm ?? NaN),
    '), and h_{t−1} (‖h_{t−1}‖ = ', num(tok.units[0]?.hPrevNorm ?? NaN), '). After this word, P(positive) = ', num(tok.positive), '.');
  box.append(head);
  for (const u of tok.units) box.append(unitBlock(cell, u));
  pathInfo(tok);
}

// One unit's equations at step t: a table of the gates (each pre-activation from its two parts, then the
// activation), then the state update with the values it read.
function unitBlock(cell, u) {
  const el = document.createElement('section');
  el.className = 'unit-eqs';
  el.dataset.unit = String(u.unit);
  const h = document.createElement('h3');
  h.textContent = `unit ${u.unit}`;
  el.append(h);
  const names = cell.gateNames;
  const val = (g) => u.gates[names.indexOf(g)];
  const table = document.createElement('table');
  table.className = 'gate-table';
  const cellOf = (tag, ...parts) => {
    const c = document.createElement(tag);
    for (const p of parts) c.append(typeof p === 'number' ? num(p) : p);
    return c;
  };
  const head = document.createElement('tr');
  head.append(cellOf('th', ''), cellOf('th', 'from x'), cellOf('th', 'from h'), cellOf('th', 'sum'), cellOf('th', 'value'));
  head.children[1].title = 'W x_t + b: the part of the pre-activation from the word’s embedding';
  head.children[2].title = 'W h_{t−1} + b: the part from the state before';
  table.append(head);
  names.forEach((g, k) => {
    const act = ACT[g] ?? 'σ', sym = cell.gates === 1 ? 'h_t' : `${g}_t`;
    // The GRU's candidate reads r_t times its recurrent part (the cell table's extra state says so).
    const fromH = cell.name === 'gru' && g === 'n' ? [val('r'), ' × ', u.hPart[k]] : [u.hPart[k]];
    const row = document.createElement('tr');
    row.dataset.gate = g;
    row.append(cellOf('th', Object.assign(document.createElement('var'), { textContent: sym }), ` = ${act}`), cellOf('td', u.xPart[k]),
      cellOf('td', ...fromH), cellOf('td', u.pre[k]), cellOf('td', u.gates[k]));
    table.append(row);
  });
  const wrap = document.createElement('div');
  wrap.className = 'gate-wrap';
  wrap.append(table);
  el.append(wrap);
  if (cell.name === 'lstm') {
    el.append(line(['c_t'], ' = f_t c_{t−1} + i_t g_t = ', val('f'), ' × ', u.cPrev, ' + ', val('i'), ' × ', val('g'), ' = ', u.c),
      line(['h_t'], ' = o_t tanh(c_t) = ', val('o'), ' × tanh(', u.c, ') = ', u.h));
  } else if (cell.name === 'gru') {
    el.append(line(['h_t'], ' = (1 − z_t) n_t + z_t h_{t−1} = (1 − ', val('z'), ') × ', val('n'), ' + ', val('z'), ' × ', u.hPrev, ' = ', u.h));
  } else if (cell.gates > 1) {
    el.append(line(['h_t'], ' = ', u.h));
  } else {
    el.append(line('(h_{t−1} was ', u.hPrev, ')'));
  }
  const back = line('backward: ', ['∂L/∂h_t'], ' = ', u.dh);
  if (cell.hasCellState) back.append(', ', Object.assign(document.createElement('var'), { textContent: '∂L/∂c_t' }), ' = ', num(u.dc));
  back.classList.add('eq-back');
  el.append(back);
  return el;
}

function pathInfo(tok) {
  const parts = [`At “${tok.word}” (word ${step + 1}), ‖∂L/∂h_t‖ = ${fmtNum(tok.gradH)}`];
  if (walk.paths.includes('cell')) parts[0] += ` and ‖∂L/∂c_t‖ = ${fmtNum(tok.gradC)}`;
  if (step === 0) parts.push('this is the first word: nothing goes further back.');
  else parts.push(`to word ${step} it passes ${walk.paths.map((p) => `${fmtNum(tok.paths[p])} ${PATH_WORDS[p]?.[0] ?? p} (‖${PATH_WORDS[p]?.[1].split(":")[0] ?? p}‖)`).join(', and ')}.`);
  say(`${parts.join('; ')} (The loss is that of the label opposite to the prediction, as in the heatmap’s gradient.)`);
}

function drawPaths() {
  const ch = charts.paths;
  if (!ch) return;
  if (!walk) {
    ch.data.labels = [];
    ch.data.datasets = [];
    ch.update('none');
    return;
  }
  const short = (s) => (s.length > 12 ? `${s.slice(0, 11)}…` : s);
  ch.data.labels = walk.tokens.map((t) => short(t.word));
  const pos = (v) => (v > 0 && Number.isFinite(v) ? v : null);
  const radius = walk.tokens.map((_, i) => (i === step ? 7 : walk.tokens.length <= 60 ? 2 : 0));
  const sets = [series('‖∂L/∂h_t‖', { color: OKABE_ITO.blue, dash: [], point: 'circle' },
    walk.tokens.map((t) => pos(t.gradH)), { pointRadius: radius, legendPoint: 'circle' })];
  walk.paths.forEach((p, k) => sets.push(series(`to t−1 ${PATH_WORDS[p]?.[0] ?? p}`, PATH_STYLE[k % 2],
    walk.tokens.map((t, i) => (i === 0 ? null : pos(t.paths[p]))), { pointRadius: radius, legendPoint: PATH_STYLE[k % 2].point })));
  ch.data.datasets = sets;
  redraw(ch);
}

// The step-through follows the theme (the chart is recoloured by main.js's applyTheme).
export function themeChanged() {
  render();
}
