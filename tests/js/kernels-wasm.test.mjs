// kernels-wasm.test.mjs: every WebAssembly gemm and activation variant against its reference, as
// tests/c/test_kernels.c and test_activations.c check the native ones (they cannot run WASM SIMD). The
// kernels are built into the small standalone module of tests/bench/kernels_wasm.mjs: wasmsimd in Node
// itself, and wasmrelaxed (the relaxed-SIMD twin, clang >= 16) in a Node started with
// --experimental-wasm-relaxed-simd, the only way Node 20 runs the standard relaxed opcodes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildKernelModule, loadKernelModule, checkGemms, checkActivations, relaxedCompiler } from '../bench/kernels_wasm.mjs';
import { relaxedSimd } from '../../web/lib/loader.js';

test('wasmsimd gemms (nn, nt, tn, every size 1..19, blocked shapes) and activations match the reference', { timeout: 600000 }, async () => {
  const { ex, gemms, acts } = await loadKernelModule(buildKernelModule());
  assert.deepEqual(gemms, ['scalar', 'wasmsimd']);
  assert.ok(checkGemms(ex, gemms) > 20000);
  assert.ok(checkActivations(ex, acts) > 0);
});

test('wasmrelaxed gemms (fused multiply-add) match the reference too', {
  timeout: 600000,
  skip: relaxedCompiler() ? false : 'no clang >= 16 (apt-get install clang-16): the relaxed-SIMD kernels cannot be built',
}, () => {
  buildKernelModule(undefined, { relaxed: true });
  const script = fileURLToPath(new URL('../bench/kernels_wasm.mjs', import.meta.url));
  const flag = relaxedSimd ? [] : ['--experimental-wasm-relaxed-simd'];  // Node 20 runs relaxed SIMD only with it
  const r = spawnSync(process.execPath, [...flag, script, '--check', '--relaxed', '--json'],
    { encoding: 'utf8', timeout: 600000 });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const gemm = rows.find((x) => /^gemm variants/.test(x.what));
  assert.deepEqual(gemm.variants, ['wasmsimd', 'wasmrelaxed']);
  assert.ok(gemm.ok && gemm.cases > 30000, JSON.stringify(gemm));
});
