// shared.js: the threads of the shared-memory module (RnnLab.load with shared memory: lab.sharedMemory).
// A thread is a Worker (worker_threads under Node, a module Worker in a browser, nested in the lab's own
// Worker) holding another instance of the same compiled module over the same WebAssembly.Memory
// (lib/shared-thread.js). Each runs the core's thread loop, rnlw_thread_main(k), and so the core's own pool
// (core/src/threads.c): model.setThreads(n) here only makes sure n - 1 Workers run and sets the model's
// count in C; training steps, trainDataset/trainTask spans and split evaluations then use them with no
// JavaScript in between, and give the same bytes as one thread (the shards are summed in a fixed order).
//
// The Workers belong to the lab, not to a model: every model of the lab uses Workers 1..n-1 of its count.
// They sleep in memory.atomic.wait between runs (no CPU) and stay until lab.stopThreads().
//
// Failures are errors, never hangs: a Worker that does not start within START_MS is ended and setThreads
// rejects, naming it; a Worker whose C traps says so through the memory (rnlw_thread_failed), and the
// owner's call that waits for it traps in turn, so the lab is retired with the Worker's message.
import { isNode, canShareMemory } from './loader.js';
import { argError } from './errors.js';

const START_MS = 30000;  // instantiating the module in a fresh Worker takes well under a second
const STOP_MS = 10000;   // an idle Worker leaves its loop at once

const deadline = (ms, what) => {
  let timer;
  const p = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rnnlab threads: ${what} within ${ms / 1000} s`)), ms);
  });
  return { p, clear: () => clearTimeout(timer) };
};

// One Worker: messages 'started' (about to enter the loop), 'stopped' (left it), 'failed' (with the error).
class Thread {
  constructor(k) {
    this.k = k;
    this.started = new Promise((resolve, reject) => { this._started = { resolve, reject }; });
    this.stopped = new Promise((resolve) => { this._stopped = resolve; });
    this.error = null;
    this.started.catch(() => {});  // awaited by ensure(); a Worker ended later must not leave it unhandled
  }

  async spawn(module, memory, top) {
    const url = new URL('./shared-thread.js', import.meta.url);
    const msg = { module, memory, k: this.k, top };
    const onMessage = (m) => {
      if (m.op === 'started') this._started.resolve();
      else this._end(m.op === 'failed' ? new Error(`rnnlab threads: Worker ${this.k} failed: ${m.error}`) : null);
    };
    if (isNode) {
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(url);
      w.on('message', onMessage);
      w.on('error', (e) => this._end(new Error(`rnnlab threads: Worker ${this.k} failed: ${e.message}`)));
      w.on('exit', () => this._end(null));
      w.unref();  // a thread never keeps Node running
      this._terminate = () => w.terminate();
      w.postMessage(msg);
    } else {
      const w = new Worker(url, { type: 'module' });
      w.onmessage = (e) => onMessage(e.data);
      w.onerror = (e) => {
        e.preventDefault?.();
        this._end(new Error(`rnnlab threads: Worker ${this.k} failed to start: ${e.message || 'the Worker script did not load'}`));
      };
      this._terminate = () => w.terminate();
      w.postMessage(msg);
    }
  }

  _end(error) {
    if (error && !this.error) this.error = error;
    this._started.reject(this.error ?? new Error(`rnnlab threads: Worker ${this.k} ended before it started`));
    this._stopped();
  }

  terminate() {
    this._terminate?.();
    this._end(null);
  }
}

export class SharedThreads {
  /** `lab`: a lab on the shared module; `ex`: its raw exports (read after a trap, when lab._c refuses). */
  constructor(lab, ex) {
    this._lab = lab;
    this._ex = ex;
    this._threads = [];  // Thread k at index k - 1
    this._busy = null;   // the ensure() or stop() under way
  }

  /** Workers running the loop. */
  get workers() {
    return this._threads.length;
  }

  /** At least n - 1 Workers running the loop (n = the thread count a model asks for). */
  ensure(n) {
    const run = async () => {
      await this._busy?.catch(() => {});
      if (n - 1 <= this._threads.length) return;
      if (!canShareMemory)
        throw argError("setThreads: this lab's shared memory is on a page's main thread, which may not wait for threads: run it in a Worker");
      const lab = this._lab, c = lab._c, fresh = [];
      try {
        for (let k = this._threads.length + 1; k < n; k++) {
          const top = c.rnlw_thread_prepare(k) >>> 0;
          if (!top) throw new Error(`rnnlab threads: ${lab._heap.str(c.rnl_last_error())}`);
          const t = new Thread(k);
          this._threads.push(t);
          fresh.push(t);
          await t.spawn(lab._module, lab._memory, top);
        }
        const limit = deadline(START_MS, `${fresh.length} Worker(s) did not start`);
        try {
          await Promise.race([Promise.all(fresh.map((t) => t.started)), limit.p]);
          // 'started' is posted just before the loop: wait for the core to count them in.
          while (c.rnlw_threads_running() < this._threads.length) await Promise.race([new Promise((r) => setTimeout(r, 1)), limit.p]);
        } finally {
          limit.clear();
        }
      } catch (e) {
        await this._stop();  // nothing half-started is left running
        throw e;
      }
    };
    this._busy = run();
    return this._busy;
  }

  /** Every Worker leaves its loop and ends; their stacks go back to the heap. */
  stop() {
    const run = async () => {
      await this._busy?.catch(() => {});
      await this._stop();
    };
    this._busy = run();
    return this._busy;
  }

  async _stop() {
    if (!this._threads.length) return;
    const threads = this._threads, lab = this._lab;
    this._threads = [];
    if (lab._trapped) {
      for (const t of threads) t.terminate();
      return;
    }
    lab._c.rnlw_threads_stop();
    const limit = deadline(STOP_MS, 'a Worker did not stop');
    try {
      await Promise.race([Promise.all(threads.map((t) => t.stopped)), limit.p]);
    } catch {
      // Still waiting in C (it should not: an idle Worker wakes at once): ended by force.
    } finally {
      limit.clear();
    }
    for (const t of threads) t.terminate();
    if (lab._c.rnlw_threads_release() !== 0)
      throw new Error('rnnlab threads: a Worker had to be ended by force inside its loop; load the module again to use threads');
  }

  /** Ends every Worker at once (after a trap: the lab is retired). */
  terminate() {
    for (const t of this._threads) t.terminate();
    this._threads = [];
  }

  /** What a failed Worker wrote (rnlw_thread_message), or ''. */
  failure() {
    try {
      const p = this._ex.rnlw_thread_message(), u8 = new Uint8Array(this._ex.memory.buffer);
      let end = p;
      while (end < p + 256 && u8[end] !== 0) end++;
      return new TextDecoder().decode(u8.slice(p, end));
    } catch {
      return '';
    }
  }
}

/**
 * model.setThreads(n) on a shared lab (Model and TransformerModel): n - 1 Workers, then the model's count in
 * C. Resolves to n.
 */
export async function setSharedThreads(model, n) {
  const lab = model._lab;
  await lab._threads.ensure(n);
  lab._check(lab._c.rnlw_set_threads(model._handle, n));
  return n;
}
