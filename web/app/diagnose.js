// diagnose.js: one line that says what happened in a run, in the lesson's words: exploding gradients,
// vanishing gradients, slow convergence, overfitting, too much clipping, or "it learned". Pure functions
// of a run's record (its configuration, curves and final figures), so they are easy to test and to read.
import { fmtNum } from './charts.js';

const median = (a) => {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const mean = (a) => {
  const f = a.filter(Number.isFinite);
  return f.length ? f.reduce((x, y) => x + y, 0) / f.length : NaN;
};

// Loss of a model that ignores its input: what "learned nothing" looks like for each task.
export function baselineLoss(cfg) {
  if (cfg.task === 'adding') return { loss: 1 / 6, what: 'always predicting 1' };
  if (cfg.task === 'copy') return { loss: Math.log(8), accuracy: 0.125, what: 'guessing one of 8 symbols' };
  if (cfg.task === 'imdb' || cfg.task === 'imdbfile' || cfg.task === 'imdbfull') return { loss: Math.log(2), accuracy: 0.5, what: 'guessing' };
  // Series are normalised with the training part's mean and deviation: predicting that mean scores ~1.
  if (cfg.task === 'temp' || cfg.task === 'csv') return { loss: 1, what: 'always predicting the training mean', approx: true };
  return null;
}

/** { level: 'error' | 'warn' | 'ok' | 'info', text } for a finished run record. */
export function diagnose(rec) {
  const cfg = rec.cfg;
  const losses = rec.train.map((p) => p.y);
  const grads = rec.grad.map((p) => p.y);
  const steps = rec.compacted ? rec.stepsTotal : rec.train.length;
  const cell = cfg.cell.toUpperCase();
  if (rec.status === 'failed') {
    const finite = rec.grad.filter((p) => Number.isFinite(p.y) && p.y > 0);
    const first = finite[0], last = finite[finite.length - 1];
    const growth = first && last && last.y > first.y
      ? ` The gradient norm grew from ${fmtNum(first.y)} at step ${first.x} to ${fmtNum(last.y)} at step ${last.x}.` : '';
    const fixes = [];
    if (!cfg.clip) fixes.push('turn gradient clipping on (threshold 1)');
    fixes.push(`lower the learning rate (now ${cfg.lr})`);
    if (cfg.opt === 'sgd') fixes.push('or use Adam');
    if (cfg.cell === 'lstm' && Math.abs(cfg.fb) > 5) fixes.push(`use a forget-gate bias near 1 (now ${cfg.fb})`);
    return { level: 'error', text: `Exploding gradients: training stopped at step ${rec.failedStep ?? steps + 1} because the loss ` +
      `became NaN or infinite.${growth} The model keeps the parameters of the last good step. To fix it: ${fixes.join(', ')}. ` +
      `The core said: “${rec.error?.message ?? 'numeric fault'}”` };
  }
  if (steps === 0) return { level: 'info', text: 'The run stopped before its first step.' };
  const base = baselineLoss(cfg);
  const val = rec.val.length ? rec.val[rec.val.length - 1].y : NaN;
  const finalLoss = Number.isFinite(rec.test?.loss) ? rec.test.loss : Number.isFinite(val) ? val : mean(losses.slice(-20));
  const startLoss = mean(losses.slice(0, Math.max(1, Math.min(20, Math.floor(steps / 10) || 1))));
  const endLoss = mean(losses.slice(-Math.max(1, Math.min(50, Math.floor(steps / 10) || 1))));
  const clippedShare = rec.clippedCount / Math.max(1, steps);
  const stopped = rec.status === 'stopped' ? ' (stopped early)' : '';

  if (cfg.task === 'adding' && base && finalLoss > 0.8 * base.loss) {
    if (cfg.cell === 'rnn' && cfg.len >= 20 && steps >= 300)
      return { level: 'warn', text: `Vanishing gradients: after ${steps} steps the ${cell}'s test MSE is ${fmtNum(finalLoss)}, ` +
        `no better than ${base.what} (${fmtNum(base.loss)}). The gradient from the output shrinks at every step back in time ` +
        `(see ‖∂L/∂h_t‖ below), so the two marked numbers ${cfg.len} steps back are never learned. An LSTM or GRU learns this.` };
    if (cfg.opt === 'sgd')
      return { level: 'warn', text: `Slow convergence: plain SGD at learning rate ${cfg.lr} moved the loss only from ` +
        `${fmtNum(startLoss)} to ${fmtNum(endLoss)} in ${steps} steps; the test MSE ${fmtNum(finalLoss)} is still near ` +
        `${base.what} (${fmtNum(base.loss)}). Adam (or momentum) adapts the step size per parameter and gets there far sooner.` };
    return { level: 'info', text: `Not learned yet${stopped}: test MSE ${fmtNum(finalLoss)}, near ${base.what} (${fmtNum(base.loss)}). ` +
      `Gated cells often sit on this plateau for a few hundred steps at length ${cfg.len}, then drop suddenly: train on.` };
  }
  if (cfg.opt === 'sgd' && steps >= 100 && Number.isFinite(startLoss) && endLoss > 0.7 * startLoss)
    return { level: 'warn', text: `Slow convergence: plain SGD at learning rate ${cfg.lr} moved the training loss only from ` +
      `${fmtNum(startLoss)} to ${fmtNum(endLoss)} in ${steps} steps. Try Adam, momentum, or a larger learning rate.` };
  // Overfitting: validation loss rising for the last evaluations while training loss falls.
  if (rec.val.length >= 3) {
    const v = rec.val.map((p) => p.y);
    const best = Math.min(...v), bestAt = v.indexOf(best);
    if (bestAt < v.length - 1 && v[v.length - 1] > best * 1.1 && endLoss < startLoss)
      return { level: 'warn', text: `Overfitting: the training loss keeps falling (${fmtNum(endLoss)}) but the validation loss ` +
        `was lowest at evaluation ${bestAt + 1} (${fmtNum(best)}) and rose to ${fmtNum(v[v.length - 1])}. Fewer epochs, a smaller ` +
        'model or more data would help.' };
  }
  const d = outcome(rec, base, finalLoss, startLoss, endLoss, steps, stopped);
  if (clippedShare > 0.5 && steps >= 20)
    d.text += ` Clipping was active at ${Math.round(100 * clippedShare)}% of the steps (median gradient norm ` +
      `${fmtNum(median(grads))} against a threshold of ${cfg.clipAt}): it keeps training stable, but each such step is shorter ` +
      'than the optimizer asked for.';
  return d;
}

// Learned or not, measured against the task's no-memory baseline when there is one.
function outcome(rec, base, finalLoss, startLoss, endLoss, steps, stopped) {
  if (base?.accuracy !== undefined && Number.isFinite(rec.test?.accuracy)) {
    const acc = rec.test.accuracy;
    if (acc < base.accuracy + 0.05)
      return { level: 'info', text: `No better than chance yet${stopped}: test accuracy ${fmtNum(acc)} (chance ${base.accuracy}). ` +
        'Train longer or raise the learning rate.' };
    return { level: 'ok', text: `Learned${stopped}: test accuracy ${fmtNum(acc)} (chance ${base.accuracy}) after ${steps} steps.` };
  }
  if (base && Number.isFinite(finalLoss)) {
    const rmse = Number.isFinite(rec.test?.rmse) ? ` The typical error is ${fmtNum(rec.test.rmse)} in the series’ own units (RMSE).` : '';
    if (finalLoss > 0.8 * base.loss)
      return { level: 'info', text: `Not learned yet${stopped}: test loss ${fmtNum(finalLoss)}, near ${base.approx ? 'about ' : ''}${fmtNum(base.loss)} for ${base.what}.${rmse}` };
    return { level: 'ok', text: `Learned${stopped}: test loss ${fmtNum(finalLoss)}, against ${base.approx ? 'about ' : ''}${fmtNum(base.loss)} for ${base.what}.${rmse}` };
  }
  if (Number.isFinite(finalLoss))
    return { level: 'ok', text: `Done${stopped}: the loss fell from ${fmtNum(startLoss)} to ${fmtNum(endLoss)}; test loss ${fmtNum(finalLoss)}.` };
  return { level: 'info', text: `Done${stopped}.` };
}

// --- Comparisons (the presets' runs) ---------------------------------------------------------------------

// A run's final loss: its test loss, else its last held-out one.
const finalLossOf = (r) => (Number.isFinite(r.test?.loss) ? r.test.loss : r.val.length ? r.val[r.val.length - 1].y : NaN);

/**
 * One headline for a preset's runs, in the order they ran (the last is the one the status line reports),
 * or null when the runs do not show what the preset is about (then each run's own diagnosis stands).
 *   'slow':  plain SGD, then Adam, on the same model, data and steps;
 *   'cells': cells on one task and length (vanish is the same with two cells).
 */
export function compareRuns(kind, runs) {
  if (runs.length < 2 || runs.some((r) => r.status !== 'done')) return null;
  const base = baselineLoss(runs[0].cfg);
  if (!base) return null;
  const loss = runs.map(finalLossOf);
  if (!loss.every(Number.isFinite)) return null;
  const what = `${fmtNum(base.loss)} for ${base.what}`;
  if (kind === 'slow') {
    const [sgd, adam] = runs, [ls, la] = loss;
    if (sgd.cfg.opt !== 'sgd' || !(la < 0.5 * ls)) return null;
    // When Adam's held-out loss first went below SGD's final one: how much sooner it got there.
    const passed = adam.val.find((p) => p.y <= ls);
    const sooner = passed ? ` Adam's held-out loss was already below that at step ${passed.x}.` : '';
    return { level: 'warn', text: `Slow convergence (plain SGD): Adam, the run above, reached a test MSE of ${fmtNum(la)} in ` +
      `${adam.stepsTotal} steps; plain SGD at the same learning rate (${sgd.cfg.lr}), on the same model and batches, only ` +
      `${fmtNum(ls)} in ${sgd.stepsTotal} (${what}).${sooner} SGD takes the same small step for every parameter; Adam scales ` +
      'each by its own gradient history, so the weights whose gradients are tiny still move.' };
  }
  if (kind === 'positions') {
    const [without, withPos] = runs, acc = (r) => r.test?.accuracy;  // the broken run first
    if (!Number.isFinite(acc(withPos)) || !Number.isFinite(acc(without)) || without.cfg.pos !== 'none') return null;
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    return { level: acc(without) < acc(withPos) - 0.2 ? 'warn' : 'info', text: `No notion of order: with sinusoidal positions the ` +
      `Transformer names the first symbol of ${pct(acc(withPos))} of the test sequences; without positions, ${pct(acc(without))} ` +
      '(chance 12.5%). Self-attention mixes the positions by their content alone: without a position added to each input, the ' +
      'first symbol looks like every other, and the model can only guess among the symbols it saw. An RNN knows the order because ' +
      'it reads step by step.' };
  }
  // Which cells learned at this length and which stayed near the no-memory baseline.
  const learned = runs.filter((r, i) => loss[i] < 0.2 * base.loss), stuck = runs.filter((r, i) => loss[i] > 0.8 * base.loss);
  const name = (r) => `${r.cfg.cell.toUpperCase()} (${fmtNum(finalLossOf(r))})`;
  const len = runs[0].cfg.len, steps = runs[runs.length - 1].stepsTotal;
  if (!learned.length || !stuck.length)
    return { level: 'info', text: `At length ${len}, after ${steps} steps, the cells do not differ much: test MSE ` +
      `${runs.map(name).join(', ')} (${what}).` };
  return { level: 'warn', text: `Vanishing gradients: at length ${len}, after ${steps} steps on the same batches, ` +
    `${stuck.map(name).join(' and ')} stayed near ${base.what} (${fmtNum(base.loss)}), while ${learned.map(name).join(' and ')} ` +
    `learned (test MSE). The gates keep the gradient alive across the ${len} steps; see ‖∂L/∂h_t‖ of each model.` };
}

// --- Fix it (a preset's broken run against the same set-up with its fix) -------------------------------------

const PROBLEM = { explode: 'Exploding gradients', vanish: 'Vanishing gradients', slow: 'Slow convergence (plain SGD)', cells: 'Vanishing gradients',
  positions: 'No notion of order (a Transformer without positions)' };
const WHY = {
  explode: 'Clipping scales any gradient longer than the threshold down to it, so one huge gradient can no longer throw the weights ' +
    'where the next one is larger still.',
  vanish: 'The gates keep the gradient alive across the steps back to the two marked numbers; see ‖∂L/∂h_t‖ of each model.',
  slow: 'SGD takes the same small step for every parameter; Adam scales each by its own gradient history, so the weights whose ' +
    'gradients are tiny still move.',
  cells: 'The gates keep the gradient alive across the steps back to the two marked numbers; see ‖∂L/∂h_t‖ of each model.',
  positions: 'Attention weighs the inputs by their content alone; the position added to each input is what tells the first symbol ' +
    'from the others (see where the last layer looks).',
};

/**
 * One line on what a preset's fix did: `broken` (the preset's first run) against `fixed` (the same set-up and
 * seed with the fix, described by `what`), from the runs' recorded figures. Null while either has not ended.
 */
export function compareFix(kind, what, broken, fixed) {
  if (![broken, fixed].every((r) => r.status === 'done' || r.status === 'failed')) return null;
  const base = baselineLoss(broken.cfg);
  const lb = finalLossOf(broken), lf = finalLossOf(fixed);
  const ref = base ? ` (${base.what}: ${fmtNum(base.loss)})` : '';
  // How hard the clipping worked: the fix of exploding gradients (in the others clipping is on in both runs).
  const clipped = kind === 'explode' && fixed.cfg.clip && fixed.stepsTotal > 0
    ? ` Clipping scaled ${Math.round(100 * fixed.clippedCount / fixed.stepsTotal)}% of its steps down to ${fixed.cfg.clipAt}.` : '';
  const head = `${PROBLEM[kind]}, and the fix (${what}):`;
  if (fixed.status === 'failed')
    return { level: 'error', text: `${head} not fixed: the fixed run's loss became NaN too, at step ${fixed.failedStep}. Lower the learning rate as well.` };
  if (broken.status === 'failed') {
    // Stable is not yet learned: say so when the fixed run sits near the no-memory baseline.
    const notYet = base && Number.isFinite(lf) && lf > 0.8 * base.loss
      ? ` It no longer blows up, but has not learned yet: with the steps capped, a smaller learning rate (now ${fixed.cfg.lr}) or Adam gets further.` : '';
    return { level: notYet ? 'info' : 'ok', text: `${head} the same run now trains all ${fixed.stepsTotal} steps and reaches a test loss of ` +
      `${fmtNum(lf)}${ref}, where without the fix the loss became NaN at step ${broken.failedStep}.${clipped} ${WHY[kind]}${notYet}` };
  }
  if (!(Number.isFinite(lb) && Number.isFinite(lf))) return null;
  if (lf < 0.5 * lb)
    return { level: 'ok', text: `${head} the test loss fell from ${fmtNum(lb)} to ${fmtNum(lf)} in the same ${fixed.stepsTotal} steps on the ` +
      `same batches${ref}.${clipped} ${WHY[kind]}` };
  return { level: 'info', text: `${head} the test loss went from ${fmtNum(lb)} to ${fmtNum(lf)} in ${fixed.stepsTotal} steps${ref}: not the ` +
    'difference expected; train longer (Train more), or compare the gradient norms.' };
}
