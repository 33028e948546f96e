// learn.test.mjs: the wrapper trains an LSTM on the adding problem (Hochreiter & Schmidhuber 1997) at
// length 25 to a low held-out MSE in a bounded number of steps, with a fixed seed. The bar has a wide
// margin: predicting 1 always (no memory) gives MSE 1/6 = 0.167; with these settings, seeds 1..8 all
// reached at most 0.002 after 800 steps (seed 1: 0.0004), and this test asks for < 0.02.
// No timing thresholds: it counts steps, not seconds.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab } from '../../web/rnnlab.js';

test('an LSTM learns the adding problem (length 25) to held-out MSE < 0.02 in 800 steps', async () => {
  const lab = await RnnLab.load();
  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 16, seed: 1 });
  m.setOptimizer({ kind: 'adam', lr: 0.01, clip: 1 });
  const heldOut = () => m.evaluateTask({ task: 'adding', length: 25 }).loss;  // 10 x 100 sequences, seed 1000003
  const before = heldOut();
  assert.ok(before > 0.1, `an untrained model should be near the no-memory baseline 0.167, got ${before}`);
  const r = await m.trainTask({ task: 'adding', length: 25, steps: 800, batchSize: 32, seed: 1 });
  assert.equal(r.steps, 800);
  const after = heldOut();
  assert.ok(after < 0.02, `held-out MSE after 800 steps: ${after} (before: ${before})`);
  m.free();
});
