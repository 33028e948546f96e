// attention.js: inside a Transformer: the self-attention of one head of one layer over one sequence, as a
// query x key heatmap (row i: how much of each word's value went into word i's new vector; rows sum to 1).
// The sequence is the review typed in "Try it" (a text model) or a sample sequence of the task; the layer
// and head are the student's choice. While a run trains it is asked again at most every LIVE_MS: the Worker
// answers between two training steps (worker.js attention), so training never waits on the drawing and the
// page never waits on training. The numbers are the core's (rnl_tf_attention); this module only draws.
import { Heatmap } from './heatmap.js';
import { stackPng } from './charts.js';
import { download } from './files.js';
import { $, state, client, kindOf } from './state.js';

const LIVE_MS = 1000;

export let attentionMap;  // the heatmap (its canvas is one of the PNG exports)
let pending = false, again = false, lastAt = 0, lastKey = '';

const isTransformer = () => (state.model?.config?.cell ?? state.cfg.cell) === 'transformer';

export function initAttention() {
  attentionMap = new Heatmap($('tfa-heatmap'), { scaleId: 'tfa-scale' });
  attentionMap.clear('Train a Transformer to see where each of its heads looks.');
}

// The card shows for a Transformer (the set-up's, or the current model); its layer and head choices follow
// the model's shape, and its sequence the data's kind.
export function updateAttentionControls() {
  const card = $('tfa-card');
  card.hidden = !isTransformer() || Boolean(card.dataset.hiddenByEmbed);
  if (card.hidden) return;
  const c = state.model?.config?.cell === 'transformer' ? state.model.config : { layers: state.cfg.layers, heads: state.cfg.heads };
  fill($('tfa-layer'), c.layers, (l) => `${l + 1}${l === c.layers - 1 ? ' (last)' : ''}`);
  fill($('tfa-head'), c.heads, (h) => String(h + 1));
  const kind = state.model?.kind ?? kindOf(state.cfg);
  const src = $('tfa-source');
  const sources = kind === 'text' ? [['text', 'the review in “Try it”']] : kind === 'task' ? [['task', 'a sample sequence of the task']]
    : [['none', 'a series (not shown)']];
  if (src.dataset.sig !== sources.map((s) => s[0]).join()) {
    src.replaceChildren(...sources.map(([v, t]) => new Option(t, v)));
    src.dataset.sig = sources.map((s) => s[0]).join();
  }
  $('tfa-seed-wrap').hidden = kind !== 'task';
}

// n options 0..n-1, keeping the student's choice when it still exists (else the last layer, the first head).
function fill(select, n, text) {
  if (Number(select.dataset.n) === n) return;
  const prev = select.value;
  select.replaceChildren(...Array.from({ length: n }, (_, i) => new Option(text(i), String(i))));
  select.dataset.n = String(n);
  select.value = select.dataset.chosen && Number(prev) < n ? prev : select.id === 'tfa-layer' ? String(n - 1) : '0';
}

// After any change of set-up, model or run (setup.js's event): the controls, and a new picture when the
// model or its step count changed.
export function onChanged() {
  updateAttentionControls();
  const key = state.model ? `${state.model.modelId}|${state.model.rec?.stepsTotal}|${state.running}` : '';
  if (key !== lastKey) {
    lastKey = key;
    refreshAttention();
  }
}

// While a run trains (and "Live while training" is ticked): a new picture at most every LIVE_MS.
export function attentionWhileTraining() {
  if (!$('tfa-card').hidden && $('tfa-live').checked && performance.now() - lastAt > LIVE_MS && !pending) refreshAttention();
}

export async function refreshAttention() {
  if ($('tfa-card').hidden) return;
  if (!state.model || state.model.config?.cell !== 'transformer') {
    attentionMap.clear('Train a Transformer (or load one) to see where each of its heads looks.');
    $('tfa-info').textContent = '';
    return;
  }
  if (pending) {
    again = true;  // one more when this one is back: the last choice is always drawn
    return;
  }
  const source = $('tfa-source').value;
  if (source === 'none') {
    attentionMap.clear('The attention view reads a review or a task’s sequence; a series model has no words to show.');
    return;
  }
  const text = $('review').value;
  if (source === 'text' && !text.trim()) {
    attentionMap.clear('Type a review in “Try it” to see the attention over its words.');
    return;
  }
  pending = true;
  lastAt = performance.now();
  const layer = Number($('tfa-layer').value) || 0, head = Number($('tfa-head').value) || 0;
  try {
    const r = await client.call('attention', { modelId: state.model.modelId, layer, head,
      source: source === 'text' ? { kind: 'text', text } : { kind: 'task', length: state.cfg.len, seed: Number($('tfa-seed').value) || 0 } });
    draw(r, layer, head);
  } catch (e) {
    attentionMap.clear(e.message);
    $('tfa-info').textContent = '';
  } finally {
    pending = false;
    if (again) {
      again = false;
      refreshAttention();
    }
  }
}

function draw(r, layer, head) {
  const n = r.rows, what = r.kindLabel;
  attentionMap.canvas.dataset.layer = String(layer);
  attentionMap.canvas.dataset.head = String(head);
  attentionMap.set({ values: (u, t) => r.data[u * r.cols + t], units: r.rows, steps: r.cols, labels: r.labels, rowLabels: r.labels,
    marks: r.marks, signed: false, scaleMax: 1, name: `attention weight of layer ${layer + 1}, head ${head + 1}`, unitName: `query ${what}`,
    stepName: `key ${what}`, square: true, xTitle: `key (the ${what} looked at)` });
  const verdict = Number.isFinite(r.probability) ? ` P(positive) = ${(100 * r.probability).toFixed(1)}%.` : '';
  const answer = r.target && r.prediction ? taskLine(r) : '';
  $('tfa-info').textContent = `Layer ${layer + 1}, head ${head + 1} of run ${state.model.rec?.id ?? ''} after ${state.model.rec?.stepsTotal ?? 0} ` +
    `steps: ${n} ${what}s, ${n * n} weights (${n} × ${n}: attention grows with the square of the length).${verdict}${answer}`;
}

// The task's answer beside the model's: copy names a symbol (the class with the highest probability).
function taskLine(r) {
  if (r.prediction.length === 1) return ` Target ${r.target[0].toFixed(2)}, predicted ${r.prediction[0].toFixed(2)}.`;
  let best = 0;
  for (let i = 1; i < r.prediction.length; i++) if (r.prediction[i] > r.prediction[best]) best = i;
  return ` First symbol ${r.target[0]}, the model says ${best} (${(100 * r.prediction[best]).toFixed(0)}%).`;
}

export function themeChanged() {
  if (attentionMap.data) attentionMap.set(attentionMap.data);
  else attentionMap.draw();
}

export function wireAttention() {
  for (const id of ['tfa-layer', 'tfa-head']) $(id).addEventListener('change', (e) => (e.target.dataset.chosen = '1'));
  for (const id of ['tfa-layer', 'tfa-head', 'tfa-source', 'tfa-seed']) $(id).addEventListener('change', refreshAttention);
  let timer = 0;
  $('review').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refreshAttention, 200);
  });
  document.addEventListener('rnnlab:changed', onChanged);
  $('tfa-png').addEventListener('click', async () => download(await stackPng([attentionMap.canvas]), 'rnnlab-attention.png', 'image/png'));
}
