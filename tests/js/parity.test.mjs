// parity.test.mjs: the native CLI and the WebAssembly build, run on the same configuration and seeds.
// - init: the same seed gives the same checkpoint, bit for bit (parameters, header and CRC).
// - train: `rnnlab train --json --seed S --steps 20` and Model.trainTask with the same seed see the same
//   batches; their losses and gradient norms (steps 10 and 20), held-out losses (every 2 steps) and final
//   parameters agree within the tolerance below.
// - step by step: 20 runs of `rnnlab train --steps 1` (each resuming the checkpoint of the one before)
//   against 20 trainTask calls of one step: every step's loss and gradient norm.
// The CLI is $RNL_CLI or build/rnnlab; without it these tests are skipped and say why.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../../web/rnnlab.js';

// Native and WASM sum in different orders (AVX2/AVX-512 FMA tiles against wasm_simd128 mul + add) and use
// different libms (glibc against musl for expf/tanhf): float rounding, ~1e-6 relative per step, which
// 20 steps of training may grow. The CLI prints 6 significant digits (%.6g): 5e-6 relative.
const RTOL = 1e-4, ATOL = 1e-6;
// Parameters after 20 optimizer steps, as the golden test's Adam tolerance: Adam's update is scale-free,
// so an element with a gradient at rounding level can move by up to lr per step in either build.
const RTOL_PARAMS = 1e-4, ATOL_PARAMS = 1e-4;

const cli = process.env.RNL_CLI ?? fileURLToPath(new URL('../../build/rnnlab', import.meta.url));
const skip = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;

function close(what, got, want, rtol = RTOL, atol = ATOL) {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(err <= atol + rtol * Math.abs(want[i]),
      `${what}[${i}]: wasm ${got[i]}, native ${want[i]} (abs err ${err}; rtol ${rtol}, atol ${atol})`);
  }
}

const run = (args) => execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const jsonLines = (text) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

// Each case: the model (init flags and createModel fields), the training flags and setOptimizer fields.
const cases = [
  { name: 'lstm adding, adam', init: { cell: 'lstm', task: 'adding', hidden: 32 }, seed: 11, length: 30, batch: 16,
    optim: { kind: 'adam', lr: 0.01 }, flags: ['--lr', '0.01'] },
  { name: 'gru copy 2 layers, momentum', init: { cell: 'gru', task: 'copy', hidden: 16, layers: 2 }, seed: 12, length: 12, batch: 16,
    optim: { kind: 'momentum', lr: 0.05 }, flags: ['--optim', 'momentum', '--lr', '0.05'] },
  { name: 'rnn sine bidirectional, sgd, clip, bptt', init: { cell: 'rnn', task: 'sine', hidden: 12, bidirectional: true }, seed: 13,
    length: 16, batch: 8, bptt: 4, optim: { kind: 'sgd', lr: 0.05, clip: 0.5 }, flags: ['--optim', 'sgd', '--lr', '0.05', '--clip', '0.5', '--bptt', '4'] },
  // Dropout masks are a function of the step (the same in both builds) and so is the schedule's rate.
  { name: 'gru copy 2 layers, dropout 0.3, cosine with warm-up', init: { cell: 'gru', task: 'copy', hidden: 16, layers: 2, dropout: 0.3 },
    seed: 14, length: 12, batch: 16, optim: { kind: 'adam', lr: 0.01 }, schedule: { kind: 'cosine', warmup: 5 },
    flags: ['--lr', '0.01', '--schedule', 'cosine', '--warmup', '5'] },
  // Pooled heads: the head reads the mean or the max of the top layer's states over the real steps.
  { name: 'lstm copy bidirectional, mean pool, dropout 0.2', init: { cell: 'lstm', task: 'copy', hidden: 12, bidirectional: true,
    dropout: 0.2, pool: 'mean' }, seed: 15, length: 12, batch: 16, optim: { kind: 'adam', lr: 0.01 }, flags: ['--lr', '0.01'] },
  { name: 'gru adding 2 layers, max pool, bptt', init: { cell: 'gru', task: 'adding', hidden: 16, layers: 2, pool: 'max' }, seed: 16,
    length: 20, batch: 16, bptt: 5, optim: { kind: 'adam', lr: 0.01 }, flags: ['--lr', '0.01', '--bptt', '5'] },
];

function initFlags(c) {
  const f = ['--cell', c.init.cell, '--task', c.init.task, '--hidden', String(c.init.hidden), '--seed', String(c.seed)];
  if (c.init.layers) f.push('--layers', String(c.init.layers));
  if (c.init.bidirectional) f.push('--bidirectional');
  if (c.init.dropout) f.push('--dropout', String(c.init.dropout));
  if (c.init.pool) f.push('--pool', c.init.pool);
  return f;
}

const lab = await RnnLab.load();

for (const c of cases) {
  test(`parity: ${c.name}`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-parity-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const initPath = join(dir, 'init.rnl'), trainedPath = join(dir, 'trained.rnl');
    run(['init', ...initFlags(c), '--out', initPath]);
    const trainFlags = ['--task', c.init.task, '--length', String(c.length), '--batch', String(c.batch), ...c.flags];

    await t.test('init: the same checkpoint, bit for bit', () => {
      const m = lab.createModel({ ...c.init, seed: c.seed });
      const native = readFileSync(initPath), wasm = m.saveCheckpoint();
      m.free();
      assert.equal(wasm.length, native.length);
      const first = wasm.findIndex((b, i) => b !== native[i]);
      assert.equal(first, -1, `the checkpoints differ first at byte ${first}`);
    });

    await t.test('train --seed S --steps 20: losses, held-out losses, parameters', async () => {
      const out = jsonLines(run(['train', '--model', initPath, '--out', trainedPath, '--json', '--seed', String(c.seed), '--steps', '20',
        ...trainFlags]));
      const nSteps = out.filter((l) => 'step' in l && !('eval' in l)), nEvals = out.filter((l) => l.eval).map((l) => l.eval);
      assert.deepEqual(nSteps.map((l) => l.step), [10, 20]);
      assert.equal(nEvals.length, 10);
      const m = lab.createModel({ ...c.init, seed: c.seed });
      m.setOptimizer(c.optim);
      const steps = [], evals = [];
      await m.trainTask({ task: c.init.task, length: c.length, batchSize: c.batch, bpttWindow: c.bptt ?? 0, steps: 20, seed: c.seed,
        evalEvery: 2, schedule: c.schedule, onProgress: (p) => {
          if (p.step % 10 === 0) steps.push(p);
          if (p.eval) evals.push({ step: p.totalSteps, ...p.eval });
        } });
      close('loss at steps 10, 20', steps.map((p) => p.loss), nSteps.map((l) => l.loss));
      close('grad_norm at steps 10, 20', steps.map((p) => p.gradNorm), nSteps.map((l) => l.grad_norm));
      assert.deepEqual(steps.map((p) => p.clipped), nSteps.map((l) => l.clipped));
      assert.deepEqual(evals.map((e) => e.step), nEvals.map((e) => e.step));
      close('held-out loss every 2 steps', evals.map((e) => e.loss), nEvals.map((e) => e.loss));
      const n = lab.loadCheckpoint(readFileSync(trainedPath));
      assert.deepEqual(n.config, m.config);
      assert.deepEqual(n.optimizer, m.optimizer);
      close('parameters after 20 steps', m.parameters(), n.parameters(), RTOL_PARAMS, ATOL_PARAMS);
      m.free();
      n.free();
    });

    await t.test('step by step: 20 runs of train --steps 1 against 20 one-step trainTask calls', async () => {
      const chainPath = join(dir, 'chain.rnl');
      copyFileSync(initPath, chainPath);
      const native = [];
      for (let s = 0; s < 20; s++) {
        // No --seed: each run's data comes from seed 1 + the steps already done, in both builds.
        const line = jsonLines(run(['train', '--model', chainPath, '--json', '--steps', '1', ...trainFlags])).find((l) => 'loss' in l && !l.eval);
        native.push(line);
      }
      assert.deepEqual(native.map((l) => l.step), Array.from({ length: 20 }, (_, i) => i + 1));
      const m = lab.createModel({ ...c.init, seed: c.seed });
      m.setOptimizer(c.optim);
      const wasm = [];
      for (let s = 0; s < 20; s++) {
        const r = await m.trainTask({ task: c.init.task, length: c.length, batchSize: c.batch, bpttWindow: c.bptt ?? 0, steps: 1,
          schedule: c.schedule, onProgress: (p) => wasm.push(p) });
        assert.equal(r.totalSteps, s + 1);
      }
      close('loss of each step', wasm.map((p) => p.loss), native.map((l) => l.loss));
      close('grad_norm of each step', wasm.map((p) => p.gradNorm), native.map((l) => l.grad_norm));
      assert.deepEqual(wasm.map((p) => p.clipped), native.map((l) => l.clipped));
      const n = lab.loadCheckpoint(readFileSync(chainPath));
      close('parameters after 20 steps', m.parameters(), n.parameters(), RTOL_PARAMS, ATOL_PARAMS);
      m.free();
      n.free();
    });
  });
}
