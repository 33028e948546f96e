// imdb_train_threads_worker.js: the Worker of imdb_train_threads.mjs: reads the IMDB archive as the page's
// IMDB choice does, then trains a fresh model for `epochs` epochs with Model.trainDataset at each thread
// count in turn, `repeats` times (interleaved): the page's own path (web/app/worker.js) without the page.
import { RnnLab } from '/web/rnnlab.js';

// CRC-32 of the checkpoint bytes: every run must end with the same ones.
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (~c >>> 0).toString(16).padStart(8, '0');
}

onmessage = async ({ data: o }) => {
  try {
    const lab = await RnnLab.load(undefined, { shared: o.shared });
    const t0 = performance.now();
    const ds = await lab.prepareImdb(await fetch('/archive.tar.gz'), o.data);
    postMessage({ progress: `data: ${ds.counts.train} training reviews in ${((performance.now() - t0) / 1000).toFixed(0)} s` });
    const runs = [];
    for (let rep = 0; rep < o.repeats; rep++) {
      for (const threads of o.threads) {
        const m = lab.createModel({ dataset: ds, ...o.model, seed: 1 });
        m.setOptimizer({ kind: 'adam', lr: o.lr, clip: 1 });
        await m.setThreads(threads);
        const r = await m.trainDataset(ds, { epochs: o.epochs, batchSize: o.batch, seed: 1, yieldMs: 30 });
        runs.push({ threads, path: m.threadPath, kernels: lab.kernels, steps: r.steps / o.epochs, seconds: r.seconds,
          seqPerSec: r.seqPerSec, loss: r.loss, crc: crc32(m.saveCheckpoint()), stats: m.threadStats });
        postMessage({ progress: `repeat ${rep + 1}, ${threads} thread(s): ${r.seqPerSec.toFixed(1)} seq/s` });
        await m.setThreads(1);
        m.free();
      }
    }
    postMessage({ runs, userAgent: navigator.userAgent });
  } catch (e) {
    postMessage({ error: String(e.stack || e) });
  }
};
