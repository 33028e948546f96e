// data-script.test.mjs: `npm run data` (web/node/data.mjs) end to end, offline: subsets from a fixture
// archive, an unpacked directory and $RNNLAB_IMDB equal `rnnlab data`'s file; a series; the download path
// through its test hooks only (never the real archive): an unreachable server says how to go on offline,
// a download with the wrong checksum is deleted, a right one is verified and used, an HTTP download that
// breaks off is kept and resumed with a Range request, and a wrong archive already in place is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const script = here('web/node/data.mjs');
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const noCli = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;
const FIXTURE = here('tests/fixtures/tar/imdb_mini_gnu.tar.gz');
const fixtureBytes = readFileSync(FIXTURE);
const fixtureHash = createHash('sha256').update(fixtureBytes).digest('hex');
const FLAGS = ['--train', '6', '--val', '2', '--test', '6', '--vocab', '1000', '--max-len', '12', '--seed', '3'];

const root = mkdtempSync(join(tmpdir(), 'rnnlab-data-script-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => mkdtempSync(join(root, `d${n++}-`));

// Runs the script (asynchronously: a server in this process must keep answering). Hooks from the
// caller's environment are cleared so that only what a test sets applies.
async function data(args, env = {}) {
  const base = { ...process.env };
  for (const k of ['RNNLAB_IMDB', 'RNNLAB_IMDB_URL', 'RNNLAB_IMDB_SHA256', 'RNNLAB_IMDB_SIZE']) delete base[k];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args], { env: { ...base, ...env } });
    return { status: 0, out: stdout, err: stderr };
  } catch (e) {
    return { status: e.code, out: e.stdout, err: e.stderr };
  }
}

async function nativeSubset(extra = []) {
  const out = join(freshDir(), 'native.rnld');
  await promisify(execFile)(cli, ['data', '--source', FIXTURE, ...FLAGS, ...extra, '--out', out]);
  return readFileSync(out);
}

test('--source: an archive, a directory and $RNNLAB_IMDB give the native file (keep-end by default)', { skip: noCli }, async () => {
  const want = await nativeSubset(['--keep-end']);
  const d = freshDir();
  const a = await data(['--source', FIXTURE, ...FLAGS, '--out', join(d, 'a.rnld')]);
  assert.equal(a.status, 0, a.err);
  assert.deepEqual(readFileSync(join(d, 'a.rnld')), want);
  assert.match(a.out, /^read 8 train \(4 neg \/ 4 pos\), 6 test \(3 neg \/ 3 pos\), 2 unlabelled \(ignored\) reviews$/m);
  assert.match(a.out, /^wrote .*a\.rnld \(819 bytes\) in [\d.]+ s: text: 6 train \/ 2 val \/ 6 test reviews, vocab 59, max_len 12 \(keep end\), seed 3$/m);
  const b = await data(['--source', here('tests/fixtures/aclImdb_mini'), ...FLAGS, '--out', join(d, 'b.rnld')]);
  assert.equal(b.status, 0, b.err);
  assert.deepEqual(readFileSync(join(d, 'b.rnld')), want);
  // The default name, in --data-dir; the source from the environment; --keep-start.
  const c = await data([...FLAGS, '--keep-start', '--data-dir', d], { RNNLAB_IMDB: FIXTURE });
  assert.equal(c.status, 0, c.err);
  assert.deepEqual(readFileSync(join(d, 'imdb-6.rnld')), await nativeSubset());
  assert.deepEqual(readdirSync(d).sort(), ['a.rnld', 'b.rnld', 'imdb-6.rnld'], 'no temporary files left');
});

test('--series: a CSV time series, as `rnnlab data`', { skip: noCli }, async () => {
  const d = freshDir(), csv = here('tests/fixtures/series/good.csv');
  const r = await data(['--series', csv, '--window', '5', '--data-dir', d]);
  assert.equal(r.status, 0, r.err);
  await promisify(execFile)(cli, ['data', '--source', csv, '--window', '5', '--out', join(d, 'native.rnld')]);
  assert.deepEqual(readFileSync(join(d, 'good.rnld')), readFileSync(join(d, 'native.rnld')));
  const bad = await data(['--series', here('tests/fixtures/series/no_numbers.csv'), '--data-dir', d]);
  assert.equal(bad.status, 1);
  assert.match(bad.err, /^data\.mjs: bad format: no_numbers\.csv: no numeric column in the first data row/);
});

test('bad flags and a missing source: exit 2 and 1 with a message', async () => {
  const d = freshDir();
  for (const [args, re] of [[['--train', 'x'], /--train expects a whole number/], [['--bogus'], /unknown flag '--bogus'/],
    [['--window', '5'], /--window needs --series FILE/], [['--series', 'a.csv', '--train', '5'], /--train is for IMDB reviews/],
    [['--keep-end', '--keep-start'], /give --keep-end or --keep-start, not both/]]) {
    const r = await data(args);
    assert.equal(r.status, 2, `${args}: ${r.err}`);
    assert.match(r.err, re);
  }
  const r = await data(['--source', join(d, 'nowhere.tar.gz')]);
  assert.equal(r.status, 1);
  assert.match(r.err, /nowhere\.tar\.gz not found\. Give the path of aclImdb_v1\.tar\.gz/);
  assert.equal((await data(['--help'])).status, 0);
});

test('download: an unreachable server says so and how to give a local copy; nothing is left behind', async () => {
  const d = freshDir();
  // A port that was just free: nothing listens there (fetch refuses well-known ports such as 1).
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const r = await data(['--data-dir', d], { RNNLAB_IMDB_URL: `http://127.0.0.1:${port}/aclImdb_v1.tar.gz` });
  assert.equal(r.status, 1);
  assert.match(r.err, new RegExp(`^data\\.mjs: could not download http://127\\.0\\.0\\.1:${port}/aclImdb_v1\\.tar\\.gz ` +
    `\\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\\. This machine seems to be offline`, 'm'));
  assert.match(r.err, /npm run data -- --source \/path\/to\/aclImdb_v1\.tar\.gz {5}\(or set RNNLAB_IMDB=/);
  assert.match(r.err, /84,125,825 bytes, SHA-256 c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe/);
  assert.deepEqual(readdirSync(d), []);
});

test('download: the checksum is verified before use (a file: URL as the test hook)', { skip: noCli }, async () => {
  const d = freshDir(), url = pathToFileURL(FIXTURE).href;
  const wrong = await data(['--data-dir', d, ...FLAGS], { RNNLAB_IMDB_URL: url });
  assert.equal(wrong.status, 1);
  assert.match(wrong.err, new RegExp(`is not the expected file: 1,338 bytes, SHA-256 ${fixtureHash}; expected 84,125,825 bytes, SHA-256 c40f74a1`));
  assert.deepEqual(readdirSync(d), [], 'the bad download was deleted');

  const env = { RNNLAB_IMDB_URL: url, RNNLAB_IMDB_SHA256: fixtureHash, RNNLAB_IMDB_SIZE: String(fixtureBytes.length) };
  const ok = await data(['--data-dir', d, ...FLAGS], env);
  assert.equal(ok.status, 0, ok.err);
  assert.match(ok.err, /downloaded 1,338 bytes in [\d.]+ s, SHA-256 verified/);
  assert.deepEqual(readFileSync(join(d, 'aclImdb_v1.tar.gz')), fixtureBytes);
  assert.deepEqual(readFileSync(join(d, 'imdb-6.rnld')), await nativeSubset(['--keep-end']));
  // Present and verified: used without downloading again.
  const again = await data(['--data-dir', d, ...FLAGS], env);
  assert.equal(again.status, 0, again.err);
  assert.doesNotMatch(again.err, /downloading/);
  // A different file under that name is refused, not used.
  writeFileSync(join(d, 'aclImdb_v1.tar.gz'), fixtureBytes.subarray(0, 1000));
  const bad = await data(['--data-dir', d, ...FLAGS], env);
  assert.equal(bad.status, 1);
  assert.match(bad.err, /aclImdb_v1\.tar\.gz is not the official archive \(1,000 bytes; expected 1,338 bytes/);
});

test('download over HTTP: a broken transfer is kept and resumed with a Range request', { skip: noCli }, async () => {
  const ranges = [];
  let breakAfter = 700;  // the first response stops after 700 bytes
  const server = createServer((req, res) => {
    ranges.push(req.headers.range ?? null);
    const from = req.headers.range ? Number(/bytes=(\d+)-/.exec(req.headers.range)[1]) : 0;
    const body = fixtureBytes.subarray(from);
    res.writeHead(from ? 206 : 200, { 'content-length': body.length, 'content-type': 'application/gzip',
      ...(from ? { 'content-range': `bytes ${from}-${fixtureBytes.length - 1}/${fixtureBytes.length}` } : {}) });
    if (breakAfter) {
      res.write(body.subarray(0, breakAfter));
      breakAfter = 0;
      setTimeout(() => res.destroy(), 50);
    } else res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const d = freshDir();
    const env = { RNNLAB_IMDB_URL: `http://127.0.0.1:${server.address().port}/aclImdb_v1.tar.gz`, RNNLAB_IMDB_SHA256: fixtureHash,
      RNNLAB_IMDB_SIZE: String(fixtureBytes.length) };
    const first = await data(['--data-dir', d, ...FLAGS], env);
    assert.equal(first.status, 1);
    assert.match(first.err, /the download of http:\/\/127\.0\.0\.1:\d+\/aclImdb_v1\.tar\.gz broke off after 700 bytes/);
    assert.match(first.err, /700 bytes are kept in .*aclImdb_v1\.tar\.gz\.part: run 'npm run data' again to resume/);
    assert.equal(readFileSync(join(d, 'aclImdb_v1.tar.gz.part')).length, 700);
    const second = await data(['--data-dir', d, ...FLAGS], env);
    assert.equal(second.status, 0, second.err);
    assert.match(second.err, /resuming at byte 700/);
    assert.deepEqual(ranges, [null, 'bytes=700-']);
    assert.deepEqual(readFileSync(join(d, 'aclImdb_v1.tar.gz')), fixtureBytes);
    assert.deepEqual(readdirSync(d).sort(), ['aclImdb_v1.tar.gz', 'imdb-6.rnld']);
  } finally {
    server.close();
  }
});
