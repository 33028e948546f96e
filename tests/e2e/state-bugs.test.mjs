// state-bugs.test.mjs: the page's state after a link, a loaded model or missing data (issue 14, bugs 1, 2,
// 3, 5 and 7). `?impl=student` stays in the URL and in "Copy link"; an IMDB model loaded on another task
// takes the IMDB task's defaults (its Data URL), and an empty Data URL is reported as empty; a copy-task
// model brings its length; the status line names missing data instead of "Ready"; a page without
// vendor/chart.umd.js says so and throws nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { skip, startLab, openPage, gotoLab, waitIdle, shot, ROOT, ARTIFACTS, WAIT } from './helpers.mjs';

const fixture = (p) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const query = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));
const status = (page) => page.textContent('#status');

test('page state: links, loaded models, missing data', { skip, timeout: 1800000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('?impl=student stays in the rewritten URL and in Copy link', async () => {
    // The student's module may not be built here: the reference module is served in its place (the URL is
    // what is tested, not the cells).
    const page = await openPage(browser, server);
    const wasm = readFileSync(`${ROOT}web/rnnlab.wasm`);
    await page.context().route('**/web/student/rnnlab.wasm', (r) => r.fulfill({ status: 200, contentType: 'application/wasm', body: wasm }));
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    await gotoLab(page, server, 'impl=student&task=adding&len=20&cell=gru');
    let q = await query(page);
    assert.equal(q.impl, 'student', `the URL after loading: ${page.url()}`);
    assert.equal(q.len, '20');
    await page.fill('input[name="steps"]', '200');
    await page.dispatchEvent('input[name="steps"]', 'input');
    q = await query(page);
    assert.equal(q.impl, 'student', `the URL after a change: ${page.url()}`);
    assert.equal(q.steps, '200');
    await page.click('#share');
    await page.waitForFunction(() => /Link copied|Copy this link/.test(document.getElementById('status').textContent));
    const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => location.href));
    assert.equal(new URL(copied).searchParams.get('impl'), 'student', `copied: ${copied}`);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('an IMDB model loaded on the adding task takes the IMDB defaults; an empty Data URL says so', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=imdbfile&train=6&val=2&test=6&cell=gru&hidden=8&emb=8&epochs=1&batch=2&lr=0.003');
    await page.setInputFiles('#file', fixture('tar/imdb_mini_gnu.tar.gz'));
    await page.waitForFunction(() => /6 training/.test(document.getElementById('data-status').textContent), null, { timeout: WAIT });
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-model')]);
    const path = `${ARTIFACTS}state-imdb.rnl`;
    await download.saveAs(path);
    await page.close();

    const fresh = await openPage(browser, server);
    await gotoLab(fresh, server);  // the adding task
    await fresh.setInputFiles('#load-model', path);
    await fresh.waitForFunction(() => /^Loaded state-imdb\.rnl/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    const q = await query(fresh);
    assert.equal(q.task, 'imdb');
    assert.equal(q.data, undefined, `the IMDB task's Data URL (a default, so not in the URL): ${fresh.url()}`);
    assert.equal(await fresh.inputValue('#data-url'), '../data/imdb-2000.rnld');
    assert.equal(q.lr, undefined, `the model's own learning rate, 0.003 (IMDB's default): ${fresh.url()}`);
    assert.equal(await fresh.inputValue('input[name="hidden"]'), '8');
    // The subset is not in data/ here: the page says what is missing, not "Train continues it".
    await fresh.waitForFunction(() => /imdb-2000\.rnld/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    assert.doesNotMatch(await status(fresh), /Train continues it/);
    await fresh.click('#train');
    await fresh.waitForFunction(() => !window.rnnlab.state.running && /imdb-2000\.rnld/.test(document.getElementById('status').textContent));
    assert.doesNotMatch(await status(fresh), /bad magic/);

    // An empty Data URL typed by hand: the page says that it is empty, and fetches nothing.
    await fresh.fill('#data-url', '');
    await fresh.press('#data-url', 'Enter');
    await fresh.waitForFunction(() => /Data URL is empty/.test(document.getElementById('data-status').textContent));
    await fresh.click('#train');
    await fresh.waitForFunction(() => !window.rnnlab.state.running && /Data URL is empty/.test(document.getElementById('status').textContent));
    assert.doesNotMatch(await status(fresh), /bad magic/);
    fresh.allowProblem(/404/);
    assert.deepEqual(fresh.problems(), []);
    await fresh.close();
  });

  await t.test('a copy-task model brings its length', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=copy&len=15&steps=20&hidden=8');
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-model')]);
    const path = `${ARTIFACTS}state-copy.rnl`;
    await download.saveAs(path);
    // The same page, now on the adding task at length 50: the saved run's length comes back.
    await page.selectOption('#task', 'adding');
    await page.waitForFunction(() => window.rnnlab.state.cfg.task === 'adding' && window.rnnlab.state.cfg.len === 50);
    await page.setInputFiles('#load-model', path);
    await page.waitForFunction(() => /^Loaded state-copy\.rnl/.test(document.getElementById('status').textContent));
    assert.equal(await page.evaluate(() => window.rnnlab.state.cfg.task), 'copy');
    assert.equal(await page.inputValue('input[name="len"]'), '15');
    assert.equal((await query(page)).len, '15');
    await page.close();

    // A fresh page (nothing known of the run): the copy task's own length, 20, not the adding task's 50.
    const fresh = await openPage(browser, server);
    await gotoLab(fresh, server);
    await fresh.setInputFiles('#load-model', path);
    await fresh.waitForFunction(() => /^Loaded state-copy\.rnl/.test(document.getElementById('status').textContent));
    assert.equal(await fresh.inputValue('input[name="len"]'), '20');
    await fresh.fill('input[name="steps"]', '5');
    await fresh.dispatchEvent('input[name="steps"]', 'input');
    await fresh.click('#train');
    const r = await waitIdle(fresh);
    assert.equal(r.steps, 25, 'the loaded model continues');
    assert.equal(await fresh.evaluate(() => window.rnnlab.state.model.rec.cfg.len), 20, 'Train continues at the model\'s length');
    assert.deepEqual(fresh.problems(), []);
    await fresh.close();
  });

  await t.test('missing data: the status line says what is missing and what to do', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=temp');
    await page.waitForFunction(() => /No data/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    const s = await status(page);
    assert.doesNotMatch(s, /Ready/);
    assert.match(s, /daily-min-temperatures\.csv/);
    assert.match(s, /drop/i);
    await page.locator('#status').screenshot({ path: `${ARTIFACTS}state-status-temp.png` });
    page.allowProblem(/404/);
    assert.deepEqual(page.problems(), []);

    await gotoLab(page, server, 'task=imdb');
    await page.waitForFunction(() => /No data/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    assert.match(await status(page), /imdb-2000\.rnld.*npm run data/);
    await gotoLab(page, server, 'task=imdbfile&train=6&val=2&test=6');
    await page.waitForFunction(() => /No data/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    assert.match(await status(page), /aclImdb_v1\.tar\.gz/);
    // The archive dropped (chosen): Ready.
    await page.setInputFiles('#file', fixture('tar/imdb_mini_gnu.tar.gz'));
    await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    // Back to missing data, then a task whose data loads: Ready again.
    await page.selectOption('#task', 'temp');
    await page.waitForFunction(() => /No data/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    await page.selectOption('#task', 'adding');
    await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent));
    await page.close();
  });

  await t.test('without vendor/chart.umd.js: a message, and no uncaught error', async () => {
    const page = await openPage(browser, server);
    await page.route('**/vendor/chart.umd.js', (r) => r.fulfill({ status: 404, body: 'not found' }));
    await page.goto(server.url);
    await page.waitForFunction(() => /Chart\.js did not load/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    assert.equal(await page.isDisabled('#train'), true, 'nothing to draw a run on: Train stays disabled');
    page.allowProblem(/404/);
    assert.deepEqual(page.problems(), []);
    await shot(page, 'state-no-chartjs', { fullPage: false });
    await page.close();
  });
});
