// The Transformer encoder in the JS API (rnnlab_transformer.h through web/wasm_transformer.c): create for
// a task or a vocabulary, the tensor table, errors with the core's messages, checkpoints byte-identical
// to `rnnlab init --cell transformer` and round trips, training and evaluation on a task, and the
// attention weights of every head.
// The parity test needs the native CLI ($RNL_CLI or build/rnnlab); without it it is skipped and says why.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab, RnnLabError, TransformerModel } from '../../web/rnnlab.js';

const lab = await RnnLab.load();
const cli = process.env.RNL_CLI ?? fileURLToPath(new URL('../../build/rnnlab', import.meta.url));
const skip = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;

test('transformer: create for a task, configuration, tensor table', () => {
  assert.deepEqual(lab.transformerNames.positions, ['none', 'sinusoidal']);
  const m = lab.createTransformer({ task: 'adding', hidden: 16, heads: 4, layers: 2, ffn: 32, seed: 3 });
  assert.ok(m instanceof TransformerModel);
  assert.deepEqual({ ...m.config }, { vocab: 0, inputSize: 2, hidden: 16, heads: 4, layers: 2, ffn: 32, positions: 'sinusoidal',
    head: 'regression', outputs: 1 });
  const t = m.tensors();
  assert.deepEqual(t.slice(0, 4).map((x) => x.name), ['input.weight', 'input.bias', 'layers.0.self_attn.in_proj_weight',
    'layers.0.self_attn.in_proj_bias']);
  assert.deepEqual([t[2].rows, t[2].cols], [48, 16]);
  assert.deepEqual(t.slice(-4).map((x) => x.name), ['norm.weight', 'norm.bias', 'head.weight', 'head.bias']);
  const last = t[t.length - 1];
  assert.equal(m.numParams, last.offset + last.rows * last.cols);
  // input 16 * 3, per layer 4 * 16 * 17 + 32 * 17 + 16 * 33 + 4 * 16, final norm 32, head 17.
  assert.equal(m.numParams, 48 + 2 * (1088 + 544 + 528 + 64) + 32 + 17);
  assert.equal(m.params().length, m.numParams);
  m.free();
});

test('transformer: bad configurations are refused with the core\'s messages', async () => {
  assert.throws(() => lab.createTransformer({ task: 'adding', hidden: 16, heads: 3 }), (e) => e instanceof RnnLabError &&
    /heads is 3, must divide hidden \(16\)/.test(e.message));
  assert.throws(() => lab.createTransformer({ task: 'sine' }), /predicts every step; a Transformer here predicts one value per sequence/);
  assert.throws(() => lab.createTransformer({ task: 'adding', ffn: 0 }), /ffn is 0, must be in 1\.\.16384/);
  assert.throws(() => lab.createTransformer({ task: 'adding', positions: 'learned' }), /positions must be 'none', 'sinusoidal'/);
  assert.throws(() => lab.createTransformer({ hidden: 8 }), /give task, vocab or inputSize/);
  const rnn = lab.createModel({ cell: 'gru', task: 'adding', hidden: 4 });
  assert.throws(() => lab.loadTransformer(rnn.saveCheckpoint()), /a recurrent model's checkpoint, not a Transformer's/);
  rnn.free();
  const m = lab.createTransformer({ task: 'adding', hidden: 8, heads: 2, layers: 1 });
  await assert.rejects(() => m.trainTask({ task: 'copy', steps: 1 }), /the model does not fit task 'copy'/);
  assert.throws(() => m.attention({ layer: 1 }), /layer/);
  assert.equal(m.attention(), null, 'no batch has run yet');
  m.free();
});

test('transformer: checkpoint bytes equal `rnnlab init --cell transformer`', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnl-tf-'));
  try {
    const cases = [
      [{ task: 'adding', hidden: 16, heads: 4, layers: 2, ffn: 32, seed: 5 },
        ['--task', 'adding', '--hidden', '16', '--heads', '4', '--layers', '2', '--ffn', '32', '--seed', '5']],
      [{ task: 'copy', seed: 0 }, ['--task', 'copy']],
      [{ vocab: 50, hidden: 12, heads: 3, layers: 1, ffn: 20, positions: 'none', head: 'classes', outputs: 4, seed: 9 },
        ['--vocab', '50', '--hidden', '12', '--heads', '3', '--layers', '1', '--ffn', '20', '--positions', 'none',
          '--head', 'classes', '4', '--seed', '9']],
    ];
    for (const [i, [cfg, flags]] of cases.entries()) {
      const path = join(dir, `t${i}.rnl`);
      execFileSync(cli, ['init', '--cell', 'transformer', ...flags, '--out', path], { stdio: 'pipe' });
      const m = lab.createTransformer(cfg);
      assert.deepEqual(m.saveCheckpoint(), new Uint8Array(readFileSync(path)), `case ${i}: ${flags.join(' ')}`);
      m.free();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transformer: trains and evaluates on a task; attention rows are distributions over the real keys', async () => {
  const m = lab.createTransformer({ task: 'copy', hidden: 16, heads: 2, layers: 2, ffn: 32, seed: 1 });
  const before = m.evaluateTask({ task: 'copy', length: 12, batches: 2, batchSize: 16 });
  assert.ok(Math.abs(before.loss - Math.log(8)) < 0.5, `near chance at first: ${before.loss}`);
  const reports = [];
  const r = await m.trainTask({ task: 'copy', length: 12, steps: 30, batchSize: 16, seed: 2, progressEvery: 10, evalEvery: 30,
    onProgress: (p) => reports.push(p.step) });
  assert.equal(r.steps, 30);
  assert.equal(r.totalSteps, 30);
  assert.equal(m.optimizer.steps, 30);
  assert.ok(Number.isFinite(r.loss) && r.eval && Number.isFinite(r.eval.loss), JSON.stringify(r));
  assert.deepEqual(reports, [10, 20, 30]);
  const e = m.evaluateTask({ task: 'copy', length: 12, batches: 2, batchSize: 16 });
  assert.ok(e.accuracy >= 0 && e.accuracy <= 1);
  for (let layer = 0; layer < 2; layer++)
    for (let head = 0; head < 2; head++) {
      const a = m.attention({ layer, head, sample: 3 });
      assert.deepEqual([a.rows, a.cols], [12, 12]);
      for (let i = 0; i < a.rows; i++) {
        const row = a.data.subarray(i * a.cols, (i + 1) * a.cols);
        assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-5, `layer ${layer} head ${head} row ${i}`);
        assert.ok(row.every((x) => x >= 0));
      }
    }
  assert.equal(m.attention({ sample: 16 }), null, 'past the batch');
  // A round trip keeps the parameters and the optimizer (training resumes).
  const back = lab.loadTransformer(m.saveCheckpoint());
  assert.deepEqual(back.params(), m.params());
  assert.equal(back.optimizer.steps, 30);
  assert.equal(lab.loadTransformer(m.saveCheckpoint({ optimizer: false })).optimizer, null);
  back.free();
  m.free();
});
