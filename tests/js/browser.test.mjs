// browser.test.mjs: the same wrapper, unchanged, in a real page and a module Web Worker of headless
// Chromium: a small server on 127.0.0.1 serves web/ (rnnlab.wasm as application/wasm, so the page takes
// the streaming-compile path) and a test page, which trains, starts a Worker that trains too, and posts
// both results back. Skipped, saying why, when no Chromium is installed ($RNL_CHROMIUM or `chromium`).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findChromium() {
  for (const name of [process.env.RNL_CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean)) {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore', timeout: 20000 });
      return name;
    } catch {}
  }
  return null;
}
const chromium = findChromium();

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { RnnLab } from '/web/rnnlab.js';
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
try {
  const lab = await RnnLab.load();
  const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 8, seed: 1 });
  const r = await m.trainTask({ task: 'adding', length: 10, steps: 20, batchSize: 8, seed: 1 });
  const ck = m.saveCheckpoint();
  const w = new Worker('/test/worker.js', { type: 'module' });
  const worker = await new Promise((res) => { w.onmessage = (e) => res(e.data); w.onerror = (e) => res({ error: e.message }); });
  await report({ page: { version: lab.version, kernels: lab.kernels, loss: r.loss, steps: r.totalSteps, checkpoint: ck.length }, worker });
} catch (e) {
  await report({ error: String(e.stack || e) });
}
</script>`;

const worker = `import { RnnLab } from '/web/rnnlab.js';
try {
  const lab = await RnnLab.load();
  const m = lab.createModel({ cell: 'gru', task: 'sine', hidden: 8, seed: 5 });
  const r = await m.trainTask({ task: 'sine', length: 10, steps: 20, batchSize: 8, seed: 5 });
  postMessage({ kernels: lab.kernels, loss: r.loss, steps: r.totalSteps });
} catch (e) {
  postMessage({ error: String(e.stack || e) });
}`;

test('a page and a module Worker in headless Chromium load the module and train', {
  skip: chromium ? false : 'no Chromium found (set RNL_CHROMIUM to a Chromium or Chrome binary to run this test)',
  timeout: 120000,
}, async (t) => {
  const root = new URL('../../', import.meta.url);
  let resolveResult;
  const result = new Promise((r) => (resolveResult = r));
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.end();
      resolveResult(JSON.parse(body));
      return;
    }
    const files = { '/test/page.html': ['text/html', page], '/test/worker.js': ['text/javascript', worker] };
    if (files[req.url]) {
      res.writeHead(200, { 'content-type': files[req.url][0] });
      res.end(files[req.url][1]);
    } else if (req.url === '/web/rnnlab.js' || req.url === '/web/rnnlab.wasm') {
      res.writeHead(200, { 'content-type': req.url.endsWith('.js') ? 'text/javascript' : 'application/wasm' });
      res.end(readFileSync(new URL(req.url.slice(1), root)));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const profile = mkdtempSync(join(tmpdir(), 'rnnlab-chromium-'));
  // Its own process group, so the whole browser (renderers, GPU process) is ended by one kill of its id.
  const browser = spawn(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-crash-reporter', '--disable-breakpad',
    '--no-first-run', `--user-data-dir=${profile}`, `http://127.0.0.1:${server.address().port}/test/page.html`],
  { stdio: 'ignore', detached: true });
  t.after(() => {
    try {
      process.kill(-browser.pid, 'SIGKILL');
    } catch {}
    server.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const exited = new Promise((_, reject) => browser.on('exit', (code) => reject(new Error(`Chromium exited (${code}) before the page reported`))));
  const r = await Promise.race([result, exited]);
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.page.kernels, 'wasmsimd');
  assert.match(r.page.version, /^\d+\.\d+\.\d+$/);
  assert.equal(r.page.steps, 20);
  assert.ok(Number.isFinite(r.page.loss) && r.page.checkpoint > 124);
  assert.equal(r.worker.error, undefined, r.worker.error);
  assert.equal(r.worker.kernels, 'wasmsimd');
  assert.equal(r.worker.steps, 20);
  assert.ok(Number.isFinite(r.worker.loss));
});
