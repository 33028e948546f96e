// flags.mjs: the command-line flags of the Node scripts (train.mjs, data.mjs), checked as the native CLI
// checks its own (core/cli): whole numbers and numbers in a range, 64-bit seeds, strings, switches.
// A bad flag throws UsageError with a message naming it; the scripts print it with their usage, exit 2.

export class UsageError extends Error {}

/**
 * argv -> { '--flag': value } (numbers, BigInt seeds, strings, true for switches), or { help: true } for
 * --help / -h. spec: { ints: { flag: [lo, hi] }, floats: { flag: [lo, hi] }, seeds: [flag], strings: [flag],
 * bools: [flag] } (any of them may be left out).
 */
export function parseFlags(argv, { ints = {}, floats = {}, seeds = [], strings = [], bools = [] }) {
  const f = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') return { help: true };
    if (bools.includes(flag)) {
      f[flag] = true;
      continue;
    }
    if (!(flag in ints || flag in floats || seeds.includes(flag) || strings.includes(flag))) throw new UsageError(`unknown flag '${flag}'`);
    if (i + 1 >= argv.length) throw new UsageError(`flag ${flag} needs a value`);
    const v = argv[++i];
    if (flag in ints) {
      const [lo, hi] = ints[flag];
      if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`${flag} expects a whole number, got '${v}'`);
      const x = Number(v);
      if (x < lo || x > hi) throw new UsageError(`${flag} is ${x}, must be in ${lo}..${hi}`);
      f[flag] = x;
    } else if (flag in floats) {
      const [lo, hi] = floats[flag];
      const x = Number(v);
      if (v.trim() === '' || Number.isNaN(x)) throw new UsageError(`${flag} expects a number, got '${v}'`);
      if (x < lo || x > hi) throw new UsageError(`${flag} is ${x}, must be in [${lo}, ${hi}]`);
      f[flag] = x;
    } else if (seeds.includes(flag)) {
      if (!/^\d+$/.test(v) || BigInt(v) >= 1n << 64n) throw new UsageError(`${flag} expects a non-negative whole number, got '${v}'`);
      f[flag] = BigInt(v);
    } else {
      f[flag] = v;
    }
  }
  return f;
}
