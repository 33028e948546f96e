// phone.test.mjs: on a phone (390x844) the run panel is far below the set-up; the run bar keeps Train,
// Pause, Stop, the progress and the loss at the bottom of the screen while the student scrolls. Its buttons
// press the run panel's own (the same run, the same status line), it covers none of the page (the page is
// padded by its height), it reads in both themes, and it is absent at desktop width and in an embedded lab.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, waitIdle, waitSteps, shot, settled, unlabelled } from './helpers.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

const box = (page, sel) => page.evaluate((q) => {
  const r = document.querySelector(q).getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, height: r.height };
}, sel);

// Scrolls so that `sel` is at the top of the screen (as far as the page allows).
const scrollTo = (page, sel) => page.evaluate((q) => document.querySelector(q).scrollIntoView({ block: 'start' }), sel);

test('the run bar on a phone', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  for (const theme of ['light', 'dark']) {
    await t.test(`${theme} theme: scroll, Train from the bar, progress and loss, Stop`, async () => {
      const page = await openPage(browser, server, { ...PHONE, colorScheme: theme });
      await gotoLab(page, server, 'task=adding&len=20&steps=5000&hidden=16');
      assert.equal(await page.isVisible('#run-bar'), true);
      assert.ok((await box(page, '#train')).top > 844, 'the run panel\'s Train is below the first screen');
      assert.deepEqual(await unlabelled(page, '#run-bar'), []);
      assert.equal(await page.getAttribute('#run-bar', 'aria-label'), 'Run bar');
      await shot(page, `phone-${theme}-top`, { fullPage: false });

      // Half-way down, the bar is still at the bottom of the screen.
      await scrollTo(page, '#loss-h');
      assert.ok(await page.evaluate(() => scrollY) > 844);
      const bar = await box(page, '#run-bar');
      assert.equal(Math.round(bar.bottom), 844, 'the bar sits at the bottom of the screen');
      assert.equal(await page.textContent('#bar-train'), 'Train');
      assert.equal(await page.isEnabled('#bar-train'), true);
      assert.equal(await page.isDisabled('#bar-stop'), true);

      await page.click('#bar-train');
      await waitSteps(page, 30);
      await page.waitForFunction(() => Number(document.getElementById('bar-progress').value) > 0
        && /\d/.test(document.getElementById('bar-figure').textContent));
      // Read together (the run goes on between two reads): the bar shows the run panel's loss.
      const [loss, panel] = await page.evaluate(() => ['bar-figure', 'stat-loss'].map((id) => document.getElementById(id).textContent));
      assert.equal(loss, panel, 'the bar shows the run panel\'s loss');
      assert.equal(await page.textContent('#bar-figure-name'), 'Loss');
      assert.equal(await page.isDisabled('#bar-train'), true, 'the same state as the run panel: training');
      assert.equal(await page.isEnabled('#bar-pause'), true);
      await page.waitForFunction((l) => document.getElementById('bar-figure').textContent !== l, loss);  // it follows the run
      await page.waitForFunction(() => Number(document.getElementById('bar-progress').value) >= 0.02);  // a visible part, for the picture
      await settled(page);
      await shot(page, `phone-${theme}-middle`, { fullPage: false });

      // Pause and Resume from the bar: the run panel's Pause, pressed.
      await page.click('#bar-pause');
      await page.waitForFunction(() => document.getElementById('bar-pause').getAttribute('aria-pressed') === 'true');
      assert.equal(await page.textContent('#bar-pause'), 'Resume');
      assert.equal(await page.getAttribute('#pause', 'aria-pressed'), 'true');
      await page.click('#bar-pause');
      await page.waitForFunction(() => document.getElementById('bar-pause').textContent === 'Pause');

      await page.click('#bar-stop');
      const r = await waitIdle(page);
      assert.equal(r.status, 'stopped');
      assert.match(await page.textContent('#status'), /Stopped after \d+ steps/);
      await page.waitForFunction(() => document.getElementById('bar-train').textContent === 'Train more');
      assert.equal(await page.isDisabled('#bar-stop'), true);

      // The bar covers nothing: at the very bottom, the page's last line is above it.
      await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
      const foot = await box(page, 'footer');
      assert.ok(foot.bottom <= (await box(page, '#run-bar')).top + 0.5, `the footer ends at ${foot.bottom}, under the bar`);
      const colours = await page.evaluate(() => [getComputedStyle(document.getElementById('run-bar')).backgroundColor,
        getComputedStyle(document.querySelector('.run-panel')).backgroundColor]);
      assert.equal(colours[0], colours[1], 'the bar has the panels\' colour in this theme');
      await shot(page, `phone-${theme}-bottom`, { fullPage: false });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      assert.deepEqual(page.problems(), []);
      await page.close();
    });
  }

  await t.test('the sequence-to-sequence view: the bar trains both models', async () => {
    const page = await openPage(browser, server, PHONE);
    await gotoLab(page, server, 'task=reverse&len=6&steps=100000');
    await scrollTo(page, '#s2s-attn-h');
    assert.equal(await page.textContent('#bar-train'), await page.textContent('#s2s-train'));
    await page.click('#bar-train');
    await page.waitForFunction(() => Number(document.getElementById('bar-progress').value) > 0);
    assert.equal(await page.textContent('#bar-figure-name'), 'Right, with attention');
    await page.click('#bar-stop');
    await page.waitForFunction(() => !window.rnnlab.s2s.running);
    assert.match(await page.textContent('#s2s-status'), /Stopped/);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('no bar at desktop width, nor in an embedded lab', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    assert.equal(await page.isVisible('#run-bar'), false);
    await page.close();
    const embedded = await openPage(browser, server, PHONE);
    await gotoLab(embedded, server, 'embed=1');
    assert.equal(await embedded.isVisible('#run-bar'), false);
    assert.equal(await embedded.evaluate(() => getComputedStyle(document.body).paddingBottom), '0px');
    await embedded.close();
  });
});
