// run.mjs: every test of rnnlab, in order, with a summary: what `npm test` runs and CI calls.
//   native      CMake build (gcc, Release) and CTest: C tests, golden vectors, exercises, fuzz replays
//   sanitizers  the same C tests built with clang under AddressSanitizer + UndefinedBehaviorSanitizer
//   threads     the thread tests (training on 1, 2, 4 threads; the CLI's --threads) under ThreadSanitizer
//   wasm        the WebAssembly build and the Node tests of the JS API (tests/js, exercises/tests)
//   browser     end-to-end tests of the page in headless Chromium (tests/e2e)
//   valgrind    a CLI session under Valgrind memcheck: no errors, no leaks
//   fuzz        every libFuzzer target for RNL_FUZZ_SECONDS each (default 15; CI uses 60)
// usage: node tests/run.mjs [--only a,b] [--skip a,b]. Steps run even after one fails; the exit
// status is non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jobs = '-j2';
const fuzzSeconds = process.env.RNL_FUZZ_SECONDS ?? '15';

const steps = [
  ['native', [
    ['cmake', '-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release'],
    ['cmake', '--build', 'build', jobs],
    ['ctest', '--test-dir', 'build', '--output-on-failure', jobs],
  ]],
  ['sanitizers', [
    ['cmake', '-S', '.', '-B', 'build-asan', '-DCMAKE_C_COMPILER=clang', '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DRNL_SANITIZE=ON'],
    ['cmake', '--build', 'build-asan', jobs],
    ['ctest', '--test-dir', 'build-asan', '--output-on-failure', jobs],
  ]],
  ['threads', [
    ['cmake', '-S', '.', '-B', 'build-tsan', '-DCMAKE_C_COMPILER=clang', '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DRNL_TSAN=ON'],
    ['cmake', '--build', 'build-tsan', jobs, '--target', 'rnnlab', 'test_threads', 'test_cli_threads'],
    ['ctest', '--test-dir', 'build-tsan', '--output-on-failure', '-R', 'threads'],
  ]],
  ['wasm', [
    ['npm', 'run', 'build'],
    ['node', '--test', 'tests/js/', 'exercises/tests/'],
  ]],
  ['browser', [['npm', 'run', 'test:e2e']]],
  ['valgrind', [['bash', 'tests/valgrind.sh', 'build/rnnlab']]],
  ['fuzz', [['bash', 'tests/fuzz/run.sh', fuzzSeconds]]],
];

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1].split(',') : null;
};
const only = arg('--only'), skip = arg('--skip') ?? [];
const results = [];
for (const [name, cmds] of steps) {
  if ((only && !only.includes(name)) || skip.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  const t0 = Date.now();
  let ok = true;
  for (const [cmd, ...args] of cmds) {
    console.log(`$ ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, RNL_SHARED_DATA: process.env.RNL_SHARED_DATA ?? join(root, '../shared/data') } });
    if (r.status !== 0) {
      ok = false;
      console.log(`=== ${name}: '${cmd} ${args.join(' ')}' failed (${r.error ? r.error.message : `exit ${r.status}`})`);
      break;
    }
  }
  results.push([name, ok, (Date.now() - t0) / 1000]);
}
console.log('\n=== summary ===');
for (const [name, ok, s] of results) console.log(`${ok ? 'passed' : 'FAILED'}  ${name.padEnd(11)} ${s.toFixed(0).padStart(5)} s`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
