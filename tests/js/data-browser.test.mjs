// data-browser.test.mjs: the data layer in headless Chromium, as the lab page uses it: a page streams a
// fixture .tar.gz from fetch() into prepareImdb (gzip inflated by Chromium's DecompressionStream), reads a
// Blob and a .rnld file, gets the messages for a truncated archive and a PNG, and a module Worker prepares
// a subset and trains on it. The bytes must equal those made in Node (and so the native CLI's, which
// data.test.mjs checks). Skipped, saying why, when no Chromium is installed ($RNL_CHROMIUM or `chromium`).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RnnLab } from '../../web/rnnlab.js';

import { runPage, skipWithoutChromium } from './chromium_page.mjs';

const root = new URL('../../', import.meta.url);
const fixture = readFileSync(new URL('tests/fixtures/tar/imdb_mini_pax.tar.gz', root));
const OPTS = { train: 6, val: 2, test: 6, vocab: 1000, maxLen: 12, seed: 3, keepEnd: true };

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { RnnLab } from '/web/rnnlab.js';
const OPTS = ${JSON.stringify(OPTS)};
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
const message = async (p) => { try { await p; return null; } catch (e) { return e.message; } };
try {
  const lab = await RnnLab.load();
  const fromFetch = await lab.prepareImdb((await fetch('/test/mini.tar.gz')).body, OPTS);
  const blob = await (await fetch('/test/mini.tar.gz')).blob();
  const fromBlob = await lab.prepareImdb(new File([blob], 'mini.tar.gz'), OPTS);
  const reopened = lab.openDataset(fromBlob.toBytes());
  const bytes = await blob.arrayBuffer();
  const truncated = await message(lab.prepareImdb(new File([bytes.slice(0, 700)], 'cut.tar.gz'), OPTS));
  const png = new Uint8Array(700);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const notArchive = await message(lab.prepareImdb(png, OPTS));
  const w = new Worker('/test/worker.js', { type: 'module' });
  const worker = await new Promise((res) => { w.onmessage = (e) => res(e.data); w.onerror = (e) => res({ error: e.message }); });
  await report({ fetch: Array.from(fromFetch.toBytes()), blob: Array.from(fromBlob.toBytes()), reopened: reopened.describe(),
    source: fromFetch.source, truncated, notArchive, worker });
} catch (e) {
  await report({ error: String(e.stack || e) });
}
</script>`;

const worker = `import { RnnLab } from '/web/rnnlab.js';
try {
  const lab = await RnnLab.load();
  const progress = [];
  const ds = await lab.prepareImdb((await fetch('/test/mini.tar.gz')).body, { ...${JSON.stringify(OPTS)}, onProgress: (p) => progress.push(p) });
  const m = lab.createModel({ cell: 'gru', hidden: 8, dataset: ds, seed: 1 });
  m.setOptimizer({ kind: 'adam', lr: 0.01 });
  const losses = [];
  const r = await m.trainDataset(ds, { epochs: 3, batchSize: 2, seed: 7, onProgress: (p) => losses.push(p.loss) });
  const p = m.predictText('a great film');
  postMessage({ losses, steps: r.steps, val: r.val, test: m.evaluateDataset(ds), last: progress.at(-1),
    probability: p.probability, lastStep: p.stepProbabilities.at(-1) });
} catch (e) {
  postMessage({ error: String(e.stack || e) });
}`;

test('Chromium: prepareImdb from fetch() and a File, messages, and a Worker that prepares and trains', {
  skip: skipWithoutChromium,
  timeout: 600000,  // a loaded machine starts Chromium slowly; a hang still ends here
}, async (t) => {
  const r = await runPage(t, { '/test/page.html': ['text/html', page], '/test/worker.js': ['text/javascript', worker],
    '/test/mini.tar.gz': ['application/gzip', fixture] });
  assert.equal(r.error, undefined, r.error);

  const lab = await RnnLab.load();
  const ds = await lab.prepareImdb(fixture, OPTS);
  const want = Array.from(ds.toBytes());
  assert.deepEqual(r.fetch, want, 'fetch body in Chromium = bytes in Node');
  assert.deepEqual(r.blob, want, 'a File in Chromium = bytes in Node');
  assert.equal(r.reopened, ds.describe());
  assert.deepEqual(r.source, ds.source);
  assert.equal(r.truncated, 'bad format: cut.tar.gz: truncated gzip data: the file ends at byte 700 before the end of the compressed stream');
  assert.match(r.notArchive, /^bad format: IMDB tar stream: not a tar archive: tar header at byte 0: /);

  assert.equal(r.worker.error, undefined, r.worker.error);
  assert.equal(r.worker.steps, 9);
  assert.equal(r.worker.last.reviews, 14);
  assert.equal(r.worker.last.bytesIn, fixture.length);
  // The same training in Node: the same numbers (one build, one engine family: equal to rounding).
  const m = lab.createModel({ cell: 'gru', hidden: 8, dataset: ds, seed: 1 });
  m.setOptimizer({ kind: 'adam', lr: 0.01 });
  const losses = [];
  await m.trainDataset(ds, { epochs: 3, batchSize: 2, seed: 7, onProgress: (p) => losses.push(p.loss) });
  assert.equal(r.worker.losses.length, losses.length);
  r.worker.losses.forEach((l, i) => assert.ok(Math.abs(l - losses[i]) <= 1e-6 * Math.abs(losses[i]), `loss ${i}: ${l} vs ${losses[i]}`));
  assert.equal(r.worker.lastStep, Math.fround(r.worker.probability));
  m.free();
  ds.free();
});
