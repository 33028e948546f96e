// shared.test.mjs: the shared-memory module (web/rnnlab-shared.wasm) and its threads, Worker instances over
// one memory running the core's own pool (core/src/threads.c, web/lib/shared.js), under Node's
// worker_threads:
// - checkpoints after the same steps are byte-identical at 1, 2 and 4 threads (LSTM with dropout, a
//   Transformer), and equal to the plain module's (one thread, its own memory): the same code, so the same
//   bytes; parity.test.mjs ties the plain module to the native build;
// - trainDataset with split evaluations on the threads (their tasks grow Workers' memory the first time):
//   the same losses, validation figures and checkpoint at 1 and 2 threads;
// - memory that grows while the Workers run (a bigger batch after setThreads) changes nothing;
// - stopThreads ends the Workers, and the model goes on alone with the same results;
// - a Worker that fails to start is an error naming it, not a hang; a lab can still start threads after it;
// - bad options and a plain module asked to be shared are refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RnnLab } from '../../web/rnnlab.js';

const shared = await RnnLab.load(undefined, { simd: 'plain', shared: true });
const plain = await RnnLab.load(undefined, { simd: 'plain', shared: false });

// Token batches with lengths, from a small LCG (the same for every run).
function batches(n, vocab, B, T, seed = 11) {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({
    B, T,
    tokens: Int32Array.from({ length: B * T }, () => 2 + Math.floor(rnd() * (vocab - 2))),
    lengths: Int32Array.from({ length: B }, () => 1 + Math.floor(rnd() * T)),
    targets: Float32Array.from({ length: B }, () => (rnd() < 0.5 ? 0 : 1)),
  }));
}

const lstm = (lab) => lab.createModel({ cell: 'lstm', vocab: 300, embed: 16, hidden: 24, layers: 2, head: 'binary', outputs: 1, dropout: 0.3, seed: 4 });
const transformer = (lab) => lab.createTransformer({ vocab: 300, hidden: 16, heads: 4, layers: 2, ffn: 32, head: 'binary', outputs: 1, seed: 5 });

// Steps over batches of 40 rows (5 shards of 8: 2 and 4 threads share them unevenly); the checkpoint.
async function train(lab, make, threads, { steps = 4, B = 40, T = 12 } = {}) {
  const m = make(lab);
  m.setOptimizer({ kind: 'adam', lr: 3e-3, clip: 1 });
  await m.setThreads(threads);
  assert.equal(m.threads, threads);
  assert.equal(m.threadPath, threads > 1 ? 'shared' : 'single');
  const losses = [];
  for (const b of batches(steps, 300, B, T)) losses.push(m.trainStep(b).loss);
  const ck = Buffer.from(m.saveCheckpoint());
  m.free();
  return { ck, losses };
}

test('the shared module: lab.sharedMemory, a shared memory, the plain module\'s kernels', () => {
  assert.equal(shared.sharedMemory, true);
  assert.equal(plain.sharedMemory, false);
  assert.ok(shared._memory.buffer instanceof SharedArrayBuffer);
  assert.equal(shared.kernels, plain.kernels);
  assert.equal(shared.memoryLimit, 2 ** 31);
});

for (const [name, make] of [['LSTM, 2 layers, dropout 0.3', lstm], ['Transformer', transformer]]) {
  test(`${name}: checkpoints byte-identical at 1, 2 and 4 threads, and equal to the plain module's`, { timeout: 600000 }, async () => {
    const want = await train(plain, make, 1);
    for (const n of [1, 2, 4]) {
      const got = await train(shared, make, n);
      assert.deepEqual(got.losses, want.losses, `${n} threads: losses`);
      assert.ok(got.ck.equals(want.ck), `${n} threads: the checkpoint differs from the plain module's`);
    }
    assert.ok(shared._threads.workers >= 3);
  });
}

// Reviews of sentiment words and filler (mulberry32): a small text dataset with a validation split.
function reviews(n) {
  let x = 7;
  const rand = (k) => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * k) | 0;
  };
  const good = ['great', 'wonderful', 'moving'], bad = ['awful', 'boring', 'dull'], filler = ['the', 'film', 'plot', 'a', 'and', 'was', 'it'];
  const rows = ['text,label'];
  for (let i = 0; i < n; i++) {
    const pos = rand(2), words = [];
    for (let k = 3 + rand(25); k > 0; k--) words.push(rand(4) === 0 ? (pos ? good : bad)[rand(3)] : filler[rand(filler.length)]);
    rows.push(`"${words.join(' ')}.",${pos}`);
  }
  return rows.join('\n') + '\n';
}

test('trainDataset: the same losses, validation figures and checkpoint at 1 and 2 threads', { timeout: 600000 }, async () => {
  const csv = reviews(1600);
  const run = async (lab, threads) => {
    const ds = lab.textCsvDataset(csv, { train: 600, val: 200, test: 200, seed: 3 });  // 4 evaluation batches of 64 each
    const m = lab.createModel({ cell: 'gru', hidden: 16, embed: 8, dataset: ds, dropout: 0.2, seed: 2 });
    await m.setThreads(threads);
    const losses = [], vals = [];
    const r = await m.trainDataset(ds, { epochs: 2, batchSize: 24, seed: 9, onProgress: (p) => losses.push(p.loss),
      onEpoch: (e) => vals.push([e.val.loss, e.val.accuracy, e.val.count]) });
    const ck = Buffer.from(m.saveCheckpoint()), test = m.evaluateDataset(ds, 'test');
    m.free();
    ds.free();
    return { losses, vals, ck, test, loss: r.loss };
  };
  const one = await run(plain, 1), two = await run(shared, 2);
  assert.equal(one.vals.length, 2);
  assert.equal(one.vals[0][2], 200);
  assert.deepEqual(two.losses, one.losses);
  assert.equal(two.loss, one.loss);
  assert.deepEqual(two.vals, one.vals);
  assert.deepEqual(two.test, one.test);
  assert.ok(two.ck.equals(one.ck));
});

test('memory that grows while the Workers run changes nothing', { timeout: 600000 }, async () => {
  const lab = await RnnLab.load(undefined, { simd: 'plain', shared: true });
  const make = (l) => l.createModel({ cell: 'lstm', vocab: 2000, embed: 32, hidden: 96, head: 'binary', outputs: 1, dropout: 0.1, seed: 8 });
  const run = async (l, threads) => {
    const m = make(l);
    m.setOptimizer({ kind: 'adam', lr: 1e-3 });
    await m.setThreads(threads);
    const before = l.memoryBytes;
    // Short batches first, then long ones: the work memory grows (and with it the memory) between steps.
    for (const b of [...batches(2, 2000, 32, 8), ...batches(2, 2000, 48, 160, 5)]) m.trainStep(b);
    const grew = l.memoryBytes > before, ck = Buffer.from(m.saveCheckpoint());
    m.free();
    return { grew, ck };
  };
  const want = await run(plain, 1), got = await run(lab, 2);
  assert.ok(got.grew, 'the memory did not grow: make the second batches bigger');
  assert.ok(got.ck.equals(want.ck));
  await lab.stopThreads();
});

test('stopThreads ends the Workers; the model then trains alone with the same bytes, and threads start again', { timeout: 600000 }, async () => {
  const lab = await RnnLab.load(undefined, { simd: 'plain', shared: true });
  const m = lstm(lab), ref = lstm(plain);
  for (const x of [m, ref]) x.setOptimizer({ kind: 'adam', lr: 3e-3 });
  await m.setThreads(3);
  assert.equal(lab._threads.workers, 2);
  const bs = batches(4, 300, 40, 10);
  m.trainStep(bs[0]);
  await lab.stopThreads();
  assert.equal(lab._threads.workers, 0);
  assert.equal(m.threads, 3);  // its count stays: it runs on this thread until Workers come back
  m.trainStep(bs[1]);
  await m.setThreads(2);
  assert.equal(lab._threads.workers, 1);  // Workers start again, as many as asked for
  m.trainStep(bs[2]);
  m.trainStep(bs[3]);
  for (const b of bs) ref.trainStep(b);
  assert.ok(Buffer.from(m.saveCheckpoint()).equals(Buffer.from(ref.saveCheckpoint())));
  m.free();
  ref.free();
  await lab.stopThreads();
});

test('a Worker that fails to start is an error naming it, not a hang; threads still start afterwards', { timeout: 600000 }, async () => {
  const lab = await RnnLab.load(undefined, { simd: 'plain', shared: true });
  const m = lstm(lab);
  const good = lab._module;
  lab._module = plain._module;  // a module without shared memory: its instance cannot join
  await assert.rejects(m.setThreads(2), /rnnlab threads: Worker 1 failed: the module given to this thread does not import a shared memory/);
  assert.equal(lab._threads.workers, 0);
  lab._module = good;
  await m.setThreads(2);
  assert.equal(lab._threads.workers, 1);
  m.free();
  await lab.stopThreads();
});

test('bad options, and a module without shared memory asked to be shared, are refused', async () => {
  await assert.rejects(RnnLab.load(undefined, { shared: 'yes' }), /shared must be 'auto', true or false, not "yes"/);
  const bytes = readFileSync(new URL('../../web/rnnlab.wasm', import.meta.url));
  await assert.rejects(RnnLab.load(bytes, { shared: true }), /shared: true, but this module has its own memory/);
  // Node's default stays the plain module (see docs/performance.md); the shared one is asked for.
  assert.equal((await RnnLab.load()).sharedMemory, false);
  const m = lstm(shared);
  await assert.rejects(m.setThreads(0), /threads/);
  m.free();
});

test.after(() => shared.stopThreads());
