// page.test.mjs: the lab page loads in headless Chromium with no console error, no uncaught error, no CSP
// violation and no request to any other host; its policy allows only 'self'; it reads well in the light
// and dark themes and at phone width (screenshots kept in tests/artifacts/ to look at); every control
// has a label; the theme toggle works; the keyboard reaches the controls with a visible focus.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { skip, startLab, openPage, gotoLab, waitIdle, shot, unlabelled, settled, ROOT } from './helpers.mjs';

// Chromium 156 runs relaxed SIMD: the Worker takes web/rnnlab-relaxed.wasm when the build made it (clang >= 16),
// as its shared-memory twin: npm start serves the page cross-origin isolated (COOP/COEP).
const relaxedBuilt = existsSync(`${ROOT}web/rnnlab-relaxed.wasm`);

test('the lab page', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('loads with no console errors and no requests to other hosts', async () => {
    const page = await openPage(browser, server);
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await gotoLab(page, server);
    await settled(page);  // a late error (a chart's first draw) would be out by now
    assert.deepEqual(page.problems(), []);
    const wasm = relaxedBuilt ? '/web/rnnlab-relaxed-shared.wasm' : '/web/rnnlab-shared.wasm';
    assert.ok(urls.some((u) => u.endsWith(wasm)), `the Worker loaded ${wasm} from the page's server`);
    assert.ok(urls.some((u) => u.endsWith('/web/vendor/chart.umd.js')), 'Chart.js came from web/vendor/');
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|https?:|\*/);
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
    assert.match(await page.textContent('#engine'), relaxedBuilt ? /wasmrelaxed/ : /wasmsimd/);
    await shot(page, 'page-light');
    await page.close();
  });

  await t.test('every form control has a label', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    assert.deepEqual(await unlabelled(page), []);
    await page.close();
  });

  await t.test('the keyboard reaches the Train button with a visible focus ring', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    let found = false;
    for (let i = 0; i < 60 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.id === 'train');
    }
    assert.ok(found, 'Tab reaches Train');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    await page.close();
  });

  await t.test('dark theme: from the system, and by the toggle', async () => {
    const page = await openPage(browser, server, { colorScheme: 'dark' });
    await gotoLab(page, server, 'task=copy&len=10&steps=60&hidden=16');
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await bg();
    await page.click('#train');
    await waitIdle(page);
    await shot(page, 'page-dark');
    await page.click('#theme');
    const light = await bg();
    assert.notEqual(dark, light);
    assert.equal(await page.getAttribute('#theme', 'aria-pressed'), 'false');
    await page.click('#theme');
    assert.equal(await bg(), dark);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('phone width: one column, no horizontal scrolling', async () => {
    const page = await openPage(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await gotoLab(page, server, 'task=adding&len=20&steps=40&hidden=16');
    await page.click('#train');
    await waitIdle(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await shot(page, 'page-phone');
    // What a phone shows at a time: the top, the run panel, each view.
    for (const [i, sel] of ['body', '.run-panel', '#loss-h', '#inside-h', '#heatmap', '#cmp-h'].entries()) {
      await page.evaluate((q) => document.querySelector(q).scrollIntoView({ block: 'start' }), sel);
      await shot(page, `page-phone-${i}`, { fullPage: false });
    }
    assert.deepEqual(page.problems(), []);
    await page.close();
  });
});
