#!/usr/bin/env node
// imdb_train_threads.mjs: Model.trainDataset over Worker replicas in headless Chromium, the path the page
// takes when a student picks 2 threads (web/app/threads.js): the page's IMDB set-up (2,000 training reviews,
// vocabulary 10,000, the last 200 words; GRU, embedding 32, hidden 64, Adam 0.003, batch 32, bucketing 8),
// one epoch at each thread count, repeated and interleaved (1, 2, 1, 2, ...) so that a loaded machine
// slows both alike: the medians and their ratio are the figures. Each run also reports where a step's time
// goes on the replica path (model.threadStats: this instance's shards, the wait for the replicas' blocks,
// the sum and optimizer step, and the replicas' own shards and optimizer steps) and the bytes copied.
// Every run at every count ends with the same checkpoint (its CRC is printed). --path replicas (the default:
// the page of a course site without the isolation headers) loads the module without shared memory; --path
// shared the shared-memory module (the bench page is cross-origin isolated, as npm start's), whose threads
// are the core's own (no threadStats). A benchmark, not a test.
//
//     node tests/bench/imdb_train_threads.mjs --archive ../shared/data/aclImdb_v1_labeled.tar.gz [--threads 1,2] [--repeats 3]
//                                             [--epochs 1] [--path replicas|shared] [--json]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInChromiumWorker } from './chromium_bench.mjs';

const o = { archive: null, threads: [1, 2], repeats: 3, epochs: 1, path: 'replicas', json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = argv[i + 1];
  if (k === '--json') { o.json = true; continue; }
  if (v === undefined) throw new Error(`${k} needs a value`);
  i++;
  if (k === '--archive') o.archive = resolve(v);
  else if (k === '--threads') o.threads = v.split(',').map(Number);
  else if (k === '--repeats') o.repeats = +v;
  else if (k === '--epochs') o.epochs = +v;
  else if (k === '--path') o.path = v;
  else throw new Error(`unknown flag '${k}' (see the comment at the top of tests/bench/imdb_train_threads.mjs)`);
}
if (!o.archive) throw new Error('--archive PATH is required (aclImdb_v1.tar.gz or aclImdb_v1_labeled.tar.gz)');
if (!o.threads.every((t) => Number.isInteger(t) && t >= 1 && t <= 64)) throw new Error('--threads: counts in 1..64, like 1,2');
if (!(Number.isInteger(o.repeats) && o.repeats >= 1)) throw new Error('--repeats: a whole number from 1');
if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new Error('--epochs: a whole number from 1');
if (!['shared', 'replicas'].includes(o.path)) throw new Error(`--path: replicas or shared, not '${o.path}'`);

const message = { threads: o.threads, repeats: o.repeats, epochs: o.epochs, batch: 32, lr: 0.003, shared: o.path === 'shared',
  data: { train: 2000, val: 500, test: 2000, vocab: 10000, maxLen: 200, keepEnd: true },  // web/app/config.js: the imdb defaults
  model: { cell: 'gru', embed: 32, hidden: 64 } };
const r = await runInChromiumWorker({ worker: '/tests/bench/imdb_train_threads_worker.js', message,
  files: { '/archive.tar.gz': pathToFileURL(o.archive).href }, onProgress: (s) => process.stderr.write(`${s}\n`) });
const median = (a) => {
  const s = [...a].sort((x, y) => x - y), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = o.threads.map((threads) => {
  const runs = r.runs.filter((x) => x.threads === threads);
  const ms = (k) => median(runs.map((x) => (x.stats ? x.stats[k] / x.stats.steps : 0)));
  return { threads, path: runs[0].path, kernels: runs[0].kernels, seqPerSec: median(runs.map((x) => x.seqPerSec)),
    all: runs.map((x) => +x.seqPerSec.toFixed(1)), crc: [...new Set(runs.map((x) => x.crc))],
    perStep: runs[0].stats ? { shards: ms('msShards'), wait: ms('msWait'), apply: ms('msApply'), replicaShards: ms('msReplicaShards'),
      replicaApply: ms('msReplicaApply'), mibCopied: median(runs.map((x) => (x.stats.bytesIn + x.stats.bytesOut) / x.stats.steps / 1048576)) } : null };
});
if (o.json) console.log(JSON.stringify({ userAgent: r.userAgent, summary, runs: r.runs }));
else {
  console.log(`${r.userAgent}\n${r.runs[0].steps} steps an epoch x ${o.epochs}, ${o.repeats} interleaved repeats`);
  const one = summary.find((x) => x.threads === 1);
  for (const x of summary) {
    console.log(`${x.threads} thread(s) (${x.path}, ${x.kernels}): median ${x.seqPerSec.toFixed(1)} seq/s [${x.all.join(', ')}]` +
      `${one ? `, ${(x.seqPerSec / one.seqPerSec).toFixed(2)}x 1 thread` : ''}; checkpoint CRC ${x.crc.join(' ')}`);
    if (x.perStep) {
      const p = x.perStep;
      console.log(`  per step (ms): own shards ${p.shards.toFixed(2)}, wait for replicas ${p.wait.toFixed(2)}, sum + optimizer ` +
        `${p.apply.toFixed(2)}; in a replica: shards ${p.replicaShards.toFixed(2)}, its optimizer step ${p.replicaApply.toFixed(2)}; ` +
        `${p.mibCopied.toFixed(2)} MiB copied`);
    }
  }
}
