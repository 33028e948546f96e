// seq2seq.test.mjs: the sequence-to-sequence view. A link opens it with its settings (and writes them
// back); both models, without and with attention, train side by side in the Worker and each gets loss
// and held-out accuracy points; a typed input is decoded by both and the attention model's weights are
// drawn as an output x input heatmap of that input's shape; the tabs switch views; embed mode hides the
// groups a course asks it to. Screenshots at desktop and phone width, light and dark, go to tests/artifacts/.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, chartPoints, canvasDrawn, shot, unlabelled } from './helpers.mjs';

// Waits until the view is not training, and returns its last run.
async function waitS2sIdle(page, timeout = 180000) {
  await page.waitForFunction(() => {
    const s = window.rnnlab.s2s;
    return !s.running && !s.sequence && s.runs.length > 0;
  }, null, { timeout, polling: 200 });
  return page.evaluate(() => {
    const r = window.rnnlab.s2s.runs.at(-1);
    return { status: r.status, steps: r.steps, test: r.test, plainSeq: r.m.plain.seq.length, attnSeq: r.m.attn.seq.length };
  });
}

test('the sequence-to-sequence view', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('a link opens the view; both models train; a typed input gets its attention heatmap', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=reverse&len=6&hidden=24&steps=150&attn=additive');
    assert.equal(await page.isVisible('#view-s2s'), true);
    assert.equal(await page.isVisible('#view-lab'), false);
    assert.equal(await page.getAttribute('#tab-s2s', 'aria-selected'), 'true');
    assert.equal(await page.inputValue('#s2s-len'), '6');
    assert.equal(await page.inputValue('#s2s-config select[name="attn"]'), 'additive');
    assert.equal(await page.isChecked('#s2s-config input[name="cell"][value="gru"]'), true);
    assert.equal(new URL(page.url()).search, '?task=reverse&len=6&hidden=24&attn=additive&steps=150');
    assert.deepEqual(await unlabelled(page, '#view-s2s'), [], 'every control of the view has a label');

    await page.click('#s2s-train');
    const r = await waitS2sIdle(page);
    assert.equal(r.status, 'done');
    assert.equal(r.steps, 150);
    for (const k of ['plain', 'attn']) {
      for (const m of ['sequenceAccuracy', 'tokenAccuracy']) assert.ok(r.test[k][m] >= 0 && r.test[k][m] <= 1, `${k} ${m}`);
    }
    // Both models' curves: training loss (one point per step) and held-out accuracy (every few steps).
    assert.ok(r.plainSeq >= 10 && r.attnSeq >= 10, `held-out points: ${r.plainSeq}, ${r.attnSeq}`);
    const loss = await page.evaluate(() => window.Chart.getChart(document.getElementById('s2s-chart-loss')).data.datasets.map((d) => d.label));
    assert.deepEqual(loss, ['without attention: training', 'without attention: held-out', 'with attention: training', 'with attention: held-out']);
    assert.equal(await chartPoints(page, 's2s-chart-loss', 0), 150);
    assert.equal(await chartPoints(page, 's2s-chart-loss', 2), 150);
    assert.equal(await chartPoints(page, 's2s-chart-acc', 0), r.plainSeq, 'sequence accuracy without attention');
    assert.equal(await chartPoints(page, 's2s-chart-acc', 2), r.attnSeq, 'sequence accuracy with attention');
    assert.ok(await canvasDrawn(page, '#s2s-chart-acc'));
    assert.match(await page.textContent('#s2s-status'), /Done after 150 steps/);
    assert.match(await page.textContent('#s2s-stat-speed'), /^[\d,]+$/, 'sequences per second shown');
    assert.match(await page.textContent('#s2s-stat-time'), /^\d+\.\d s$/);
    assert.equal(await page.locator('#s2s-runs tbody tr').count(), 1);
    assert.equal(await page.textContent('#s2s-train'), 'Train both more');

    // A typed input: both outputs, and a heatmap of output steps x input characters.
    await page.fill('#s2s-input', 'jihgf');
    await page.waitForFunction(() => document.querySelector('#s2s-heatmap .heatmap-canvas').dataset.cols === '5');
    const shape = await page.evaluate(() => {
      const c = document.querySelector('#s2s-heatmap .heatmap-canvas');
      const d = window.rnnlab.s2s.last;
      return { rows: Number(c.dataset.rows), cols: Number(c.dataset.cols), outputs: d.attn.outputTokens.length, inputs: d.attn.inputTokens.join('') };
    });
    assert.equal(shape.inputs, 'jihgf');
    assert.equal(shape.cols, 5);
    assert.equal(shape.rows, shape.outputs);
    assert.ok(shape.rows >= 1);
    assert.ok(await canvasDrawn(page, '#s2s-heatmap .heatmap-canvas'), 'the heatmap has pixels');
    assert.notEqual(await page.textContent('#s2s-out-attn'), '–');
    assert.notEqual(await page.textContent('#s2s-out-plain'), '–');
    assert.equal(await page.textContent('#s2s-out-want'), 'fghij');
    assert.equal(new URL(page.url()).searchParams.get('input'), 'jihgf');
    // Keyboard: the cursor reads a weight, with the output and input characters.
    await page.focus('#s2s-heatmap .heatmap-canvas');
    await page.keyboard.press('ArrowRight');
    assert.match(await page.textContent('#s2s-heatmap .heatmap-readout'), /^output 1 '.+', input 2 'i': attention weight = [\d.e-]+$/);
    // A character the task cannot read: the core's words, naming the character typed, no heatmap.
    await page.fill('#s2s-input', 'abz');
    await page.waitForFunction(() => /“z” \(character 3\) is not one of the task's \d+ symbols a\.\./.test(document.getElementById('s2s-decode-info').textContent));
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('the tabs switch views and the URL follows; embed mode hides groups', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=20');
    assert.equal(await page.isVisible('#view-s2s'), false);
    await page.click('#tab-s2s');
    assert.equal(await page.isVisible('#view-s2s'), true);
    assert.equal(new URL(page.url()).search, '?task=reverse');
    await page.selectOption('#s2s-task', 'dates');
    assert.equal(await page.isChecked('#s2s-config input[name="bi"]'), true, 'dates default to a bidirectional encoder');
    assert.equal(await page.isVisible('#s2s-len'), false);
    assert.equal(await page.inputValue('#s2s-input'), '3 May 1998');
    assert.equal(new URL(page.url()).search, '?task=dates');
    await page.focus('#tab-s2s');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.isVisible('#view-lab'), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-lab');
    assert.equal(new URL(page.url()).search, '?task=adding&len=20');
    assert.deepEqual(page.problems(), []);
    await page.close();

    const embed = await openPage(browser, server, { viewport: { width: 900, height: 900 } });
    await gotoLab(embed, server, 'embed=1&hide=tabs,training,notes&task=dates');
    const visible = { '#view-s2s': true, 'nav.views': false, '#s2s-config fieldset[data-group="training"]': false, '#s2s-notes': false,
      '#s2s-config fieldset[data-group="model"]': true, '#s2s-train': true, '#s2s-heatmap': true };
    for (const [sel, want] of Object.entries(visible)) assert.equal(await embed.isVisible(sel), want, sel);
    const q = new URL(embed.url()).searchParams;
    assert.deepEqual([q.get('task'), q.get('embed'), q.get('hide')], ['dates', '1', 'tabs,training,notes']);
    assert.deepEqual(embed.problems(), []);
    await embed.close();
  });

  await t.test('screenshots: desktop and phone, light and dark', async () => {
    for (const [name, opts] of [['desktop', { viewport: { width: 1280, height: 900 } }],
      ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]) {
      const page = await openPage(browser, server, { ...opts, colorScheme: 'light' });
      await gotoLab(page, server, 'task=reverse&len=8&steps=120');
      await page.click('#s2s-train');
      await waitS2sIdle(page);
      await page.waitForFunction(() => document.querySelector('#s2s-heatmap .heatmap-canvas').dataset.rows);
      await page.click('#s2s-notes summary');
      for (const scheme of ['light', 'dark']) {
        if (scheme === 'dark') await page.click('#theme');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${name} ${scheme}: the page is ${overflow}px wider than the screen`);
        await shot(page, `s2s-${name}-${scheme}`);
        await page.locator('#s2s-attn-h').scrollIntoViewIfNeeded();
        await shot(page, `s2s-${name}-${scheme}-attention`, { fullPage: false });
      }
      assert.deepEqual(page.problems(), []);
      await page.close();
    }
  });
});
