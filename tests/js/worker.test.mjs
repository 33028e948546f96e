// worker.test.mjs: the same wrapper inside a worker thread, as a page runs it in a Web Worker: the worker
// loads the module, trains, posts progress and a checkpoint; the main thread only listens, then loads the
// checkpoint into its own instance and gets the same parameters.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { RnnLab } from '../../web/rnnlab.js';

// Worker code: CommonJS when evaluated, so the ES module comes in through import().
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { RnnLab } = await import(workerData.wrapper);
  const lab = await RnnLab.load();
  const m = lab.createModel({ cell: 'gru', task: 'sine', hidden: 8, seed: 5 });
  m.setOptimizer({ kind: 'adam', lr: 0.01 });
  await m.trainTask({ task: 'sine', length: 10, steps: 30, batchSize: 8, seed: 5, progressEvery: 10,
    onProgress: (p) => parentPort.postMessage({ type: 'progress', step: p.step, loss: p.loss }) });
  const bytes = m.saveCheckpoint();
  parentPort.postMessage({ type: 'done', kernels: lab.kernels, bytes, params: m.parameters() }, [bytes.buffer]);
  m.free();
})().catch((e) => parentPort.postMessage({ type: 'error', message: e.message }));
`;

test('a worker thread trains through the wrapper and posts progress and a checkpoint', async () => {
  const wrapper = new URL('../../web/rnnlab.js', import.meta.url).href;
  const w = new Worker(workerCode, { eval: true, workerData: { wrapper } });
  const messages = [];
  const done = await new Promise((resolve, reject) => {
    w.on('message', (msg) => {
      messages.push(msg);
      if (msg.type === 'done') resolve(msg);
      if (msg.type === 'error') reject(new Error(`worker: ${msg.message}`));
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`worker exited (${code}) before finishing`)));
  });
  await w.terminate();
  assert.deepEqual(messages.filter((m) => m.type === 'progress').map((m) => m.step), [10, 20, 30]);
  assert.equal(done.kernels, 'wasmsimd');
  const lab = await RnnLab.load();
  const m = lab.loadCheckpoint(done.bytes);
  assert.deepEqual(m.parameters(), done.params);
  assert.equal(m.optimizer.steps, 30);
  m.free();
});
