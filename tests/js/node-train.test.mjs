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
