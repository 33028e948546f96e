#!/usr/bin/env node
// build-site.mjs (`npm run build:site`): the lab as a self-contained static folder for a course site, with
// index.html at its root. Nothing in it needs the repository's layout or a server of its own: any static
// host serves it, under any sub-path.
//
//     npm run build:site -- --out site
//     npm run build:site -- --out site --with-data data/imdb-2000.rnld data/daily-min-temperatures.csv
//
// What goes in, by rule (other people add page modules; no file list to keep up to date):
//   - everything under web/ except what only builds or tests the lab: the folders node/ (Node scripts) and
//     student/ (a student's own module from the grader), dot-files, and the extensions .c .h .cmake (the
//     C side), .ts (types for editors), .mjs (Node scripts: serve.mjs), .txt (the build's export list,
//     build notes); web/site.js is replaced by one written for the site (below);
//   - the module and the vendored Chart.js, built first when missing (by `node web/serve.mjs --build-only`,
//     the same step as `npm start`, which says what to install when emscripten is missing);
//   - docs/walkthrough.md as walkthrough.html, its links to the lab pointing at the index.html beside it;
//   - README.md, on hosting the folder;
//   - with --with-data: the prepared subsets (.rnld) and series (.csv) given, in data/.
// Then every relative URL the copied HTML and JavaScript name (script src, link href, import, import(),
// new URL(..., import.meta.url)) must resolve to a file of the folder, or the build fails.
//
// Where the page finds its data: web/app/config.js takes the IMDB task's and the temperature task's default
// Data URLs from web/site.js (in the repository: ../data/..., beside web/). Here site.js is written with
// data/<file>, relative to the site's index.html: the first text subset and the first CSV given, or the
// usual names when none is, so files copied into data/ later are found.
// Exit status: 0 built, 1 failed (a message on stderr), 2 bad flags.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { LISTENER } from '../app/embed.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WEB = join(ROOT, 'web');
const MARK = '.rnnlab-site';  // in a folder this script built, so that a rebuild may replace it

// The copy rules (see the opening comment).
const SKIP_DIRS = new Set(['node', 'student']);
const SKIP_EXT = new Set(['.c', '.h', '.cmake', '.ts', '.mjs', '.txt']);
const SKIP_FILES = new Set(['site.js']);  // at web/'s top: written for the site instead
export const isTestFile = (name) => /\.test\.[cm]?js$/.test(name) || name === 'test' || name === 'tests';

const DEFAULT_DATA = { imdb: 'data/imdb-2000.rnld', temp: 'data/daily-min-temperatures.csv' };

const HELP = `usage: npm run build:site -- --out DIR [--with-data PATH...]

Writes the lab as a static folder DIR (index.html at its root) to upload to a course site.
  --out DIR             the folder to write: new, empty, or made by an earlier build:site
  --with-data PATH...   prepared IMDB subsets (.rnld, from npm run data) and series (.csv, e.g. the daily
                        minimum temperatures), or folders holding them: copied into DIR/data/; the first
                        subset and the first CSV become the page's default Data URLs
DIR/README.md says how to host it.`;

class UsageError extends Error {}

function parseArgs(argv) {
  const a = { out: null, data: [] };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === '--help' || f === '-h') return { help: true };
    if (f === '--out') {
      if (i + 1 >= argv.length) throw new UsageError('--out needs a folder');
      a.out = argv[++i];
    } else if (f === '--with-data') {
      const start = i;
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) a.data.push(argv[++i]);
      if (i === start) throw new UsageError('--with-data needs at least one file or folder');
    } else {
      throw new UsageError(`unknown argument '${f}'`);
    }
  }
  if (!a.out) throw new UsageError('--out DIR is required');
  return a;
}

// --- The output folder -----------------------------------------------------------------------------------

// Refuses a folder that holds anything but an earlier site (never deletes someone's files), or one that
// would copy into itself or swallow the repository; empties an earlier site.
function prepareOut(out) {
  if (out === ROOT || ROOT.startsWith(out + sep)) throw new Error(`--out ${out}: that would replace the repository`);
  if (out === WEB || out.startsWith(WEB + sep)) throw new Error(`--out ${out}: it is inside web/, which is copied from`);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`--out ${out}: not a folder`);
    const names = readdirSync(out);
    if (names.length && !names.includes(MARK))
      throw new Error(`--out ${out}: the folder is not empty and was not made by build:site; give a new or empty folder`);
    for (const n of names) rmSync(join(out, n), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, MARK), 'Made by `npm run build:site` (rnnlab). The next build:site into this folder replaces everything in it.\n');
}

/** Copies web/ into out by the rules; returns the copied paths, relative to out. */
function copyWeb(out) {
  const copied = [];
  const walk = (from, to, top) => {
    for (const ent of readdirSync(from, { withFileTypes: true })) {
      const name = ent.name;
      if (name.startsWith('.') || isTestFile(name)) continue;
      const src = join(from, name), dst = join(to, name);
      if (ent.isDirectory()) {
        if (SKIP_DIRS.has(name)) continue;
        walk(src, dst, false);
      } else if (ent.isFile() || (ent.isSymbolicLink() && statSync(src).isFile())) {
        if (SKIP_EXT.has(extname(name).toLowerCase()) || (top && SKIP_FILES.has(name))) continue;
        mkdirSync(to, { recursive: true });
        copyFileSync(src, dst);
        copied.push(relative(out, dst).split(sep).join('/'));
      }
    }
  };
  walk(WEB, out, true);
  return copied;
}

// --- Data --------------------------------------------------------------------------------------------------

// The files of --with-data: a file as it is, a folder's .rnld and .csv files (not its sub-folders).
function dataFiles(paths) {
  const files = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new Error(`--with-data ${p}: no such file or folder`);
    if (statSync(abs).isDirectory()) {
      const found = readdirSync(abs).filter((n) => /\.(rnld|csv)$/i.test(n)).sort().map((n) => join(abs, n));
      if (!found.length) throw new Error(`--with-data ${p}: the folder holds no .rnld or .csv file`);
      files.push(...found);
    } else {
      files.push(abs);
    }
  }
  return files;
}

// The kind of a prepared data set: its header's u32 at byte 12 (docs/data-format.md): 1 text, 2 series.
function rnldKind(file) {
  const head = readFileSync(file).subarray(0, 16);
  if (head.length < 16 || head.subarray(0, 8).toString('latin1') !== 'RNLDATA\0')
    throw new Error(`--with-data ${file}: not a prepared data set (no RNLDATA header); prepare it with npm run data`);
  return { 1: 'text', 2: 'series' }[head.readUInt32LE(12)] ?? 'unknown';
}

/** Copies the data files into out/data/; returns the page's default Data URLs and what was copied. */
function copyData(out, paths) {
  const urls = { ...DEFAULT_DATA }, chosen = {}, copied = [];
  const files = dataFiles(paths);
  if (!files.length) return { urls, copied };
  mkdirSync(join(out, 'data'), { recursive: true });
  const names = new Set();
  for (const file of files) {
    const name = basename(file), ext = extname(name).toLowerCase();
    if (ext !== '.rnld' && ext !== '.csv')
      throw new Error(`--with-data ${file}: only prepared subsets (.rnld, from npm run data) and series (.csv) go on the site`);
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new Error(`--with-data ${file}: rename it to letters, digits, '.', '_' and '-' only (it becomes part of a URL)`);
    if (names.has(name)) throw new Error(`--with-data: two files are called ${name}`);
    names.add(name);
    const kind = ext === '.csv' ? 'csv' : rnldKind(file);
    const task = kind === 'text' ? 'imdb' : kind === 'csv' ? 'temp' : null;
    if (task && !chosen[task]) {
      chosen[task] = true;
      urls[task] = `data/${name}`;
    }
    copyFileSync(file, join(out, 'data', name));
    copied.push({ name, kind, task: task && urls[task] === `data/${name}` ? task : null });
  }
  return { urls, copied };
}

function siteJs(urls) {
  return `// site.js: written by \`npm run build:site\` for this folder (in the repository: web/site.js). The
// page's default Data URLs, relative to index.html: the IMDB subset and the temperature series (a CSV).
export const DATA = ${JSON.stringify({ imdb: urls.imdb, temp: urls.temp }, null, 2)};
`;
}

// --- The walkthrough -----------------------------------------------------------------------------------

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// A link to the lab, in any form the walkthrough has used (http://localhost:8080/web/?…, ../web/?…,
// ../web/index.html?…), becomes index.html?… beside the walkthrough.
const LAB_LINK = /^(?:https?:\/\/(?:localhost|127\.0\.0\.1)(?::\d+)?\/|(?:\.\.\/)*)web\/(?:index\.html)?([?#].*)?$/;

function linkTarget(href, present, dropped) {
  const lab = href.match(LAB_LINK);
  if (lab) return `index.html${lab[1] ?? ''}`;
  if (/^(https?:|mailto:|#)/.test(href)) return href;
  const path = href.replace(/[?#].*$/, '');
  if (present.has(path)) return href;
  dropped.push(href);  // a file of the repository that the site does not have: the text stays, unlinked
  return null;
}

// Inline Markdown: `code`, [text](url), **bold**, *emphasis*. Code spans are set aside first so that
// nothing inside them is read as markup.
function inline(text, present, dropped) {
  const codes = [];
  let s = text.replace(/`([^`]+)`/g, (_, c) => `\u0000${codes.push(`<code>${esc(c)}</code>`) - 1}\u0000`);
  s = esc(s);
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, t, href) => {
    const to = linkTarget(href.replace(/&amp;/g, '&'), present, dropped);
    return to === null ? t : `<a href="${esc(to)}">${t}</a>`;
  });
  s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/(^|[^\w*])\*([^*\s][^*]*?)\*(?!\w)/g, '$1<em>$2</em>');
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => codes[Number(i)]);
}

/**
 * The subset of Markdown the docs use (headings, paragraphs, pipe tables, lists, fenced code) as HTML.
 * `present`: the site's files, so that links to them are kept. Returns { html, dropped }.
 */
export function markdownToHtml(md, present = new Set()) {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const out = [], dropped = [];
  const inl = (t) => inline(t, present, dropped);
  const cells = (row) => row.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    let m;
    if ((m = line.match(/^(#{1,6})\s+(.*)$/))) {
      out.push(`<h${m[1].length}>${inl(m[2])}</h${m[1].length}>`);
      i++;
    } else if (line.startsWith('```')) {
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      i++;
      out.push(`<pre><code>${esc(code.join('\n'))}</code></pre>`);
    } else if (line.trim().startsWith('|') && /^\s*\|?[\s:|-]+\|?\s*$/.test(lines[i + 1] ?? '') && lines[i + 1].includes('-')) {
      const head = cells(line);
      out.push('<table>', `<thead><tr>${head.map((c) => `<th>${inl(c)}</th>`).join('')}</tr></thead>`, '<tbody>');
      for (i += 2; i < lines.length && lines[i].trim().startsWith('|'); i++)
        out.push(`<tr>${cells(lines[i]).map((c) => `<td>${inl(c)}</td>`).join('')}</tr>`);
      out.push('</tbody>', '</table>');
    } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line), items = [];
      while (i < lines.length && lines[i].trim()) {
        if (/^\s*([-*]|\d+\.)\s+/.test(lines[i])) items.push(lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ''));
        else items[items.length - 1] += ` ${lines[i].trim()}`;  // a continued item
        i++;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.map((t) => `<li>${inl(t)}</li>`).join('')}</${tag}>`);
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|\s*\|)/.test(lines[i])) para.push(lines[i++].trim());
      out.push(`<p>${inl(para.join(' '))}</p>`);
    }
  }
  return { html: out.join('\n'), dropped };
}

const WALK_CSS = `/* walkthrough.css: the walkthrough page of the site (build-site.mjs). */
:root { color-scheme: light dark; }
body { font: 16px/1.55 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #8886; padding: 0.3rem 0.7rem; text-align: left; }
code { font-size: 0.92em; }
pre { overflow-x: auto; padding: 0.6rem; border: 1px solid #8886; }
.note { font-size: 0.9em; opacity: 0.8; }
`;

function writeWalkthrough(out, present) {
  const src = join(ROOT, 'docs', 'walkthrough.md');
  const { html, dropped } = markdownToHtml(readFileSync(src, 'utf8'), present);
  const title = (readFileSync(src, 'utf8').match(/^#\s+(.*)$/m)?.[1] ?? 'Walkthrough').replace(/`/g, '');
  writeFileSync(join(out, 'walkthrough.css'), WALK_CSS);
  writeFileSync(join(out, 'walkthrough.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'">
<title>${esc(title)}</title>
<link rel="icon" href="favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="walkthrough.css">
</head>
<body>
<p class="note">rnnlab's guided walkthrough (docs/walkthrough.md). Its links open <a href="index.html">the lab</a> on this site with each experiment set up.</p>
${html}
</body>
</html>
`);
  return dropped;
}

// --- Hosting notes -------------------------------------------------------------------------------------

// The CSP source that allows the embed snippet's inline listener (app/embed.js) on a course page.
const listenerHash = () => `sha256-${createHash('sha256').update(LISTENER).digest('base64')}`;

function csp() {
  const m = readFileSync(join(WEB, 'index.html'), 'utf8').match(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/);
  return m ? m[1] : '(see index.html)';
}

function readme(urls, copied) {
  const data = copied.length
    ? copied.map((c) => `- \`data/${c.name}\`${c.task ? ` (the ${c.task === 'imdb' ? 'IMDB task' : 'temperature task'}'s default)` : c.kind === 'series' ? ' (a prepared series: students drop it on the page)' : ''}`).join('\n')
    : '- none: the folder was built without `--with-data`';
  return `# rnnlab: the lab as a static site

Built by \`npm run build:site\`. Upload this whole folder to any static web host, under any path, and link
to the folder (\`https://example.edu/courses/dl/lab/\`, with the final slash) or to its \`index.html\`.
Everything runs in the students' browsers: nothing here runs on the server, and nothing is uploaded.

| file | what |
| --- | --- |
| \`index.html\`, \`app/\`, \`lib/\` (if present), \`rnnlab.js\`, \`style.css\` | the lab page and its modules (the training runs in a Web Worker, \`app/worker.js\`) |
| \`rnnlab.wasm\` | the WebAssembly module |
| \`rnnlab-relaxed.wasm\` (if built) | the same module with relaxed-SIMD gemms: browsers that run relaxed SIMD (Chromium) load it instead, a little faster; the others load \`rnnlab.wasm\` |
| \`rnnlab-shared.wasm\`, \`rnnlab-relaxed-shared.wasm\` | the same two over a shared memory: loaded only where the page is cross-origin isolated (below), for threads that share one memory |
| \`vendor/chart.umd.js\` | Chart.js (MIT licence, \`vendor/chart.js-LICENSE.md\`) |
| \`site.js\` | the page's default Data URLs: IMDB \`${urls.imdb}\`, temperatures \`${urls.temp}\` |
| \`embed-example.html\` | how to put the lab inside a course page (\`<rnn-lab>\` or an iframe), as tall as its content |
| \`walkthrough.html\` | the guided walkthrough; its links open this lab |
| \`data/\` | the data sets copied by \`--with-data\` |

Data sets here:
${data}

## What the host must do

- **Serve it over HTTP(S).** Opened from \`file://\` the page cannot start its Worker or fetch its module.
  To try it locally: \`python3 -m http.server\` in this folder, then open http://localhost:8000/.
- **Types.** \`.js\` must be served as JavaScript (module scripts are refused otherwise: every host does
  this). \`.wasm\` should be \`application/wasm\`: the browser then compiles the module while it downloads.
  Served as anything else it still works, compiled after the download. Most hosts know the type; if yours
  does not: Apache \`AddType application/wasm .wasm\`; nginx: the line
  \`application/wasm wasm;\` in its mime.types (recent versions have it).
- **Nothing else is needed.** No CORS, no rewrites. All URLs inside the folder are relative, so it works
  at any sub-path; keep the files together, and when you update, replace the whole folder (the page, the
  wrapper and the module must come from one build).
- **Optional: two headers for the faster threads.** Sent with every file of the folder,

      Cross-Origin-Opener-Policy: same-origin
      Cross-Origin-Embedder-Policy: require-corp

  make the page cross-origin isolated. Its Worker then loads \`rnnlab-shared.wasm\` (or
  \`rnnlab-relaxed-shared.wasm\`), whose threads are Workers over one shared memory running the core's own
  thread pool. Without the headers (most course sites cannot set them) the page's threads are Worker
  replicas that exchange gradients, with the same results, bit for bit. Netlify and Cloudflare Pages: a
  \`_headers\` file (\`/*\` then the two lines, indented); Apache: \`Header set\` lines; nginx:
  \`add_header\`. GitHub Pages cannot set them. Under these headers a page may only load files of its own
  origin (or ones sent with \`Cross-Origin-Resource-Policy\`), which the lab does anyway; and a course page
  that frames the lab is isolated only if it sends them too.
- **The exercises stay on the students' machines.** \`?impl=student\` loads a student's own module, which
  the grader builds in their clone (\`npm run grade\`, then \`npm start\`); the site has none.

## The page's security policy (CSP)

\`index.html\` carries this policy in a meta tag:

    ${csp()}

It lets the page load only files of its own site (its own origin), run WebAssembly, and nothing from
any other host. A host may add its own \`Content-Security-Policy\` header on top (both then apply); it must
still allow \`'wasm-unsafe-eval'\` in script-src, \`worker-src 'self'\` and \`connect-src 'self'\`.

## What can be on another origin, and what cannot

- **Data URLs must be on the same site** (same scheme, host and port) as the page: the policy's
  \`connect-src 'self'\` refuses a data set on any other host, and there is no way around that from the
  page. Put data sets in \`data/\` (rebuild with \`--with-data\`, or copy them in), then type
  \`data/name.rnld\` in the Data URL field or link to \`index.html?task=imdb&data=data/name.rnld\`. A student
  can always drop a file from their own computer onto the page.
- **The page's own files** (modules, Worker, \`rnnlab.wasm\`, Chart.js) must stay in this folder, on the
  same origin as \`index.html\`: a module Worker must be same-origin, and the policy allows only \`'self'\`.
- **The course page that embeds the lab can be anywhere.** An \`<iframe src=".../index.html?embed=1">\` works
  from any origin unless your host forbids framing (\`X-Frame-Options\`, \`frame-ancestors\`).
  \`<rnn-lab>\` (\`app/element.js\`) on a page of another origin needs the lab's host to send
  \`Access-Control-Allow-Origin\` for \`app/element.js\` (a module script); on the same site it needs nothing.

## Embedding the lab in a course page

Open the lab, set it up, and press **Copy embed code** (beside "Copy link"): it copies an iframe of the lab
with that set-up and a short script after it. Paste both into the course page's HTML, on any origin. The
lab, framed, posts its content's height to the course page (\`{ type: 'rnnlab:height', height }\`, on load
and at every change), and the script sets the frame to it, honouring only its own frame's messages: the
lab never scrolls inside the frame. Without the script (a site that strips scripts) the frame stays 900 px
tall and scrolls. The script is the same in every snippet; a course page with a Content-Security-Policy
allows it by its hash, \`'${listenerHash()}'\` in \`script-src\`, as \`embed-example.html\` does. \`<rnn-lab>\`
follows the lab's height in the same way. \`?embed=1&hide=data,optimizer\` (and the other groups) trims
the lab; the lab's own docs (\`docs/page.md\`, "Embedding the lab in a course page") list them.
`;
}

// --- Checking the folder ---------------------------------------------------------------------------------

/**
 * Every relative URL the folder's HTML and JavaScript name: [file, url] pairs that do not resolve to a
 * file of the folder. Reads src/href in HTML, and in JavaScript static and dynamic imports and
 * new URL('…', import.meta.url), skipping comment lines and other schemes (node:, http:, data:, blob:).
 */
export function unresolved(out, files) {
  const missing = [];
  const check = (file, url) => {
    if (/^([a-z][a-z0-9+.-]*:|#|\/\/)/i.test(url) || url.startsWith('/')) return;
    const path = url.replace(/[?#].*$/, '');
    if (!path) return;
    let target = resolve(dirname(join(out, file)), decodeURIComponent(path));
    if (path.endsWith('/')) target = join(target, 'index.html');
    if (!target.startsWith(out + sep) || !existsSync(target) || !statSync(target).isFile()) missing.push([file, url]);
  };
  for (const file of files) {
    const text = readFileSync(join(out, file), 'utf8');
    if (file.endsWith('.html')) {
      const body = text.replace(/<!--[\s\S]*?-->/g, '');
      for (const m of body.matchAll(/\s(?:src|href)="([^"]+)"/g)) check(file, m[1].replace(/&amp;/g, '&'));
    } else if (file.endsWith('.js')) {
      const code = text.split('\n').filter((l) => !/^\s*(\/\/|\/?\*)/.test(l)).join('\n');
      for (const m of code.matchAll(/(?:\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?|\bimport\s*\(\s*|\bexport\s*[\w*{}\s,$]+\s*from\s*)['"]([^'"]+)['"]/g)) check(file, m[1]);
      for (const m of code.matchAll(/new\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) check(file, m[1]);
    }
  }
  return missing;
}

function listFiles(dir, base = dir) {
  const files = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) files.push(...listFiles(p, base));
    else files.push(relative(base, p).split(sep).join('/'));
  }
  return files;
}

// --- Main --------------------------------------------------------------------------------------------------

function main(argv) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`build:site: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  // The module and Chart.js, built when missing, by the step `npm start` takes (it says what to install).
  const built = spawnSync(process.execPath, [join(WEB, 'serve.mjs'), '--build-only'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) return 1;

  const out = resolve(args.out);
  prepareOut(out);
  const web = copyWeb(out);
  const { urls, copied } = copyData(out, args.data);
  writeFileSync(join(out, 'site.js'), siteJs(urls));
  const dropped = writeWalkthrough(out, new Set([...web, ...copied.map((c) => `data/${c.name}`)]));
  writeFileSync(join(out, 'README.md'), readme(urls, copied));

  const files = listFiles(out);
  for (const need of ['index.html', 'rnnlab.wasm', 'vendor/chart.umd.js', 'site.js', 'app/worker.js'])
    if (!files.includes(need)) throw new Error(`the site has no ${need}`);
  const missing = unresolved(out, files);
  if (missing.length) {
    console.error(`build:site: URLs that name no file of the site:\n${missing.map(([f, u]) => `  ${f}: ${u}`).join('\n')}`);
    return 1;
  }
  for (const href of dropped) console.warn(`build:site: walkthrough.html: the link to ${href} is left as text (not on the site)`);
  console.log(`build:site: ${files.length} files in ${out}`);
  console.log(`  default Data URLs: IMDB ${urls.imdb}, temperatures ${urls.temp}${copied.length ? '' : ' (no data copied: --with-data)'}`);
  console.log('  how to host it: README.md in that folder');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`build:site: ${e.message}`);
    process.exitCode = 1;
  }
}
