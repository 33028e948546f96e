#!/usr/bin/env node
// chromium_bench.mjs: training throughput of the WebAssembly modules in headless Chromium, the browser
// students run the lab in (V8 there runs the same module 1.3-1.4x faster than in Node 20). The modules are
// timed in one Worker, interleaved (chromium_worker.js), so each figure has its peer from the same minutes
// of a possibly loaded machine: read the ratio column first.
//
//     node tests/bench/chromium_bench.mjs [--cell lstm|gru|rnn|all] [--config bench|small|all]
//                                         [--modules plain,relaxed,NAME=FILE.wasm] [--threads 1,2] [--repeats N]
//                                         [--steps N] [--json]
//
// Modules: plain = web/rnnlab.wasm (wasm_simd128), relaxed = web/rnnlab-relaxed.wasm (relaxed-SIMD gemms;
// npm run build makes both), shared and relaxed-shared their shared-memory twins (rnnlab-shared.wasm,
// rnnlab-relaxed-shared.wasm), or NAME=FILE.wasm for any other build of the module (a variant under trial).
// Rows as bench.mjs's, with engine "rnnlab-wasm-chromium", the module, its kernels, its thread count and
// path (above 1: Worker replicas, web/lib/threads.js, path "replicas"; on a shared module the core's own
// threads, web/lib/shared.js, path "shared"), the bytes the replicas exchange per step, and ratio_to_first
// (the median over repeats of this run's rate over the first run's: module by module, thread count by
// thread count). The page is served cross-origin isolated (COOP/COEP, as npm start), which the shared
// modules need.
//
// The shared path's 2-thread figure against 1 thread, in Chromium (the issue's target is 1.5x):
//     node tests/bench/chromium_bench.mjs --modules relaxed-shared,shared --threads 1,2 --repeats 9
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from '../e2e/helpers.mjs';

const root = new URL('../../', import.meta.url);
const MODULES = { plain: '/web/rnnlab.wasm', relaxed: '/web/rnnlab-relaxed.wasm', shared: '/web/rnnlab-shared.wasm',
  'relaxed-shared': '/web/rnnlab-relaxed-shared.wasm' };

// 'plain', 'relaxed' or NAME=FILE.wasm as { name, file (a file: URL) }.
function moduleSpec(m) {
  if (typeof m !== 'string') return m;
  const eq = m.indexOf('=');
  if (eq > 0) return { name: m.slice(0, eq), file: pathToFileURL(resolve(m.slice(eq + 1))).href };
  if (!MODULES[m]) throw new Error(`--modules: unknown module '${m}' (${Object.keys(MODULES).join(', ')}, or NAME=FILE.wasm)`);
  return { name: m, file: new URL(MODULES[m].slice(1), root).href };
}

export function parseArgs(argv) {
  const o = { cells: ['lstm'], configs: ['bench'], modules: ['plain', 'relaxed'], threads: [1], repeats: 7, steps: 3, json: false, warmupMs: 1500 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--json') { o.json = true; continue; }
    if (v === undefined) throw new Error(`${k} needs a value`);
    i++;
    if (k === '--cell') o.cells = v === 'all' ? ['rnn', 'lstm', 'gru'] : v.split(',');
    else if (k === '--config') o.configs = v === 'all' ? ['bench', 'small'] : v.split(',');
    else if (k === '--modules') o.modules = v.split(',');
    else if (k === '--threads') o.threads = v.split(',').map(Number);
    else if (k === '--repeats') o.repeats = +v;
    else if (k === '--steps') o.steps = +v;
    else throw new Error(`unknown flag '${k}' (see the comment at the top of tests/bench/chromium_bench.mjs)`);
  }
  for (const c of o.cells) if (!['rnn', 'lstm', 'gru'].includes(c)) throw new Error(`--cell: unknown cell '${c}' (rnn, lstm, gru, all)`);
  o.modules.forEach(moduleSpec);  // names it cannot resolve fail here
  for (const t of o.threads) if (!(Number.isInteger(t) && t >= 1 && t <= 64)) throw new Error(`--threads: ${t} is not a count in 1..64`);
  for (const k of ['repeats', 'steps']) if (!(Number.isInteger(o[k]) && o[k] >= 1)) throw new Error(`--${k} must be a whole number >= 1`);
  return o;
}

const FILES = /^\/(web\/rnnlab(-relaxed)?(-shared)?\.wasm|web\/rnnlab\.js|web\/lib\/[a-z0-9-]+\.js|tests\/bench\/[a-z_]+\.(js|mjs))$/;

// As web/serve.mjs: a cross-origin-isolated page, whose Workers may share a WebAssembly.Memory.
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serves web/ (the wrapper, its parts and modules) and tests/bench/*.js on 127.0.0.1, opens a blank page in
 * headless Chromium, starts the module Worker `worker` (a path under tests/bench/), posts it `message` and
 * resolves to its first message without a `progress` field (those go to onProgress). `files` maps more
 * URL paths to files: { '/module/0.wasm': 'file:///...' }.
 */
export async function runInChromiumWorker({ worker, message, files = {}, onProgress = () => {} }) {
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html', ...ISOLATION });
      return res.end('<!doctype html><meta charset="utf-8"><title>rnnlab bench</title>');
    }
    if (!files[path] && !FILES.test(path)) {
      res.writeHead(404);
      return res.end();
    }
    let body;
    try {
      body = readFileSync(files[path] ? new URL(files[path]) : new URL(path.slice(1), root));
    } catch {
      res.writeHead(404);
      return res.end(`${path} is missing (npm run build)`);
    }
    const type = path.endsWith('.wasm') ? 'application/wasm' : /\.m?js$/.test(path) ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, ...ISOLATION });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.exposeFunction('benchProgress', (s) => onProgress(s));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const r = await page.evaluate(([url, msg]) => new Promise((resolve) => {
      const w = new Worker(url, { type: 'module' });
      w.onerror = (e) => resolve({ error: e.message });
      w.onmessage = ({ data }) => (data.progress ? window.benchProgress(data.progress) : resolve(data));
      w.postMessage(msg);
    }), [worker, message]);
    if (r.error) throw new Error(`the bench Worker failed: ${r.error}`);
    return r;
  } finally {
    await browser.close();
    server.close();
  }
}

/** Runs the timings of options `o` in headless Chromium; resolves to { rows, userAgent }. */
export async function runChromiumBench(o, onProgress = () => {}) {
  const modules = o.modules.map((m, i) => ({ ...moduleSpec(m), url: `/module/${i}.wasm` }));
  return runInChromiumWorker({ worker: '/tests/bench/chromium_worker.js', onProgress,
    message: { ...o, modules: modules.map(({ name, url }) => ({ name, url })) },
    files: Object.fromEntries(modules.map((m) => [m.url, m.file])) });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = parseArgs(process.argv.slice(2));
  const { rows, userAgent } = await runChromiumBench(o, (s) => process.stderr.write(`${s}\n`));
  if (o.json) for (const r of rows) console.log(JSON.stringify({ ...r, user_agent: userAgent }));
  else {
    console.log(`${userAgent}\n${'module'.padEnd(8)} ${'kernels'.padEnd(12)} threads ${'config'.padEnd(6)} cell  ${'seq/s'.padStart(8)} ${'GFLOP/s'.padStart(8)}  ratio (median of paired repeats)  best/best  copies/step`);
    for (const r of rows)
      console.log(`${r.module.padEnd(8)} ${r.kernels.padEnd(12)} ${String(r.threads).padStart(7)} ${r.config.padEnd(6)} ${r.cell.padEnd(5)} ${r.seq_per_s.toFixed(1).padStart(8)} ${r.gflops.toFixed(2).padStart(8)}  ${r.ratio_to_first.toFixed(3).padStart(31)}  ${r.ratio_best_to_first.toFixed(3).padStart(9)}  ${(r.copy_bytes_per_step / 1048576).toFixed(2)} MiB`);
  }
}
