// element.js: <rnn-lab>, the lab as an element a course page can place in its text:
//
//     <script type="module" src="/path/to/rnnlab/web/app/element.js"></script>
//     <rnn-lab config="task=adding&cell=rnn&len=50" hide="optimizer,data"></rnn-lab>
//
// It is the page itself in an iframe (so the lab's CSP, Worker and styles stay its own, and a page's
// styles cannot break it), in embed mode, at the URL of ../index.html beside this file: the course site
// needs no configuration, wherever it serves the lab from. The element is as tall as the lab's content:
// the lab reports its height (embed.js) and the element follows, so nothing scrolls inside it.
// `config` is a URL query of the lab's settings (what the lab's "Copy link" puts after the '?'); `hide`
// lists control groups to hide (data, model, optimizer, training, presets, files, run, loss, gradients,
// inside, tryit, predictions, compare, notes, header, share; in the sequence-to-sequence view
// (config="task=reverse&…") also attention, and tabs for the view switch); `theme` is light or dark;
// `height` (pixels, default 900) is only the height until the lab has loaded and said its own.
import { fitFrame } from './embed.js';

const PAGE = new URL('../index.html', import.meta.url);

class RnnLabElement extends HTMLElement {
  static get observedAttributes() {
    return ['config', 'hide', 'theme'];
  }

  connectedCallback() {
    if (!this.shadowRoot) {
      const root = this.attachShadow({ mode: 'open' });
      const frame = document.createElement('iframe');
      frame.title = this.getAttribute('title') || 'rnnlab: train recurrent networks';
      frame.setAttribute('loading', 'lazy');
      frame.setAttribute('allow', 'clipboard-write');  // "Copy link" and "Copy embed code" inside it
      frame.style.border = '0';
      frame.style.width = '100%';
      frame.style.display = 'block';
      frame.style.height = `${Number(this.getAttribute('height')) || 900}px`;
      root.append(frame);
      this.style.display = 'block';
    }
    this._unfit = fitFrame(this.shadowRoot.querySelector('iframe'));
    this._update();
  }

  disconnectedCallback() {
    this._unfit?.();
    this._unfit = null;
  }

  attributeChangedCallback() {
    if (this.shadowRoot) this._update();
  }

  _update() {
    const frame = this.shadowRoot.querySelector('iframe');
    const q = new URLSearchParams(this.getAttribute('config') ?? '');
    q.set('embed', '1');
    const hide = this.getAttribute('hide');
    if (hide) q.set('hide', hide);
    const theme = this.getAttribute('theme');
    if (theme) q.set('theme', theme);
    const src = `${PAGE.href}?${q}`;
    if (frame.src !== src) frame.src = src;
  }
}

if (!customElements.get('rnn-lab')) customElements.define('rnn-lab', RnnLabElement);
