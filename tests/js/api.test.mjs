// api.test.mjs: every call of web/rnnlab.js, and its failures: bad configurations (the message names
// the field), bad batches, bad checkpoint bytes (truncated, foreign, corrupt), numeric faults and freed
// models. Numbers are checked in golden.test.mjs and parity.test.mjs; here, shapes, names and behaviour.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab, RnnLabError } from '../../web/rnnlab.js';

const lab = await RnnLab.load();

// Runs fn and checks it throws an RnnLabError whose message matches `re` and whose code is `code`.
function throwsRnl(fn, re, code = 'RNL_ERR_ARG') {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof RnnLabError, `expected an RnnLabError, got ${e}`);
    assert.match(e.message, re);
    assert.equal(e.code, code);
    return true;
  });
}

// A model and a matching batch of each kind the core has.
const kinds = [
  { cfg: { cell: 'rnn', vocab: 11, embed: 4, hidden: 5, head: 'binary' }, tokens: true, per: 1 },
  { cfg: { cell: 'lstm', inputSize: 3, hidden: 6, layers: 2, bidirectional: true, head: 'classes', outputs: 4 }, per: 1 },
  { cfg: { cell: 'gru', inputSize: 2, hidden: 5, head: 'regression', outputs: 2, seq2seq: true }, per: 2 },
];

function batchFor(k, B = 3, T = 5) {
  const c = k.cfg, b = { B, T, lengths: Int32Array.from({ length: B }, (_, i) => T - (i % T)) };
  if (k.tokens) b.tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % c.vocab);
  else b.inputs = Float32Array.from({ length: B * T * c.inputSize }, (_, i) => Math.sin(i));
  const n = B * (c.seq2seq ? T : 1) * k.per;
  b.targets = Float32Array.from({ length: n }, (_, i) => (c.head === 'classes' ? i % c.outputs : c.head === 'binary' ? i % 2 : i / n));
  return b;
}

// --- Models -----------------------------------------------------------------------------------------

test('createModel: config, parameter count and the tensor table (PyTorch names)', () => {
  for (const k of kinds) {
    const m = lab.createModel({ ...k.cfg, seed: 3 });
    const c = m.config;
    assert.equal(c.cell, k.cfg.cell);
    assert.equal(c.hidden, k.cfg.hidden);
    assert.equal(c.head, k.cfg.head);
    assert.equal(c.forgetBias, 1);
    assert.ok(Object.isFrozen(c));
    const ts = m.tensors();
    let total = 0;
    for (const t of ts) {
      assert.equal(t.offset, total, `${t.name} offset`);
      total += t.rows * t.cols;
    }
    assert.equal(total, m.numParams);
    assert.equal(ts.at(-1).name, 'head.bias');
    if (k.tokens) assert.equal(ts[0].name, 'embedding.weight');
    if (c.bidirectional) assert.ok(ts.some((t) => t.name === 'rnn.weight_hh_l1_reverse'));
    const G = { rnn: 1, lstm: 4, gru: 3 }[c.cell];
    assert.deepEqual(ts.find((t) => t.name === 'rnn.weight_hh_l0').shape, [G * c.hidden, c.hidden]);
    m.free();
  }
});

test('createModel: defaults, task shapes, seeds (same seed, same parameters)', () => {
  const m = lab.createModel({ cell: 'gru', inputSize: 1 });
  assert.deepEqual({ ...m.config }, { cell: 'gru', vocab: 0, embed: 0, inputSize: 1, hidden: 32, layers: 1, bidirectional: false,
    head: 'binary', outputs: 1, seq2seq: false, forgetBias: 1, dropout: 0, pool: 'last' });
  m.free();
  assert.deepEqual(lab.taskShape('adding'), { vocab: 0, embed: 0, inputSize: 2, head: 'regression', outputs: 1, seq2seq: false });
  assert.deepEqual(lab.taskShape('copy'), { vocab: 10, embed: 8, inputSize: 0, head: 'classes', outputs: 8, seq2seq: false });
  assert.deepEqual(lab.taskShape('sine'), { vocab: 0, embed: 0, inputSize: 1, head: 'regression', outputs: 1, seq2seq: true });
  const copy = lab.createModel({ cell: 'lstm', task: 'copy', embed: 5 });
  assert.equal(copy.config.vocab, 10);
  assert.equal(copy.config.embed, 5);
  copy.free();
  const a = lab.createModel({ cell: 'lstm', task: 'adding', seed: 9 }), b = lab.createModel({ cell: 'lstm', task: 'adding', seed: 9n });
  const c = lab.createModel({ cell: 'lstm', task: 'adding', seed: 2 ** 40 + 9 });
  assert.deepEqual(a.parameters(), b.parameters());
  assert.notDeepEqual(a.parameters(), c.parameters());
  for (const x of [a, b, c]) x.free();
});

test('createModel: bad configurations fail and name the field', () => {
  throwsRnl(() => lab.createModel({ inputSize: 2 }), /cell is required/);
  throwsRnl(() => lab.createModel({ cell: 'lstmx', inputSize: 2 }), /cell must be 'rnn', 'lstm', 'gru', not "lstmx"/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, hiden: 3 }), /unknown field 'hiden'/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, hidden: 0 }), /config: hidden is 0, must be in 1\.\.4096/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, hidden: 2.5 }), /hidden must be a whole number/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, hidden: '32' }), /hidden must be a whole number/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, layers: 9 }), /layers is 9/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 5000 }), /input_size is 5000/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', vocab: 10 }), /embed is 0/);
  throwsRnl(() => lab.createModel({ cell: 'lstm' }), /vocab and embed .* or input_size/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, head: 'classes' }), /'classes' head needs outputs/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, head: 'classes', outputs: 1 }), /classes head needs 2\.\.4096 classes, not 1/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, head: 'binary', outputs: 3 }), /binary head has 1 output, not 3/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, head: 'softmax' }), /head must be/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, bidirectional: 'yes' }), /bidirectional must be true or false/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, forgetBias: NaN }), /forgetBias must be a finite number/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, forgetBias: 500 }), /forget_bias/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', inputSize: 2, seed: -1 }), /seed must be/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', task: 'adding', inputSize: 3 }), /task 'adding' sets inputSize to 2/);
  throwsRnl(() => lab.createModel({ cell: 'lstm', task: 'addition' }), /task must be 'adding', 'copy', 'sine'/);
  throwsRnl(() => lab.createModel('lstm'), /expected an object/);
  // The error carries the core's status.
  try {
    lab.createModel({ cell: 'lstm', inputSize: 2, hidden: 0 });
  } catch (e) {
    assert.equal(e.status, 1);
    assert.equal(e.statusName, 'bad argument');
    assert.ok(e instanceof Error);
  }
});

// --- Optimizers -------------------------------------------------------------------------------------

test('setOptimizer: defaults, settings read back, state kept for the same kind, reset, errors', () => {
  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 4 });
  assert.equal(m.optimizer, null);
  const b = lab.generateTask('adding', 4, 6, 1);
  m.trainStep(b);  // makes the default: Adam, lr 1e-3, clip 1 (as the CLI)
  assert.deepEqual(m.optimizer, { kind: 'adam', lr: 0.001, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: 1, steps: 1 });
  m.setOptimizer({ kind: 'adam', lr: 0.02, clip: 0.5 });
  assert.equal(m.optimizer.steps, 1, 'same kind: the step count (and the moments) stay');
  assert.equal(m.optimizer.lr, 0.02);
  assert.equal(m.optimizer.clip, 0.5);
  m.setOptimizer({ kind: 'adam', reset: true });
  assert.equal(m.optimizer.steps, 0);
  m.setOptimizer({ kind: 'momentum' });
  assert.deepEqual(m.optimizer, { kind: 'momentum', lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: 1, steps: 0 });
  m.setOptimizer({ kind: 'sgd', lr: 0.5, weightDecay: 0.01, clip: 0 });
  assert.equal(m.optimizer.kind, 'sgd');
  assert.equal(m.trainStep(b).step, 1);
  throwsRnl(() => m.setOptimizer({ kind: 'rmsprop' }), /kind must be 'sgd', 'momentum', 'adam'/);
  throwsRnl(() => m.setOptimizer({ kind: 'adam', lr: -1 }), /learning rate -1 must be > 0/);
  throwsRnl(() => m.setOptimizer({ kind: 'adam', beta1: 1 }), /beta1 1 must be in \[0, 1\)/);
  throwsRnl(() => m.setOptimizer({ kind: 'momentum', momentum: 1.5 }), /momentum 1.5/);
  throwsRnl(() => m.setOptimizer({ kind: 'adam', weight_decay: 0.1 }), /unknown field 'weight_decay'/);
  throwsRnl(() => m.setOptimizer({ lr: 'fast' }), /lr must be a finite number/);
  m.free();
});

// --- Batches: train, evaluate, predict, gradients -----------------------------------------------------

test('trainStep, evaluate, predict, gradients on every kind of model', () => {
  for (const k of kinds) {
    const m = lab.createModel({ ...k.cfg, seed: 1 }), b = batchFor(k), c = m.config;
    m.setOptimizer({ kind: 'adam', lr: 0.01 });
    const s = m.trainStep(b);
    assert.ok(Number.isFinite(s.loss) && s.loss > 0);
    assert.ok(Number.isFinite(s.gradNorm) && s.gradNorm > 0);
    assert.equal(typeof s.clipped, 'boolean');
    assert.equal(s.step, 1);
    if (c.head === 'regression') assert.equal(s.accuracy, null);
    else assert.ok(s.accuracy >= 0 && s.accuracy <= 1);
    const e = m.evaluate(b);
    assert.ok(Number.isFinite(e.loss));
    const p = m.predict({ B: b.B, T: b.T, tokens: b.tokens, inputs: b.inputs, lengths: b.lengths });
    assert.ok(p instanceof Float32Array);
    assert.equal(p.length, b.B * (c.seq2seq ? b.T : 1) * c.outputs);
    if (c.head === 'classes') for (let i = 0; i < b.B; i++) {
      const row = p.subarray(i * c.outputs, (i + 1) * c.outputs);
      assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5, 'softmax rows sum to 1');
    }
    if (c.seq2seq) assert.equal(p[((2 * b.T) + b.T - 1) * c.outputs], 0, 'padding steps predict 0');
    const g = m.gradients(b, { bpttWindow: 2 });
    assert.equal(g.gradients.length, m.numParams);
    assert.ok(g.gradNorm > 0 && Number.isFinite(g.loss));
    assert.equal(g.predictions.length, p.length);
    // The same batch given as plain arrays.
    const plain = { ...b, lengths: [...b.lengths], targets: [...b.targets] };
    if (b.tokens) plain.tokens = [...b.tokens];
    else plain.inputs = [...b.inputs];
    assert.equal(m.evaluate(plain).loss, m.evaluate(b).loss);
    m.free();
  }
});

test('bad batches fail with what is wrong', () => {
  const [tok, dense] = [lab.createModel(kinds[0].cfg), lab.createModel(kinds[1].cfg)];
  const bt = batchFor(kinds[0]), bd = batchFor(kinds[1]);
  throwsRnl(() => dense.trainStep(), /a batch is required/);
  throwsRnl(() => dense.trainStep({ ...bd, inputs: bd.inputs.subarray(1) }), /batch\.inputs has 44 values, expected 45/);
  throwsRnl(() => dense.trainStep({ ...bd, targets: undefined }), /batch\.targets is missing/);
  throwsRnl(() => dense.trainStep({ ...bd, target: bd.targets }), /unknown field 'target'/);
  throwsRnl(() => dense.trainStep({ ...bd, lengths: [5, 9, 1] }), /sequence 1 has length 9, must be in 1\.\.5/);
  throwsRnl(() => dense.trainStep({ ...bd, B: 0 }), /batch\.B is 0/);
  throwsRnl(() => dense.trainStep({ ...bd, targets: bd.targets.map(() => 7) }), /class target of sequence 0 is 7/);
  throwsRnl(() => dense.predict({ ...bd, tokens: bt.tokens }), /reads real-valued inputs/);
  throwsRnl(() => tok.predict({ ...bt, inputs: bd.inputs }), /reads token ids/);
  throwsRnl(() => tok.trainStep({ ...bt, tokens: bt.tokens.map(() => 11) }), /token id 11 is outside the vocabulary 0\.\.10/);
  throwsRnl(() => tok.trainStep({ ...bt, tokens: [...bt.tokens].map((x, i) => (i ? x : 0.5)) }), /batch\.tokens\[0\] is 0\.5/);
  throwsRnl(() => tok.trainStep({ ...bt, targets: bt.targets.map(() => 2) }), /binary target of sequence 0 is 2/);
  throwsRnl(() => tok.trainStep(bt, { bptt: 3 }), /unknown field 'bptt'/);
  throwsRnl(() => tok.trainStep(bt, { bpttWindow: -1 }), /bpttWindow is -1/);
  tok.free();
  dense.free();
});

test('a numeric fault keeps the last good parameters and says what to do', () => {
  const m = lab.createModel({ cell: 'rnn', task: 'adding', hidden: 4 });
  const b = lab.generateTask('adding', 4, 6, 1);
  m.trainStep(b);
  const good = m.parameters();
  m.setParameters(good.map(() => 3e38));
  const bad = m.parameters();
  throwsRnl(() => m.trainStep(b), /step 2: the (loss|gradient norm) is .*learning rate.*parameters of step 1 are kept/, 'RNL_ERR_NUMERIC');
  assert.deepEqual(m.parameters(), bad, 'no update after a numeric fault');
  m.free();
});

// --- Synthetic tasks ------------------------------------------------------------------------------

test('generateTask: shapes per task, same seed same batch', () => {
  const a = lab.generateTask('adding', 3, 8, 5);
  assert.deepEqual(Object.keys(a), ['B', 'T', 'inputs', 'lengths', 'targets']);
  assert.equal(a.inputs.length, 3 * 8 * 2);
  assert.equal(a.targets.length, 3);
  assert.deepEqual([...a.lengths], [8, 8, 8]);
  assert.deepEqual(lab.generateTask('adding', 3, 8, 5), a);
  assert.notDeepEqual(lab.generateTask('adding', 3, 8, 6), a);
  const c = lab.generateTask('copy', 2, 4);
  assert.ok(c.tokens instanceof Int32Array && c.tokens.length === 8 && !('inputs' in c));
  const s = lab.generateTask('sine', 2, 4, 1n);
  assert.equal(s.targets.length, 8);
  throwsRnl(() => lab.generateTask('adding', 0, 8), /batch size 0 is outside 1\.\.4096/);
  throwsRnl(() => lab.generateTask('adding', 2, 1), /length 1 is outside 2\.\./);
  throwsRnl(() => lab.generateTask('add', 2, 8), /task must be/);
});

test('trainTask: progress, held-out evals, reproducible, resumable, abortable; evaluateTask', async () => {
  const run = async (opts) => {
    const m = lab.createModel({ cell: 'gru', task: 'sine', hidden: 8, seed: 4 });
    m.setOptimizer({ kind: 'adam', lr: 0.01 });
    const seen = [];
    const r = await m.trainTask({ task: 'sine', length: 12, steps: 25, batchSize: 8, seed: 3, progressEvery: 10, evalEvery: 20,
      onProgress: (p) => seen.push(p), ...opts });
    return { m, r, seen };
  };
  const { m, r, seen } = await run();
  assert.deepEqual(seen.map((p) => p.step), [10, 20, 25]);
  assert.deepEqual(seen.map((p) => Boolean(p.eval)), [false, true, true]);
  assert.equal(r.steps, 25);
  assert.equal(r.totalSteps, 25);
  assert.equal(r.stopped, false);
  assert.ok(r.eval.loss > 0 && r.eval.accuracy === null);
  assert.ok(seen.every((p) => p.seqPerSec > 0 && Number.isFinite(p.meanLoss)));
  const again = await run();
  assert.deepEqual(again.m.parameters(), m.parameters(), 'same seed, same run, bit for bit');
  // Without a seed the data stream continues from the steps done, as `rnnlab train`.
  await m.trainTask({ task: 'sine', length: 12, steps: 5, batchSize: 8 });
  assert.equal(m.optimizer.steps, 30);
  const ev = m.evaluateTask({ task: 'sine', length: 12, batches: 2, batchSize: 10 });
  assert.deepEqual(m.evaluateTask({ task: 'sine', length: 12, batches: 2, batchSize: 10 }), ev, 'held-out batches are fixed by their seed');
  throwsRnl(() => m.evaluateTask({ task: 'adding' }), /does not fit task 'adding'/);
  await assert.rejects(m.trainTask({ task: 'copy', steps: 1 }), /does not fit task 'copy'/);
  await assert.rejects(m.trainTask({ task: 'sine', steps: 0 }), /steps is 0/);
  await assert.rejects(m.trainTask({ task: 'sine', onProgress: 5 }), /onProgress must be a function/);
  const ac = new AbortController();
  const stopped = await m.trainTask({ task: 'sine', length: 12, steps: 1000, batchSize: 8, progressEvery: 5, signal: ac.signal,
    onProgress: (p) => p.step >= 10 && ac.abort() });
  assert.equal(stopped.stopped, true);
  assert.equal(stopped.steps, 10);
  m.free();
  again.m.free();
});

// --- Introspection ------------------------------------------------------------------------------------

test('traces: gates, states and gradient norms of one sample', () => {
  const m = lab.createModel({ cell: 'lstm', inputSize: 2, hidden: 3, layers: 2, bidirectional: true, head: 'regression' });
  const b = { B: 2, T: 5, inputs: new Float32Array(20).fill(0.5), lengths: [5, 3], targets: [1, 2] };
  m.trainStep(b);
  assert.equal(m.gateTrace(0, 0), null, 'nothing traced while off');
  m.setTrace(1);
  m.trainStep(b);
  const g = m.gateTrace(1, 1);
  assert.deepEqual([g.steps, g.width, g.data.length], [3, 12, 36]);
  for (const v of g.data.subarray(0, 3)) assert.ok(v > 0 && v < 1, 'the input gate is a sigmoid');
  const s = m.stateTrace(0, 0);
  assert.deepEqual([s.steps, s.width], [3, 3]);
  const n = m.gradNormTrace(0, 1);
  assert.equal(n.steps, 5);
  assert.equal(n.data.length, 5);
  assert.ok(n.data.some((v) => v > 0));
  m.evaluate(b);
  assert.equal(m.gradNormTrace(0, 0), null, 'no gradient norms after a forward alone');
  throwsRnl(() => m.gateTrace(2, 0), /layer is 2, must be in 0\.\.1/);
  throwsRnl(() => m.stateTrace(0, 2), /dir is 2, must be in 0\.\.1/);
  m.setTrace(null);
  m.evaluate(b);
  assert.equal(m.gateTrace(), null);
  m.free();
});

// --- Parameters and checkpoints ----------------------------------------------------------------------

test('parameters / setParameters round-trip; wrong sizes and non-finite values are refused', () => {
  const m = lab.createModel({ cell: 'gru', task: 'adding', hidden: 4 });
  const p = m.parameters();
  assert.ok(p instanceof Float32Array && p.length === m.numParams);
  p[0] = 0.125;
  m.setParameters(p);
  assert.equal(m.parameters()[0], 0.125);
  p[0] = 99;
  assert.equal(m.parameters()[0], 0.125, 'parameters() is a copy');
  m.setParameters([...p]);
  assert.equal(m.parameters()[0], 99);
  throwsRnl(() => m.setParameters(p.subarray(1)), /parameters: got \d+ values, the model has \d+/);
  throwsRnl(() => m.setParameters(p.map((v, i) => (i === 7 ? NaN : v))), /value 7 is not a finite number/);
  throwsRnl(() => m.setParameters('x'), /values must be an array/);
  m.free();
});

test('saveCheckpoint / loadCheckpoint: parameters, config and optimizer state round-trip', () => {
  const m = lab.createModel({ cell: 'lstm', task: 'copy', hidden: 6, seed: 2 });
  m.setOptimizer({ kind: 'momentum', lr: 0.05 });
  m.trainStep(lab.generateTask('copy', 4, 5, 1));
  const bytes = m.saveCheckpoint();
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'RNNLABCK');
  const n = lab.loadCheckpoint(bytes);
  assert.deepEqual(n.config, m.config);
  assert.deepEqual(n.parameters(), m.parameters());
  assert.deepEqual(n.optimizer, m.optimizer);
  const b = lab.generateTask('copy', 4, 5, 2);
  assert.deepEqual(n.trainStep(b), m.trainStep(b), 'a loaded model trains on exactly like the original');
  const lean = m.saveCheckpoint({ optimizer: false });
  assert.equal(bytes.length - lean.length, 4 * m.numParams, 'momentum state: one value per parameter');
  const l = lab.loadCheckpoint(lean.buffer);
  assert.equal(l.optimizer, null);
  for (const x of [m, n, l]) x.free();
});

test('meta bytes: set, read back, kept in checkpoints, cleared', () => {
  const m = lab.createModel({ cell: 'rnn', task: 'adding', hidden: 3 });
  assert.equal(m.meta(), null);
  const meta = new TextEncoder().encode('{"vocab": ["<pad>", "<unk>", "movie"]}');
  m.setMeta(meta);
  assert.deepEqual(m.meta(), meta);
  const n = lab.loadCheckpoint(m.saveCheckpoint());
  assert.deepEqual(n.meta(), meta);
  n.setMeta(null);
  assert.equal(n.meta(), null);
  throwsRnl(() => m.setMeta('text'), /setMeta: expected a Uint8Array/);
  m.free();
  n.free();
});

test('loadCheckpoint: truncated, foreign and corrupt bytes fail with what is wrong', () => {
  const m = lab.createModel({ cell: 'gru', task: 'adding', hidden: 4 });
  const bytes = m.saveCheckpoint();
  m.free();
  throwsRnl(() => lab.loadCheckpoint(bytes.subarray(0, bytes.length - 10)), /checkpoint: truncated: \d+ bytes, the header announces \d+/, 'RNL_ERR_FORMAT');
  throwsRnl(() => lab.loadCheckpoint(bytes.subarray(0, 50)), /truncated: 50 bytes, shorter than the 124-byte header/, 'RNL_ERR_FORMAT');
  throwsRnl(() => lab.loadCheckpoint(new Uint8Array(0)), /not an rnnlab checkpoint/, 'RNL_ERR_FORMAT');
  const foreign = bytes.slice();
  foreign.set(new TextEncoder().encode('PK\x03\x04'), 0);
  throwsRnl(() => lab.loadCheckpoint(foreign), /not an rnnlab checkpoint \(the file does not start with "RNNLABCK"\)/, 'RNL_ERR_FORMAT');
  const flipped = bytes.slice();
  flipped[200] ^= 0x10;  // a bit of a parameter
  throwsRnl(() => lab.loadCheckpoint(flipped), /corrupt: checksum mismatch \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\)/, 'RNL_ERR_FORMAT');
  const extra = new Uint8Array(bytes.length + 3);
  extra.set(bytes);
  throwsRnl(() => lab.loadCheckpoint(extra), /3 unexpected bytes after the end/, 'RNL_ERR_FORMAT');
  throwsRnl(() => lab.loadCheckpoint('model.rnl'), /expected a Uint8Array or an ArrayBuffer/);
});

// --- Freed models -----------------------------------------------------------------------------------

test('a freed model throws a clear error on every call; free() twice is harmless', async () => {
  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 4 });
  const b = lab.generateTask('adding', 2, 4);
  m.free();
  m.free();
  assert.equal(m.freed, true);
  const calls = [
    () => m.trainStep(b), () => m.evaluate(b), () => m.predict(b), () => m.gradients(b), () => m.parameters(),
    () => m.setParameters([1]), () => m.tensors(), () => m.saveCheckpoint(), () => m.setOptimizer({}), () => m.optimizer,
    () => m.numParams, () => m.setTrace(0), () => m.gateTrace(), () => m.stateTrace(), () => m.gradNormTrace(),
    () => m.evaluateTask({ task: 'adding' }), () => m.meta(), () => m.setMeta(null),
  ];
  for (const call of calls) throwsRnl(call, /this model was freed \(model\.free\(\) was called\)/, 'RNL_ERR_FREED');
  await assert.rejects(m.trainTask({ task: 'adding', steps: 1 }), /this model was freed/);
  assert.equal(m.config.cell, 'lstm', 'the config stays readable');
});

test('a trap in the module retires the instance with a clear error', async () => {
  const own = await RnnLab.load();
  const m = own.createModel({ cell: 'rnn', task: 'adding', hidden: 3 });
  // No public call traps on any input: reach a raw export to stand in for a bug (a read far out of bounds).
  throwsRnl(() => own._c.rnlw_model_params(0x7ffffff0), /module trapped \(.*out of bounds.*\); this is a bug in rnnlab.*load the module again/, 'RNL_ERR_TRAP');
  throwsRnl(() => m.parameters(), /module trapped/, 'RNL_ERR_TRAP');
  throwsRnl(() => own.createModel({ cell: 'rnn', task: 'adding' }), /module trapped/, 'RNL_ERR_TRAP');
  m.free();  // harmless: the retired instance's memory goes with it
  assert.equal(m.freed, true);
});
