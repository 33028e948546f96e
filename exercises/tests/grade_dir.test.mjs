// grade_dir.test.mjs: the student's path through grade.mjs --dir. A copy of the starter with exactly
// one function taken from the solution passes exactly that exercise; the others stay TODO. A copy from
// before exercises 9-10 is refused with what to copy.
// Run: node --test exercises/tests/   (needs cmake and a C compiler; the first run builds the core in
// build-exercises/dirs/, about half a minute). CTest covers the same cases without Node or copies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const exercises = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const grade = join(exercises, 'grade.mjs');
// A fixed path, so the build made for it is reused from one run to the next.
const work = join(tmpdir(), 'rnnlab-grade-dir-test');

// The text of a top-level function, from its signature to the closing brace at column 0.
function functionText(source, name) {
  const start = source.search(new RegExp(`^(void|double) ${name}\\(`, 'm'));
  assert.ok(start >= 0, `${name} not found`);
  const end = source.indexOf('\n}\n', start);
  return source.slice(start, end + 3);
}

function withSolutionFunction(file, name) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(exercises, 'starter'), work, { recursive: true });
  const starter = readFileSync(join(work, file), 'utf8');
  const solution = readFileSync(join(exercises, 'solution', file), 'utf8');
  writeFileSync(join(work, file), starter.replace(functionText(starter, name), functionText(solution, name)));
}

function statuses(stdout) {
  return Array.from({ length: 10 }, (_, i) => new RegExp(`^\\[${i + 1}\\] .*?\\.\\.\\. (PASSED|FAILED|TODO)`, 'm').exec(stdout)?.[1]);
}

for (const [file, name, exercise] of [
  ['cell_math.c', 'rnl_gru_cell_forward', 5],
  ['cell_math.c', 'rnl_lstm_cell_backward', 4],
  ['bptt.c', 'ex_rnn_bptt', 8],
  ['attention_math.c', 'rnl_attention_backward', 10],
]) {
  test(`a starter copy with the solution's ${name} passes exercise ${exercise} only`, () => {
    withSolutionFunction(file, name);
    const r = spawnSync(process.execPath, [grade, '--dir', work, '--no-wasm'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const want = Array.from({ length: 10 }, (_, i) => (i + 1 === exercise ? 'PASSED' : 'TODO'));
    assert.deepEqual(statuses(r.stdout), want, r.stdout);
  });
}

test('a directory without the exercise files is refused', () => {
  const empty = join(tmpdir(), 'rnnlab-grade-dir-test-empty');
  mkdirSync(empty, { recursive: true });
  const r = spawnSync(process.execPath, [grade, '--dir', empty], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has no cell_math\.c/);
});

test('a copy made before the attention exercises is refused with what to copy', () => {
  const old = join(tmpdir(), 'rnnlab-grade-dir-test-old');
  rmSync(old, { recursive: true, force: true });
  mkdirSync(old, { recursive: true });
  for (const f of ['cell_math.c', 'bptt.c']) cpSync(join(exercises, 'starter', f), join(old, f));
  const r = spawnSync(process.execPath, [grade, '--dir', old, '--no-wasm'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has no attention_math\.c .*copy exercises\/starter\/attention_math\.c there/);
});
