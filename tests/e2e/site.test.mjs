// site.test.mjs: `npm run build:site` as an instructor uses it. The site is built into a temporary folder
// with --with-data (an IMDB subset made here from the fixture archive with the JS API, and a temperature-like
// series made here: nothing from a real data set), then served under a sub-path, /courses/dl/lab/, by a
// plain static server written below: files with their MIME types and no other header (no CSP header, no
// COOP/COEP, no cache rules), as a course site's host serves them. There the page trains on IMDB from its
// default Data URL, the temperature task finds its CSV, the embed example points at the site's page, and
// no request fails (every module import, the Worker, the module and the data resolve). The folder holds no
// sources. A screenshot (tests/artifacts/site-subpath.png) is for a person to look at.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, sep } from 'node:path';
import { skip, ROOT, launch, openPage, waitIdle, chartPoints, shot, WAIT } from './helpers.mjs';
import { RnnLab } from '../../web/rnnlab.js';

const BASE = '/courses/dl/lab/';
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.map': 'application/json', '.md': 'text/markdown',
  '.csv': 'text/csv', '.rnld': 'application/octet-stream',
};

/** A plain static server of `dir` at BASE: GET and HEAD, a folder's index.html, 404 otherwise; every request logged. */
function serveStatic(dir) {
  const log = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let status = 404, file = null;
    if (path.startsWith(BASE) && !path.split('/').includes('..')) {
      file = join(dir, path.slice(BASE.length));
      try {
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        if (statSync(file).isFile()) status = 200;
      } catch {}
    }
    log.push({ path, status });
    if (status !== 200) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found\n');
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const origin = `http://127.0.0.1:${server.address().port}`;
    resolve({ origin, url: `${origin}${BASE}`, log, close: () => new Promise((r) => server.close(r)) });
  }));
}

// A daily series with a yearly cycle (Date,Temp, like the temperature CSV), made here.
function seriesCsv(days) {
  const rows = ['Date,Temp'];
  const t0 = Date.UTC(2001, 0, 1);
  for (let d = 0; d < days; d++) {
    const date = new Date(t0 + d * 86400000).toISOString().slice(0, 10);
    rows.push(`${date},${(11 + 5 * Math.cos(2 * Math.PI * d / 365) + 1.5 * Math.sin(d * 1.7)).toFixed(1)}`);
  }
  return rows.join('\n') + '\n';
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true }).map(String).filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => p.split(sep).join('/'));
}

test('npm run build:site: the lab under a sub-path of a plain static host', { skip, timeout: 1800000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'rnnlab-site-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));

  // The data: an IMDB subset from the fixture archive (6/2/6 reviews), and a series of 500 days.
  const lab = await RnnLab.load();
  const gz = readFileSync(join(ROOT, 'tests/fixtures/tar/imdb_mini_gnu.tar.gz'));
  const ds = await lab.prepareImdb(gz, { train: 6, val: 2, test: 6, vocab: 1000, maxLen: 12, seed: 3 });
  writeFileSync(join(tmp, 'imdb-mini.rnld'), ds.toBytes());
  ds.free?.();
  writeFileSync(join(tmp, 'temps.csv'), seriesCsv(500));

  const out = join(tmp, 'site');
  const built = spawnSync(process.execPath, ['web/node/build-site.mjs', '--out', out, '--with-data', join(tmp, 'imdb-mini.rnld'), join(tmp, 'temps.csv')],
    { cwd: ROOT, encoding: 'utf8', timeout: 600000 });
  assert.equal(built.status, 0, `build:site failed:\n${built.stdout}\n${built.stderr}`);
  assert.match(built.stdout, /default Data URLs: IMDB data\/imdb-mini\.rnld, temperatures data\/temps\.csv/);

  await t.test('the folder: the page at its root, the module, Chart.js, the walkthrough, the data; no sources', () => {
    const files = listFiles(out);
    for (const f of ['index.html', 'rnnlab.js', 'rnnlab.wasm', 'app/main.js', 'app/worker.js', 'vendor/chart.umd.js',
      'embed-example.html', 'walkthrough.html', 'README.md', 'site.js', 'data/imdb-mini.rnld', 'data/temps.csv'])
      assert.ok(files.includes(f), `the site has ${f}`);
    const sources = files.filter((f) => /\.(c|h|cmake|ts|mjs)$/.test(f) || /(^|\/)(node|student|tests?)\//.test(f) || f.endsWith('exports.txt'));
    assert.deepEqual(sources, [], 'no sources, Node scripts or tests');
    assert.deepEqual(readFileSync(join(out, 'data/imdb-mini.rnld')), readFileSync(join(tmp, 'imdb-mini.rnld')));
    assert.match(readFileSync(join(out, 'site.js'), 'utf8'), /"imdb": "data\/imdb-mini\.rnld"/);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const word of ['application/wasm', 'Content-Security-Policy', 'same site', 'sub-path', 'wasm-unsafe-eval', 'Copy embed code', 'rnnlab:height'])
      assert.ok(readme.includes(word), `README.md speaks of ${word}`);
    // The walkthrough's links to the lab open the page beside it.
    const walk = readFileSync(join(out, 'walkthrough.html'), 'utf8');
    const hrefs = [...walk.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).filter((h) => !h.endsWith('.css') && !h.endsWith('.svg'));
    assert.ok(hrefs.length >= 10, `${hrefs.length} links`);
    for (const h of hrefs) assert.match(h, /^(index\.html(\?|$)|https:\/\/)/, h);
    assert.doesNotMatch(walk, /href="http:\/\/localhost/);
  });

  const server = await serveStatic(out);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const failed = (from = 0) => server.log.slice(from).filter((r) => r.status !== 200);

  await t.test('the page at the sub-path trains on IMDB from its default Data URL', async () => {
    const page = await openPage(browser, server);
    const bad = [];
    page.on('response', (r) => r.status() >= 400 && bad.push(`${r.status()} ${r.url()}`));
    page.on('requestfailed', (r) => bad.push(`failed ${r.url()}: ${r.failure()?.errorText}`));
    const from = server.log.length;
    await page.goto(`${server.url}?task=imdb&cell=gru&hidden=8&emb=8&epochs=2&batch=2&lr=0.01`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: WAIT });
    assert.equal(await page.inputValue('#data-url'), 'data/imdb-mini.rnld');
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done', r.error);
    assert.equal(r.steps, 6, '2 epochs of 3 batches of 2 reviews');
    assert.ok(Number.isFinite(r.test.accuracy));
    assert.match(await page.textContent('#data-status'), /6 training, 2 validation and 6 test reviews/);
    assert.equal(await chartPoints(page, 'chart-acc', 1), 2, 'held-out accuracy after each epoch');
    assert.ok(!new URL(page.url()).searchParams.has('data'), `the default Data URL stays out of the link: ${page.url()}`);
    assert.ok(page.url().startsWith(server.url), page.url());
    // Every request the page made was served: the modules (all imports), the Worker, the module, Chart.js, the data.
    const paths = server.log.slice(from).map((x) => x.path);
    // The module: the relaxed-SIMD build where it was built (Chromium runs it), else the plain one.
    const wasm = existsSync(join(out, 'rnnlab-relaxed.wasm')) ? 'rnnlab-relaxed.wasm' : 'rnnlab.wasm';
    for (const p of ['app/main.js', 'app/worker.js', 'rnnlab.js', wasm, 'vendor/chart.umd.js', 'site.js', 'data/imdb-mini.rnld'])
      assert.ok(paths.includes(`${BASE}${p}`), `the page fetched ${p}`);
    assert.deepEqual(failed(from), [], 'no request failed');
    assert.deepEqual(bad, []);
    assert.deepEqual(page.problems(), []);
    await page.locator('#cmp-h').scrollIntoViewIfNeeded();
    await shot(page, 'site-subpath');
    await page.close();
  });

  await t.test('the temperature task reads the CSV copied into the site', async () => {
    const page = await openPage(browser, server);
    const from = server.log.length;
    await page.goto(`${server.url}?task=temp`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: WAIT });
    assert.equal(await page.inputValue('#data-url'), 'data/temps.csv');
    await page.click('#data-load');
    await page.waitForFunction(() => /windows of 30 values/.test(document.getElementById('data-status').textContent), null, { timeout: WAIT });
    assert.ok(server.log.slice(from).some((x) => x.path === `${BASE}data/temps.csv` && x.status === 200));
    assert.deepEqual(failed(from), []);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('the embed example and the walkthrough at the sub-path', async () => {
    const page = await openPage(browser, server);
    const from = server.log.length;
    await page.goto(`${server.url}embed-example.html`);
    const src = await page.waitForFunction(() => document.querySelector('rnn-lab')?.shadowRoot?.querySelector('iframe')?.src, null, { timeout: WAIT });
    assert.ok((await src.jsonValue()).startsWith(`${server.url}index.html?`), 'the element opens the site\'s page');
    // Its iframe, with the snippet's listener under the example's own CSP: as tall as the lab, at the sub-path.
    const frame = await (await page.$('body > iframe')).contentFrame();
    await frame.waitForFunction(() => document.body.dataset.ready === '1'
      && innerHeight === Math.ceil(document.documentElement.getBoundingClientRect().height) && innerHeight !== 900);
    await page.goto(`${server.url}walkthrough.html`);
    const first = await page.getAttribute('a[href^="index.html?"]', 'href');
    await Promise.all([page.waitForURL(/index\.html\?/), page.click(`a[href="${first}"]`)]);
    await page.waitForSelector('body[data-ready="1"]', { timeout: WAIT });
    assert.deepEqual(failed(from), []);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a rebuild replaces the site; a folder of other files is refused', () => {
    const again = spawnSync(process.execPath, ['web/node/build-site.mjs', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 600000 });
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!listFiles(out).some((f) => f.startsWith('data/')), 'the data of the last build are gone');
    assert.match(readFileSync(join(out, 'site.js'), 'utf8'), /"imdb": "data\/imdb-2000\.rnld"/);
    const other = join(tmp, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'x');
    const refused = spawnSync(process.execPath, ['web/node/build-site.mjs', '--out', other], { cwd: ROOT, encoding: 'utf8', timeout: 600000 });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /not empty and was not made by build:site/);
    assert.equal(readFileSync(join(other, 'notes.txt'), 'utf8'), 'x');
  });
});
