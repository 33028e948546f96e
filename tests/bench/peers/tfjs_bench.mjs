// tfjs_bench.mjs: the TensorFlow.js peer of `rnnlab bench`: the same models, configurations, random data
// and FLOP counting, on one backend per process (wasm: XNNPACK with SIMD, single thread; or cpu: plain JS).
//
//     node tests/bench/peers/tfjs_bench.mjs --backend wasm|cpu [--json] [--repeats N] [--steps N]
//                                           [--config bench|small|all] [--cell rnn|lstm|gru|all] [--peak]
//
// Embedding -> SimpleRNN/LSTM/GRU (last state) -> Dense(1, sigmoid), binary cross-entropy, Adam; random
// tokens, fixed length. LSTM and GRU use sigmoid recurrent activations (tfjs's default is hard sigmoid);
// tfjs's GRU applies the reset gate before the recurrent product (rnnlab and PyTorch after it): the same
// matmul FLOPs either way. --peak adds the backend's sgemm (tf.matMul) GFLOP/s at squares 256..1024.
//
// The wasm backend cannot train an embedding as shipped: the gradient of its gather is
// UnsortedSegmentSum, a kernel tfjs-backend-wasm 4.22 does not have. This script registers one for the
// wasm backend, written in JS (a scatter-add of B*T rows, read from and written to the WASM heap), and
// says so in every row ("note"). Only the local SIMD binary from node_modules is used (no network).
// Installed by tests/bench/bench.mjs with `npm ci --prefix tests/bench/peers`; not part of the lab.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CELLS, CONFIGS, median, randomBatch, timeSteps } from '../bench_common.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const backendName = opt('--backend', 'wasm');
const json = args.includes('--json');
const repeats = +opt('--repeats', 5), steps = +opt('--steps', 3);
const which = opt('--config', 'all'), cells = opt('--cell', 'all');

// Quiet the "Hi there 👋" banner that suggests tfjs-node.
const log = console.log;
console.log = () => {};
const tf = require('@tensorflow/tfjs');
let note = '';
if (backendName === 'wasm') {
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const dist = join(here, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/';
  // Single thread, SIMD binary, from local files.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': dist + 'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm': dist + 'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm': dist + 'tfjs-backend-wasm-threaded-simd.wasm',
  });
  wasm.setThreadsCount?.(1);
}

// The embedding's gradient (UnsortedSegmentSum, the gradient of its gather): out[segmentIds[i]] += x[i],
// rows of x's trailing size, as a scatter-add in JS. The wasm backend lacks this kernel; the cpu backend's
// builds one mask over all of x per segment (10,000 segments x B*T*E values per step: minutes per step at
// the bench config). Both backends get this one instead, and every row says so ("note").
function scatterAdd(xv, ids, n, row) {
  const out = new Float32Array(n * row);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= n) continue;
    const o = s * row, xi = i * row;
    for (let j = 0; j < row; j++) out[o + j] += xv[xi + j];
  }
  return out;
}
const replaced = !!tf.getKernel('UnsortedSegmentSum', backendName);
if (replaced) tf.unregisterKernel('UnsortedSegmentSum', backendName);
tf.registerKernel({
  kernelName: 'UnsortedSegmentSum',
  backendName,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs;
    const n = attrs.numSegments, rowShape = x.shape.slice(segmentIds.shape.length);
    const row = rowShape.reduce((a, b) => a * b, 1), shape = [n, ...rowShape];
    if (backendName === 'wasm')
      return backend.makeOutput(shape, x.dtype, undefined, scatterAdd(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(segmentIds), n, row));
    return backend.makeTensorInfo(shape, x.dtype, scatterAdd(backend.readSync(x.dataId), backend.readSync(segmentIds.dataId), n, row));
  },
});
note = replaced
  ? "UnsortedSegmentSum (embedding gradient): tfjs-backend-cpu's builds one mask per segment (minutes per step here): replaced by a JS scatter-add"
  : 'UnsortedSegmentSum (embedding gradient) missing in tfjs-backend-wasm: registered a JS replacement';
await tf.setBackend(backendName);
await tf.ready();
console.log = log;
const simd = backendName === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : false;
const threads = backendName === 'wasm' ? (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multi' : 1) : 1;
const engine = `tfjs-${backendName}-${tf.version.tfjs}`;
const kernels = backendName === 'wasm' ? `xnnpack${simd ? ' simd' : ''}, threads ${threads}` : 'js';

function emit(row) {
  if (note) row.note = note;
  if (json) log(JSON.stringify(row));
  else if (row.kind === 'sgemm') log(`sgemm ${row.M}^3: ${row.gflops.toFixed(2)} GFLOP/s`);
  else log(`${row.config.padEnd(6)} ${row.cell.padEnd(5)} ${row.mode.padEnd(9)} ${row.seq_per_s.toFixed(1).padStart(10)} ${row.gflops.toFixed(2).padStart(8)} GFLOP/s`);
}

if (args.includes('--peak')) {
  for (const n of backendName === 'cpu' ? [256, 512] : [256, 512, 1024]) {  // plain JS: 1024^3 takes minutes
    const a = tf.randomUniform([n, n]), b = tf.randomUniform([n, n]);
    const run = (k) => {
      for (let i = 0; i < k; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
    };
    run(2);
    const iters = Math.max(1, Math.round(1e9 / (2 * n ** 3)));
    const rates = [], cpuRates = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      run(iters);
      const cu = process.cpuUsage(c0);
      rates.push((2 * n ** 3 * iters) / ((performance.now() - t0) / 1000) / 1e9);
      cpuRates.push((2 * n ** 3 * iters) / ((cu.user + cu.system) / 1e6) / 1e9);
    }
    a.dispose();
    b.dispose();
    emit({ engine, kind: 'sgemm', kernels, M: n, N: n, K: n, gflops: +median(rates).toFixed(3), gflops_best: +Math.max(...rates).toFixed(3),
      gflops_cpu: +median(cpuRates).toFixed(3), gflops_cpu_best: +Math.max(...cpuRates).toFixed(3) });
  }
}

for (const c of CONFIGS) {
  if (which !== 'all' && which !== c.name) continue;
  for (const cell of CELLS) {
    if (cells !== 'all' && cells !== cell) continue;
    const model = tf.sequential();
    model.add(tf.layers.embedding({ inputDim: c.vocab, outputDim: c.E, inputLength: c.T }));
    const rnnOpts = { units: c.H, returnSequences: false };
    if (cell === 'rnn') model.add(tf.layers.simpleRNN({ ...rnnOpts, activation: 'tanh' }));
    else if (cell === 'lstm') model.add(tf.layers.lstm({ ...rnnOpts, recurrentActivation: 'sigmoid' }));
    else model.add(tf.layers.gru({ ...rnnOpts, recurrentActivation: 'sigmoid' }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
    const { tokens, targets } = randomBatch(c);
    const xs = tf.tensor2d(tokens, [c.B, c.T], 'int32'), ys = tf.tensor2d(targets, [c.B, 1]);
    for (const mode of ['train', 'inference']) {
      const step = mode === 'train' ? () => model.trainOnBatch(xs, ys) : () => tf.tidy(() => model.predict(xs).dataSync());
      emit({ engine, kernels, ...(await timeSteps(step, c, cell, mode, { repeats, steps })) });
    }
    xs.dispose();
    ys.dispose();
    model.dispose();
  }
}
