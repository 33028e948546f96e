// presets.test.mjs: the "Break it" presets. Exploding gradients (a vanilla RNN, plain SGD at learning
// rate 1, no clipping) stops at a NaN and the page says why, with the core's message, keeps the last good
// parameters and marks the step on the gradient chart. The comparison presets run one model per
// configuration on the same data and seed, fill the comparison chart and table, and Stop ends the queue.
// "RNN vs LSTM vs GRU" sets its own length (30), where the cells differ, whatever the page had; the
// headline of "Slow convergence" reports the run the status reports (Adam) against plain SGD.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, waitIdle, shot, WAIT } from './helpers.mjs';

test('break-it presets', { skip, timeout: 1500000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('exploding gradients: training stops at the NaN, with the diagnosis and the core\'s message', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    await page.click('button[data-preset="explode"]');
    const r = await waitIdle(page);
    assert.equal(r.status, 'failed');
    assert.ok(r.steps > 0 && r.steps < 300, `stopped early (${r.steps} steps)`);
    assert.equal(r.error.code, 'RNL_ERR_NUMERIC');
    const d = await page.textContent('#diagnosis');
    assert.match(d, /Exploding gradients: training stopped at step \d+ because the loss became NaN or infinite/);
    assert.match(d, /turn gradient clipping on/);
    assert.match(d, /The core said: “numeric fault: step \d+: the loss is (infinite|NaN)/);
    assert.equal(await page.evaluate(() => document.getElementById('diagnosis').className), 'diagnosis error');
    assert.match(await page.textContent('#status'), /Failed \(numeric fault\).*The last good parameters are kept/);
    // The set-up of the preset is in the form and the URL.
    assert.equal(await page.isChecked('input[name="clip"]'), false);
    assert.equal(await page.inputValue('select[name="opt"]'), 'sgd');
    assert.equal(new URL(page.url()).searchParams.get('lr'), '1');
    // The last good model is kept: it can be saved and traced.
    assert.equal(await page.isEnabled('#save-model'), true);
    assert.equal(await page.evaluate(() => window.rnnlab.state.model.rec.nan.length), 1, 'the NaN step is marked');
    assert.match(await page.textContent('#runs tbody'), /NaN: stopped/);
    await shot(page, 'preset-explode');

    // The fix: clipping on and a smaller learning rate, on a new model: no NaN.
    await page.check('input[name="clip"]');
    await page.fill('input[name="lr"]', '0.1');
    await page.click('#reset');
    await page.click('#train');
    const fixed = await waitIdle(page);
    assert.equal(fixed.status, 'done');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a comparison preset queues one fresh model per configuration; Stop ends the queue', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    await page.click('button[data-preset="vanish"]');
    // Its first held-out point (step 50) before the pause, so that the stopped run has a curve to compare.
    await page.waitForFunction(() => window.rnnlab.state.model?.rec.val.length > 0, null, { timeout: WAIT, polling: 100 });
    await page.click('#pause');  // paused, the first run cannot end by itself
    await page.waitForFunction(() => document.getElementById('pause').getAttribute('aria-pressed') === 'true');
    assert.deepEqual(await page.evaluate(() => [window.rnnlab.state.sequence.runs.length, window.rnnlab.state.sequence.index]), [2, 0]);
    assert.match(await page.textContent('#status'), /run 1 of 2/);
    assert.equal(await page.evaluate(() => window.rnnlab.state.cfg.cell), 'rnn');
    await page.click('#stop');
    await page.waitForFunction(() => !window.rnnlab.state.running && !window.rnnlab.state.sequence);
    assert.equal(await page.evaluate(() => window.rnnlab.state.runs.length), 1, 'Stop ended the whole queue');
    // RNN vs LSTM vs GRU: three rows, three curves. The page is left at length 10 (where all three cells
    // learn) and 30 steps: the preset sets its own length and steps, where the cells differ (issue 14).
    await page.fill('input[name="len"]', '10');
    await page.fill('input[name="steps"]', '30');
    await page.locator('#config input[name="steps"]').blur();
    await page.click('button[data-preset="cells"]');
    await page.waitForFunction(() => !window.rnnlab.state.sequence && window.rnnlab.state.runs.length === 4, null, { timeout: 600000 });
    const cells = await page.evaluate(() => window.rnnlab.state.runs.slice(1).map((r) => [r.cfg.cell, r.status, r.stepsTotal, r.cfg.seed, r.cfg.len]));
    assert.deepEqual(cells, [['rnn', 'done', 1000, 1, 30], ['lstm', 'done', 1000, 1, 30], ['gru', 'done', 1000, 1, 30]]);
    const curves = await page.evaluate(() => window.Chart.getChart(document.getElementById('chart-cmp')).data.datasets.length);
    assert.equal(curves, 4);
    const head = await page.textContent('#diagnosis');
    assert.match(head, /Compared: .*RNN.*LSTM.*GRU/);
    // And they differ there: the RNN stays at the baseline, the gated cells learn.
    assert.match(head, /Vanishing gradients: at length 30, after 1000 steps on the same batches, RNN \([\d.e-]+\) stayed near always predicting 1/);
    assert.match(head, /while LSTM \([\d.e-]+\) and GRU \([\d.e-]+\) learned/);
    await page.locator('#cmp-h').scrollIntoViewIfNeeded();
    await shot(page, 'preset-compare', { fullPage: false });
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('slow convergence: the headline reports the run the status reports (Adam) and names slow convergence', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    await page.click('button[data-preset="slow"]');
    await page.waitForFunction(() => !window.rnnlab.state.sequence && window.rnnlab.state.runs.length === 2 && !window.rnnlab.state.running,
      null, { timeout: 600000 });
    const runs = await page.evaluate(() => window.rnnlab.state.runs.map((r) => [r.cfg.opt, r.status, r.stepsTotal]));
    assert.deepEqual(runs, [['sgd', 'done', 1000], ['adam', 'done', 1000]]);
    const status = await page.textContent('#status');
    const adam = /^Done after 1000 steps .*: test loss (\S+)\.$/.exec(status)?.[1];
    assert.ok(adam, `the status reports the last run, Adam: ${status}`);
    const head = await page.textContent('#diagnosis');
    assert.match(head, new RegExp(`Slow convergence \\(plain SGD\\): Adam, the run above, reached a test MSE of ${adam.replace('.', '\\.')} in 1000 steps`));
    const sgd = await page.evaluate(() => window.rnnlab.state.runs[0].test.loss);
    assert.ok(sgd > 2 * Number(adam), `SGD ${sgd}, Adam ${adam}: the preset shows what it claims`);
    assert.match(head, /plain SGD at the same learning rate \(0\.01\), on the same model and batches, only [\d.]+ in 1000/);
    assert.doesNotMatch(head.split('Compared:')[0], /^\s*Learned/);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });
});
