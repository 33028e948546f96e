// data-real.test.mjs: prepareImdb on the real archive, ../shared/data/aclImdb_v1_labeled.tar.gz (or
// $RNL_SHARED_DATA/...), streamed from disk through DecompressionStream: 25,000 training and 25,000 test
// reviews, balanced; 1k and 2k subsets, and a 5k one with validation by movie, byte-identical to `rnnlab
// data` with the same flags; WebAssembly memory far below the 107 MB tar. Prints the time of each build.
// Skipped, saying why, without the file.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../../web/rnnlab.js';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const shared = resolve(process.env.RNL_SHARED_DATA ?? here('../shared/data'));
const archive = join(shared, 'aclImdb_v1_labeled.tar.gz');
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const skip = !existsSync(archive) ? `the shared archive is not at ${archive} (set RNL_SHARED_DATA to the directory holding it)`
  : !existsSync(cli) ? `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI` : false;

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-data-real-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const subsets = [
  { name: '1k subset, keep start', opts: { train: 1000, val: 200, test: 1000 }, flags: ['--train', '1000', '--val', '200', '--test', '1000'] },
  { name: '2k subset, keep end (npm run data\'s default)', opts: { train: 2000, val: 500, test: 2000, keepEnd: true },
    flags: ['--train', '2000', '--val', '500', '--test', '2000', '--keep-end'] },
  { name: '5k subset, validation of whole movies', opts: { train: 4000, val: 1000, test: 1000, keepEnd: true, valByMovie: true },
    flags: ['--train', '4000', '--val', '1000', '--test', '1000', '--keep-end', '--val-by-movie'] },
];

for (const s of subsets) {
  test(`the real archive: ${s.name}, WASM against native`, { skip, timeout: 600000 }, async (t) => {
    const lab = await RnnLab.load();
    const t0 = performance.now();
    const ds = await lab.prepareImdb(createReadStream(archive, { highWaterMark: 1 << 20 }), s.opts);
    const wasmSeconds = (performance.now() - t0) / 1000;
    assert.deepEqual(ds.source, { train: { neg: 12500, pos: 12500 }, test: { neg: 12500, pos: 12500 }, unsup: 0 });
    const out = join(dir, 'native.rnld');
    const t1 = performance.now();
    execFileSync(cli, ['data', '--source', archive, ...s.flags, '--out', out], { stdio: ['ignore', 'ignore', 'ignore'] });
    const nativeSeconds = (performance.now() - t1) / 1000;
    const want = readFileSync(out), got = ds.toBytes();
    assert.equal(got.length, want.length);
    assert.equal(got.findIndex((b, i) => b !== want[i]), -1, 'the WASM subset differs from the native one');
    // Streamed: the module's memory stays a fraction of the 107 MB tar it read.
    assert.ok(lab.memoryBytes < 64 << 20, `WebAssembly memory grew to ${lab.memoryBytes} bytes`);
    t.diagnostic(`${ds.describe()}: ${got.length} bytes; WASM (Node ${process.version}) ${wasmSeconds.toFixed(2)} s, ` +
      `native ${nativeSeconds.toFixed(2)} s; WebAssembly memory ${(lab.memoryBytes / 2 ** 20).toFixed(0)} MB`);
    ds.free();
  });
}
