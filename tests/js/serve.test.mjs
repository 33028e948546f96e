// serve.test.mjs: `npm start` (web/serve.mjs) on a fresh machine. When the module is missing and the tools
// that build it are not installed, it says exactly what to install (the Debian/Ubuntu and Homebrew lines)
// and exits non-zero, instead of failing inside `npm run build`. The script runs from a copy in a
// temporary folder (so web/rnnlab.wasm is missing there, whatever the repository holds) with a PATH that
// has no emcc.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVE = fileURLToPath(new URL('../../web/serve.mjs', import.meta.url));

function run(t, tools, args = ['--build-only']) {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'web'));
  copyFileSync(SERVE, join(dir, 'web', 'serve.mjs'));
  // A PATH of one folder holding only the tools given (links to the machine's own).
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, target] of Object.entries(tools)) symlinkSync(target, join(bin, name));
  return spawnSync(process.execPath, [join(dir, 'web', 'serve.mjs'), ...args],
    { cwd: dir, env: { ...process.env, PATH: bin }, encoding: 'utf8', timeout: 120000 });
}

const INSTALL = '  Debian/Ubuntu:     sudo apt-get install cmake make emscripten\n  macOS (Homebrew):  brew install cmake emscripten\n';

test('no emscripten, no module: npm start says what to install and exits 1', (t) => {
  const r = run(t, {});
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'serve: web/rnnlab.wasm is missing, and building it needs emcc (from emscripten), cmake, make, ' +
    `not found on the PATH. Install them:\n${INSTALL}then run npm start again.\n`);
});

const have = (p) => (existsSync(p) ? false : `no ${p} on this machine`);

test('cmake and make present, emcc missing: the message names emcc alone', { skip: have('/usr/bin/cmake') || have('/usr/bin/make') }, (t) => {
  const r = run(t, { cmake: '/usr/bin/cmake', make: '/usr/bin/make' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, 'serve: web/rnnlab.wasm is missing, and building it needs emcc (from emscripten), ' +
    `not found on the PATH. Install it:\n${INSTALL}then run npm start again.\n`);
});

test('npm start itself (no --build-only) stops with the same message instead of serving', (t) => {
  const r = run(t, {}, []);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '', 'it printed no address: it serves nothing');
  assert.ok(r.stderr.endsWith(`Install them:\n${INSTALL}then run npm start again.\n`), r.stderr);
});
