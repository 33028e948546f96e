#!/usr/bin/env node
// train.mjs: the headless Node runner of the WebAssembly build: makes (or loads) a model, trains it on a
// synthetic task or on a prepared data file (.rnld, from `npm run data` or `rnnlab data`) through
// web/rnnlab.js, prints progress or JSON lines, and can save a checkpoint that the native CLI reads. Flags are those of `rnnlab init` and `rnnlab train` where they overlap, and its JSON
// lines have the same keys as `rnnlab train --json`, so scripts can drive either. The cells, the flags'
// ranges and the defaults are the module's own (lab.cells, lab.limits, lab.trainingDefaults), read after
// it loads, so they match the core's and the CLI's.
//
//     node web/node/train.mjs --cell lstm --task adding --length 50 --steps 2000 --hidden 32 --lr 0.01 --seed 1
//     node web/node/train.mjs --cell gru --data imdb.rnld --embed 64 --hidden 128 --epochs 2 --lr 0.003 --out imdb.rnl
//     node web/node/train.mjs --cell transformer --task copy --length 20 --hidden 32 --heads 4 --layers 2 --lr 0.005 --steps 600
//
// Exit status: 0 done, 1 failed (a message on stderr), 2 bad flags, 130 interrupted (saved first).
import { rename, writeFile, readFile, unlink } from 'node:fs/promises';
import { RnnLab } from '../rnnlab.js';
import { parseFlags, UsageError } from './flags.mjs';

const help = (cells, d, schedules, pools) => `usage: node web/node/train.mjs --cell ${cells} --task adding|copy|sine [flags]
       node web/node/train.mjs --cell ${cells} --data FILE.rnld [flags]
       node web/node/train.mjs --cell transformer --task adding|copy | --data FILE.rnld [flags]
       node web/node/train.mjs --model FILE --task NAME | --data FILE.rnld [flags]

Trains a model in the WebAssembly build of rnnlab, on a synthetic task (--task) or on a prepared data set
(--data: a .rnld file from 'npm run data' or 'rnnlab data'). A new model is made from --cell and the model
flags (as 'rnnlab init'); --model continues a checkpoint (as 'rnnlab train').

model (new):
  --cell ${cells.padEnd(15)} the recurrent cell, or transformer (a Transformer encoder)
  --hidden N            hidden units per direction (default 32); a Transformer's width d_model (default 64)
  --layers N            stacked recurrent layers (default 1); a Transformer's encoder layers (default 2)
  --heads H             transformer: attention heads, must divide --hidden (default 4)
  --ffn F               transformer: feed-forward width (default 128)
  --positions P         transformer: sinusoidal (default) or none (no notion of order)
  --bidirectional       run each layer in both directions
  --embed N             embedding width, for tokens: the copy task's (default 8), a text data set's (default ${d.dataEmbed})
  --forget-bias F       LSTM forget-gate bias at init (default 1)
  --dropout P           dropout in training: on the embedding output, between layers, before the head (default 0)
  --pool ${pools.padEnd(14)} what the head reads: the last state (default), or the mean or max of the
                        top layer's states over the real steps
  --init-seed N         seed of the initialisation (default: --seed, else 0)
model (resume):
  --model FILE          a checkpoint to continue (written back unless --out is given)
data:
  --task NAME           adding (sum of two marked values), copy (recall the first symbol), sine (next step)
  --data FILE           a prepared data set (.rnld): trains on its training split in epochs, reports the
                        validation split after each epoch and the test split at the end
training:
  --length T            sequence length (default ${d.length})
  --steps N             training steps (default ${d.steps})
  --epochs N            epochs over the data (default ${d.epochs})
  --bucket K            data: batches drawn from pools of K batches of similar length (default ${d.bucket}; 1 = plain shuffle)
  --batch B             sequences per step (default ${d.batch})
  --optim adam|momentum|sgd   optimizer (default: the checkpoint's, else adam)
  --lr X                learning rate (default ${d.lrAdam} for adam, ${d.lrOther} otherwise)
  --momentum X          momentum (default 0.9 with --optim momentum)
  --weight-decay X      decoupled weight decay (default 0)
  --clip X              clip the global gradient norm to X (default ${d.clip}; 0 = off)
  --bptt K              truncated backpropagation through time: windows of K steps (default 0 = full)
  --seed N              seed of the training data or shuffles (default: continues from the steps already done)
  --eval-every N        task: evaluate on held-out batches every N steps (default steps/${d.evalEveryParts})
learning-rate schedule:
  --schedule NAME       ${schedules}: the learning rate over the run's steps (default none: constant)
  --warmup N            steps of linear warm-up from 0 to the learning rate first (any schedule; default 0)
  --step-size N         step: steps between decays (default one epoch, or a third of a task's steps)
  --gamma X             step: the factor of each decay (default 0.1)
best epoch (--data):
  --keep-best           evaluate the validation split after each epoch and keep the best epoch: the file
                        is written only when it improves, and the test split is that epoch's
  --patience N          with --keep-best: stop after N epochs without improvement (default 0: never)
output:
  --out FILE            write the trained model (with its optimizer state) here
  --json                print metrics as JSON lines on stdout (the keys of 'rnnlab train --json')
  --wasm FILE           the module to load (default: web/rnnlab.wasm)
`;

// --- Flags: each number's range is the core's limit of that name (lab.limits) ------------------------

const INT_LIMITS = { '--hidden': 'hidden', '--layers': 'layers', '--heads': 'heads', '--ffn': 'ffn', '--embed': 'embed', '--length': 'length', '--steps': 'steps',
  '--epochs': 'epochs', '--bucket': 'bucket', '--batch': 'batch', '--bptt': 'bptt', '--eval-every': 'eval_every', '--warmup': 'warmup',
  '--step-size': 'step_size', '--patience': 'patience' };
const FLOAT_LIMITS = { '--lr': 'lr', '--momentum': 'momentum', '--weight-decay': 'weight_decay', '--clip': 'clip', '--dropout': 'dropout', '--gamma': 'gamma',
  '--forget-bias': 'forget_bias' };
const SEED_FLAGS = ['--seed', '--init-seed'];
const STRING_FLAGS = ['--cell', '--task', '--data', '--model', '--optim', '--out', '--wasm', '--schedule', '--positions', '--pool'];
const BOOL_FLAGS = ['--bidirectional', '--json', '--keep-best'];

// limits null: any number (the first pass, which only looks for --wasm and --help before the module loads).
function parseArgs(argv, limits) {
  const ranges = (flags) => Object.fromEntries(Object.entries(flags).map(([flag, name]) => {
    if (!limits) return [flag, [-Infinity, Infinity]];
    if (!limits[name]) throw new Error(`the module has no limit '${name}' (for ${flag}): rebuild web/rnnlab.wasm`);
    return [flag, [limits[name].min, limits[name].max]];
  }));
  return parseFlags(argv, { ints: ranges(INT_LIMITS), floats: ranges(FLOAT_LIMITS), seeds: SEED_FLAGS, strings: STRING_FLAGS,
    bools: BOOL_FLAGS });
}

// --- Output ---------------------------------------------------------------------------------------------

const fmt = (x) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);  // %.6g, as the native CLI

function progressBar(step, total, loss, gnorm, seqS, label = '') {
  const width = 30, fill = Math.floor((width * step) / total);
  process.stderr.write(`\r${label}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor((100 * step) / total)).padStart(3)}% ` +
    `step ${step}/${total}  loss ${loss.toFixed(5)}  grad ${gnorm.toPrecision(3)}  ${Math.round(seqS)} seq/s `);
}

// Written to a temporary name and renamed, so a failed save never destroys the old file.
async function saveAtomically(path, bytes) {
  const tmp = `${path}.tmp.${process.pid}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

// --- Main -----------------------------------------------------------------------------------------------

const readInput = (path) => readFile(path).catch((e) => {
  throw new Error(`cannot read ${path}: ${e.code ?? e.message}`);
});

// The model: a checkpoint to continue (checked against the task or data), or a new one from the flags.
// A Transformer's checkpoint starts with its own magic (docs/checkpoint-format.md).
const isTransformerFile = (b) => b.length >= 8 && new TextDecoder().decode(b.subarray(0, 8)) === 'RNNLABTF';

async function makeModel(lab, f, cells, task, ds) {
  if (f['--model']) {
    const bytes = await readInput(f['--model']);
    const m = isTransformerFile(bytes) ? lab.loadTransformer(bytes) : lab.loadCheckpoint(bytes);
    if (ds) return m;  // trainDataset checks that the data fits the model, in the core's words
    const want = lab.taskShape(task), c = m.config;
    if (want.vocab !== c.vocab || (!want.vocab && want.inputSize !== c.inputSize) || want.head !== c.head || want.outputs !== c.outputs
      || want.seq2seq !== Boolean(c.seq2seq)) {
      m.free();
      throw new Error(`the model in ${f['--model']} does not fit task '${task}'; make one with --cell ... --task ${task}`);
    }
    return m;
  }
  if (f['--cell'] === 'transformer') return makeTransformer(lab, f, task, ds);
  for (const k of ['--heads', '--ffn', '--positions']) if (k in f) throw new UsageError(`${k} is for --cell transformer`);
  if (!cells.includes(f['--cell'])) throw new UsageError(`--cell must be ${cells.join(', ')}, not '${f['--cell']}' (or transformer, for a Transformer encoder)`);
  const cfg = { cell: f['--cell'], seed: f['--init-seed'] ?? f['--seed'] ?? 0 };
  if (ds) cfg.dataset = ds;
  else cfg.task = task;
  if ('--hidden' in f) cfg.hidden = f['--hidden'];
  if ('--layers' in f) cfg.layers = f['--layers'];
  if ('--bidirectional' in f) cfg.bidirectional = true;
  if ('--embed' in f) {
    if (ds?.kind === 'series') throw new UsageError(`${f['--data']} is a series of real values: leave out --embed`);
    cfg.embed = f['--embed'];
  }
  if ('--forget-bias' in f) cfg.forgetBias = f['--forget-bias'];
  if ('--dropout' in f) cfg.dropout = f['--dropout'];
  if ('--pool' in f) {
    if (!lab.names.pools.includes(f['--pool'])) throw new UsageError(`--pool must be ${lab.names.pools.join(', ')}, not '${f['--pool']}'`);
    cfg.pool = f['--pool'];
  }
  return lab.createModel(cfg);
}

// A Transformer encoder, as `rnnlab init --cell transformer`: flags of a recurrent model are refused.
function makeTransformer(lab, f, task, ds) {
  const wrong = ['--bidirectional', '--embed', '--forget-bias', '--dropout', '--pool', '--bptt'].filter((k) => k in f);
  if (wrong.length) throw new UsageError(`${wrong.join(', ')} ${wrong.length > 1 ? 'are' : 'is'} for a recurrent cell, not --cell transformer`);
  const positions = lab.transformerNames.positions;
  if ('--positions' in f && !positions.includes(f['--positions']))
    throw new UsageError(`--positions must be ${positions.join(' or ')}, not '${f['--positions']}'`);
  const cfg = { seed: f['--init-seed'] ?? f['--seed'] ?? 0, ...(ds ? { dataset: ds } : { task }) };
  for (const [flag, key] of [['--hidden', 'hidden'], ['--layers', 'layers'], ['--heads', 'heads'], ['--ffn', 'ffn'], ['--positions', 'positions']])
    if (flag in f) cfg[key] = f[flag];
  return lab.createTransformer(cfg);
}

async function main(argv) {
  const first = parseArgs(argv, null);
  const lab = await RnnLab.load(first['--wasm']);
  const cells = lab.cells.map((c) => c.name), d = lab.trainingDefaults('recurrent');
  if (first.help) {
    process.stdout.write(help(cells.join('|'), d, lab.names.schedules.join('|'), lab.names.pools.join('|')));
    return 0;
  }
  const f = parseArgs(argv, lab.limits);
  if (!f['--task'] === !f['--data']) throw new UsageError('give --task (adding, copy or sine) or --data FILE (a .rnld from npm run data)');
  if (!f['--cell'] && !f['--model']) throw new UsageError('give --cell (a new model) or --model FILE (continue a checkpoint)');
  if (f['--cell'] && f['--model']) throw new UsageError('give --cell (a new model) or --model FILE, not both');
  const modelFlags = ['--cell', '--hidden', '--layers', '--bidirectional', '--embed', '--forget-bias', '--dropout', '--pool', '--init-seed', '--heads', '--ffn',
    '--positions'];
  if (f['--model']) {
    const given = modelFlags.filter((k) => k in f);
    if (given.length) throw new UsageError(`${given.join(', ')} describe${given.length > 1 ? '' : 's'} a new model; --model continues a checkpoint`);
  }
  // Flags of the other kind of run are refused, not silently ignored.
  const wrong = f['--data'] ? ['--length', '--steps', '--eval-every'] : ['--epochs', '--bucket', '--keep-best', '--patience'];
  const given = wrong.filter((k) => k in f);
  if (given.length) throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} for ${f['--data'] ? '--task' : '--data'}, not ${f['--data'] ? '--data' : '--task'}`);
  const task = f['--task'];
  if (task && !lab.names.tasks.includes(task)) throw new UsageError(`unknown task '${task}' (expected ${lab.names.tasks.join(', ')})`);
  if ('--patience' in f && !f['--keep-best']) throw new UsageError('--patience counts epochs without improvement: give --keep-best too');
  if (f['--schedule'] && !lab.names.schedules.includes(f['--schedule']))
    throw new UsageError(`--schedule must be ${lab.names.schedules.join(', ')}, not '${f['--schedule']}'`);
  const sched = f['--schedule'] ?? 'none';
  for (const k of ['--step-size', '--gamma']) if (k in f && sched !== 'step') throw new UsageError(`${k} is for --schedule step`);
  if (f['--optim'] && !lab.names.optimizers.includes(f['--optim']))
    throw new UsageError(`--optim must be ${lab.names.optimizers.join(', ')}, not '${f['--optim']}'`);

  let ds = null;
  if (f['--data']) {
    try {
      ds = lab.openDataset(await readInput(f['--data']), { name: f['--data'] });
    } catch (e) {
      throw new Error(e.message.includes(f['--data']) ? e.message : `${f['--data']}: ${e.message}`);
    }
  }
  let m;
  try {
    m = await makeModel(lab, f, cells, task, ds);
    return await trainModel(lab, f, d, m, task, ds);
  } finally {
    m?.free();
    ds?.free();
  }
}

async function trainModel(lab, f, d, m, task, ds) {
  // The optimizer, as `rnnlab train`: the checkpoint's unless another kind is asked for; flags override.
  const cur = m.optimizer, kind = f['--optim'] ?? cur?.kind ?? 'adam';
  const opt = cur && cur.kind === kind ? { ...cur } : { kind };
  delete opt.steps;
  if ('--lr' in f) opt.lr = f['--lr'];
  if ('--momentum' in f) opt.momentum = f['--momentum'];
  if ('--weight-decay' in f) opt.weightDecay = f['--weight-decay'];
  if ('--clip' in f) opt.clip = f['--clip'];
  m.setOptimizer({ ...opt, reset: !(cur && cur.kind === kind) });

  const json = Boolean(f['--json']);
  const B = f['--batch'] ?? d.batch;
  // The schedule's fields left out take the core's defaults (total: the end of this run).
  const schedule = (f['--schedule'] && f['--schedule'] !== 'none') || f['--warmup'] ? { kind: f['--schedule'] ?? 'none' } : undefined;
  if (schedule) {
    if ('--warmup' in f) schedule.warmup = f['--warmup'];
    if ('--step-size' in f) schedule.stepSize = f['--step-size'];
    if ('--gamma' in f) schedule.gamma = f['--gamma'];
  }
  const tty = !json && process.stderr.isTTY;
  const dest = f['--out'] ?? f['--model'];
  if (!json) {
    const c = m.config, o = m.optimizer, tf = m.kind === 'transformer';
    const extras = [c.dropout > 0 ? `dropout ${fmt(c.dropout)}` : '', c.pool && c.pool !== 'last' ? `${c.pool} pool` : '', schedule ? `${schedule.kind} schedule${schedule.warmup ? `, warm-up ${schedule.warmup}` : ''}` : '',
      f['--keep-best'] ? `keep-best${f['--patience'] ? `, patience ${f['--patience']}` : ''}` : ''].filter(Boolean).join(', ');
    const what = ds ? `data ${f['--data']} (${ds.describe()}), ${f['--epochs'] ?? d.epochs} epoch${(f['--epochs'] ?? d.epochs) > 1 ? 's' : ''}`
      : `task ${task}, length ${f['--length'] ?? d.length}`;
    console.log(`${tf ? `transformer, ${c.heads} head${c.heads > 1 ? 's' : ''}, ffn ${c.ffn}, ${c.positions} positions` : c.cell}, ` +
      `${c.layers} layer${c.layers > 1 ? 's' : ''}${c.bidirectional ? ' bidirectional' : ''}, ${tf ? 'width' : 'hidden'} ${c.hidden}, ` +
      `${m.numParams} parameters; ${o.kind} lr ${fmt(o.lr)} clip ${fmt(o.clip)}${extras ? `, ${extras}` : ''}; ${what}, batch ${B}; ` +
      `wasm ${lab.version}, kernels ${lab.kernels}`);
  }

  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  let result, failure = null, done = 0, total = 0;
  // One JSON line per 10 steps and a bar on a terminal, for both kinds of run.
  const report = (p) => {
    done = p.step;
    total = p.steps;
    if (json && (p.step % 10 === 0 || p.step === p.steps))
      console.log(JSON.stringify({ step: p.totalSteps, loss: fmt(p.loss), grad_norm: fmt(p.gradNorm), clipped: p.clipped,
        accuracy: p.accuracy === null ? -1 : fmt(p.accuracy), seq_per_s: Number(p.seqPerSec.toFixed(1)) }));
    if (tty) progressBar(p.step, p.steps, p.meanLoss, p.gradNorm, p.seqPerSec, p.epoch ? `epoch ${p.epoch}/${p.epochs} ` : '');
  };
  try {
    const how = { json, tty, signal: abort.signal, report, schedule, dest };
    if (ds) result = await trainOnData(f, d, m, ds, B, how);
    else result = await trainOnTask(f, d, m, task, B, how);
    done = result.steps;
  } catch (e) {
    // The core checks that a continued model fits the data; its hint names the JS API, this says the flags.
    if (ds && / does not fit this data/.test(e.message))
      throw new Error(`the model in ${f['--model']} ${e.message.replace(/^.*?does not fit this data/, 'does not fit this data').replace(/; make one with .*$/, '')}; ` +
        `make one with --cell ... --data ${f['--data']}`);
    if (!(e.code === 'RNL_ERR_NUMERIC')) throw e;
    // A numeric fault leaves the parameters of the last good step: report, then save them as the CLI does.
    failure = e;
    done = e.stepsDone ?? done;
    if (tty) process.stderr.write('\n');
    console.error(`train.mjs: ${e.message}`);
    if (json) console.log(JSON.stringify({ error: 'numeric', step: (m.optimizer?.steps ?? 0) + 1 }));
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (tty && !failure) process.stderr.write('\n');
  if (result?.stopped) console.error(`train.mjs: interrupted after ${done} of ${total} steps${dest ? '; saving' : ''}`);
  // With --keep-best the model goes back to its best epoch, which the file already holds (written when it
  // improved); without, the file is the model as it ends.
  const best = result?.best ? m.restoreBest() : null;
  if (result?.stoppedEarly && !json) console.log(`stopped early: no improvement for ${f['--patience']} epoch${f['--patience'] > 1 ? 's' : ''}`);
  if (best) {
    if (json) console.log(JSON.stringify({ best: { epoch: best.epoch, step: best.step, loss: fmt(best.loss), accuracy: best.accuracy === null || Number.isNaN(best.accuracy) ? -1 : fmt(best.accuracy) } }));
    else console.log(`best epoch ${best.epoch} (step ${best.step}): validation loss ${best.loss.toFixed(5)}` +
      (Number.isFinite(best.accuracy) ? `, accuracy ${best.accuracy.toFixed(4)}` : '') + (dest ? `; ${dest} holds it` : ''));
  } else if (dest && done > 0) {
    await saveAtomically(dest, m.saveCheckpoint());
    if (!json) console.log(`saved ${dest} after ${done} steps (${m.optimizer.steps} in all)`);
  }
  if (result && !json) {
    const e = result.eval;
    console.log(`done: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${Math.round(result.seqPerSec)} seq/s; ` +
      `last loss ${result.loss.toFixed(5)}${e ? `, held-out loss ${e.loss.toFixed(5)}` : ''}`);
  }
  // The test split of a data set, once training is over (not after an interruption or a fault).
  if (ds && result && !result.stopped && !failure && ds.counts.test > 0) {
    const t = m.evaluateDataset(ds, 'test');
    if (json) console.log(JSON.stringify({ eval: { step: m.optimizer.steps, split: 'test', loss: fmt(t.loss), accuracy: t.accuracy === null ? -1 : fmt(t.accuracy) } }));
    else console.log(`test (${t.count} ${ds.kind === 'text' ? 'reviews' : 'windows'}): loss ${t.loss.toFixed(5)}` +
      (t.accuracy === null ? (Number.isFinite(ds.std) ? `, RMSE ${(Math.sqrt(t.loss) * ds.std).toFixed(4)} in ${ds.column} units` : '')
        : `, accuracy ${t.accuracy.toFixed(4)}`));
  }
  if (json && result)
    console.log(JSON.stringify({ done: true, steps: result.steps, total_steps: result.totalSteps, seconds: Number(result.seconds.toFixed(3)),
      seq_per_s: Number(result.seqPerSec.toFixed(1)) }));
  return failure ? 1 : result?.stopped ? 130 : 0;
}

async function trainOnTask(f, d, m, task, B, { json, tty, signal, report, schedule }) {
  const steps = f['--steps'] ?? d.steps, T = f['--length'] ?? d.length;
  const evalEvery = f['--eval-every'] ?? Math.max(1, Math.floor(steps / d.evalEveryParts));
  return m.trainTask({
    task, length: T, steps, batchSize: B, seed: f['--seed'], ...(m.kind === 'transformer' ? {} : { bpttWindow: f['--bptt'] ?? 0 }), evalEvery, schedule,
    progressEvery: json ? 10 : 5, signal,
    onProgress(p) {
      report(p);
      if (p.eval) {
        if (json) console.log(JSON.stringify({ eval: { step: p.totalSteps, loss: fmt(p.eval.loss), accuracy: task === 'copy' ? fmt(p.eval.accuracy) : -1 } }));
        else if (!tty) console.log(`step ${p.totalSteps}  train loss ${p.meanLoss.toFixed(5)}  held-out loss ${p.eval.loss.toFixed(5)}` +
          (task === 'copy' ? `  held-out accuracy ${p.eval.accuracy.toFixed(4)}` : ''));
      }
    },
  });
}

// Epochs over the data, as `rnnlab train --data`: a line per epoch with its validation figures and time.
// With --keep-best the file is written after an epoch only when validation improved (as `rnnlab train --keep-best`).
async function trainOnData(f, d, m, ds, B, { json, tty, signal, report, schedule, dest }) {
  let epochStart = performance.now();
  const keepBest = Boolean(f['--keep-best']);
  return m.trainDataset(ds, {
    epochs: f['--epochs'] ?? d.epochs, batchSize: B, bucket: f['--bucket'] ?? d.bucket, seed: f['--seed'],
    ...(m.kind === 'transformer' ? {} : { bpttWindow: f['--bptt'] ?? 0 }),
    progressEvery: json ? 10 : 5, signal, schedule, ...(keepBest ? { keepBest, patience: f['--patience'] ?? 0 } : {}),
    onProgress: report,
    async onEpoch(e) {
      if (e.best?.improved && dest) await saveAtomically(dest, m.bestCheckpoint());
      const seconds = (performance.now() - epochStart) / 1000;
      epochStart = performance.now();
      const v = e.val;
      if (json) {
        if (v) console.log(JSON.stringify({ eval: { step: e.totalSteps, split: 'validation', loss: fmt(v.loss), accuracy: v.accuracy === null ? -1 : fmt(v.accuracy) } }));
        console.log(JSON.stringify({ epoch: e.epoch, epochs: e.epochs, step: e.totalSteps, seconds: Number(seconds.toFixed(3)) }));
        return;
      }
      if (tty) process.stderr.write('\n');
      console.log(`epoch ${e.epoch}/${e.epochs}  step ${e.totalSteps}  ${seconds.toFixed(1)} s` +
        (v ? `  validation loss ${v.loss.toFixed(5)}${v.accuracy === null ? '' : `  validation accuracy ${v.accuracy.toFixed(4)}`}` : '  (no validation split)') +
        (e.best ? (e.best.improved ? `  best so far${dest ? `: saved ${dest}` : ''}` : `  (best: epoch ${e.best.epoch})`) : ''));
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    if (e instanceof UsageError) {
      console.error(`train.mjs: ${e.message} (see 'node web/node/train.mjs --help')`);
      process.exitCode = 2;
    } else {
      console.error(`train.mjs: ${e.message}`);
      process.exitCode = 1;
    }
  });
