// charts.js: the lab's Chart.js charts (Chart.js is served from ../vendor/chart.umd.js, a copy of the npm
// package pinned in package.json). Every chart draws with animation off and reads {x, y} points without
// parsing. Long series are thinned here (thin(): min and max of each pixel column, so spikes survive)
// into a fresh array at each redraw: Chart.js never holds, nor watches, the page's growing arrays (it
// patches the push of an array it draws, and then does work per pushed point), so a 100,000-step run
// draws as fast as a short one. Colours come from the page's CSS variables, so charts follow the theme.
import { SERIES, OKABE_ITO } from './palette.js';

const Chart = () => globalThis.Chart;

// The theme's CSS variables, read once per theme (getComputedStyle in every chart's draw adds up).
const varCache = new Map();
export function cssVar(name, fallback = '#000') {
  if (!varCache.has(name)) varCache.set(name, getComputedStyle(document.documentElement).getPropertyValue(name).trim());
  return varCache.get(name) || fallback;
}
/** Forget the cached theme colours (after the theme changed). */
export const themeChanged = () => varCache.clear();

// Fills the canvas background before drawing, so an exported PNG has the theme's background.
const backgroundPlugin = {
  id: 'rnnBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = cssVar('--surface', '#fff');
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

// Says what will appear, in the plot area of a chart with no data yet.
const emptyPlugin = {
  id: 'rnnEmpty',
  afterDraw(chart, args, opts) {
    const has = chart.data.datasets.some((ds) => (ds.src ?? ds.data)?.length && !ds.isRef);
    if (has || !opts?.text) return;
    const { ctx, chartArea: a } = chart;
    ctx.save();
    ctx.fillStyle = cssVar('--fg-muted', '#555');
    ctx.font = `13px ${cssVar('--font', 'sans-serif')}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(opts.text, (a.left + a.right) / 2, (a.top + a.bottom) / 2, a.right - a.left - 12);
    ctx.restore();
  },
};

let registered = false;
function setup() {
  const C = Chart();
  if (!C) throw new Error('Chart.js did not load (vendor/chart.umd.js): run `npm start`, which copies it there');
  if (!registered) {
    C.register(backgroundPlugin, emptyPlugin);
    registered = true;
  }
  C.defaults.animation = false;
  C.defaults.font.family = cssVar('--font', 'system-ui, sans-serif');
  C.defaults.font.size = 12;
  C.defaults.color = cssVar('--fg-muted', '#444');
  C.defaults.borderColor = cssVar('--grid', '#ddd');
  return C;
}

/** Re-reads the theme's colours and redraws every chart. */
export function applyTheme(charts) {
  themeChanged();
  setup();
  for (const ch of charts) {
    if (!ch) continue;
    const fg = cssVar('--fg-muted'), grid = cssVar('--grid');
    for (const [axis, s] of Object.entries(ch.options.scales ?? {})) {
      s.ticks = { ...(s.ticks ?? {}), color: fg };
      s.grid = { ...(s.grid ?? {}), color: axis === 'y' ? gridColor : grid, tickColor: axis === 'y' ? gridColor : grid };
      s.title = { ...(s.title ?? {}), color: fg };
      if (s.border) s.border.color = grid;
    }
    ch.options.plugins.legend.labels.color = fg;
    ch.update('none');
  }
}

const fmtNum = (v) => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return Number(v.toPrecision(3)).toExponential();
  return Number(v.toPrecision(4)).toString();
};
export { fmtNum };

// Which ticks of a log axis get a label and a grid line: 1, 2, 5 x 10^k over a few decades, 10^k over
// more, and every n-th power of ten over very many (a loss on its way to NaN spans 30 decades), so a log
// axis never crowds. On a linear axis, all.
function logKeep(v, ticks) {
  if (!(v > 0)) return false;
  const lo = ticks[0]?.value, hi = ticks[ticks.length - 1]?.value;
  const decades = lo > 0 && hi > 0 ? Math.log10(hi / lo) : 1;
  const e = Math.floor(Math.log10(v) + 1e-9);
  const m = Math.round((v / 10 ** e) * 10) / 10;
  if (decades > 7) return m === 1 && e % Math.ceil(decades / 7) === 0;
  const keep = decades > 2.5 ? [1] : decades > 0.8 ? [1, 2, 5] : [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9];
  return keep.includes(m);
}

function tickLabel(v, i, ticks) {
  if (this.type !== 'logarithmic') return fmtNum(v);
  return logKeep(v, ticks) ? fmtNum(v) : '';
}

function gridColor(ctx) {
  const grid = cssVar('--grid');
  if (ctx.scale?.type !== 'logarithmic' || !ctx.tick) return grid;
  return logKeep(ctx.tick.value, ctx.scale.ticks) ? grid : 'transparent';
}

/**
 * A line chart of {x, y} series. opts: { xTitle, yTitle, yLog, yMin, yMax, xType ('linear' | 'category'),
 * labels (category x), legend (default true), tooltipTitle(x) }.
 */
export function lineChart(canvas, opts = {}) {
  const C = setup();
  const fg = cssVar('--fg-muted'), grid = cssVar('--grid');
  const xType = opts.xType ?? 'linear';
  return new C(canvas, {
    type: 'line',
    data: { labels: opts.labels ?? [], datasets: [] },
    options: {
      animation: false,
      parsing: xType === 'linear' ? false : true,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: xType,
          title: { display: Boolean(opts.xTitle), text: opts.xTitle ?? '', color: fg },
          ticks: { color: fg, maxRotation: opts.xRotate ?? 0, autoSkip: true, autoSkipPadding: 6,
            ...(xType === 'linear' ? { callback: (v) => fmtNum(v) } : {}) },
          grid: { color: grid },
          ...(opts.xMin !== undefined ? { min: opts.xMin } : {}),
          ...(opts.xMax !== undefined ? { max: opts.xMax } : {}),
        },
        y: {
          type: opts.yLog ? 'logarithmic' : 'linear',
          title: { display: Boolean(opts.yTitle), text: opts.yTitle ?? '', color: fg },
          ticks: { color: fg, callback: tickLabel, autoSkip: false },
          grid: { color: gridColor, tickColor: gridColor },
          ...(opts.yMin !== undefined ? { min: opts.yMin } : {}),
          ...(opts.yMax !== undefined ? { max: opts.yMax } : {}),
        },
      },
      plugins: {
        legend: { display: opts.legend !== false, labels: { color: fg, usePointStyle: true, boxWidth: 28, boxHeight: 8,
          generateLabels: legendWithDashes } },
        decimation: { enabled: false },
        rnnEmpty: { text: opts.empty ?? '' },
        tooltip: {
          callbacks: {
            title: (items) => (opts.tooltipTitle ? opts.tooltipTitle(items[0]) : `${opts.xTitle ?? 'x'} ${items[0]?.label ?? ''}`),
            label: (item) => `${item.dataset.label}: ${fmtNum(item.parsed.y)}`,
          },
        },
      },
    },
  });
}

// Legend entries that show each series' dash pattern and marker as well as its colour.
function legendWithDashes(chart) {
  const items = Chart().defaults.plugins.legend.labels.generateLabels(chart);
  for (const it of items) {
    const ds = chart.data.datasets[it.datasetIndex];
    it.lineDash = ds.borderDash ?? [];
    it.pointStyle = ds.pointStyle === false || ds.showLine === false ? ds.pointStyle || 'circle' : 'line';
    if (ds.legendPoint) it.pointStyle = ds.legendPoint;
    it.fontColor = cssVar('--fg-muted');
  }
  return items;
}

/**
 * At most about 2 * columns points of `points` ({x, y}, in x order): the first, the smallest and the largest
 * y and the last point of each of `columns` equal runs of points. Always a new array. Points with a
 * non-finite or missing y are left out (a log axis cannot show them anyway).
 */
export function thin(points, columns) {
  const n = points.length;
  if (n <= 2 * columns) {
    const out = [];
    for (const p of points) if (Number.isFinite(p.y)) out.push(p);
    return out;
  }
  const out = [], per = n / columns;
  for (let c = 0; c < columns; c++) {
    const a = Math.floor(c * per), b = Math.min(n, Math.floor((c + 1) * per));
    let lo = null, hi = null;
    for (let i = a; i < b; i++) {
      const p = points[i];
      if (!Number.isFinite(p.y)) continue;
      if (!lo || p.y < lo.y) lo = p;
      if (!hi || p.y > hi.y) hi = p;
    }
    if (!lo) continue;
    if (lo === hi) out.push(lo);
    else if (lo.x < hi.x) out.push(lo, hi);
    else out.push(hi, lo);
  }
  return out;
}

/** Gives every dataset that has a `src` array a thinned copy of it for the chart's width; then redraws. */
export function redraw(chart) {
  const columns = Math.max(100, Math.round(chart.chartArea ? chart.chartArea.right - chart.chartArea.left : chart.width || 600));
  const linear = chart.options.parsing === false;  // {x, y} points; a category chart has plain values
  for (const ds of chart.data.datasets) if (ds.src) ds.data = linear ? thin(ds.src, columns) : ds.src.slice();
  chart.update('none');
}

/**
 * The mean of the last k values pushed through `win` (an array it keeps, with its running sum): the training
 * curves' average, with no long tail from the first, large losses.
 */
export function windowMean(win, v, k) {
  win.push(v);
  win.sum = (win.sum ?? 0) + v;
  if (win.length > k) win.sum -= win.shift();
  if (!Number.isFinite(win.sum)) win.sum = win.reduce((a, b) => a + b, 0);  // after an infinite loss left the window
  return win.sum / win.length;
}

/** A dataset in series style k (colour, dash, marker). extra: Chart.js dataset options. */
export function series(label, k, src, extra = {}) {
  const s = typeof k === 'number' ? SERIES[k % SERIES.length] : k;
  return {
    label, src, data: [],
    borderColor: s.color, backgroundColor: s.color, borderDash: s.dash, pointStyle: s.point,
    borderWidth: 2, pointRadius: 0, pointHoverRadius: 4, tension: 0,
    legendPoint: 'line',
    ...extra,
  };
}

/** A horizontal reference line from x0 to x1 (a dataset, so it has a legend entry). */
export function hline(label, y, x0, x1, color = OKABE_ITO.grey, dash = [4, 4]) {
  return { label, data: [{ x: x0, y }, { x: x1, y }], borderColor: color, backgroundColor: color, borderDash: dash,
    borderWidth: 1.5, pointRadius: 0, pointHoverRadius: 0, legendPoint: 'line', isRef: true };
}

/** A scatter dataset of markers only. */
export function markers(label, k, src, extra = {}) {
  const s = typeof k === 'number' ? SERIES[k % SERIES.length] : k;
  return { label, src, data: [], showLine: false, borderColor: s.color, backgroundColor: s.color, pointStyle: s.point,
    pointRadius: 4, pointHoverRadius: 6, borderWidth: 1, legendPoint: s.point, ...extra };
}

/** One PNG of several canvases (charts, heatmaps) stacked top to bottom, with the theme's background. */
export function stackPng(canvases) {
  const out = document.createElement('canvas');
  out.width = Math.max(...canvases.map((c) => c.width));
  out.height = canvases.reduce((s, c) => s + c.height, 0);
  const ctx = out.getContext('2d');
  let y = 0;
  for (const c of canvases) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  return canvasPng(out);
}

/** A PNG of a chart (or any canvas) with the theme's background. */
export function canvasPng(canvas) {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  ctx.fillStyle = cssVar('--surface', '#fff');
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvas, 0, 0);
  return new Promise((resolve) => out.toBlob(resolve, 'image/png'));
}

/** A small legend swatch (a canvas): the series' colour, dash pattern and marker, as in the charts. */
export function swatch(style, width = 34, height = 14) {
  const cv = document.createElement('canvas'), dpr = window.devicePixelRatio || 1;
  cv.width = width * dpr;
  cv.height = height * dpr;
  cv.style.width = `${width}px`;
  cv.style.height = `${height}px`;
  cv.className = 'swatch';
  cv.setAttribute('aria-hidden', 'true');
  const ctx = cv.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.strokeStyle = ctx.fillStyle = style.color;
  ctx.lineWidth = 2;
  ctx.setLineDash(style.dash);
  ctx.beginPath();
  ctx.moveTo(1, height / 2);
  ctx.lineTo(width - 1, height / 2);
  ctx.stroke();
  ctx.setLineDash([]);
  const x = width / 2, y = height / 2, r = 4;
  ctx.beginPath();
  switch (style.point) {
    case 'triangle': ctx.moveTo(x, y - r); ctx.lineTo(x + r, y + r); ctx.lineTo(x - r, y + r); ctx.closePath(); ctx.fill(); break;
    case 'rect': ctx.fillRect(x - r + 1, y - r + 1, 2 * r - 2, 2 * r - 2); break;
    case 'rectRot': ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath(); ctx.fill(); break;
    case 'star': case 'crossRot':
      ctx.lineWidth = 1.5;
      ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r);
      if (style.point === 'star') { ctx.moveTo(x, y - r); ctx.lineTo(x, y + r); ctx.moveTo(x - r, y); ctx.lineTo(x + r, y); }
      ctx.stroke();
      break;
    default: ctx.arc(x, y, r - 0.5, 0, 2 * Math.PI); ctx.fill();
  }
  return cv;
}
