// firefox.test.mjs: the lab in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by
// firefox-bidi.mjs): it loads with no console message of level error, trains a short run in its Worker,
// and draws the charts and the gate heatmap. Skipped, saying why, without firefox-esr.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, ARTIFACTS } from './helpers.mjs';

const firefox = process.env.RNL_FIREFOX || 'firefox-esr';
const has = spawnSync(firefox, ['--version'], { stdio: 'ignore' }).status === 0;
const skip = has ? false : `no ${firefox} (apt-get install firefox-esr, or set RNL_FIREFOX)`;

test('the lab in Firefox', { skip, timeout: 1200000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const driver = fileURLToPath(new URL('./firefox-bidi.mjs', import.meta.url));
  const flags = typeof WebSocket === 'function' ? [] : ['--experimental-websocket'];
  const url = `${server.url}?autorun=1&task=adding&len=20&steps=60&cell=gru&hidden=16`;
  const r = spawnSync(process.execPath, [...flags, '--no-warnings', driver, url, `${ARTIFACTS}firefox.png`], { encoding: 'utf8', timeout: 580000 });
  const out = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
  assert.equal(out.error, undefined, `${out.error}\n${r.stderr}`);
  assert.deepEqual(out.logs.filter((l) => l.level === 'error'), []);
  assert.match(out.engine, /WebAssembly \(wasmsimd kernels\)/);
  assert.match(out.status, /^Done after 60 steps/);
  assert.deepEqual(out.run, { status: 'done', steps: 60, points: 60 });
  assert.equal(out.lossPoints, 60);
  assert.match(out.trace, /Target/);
  assert.equal(out.heatmap, true);
});
