// files.test.mjs: what goes in and out of the page as files. A trained model saved as a download (.rnl)
// loads back, in a fresh page, with its parameters and step count, and trains on; metrics export as CSV
// and charts as PNG; a file that is none of the lab's kinds gets a clear message, and so does a hidden size
// past the core's limit (hidden 100000: the page's form has the core's range), an impossible model (each
// size within its limit, too many parameters together: the core's message), and a model too large to train
// in the WebAssembly memory (with the memory it needs): in each case the trained model stays. A reload with
// a trained, unsaved model asks first (beforeunload).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { skip, startLab, openPage, gotoLab, waitIdle, shot, ARTIFACTS } from './helpers.mjs';

// A 1x1 PNG: a file that is not data, not a model.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

test('files: checkpoints, exports, bad input', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('a saved checkpoint loads back into a fresh page and trains on', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=20&steps=40&cell=gru&hidden=12&layers=2');
    await page.click('#train');
    await waitIdle(page);
    const params = await page.evaluate(() => window.rnnlab.state.model.numParams);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-model')]);
    assert.match(download.suggestedFilename(), /^rnnlab-adding-gru-h12-step40\.rnl$/);
    const path = `${ARTIFACTS}saved.rnl`;
    await download.saveAs(path);
    const bytes = readFileSync(path);
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'RNNLABCK');
    assert.match(await page.textContent('#status'), /Saved rnnlab-adding-gru-h12-step40\.rnl/);

    // Metrics as CSV: a header and one row per step.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const text = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    assert.equal(text[0], 'run,label,task,cell,step,train_loss,train_loss_avg,grad_norm,clipped,train_accuracy,heldout_loss,heldout_accuracy');
    assert.equal(text.length, 41);
    // A chart as PNG.
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('button[data-png="loss"]')]);
    assert.equal(png.suggestedFilename(), 'rnnlab-loss.png');
    assert.deepEqual(readFileSync(await png.path()).subarray(0, 4), PNG.subarray(0, 4));
    await page.close();

    const fresh = await openPage(browser, server);
    await gotoLab(fresh, server);  // defaults: LSTM, hidden 32
    await fresh.setInputFiles('#load-model', path);
    await fresh.waitForFunction(() => /^Loaded saved\.rnl/.test(document.getElementById('status').textContent));
    assert.match(await fresh.textContent('#status'), /GRU, 2 layers, hidden 12, .* 40 steps trained/);
    assert.equal(await fresh.evaluate(() => window.rnnlab.state.model.numParams), params);
    assert.equal(await fresh.isChecked('input[name="cell"][value="gru"]'), true, 'the controls follow the loaded model');
    assert.equal(await fresh.inputValue('input[name="hidden"]'), '12');
    assert.equal(await fresh.textContent('#train'), 'Train more');
    await fresh.fill('input[name="len"]', '20');
    await fresh.fill('input[name="steps"]', '10');
    await fresh.click('#train');
    const r = await waitIdle(fresh);
    assert.equal(r.steps, 50, 'the loaded model continues from its 40 steps');
    assert.deepEqual(fresh.problems(), []);
    await fresh.close();
  });

  await t.test('a file that is not data gets a clear message, and the model stays', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=10&steps=20&hidden=8');
    await page.click('#train');
    await waitIdle(page);
    const modelId = await page.evaluate(() => window.rnnlab.state.model.modelId);
    await page.setInputFiles('#load-model', { name: 'holiday.png', mimeType: 'image/png', buffer: PNG });
    await page.waitForFunction(() => document.getElementById('data-status').classList.contains('error'));
    const msg = await page.textContent('#data-status');
    assert.match(msg, /“holiday\.png” is not a file the lab can open: it looks like a PNG image/);
    assert.match(msg, /Your model and data are unchanged/);
    // A truncated checkpoint: the core's own message.
    await page.setInputFiles('#load-model', { name: 'broken.rnl', mimeType: 'application/octet-stream',
      buffer: Buffer.concat([Buffer.from('RNNLABCK'), Buffer.alloc(40)]) });
    await page.waitForFunction(() => /broken\.rnl/.test(document.getElementById('status').textContent));
    assert.match(await page.textContent('#data-status'), /bad format|truncated|checkpoint/i);
    assert.equal(await page.evaluate(() => window.rnnlab.state.model.modelId), modelId);
    assert.equal(await page.textContent('#train'), 'Train more');
    await shot(page, 'bad-file', { fullPage: false });
    page.allowProblem(/.*/);
    await page.close();
  });

  // Trains a small model from `query`, then sets the model fields and presses Train: the page refuses that
  // model (its status matches `refused`: by default, it could not make it) and keeps the trained one.
  // Returns the page and the status message.
  async function refusedModel(query, fields, refused = /Could not make this model/) {
    const page = await openPage(browser, server);
    await gotoLab(page, server, query);
    await page.click('#train');
    await waitIdle(page);
    const modelId = await page.evaluate(() => window.rnnlab.state.model.modelId);
    for (const [name, value] of Object.entries(fields)) await page.fill(`input[name="${name}"]`, value);
    await page.click('#train');
    await page.waitForFunction((re) => new RegExp(re).test(document.getElementById('status').textContent), refused.source);
    const msg = await page.textContent('#status');
    assert.equal(await page.evaluate(() => window.rnnlab.state.model.modelId), modelId);
    assert.equal(await page.isEnabled('#save-model'), true);
    assert.equal(await page.isEnabled('#train'), true);
    page.allowProblem(/.*/);
    return { page, msg };
  }

  await t.test('a hidden size past the core\'s limit (100000) is refused with the core\'s range, and the trained model stays', async () => {
    const { page, msg } = await refusedModel('task=adding&len=10&steps=20&hidden=8', { hidden: '100000' }, /Fix the set-up first/);
    const { min, max } = await page.evaluate(() => window.rnnlab.state.engine.limits.hidden);
    assert.equal(msg, `Fix the set-up first: Hidden size is 100000; it must be between ${min} and ${max}.`);
    assert.equal(await page.getAttribute('input[name="hidden"]', 'max'), String(max), 'the input stops at the core\'s limit');
    assert.equal(await page.getAttribute('input[name="hidden"]', 'aria-invalid'), 'true');
    await page.close();
  });

  await t.test('an impossible model (8 layers of 4096) gets the core\'s message, and the trained model stays', async () => {
    const { page, msg } = await refusedModel('task=adding&len=10&steps=20&hidden=8', { hidden: '4096', layers: '8' });
    assert.match(msg, /The previous model is kept/);
    assert.match(msg, /the model would have \d+ parameters, more than the limit of \d+/);
    await page.close();
  });

  await t.test('a model too large to train in the WebAssembly memory is refused at once, with the memory it needs', async () => {
    // 4.2 M parameters (within the core's limits), but training at batch 256 x length 200 needs
    // 2.5 GB, beyond the 2 GB WebAssembly memory.
    const { page, msg } = await refusedModel('task=adding&len=200&steps=5&hidden=8&batch=4&cell=lstm', { hidden: '1024', batch: '256' });
    assert.match(msg, /The previous model is kept/);
    assert.match(msg, /needs [\d.]+ MB/);
    assert.match(msg, /batch 256, length 200/);
    await page.close();
  });

  await t.test('a reload with a trained, unsaved model asks first', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&len=10&steps=10&hidden=8');
    await page.click('#train');
    await waitIdle(page);
    // A user gesture happened (the click), so the browser may show the dialog.
    const dialog = new Promise((resolve) => page.once('dialog', async (d) => {
      resolve(d.type());
      await d.dismiss();
    }));
    await page.close({ runBeforeUnload: true });
    assert.equal(await dialog, 'beforeunload');
  });
});
