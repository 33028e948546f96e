// chromium_worker.js: the training timings of chromium_bench.mjs, in a module Web Worker of headless
// Chromium (where students run the lab). Given the modules to compare, it loads each (one instance and one
// model per module and cell), warms each up, then times them in turn, interleaved: repeat r times module
// A's `steps` training steps, then module B's, ... so that a load change on the machine hits every module
// alike. It posts one row per module and cell, and the median of the per-repeat ratios to the first module.
import { RnnLab } from '/web/rnnlab.js';
import { CONFIGS, forwardFlops, median, randomBatch } from '/tests/bench/bench_common.mjs';

onmessage = async ({ data: o }) => {
  try {
    const rows = [];
    for (const c of CONFIGS.filter((x) => o.configs.includes(x.name)))
      for (const cell of o.cells) {
        const runs = [];
        for (const mod of o.modules) {
          const lab = await RnnLab.load(new URL(mod.url, location.href));
          const m = lab.createModel({ cell, vocab: c.vocab, embed: c.E, hidden: c.H, head: 'binary', outputs: 1, seed: 1 });
          m.setOptimizer({ kind: 'adam', lr: 1e-3, clip: 0 });  // as `rnnlab bench`: no clipping
          const { tokens, targets } = randomBatch(c);
          const batch = { B: c.B, T: c.T, tokens, targets };
          // V8 first runs WASM in its baseline compiler and swaps in optimised code compiled in the background.
          for (const w0 = performance.now(); performance.now() - w0 < o.warmupMs;) m.trainStep(batch);
          runs.push({ mod, lab, step: () => m.trainStep(batch), rates: [] });
        }
        for (let r = 0; r < o.repeats; r++)
          for (const run of runs) {
            const t0 = performance.now();
            for (let s = 0; s < o.steps; s++) run.step();
            run.rates.push((o.steps * c.B) / ((performance.now() - t0) / 1000));
          }
        const flopsPerSeq = (3 * forwardFlops(c, cell)) / c.B;
        for (const run of runs) {
          const med = median(run.rates);
          rows.push({ engine: 'rnnlab-wasm-chromium', module: run.mod.name, kernels: run.lab.kernels, config: c.name, cell,
            mode: 'train', threads: 1, seq_per_s: +med.toFixed(2), seq_per_s_min: +Math.min(...run.rates).toFixed(2),
            seq_per_s_max: +Math.max(...run.rates).toFixed(2), gflops: +((med * flopsPerSeq) / 1e9).toFixed(3),
            ratio_to_first: +median(run.rates.map((x, i) => x / runs[0].rates[i])).toFixed(4),
            batch: c.B, length: c.T, embed: c.E, hidden: c.H, repeats: o.repeats, steps: o.steps });
        }
        postMessage({ progress: `${c.name} ${cell} done` });
      }
    postMessage({ rows, userAgent: navigator.userAgent });
  } catch (e) {
    postMessage({ error: String(e.stack || e) });
  }
};
