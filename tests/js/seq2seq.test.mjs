// Seq2seq in the JS API (rnnlab_seq2seq.h through web/wasm_api.c): create, train, evaluate, decode with
// the attention matrix, errors with the core's messages, checkpoints byte-identical to `rnnlab init
// --task`, and learning: dot attention reverses length-8 sequences.
// The parity test needs the native CLI ($RNL_CLI or build/rnnlab); without it it is skipped and says why.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab, RnnLabError, Seq2SeqModel } from '../../web/rnnlab.js';

const lab = await RnnLab.load();
const cli = process.env.RNL_CLI ?? fileURLToPath(new URL('../../build/rnnlab', import.meta.url));
const skip = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;

test('seq2seq: create, configuration, names', () => {
  assert.deepEqual(lab.seq2seqNames.attention, ['none', 'dot', 'additive']);
  assert.deepEqual(lab.seq2seqNames.tasks, ['reverse', 'dates']);
  const s = lab.createSeq2Seq({ task: 'reverse', length: 6, encoderCell: 'lstm', decoderCell: 'gru', hidden: 16, embed: 8,
    layers: 2, bidirectional: true, attention: 'additive', attnWidth: 12, seed: 3 });
  assert.ok(s instanceof Seq2SeqModel);
  assert.deepEqual(s.task, { name: 'reverse', minLength: 6, maxLength: 6, symbols: 10 });
  assert.deepEqual(s.config, { srcVocab: 13, tgtVocab: 13, embed: 8, encoderCell: 'lstm', hidden: 16, layers: 2,
    bidirectional: true, decoderCell: 'gru', attention: 'additive', attnWidth: 12, forgetBias: 1 });
  assert.ok(s.numParams > 0);
  assert.equal(s.optimizer, null);
  s.free();
  s.free();
  assert.throws(() => s.decode('abc'), (e) => e.code === 'RNL_ERR_FREED');
  const d = lab.createSeq2Seq({ task: 'dates' });
  assert.deepEqual(d.task, { name: 'dates' });
  assert.equal(d.config.encoderCell, 'gru');
  assert.equal(d.config.attention, 'dot');
  d.free();
});

test('seq2seq: train a few steps, evaluate, decode with the attention matrix', async () => {
  const s = lab.createSeq2Seq({ task: 'reverse', length: 5, hidden: 16, seed: 1 });
  s.setOptimizer({ kind: 'adam', lr: 0.01 });
  const seen = [];
  const r = await s.trainTask({ steps: 20, batchSize: 16, seed: 7, evalEvery: 10, onProgress: (p) => seen.push(p) });
  assert.equal(r.steps, 20);
  assert.equal(s.optimizer.steps, 20);
  assert.equal(s.optimizer.lr, 0.01);
  assert.deepEqual(seen.map((p) => p.step), [10, 20]);
  for (const p of seen) {
    assert.ok(Number.isFinite(p.loss) && p.loss > 0);
    assert.ok(p.seconds >= 0 && p.seqPerSec >= 0);
    assert.ok(p.eval.tokenAccuracy >= 0 && p.eval.tokenAccuracy <= 1);
  }
  const e = s.evaluate({ batches: 2, batchSize: 10, seed: 5 });
  for (const k of ['tokenAccuracy', 'sequenceAccuracy']) assert.ok(e[k] >= 0 && e[k] <= 1, k);
  assert.ok(Number.isFinite(e.loss));
  assert.deepEqual(s.evaluate({ batches: 2, batchSize: 10, seed: 5 }), e);  // same seed, same examples
  const d = s.decode('abcde');
  assert.deepEqual(d.inputTokens, ['a', 'b', 'c', 'd', 'e']);
  assert.equal(d.attention.cols, 5);
  assert.equal(d.attention.rows, d.outputTokens.length);
  assert.ok(d.attention.data instanceof Float32Array);
  assert.equal(d.attention.data.length, d.attention.rows * d.attention.cols);
  for (let t = 0; t < d.attention.rows; t++) {  // each row is a softmax over the input
    let sum = 0;
    for (let j = 0; j < 5; j++) sum += d.attention.data[t * 5 + j];
    assert.ok(Math.abs(sum - 1) < 1e-4, `row ${t} sums to ${sum}`);
  }
  assert.equal(d.output, d.outputTokens.filter((x) => x !== '<eos>').join(''));
  // Without attention the matrix is all zeros.
  const plain = lab.createSeq2Seq({ task: 'reverse', length: 5, hidden: 8, attention: 'none', seed: 1 });
  assert.ok(plain.decode('abc').attention.data.every((x) => x === 0));
  plain.free();
  // A model keeps training from where it stopped (the optimizer's step count goes on).
  await s.trainTask({ steps: 5 });
  assert.equal(s.optimizer.steps, 25);
  s.free();
});

test('seq2seq: errors carry the core\'s messages', () => {
  assert.throws(() => lab.createSeq2Seq({ task: 'sort' }), /task must be 'reverse', 'dates'/);
  assert.throws(() => lab.createSeq2Seq({ task: 'reverse', hidden: 0 }), /hidden is 0/);
  assert.throws(() => lab.createSeq2Seq({ task: 'reverse', symbols: 27 }), (e) => e instanceof RnnLabError && /symbols/.test(e.message));
  assert.throws(() => lab.createSeq2Seq({ task: 'dates', length: 5 }), /dates has fixed formats/);
  assert.throws(() => lab.createSeq2Seq({ task: 'reverse', colour: 1 }), /unknown field 'colour'/);
  const s = lab.createSeq2Seq({ task: 'reverse', length: 5, seed: 1 });
  assert.throws(() => s.decode('abz'), (e) => e instanceof RnnLabError && e.code === 'RNL_ERR_ARG' &&
    /'z', is not one of the task's 10 symbols a\.\.j/.test(e.message));
  assert.throws(() => s.decode(''), /empty/);
  // The right answer of a typed input, from the core: reversal, and a date in one of the task's formats.
  assert.equal(s.answer('abcj'), 'jcba');
  assert.equal(s.answer('abz'), null);
  const dates = lab.createSeq2Seq({ task: 'dates', seed: 1 });
  assert.equal(dates.answer('sunday 3 may 1998'), '1998-05-03');
  assert.equal(dates.answer('5/3/98'), '1998-05-03');
  assert.equal(dates.answer('31 February 1998'), null);
  dates.free();
  assert.throws(() => lab.loadSeq2Seq(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), (e) => e.code === 'RNL_ERR_FORMAT');
  const bytes = s.saveCheckpoint();
  bytes[bytes.length - 20] ^= 0xff;
  assert.throws(() => lab.loadSeq2Seq(bytes), (e) => e.code === 'RNL_ERR_FORMAT' && /CRC|checksum/i.test(e.message));
  assert.throws(() => lab.loadSeq2Seq('nope'), /expected a Uint8Array/);
  s.free();
});

test('seq2seq: checkpoints round-trip with the optimizer', async () => {
  const s = lab.createSeq2Seq({ task: 'dates', hidden: 16, seed: 2 });
  await s.trainTask({ steps: 3, batchSize: 8 });
  const bytes = s.saveCheckpoint();
  const t = lab.loadSeq2Seq(bytes);
  assert.deepEqual(t.config, s.config);
  assert.deepEqual(t.task, s.task);
  assert.equal(t.optimizer.steps, 3);
  assert.deepEqual(t.decode('3 May 1998'), s.decode('3 May 1998'));
  assert.deepEqual(t.saveCheckpoint(), bytes);
  assert.ok(s.saveCheckpoint({ optimizer: false }).length < bytes.length);
  s.free();
  t.free();
});

test('seq2seq: checkpoint bytes equal `rnnlab init --task`', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnl-s2s-'));
  try {
    const cases = [
      [{ task: 'reverse', length: 8, attention: 'dot', seed: 5 }, ['--task', 'reverse', '--length', '8', '--attention', 'dot', '--seed', '5']],
      [{ task: 'reverse', seed: 0 }, ['--task', 'reverse']],
      [{ task: 'reverse', minLength: 3, maxLength: 7, symbols: 6, cell: 'lstm', hidden: 20, embed: 10, layers: 2,
        bidirectional: true, attention: 'additive', attnWidth: 9, forgetBias: 0.5, seed: 77 },
      ['--task', 'reverse', '--min-length', '3', '--max-length', '7', '--symbols', '6', '--cell', 'lstm', '--hidden', '20',
        '--embed', '10', '--layers', '2', '--bidirectional', '--attention', 'additive', '--attn-width', '9',
        '--forget-bias', '0.5', '--seed', '77']],
      [{ task: 'dates', encoderCell: 'rnn', decoderCell: 'lstm', attention: 'none', seed: 9 },
        ['--task', 'dates', '--enc-cell', 'rnn', '--dec-cell', 'lstm', '--attention', 'none', '--seed', '9']],
    ];
    for (const [i, [cfg, flags]] of cases.entries()) {
      const path = join(dir, `m${i}.rnl`);
      execFileSync(cli, ['init', ...flags, '--out', path], { stdio: 'pipe' });
      const s = lab.createSeq2Seq(cfg);
      assert.deepEqual(s.saveCheckpoint(), new Uint8Array(readFileSync(path)), `case ${i}: ${flags.join(' ')}`);
      s.free();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('seq2seq: dot attention learns to reverse length-8 sequences', async () => {
  const s = lab.createSeq2Seq({ task: 'reverse', length: 8, attention: 'dot', hidden: 64, embed: 16, seed: 1 });
  s.setOptimizer({ kind: 'adam', lr: 0.005, clip: 1 });
  await s.trainTask({ steps: 600, batchSize: 32, seed: 1 });
  const e = s.evaluate({ batches: 5, batchSize: 100 });
  assert.ok(e.sequenceAccuracy > 0.9, `greedy sequence accuracy ${e.sequenceAccuracy} (token ${e.tokenAccuracy})`);
  const d = s.decode('abcdefgh');
  assert.equal(d.output, 'hgfedcba');
  // Attention learned the alignment: output step t looks mostly at input 7 - t.
  for (let t = 0; t < 8; t++) {
    const row = Array.from(d.attention.data.subarray(t * 8, t * 8 + 8));
    assert.equal(row.indexOf(Math.max(...row)), 7 - t, `output ${t} attends most to input ${row.indexOf(Math.max(...row))}`);
  }
  s.free();
});
