// transformer-data.test.mjs: the Transformer encoder on datasets through web/rnnlab.js (the model handle
// holds either kind, so these are the recurrent Model's calls):
// - createTransformer({ dataset }) makes the checkpoint of `rnnlab init --cell transformer --data`, bit for
//   bit (meta included), and trainDataset runs the loop of `rnnlab train --data --seed S --json` on it:
//   the same losses every 10 steps and the same validation after each epoch, within float rounding;
// - keepBest, patience, onEpoch and a schedule; restoreBest and bestCheckpoint;
// - evaluateDataset, predictText (words as typed) and attentionText (query words x key words of one head);
// - a checkpoint round trip keeps the vocabulary; a series dataset; bad calls get clear messages.
// Data: a synthetic reviews CSV made here (no real reviews) and tests/fixtures/series/good.csv.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab, TransformerModel } from '../../web/rnnlab.js';
import { makeReviews } from './reviews.mjs';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const noCli = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-tf-data-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const run = (args) => execFileSync(cli, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const jsonLines = (text) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

const lab = await RnnLab.load();
const reviews = lab.textCsvDataset(makeReviews(600), { maxLen: 24, vocab: 200, seed: 2, name: 'reviews.csv' });
writeFileSync(join(dir, 'reviews.rnld'), reviews.toBytes());
const series = lab.seriesCsvDataset(readFileSync(here('tests/fixtures/series/good.csv')), { window: 8 });
const small = { hidden: 16, heads: 2, layers: 2, ffn: 32 };

test('createTransformer({ dataset }) equals `rnnlab init --cell transformer --data`, meta included', { skip: noCli }, () => {
  run(['init', '--cell', 'transformer', '--data', 'reviews.rnld', '--hidden', '16', '--heads', '2', '--layers', '2', '--ffn', '32',
    '--seed', '3', '--out', 't.rnl', '--force']);
  const m = lab.createTransformer({ dataset: reviews, ...small, seed: 3 });
  assert.ok(m instanceof TransformerModel);
  assert.equal(m.kind, 'transformer');
  assert.deepEqual({ vocab: m.config.vocab, head: m.config.head, outputs: m.config.outputs }, { vocab: reviews.vocabSize, head: 'binary', outputs: 1 });
  assert.ok(m.meta().byteLength > 0, 'the model keeps the data description');
  assert.deepEqual(m.saveCheckpoint(), new Uint8Array(readFileSync(join(dir, 't.rnl'))));
  m.free();
});

test('trainDataset is the loop of `rnnlab train --data --seed S --json` for a Transformer', { skip: noCli }, async () => {
  run(['init', '--cell', 'transformer', '--data', 'reviews.rnld', '--hidden', '16', '--heads', '2', '--layers', '2', '--ffn', '32',
    '--seed', '3', '--out', 'p.rnl', '--force']);
  const lines = jsonLines(run(['train', '--model', 'p.rnl', '--out', 'p1.rnl', '--data', 'reviews.rnld', '--epochs', '2', '--batch',
    '16', '--lr', '0.003', '--seed', '21', '--json']));
  const want = lines.filter((l) => 'step' in l && !l.eval), wantEval = lines.filter((l) => l.eval).map((l) => l.eval);
  const m = lab.createTransformer({ dataset: reviews, ...small, seed: 3 });
  m.setOptimizer({ kind: 'adam', lr: 0.003 });
  const got = new Map(), evals = [];
  await m.trainDataset(reviews, { epochs: 2, batchSize: 16, seed: 21, progressEvery: 10, onProgress: (p) => got.set(p.totalSteps, p),
    onEpoch: (e) => evals.push(e.val) });
  assert.ok(want.length >= 4, `the CLI printed ${want.length} step lines`);
  for (const w of want) {
    const g = got.get(w.step);
    assert.ok(g, `step ${w.step} was reported`);
    assert.ok(Math.abs(g.loss - w.loss) <= 1e-6 + 1e-4 * Math.abs(w.loss), `step ${w.step}: loss ${g.loss}, native ${w.loss}`);
  }
  assert.equal(evals.length, 2);
  assert.equal(wantEval.length, 2);
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(evals[i].loss - wantEval[i].loss) <= 1e-4 * Math.abs(wantEval[i].loss) + 1e-6, `epoch ${i + 1} validation loss`);
    assert.ok(Math.abs(evals[i].accuracy - wantEval[i].accuracy) < 1e-6, `epoch ${i + 1} validation accuracy`);  // the CLI prints %.6g
  }
  // The training history, as a recurrent model's: one point per step, each epoch's validation on its last
  // step, equal to the CLI's file, and kept by the checkpoint (flag bit 2).
  const h = m.history(), native = lab.loadTransformer(readFileSync(join(dir, 'p1.rnl'))).history();
  assert.equal(h.length, want.at(-1).step);
  assert.deepEqual(h.map((p) => p.step), native.map((p) => p.step));
  for (let i = 0; i < h.length; i++) {
    assert.ok(Math.abs(h[i].loss - native[i].loss) <= 1e-6 + 1e-4 * Math.abs(native[i].loss), `history step ${i + 1}`);
  }
  const perEpoch = h.length / 2;
  assert.deepEqual(h.filter((p) => p.valLoss !== null).map((p) => p.step), [perEpoch, 2 * perEpoch]);
  assert.equal(m.saveCheckpoint()[12] & 4, 4);
  assert.deepEqual(lab.loadTransformer(m.saveCheckpoint()).history(), h);
  m.free();
});

test('trainDataset: keepBest, patience, schedule and onEpoch; restoreBest; evaluateDataset', async () => {
  const m = lab.createTransformer({ dataset: reviews, ...small, seed: 5 });
  m.setOptimizer({ kind: 'adam', lr: 0.003 });
  const epochs = [];
  const r = await m.trainDataset(reviews, { epochs: 4, batchSize: 16, seed: 1, keepBest: true, patience: 3,
    schedule: { kind: 'cosine', warmup: 5 }, onEpoch: (e) => epochs.push(e) });
  assert.equal(epochs.length, r.stoppedEarly ? epochs.length : 4);
  for (const e of epochs) {
    assert.ok(e.val && Number.isFinite(e.val.loss) && e.val.accuracy >= 0 && e.val.accuracy <= 1, JSON.stringify(e));
    assert.ok(e.best && e.best.epoch >= 1);
  }
  assert.ok(r.best.accuracy >= Math.max(...epochs.map((e) => e.val.accuracy)) - 1e-12, 'the best epoch is the best validation');
  const test = m.evaluateDataset(reviews, 'test');
  assert.equal(test.count, reviews.counts.test);
  assert.ok(test.accuracy > 0.6, `learns the sentiment words: test accuracy ${test.accuracy}`);
  // The kept checkpoint is a Transformer's, and restoreBest puts it back.
  const best = lab.loadTransformer(m.bestCheckpoint());
  const kept = m.restoreBest();
  assert.equal(kept.epoch, r.best.epoch);
  assert.deepEqual(m.params(), best.params());
  assert.equal(m.evaluateDataset(reviews, 'val').accuracy, r.best.accuracy);
  best.free();
  m.free();
});

test('keepBest resumeBest: a Transformer run taken up from an epoch checkpoint keeps the best of the whole run', async () => {
  const make = () => {
    const m = lab.createTransformer({ dataset: reviews, ...small, seed: 6 });
    m.setOptimizer({ kind: 'adam', lr: 0.003 });
    return m;
  };
  const whole = make();
  const rw = await whole.trainDataset(reviews, { epochs: 4, batchSize: 16, seed: 4, keepBest: true });
  const first = make();
  let kept = null;
  await first.trainDataset(reviews, { epochs: 2, batchSize: 16, seed: 4, keepBest: true,
    onEpoch: (e) => { kept = { ck: first.saveCheckpoint(), best: { ...e.best, checkpoint: first.bestCheckpoint() } }; } });
  const second = lab.loadTransformer(kept.ck);
  const rs = await second.trainDataset(reviews, { epochs: 2, batchSize: 16, seed: 4, keepBest: true, resumeBest: kept.best });
  assert.deepEqual({ epoch: rs.best.epoch, step: rs.best.step }, { epoch: rw.best.epoch, step: rw.best.step });
  assert.deepEqual(second.bestCheckpoint(), whole.bestCheckpoint(), 'the same best epoch\'s bytes as the uninterrupted run');
  const rnn = lab.createModel({ cell: 'gru', dataset: reviews, hidden: 4 });
  await assert.rejects(() => lab.loadTransformer(kept.ck).trainDataset(reviews, { epochs: 1, keepBest: true,
    resumeBest: { ...kept.best, checkpoint: rnn.saveCheckpoint() } }), /checkpoint/);
  for (const x of [whole, first, second, rnn]) x.free();
});

test('predictText and attentionText: words as typed, a row per query word summing to 1; a round trip keeps the vocabulary', async () => {
  const m = lab.createTransformer({ dataset: reviews, ...small, seed: 7 });
  await m.trainDataset(reviews, { epochs: 1, batchSize: 16, seed: 2 });
  const text = 'A wonderful moving film zyzzyva';
  const p = m.predictText(text);
  assert.deepEqual(p.words, ['a', 'wonderful', 'moving', 'film', 'zyzzyva']);  // as typed, lowercased
  assert.equal(p.tokens[4], '<unk>');
  assert.equal(p.stepProbabilities, null, 'every position sees every other: no prediction after each word');
  assert.ok(p.probability > 0 && p.probability < 1);
  for (let layer = 0; layer < 2; layer++)
    for (let head = 0; head < 2; head++) {
      const a = m.attentionText(text, { layer, head });
      assert.equal(a.probability, p.probability);
      assert.deepEqual(a.words, p.words);
      assert.deepEqual([a.attention.rows, a.attention.cols], [5, 5]);
      for (let i = 0; i < 5; i++) {
        const row = a.attention.data.subarray(i * 5, i * 5 + 5);
        assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-5, `layer ${layer} head ${head} row ${i}`);
      }
    }
  const h0 = m.attentionText(text, { layer: 1, head: 0 }).attention.data, h1 = m.attentionText(text, { layer: 1, head: 1 }).attention.data;
  assert.notDeepEqual(h0, h1, 'two heads attend differently');
  assert.throws(() => m.attentionText(text, { head: 2 }), /head/);
  const back = lab.loadTransformer(m.saveCheckpoint());
  assert.equal(back.predictText(text).probability, p.probability);
  assert.deepEqual(back.meta(), m.meta());
  back.free();
  m.free();
});

test('a series dataset: trainDataset, evaluateDataset and predictSeries', async () => {
  const m = lab.createTransformer({ dataset: series, hidden: 8, heads: 2, layers: 1, ffn: 16, seed: 1 });
  assert.equal(m.config.head, 'regression');
  const r = await m.trainDataset(series, { epochs: 2, batchSize: 8, seed: 1 });
  assert.ok(Number.isFinite(r.loss));
  const e = m.evaluateDataset(series, 'test');
  assert.equal(e.accuracy, null);
  const { actual, predicted } = m.predictSeries(series, 'test');
  assert.equal(actual.length, series.counts.test);
  assert.ok(predicted.every(Number.isFinite));
  assert.throws(() => m.predictText('hello'), /predicts a time series/);
  m.free();
});

test('a batch: predict and evaluate agree, and attention follows the batch', () => {
  const m = lab.createTransformer({ task: 'copy', hidden: 16, heads: 2, layers: 1, ffn: 16, seed: 2 });
  const b = lab.generateTask('copy', 3, 6, 9);
  const p = m.predict(b);
  assert.equal(p.length, 3 * 8);
  const e = m.evaluate(b);
  let loss = 0;  // the predictions are class probabilities: the loss is the mean -log p(target)
  for (let i = 0; i < 3; i++) {
    const row = p.subarray(i * 8, i * 8 + 8);
    assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-5, `row ${i} sums to 1`);
    loss -= Math.log(row[b.targets[i]]);
  }
  assert.ok(Math.abs(e.loss - loss / 3) < 1e-5, `evaluate ${e.loss}, from predict ${loss / 3}`);
  assert.deepEqual([m.attention({ sample: 2 }).rows, m.attention({ sample: 3 })], [6, null]);
  // A step on the batch: as trainTask's steps, through the same optimizer.
  const at = (length) => m.trainingBytes({ batchSize: 8, length });
  assert.ok(at(64) - at(32) > at(32) - at(16), 'work memory grows faster than the length (attention is T x T)');
  const st = m.trainStep(b);
  assert.ok(Math.abs(st.loss - e.loss) < 1e-5, 'the step\'s loss is the loss before its update');
  assert.equal(st.step, 1);
  assert.ok(m.evaluate(b).loss < e.loss, 'one Adam step on a batch lowers its loss');
  m.free();
});

test('bad calls: bpttWindow, other data, a task on a data model, no vocabulary', async () => {
  const m = lab.createTransformer({ dataset: reviews, ...small });
  await assert.rejects(() => m.trainDataset(reviews, { bpttWindow: 5 }), /a Transformer has no bpttWindow/);
  await assert.rejects(() => m.trainDataset(series), /does not fit this series.*createTransformer\(\{ dataset \}\)/);
  await assert.rejects(() => m.trainTask({ task: 'adding', steps: 1 }), /does not fit task 'adding'.*createTransformer\(\{ task \}\)/);
  assert.throws(() => lab.createTransformer({ dataset: reviews, vocab: 10 }), /dataset decides vocab/);
  const t = lab.createTransformer({ task: 'copy' });
  assert.throws(() => t.predictText('a film'), /no vocabulary: create it with createTransformer\(\{ dataset \}\)/);
  assert.throws(() => t.predict({ B: 1, T: 3, inputs: [0, 1, 0, 0, 1, 1] }), /give batch.tokens, not batch.inputs/);
  t.free();
  m.free();
});
