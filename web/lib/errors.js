// errors.js: RnnLabError, and the argument checks every class runs before anything reaches the module
// (JavaScript checks names, types and array sizes, which C cannot see; C checks values and ranges).

// Codes of rnl_status (core/include/rnnlab.h); negative statuses are this wrapper's own.
const STATUS_CODES = ['RNL_OK', 'RNL_ERR_ARG', 'RNL_ERR_NOMEM', 'RNL_ERR_IO', 'RNL_ERR_FORMAT', 'RNL_ERR_NUMERIC'];
export const ERR_ARG = 1, ERR_NOMEM = 2, ERR_FORMAT = 4;

/** An error from rnnlab: the core's message (rnl_last_error) and its status. */
export class RnnLabError extends Error {
  constructor(message, status, statusName) {
    super(message);
    this.name = 'RnnLabError';
    this.status = status;          // rnl_status value; -1: freed model; -2: the module trapped; -3: a TODO cell ran
    this.statusName = statusName;  // rnl_status_name, e.g. "bad argument"
    this.code = status >= 0 ? (STATUS_CODES[status] ?? 'RNL_ERR_UNKNOWN')
      : status === -1 ? 'RNL_ERR_FREED' : status === -3 ? 'RNL_ERR_TODO' : 'RNL_ERR_TRAP';
  }
}

export function argError(message) {
  return new RnnLabError(`bad argument: ${message}`, ERR_ARG, 'bad argument');
}

export function formatError(message) {
  return new RnnLabError(`bad format: ${message}`, ERR_FORMAT, 'bad format');
}

// --- Argument checks ----------------------------------------------------------------------------

export function checkKeys(obj, allowed, where) {
  if (obj === undefined) return {};
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw argError(`${where}: expected an object of options`);
  for (const k of Object.keys(obj))
    if (!allowed.includes(k)) throw argError(`${where}: unknown field '${k}' (known: ${allowed.join(', ')})`);
  return obj;
}

export function checkInt(v, name, where, lo = -(2 ** 31), hi = 2 ** 31 - 1) {
  if (!Number.isInteger(v)) throw argError(`${where}: ${name} must be a whole number, not ${JSON.stringify(v) ?? String(v)}`);
  if (v < lo || v > hi) throw argError(`${where}: ${name} is ${v}, must be in ${lo}..${hi}`);
  return v;
}

export function checkNumber(v, name, where) {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argError(`${where}: ${name} must be a finite number, not ${String(v)}`);
  return v;
}

export function checkBool(v, name, where) {
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  throw argError(`${where}: ${name} must be true or false, not ${JSON.stringify(v) ?? String(v)}`);
}

// A 64-bit seed as two 32-bit halves (the glue takes uint32 pairs, not BigInt).
export function splitSeed(seed, where) {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw argError(`${where}: seed must be in 0..2^64-1, not ${seed}`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw argError(`${where}: seed must be a whole number in 0..2^53-1 (or a BigInt below 2^64), not ${String(seed)}`);
  return [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
}

// Copies `a` (a typed array or an array of numbers) to a typed array of `Type` with exactly n values.
export function toTyped(Type, a, n, name, where) {
  if (a === undefined || a === null) throw argError(`${where}: ${name} is missing`);
  if (!(ArrayBuffer.isView(a) || Array.isArray(a))) throw argError(`${where}: ${name} must be an array or a typed array`);
  if (n !== undefined && a.length !== n) throw argError(`${where}: ${name} has ${a.length} values, expected ${n}`);
  if (a instanceof Type) return a;
  const t = Type.from(a);
  if (Type === Int32Array)
    for (let i = 0; i < t.length; i++)
      if (t[i] !== a[i]) throw argError(`${where}: ${name}[${i}] is ${a[i]}, not a 32-bit whole number`);
  return t;
}

export const pick = (names, i) => names[i] ?? String(i);

// A float32 setting read back from C as the shortest decimal that rounds to the same float32
// (0.01, not 0.009999999776482582), so settings print as they were given and round-trip exactly.
export function shortF32(x) {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

// --- Objects in WebAssembly memory: Dataset, Model, Seq2SeqModel -----------------------------------

// Checks that `value` is one of `list` (names in enum order); returns its index.
export function indexOf(list, value, field, where) {
  const i = list.indexOf(value);
  if (i < 0) throw argError(`${where}: ${field} must be ${list.map((s) => `'${s}'`).join(', ')}, not ${JSON.stringify(value) ?? String(value)}`);
  return i;
}

// A callback option: undefined or a function.
export function checkFunction(f, name, where) {
  if (f !== undefined && typeof f !== 'function') throw argError(`${where}: ${name} must be a function`);
  return f;
}
