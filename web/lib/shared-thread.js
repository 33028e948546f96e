// shared-thread.js: the script of one thread of the shared-memory module (lib/shared.js starts it as a
// Worker). One message { module, memory, k, top }: instantiate the same compiled module over the owner's
// memory (no _initialize: the owner initialised it), set this instance's stack pointer to the stack the
// owner allocated for Worker k (every instance's starts at the owner's), then run the core's loop,
// rnlw_thread_main(k), which takes tasks until the owner calls rnlw_threads_stop(). If the C traps, the
// error goes into the memory (rnlw_thread_message) and rnlw_thread_failed(k) wakes the owner, which is
// then waiting for this Worker's task: its call traps too, naming this error, instead of waiting forever.
import { isNode, instantiateThread } from './loader.js';

const port = isNode ? (await import('node:worker_threads')).parentPort : globalThis;

async function run({ module, memory, k, top }) {
  let ex = null;
  try {
    // Only the shared build: another module would run on a memory of its own (and anything it wrote into
    // the owner's would land at its own addresses).
    if (!WebAssembly.Module.imports(module).some((i) => i.kind === 'memory'))
      throw new Error('the module given to this thread does not import a shared memory (not a shared build)');
    ex = await instantiateThread(module, memory);
    ex.stackRestore(top);
    port.postMessage({ op: 'started', k });
    const rc = ex.rnlw_thread_main(k);
    if (rc !== 0) throw new Error(`rnlw_thread_main(${k}) refused to run (${rc}): the owner did not prepare it, or is stopping`);
    port.postMessage({ op: 'stopped', k });
  } catch (e) {
    const message = `${e?.message ?? e}`;
    if (ex) {
      try {
        ex.stackRestore(top);  // the trap left the stack pointer wherever it was
        const at = ex.rnlw_thread_message(), text = new TextEncoder().encode(`Worker ${k}: ${message}`.slice(0, 200));
        const u8 = new Uint8Array(memory.buffer);
        u8.set(text, at);
        u8[at + text.length] = 0;
        ex.rnlw_thread_failed(k);
      } catch {
        // the owner still hears of it by the message below
      }
    }
    port.postMessage({ op: 'failed', k, error: message });
  }
  if (isNode) port.close();
  else globalThis.close();
}

if (isNode) port.once('message', run);
else globalThis.addEventListener('message', (e) => run(e.data), { once: true });
