// dts.test.mjs: web/rnnlab.d.ts against the module it describes. The cell-name union is written out in
// the .d.ts (TypeScript needs the literals), so this checks that it lists the core's cell table, in order,
// and that the names, cells, limits and defaults the wrapper reads from the core are there.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RnnLab } from '../../web/rnnlab.js';

const dts = readFileSync(new URL('../../web/rnnlab.d.ts', import.meta.url), 'utf8');
const lab = await RnnLab.load();

// The string literals of `export type <name> = 'a' | 'b' | ...;`.
function union(name) {
  const m = dts.match(new RegExp(`export type ${name} = ([^;]+);`));
  assert.ok(m, `rnnlab.d.ts declares no type ${name}`);
  return m[1].split('|').map((s) => s.trim().replace(/^'|'$/g, ''));
}

test('the .d.ts CellName union is the core\'s cell table, in enum order', () => {
  assert.deepEqual(union('CellName'), lab.cells.map((c) => c.name));
  assert.deepEqual(lab.names.cells, lab.cells.map((c) => c.name));
});

test('the other name unions match the core\'s names', () => {
  assert.deepEqual(union('HeadName'), lab.names.heads);
  assert.deepEqual(union('PoolName'), lab.names.pools);
  assert.deepEqual(union('OptimizerName'), lab.names.optimizers);
  assert.deepEqual(union('TaskName'), lab.names.tasks);
  assert.deepEqual(union('ScheduleName'), lab.names.schedules);
  assert.deepEqual(union('AttentionName'), lab.seq2seqNames.attention);
  assert.deepEqual(union('Seq2SeqTaskName'), lab.seq2seqNames.tasks);
  assert.deepEqual(union('PositionsName'), lab.transformerNames.positions);
});

test('lab.cells: each cell\'s label, gates and gate names from the core', () => {
  const lstm = lab.cells.find((c) => c.name === 'lstm');
  assert.deepEqual({ ...lstm }, { name: 'lstm', label: 'LSTM', gates: 4, gateNames: ['i', 'f', 'g', 'o'], gateRoles: lstm.gateRoles,
    hasCellState: true, extraState: lstm.extraState });
  for (const c of lab.cells) {
    assert.equal(c.gateNames.length, c.gates, c.name);
    assert.equal(c.gateRoles.length, c.gates, c.name);
    for (const role of c.gateRoles) assert.equal(typeof role, 'string', c.name);
    assert.equal(typeof c.label, 'string');
    assert.ok(Object.isFrozen(c));
  }
});

test('lab.limits and lab.trainingDefaults come from the core', () => {
  assert.deepEqual({ min: lab.limits.hidden.min, max: lab.limits.hidden.max, whole: lab.limits.hidden.whole }, { min: 1, max: 4096, whole: true });
  assert.equal(typeof lab.limits.lr.what, 'string');
  assert.throws(() => lab.createModel({ cell: 'lstm', task: 'adding', hidden: lab.limits.hidden.max + 1 }),
    new RegExp(`hidden is ${lab.limits.hidden.max + 1}, must be in 1\\.\\.${lab.limits.hidden.max}`));
  const r = lab.trainingDefaults('recurrent'), s = lab.trainingDefaults('seq2seq');
  assert.deepEqual([r.batch, r.lrAdam, r.clip, r.steps, r.length, r.epochs, r.bucket, r.evalBatch, r.dataEmbed],
    [32, 0.001, 1, 1000, 50, 3, 8, 64, 64]);
  assert.deepEqual([r.heldoutBatches, r.heldoutBatch, r.testBatches, r.testBatch, r.testSeed], [4, 64, 10, 100, 1000003]);
  assert.deepEqual([s.lrAdam, s.heldoutBatches, s.heldoutBatch], [0.005, 2, 64]);
  assert.deepEqual(lab.trainingDefaults('transformer'), r, 'the Transformer runs on the recurrent models\' protocol');
  assert.throws(() => lab.trainingDefaults('mamba'), /trainingDefaults: kind must be 'recurrent', 'seq2seq', 'transformer', not "mamba"/);
});
