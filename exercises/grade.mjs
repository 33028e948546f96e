#!/usr/bin/env node
// grade.mjs: builds the exercises' grader natively with CMake and runs it, passing its output and exit
// status through (0: every exercise passes; 1: some do not; 2: bad flags or a build that failed).
//
//   node exercises/grade.mjs               grade exercises/starter (your working copy)
//   node exercises/grade.mjs --solution    grade exercises/solution
//   node exercises/grade.mjs --dir PATH    grade the cell_math.c and bptt.c in PATH (e.g. a copy)
//   other flags (--only N, --verbose, --no-fork, --timeout S) go to the grader.
//
// Needs cmake and a C compiler (and zlib, which the rest of rnnlab's native build wants). The build
// lives in build-exercises/ (one sub-build per --dir directory): the first run compiles the core,
// later runs recompile only your files. Compiler output is shown only when the build fails.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const usage = `usage: node exercises/grade.mjs [--solution | --dir PATH] [--only N] [--verbose] [--no-fork] [--timeout S]`;

function fail(message, status = 2) {
  process.stderr.write(`grade: ${message}\n`);
  process.exit(status);
}

// --- Flags
let solution = false;
let dir = null;
const passThrough = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--help' || a === '-h') {
    console.log(usage);
    process.exit(0);
  } else if (a === '--solution') solution = true;
  else if (a === '--dir') {
    if (i + 1 >= argv.length) fail(`--dir needs a directory\n${usage}`);
    dir = resolve(argv[++i]);
  } else if (a === '--only' || a === '--timeout') {
    if (i + 1 >= argv.length) fail(`${a} needs a value\n${usage}`);
    passThrough.push(a, argv[++i]);
  } else if (a === '--verbose' || a === '-v' || a === '--no-fork') passThrough.push(a);
  else fail(`unknown flag '${a}'\n${usage}`);
}
if (solution && dir) fail('--solution and --dir exclude each other');
if (dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${dir} is not a directory`);
  for (const f of ['cell_math.c', 'bptt.c'])
    if (!existsSync(join(dir, f))) fail(`${dir} has no ${f} (copy exercises/starter to start one)`);
}

// --- Build: one build directory for the default layout, one per other graded directory.
const studentDir = dir ?? join(root, 'exercises', 'starter');
let buildDir = join(root, 'build-exercises');
if (dir && dir !== join(root, 'exercises', 'starter')) {
  const tag = createHash('sha256').update(dir).digest('hex').slice(0, 10);
  buildDir = join(root, 'build-exercises', 'dirs', `${basename(dir).replace(/[^A-Za-z0-9_.-]/g, '_')}-${tag}`);
}
const target = solution ? 'grader_solution' : 'grader_student';

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    if (r.error.code === 'ENOENT') fail(`${cmd} was not found: the grader needs CMake and a C compiler (see exercises/README.md)`);
    fail(`${what}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    fail(`${what} failed (the compiler's messages are above: the first error is the one to fix)`);
  }
}

// Configure when there is no build yet, or when it was configured for another directory.
const cache = join(buildDir, 'CMakeCache.txt');
const configuredFor = existsSync(cache) ? /^RNL_EXERCISES_DIR:PATH=(.*)$/m.exec(readFileSync(cache, 'utf8'))?.[1] : null;
if (configuredFor !== studentDir) {
  process.stderr.write(`grade: configuring ${buildDir} (the first build compiles the core: about half a minute)\n`);
  run('cmake', ['-S', root, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', `-DRNL_EXERCISES_DIR=${studentDir}`], 'configuring the build');
}
run('cmake', ['--build', buildDir, '--target', target, '--parallel'], `building ${target}`);

// --- Grade
const exe = join(buildDir, 'exercises', target);
const args = [...passThrough];
if (!solution) args.push('--dir', studentDir);
const r = spawnSync(exe, args, { stdio: 'inherit' });
if (r.error) fail(`could not run ${exe}: ${r.error.message}`);
process.exit(r.status ?? 1);
