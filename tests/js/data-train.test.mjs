// data-train.test.mjs: models on datasets through web/rnnlab.js, against the native CLI on the same files.
// - createModel({ dataset }) makes the checkpoint of `rnnlab init --data`, bit for bit (meta included).
// - trainDataset runs the loop of `rnnlab train --data --seed S --json`: the same epoch orders (bucketed),
//   so the same losses and gradient norms every 10 steps, the same validation after each epoch, and the
//   same parameters, within float rounding; a second call without a seed resumes as the CLI does.
// - evaluateDataset, predictText and predictSeries agree with `rnnlab eval --data` and `rnnlab predict`
//   on the CLI's own checkpoint; the last per-step probability is the probability.
// - Numeric faults, mismatched data, freed objects and aborts behave as documented.
// Data: a synthetic reviews CSV made here (no real reviews) and tests/fixtures/series/good.csv.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab, RnnLabError } from '../../web/rnnlab.js';
import { makeReviews } from './reviews.mjs';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const noCli = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;

// As parity.test.mjs: native and WASM round differently (FMA tiles against mul + add, glibc against musl
// libm), ~1e-6 relative per step; the CLI prints %.6g. Parameters after many Adam steps: as there.
const RTOL = 1e-4, ATOL = 1e-6, RTOL_PARAMS = 1e-4, ATOL_PARAMS = 1e-4;

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-data-train-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const run = (args) => execFileSync(cli, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const jsonLines = (text) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

function close(what, got, want, rtol = RTOL, atol = ATOL) {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(err <= atol + rtol * Math.abs(want[i]), `${what}[${i}]: wasm ${got[i]}, native ${want[i]} (abs err ${err}; rtol ${rtol}, atol ${atol})`);
  }
}

const lab = await RnnLab.load();
const reviews = lab.textCsvDataset(makeReviews(700), { maxLen: 24, vocab: 200, seed: 2, name: 'reviews.csv' });
writeFileSync(join(dir, 'reviews.rnld'), reviews.toBytes());
const series = lab.seriesCsvDataset(readFileSync(here('tests/fixtures/series/good.csv')), { window: 8 });
writeFileSync(join(dir, 'series.rnld'), series.toBytes());

function sameBytes(what, got, want) {
  assert.equal(got.length, want.length, `${what}: ${got.length} bytes, native ${want.length}`);
  const first = got.findIndex((b, i) => b !== want[i]);
  assert.equal(first, -1, `${what}: differs from the native file first at byte ${first}`);
}

test('createModel({ dataset }): the checkpoint of `rnnlab init --data`, bit for bit', { skip: noCli }, () => {
  const cases = [
    [reviews, 'reviews.rnld', { cell: 'gru', hidden: 16 }, ['--cell', 'gru', '--hidden', '16']],
    [reviews, 'reviews.rnld', { cell: 'lstm', hidden: 8, embed: 12, layers: 2, bidirectional: true },
      ['--cell', 'lstm', '--hidden', '8', '--embed', '12', '--layers', '2', '--bidirectional']],
    [series, 'series.rnld', { cell: 'rnn', hidden: 6 }, ['--cell', 'rnn', '--hidden', '6']],
  ];
  for (const [ds, file, cfg, flags] of cases) {
    run(['init', '--data', file, ...flags, '--seed', '9', '--out', 'init.rnl', '--force']);
    const m = lab.createModel({ ...cfg, dataset: ds, seed: 9 });
    sameBytes(`${cfg.cell} on ${file}`, m.saveCheckpoint(), readFileSync(join(dir, 'init.rnl')));
    assert.deepEqual(m.meta(), ds.description());
    if (ds === reviews) assert.equal(m.config.embed, cfg.embed ?? 64);
    m.free();
  }
  assert.throws(() => lab.createModel({ cell: 'gru', dataset: reviews, vocab: 10 }), /dataset decides vocab, inputSize, head, outputs and seq2seq: leave vocab out/);
  assert.throws(() => lab.createModel({ cell: 'gru', dataset: reviews, task: 'adding' }), /dataset decides the inputs: leave out task/);
  assert.throws(() => lab.createModel({ cell: 'gru', dataset: {} }), /createModel: expected a Dataset of this RnnLab instance/);
});

for (const c of [
  { name: 'gru on reviews, adam', ds: reviews, file: 'reviews.rnld', cfg: { cell: 'gru', hidden: 16 }, flags: ['--cell', 'gru', '--hidden', '16'],
    optim: { kind: 'adam', lr: 0.003 }, optimFlags: ['--lr', '0.003'], epochs: 2, batch: 24, text: true },
  { name: 'lstm on reviews, momentum, bucket 1, bptt', ds: reviews, file: 'reviews.rnld', cfg: { cell: 'lstm', hidden: 8, embed: 16 },
    flags: ['--cell', 'lstm', '--hidden', '8', '--embed', '16'], optim: { kind: 'momentum', lr: 0.05 },
    optimFlags: ['--optim', 'momentum', '--lr', '0.05', '--bucket', '1', '--bptt', '6'], bucket: 1, bptt: 6, epochs: 2, batch: 20, text: true },
  { name: 'rnn on the series, adam', ds: series, file: 'series.rnld', cfg: { cell: 'rnn', hidden: 8 }, flags: ['--cell', 'rnn', '--hidden', '8'],
    optim: { kind: 'adam', lr: 0.01 }, optimFlags: ['--lr', '0.01'], epochs: 6, batch: 8, text: false },
]) {
  test(`trainDataset parity with \`rnnlab train --data --seed S --json\`: ${c.name}`, { skip: noCli }, async () => {
    run(['init', '--data', c.file, ...c.flags, '--seed', '3', '--out', 'm.rnl', '--force']);
    const trainFlags = ['--data', c.file, '--epochs', String(c.epochs), '--batch', String(c.batch), ...c.optimFlags, '--json'];
    const lines = jsonLines(run(['train', '--model', 'm.rnl', '--out', 'm1.rnl', '--seed', '21', ...trainFlags]));
    const nSteps = lines.filter((l) => 'step' in l && !l.eval), nEvals = lines.filter((l) => l.eval).map((l) => l.eval);
    const m = lab.createModel({ ...c.cfg, dataset: c.ds, seed: 3 });
    m.setOptimizer(c.optim);
    const steps = new Map(), evals = [];
    const r = await m.trainDataset(c.ds, { epochs: c.epochs, batchSize: c.batch, seed: 21, bucket: c.bucket, bpttWindow: c.bptt,
      onProgress: (p) => steps.set(p.totalSteps, p), onEpoch: (e) => evals.push(e) });
    const perEpoch = Math.ceil(c.ds.counts.train / c.batch);
    assert.equal(r.steps, perEpoch * c.epochs);
    assert.equal(r.stopped, false);
    assert.ok(nSteps.length >= 3, `${nSteps.length} progress lines`);
    const matched = nSteps.map((l) => steps.get(l.step));
    assert.ok(matched.every(Boolean), `a progress report at every CLI line (steps ${nSteps.map((l) => l.step)})`);
    close('loss', matched.map((p) => p.loss), nSteps.map((l) => l.loss));
    close('grad_norm', matched.map((p) => p.gradNorm), nSteps.map((l) => l.grad_norm));
    assert.deepEqual(matched.map((p) => p.clipped), nSteps.map((l) => l.clipped));
    assert.deepEqual(evals.map((e) => e.totalSteps), nEvals.map((e) => e.step));
    close('validation loss after each epoch', evals.map((e) => e.val.loss), nEvals.map((e) => e.loss));
    if (c.text) close('validation accuracy', evals.map((e) => e.val.accuracy), nEvals.map((e) => e.accuracy), 0, 1e-6);
    else assert.ok(evals.every((e) => e.val.accuracy === null));
    assert.equal(evals[0].val.count, c.ds.counts.val);
    const n = lab.loadCheckpoint(readFileSync(join(dir, 'm1.rnl')));
    assert.deepEqual(n.optimizer, m.optimizer);
    assert.deepEqual(n.meta(), m.meta());
    close('parameters', m.parameters(), n.parameters(), RTOL_PARAMS, ATOL_PARAMS);

    // A second run without a seed, from the CLI's checkpoint in both builds: both continue the shuffles
    // from the steps done (seed 1 + steps) and the epoch count (steps / batches per epoch).
    const more = jsonLines(run(['train', '--model', 'm1.rnl', '--out', 'm2.rnl', ...trainFlags.map((f) => (f === String(c.epochs) ? '1' : f))]))
      .filter((l) => 'step' in l && !l.eval);
    const again = new Map();
    await n.trainDataset(c.ds, { epochs: 1, batchSize: c.batch, bucket: c.bucket, bpttWindow: c.bptt, onProgress: (p) => again.set(p.totalSteps, p) });
    assert.ok(more.length >= 1);
    close('resumed losses', more.map((l) => again.get(l.step)?.loss ?? NaN), more.map((l) => l.loss));
    n.free();
    m.free();
  });
}

test('evaluateDataset, predictText, predictSeries: as `rnnlab eval --data` and `rnnlab predict` on the CLI\'s checkpoint', { skip: noCli }, async () => {
  run(['init', '--data', 'reviews.rnld', '--cell', 'gru', '--hidden', '12', '--seed', '4', '--out', 'r.rnl', '--force']);
  run(['train', '--model', 'r.rnl', '--data', 'reviews.rnld', '--epochs', '2', '--batch', '16', '--lr', '0.01', '--seed', '1', '--json']);
  const m = lab.loadCheckpoint(readFileSync(join(dir, 'r.rnl')));
  for (const split of ['test', 'val']) {
    const want = JSON.parse(run(['eval', '--model', 'r.rnl', '--data', 'reviews.rnld', '--split', split, '--json']));
    const got = m.evaluateDataset(reviews, split);
    assert.equal(got.count, want.count);
    close(`${split} loss, accuracy`, [got.loss, got.accuracy], [want.loss, want.accuracy], 1e-5, 1e-6);
  }
  assert.ok(m.evaluateDataset(reviews).accuracy > 0.7, 'the synthetic reviews are learnable');
  for (const text of ['a wonderful, moving film with superb music', 'boring and dull, the plot was weak', 'zzz qqq', '']) {
    const want = JSON.parse(run(['predict', '--model', 'r.rnl', '--text', text, '--json']));
    const p = m.predictText(text);
    close(`P(positive) of "${text}"`, [p.probability], [want.positive], 1e-5, 1e-6);
    assert.equal(p.ids.length, want.tokens);
    assert.equal(p.unknown, want.unknown);
    assert.deepEqual(p.tokens, Array.from(reviews.encode(text).tokens));
    assert.equal(p.stepProbabilities.length, p.ids.length);
    assert.equal(p.stepProbabilities.at(-1), Math.fround(p.probability), 'the last step is the prediction');
  }
  const p = m.predictText('superb superb superb');
  assert.ok(p.stepProbabilities[0] > 0.5 && p.probability > p.stepProbabilities[0] - 0.2);
  m.free();

  // A series: the CLI's RMSE in the series' units from the de-normalised predictions.
  run(['init', '--data', 'series.rnld', '--cell', 'lstm', '--hidden', '8', '--seed', '4', '--out', 's.rnl', '--force']);
  run(['train', '--model', 's.rnl', '--data', 'series.rnld', '--epochs', '5', '--batch', '8', '--lr', '0.01', '--seed', '1', '--json']);
  const s = lab.loadCheckpoint(readFileSync(join(dir, 's.rnl')));
  for (const split of ['test', 'val', 'train']) {
    const { actual, predicted } = s.predictSeries(series, split);
    assert.ok(actual instanceof Float64Array && predicted instanceof Float64Array);
    assert.equal(actual.length, series.counts[split]);
    const values = readFileSync(here('tests/fixtures/series/good.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    const start = { train: 0, val: 42, test: 51 }[split];
    assert.deepEqual(Array.from(actual), values.slice(start + 8, start + 8 + actual.length), 'actual: the values after each window, as read');
    if (split === 'train') continue;
    const want = JSON.parse(run(['eval', '--model', 's.rnl', '--data', 'series.rnld', '--split', split, '--json']));
    let se = 0;
    for (let i = 0; i < actual.length; i++) se += (predicted[i] - actual[i]) ** 2;
    close(`${split} RMSE`, [Math.sqrt(se / actual.length)], [want.rmse], 1e-4, 1e-6);
    const ev = s.evaluateDataset(series, split);
    assert.equal(ev.accuracy, null);
    close(`${split} MSE`, [ev.loss], [want.mse], 1e-5, 1e-7);
  }
  assert.throws(() => s.predictText('a film'), /predictText: the model predicts a time series, not the sentiment of a text/);
  assert.throws(() => s.predictSeries(reviews), /the model does not fit this data/);
  s.free();
});

test('predictText: bidirectional models give no per-step probabilities; a model without a vocabulary says so', async () => {
  const bi = lab.createModel({ cell: 'gru', hidden: 4, bidirectional: true, dataset: reviews, seed: 1 });
  const p = bi.predictText('a superb film');
  assert.equal(p.stepProbabilities, null);
  assert.ok(p.probability > 0 && p.probability < 1);
  assert.deepEqual(p.tokens, ['a', 'superb', 'film']);
  bi.free();
  // The words as typed, one per id: what each <unk> stood for (lowercased, cut as the tokenizer cuts).
  const m = lab.createModel({ cell: 'gru', hidden: 4, dataset: reviews, seed: 1 });
  const q = m.predictText('A Zyzzyva-film, superb!!');
  assert.deepEqual(q.words, ['a', 'zyzzyva', '-', 'film', ',', 'superb', '!!']);
  assert.equal(q.words.length, q.ids.length);
  assert.equal(q.tokens[1], '<unk>');
  assert.deepEqual(m.predictText('').words, [''], 'no words: the one <unk> of an empty text');
  m.free();
  const plain = lab.createModel({ cell: 'gru', hidden: 4, vocab: reviews.vocabSize, embed: 8, seed: 1 });
  assert.throws(() => plain.predictText('a film'), {
    code: 'RNL_ERR_ARG',
    message: 'bad argument: predictText: the model has no vocabulary: create it with createModel({ cell, dataset }) or train it with trainDataset on a text dataset first' });
  // Training on the data gives it one, as `rnnlab train --data`.
  await plain.trainDataset(reviews, { epochs: 1, batchSize: 64 });
  assert.deepEqual(plain.meta(), reviews.description());
  assert.deepEqual(plain.predictText('a film').tokens, ['a', 'film']);
  // A checkpoint keeps it.
  const back = lab.loadCheckpoint(plain.saveCheckpoint());
  assert.equal(back.predictText('a film').probability, plain.predictText('a film').probability);
  back.free();
  plain.free();
});

test('batchesPerEpoch: the steps of one epoch of trainDataset, for any batch size', async () => {
  for (const B of [1, 7, 64, reviews.counts.train, reviews.counts.train + 5]) {
    const m = lab.createModel({ cell: 'rnn', hidden: 2, embed: 2, dataset: reviews, seed: 1 });
    const r = await m.trainDataset(reviews, { epochs: 1, batchSize: B });
    assert.equal(reviews.batchesPerEpoch(B), r.steps, `batch ${B}`);
    m.free();
  }
  assert.throws(() => reviews.batchesPerEpoch(0), { code: 'RNL_ERR_ARG', message: /batchesPerEpoch: batchSize is 0/ });
});

test('trainDataset: mismatched data, other vocabularies, freed datasets and aborts', async () => {
  const m = lab.createModel({ cell: 'gru', hidden: 4, dataset: reviews, seed: 1 });
  await assert.rejects(m.trainDataset(series), { code: 'RNL_ERR_ARG', message: /^bad argument: the model does not fit this series: it needs 1 real-valued input and a regression head with 1 output; make one with createModel\(\{ cell, dataset \}\)$/ });
  const other = lab.textCsvDataset(makeReviews(300, 7), { maxLen: 24, vocab: 200, seed: 2 });
  assert.equal(other.vocabSize, reviews.vocabSize);
  await assert.rejects(m.trainDataset(other), /this model was trained on a different vocabulary or series than this dataset/);
  assert.throws(() => m.evaluateDataset(reviews, 'dev'), /split must be 'train', 'val' or 'test'/);
  const ac = new AbortController();
  const r = await m.trainDataset(reviews, { epochs: 5, batchSize: 8, progressEvery: 1, signal: ac.signal,
    onProgress: (p) => { if (p.step === 7) ac.abort(); } });
  assert.deepEqual([r.stopped, r.steps, r.val], [true, 7, null]);
  const copy = lab.openDataset(reviews.toBytes());
  const pending = m.trainDataset(copy, { epochs: 2, batchSize: 8, progressEvery: 1, onProgress: (p) => { if (p.step === 3) copy.free(); } });
  await assert.rejects(pending, { code: 'RNL_ERR_FREED' });
  await assert.rejects(m.trainDataset(copy), { code: 'RNL_ERR_FREED' });
  other.free();
  m.free();
});

test('trainDataset: a numeric fault stops training with the core\'s message and keeps the last good parameters', async () => {
  const m = lab.createModel({ cell: 'rnn', hidden: 8, dataset: series, seed: 1 });
  m.setOptimizer({ kind: 'sgd', lr: 100, clip: 0 });
  let last = null;
  await assert.rejects(m.trainDataset(series, { epochs: 50, batchSize: 8, progressEvery: 1, onProgress: () => { last = m.parameters(); } }),
    (e) => {
      assert.ok(e instanceof RnnLabError);
      assert.equal(e.code, 'RNL_ERR_NUMERIC');
      assert.match(e.message, /^numeric fault: /);
      assert.ok(e.stepsDone >= 1, `stepsDone ${e.stepsDone}`);
      return true;
    });
  assert.ok(last, 'at least one good step');
  assert.deepEqual(m.parameters(), last, 'the parameters of the last good step');
  assert.ok(m.parameters().every(Number.isFinite));
  m.free();
});
