// optimizer.js: what Model and Seq2SeqModel share about optimizers: the options of setOptimizer checked
// and written as an 'optimizer' record over the core's defaults for the kind, and the record read back.
import { checkKeys, checkNumber, checkBool, indexOf } from './errors.js';

const KEYS = ['lr', 'momentum', 'beta1', 'beta2', 'eps', 'weightDecay', 'clip'];

/**
 * Checks setOptimizer's options: { kind (index), reset (0/1), record() }; record() writes the kind's
 * defaults (rnlw_optimizer_default) with the given fields over them into a record slot, and returns it.
 */
export function optimizerOptions(lab, opts, where) {
  checkKeys(opts, ['kind', ...KEYS, 'reset'], where);
  const kind = indexOf(lab.names.optimizers, opts.kind ?? 'adam', 'kind', where);
  const given = {};
  for (const k of KEYS) if (opts[k] !== undefined) given[k] = checkNumber(opts[k], k, where);
  const reset = opts.reset === undefined ? 0 : checkBool(opts.reset, 'reset', where);
  const record = () => {
    const heap = lab._heap, p = heap.slot(0);
    lab._c.rnlw_optimizer_default(p, kind);
    return heap.write('optimizer', p, given);
  };
  return { kind, reset, record };
}

/** The optimizer of a model (`info`: the export that reads it), or null before one is set or made. */
export function readOptimizer(lab, info, handle) {
  const p = lab._heap.slot(0);
  return lab._c[info](p, handle) ? lab._heap.read('optimizer', p) : null;
}
