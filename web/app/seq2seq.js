// seq2seq.js: the page's sequence-to-sequence view. Two encoder-decoders made from the same settings and
// seed, one without attention and one with it, train side by side in the Worker (worker.js: s2sCreate,
// s2sTrain, s2sDecode) on the same batches; this module reads the view's form, asks the Worker, and draws
// what comes back: both models' loss and held-out accuracy, the attention matrix of a typed input (with
// heatmap.js), both models' outputs for it, and a table of runs. It computes nothing itself.
//
// setup.js owns the URL and the tabs (and makes this view), state.js the Worker client, main.js the theme;
// main.js hands this view its configuration (config.js S2S_FIELDS) and routes the Worker's s2sProgress and
// s2sEval events here.
import * as C from './config.js';
import { lineChart, series, applyTheme, redraw, windowMean, stackPng } from './charts.js';
import { Heatmap } from './heatmap.js';
import { download } from './files.js';
import { OKABE_ITO } from './palette.js';

const $ = (id) => document.getElementById(id);

// Line styles: colour, dash and marker differ between the models, the dash also between the measures.
const STYLE = {
  plain: { color: OKABE_ITO.vermillion, point: 'triangle', name: 'without attention' },
  attn: { color: OKABE_ITO.blue, point: 'circle', name: 'with attention' },
};

// Inputs to decode: letters a..j in no pattern (sliced to the trained length), and dates in several formats.
const REVERSE_TEXT = 'cadbehjgfiabjdcgeihfbadjceghifbjacdegihbfajdcbegihfjadcgbeihd';
const DATE_SAMPLES = ['3 May 1998', 'sunday 3 may 1998', '5/3/98', 'Wednesday, September 30, 1998', '21st June 2031', '03.05.1998'];

const TASK_HINTS = {
  reverse: 'A string of letters a–j; the output is the same letters backwards. Output character t must come from input character n−1−t.',
  dates: 'A date in one of 10 formats (“3 May 1998”, “5/3/98”, “sunday 3 may 1998” …) written as 1998-05-03.',
};

const defaultInput = (cfg) => (cfg.task === 'dates' ? DATE_SAMPLES[0] : REVERSE_TEXT.slice(0, cfg.len));

// The settings that make the models: changing one needs a new pair; the others apply to the next run.
const archKey = (cfg) => [cfg.task, cfg.task === 'reverse' ? cfg.len : '', cfg.cell, cfg.hidden, cfg.emb, cfg.bi, cfg.attn, cfg.seed].join('|');

function runLabel(cfg) {
  const data = cfg.task === 'reverse' ? `reverse, length ${cfg.len}` : 'dates';
  return `${data}; ${cfg.cell.toUpperCase()} ${cfg.hidden}${cfg.bi ? ' bi' : ''}; ${cfg.attn} attention`;
}

const newCurves = () => ({ ema: [], win: [], val: [], seq: [], tok: [], last: null });

export class Seq2SeqView {
  /**
   * client: the WorkerClient; onConfig(): the view's settings changed (setup.js rewrites the URL);
   * busyElsewhere(): the lab's own run is training; onBusy(): this view started or ended a run.
   */
  constructor({ client, onConfig, busyElsewhere, onBusy }) {
    this.client = client;
    this.onConfig = onConfig;
    this.busyElsewhere = busyElsewhere;
    this.onBusy = onBusy;
    this.form = $('s2s-config');
    this.cfg = C.s2sDefaults();
    this.ready = false;
    this.pair = null;        // { pairId, archKey, rec, numParams }
    this.runs = [];
    this.running = false;
    this.paused = false;
    this.sequence = null;    // the lengths preset's queue
    this.nextRunId = 1;
    this.charts = {};
    this.decodePending = false;
    this.lastDecodeAt = 0;
    this.decodeTimer = 0;
    this.drawQueued = false;
    this.last = null;        // the last decode, for the tests and the curious: { plain, attn }
  }

  // --- Set-up ---------------------------------------------------------------------------------------------

  init() {
    this.charts.loss = lineChart($('s2s-chart-loss'), { xTitle: 'step', yTitle: 'cross-entropy per token', yMin: 0,
      empty: 'The loss of both models appears here when you train.' });
    this.charts.acc = lineChart($('s2s-chart-acc'), { xTitle: 'step', yTitle: 'held-out accuracy', yMin: 0, yMax: 1,
      empty: 'Held-out accuracy of both models appears here.' });
    this.heatmap = new Heatmap($('s2s-heatmap'));
    this.heatmap.scale.textContent = 'Attention weight α: each row (an output step) sums to 1 over the input.';
    this.heatmap.clear('Train both models to see where the one with attention looks.');
    this.form.addEventListener('input', (e) => this._onForm(e));
    this.form.addEventListener('change', (e) => this._onForm(e));
    this.form.addEventListener('submit', (e) => e.preventDefault());
    $('s2s-train').addEventListener('click', () => this.train());
    $('s2s-pause').addEventListener('click', () => this._pauseResume());
    $('s2s-stop').addEventListener('click', () => this._stop());
    $('s2s-reset').addEventListener('click', () => this._reset());
    $('s2s-lengths').addEventListener('click', () => this._lengths());
    $('s2s-runs-clear').addEventListener('click', () => {
      this.runs = this.runs.filter((r) => r === this.pair?.rec);
      this._renderRuns();
    });
    $('s2s-input').addEventListener('input', () => {
      const text = $('s2s-input').value;
      this.cfg.input = text === defaultInput(this.cfg) ? '' : text;
      this.onConfig();
      this._scheduleDecode(150);
    });
    $('s2s-png-curves').addEventListener('click', () => this._png([$('s2s-chart-loss'), $('s2s-chart-acc')], 'curves'));
    $('s2s-png-attn').addEventListener('click', () => this._png([this.heatmap.canvas], 'attention'));
    this._drawCurves();
    this._renderRuns();
  }

  /** Sets the form from a configuration (a link, or the presets). */
  setConfig(cfg) {
    const prevTask = this.cfg.task, prevLen = this.cfg.len;
    this.cfg = { ...cfg };
    C.writeForm(this.form, this.cfg, C.S2S_FIELDS);
    this._afterConfig(prevTask, prevLen, true);
  }

  /** The Worker is up. */
  engineReady() {
    this.ready = true;
    this.updateButtons();
  }

  _onForm(e) {
    const prevTask = this.cfg.task, prevLen = this.cfg.len;
    const { cfg, errors } = C.readForm(this.form, this.cfg, C.S2S_FIELDS);
    if (errors.length) this.status(errors.map((x) => x.message).join('; '), 'error');
    else if ($('s2s-status').classList.contains('error') && !this.running) this.status('');
    if (cfg.task !== prevTask) {
      // Switching task: the fields a task sets by default follow it (a bidirectional encoder for dates).
      const d = C.s2sDefaults(cfg.task);
      for (const k of new Set([...Object.keys(C.S2S_TASK_DEFAULTS[prevTask] ?? {}), ...Object.keys(C.S2S_TASK_DEFAULTS[cfg.task] ?? {})]))
        cfg[k] = d[k];
      cfg.input = '';
      C.writeForm(this.form, cfg, C.S2S_FIELDS);
    }
    this.cfg = cfg;
    this._afterConfig(prevTask, prevLen, e?.type === 'change');
  }

  _afterConfig(prevTask, prevLen, final) {
    const cfg = this.cfg;
    for (const el of this.form.querySelectorAll('[data-s2s-tasks]')) el.hidden = !el.dataset.s2sTasks.split(' ').includes(cfg.task);
    $('s2s-len-out').textContent = String(cfg.len);
    $('s2s-task-hint').textContent = TASK_HINTS[cfg.task];
    // The typed input: the link's, else a sample that fits the task (and the length, for reversal).
    const input = $('s2s-input');
    if (cfg.input) input.value = cfg.input;
    else if (cfg.task !== prevTask || cfg.len !== prevLen || !input.value) input.value = defaultInput(cfg);
    input.placeholder = cfg.task === 'dates' ? 'a date, e.g. 3 May 1998' : 'letters a to j, e.g. abcdef';
    this._renderSamples();
    this.updateButtons();
    this.onConfig();
    if (final && (cfg.task !== prevTask || cfg.len !== prevLen)) this._scheduleDecode(0);
  }

  _renderSamples() {
    const cfg = this.cfg;
    const key = `${cfg.task}|${cfg.len}`;
    const box = $('s2s-samples');
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const samples = cfg.task === 'dates' ? DATE_SAMPLES
      : [REVERSE_TEXT.slice(0, cfg.len), 'abcdefghij'.repeat(6).slice(0, cfg.len), REVERSE_TEXT.slice(7, 7 + Math.max(2, cfg.len - 4)),
        REVERSE_TEXT.slice(3, 3 + cfg.len + 4)];
    const names = cfg.task === 'dates' ? samples : ['a sample', 'in order', 'shorter', 'longer'];
    box.replaceChildren(...samples.map((s, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'ghost small';
      b.textContent = names[i];
      b.title = s;
      b.addEventListener('click', () => {
        $('s2s-input').value = s;
        $('s2s-input').dispatchEvent(new Event('input'));
      });
      return b;
    }));
  }

  status(text, level = '') {
    const el = $('s2s-status');
    el.textContent = text;
    el.className = `status-line ${level}`;
  }

  updateButtons() {
    const running = this.running, other = this.busyElsewhere();
    const continuing = this.pair && !running && this.pair.archKey === archKey(this.cfg) && this.pair.rec.steps > 0;
    $('s2s-train').disabled = !this.ready || running || other;
    $('s2s-train').textContent = continuing ? 'Train both more' : 'Train both';
    $('s2s-train').title = other ? 'The lab’s other view is training: stop it first'
      : continuing ? 'Continue training both models (Reset makes new ones)' : 'Make both models from the set-up and train them';
    $('s2s-pause').disabled = !running;
    $('s2s-pause').textContent = this.paused ? 'Resume' : 'Pause';
    $('s2s-pause').setAttribute('aria-pressed', String(this.paused));
    $('s2s-stop').disabled = !running;
    $('s2s-reset').disabled = running || !this.pair;
    $('s2s-lengths').disabled = !this.ready || running || other;
    for (const fs of this.form.querySelectorAll('fieldset')) fs.disabled = running;
  }

  // --- Training -------------------------------------------------------------------------------------------

  /** One run of both models: a new pair if the set-up needs one, else both continue. */
  async train() {
    if (this.running || this.busyElsewhere()) return null;
    const { cfg, errors } = C.readForm(this.form, this.cfg, C.S2S_FIELDS);
    if (errors.length) {
      this.status(`Fix the set-up first: ${errors.map((x) => x.message).join('; ')}.`, 'error');
      return null;
    }
    this.cfg = cfg;
    this.running = true;
    this.paused = false;
    this.updateButtons();
    this.onBusy();
    try {
      const continuing = this.pair && this.pair.archKey === archKey(cfg);
      if (!continuing) {
        let info;
        try {
          info = await this.client.call('s2sCreate', { config: { task: cfg.task, length: cfg.len, cell: cfg.cell, hidden: cfg.hidden,
            embed: cfg.emb, bidirectional: cfg.bi, attention: cfg.attn, seed: cfg.seed } });
        } catch (e) {
          this.status(`Could not make these models: ${e.message}`, 'error');
          return null;
        }
        const rec = { id: this.nextRunId++, cfg: { ...cfg }, label: runLabel(cfg), status: 'new', steps: 0, seconds: 0, seqs: 0, test: null,
          m: { plain: newCurves(), attn: newCurves() } };
        this.runs.push(rec);
        this.pair = { pairId: info.pairId, archKey: archKey(cfg), rec, numParams: [info.plain.numParams, info.attn.numParams] };
        $('s2s-stat-params').textContent = this.pair.numParams.map((n) => n.toLocaleString('en')).join(' / ');
        for (const id of ['s2s-stat-plain', 's2s-stat-attn', 's2s-stat-speed']) $(id).textContent = '–';
        $('s2s-stat-step').textContent = '0';
        $('s2s-stat-time').textContent = '0.0 s';
      }
      const rec = this.pair.rec;
      rec.status = 'running';
      rec.cfg = { ...rec.cfg, lr: cfg.lr, batch: cfg.batch, steps: cfg.steps };
      rec.k = Math.max(3, Math.min(25, Math.round(cfg.steps / 40)));  // the running mean's window
      this.runStart = { steps: rec.steps, seconds: rec.seconds };
      const seq = this.sequence ? ` (run ${this.sequence.index + 1} of ${this.sequence.total})` : '';
      this.status(`${continuing ? 'Training on' : 'Training'}: ${rec.label}, ${cfg.steps} steps each${seq} …`);
      $('s2s-progress').value = 0;
      this._drawCurves();
      this._renderRuns();
      let res;
      try {
        res = await this.client.call('s2sTrain', { pairId: this.pair.pairId, opts: { steps: cfg.steps, batchSize: cfg.batch, lr: cfg.lr,
          seed: cfg.seed, evalEvery: Math.max(5, Math.round(cfg.steps / 40)) } });
      } catch (e) {
        rec.status = rec.steps ? 'stopped' : 'new';
        if (e.code !== 'WORKER_DIED') this.status(`Training failed: ${e.message}`, 'error');
        return null;
      }
      rec.status = res.status;
      rec.steps = res.stepsAfter;
      rec.seconds = this.runStart.seconds + res.seconds;
      rec.seqs += res.seqs;
      rec.test = res.test;
      $('s2s-stat-plain').textContent = `${(100 * res.test.plain.sequenceAccuracy).toFixed(0)}%`;
      $('s2s-stat-attn').textContent = `${(100 * res.test.attn.sequenceAccuracy).toFixed(0)}%`;
      if (res.status === 'done') $('s2s-progress').value = 1;
      const pct = (v) => `${(100 * v).toFixed(1)}%`;
      const how = { done: 'Done', stopped: 'Stopped', failed: 'Failed (numeric fault)' }[res.status] ?? res.status;
      this.status(`${how} after ${rec.steps} steps in ${res.seconds.toFixed(1)} s. Sequences right on 1000 held-out inputs: ` +
        `${pct(res.test.plain.sequenceAccuracy)} without attention, ${pct(res.test.attn.sequenceAccuracy)} with.` +
        (res.error ? ` ${res.error.message}` : ''), res.status === 'failed' ? 'error' : 'ok');
      this._drawCurves();
      this._scheduleDecode(0);
      return rec;
    } finally {
      this.running = false;
      this.paused = false;
      this.updateButtons();
      this._renderRuns();
      this.onBusy();
    }
  }

  onProgress(d) {
    const rec = this.pair?.pairId === d.pairId ? this.pair.rec : null;
    if (!rec) return;
    for (const name of ['plain', 'attn']) {
      const P = d.points[name], c = rec.m[name];
      for (let i = 0; i < P.step.length; i++) c.ema.push({ x: P.step[i], y: windowMean(c.win, P.loss[i], rec.k) });
      if (P.step.length) rec.steps = Math.max(rec.steps, P.step[P.step.length - 1]);
    }
    $('s2s-stat-step').textContent = String(rec.steps);
    $('s2s-stat-time').textContent = `${(this.runStart.seconds + d.seconds).toFixed(1)} s`;
    $('s2s-stat-speed').textContent = d.seqPerSec > 0 ? Math.round(d.seqPerSec).toLocaleString('en') : '–';
    rec.liveSeconds = d.seconds;
    rec.liveSeqPerSec = d.seqPerSec;
    if (d.steps) $('s2s-progress').value = Math.min(1, d.step / d.steps);
    this._scheduleDraw();
    if (performance.now() - this.lastDecodeAt > 1000 && !this.decodePending) this._decode();
  }

  onEval(d) {
    const rec = this.pair?.pairId === d.pairId ? this.pair.rec : null;
    if (!rec) return;
    const c = rec.m[d.model];
    const t = this.runStart.seconds + d.seconds;  // seconds of training of this pair when it was measured
    c.val.push({ x: d.step, y: d.loss, t });
    c.seq.push({ x: d.step, y: d.sequenceAccuracy, t });
    c.tok.push({ x: d.step, y: d.tokenAccuracy, t });
    c.last = d;
    $(d.model === 'attn' ? 's2s-stat-attn' : 's2s-stat-plain').textContent = `${(100 * d.sequenceAccuracy).toFixed(0)}%`;
    this._scheduleDraw();
  }

  async _pauseResume() {
    if (!this.running) return;
    await this.client.call(this.paused ? 'resume' : 'pause');
    this.paused = !this.paused;
    this.status(this.paused ? 'Paused. Resume goes on from here; typing an input still decodes it.' : 'Training …');
    this.updateButtons();
  }

  async _stop() {
    if (this.sequence) this.sequence.cancelled = true;
    await this.client.call('stop');
    this.paused = false;
  }

  _reset() {
    if (this.running) return;
    this.pair = null;
    this.last = null;
    this.heatmap.clear('Train both models to see where the one with attention looks.');
    for (const id of ['s2s-out-attn', 's2s-out-plain', 's2s-out-want']) $(id).textContent = '–';
    for (const id of ['s2s-stat-plain', 's2s-stat-attn', 's2s-stat-speed', 's2s-stat-params']) $(id).textContent = '–';
    $('s2s-stat-step').textContent = '0';
    $('s2s-stat-time').textContent = '0.0 s';
    $('s2s-progress').value = 0;
    $('s2s-decode-info').textContent = '';
    this.status('Reset: the next Train makes two new models. Earlier runs stay in the table.');
    this._drawCurves();
    this.updateButtons();
  }

  // The plain model's accuracy falls with the length; the attention model's does not.
  async _lengths() {
    if (this.running) return;
    const lengths = [6, 12, 20];
    this.sequence = { index: 0, total: lengths.length, cancelled: false };
    try {
      for (let i = 0; i < lengths.length && !this.sequence.cancelled; i++) {
        this.sequence.index = i;
        this.setConfig({ ...this.cfg, task: 'reverse', len: lengths[i], bi: false, input: '' });
        this.pair = null;
        const rec = await this.train();
        if (!rec || rec.status !== 'done') break;
      }
    } finally {
      this.sequence = null;
    }
  }

  /** The Worker died and was restarted: its models are gone. */
  onWorkerDeath() {
    this.running = false;
    this.paused = false;
    this.pair = null;
    this.sequence = null;
    this.status('The computation thread stopped and was restarted; the models of this view are gone: train again.', 'error');
    this.updateButtons();
  }

  // --- Decoding the typed input ------------------------------------------------------------------------------

  _scheduleDecode(ms) {
    clearTimeout(this.decodeTimer);
    this.decodeTimer = setTimeout(() => this._decode(), ms);
  }

  async _decode() {
    if (!this.pair) return;
    if (this.decodePending) {
      this._scheduleDecode(150);
      return;
    }
    const text = $('s2s-input').value;
    if (!text) {
      $('s2s-decode-info').textContent = 'Type an input to decode.';
      return;
    }
    this.decodePending = true;
    this.lastDecodeAt = performance.now();
    try {
      const r = await this.client.call('s2sDecode', { pairId: this.pair.pairId, text });
      this.last = r;
      this._renderDecode(text, r);
    } catch (e) {
      this.last = null;
      const msg = inputMessage(text, e.message);
      this.heatmap.clear('No attention to show: the input cannot be read (see above).');
      for (const id of ['s2s-out-attn', 's2s-out-plain', 's2s-out-want']) $(id).textContent = '–';
      $('s2s-decode-info').textContent = msg;
    } finally {
      this.decodePending = false;
    }
  }

  _renderDecode(text, r) {
    // The right answer is the core's (rnl_s2s_task_answer): the reversal, or the ISO date of a date written
    // in one of the task's formats; none for a date the task would never write.
    const want = r.answer;
    this._output($('s2s-out-attn'), r.attn, want);
    this._output($('s2s-out-plain'), r.plain, want);
    $('s2s-out-want').textContent = want ?? (this.pair.rec.cfg.task === 'dates'
      ? 'none: the task never writes a date this way (try one of the samples, or e.g. 3 May 1998, 5/3/98, sunday 3 may 1998)' : 'none');
    const a = r.attn.attention;
    const show = (s) => (s === ' ' ? '␣' : s);
    this.heatmap.set({ values: (u, t) => a.data[u * a.cols + t], units: a.rows, steps: a.cols, labels: r.attn.inputTokens.map(show),
      rowLabels: r.attn.outputTokens.map(show), marks: null, signed: false, scaleMax: 1, name: 'attention weight', unitName: 'output',
      stepName: 'input', square: true, xTitle: 'input' });
    const trained = this.pair.rec.cfg.task === 'reverse' ? ` The models train on length ${this.pair.rec.cfg.len}; this input has ${[...text].length}.` : '';
    const rows = a.rows === 1 ? 'Row: the one output step of the model with attention (<eos>, the end: it wrote nothing)'
      : `Rows: the ${a.rows} output steps of the model with attention (the last is <eos>, the end)`;
    $('s2s-decode-info').textContent = `${rows}; column${a.cols === 1 ? '' : 's'}: the ${a.cols === 1 ? 'one input character'
      : `${a.cols} input characters`}.${trained}`;
  }

  // An output, each character marked when it differs from the right answer (reversal), or from nothing.
  _output(el, d, want) {
    el.replaceChildren();
    const out = [...d.output];
    if (!out.length) el.append('(nothing)');
    let wrong = 0;
    out.forEach((ch, i) => {
      const bad = want !== null && want[i] !== ch;
      if (!bad) {
        el.append(ch);
        return;
      }
      wrong++;
      const m = document.createElement('mark');
      m.className = 'bad';
      m.textContent = ch;
      el.append(m);
    });
    if (want !== null) {
      wrong += Math.max(0, [...want].length - out.length);
      const note = document.createElement('span');
      note.className = wrong ? 'verdict-bad' : 'verdict-ok';
      note.textContent = wrong ? ` ✗ ${wrong} wrong` : ' ✓ right';
      el.append(note);
    }
    if (!d.stoppedAtEos) el.append(' (no end: stopped at the length limit)');
  }

  // --- Drawing --------------------------------------------------------------------------------------------------

  _sets(rec) {
    if (rec.sets) return rec.sets;
    const style = (name, dash) => ({ color: STYLE[name].color, dash, point: STYLE[name].point });
    const loss = [], acc = [];
    for (const name of ['plain', 'attn']) {
      const c = rec.m[name], who = STYLE[name].name;
      loss.push(series(`${who}: training`, style(name, []), c.ema, { borderWidth: 2.5 }));
      loss.push(series(`${who}: held-out`, style(name, [2, 3]), c.val, { pointRadius: 3, legendPoint: STYLE[name].point, borderWidth: 1.5 }));
      acc.push(series(`${who}: sequences`, style(name, []), c.seq, { pointRadius: 3, legendPoint: STYLE[name].point, borderWidth: 2.5 }));
      acc.push(series(`${who}: characters`, style(name, [6, 4]), c.tok, { pointRadius: 2, legendPoint: STYLE[name].point, borderWidth: 1.5 }));
    }
    rec.sets = { loss, acc };
    return rec.sets;
  }

  _drawCurves() {
    const rec = this.pair?.rec;
    const sets = rec ? this._sets(rec) : { loss: [], acc: [] };
    for (const k of ['loss', 'acc']) {
      if (this.charts[k].data.datasets !== sets[k]) this.charts[k].data.datasets = sets[k];
      redraw(this.charts[k]);
    }
  }

  _scheduleDraw() {
    if (this.drawQueued) return;
    this.drawQueued = true;
    setTimeout(() => requestAnimationFrame(() => {
      this.drawQueued = false;
      this._drawCurves();
      this._renderRuns();
    }), 250);
  }

  _renderRuns() {
    const body = $('s2s-runs').tBodies[0];
    const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–');
    body.replaceChildren(...this.runs.map((r) => {
      const tr = document.createElement('tr');
      const t = r.test, live = r.status === 'running';
      const plain = t?.plain ?? r.m.plain.last, attn = t?.attn ?? r.m.attn.last;
      const seconds = live ? this.runStart.seconds + (r.liveSeconds ?? 0) : r.seconds;
      const cells = [`#${r.id} ${r.label}`, { new: 'new', running: 'training', done: 'done', stopped: 'stopped', failed: 'failed' }[r.status],
        String(r.steps), pct(plain?.sequenceAccuracy), pct(plain?.tokenAccuracy), pct(attn?.sequenceAccuracy), pct(attn?.tokenAccuracy),
        seconds ? `${seconds.toFixed(1)} s` : '–', live ? Math.round(r.liveSeqPerSec ?? 0).toLocaleString('en')
          : r.seconds && r.seqs ? Math.round(r.seqs / r.seconds).toLocaleString('en') : '–'];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = c;
        tr.append(td);
      }
      tr.classList.toggle('current', r === this.pair?.rec);
      return tr;
    }));
  }

  /** The theme changed: charts and the heatmap take its colours. */
  themeChanged() {
    applyTheme(Object.values(this.charts));
    if (this.heatmap.data) this.heatmap.set(this.heatmap.data);
    else this.heatmap.draw();
  }

  /** The view became visible: draw what was sized while hidden. */
  shown() {
    for (const ch of Object.values(this.charts)) ch.resize();
    this._drawCurves();
    this.heatmap.draw();
    if (this.pair && !this.last) this._scheduleDecode(0);
  }

  async _png(canvases, name) {
    download(await stackPng(canvases), `rnnlab-seq2seq-${name}.png`, 'image/png');
  }
}

// The core's message for an input the task cannot read ("bad argument: seq2seq text: character 3, 0xc3,
// is not ...") counts bytes and shows a byte; the student typed characters: name the one typed there, by
// its place among the characters, and keep the core's words on what the task reads.
function inputMessage(text, message) {
  const m = /seq2seq text: (.*)$/.exec(message);
  if (!m) return message;
  const at = /^character (\d+), [^,]+, (.*)$/.exec(m[1]);
  if (!at) return `This input cannot be read: ${m[1]}.`;
  const byte = Number(at[1]) - 1, utf8 = new TextEncoder();
  let seen = 0, index = 0;
  for (const ch of text) {
    const n = utf8.encode(ch).length;
    if (byte < seen + n) return `This input cannot be read: “${ch}” (character ${index + 1}) ${at[2]}. Type only those characters.`;
    seen += n;
    index++;
  }
  return `This input cannot be read: ${m[1]}.`;
}
