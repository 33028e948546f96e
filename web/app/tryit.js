// tryit.js: "Try it", a review read as it is typed. The current text model's verdict on the review, and
// how each word moved it (the change in P(positive) at that word); sample reviews to start from. It also
// decides which of the model's cards show (this one for a text model, predictions for a regression one).
import { diverging, css, textOn } from './palette.js';
import { $, state, client, kindOf, currentTheme } from './state.js';
import { updateTraceControls, refreshTrace } from './inspect.js';

const SAMPLES = [
  'An absolute delight from start to finish. The cast is wonderful and the story stayed with me for days.',
  'I wanted to like it, but it was slow, predictable and far too long. A waste of a great cast.',
  'Not bad at all: the first hour drags, yet the ending is brilliant and moving.',
  'The worst film I have seen this year. Awful dialogue, terrible acting, no plot.',
];

const UNK = 1;  // the vocabulary's id of <unk> (rnnlab_data.h RNL_UNK)
let lastWords = null;
let tryTimer = 0;
let tryPending = false;
let traceTimer = 0;

export function updateCards() {
  const kind = state.model?.kind ?? kindOf(state.cfg);
  // A card an embedding page hid stays hidden.
  $('try-card').hidden = kind !== 'text' || Boolean($('try-card').dataset.hiddenByEmbed);
  const regression = (state.model?.config?.head ?? (['adding', 'sine'].includes(state.cfg.task) || kind === 'series' ? 'regression' : 'x')) === 'regression';
  $('pred-card').hidden = !regression || Boolean($('pred-card').dataset.hiddenByEmbed);
  updateTraceControls();
}

export function updateTry() {
  updateCards();
  clearTimeout(tryTimer);
  tryTimer = setTimeout(runTry, 120);
}

// Which model reads the review: the current one (the last trained, loaded or opened), named as in the
// comparison table, since several runs may be there.
function showModel() {
  const rec = state.model?.kind === 'text' ? state.model.rec : null;
  $('try-model').textContent = rec ? `Predicting with run ${rec.id}: ${rec.label}, ${rec.stepsTotal} steps trained (the current model; ` +
    'Open another run in the comparison table to try it).' : '';
}

async function runTry() {
  if ($('try-card').hidden) return;
  showModel();
  if (!state.model || state.model.kind !== 'text') {
    $('verdict-text').textContent = 'Train or load an IMDB model to read reviews.';
    renderWords(null);
    return;
  }
  if (!$('review').value.trim()) {
    // Nothing typed: the model would read one <unk> and give a verdict on nothing.
    $('verdict-text').textContent = 'Type a review (or pick a sample) to see what the model makes of it.';
    renderWords(null);
    return;
  }
  if (tryPending) {
    tryTimer = setTimeout(runTry, 120);
    return;
  }
  tryPending = true;
  try {
    const r = await client.call('predictText', { modelId: state.model.modelId, text: $('review').value });
    renderWords(r);
  } catch (e) {
    $('verdict-text').textContent = e.message;
    renderWords(null);
  } finally {
    tryPending = false;
  }
  if ($('trace-source').value === 'text') {
    clearTimeout(traceTimer);
    traceTimer = setTimeout(refreshTrace, 300);
  }
}

function renderWords(r) {
  lastWords = r;
  const box = $('words');
  box.replaceChildren();
  $('meter-fill').parentElement.hidden = !r;
  if (!r) return;
  const p = r.probability;
  $('meter-fill').style.width = `${(100 * p).toFixed(1)}%`;
  $('verdict-text').textContent = r.tokens.length === 0 ? 'Type a review: no words yet.'
    : `${p >= 0.5 ? 'Positive' : 'Negative'}: P(positive) = ${(100 * p).toFixed(1)}%`;
  const steps = r.stepProbabilities;
  const dark = currentTheme() === 'dark';
  r.tokens.forEach((vocabWord, i) => {
    // An unknown word is shown as typed, and marked: the model read it as <unk>.
    const unknown = r.ids[i] === UNK && Boolean(r.words?.[i]);
    const tok = unknown ? r.words[i] : vocabWord;
    const el = document.createElement('span');
    el.className = unknown ? 'word unk' : 'word';
    const w = document.createElement('span');
    w.className = 'w';
    w.textContent = tok;
    el.append(w);
    if (steps) {
      const delta = steps[i] - (i === 0 ? 0.5 : steps[i - 1]);
      const rgb = diverging(Math.max(-1, Math.min(1, delta * 4)));
      el.style.background = css(rgb);
      el.style.color = textOn(rgb);
      el.style.borderColor = dark ? 'transparent' : css(rgb);
      const dd = document.createElement('span');
      dd.className = 'd';
      dd.textContent = `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)}`;
      el.append(dd);
      el.title = `after “${tok}”${unknown ? ' (not in the vocabulary: read as <unk>)' : ''}: P(positive) = ${steps[i].toFixed(3)} ` +
        `(${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(3)})`;
      el.setAttribute('aria-label', `${tok}${unknown ? ', unknown word' : ''}: ${delta >= 0 ? 'plus' : 'minus'} ${Math.abs(delta).toFixed(2)}`);
    } else if (unknown) {
      el.title = `“${tok}” is not in the vocabulary: read as <unk>`;
      el.setAttribute('aria-label', `${tok}, unknown word`);
    }
    box.append(el);
  });
  if (!steps) {
    const note = document.createElement('p');
    note.className = 'hint';
    note.textContent = state.model?.config?.cell === 'transformer'
      ? 'A Transformer reads every word at once, each looking at all the others, so no word has its own step: no per-word changes. See where its heads look in “Inside the Transformer”.'
      : 'A bidirectional model reads the review both ways at once, so no single word has its own step: no per-word changes.';
    box.append(note);
  }
}

// The words recoloured for the theme.
export function themeChanged() {
  renderWords(lastWords);
}

export function wireTry() {
  $('review').addEventListener('input', updateTry);
  const samples = $('samples');
  SAMPLES.forEach((s, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'ghost small';
    b.textContent = `Sample ${i + 1}`;
    b.title = s;
    b.addEventListener('click', () => {
      $('review').value = s;
      updateTry();
    });
    samples.append(b);
  });
}
