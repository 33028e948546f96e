// threads.test.mjs: training steps over Worker replicas (web/lib/threads.js, worker_threads in Node) give
// the same bytes as one thread: checkpoints after the same steps at 1, 2 and 3 instances are identical
// (a batch of 32 rows has 4 shards of 8, so 3 instances share them unevenly); a replica whose copy went
// stale (parameters set between steps) is made again before it computes; bad counts are refused; and the
// same in a Worker of headless Chromium, whose replica is a nested Worker.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab } from '../../web/rnnlab.js';
import { runPage, skipWithoutChromium } from './chromium_page.mjs';

const lab = await RnnLab.load();

// Token batches of 32 rows with lengths, from a small LCG (the same for every run).
function batches(n, vocab, T) {
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({
    B: 32, T,
    tokens: Int32Array.from({ length: 32 * T }, () => 2 + Math.floor(rnd() * (vocab - 2))),
    lengths: Int32Array.from({ length: 32 }, () => 1 + Math.floor(rnd() * T)),
    targets: Float32Array.from({ length: 32 }, () => (rnd() < 0.5 ? 0 : 1)),
  }));
}

async function train(threads, { cell = 'lstm', dropout = 0, poke = false } = {}) {
  const m = lab.createModel({ cell, vocab: 300, embed: 16, hidden: 24, head: 'binary', outputs: 1, dropout, seed: 4 });
  m.setOptimizer({ kind: 'adam', lr: 3e-3, clip: 1 });
  await m.setThreads(threads);
  assert.equal(m.threads, threads);
  const losses = [];
  for (const [i, b] of batches(5, 300, 12).entries()) {
    if (poke && i === 2) m.setParameters(m.parameters().map((v) => v * 0.5));  // the replicas' copies go stale
    losses.push((await m.trainStepAsync(b)).loss);
  }
  const stats = m.threadStats, ck = m.saveCheckpoint();
  m.free();
  return { ck: Buffer.from(ck), losses, stats };
}

test('checkpoints after 5 steps are byte-identical at 1, 2 and 3 threads (LSTM, GRU with dropout)', { timeout: 600000 }, async () => {
  for (const opts of [{ cell: 'lstm' }, { cell: 'gru', dropout: 0.3 }]) {
    const one = await train(1, opts);
    assert.equal(one.stats, null);
    for (const n of [2, 3]) {
      const r = await train(n, opts);
      assert.deepEqual(r.losses, one.losses, `${opts.cell}: losses at ${n} threads`);
      assert.ok(r.ck.equals(one.ck), `${opts.cell}: the checkpoint at ${n} threads differs from 1 thread's`);
      assert.equal(r.stats.steps, 5);
      assert.ok(r.stats.bytesIn > 0 && r.stats.bytesOut > 0);
    }
  }
});

test('a replica made stale by setParameters is copied again, and the result is still 1 thread\'s', { timeout: 600000 }, async () => {
  const one = await train(1, { poke: true }), two = await train(2, { poke: true });
  assert.ok(two.ck.equals(one.ck));
  assert.equal(two.stats.syncs, 2, 'one copy at setThreads, one after setParameters');
});

test('the same as trainStep, the synchronous single-instance step', { timeout: 600000 }, async () => {
  const m = lab.createModel({ cell: 'rnn', vocab: 300, embed: 8, hidden: 8, head: 'binary', outputs: 1, seed: 2 });
  m.setOptimizer({ kind: 'sgd', lr: 0.1 });
  for (const b of batches(3, 300, 6)) m.trainStep(b);
  const want = Buffer.from(m.saveCheckpoint());
  m.free();
  const t = lab.createModel({ cell: 'rnn', vocab: 300, embed: 8, hidden: 8, head: 'binary', outputs: 1, seed: 2 });
  t.setOptimizer({ kind: 'sgd', lr: 0.1 });
  await t.setThreads(2);
  for (const b of batches(3, 300, 6)) await t.trainStepAsync(b);
  assert.ok(Buffer.from(t.saveCheckpoint()).equals(want));
  t.free();
});

test('setThreads refuses counts outside 1..64; a step while one runs is refused', async () => {
  const m = lab.createModel({ cell: 'rnn', vocab: 50, embed: 4, hidden: 4, head: 'binary', outputs: 1, seed: 1 });
  await assert.rejects(m.setThreads(0), /threads/);
  await assert.rejects(m.setThreads(65), /threads/);
  await assert.rejects(m.setThreads(1.5), /threads/);
  await m.setThreads(2);
  const [b] = batches(1, 50, 4);
  const first = m.trainStepAsync(b);
  await assert.rejects(m.trainStepAsync(b), /already training/);
  await first;
  await m.setThreads(1);
  assert.equal(m.threads, 1);
  m.free();
});

// In headless Chromium: a page starts a module Worker that trains at 1 and at 2 threads (the replica a
// Worker nested in it, as in the lab's Worker) and posts both checkpoints back.
const page = `<!doctype html><meta charset="utf-8"><script type="module">
const w = new Worker('/test/worker.js', { type: 'module' });
w.onmessage = (e) => fetch('/result', { method: 'POST', body: JSON.stringify(e.data) });
w.onerror = (e) => fetch('/result', { method: 'POST', body: JSON.stringify({ error: e.message }) });
</script>`;
const worker = `import { RnnLab } from '/web/rnnlab.js';
try {
  const lab = await RnnLab.load();
  let s = 5;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const batches = Array.from({ length: 4 }, () => ({ B: 24, T: 10,
    tokens: Int32Array.from({ length: 240 }, () => 2 + Math.floor(rnd() * 198)),
    targets: Float32Array.from({ length: 24 }, () => (rnd() < 0.5 ? 0 : 1)) }));
  const out = { kernels: lab.kernels };
  for (const n of [1, 2]) {
    const m = lab.createModel({ cell: 'gru', vocab: 200, embed: 8, hidden: 12, head: 'binary', outputs: 1, seed: 9 });
    m.setOptimizer({ kind: 'adam', lr: 0.01 });
    await m.setThreads(n);
    for (const b of batches) await m.trainStepAsync(b);
    out['t' + n] = { ck: Array.from(m.saveCheckpoint()), threads: m.threads, stats: m.threadStats };
    m.free();
  }
  postMessage(out);
} catch (e) {
  postMessage({ error: String(e.stack || e) });
}`;

test('in a Chromium Worker, 2 threads (a nested Worker replica) give 1 thread\'s checkpoint', {
  skip: skipWithoutChromium,
  timeout: 600000,
}, async (t) => {
  const r = await runPage(t, { '/test/page.html': ['text/html', page], '/test/worker.js': ['text/javascript', worker] });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.t2.threads, 2);
  assert.equal(r.t2.stats.steps, 4);
  assert.ok(r.t2.stats.bytesIn > 0);
  assert.deepEqual(r.t2.ck, r.t1.ck);
});
