// "Use my implementation": the exercises' cells built into the WebAssembly module (web/wasm.cmake with
// -DRNL_CELL_MATH, through `node exercises/grade.mjs --wasm-only`, the path the grader takes), loaded with
// RnnLab.load(path). The solution's cells compute the reference's function, so training matches the
// reference module step for step; the starter's module loads, lists its TODOs, and refuses to train.
// Needs Emscripten (emcmake); without it these tests are skipped and say why. Builds in
// build-wasm-student-test/ (the first run compiles the core: a minute or two).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RnnLab, RnnLabError } from '../../web/rnnlab.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const grade = fileURLToPath(new URL('../../exercises/grade.mjs', import.meta.url));
const skip = spawnSync('emcmake', ['--version']).error ? 'emcmake (Emscripten) was not found' : false;

// Builds one variant's module with the grader's own step; returns its path.
function build(variant) {
  const dir = `${root}build-wasm-student-test/${variant}`;
  const out = `${dir}/out/rnnlab.wasm`;
  const r = spawnSync(process.execPath, [grade, ...(variant === 'solution' ? ['--solution'] : []), '--wasm-only',
    '--wasm-build', dir, '--wasm-out', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /built for the browser/);
  return out;
}

test('student module: the solution\'s cells train like the reference', { skip, timeout: 900_000 }, async () => {
  const student = await RnnLab.load(build('solution'));
  const reference = await RnnLab.load();
  assert.equal(reference.implementation.kind, 'reference');
  assert.deepEqual(student.implementation, { kind: 'student', todoCount: 0, todos: [] });
  for (const cell of ['rnn', 'lstm', 'gru']) {
    const losses = [];
    for (const lab of [reference, student]) {
      const m = lab.createModel({ cell, task: 'adding', hidden: 16, seed: 1 });
      const l = [];
      await m.trainTask({ task: 'adding', length: 20, steps: 5, batchSize: 16, seed: 3, progressEvery: 1,
        onProgress: (p) => l.push(p.loss) });
      losses.push(l);
      m.free();
    }
    for (let i = 0; i < 5; i++)
      assert.ok(Math.abs(losses[0][i] - losses[1][i]) < 1e-4 * Math.max(1, losses[0][i]),
        `${cell} step ${i + 1}: reference ${losses[0][i]}, student ${losses[1][i]}`);
  }
  // And it learns: an LSTM on the adding task, a few hundred steps, as the reference does.
  const m = student.createModel({ cell: 'lstm', task: 'adding', hidden: 32, seed: 1 });
  m.setOptimizer({ kind: 'adam', lr: 0.01 });
  await m.trainTask({ task: 'adding', length: 20, steps: 300, batchSize: 32, seed: 1 });
  const e = m.evaluateTask({ task: 'adding', length: 20, batches: 4, batchSize: 100 });
  const r = reference.createModel({ cell: 'lstm', task: 'adding', hidden: 32, seed: 1 });
  r.setOptimizer({ kind: 'adam', lr: 0.01 });
  await r.trainTask({ task: 'adding', length: 20, steps: 300, batchSize: 32, seed: 1 });
  const er = r.evaluateTask({ task: 'adding', length: 20, batches: 4, batchSize: 100 });
  assert.ok(e.loss < 0.05, `held-out MSE ${e.loss} after 300 steps (variance of the target: ~0.17)`);
  assert.ok(Math.abs(e.loss - er.loss) < 0.01, `student ${e.loss}, reference ${er.loss}`);
});

test('student module: the starter loads and says what is unfinished', { skip, timeout: 900_000 }, async () => {
  const lab = await RnnLab.load(build('starter'));
  assert.equal(lab.implementation.kind, 'student');
  assert.equal(lab.implementation.todoCount, 9);
  assert.deepEqual(lab.implementation.todos, ['RNN forward', 'RNN backward', 'LSTM forward', 'LSTM backward', 'GRU forward',
    'GRU backward', 'gradient clipping', 'attention forward', 'attention backward']);
  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 8, seed: 1 });  // creating runs no cell
  await assert.rejects(m.trainTask({ task: 'adding', length: 10, steps: 2 }), (e) => e instanceof RnnLabError &&
    e.code === 'RNL_ERR_TODO' && /your cells are not finished: .* is still a TODO/.test(e.message) &&
    /LSTM forward/.test(e.message));
  // The instance stays usable: the error is about the student's code, not a broken heap.
  assert.ok(lab.createSeq2Seq({ task: 'reverse' }).numParams > 0);
  m.free();
});

test('student module: grading the solution leaves the student\'s web/student/rnnlab.wasm alone', { skip, timeout: 900_000 }, () => {
  // The student's module, if there is one: its bytes' time must not change. Without one, none may appear.
  const mine = `${root}web/student/rnnlab.wasm`;
  const before = existsSync(mine) ? statSync(mine).mtimeMs : null;
  const dir = `${root}build-wasm-student-test/solution`;
  const r = spawnSync(process.execPath, [grade, '--solution', '--wasm-only', '--wasm-build', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /The solution's cells, built for the browser: build-wasm-student-test\/solution\/rnnlab-student\.wasm/);
  assert.match(r.stdout, /It was not copied to web\/student\/rnnlab\.wasm, which holds your own cells/);
  assert.match(r.stdout, /--solution --wasm-out web\/student\/rnnlab\.wasm/, 'how to put it there on purpose');
  assert.ok(existsSync(`${dir}/rnnlab-student.wasm`));
  assert.equal(existsSync(mine) ? statSync(mine).mtimeMs : null, before);
});
