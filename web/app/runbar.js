// runbar.js: the run bar, a strip fixed at the bottom of a narrow screen (style.css shows it below 900 px,
// where the set-up column sits above the results and the run panel is far down). It has no actions of its
// own: its Train, Pause and Stop press the visible view's buttons, and it shows what that view's run panel
// shows (the buttons' labels and states, the progress, the loss). A MutationObserver copies them, so every
// part that updates the run panel updates the bar too, without knowing of it.
import { $, state } from './state.js';

// Each view's run panel: the buttons the bar presses, its progress, and the one figure the bar shows.
const PANELS = {
  lab: { train: 'train', pause: 'pause', stop: 'stop', progress: 'progress', figure: 'stat-loss', name: 'Loss' },
  s2s: { train: 's2s-train', pause: 's2s-pause', stop: 's2s-stop', progress: 's2s-progress', figure: 's2s-stat-attn', name: 'Right, with attention' },
};
const BUTTONS = ['train', 'pause', 'stop'];

function sync() {
  const p = PANELS[state.page] ?? PANELS.lab;
  for (const k of BUTTONS) {
    const from = $(p[k]), to = $(`bar-${k}`);
    to.textContent = from.textContent;
    to.disabled = from.disabled;
    to.title = from.title;
    if (from.hasAttribute('aria-pressed')) to.setAttribute('aria-pressed', from.getAttribute('aria-pressed'));
  }
  const from = $(p.progress), to = $('bar-progress');
  to.max = from.max;
  to.value = from.value;
  $('bar-figure-name').textContent = p.name;
  $('bar-figure').textContent = $(p.figure).textContent;
}

export function wireRunBar() {
  for (const k of BUTTONS) $(`bar-${k}`).addEventListener('click', () => $((PANELS[state.page] ?? PANELS.lab)[k]).click());
  const watch = new MutationObserver(sync);
  const ids = Object.values(PANELS).flatMap((p) => [...BUTTONS.map((k) => p[k]), p.progress, p.figure]);
  for (const id of ids) watch.observe($(id), { attributes: true, childList: true, characterData: true, subtree: true });
  for (const id of ['view-lab', 'view-s2s']) watch.observe($(id), { attributes: true, attributeFilter: ['hidden'] });  // a tab switch
  sync();
}
