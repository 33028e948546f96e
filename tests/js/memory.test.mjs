// memory.test.mjs: the wrapper's heap discipline. 100 cycles of create / train / checkpoint / load / free
// leave the WebAssembly memory size flat after the first few and the allocator's bytes in use back where
// they started; memory growth (a model bigger than the initial memory) keeps every view correct.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab } from '../../web/rnnlab.js';

test('100 create / train / save / load / free cycles: memory flat, no bytes leaked', async () => {
  const lab = await RnnLab.load();
  const sizes = [], inUse = [];
  for (let i = 0; i < 100; i++) {
    const cell = lab.names.cells[i % 3];
    const m = lab.createModel({ cell, task: 'adding', hidden: 16 + (i % 4) * 8, seed: i });
    m.setOptimizer({ kind: 'adam', lr: 0.01 });
    const b = lab.generateTask('adding', 8, 20, i);
    m.trainStep(b);
    m.predict(b);
    m.gradients(b);
    await m.trainTask({ task: 'adding', length: 20 + (i % 5), steps: 3, batchSize: 8 });
    m.evaluateTask({ task: 'adding', length: 20, batches: 1, batchSize: 16 });
    const n = lab.loadCheckpoint(m.saveCheckpoint());
    n.setTrace(0);
    n.trainStep(b);
    n.gateTrace();
    m.free();
    n.free();
    sizes.push(lab.memoryBytes);
    inUse.push(lab.memoryStats().heapInUse);
  }
  assert.equal(sizes[99], sizes[4], `memory grew after cycle 5: ${sizes[4]} -> ${sizes[99]} bytes`);
  // Only the wrapper's reusable staging block (and the last generated batch) stay allocated.
  assert.equal(inUse[99], inUse[4], `bytes in use drifted: ${inUse[4]} after cycle 5, ${inUse[99]} after cycle 100`);
});

test('memory growth: a model larger than the initial memory; views are re-made, results stay right', async () => {
  const lab = await RnnLab.load();
  const before = lab.memoryBytes;
  const small = lab.createModel({ cell: 'gru', task: 'adding', hidden: 8, seed: 1 });
  const p = small.parameters();
  // A 1M x 4 embedding: 4 M parameters, 16 MB, twice (parameters and gradients): memory must grow.
  const big = lab.createModel({ cell: 'rnn', vocab: 1000000, embed: 4, hidden: 2, seed: 1 });
  assert.ok(lab.memoryBytes > before, `memory did not grow (${before} bytes)`);
  assert.deepEqual(small.parameters(), p, 'a model made before the growth reads back the same');
  const b = { B: 2, T: 3, tokens: [1, 999999, 5, 7, 8, 9], targets: [0, 1] };
  assert.ok(Number.isFinite(big.trainStep(b).loss));
  const q = big.parameters();
  assert.equal(q.length, big.numParams);
  q[q.length - 1] = 0.5;
  big.setParameters(q);
  assert.equal(big.parameters()[q.length - 1], 0.5);
  big.free();
  small.free();
});
