// wordmap.js: the word map (issue 18, view 3). The current text model's embeddings of its most frequent
// words in 2-D, each word coloured by how it moves the prediction on its own (P(positive) of the one-word
// review), and a search: a word's nearest neighbours by cosine, highlighted on the map and listed. The core
// computes both maps (PCA, and the head's readout direction against the first principal axis), each
// word's effect, which map lines the words up by it better, and the neighbours (rnnlab_inspect.h through
// worker.js wordMap and neighbours); this module asks and draws.
import { cssVar, fmtNum } from './charts.js';
import { diverging, css, OKABE_ITO } from './palette.js';
import { $, state, client, sentence, currentTheme } from './state.js';

const LABELLED = 8;     // the words at each end of the map's x axis that carry their label
const NEIGHBOURS = 8;   // neighbours listed and highlighted

let chart = null;
let map = null;         // the last word map: { modelId, words, pca, readout, effect, positive, separation, best }
let found = null;       // the last search: { word, list: [{ word, cos }] }
let asking = false;
let again = false;

const AXES = {
  pca: { x: 'first principal axis (PC1)', y: 'second principal axis (PC2)' },
  readout: { x: 'readout direction (what moves the prediction)', y: 'first principal axis (PC1)' },
};

const textModel = () => (state.model?.kind === 'text' && !state.model.config?.bidirectional ? state.model : null);
// "The clearer one": the core's choice against the reviews when the model's data is loaded; without it, the
// PCA map, which lines the words up by sentiment better on IMDB (docs/page.md, measured with the CLI).
const kindShown = () => ($('wm-kind').value !== 'best' ? $('wm-kind').value : map?.dataSeparation ? map.best : 'pca');

// A word's colour: its one-word P(positive) on the diverging scale (0.5 the light middle; 0.25 and 0.75 its
// ends, so that a model's usual range is not all one shade).
const wordColour = (p) => diverging(Math.max(-1, Math.min(1, (p - 0.5) * 4)));

// Word labels on the map: the searched word and its neighbours, and the words at both ends of the x axis.
const labelPlugin = {
  id: 'rnnWordLabels',
  afterDatasetsDraw(ch) {
    if (!map || ch !== chart) return;
    const { ctx } = ch, meta = ch.getDatasetMeta(0);
    const marked = new Set([found?.word, ...(found?.list ?? []).map((n) => n.word)]);
    ctx.save();
    ctx.font = `12px ${cssVar('--font', 'sans-serif')}`;
    ctx.textBaseline = 'bottom';
    for (const i of labelled()) {
      const el = meta.data[i];
      if (!el) continue;
      const hot = marked.has(map.words[i]);
      ctx.font = `${hot ? 700 : 500} 12px ${cssVar('--font', 'sans-serif')}`;
      ctx.lineWidth = 3;
      ctx.strokeStyle = cssVar('--surface', '#fff');
      ctx.strokeText(map.words[i], el.x + 5, el.y - 3);
      ctx.fillStyle = hot ? cssVar('--fg', '#000') : cssVar('--fg-muted', '#444');
      ctx.fillText(map.words[i], el.x + 5, el.y - 3);
    }
    ctx.restore();
  },
};

// Which points carry a label: the LABELLED words at each end of the map's x axis (what the map separates),
// and every word of the last search that is on the map.
function labelled() {
  const xy = map[kindShown()];
  const order = map.words.map((_, i) => i).sort((a, b) => xy[2 * a] - xy[2 * b]);
  const out = new Set([...order.slice(0, LABELLED), ...order.slice(-LABELLED)]);
  const marked = new Set([found?.word, ...(found?.list ?? []).map((n) => n.word)]);
  map.words.forEach((w, i) => marked.has(w) && out.add(i));
  return out;
}

export function initWordMap() {
  const C = globalThis.Chart;
  const fg = cssVar('--fg-muted'), grid = cssVar('--grid');
  chart = new C($('chart-wordmap'), {
    type: 'scatter',
    data: { datasets: [] },
    plugins: [labelPlugin],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      // Parsed (not parsing: false): Chart.js takes unparsed data as sorted by x and would range the x axis
      // over the first and last points only.
      scales: {
        x: { type: 'linear', title: { display: true, text: AXES.pca.x, color: fg }, ticks: { color: fg, callback: (v) => fmtNum(v) }, grid: { color: grid } },
        y: { type: 'linear', title: { display: true, text: AXES.pca.y, color: fg }, ticks: { color: fg, callback: (v) => fmtNum(v) }, grid: { color: grid } },
      },
      plugins: {
        legend: { display: false },
        rnnEmpty: { text: 'Train or load a text model to see its words.' },
        tooltip: {
          callbacks: {
            title: (items) => map?.words[items[0].dataIndex] ?? '',
            label: (item) => {
              const i = item.dataIndex;
              return `alone: P(positive) ${fmtNum(map.positive[i])} (logit ${fmtNum(map.effect[i])})`;
            },
          },
        },
      },
    },
  });
}

export function wireWordMap() {
  $('wm-n').addEventListener('change', refreshWordMap);
  $('wm-kind').addEventListener('change', draw);
  $('wm-search').addEventListener('submit', (e) => {
    e.preventDefault();
    search($('wm-word').value);
  });
}

/** Asks the Worker for the current model's word map (after a run, a load, an Open) and draws it. */
export async function refreshWordMap() {
  const card = $('wordmap-card');
  const m = textModel();
  card.hidden = (state.model?.kind !== 'text') || Boolean(card.dataset.hiddenByEmbed);
  if (card.hidden) return;
  if (!m) {
    map = null;
    found = null;
    $('wm-info').textContent = 'A bidirectional model has no word map here: its words are read from both ends at once.';
    draw();
    return;
  }
  if (asking) {
    again = true;
    return;
  }
  asking = true;
  try {
    const r = await client.call('wordMap', { modelId: m.modelId, n: Number($('wm-n').value) });
    map = { modelId: m.modelId, ...r };
    if (found && !map.words.includes(found.word) && !found.list.length) found = null;
    const s = map.dataSeparation, head = `${map.words.length} most frequent words of run ${m.rec.id} (${m.rec.label}).`;
    $('wm-info').textContent = s ? `${head} How well each map lines them up by sentiment (|correlation| of x with each word's share of ` +
      `positive training reviews, the core's figure): PCA ${fmtNum(s.pca)}, readout ${fmtNum(s.readout)}; the clearer one is the ` +
      `${map.best === 'readout' ? 'readout' : 'PCA'} map.` : `${head} Without the model's data set loaded, the maps cannot be measured ` +
      'against the reviews; the clearer one is taken to be the PCA map (so it is on IMDB).';
    if (found) await search(found.word, true);
  } catch (e) {
    map = null;
    $('wm-info').textContent = sentence(e.message);
  } finally {
    asking = false;
  }
  draw();
  if (again) {
    again = false;
    refreshWordMap();
  }
}

// The neighbours of a word: highlighted on the map and listed (each a button that searches it in turn).
async function search(word, quiet = false) {
  const m = textModel(), w = word.trim().toLowerCase(), list = $('wm-neighbours');
  if (!m || !w) return;
  try {
    const r = await client.call('neighbours', { modelId: m.modelId, word: w, k: NEIGHBOURS });
    found = { word: w, list: r };
  } catch (e) {
    found = null;
    list.replaceChildren();
    $('wm-found').textContent = sentence(e.message);
    draw();
    return;
  }
  const onMap = (x) => Boolean(map?.words.includes(x));
  $('wm-found').textContent = `Nearest to “${w}” by the cosine of their embeddings${onMap(w) ? '' : ` (“${w}” itself is not among the ` +
    `${map?.words.length ?? 0} words on the map)`}:`;
  list.replaceChildren(...found.list.map((n) => {
    const li = document.createElement('li'), b = document.createElement('button');
    b.type = 'button';
    b.className = 'ghost small';
    b.textContent = `${n.word} ${fmtNum(n.cos)}`;
    b.setAttribute('aria-label', `${n.word}, cosine ${fmtNum(n.cos)}${onMap(n.word) ? '' : ', not on the map'}: find its neighbours`);
    if (!onMap(n.word)) b.classList.add('off-map');
    b.addEventListener('click', () => {
      $('wm-word').value = n.word;
      search(n.word);
    });
    li.append(b);
    return li;
  }));
  if (!quiet) draw();
}

function draw() {
  if (!chart) return;
  if (!map) {
    chart.data.datasets = [];
    chart.update('none');
    return;
  }
  const kind = kindShown(), xy = map[kind], n = map.words.length, dark = currentTheme() === 'dark';
  const marked = new Set((found?.list ?? []).map((x) => x.word));
  const points = [], fill = [], edge = [], radius = [];
  for (let i = 0; i < n; i++) {
    points.push({ x: xy[2 * i], y: xy[2 * i + 1] });
    const w = map.words[i], self = w === found?.word, near = marked.has(w);
    fill.push(css(wordColour(map.positive[i]), found && !self && !near ? 0.45 : 1));
    edge.push(self ? OKABE_ITO.vermillion : near ? cssVar('--fg', '#000') : dark ? 'rgba(255,255,255,0.5)' : 'rgba(0,0,0,0.35)');
    radius.push(self ? 8 : near ? 6 : 4);
  }
  chart.data.datasets = [{ label: 'words', data: points, backgroundColor: fill, borderColor: edge, pointRadius: radius,
    pointHoverRadius: 7, borderWidth: radius.map((r) => (r > 4 ? 2.5 : 1)) }];
  chart.options.scales.x.title.text = AXES[kind].x;
  chart.options.scales.y.title.text = AXES[kind].y;
  $('chart-wordmap').setAttribute('aria-label', `Word map (${kind === 'pca' ? 'PCA' : 'readout against PC1'}) of ${n} words`);
  chart.update('none');
}

/** The map redrawn in the theme's colours. */
export function themeChanged() {
  if (!chart) return;
  const fg = cssVar('--fg-muted'), grid = cssVar('--grid');
  for (const s of Object.values(chart.options.scales)) {
    s.ticks.color = fg;
    s.title.color = fg;
    s.grid.color = grid;
  }
  draw();
}
