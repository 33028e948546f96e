// data.test.mjs: real data through the page's own paths, on the repository's hand-made fixtures (nothing
// from IMDB): the fixture archive chosen with the file input (as a student drops aclImdb_v1.tar.gz) is
// parsed in the Worker, trained on, and kept in IndexedDB (a second visit trains without the archive);
// a typed review gets a prediction with one signed change per word, and the gate heatmap and the
// ||dL/dh_t|| chart are drawn over its words; a CSV series trains and draws predicted against actual;
// a CSV with no numbers gets the core's message and leaves the model as it was.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { skip, startLab, openPage, gotoLab, waitIdle, chartPoints, canvasDrawn, shot, WAIT } from './helpers.mjs';

const fixture = (p) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));

test('data sets in the page', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('an IMDB archive chosen in the page: parsed in the Worker, trained, read as typed, cached', async () => {
    const query = 'task=imdbfile&train=6&val=2&test=6&cell=lstm&hidden=8&emb=8&epochs=3&batch=2&lr=0.01';
    const page = await openPage(browser, server);
    await gotoLab(page, server, query);
    assert.match(await page.textContent('#data-status'), /Drop the archive/);
    await page.setInputFiles('#file', fixture('tar/imdb_mini_gnu.tar.gz'));
    await page.waitForFunction(() => /6 training, 2 validation and 6 test reviews/.test(document.getElementById('data-status').textContent),
      null, { timeout: WAIT });
    assert.match(await page.textContent('#data-status'), /kept in this browser/);
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done');
    assert.equal(r.steps, 9, '3 epochs of 3 batches');
    assert.equal(r.val, 3, 'validation after each epoch');
    assert.ok(Number.isFinite(r.test.accuracy));
    assert.equal(await chartPoints(page, 'chart-acc', 1), 3);

    // Try it: a review read as it is typed, with each word's change.
    assert.equal(await page.isVisible('#try-card'), true);
    await page.fill('#review', 'a wonderful film with a terrible ending');
    await page.waitForFunction(() => document.querySelectorAll('#words .word').length === 7);
    const words = await page.$$eval('#words .word', (els) => els.map((e) => [e.querySelector('.w').textContent, e.querySelector('.d').textContent]));
    assert.equal(words[1][0], 'wonderful');
    for (const [, d] of words) assert.match(d, /^[+−]\d\.\d\d$/);
    assert.match(await page.textContent('#verdict-text'), /P\(positive\) = \d+\.\d%/);

    // The inside view follows the typed review: words on the x axis.
    await page.waitForFunction(() => {
      const ch = window.Chart.getChart(document.getElementById('chart-dh'));
      return ch.data.labels.length === 7 && ch.data.labels[1] === 'wonderful';
    }, null, { timeout: WAIT });
    assert.ok(await canvasDrawn(page, '.heatmap-canvas'));
    assert.match(await page.textContent('#trace-info'), /P\(positive\)/);
    await shot(page, 'data-imdb');
    await page.locator('#try-h').scrollIntoViewIfNeeded();
    await shot(page, 'data-try', { fullPage: false });
    assert.deepEqual(page.problems(), []);
    await page.close();

    // A second visit in the same browser: the subset comes from IndexedDB, no archive needed.
    const again = await page.context().newPage();
    await gotoLab(again, server, query);
    await again.waitForFunction(() => /kept in this browser/.test(document.getElementById('data-status').textContent), null, { timeout: WAIT });
    assert.match(await again.textContent('#data-status'), /6 training/);
    await again.close();
  });

  await t.test('a CSV series: trained, predicted against actual; a CSV with no numbers is refused', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=csv&window=5&epochs=3&hidden=8&batch=8&cell=gru');
    await page.setInputFiles('#file', fixture('series/good.csv'));
    await page.waitForFunction(() => /training windows|training, \d+ validation/.test(document.getElementById('data-status').textContent),
      null, { timeout: WAIT });
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done');
    assert.ok(Number.isFinite(r.test.loss));
    assert.equal(await page.isVisible('#pred-card'), true);
    await page.waitForFunction(() => window.Chart.getChart(document.getElementById('chart-pred')).data.datasets.length === 2);
    assert.ok(await chartPoints(page, 'chart-pred', 0) > 0);
    const modelId = await page.evaluate(() => window.rnnlab.state.model.modelId);

    await page.setInputFiles('#file', fixture('series/no_numbers.csv'));
    await page.waitForFunction(() => document.getElementById('data-status').classList.contains('error'));
    assert.match(await page.textContent('#data-status'), /no numeric column/);
    assert.match(await page.textContent('#data-status'), /Your model and data are unchanged/);
    assert.equal(await page.evaluate(() => window.rnnlab.state.model.modelId), modelId);
    assert.equal(await page.textContent('#train'), 'Train more', 'the model trained on the good CSV is still the current one');
    await page.locator('#pred-h').scrollIntoViewIfNeeded();
    await shot(page, 'data-series', { fullPage: false });
    page.allowProblem(/.*/);  // nothing expected, but the refusal is the point here
    await page.close();
  });
});
