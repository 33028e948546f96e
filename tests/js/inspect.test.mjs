// inspect.test.mjs: the inspection views of Model (inspectText, wordMap, neighbours, history) through
// web/rnnlab.js, against the native CLI (`rnnlab inspect --json`, `rnnlab embeddings --json`) on the same
// checkpoint, and against the model's own predictText; the training history recorded by trainDataset,
// kept in checkpoints and equal to the one `rnnlab train --data` records.
// Data: a synthetic reviews CSV made here (no real reviews).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../../web/rnnlab.js';
import { makeReviews } from './reviews.mjs';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const noCli = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;
// Native and WASM round differently (data-train.test.mjs); the CLI prints %.6g.
const RTOL = 1e-4, ATOL = 1e-6;

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-inspect-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const run = (args) => execFileSync(cli, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function close(what, got, want, rtol = RTOL, atol = ATOL) {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(err <= atol + rtol * Math.abs(want[i]), `${what}[${i}]: wasm ${got[i]}, native ${want[i]} (abs err ${err})`);
  }
}

const lab = await RnnLab.load();
const reviews = lab.textCsvDataset(makeReviews(400, 1, { spread: 20, every: 3 }), { maxLen: 20, vocab: 100, seed: 2, name: 'reviews.csv' });
writeFileSync(join(dir, 'reviews.rnld'), reviews.toBytes());
const TEXT = 'the film was wonderful but the plot was dull and boring';

test('trainDataset records the history of `rnnlab train --data`, and checkpoints keep it', { skip: noCli }, async () => {
  run(['init', '--data', 'reviews.rnld', '--cell', 'gru', '--hidden', '8', '--embed', '8', '--seed', '3', '--out', 'g.rnl', '--force']);
  run(['train', '--model', 'g.rnl', '--data', 'reviews.rnld', '--epochs', '2', '--batch', '32', '--seed', '5', '--json']);
  const m = lab.createModel({ cell: 'gru', hidden: 8, embed: 8, dataset: reviews, seed: 3 });
  assert.deepEqual(m.history(), []);
  const r = await m.trainDataset(reviews, { epochs: 2, batchSize: 32, seed: 5 });
  const h = m.history(), native = lab.loadCheckpoint(readFileSync(join(dir, 'g.rnl'))).history();
  assert.equal(h.length, r.steps);
  assert.deepEqual(h.map((p) => p.step), Array.from({ length: r.steps }, (_, i) => i + 1));
  assert.deepEqual(h.map((p) => p.step), native.map((p) => p.step));
  close('history loss', h.map((p) => p.loss), native.map((p) => p.loss));
  close('history grad norm', h.map((p) => p.gradNorm), native.map((p) => p.gradNorm));
  // The validation check after each epoch sits on the epoch's last step, nowhere else.
  const perEpoch = r.steps / 2, withVal = h.filter((p) => p.valLoss !== null).map((p) => p.step);
  assert.deepEqual(withVal, [perEpoch, 2 * perEpoch]);
  close('validation loss on the history', withVal.map((s) => h[s - 1].valLoss), withVal.map((s) => native[s - 1].valLoss));
  // A checkpoint keeps it (flag bit 2); a model saved before training has none and the old layout.
  const again = lab.loadCheckpoint(m.saveCheckpoint());
  assert.deepEqual(again.history(), h);
  assert.equal(m.saveCheckpoint()[12] & 4, 4);
  const fresh = lab.createModel({ cell: 'gru', hidden: 8, embed: 8, dataset: reviews, seed: 3 });
  assert.equal(fresh.saveCheckpoint()[12] & 4, 0);
  for (const x of [m, again, fresh]) x.free();
});

test('inspectText: the numbers of `rnnlab inspect --json` and of predictText', { skip: noCli }, () => {
  for (const cell of ['lstm', 'gru', 'rnn']) {
    run(['init', '--data', 'reviews.rnld', '--cell', cell, '--hidden', '6', '--embed', '8', '--seed', '4', '--out', `${cell}.rnl`, '--force']);
    run(['train', '--model', `${cell}.rnl`, '--data', 'reviews.rnld', '--epochs', '1', '--batch', '32']);
    const m = lab.loadCheckpoint(readFileSync(join(dir, `${cell}.rnl`)));
    for (const dataset of [null, reviews]) {
      const flags = dataset ? ['--data', 'reviews.rnld', '--reviews', '30'] : [];
      const want = JSON.parse(run(['inspect', '--model', `${cell}.rnl`, '--text', TEXT, '--units', '0,5', '--label', '1', '--json', ...flags]));
      const got = m.inspectText(TEXT, { units: [0, 5], label: 1, dataset, reviews: 30 });
      assert.deepEqual(got.tokens.map((t) => t.word), want.tokens.map((t) => t.word));
      assert.deepEqual(got.paths, Object.keys(want.tokens[0].paths));
      close(`${cell}: P(positive) after each word`, got.tokens.map((t) => t.positive), want.tokens.map((t) => t.positive));
      close(`${cell}: ||dL/dh_t||`, got.tokens.map((t) => t.gradH), want.tokens.map((t) => t.grad_h));
      close(`${cell}: paths`, got.tokens.flatMap((t) => Object.values(t.paths)), want.tokens.flatMap((t) => Object.values(t.paths)));
      close(`${cell}: gates`, got.tokens.flatMap((t) => t.units.flatMap((u) => u.gates)), want.tokens.flatMap((t) => t.units.flatMap((u) => u.gates)));
      close(`${cell}: pre-activations`, got.tokens.flatMap((t) => t.units.flatMap((u) => u.pre)),
        want.tokens.flatMap((t) => t.units.flatMap((u) => u.pre)), RTOL, 1e-5);
      // The state map: same PCA (the sign rule makes the axes the same on both builds).
      close(`${cell}: the state path`, got.tokens.flatMap((t) => t.xy), want.tokens.flatMap((t) => t.xy), 1e-3, 1e-4);
      close(`${cell}: explained`, got.projection.explained, want.projection.explained, 1e-3, 1e-4);
      assert.equal(got.projection.fittedOn, dataset ? 'dataset' : 'text');
      if (dataset) {
        assert.equal(got.cloud.labels.length, 30);
        assert.deepEqual(Array.from(got.cloud.labels), want.cloud.map((p) => p.label));
        close(`${cell}: the cloud`, got.cloud.xy, want.cloud.flatMap((p) => p.xy), 1e-3, 1e-4);
      } else {
        assert.equal(got.cloud, null);
      }
    }
    // Against the model's own per-word predictions.
    const p = m.predictText(TEXT), got = m.inspectText(TEXT);
    close(`${cell}: against predictText`, got.tokens.map((t) => t.positive), Array.from(p.stepProbabilities), 1e-5, 1e-6);
    assert.equal(got.units.length, 3);
    assert.equal(got.tokens[0].units[0].gates.length, { rnn: 1, lstm: 4, gru: 3 }[cell]);
    m.free();
  }
});

test('wordMap and neighbours: the numbers of `rnnlab embeddings --json`', { skip: noCli }, () => {
  const m = lab.loadCheckpoint(readFileSync(join(dir, 'lstm.rnl')));
  const want = JSON.parse(run(['embeddings', '--model', 'lstm.rnl', '--words', '20', '--neighbours', '4', '--json']));
  const got = m.wordMap(20);
  assert.deepEqual(got.words, want.map.map((w) => w.word));
  assert.equal(got.best, want.best);
  close('effect', got.effect, want.map.map((w) => w.effect));
  close('pca map', got.pca, want.map.flatMap((w) => w.pca), 1e-3, 1e-4);
  close('readout map', got.readout, want.map.flatMap((w) => w.readout), 1e-3, 1e-4);
  close('separation', [got.separation.pca, got.separation.readout], [want.separation.pca, want.separation.readout], 1e-3, 1e-4);
  assert.equal(got.dataSeparation, null);
  // With the model's data set: each map against the words' polarity in the training reviews, and the
  // better map chosen by it, as `rnnlab embeddings --data`.
  const withData = JSON.parse(run(['embeddings', '--model', 'lstm.rnl', '--words', '20', '--data', 'reviews.rnld', '--json']));
  const gotData = m.wordMap(20, { dataset: reviews });
  close('data separation', [gotData.dataSeparation.pca, gotData.dataSeparation.readout],
    [withData.data_separation.pca, withData.data_separation.readout], 1e-3, 1e-4);
  assert.equal(gotData.best, withData.best);
  close('the same map with data', gotData.pca, got.pca, 1e-12, 0);
  const nb = m.neighbours(want.map[3].word, 4);
  assert.deepEqual(nb.map((n) => n.word), want.map[3].neighbours.map((n) => n.word));
  close('cosines', nb.map((n) => n.cos), want.map[3].neighbours.map((n) => n.cos), 1e-3, 1e-4);
  m.free();
});

test('inspection refusals name the problem', () => {
  const m = lab.createModel({ cell: 'lstm', hidden: 4, embed: 4, dataset: reviews, seed: 1 });
  assert.throws(() => m.inspectText('a film', { units: [4] }), /inspectText: units\[i\] is 4/);
  assert.throws(() => m.inspectText('a film', { label: 2 }), /label/);
  assert.throws(() => m.inspectText('a film', { layer: 1 }), /layer/);
  assert.throws(() => m.inspectText('a film', { color: 1 }), /color/);
  assert.throws(() => m.neighbours('zyzzyva'), /'zyzzyva' is not in the model's vocabulary/);
  assert.throws(() => m.wordMap(1), /wordMap: n/);
  assert.throws(() => m.wordMap(5, { colour: 1 }), /colour/);
  const other = lab.textCsvDataset(makeReviews(60, 7, { spread: 20, every: 3 }), { maxLen: 20, vocab: 10, seed: 2, name: 'other.csv' });  // 12 words, not the model's
  assert.throws(() => m.wordMap(5, { dataset: other }), /wordMap|vocab/);
  other.free();
  m.free();
  const t = lab.createModel({ cell: 'gru', task: 'copy', hidden: 4 });
  assert.throws(() => t.inspectText('a film'), /inspectText: the model has no vocabulary/);
  assert.throws(() => t.neighbours('film'), /neighbours: the model has no vocabulary/);
  t.free();
});
