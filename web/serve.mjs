#!/usr/bin/env node
// serve.mjs: `npm start`. Builds what the lab page needs and is missing (web/rnnlab.wasm through
// `npm run build`, web/vendor/chart.umd.js copied from the pinned npm package chart.js), then serves the
// repository's web/ and data/ folders on localhost, so the page at /web/ reaches prepared data sets at
// the relative URL ../data/*.rnld, as it would under any sub-path of a course site.
//
//     npm start                  # http://localhost:8080/web/
//     PORT=9000 npm start        # another port; PORT=0 takes a free one (the address is printed)
//     node web/serve.mjs --build-only    # only build what is missing (tests and CI use it)
//
// Limits, on purpose: GET and HEAD only; only files under web/ and data/ (no .git, no node_modules, no
// dotfiles, no directory listings); symbolic links that lead outside the repository are refused. It
// binds to 127.0.0.1 unless HOST says otherwise: it is a development server, not a production one. Every
// file is sent with the cross-origin isolation headers (COOP/COEP, below), which the shared-memory threads need.
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(ROOT, 'web');
const SERVED = ['web', 'data'];  // top-level folders a request may reach

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',  // lets the browser compile while it downloads (compileStreaming)
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.rnld': 'application/octet-stream',
  '.rnl': 'application/octet-stream',
  '.gz': 'application/gzip',
};

// The same policy as the page's meta tag, also sent as a header so that the Worker (whose policy comes
// from its own response, not from the page) runs under it: nothing from any other host, no eval, and
// WebAssembly compilation allowed.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
  "img-src 'self' data: blob:; style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'none'";

// Cross-origin isolation: with these two headers the page is crossOriginIsolated, so its Worker may share a
// WebAssembly.Memory with Workers of its own, and RnnLab.load() takes the shared-memory module, whose
// threads are the core's own (web/lib/shared.js). Everything the page loads is from this origin (Chart.js
// is vendored, no fonts from elsewhere), which require-corp allows. A host without them gets the replica
// threads instead, with the same results (README.md, "Course sites").
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

// An HTML file gets the policy of its own meta tag (the lab's is CSP): embed-example.html is a course
// page, with a policy of its own (it allows the embed snippet's inline listener by its hash).
async function policyOf(file) {
  if (extname(file).toLowerCase() !== '.html') return CSP;
  const text = await readFile(file, 'utf8').catch(() => '');
  const m = text.match(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/);
  return m ? m[1] : CSP;
}

// --- Build what is missing ----------------------------------------------------------------------------

// What `npm run build` needs, and the lines that install it (README.md, "A fresh machine", has them too).
const BUILD_TOOLS = { emcc: 'emscripten', cmake: 'cmake', make: 'make' };
const INSTALL = '  Debian/Ubuntu:     sudo apt-get install cmake make emscripten\n' +
  '  macOS (Homebrew):  brew install cmake emscripten';

function buildWasm() {
  if (existsSync(join(WEB, 'rnnlab.wasm'))) return;
  const missing = Object.keys(BUILD_TOOLS).filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error);
  if (missing.length) {
    throw new Error(`web/rnnlab.wasm is missing, and building it needs ${missing.map((t) => (BUILD_TOOLS[t] === t ? t : `${t} (from ${BUILD_TOOLS[t]})`)).join(', ')}, ` +
      `not found on the PATH. Install ${missing.length > 1 ? 'them' : 'it'}:\n${INSTALL}\nthen run npm start again.`);
  }
  console.log('serve: web/rnnlab.wasm is missing; building it with `npm run build` (emscripten) ...');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(join(WEB, 'rnnlab.wasm')))
    throw new Error('`npm run build` did not produce web/rnnlab.wasm (is emscripten installed? see README.md)');
}

// Chart.js is served with the page from web/vendor/ (build output), copied from node_modules so that the
// version is the one pinned in package.json and nothing is ever fetched from another host.
function buildVendor() {
  const pkgDir = join(ROOT, 'node_modules', 'chart.js');
  const src = join(pkgDir, 'dist', 'chart.umd.js');
  const out = join(WEB, 'vendor');
  const dest = join(out, 'chart.umd.js');
  if (!existsSync(src)) {
    if (existsSync(dest)) return;  // already built; node_modules pruned
    throw new Error('node_modules/chart.js is missing: run `npm ci` (or `npm install`) first');
  }
  if (existsSync(dest) && statSync(dest).mtimeMs >= statSync(src).mtimeMs) return;
  mkdirSync(out, { recursive: true });
  copyFileSync(src, dest);
  if (existsSync(`${src}.map`)) copyFileSync(`${src}.map`, `${dest}.map`);
  copyFileSync(join(pkgDir, 'LICENSE.md'), join(out, 'chart.js-LICENSE.md'));
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  writeFileSync(join(out, 'README.txt'), `Build output of web/serve.mjs (npm start): chart.js ${version} from node_modules, MIT licence. Do not edit or commit.\n`);
  console.log(`serve: copied chart.js ${version} to web/vendor/chart.umd.js`);
}

// --- Serving -------------------------------------------------------------------------------------------

function send(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
  res.end(text);
}

// Maps a URL path to a file under ROOT, or null. Checks the decoded path's segments (no '..', no dotfiles,
// no NUL), then that the real path of the file (symbolic links resolved) is still inside ROOT.
async function resolveFile(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.' || p.startsWith('.'))) return null;
  if (!SERVED.includes(parts[0])) return null;
  let file = join(ROOT, ...parts);
  let st;
  try {
    st = await stat(file);
    if (st.isDirectory()) {
      file = join(file, 'index.html');
      st = await stat(file);
    }
    if (!st.isFile()) return null;
    const real = await realpath(file);
    if (real !== ROOT && !real.startsWith(ROOT + sep)) return null;
  } catch {
    return null;
  }
  return { file, size: st.size };
}

function handler(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const url = new URL(req.url, 'http://localhost');
  // The lab lives at /web/; a bare /web (no slash) would break its relative URLs.
  if (url.pathname === '/' || url.pathname === '/web') return send(res, 302, 'see /web/\n', { location: `/web/${url.search}` });
  resolveFile(url.pathname).then(async (found) => {
    if (!found) return send(res, 404, `not found: ${url.pathname}\n`);
    const policy = await policyOf(found.file);
    res.writeHead(200, {
      'content-type': MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': found.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': policy,
      'referrer-policy': 'no-referrer',
      ...ISOLATION,
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(found.file).on('error', () => res.destroy()).pipe(res);
  }, () => send(res, 500, 'server error\n'));
}

function main(argv) {
  const buildOnly = argv.includes('--build-only');
  try {
    buildWasm();
    buildVendor();
  } catch (e) {
    console.error(`serve: ${e.message}`);
    process.exitCode = 1;
    return;
  }
  if (buildOnly) return;
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: PORT must be a whole number in 0..65535, not '${process.env.PORT}'`);
    process.exitCode = 2;
    return;
  }
  const host = process.env.HOST || '127.0.0.1';
  const server = createServer(handler);
  server.on('error', (e) => {
    console.error(e.code === 'EADDRINUSE' ? `serve: port ${port} is in use; set PORT to another one (PORT=0 takes a free one)` : `serve: ${e.message}`);
    process.exitCode = 1;
  });
  server.listen(port, host, () => {
    const shown = host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
    console.log(`rnnlab lab: http://${shown}:${server.address().port}/web/   (Ctrl-C to stop)`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2));
