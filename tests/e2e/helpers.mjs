// helpers.mjs: what the end-to-end tests of the lab page share. The server is the real one (`npm start`
// runs web/serve.mjs), started on a free port (PORT=0); the browser is Debian's Chromium driven by the npm
// package playwright-core (never a downloaded browser build). Each page records its console errors, page
// errors, CSP violations and any request to a host other than the test server, so a test can assert
// that there were none. Screenshots go to tests/artifacts/ (ignored by git) for a person to look at.
//
// The tests run on shared, loaded machines (CI, or a laptop building something else): they wait for
// conditions, never for a fixed time, and every wait has a generous bound (WAIT), so that a slow machine
// makes a test slower, not red. A test that hangs still fails, at its own overall timeout.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
export const CHROMIUM = process.env.RNL_CHROMIUM || '/usr/bin/chromium';
export const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set RNL_CHROMIUM)`;

mkdirSync(ARTIFACTS, { recursive: true });

/** The bound of every wait (Playwright's clicks, selectors, waitForFunction): 3 minutes, not its 30 s. */
export const WAIT = 180000;

/** Starts web/serve.mjs on a free port; resolves { origin, url, close }. */
export function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['web/serve.mjs'], { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`serve.mjs printed no address within 5 minutes\n${out}\n${err}`));
    }, 300000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/localhost:(\d+)\/web\//);
      if (m) {
        clearTimeout(timer);
        const origin = `http://127.0.0.1:${m[1]}`;
        resolve({ origin, url: `${origin}/web/`, close: () => new Promise((r) => {
          proc.once('exit', r);
          proc.kill('SIGTERM');
        }) });
      }
    });
    proc.stderr.on('data', (d) => (err += d));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs exited (${code})\n${out}\n${err}`));
    });
  });
}

/** The server and a browser for the tests under `t`, both closed when `t` ends: resolves { server, browser }. */
export async function startLab(t) {
  const server = await startServer();
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  return { server, browser };
}

export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A page that records problems: page.problems() lists console errors, uncaught errors and requests to
 * other hosts. opts: Playwright context options (viewport, colorScheme, acceptDownloads...).
 */
export async function openPage(browser, server, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...opts });
  context.setDefaultTimeout(WAIT);
  context.setDefaultNavigationTimeout(WAIT);
  const page = await context.newPage();
  const problems = [];
  const allowed = new URL(server.origin).host;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if ((u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') && u.host !== allowed)
      problems.push(`request to another host: ${r.url()}`);
  });
  page.problems = () => problems.slice();
  page.allowProblem = (re) => {
    for (let i = problems.length - 1; i >= 0; i--) if (re.test(problems[i])) problems.splice(i, 1);
  };
  return page;
}

/** Opens the lab with a query and waits until its Worker is ready. */
export async function gotoLab(page, server, query = '') {
  await page.goto(`${server.url}${query ? `?${query}` : ''}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: WAIT });
}

/** Resolves once the page has drawn two more frames: what was queued before it (a chart, an error) is out. */
export function settled(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

/** Waits until the page is not training (after a Train click), and returns the last run's record. */
export async function waitIdle(page, timeout = 2 * WAIT) {
  await page.waitForFunction(() => window.rnnlab.state.running === false && window.rnnlab.state.runs.length > 0
    && !window.rnnlab.state.sequence, null, { timeout, polling: 200 });
  return page.evaluate(() => {
    const r = window.rnnlab.state.runs[window.rnnlab.state.runs.length - 1];
    return { status: r.status, steps: r.stepsTotal, train: r.train.length, val: r.val.length, test: r.test, error: r.error, label: r.label };
  });
}

/** Waits until training has started (the run has reported at least `n` steps). */
export function waitSteps(page, n, timeout = WAIT) {
  return page.waitForFunction((k) => {
    const r = window.rnnlab.state.model?.rec;
    return r && r.train.length >= k;
  }, n, { timeout, polling: 100 });
}

/** Number of points Chart.js holds for dataset `i` of the chart on canvas `id`. */
export function chartPoints(page, id, i = 0) {
  return page.evaluate(([cid, k]) => {
    const ch = window.Chart.getChart(document.getElementById(cid));
    const ds = ch?.data.datasets[k];
    if (!ds) return 0;
    return (ds._data ?? ds.data).length;
  }, [id, i]);
}

/** True when a canvas has pixels of more than one colour (something was drawn). */
export function canvasDrawn(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    if (!c || !c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) {
      seen.add(`${d[i]},${d[i + 1]},${d[i + 2]},${d[i + 3]}`);
      if (seen.size > 8) return true;
    }
    return false;
  }, selector);
}

/** The form controls and buttons under `root` (not hidden) that have no label: their HTML, cut short. */
export function unlabelled(page, root = 'body') {
  return page.evaluate((sel) => [...document.querySelector(sel).querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden' && !el.closest('[hidden]'))
    .filter((el) => {
      if (el.tagName === 'BUTTON') return !(el.textContent.trim() || el.getAttribute('aria-label'));
      return !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
    })
    .map((el) => el.outerHTML.slice(0, 80)), root);
}

export const shot = (page, name, opts = {}) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true, ...opts });
