// data-movie.test.mjs: validation by whole movies (valByMovie) through web/rnnlab.js and `npm run data`,
// against `rnnlab data --val-by-movie` on an archive made here: 40 training reviews per label, their movies
// named by train/urls_{pos,neg}.txt after the reviews (as in the official archive), movies of one to three
// reviews, some with both labels. The option reaches the core (the same bytes as the CLI, from tar chunks,
// from files one by one and from `npm run data`), the Dataset and its description report it, and the
// errors are the core's. The CLI is $RNL_CLI or build/rnnlab; without it the comparisons are skipped.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab, RnnLabError } from '../../web/rnnlab.js';
import { NTEST, NTRAIN, members, movieOf, tar } from './movies.mjs';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const noCli = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-data-movie-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// --- The archive ----------------------------------------------------------------------------------

function writeTree(root, list) {
  for (const { name, data } of list) {
    const path = join(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}

const TAR = join(dir, 'movies.tar'), BARE = join(dir, 'bare.tar'), TREE = join(dir, 'tree');
writeFileSync(TAR, tar(members(true)));
writeFileSync(BARE, tar(members(false)));
writeTree(TREE, members(true));

// --- Helpers --------------------------------------------------------------------------------------

function native(args) {
  try {
    return { out: execFileSync(cli, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), err: '', status: 0 };
  } catch (e) {
    return { out: e.stdout, err: e.stderr, status: e.status };
  }
}

const opts = { train: 60, val: 16, test: 20, vocab: 100, maxLen: 20, seed: 5, keepEnd: true };
const flags = ['--train', '60', '--val', '16', '--test', '20', '--vocab', '100', '--max-len', '20', '--seed', '5', '--keep-end'];

function nativeSubset(source, extra) {
  const out = join(dir, `native-${Math.random().toString(36).slice(2)}.rnld`);
  const r = native(['data', '--source', source, ...flags, ...extra, '--out', out]);
  assert.equal(r.status, 0, r.err);
  return { bytes: readFileSync(out), out: r.out };
}

function sameBytes(what, got, want) {
  assert.equal(got.length, want.length, `${what}: ${got.length} bytes, native ${want.length}`);
  const first = got.findIndex((b, i) => b !== want[i]);
  assert.equal(first, -1, `${what}: differs from the native file first at byte ${first}`);
}

async function* chunks(bytes, size) {
  for (let i = 0; i < bytes.length; i += size) {
    await null;
    yield bytes.subarray(i, i + size);
  }
}

const lab = await RnnLab.load();

// --- Tests ----------------------------------------------------------------------------------------

test('valByMovie: prepareImdb and prepareImdbFiles give the bytes of `rnnlab data --val-by-movie`; the Dataset reports it', { skip: noCli }, async () => {
  const want = nativeSubset(TAR, ['--val-by-movie']);
  assert.match(want.out, /movies: \d+ in train, \d+ in validation/);
  const fromTar = await lab.prepareImdb(chunks(readFileSync(TAR), 777), { ...opts, valByMovie: true });
  sameBytes('tar in chunks', fromTar.toBytes(), want.bytes);
  assert.equal(fromTar.valByMovie, true);
  assert.match(fromTar.describe(), /; validation holds whole movies, none of them in train$/);
  assert.deepEqual(fromTar.source, { train: { neg: NTRAIN, pos: NTRAIN }, test: { neg: NTEST, pos: NTEST }, unsup: 0 });
  fromTar.free();

  const fromFiles = await lab.prepareImdbFiles(members(true).reverse(), { ...opts, valByMovie: true });
  sameBytes('files one by one, urls first', fromFiles.toBytes(), want.bytes);
  fromFiles.free();

  const reopened = lab.openDataset(want.bytes);
  assert.equal(reopened.valByMovie, true);
  assert.equal(reopened.keepEnd, true);
  reopened.free();
});

test('valByMovie: no movie on both sides of the file, and validation is balanced', { skip: noCli }, async () => {
  const ds = await lab.prepareImdb(readFileSync(TAR), { ...opts, valByMovie: true });
  const side = new Map();
  let valPos = 0;
  for (let i = 0; i < 76; i++) {
    const e = ds.example(i), v = i >= 60 ? 'val' : 'train', m = movieOf(e.label ? 'pos' : 'neg', e.id);
    if (v === 'val') valPos += e.label;
    assert.notEqual(side.get(m) ?? v, v === 'val' ? 'train' : 'val', `movie ${m} is in both train and validation`);
    side.set(m, v);
  }
  assert.equal(valPos, 8);
  ds.free();
});

test('valByMovie false or left out: the file of before; the urls files change nothing; the same model description', { skip: noCli }, async () => {
  assert.equal(lab.dataDefaults.valByMovie, false);
  const want = nativeSubset(BARE, []);
  for (const valByMovie of [undefined, false]) {
    const ds = await lab.prepareImdb(readFileSync(TAR), valByMovie === undefined ? opts : { ...opts, valByMovie });
    sameBytes(`valByMovie ${valByMovie}`, ds.toBytes(), want.bytes);
    assert.equal(ds.valByMovie, false);
    assert.doesNotMatch(ds.describe(), /movies/);
    ds.free();
  }
  // What a model keeps of its data (its meta bytes) is the same either way: the vocabulary and tokenizer.
  const plain = await lab.prepareImdb(readFileSync(TAR), opts), byMovie = await lab.prepareImdb(readFileSync(TAR), { ...opts, valByMovie: true });
  assert.deepEqual(byMovie.description(), plain.description());
  plain.free();
  byMovie.free();
});

test('valByMovie: the core\'s messages (no urls files, a reviews CSV), and a non-boolean named', { skip: noCli }, async () => {
  const r = native(['data', '--source', BARE, ...flags, '--val-by-movie', '--out', join(dir, 'x.rnld')]);
  assert.equal(r.status, 1);
  const message = r.err.split('\n').find((l) => l.startsWith('rnnlab ')).replace(/^rnnlab \w+: /, '');
  assert.match(message, /^imdb: validation by movie needs aclImdb\/train\/urls_neg\.txt and urls_pos\.txt/);
  await assert.rejects(lab.prepareImdb(readFileSync(BARE), { ...opts, valByMovie: true }),
    (e) => e instanceof RnnLabError && e.message === `bad format: ${message}` && e.code === 'RNL_ERR_FORMAT');
  assert.throws(() => lab.textCsvDataset('text,label\ngood,1\nbad,0\n', { valByMovie: true }),
    (e) => e instanceof RnnLabError && /^bad argument: reviews CSV: validation by movie is for the IMDB archive/.test(e.message));
  await assert.rejects(lab.prepareImdb(readFileSync(TAR), { ...opts, valByMovie: 'yes' }), /valByMovie/);
});

test('npm run data --val-by-movie on the unpacked directory: the native bytes', { skip: noCli, timeout: 120000 }, () => {
  const want = nativeSubset(TREE, ['--val-by-movie']);
  const out = join(dir, 'script.rnld');
  execFileSync(process.execPath, [here('web/node/data.mjs'), '--source', TREE, ...flags, '--val-by-movie', '--out', out],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  sameBytes('npm run data', readFileSync(out), want.bytes);
});
