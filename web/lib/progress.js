// progress.js: the one training loop of the wrapper, for Model.trainTask, Model.trainDataset and
// Seq2SeqModel.trainTask. The core trains (a chunk of steps per call, rnlw_train_*); this loop only
// decides where chunks end (at the next progress report, evaluation or epoch end), reports progress,
// yields to the event loop every yieldMs ms so a page stays responsive, and stops when a signal aborts.

export function yieldToEventLoop() {
  if (typeof globalThis.scheduler?.yield === 'function') return globalThis.scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));  // Node: lets I/O run
  return new Promise((r) => setTimeout(r, 0));
}

export const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export function abortError(signal) {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

// Awaits what a callback returned when it is a promise (a synchronous callback costs no microtask).
export async function settle(r) {
  if (r && typeof r.then === 'function') await r;
}

const nextMultiple = (done, every) => (Math.floor(done / every) + 1) * every;

/**
 * Trains `steps` steps in chunks and reports after each: `chunk(n, done)` runs n steps in the core and
 * gives (or resolves to) { status, done, stats } (stats: step (optimizer steps in all), loss, meanLoss and the model's own
 * figures). Reports are { [epoch, epochs,] step, steps, totalSteps, ...figures, seconds, seqPerSec }, with
 * `eval` from evaluate() every evalEvery steps and at the end. With `perEpoch`, steps come in epochs of
 * perEpoch steps: startEpoch(e) runs before the first chunk of epoch e (0-based), endEpoch(e, done) after
 * its last one (not after an interrupted one); when it resolves to true, the run ends there. A failed chunk
 * throws the core's error with `stepsDone`. Resolves to { steps, totalSteps, loss, meanLoss, eval, seconds,
 * seqPerSec, stopped, stoppedEarly }.
 */
export async function trainLoop(model, { steps, batchSize, progressEvery, evalEvery = 0, perEpoch = 0, epochs = 0,
  onProgress, signal, yieldMs, chunk, evaluate, startEpoch, endEpoch }) {
  model._busy = true;
  try {
    const t0 = now(), epochLength = perEpoch || steps;
    let done = 0, lastYield = t0, stats = null, lastEval = null, stopped = false, stoppedEarly = false;
    const seqPerSec = (seconds) => (seconds > 0 ? (done * batchSize) / seconds : 0);
    while (done < steps) {
      const e = Math.floor(done / epochLength), epochEnd = (e + 1) * epochLength;
      if (startEpoch && done % epochLength === 0) startEpoch(e);
      if (signal?.aborted) {
        stopped = true;
        break;
      }
      const next = Math.min(nextMultiple(done, progressEvery), evalEvery ? nextMultiple(done, evalEvery) : Infinity, epochEnd, steps);
      let r = chunk(next - done, done);
      if (typeof r.then === 'function') r = await r;  // steps over Worker replicas (lib/threads.js)
      done += r.done;
      stats = r.stats;
      if (r.status) {
        const err = model._lab._error(r.status);
        err.stepsDone = done;
        throw err;
      }
      const seconds = (now() - t0) / 1000;
      const { step, ...figures } = stats;
      const progress = perEpoch ? { epoch: e + 1, epochs } : {};
      Object.assign(progress, { step: done, steps, totalSteps: step, ...figures, seconds, seqPerSec: seqPerSec(seconds) });
      if (evalEvery && (done % evalEvery === 0 || done === steps)) progress.eval = lastEval = evaluate();
      if (onProgress) await settle(onProgress(progress));
      if (now() - lastYield >= yieldMs) {
        await yieldToEventLoop();
        lastYield = now();
      }
      // endEpoch resolving to true ends the run there (keepBest's patience).
      if (endEpoch && done === epochEnd && (await endEpoch(e, done)) === true) {
        stoppedEarly = true;
        break;
      }
    }
    const seconds = (now() - t0) / 1000;
    return { steps: done, totalSteps: stats ? stats.step : model.optimizer?.steps ?? 0, loss: stats ? stats.loss : NaN,
      meanLoss: stats ? stats.meanLoss : NaN, eval: lastEval, seconds, seqPerSec: seqPerSec(seconds), stopped, stoppedEarly };
  } finally {
    model._busy = false;
  }
}
