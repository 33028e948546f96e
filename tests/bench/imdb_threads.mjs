#!/usr/bin/env node
// imdb_threads.mjs: a full-IMDB training epoch in headless Chromium at 1 and 2 (or more) threads, the
// figure of issue 17: the page's "IMDB, all 25,000 reviews" set-up (22,500 training reviews, vocabulary
// 20,000, 400 tokens kept from the end, GRU, embedding 64, hidden 128, dropout 0.4, Adam 0.003, batch 32), trained in a
// module Worker with Model.trainStepAsync, one thread against more: by default on the shared-memory
// module (the page is served cross-origin isolated, as npm start; the core's own threads, web/lib/shared.js),
// with --path replicas on the plain module's Worker replicas (web/lib/threads.js). The
// batches run in the training split's stored order (the time does not depend on the shuffle). --steps N
// times the first N batches and extrapolates to the epoch. A benchmark, not a test: it needs the archive.
//
//     node tests/bench/imdb_threads.mjs --archive ../shared/data/aclImdb_v1_labeled.tar.gz [--threads 1,2] [--steps N]
//                                       [--path shared|replicas] [--json]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInChromiumWorker } from './chromium_bench.mjs';

const o = { archive: null, threads: [1, 2], steps: 0, path: 'shared', json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = argv[i + 1];
  if (k === '--json') { o.json = true; continue; }
  if (v === undefined) throw new Error(`${k} needs a value`);
  i++;
  if (k === '--archive') o.archive = resolve(v);
  else if (k === '--threads') o.threads = v.split(',').map(Number);
  else if (k === '--steps') o.steps = +v;
  else if (k === '--path') o.path = v;
  else throw new Error(`unknown flag '${k}' (see the comment at the top of tests/bench/imdb_threads.mjs)`);
}
if (!o.archive) throw new Error('--archive PATH is required (aclImdb_v1.tar.gz or aclImdb_v1_labeled.tar.gz)');
if (!o.threads.every((t) => Number.isInteger(t) && t >= 1 && t <= 64)) throw new Error('--threads: counts in 1..64, like 1,2');
if (!(Number.isInteger(o.steps) && o.steps >= 0)) throw new Error('--steps: a whole number (0: the whole epoch)');
if (!['shared', 'replicas'].includes(o.path)) throw new Error(`--path: shared or replicas, not '${o.path}'`);

const message = { threads: o.threads, steps: o.steps, batch: 32, lr: 0.003, shared: o.path === 'shared',
  data: { train: 22500, val: 2500, test: 25000, vocab: 5000, maxLen: 400, keepEnd: true, valByMovie: true },  // web/app/config.js imdbfull
  model: { cell: 'gru', embed: 64, hidden: 128, dropout: 0.4 } };
const r = await runInChromiumWorker({ worker: '/tests/bench/imdb_threads_worker.js', message,
  files: { '/archive.tar.gz': pathToFileURL(o.archive).href }, onProgress: (s) => process.stderr.write(`${s}\n`) });
if (o.json) console.log(JSON.stringify(r));
else {
  console.log(r.userAgent);
  const one = r.runs.find((x) => x.threads === 1);
  for (const x of r.runs)
    console.log(`${x.threads} thread(s) (${x.path}, ${x.kernels}): ${x.steps}/${x.batches_per_epoch} steps in ${x.seconds.toFixed(1)} s, ` +
      `epoch ${x.epoch_seconds} s${one ? `, ${(one.seconds / x.seconds).toFixed(2)}x 1 thread` : ''}, last loss ${x.last_loss.toFixed(4)}` +
      `${x.copies ? `, ${((x.copies.bytesIn + x.copies.bytesOut) / x.copies.steps / 1048576).toFixed(2)} MiB copied a step` : ''}`);
}
