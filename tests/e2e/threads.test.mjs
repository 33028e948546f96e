// threads.test.mjs: the page's thread control (web/app/threads.js). The student chooses 2 threads; the line
// beside the control shows the count and the path: replicas on a page served without the COOP/COEP
// headers (a course site: the test strips them from the page's response), shared memory on npm start's
// cross-origin-isolated page. On the replica path a run trains over Worker replicas (nested in the lab's Worker) and ends with 1 thread's bytes:
// the same final loss and a byte-equal checkpoint; the runs table shows each run's count; 2 threads chosen
// during a run take over between two steps, and Stop still ends it; the choice is kept in this browser. Light and dark, desktop and
// phone width (390 px) screenshots.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, waitIdle, waitSteps, shot } from './helpers.mjs';

const TASK = 'task=adding&len=20&steps=40&cell=lstm&hidden=16&seed=3';

// The run's checkpoint (the page keeps it after each run) and its last training loss.
const lastRun = (page) => page.evaluate(() => {
  const r = window.rnnlab.state.runs[window.rnnlab.state.runs.length - 1];
  return { ck: Array.from(r.snapshot ?? []), loss: r.train[r.train.length - 1]?.y, threads: r.threads, path: r.threadPath };
});
// A course site without the isolation headers: the page's own response loses them, so the page is not
// cross-origin isolated and its Worker loads the module without shared memory (the replica path).
async function openCourseSite(browser, server, opts) {
  const page = await openPage(browser, server, opts);
  await page.route((url) => url.pathname === '/web/' || url.pathname.endsWith('.html'), async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  return page;
}

const snapshotTaken = (page, n) => page.waitForFunction((k) => window.rnnlab.state.runs.length === k
  && window.rnnlab.state.runs[k - 1].snapshot, n);

test('the thread control', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('2 threads (replicas) train to 1 thread\'s bytes; the path is shown; the table shows the count', async () => {
    const page = await openCourseSite(browser, server);
    await gotoLab(page, server, TASK);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(await page.locator('#threads option').count(), Math.min(64, cores), 'a choice for every core');
    assert.equal(await page.inputValue('#threads'), '1', 'default: 1 thread');
    assert.match(await page.textContent('#threads-path'), /^1 of \d+ cores?/);

    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    await snapshotTaken(page, 1);
    const one = await lastRun(page);
    assert.equal(one.threads, 1);
    assert.equal(one.path, 'single');

    // Pages served without cross-origin isolation take the replica path (a nested Worker per extra thread).
    await page.selectOption('#threads', '2');
    await page.waitForFunction(() => document.getElementById('threads-path').dataset.path === 'replicas');
    assert.match(await page.textContent('#threads-path'), /^2 of \d+ cores, replicas \(no cross-origin isolation\)/);
    await page.click('#reset');
    await page.click('#train');
    await waitSteps(page, 1);
    const during = await page.evaluate(() => document.getElementById('threads-path').dataset.path);
    assert.equal(during, 'replicas', 'the path in use while training');
    assert.equal((await waitIdle(page)).status, 'done');
    await snapshotTaken(page, 2);
    const two = await lastRun(page);
    assert.equal(two.threads, 2);
    assert.equal(two.path, 'replicas');
    assert.equal(two.loss, one.loss, 'the same final loss');
    assert.ok(two.ck.length > 0);
    assert.deepEqual(two.ck, one.ck, 'a byte-equal checkpoint');
    const counts = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => r.cells[10].textContent));
    assert.deepEqual(counts, ['1', '2'], 'the runs table shows each run\'s threads');
    await shot(page, 'threads-light');
    assert.deepEqual(page.problems(), []);

    // The choice is kept in this browser.
    await gotoLab(page, server, TASK);
    assert.equal(await page.inputValue('#threads'), '2');
    await page.waitForFunction(() => document.getElementById('threads-path').dataset.path === 'replicas');
    await page.close();
  });

  await t.test('2 threads chosen while a run trains take over between two steps; Stop ends it; the page stays responsive', async () => {
    const page = await openCourseSite(browser, server);
    await gotoLab(page, server, 'task=adding&len=30&steps=100000&cell=gru&hidden=16');
    await page.selectOption('#threads', '1');
    await page.click('#train');
    await waitSteps(page, 5);
    await page.selectOption('#threads', '2');
    // The line follows the path the run's model reports in its progress messages.
    await page.waitForFunction(() => window.rnnlab.state.running && document.getElementById('threads-path').dataset.path === 'replicas');
    const at = await page.evaluate(() => window.rnnlab.state.model.rec.train.length);
    await waitSteps(page, at + 10);
    // The page answers while the Worker trains: the theme button redraws at once.
    await page.click('#theme');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.click('#stop');
    const r = await waitIdle(page);
    assert.equal(r.status, 'stopped');
    assert.ok(r.steps >= at + 10);
    const run = await page.evaluate(() => window.rnnlab.state.runs[0]);
    assert.equal(run.threads, 2, 'the run ended on 2 threads');
    await shot(page, 'threads-dark');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('npm start\'s cross-origin-isolated page: 2 threads are shared memory', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, TASK);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
    await page.selectOption('#threads', '2');
    await page.waitForFunction(() => document.getElementById('threads-path').dataset.path === 'shared');
    assert.match(await page.textContent('#threads-path'), /^2 of \d+ cores, shared memory/);
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    const run = await lastRun(page);
    assert.equal(run.threads, 2);
    assert.equal(run.path, 'shared');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  for (const theme of ['light', 'dark']) {
    await t.test(`phone width (390 px), ${theme}: the control and its line fit`, async () => {
      const page = await openCourseSite(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
        deviceScaleFactor: 2, colorScheme: theme });
      await gotoLab(page, server, TASK);
      await page.selectOption('#threads', String(Math.min(2, await page.locator('#threads option').count())));
      await page.locator('.threads-row').scrollIntoViewIfNeeded();
      const box = await page.locator('.threads-row').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `the row fits in 390 px: ${JSON.stringify(box)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, 'no sideways scrolling');
      await shot(page, `threads-phone-${theme}`, { fullPage: false });
      assert.deepEqual(page.problems(), []);
      await page.close();
    });
  }
});
