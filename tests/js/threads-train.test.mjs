// threads-train.test.mjs: trainDataset and trainTask over Worker replicas (model.threadPath 'replicas':
// the run layer's step-by-step form, rnnlab_run.h "Training one step at a time") give 1 thread's bytes:
// checkpoints (parameters, optimizer state, history), progress reports and results are identical at 1 and
// 2 threads (and 3, sharing 4 shards unevenly), for a recurrent model and a Transformer, with a warm-up and
// cosine schedule (the replicas take each step at the main's rate), dropout, keepBest, a series data set,
// and the threads changed between two steps of a run; and the same in a Worker of headless Chromium.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../../web/rnnlab.js';
import { runPage, skipWithoutChromium } from './chromium_page.mjs';
import { makeReviews } from './reviews.mjs';

const here = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const lab = await RnnLab.load();

// 300 reviews: 7 batches of 32 per epoch, the last one shorter.
const reviews = lab.textCsvDataset(makeReviews(300), { maxLen: 24, vocab: 200, seed: 2, name: 'reviews.csv' });
const series = lab.seriesCsvDataset(readFileSync(here('tests/fixtures/series/good.csv')), { window: 8 });
const schedule = { kind: 'cosine', warmup: 3 };

const makers = {
  gru: () => lab.createModel({ cell: 'gru', dataset: reviews, embed: 12, hidden: 16, dropout: 0.2, seed: 3 }),
  lstm: () => lab.createModel({ cell: 'lstm', dataset: series, hidden: 8, seed: 4 }),
  transformer: () => lab.createTransformer({ dataset: reviews, hidden: 16, heads: 2, layers: 1, ffn: 32, seed: 5 }),
  adding: () => lab.createModel({ cell: 'lstm', task: 'adding', hidden: 12, seed: 6 }),
  copyTf: () => lab.createTransformer({ task: 'copy', hidden: 16, heads: 2, layers: 1, ffn: 16, seed: 7 }),
};

// Trains a model made by `make` at `threads`; `change` (optional) is a thread count set between two steps.
async function run(make, threads, go, change = 0) {
  const m = make();
  m.setOptimizer({ kind: 'adam', lr: 3e-3, clip: 1 });
  await m.setThreads(threads);
  assert.equal(m.threadPath, threads > 1 ? 'replicas' : 'single');
  const reports = [];
  const onProgress = async (p) => {
    const { seconds, seqPerSec, ...figures } = p;  // time is the only thing allowed to differ
    reports.push(figures);
    if (change && reports.length === 5) await m.setThreads(change);
  };
  const r = await go(m, onProgress);
  const out = { ck: Buffer.from(m.saveCheckpoint()), reports, result: { ...r, seconds: 0, seqPerSec: 0 }, stats: m.threadStats,
    path: m.threadPath };
  m.free();
  return out;
}

const byDataset = (ds, opts = {}) => (m, onProgress) => m.trainDataset(ds, { epochs: 2, batchSize: 32, schedule, onProgress,
  progressEvery: 3, ...opts });
const byTask = (task, opts = {}) => (m, onProgress) => m.trainTask({ task, length: 10, steps: 9, batchSize: 24, schedule, onProgress,
  evalEvery: 4, evalBatches: 2, evalBatchSize: 16, seed: 11, ...opts });

function same(r, one, what) {
  assert.deepEqual(r.reports, one.reports, `${what}: progress reports`);
  assert.deepEqual(r.result, one.result, `${what}: the result`);
  assert.ok(r.ck.equals(one.ck), `${what}: the checkpoint differs from 1 thread's`);
}

test('trainDataset at 2 and 3 threads gives 1 thread\'s checkpoint: GRU with dropout and keepBest, Transformer', { timeout: 600000 },
  async () => {
    for (const [name, opts] of [['gru', { keepBest: true }], ['transformer', {}]]) {
      const one = await run(makers[name], 1, byDataset(reviews, opts));
      assert.equal(one.stats, null);
      for (const n of [2, 3]) {
        const r = await run(makers[name], n, byDataset(reviews, opts));
        same(r, one, `${name} at ${n} threads`);
        assert.equal(r.stats.steps, one.result.steps, `${name}: every step of 2 epochs ran on the replicas`);
        assert.ok(r.stats.bytesIn > 0 && r.stats.bytesOut > 0);
        assert.equal(r.stats.syncs, n - 1, `${name}: the replicas stayed in step (scheduled rates included): one copy each, at setThreads`);
      }
    }
  });

test('trainDataset on a series (real-valued inputs, no lengths) at 2 threads: 1 thread\'s bytes', { timeout: 600000 }, async () => {
  const one = await run(makers.lstm, 1, byDataset(series, { batchSize: 16 }));
  same(await run(makers.lstm, 2, byDataset(series, { batchSize: 16 })), one, 'series LSTM');
});

test('trainTask at 2 threads gives 1 thread\'s checkpoint: LSTM (adding), Transformer (copy)', { timeout: 600000 }, async () => {
  for (const [name, task] of [['adding', 'adding'], ['copyTf', 'copy']]) {
    const one = await run(makers[name], 1, byTask(task));
    const two = await run(makers[name], 2, byTask(task));
    same(two, one, `${name} at 2 threads`);
    assert.equal(two.stats.steps, 9);
    assert.equal(two.stats.syncs, 1, `${name}: the replicas stayed in step`);
    assert.ok(two.reports.some((p) => p.eval), 'held-out evaluations between the steps');
  }
});

test('threads changed between two steps of a run (onProgress): the run goes on with the same bytes', { timeout: 600000 }, async () => {
  const one = await run(makers.gru, 1, byDataset(reviews));
  const up = await run(makers.gru, 1, byDataset(reviews), 2), down = await run(makers.gru, 2, byDataset(reviews), 1);
  same(up, one, '1 then 2 threads');
  same(down, one, '2 then 1 thread');
  assert.equal(up.path, 'replicas');
  assert.equal(down.path, 'single');
});

test('a stopped run over replicas stops between steps and reports the steps it took', { timeout: 600000 }, async () => {
  const m = makers.gru();
  await m.setThreads(2);
  const ac = new AbortController();
  const r = await m.trainDataset(reviews, { epochs: 2, batchSize: 32, signal: ac.signal, progressEvery: 1,
    onProgress: (p) => p.step === 3 && ac.abort() });
  assert.equal(r.stopped, true);
  assert.equal(r.steps, 3);
  assert.equal(m.optimizer.steps, 3);
  await assert.rejects(m.setThreads(2.5), /threads/);
  m.free();
});

// In headless Chromium: a module Worker (as the lab's) trains a GRU on a CSV data set at 1 and at 2 threads
// (the replica a Worker nested in it) and posts both checkpoints back.
const page = `<!doctype html><meta charset="utf-8"><script type="module">
const w = new Worker('/test/worker.js', { type: 'module' });
w.onmessage = (e) => fetch('/result', { method: 'POST', body: JSON.stringify(e.data) });
w.onerror = (e) => fetch('/result', { method: 'POST', body: JSON.stringify({ error: e.message }) });
</script>`;
const worker = `import { RnnLab } from '/web/rnnlab.js';
try {
  const lab = await RnnLab.load();
  const csv = ${JSON.stringify(makeReviews(200))};
  const ds = lab.textCsvDataset(csv, { maxLen: 20, vocab: 150, seed: 2 });
  const out = { kernels: lab.kernels };
  for (const n of [1, 2]) {
    const m = lab.createModel({ cell: 'gru', dataset: ds, embed: 8, hidden: 12, seed: 9 });
    m.setOptimizer({ kind: 'adam', lr: 0.01 });
    await m.setThreads(n);
    const r = await m.trainDataset(ds, { epochs: 1, batchSize: 32 });
    out['t' + n] = { ck: Array.from(m.saveCheckpoint()), path: m.threadPath, stats: m.threadStats, loss: r.loss };
    m.free();
  }
  postMessage(out);
} catch (e) {
  postMessage({ error: String(e.stack || e) });
}`;

test('in a Chromium Worker, trainDataset at 2 threads (a nested Worker replica) gives 1 thread\'s checkpoint', {
  skip: skipWithoutChromium,
  timeout: 600000,
}, async (t) => {
  const r = await runPage(t, { '/test/page.html': ['text/html', page], '/test/worker.js': ['text/javascript', worker] });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.t1.path, 'single');
  assert.equal(r.t2.path, 'replicas');
  assert.ok(r.t2.stats.steps > 0 && r.t2.stats.bytesIn > 0);
  assert.equal(r.t2.loss, r.t1.loss);
  assert.deepEqual(r.t2.ck, r.t1.ck);
});
