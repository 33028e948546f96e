// threads.js: the thread control of the run panel, beside the sequences per second it changes and outside
// the set-up's fieldsets (disabled while a run trains), so it works during a run. The student picks how
// many cores training uses (1 .. navigator.hardwareConcurrency); the Worker (worker.js, op setThreads) puts
// the count on the model a run trains, before its first step or between two steps of a run in progress.
// The line beside it says the count and the path in use, as the Worker reports it: one thread, Worker replicas (each a copy of the
// model, exchanging gradient blocks every step: the path of a page that is not cross-origin isolated), or
// shared memory. The numbers are the same bytes at any count; only the speed differs.
//
// Default 1: on the replica path (a course site) more threads pay for themselves only modestly at the page's
// model sizes (2 threads: 1.14x on the default adding task, 1.33x on IMDB 2k, quiet machine; slower than 1
// on a busy one), and each replica holds a copy of the model and its work memory and starts a Worker per run.
// The numbers are the same at any count, so the page starts at the lightest setting and the student raises
// it beside the sequences per second it changes; the choice is kept in this browser (localStorage), not in
// the set-up's link. docs/page.md, "Threads"; docs/performance.md has the figures.
import { $, client } from './state.js';

const KEY = 'rnnlab-threads';
const MAX = 64;  // the wrapper's limit (each replica holds a whole module instance)

let info = { threads: 1, path: 'single', sharedMemory: false, crossOriginIsolated: false };
let cores = 1;

function describe(i) {
  const of = `${i.threads} of ${cores} core${cores === 1 ? '' : 's'}`;
  if (i.path === 'shared') return `${of}, shared memory: the threads work on one copy of the model. The same numbers as 1 thread.`;
  if (i.path === 'replicas') {
    const why = i.crossOriginIsolated ? 'this module has no shared memory' : 'no cross-origin isolation';
    return `${of}, replicas (${why}): ${i.threads} copies of the model share each batch and exchange gradients every step. ` +
      'The same numbers as 1 thread; faster for bigger models (IMDB), not for small ones.';
  }
  return `${of}. More threads split each batch (in shards of 8 sequences) among them: the same numbers, faster for bigger models.`;
}

function show(i) {
  info = { ...info, ...i };
  const el = $('threads-path');
  el.textContent = describe(info);
  el.dataset.path = info.path;
}

async function choose(n, remember) {
  if (remember) {
    try {
      localStorage.setItem(KEY, String(n));
    } catch {}
  }
  try {
    show(await client.call('setThreads', { n }));
  } catch (e) {
    $('threads-path').textContent = `Threads: ${e.message}`;
  }
}

/** After the Worker's init (engine: its answer, with threads, path, sharedMemory, crossOriginIsolated). */
export function initThreads(engine) {
  cores = Math.max(1, Math.min(MAX, Number(navigator.hardwareConcurrency) || 1));
  const select = $('threads');
  select.replaceChildren(...Array.from({ length: cores }, (_, i) => new Option(String(i + 1), String(i + 1))));
  select.disabled = cores === 1;
  let n = 1;
  try {
    n = Number.parseInt(localStorage.getItem(KEY) ?? '1', 10);
  } catch {}
  if (!(n >= 1 && n <= cores)) n = 1;
  select.value = String(n);
  show({ threads: engine.threads ?? 1, path: engine.path ?? 'single', sharedMemory: engine.sharedMemory === true,
    crossOriginIsolated: engine.crossOriginIsolated === true });
  select.addEventListener('change', () => choose(Number(select.value), true));
  if (n !== 1) choose(n, false);
}

/** A progress message of a run (threads and threadPath as the run's model has them now). */
export function threadsProgress(d) {
  if (d.threads !== undefined && (d.threads !== info.threads || d.threadPath !== info.path)) show({ threads: d.threads, path: d.threadPath });
}

/** The Worker fell back to one thread (the browser would not start the replicas' Workers). */
export function threadsFailed(d) {
  $('threads').value = '1';
  show({ threads: 1, path: 'single' });
  $('threads-path').textContent += ` (More threads failed here: ${d.error}.)`;
}
