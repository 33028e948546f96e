// words.test.mjs: the views of issue 18 beyond the step-through (views 3 to 6). The word map of a text model
// (both maps, the search and its neighbours, by keyboard too), every run's reading of the typed review side
// by side, "Fix it" on a Break-it preset (the broken run, the fixed one, both curves and one line on the
// difference), and the training history a loaded checkpoint carries, drawn as from the file. The numbers are
// the core's: here only that the views show them and follow their controls. Data: the IMDB fixture archive
// (tests/fixtures/tar, a few reviews). Screenshots for a person: both themes and a phone's width.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { skip, startLab, openPage, gotoLab, waitIdle, canvasDrawn, settled, shot, ARTIFACTS, WAIT } from './helpers.mjs';

const fixture = (p) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const SETUP = 'task=imdbfile&train=6&val=2&test=6&hidden=8&emb=8&epochs=2&batch=2&lr=0.01';

// The word map chart's state: its points, their radii, and its axis titles.
const mapState = (page) => page.evaluate(() => {
  const ch = window.Chart.getChart(document.getElementById('chart-wordmap'));
  const ds = ch.data.datasets[0];
  return { n: ds?.data.length ?? 0, radius: ds?.pointRadius ?? [], x: ch.options.scales.x.title.text, y: ch.options.scales.y.title.text };
});
// Every run's reading: its columns (runs), its rows (words) and the cells of each row.
const readallShape = (page) => page.evaluate(() => {
  const t = document.getElementById('readall');
  const rows = [...(t.tBodies[0]?.rows ?? [])];
  return { runs: (t.tHead?.rows[0]?.cells.length ?? 1) - 1, words: rows.map((r) => r.cells[0].textContent), cells: rows.map((r) => r.cells.length - 1) };
});

async function trainCell(page, cell) {
  await page.check(`input[name="cell"][value="${cell}"]`);
  const before = await page.evaluate(() => window.rnnlab.state.runs.length);
  await page.click('#train');
  await page.waitForFunction((n) => window.rnnlab.state.runs.length > n, before);
  const r = await waitIdle(page);
  assert.equal(r.status, 'done', JSON.stringify(r));
}

test('the word map, every run on one review, Fix it, a loaded model\'s history', { skip, timeout: 1800000 }, async (t) => {
  const { server, browser } = await startLab(t);
  const page = await openPage(browser, server);
  await gotoLab(page, server, SETUP);
  await page.setInputFiles('#file', fixture('tar/imdb_mini_gnu.tar.gz'));
  await page.waitForFunction(() => /6 training/.test(document.getElementById('data-status').textContent), null, { timeout: WAIT });
  await trainCell(page, 'rnn');
  await trainCell(page, 'gru');

  await t.test('the word map: drawn, both maps, the core\'s choice first', async () => {
    await page.waitForSelector('#wordmap-card:not([hidden])');
    await page.waitForFunction(() => window.Chart.getChart(document.getElementById('chart-wordmap')).data.datasets[0]?.data.length > 1);
    assert.ok(await canvasDrawn(page, '#chart-wordmap'));
    const info = await page.textContent('#wm-info');
    assert.match(info, /most frequent words of run \d+ .*share of positive training reviews.*PCA [\d.]+, readout [\d.]+; the clearer one is the (readout|PCA) map/);
    const best = /the readout map/.test(info) ? 'readout' : 'pca';
    let s = await mapState(page);
    assert.match(s.x, best === 'readout' ? /readout direction/ : /first principal axis/);
    // The Map control, by keyboard: focus it and choose the other map with the arrow keys.
    await page.focus('#wm-kind');
    for (const kind of ['readout', 'pca']) {
      await page.selectOption('#wm-kind', kind);
      s = await mapState(page);
      assert.match(s.x, kind === 'readout' ? /readout direction/ : /first principal axis/);
      assert.match(s.y, kind === 'readout' ? /first principal axis/ : /second principal axis/);
    }
    // Fewer words: the map asks the core again.
    const n = s.n;
    await page.selectOption('#wm-n', '100');
    await page.waitForFunction((k) => window.Chart.getChart(document.getElementById('chart-wordmap')).data.datasets[0].data.length <= Math.min(k, 100), n);
  });

  await t.test('search: a word\'s neighbours listed and ringed on the map; Enter and Tab work', async () => {
    const words = await page.evaluate(() => window.Chart.getChart(document.getElementById('chart-wordmap')).options.plugins.tooltip.callbacks
      .title([{ dataIndex: 0 }]));
    assert.ok(words, 'the first word of the map');
    await page.fill('#wm-word', words);
    await page.press('#wm-word', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#wm-neighbours li').length > 0);
    assert.match(await page.textContent('#wm-found'), new RegExp(`Nearest to “${words}”`));
    const s = await mapState(page);
    assert.equal(s.radius[0], 8, 'the searched word is ringed');
    assert.ok(s.radius.filter((r) => r === 6).length >= 1, 'its neighbours are marked');
    // Tab from the search box reaches the Neighbours button, then the first neighbour; Enter searches it.
    const first = (await page.textContent('#wm-neighbours li button')).split(' ')[0];
    await page.focus('#wm-word');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.closest('#wm-neighbours') !== null), true);
    await page.keyboard.press('Enter');
    await page.waitForFunction((w) => document.getElementById('wm-found').textContent.includes(`“${w}”`), first);
    assert.equal(await page.inputValue('#wm-word'), first);
    // A word the model does not know: the core's message, named.
    await page.fill('#wm-word', 'zyzzyva');
    await page.press('#wm-word', 'Enter');
    await page.waitForFunction(() => /'zyzzyva' is not in the model's vocabulary/.test(document.getElementById('wm-found').textContent));
    await page.fill('#wm-word', words);
    await page.press('#wm-word', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#wm-neighbours li').length > 0);
  });

  await t.test('every run reads the review: one column per run, one row per word, following the text', async () => {
    await page.waitForSelector('#readall-card:not([hidden])');
    await page.waitForFunction(() => document.getElementById('readall').tHead?.rows[0]?.cells.length === 3);
    let s = await readallShape(page);
    assert.equal(s.runs, 2);
    assert.ok(s.words.length > 3);
    assert.ok(s.cells.every((c) => c === 2), JSON.stringify(s.cells));
    assert.match(await page.textContent('#readall-info'), /runs (say|disagree)/);
    assert.match(await page.textContent('#readall thead'), /#1 RNN.*P\(positive\) [\d.]+ [+−].*#2 GRU.*P\(positive\) [\d.]+ [+−]/);
    await page.fill('#review', 'a dull start but a wonderful ending');
    await page.waitForFunction((w) => [...document.getElementById('readall').tBodies[0].rows].map((r) => r.cells[0].textContent).join(' ') === w,
      'a dull start but a wonderful ending');
    s = await readallShape(page);
    assert.deepEqual(s.cells, [2, 2, 2, 2, 2, 2, 2]);
    // Every cell is a signed change in P(positive).
    const cells = await page.$$eval('#readall tbody td', (tds) => tds.map((td) => td.textContent));
    assert.equal(cells.length, 14);
    assert.ok(cells.every((c) => /^[+−]\d\.\d\d$/.test(c)), cells.join(' '));
    // A sample button reads the sample with every run.
    await page.click('#samples button >> nth=3');
    await page.waitForFunction(() => document.getElementById('readall').tBodies[0].rows[0].cells[0].textContent === 'the');
  });

  await t.test('screenshots: light, dark, phone width', async () => {
    await page.fill('#review', 'The first hour drags and the acting is weak, but the ending is brilliant and moving.');
    await page.waitForFunction(() => document.getElementById('readall').tBodies[0].rows[1]?.cells[0].textContent === 'first');
    await settled(page);
    await (await page.$('#readall-card')).screenshot({ path: `${ARTIFACTS}words-readall-light.png` });
    await (await page.$('#wordmap-card')).screenshot({ path: `${ARTIFACTS}words-map-light.png` });
    await page.click('#theme');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await settled(page);
    await (await page.$('#readall-card')).screenshot({ path: `${ARTIFACTS}words-readall-dark.png` });
    await (await page.$('#wordmap-card')).screenshot({ path: `${ARTIFACTS}words-map-dark.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await settled(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(wide, false, 'no horizontal scrolling at 390 px');
    await (await page.$('#wordmap-card')).screenshot({ path: `${ARTIFACTS}words-map-phone.png` });
    await (await page.$('#readall-card')).screenshot({ path: `${ARTIFACTS}words-readall-phone.png` });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('#theme');
  });

  await t.test('a loaded model shows its stored training history, labelled as from the file', async () => {
    const steps = await page.evaluate(() => window.rnnlab.state.model.rec.stepsTotal);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-model')]);
    const path = `${ARTIFACTS}words-gru.rnl`;
    await download.saveAs(path);
    const fresh = await openPage(browser, server);
    await gotoLab(fresh, server, SETUP);
    await fresh.setInputFiles('#load-model', path);
    await fresh.waitForFunction(() => /^Loaded words-gru\.rnl/.test(document.getElementById('status').textContent));
    assert.match(await fresh.textContent('#status'), new RegExp(`training history \\(${steps} steps\\) is drawn from the file`));
    const sets = await fresh.evaluate(() => window.Chart.getChart(document.getElementById('chart-loss')).data.datasets
      .filter((d) => !d.isRef).map((d) => ({ label: d.label, n: (d.src ?? d.data).length })));
    assert.ok(sets.length >= 2);
    for (const s of sets) assert.match(s.label, /\(from the file\)$/);
    assert.equal(sets[0].n, steps, 'one training loss point per step');
    assert.equal(sets.find((s) => /validation loss/.test(s.label)).n, 2, 'one validation point per epoch');
    const grad = await fresh.evaluate(() => window.Chart.getChart(document.getElementById('chart-grad')).data.datasets[0]);
    assert.match(grad.label, /from the file/);
    assert.ok(await canvasDrawn(fresh, '#chart-loss'));
    await fresh.screenshot({ path: `${ARTIFACTS}words-history.png` });
    assert.deepEqual(fresh.problems(), []);
    await fresh.close();
  });

  await t.test('Fix it: the broken run, the fixed run, both curves and a one-line diagnosis', async () => {
    await page.click('button:has-text("Fix it: clipping")');
    await page.waitForFunction(() => /Exploding gradients, and the fix/.test(document.getElementById('diagnosis').textContent),
      null, { timeout: 2 * WAIT, polling: 200 });
    const runs = await page.evaluate(() => window.rnnlab.state.runs.filter((r) => r.show)
      .map((r) => ({ status: r.status, clip: r.cfg.clip, label: r.label })));
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => [r.status, r.clip]), [['failed', false], ['done', true]]);
    assert.match(runs[1].label, /clip 1, .*\(the fix\)$/);
    const cmp = await page.evaluate(() => window.Chart.getChart(document.getElementById('chart-cmp')).data.datasets.map((d) => (d.src ?? d.data).length));
    assert.equal(cmp.length, 2, 'two curves in the comparison');
    assert.ok(cmp.every((n) => n > 0));
    const d = await page.textContent('#diagnosis');
    assert.match(d, /trains all 300 steps .* where without the fix the loss became NaN at step \d+/);
    await shot(page, 'words-fixit');
    // Fix it again: the broken run is in the table now, so only the fix trains.
    const before = await page.evaluate(() => window.rnnlab.state.runs.length);
    await page.click('button[data-fix="explode"]');
    await page.waitForFunction((n) => window.rnnlab.state.runs.length === n + 1 && !window.rnnlab.state.running && !window.rnnlab.state.sequence,
      before, { timeout: 2 * WAIT, polling: 200 });
    assert.equal(await page.evaluate(() => window.rnnlab.state.runs.filter((r) => r.show).length), 2);
    page.allowProblem(/NaN|numeric/i);
    assert.deepEqual(page.problems(), []);
  });
});
