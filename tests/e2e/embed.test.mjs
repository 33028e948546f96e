// embed.test.mjs: the lab inside a course page is as tall as its content. "Copy embed code" copies the
// snippet for the current set-up (an iframe and its listener, app/embed.js), with visible feedback, or
// shows it to copy by hand; a course page on another origin pasting it gets a frame that follows the lab's
// height (a task switch makes it grow, then shrink) with no scrollbar inside, and ignores height messages
// from any other window; <rnn-lab> and the iframe of embed-example.html (its listener allowed by a CSP
// hash) do the same.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { skip, startLab, openPage, gotoLab, shot, settled, ROOT } from './helpers.mjs';
import { LISTENER, HEIGHT_MESSAGE } from '../../web/app/embed.js';

// A course page on another origin (another port): the snippet pasted into its text.
async function coursePage(t, snippet) {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Week 3</title></head><body>
<h1>Week 3: gated cells</h1><p>Train the lab below, then answer the questions after it.</p>
${snippet}<p id="after">Questions.</p></body></html>`;
  const server = createServer((req, res) => res.end(body)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => server.close());
  return `http://127.0.0.1:${server.address().port}/dl/week3.html`;
}

// Inside the lab's frame: the frame is exactly as tall as the lab's content, and nothing scrolls inside it.
const FITS = () => {
  const root = document.documentElement;
  return document.body.dataset.ready === '1' && innerHeight === Math.ceil(root.getBoundingClientRect().height)
    && root.scrollHeight <= innerHeight && root.scrollWidth <= root.clientWidth;
};

async function labFrame(page, selector) {
  const handle = await page.waitForFunction((sel) => {
    const host = document.querySelector(sel);
    return host?.tagName === 'IFRAME' ? host : host?.shadowRoot?.querySelector('iframe');
  }, selector);
  const element = handle.asElement();
  await element.scrollIntoViewIfNeeded();
  const frame = await element.contentFrame();
  await frame.waitForSelector('body[data-ready="1"]');
  return { element, frame };
}

// Waits until the frame fits the lab's content, and returns its height, checked from both sides.
async function fitted(frame, element) {
  await frame.waitForFunction(FITS);
  const inner = await frame.evaluate(() => innerHeight);
  const outer = await element.evaluate((f) => f.getBoundingClientRect().height);
  assert.equal(outer, inner, 'the course page\'s frame is the height the lab reported');
  return inner;
}

test('embeds that fit their content', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);
  let snippet = null;

  await t.test('"Copy embed code" copies the snippet for this set-up, with visible feedback', async () => {
    const page = await openPage(browser, server, { permissions: ['clipboard-read', 'clipboard-write'] });
    await gotoLab(page, server, 'task=copy&len=15&cell=gru&hidden=24');
    assert.equal(await page.textContent('#embed-code'), 'Copy embed code');
    await page.click('#embed-code');
    await page.waitForFunction(() => document.getElementById('embed-code').textContent === 'Copied ✓');
    assert.match(await page.textContent('#status'), /Embed code copied: paste it into your course page's HTML/);
    snippet = await page.evaluate(() => navigator.clipboard.readText());
    const m = snippet.match(/^<iframe src="([^"]+)" title="rnnlab: train recurrent networks" width="100%" height="900" allow="clipboard-write"><\/iframe>\n<script>([\s\S]*)<\/script>\n$/);
    assert.ok(m, `the snippet is an iframe and its listener:\n${snippet}`);
    assert.equal(m[2], LISTENER);
    const src = new URL(m[1].replaceAll('&amp;', '&'));
    assert.equal(`${src.origin}${src.pathname}`, server.url, 'the frame opens this page');
    for (const [k, v] of [['embed', '1'], ['task', 'copy'], ['len', '15'], ['cell', 'gru'], ['hidden', '24']])
      assert.equal(src.searchParams.get(k), v, `${k} in ${src}`);
    await page.waitForFunction(() => document.getElementById('embed-code').textContent === 'Copy embed code');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('where the browser refuses the clipboard, the code is shown to copy by hand', async () => {
    const page = await openPage(browser, server);
    await page.addInitScript(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    });
    await gotoLab(page, server, 'task=copy&len=15&cell=gru&hidden=24');
    await page.click('#embed-code');
    await page.waitForSelector('#embed-dialog[open]');
    assert.equal(await page.inputValue('#embed-text'), snippet);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'embed-text', 'the code is selected, ready to copy');
    await page.click('#embed-close');
    assert.equal(await page.isVisible('#embed-dialog'), false);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a course page on another origin pastes it: the frame follows the lab\'s height', async (t) => {
    const page = await openPage(browser, server);
    const course = await coursePage(t, snippet);
    await page.goto(course);
    page.allowProblem(new RegExp(`request to another host: ${course}`));
    const { element, frame } = await labFrame(page, 'iframe');
    const h0 = await fitted(frame, element);
    assert.notEqual(h0, 900, 'the lab said its own height');
    // The adding task shows more (its predictions): the frame grows; back on the copy task, it shrinks.
    await frame.selectOption('#task', 'adding');
    await frame.waitForFunction((h) => innerHeight > h, h0);
    const h1 = await fitted(frame, element);
    await frame.selectOption('#task', 'copy');
    await frame.waitForFunction((h) => innerHeight < h, h1);
    const h2 = await fitted(frame, element);
    assert.ok(h1 > h0 && h2 < h1, `heights ${h0}, ${h1}, ${h2}`);
    const after = await page.evaluate(() => document.getElementById('after').getBoundingClientRect().top - document.querySelector('iframe').getBoundingClientRect().bottom);
    assert.ok(after >= 0, 'the course page\'s text follows the whole lab');
    // A height message from any other window (here the course page's own) is ignored.
    await page.evaluate((type) => new Promise((resolve) => {
      addEventListener('message', (e) => e.data === 'marker' && resolve());
      postMessage({ type, height: 50 }, '*');
      postMessage('marker', '*');  // delivered after the message above
    }), HEIGHT_MESSAGE);
    assert.equal(await element.evaluate((f) => f.getBoundingClientRect().height), h2);
    await shot(page, 'embed-iframe');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('<rnn-lab> and the example\'s iframe size themselves', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.url}embed-example.html`);
    const el = await labFrame(page, 'rnn-lab');
    const h0 = await fitted(el.frame, el.element);
    assert.equal(await page.evaluate(() => document.querySelector('rnn-lab').getBoundingClientRect().height), h0, 'the element is its frame\'s height');
    await settled(page);
    await shot(page, 'embed-element', { fullPage: false });
    // A narrower window: the lab becomes one column, taller; an LSTM shows one more field (its forget-gate
    // bias); a wide window again: two columns, shorter.
    await page.setViewportSize({ width: 760, height: 900 });
    await el.frame.waitForFunction((h) => innerHeight > h, h0);
    const h1 = await fitted(el.frame, el.element);
    await el.frame.check('input[name="cell"][value="lstm"]');
    await el.frame.waitForFunction((h) => innerHeight > h, h1);
    const h2 = await fitted(el.frame, el.element);
    await page.setViewportSize({ width: 1280, height: 900 });
    await el.frame.waitForFunction((h) => innerHeight < h, h2);
    await fitted(el.frame, el.element);
    // The example's iframe: the snippet's listener runs under the example page's CSP (allowed by its hash).
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.ok(csp.includes(`'sha256-${createHash('sha256').update(LISTENER).digest('base64')}'`), 'the CSP allows the listener by its hash');
    const ifr = await labFrame(page, 'body > iframe');
    await fitted(ifr.frame, ifr.element);
    await shot(page, 'embed-example');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('the docs give the same listener', () => {
    const docs = readFileSync(`${ROOT}docs/page.md`, 'utf8');
    assert.ok(docs.includes(`<script>${LISTENER}</script>`), 'docs/page.md shows the snippet\'s listener as the lab writes it');
    assert.ok(docs.includes(createHash('sha256').update(LISTENER).digest('base64')), 'docs/page.md gives its CSP hash');
  });
});
