// client.js: the page's side of the Worker protocol (worker.js): requests as promises, events as
// callbacks, and a restart when the worker dies (a trap or an out-of-memory in the module), after which
// the page reloads its data and its last model from the copies it keeps.

export class WorkerClient {
  constructor(url, { onEvent, onDeath }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onDeath = onDeath;
    this.pending = new Map();
    this.nextId = 1;
    this._start();
  }

  _start() {
    this.worker = new Worker(this.url, { type: 'module' });
    this.worker.onmessage = (e) => this._onMessage(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this._die(e.message || 'the worker failed to start');
    };
    this.worker.onmessageerror = () => this._die('a message from the worker could not be read');
  }

  _die(message) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    try {
      this.worker.terminate();
    } catch {}
    for (const p of pending) p.reject(Object.assign(new Error(`the worker stopped: ${message}`), { code: 'WORKER_DIED' }));
    this._start();
    this.onDeath?.(message);
  }

  _onMessage(msg) {
    if (msg.event) {
      if (msg.event === 'fatal') {
        this._die(msg.data.message);
        return;
      }
      this.onEvent?.(msg.event, msg.data);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, stepsDone: msg.error.stepsDone }));
  }

  /** Sends a request; resolves with its result, rejects with the worker's message. */
  call(op, args, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }
}
