// regularise.test.mjs: dropout, learning-rate schedules and keeping the best epoch through the JS API
// (the core decides every number: masks, rates, which epoch is best; the wrapper only passes options).
// - dropout: createModel({ dropout }) is in the config and the checkpoint; evaluation and prediction ignore
//   it (the same figures as the same weights without dropout); training with it differs and is reproducible.
// - schedules: scheduleCurve gives the run layer's values; trainTask reports each step's rate; the
//   optimizer keeps its base rate; bad options are refused by name.
// - keepBest: the kept checkpoint is the best epoch's, restoreBest puts it back, patience stops the run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab } from '../../web/rnnlab.js';

const lab = await RnnLab.load();

const throwsArg = (fn, re) => assert.throws(fn, (e) => e.name === 'RnnLabError' && re.test(e.message), re);

test('dropout: in the config and the checkpoint, off in evaluation and prediction', async () => {
  const m = lab.createModel({ cell: 'gru', task: 'copy', hidden: 12, layers: 2, dropout: 0.4, seed: 3 });
  const q = lab.createModel({ cell: 'gru', task: 'copy', hidden: 12, layers: 2, seed: 3 });
  assert.equal(m.config.dropout, 0.4);
  assert.equal(q.config.dropout, 0);
  const a = m.evaluateTask({ task: 'copy', length: 10, batches: 2, batchSize: 16 });
  const b = q.evaluateTask({ task: 'copy', length: 10, batches: 2, batchSize: 16 });
  assert.deepEqual(a, b, 'evaluation is the same with and without dropout');
  const ck = m.saveCheckpoint();
  const back = lab.loadCheckpoint(ck);
  assert.equal(back.config.dropout, 0.4);
  // A model without dropout writes 0 at byte 60, as before dropout existed.
  assert.deepEqual(Array.from(q.saveCheckpoint().subarray(60, 64)), [0, 0, 0, 0]);
  // Training: dropout changes the losses; the same seed gives the same run.
  const losses = async (model) => {
    const out = [];
    await model.trainTask({ task: 'copy', length: 10, steps: 5, batchSize: 16, seed: 9, progressEvery: 1, onProgress: (p) => out.push(p.loss) });
    return out;
  };
  const l1 = await losses(m), l2 = await losses(back), l0 = await losses(q);
  assert.deepEqual(l1, l2, 'same masks after a checkpoint round trip');
  assert.notDeepEqual(l1, l0, 'dropout changes the training losses');
  throwsArg(() => lab.createModel({ cell: 'gru', task: 'copy', dropout: 1 }), /dropout is 1, must be in \[0, 0.99\]/);
  throwsArg(() => lab.createModel({ cell: 'gru', task: 'copy', dropout: 'a' }), /dropout must be a finite number/);
  for (const x of [m, q, back]) x.free();
});

test('schedules: the core\'s curve, the rate of each step, the base rate kept', async () => {
  assert.deepEqual(lab.names.schedules, ['none', 'cosine', 'step']);
  const c = lab.scheduleCurve({ kind: 'cosine', warmup: 10, total: 110 }, { lr: 0.01, points: 5, first: 1, last: 101 });
  assert.deepEqual(Array.from(c.steps), [1, 26, 51, 76, 101]);
  const want = [0.001, 0.01 * 0.5 * (1 + Math.cos(Math.PI * 15 / 100)), 0.01 * 0.5 * (1 + Math.cos(Math.PI * 40 / 100)),
    0.01 * 0.5 * (1 + Math.cos(Math.PI * 65 / 100)), 0.01 * 0.5 * (1 + Math.cos(Math.PI * 90 / 100))];
  c.lr.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-6 * want[i], `point ${i}: ${v}, want ${want[i]}`));
  const st = lab.scheduleCurve({ kind: 'step', stepSize: 2, gamma: 0.5 }, { lr: 1, points: 6, last: 6 });
  assert.deepEqual(Array.from(st.lr), [1, 1, 0.5, 0.5, 0.25, 0.25]);
  throwsArg(() => lab.scheduleCurve({ kind: 'linear' }), /kind must be 'none', 'cosine', 'step'/);
  throwsArg(() => lab.scheduleCurve({ kind: 'step', gamma: 3 }, { last: 10 }), /gamma is 3, must be in/);
  throwsArg(() => lab.scheduleCurve({ kind: 'cosine', warmpu: 3 }), /unknown field 'warmpu'/);

  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 8, seed: 1 });
  m.setOptimizer({ kind: 'adam', lr: 0.01 });
  const rates = [];
  await m.trainTask({ task: 'adding', length: 10, steps: 8, batchSize: 8, progressEvery: 1, schedule: { kind: 'cosine', warmup: 4 },
    onProgress: (p) => rates.push(p.lr) });
  const curve = lab.scheduleCurve({ kind: 'cosine', warmup: 4, total: 8 }, { lr: 0.01, points: 8, first: 1, last: 8 });
  rates.forEach((r, i) => assert.ok(Math.abs(r - curve.lr[i]) < 1e-9, `step ${i + 1}: ${r} vs ${curve.lr[i]}`));
  assert.equal(m.optimizer.lr, 0.01, 'the optimizer keeps its base rate');
  // A later call without a schedule trains at the base rate.
  const after = [];
  await m.trainTask({ task: 'adding', length: 10, steps: 2, batchSize: 8, progressEvery: 1, onProgress: (p) => after.push(p.lr) });
  assert.deepEqual(after, [Math.fround(0.01), Math.fround(0.01)], 'a later call without a schedule: the base rate');
  m.free();
});

// A small series: its validation loss decides (no accuracy).
function series() {
  let csv = 'day,v\n';
  for (let i = 0; i < 120; i++) csv += `${i},${(10 + 3 * Math.sin(i / 4) + (i % 5) * 0.3).toFixed(3)}\n`;
  return lab.seriesCsvDataset(csv, { column: 'v', window: 6 });
}

test('keepBest: the best epoch\'s checkpoint, restoreBest, patience', async () => {
  const ds = series();
  const m = lab.createModel({ cell: 'gru', dataset: ds, hidden: 4, seed: 2, dropout: 0.1 });
  m.setOptimizer({ kind: 'adam', lr: 0.05 });
  const seen = [];
  const r = await m.trainDataset(ds, { epochs: 5, batchSize: 8, seed: 4, keepBest: true,
    onEpoch: (e) => seen.push({ val: e.val.loss, best: e.best }) });
  // The best is the epoch with the lowest validation loss so far, as each epoch's report says.
  let bestLoss = Infinity, bestEpoch = 0;
  seen.forEach((s, i) => {
    const improved = s.val < bestLoss;
    if (improved) bestLoss = s.val, bestEpoch = i + 1;
    assert.equal(s.best.improved, improved, `epoch ${i + 1}`);
    assert.equal(s.best.epoch, bestEpoch);
  });
  assert.equal(r.best.epoch, bestEpoch);
  assert.equal(r.best.loss, bestLoss);
  assert.equal(r.stoppedEarly, false);
  // The kept bytes are a checkpoint of the best epoch: loaded, it scores the best validation loss.
  const kept = lab.loadCheckpoint(m.bestCheckpoint());
  assert.equal(kept.evaluateDataset(ds, 'val').loss, bestLoss);
  assert.equal(kept.optimizer.steps, r.best.step);
  const info = m.restoreBest();
  assert.equal(info.epoch, bestEpoch);
  assert.equal(m.evaluateDataset(ds, 'val').loss, bestLoss);
  assert.equal(m.optimizer.steps, r.best.step);
  assert.deepEqual(m.parameters(), kept.parameters());
  // Resumed with patience 1: the model's own score is the mark; the first epoch that misses it ends the run.
  m.setOptimizer({ kind: 'adam', lr: 0.5 });
  const r2 = await m.trainDataset(ds, { epochs: 40, batchSize: 8, keepBest: true, patience: 1 });
  assert.equal(r2.stoppedEarly, true, 'patience 1 stops at the first epoch without improvement');
  assert.ok(r2.steps < 40 * Math.ceil(ds.counts.train / 8));
  const rejectsArg = (p, re) => assert.rejects(p, (e) => e.name === 'RnnLabError' && re.test(e.message), re);
  await rejectsArg(m.trainDataset(ds, { patience: 2 }), /patience counts epochs without improvement: it needs keepBest/);
  await rejectsArg(m.trainDataset(ds, { keepBest: true, schedule: { kind: 'step', stepSize: -1 } }), /stepSize is -1/);
  const fresh = lab.createModel({ cell: 'gru', dataset: ds, hidden: 4 });
  throwsArg(() => fresh.restoreBest(), /no best epoch kept/);
  for (const x of [m, kept, fresh, ds]) x.free();
});

test('keepBest resumeBest: a run taken up from an epoch checkpoint keeps the best of the whole run', async () => {
  const ds = series();
  const make = () => {
    const m = lab.createModel({ cell: 'gru', dataset: ds, hidden: 4, seed: 2, dropout: 0.1 });
    m.setOptimizer({ kind: 'adam', lr: 0.2 });
    return m;
  };
  // Uninterrupted: 6 epochs.
  const whole = make(), bests = [];
  const rw = await whole.trainDataset(ds, { epochs: 6, batchSize: 8, seed: 4, keepBest: true, onEpoch: (e) => bests.push(e.best) });
  // Interrupted after epoch 3 (the page keeps the epoch's checkpoint, its best record and the best's bytes) ...
  const first = make();
  let kept = null;
  await first.trainDataset(ds, { epochs: 3, batchSize: 8, seed: 4, keepBest: true,
    onEpoch: (e) => { kept = { ck: first.saveCheckpoint(), best: { ...e.best, checkpoint: first.bestCheckpoint() } }; } });
  assert.deepEqual(kept.best.epoch, bests[2].epoch, 'the first part agrees with the whole run up to epoch 3');
  // ... and taken up in a new model from that checkpoint, with the same seed.
  const second = lab.loadCheckpoint(kept.ck);
  const rs = await second.trainDataset(ds, { epochs: 3, batchSize: 8, seed: 4, keepBest: true, resumeBest: kept.best });
  assert.deepEqual({ epoch: rs.best.epoch, step: rs.best.step, loss: rs.best.loss }, { epoch: rw.best.epoch, step: rw.best.step, loss: rw.best.loss });
  assert.deepEqual(second.bestCheckpoint(), whole.bestCheckpoint(), 'the same best epoch\'s bytes as the uninterrupted run');
  second.restoreBest();
  whole.restoreBest();
  assert.deepEqual(second.parameters(), whole.parameters());
  // Bad records are named.
  const rejectsArg = (p, re) => assert.rejects(p, (e) => e.name === 'RnnLabError' && re.test(e.message), re);
  await rejectsArg(second.trainDataset(ds, { epochs: 1, resumeBest: kept.best }), /resumeBest takes up keepBest .* it needs keepBest/);
  await rejectsArg(second.trainDataset(ds, { epochs: 1, keepBest: true, resumeBest: { ...kept.best, checkpoint: undefined } }),
    /resumeBest must be \{ epoch, step, loss, accuracy, stale, checkpoint: Uint8Array \}/);
  await rejectsArg(second.trainDataset(ds, { epochs: 1, keepBest: true, resumeBest: { ...kept.best, epoch: 0 } }),
    /earlier best epoch must be epoch 1 or later/);
  const other = lab.createModel({ cell: 'lstm', dataset: ds, hidden: 4 });
  await rejectsArg(second.trainDataset(ds, { epochs: 1, keepBest: true, resumeBest: { ...kept.best, checkpoint: other.saveCheckpoint() } }),
    /checkpoint is of another model configuration/);
  await rejectsArg(second.trainDataset(ds, { epochs: 1, keepBest: true, resumeBest: { ...kept.best, checkpoint: new Uint8Array(10) } }),
    /checkpoint/);
  // One epoch after the resume: epoch 4 is judged against the best of epochs 1-3 (here an earlier epoch than 3,
  // whose bytes only the kept record has), as in the whole run.
  const third = lab.loadCheckpoint(kept.ck);
  const r1 = await third.trainDataset(ds, { epochs: 1, batchSize: 8, seed: 4, keepBest: true, resumeBest: kept.best });
  assert.equal(r1.best.epoch, bests[3].epoch);
  assert.equal(r1.best.stale, bests[3].stale);
  assert.ok(bests[3].epoch < 3, `the fixture's point: after epoch 4 the best is still an epoch before 3 (${bests[3].epoch})`);
  assert.deepEqual(third.bestCheckpoint(), kept.best.checkpoint);
  for (const x of [whole, first, second, third, other, ds]) x.free();
});
