// kernels_wasm.mjs: the kernel micro-benchmarks in WebAssembly, the WASM face of bench_kernels.c.
//
// buildKernelModule() compiles tests/bench/bench_kernels_wasm.c with the core's kernels (kernels.c,
// kernels_wasm.c, activations.c, error.c) into a standalone module with its own emcc call (no JS glue,
// nothing of the lab's build touched); runKernelBench() instantiates it (its one import,
// env.emscripten_notify_memory_growth, is a no-op) and times every gemm variant at the shapes of
// bench_kernels.c, and every activation variant, against the scalar reference, with performance.now().
// checkGemms() and checkActivations() test every variant against the scalar reference first.
// { relaxed: true } builds the relaxed-SIMD twin (bench_kernels_relaxed.wasm: wasmrelaxed too, compiled by
// clang >= 16 as web/wasm.cmake does); Node 20 runs it only with --experimental-wasm-relaxed-simd.
//
//     node tests/bench/kernels_wasm.mjs [--json] [--quick] [--check] [--relaxed]
//     node --experimental-wasm-relaxed-simd tests/bench/kernels_wasm.mjs --relaxed
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

// Shapes of bench_kernels.c (the LSTM's products at the bench config) and two squares for the peak.
export const SHAPES = [
  { what: 'lstm fwd step', M: 32, N: 512, K: 128 },
  { what: 'lstm input proj', M: 6400, N: 512, K: 64 },
  { what: 'lstm bwd dW', M: 512, N: 128, K: 32 },
  { what: 'lstm bwd dX', M: 32, N: 128, K: 512 },
  { what: 'square', M: 256, N: 256, K: 256 },
  { what: 'square', M: 512, N: 512, K: 512 },
];
const OPS = ['nn', 'nt', 'tn'];
const SOURCES = ['core/src/kernels.c', 'core/src/kernels_wasm.c', 'core/src/activations.c', 'core/src/error.c',
  'tests/bench/bench_kernels_wasm.c'];
const EXPORTS = ['kb_alloc', 'kb_gemm_count', 'kb_gemm_name', 'kb_gemm', 'kb_gemm_ld', 'kb_act_count', 'kb_act_name', 'kb_act'];

/** The clang >= 16 that compiles the relaxed-SIMD kernels (as web/wasm.cmake finds it), or null. */
export function relaxedCompiler() {
  for (const cc of ['clang-16', 'clang-17', 'clang-18', 'clang-19']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {}
  }
  return null;
}

// Builds (if any source is newer) and returns the path of the module, or throws with emcc's message.
// relaxed: kernels_wasm_relaxed.c compiled by clang >= 16 with emcc's own flags and linked without
// wasm-opt, as web/wasm.cmake builds web/rnnlab-relaxed.wasm (it says why).
export function buildKernelModule(outDir = join(root, 'build-bench'), { relaxed = false } = {}) {
  const out = join(outDir, relaxed ? 'bench_kernels_relaxed.wasm' : 'bench_kernels.wasm');
  const srcs = SOURCES.map((s) => join(root, s));
  const relaxedSrc = join(root, 'core/src/kernels_wasm_relaxed.c');
  const deps = [...srcs, join(root, 'core/src/internal.h'), join(root, 'core/src/kernels.h'), join(root, 'core/include/rnnlab.h'),
    ...(relaxed ? [relaxedSrc] : [])];
  if (existsSync(out) && deps.every((d) => statSync(d).mtimeMs <= statSync(out).mtimeMs)) return out;
  mkdirSync(outDir, { recursive: true });
  const includes = [`-I${join(root, 'core/include')}`, `-I${join(root, 'core/src')}`];
  const extra = [];
  if (relaxed) {
    const cc = relaxedCompiler();
    if (!cc) throw new Error('the relaxed-SIMD kernels need clang >= 16 (Debian 12: apt-get install clang-16)');
    const cflags = execFileSync('emcc', ['--cflags'], { encoding: 'utf8' }).trim().split(/\s+/);
    const obj = join(outDir, 'kernels_wasm_relaxed.o');
    execFileSync(cc, [...cflags, '-std=c11', '-O3', '-DNDEBUG', '-msimd128', '-mrelaxed-simd', ...includes, '-c', relaxedSrc, '-o', obj],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    extra.push(obj, '-DRNL_KERNELS_WASM_RELAXED', '-O1', '-sWASM_BIGINT');  // kernels.c lists wasmrelaxed; no wasm-opt
  }
  execFileSync('emcc', [
    '-O3', '-msimd128',        // as web/wasm.cmake: the kernels under test are the module's own
    '-std=c11', '-DNDEBUG', ...includes, ...srcs,
    '--no-entry', '-sSTANDALONE_WASM',  // no JS glue: instantiated below
    `-sEXPORTED_FUNCTIONS=${EXPORTS.map((e) => '_' + e).join(',')}`,
    '-sALLOW_MEMORY_GROWTH=1', '-sINITIAL_MEMORY=64MB', '-sTOTAL_STACK=1MB', ...extra, '-o', out,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

export async function loadKernelModule(path) {
  const module = await WebAssembly.compile(readFileSync(path));
  const imports = { env: { emscripten_notify_memory_growth() {} } };
  for (const imp of WebAssembly.Module.imports(module))
    if (!(imp.module === 'env' && imp.name === 'emscripten_notify_memory_growth'))
      throw new Error(`bench_kernels.wasm imports ${imp.module}.${imp.name}: it must be standalone`);
  const { exports: ex } = await WebAssembly.instantiate(module, imports);
  ex._initialize?.();
  const str = (p) => {
    const u8 = new Uint8Array(ex.memory.buffer);
    let e = p;
    while (u8[e]) e++;
    return new TextDecoder().decode(u8.subarray(p, e));
  };
  const names = (count, name) => Array.from({ length: count() }, (_, i) => str(name(i)));
  return { ex, gemms: names(ex.kb_gemm_count, ex.kb_gemm_name), acts: names(ex.kb_act_count, ex.kb_act_name) };
}

function randomFill(ex, ptr, n, seed) {
  const f32 = new Float32Array(ex.memory.buffer, ptr, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f32[i] = (s >>> 8) / 16777216 - 0.5;
  }
}

// Median seconds per call over `reps` repeats of enough calls to last >= 20 ms, and the best repeat; the
// same by the process's CPU time (what a loaded machine distorts less).
function timeCalls(call, reps) {
  call(1);
  let iters = 1;
  for (;;) {
    const t0 = performance.now();
    call(iters);
    const dt = (performance.now() - t0) / 1000;
    if (dt >= 0.02 || iters >= 1 << 24) break;
    iters = dt < 1e-4 ? iters * 16 : Math.floor((iters * 0.025) / dt) + 1;
  }
  const t = [], c = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    call(iters);
    t.push((performance.now() - t0) / 1000 / iters);
    const cu = process.cpuUsage(c0);
    c.push((cu.user + cu.system) / 1e6 / iters);
  }
  t.sort((a, b) => a - b);
  c.sort((a, b) => a - b);
  return { median: t[reps >> 1], best: t[0], cpuMedian: c[reps >> 1], cpuBest: c[0] };
}

// The WASM activation variants against the scalar reference, as tests/c/test_activations.c does
// natively (which cannot run the wasm_simd128 variant): every length 1..35 (past two vectors of 16) at
// 4 offsets, in place too, within 1 ulp and nothing written past the end. Throws on the first mismatch.
export function checkActivations(ex, acts) {
  const n = 48, x = ex.kb_alloc(4 * n), ref = ex.kb_alloc(4 * n), y = ex.kb_alloc(4 * (n + 1));
  const f32 = () => new Float32Array(ex.memory.buffer);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f32()[(x >> 2) + i] = (s >>> 8) / 16777216 * 24 - 12;
  }
  const ulp = (v) => {
    const a = Math.abs(Math.fround(v));
    const b = new Float32Array([a]), u = new Uint32Array(b.buffer);
    u[0]++;
    return b[0] - a || 1.4e-45;
  };
  let checked = 0;
  for (let v = 1; v < acts.length; v++)
    for (let fn = 0; fn < 2; fn++)
      for (let len = 1; len <= 35; len++)
        for (let off = 0; off < 4; off++) {
          ex.kb_act(0, fn, len, x + 4 * off, ref, 1);
          f32().fill(-7777.25, y >> 2, (y >> 2) + len + 1);
          ex.kb_act(v, fn, len, x + 4 * off, y, 1);
          const m = f32();
          for (let i = 0; i < len; i++) {
            const a = m[(y >> 2) + i], r = m[(ref >> 2) + i];
            if (!(Math.abs(a - r) <= ulp(r)))
              throw new Error(`${acts[v]} ${fn ? 'tanh' : 'sigmoid'}: length ${len} offset ${off}: [${i}] = ${a}, reference ${r}`);
          }
          if (m[(y >> 2) + len] !== -7777.25) throw new Error(`${acts[v]}: length ${len} wrote past the end`);
          checked++;
        }
  return checked;
}

// Every gemm variant against a reference computed here in double, as tests/c/test_kernels.c does natively
// (which cannot run the WASM variants): nn, nt and tn at every M, N, K in 1..maxSmall (past two 8-wide
// tiles and 6-row tiles: every leftover path) and at shapes that cross the K block (256) and the row block
// (128). Leading dimensions are wider than the rows and their padding is NaN (a kernel that reads it poisons
// C); C starts non-zero (every gemm accumulates) and its padding holds a sentinel (a write there is caught).
// The bound per element is 2K float roundings of sum |a b| plus one of |c|: mul + add and fused
// multiply-add (wasmrelaxed) both stay far inside it. Throws on the first mismatch; returns the cases run.
export function checkGemms(ex, gemms, { maxSmall = 19 } = {}) {
  const big = [[130, 17, 300], [7, 133, 513], [257, 9, 40]];
  let maxEl = 0;
  for (const [M, N, K] of big) maxEl = Math.max(maxEl, (M + 3) * (K + 3), (K + 3) * (N + 3), (M + 3) * (N + 3));
  maxEl = Math.max(maxEl, (maxSmall + 3) ** 2);
  const pA = ex.kb_alloc(4 * maxEl), pB = ex.kb_alloc(4 * maxEl), pC = ex.kb_alloc(4 * maxEl);
  let s = 99;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1);
  const eps = 2 ** -24;
  let cases = 0;
  const one = (v, op, M, N, K) => {
    const ar = op === 2 ? K : M, ac = op === 2 ? M : K;  // A stored (ar, ac)
    const br = op === 1 ? N : K, bc = op === 1 ? K : N;  // B stored (br, bc)
    const lda = ac + 3, ldb = bc + 1, ldc = N + 2;
    const f = () => new Float32Array(ex.memory.buffer);
    const m = f(), A = pA >> 2, B = pB >> 2, C = pC >> 2;
    m.fill(NaN, A, A + ar * lda);
    m.fill(NaN, B, B + br * ldb);
    m.fill(-12345, C, C + M * ldc);
    for (let i = 0; i < ar; i++) for (let j = 0; j < ac; j++) m[A + i * lda + j] = rnd();
    for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) m[B + i * ldb + j] = rnd();
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) m[C + i * ldc + j] = rnd();
    const c0 = m.slice(C, C + M * ldc);
    ex.kb_gemm_ld(v, op, M, N, K, pA, lda, pB, ldb, pC, ldc, 1);
    const r = f();
    const a = (i, k) => (op === 2 ? r[A + k * lda + i] : r[A + i * lda + k]);
    const b = (k, j) => (op === 1 ? r[B + j * ldb + k] : r[B + k * ldb + j]);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < ldc; j++) {
        const got = r[C + i * ldc + j];
        if (j >= N) {
          if (got !== -12345) throw new Error(`${gemms[v]} ${OPS[op]} ${M}x${N}x${K}: wrote C's padding at (${i}, ${j})`);
          continue;
        }
        let ref = c0[i * ldc + j], mag = Math.abs(ref);
        for (let k = 0; k < K; k++) {
          ref += a(i, k) * b(k, j);
          mag += Math.abs(a(i, k) * b(k, j));
        }
        const tol = (2 * K + 1) * eps * mag + 1e-30;
        if (!(Math.abs(got - ref) <= tol))
          throw new Error(`${gemms[v]} ${OPS[op]} ${M}x${N}x${K}: C(${i}, ${j}) = ${got}, reference ${ref} (bound ${tol.toExponential(2)})`);
      }
    cases++;
  };
  for (let v = 0; v < gemms.length; v++)
    for (let op = 0; op < 3; op++) {
      for (let M = 1; M <= maxSmall; M++)
        for (let N = 1; N <= maxSmall; N++)
          for (let K = 1; K <= maxSmall; K += K < 9 ? 1 : 5) one(v, op, M, N, K);
      for (const [M, N, K] of big) one(v, op, M, N, K);
    }
  return cases;
}

// Rows like bench_kernels --json, with engine "rnnlab-wasm": gemms, then activations (GValue/s).
export async function runKernelBench({ reps = 7, path, shapes = SHAPES, onRow, relaxed = false, checkOnly = false } = {}) {
  const { ex, gemms, acts } = await loadKernelModule(path ?? buildKernelModule(undefined, { relaxed }));
  const checked = checkActivations(ex, acts);
  const gemmCases = checkGemms(ex, gemms);
  onRow?.({ engine: 'rnnlab-wasm', kind: 'check', what: 'gemm variants vs a double reference, nn/nt/tn, sizes 1..19 and blocked shapes',
    variants: gemms.slice(1), cases: gemmCases, ok: true });
  if (checkOnly) {
    onRow?.({ engine: 'rnnlab-wasm', kind: 'check', what: 'activation variants vs scalar reference, lengths 1..35, 4 offsets',
      variants: acts.slice(1), cases: checked, ok: true });
    return [];
  }
  let maxA = 0, maxB = 0, maxC = 0;
  for (const s of shapes) {
    maxA = Math.max(maxA, s.M * s.K);
    maxB = Math.max(maxB, s.K * s.N);
    maxC = Math.max(maxC, s.M * s.N);
  }
  const A = ex.kb_alloc(4 * maxA), B = ex.kb_alloc(4 * maxB), C = ex.kb_alloc(4 * maxC);
  randomFill(ex, A, maxA, 1);
  randomFill(ex, B, maxB, 2);
  randomFill(ex, C, maxC, 3);
  const rows = [];
  const emit = (row) => {
    rows.push(row);
    onRow?.(row);
  };
  for (const s of shapes) {
    const flops = 2 * s.M * s.N * s.K;
    for (let op = 0; op < 3; op++) {
      let scalar = 0;
      for (let v = 0; v < gemms.length; v++) {
        const t = timeCalls((n) => ex.kb_gemm(v, op, s.M, s.N, s.K, A, B, C, n), reps);
        const gf = flops / t.median / 1e9;
        if (v === 0) scalar = gf;
        emit({ engine: 'rnnlab-wasm', kind: 'gemm', variant: gemms[v], op: OPS[op], shape: s.what, M: s.M, N: s.N, K: s.K,
          seconds: t.median, gflops: +gf.toFixed(4), gflops_best: +(flops / t.best / 1e9).toFixed(4),
          gflops_cpu: +(flops / t.cpuMedian / 1e9).toFixed(4), gflops_cpu_best: +(flops / t.cpuBest / 1e9).toFixed(4),
          ratio_to_scalar: +(gf / scalar).toFixed(4), reps });
      }
    }
  }
  emit({ engine: 'rnnlab-wasm', kind: 'check', what: 'activation variants vs scalar reference, lengths 1..35, 4 offsets',
    variants: acts.slice(1), cases: checked, ok: true });
  const n = 4096, x = ex.kb_alloc(4 * n), y = ex.kb_alloc(4 * n);
  const xs = new Float32Array(ex.memory.buffer, x, n);
  for (let i = 0; i < n; i++) xs[i] = -12 + (24 * i) / n;
  for (let fn = 0; fn < 2; fn++) {
    let scalar = 0;
    for (let v = 0; v < acts.length; v++) {
      const t = timeCalls((k) => ex.kb_act(v, fn, n, x, y, k), reps);
      const gv = n / t.median / 1e9;
      if (v === 0) scalar = gv;
      emit({ engine: 'rnnlab-wasm', kind: 'activation', variant: acts[v], op: fn ? 'tanh' : 'sigmoid', n,
        seconds: t.median, gvalues: +gv.toFixed(4), ratio_to_scalar: +(gv / scalar).toFixed(4), reps });
    }
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes('--json'), quick = process.argv.includes('--quick');
  await runKernelBench({
    reps: quick ? 3 : 7,
    relaxed: process.argv.includes('--relaxed'),
    checkOnly: process.argv.includes('--check'),
    onRow: (r) => {
      if (json) console.log(JSON.stringify(r));
      else if (r.kind === 'check') console.log(`check: ${r.what}: ${r.cases} cases ok (${r.variants.join(', ')})`);
      else if (r.kind === 'gemm')
        console.log(`${r.variant.padEnd(9)} ${r.op} ${r.shape.padEnd(16)} ${`${r.M}x${r.N}x${r.K}`.padEnd(13)} ${r.gflops.toFixed(2).padStart(7)} GFLOP/s (${r.ratio_to_scalar.toFixed(1)}x)`);
      else console.log(`${r.variant.padEnd(9)} ${r.op.padEnd(7)} n=${r.n} ${r.gvalues.toFixed(3).padStart(7)} Gvalues/s (${r.ratio_to_scalar.toFixed(1)}x)`);
    },
  });
}
