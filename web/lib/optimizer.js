// optimizer.js: what Model and Seq2SeqModel share about optimizers: the options of setOptimizer checked
// and written as an 'optimizer' record over the core's defaults for the kind, and the record read back.
import { checkKeys, checkNumber, checkBool, checkInt, indexOf } from './errors.js';

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

const SCHEDULE_KEYS = ['kind', 'warmup', 'total', 'stepSize', 'gamma'];

/**
 * A learning-rate schedule option ({ kind: 'none'|'cosine'|'step', warmup, total, stepSize, gamma }) as a
 * 'schedule' record in record slot `slot`: the core's defaults (rnl_run_schedule_default) with the fields
 * given. Types are checked here, ranges in C (rnl_run_schedule_check). total 0 and stepSize 0 are filled by
 * rnlw_schedule_resolve (the end of the run, one epoch), when the caller gives endStep.
 */
export function scheduleRecord(lab, schedule, where, { slot = 1, endStep = 0, epochSteps = 0 } = {}) {
  const w = `${where}: schedule`;
  checkKeys(schedule, SCHEDULE_KEYS, w);
  const given = {};
  if (schedule.kind !== undefined) given.kind = lab.names.schedules[indexOf(lab.names.schedules, schedule.kind, 'kind', w)];
  for (const [k, f] of [['warmup', 'warmup'], ['total', 'total'], ['stepSize', 'stepSize']])
    if (schedule[k] !== undefined) given[f] = checkInt(schedule[k], k, w, 0);
  if (schedule.gamma !== undefined) given.gamma = checkNumber(schedule.gamma, 'gamma', w);
  const heap = lab._heap, p = heap.slot(slot);
  lab._c.rnlw_schedule_default(p);
  heap.write('schedule', p, given);
  if (endStep > 0) lab._c.rnlw_schedule_resolve(p, endStep, epochSteps);
  return p;
}
