// threads.js: training steps over Worker replicas, the threads of the WebAssembly build on every host (no
// shared memory, so no cross-origin isolation needed). A model with setThreads(n) gets n - 1 replicas: a
// Worker each (worker_threads under Node, module Workers in a browser, nested Workers inside the lab's
// Worker), holding its own instance of the same compiled module and a copy of the model made from its
// checkpoint bytes (lib/replica.js).
//
// One step (Model.trainStepAsync): shard s of the batch (8 rows, core/include/rnnlab.h "Shards and
// threads") belongs to instance s % n, 0 being this one. The batch goes to each replica; every instance
// computes its shards' gradient blocks in C; the replicas' blocks come back as transferred bytes; this
// instance sums all blocks in shard order and takes the optimizer step in C (rnlw_apply_shards). Then each
// replica gets the blocks it did not compute and takes the same step with its own optimizer, so its
// parameters stay byte-identical to these. Nothing numeric happens here: JavaScript carries bytes.
// A replica whose parameters differ (a hash of the block, rnlw_params_hash, sent with each step: after
// setParameters here, say) answers "stale" and is made again from a fresh checkpoint before it computes.
// The result is the same bytes at any thread count: rnl_train_step is itself these shards summed in order.
import { isNode } from './loader.js';
import { now } from './progress.js';

// A Worker running replica.js, with one request/response call: call(msg) resolves to the reply of the same id.
class Replica {
  static async spawn() {
    const url = new URL('./replica.js', import.meta.url);
    const r = new Replica();
    if (isNode) {
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(url);
      w.on('message', (m) => r._reply(m));
      w.on('error', (e) => r._fail(e));
      w.on('exit', (code) => r._fail(new Error(`the replica Worker exited (${code})`)));
      w.unref();  // a replica never keeps Node running; a pending call holds it (ref) until its reply
      r._worker = w;
      r._post = (m, t) => w.postMessage(m, t);
      r._end = () => w.terminate();
    } else {
      const w = new Worker(url, { type: 'module' });
      w.onmessage = (e) => r._reply(e.data);
      w.onerror = (e) => r._fail(new Error(e.message || 'the replica Worker failed to start'));
      r._post = (m, t) => w.postMessage(m, t);
      r._end = () => w.terminate();
    }
    return r;
  }

  constructor() {
    this._pending = new Map();
    this._next = 1;
    this._failed = null;
  }

  _reply(m) {
    const p = this._pending.get(m.id);
    if (!p) return;
    this._pending.delete(m.id);
    if (!this._pending.size) this._worker?.unref();
    if (m.error) p.reject(new Error(`rnnlab replica: ${m.error}`));
    else p.resolve(m);
  }

  _fail(e) {
    this._failed ??= e;
    for (const p of this._pending.values()) p.reject(e);
    this._pending.clear();
  }

  call(msg, transfer = []) {
    if (this._failed) return Promise.reject(this._failed);
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._worker?.ref();
      this._post({ ...msg, id }, transfer);
    });
  }

  end() {
    this._fail(new Error('the replica was closed'));
    this._end();
  }
}

const batchCopy = (b) => ({ B: b.B, T: b.T, tokens: b.tokens, inputs: b.inputs, lengths: b.lengths, targets: b.targets });

export class ReplicaPool {
  /** n - 1 replicas of `model` (n >= 2 instances in all, this one included). */
  static async create(model, n) {
    const pool = new ReplicaPool(model, n);
    try {
      pool._replicas = await Promise.all(Array.from({ length: n - 1 }, () => Replica.spawn()));
      await Promise.all(pool._replicas.map((r) => pool._sync(r)));
    } catch (e) {
      pool.close();
      throw e;
    }
    return pool;
  }

  constructor(model, n) {
    this.model = model;
    this.threads = n;
    this._replicas = [];
    // What the copies cost: bytes posted, fresh copies of the model, and where a step's time goes (ms, summed
    // over the steps): this instance's shards, its wait for the replicas' blocks after them, the sum and the
    // optimizer step here; and in the replicas, their shards and their own optimizer steps.
    this.stats = { steps: 0, bytesOut: 0, bytesIn: 0, syncs: 0, msShards: 0, msWait: 0, msApply: 0, msReplicaShards: 0, msReplicaApply: 0 };
  }

  // Makes replica r's model again from this model's checkpoint (parameters, optimizer and its state).
  async _sync(r) {
    const lab = this.model._lab;
    const checkpoint = this.model.saveCheckpoint();
    this.stats.syncs++;
    this.stats.bytesOut += checkpoint.byteLength;
    await r.call({ op: 'init', module: lab._module, checkpoint, transformer: this.model.kind === 'transformer' }, [checkpoint.buffer]);
  }

  // The bytes of block s of this instance's staged step (a copy, to transfer).
  _block(h, s) {
    const c = this.model._lab._c, heap = this.model._lab._heap;
    return heap.bytes(c.rnlw_shard_data(h, s), c.rnlw_shard_size(h, s));
  }

  /**
   * One training step of `batch` over every instance: { status, r } with rnlw_apply_shards' figures (a
   * 'progress' record) and the core's status (a numeric fault is a status, not a throw). `span`: the step of
   * a span (Model.trainTask / trainDataset), taken by rnlw_span_apply, the run layer's begin and end around
   * the shards' sum (the schedule's rate, the span's record and the history).
   */
  async step(batch, bpttWindow, span = false) {
    const model = this.model, lab = model._lab, c = lab._c, n = this.threads;
    let h = model._setBatch(batch, true, 'trainStepAsync');
    const S = c.rnlw_shard_count(batch.B), step = c.rnlw_next_step(h), hash = c.rnlw_params_hash(h);
    if (step < 0) return { status: c.rnlw_last_status(), r: null };
    const mine = (k) => Array.from({ length: S }, (_, s) => s).filter((s) => s % n === k);
    const b = batchCopy(batch);
    const ask = (k) => this._replicas[k - 1].call({ op: 'shards', batch: b, shards: mine(k), step, bpttWindow, hash });
    const asked = this._replicas.map((_, i) => ask(i + 1));
    const t0 = now();
    for (const s of mine(0)) {  // while the replicas compute theirs
      const status = c.rnlw_shard_grad(h, s, bpttWindow, step);
      if (status) {
        await Promise.allSettled(asked);  // the replicas' answers are not needed, but must not come in unheard
        return { status, r: null };
      }
    }
    const tMine = now() - t0;
    const got = await Promise.all(asked.map(async (p, i) => {
      let r = await p;
      if (r.stale) {  // its parameters are not these: make it again, then ask once more
        await this._sync(this._replicas[i]);
        r = await ask(i + 1);
        if (r.stale) throw new Error('rnnlab replica: still not in step after a fresh copy of the model');
      }
      this.stats.msReplicaShards += r.ms ?? 0;
      return r.blocks;
    }));
    const t1 = now();
    // Another call may have staged a batch while we waited: stage this one again (the blocks stay).
    h = model._setBatch(batch, true, 'trainStepAsync');
    const blocks = new Array(S);
    for (const s of mine(0)) blocks[s] = this._block(h, s);
    for (const list of got)
      for (const { shard, bytes } of list) {
        blocks[shard] = bytes;
        this.stats.bytesIn += bytes.byteLength;
        lab._check(lab._heap.withCopy(bytes, (p) => c.rnlw_shard_set(h, shard, p, bytes.byteLength)));
      }
    const { status, r } = model._progress((p) => (span ? c.rnlw_span_apply(p, h) : c.rnlw_apply_shards(p, h, NaN)));
    const t2 = now();
    if (status) return { status, r };  // the replicas are left a step behind: the next step's hash check copies them again
    // Each replica takes the same step, at the same rate, from the blocks it lacks (not awaited: its next
    // request queues behind).
    this._replicas.forEach((rep, i) => {
      const theirs = new Set(mine(i + 1));
      const lack = blocks.map((bytes, shard) => ({ shard, bytes })).filter((x) => !theirs.has(x.shard));
      for (const x of lack) this.stats.bytesOut += x.bytes.byteLength;
      rep.call({ op: 'apply', blocks: lack, lr: r.lr }).then((a) => (this.stats.msReplicaApply += a.ms ?? 0))
        .catch(() => {});  // a failure shows at the next step's hash check
    });
    this.stats.steps++;
    this.stats.msShards += tMine;
    this.stats.msWait += t1 - t0 - tMine;
    this.stats.msApply += t2 - t1;
    return { status, r };
  }

  close() {
    for (const r of this._replicas) r.end();
    this._replicas = [];
  }
}
