// step-state.test.mjs: "Step through one cell" and "The state's path" (web/app/stepcell.js, statepath.js)
// on the repository's hand-made IMDB fixture (nothing from IMDB). An RNN, then an LSTM, trained in the page:
// the step-through shows the LSTM's equations for the typed review and follows the buttons, the keys and a
// click on the gate heatmap's column (which it highlights); its numbers are those Model.inspectText gives
// in Node for the same checkpoint, review and label; the state's path draws both runs side by side over the
// test cloud, with the same points as the API. During a run, the buttons and keys answer and a Redraw comes
// back while the run still trains (its request waits in the Worker for the next pause between steps).
// Screenshots in both themes and at phone width go to tests/artifacts/ for a person to look at.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RnnLab } from '../../web/rnnlab.js';
import { skip, startLab, openPage, gotoLab, waitIdle, waitSteps, canvasDrawn, unlabelled, shot, WAIT } from './helpers.mjs';

const fixture = (p) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const SUBSET = { train: 6, val: 2, test: 6, vocab: 10000, maxLen: 200, keepEnd: true, seed: 1 };  // the page's imdbOpts for the query
const QUERY = 'task=imdbfile&train=6&val=2&test=6&cell=rnn&hidden=8&emb=8&epochs=3&batch=2&lr=0.01';
const TEXT = 'a wonderful film with a terrible ending';

// tol: relative. The step-through is the core's walk in double precision: the same numbers in any module,
// up to a printed double (1e-12). The state's path and cloud project onto a PCA of states the float32
// forward computed, whose gemms differ in the last bits in the relaxed-SIMD module Chromium may run
// (docs/performance.md, "Rounding"): against this Node's plain module they agree to float32 precision.
const close = (what, got, want, tol = 1e-12) => {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: page ${got[i]}, API ${want[i]}`);
};

const stepPos = (page) => page.textContent('#step-pos');
const waitStep = (page, t) => page.waitForFunction((k) => document.getElementById('step-panel').dataset.step === String(k)
  && document.getElementById('heatmap').querySelector('canvas').dataset.column === String(k), t);

test('step through one cell, and the state’s path', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);
  const lab = await RnnLab.load();
  const dataset = await lab.prepareImdb(readFileSync(fixture('tar/imdb_mini_gnu.tar.gz')), SUBSET);
  t.after(() => dataset.free());

  const page = await openPage(browser, server);
  await gotoLab(page, server, QUERY);
  await page.setInputFiles('#file', fixture('tar/imdb_mini_gnu.tar.gz'));
  await page.waitForFunction(() => /6 training/.test(document.getElementById('data-status').textContent));
  assert.equal(await page.isVisible('#step-card'), true, 'shown for a text task');
  assert.equal(await page.isVisible('#state-card'), true);

  await t.test('one run: the current model alone, and how to get the pair', async () => {
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    await page.fill('#review', TEXT);
    await page.waitForFunction(() => document.getElementById('chart-state-a').dataset.points === '7');
    assert.equal(await page.isVisible('#state-panel-b'), false);
    assert.match(await page.textContent('#state-info'), /Only run 1 \(RNN 8.*train the other cell on the same data/);
    // The RNN's one path, through W_hh.
    await page.waitForFunction(() => /of 7/.test(document.getElementById('step-pos').textContent));
    await page.focus('#step-panel');
    await page.keyboard.press('End');
    await waitStep(page, 6);
    assert.match(await page.textContent('#step-info'), /via W_hh and tanh′/);
    assert.equal(await page.$$eval('#step-eqs tr[data-gate]', (rows) => rows.length), 3, 'one block (h) for each of 3 units');
  });

  await t.test('an LSTM beside it: the step-through follows buttons, keys and the heatmap, with the API’s numbers', async () => {
    await page.check('input[name="cell"][value="lstm"]');
    await page.click('#train');
    assert.equal((await waitIdle(page)).status, 'done');
    await page.fill('#review', `${TEXT} `);  // a new trace of the same words, for the new model
    await page.waitForFunction(() => document.getElementById('chart-state-b').dataset.points === '7'
      && /LSTM/.test(document.getElementById('state-title-b').textContent));
    assert.match(await page.textContent('#state-title-a'), /^Run 1: RNN/, 'the RNN on the left');
    assert.match(await page.textContent('#state-info'), /Run 1 \(RNN\) beside run 2 \(LSTM\)/);
    await page.waitForFunction(() => document.querySelectorAll('#step-eqs tr[data-gate="f"]').length === 3);
    assert.match(await stepPos(page), /^Word \d of 7/);

    // Buttons, then the keys on the focused panel, then a click on a heatmap column.
    await page.focus('#step-panel');
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    assert.match(await stepPos(page), /^Word 1 of 7: “a”/);
    assert.equal(await page.isDisabled('#step-prev'), true);
    await page.click('#step-next');
    await waitStep(page, 1);
    assert.match(await stepPos(page), /“wonderful”/);
    await page.focus('#step-panel');
    await page.keyboard.press('ArrowRight');
    await waitStep(page, 2);
    await page.keyboard.press('End');
    await waitStep(page, 6);
    assert.equal(await page.isDisabled('#step-next'), true);
    await page.keyboard.press('ArrowLeft');
    await waitStep(page, 5);
    await page.click('#step-prev');
    await waitStep(page, 4);
    assert.match(await page.textContent('#step-info'), /via the cell state \(‖f_t ⊙ ∂L\/∂c_t‖\), and .* via the gates/);
    const box = await page.$eval('#heatmap canvas', (c) => ({ left: Number(c.dataset.left), w: Number(c.dataset.plotWidth), cols: Number(c.dataset.cols) }));
    assert.equal(box.cols, 7, 'the heatmap shows the same review');
    await page.click('#heatmap canvas', { position: { x: box.left + 3.5 * box.w / box.cols, y: 16 } });  // column 3, unit 0
    await waitStep(page, 3);
    assert.match(await stepPos(page), /^Word 4 of 7: “with”/);
    // The state's paths ring the same word.
    await page.waitForFunction(() => ['a', 'b'].every((k) => document.getElementById(`chart-state-${k}`).dataset.ringed === '3'));

    // The numbers shown, against Model.inspectText on the same checkpoint, review and label.
    const bytes = await page.evaluate(() => Array.from(window.rnnlab.state.model.rec.snapshot));
    const m = lab.loadCheckpoint(Uint8Array.from(bytes));
    const label = m.predictText(TEXT).probability >= 0.5 ? 0 : 1;
    const want = m.inspectText(TEXT, { units: [0, 1, 2], label });
    const shown = await page.$$eval('#step-eqs section.unit-eqs', (els) => els.map((el) => ({
      unit: Number(el.dataset.unit),
      rows: [...el.querySelectorAll('tr[data-gate]')].map((r) => [r.dataset.gate, [...r.querySelectorAll('.eqv')].map((s) => Number(s.dataset.v))]),
      lines: [...el.querySelectorAll('.eq')].map((l) => [...l.querySelectorAll('.eqv')].map((s) => Number(s.dataset.v))),
    })));
    assert.deepEqual(shown.map((s) => s.unit), [0, 1, 2]);
    const tok = want.tokens[3];
    assert.equal(tok.word, 'with');
    for (const [i, s] of shown.entries()) {
      const u = tok.units[i];
      assert.deepEqual(s.rows.map((r) => r[0]), ['i', 'f', 'g', 'o']);
      s.rows.forEach(([g, v], k) => close(`unit ${s.unit} gate ${g}`, v, [u.xPart[k], u.hPart[k], u.pre[k], u.gates[k]]));
      // c_t = f c_{t-1} + i g; h_t = o tanh(c_t); then dL/dh_t, dL/dc_t.
      close(`unit ${s.unit} c_t`, s.lines[0], [u.gates[1], u.cPrev, u.gates[0], u.gates[2], u.c]);
      close(`unit ${s.unit} h_t`, s.lines[1], [u.gates[3], u.c, u.h]);
      close(`unit ${s.unit} backward`, s.lines[2], [u.dh, u.dc]);
    }
    const ch = await page.evaluate(() => {
      const c = window.Chart.getChart(document.getElementById('chart-paths'));
      return { labels: c.data.labels, sets: c.data.datasets.map((d) => ({ label: d.label, v: d.data })) };
    });
    assert.deepEqual(ch.labels, want.tokens.map((x) => x.word));
    close('‖∂L/∂h_t‖', ch.sets[0].v, want.tokens.map((x) => x.gradH));
    assert.deepEqual(want.paths, ['cell', 'gates']);
    close('cell path', ch.sets[1].v.slice(1), want.tokens.slice(1).map((x) => x.paths.cell));
    close('gate path', ch.sets[2].v.slice(1), want.tokens.slice(1).map((x) => x.paths.gates));

    // The state's path of the LSTM (right), with the cloud of the 6 test reviews, as the API draws it.
    const path = await page.evaluate(() => window.Chart.getChart(document.getElementById('chart-state-b')).data.datasets.map((d) => d.data));
    const withCloud = m.inspectText(TEXT, { units: [0], label, dataset, reviews: 6 });
    assert.equal(withCloud.projection.fittedOn, 'dataset');
    const floatTol = /wasmrelaxed/.test(await page.textContent('#engine')) ? 1e-5 : 1e-12;
    close('the path', path[2].flatMap((p) => [p.x, p.y]), withCloud.tokens.flatMap((x) => x.xy), floatTol);
    const cloud = [...path[0], ...path[1]].flatMap((p) => [p.x, p.y]).sort();
    close('the cloud', cloud, Array.from(withCloud.cloud.xy).sort(), floatTol);
    assert.equal(path[0].length, Array.from(withCloud.cloud.labels).filter((l) => l === 0).length);
    m.free();

    assert.ok(await canvasDrawn(page, '#chart-state-a'));
    assert.ok(await canvasDrawn(page, '#chart-paths'));
    assert.deepEqual(await unlabelled(page, '#step-card'), []);
    assert.deepEqual(await unlabelled(page, '#state-card'), []);
    assert.deepEqual(page.problems(), []);
  });

  await t.test('screenshots: both themes, and a phone', async () => {
    for (const [theme, width] of [['light', 1280], ['dark', 1280], ['dark', 390], ['light', 390]]) {
      await page.emulateMedia({ colorScheme: theme });
      await page.setViewportSize({ width, height: 900 });
      await page.waitForFunction(() => document.getElementById('chart-state-b').dataset.points === '7');
      // Nothing wider than the screen: the equations scroll inside their blocks.
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `no sideways scroll at ${width} px`);
      for (const id of ['step-card', 'state-card']) await page.locator(`#${id}`).screenshot({ path: `${fileURLToPath(new URL('../artifacts/', import.meta.url))}${id}-${theme}-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await shot(page, 'step-state-page');
  });

  await t.test('no view blocks training: the controls answer, and a Redraw comes back between steps', async () => {
    // A wider model (a new run) whose steps take long enough that the run outlasts what follows; stopped below.
    await page.fill('input[name="hidden"]', '384');
    await page.fill('input[name="epochs"]', '2000');
    await page.click('#train');
    await waitSteps(page, 2);
    assert.equal(await page.evaluate(() => window.rnnlab.state.running), true);
    await page.focus('#step-panel');
    await page.keyboard.press('Home');
    await waitStep(page, 0);
    await page.click('#step-next');
    await waitStep(page, 1);
    // Redraw while the run trains: the request waits in the Worker's queue for the next step and comes back.
    const before = await page.evaluate(() => window.rnnlab.state.model.rec.train.length);
    await page.evaluate(() => {
      window.__redrawn = null;
      const card = document.getElementById('state-card');
      new MutationObserver((_, obs) => {
        if (!card.dataset.busy) {
          window.__redrawn = { running: window.rnnlab.state.running };
          obs.disconnect();
        }
      }).observe(card, { attributes: true, attributeFilter: ['data-busy'] });
      document.getElementById('state-redraw').click();
    });
    await page.waitForFunction(() => window.__redrawn !== null);
    assert.equal(await page.evaluate(() => window.__redrawn.running), true, 'the Redraw answered while the run trained');
    await page.waitForFunction((n) => window.rnnlab.state.model.rec.train.length > n, before);
    await page.click('#stop');
    assert.equal((await waitIdle(page)).status, 'stopped');
    assert.deepEqual(page.problems(), []);
  });
});
