// firefox-bidi.mjs: drives Debian's Firefox (firefox-esr) over WebDriver BiDi, the W3C protocol that a
// stock Firefox speaks (playwright-core drives only its own patched Firefox builds, which this project
// never downloads). Used by firefox.test.mjs as a child process: `node firefox-bidi.mjs URL PNG` opens URL,
// waits until the lab has finished its first run (the URL says autorun=1), and prints one JSON line:
// the status texts, the console entries and whether the charts drew. Needs a global WebSocket (Node 22,
// or Node 20 with --experimental-websocket).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, png] = process.argv.slice(2);
const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const port = await freePort();
const profile = mkdtempSync(join(tmpdir(), 'rnnlab-firefox-'));
writeFileSync(join(profile, 'user.js'), 'user_pref("remote.active-protocols", 1);\nuser_pref("datareporting.policy.dataSubmissionEnabled", false);\n');
const ff = spawn(process.env.RNL_FIREFOX || 'firefox-esr', ['--headless', '--remote-debugging-port', String(port), '--profile', profile,
  '--no-remote', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
let stderr = '';
ff.stderr.on('data', (d) => (stderr += d));
const done = (result, code = 0) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  try {
    process.kill(-ff.pid, 'SIGKILL');
  } catch {}
  rmSync(profile, { recursive: true, force: true });
  process.exit(code);
};
const deadline = setTimeout(() => done({ error: `timed out; Firefox said: ${stderr.slice(-500)}` }, 1), 540000);
deadline.unref();

await new Promise((resolve, reject) => {
  const t = setInterval(() => {
    if (/WebDriver BiDi listening/.test(stderr)) {
      clearInterval(t);
      resolve();
    }
    if (ff.exitCode !== null) reject(new Error(`Firefox exited: ${stderr}`));
  }, 100);
});
const ws = new WebSocket(`ws://127.0.0.1:${port}/session`);
await new Promise((resolve, reject) => {
  ws.addEventListener('open', resolve);
  ws.addEventListener('error', () => reject(new Error('cannot connect to Firefox')));
});
let nextId = 0;
const pending = new Map(), logs = [];
ws.addEventListener('message', (e) => {
  const m = JSON.parse(e.data);
  if (m.id && pending.has(m.id)) {
    pending.get(m.id)(m);
    pending.delete(m.id);
  } else if (m.method === 'log.entryAdded') {
    logs.push({ level: m.params.level, text: m.params.text });
  }
});
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = ++nextId;
  pending.set(id, (m) => (m.type === 'error' ? reject(new Error(`${method}: ${m.error}: ${m.message}`)) : resolve(m.result)));
  ws.send(JSON.stringify({ id, method, params }));
});

await send('session.new', { capabilities: {} });
await send('session.subscribe', { events: ['log.entryAdded'] });
const context = (await send('browsingContext.getTree')).contexts[0].context;
await send('browsingContext.setViewport', { context, viewport: { width: 1280, height: 900 } });
await send('browsingContext.navigate', { context, url, wait: 'complete' });
const evaluate = async (expression) => (await send('script.evaluate', { expression, target: { context }, awaitPromise: true })).result?.value;
const finished = 'String(Boolean(window.rnnlab?.state.runs.length && !window.rnnlab.state.running && window.rnnlab.state.runs[0].status !== "running"))';
while ((await evaluate(finished)) !== 'true') await new Promise((r) => setTimeout(r, 500));
// The trace that follows a run: its heatmap and the line that names its target.
const traced = 'String(Boolean(document.querySelector(".heatmap-canvas") && /Target/.test(document.getElementById("trace-info").textContent)))';
while ((await evaluate(traced)) !== 'true') await new Promise((r) => setTimeout(r, 500));
const result = JSON.parse(await evaluate(`JSON.stringify({
  status: document.getElementById('status').textContent,
  engine: document.getElementById('engine').textContent,
  trace: document.getElementById('trace-info').textContent,
  run: (({ status, stepsTotal, train }) => ({ status, steps: stepsTotal, points: train.length }))(window.rnnlab.state.runs[0]),
  lossPoints: Chart.getChart(document.getElementById('chart-loss')).data.datasets[0].data.length,
  heatmap: document.querySelector('.heatmap-canvas').height > 150,
})`));
const shot = await send('browsingContext.captureScreenshot', { context, origin: 'document' });
if (png) writeFileSync(png, Buffer.from(shot.data, 'base64'));
await send('session.end').catch(() => {});
done({ ...result, logs });
