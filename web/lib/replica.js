// replica.js: the Worker of one model replica (lib/threads.js): its own instance of the module (the
// compiled WebAssembly.Module it is sent) and a copy of the model (checkpoint bytes). It computes the
// gradient blocks of the shards it is given and takes each step from the blocks of the others, in C.
// Messages (each answered with the same id): init {module, checkpoint, transformer}; shards {batch, shards, step,
// bpttWindow, hash} -> {blocks: [{shard, bytes}]} or {stale: true}; apply {blocks, lr} (the main's step and its rate).
import { RnnLab } from '../rnnlab.js';
import { isNode } from './loader.js';
import { now } from './progress.js';

let lab = null, model = null;

async function handle(m) {
  if (m.op === 'init') {
    lab ??= await RnnLab.load(m.module);
    model?.free();
    model = m.transformer ? lab.loadTransformer(m.checkpoint) : lab.loadCheckpoint(m.checkpoint);
    return {};
  }
  if (!model) throw new Error(`'${m.op}' before 'init'`);
  const c = lab._c;
  if (m.op === 'shards') {
    const h = model._setBatch(m.batch, true, 'replica');
    if (c.rnlw_params_hash(h) !== m.hash) return { stale: true };
    const blocks = [], t0 = now();
    for (const s of m.shards) {
      lab._check(c.rnlw_shard_grad(h, s, m.bpttWindow, m.step));
      blocks.push({ shard: s, bytes: lab._heap.bytes(c.rnlw_shard_data(h, s), c.rnlw_shard_size(h, s)) });
    }
    return { blocks, ms: now() - t0, transfer: blocks.map((b) => b.bytes.buffer) };
  }
  if (m.op === 'apply') {  // the batch of the last 'shards' is still staged: this instance stages nothing else
    const h = model._handle, t0 = now();
    for (const { shard, bytes } of m.blocks)
      lab._check(lab._heap.withCopy(bytes, (p) => c.rnlw_shard_set(h, shard, p, bytes.byteLength)));
    const { status } = model._progress((p) => c.rnlw_apply_shards(p, h, m.lr));
    lab._check(status);
    return { ms: now() - t0 };
  }
  throw new Error(`unknown request '${m.op}'`);
}

async function onMessage(m, post) {
  try {
    const { transfer = [], ...reply } = await handle(m);
    post({ ...reply, id: m.id }, transfer);
  } catch (e) {
    post({ id: m.id, error: String(e?.message ?? e) });
  }
}

// One request at a time, in arrival order ('init' awaits the module; an 'apply' must not overtake it).
let queue = Promise.resolve();
const receive = (m, post) => (queue = queue.then(() => onMessage(m, post)));
if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  parentPort.on('message', (m) => receive(m, (r, t) => parentPort.postMessage(r, t)));
} else {
  self.onmessage = (e) => receive(e.data, (r, t) => self.postMessage(r, t));
}
