// file-check.js: the one classic (non-module) script of the page, so that it still runs where module
// scripts cannot. A page opened from a file (file://) loads no modules, Worker or WebAssembly in any
// browser: without this, the page would stay silent and dead. It says what to do instead.
'use strict';
(function () {
  if (location.protocol !== 'file:') return;
  const show = () => {
    const el = document.getElementById('file-warning');
    if (!el) return;
    el.textContent = 'This page was opened as a file (file://), and browsers do not run its modules, its background ' +
      'thread or WebAssembly from files. Serve it instead: in the repository, run npm start and open the address it ' +
      'prints (http://localhost:8080/web/); or serve this folder with any static web server (for example ' +
      'python3 -m http.server 8080 in it) and open index.html through http://.';
    el.hidden = false;
    const status = document.getElementById('status');
    if (status) {
      status.textContent = 'Not started: open this page through a web server (see the message at the top).';
      status.className = 'status-line error';
    }
    for (const b of document.querySelectorAll('#train, [data-preset], #s2s-train')) b.disabled = true;
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show);
  else show();
})();
