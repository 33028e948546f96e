#!/usr/bin/env node
// grade.mjs: builds the exercises' grader natively with CMake and runs it, passing its output and exit
// status through (0: every exercise passes; 1: some do not; 2: bad flags or a build that failed).
//
//   node exercises/grade.mjs               grade exercises/starter (your working copy)
//   node exercises/grade.mjs --solution    grade exercises/solution
//   node exercises/grade.mjs --dir PATH    grade the cell_math.c, bptt.c and attention_math.c in PATH (e.g. a copy)
//   other flags (--only N, --verbose, --no-fork, --timeout S) go to the grader.
//
// After grading it builds the graded cell_math.c and attention_math.c into a WebAssembly module for the lab
// page ("use my implementation", exercises/README.md): build-wasm-student/rnnlab-student.wasm, copied to
// web/student/rnnlab.wasm, which the page loads with ?impl=student. With --solution the module is built
// in build-wasm-solution/ and copied nowhere: web/student/rnnlab.wasm holds the student's own cells, and
// grading the solution must not replace them (--wasm-out puts it there on purpose). Needs Emscripten
// (emcmake); without it the step is skipped with a note. Its flags:
//   --no-wasm            grade only
//   --wasm-only          build the module only (no grading)
//   --wasm-build DIR     build directory (default build-wasm-student/, build-wasm-solution/ with --solution)
//   --wasm-out FILE      where to copy the module (default web/student/rnnlab.wasm; none with --solution)
//
// Needs cmake and a C compiler (and zlib, which the rest of rnnlab's native build wants). The build
// lives in build-exercises/ (one sub-build per --dir directory): the first run compiles the core,
// later runs recompile only your files. Compiler output is shown only when the build fails.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

// Compile jobs: one per core. A bare --parallel lets make start a compiler per file at once (dozens on a
// 2-core laptop, each with its memory).
const JOBS = String(availableParallelism());

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const usage = `usage: node exercises/grade.mjs [--solution | --dir PATH] [--only N] [--verbose] [--no-fork] [--timeout S]
       [--no-wasm | --wasm-only] [--wasm-build DIR] [--wasm-out FILE]`;

function fail(message, status = 2) {
  process.stderr.write(`grade: ${message}\n`);
  process.exit(status);
}

// --- Flags
let solution = false;
let dir = null;
let wasm = true, wasmOnly = false;
let wasmBuild = null, wasmOut = null;  // defaults below, once --solution is known
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
  else if (a === '--no-wasm') wasm = false;
  else if (a === '--wasm-only') wasmOnly = true;
  else if (a === '--wasm-build' || a === '--wasm-out') {
    if (i + 1 >= argv.length) fail(`${a} needs a path\n${usage}`);
    if (a === '--wasm-build') wasmBuild = resolve(argv[++i]);
    else wasmOut = resolve(argv[++i]);
  }
  else fail(`unknown flag '${a}'\n${usage}`);
}
if (solution && dir) fail('--solution and --dir exclude each other');
const studentModule = join(root, 'web', 'student', 'rnnlab.wasm');
wasmBuild ??= join(root, solution ? 'build-wasm-solution' : 'build-wasm-student');
wasmOut ??= solution ? '' : studentModule;  // '': copied nowhere
if (wasmOnly && !wasm) fail('--wasm-only and --no-wasm exclude each other');
if (dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${dir} is not a directory`);
  for (const f of ['cell_math.c', 'bptt.c'])
    if (!existsSync(join(dir, f))) fail(`${dir} has no ${f} (copy exercises/starter to start one)`);
  // A copy made before exercises 9-10 (the Transformer's attention) existed.
  if (!existsSync(join(dir, 'attention_math.c')))
    fail(`${dir} has no attention_math.c (exercises 9-10, the Transformer's attention): copy exercises/starter/attention_math.c there`);
}

const studentDir = dir ?? join(root, 'exercises', 'starter');
const cellMath = join(solution ? join(root, 'exercises', 'solution') : studentDir, 'cell_math.c');
const attentionMath = join(dirname(cellMath), 'attention_math.c');

function run(cmd, args, what, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) {
    if (r.error.code === 'ENOENT') fail(`${cmd} was not found: the grader needs CMake and a C compiler (see exercises/README.md)`);
    fail(`${what}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    // A copy made before the exercises had their own header still names the core's private one.
    if (/internal\.h'?:? (No such file|file not found)/.test(r.stdout + r.stderr))
      process.stderr.write('grade: note: cell_math.c includes "rnnlab_cell_math.h" (core/include/) now, not "internal.h": ' +
        'change that #include line (see exercises/starter/cell_math.c)\n');
    fail(`${what} failed (the compiler's messages are above: the first error is the one to fix)`);
  }
}

// --- Grade: one native build directory for the default layout, one per other graded directory.
function grade() {
  let buildDir = join(root, 'build-exercises');
  if (dir && dir !== join(root, 'exercises', 'starter')) {
    const tag = createHash('sha256').update(dir).digest('hex').slice(0, 10);
    buildDir = join(root, 'build-exercises', 'dirs', `${basename(dir).replace(/[^A-Za-z0-9_.-]/g, '_')}-${tag}`);
  }
  const target = solution ? 'grader_solution' : 'grader_student';
  // Configure when there is no build yet, or when it was configured for another directory.
  const cache = join(buildDir, 'CMakeCache.txt');
  const configuredFor = existsSync(cache) ? /^RNL_EXERCISES_DIR:PATH=(.*)$/m.exec(readFileSync(cache, 'utf8'))?.[1] : null;
  if (configuredFor !== studentDir) {
    process.stderr.write(`grade: configuring ${buildDir} (the first build compiles the core: about half a minute)\n`);
    run('cmake', ['-S', root, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', `-DRNL_EXERCISES_DIR=${studentDir}`], 'configuring the build');
  }
  run('cmake', ['--build', buildDir, '--target', target, '--parallel', JOBS], `building ${target}`);
  const exe = join(buildDir, 'exercises', target);
  const args = [...passThrough];
  if (!solution) args.push('--dir', studentDir);
  const r = spawnSync(exe, args, { stdio: 'inherit' });
  if (r.error) fail(`could not run ${exe}: ${r.error.message}`);
  return r.status ?? 1;
}

// --- The WebAssembly module with these cells and this attention (web/wasm.cmake, -DRNL_CELL_MATH,
// -DRNL_ATTENTION_MATH). Returns false if skipped.
function buildWasm() {
  const probe = spawnSync('emcmake', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    process.stderr.write('grade: note: emcmake (Emscripten) was not found, so your cells were not built for the browser;\n' +
      'grade: install Emscripten and run node exercises/grade.mjs again to get web/student/rnnlab.wasm\n');
    return false;
  }
  const cache = join(wasmBuild, 'CMakeCache.txt');
  const text = existsSync(cache) ? readFileSync(cache, 'utf8') : '';
  const had = /^RNL_CELL_MATH:FILEPATH=(.*)$/m.exec(text)?.[1], hadOut = /^RNL_WASM_COPY_TO:FILEPATH=(.*)$/m.exec(text)?.[1];
  const hadAttention = /^RNL_ATTENTION_MATH:FILEPATH=(.*)$/m.exec(text)?.[1];
  if (had !== cellMath || hadAttention !== attentionMath || hadOut !== wasmOut) {
    process.stderr.write(`grade: configuring ${wasmBuild} for the browser module (the first build compiles the core)\n`);
    run('emcmake', ['cmake', '-S', root, '-B', wasmBuild, '-DCMAKE_BUILD_TYPE=Release', `-DRNL_CELL_MATH=${cellMath}`,
      `-DRNL_ATTENTION_MATH=${attentionMath}`, `-DRNL_WASM_COPY_TO=${wasmOut}`], 'configuring the WebAssembly build');
  }
  run('cmake', ['--build', wasmBuild, '--parallel', JOBS], 'building the WebAssembly module');
  const shown = (p) => (relative(root, p).startsWith('..') ? p : relative(root, p));
  if (!wasmOut) {
    const built = join(wasmBuild, 'rnnlab-student.wasm');
    console.log(`\nThe solution's cells, built for the browser: ${shown(built)}\n` +
      `It was not copied to ${shown(studentModule)}, which holds your own cells for ?impl=student. To try the ` +
      `solution's cells in the page, run node exercises/grade.mjs --solution --wasm-out ${shown(studentModule)} ` +
      `(that replaces your module; node exercises/grade.mjs builds yours again).\nLoad it with RnnLab.load('${built}').`);
    return true;
  }
  const rel = relative(join(root, 'web'), wasmOut).split(sep).join('/');
  console.log(`\n${solution ? 'The solution\'s cells' : 'Your cells'}, built for the browser: ${shown(wasmOut)}\n` +
    (rel === 'student/rnnlab.wasm'
      ? 'Use them in the lab page: npm start, then open the page with ?impl=student (e.g. http://localhost:8080/web/?impl=student).\n'
      : `Load it with RnnLab.load('${wasmOut}').\n`) +
    'Unfinished functions (EX_TODO) are listed there, and training a cell that uses one stops with a message.');
  return true;
}

let status = 0;
if (!wasmOnly) status = grade();
if (wasm) buildWasm();
process.exit(status);
