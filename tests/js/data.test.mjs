// data.test.mjs: the data layer through web/rnnlab.js, against the native CLI on the same inputs.
// - prepareImdb on the hand-made archives of tests/fixtures (GNU, pax, ustar; .tar.gz inflated by the
//   platform's DecompressionStream, and plain .tar), fed whole, as a Blob, a Response, a ReadableStream and an
//   async iterable of 1..13-byte chunks: the .rnld bytes equal `rnnlab data --source ...` with the same
//   flags; prepareImdbFiles on the unpacked directory gives them too.
// - openDataset round trip; Dataset calls (describe, split, encode, word, example, batch); the series
//   and the bag-of-words baseline against the CLI; reviews from a CSV.
// - Bad inputs give the core's exact messages (a PNG, truncated .tar and .tar.gz, corrupt and truncated
//   .rnld files, a CSV with no numbers, a bad label), abort works, and memory stays flat.
// The CLI is $RNL_CLI or build/rnnlab; without it the comparisons are skipped and say why.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { RnnLab, RnnLabError, Dataset } from '../../web/rnnlab.js';

const here = (rel) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const cli = resolve(process.env.RNL_CLI ?? here('build/rnnlab'));
const noCli = existsSync(cli) ? false : `the native CLI is not at ${cli}: build it (npm run build:native) or set RNL_CLI`;
const FIXTURES = ['gnu', 'pax', 'ustar'].map((f) => here(`tests/fixtures/tar/imdb_mini_${f}.tar.gz`));
const MINI_DIR = here('tests/fixtures/aclImdb_mini');
const SERIES = here('tests/fixtures/series');

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-data-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// `rnnlab <args>` in `cwd`: { out, err, status } (the CLI's messages name the file as it was given).
function native(args, cwd = dir) {
  try {
    return { out: execFileSync(cli, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), err: '', status: 0 };
  } catch (e) {
    return { out: e.stdout, err: e.stderr, status: e.status };
  }
}

// The message of a failed `rnnlab data` without its "rnnlab data: " prefix and "reading ..." line.
const nativeMessage = (r) => r.err.split('\n').find((l) => l.startsWith('rnnlab ')).replace(/^rnnlab \w+: /, '');

const small = { train: 6, val: 2, test: 6, vocab: 1000, maxLen: 12, seed: 3 };
const smallFlags = ['--train', '6', '--val', '2', '--test', '6', '--vocab', '1000', '--max-len', '12', '--seed', '3'];

function nativeSubset(source, extra = []) {
  const out = join(dir, `native-${Math.random().toString(36).slice(2)}.rnld`);
  const r = native(['data', '--source', source, ...smallFlags, ...extra, '--out', out]);
  assert.equal(r.status, 0, r.err);
  return readFileSync(out);
}

function sameBytes(what, got, want) {
  assert.equal(got.length, want.length, `${what}: ${got.length} bytes, native ${want.length}`);
  const first = got.findIndex((b, i) => b !== want[i]);
  assert.equal(first, -1, `${what}: differs from the native file first at byte ${first}`);
}

// Runs fn and checks it throws an RnnLabError with exactly `message` (and `code`).
async function rejectsWith(fn, message, code = 'RNL_ERR_FORMAT') {
  await assert.rejects(async () => fn(), (e) => {
    assert.ok(e instanceof RnnLabError, `expected an RnnLabError, got ${e}`);
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

// Chunks of 1..13 bytes, as an async iterable.
async function* dribble(bytes) {
  for (let i = 0, k = 1; i < bytes.length; i += k, k = (k % 13) + 1) {
    await null;
    yield bytes.subarray(i, i + k);
  }
}

function streamOf(bytes, size) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= bytes.length) return c.close();
      c.enqueue(bytes.slice(i, i + size));
      i += size;
    },
  });
}

const lab = await RnnLab.load();

// --- IMDB subsets ---------------------------------------------------------------------------------

test('prepareImdb: each fixture archive, fed five ways, gives the native subset byte for byte', { skip: noCli }, async () => {
  for (const path of FIXTURES) {
    const gz = readFileSync(path);
    for (const keepEnd of [false, true]) {
      const want = nativeSubset(path, keepEnd ? ['--keep-end'] : []);
      const opts = { ...small, keepEnd };
      const sources = { bytes: gz, blob: new Blob([gz]), response: new Response(streamOf(gz, 300)), stream: streamOf(gz, 100),
        dribble: dribble(gz) };
      for (const [how, src] of Object.entries(sources)) {
        const ds = await lab.prepareImdb(src, opts);
        sameBytes(`${path} as ${how}${keepEnd ? ', keep end' : ''}`, ds.toBytes(), want);
        assert.deepEqual(ds.source, { train: { neg: 4, pos: 4 }, test: { neg: 3, pos: 3 }, unsup: 2 });
        ds.free();
      }
    }
  }
});

test('prepareImdb: a plain .tar (no gzip), and prepareImdbFiles on the unpacked directory, give the same file', { skip: noCli }, async () => {
  const want = nativeSubset(FIXTURES[0]);
  const tar = gunzipSync(readFileSync(FIXTURES[0]));
  const fromTar = await lab.prepareImdb(dribble(tar), small);
  sameBytes('plain tar', fromTar.toBytes(), want);
  fromTar.free();
  sameBytes('native directory', nativeSubset(MINI_DIR), want);
  const files = [];
  for (const split of ['train', 'test'])
    for (const label of ['pos', 'neg', 'unsup']) {
      const sub = join(MINI_DIR, 'aclImdb', split, label);
      if (!existsSync(sub)) continue;
      for (const name of ['0_9.txt', '1_10.txt', '2_8.txt', '3_7.txt', '0_1.txt', '1_2.txt', '2_3.txt', '3_4.txt', '0_10.txt', '1_8.txt',
        '2_9.txt', '1_3.txt', '2_2.txt', '0_0.txt', '1_0.txt'])
        if (existsSync(join(sub, name))) files.push({ name: `aclImdb/${split}/${label}/${name}`, data: readFileSync(join(sub, name)) });
    }
  files.push({ name: 'aclImdb/README', data: 'not a review' });
  files.reverse();  // the order does not matter
  const fromFiles = await lab.prepareImdbFiles(files, small);
  sameBytes('files one by one', fromFiles.toBytes(), want);
  assert.deepEqual(fromFiles.source, { train: { neg: 4, pos: 4 }, test: { neg: 3, pos: 3 }, unsup: 2 });
  fromFiles.free();
});

test('prepareImdb: progress reports bytes and reviews; an abort stops it and frees its memory', async () => {
  const gz = readFileSync(FIXTURES[1]);
  const seen = [];
  const ds = await lab.prepareImdb(dribble(gz), { ...small, onProgress: (p) => seen.push(p) });
  ds.free();
  assert.ok(seen.length >= 1);
  assert.deepEqual(seen.at(-1), { bytesIn: gz.length, bytesTotal: null, reviews: 14 });
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytesIn >= seen[i - 1].bytesIn);
  const withTotal = [];
  (await lab.prepareImdb(gz, { ...small, onProgress: (p) => withTotal.push(p) })).free();
  assert.equal(withTotal.at(-1).bytesTotal, gz.length);

  const before = lab.memoryStats().heapInUse;
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(lab.prepareImdb(gz, { ...small, signal: ac.signal }), { name: 'AbortError' });
  const ac2 = new AbortController();
  async function* abortMidway() {
    yield gz.subarray(0, 600);
    ac2.abort();
    yield gz.subarray(600);
  }
  await assert.rejects(lab.prepareImdb(abortMidway(), { ...small, signal: ac2.signal }), { name: 'AbortError' });
  assert.equal(lab.memoryStats().heapInUse, before, 'an aborted prepare leaves no memory behind');
});

test('prepareImdb: a PNG, truncated .tar and .tar.gz, corrupt gzip, empty input: the core\'s messages', { skip: noCli }, async () => {
  // A PNG: its signature, an IHDR chunk and filler, over one tar block.
  const png = new Uint8Array(700);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 16, 0, 0, 0, 16, 8, 6, 0, 0, 0]);
  for (let i = 40; i < png.length; i++) png[i] = (i * 37) & 0xff;
  writeFileSync(join(dir, 'picture.png'), png);
  const pngNative = nativeMessage(native(['data', '--source', 'picture.png', '--out', 'x.rnld']));
  assert.match(pngNative, /^picture\.png: not a tar archive: /);
  await rejectsWith(() => lab.prepareImdb(png), `bad format: ${pngNative.replace('picture.png', 'IMDB tar stream')}`);

  const tar = gunzipSync(readFileSync(FIXTURES[0]));
  writeFileSync(join(dir, 'cut.tar'), tar.subarray(0, 2000));
  const cutNative = nativeMessage(native(['data', '--source', 'cut.tar', '--out', 'x.rnld']));
  assert.match(cutNative, /^cut\.tar: truncated tar archive: ends at byte 2000 inside /);
  await rejectsWith(() => lab.prepareImdb(dribble(tar.subarray(0, 2000))), `bad format: ${cutNative.replace('cut.tar', 'IMDB tar stream')}`);

  const gz = readFileSync(FIXTURES[0]);
  writeFileSync(join(dir, 'cut.tar.gz'), gz.subarray(0, 700));
  const gzNative = nativeMessage(native(['data', '--source', 'cut.tar.gz', '--out', 'x.rnld']));
  assert.equal(gzNative, 'cut.tar.gz: truncated gzip data: the file ends at byte 700 before the end of the compressed stream');
  await rejectsWith(() => lab.prepareImdb(gz.subarray(0, 700), { name: 'cut.tar.gz' }), `bad format: ${gzNative}`);
  await rejectsWith(() => lab.prepareImdb(new Blob([gz.subarray(0, 700)])),
    'bad format: IMDB archive: truncated gzip data: the file ends at byte 700 before the end of the compressed stream');

  const bad = Uint8Array.from(gz);
  bad.fill(0xff, 100, 160);  // inside the deflate data
  await assert.rejects(lab.prepareImdb(bad, { name: 'bad.tar.gz' }), (e) => {
    assert.ok(e instanceof RnnLabError);
    assert.equal(e.code, 'RNL_ERR_FORMAT');
    assert.match(e.message, /^bad format: bad\.tar\.gz: corrupt gzip data near compressed byte \d+ \(invalid distance too far back\)$/);
    return true;
  });
  await rejectsWith(() => lab.prepareImdb(new Uint8Array(0)), 'bad argument: IMDB tar stream: no bytes were fed', 'RNL_ERR_ARG');
  await assert.rejects(lab.prepareImdb(42), /bad argument: prepareImdb: the source must be a Uint8Array, an ArrayBuffer, a Blob, a Response/);
  await assert.rejects(lab.prepareImdb(gz, { train: 6, bogus: 1 }), /unknown field 'bogus'/);
  await rejectsWith(() => lab.prepareImdb(gz, { ...small, train: 100 }),
    'bad argument: imdb: 51 neg reviews wanted from train/neg (training + validation), but it has only 4', 'RNL_ERR_ARG');
});

// --- Data files -----------------------------------------------------------------------------------

test('openDataset: the bytes of toBytes() and of `rnnlab data` read back the same; bad files give the core\'s messages', { skip: noCli }, async () => {
  const want = nativeSubset(FIXTURES[2]);
  const ds = lab.openDataset(want);
  assert.ok(ds instanceof Dataset);
  sameBytes('round trip', ds.toBytes(), want);
  assert.equal(ds.describe(), 'text: 6 train / 2 val / 6 test reviews, vocab 59, max_len 12 (keep start), seed 3');
  writeFileSync(join(dir, 'mini.rnld'), want);
  assert.equal(native(['data', '--show', 'mini.rnld']).out.trim(), `mini.rnld: ${ds.describe()}`);
  assert.deepEqual({ kind: ds.kind, counts: ds.counts, vocabSize: ds.vocabSize, maxLen: ds.maxLen, keepEnd: ds.keepEnd, seed: ds.seed },
    { kind: 'text', counts: { train: 6, val: 2, test: 6 }, vocabSize: 59, maxLen: 12, keepEnd: false, seed: 3 });
  assert.equal(ds.window, null);
  assert.equal(ds.source, null);
  const again = lab.openDataset(ds.toBytes().buffer);
  sameBytes('from an ArrayBuffer', again.toBytes(), want);
  again.free();
  // The description: the vocabulary without examples, as checkpoints keep it.
  const desc = lab.openDataset(ds.description());
  assert.deepEqual(desc.counts, { train: 0, val: 0, test: 0 });
  assert.equal(desc.vocabSize, 59);
  desc.free();

  const corrupt = Uint8Array.from(want);
  corrupt[200] ^= 0x40;
  writeFileSync(join(dir, 'corrupt.rnld'), corrupt);
  const crcNative = nativeMessage(native(['data', '--show', 'corrupt.rnld']));
  assert.match(crcNative, /^corrupt\.rnld: CRC-32 mismatch \(stored [0-9a-f]+, computed [0-9a-f]+\): the file is corrupt$/);
  assert.throws(() => lab.openDataset(corrupt, { name: 'corrupt.rnld' }), { code: 'RNL_ERR_FORMAT', message: `bad format: ${crcNative}` });
  assert.throws(() => lab.openDataset(corrupt), { message: `bad format: ${crcNative.replace('corrupt.rnld', 'data file')}` });
  writeFileSync(join(dir, 'short.rnld'), want.subarray(0, want.length - 1));
  const shortNative = nativeMessage(native(['data', '--show', 'short.rnld']));
  assert.equal(shortNative, `short.rnld: truncated: the header promises ${want.length} bytes, there are ${want.length - 1}`);
  assert.throws(() => lab.openDataset(want.subarray(0, want.length - 1), { name: 'short.rnld' }), { message: `bad format: ${shortNative}` });
  assert.throws(() => lab.openDataset(readFileSync(FIXTURES[0]), { name: 'a.tar.gz' }), {
    message: 'bad format: a.tar.gz: not an rnnlab data file (bad magic): it is gzip-compressed data (an archive? build a subset from it first)' });
  assert.throws(() => lab.openDataset('not bytes'), /bad argument: openDataset: expected the bytes of a \.rnld file/);

  ds.free();
  assert.equal(ds.freed, true);
  ds.free();  // again: nothing
  assert.throws(() => ds.describe(), { code: 'RNL_ERR_FREED' });
});

test('Dataset: split, encode, word, example and batch', async () => {
  const ds = await lab.prepareImdb(readFileSync(FIXTURES[0]), small);
  assert.deepEqual(ds.split('train'), { first: 0, count: 6 });
  assert.deepEqual(ds.split('val'), { first: 6, count: 2 });
  assert.deepEqual(ds.split('test'), { first: 8, count: 6 });
  assert.throws(() => ds.split('dev'), /split: name must be 'train', 'val' or 'test'/);
  assert.equal(ds.word(0), '<pad>');
  assert.equal(ds.word(1), '<unk>');
  assert.equal(ds.word(59), null);
  // zyzzyva occurs only in test reviews: never in the vocabulary (tests/fixtures/README.md).
  const e = ds.encode('A GREAT film<br />, zyzzyva!');
  assert.deepEqual(e.tokens, ['a', 'great', 'film', ',', '<unk>', '!']);
  assert.ok(e.ids instanceof Int32Array);
  assert.deepEqual(Array.from(e.ids, (id) => ds.word(id)), e.tokens);
  assert.deepEqual(ds.encode('').tokens, ['<unk>'], 'a text without tokens is one <unk>');
  assert.equal(ds.encode('word '.repeat(50)).ids.length, 12, 'max_len');
  const ex = ds.example(8);
  assert.ok(ex.ids.length >= 1 && ex.ids.length <= 12);
  assert.ok([0, 1].includes(ex.label) && ex.rating >= 1 && ex.rating <= 10 && ex.id >= 0 && ex.id <= 3);
  assert.throws(() => ds.example(14), /example: index 14 is outside 0\.\.13/);
  const b = ds.batch([0, 8, 13]);
  assert.equal(b.B, 3);
  assert.equal(b.tokens.length, 3 * b.T);
  assert.deepEqual(Array.from(b.tokens.subarray(b.T, b.T + ex.ids.length)), Array.from(ex.ids));
  assert.equal(b.lengths[1], ex.ids.length);
  assert.equal(b.targets[1], ex.label);
  assert.throws(() => ds.batch([0, 14]), /batch: example index 14 \(item 1\) is outside 0\.\.13/);
  assert.throws(() => ds.batch([]), /batch: indices is empty/);
  ds.free();
});

test('seriesCsvDataset: the native file byte for byte; windows, statistics, batches; no numbers: the core\'s message', { skip: noCli }, () => {
  const out = join(dir, 'good.rnld');
  assert.equal(native(['data', '--source', join(SERIES, 'good.csv'), '--window', '5', '--out', out]).status, 0);
  const s = lab.seriesCsvDataset(readFileSync(join(SERIES, 'good.csv')), { window: 5 });
  sameBytes('series', s.toBytes(), readFileSync(out));
  assert.equal(s.kind, 'series');
  assert.deepEqual(s.counts, { train: 37, val: 4, test: 4 });
  assert.equal(s.column, 'Temp');
  assert.equal(s.window, 5);
  assert.equal(s.horizon, 1);
  assert.equal(s.valueCount, 60);
  assert.equal(s.vocabSize, null);
  assert.match(s.describe(), /^series 'Temp': 60 values \(42 \/ 9 \/ 9\), window 5, horizon 1: 37 train \/ 4 val \/ 4 test windows; train mean 10\.14, std 3\.452$/);
  const b = s.batch([0, 37]);
  assert.deepEqual([b.B, b.T, b.inputs.length, b.targets.length, b.tokens], [2, 5, 10, 2, undefined]);
  // The first window of the validation part starts at value 42, normalised with the training part.
  const text = readFileSync(join(SERIES, 'good.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  assert.ok(Math.abs(b.inputs[5] - (text[42] - s.mean) / s.std) < 1e-6);
  assert.throws(() => s.encode('text'), /encode: this is a time series, not a text dataset/);
  const rows = Array.from({ length: 20 }, (_, i) => `${i},${i * i}`).join('\n');
  const text2 = lab.seriesCsvDataset(`t,v\n${rows}\n`, { column: 'v', window: 2, valFrac: 0.2, testFrac: 0.2 });
  assert.deepEqual(text2.counts, { train: 10, val: 2, test: 2 });
  assert.equal(text2.column, 'v');
  text2.free();
  s.free();

  for (const [file, code] of [['no_numbers.csv', 'RNL_ERR_FORMAT'], ['bad_value.csv', 'RNL_ERR_FORMAT'], ['two_numeric.csv', 'RNL_ERR_ARG']]) {
    const msg = nativeMessage(native(['data', '--source', file, '--out', join(dir, 'x.rnld')], SERIES));
    const status = code === 'RNL_ERR_ARG' ? 'bad argument' : 'bad format';
    assert.throws(() => lab.seriesCsvDataset(readFileSync(join(SERIES, file)), { name: file }), { code, message: `${status}: ${msg}` });
  }
  assert.throws(() => lab.seriesCsvDataset('Date,Weather\n2001-01-01,sunny\n'),
    { message: 'bad format: CSV: no numeric column in the first data row (line 2: "2001-01-01,sunny"; columns: Date, Weather)' });
  assert.throws(() => lab.seriesCsvDataset(readFileSync(join(SERIES, 'good.csv')), { column: 'Rain' }),
    { message: "bad argument: CSV: no column 'Rain' in the header (columns: Date, Temp)" });
});

test('textCsvDataset: reviews from a CSV, quoted fields; bad rows give the core\'s messages', () => {
  const rows = ['text,label'];
  for (let i = 0; i < 300; i++) {
    const pos = i % 2 === 0;
    rows.push(`"Review ${i}: ${pos ? 'a ""great"", moving film' : 'dull,\nand awful'}",${pos ? 'positive' : 'NEG'}`);
  }
  const csv = rows.join('\r\n') + '\r\n';
  const ds = lab.textCsvDataset(csv, { maxLen: 20, seed: 4, name: 'reviews.csv' });
  assert.equal(ds.kind, 'text');
  assert.equal(ds.source.rows, 300);
  const { train, test: tst } = ds.source;
  assert.equal(train.neg + train.pos + tst.neg + tst.pos, 300);
  const tv = 2 * Math.min(train.neg, train.pos);
  assert.deepEqual(ds.counts, { train: tv - 2 * Math.floor(tv / 20), val: 2 * Math.floor(tv / 20), test: 2 * Math.min(tst.neg, tst.pos) });
  const first = ds.example(0);
  const words = Array.from(first.ids, (id) => ds.word(id)).join(' ');
  assert.equal(words, first.label ? `review ${first.id} : a " great " , moving film` : `review ${first.id} : dull , and awful`);
  assert.equal(first.rating, 0);
  // Same bytes for the same seed, from a string or from bytes.
  const again = lab.textCsvDataset(new TextEncoder().encode(csv), { maxLen: 20, seed: 4 });
  sameBytes('text CSV again', again.toBytes(), ds.toBytes());
  const sized = lab.textCsvDataset(csv, { train: 40, val: 'all', test: 20, maxLen: 20, seed: 4 });
  assert.deepEqual(sized.counts, { train: 40, val: 2 * Math.floor(tv / 20), test: 20 });
  for (const d of [ds, again, sized]) d.free();

  assert.throws(() => lab.textCsvDataset('text,label\ngood,1\nbad,0\nhmm,maybe\n', { name: 'r.csv' }),
    { code: 'RNL_ERR_FORMAT', message: "bad format: r.csv:4: bad label 'maybe' in column 'label' (expected 0/1, neg/pos or negative/positive)" });
  assert.throws(() => lab.textCsvDataset('body,label\ngood,1\n'), {
    message: "bad format: reviews CSV:1: no 'text' column in the header (columns: 'body', 'label'): expected a header row naming a text (or review) column and a label (or sentiment) column" });
  assert.throws(() => lab.textCsvDataset(''), { message: 'bad format: reviews CSV: empty file: expected a header row with text and label columns' });
  assert.throws(() => lab.textCsvDataset(readFileSync(join(SERIES, '../tar/imdb_mini_gnu.tar.gz'))),
    { message: 'bad format: reviews CSV: gzip-compressed data, not CSV text: decompress it first' });
  // Truncated, binary, a header without the label column, classic Mac OS line ends: the core's messages,
  // and nothing left allocated.
  const inUse = lab.memoryStats().heapInUse;
  assert.throws(() => lab.textCsvDataset(csv.slice(0, 500), { name: 'cut.csv' }),
    { message: /^bad format: cut\.csv:\d+: unterminated quote: the quoted field 1 that starts on line \d+ never ends$/ });
  assert.throws(() => lab.textCsvDataset(new Uint8Array([0x74, 0x2c, 0x6c, 0x0a, 0x89, 0x50, 0, 0, 0x0d])), {
    message: 'bad format: reviews CSV:2: binary data, not CSV text (a NUL byte at byte 6)' });
  assert.throws(() => lab.textCsvDataset('\ufeffreview,stars\r\nfine,5\r\n'), {
    message: "bad format: reviews CSV:1: no 'label' column in the header (columns: 'review', 'stars'): expected a header row naming a text (or review) column and a label (or sentiment) column" });
  assert.throws(() => lab.textCsvDataset('text,label\rgood,1\rbad,0\r'), {
    message: 'bad format: reviews CSV: lines end with a carriage return alone (classic Mac OS line ends): save the file with LF or CRLF line ends' });
  assert.equal(lab.memoryStats().heapInUse, inUse);
  assert.throws(() => lab.textCsvDataset(csv, { train: 5000 }), /bad argument: reviews CSV: 2500 negative training \+ validation reviews asked for/);
  assert.throws(() => lab.textCsvDataset(csv, { train: 'many' }), /textCsvDataset: train must be a whole number/);
});

test('bowBaseline: the accuracies and words of `rnnlab baseline`', { skip: noCli }, async () => {
  const ds = await lab.prepareImdb(readFileSync(FIXTURES[0]), small);
  writeFileSync(join(dir, 'bow.rnld'), ds.toBytes());
  const r = lab.bowBaseline(ds);
  const json = JSON.parse(native(['baseline', '--data', 'bow.rnld', '--json']).out);
  const g6 = (x) => Number(x.toPrecision(6));
  assert.deepEqual([g6(r.trainAccuracy), g6(r.valAccuracy), g6(r.testAccuracy)], [json.train_accuracy, json.val_accuracy, json.test_accuracy]);
  const text = native(['baseline', '--data', 'bow.rnld']).out;
  assert.equal(`  most positive words: ${r.topPositive.join(' ')}`, text.split('\n').find((l) => l.includes('most positive')));
  assert.equal(`  most negative words: ${r.topNegative.join(' ')}`, text.split('\n').find((l) => l.includes('most negative')));
  assert.equal(r.topPositive.length, 10);
  const s = lab.seriesCsvDataset(readFileSync(join(SERIES, 'good.csv')), { window: 5 });
  assert.throws(() => lab.bowBaseline(s), /bow baseline: needs a text dataset/);
  s.free();
  ds.free();
  assert.throws(() => lab.bowBaseline(ds), { code: 'RNL_ERR_FREED' });
});

test('memory: 30 rounds of prepare / open / CSV / free leave the heap where it was', async () => {
  const gz = readFileSync(FIXTURES[0]), csv = readFileSync(join(SERIES, 'good.csv'));
  const sizes = [], inUse = [];
  for (let i = 0; i < 30; i++) {
    const ds = await lab.prepareImdb(i % 2 ? gz : dribble(gz), { ...small, seed: i });
    const copy = lab.openDataset(ds.toBytes());
    copy.encode('a great film');
    copy.batch([0, 1, 2]);
    lab.bowBaseline(copy);
    const s = lab.seriesCsvDataset(csv, { window: 3 + (i % 4) });
    s.batch([0, 1]);
    assert.throws(() => lab.openDataset(gz));
    await assert.rejects(lab.prepareImdb(gz.subarray(0, 500)));
    for (const d of [ds, copy, s]) d.free();
    sizes.push(lab.memoryBytes);
    inUse.push(lab.memoryStats().heapInUse);
  }
  assert.equal(sizes[29], sizes[4], `memory grew after round 5: ${sizes[4]} -> ${sizes[29]} bytes`);
  assert.equal(inUse[29], inUse[4], `bytes in use drifted: ${inUse[4]} after round 5, ${inUse[29]} after round 30`);
});
