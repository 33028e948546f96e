// train.test.mjs: training in the page. A short run updates the loss and gradient charts with one point
// per step and held-out points; the gate heatmap and the ||dL/dh_t|| chart render for a task sequence
// (and follow the gate and layer selectors, and the keyboard); pause stops the step count, resume
// continues it, stop ends the run and keeps the model; Train again continues the same model.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, waitIdle, waitSteps, chartPoints, canvasDrawn, shot, settled } from './helpers.mjs';

test('training in the page', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('a short run updates the loss chart, the gradient chart and the table', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=20&steps=60&cell=lstm&hidden=16');
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done');
    assert.equal(r.steps, 60);
    assert.equal(r.train, 60, 'one point per step');
    assert.ok(r.val >= 3, 'held-out evaluations');
    assert.ok(Number.isFinite(r.test.loss));
    assert.equal(await chartPoints(page, 'chart-loss', 0), 60);
    assert.equal(await chartPoints(page, 'chart-loss', 2), r.val);
    assert.equal(await chartPoints(page, 'chart-grad', 0), 60);
    assert.ok(await canvasDrawn(page, '#chart-loss'));
    assert.match(await page.textContent('#status'), /Done after 60 steps/);
    assert.equal(await page.textContent('#stat-step'), '60');
    assert.match(await page.textContent('#stat-speed'), /^[\d,]+$/, 'sequences per second shown');
    assert.equal(await page.locator('#runs tbody tr').count(), 1);
    assert.match(await page.textContent('#diagnosis'), /Diagnosis|MSE|loss/);
    assert.equal(await page.textContent('#train'), 'Train more');

    // The heatmap and the gradient through time, for a task sequence.
    await page.waitForFunction(() => document.getElementById('trace-info').textContent.includes('Target'));
    assert.ok(await canvasDrawn(page, '.heatmap-canvas'));
    const dh = await page.evaluate(() => {
      const ch = window.Chart.getChart(document.getElementById('chart-dh'));
      return { labels: ch.data.labels.length, values: ch.data.datasets[0].data.filter((v) => v > 0).length };
    });
    assert.equal(dh.labels, 20);
    assert.equal(dh.values, 20);
    const gates = await page.$$eval('#trace-gate option', (os) => os.map((o) => o.value));
    assert.deepEqual(gates, ['f', 'i', 'o', 'g', 'state']);
    await page.selectOption('#trace-gate', 'state');
    assert.match(await page.textContent('#heatmap-scale'), /cell state/);
    // Keyboard: focus the heatmap, move, read the value.
    await page.focus('.heatmap-canvas');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    assert.match(await page.textContent('.heatmap-readout'), /^unit 1, step 2 '[\d.]+'.*: cell state c = -?[\d.e-]+$/);
    await shot(page, 'train-task');
    await page.locator('#inside-h').scrollIntoViewIfNeeded();
    await shot(page, 'train-inside', { fullPage: false });

    // Train more continues the same model.
    await page.fill('input[name="steps"]', '20');
    await page.click('#train');
    const r2 = await waitIdle(page);
    assert.equal(r2.steps, 80);
    assert.equal(await page.locator('#runs tbody tr').count(), 1);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('pause stops the steps, resume continues, stop keeps the model', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=30&steps=100000&cell=gru&hidden=16');
    await page.click('#train');
    await waitSteps(page, 20);
    await page.click('#pause');
    // The Worker answers Pause once its run has stopped between two steps and posted every step it took,
    // so the page then holds them all: the count must not move until Resume.
    await page.waitForFunction(() => document.getElementById('pause').getAttribute('aria-pressed') === 'true');
    const a = await page.evaluate(() => window.rnnlab.state.model.rec.train.length);
    assert.equal(await page.textContent('#stat-step'), String(a), 'the page shows the step it paused at');
    assert.equal(await page.textContent('#pause'), 'Resume');
    // While paused, the gates can be traced (a round trip through the Worker, behind any step it would
    // post) and the model saved.
    await page.evaluate(() => (document.getElementById('trace-info').textContent = ''));  // wait for this trace's answer
    await page.click('#trace');
    await page.waitForFunction(() => document.getElementById('trace-info').textContent.includes('Target'));
    await settled(page);
    const b = await page.evaluate(() => window.rnnlab.state.model.rec.train.length);
    assert.equal(b, a, 'no steps while paused');
    await page.click('#pause');
    await waitSteps(page, b + 10);
    await page.click('#stop');
    const r = await waitIdle(page);
    assert.equal(r.status, 'stopped');
    assert.ok(r.steps >= b + 10 && r.steps < 100000);
    assert.match(await page.textContent('#status'), /Stopped after \d+ steps/);
    assert.equal(await page.isEnabled('#save-model'), true, 'the stopped model can be saved');
    assert.equal(await page.textContent('#train'), 'Train more');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });
});
