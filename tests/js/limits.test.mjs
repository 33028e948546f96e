// limits.test.mjs: the memory a training run needs (lab.trainingBytes, the core's rnl_training_bytes) and
// the up-front refusal of a model or a batch the WebAssembly memory cannot hold: the message names the
// figure, and nothing was allocated (the memory did not grow). The figure is checked against the layout
// of core/src/model.c computed here by hand, and against test_train.c's bench LSTM.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab, RnnLabError } from '../../web/rnnlab.js';

const lab = await RnnLab.load();

// rnl_training_bytes by hand: float32 parameters and gradients, the optimizer's state (Adam 2, momentum 1,
// sgd 0 floats per parameter), and the work memory of layout_workspace: 64-byte aligned blocks.
function expectedBytes(c, optimizer, B, T) {
  const G = { rnn: 1, lstm: 4, gru: 3 }[c.cell], H = c.hidden, L = c.layers ?? 1, ndir = c.bidirectional ? 2 : 1;
  const D = ndir * H, GH = G * H, in0 = c.vocab ? c.embed : c.inputSize, O = c.outputs ?? 1, wide = Math.max(D, in0);
  let params = c.vocab ? c.vocab * c.embed : 0;
  for (let l = 0; l < L; l++) params += ndir * GH * ((l ? D : in0) + H + 2);
  params += O * D + O;
  const TB = T * B, out = c.seq2seq ? TB : B;
  const counts = [B, B, TB, TB * in0];
  for (let l = 0; l < L; l++) {
    counts.push(TB * D);
    for (let d = 0; d < ndir; d++) counts.push(TB * GH, ...(c.cell === 'rnn' ? [] : [TB * H]));
  }
  counts.push(B * D, out * O, out * O, out * O, out * O, TB * wide, TB * wide, B * H, B * H, B * H, B * H, B * GH, B * GH, TB * GH);
  for (let i = 0; i < L * ndir; i++) counts.push(T * GH, T * H, T);
  const work = counts.reduce((s, n) => s + Math.ceil((n * 4) / 64) * 64, 0);
  return 4 * params * (2 + { sgd: 0, momentum: 1, adam: 2 }[optimizer]) + work;
}

test('trainingBytes equals the layout of the core for every cell, depth, direction and optimizer', () => {
  const configs = [
    { cell: 'lstm', vocab: 10000, embed: 64, hidden: 128 },
    { cell: 'gru', inputSize: 3, hidden: 50, layers: 3, bidirectional: true },
    { cell: 'rnn', inputSize: 1, hidden: 7, outputs: 4, head: 'regression', seq2seq: true },
    { cell: 'lstm', vocab: 97, embed: 5, hidden: 33, layers: 2, outputs: 5, head: 'classes' },
  ];
  for (const c of configs)
    for (const [optimizer, B, T] of [['adam', 32, 200], ['sgd', 1, 1], ['momentum', 5, 17]]) {
      const got = lab.trainingBytes(c, { batchSize: B, length: T, optimizer });
      assert.equal(got, expectedBytes(c, optimizer, B, T), `${JSON.stringify(c)} ${optimizer} ${B} x ${T}`);
    }
  // test_train.c prints this one natively: "training the bench LSTM (...) with Adam: 51.1 MB".
  const bench = lab.trainingBytes(configs[0], { batchSize: 32, length: 200 });
  assert.equal((bench / 1048576).toFixed(1), '51.1');
  // Defaults: batch 32, and the length trainTask uses (50) or a dataset's.
  assert.equal(lab.trainingBytes({ cell: 'gru', task: 'adding' }), expectedBytes({ cell: 'gru', inputSize: 2, hidden: 32 }, 'adam', 32, 50));
  const ds = lab.seriesCsvDataset('v\n' + Array.from({ length: 200 }, (_, i) => Math.sin(i).toFixed(4)).join('\n'), { window: 12 });
  assert.equal(lab.trainingBytes({ cell: 'rnn', dataset: ds, hidden: 8 }),
    expectedBytes({ cell: 'rnn', inputSize: 1, hidden: 8, head: 'regression' }, 'adam', 32, 12));
  ds.free();
  // Past what a 32-bit size_t counts: Infinity. A bad configuration: the core's message.
  assert.equal(lab.trainingBytes({ cell: 'lstm', inputSize: 1, hidden: 2048 }, { batchSize: 4096, length: 100000 }), Infinity);
  assert.throws(() => lab.trainingBytes({ cell: 'gru', inputSize: 3, hidden: 100000 }), /hidden is 100000/);
  assert.throws(() => lab.trainingBytes({ cell: 'gru', task: 'adding' }, { batch: 3 }), /unknown field 'batch'/);
});

test('createModel refuses a model too large to train, naming the figure, before the memory grows', async () => {
  const fresh = await RnnLab.load();
  const before = fresh.memoryBytes, inUse = fresh.memoryStats().heapInUse;
  const cfg = { cell: 'lstm', task: 'adding', hidden: 1024, layers: 2, batchSize: 32, length: 1000 };
  const need = fresh.trainingBytes(cfg);
  assert.ok(need > fresh.memoryLimit && need < 2 ** 32, `${need} bytes, more than ${fresh.memoryLimit}`);
  const mb = (n) => (n / 1048576).toFixed(1);
  assert.throws(() => fresh.createModel(cfg), (e) => {
    assert.ok(e instanceof RnnLabError);
    assert.equal(e.code, 'RNL_ERR_NOMEM');
    assert.match(e.message, new RegExp(`^out of memory: this model needs ${mb(need)} MB to train at batch 32, length 1000 with ` +
      `Adam; the WebAssembly memory allows at most \\d+\\.\\d MB here \\(it grows to 2048\\.0 MB at most, .*\\): reduce hidden, `));
    return true;
  });
  assert.equal(fresh.memoryBytes, before, 'the memory did not grow');
  assert.equal(fresh.memoryStats().heapInUse, inUse, 'nothing was allocated');
  // The same model trained at a size that fits is made.
  const m = fresh.createModel({ ...cfg, hidden: 64, layers: 1 });
  await m.trainTask({ task: 'adding', batchSize: 32, length: 20, steps: 2 });
  m.free();
});

test('training refuses a batch too large for the memory left, before anything is allocated; smaller ones train', async () => {
  const fresh = await RnnLab.load();
  const m = fresh.createModel({ cell: 'gru', task: 'adding', hidden: 256, seed: 1 });
  const before = fresh.memoryBytes, inUse = fresh.memoryStats().heapInUse;
  const need = fresh.trainingBytes({ cell: 'gru', task: 'adding', hidden: 256 }, { batchSize: 256, length: 1000 });
  assert.ok(need > fresh.memoryLimit && need < 2 ** 32, `${need} bytes`);
  await assert.rejects(m.trainTask({ task: 'adding', batchSize: 256, length: 1000, steps: 1 }), new RegExp(`^RnnLabError: out of ` +
    `memory: this model needs ${(need / 1048576).toFixed(1)} MB to train at batch 256, length 1000; .*: reduce hidden, the batch size or the length$`));
  await assert.rejects(m.trainTask({ task: 'adding', batchSize: 4096, length: 100000, steps: 1 }),
    /needs more than 4096\.0 MB \(past all a 32-bit WebAssembly memory can address\) to train at batch 4096, length 100000/);
  assert.throws(() => m.evaluateTask({ task: 'adding', batchSize: 1024, length: 5000 }), /to evaluate at batch 1024, length 5000/);
  const batch = { B: 2048, T: 1000, inputs: new Float32Array(2048 * 1000 * 2), targets: new Float32Array(2048) };
  assert.throws(() => m.trainStep(batch), /to train at batch 2048, length 1000/);
  assert.equal(fresh.memoryBytes, before, 'the memory did not grow');
  assert.equal(m.optimizer, null, 'no optimizer was made');
  // Evaluation in batches of 64 sizes the work memory too, and the message says so.
  await assert.rejects(m.trainTask({ task: 'adding', batchSize: 8, length: 15000, steps: 1, evalEvery: 1, evalBatchSize: 64 }),
    /to train at batch 8, length 15000 \(work memory for batch 64, length 15000: evaluation runs in batches of 64\)/);
  const r = await m.trainTask({ task: 'adding', batchSize: 16, length: 30, steps: 3 });
  assert.equal(r.steps, 3);
  // What the model holds is counted once: the same run again, and a larger one that still fits, train.
  await m.trainTask({ task: 'adding', batchSize: 16, length: 30, steps: 1 });
  await m.trainTask({ task: 'adding', batchSize: 32, length: 60, steps: 1 });
  const { heapInUse, available, memoryLimit } = fresh.memoryStats();
  assert.ok(heapInUse >= m._held && heapInUse - m._held < 1 << 20, `the heap (${heapInUse}) holds the model (${m._held}) and little else`);
  assert.ok(available > 0 && available < memoryLimit);
  m.free();
});

test('every size at its largest: the real 64-bit parameter count is named, in a checkpoint header too, never a wrapped one', async () => {
  // In WebAssembly size_t is 32 bits: a count wrapped there could pass the limit and under-allocate.
  const L = lab.limits;
  const cfg = { cell: 'lstm', vocab: L.vocab.max, embed: L.embed.max, hidden: L.hidden.max, layers: L.layers.max,
    bidirectional: true, head: 'classes', outputs: L.classes.max };
  const H = cfg.hidden, D = 2 * H;
  let want = cfg.vocab * cfg.embed;
  for (let l = 0; l < cfg.layers; l++) want += 2 * 4 * H * ((l ? D : cfg.embed) + H + 2);
  want += cfg.outputs * (D + 1);
  assert.ok(want > 2 ** 32, `${want} is past 32 bits`);
  const refusal = (e) => e instanceof RnnLabError && e.message.includes(`the model would have ${want} parameters, more than the limit`);
  assert.throws(() => lab.createModel(cfg), refusal);
  // The same sizes in the header of a real checkpoint, resealed (docs/checkpoint-format.md: config at 16..59,
  // CRC-32 of everything before the last 4 bytes).
  const small = lab.createModel({ cell: 'gru', vocab: 11, embed: 4, hidden: 5 });
  const bytes = small.saveCheckpoint();
  small.free();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  [[16, 1], [20, cfg.vocab], [24, cfg.embed], [28, 0], [32, H], [36, cfg.layers], [40, 1], [44, 1], [48, cfg.outputs]]
    .forEach(([at, x]) => v.setInt32(at, x, true));
  v.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  assert.throws(() => lab.loadCheckpoint(bytes), (e) => e.code === 'RNL_ERR_FORMAT' && refusal(e));
});

function crc32(b) {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
