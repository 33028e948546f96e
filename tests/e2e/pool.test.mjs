// pool.test.mjs: the model group's "Head reads" choice (the core's pools: the last state, the mean or the
// max of all states). It shows for the recurrent cells on sequence-to-one tasks only, with its note; a link
// sets it; a run made with it has a model whose head reads that pool (and the form's dropout), and its
// label says so. Screenshots: both themes and a phone's width (tests/artifacts/).
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, waitIdle, shot } from './helpers.mjs';

test('the pooled head in the page', { skip, timeout: 900000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('a select in the model group; a run reads the pool; hidden where it does not apply', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=copy&len=10&steps=60&pool=mean&dropout=0.2');
    const visible = (sel) => page.evaluate((s) => !document.querySelector(s).closest('[hidden]'), sel);
    assert.equal(await page.inputValue('select[name="pool"]'), 'mean', 'the link sets it');
    assert.ok(await visible('select[name="pool"]') && await visible('#pool-hint'));
    assert.match(await page.textContent('#pool-hint'), /hides the vanishing gradient/);
    await page.click('#train');
    const r = await waitIdle(page);
    assert.equal(r.status, 'done', r.error);
    assert.match(r.label, /dropout 0\.2, mean pool/);
    const config = await page.evaluate(() => window.rnnlab.state.model.config);
    assert.equal(config.pool, 'mean', 'the model\'s head reads the mean');
    assert.equal(config.dropout, 0.2, 'the form\'s dropout reached the model');
    await shot(page, 'pool-light', { fullPage: false, clip: await page.locator('fieldset[data-group="model"]').first().boundingBox() });

    // The other kinds: a Transformer has no pool, nor has a task with an output at every step.
    await page.check('input[name="cell"][value="transformer"]');
    assert.ok(!(await visible('select[name="pool"]')), 'hidden for a Transformer');
    await page.check('input[name="cell"][value="gru"]');
    assert.ok(await visible('select[name="pool"]'));
    await page.selectOption('#task', 'sine');
    assert.ok(!(await visible('select[name="pool"]')), 'hidden for a per-step task');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('dark theme and a phone\'s width: the choice and its note read', async () => {
    const page = await openPage(browser, server, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await gotoLab(page, server, 'task=adding&pool=max');
    assert.equal(await page.inputValue('select[name="pool"]'), 'max');
    const box = await page.locator('select[name="pool"]').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the select fits the width: ${JSON.stringify(box)}`);
    await page.locator('select[name="pool"]').scrollIntoViewIfNeeded();
    await shot(page, 'pool-phone-dark', { fullPage: false });
    assert.deepEqual(page.problems(), []);
    await page.close();
  });
});
