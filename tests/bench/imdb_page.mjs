#!/usr/bin/env node
// imdb_page.mjs: the full IMDB run of docs/imdb.md in the page, in headless Chromium: the real archive is
// chosen with the page's file input (as a student drops it), the page reads it in its Worker with the
// "IMDB, all 25,000 reviews" choice, trains with the set-up in the link, and this script prints what the page
// shows: the estimate, each epoch's time and validation accuracy, the test accuracy of the last epoch's model
// and (with keep-best) of the best epoch's after "Restore best epoch", the peak WebAssembly memory. A
// benchmark, not a test: it takes tens of minutes and needs the archive, which is never committed.
//
//     node tests/bench/imdb_page.mjs --archive ../shared/data/aclImdb_v1_labeled.tar.gz \
//       --query 'cell=gru&emb=64&hidden=128&lr=0.003&epochs=3' [--json FILE]
//
// --task imdbfile runs the page's "IMDB, from the archive you drop" choice instead (a subset: by default
// 2,000 training, 500 validation and 2,000 test reviews), where a Transformer and an LSTM of about the same
// size compare in minutes (docs/model.md):
//
//     node tests/bench/imdb_page.mjs --task imdbfile --archive ../shared/data/aclImdb_v1_labeled.tar.gz \
//       --query 'cell=transformer&hidden=64&heads=4&layers=1&ffn=128&lr=0.002&epochs=6'
//     node tests/bench/imdb_page.mjs --task imdbfile --archive ../shared/data/aclImdb_v1_labeled.tar.gz \
//       --query 'cell=lstm&emb=64&hidden=64&lr=0.002&epochs=6'
//
// Progress goes to stderr every minute; the summary (one JSON object) to stdout and to --json FILE.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, launch } from '../e2e/helpers.mjs';

function args(argv) {
  const out = { archive: null, query: '', json: null, task: 'imdbfull' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--archive') out.archive = resolve(v);
    else if (k === '--query') out.query = v;
    else if (k === '--json') out.json = resolve(v);
    else if (k === '--task') {
      if (!['imdbfull', 'imdbfile'].includes(v)) throw new Error(`--task must be imdbfull or imdbfile, not '${v}'`);
      out.task = v;
    }
    else throw new Error(`unknown flag '${k}' (see the comment at the top of this file)`);
    i++;
  }
  if (!out.archive) throw new Error('--archive PATH is required (aclImdb_v1.tar.gz or aclImdb_v1_labeled.tar.gz)');
  return out;
}

const log = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const text = (page, id) => page.evaluate((i) => document.getElementById(i).textContent, id);

async function main() {
  const o = args(process.argv.slice(2));
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    const query = `task=${o.task}${o.query ? `&${o.query}` : ''}`;
    await page.goto(`${server.url}?${query}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
    const t0 = Date.now();
    await page.setInputFiles('#file', o.archive);
    await page.waitForFunction(() => /training, .* validation and .* test reviews/.test(document.getElementById('data-status').textContent)
      || document.getElementById('data-status').classList.contains('error'), null, { timeout: 0, polling: 1000 });
    const dataStatus = await text(page, 'data-status');
    const dataSeconds = (Date.now() - t0) / 1000;
    log(`data (${dataSeconds.toFixed(0)} s): ${dataStatus}`);
    if (!/training, /.test(dataStatus)) throw new Error(`the page could not read the archive: ${dataStatus}`);
    await page.click('#train');
    const t1 = Date.now();
    let lastLog = 0;
    // Until the run is over: a line a minute of what the page says.
    await page.waitForFunction(() => window.rnnlab.state.model?.rec?.status === 'running', null, { timeout: 120000 });
    while (await page.evaluate(() => window.rnnlab.state.running)) {
      if (Date.now() - lastLog > 60000) {
        lastLog = Date.now();
        log(`${await text(page, 'epoch-line')} | ${await text(page, 'estimate-line')} | memory ${await text(page, 'stat-memory')}`);
      }
      await page.waitForFunction(() => !window.rnnlab.state.running, null, { timeout: 60000, polling: 1000 }).catch(() => {});
    }
    const wall = (Date.now() - t1) / 1000;
    const r = await page.evaluate(() => {
      const rec = window.rnnlab.state.model.rec;
      return { status: rec.status, label: rec.label, cfg: rec.cfg, steps: rec.stepsTotal, seconds: rec.seconds, test: rec.test,
        val: rec.val.map((p) => ({ step: p.x, loss: p.y, t: p.t })), valAcc: rec.valAcc.map((p) => ({ step: p.x, accuracy: p.y, t: p.t })),
        estimate: rec.estimate ?? null, memoryBytes: rec.memoryBytes, numParams: rec.numParams };
    });
    // With keep-best the run ends on its last epoch's model, and "Restore best epoch" makes the epoch validation
    // chose the model and tests it, as a student would: the model chosen on validation is that one.
    let best = null;
    const statusLine = await text(page, 'status');
    if (await page.evaluate(() => Boolean(window.rnnlab.state.model.rec.best))) {
      await page.click('#restore-best');
      await page.waitForFunction(() => window.rnnlab.state.model.rec.restored, null, { timeout: 600000, polling: 500 });
      best = await page.evaluate(() => ({ epoch: window.rnnlab.state.model.rec.restored ?? null, ...window.rnnlab.state.model.rec.best,
        test: window.rnnlab.state.model.rec.test }));
      best.status_line = await text(page, 'status');
    }
    // Each epoch's time: training and its validation, from the seconds the page recorded with each validation.
    const epochSeconds = r.valAcc.map((p, i) => p.t - (i ? r.valAcc[i - 1].t : 0));
    const summary = { query, data: dataStatus, dataSeconds, status: r.status, label: r.label, steps: r.steps, numParams: r.numParams,
      epochSeconds, valAccuracy: r.valAcc.map((p) => p.accuracy), valLoss: r.val.map((p) => p.loss), test: r.test, best,
      trainSeconds: r.seconds, wallSeconds: wall, estimate: r.estimate && { batches: r.estimate.batches, epochSeconds: r.estimate.epochSeconds,
        trainingBytes: r.estimate.memory?.training ?? null }, peakMemoryBytes: r.memoryBytes, status_line: statusLine };
    const json = JSON.stringify(summary, null, 2);
    console.log(json);
    if (o.json) writeFileSync(o.json, `${json}\n`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => {
  console.error(`imdb_page.mjs: ${e.message}`);
  process.exitCode = 1;
});
