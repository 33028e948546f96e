// chromium_worker.js: the training timings of chromium_bench.mjs, in a module Web Worker of headless
// Chromium (where students run the lab). Given the modules to compare, it loads each (one instance and one
// model per module and cell), warms each up, then times them in turn, interleaved: repeat r times module
// A's `steps` training steps, then module B's, ... so that a load change on the machine hits every module
// alike. It posts one row per module, thread count and cell, and the median of the per-repeat ratios to the
// first of them. Thread counts above 1 train on Worker replicas (Model.setThreads, web/lib/threads.js), or
// on a shared-memory module on the core's own threads (web/lib/shared.js).
import { RnnLab } from '/web/rnnlab.js';
import { CONFIGS, forwardFlops, median, randomBatch } from '/tests/bench/bench_common.mjs';

// Bytes posted between the instances per step (blocks out and in), after the first copy of the model.
function copyBytes(run) {
  const a = run.stats0, b = run.m.threadStats;
  if (!a || !b || b.steps === a.steps) return 0;
  return Math.round((b.bytesOut - a.bytesOut + b.bytesIn - a.bytesIn) / (b.steps - a.steps));
}

onmessage = async ({ data: o }) => {
  try {
    const rows = [];
    for (const c of CONFIGS.filter((x) => o.configs.includes(x.name)))
      for (const cell of o.cells) {
        const runs = [];
        for (const mod of o.modules)
          for (const threads of o.threads) {
            const lab = await RnnLab.load(new URL(mod.url, location.href));
            const m = lab.createModel({ cell, vocab: c.vocab, embed: c.E, hidden: c.H, head: 'binary', outputs: 1, seed: 1 });
            m.setOptimizer({ kind: 'adam', lr: 1e-3, clip: 0 });  // as `rnnlab bench`: no clipping
            // threads > 1: Worker replicas (web/lib/threads.js), nested in this Worker; on a shared module the
            // core's own threads, Worker instances over this Worker's memory (web/lib/shared.js)
            await m.setThreads(threads);
            const { tokens, targets } = randomBatch(c);
            const batch = { B: c.B, T: c.T, tokens, targets };
            // V8 first runs WASM in its baseline compiler and swaps in optimised code compiled in the background.
            for (const w0 = performance.now(); performance.now() - w0 < o.warmupMs;) await m.trainStepAsync(batch);
            runs.push({ mod, lab, m, threads, step: () => m.trainStepAsync(batch), rates: [], stats0: m.threadStats });
          }
        for (let r = 0; r < o.repeats; r++)
          for (const run of runs) {
            const t0 = performance.now();
            for (let s = 0; s < o.steps; s++) await run.step();
            run.rates.push((o.steps * c.B) / ((performance.now() - t0) / 1000));
          }
        const flopsPerSeq = (3 * forwardFlops(c, cell)) / c.B;
        for (const run of runs) {
          const med = median(run.rates);
          rows.push({ engine: 'rnnlab-wasm-chromium', module: run.mod.name, kernels: run.lab.kernels, config: c.name, cell,
            mode: 'train', threads: run.threads, path: run.m.threadPath, seq_per_s: +med.toFixed(2), seq_per_s_min: +Math.min(...run.rates).toFixed(2),
            seq_per_s_max: +Math.max(...run.rates).toFixed(2), gflops: +((med * flopsPerSeq) / 1e9).toFixed(3),
            ratio_to_first: +median(run.rates.map((x, i) => x / runs[0].rates[i])).toFixed(4),
            // The best repeats' ratio: on a loaded machine the fastest repeat of each is nearest its own speed.
            ratio_best_to_first: +(Math.max(...run.rates) / Math.max(...runs[0].rates)).toFixed(4),
            copy_bytes_per_step: copyBytes(run), batch: c.B, length: c.T, embed: c.E, hidden: c.H, repeats: o.repeats, steps: o.steps });
          run.m.free();
          await run.lab.stopThreads();  // a shared module's Workers
        }
        postMessage({ progress: `${c.name} ${cell} done` });
      }
    postMessage({ rows, userAgent: navigator.userAgent });
  } catch (e) {
    postMessage({ error: String(e.stack || e) });
  }
};
