// page-bugs.test.mjs: what a new user hit on the page and was not told (issue 14, bugs 4, 6, 8, 9, 10, 11 and
// the bad files). A page opened from file:// says how to serve it; a Data URL on another site is refused as
// such; a dropped archive that fails to parse leaves the set-up as it was; a reviews CSV with a NUL byte
// gets the reader's message; the presets compare what they claim; the seq2seq and Try-it panels say what
// they do; the ‖∂L/∂h_t‖ chart is labelled by step, under the heatmap's columns; ?impl=student without a
// module says to run the grader.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { skip, startLab, openPage, gotoLab, waitIdle, ROOT, WAIT } from './helpers.mjs';

const noEmcc = spawnSync('emcmake', ['--version']).error ? 'emcmake (Emscripten) was not found' : false;

// A student who finished the three cells but not clipping (exercise 7): the starter with the solution's
// six cell functions, built for the browser by the grader's own step. Returns the module's bytes.
function cellsWithoutClipping() {
  const dir = `${ROOT}build-wasm-student-test/noclip`;
  const src = `${dir}/src`;
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  cpSync(`${ROOT}exercises/starter`, src, { recursive: true });
  const fn = (text, name) => {
    const start = text.search(new RegExp(`^(void|double) ${name}\\(`, 'm'));
    assert.ok(start >= 0, `${name} not found`);
    return text.slice(start, text.indexOf('\n}\n', start) + 3);
  };
  const solution = readFileSync(`${ROOT}exercises/solution/cell_math.c`, 'utf8');
  let mine = readFileSync(`${src}/cell_math.c`, 'utf8');
  for (const cell of ['rnn', 'lstm', 'gru'])
    for (const pass of ['forward', 'backward']) mine = mine.replace(fn(mine, `rnl_${cell}_cell_${pass}`), fn(solution, `rnl_${cell}_cell_${pass}`));
  writeFileSync(`${src}/cell_math.c`, mine);
  // The attention exercises (9-10) are finished too: only clipping is left.
  cpSync(`${ROOT}exercises/solution/attention_math.c`, `${src}/attention_math.c`);
  const out = `${dir}/out/rnnlab.wasm`;
  const r = spawnSync(process.execPath, [`${ROOT}exercises/grade.mjs`, '--dir', src, '--wasm-only', '--wasm-build', dir, '--wasm-out', out],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return readFileSync(out);
}

const query = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));
const text = (page, sel) => page.textContent(sel);

test('page bugs: messages, presets, panels', { skip, timeout: 1800000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('opened from file://, the page says to serve it', async () => {
    const page = await openPage(browser, server);
    await page.goto(pathToFileURL(`${ROOT}web/index.html`).href);
    await page.waitForFunction(() => !document.getElementById('file-warning').hidden, null, { timeout: WAIT });
    const msg = await text(page, '#file-warning');
    assert.match(msg, /opened as a file \(file:\/\/\)/);
    assert.match(msg, /npm start/);
    assert.match(msg, /any static web server/);
    assert.match(await text(page, '#status'), /open this page through a web server/);
    page.allowProblem(/CORS|ERR_FAILED/);  // the module scripts the browser refuses from a file
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a Data URL on another site is refused as such, not blamed on the data', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=imdb');
    await page.fill('#data-url', 'https://example.org/imdb-2000.rnld');
    await page.press('#data-url', 'Enter');
    await page.waitForFunction(() => /another site/.test(document.getElementById('data-status').textContent));
    const msg = await text(page, '#data-status');
    assert.match(msg, /The Data URL https:\/\/example\.org\/imdb-2000\.rnld is on another site \(https:\/\/example\.org\)/);
    assert.match(msg, /only from its own site/);
    assert.doesNotMatch(msg, /npm run data|Prepare the subset/);
    await page.waitForFunction(() => /another site/.test(document.getElementById('status').textContent));
    assert.doesNotMatch(await text(page, '#status'), /npm run data|not at/);
    page.allowProblem(/404/);  // the default subset, not in data/ here
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('a dropped archive that fails to parse leaves the set-up as it was', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=20&lr=0.02&hidden=12&steps=30');
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    const before = { url: page.url(), cfg: await page.evaluate(() => window.rnnlab.state.cfg), task: await page.inputValue('#task') };
    const bad = { name: 'notatar.tar.gz', mimeType: 'application/gzip', buffer: gzipSync(Buffer.from('this is not a tar archive\n'.repeat(40))) };
    await page.setInputFiles('#file', bad);
    await page.waitForFunction(() => /Could not open “notatar\.tar\.gz”/.test(document.getElementById('status').textContent), null,
      { timeout: WAIT });
    assert.equal(page.url(), before.url);
    assert.deepEqual(await page.evaluate(() => window.rnnlab.state.cfg), before.cfg);
    assert.equal(await page.inputValue('#task'), before.task);
    assert.equal(await page.inputValue('input[name="lr"]'), '0.02');
    assert.equal(await page.evaluate(() => window.rnnlab.state.files.text), null, 'the bad archive is not the data source');
    assert.equal(await text(page, '#train'), 'Train more', 'the model trained before is still the current one');
    // Train goes on with the adding task's data.
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done');
    assert.equal(r.steps, 60);
    page.allowProblem(/.*/);
    await page.close();
  });

  await t.test('a reviews CSV with a NUL byte gets the reader\'s message; invalid UTF-8 is read as bytes', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding');
    const rows = Array.from({ length: 40 }, (_, i) => `"review number ${i} was ${i % 2 ? 'great' : 'awful'}",${i % 2}`);
    const nul = Buffer.from(`text,label\n${rows[0]}\n"a NUL \0 byte",1\n${rows.slice(1).join('\n')}\n`);
    await page.setInputFiles('#file', { name: 'nul.csv', mimeType: 'text/csv', buffer: nul });
    await page.waitForFunction(() => /Could not open “nul\.csv”/.test(document.getElementById('status').textContent));
    const msg = await text(page, '#data-status');
    assert.match(msg, /nul\.csv:3: binary data, not CSV text \(a NUL byte at byte \d+\)/);
    assert.doesNotMatch(msg, /starts with the bytes/);
    assert.equal(await page.evaluate(() => window.rnnlab.state.cfg.task), 'adding', 'the set-up is as it was');

    const latin1 = Buffer.concat([Buffer.from(`text,label\n${rows[0]}\n"caf`), Buffer.from([0xe9]), Buffer.from(` au lait",1\n${rows.slice(1).join('\n')}\n`)]);
    await page.setInputFiles('#file', { name: 'latin1.csv', mimeType: 'text/csv', buffer: latin1 });
    await page.waitForFunction(() => /latin1\.csv: .* training/.test(document.getElementById('data-status').textContent), null, { timeout: WAIT });
    assert.equal(await page.evaluate(() => window.rnnlab.state.cfg.task), 'imdbfile');
    // The task selector names what is loaded, not "the archive you drop".
    assert.equal(await page.$eval('#task option[value="imdbfile"]', (o) => o.textContent), 'Reviews, from latin1.csv');
    assert.equal(await page.$eval('#task', (s) => s.selectedOptions[0].textContent), 'Reviews, from latin1.csv');
    page.allowProblem(/.*/);
    await page.close();
  });

  await t.test('Try it: which run predicts, an empty review, unknown words as typed', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=imdbfile&train=6&val=2&test=6&cell=gru&hidden=8&emb=8&epochs=1&batch=2&lr=0.003');
    await page.setInputFiles('#file', fileURLToPath(new URL('../fixtures/tar/imdb_mini_gnu.tar.gz', import.meta.url)));
    await page.waitForFunction(() => /6 training/.test(document.getElementById('data-status').textContent), null, { timeout: WAIT });
    assert.match(await page.$eval('#task', (s) => s.selectedOptions[0].textContent), /^IMDB, from imdb_mini_gnu\.tar\.gz$/);
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    const run = await page.evaluate(() => window.rnnlab.state.model.rec.id);
    await page.fill('#review', 'A zyzzyvaqq film, truly great');
    await page.waitForFunction(() => [...document.querySelectorAll('#words .word .w')].some((w) => w.textContent === 'zyzzyvaqq'));
    assert.match(await text(page, '#try-model'), new RegExp(`^Predicting with run ${run}: GRU 8, adam 0\\.003, .*IMDB, \\d+ steps trained`));
    const chip = await page.$eval('#words .word.unk', (el) => ({ word: el.querySelector('.w').textContent, label: el.getAttribute('aria-label') }));
    assert.equal(chip.word, 'zyzzyvaqq', 'the unknown word as typed, not <unk>');
    assert.match(chip.label, /^zyzzyvaqq, unknown word/);
    assert.doesNotMatch(await text(page, '#words'), /<unk>/);
    await page.fill('#review', '   ');
    await page.waitForFunction(() => /^Type a review/.test(document.getElementById('verdict-text').textContent));
    assert.doesNotMatch(await text(page, '#verdict-text'), /Negative|Positive/);
    assert.equal(await page.locator('#words .word').count(), 0);
    assert.equal(await page.isVisible('#meter-fill'), false);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('seq2seq: the dates task\'s right answer; a character it cannot read is named; one output step in the singular', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=dates&hidden=16&steps=20');
    await page.click('#s2s-train');
    await page.waitForFunction(() => !window.rnnlab.s2s.running && window.rnnlab.s2s.runs.length > 0, null, { timeout: WAIT });
    await page.fill('#s2s-input', 'sunday 3 may 1998');
    await page.waitForFunction(() => document.getElementById('s2s-out-want').textContent === '1998-05-03');
    assert.equal(await page.isVisible('#s2s-out-want'), true);
    assert.match(await text(page, '#s2s-out-attn'), /✗ \d+ wrong| ✓ right/, 'the outputs are marked against the answer');
    await page.fill('#s2s-input', '31 February 1998');
    await page.waitForFunction(() => /^none: the task never writes a date this way/.test(document.getElementById('s2s-out-want').textContent));
    await page.fill('#s2s-input', '3 mai 1998 – été');
    await page.waitForFunction(() => /cannot be read/.test(document.getElementById('s2s-decode-info').textContent));
    const msg = await text(page, '#s2s-decode-info');
    assert.equal(msg, 'This input cannot be read: “–” (character 12) is not in the dates vocabulary (letters, digits, space and , - . /). ' +
      'Type only those characters.');
    // The text under the heatmap for a decoding of a single step (<eos> at once), as the page writes it.
    const info = await page.evaluate(() => {
      const one = { output: '', stoppedAtEos: true, inputTokens: ['a', 'b'], outputTokens: ['<eos>'] };
      window.rnnlab.s2s._renderDecode('ab', { plain: one, attn: { ...one, attention: { rows: 1, cols: 2, data: Float32Array.of(0.5, 0.5) } },
        answer: null });
      return document.getElementById('s2s-decode-info').textContent;
    });
    assert.match(info, /^Row: the one output step of the model with attention \(<eos>, the end: it wrote nothing\); columns: the 2 input characters\./);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('the ‖∂L/∂h_t‖ chart: step numbers, under the heatmap\'s columns, every ★ shown', async () => {
    for (const theme of ['light', 'dark']) {
      const page = await openPage(browser, server, { colorScheme: theme });
      await gotoLab(page, server, 'task=adding&len=100&cell=lstm&hidden=8&steps=20');
      await page.click('#train');
      assert.equal((await waitIdle(page)).status, 'done');
      await page.waitForFunction(() => window.Chart.getChart(document.getElementById('chart-dh'))?.data.datasets.length > 0
        && document.querySelector('#heatmap canvas')?.dataset.cols === '100');
      const got = await page.evaluate(() => {
        const ch = window.Chart.getChart(document.getElementById('chart-dh'));
        const c = ch.canvas.getBoundingClientRect(), x = ch.scales.x;
        // The heatmap's columns as it drew them: its plot's left edge and width.
        const hm = document.querySelector('#heatmap .heatmap-canvas'), h = hm.getBoundingClientRect();
        const left = h.left + Number(hm.dataset.left);
        return {
          labels: ch.data.labels.map(String),
          ticks: x.ticks.map((t) => ({ value: t.value, label: String(t.label) })),
          title: x.options.title.text,
          pixels: Array.from({ length: 100 }, (_, i) => c.left + x.getPixelForValue(i)),
          area: { left: c.left + ch.chartArea.left, right: c.left + ch.chartArea.right },
          columns: { left, right: left + Number(hm.dataset.plotWidth) },
        };
      });
      const marked = got.labels.flatMap((l, i) => (/★$/.test(l) ? [i] : []));
      assert.equal(marked.length, 2, `two marked steps: ${got.labels.join(' ')}`);
      assert.deepEqual(got.labels.map((l) => l.replace(/ ★$/, '')), Array.from({ length: 100 }, (_, i) => String(i + 1)),
        'the categories are the step numbers');
      assert.equal(got.title, 'step');
      for (const i of marked) assert.ok(got.ticks.some((t) => t.value === i && t.label === `${i + 1} ★`), `the ★ of step ${i + 1} is shown`);
      assert.ok(got.ticks.filter((t) => t.label !== '').length >= 10, 'steps are labelled along the axis');
      // Column t of the heatmap and step t of the chart: the same x (within a pixel).
      assert.ok(Math.abs(got.area.left - got.columns.left) <= 1, `the plot starts at the first column: ${got.area.left} vs ${got.columns.left}`);
      assert.ok(Math.abs(got.area.right - got.columns.right) <= 1, `and ends at the last: ${got.area.right} vs ${got.columns.right}`);
      const colW = (got.columns.right - got.columns.left) / 100;
      for (const i of [0, 37, 99]) {
        const center = got.columns.left + (i + 0.5) * colW;
        assert.ok(Math.abs(got.pixels[i] - center) <= 1, `step ${i + 1} at x ${got.pixels[i]}, its column's centre ${center}`);
      }
      await page.locator('#heatmap').scrollIntoViewIfNeeded();
      const box = await page.evaluate(() => {
        const a = document.getElementById('heatmap').getBoundingClientRect(), b = document.getElementById('chart-dh').getBoundingClientRect();
        return { x: a.left, y: a.top + window.scrollY, width: Math.max(a.width, b.width), height: b.bottom - a.top };
      });
      await page.screenshot({ path: `/tmp/i14b/dh-${theme}.png`, clip: box, fullPage: true }).catch(() => {});
      assert.deepEqual(page.problems(), []);
      await page.close();
    }
  });

  await t.test('?impl=student without a built module says to run the grader', async () => {
    const page = await openPage(browser, server);
    await page.route('**/web/student/rnnlab.wasm', (r) => r.fulfill({ status: 404, body: 'not found' }));
    await page.goto(`${server.url}?impl=student`);
    await page.waitForFunction(() => /could not start/.test(document.getElementById('status').textContent), null, { timeout: WAIT });
    const msg = await text(page, '#status');
    assert.match(msg, /your cells are not built for the browser yet/);
    assert.match(msg, /npm run grade/);
    assert.doesNotMatch(msg, /HTTP 404/);
    page.allowProblem(/404/);
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('cells finished, clipping not: the page suggests unticking Clip', { skip: noEmcc }, async () => {
    const wasm = cellsWithoutClipping();
    const page = await openPage(browser, server);
    await page.route('**/web/student/rnnlab.wasm', (r) => r.fulfill({ status: 200, contentType: 'application/wasm', body: wasm }));
    await gotoLab(page, server, 'impl=student&task=adding&len=10&cell=lstm&hidden=8&steps=20&clip=1');
    assert.match(await text(page, '#status'), /1 TODOs \(gradient clipping\).*with Clip unticked/);
    await page.click('#train');
    await page.waitForFunction(() => !window.rnnlab.state.running && /Training failed/.test(document.getElementById('status').textContent));
    const msg = await text(page, '#status');
    assert.match(msg, /gradient clipping is still a TODO/);
    assert.match(msg, /untick Clip/);
    await page.uncheck('input[name="clip"]');
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done', 'without clipping the finished LSTM trains');
    assert.ok(r.steps >= 20, `${r.steps} steps`);
    page.allowProblem(/.*/);
    await page.close();
  });
});

test('docs/walkthrough.md: relative links to the lab; §4 says the baseline wins on 2,000 reviews', () => {
  const md = readFileSync(`${ROOT}docs/walkthrough.md`, 'utf8');
  const links = [...md.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length >= 20, `${links.length} links`);
  for (const href of links) {
    assert.doesNotMatch(href, /^[a-z]+:/i, `a relative link, not ${href}`);
    const file = new URL(href.replace(/[?#].*$/, ''), pathToFileURL(`${ROOT}docs/walkthrough.md`));
    const target = file.pathname.endsWith('/') ? `${file.pathname}index.html` : file.pathname;
    assert.ok(existsSync(target), `${href} leads to ${target}, which is there`);
  }
  const s4 = md.slice(md.indexOf('## 4.'), md.indexOf('## 5.'));
  assert.doesNotMatch(s4, /barely/);
  assert.match(s4, /none of them does/);
  assert.match(s4, /25,000 training reviews/);
});
