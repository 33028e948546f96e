// imdb_threads_worker.js: the Worker of imdb_threads.mjs: reads the IMDB archive as the page's "IMDB, all
// 25,000 reviews" choice does, then times one epoch of training (or its first `steps` batches) at each
// thread count, each from the same fresh model: Model.trainStepAsync over Worker replicas (web/lib/threads.js),
// or on the shared-memory module over the core's own threads (web/lib/shared.js; o.shared, --path).
import { RnnLab } from '/web/rnnlab.js';

onmessage = async ({ data: o }) => {
  try {
    const lab = await RnnLab.load(undefined, { shared: o.shared });
    const t0 = performance.now();
    const resp = await fetch('/archive.tar.gz');
    const ds = await lab.prepareImdb(resp, o.data);
    postMessage({ progress: `data: ${ds.counts.train} training reviews in ${((performance.now() - t0) / 1000).toFixed(0)} s` });
    const { first, count } = ds.split('train');
    const nb = Math.ceil(count / o.batch), steps = Math.min(o.steps || nb, nb);
    const runs = [];
    for (const threads of o.threads) {
      const m = lab.createModel({ dataset: ds, ...o.model, seed: 1 });
      m.setOptimizer({ kind: 'adam', lr: o.lr, clip: 1 });
      await m.setThreads(threads);
      const s0 = performance.now();
      let loss = 0;
      for (let b = 0; b < steps; b++) {
        const idx = Int32Array.from({ length: Math.min(o.batch, count - b * o.batch) }, (_, i) => first + b * o.batch + i);
        loss = (await m.trainStepAsync(ds.batch(idx))).loss;
        if (b % 100 === 99) postMessage({ progress: `${threads} threads: ${b + 1}/${steps} steps, ${((performance.now() - s0) / 1000).toFixed(0)} s` });
      }
      const seconds = (performance.now() - s0) / 1000;
      runs.push({ threads, path: m.threadPath, kernels: lab.kernels, steps, batches_per_epoch: nb, seconds,
        epoch_seconds: +(seconds * nb / steps).toFixed(1), last_loss: loss, copies: m.threadStats });
      await m.setThreads(1);
      m.free();
    }
    await lab.stopThreads();
    postMessage({ runs, userAgent: navigator.userAgent });
  } catch (e) {
    postMessage({ error: String(e.stack || e) });
  }
};
