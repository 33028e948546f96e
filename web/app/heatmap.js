// heatmap.js: a units x steps heatmap of one gate (or state) of a recurrent layer over one sequence, drawn
// on a canvas. Colour is one encoding; the other is the value itself, shown in a tooltip on hover and, for
// keyboard users, in a live readout as the arrow keys move a cursor over the cells (Home/End: first/last
// step, PageUp/PageDown: 8 units; Enter, or a click, hands the column to onColumn: the step-through's step).
// A colour bar with numbers is the legend. One column can be outlined (highlightColumn). The same class
// draws the seq2seq view's attention matrix (output steps as rows, each labelled, by input steps; square cells).
import { viridis, diverging, css } from './palette.js';
import { cssVar, fmtNum } from './charts.js';

const LEFT = 44, RIGHT = 8, TOP = 14, MAX_SQUARE = 34;

const shortLabel = (v) => {
  const s = String(v);
  return s.length > 14 ? `${s.slice(0, 13)}…` : s;
};

function make(tag, className, attrs = {}) {
  const el = document.createElement(tag);
  el.className = className;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export class Heatmap {
  /**
   * root: an empty element (div.heatmap); the heatmap makes its parts in it: the canvas, a tooltip, and below
   * them a line for the scale's words (`scale`, with the id opts.scaleId), the colour bar and the keyboard
   * readout.
   */
  constructor(root, opts = {}) {
    this.root = root;
    this.canvas = make('canvas', 'heatmap-canvas', { tabindex: '0', role: 'img' });
    this.tip = make('div', 'heatmap-tip', { hidden: '' });
    this.scale = make('p', 'heatmap-scale', opts.scaleId ? { id: opts.scaleId } : {});
    this.legend = make('canvas', 'heatmap-legend', { role: 'img' });
    this.readout = make('p', 'heatmap-readout', { 'aria-live': 'polite' });
    const foot = make('div', 'heatmap-foot');
    foot.append(this.scale, this.legend, this.readout);
    root.append(this.canvas, this.tip, foot);
    this.data = null;
    this.cursor = { u: 0, t: 0 };
    this.hover = null;
    // A highlighted column (the step-through's step t, stepcell.js) and who hears of a column clicked, or
    // chosen with Enter on the keyboard cursor: onColumn(t).
    this.column = null;
    this.onColumn = null;
    this.canvas.addEventListener('mousemove', (e) => this._onMove(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.hover = null;
      this.tip.hidden = true;
      this.draw();
    });
    this.canvas.addEventListener('click', (e) => {
      const c = this._cellAt(e);
      if (c) {
        this.cursor = c;
        this._announce();
        this.draw();
        this.onColumn?.(c.t);
      }
    });
    this.canvas.addEventListener('keydown', (e) => this._onKey(e));
    this.canvas.addEventListener('focus', () => {
      this._announce();
      this.draw();
    });
    this.canvas.addEventListener('blur', () => this.draw());
    new ResizeObserver(() => this.draw()).observe(root);
  }

  /**
   * d: { values(u, t) -> number, units, steps, labels[steps], marks[steps] | null, signed (diverging scale),
   *      name ('forget gate f'), unitName ('unit'), stepName ('word'), scaleMax (signed: max |v|),
   *      rowLabels[units] (optional: row names instead of numbers), square (optional: square cells),
   *      xTitle (optional: a name under the step labels) }
   * The canvas's data-rows and data-cols say the shape drawn.
   */
  set(d) {
    this.data = d;
    this.canvas.dataset.rows = String(d.units);
    this.canvas.dataset.cols = String(d.steps);
    this.cursor = { u: Math.min(this.cursor.u, d.units - 1), t: Math.min(this.cursor.t, d.steps - 1) };
    this.canvas.setAttribute('aria-label', `Heatmap of the ${d.name}: ${d.units} ${d.unitName}s (rows) by ${d.steps} ${d.stepName}s ` +
      `(columns). Use the arrow keys to read values.`);
    this.draw();
    this._drawLegend();
    if (document.activeElement === this.canvas) this._announce();
  }

  clear(message = '') {
    this.data = null;
    this.geometry = null;
    delete this.canvas.dataset.rows;
    delete this.canvas.dataset.cols;
    this.message = message;
    this.draw();
    this._drawLegend();
    this.readout.textContent = '';
  }

  _geometry() {
    const d = this.data;
    const ctx = (this._scratch ??= document.createElement('canvas').getContext('2d'));
    // Row labels, when given, get the room the widest needs (and the axis name beside them).
    let left = Math.max(LEFT, d.left ?? 0);  // d.left: a chart below lines its plot up with the columns
    if (d.rowLabels) {
      ctx.font = `11px ${cssVar('--font', 'sans-serif')}`;
      left = Math.max(LEFT, Math.ceil(Math.max(...d.rowLabels.map((s) => ctx.measureText(shortLabel(s)).width))) + 26);
    }
    let width = Math.max(200, this.root.clientWidth || 600);
    let plotW = width - left - RIGHT;
    const cw = d.square ? Math.min(MAX_SQUARE, plotW / d.steps) : plotW / d.steps;
    const ch = d.square ? cw : Math.max(3, Math.min(14, Math.floor(280 / d.units)));
    if (d.square) {
      plotW = cw * d.steps;
      width = left + plotW + RIGHT;
    }
    // Step labels: horizontal when every shown label fits its column(s), else all rotated by 60 degrees,
    // with room below for the longest.
    const tEvery = Math.max(1, Math.ceil(13 / cw));
    ctx.font = `bold 11px ${cssVar('--font', 'sans-serif')}`;
    let widest = 0;
    for (let t = 0; t < d.steps; t += tEvery) widest = Math.max(widest, ctx.measureText(shortLabel(d.labels[t] ?? t + 1)).width);
    const rotate = widest > cw * tEvery - 4;
    const bottom = (rotate ? Math.ceil(widest * Math.sin(Math.PI / 3)) + 14 : 24) + (d.xTitle ? 16 : 0);
    return { left, width, plotW, cw, ch, height: TOP + d.units * ch + bottom, bottom, rotate, tEvery };
  }

  _value(u, t) {
    return this.data.values(u, t);
  }

  _color(v) {
    const d = this.data;
    if (!Number.isFinite(v)) return [128, 128, 128];
    return d.signed ? diverging(v / (d.scaleMax || 1)) : viridis(v);
  }

  draw() {
    const cv = this.canvas, dpr = window.devicePixelRatio || 1;
    const ctx = cv.getContext('2d');
    if (!this.data) {
      const w = Math.max(200, this.root.clientWidth || 600), h = 120;
      cv.width = w * dpr;
      cv.height = h * dpr;
      cv.style.width = `${w}px`;
      cv.style.height = `${h}px`;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      ctx.fillStyle = cssVar('--fg-muted');
      ctx.font = `13px ${cssVar('--font', 'sans-serif')}`;
      ctx.fillText(this.message || 'Train a model (or press Trace) to see its gates.', 12, 60);
      return;
    }
    const d = this.data, g = this._geometry();
    this.geometry = g;  // where the columns are: a chart below aligns its steps with them (inspect.js)
    Object.assign(cv.dataset, { left: String(g.left), plotWidth: String(g.plotW) });
    cv.width = Math.round(g.width * dpr);
    cv.height = Math.round(g.height * dpr);
    cv.style.width = `${g.width}px`;
    cv.style.height = `${g.height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.width, g.height);
    // The cells: one pixel each in an offscreen image, scaled up without smoothing.
    const img = new ImageData(d.steps, d.units);
    for (let u = 0; u < d.units; u++) {
      for (let t = 0; t < d.steps; t++) {
        const [r, gg, b] = this._color(this._value(u, t));
        const k = 4 * (u * d.steps + t);
        img.data[k] = r;
        img.data[k + 1] = gg;
        img.data[k + 2] = b;
        img.data[k + 3] = 255;
      }
    }
    const off = document.createElement('canvas');
    off.width = d.steps;
    off.height = d.units;
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, g.left, TOP, g.plotW, d.units * g.ch);
    // Axes: unit numbers (or row labels) on the left, step labels (words) below, rotated when they do not fit.
    const fg = cssVar('--fg'), muted = cssVar('--fg-muted'), font = cssVar('--font', 'sans-serif');
    ctx.fillStyle = muted;
    ctx.font = `11px ${font}`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const uEvery = Math.max(1, Math.ceil(12 / g.ch));
    for (let u = 0; u < d.units; u += uEvery) ctx.fillText(d.rowLabels ? shortLabel(d.rowLabels[u]) : String(u), g.left - 4, TOP + (u + 0.5) * g.ch);
    ctx.save();
    ctx.translate(10, TOP + (d.units * g.ch) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(d.unitName, 0, 0);
    ctx.restore();
    const yAxis = TOP + d.units * g.ch + 4;
    for (let t = 0; t < d.steps; t += g.tEvery) {
      const x = g.left + (t + 0.5) * g.cw;
      const s = shortLabel(d.labels[t] ?? t + 1);
      const marked = d.marks?.[t];
      ctx.fillStyle = marked ? fg : muted;
      ctx.font = `${marked ? 'bold ' : ''}11px ${font}`;
      if (!g.rotate) {
        ctx.textAlign = 'center';
        ctx.textBaseline = 'top';
        ctx.fillText(s, x, yAxis);
      } else {
        ctx.save();
        ctx.translate(x, yAxis);
        ctx.rotate(-Math.PI / 3);
        ctx.textAlign = 'right';
        ctx.textBaseline = 'middle';
        ctx.fillText(s, 0, 0);
        ctx.restore();
      }
    }
    if (d.xTitle) {
      ctx.fillStyle = muted;
      ctx.font = `11px ${font}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(d.xTitle, g.left + g.plotW / 2, g.height - 2);
    }
    // Marked steps (the adding problem's two numbers): a star above the column, as in the step labels.
    if (d.marks) {
      ctx.fillStyle = fg;
      ctx.font = `12px ${font}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      for (let t = 0; t < d.steps; t++) if (d.marks[t]) ctx.fillText('★', g.left + (t + 0.5) * g.cw, 0);
    }
    // The cursor (keyboard) and the hovered cell: outlined in the text colour and its opposite.
    const box = (c, color, w) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = w;
      ctx.strokeRect(g.left + c.t * g.cw + 0.5, TOP + c.u * g.ch + 0.5, Math.max(g.cw - 1, 2), Math.max(g.ch - 1, 2));
    };
    if (document.activeElement === this.canvas) {
      box(this.cursor, cssVar('--surface'), 4);
      box(this.cursor, fg, 2);
    }
    if (this.hover) box(this.hover, fg, 1);
    if (this.column !== null && this.column < d.steps) {
      const x = g.left + this.column * g.cw;
      ctx.strokeStyle = cssVar('--surface');
      ctx.lineWidth = 4;
      ctx.strokeRect(x - 1, TOP - 1, g.cw + 2, d.units * g.ch + 2);
      ctx.strokeStyle = fg;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, TOP - 1, g.cw + 2, d.units * g.ch + 2);
    }
  }

  /** Outlines column t (null: none), as the step-through's current step. */
  highlightColumn(t) {
    this.column = t;
    this.canvas.dataset.column = t === null ? '' : String(t);
    this.draw();
  }

  _drawLegend() {
    const cv = this.legend, dpr = window.devicePixelRatio || 1;
    const w = 260, h = 34;
    cv.width = w * dpr;
    cv.height = h * dpr;
    cv.style.width = `${w}px`;
    cv.style.height = `${h}px`;
    const ctx = cv.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const d = this.data;
    if (!d) return;
    const x0 = 10, bw = w - 20;
    for (let i = 0; i < bw; i++) {
      const f = i / (bw - 1);
      ctx.fillStyle = css(d.signed ? diverging(2 * f - 1) : viridis(f));
      ctx.fillRect(x0 + i, 2, 1, 14);
    }
    ctx.fillStyle = cssVar('--fg-muted');
    ctx.font = `11px ${cssVar('--font', 'sans-serif')}`;
    ctx.textBaseline = 'top';
    const lo = d.signed ? -d.scaleMax : 0, hi = d.signed ? d.scaleMax : 1;
    const ticks = [[0, lo], [0.5, (lo + hi) / 2], [1, hi]];
    for (const [f, v] of ticks) {
      ctx.textAlign = f === 0 ? 'left' : f === 1 ? 'right' : 'center';
      ctx.fillText(fmtNum(v), x0 + f * bw, 19);
    }
    cv.setAttribute('aria-label', `Colour scale from ${fmtNum(lo)} to ${fmtNum(hi)}`);
  }

  _cellAt(e) {
    if (!this.data) return null;
    const r = this.canvas.getBoundingClientRect(), g = this._geometry();
    const x = e.clientX - r.left - g.left, y = e.clientY - r.top - TOP;
    const t = Math.floor(x / g.cw), u = Math.floor(y / g.ch);
    if (t < 0 || u < 0 || t >= this.data.steps || u >= this.data.units) return null;
    return { u, t };
  }

  _describe(c) {
    const d = this.data;
    const label = d.labels[c.t] !== undefined ? ` '${d.labels[c.t]}'` : '';
    const row = d.rowLabels ? `${c.u + 1} '${d.rowLabels[c.u]}'` : `${c.u}`;
    return `${d.unitName} ${row}, ${d.stepName} ${c.t + 1}${label}${d.marks?.[c.t] ? ' (marked)' : ''}: ${d.name} = ${fmtNum(this._value(c.u, c.t))}`;
  }

  _onMove(e) {
    const c = this._cellAt(e);
    this.hover = c;
    if (!c) {
      this.tip.hidden = true;
      this.draw();
      return;
    }
    this.tip.textContent = this._describe(c);
    this.tip.hidden = false;
    const r = this.root.getBoundingClientRect();
    const x = e.clientX - r.left + 12, y = e.clientY - r.top + 12;
    this.tip.style.left = `${Math.min(x, r.width - 220)}px`;
    this.tip.style.top = `${y}px`;
    this.draw();
  }

  _onKey(e) {
    if (!this.data) return;
    const c = { ...this.cursor }, d = this.data;
    switch (e.key) {
      case 'ArrowLeft': c.t = Math.max(0, c.t - 1); break;
      case 'ArrowRight': c.t = Math.min(d.steps - 1, c.t + 1); break;
      case 'ArrowUp': c.u = Math.max(0, c.u - 1); break;
      case 'ArrowDown': c.u = Math.min(d.units - 1, c.u + 1); break;
      case 'PageUp': c.u = Math.max(0, c.u - 8); break;
      case 'PageDown': c.u = Math.min(d.units - 1, c.u + 8); break;
      case 'Home': c.t = 0; break;
      case 'End': c.t = d.steps - 1; break;
      case 'Enter':
        e.preventDefault();
        this.onColumn?.(c.t);
        return;
      default: return;
    }
    e.preventDefault();
    this.cursor = c;
    this._announce();
    this.draw();
  }

  _announce() {
    if (this.data) this.readout.textContent = this._describe(this.cursor);
  }
}
