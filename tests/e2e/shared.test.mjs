// shared.test.mjs: the shared-memory path in Chromium, on the page `npm start` serves (web/serve.mjs sends
// Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy):
// - the lab page is cross-origin isolated, everything it loads still loads (no console errors, no CSP
//   violations), and the page's own Worker loaded the shared-memory module (its init reports it);
// - in a Worker of that page (a test script, answered by the test through request routing; the wrapper,
//   its parts and the .wasm files come from serve.mjs), RnnLab.load() takes the shared module by itself,
//   and an LSTM with dropout and a Transformer train to byte-identical checkpoints on 1 and 2 threads
//   (threadPath 'shared': nested Workers over the Worker's memory), equal to the plain module's with the
//   same kernels.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, WAIT } from './helpers.mjs';

// The test's Worker: its reply is posted to the page, which hands it to the test.
const worker = `
import { RnnLab } from '/web/rnnlab.js';
const batches = (n, B, T) => {
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({ B, T,
    tokens: Int32Array.from({ length: B * T }, () => 2 + Math.floor(rnd() * 298)),
    lengths: Int32Array.from({ length: B }, () => 1 + Math.floor(rnd() * T)),
    targets: Float32Array.from({ length: B }, () => (rnd() < 0.5 ? 0 : 1)) }));
};
async function train(lab, kind, threads) {
  const m = kind === 'lstm'
    ? lab.createModel({ cell: 'lstm', vocab: 300, embed: 16, hidden: 24, layers: 2, head: 'binary', outputs: 1, dropout: 0.3, seed: 4 })
    : lab.createTransformer({ vocab: 300, hidden: 16, heads: 4, layers: 2, ffn: 32, head: 'binary', outputs: 1, seed: 5 });
  m.setOptimizer({ kind: 'adam', lr: 3e-3, clip: 1 });
  await m.setThreads(threads);
  const path = m.threadPath;
  for (const b of batches(4, 40, 12)) m.trainStep(b);
  const ck = Array.from(m.saveCheckpoint());
  m.free();
  return { ck, path };
}
try {
  const lab = await RnnLab.load();
  const out = { crossOriginIsolated: self.crossOriginIsolated, sharedMemory: lab.sharedMemory, kernels: lab.kernels };
  const simd = lab.kernels === 'wasmrelaxed' ? 'relaxed' : 'plain';
  const own = await RnnLab.load(undefined, { simd, shared: false });
  for (const kind of ['lstm', 'transformer']) {
    out[kind] = { one: await train(lab, kind, 1), two: await train(lab, kind, 2), plain: await train(own, kind, 1) };
  }
  await lab.stopThreads();
  postMessage(out);
} catch (e) {
  postMessage({ error: String(e.stack || e) });
}`;

test('npm start: a cross-origin-isolated page whose Workers run the shared-memory threads, with the same bytes', { skip, timeout: 900000 }, async (t) => {
  const { server, browser } = await startLab(t);
  const page = await openPage(browser, server);
  await page.context().route('**/web/test-shared/worker.js', (route) => route.fulfill({
    status: 200, contentType: 'text/javascript', body: worker,
    headers: { 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-opener-policy': 'same-origin' },
  }));
  await gotoLab(page, server);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  const engine = await page.evaluate(async () => (await import('/web/app/state.js')).state.engine);
  assert.equal(engine.sharedMemory, true, 'the page\'s Worker did not load the shared-memory module');
  const r = await page.evaluate(() => new Promise((resolve) => {
    const w = new Worker('/web/test-shared/worker.js', { type: 'module' });
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ error: `the test Worker failed: ${e.message}` });
  }), null, { timeout: WAIT });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.crossOriginIsolated, true);
  assert.equal(r.sharedMemory, true);
  for (const kind of ['lstm', 'transformer']) {
    assert.equal(r[kind].one.path, 'single');
    assert.equal(r[kind].two.path, 'shared');
    assert.deepEqual(r[kind].two.ck, r[kind].one.ck, `${kind}: 2 threads differ from 1`);
    assert.deepEqual(r[kind].one.ck, r[kind].plain.ck, `${kind}: the shared module differs from the plain one (${r.kernels})`);
  }
  assert.deepEqual(page.problems(), []);
});
