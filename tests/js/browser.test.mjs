// browser.test.mjs: the same wrapper, unchanged, in a real page and a module Web Worker of headless
// Chromium (chromium_page.mjs serves web/ and the test page): the page trains, starts a Worker that
// trains too, and posts both results back. Skipped, saying why, when no Chromium is installed
// ($RNL_CHROMIUM or `chromium`).
import test from 'node:test';
import assert from 'node:assert/strict';

import { existsSync } from 'node:fs';
import { runPage, skipWithoutChromium } from './chromium_page.mjs';

// Chromium 156 validates relaxed SIMD: RnnLab.load() takes web/rnnlab-relaxed.wasm when the build made it.
const relaxedBuilt = existsSync(new URL('../../web/rnnlab-relaxed.wasm', import.meta.url));

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { RnnLab } from '/web/rnnlab.js';
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
try {
  const lab = await RnnLab.load();
  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 8, seed: 1 });
  const r = await m.trainTask({ task: 'adding', length: 10, steps: 20, batchSize: 8, seed: 1 });
  const ck = m.saveCheckpoint();
  const plain = await RnnLab.load(undefined, { simd: 'plain' });
  const w = new Worker('/test/worker.js', { type: 'module' });
  const worker = await new Promise((res) => { w.onmessage = (e) => res(e.data); w.onerror = (e) => res({ error: e.message }); });
  await report({ page: { version: lab.version, kernels: lab.kernels, plainKernels: plain.kernels, loss: r.loss, steps: r.totalSteps,
    checkpoint: ck.length }, worker });
} catch (e) {
  await report({ error: String(e.stack || e) });
}
</script>`;

const worker = `import { RnnLab } from '/web/rnnlab.js';
try {
  const lab = await RnnLab.load();
  const m = lab.createModel({ cell: 'gru', task: 'sine', hidden: 8, seed: 5 });
  const r = await m.trainTask({ task: 'sine', length: 10, steps: 20, batchSize: 8, seed: 5 });
  postMessage({ kernels: lab.kernels, loss: r.loss, steps: r.totalSteps });
} catch (e) {
  postMessage({ error: String(e.stack || e) });
}`;

test('a page and a module Worker in headless Chromium load the module and train', {
  skip: skipWithoutChromium,
  timeout: 600000,  // a loaded machine starts Chromium slowly; a hang still ends here
}, async (t) => {
  const r = await runPage(t, { '/test/page.html': ['text/html', page], '/test/worker.js': ['text/javascript', worker] });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.page.kernels, relaxedBuilt ? 'wasmrelaxed' : 'wasmsimd');
  assert.equal(r.page.plainKernels, 'wasmsimd', "simd: 'plain' loads rnnlab.wasm");
  assert.match(r.page.version, /^\d+\.\d+\.\d+$/);
  assert.equal(r.page.steps, 20);
  assert.ok(Number.isFinite(r.page.loss) && r.page.checkpoint > 124);
  assert.equal(r.worker.error, undefined, r.worker.error);
  assert.equal(r.worker.kernels, relaxedBuilt ? 'wasmrelaxed' : 'wasmsimd');
  assert.equal(r.worker.steps, 20);
  assert.ok(Number.isFinite(r.worker.loss));
});
