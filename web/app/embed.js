// embed.js: the lab inside a course page, as tall as its content. Framed, the page posts its content's
// height to the page around it, { type: 'rnnlab:height', height } (CSS pixels, a whole number), once at
// start and whenever it changes; the frame's owner sets the frame to that height, so the lab never scrolls
// inside the frame. Two owners listen: `<rnn-lab>` (element.js, fitFrame) and the snippet that "Copy embed
// code" gives (embedSnippet: an iframe and LISTENER, a short inline script). Both honour a message only
// from their own frame's window and origin.
//
// The message goes to any parent ('*'): the lab cannot know the course page's origin (it sends no
// referrer), and a height tells nothing private. LISTENER is the same text in every snippet, so a course
// page with a Content-Security-Policy can allow it by its hash (docs/page.md; embed-example.html does).

export const HEIGHT_MESSAGE = 'rnnlab:height';

// Plain ES5, for course pages of any age; it finds its frame as the element just before the script.
export const LISTENER = "(function (frame) {\n" +
  "  frame.style.border = '0';\n" +
  "  frame.style.display = 'block';\n" +
  "  addEventListener('message', function (e) {\n" +
  "    var d = e.data;\n" +
  "    if (e.source !== frame.contentWindow || e.origin !== new URL(frame.src).origin) return;\n" +
  "    if (d && d.type === 'rnnlab:height' && d.height > 0 && d.height < 100000) frame.style.height = Math.ceil(d.height) + 'px';\n" +
  "  });\n" +
  "})(document.currentScript.previousElementSibling);";

const TITLE = 'rnnlab: train recurrent networks';
const attr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The HTML a course page pastes to show the lab at `url` (the lab's page, with embed=1 and its set-up). */
export function embedSnippet(url) {
  // height: until the lab has loaded and said its own. clipboard-write: "Copy link" inside the frame.
  return `<iframe src="${attr(url)}" title="${TITLE}" width="100%" height="900" allow="clipboard-write"></iframe>\n` +
    `<script>${LISTENER}</script>\n`;
}

/** In the lab page: when framed, tell the parent the content's height now and at every change. */
export function reportHeight() {
  if (window.parent === window) return;
  let last = 0;
  const send = () => {
    // The root element's own box: scrollHeight would never shrink below the frame's current height.
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last || height <= 0) return;
    last = height;
    window.parent.postMessage({ type: HEIGHT_MESSAGE, height }, '*');
  };
  new ResizeObserver(send).observe(document.documentElement);
  send();
}

/** For `<rnn-lab>`: follow the heights `frame`'s lab reports. Returns the function that stops it. */
export function fitFrame(frame) {
  const onMessage = (e) => {
    const d = e.data;
    if (e.source !== frame.contentWindow || e.origin !== new URL(frame.src).origin) return;
    if (d?.type === HEIGHT_MESSAGE && d.height > 0 && d.height < 100000) frame.style.height = `${Math.ceil(d.height)}px`;
  };
  addEventListener('message', onMessage);
  return () => removeEventListener('message', onMessage);
}
