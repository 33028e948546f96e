// movie.test.mjs: the page's "Validation: whole movies" field on a small archive made here (tests/js/movies.mjs,
// nothing from IMDB): on, the Worker's subset says its validation reviews are of other movies, with the
// bytes of prepareImdb with valByMovie; off, another subset (its own cache key); the full-set choice
// (imdbfull) has it on by default, and a link carries it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RnnLab } from '../../web/rnnlab.js';
import { members, tar } from '../js/movies.mjs';
import { skip, startLab, openPage, gotoLab, WAIT } from './helpers.mjs';

const status = (page) => page.textContent('#data-status');
const SUBSET = 'train=60&val=16&test=20&vocab=100&maxLen=20';
const NOTE = /validation reviews are of other movies than the training ones/;

test('validation by whole movies in the page', { skip, timeout: 600000 }, async (t) => {
  const { server, browser } = await startLab(t);
  const archive = { name: 'movies.tar', mimeType: 'application/x-tar', buffer: Buffer.from(tar(members(true))) };

  const page = await openPage(browser, server);
  await gotoLab(page, server, `task=imdbfile&${SUBSET}&valByMovie=1`);
  assert.equal(await page.isChecked('input[name="valByMovie"]'), true, 'the link sets the field');
  await page.setInputFiles('#file', archive);
  await page.waitForFunction(() => /60 training, 16 validation and 20 test reviews/.test(document.getElementById('data-status').textContent),
    null, { timeout: WAIT });
  assert.match(await status(page), NOTE);

  // The subset the Worker made (kept under its cache key, which names the field) is the wrapper's with the same
  // options: the page passes valByMovie to the core.
  const lab = await RnnLab.load();
  const want = await lab.prepareImdb(tar(members(true)), { train: 60, val: 16, test: 20, vocab: 100, maxLen: 20, keepEnd: true,
    valByMovie: true, seed: 1 });
  const got = await page.evaluate(async () => {
    const { cacheGet } = await import('./app/files.js');
    const kept = await cacheGet('imdb|60|16|20|100|20|true|movies');
    return kept ? Array.from(kept.bytes) : null;
  });
  assert.deepEqual(got, Array.from(want.toBytes()));
  want.free();

  // Off: a subset drawn at random again, without the note.
  await page.click('summary:has-text("Subset drawn from the archive")');
  await page.uncheck('input[name="valByMovie"]');
  await page.waitForFunction((re) => /60 training, 16 validation/.test(document.getElementById('data-status').textContent)
    && !new RegExp(re).test(document.getElementById('data-status').textContent), NOTE.source, { timeout: WAIT });
  assert.match(page.url(), /task=imdbfile/);
  assert.doesNotMatch(page.url(), /valByMovie/, 'the default (off) stays out of the link');
  assert.deepEqual(page.problems(), []);
  await page.close();

  // The full-set choice validates on whole movies unless the link says otherwise.
  const full = await openPage(browser, server);
  await gotoLab(full, server, 'task=imdbfull');
  assert.equal(await full.evaluate(() => window.rnnlab.state.cfg.valByMovie), true);
  await gotoLab(full, server, 'task=imdbfull&valByMovie=0');
  assert.equal(await full.evaluate(() => window.rnnlab.state.cfg.valByMovie), false);
  await full.close();
});
