// bench.mjs: `npm run bench`: rnnlab's training and inference throughput, natively and in WebAssembly,
// beside its peers (PyTorch, TensorFlow.js wasm and cpu backends) measured in the same run, with the
// sgemm peaks every figure is read against. docs/performance.md explains each figure.
//
//     node tests/bench/bench.mjs [--json] [--quick] [--repeats N] [--steps N] [--config bench|small|all]
//                                [--cell rnn|lstm|gru|transformer|all] [--skip native,wasm,kernels,torch,tfjs-wasm,tfjs-cpu,chromium]
//                                [--wasm PATH] [--build DIR] [--no-install] [--json-out FILE] [--render FILE]
//                                [--threads N[,N...]]
//
// --json prints JSON lines instead of the table; --json-out FILE writes them to FILE besides the table;
// --render FILE prints the table of such a file again, running nothing.
// --threads 1,2,4 (default 1): native rnnlab and PyTorch run at each count, interleaved within each engine's
// run (repeat 1 of every count, then repeat 2 ...), rows carry `threads` and, after the first count, the
// median paired ratio `speedup`; a scaling table follows the main one (which shows the first count). The
// WASM module is single-threaded here: its rows say threads 1.
// What runs (each part is skipped with a note when it cannot run):
// - rnnlab-wasm: web/rnnlab.wasm (npm run build) through the public JS API (web/rnnlab.js): createModel +
//   setOptimizer + trainStep / predict on random token batches made here. Single thread.
//   --threads 1,2: WASM training rows at each count too (rows carry `threads`; above 1 the steps run on
//   Worker replicas, web/lib/threads.js, with the bytes they exchange per step), and rows of the
//   shared-memory module (web/rnnlab-shared.wasm, path "shared": the core's own threads on Worker
//   instances over one memory, web/lib/shared.js) at every count, interleaved, with ratio_to_1.
// - rnnlab-wasm-chromium: the same module in headless Chromium, where students run it (chromium_bench.mjs:
//   a Worker of the page; web/rnnlab.wasm and web/rnnlab-relaxed.wasm interleaved, at each --threads count;
//   with a count above 1 also the shared-memory twin of the relaxed one, the page's module under npm start).
// - rnnlab-native: `build/rnnlab bench --json` (npm run build:native).
// - kernels: build/bench_kernels --json (every native gemm variant against the scalar reference), and the
//   same in WASM: a standalone module built here from tests/bench/bench_kernels_wasm.c (kernels_wasm.mjs),
//   with the activation kernels too. Their best square sgemm is the "peak" of each engine.
// - pytorch: /usr/bin/python3 tests/bench/torch_bench.py --json --peak, if torch imports; run with
//   OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (this command only: they are set on this machine for old
//   OpenBLAS builds and slow a current one) and OPENBLAS_NUM_THREADS=1. Its sgemm is the native peak
//   when faster than rnnlab's.
// - tfjs-wasm, tfjs-cpu: tests/bench/peers/tfjs_bench.mjs, one process per backend. TensorFlow.js lives in
//   its own package (tests/bench/peers/package.json, pinned, with its lock file), installed on first use
//   with `npm ci --prefix tests/bench/peers` when the registry is reachable; never needed by the lab.
//
// Medians over --repeats runs (default 5) of --steps batches (default 3) after one warm-up run; the cpu
// backend of tfjs, ~100x slower, runs 1 step x 3 repeats (--quick: everything smaller). FLOPs are the
// matmul FLOPs of cmd_bench.c: forward = B*T*2*G*H*(E+H) + 2*B*H; a training step counts 3x forward.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { CELLS as ALL_CELLS, CONFIGS as ALL_CONFIGS, TF, forwardFlops, median, randomBatch, timeSteps } from './bench_common.mjs';
import { buildKernelModule, runKernelBench } from './kernels_wasm.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

// --- Options ------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (n) => argv.includes(n);
const opt = (n, d) => {
  const i = argv.indexOf(n);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d;
};
if (flag('--help') || flag('-h')) {
  console.log(`usage: node tests/bench/bench.mjs [--json] [--quick] [--repeats N] [--steps N] [--config bench|small|all]
       [--cell rnn|lstm|gru|transformer|all] [--skip native,wasm,kernels,torch,tfjs-wasm,tfjs-cpu,chromium] [--wasm PATH] [--build DIR] [--no-install]
       [--json-out FILE] [--render FILE] [--threads N[,N...]]`);
  process.exit(0);
}
const json = flag('--json'), quick = flag('--quick');
const repeats = +opt('--repeats', quick ? 3 : 5), steps = +opt('--steps', quick ? 1 : 3);
const which = opt('--config', 'all'), cellArg = opt('--cell', 'all');
const skip = new Set(opt('--skip', '').split(',').filter(Boolean));
const buildDir = opt('--build', join(root, 'build'));
const wasmPath = opt('--wasm', join(root, 'web', 'rnnlab.wasm'));
const peersDir = join(here, 'peers');
const jsonOut = opt('--json-out', null);
const threadList = opt('--threads', '1');
const threadCounts = threadList.split(',').map(Number);
if (!threadCounts.length || threadCounts.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(`bench: --threads takes counts of at least 1 separated by commas (1,2,4), not '${threadList}'`);
  process.exit(2);
}
if (jsonOut) writeFileSync(jsonOut, '');
const emitJson = (obj) => {
  if (json) console.log(JSON.stringify(obj));
  if (jsonOut) appendFileSync(jsonOut, JSON.stringify(obj) + '\n');
};

const CONFIGS = ALL_CONFIGS.filter((c) => which === 'all' || which === c.name);
const CELLS = ALL_CELLS.filter((c) => cellArg === 'all' || cellArg === c);
// The Transformer encoder (rnnlab bench --cell transformer, torch_bench.py's nn.TransformerEncoder, and in
// WASM here: same sizes) has no tfjs peer: its rows join the table after the cells'.
const WITH_TF = cellArg === 'all' || cellArg === 'transformer';
const TABLE_CELLS = [...CELLS, ...(WITH_TF ? ['transformer'] : [])];

// --- Output -------------------------------------------------------------------------------------

const rows = [], notes = [];
const say = (s) => {
  if (json) console.log(JSON.stringify({ kind: 'progress', message: s }));
  else process.stderr.write(s + '\n');
};
const note = (s) => {
  notes.push(s);
  emitJson({ kind: 'note', message: s });
};
const record = (row) => {
  rows.push(row);
  emitJson(row);
};

// Runs a command; resolves to its stdout lines (rejects with its stderr on failure). onLine, if given,
// sees each line as it arrives, so the rows of a long peer run are kept even if it is stopped.
function run(cmd, args, { env, cwd, timeoutMs = 30 * 60e3, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: env ?? process.env, cwd: cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', pending = '';
    const timer = setTimeout(() => p.kill('SIGTERM'), timeoutMs);
    p.stdout.on('data', (d) => {
      out += d;
      if (!onLine) return;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) if (l.trim()) onLine(l);
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter(Boolean));
      else reject(new Error(`${cmd} ${args.join(' ')}: ${sig ? `killed (${sig})` : `exit ${code}`}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

const parseJsonLines = (lines) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

// --- rnnlab in WebAssembly, through the public JS API ---------------------------------------------

async function benchWasm() {
  if (!existsSync(wasmPath)) return note(`rnnlab-wasm skipped: ${wasmPath} is missing (npm run build)`);
  const { RnnLab } = await import(pathToFileURL(join(root, 'web', 'rnnlab.js')).href);
  for (const c of CONFIGS)
    for (const cell of TABLE_CELLS) {
      // A fresh instance per model: its memory after training is this configuration's peak.
      const lab = await RnnLab.load(wasmPath);
      const m = cell === 'transformer'
        ? lab.createTransformer({ vocab: c.vocab, hidden: c.H, heads: TF.heads, layers: TF.layers, ffn: TF.ffn(c), head: 'binary', outputs: 1, seed: 1 })
        : lab.createModel({ cell, vocab: c.vocab, embed: c.E, hidden: c.H, head: 'binary', outputs: 1, seed: 1 });
      m.setOptimizer({ kind: 'adam', lr: 1e-3, clip: 0 });  // as `rnnlab bench`: no clipping
      const { tokens, targets } = randomBatch(c);
      const batch = { B: c.B, T: c.T, tokens, targets };
      for (const mode of ['train', 'inference']) {
        const step = () => (mode === 'train' ? m.trainStep(batch) : m.predict({ B: c.B, T: c.T, tokens }));
        // Warm-up of at least a second besides the warm-up run: V8 first runs WASM in its baseline
        // compiler (Liftoff) and swaps in optimised code (TurboFan) compiled in the background.
        for (const w0 = performance.now(); performance.now() - w0 < 1000;) step();
        const row = await timeSteps(step, c, cell, mode, { repeats, steps });
        // A Transformer embeds its tokens at its width D = H (as the native row says).
        record({ engine: 'rnnlab-wasm', kernels: lab.kernels, threads: 1, ...row, ...(cell === 'transformer' ? { embed: c.H } : {}),
          memory_bytes: lab.memoryBytes });
        say(`  rnnlab-wasm ${c.name} ${cell} ${mode}: ${row.seq_per_s.toFixed(1)} seq/s`);
      }
      // Training on Worker replicas: the same steps (the same bytes) over n instances. cpu_* fields count
      // every thread of the process. copy_bytes_per_step: the gradient blocks posted between them per step.
      // (--threads: the same counts as native and PyTorch; WASM at 1 always, as the main table's peer.)
      // (The replicas are a recurrent Model's, Model.setThreads: a Transformer's rows are single-threaded.)
      for (const n of threadCounts.filter((t) => t > 1 && cell !== 'transformer')) {
        await m.setThreads(n);
        const step = () => m.trainStepAsync(batch);
        for (const w0 = performance.now(); performance.now() - w0 < 1000;) await step();
        const s0 = m.threadStats;
        const row = await timeSteps(step, c, cell, 'train', { repeats, steps });
        const s1 = m.threadStats, per = (s1.bytesOut + s1.bytesIn - s0.bytesOut - s0.bytesIn) / (s1.steps - s0.steps);
        record({ engine: 'rnnlab-wasm', kernels: lab.kernels, ...row, threads: n, path: 'replicas', copy_bytes_per_step: Math.round(per),
          memory_bytes: lab.memoryBytes });
        say(`  rnnlab-wasm ${c.name} ${cell} train, ${n} threads (replicas): ${row.seq_per_s.toFixed(1)} seq/s, ${(per / 1048576).toFixed(2)} MiB copied a step`);
      }
      if (cell !== 'transformer') await m.setThreads(1);
      m.free();
    }
  if (threadCounts.some((t) => t > 1)) await benchWasmShared(RnnLab);
}

// The shared-memory module (web/rnnlab-shared.wasm): training on the core's own threads, Worker instances
// over one memory (web/lib/shared.js). One model per count on one lab, timed interleaved (repeat r of
// every count, then repeat r + 1), so each row's ratio_to_1 is the median of ratios taken side by side.
async function benchWasmShared(RnnLab) {
  const file = join(root, 'web', 'rnnlab-shared.wasm');
  if (!existsSync(file)) return note(`rnnlab-wasm shared path skipped: ${file} is missing (npm run build)`);
  const counts = [...new Set([1, ...threadCounts])];
  for (const c of CONFIGS)
    for (const cell of TABLE_CELLS) {
      const lab = await RnnLab.load(file);
      const { tokens, targets } = randomBatch(c);
      const batch = { B: c.B, T: c.T, tokens, targets };
      const runs = [];
      for (const n of counts) {
        const m = cell === 'transformer'
          ? lab.createTransformer({ vocab: c.vocab, hidden: c.H, heads: TF.heads, layers: TF.layers, ffn: TF.ffn(c), head: 'binary', outputs: 1, seed: 1 })
          : lab.createModel({ cell, vocab: c.vocab, embed: c.E, hidden: c.H, head: 'binary', outputs: 1, seed: 1 });
        m.setOptimizer({ kind: 'adam', lr: 1e-3, clip: 0 });
        await m.setThreads(n);
        for (const w0 = performance.now(); performance.now() - w0 < 1000;) m.trainStep(batch);
        runs.push({ n, m, rates: [] });
      }
      for (let r = 0; r < repeats; r++)
        for (const run of runs) {
          const t0 = performance.now();
          for (let k = 0; k < steps; k++) run.m.trainStep(batch);
          run.rates.push((steps * c.B) / ((performance.now() - t0) / 1000));
        }
      const flopsPerSeq = (3 * forwardFlops(c, cell)) / c.B;
      for (const run of runs) {
        const med = median(run.rates), ratio = median(run.rates.map((x, i) => x / runs[0].rates[i]));
        record({ engine: 'rnnlab-wasm', kernels: lab.kernels, config: c.name, cell, mode: 'train', threads: run.n, path: 'shared',
          seq_per_s: +med.toFixed(2), seq_per_s_min: +Math.min(...run.rates).toFixed(2), seq_per_s_max: +Math.max(...run.rates).toFixed(2),
          gflops: +((med * flopsPerSeq) / 1e9).toFixed(3), ratio_to_1: +ratio.toFixed(4), batch: c.B, length: c.T, embed: c.E, hidden: c.H,
          repeats, steps, memory_bytes: lab.memoryBytes });
        say(`  rnnlab-wasm ${c.name} ${cell} train, ${run.n} threads (shared memory): ${med.toFixed(1)} seq/s, ${ratio.toFixed(2)}x 1 thread side by side`);
        run.m.free();
      }
      await lab.stopThreads();
    }
}

// --- Native, kernels, peers ---------------------------------------------------------------------

async function benchNative() {
  const exe = join(buildDir, 'rnnlab');
  if (!existsSync(exe)) return note(`rnnlab-native skipped: ${exe} is missing (npm run build:native)`);
  const lines = await run(exe, ['bench', '--json', '--repeats', String(repeats), '--steps', String(steps),
    '--config', which, '--cell', cellArg, '--threads', threadList]);
  for (const r of parseJsonLines(lines)) record({ ...r, steps });
}

async function benchKernels() {
  const exe = [join(buildDir, 'bench_kernels'), join(buildDir, 'tests', 'bench', 'bench_kernels')].find(existsSync);
  if (!exe) note(`native kernel benchmarks skipped: bench_kernels is missing in ${buildDir} (npm run build:native)`);
  else {
    say('  native kernels (bench_kernels --json)');
    for (const r of parseJsonLines(await run(exe, ['--json', ...(quick ? ['--quick'] : [])])))
      record({ engine: 'rnnlab-native', kind: 'gemm', ...r });
  }
  let path;
  try {
    path = buildKernelModule();
  } catch (e) {
    return note(`WASM kernel benchmarks skipped: emcc failed or is missing (${String(e.stderr ?? e.message).trim().split('\n')[0]})`);
  }
  say('  WASM kernels (standalone bench_kernels.wasm)');
  await runKernelBench({ path, reps: quick ? 3 : 7, onRow: record });
}

async function benchTorch() {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return note('pytorch skipped: /usr/bin/python3 not found');
  try {
    await run(py, ['-c', 'import torch'], { timeoutMs: 120e3 });
  } catch {
    return note('pytorch skipped: torch does not import in /usr/bin/python3');
  }
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this command alone (as `env -u ... -u ...`).
  // The BLAS and OpenMP pools get room for the largest count; torch_bench.py sets each count itself.
  const most = String(Math.max(...threadCounts));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: most, OMP_NUM_THREADS: most };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const unset = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => process.env[k] !== undefined);
  const lines = await run(py, [join(here, 'torch_bench.py'), '--json', '--peak', '--repeats', String(repeats),
    '--steps', String(steps), '--config', which, '--cell', cellArg, '--threads', threadList], { env });
  const got = parseJsonLines(lines);
  const kernel = got[0]?.kernels ?? '?';
  note(`pytorch ran with ${unset.length ? unset.map((k) => `${k} (was ${process.env[k]})`).join(' and ') + ' unset' : 'no OPENBLAS_* overrides'}, OPENBLAS_NUM_THREADS=${most}, torch.set_num_threads(${threadList}): BLAS kernel ${kernel}`);
  for (const r of got) record({ ...r, steps, openblas_env_unset: unset });
}

async function ensurePeers() {
  const mod = join(peersDir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'package.json');
  if (existsSync(mod)) return true;
  if (flag('--no-install')) {
    note('tfjs skipped: tests/bench/peers is not installed (--no-install); run npm ci --prefix tests/bench/peers');
    return false;
  }
  say('  installing the peers once: npm ci --prefix tests/bench/peers');
  try {
    await run('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund'], { timeoutMs: 10 * 60e3 });
    return true;
  } catch (e) {
    note(`tfjs skipped: npm ci --prefix tests/bench/peers failed (registry unreachable?): ${e.message.slice(0, 200)}`);
    return false;
  }
}

async function benchTfjs(backend) {
  // The cpu backend is ~100x slower than the rest: fewer steps, so the run stays in minutes.
  const r = backend === 'cpu' ? Math.min(repeats, 3) : repeats, s = backend === 'cpu' ? 1 : Math.min(steps, 2);
  let noted = false;
  await run(process.execPath, [join(peersDir, 'tfjs_bench.mjs'), '--backend', backend, '--json', '--peak',
    '--repeats', String(r), '--steps', String(s), '--config', which, '--cell', cellArg], {
    onLine: (l) => {
      if (!l.startsWith('{')) return;
      const x = JSON.parse(l);
      if (x.note && !noted) note(`tfjs-${backend}: ${x.note}`), (noted = true);
      record(x);
      if (x.config) say(`  ${x.engine} ${x.config} ${x.cell} ${x.mode}: ${x.seq_per_s.toFixed(2)} seq/s`);
    },
  });
}

// --- The table ----------------------------------------------------------------------------------

// The main table shows the first thread count (rows from before threads have none: 1); rnnlab-wasm by its
// exact name (its Chromium rows, rnnlab-wasm-chromium, have a table of their own).
function find(engine, config, cell, mode, threads = threadCounts[0]) {
  return rows.find((r) => (engine === 'rnnlab-wasm' ? r.engine === engine : r.engine.startsWith(engine)) && r.config === config &&
    r.cell === cell && r.mode === mode && (r.threads ?? 1) === threads);
}

// The peaks: each engine kind's best square sgemm, by the fastest repeat of each measurement (on a shared
// machine the fastest repeat is nearest the kernel's own speed), by the wall clock (cpu = false) or by
// CPU time (cpu = true). Returned rows carry the chosen rate as `peak`.
function peaks(cpu) {
  const rate = (r) => (cpu ? Math.max(r.gflops_cpu ?? 0, r.gflops_cpu_best ?? 0) : Math.max(r.gflops ?? 0, r.gflops_best ?? 0));
  const best = (pred) => rows.filter(pred).map((r) => ({ ...r, peak: rate(r) }))
    .reduce((m, r) => (r.peak > (m?.peak ?? 0) ? r : m), null);
  const sq = (r) => r.M === r.N && r.N === r.K && r.M >= 256;
  return {
    wasmOwn: best((r) => r.engine === 'rnnlab-wasm' && r.kind === 'gemm' && sq(r)),
    nativeOwn: best((r) => r.engine === 'rnnlab-native' && r.kind === 'gemm' && sq(r)),
    torch: best((r) => r.engine.startsWith('pytorch') && r.kind === 'sgemm'),
    tfjsWasm: best((r) => r.engine.startsWith('tfjs-wasm') && r.kind === 'sgemm'),
  };
}

function printTable() {
  const out = [];
  out.push('');
  const endLoad = environment.loadavg_end ?? loadavg();
  out.push(`rnnlab vs its peers, one run, ${threadCounts[0] === 1 ? 'single thread' : `${threadCounts[0]} threads (native, PyTorch)`}; load average (1, 5, 15 min) at the start ${environment.loadavg_start.map((x) => x.toFixed(2)).join(' ')}, at the end ${endLoad.map((x) => x.toFixed(2)).join(' ')}`);
  // Two views of the same runs: rates from the wall clock, and from each process's CPU time (what a
  // shared, loaded machine distorts least: waiting for a core is not counted).
  for (const [title, sk, gk] of [['wall clock', 'seq_per_s', 'gflops'], ['CPU time', 'cpu_seq_per_s', 'cpu_gflops']]) {
    const p = peaks(sk !== 'seq_per_s');
    const wasmPeak = Math.max(p.wasmOwn?.peak ?? 0, p.tfjsWasm?.peak ?? 0) || NaN;
    const nativePeak = Math.max(p.nativeOwn?.peak ?? 0, p.torch?.peak ?? 0) || NaN;
    const f = (r, d = 1) => (r && r[sk] !== undefined ? r[sk].toFixed(d) : '-');
    const g = (r) => (r && r[gk] !== undefined ? r[gk].toFixed(2) : '-');
    const ratio = (a, b) => (a && b && a[sk] && b[sk] ? (a[sk] / b[sk]).toFixed(1) + 'x' : '-');
    const pct = (r, peak) => (r && r[gk] && peak ? ((100 * r[gk]) / peak).toFixed(0) + '%' : '-');
    out.push('');
    out.push(`seq/s and GFLOP/s (matmul FLOPs, training = 3x forward) by ${title}; %peak: of the sgemm peak (fastest repeat of the best square gemm, by ${title}):`);
    out.push(`  WASM ${wasmPeak.toFixed(1)} GFLOP/s (${p.wasmOwn ? `rnnlab ${p.wasmOwn.variant} ${p.wasmOwn.op} ${p.wasmOwn.M}^3 ${p.wasmOwn.peak.toFixed(1)}` : '-'}${p.tfjsWasm ? `; tfjs-wasm tf.matMul ${p.tfjsWasm.M}^3 ${p.tfjsWasm.peak.toFixed(1)}` : ''}), ` +
      `native ${nativePeak.toFixed(1)} GFLOP/s (${p.nativeOwn ? `rnnlab ${p.nativeOwn.variant} ${p.nativeOwn.op} ${p.nativeOwn.M}^3 ${p.nativeOwn.peak.toFixed(1)}` : '-'}${p.torch ? `; PyTorch torch.mm, ${p.torch.kernels}, ${p.torch.M}^3 ${p.torch.peak.toFixed(1)}` : ''})`);
    const hdr = ['config', 'cell', 'mode', 'rnnlab-wasm', 'GF/s', '%peak', 'tfjs-wasm', 'tfjs-cpu', 'wasm/tfjs', 'rnnlab-nat', 'GF/s', '%peak', 'pytorch', 'nat/torch', 'MiB'];
    const w = [6, 11, 9, 11, 6, 6, 9, 8, 9, 10, 6, 6, 8, 9, 5];
    const line = (cols) => cols.map((c, i) => (i < 3 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' ');
    out.push(line(hdr));
    for (const c of CONFIGS)
      for (const cell of TABLE_CELLS)
        for (const mode of ['train', 'inference']) {
          const rw = find('rnnlab-wasm', c.name, cell, mode), tw = find('tfjs-wasm', c.name, cell, mode);
          const tc = find('tfjs-cpu', c.name, cell, mode), rn = find('rnnlab-native', c.name, cell, mode);
          const pt = find('pytorch', c.name, cell, mode);
          if (!rw && !tw && !tc && !rn && !pt) continue;
          out.push(line([c.name, cell, mode, f(rw), g(rw), pct(rw, wasmPeak), f(tw, 2), f(tc, 2), ratio(rw, tw), f(rn), g(rn),
            pct(rn, nativePeak), f(pt), ratio(rn, pt), rw ? (rw.memory_bytes / 1048576).toFixed(0) : '-']));
        }
  }
  // Scaling: each thread count beside the first, native and PyTorch, with the paired speedups.
  const counts = [...new Set(rows.filter((r) => r.config && r.threads).map((r) => r.threads))].sort((a, b) => a - b);
  if (counts.length > 1) {
    out.push('');
    out.push('threads: seq/s by the wall clock, and the speedup against the first count (median of the ratios of repeats run side by side)');
    const w = [6, 11, 9, 7, 11, 8, 11, 8, 9];
    const line = (cols) => cols.map((c, i) => (i < 3 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' ');
    out.push(line(['config', 'cell', 'mode', 'threads', 'rnnlab-nat', 'speedup', 'pytorch', 'speedup', 'nat/torch']));
    const sp = (r) => (r ? (r.speedup ? r.speedup.toFixed(2) + 'x' : '1') : '-');
    for (const c of CONFIGS)
      for (const cell of TABLE_CELLS)
        for (const mode of ['train', 'inference'])
          for (const n of counts) {
            const rn = find('rnnlab-native', c.name, cell, mode, n), pt = find('pytorch', c.name, cell, mode, n);
            if (!rn && !pt) continue;
            out.push(line([c.name, cell, mode, n, rn ? rn.seq_per_s.toFixed(1) : '-', sp(rn), pt ? pt.seq_per_s.toFixed(1) : '-', sp(pt),
              rn && pt ? (rn.seq_per_s / pt.seq_per_s).toFixed(1) + 'x' : '-']));
          }
  }
  // Kernel summary: the best variant against scalar at each shape (full rows in --json).
  const kern = rows.filter((r) => r.kind === 'gemm' && r.op === 'nt');
  if (kern.length) {
    out.push('');
    out.push('gemm nt GFLOP/s at the LSTM\'s shapes (best variant / scalar reference); every op and variant in --json');
    for (const engine of ['rnnlab-native', 'rnnlab-wasm']) {
      const ks = kern.filter((r) => r.engine === engine);
      const shapes = [...new Set(ks.map((r) => `${r.M}x${r.N}x${r.K}`))];
      const cells = shapes.map((s) => {
        const at = ks.filter((r) => `${r.M}x${r.N}x${r.K}` === s);
        const sc = at.find((r) => r.variant === 'scalar'), bst = at.reduce((m, r) => (r.gflops > m.gflops ? r : m));
        return `${s} ${bst.gflops.toFixed(1)} ${bst.variant} / ${sc ? sc.gflops.toFixed(1) : '-'}`;
      });
      if (cells.length) out.push(`  ${engine.padEnd(13)} ${cells.join('; ')}`);
    }
    const acts = rows.filter((r) => r.kind === 'activation');
    if (acts.length)
      out.push(`  activations (Gvalues/s, n=4096, WASM): ${acts.map((r) => `${r.op} ${r.variant} ${r.gvalues.toFixed(3)}`).join(', ')}`);
  }
  // Thread counts and the browser: WASM training rows by engine (Node, Chromium), module and thread count,
  // each against the single-thread row of the same engine and module measured in the same run.
  const tr = rows.filter((r) => r.engine.startsWith('rnnlab-wasm') && r.mode === 'train' && r.threads !== undefined);
  if (tr.some((r) => r.threads > 1 || r.engine === 'rnnlab-wasm-chromium')) {
    out.push('');
    out.push('WASM training by engine, kernels, threads and path (above 1: Worker replicas, or shared memory); x1: against 1 thread of the same engine, kernels and path; MiB: copied a step');
    // Which module a row ran: Chromium rows name it; Node rows are the plain module's, or the shared one's.
    const kind = (x) => x.module ?? (x.path === 'shared' ? 'shared' : 'plain');
    for (const r of tr) {
      const one = tr.find((x) => x.engine === r.engine && x.kernels === r.kernels && x.config === r.config && x.cell === r.cell && x.threads === 1 &&
        kind(x) === kind(r));
      out.push(`  ${r.engine.padEnd(20)} ${r.kernels.padEnd(11)} ${kind(r).padEnd(14)} ${r.config.padEnd(5)} ${r.cell.padEnd(4)} ${String(r.threads).padStart(2)} thr ` +
        `${r.seq_per_s.toFixed(1).padStart(7)} seq/s ${r.gflops.toFixed(2).padStart(6)} GFLOP/s ${one ? (r.seq_per_s / one.seq_per_s).toFixed(2) + 'x1' : '-'}` +
        `${r.copy_bytes_per_step ? ` ${(r.copy_bytes_per_step / 1048576).toFixed(2)} MiB` : ''}`);
    }
  }
  if (notes.length) {
    out.push('');
    for (const n of notes) out.push(`note: ${n}`);
  }
  const peakMem = Math.max(0, ...rows.filter((r) => r.engine === 'rnnlab-wasm' && r.memory_bytes).map((r) => r.memory_bytes));
  if (peakMem) out.push(`note: peak WASM memory (memory.buffer.byteLength after training) ${(peakMem / 1048576).toFixed(1)} MiB`);
  console.log(out.join('\n'));
}

// --- Main ---------------------------------------------------------------------------------------

const environment = { kind: 'environment', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model,
  cores: cpus().length, loadavg_start: loadavg(), repeats, steps, threads: threadCounts };
emitJson(environment);
if (!json) say(`bench: ${environment.cpu}, ${environment.cores} cores, node ${environment.node}, load average ${environment.loadavg_start.map((x) => x.toFixed(2)).join(' ')}; ${repeats} repeats x ${steps} steps`);

const renderFrom = opt('--render', null);
if (renderFrom) {
  // Rows, notes and the load averages of an earlier run, then its table.
  for (const line of readFileSync(renderFrom, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line);
    if (r.kind === 'note') notes.push(r.message);
    else if (r.kind === 'environment') environment.loadavg_start = r.loadavg_start;
    else if (r.kind === 'environment_end') environment.loadavg_end = r.loadavg_end;
    else if (r.kind !== 'progress') rows.push(r);
  }
  printTable();
  process.exit(0);
}

// Last, so that the table's WASM column keeps the Node rows (find() takes the first row of an engine prefix).
async function benchChromium() {
  const { runChromiumBench } = await import('./chromium_bench.mjs');
  const modules = existsSync(join(root, 'web', 'rnnlab-relaxed.wasm')) ? ['plain', 'relaxed'] : ['plain'];
  // With --threads above 1, the shared-memory twin of the page's module too: the page's path under npm start.
  if (threadCounts.some((t) => t > 1)) {
    const twin = `${modules.at(-1) === 'relaxed' ? 'relaxed-' : ''}shared`;
    if (existsSync(join(root, 'web', `rnnlab-${twin}.wasm`))) modules.push(twin);
  }
  const { rows: got, userAgent } = await runChromiumBench({ cells: CELLS, configs: CONFIGS.map((c) => c.name), modules,
    threads: [...new Set([1, ...threadCounts])], repeats, steps, warmupMs: 1500 }, (m) => say(`  chromium ${m}`));
  for (const r of got) record({ ...r, user_agent: userAgent });
}

const parts = [
  ['native', 'rnnlab native (build/rnnlab bench --json)', benchNative],
  ['wasm', 'rnnlab WASM (web/rnnlab.wasm through web/rnnlab.js)', benchWasm],
  ['kernels', 'kernel micro-benchmarks', benchKernels],
  ['torch', 'PyTorch (tests/bench/torch_bench.py)', benchTorch],
  ['tfjs-wasm', 'TensorFlow.js wasm backend', async () => (await ensurePeers()) && benchTfjs('wasm')],
  ['tfjs-cpu', 'TensorFlow.js cpu backend', async () => (await ensurePeers()) && benchTfjs('cpu')],
  ['chromium', 'rnnlab WASM in headless Chromium (tests/bench/chromium_bench.mjs)', benchChromium],
];
for (const [key, what, fn] of parts) {
  if (skip.has(key)) continue;
  say(`${what}...`);
  try {
    await fn();
  } catch (e) {
    note(`${key} failed: ${e.message}`);
  }
}
environment.loadavg_end = loadavg();
emitJson({ kind: 'environment_end', loadavg_end: environment.loadavg_end });
if (!json) printTable();
