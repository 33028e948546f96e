#!/usr/bin/env node
// data.mjs (`npm run data`): prepares data sets for the page with the WebAssembly module, through the same
// calls the page makes (web/rnnlab.js: prepareImdb, prepareImdbFiles, seriesCsvDataset), and writes .rnld
// files atomically: what the native `rnnlab data` would write for the same flags, byte for byte.
//
//     npm run data                                   # data/imdb-2000.rnld, downloading the archive if needed
//     npm run data -- --source ~/aclImdb_v1.tar.gz --train 5000 --val 1000 --test 5000
//     npm run data -- --series temps.csv --column Temp
//
// Without --source (or RNNLAB_IMDB) the official archive is used from data/aclImdb_v1.tar.gz, downloaded
// first when it is missing: streamed to a .part file, resumed after a break, its size and SHA-256 checked
// before it is renamed into place. Offline, it says so and how to give a local copy instead.
// Exit status: 0 done, 1 failed (a message on stderr), 2 bad flags.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../rnnlab.js';
import { parseFlags, UsageError } from './flags.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OFFICIAL = {
  url: 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz',
  file: 'aclImdb_v1.tar.gz',
  size: 84125825,
  sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
};

const HELP = `usage: npm run data -- [--source PATH] [flags]
       npm run data -- --series FILE.csv [--column NAME] [flags]

Prepares a data set for the lab page with the WebAssembly build (the page's own code) and writes it as
a .rnld file: the same bytes as 'rnnlab data' with the same flags.

IMDB reviews (a deterministic, balanced subset; the test split is never used for the vocabulary):
  --source PATH     aclImdb_v1.tar.gz (or aclImdb_v1_labeled.tar.gz, a .tar, an unpacked aclImdb/ directory);
                    default: $RNNLAB_IMDB, else data/aclImdb_v1.tar.gz, downloaded first if missing
                    (${OFFICIAL.size.toLocaleString('en')} bytes from ${OFFICIAL.url}, SHA-256 checked)
  --train N         training reviews (default 2000)
  --val N           validation reviews, taken from the training split (default 500)
  --test N          test reviews (default 2000)
  --vocab N         most frequent training words to keep (default 10000)
  --max-len N       tokens kept per review (default 200)
  --keep-end        keep the last max-len tokens (the default: a review's verdict is usually at its end)
  --keep-start      keep the first max-len tokens instead
  --val-by-movie    validation made of whole movies, none of them in train (as the test set's movies are apart
                    from the training half's); reads train/urls_{pos,neg}.txt for each review's movie
  --seed N          seed of the selection (default 1)
CSV time series (chronological train/val/test parts, normalised with the training part's statistics):
  --series FILE     the CSV file
  --column NAME     the numeric column (default: the only numeric one)
  --window T        input steps per example (default 30)
  --horizon K       values to predict after each window (default 1)
  --val-frac X      fraction of the values for validation (default 0.15)
  --test-frac X     fraction of the values for testing (default 0.15)
output:
  --out FILE        default: data/imdb-<N>.rnld (N the training reviews: imdb-2000.rnld) or data/<csv name>.rnld
  --data-dir DIR    where the archive is downloaded and outputs go (default: data/ in the repository)
  --wasm FILE       the module to load (default: web/rnnlab.wasm)

environment (the last three are test hooks: never needed with the official archive):
  RNNLAB_IMDB         the archive or directory, as --source
  RNNLAB_IMDB_URL     download from this URL (http, https or file:) instead of the official one
  RNNLAB_IMDB_SHA256, RNNLAB_IMDB_SIZE   the checksum and size expected of that download
`;

// --- Flags ------------------------------------------------------------------------------------------

// Each number's range is the core's limit of that name (lab.limits).
const LIMIT_FLAGS = { '--train': 'n_train', '--val': 'n_val', '--test': 'n_test', '--vocab': 'vocab_words', '--max-len': 'max_len',
  '--window': 'window', '--horizon': 'horizon' };
const FLOAT_FLAGS = { '--val-frac': [0, 0.99], '--test-frac': [0, 0.99] };
const STRING_FLAGS = ['--source', '--series', '--column', '--out', '--data-dir', '--wasm'];
const BOOL_FLAGS = ['--keep-end', '--keep-start', '--val-by-movie'];

// limits null: any number for the limited flags (the first pass, before the module is loaded).
function parseArgs(argv, limits) {
  const ints = {};
  for (const [flag, name] of Object.entries(LIMIT_FLAGS)) {
    if (limits && !limits[name]) throw new Error(`the module has no limit '${name}' (for ${flag}): rebuild web/rnnlab.wasm`);
    ints[flag] = limits ? [limits[name].min, limits[name].max] : [-Infinity, Infinity];
  }
  const f = parseFlags(argv, { ints, floats: FLOAT_FLAGS, seeds: ['--seed'], strings: STRING_FLAGS, bools: BOOL_FLAGS });
  if (f.help) return f;
  if (f['--keep-end'] && f['--keep-start']) throw new UsageError('give --keep-end or --keep-start, not both');
  const imdbOnly = ['--source', '--train', '--val', '--test', '--vocab', '--max-len', '--keep-end', '--keep-start', '--val-by-movie', '--seed'];
  const seriesOnly = ['--column', '--window', '--horizon', '--val-frac', '--test-frac'];
  if (f['--series']) {
    const bad = imdbOnly.filter((k) => k in f);
    if (bad.length) throw new UsageError(`${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} for IMDB reviews, not --series`);
  } else {
    const bad = seriesOnly.filter((k) => k in f);
    if (bad.length) throw new UsageError(`${bad.join(', ')} ${bad.length > 1 ? 'need' : 'needs'} --series FILE`);
  }
  return f;
}

// --- Output -----------------------------------------------------------------------------------------

const bytesText = (n) => `${n.toLocaleString('en')} bytes`;
const shown = (p) => (p.startsWith(ROOT + '/') ? relative(process.cwd(), p) || p : p);

// Written to a temporary name, flushed and renamed: a failed run never leaves half a file under the name.
async function writeAtomically(path, bytes) {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp.${process.pid}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

function progressLine(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}   `);
}

// --- The archive ------------------------------------------------------------------------------------

async function sha256File(path) {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c);
  return h.digest('hex');
}

const NETWORK_CODES = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'];

function offlineHelp(what, part, have) {
  return `${what}. This machine seems to be offline (or the server is unreachable).\n` +
    (have > 0 ? `  ${bytesText(have)} are kept in ${shown(part)}: run 'npm run data' again to resume.\n` : '') +
    `  Download ${OFFICIAL.file} elsewhere (${bytesText(OFFICIAL.size)}, SHA-256 ${OFFICIAL.sha256}) from\n` +
    `  ${OFFICIAL.url}, then give its path:\n` +
    `    npm run data -- --source /path/to/${OFFICIAL.file}     (or set RNNLAB_IMDB=/path/to/${OFFICIAL.file})\n` +
    '  An unpacked aclImdb/ directory, or the labeled copy aclImdb_v1_labeled.tar.gz, works too.';
}

// The bytes of `url` from byte `from` on: an async iterable, and whether the server resumed there.
async function openDownload(url, from) {
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    const size = (await stat(path)).size;
    return { chunks: createReadStream(path, { start: Math.min(from, size) }), resumed: true, total: size };
  }
  const resp = await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {} });
  if (resp.status === 416 && from > 0) return { chunks: [], resumed: true, total: from };  // the .part is complete
  if (!resp.ok) throw new Error(`downloading ${url}: HTTP ${resp.status} ${resp.statusText}`);
  const resumed = resp.status === 206;
  const len = Number(resp.headers.get('content-length'));
  return { chunks: resp.body, resumed, total: Number.isFinite(len) && len > 0 ? (resumed ? from : 0) + len : null };
}

// Downloads the archive to dest: streamed to dest.part (resumed if one is there), checked, renamed.
async function download(dest, expect) {
  const url = new URL(process.env.RNNLAB_IMDB_URL || OFFICIAL.url);
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  let have = (await stat(part).catch(() => null))?.size ?? 0;
  if (have > expect.size) {
    await unlink(part);
    have = 0;
  }
  console.error(`downloading ${url.href} to ${shown(dest)}${have ? ` (resuming at byte ${have})` : ''} ...`);
  let src;
  try {
    src = await openDownload(url, have);
  } catch (e) {
    const code = e.cause?.code ?? e.code;
    if (e instanceof TypeError || NETWORK_CODES.includes(code))
      throw new Error(offlineHelp(`could not download ${url.href} (${e.cause?.message ?? code ?? e.message})`, part, have));
    throw e;
  }
  if (!src.resumed) have = 0;
  const out = createWriteStream(part, { flags: have ? 'a' : 'w' });
  const t0 = Date.now();
  let got = have, lastShown = 0;
  try {
    for await (const c of src.chunks) {
      if (!out.write(c)) await new Promise((r) => out.once('drain', r));
      got += c.length;
      if (Date.now() - lastShown > 250) {
        lastShown = Date.now();
        progressLine(`  ${(got / 1e6).toFixed(1)} MB${src.total ? ` of ${(src.total / 1e6).toFixed(1)} MB` : ''}`);
      }
    }
  } catch (e) {
    await new Promise((r) => out.end(r));
    const code = e.cause?.code ?? e.code;
    throw new Error(offlineHelp(`the download of ${url.href} broke off after ${bytesText(got)} (${code ?? e.message})`, part, got));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  if (process.stderr.isTTY) process.stderr.write('\n');
  const size = (await stat(part)).size;
  const hash = await sha256File(part);
  if (size !== expect.size || hash !== expect.sha256) {
    await unlink(part);
    throw new Error(`the download of ${url.href} is not the expected file: ${bytesText(size)}, SHA-256 ${hash}; expected ` +
      `${bytesText(expect.size)}, SHA-256 ${expect.sha256}. It was deleted; run 'npm run data' again, or download the ` +
      'archive by hand and give it with --source');
  }
  await rename(part, dest);
  console.error(`downloaded ${bytesText(size)} in ${((Date.now() - t0) / 1000).toFixed(1)} s, SHA-256 verified`);
}

// The archive to read: --source / RNNLAB_IMDB, else data/aclImdb_v1.tar.gz (downloaded when missing).
async function archivePath(f, dataDir) {
  const given = f['--source'] ?? process.env.RNNLAB_IMDB;
  if (given) {
    const path = resolve(given);
    if (!(await stat(path).catch(() => null)))
      throw new Error(`${given} not found. Give the path of ${OFFICIAL.file} (or an unpacked aclImdb/ directory)`);
    return path;
  }
  const expect = {
    size: process.env.RNNLAB_IMDB_SIZE ? Number(process.env.RNNLAB_IMDB_SIZE) : OFFICIAL.size,
    sha256: (process.env.RNNLAB_IMDB_SHA256 || OFFICIAL.sha256).toLowerCase(),
  };
  const dest = join(dataDir, OFFICIAL.file);
  const st = await stat(dest).catch(() => null);
  if (!st) {
    await download(dest, expect);
  } else if (st.size !== expect.size || (await sha256File(dest)) !== expect.sha256) {
    throw new Error(`${shown(dest)} is not the official archive (${bytesText(st.size)}; expected ${bytesText(expect.size)}, ` +
      `SHA-256 ${expect.sha256}): delete it to download it again, or give another file with --source`);
  }
  return dest;
}

// The review files of an unpacked aclImdb/ directory (or its parent), read one at a time, then (byMovie)
// train/urls_{neg,pos}.txt, the reviews' movies. train/unsup is left out: the core only counts it.
async function* reviewFiles(dir, byMovie) {
  let root = dir;
  if (!(await stat(join(dir, 'train')).catch(() => null)) && (await stat(join(dir, 'aclImdb')).catch(() => null))) root = join(dir, 'aclImdb');
  for (const split of ['train', 'test'])
    for (const label of ['neg', 'pos']) {
      const sub = join(root, split, label);
      const names = await readdir(sub).catch((e) => {
        throw new Error(`${dir}: missing ${split}/${label}/ (${e.code}): expected an aclImdb directory with train/{pos,neg} and test/{pos,neg}`);
      });
      for (const name of names.sort())
        if (name.endsWith('.txt')) yield { name: `aclImdb/${split}/${label}/${name}`, data: await readFile(join(sub, name)) };
    }
  for (const label of byMovie ? ['neg', 'pos'] : []) {
    const data = await readFile(join(root, 'train', `urls_${label}.txt`)).catch(() => null);
    if (data) yield { name: `aclImdb/train/urls_${label}.txt`, data };  // a missing one is named by the core
  }
}

function countsLine(c) {
  return `${(c.train.neg + c.train.pos).toLocaleString('en')} train (${c.train.neg} neg / ${c.train.pos} pos), ` +
    `${(c.test.neg + c.test.pos).toLocaleString('en')} test (${c.test.neg} neg / ${c.test.pos} pos)` +
    (c.unsup ? `, ${c.unsup.toLocaleString('en')} unlabelled (ignored)` : '');
}

// --- Main -------------------------------------------------------------------------------------------

async function main(argv) {
  const first = parseArgs(argv, null);
  if (first.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const lab = await RnnLab.load(first['--wasm']);
  const f = parseArgs(argv, lab.limits);
  const dataDir = resolve(f['--data-dir'] ?? join(ROOT, 'data'));
  const t0 = Date.now();
  let ds, out;
  if (f['--series']) {
    const path = resolve(f['--series']);
    const text = await readFile(path).catch((e) => {
      throw new Error(`cannot read ${f['--series']}: ${e.code ?? e.message}`);
    });
    const opts = { name: basename(path) };
    for (const [flag, key] of [['--column', 'column'], ['--window', 'window'], ['--horizon', 'horizon'], ['--val-frac', 'valFrac'],
      ['--test-frac', 'testFrac']])
      if (flag in f) opts[key] = f[flag];
    ds = lab.seriesCsvDataset(text, opts);
    out = f['--out'] ?? join(dataDir, `${basename(path).replace(/\.csv$/i, '')}.rnld`);
  } else {
    const opts = { train: f['--train'] ?? 2000, val: f['--val'] ?? 500, test: f['--test'] ?? 2000, vocab: f['--vocab'] ?? 10000,
      maxLen: f['--max-len'] ?? 200, keepEnd: !f['--keep-start'], valByMovie: !!f['--val-by-movie'], seed: f['--seed'] ?? 1 };
    const source = await archivePath(f, dataDir);
    const st = await stat(source);
    const onProgress = (p) => progressLine(`  ${p.files !== undefined ? `${p.files} files` : `${(p.bytesIn / 1e6).toFixed(1)} MB`}, ` +
      `${p.reviews.toLocaleString('en')} reviews`);
    if (st.isDirectory()) {
      console.error(`reading the directory ${shown(source)} ...`);
      ds = await lab.prepareImdbFiles(reviewFiles(source, opts.valByMovie), { ...opts, onProgress });
    } else {
      console.error(`reading ${shown(source)} (${bytesText(st.size)}) ...`);
      ds = await lab.prepareImdb(createReadStream(source, { highWaterMark: 1 << 20 }), { ...opts, name: basename(source), onProgress });
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(`read ${countsLine(ds.source)} reviews`);
    out = f['--out'] ?? join(dataDir, `imdb-${opts.train}.rnld`);
  }
  const bytes = ds.toBytes();
  await writeAtomically(resolve(out), bytes);
  console.log(`wrote ${shown(resolve(out))} (${bytesText(bytes.length)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${ds.describe()}`);
  ds.free();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    if (e instanceof UsageError) {
      console.error(`data.mjs: ${e.message} (see 'npm run data -- --help')`);
      process.exitCode = 2;
    } else {
      console.error(`data.mjs: ${e.message}`);
      process.exitCode = 1;
    }
  });
