// node-train.test.mjs: web/node/train.mjs, the headless Node runner: its cells, its flags' ranges and its
// defaults are the module's (lab.cells, lab.limits, lab.trainingDefaults), so a bad flag reads as the
// core words it, and a short run prints the JSON lines of `rnnlab train --json`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../../web/rnnlab.js';

const script = fileURLToPath(new URL('../../web/node/train.mjs', import.meta.url));
const run = (args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
const lab = await RnnLab.load();
const cells = lab.cells.map((c) => c.name);

test('train.mjs --help lists the module\'s cells and the run layer\'s defaults', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  const d = lab.trainingDefaults('recurrent');
  assert.match(r.stdout, new RegExp(`--cell ${cells.join('\\|')} --task`));
  assert.match(r.stdout, new RegExp(`--steps N +training steps \\(default ${d.steps}\\)`));
  assert.match(r.stdout, new RegExp(`--lr X +learning rate \\(default ${d.lrAdam} for adam, ${d.lrOther} otherwise\\)`));
});

test('train.mjs refuses an unknown cell and an out-of-range flag with the core\'s ranges', () => {
  let r = run(['--cell', 'nope', '--task', 'adding']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`--cell must be ${cells.join(', ')}, not 'nope'`));
  r = run(['--cell', 'gru', '--task', 'adding', '--hidden', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`--hidden is 0, must be in ${lab.limits.hidden.min}\\.\\.${lab.limits.hidden.max}`));
  r = run(['--cell', 'gru', '--task', 'adding', '--lr', '200']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`--lr is 200, must be in \\[${lab.limits.lr.min}, ${lab.limits.lr.max}\\]`));
});

test('train.mjs trains a few steps and prints the JSON lines of `rnnlab train --json`', () => {
  const r = run(['--cell', 'gru', '--task', 'adding', '--steps', '4', '--length', '5', '--batch', '2', '--hidden', '4', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const steps = lines.filter((l) => 'step' in l && !('eval' in l));
  assert.ok(steps.length >= 1);
  assert.deepEqual(Object.keys(steps[0]), ['step', 'loss', 'grad_norm', 'clipped', 'accuracy', 'seq_per_s']);
  assert.equal(lines.at(-1).done, true);
  assert.equal(lines.at(-1).steps, 4);
});

test('train.mjs --cell transformer: a task run as `rnnlab train --json`, its flags checked, and --model continues it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-node-tf-'));
  try {
    const out = join(dir, 't.rnl');
    let r = run(['--cell', 'transformer', '--task', 'copy', '--length', '6', '--steps', '20', '--batch', '4', '--hidden', '8', '--heads', '2',
      '--layers', '1', '--ffn', '16', '--positions', 'none', '--seed', '3', '--json', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(Object.keys(lines.find((l) => 'step' in l && !('eval' in l))), ['step', 'loss', 'grad_norm', 'clipped', 'accuracy', 'seq_per_s']);
    assert.equal(lines.at(-1).steps, 20);
    const m = lab.loadTransformer(readFileSync(out));
    assert.deepEqual([m.config.hidden, m.config.heads, m.config.layers, m.config.ffn, m.config.positions, m.optimizer.steps], [8, 2, 1, 16, 'none', 20]);
    m.free();
    r = run(['--model', out, '--task', 'copy', '--length', '6', '--steps', '10', '--batch', '4']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^transformer, 2 heads, ffn 16, none positions, 1 layer, width 8, /);
    assert.equal(lab.loadTransformer(readFileSync(out)).optimizer.steps, 30);
    r = run(['--cell', 'transformer', '--task', 'copy', '--bptt', '3']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--bptt is for a recurrent cell, not --cell transformer/);
    r = run(['--cell', 'gru', '--task', 'copy', '--heads', '2']);
    assert.match(r.stderr, /--heads is for --cell transformer/);
    r = run(['--cell', 'transformer', '--task', 'copy', '--heads', String(lab.limits.heads.max + 1)]);
    assert.match(r.stderr, new RegExp(`--heads is ${lab.limits.heads.max + 1}, must be in ${lab.limits.heads.min}\\.\\.${lab.limits.heads.max}`));
    r = run(['--cell', 'transformer', '--task', 'sine', '--steps', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /predicts every step; a Transformer here predicts one value per sequence/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- Data files (--data): a small fixture made here, never real data ------------------------------------

import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-node-train-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = join(dir, 'reviews.rnld');
{
  const words = { pos: ['good', 'great', 'fine', 'loved', 'wonderful'], neg: ['bad', 'awful', 'dull', 'hated', 'terrible'] };
  let csv = 'text,label\n';
  for (let i = 0; i < 60; i++)
    for (const label of ['pos', 'neg']) csv += `"the film ${words[label][i % 5]} ${words[label][(i + 2) % 5]} ${i}",${label}\n`;
  const ds = lab.textCsvDataset(csv, { vocab: 40, maxLen: 8 });
  writeFileSync(fixture, ds.toBytes());
  ds.free();
}
const dataArgs = ['--data', fixture, '--hidden', '8', '--embed', '8', '--batch', '8', '--lr', '0.01', '--seed', '3'];

test('train.mjs --data trains in epochs, reports validation after each and the test split at the end, and saves', () => {
  const out = join(dir, 'a.rnl');
  const r = run(['--cell', 'gru', ...dataArgs, '--epochs', '2', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /data .*reviews\.rnld \(text: \d+ train \/ \d+ val \/ \d+ test reviews/);
  assert.match(r.stdout, /^epoch 1\/2 {2}step \d+ {2}[\d.]+ s {2}validation loss [\d.]+ {2}validation accuracy [\d.]+$/m);
  assert.match(r.stdout, /^epoch 2\/2 /m);
  assert.match(r.stdout, /^test \(\d+ reviews\): loss [\d.]+, accuracy [\d.]+$/m);
  // The file is the checkpoint of the JS API: it loads, with its optimizer and the data's vocabulary.
  const m = lab.loadCheckpoint(readFileSync(out));
  const ds = lab.openDataset(readFileSync(fixture));
  assert.equal(m.optimizer.steps, 2 * Math.ceil(ds.counts.train / 8));
  assert.ok(m.meta(), 'the model keeps the data\'s description');
  m.free();
  ds.free();
});

test('train.mjs --data gives the same model as trainDataset with the same seed, and --model continues it', async () => {
  const a = join(dir, 'b.rnl');
  let r = run(['--cell', 'lstm', ...dataArgs, '--epochs', '1', '--out', a]);
  assert.equal(r.status, 0, r.stderr);
  const ds = lab.openDataset(readFileSync(fixture));
  const m = lab.createModel({ cell: 'lstm', dataset: ds, hidden: 8, embed: 8, seed: 3n });
  m.setOptimizer({ kind: 'adam', lr: 0.01, clip: 1 });
  await m.trainDataset(ds, { epochs: 2, batchSize: 8, seed: 3n });
  // A second epoch continued from the file: the shuffles of epoch 2 of the same seed, as one run of two.
  r = run(['--model', a, '--data', fixture, '--batch', '8', '--seed', '3', '--epochs', '1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.find((l) => l.epoch), { epoch: 1, epochs: 1, step: m.optimizer.steps, seconds: lines.find((l) => l.epoch).seconds });
  assert.equal(lines.filter((l) => l.eval?.split === 'validation').length, 1);
  assert.equal(lines.filter((l) => l.eval?.split === 'test').length, 1);
  assert.deepEqual(lab.loadCheckpoint(readFileSync(a)).parameters(), m.parameters());
  m.free();
  ds.free();
});

test('train.mjs --data: a missing or bad file, flags of the other kind of run and a model of other data are refused by name', () => {
  let r = run(['--cell', 'gru', '--data', join(dir, 'none.rnld')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read .*none\.rnld: ENOENT/);
  const bad = join(dir, 'bad.rnld');
  writeFileSync(bad, 'not a data file at all');
  r = run(['--cell', 'gru', '--data', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.rnld: not an rnnlab data file/);
  r = run(['--cell', 'gru', '--data', fixture, '--steps', '3']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--steps is for --task, not --data/);
  r = run(['--cell', 'gru', '--task', 'adding', '--epochs', '2']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--epochs is for --data, not --task/);
  r = run(['--cell', 'gru', '--task', 'adding', '--data', fixture]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /give --task .* or --data FILE/);
  const add = join(dir, 'adding.rnl');
  assert.equal(run(['--cell', 'gru', '--task', 'adding', '--steps', '2', '--hidden', '4', '--out', add]).status, 0);
  r = run(['--model', add, '--data', fixture]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the model in .*adding\.rnl does not fit this data: .*make one with --cell \.\.\. --data /);
});

test('train.mjs --data with --dropout, --schedule and --keep-best writes the best epoch of the JS API\'s run with the same options', async () => {
  const out = join(dir, 'best.rnl');
  const r = run(['--cell', 'gru', ...dataArgs, '--epochs', '2', '--dropout', '0.25', '--schedule', 'cosine', '--warmup', '5', '--keep-best',
    '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dropout 0\.25, cosine schedule, warm-up 5, keep-best;/);
  const best = r.stdout.match(/^best epoch (\d) \(step (\d+)\): validation loss [\d.]+, accuracy [\d.]+; .*best\.rnl holds it$/m);
  assert.ok(best, r.stdout);
  const ds = lab.openDataset(readFileSync(fixture));
  const m = lab.createModel({ cell: 'gru', dataset: ds, hidden: 8, embed: 8, seed: 3n, dropout: 0.25 });
  m.setOptimizer({ kind: 'adam', lr: 0.01, clip: 1 });
  const res = await m.trainDataset(ds, { epochs: 2, batchSize: 8, seed: 3n, schedule: { kind: 'cosine', warmup: 5 }, keepBest: true });
  assert.equal(res.best.epoch, Number(best[1]));
  assert.equal(res.best.step, Number(best[2]));
  assert.deepEqual(new Uint8Array(readFileSync(out)), m.bestCheckpoint());
  assert.equal(lab.loadCheckpoint(readFileSync(out)).config.dropout, Math.fround(0.25));
  m.free();
  ds.free();
});

test('train.mjs --pool: the model\'s head reads the pool, as the JS API\'s model with the same options; a wrong pool is named', async () => {
  const out = join(dir, 'mean.rnl');
  const r = run(['--cell', 'gru', ...dataArgs, '--epochs', '1', '--pool', 'mean', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /mean pool/);
  const ds = lab.openDataset(readFileSync(fixture));
  const m = lab.createModel({ cell: 'gru', dataset: ds, hidden: 8, embed: 8, seed: 3n, pool: 'mean' });
  m.setOptimizer({ kind: 'adam', lr: 0.01, clip: 1 });
  await m.trainDataset(ds, { epochs: 1, batchSize: 8, seed: 3n });
  const saved = lab.loadCheckpoint(readFileSync(out));
  assert.equal(saved.config.pool, 'mean');
  assert.deepEqual(saved.parameters(), m.parameters());
  saved.free();
  m.free();
  ds.free();
  const bad = run(['--cell', 'gru', '--task', 'adding', '--pool', 'avg']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--pool must be last, mean, max, not 'avg'/);
  const s2s = run(['--cell', 'gru', '--task', 'sine', '--pool', 'max', '--steps', '1']);
  assert.equal(s2s.status, 1);
  assert.match(s2s.stderr, /max-pooled head needs a sequence-to-one model/);
});

test('train.mjs: schedule and keep-best flags out of place are refused by name', () => {
  let r = run(['--cell', 'gru', '--data', fixture, '--patience', '2']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--patience counts epochs without improvement: give --keep-best too/);
  r = run(['--cell', 'gru', '--task', 'adding', '--keep-best']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--keep-best is for --data, not --task/);
  r = run(['--cell', 'gru', '--task', 'adding', '--schedule', 'cosine', '--gamma', '0.5']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--gamma is for --schedule step/);
  r = run(['--cell', 'gru', '--task', 'adding', '--schedule', 'linear']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`--schedule must be ${lab.names.schedules.join(', ')}, not 'linear'`));
  r = run(['--cell', 'gru', '--task', 'adding', '--dropout', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`--dropout is 1, must be in \\[${lab.limits.dropout.min}, ${lab.limits.dropout.max}\\]`));
});
