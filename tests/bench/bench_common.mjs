// bench_common.mjs: what every JavaScript engine of `npm run bench` shares, so that rnnlab-wasm
// (bench.mjs) and the TensorFlow.js peers (peers/tfjs_bench.mjs) run the same configurations on the
// same random data and are timed and counted the same way (docs/performance.md).

export const CONFIGS = [
  { name: 'bench', vocab: 10000, B: 32, T: 200, E: 64, H: 128 },
  { name: 'small', vocab: 10000, B: 32, T: 100, E: 32, H: 64 },
];
export const CELLS = ['rnn', 'lstm', 'gru'];
const GATES = { rnn: 1, lstm: 4, gru: 3 };

// The Transformer encoder at a configuration, as core/cli/cmd_bench.c and torch_bench.py build it: width
// D = the cells' H, 4 heads, 2 layers, feed-forward 2D.
export const TF = { heads: 4, layers: 2, ffn: (c) => 2 * c.H };

// Its forward matmul FLOPs (cmd_bench.c tf_forward_flops): per layer and token the projections
// 2 (4 D^2 + 2 D F), per layer and sequence the scores and the weighted sum 4 T^2 D; plus the head.
const tfForwardFlops = (c) => {
  const D = c.H, F = TF.ffn(c), T = c.T;
  return c.B * TF.layers * (T * 2 * (4 * D * D + 2 * D * F) + 4 * T * T * D) + 2 * c.B * D;
};

/** Matmul FLOPs of one forward pass (as core/cli/cmd_bench.c counts them); a training step is 3x. */
export const forwardFlops = (c, cell) => (cell === 'transformer' ? tfForwardFlops(c)
  : c.B * c.T * 2 * GATES[cell] * c.H * (c.E + c.H) + 2 * c.B * c.H);

export const median = (v) => {
  const a = [...v].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/** The batch of configuration c: B*T random token ids in 2..vocab-1 and B random 0/1 targets (LCG, seed 7). */
export function randomBatch(c) {
  let s = 7;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const tokens = new Int32Array(c.B * c.T).map(() => 2 + Math.floor(rnd() * (c.vocab - 2)));
  const targets = new Float32Array(c.B).map(() => (rnd() < 0.5 ? 0 : 1));
  return { tokens, targets };
}

/**
 * Times `step` (one batch of configuration c; may be async): one warm-up run, then `repeats` runs of
 * `steps` calls each. Returns the row's throughput fields: medians and range of sequences/s by the wall
 * clock, and by the process's CPU time (which a loaded machine inflates less), tokens/s and GFLOP/s.
 */
export async function timeSteps(step, c, cell, mode, { repeats, steps }) {
  const rates = [], cpuRates = [];
  for (let r = -1; r < repeats; r++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    for (let s = 0; s < steps; s++) await step();
    if (r < 0) continue;
    const cu = process.cpuUsage(c0);
    rates.push((steps * c.B) / ((performance.now() - t0) / 1000));
    cpuRates.push((steps * c.B) / ((cu.user + cu.system) / 1e6));
  }
  const flopsPerSeq = (forwardFlops(c, cell) * (mode === 'train' ? 3 : 1)) / c.B;
  const med = median(rates), cpuMed = median(cpuRates);
  return {
    config: c.name, cell, mode, seq_per_s: +med.toFixed(2), seq_per_s_min: +Math.min(...rates).toFixed(2),
    seq_per_s_max: +Math.max(...rates).toFixed(2), tokens_per_s: Math.round(med * c.T), gflops: +((med * flopsPerSeq) / 1e9).toFixed(3),
    cpu_seq_per_s: +cpuMed.toFixed(2), cpu_gflops: +((cpuMed * flopsPerSeq) / 1e9).toFixed(3),
    batch: c.B, length: c.T, embed: c.E, hidden: c.H, repeats, steps,
  };
}
