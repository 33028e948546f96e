// readall.js: every run's reading of the typed review, side by side (issue 18, view 4). Each text model
// of the page (every run in the comparison table still in the Worker: RNN, LSTM, GRU, any other) reads the
// review of "Try it"; one column per run, one row per word, each cell coloured by how that word moved the
// run's P(positive) (the Worker's readByAll: the core's probability after each word, and its change), so a
// student sees at which words the cells disagree. Draws only.
import { swatch, fmtNum } from './charts.js';
import { diverging, css, textOn, SERIES } from './palette.js';
import { $, state, client, currentTheme } from './state.js';

let timer = 0;
let asking = false;
let again = false;
let last = null;  // { runs, answers }

// The runs that can read a review: text models still in the Worker.
const readers = () => state.runs.filter((r) => r.kind === 'text' && !r.freed && r.modelId);

export function wireReadAll() {
  $('review').addEventListener('input', updateReadAll);
  $('samples').addEventListener('click', updateReadAll);
}

/** Reads the review again with every run, soon (after typing, a run, a load). */
export function updateReadAll() {
  clearTimeout(timer);
  timer = setTimeout(readAll, 150);
}

async function readAll() {
  const card = $('readall-card');
  const runs = readers();
  // Beside Try it, whose review it reads: shown with it (a text model is the current one).
  card.hidden = runs.length === 0 || $('try-card').hidden || Boolean(card.dataset.hiddenByEmbed);
  if (card.hidden) return;
  const text = $('review').value;
  if (!text.trim()) {
    last = null;
    $('readall-info').textContent = 'Type a review in “Try it” to see how every run reads it.';
    $('readall').replaceChildren();
    return;
  }
  if (asking) {
    again = true;
    return;
  }
  asking = true;
  try {
    const answers = await client.call('readByAll', { modelIds: runs.map((r) => r.modelId), text });
    last = { runs, answers };
    render();
  } catch (e) {
    $('readall-info').textContent = e.message;
  } finally {
    asking = false;
  }
  if (again) {
    again = false;
    readAll();
  }
}

// The verdicts in one line: which runs say positive, which negative.
function verdictLine(runs, answers) {
  const say = (k) => runs.filter((r, i) => answers[i].probability !== undefined && (answers[i].probability >= 0.5) === k)
    .map((r) => `#${r.id} ${r.cfg.cell.toUpperCase()}`);
  const pos = say(true), neg = say(false);
  if (!pos.length || !neg.length)
    return `All ${pos.length + neg.length} runs say ${pos.length ? 'positive' : 'negative'}: compare where each made up its mind.`;
  return `The runs disagree: positive for ${pos.join(', ')}; negative for ${neg.join(', ')}. Follow the rows to the words where they part.`;
}

// One column per run (its name and final P(positive) on top), one row per word: a long review reads down
// the page, and the rows where the columns' colours differ are the words where the runs part.
function render() {
  const table = $('readall');
  if (!last) return;
  const { runs, answers } = last;
  const good = answers.find((a) => a.tokens?.length);
  $('readall-info').textContent = good ? verdictLine(runs, answers) : answers[0]?.error ?? '';
  if (!good) {
    table.replaceChildren();
    return;
  }
  const dark = currentTheme() === 'dark';
  const head = document.createElement('thead'), hr = document.createElement('tr');
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.textContent = 'Word';
  hr.append(corner);
  runs.forEach((r, k) => {
    const a = answers[k], th = document.createElement('th');
    th.scope = 'col';
    const name = document.createElement('span');
    name.className = 'run';
    name.append(swatch(SERIES[r.style]), `#${r.id} ${r.label}`);
    const p = document.createElement('span');
    p.className = 'p';
    p.textContent = a.error ? 'cannot read it' : `P(positive) ${fmtNum(a.probability)} ${a.probability >= 0.5 ? '+' : '−'}`;
    if (a.error) th.title = a.error;
    th.append(name, p);
    hr.append(th);
  });
  head.append(hr);
  // The words as typed (an unknown word as typed, marked), from the first run that read them.
  const words = good.words?.length === good.tokens.length ? good.words : good.tokens;
  const body = document.createElement('tbody');
  words.forEach((w, i) => {
    const tr = document.createElement('tr'), th = document.createElement('th');
    th.scope = 'row';
    th.textContent = w;
    if (good.ids[i] === 1) {
      th.className = 'unk';
      th.title = `“${w}” is not in the vocabulary: read as <unk>`;
    }
    tr.append(th);
    runs.forEach((r, k) => {
      const a = answers[k], td = document.createElement('td'), d = a.changes?.[i];
      if (d === undefined) {
        td.textContent = '–';
        td.title = a.error ?? (a.changes ? '' : 'This model reads the review all at once (both ways, or by attention): no per-word changes.');
      } else {
        const rgb = diverging(Math.max(-1, Math.min(1, d * 4)));
        td.style.background = css(rgb);
        td.style.color = textOn(rgb);
        if (dark) td.style.borderColor = 'transparent';
        td.textContent = `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)}`;
        td.title = `#${r.id} after “${w}”: P(positive) = ${a.stepProbabilities[i].toFixed(3)}`;
      }
      tr.append(td);
    });
    body.append(tr);
  });
  table.replaceChildren(head, body);
}

/** The cells recoloured for the theme. */
export function themeChanged() {
  render();
}
