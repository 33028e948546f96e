// longrun.test.mjs: a long data run in the page, on a small fixture made here (never real data): the
// "IMDB, all 25,000 reviews" choice takes a dropped prepared file; the estimate after the first batches
// (the memory figure the core's) and the progress inside the epoch are shown; after each epoch a checkpoint
// is kept in IndexedDB, so a tab closed in epoch 2 offers "Resume epoch 2" on the next visit and ends with
// the same bytes and validation figures as a run that never stopped; a damaged stored checkpoint is named
// and not loaded.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RnnLab } from '../../web/rnnlab.js';
import { skip, startLab, openPage, gotoLab, waitIdle } from './helpers.mjs';

const SHOTS = process.env.RNL_SHOTS ?? tmpdir();

// Reviews of a few telling words each, enough of them that an epoch has a few hundred batches.
async function fixtureFile() {
  const lab = await RnnLab.load();
  const words = { pos: ['good', 'great', 'fine', 'loved', 'wonderful', 'superb'], neg: ['bad', 'awful', 'dull', 'hated', 'terrible', 'boring'] };
  const filler = ['the', 'film', 'was', 'a', 'story', 'and', 'actors', 'of', 'it', 'plot'];
  const rows = ['text,label'];
  for (let i = 0; i < 2400; i++) {
    for (const label of ['pos', 'neg']) {
      const w = [];
      for (let k = 0; k < 40 + (i % 30); k++) w.push(k % 9 === 4 ? words[label][(i + k) % 6] : filler[(i * 7 + k * 3) % 10]);
      rows.push(`"${w.join(' ')}",${label}`);
    }
  }
  const ds = lab.textCsvDataset(rows.join('\n'), { vocab: 40, maxLen: 80 });
  const bytes = Buffer.from(ds.toBytes());
  ds.free();
  return { name: 'reviews-fixture.rnld', mimeType: 'application/octet-stream', buffer: bytes };
}

const QUERY = 'task=imdbfull&cell=gru&emb=16&hidden=24&epochs=2&batch=8&lr=0.01&seed=5';

async function dropFixture(page, file) {
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => /training, .* validation and .* test reviews/.test(document.getElementById('data-status').textContent),
    null, { timeout: 60000 });
}

const finalState = (page) => page.evaluate(() => {
  const r = window.rnnlab.state.model.rec;
  return { status: r.status, label: r.label, steps: r.stepsTotal, val: r.val.map((p) => [p.x, p.y]), valAcc: r.valAcc.map((p) => [p.x, p.y]),
    bytes: r.snapshot ? Array.from(r.snapshot) : null, test: r.test };
});

test('a long data run: estimate, progress inside the epoch, a checkpoint per epoch, resume after a closed tab', { skip, timeout: 900000 }, async (t) => {
  const { server, browser } = await startLab(t);
  const file = await fixtureFile();

  // The run that never stops, in its own browser context (its own IndexedDB).
  const whole = await openPage(browser, server);
  await gotoLab(whole, server, QUERY);
  assert.equal(await whole.inputValue('#task'), 'imdbfull');
  assert.match(await whole.textContent('#status'), /No data yet: drop the IMDB archive .* or give the Data URL of a prepared full file/);
  await dropFixture(whole, file);
  assert.equal(await whole.inputValue('#task'), 'imdbfull', 'a dropped prepared file keeps the full-set choice');
  await whole.click('#train');
  // The estimate, after the first batches: the epoch's time and the core's memory figure.
  await whole.waitForFunction(() => /^Estimate from the first \d+ batches: about .* an epoch of [\d,]+ batches, then its validation\. Memory: training takes \d+ MB/
    .test(document.getElementById('estimate-line').textContent), null, { timeout: 120000, polling: 20 });
  const est = await whole.evaluate(() => window.rnnlab.state.model.rec.estimate);
  assert.ok(est.epochSeconds > 0 && est.memory.training > 0 && est.memory.memoryBytes >= est.memory.training, JSON.stringify(est));
  // Progress inside the epoch.
  await whole.waitForFunction(() => /^Epoch [12] of 2: batch [\d,]+ of [\d,]+, .* left in this epoch/.test(document.getElementById('epoch-line').textContent),
    null, { timeout: 120000, polling: 20 });
  const a = await waitIdle(whole);
  assert.equal(a.status, 'done');
  const A = await finalState(whole);
  assert.equal(A.val.length, 2);
  assert.match(await whole.textContent('#stat-memory'), /^\d+ MB$/);
  // The full-set defaults: dropout, a cosine schedule with warm-up (its curve computed by the core), keep-best.
  assert.match(A.label, /cosine, dropout 0\.4/);
  // After the run, the curve is that of "Train more": it continues the model's schedule from its next step.
  assert.match(await whole.textContent('#lr-hint'),
    /^Steps [\d,]+ to [\d,]+, [\d,]+ steps an epoch \(Train more continues the current model: its schedule runs from its first step\): the rate goes from /);
  assert.ok(await whole.evaluate(() => window.Chart.getChart(document.getElementById('chart-lr')).data.datasets[0].src.length) > 10);
  // The best epoch: a star on the validation curve, in the status line, and "Restore best epoch".
  const best = await whole.evaluate(() => window.rnnlab.state.model.rec.best);
  assert.ok(best.epoch >= 1 && best.epoch <= 2 && A.val.some(([x]) => x === best.step), JSON.stringify(best));
  assert.ok(await whole.evaluate(() => window.Chart.getChart(document.getElementById('chart-acc')).data.datasets
    .some((d) => /^best epoch \(\d\)$/.test(d.label) && d.src.length === 1)));
  assert.match(await whole.textContent('#status'), /Best epoch: \d \(validation accuracy [\d.]+\)/);
  await whole.click('#restore-best');
  await whole.waitForFunction(() => /^Restored the model of epoch \d \(step \d+, validation accuracy [\d.]+\): test accuracy/
    .test(document.getElementById('status').textContent));
  const restoredStatus = await whole.textContent('#status');
  assert.deepEqual(whole.problems(), []);
  await whole.close();

  // The same run in a tab closed during epoch 2, after the checkpoint of epoch 1 was kept.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const first = await context.newPage();
  await gotoLab(first, server, QUERY);
  await dropFixture(first, file);
  await first.click('#train');
  await first.waitForFunction(() => window.rnnlab.state.model?.rec?.kept === 1, null, { timeout: 300000, polling: 10 });
  const stoppedAt = await first.evaluate(() => window.rnnlab.state.model.rec.stepsTotal);
  await first.close({ runBeforeUnload: false });

  const second = await context.newPage();
  await gotoLab(second, server, QUERY);
  await second.waitForSelector('#resume-box:not([hidden])');
  assert.match(await second.textContent('#resume-text'), /A run stopped after its checkpoint: .*epoch 1 of 2, validation accuracy [\d.]+ \(best: epoch 1\); kept /);
  assert.equal(await second.textContent('#resume-run'), 'Resume epoch 2');
  await second.screenshot({ path: join(SHOTS, 'longrun-resume.png'), fullPage: false });
  // Its data was a dropped file: the page asks for it, then resumes.
  await second.click('#resume-run');
  await second.waitForFunction(() => /To resume, the page needs the run's data first/.test(document.getElementById('resume-text').textContent));
  await dropFixture(second, file);
  await second.click('#resume-run');
  const b = await waitIdle(second);
  assert.equal(b.status, 'done');
  const B = await finalState(second);
  assert.ok(B.steps > stoppedAt);
  assert.equal(B.steps, A.steps);
  assert.deepEqual(B.val, A.val, 'the validation figures of both epochs, as the uninterrupted run');
  assert.deepEqual(B.valAcc, A.valAcc);
  assert.ok(B.bytes && A.bytes && B.bytes.length === A.bytes.length, 'both checkpoints');
  assert.ok(B.bytes.every((x, i) => x === A.bytes[i]), 'the resumed run ends with the bytes of the uninterrupted one');
  assert.deepEqual(B.test, A.test);
  // keepBest went on from the kept record (resumeBest): the same best epoch, and Restore best gives its model.
  const bestB = await second.evaluate(() => window.rnnlab.state.model.rec.best);
  assert.deepEqual([bestB.epoch, bestB.step, bestB.loss], [best.epoch, best.step, best.loss]);
  await second.click('#restore-best');
  await second.waitForFunction(() => /^Restored the model of epoch \d/.test(document.getElementById('status').textContent));
  assert.equal(await second.textContent('#status'), restoredStatus);
  await second.close({ runBeforeUnload: false });

  // A damaged checkpoint in IndexedDB: named, never loaded.
  const third = await context.newPage();
  await third.goto(server.url);
  await third.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await third.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('rnnlab', 2);
    req.onsuccess = () => {
      const tx = req.result.transaction('checkpoints', 'readwrite'), store = tx.objectStore('checkpoints');
      store.getAllKeys().onsuccess = (e) => {
        const keys = e.target.result.sort(), key = keys[keys.length - 1];
        store.get(key).onsuccess = (g) => {
          const v = g.target.result;
          v.bytes[v.bytes.length >> 1] ^= 0x40;
          store.put(v, key);
        };
      };
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    };
  }));
  await third.reload();
  await third.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await third.waitForSelector('#resume-box:not([hidden])');
  assert.match(await third.textContent('#resume-text'), /A checkpoint kept in this browser is damaged \(its [\d,]+ bytes no longer match the fingerprint saved with them\): it was not loaded/);
  assert.equal(await third.isVisible('#resume-run'), false);
  assert.equal(await third.evaluate(() => window.rnnlab.state.model), null);
  await third.click('#resume-discard');
  await third.waitForSelector('#resume-box', { state: 'hidden' });
});
