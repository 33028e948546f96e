// modules.test.mjs: the page's pure modules, in Node (no browser): the configuration's URL form
// round-trips for every task and reports bad values; files are recognised by their first bytes; the
// diagnosis names exploding gradients, vanishing gradients, slow convergence and overfitting from a run's
// record. And the page's module graph: one concern per module, imports in one direction (no cycles).
// The configuration's cells and ranges are the core's: they are read from the built module, as the page's
// Worker reads them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { RnnLab } from '../../web/rnnlab.js';
import * as C from '../../web/app/config.js';
import { sniff, looksLikeReviewCsv, toCsv } from '../../web/app/files.js';
import { diagnose, compareFix } from '../../web/app/diagnose.js';

const lab = await RnnLab.load();
assert.throws(() => C.parseField('hidden', '8'), /call useCore\(\) with the module's cells and limits first/, 'no second copy of the limits');
C.useCore({ cells: lab.cells, limits: lab.limits, names: { ...lab.names, positions: lab.transformerNames.positions } });

test('config: the cells and the ranges of the model and training fields are the core\'s', () => {
  const names = lab.cells.map((c) => c.name);
  assert.deepEqual(C.FIELDS.cell.values, [...names, 'transformer'], 'the core\'s cells, then the Transformer encoder');
  assert.deepEqual(C.FIELDS.pos.values, lab.transformerNames.positions, 'the positions are the core\'s');
  for (const [k, limit] of [['heads', 'heads'], ['ffn', 'ffn']]) assert.deepEqual([C.FIELDS[k].min, C.FIELDS[k].max], [lab.limits[limit].min, lab.limits[limit].max], k);
  assert.deepEqual(C.S2S_FIELDS.cell.values, names);
  assert.deepEqual(C.FIELDS.sched.values, lab.names.schedules, 'the schedules are the core\'s');
  assert.deepEqual(C.FIELDS.pool.values, lab.names.pools, 'the pools are the core\'s');
  // The page's <select name="pool"> offers the core's pools, in its order.
  const select = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8').match(/<select name="pool">([\s\S]*?)<\/select>/);
  assert.ok(select, 'index.html has the pool select');
  assert.deepEqual([...select[1].matchAll(/value="(\w+)"/g)].map((m) => m[1]), lab.names.pools);
  assert.deepEqual(C.fromQuery('task=imdb&pool=max').cfg.pool, 'max');
  assert.match(C.fromQuery('task=imdb&pool=avg').errors[0], /pool must be one of last, mean, max, not 'avg'/);
  for (const [k, limit] of [['hidden', 'hidden'], ['layers', 'layers'], ['emb', 'embed'], ['batch', 'batch'], ['lr', 'lr'], ['dropout', 'dropout'],
    ['warmup', 'warmup'], ['patience', 'patience']]) {
    assert.equal(C.FIELDS[k].min, lab.limits[limit].min, k);
    assert.equal(C.FIELDS[k].max, lab.limits[limit].max, k);
  }
  const { hidden } = lab.limits;
  const { errors } = C.fromQuery(`task=adding&hidden=${hidden.max + 1}&cell=${names[0]}`);
  assert.deepEqual(errors, [`Hidden size is ${hidden.max + 1}; it must be between ${hidden.min} and ${hidden.max} (from the link; using 32)`]);
});

test('config: every task\'s defaults, and a changed set-up, round-trip through the URL', () => {
  for (const task of C.TASKS) {
    const d = C.defaults(task);
    assert.equal(C.toQuery(d), `task=${task}`, 'defaults are left out of the URL');
    const { cfg, errors } = C.fromQuery(C.toQuery(d));
    assert.deepEqual(errors, []);
    assert.deepEqual(cfg, d);
  }
  const changed = { ...C.defaults('imdb'), cell: 'rnn', bi: true, lr: 0.0005, clip: false, clipAt: 2.5, epochs: 7, data: '../data/x y.rnld' };
  const q = C.toQuery(changed, { embed: '1', hide: 'data,optimizer' });
  const back = C.fromQuery(q);
  assert.deepEqual(back.cfg, changed);
  assert.deepEqual(back.view.hide, ['data', 'optimizer']);
  assert.equal(back.view.embed, true);
});

test('config: the seq2seq view\'s settings round-trip through the URL, with the lab\'s key names', () => {
  for (const task of C.S2S_TASKS) {
    const d = C.s2sDefaults(task);
    assert.equal(C.toQuery(d, {}, C.S2S), `task=${task}`);
    const back = C.fromQuery(`task=${task}`);
    assert.equal(back.view.page, 's2s');
    assert.deepEqual(back.s2s, d);
    assert.deepEqual(back.cfg, C.defaults(), 'the lab keeps its defaults');
  }
  assert.equal(C.s2sDefaults('dates').bi, true);
  const changed = { ...C.s2sDefaults('reverse'), len: 20, cell: 'lstm', hidden: 64, attn: 'additive', steps: 1500, input: 'abc' };
  const q = C.toQuery(changed, { embed: '1', hide: 'tabs' }, C.S2S);
  assert.equal(q, 'task=reverse&len=20&cell=lstm&hidden=64&attn=additive&steps=1500&input=abc&embed=1&hide=tabs');
  assert.deepEqual(C.fromQuery(q).s2s, changed);
  assert.equal(C.fromQuery('view=seq2seq').view.page, 's2s');
  assert.equal(C.fromQuery('task=adding').view.page, 'lab');
  const bad = C.fromQuery('task=reverse&len=500&attn=magic');
  assert.equal(bad.s2s.len, 12);
  assert.equal(bad.s2s.attn, 'dot');
  assert.match(bad.errors.join('\n'), /Sequence length is 500; it must be between 2 and 40/);
  assert.match(bad.errors.join('\n'), /attn must be one of dot, additive/);
  assert.match(C.fromQuery('task=sort').errors[0], /task must be one of adding, .*, reverse, dates, not 'sort'/);
});

test('config: bad values in a link are reported and replaced by the defaults', () => {
  const { cfg, errors } = C.fromQuery('task=nope&hidden=12.5&lr=abc&layers=99&bi=maybe');
  assert.equal(cfg.task, 'adding');
  assert.equal(cfg.hidden, 32);
  assert.equal(cfg.lr, 0.01);
  assert.equal(cfg.layers, 1);
  assert.equal(cfg.bi, false);
  assert.equal(errors.length, 5);
  assert.match(errors.join('\n'), /Hidden size must be a whole number, not 12\.5/);
  assert.match(errors.join('\n'), /Layers is 99; it must be between 1 and 8/);
});

test('files: recognised by their first bytes, not their names', () => {
  const bytes = (...a) => Uint8Array.from(a);
  const text = (s) => new TextEncoder().encode(s);
  assert.equal(sniff(bytes(0x1f, 0x8b, 8, 0)).type, 'gzip');
  assert.equal(sniff(text('RNLDATA\0xxxxxxxx')).type, 'rnld');
  assert.equal(sniff(text('RNNLABCK\x01\x00')).type, 'checkpoint');
  assert.equal(sniff(text('RNNLABTF\x01\x00')).type, 'checkpoint', 'a Transformer\'s checkpoint');
  const tar = new Uint8Array(512);
  tar.set(text('ustar'), 257);
  tar[0] = 0x61;
  assert.equal(sniff(tar).type, 'tar');
  assert.equal(sniff(text('Date,Temp\n1981-01-01,20.7\n')).type, 'text');
  assert.deepEqual(sniff(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), { type: 'unknown', hint: 'it looks like a PNG image' });
  assert.deepEqual(sniff(new Uint8Array(0)), { type: 'unknown', hint: 'the file is empty' });
  assert.match(sniff(bytes(0, 1, 2, 0xff)).hint, /starts with the bytes 00 01 02 ff/);
  // Text cut inside a UTF-8 sequence at the 512-byte sample is still text.
  const long = text(`${'é'.repeat(255)}ab`);
  assert.equal(sniff(long.subarray(0, 600)).type, 'text');
  // A CSV whose header is text is text, whatever its later lines hold: the readers name a bad line (a NUL
  // byte, invalid UTF-8), not the sniffer (issue 14: "it starts with the bytes 74 65 78 74", text,lab).
  assert.equal(sniff(text('text,label\n"fine",1\n"a NUL \0 here",0\n')).type, 'text');
  assert.equal(sniff(Uint8Array.from([...text('text,label\n"caf'), 0xe9, ...text('",1\n')])).type, 'text');
  assert.deepEqual(sniff(text('%PDF-1.7\n%\xe2\xe3\n')), { type: 'unknown', hint: 'it looks like a PDF' });
  assert.equal(looksLikeReviewCsv('text,label\n"great",1\n'), true);
  assert.equal(looksLikeReviewCsv('\uFEFF"review","sentiment"\n'), true);
  assert.equal(looksLikeReviewCsv('Date,Temp\n'), false);
  // The columns the core's reviews reader (core/src/data/textcsv.c) accepts, and no others.
  assert.equal(looksLikeReviewCsv('id,Review,SENTIMENT\r\n1,"good",pos\r\n'), true);
  assert.equal(looksLikeReviewCsv('\n \t\r\n" text " , label\n'), true, 'blank lines before the header, blanks around names');
  assert.equal(looksLikeReviewCsv('"a ""quoted"", name",text,label\n'), true);
  assert.equal(looksLikeReviewCsv('"multi\nline",text,label\n'), true);
  assert.equal(looksLikeReviewCsv('sentence,polarity\n"great",1\n'), false, 'the core reads no sentence or polarity column');
  assert.equal(looksLikeReviewCsv('text,polarity\n'), false);
  assert.equal(looksLikeReviewCsv('id,"notes, text",label\n'), false, 'a quoted comma is inside one field');
  assert.equal(looksLikeReviewCsv('"text" x,label\n'), false, 'text after a closing quote');
  assert.equal(looksLikeReviewCsv('"text,label\n'), false, 'a quote never closed');
  assert.equal(looksLikeReviewCsv('date\ntext,label\n'), false, 'only the first record is the header');
  assert.equal(toCsv(['a', 'b'], [[1, 'x,y'], [NaN, null]]), 'a,b\n1,"x,y"\n,\n');
});

// A run record as main.js keeps it: curves of {x, y} points.
function record(cfg, { losses, grads = losses.map(() => 0.5), val = [], status = 'done', test: t = null, clipped = 0, error = null }) {
  const pts = (a) => a.map((y, i) => ({ x: i + 1, y }));
  return { cfg: { ...C.defaults(cfg.task), ...cfg }, status, error, train: pts(losses), grad: pts(grads), val, test: t, clippedCount: clipped,
    failedStep: status === 'failed' ? losses.length + 1 : null };
}

test('diagnose: exploding gradients, with the fixes that apply and the core\'s message', () => {
  const d = diagnose(record({ task: 'adding', cell: 'rnn', opt: 'sgd', lr: 1, clip: false },
    { losses: [1, 5, 80, 9e9], grads: [10, 1e3, 1e8, 1e18], status: 'failed', error: { message: 'numeric fault: step 5: the loss is infinite' } }));
  assert.equal(d.level, 'error');
  assert.match(d.text, /^Exploding gradients: training stopped at step 5/);
  assert.match(d.text, /grew from 10 at step 1 to 1e\+18 at step 4/);
  assert.match(d.text, /turn gradient clipping on \(threshold 1\), lower the learning rate \(now 1\), or use Adam/);
  assert.match(d.text, /“numeric fault: step 5: the loss is infinite”/);
});

test('diagnose: vanishing gradients, slow convergence, overfitting, learned', () => {
  const flat = Array(400).fill(0.17);
  const vanish = diagnose(record({ task: 'adding', cell: 'rnn', len: 50 }, { losses: flat, test: { loss: 0.178 } }));
  assert.equal(vanish.level, 'warn');
  assert.match(vanish.text, /^Vanishing gradients: after 400 steps the RNN's test MSE is 0\.178/);
  const slow = diagnose(record({ task: 'adding', cell: 'rnn', len: 10, opt: 'sgd', lr: 0.01 }, { losses: flat, test: { loss: 0.16 } }));
  assert.match(slow.text, /^Slow convergence: plain SGD at learning rate 0\.01/);
  const plateau = diagnose(record({ task: 'adding', cell: 'lstm', len: 50 }, { losses: flat, test: { loss: 0.17 } }));
  assert.match(plateau.text, /^Not learned yet/);
  const falling = Array.from({ length: 300 }, (_, i) => 0.7 - i / 500);
  const over = diagnose(record({ task: 'imdb' }, { losses: falling, val: [{ x: 60, y: 0.6 }, { x: 120, y: 0.55 }, { x: 180, y: 0.7 }],
    test: { loss: 0.7, accuracy: 0.74 } }));
  assert.match(over.text, /^Overfitting: .* lowest at evaluation 2 \(0\.55\) and rose to 0\.7/);
  const ok = diagnose(record({ task: 'imdb' }, { losses: falling, val: [{ x: 60, y: 0.6 }, { x: 120, y: 0.5 }], test: { loss: 0.5, accuracy: 0.78 } }));
  assert.equal(ok.level, 'ok');
  assert.match(ok.text, /^Learned: test accuracy 0\.78 \(chance 0\.5\)/);
  const clipped = diagnose(record({ task: 'copy' }, { losses: falling, grads: falling.map(() => 3), clipped: 250, test: { loss: 0.9, accuracy: 0.6 } }));
  assert.match(clipped.text, /^Learned: .* Clipping was active at 83% of the steps \(median gradient norm 3 against a threshold of 1\)/);
});

test('compareFix: a preset\'s broken run against its fix, from the runs\' own figures', () => {
  const rec = (cfg, o) => ({ ...record(cfg, o), stepsTotal: o.losses.length });
  const steps = (n, y) => Array.from({ length: n }, () => y);
  // Exploding gradients, then clipping: stable, but (at learning rate 1) not learned: said so.
  const nan = rec({ task: 'adding', cell: 'rnn', opt: 'sgd', lr: 1, clip: false }, { losses: [1, 5, 80, 9e9], status: 'failed' });
  const clipped = rec({ task: 'adding', cell: 'rnn', opt: 'sgd', lr: 1, clip: true, clipAt: 1 }, { losses: steps(300, 0.2), clipped: 297,
    test: { loss: 0.198 } });
  let d = compareFix('explode', 'gradient clipping on, threshold 1', nan, clipped);
  assert.equal(d.level, 'info');
  assert.match(d.text, /^Exploding gradients, and the fix \(gradient clipping on, threshold 1\): the same run now trains all 300 steps and reaches a test loss of 0\.198 \(always predicting 1: 0\.1667\), where without the fix the loss became NaN at step 5\. Clipping scaled 99% of its steps down to 1\./);
  assert.match(d.text, /has not learned yet/);
  const learned = rec({ ...clipped.cfg }, { losses: steps(300, 0.01), test: { loss: 0.004 } });
  assert.equal(compareFix('explode', 'clipping', nan, learned).level, 'ok');
  // Vanishing gradients, then an LSTM: the test losses compared.
  const rnn = rec({ task: 'adding', cell: 'rnn', len: 50 }, { losses: steps(1000, 0.17), test: { loss: 0.17 } });
  const lstm = rec({ task: 'adding', cell: 'lstm', len: 50 }, { losses: steps(1000, 0.001), test: { loss: 0.0004 } });
  d = compareFix('vanish', 'an LSTM', rnn, lstm);
  assert.equal(d.level, 'ok');
  assert.match(d.text, /^Vanishing gradients, and the fix \(an LSTM\): the test loss fell from 0\.17 to 4e-4 in the same 1000 steps/);
  assert.equal(compareFix('vanish', 'an LSTM', rnn, rec({ ...lstm.cfg }, { losses: steps(1000, 0.16), test: { loss: 0.16 } })).level, 'info');
  // A fix that failed too, and runs not finished.
  assert.equal(compareFix('explode', 'clipping', nan, rec({ ...clipped.cfg }, { losses: [1, 2, 1e9], status: 'failed' })).level, 'error');
  assert.equal(compareFix('slow', 'Adam', rnn, { ...lstm, status: 'stopped' }), null);
});

test('the page\'s modules: none over 900 lines, and their imports have no cycles', () => {
  const dir = new URL('../../web/app/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  const imports = new Map();
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    assert.ok(src.split('\n').length <= 900, `web/app/${f} has ${src.split('\n').length} lines`);
    imports.set(f, [...src.matchAll(/^import (?:[^;]*? from )?'\.\/([\w-]+\.js)';/gms)].map((m) => m[1]));
  }
  assert.ok(imports.get('main.js').length >= 6, 'main.js wires the parts: it imports them');
  // Depth-first search; a module met again while still on the path closes a cycle.
  const done = new Set();
  const visit = (f, path) => {
    if (path.includes(f)) assert.fail(`import cycle: ${[...path.slice(path.indexOf(f)), f].join(' -> ')}`);
    if (done.has(f)) return;
    for (const g of imports.get(f) ?? []) {
      assert.ok(imports.has(g), `${f} imports ./${g}, which is not in web/app`);
      visit(g, [...path, f]);
    }
    done.add(f);
  };
  for (const f of files) visit(f, []);
});
