// chromium_page.mjs: what the JS API's browser tests share: find a Chromium ($RNL_CHROMIUM or one on the
// PATH) and run a test page in it, headless, served by a small server on 127.0.0.1 with web/rnnlab.js, its
// parts (web/lib/*.js) and web/rnnlab.wasm and rnnlab-relaxed.wasm (as application/wasm, so the page takes
// the streaming-compile path) beside the test's own files. The page reports by POSTing JSON to /result; runPage resolves to that JSON.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findChromium() {
  for (const name of [process.env.RNL_CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean)) {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore', timeout: 120000 });
      return name;
    } catch {}
  }
  return null;
}
const chromium = findChromium();

/** The `skip` option of a test that needs Chromium: false, or why it is skipped. */
export const skipWithoutChromium = chromium ? false
  : 'no Chromium found (set RNL_CHROMIUM to a Chromium or Chrome binary to run this test)';

const root = new URL('../../', import.meta.url);

/**
 * Serves `files` ({ '/test/page.html': [contentType, body], ... }) and the wrapper, opens /test/page.html
 * in headless Chromium and resolves to what the page POSTs to /result. Everything is stopped after test t.
 */
export async function runPage(t, files) {
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
    if (files[req.url]) {
      res.writeHead(200, { 'content-type': files[req.url][0] });
      res.end(files[req.url][1]);
    } else if (req.url === '/web/rnnlab.js' || /^\/web\/rnnlab(-relaxed)?\.wasm$/.test(req.url) || /^\/web\/lib\/[a-z0-9-]+\.js$/.test(req.url)) {
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
  return Promise.race([result, exited]);
}
