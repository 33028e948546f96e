// server.test.mjs: web/serve.mjs, the server of `npm start`: it built what the page needs, serves the
// lab at /web/ and prepared data at /data/, with the right types (application/wasm, so the browser
// compiles while it downloads) and the page's CSP as a header; nothing outside web/ and data/, no
// traversal (plain, encoded, backslashes), no dotfiles, no listings, GET and HEAD only.
import test from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { startServer, ROOT } from './helpers.mjs';

// A raw request (fetch would normalise '..' out of the path before sending it).
function get(origin, path, method = 'GET') {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serve.mjs', { timeout: 1200000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.close());

  await t.test('built what the page needs', () => {
    assert.ok(existsSync(`${ROOT}web/vendor/chart.umd.js`));
    assert.ok(existsSync(`${ROOT}web/rnnlab.wasm`));
  });

  await t.test('serves the lab with the right types and its CSP', async () => {
    const types = { '/web/': 'text/html', '/web/app/main.js': 'text/javascript', '/web/style.css': 'text/css',
      '/web/rnnlab.wasm': 'application/wasm', '/web/vendor/chart.umd.js': 'text/javascript', '/web/favicon.svg': 'image/svg+xml',
      '/data/README.md': 'text/plain' };
    for (const [path, type] of Object.entries(types)) {
      const r = await get(server.origin, path);
      assert.equal(r.status, 200, path);
      assert.ok(r.headers['content-type'].startsWith(type), `${path}: ${r.headers['content-type']}`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.match(r.headers['content-security-policy'], /default-src 'self'/);
    }
    const head = await get(server.origin, '/web/rnnlab.wasm', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 1000);
  });

  await t.test('redirects / and /web to /web/, keeping the query', async () => {
    for (const p of ['/', '/web']) {
      const r = await get(server.origin, `${p}?task=copy`);
      assert.equal(r.status, 302);
      assert.equal(r.headers.location, '/web/?task=copy');
    }
  });

  await t.test('nothing outside web/ and data/, no traversal, no dotfiles, no listings', async () => {
    const denied = ['/package.json', '/.git/config', '/node_modules/chart.js/package.json', '/core/include/rnnlab.h',
      '/web/../package.json', '/web/%2e%2e/package.json', '/web/..%2fpackage.json', '/web/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/data/../.git/HEAD', '/web/..\\package.json', '/web/%5c..%5cpackage.json', '/web/.hidden', '/web/app/', '/web/nope.js',
      '/web/%00', '/web/%E0%A4%A'];
    for (const p of denied) {
      const r = await get(server.origin, p);
      assert.equal(r.status, 404, `${p} gave ${r.status}`);
    }
    const post = await get(server.origin, '/web/', 'POST');
    assert.equal(post.status, 405);
  });
});
