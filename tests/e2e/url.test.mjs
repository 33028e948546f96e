// url.test.mjs: the set-up lives in the URL (a link reproduces it, and a bad value in a link is reported,
// not half-applied); embed mode hides the control groups a course asks it to; the <rnn-lab> element puts
// a pre-configured lab in a page.
import test from 'node:test';
import assert from 'node:assert/strict';
import { skip, startLab, openPage, gotoLab, shot, WAIT } from './helpers.mjs';

const FORM_KEYS = ['task', 'len', 'cell', 'layers', 'bi', 'hidden', 'fb', 'seed', 'opt', 'lr', 'clip', 'clipAt', 'batch', 'steps', 'bptt'];

test('configuration in the URL, embed mode, <rnn-lab>', { skip, timeout: 1200000 }, async (t) => {
  const { server, browser } = await startLab(t);

  await t.test('a set-up round-trips through the URL', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server);
    await page.selectOption('#task', 'copy');
    await page.fill('#len', '35');  // range input: fill sets its value and fires input
    await page.check('input[name="cell"][value="gru"]');
    await page.fill('input[name="hidden"]', '24');
    await page.fill('input[name="layers"]', '2');
    await page.check('input[name="bi"]');
    await page.fill('input[name="seed"]', '7');
    await page.selectOption('select[name="opt"]', 'momentum');
    await page.fill('input[name="lr"]', '0.005');
    await page.uncheck('input[name="clip"]');
    await page.fill('input[name="batch"]', '16');
    await page.fill('input[name="steps"]', '77');
    await page.fill('input[name="bptt"]', '10');
    await page.locator('input[name="bptt"]').blur();
    const want = await page.evaluate(() => window.rnnlab.state.cfg);
    const url = page.url();
    for (const [k, v] of [['task', 'copy'], ['len', '35'], ['cell', 'gru'], ['hidden', '24'], ['layers', '2'], ['bi', '1'], ['seed', '7'],
      ['opt', 'momentum'], ['lr', '0.005'], ['clip', '0'], ['batch', '16'], ['steps', '77'], ['bptt', '10']])
      assert.equal(new URL(url).searchParams.get(k), v, `${k} in ${url}`);
    await page.close();

    const again = await openPage(browser, server);
    await again.goto(url);
    await again.waitForSelector('body[data-ready="1"]');
    const got = await again.evaluate(() => window.rnnlab.state.cfg);
    for (const k of FORM_KEYS) assert.equal(got[k], want[k], k);
    assert.equal(await again.inputValue('input[name="hidden"]'), '24');
    assert.equal(await again.isChecked('input[name="cell"][value="gru"]'), true);
    assert.equal(await again.isChecked('input[name="clip"]'), false);
    assert.equal(await again.isDisabled('input[name="clipAt"]'), true);
    assert.equal(new URL(again.url()).search, new URL(url).search, 'the page writes back the same URL');
    assert.deepEqual(again.problems(), []);
    await again.close();
  });

  await t.test('a bad value in a link is reported and replaced by the default', async () => {
    const page = await openPage(browser, server);
    await gotoLab(page, server, 'task=adding&hidden=abc&cell=mamba');
    assert.match(await page.textContent('#status'), /Hidden size must be a number, not 'abc'/);
    assert.match(await page.textContent('#status'), /cell must be one of rnn, lstm, gru/);
    assert.equal(await page.inputValue('input[name="hidden"]'), '32');
    await page.close();
  });

  await t.test('embed mode hides the chosen controls', async () => {
    const page = await openPage(browser, server, { viewport: { width: 900, height: 900 } });
    await gotoLab(page, server, 'embed=1&hide=optimizer,data,presets&task=adding&cell=rnn');
    assert.equal(await page.evaluate(() => document.body.classList.contains('embed')), true);
    assert.equal(await page.isVisible('fieldset[data-group="optimizer"]'), false);
    assert.equal(await page.isVisible('fieldset[data-group="data"]'), false);
    assert.equal(await page.isVisible('section[data-group="presets"]'), false);
    assert.equal(await page.isVisible('fieldset[data-group="model"]'), true);
    assert.equal(await page.isVisible('#train'), true);
    assert.equal(await page.isVisible('footer'), false);
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('embed'), '1');
    assert.equal(q.get('hide'), 'optimizer,data,presets');
    await shot(page, 'embed');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });

  await t.test('<rnn-lab> puts a pre-configured lab in a course page', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.url}embed-example.html`);
    const handle = await page.waitForFunction(() => document.querySelector('rnn-lab')?.shadowRoot?.querySelector('iframe'));
    const iframe = await handle.asElement().contentFrame();
    await iframe.waitForSelector('body[data-ready="1"]', { timeout: WAIT });
    assert.equal(await iframe.evaluate(() => document.body.classList.contains('embed')), true);
    assert.equal(await iframe.isVisible('fieldset[data-group="optimizer"]'), false);
    assert.equal(await iframe.isChecked('input[name="cell"][value="rnn"]'), true);
    assert.equal(await iframe.inputValue('input[name="steps"]'), '600');
    await shot(page, 'element');
    assert.deepEqual(page.problems(), []);
    await page.close();
  });
});
