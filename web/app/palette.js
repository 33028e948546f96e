// palette.js: colours the lab draws with, all safe for the common colour-vision deficiencies: the
// Okabe-Ito qualitative set for lines (always paired with a dash pattern and a marker shape, so no
// information is carried by colour alone), viridis for values in [0, 1] (gates), and a purple-orange
// diverging scale for signed values (states, word contributions).

// Okabe & Ito (2008), "Color Universal Design". Black is left out: it is the text colour of one theme.
export const OKABE_ITO = {
  blue: '#0072B2', orange: '#E69F00', green: '#009E73', vermillion: '#D55E00', purple: '#CC79A7', sky: '#56B4E9',
  yellow: '#F0E442', grey: '#999999',
};

// Series styles in order: colour, dash, marker. Run k of a comparison uses SERIES[k % n].
export const SERIES = [
  { color: OKABE_ITO.blue, dash: [], point: 'circle' },
  { color: OKABE_ITO.vermillion, dash: [6, 4], point: 'triangle' },
  { color: OKABE_ITO.green, dash: [2, 3], point: 'rect' },
  { color: OKABE_ITO.orange, dash: [10, 3, 2, 3], point: 'rectRot' },
  { color: OKABE_ITO.purple, dash: [12, 6], point: 'star' },
  { color: OKABE_ITO.sky, dash: [3, 6], point: 'crossRot' },
];

// viridis, 9 stops (matplotlib's), interpolated linearly.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];
// Purple-orange diverging (ColorBrewer PuOr, 9 classes, reversed so that positive is orange).
const PUOR = ['#2d004b', '#542788', '#8073ac', '#b2abd2', '#f7f7f7', '#fee0b6', '#fdb863', '#e08214', '#b35806'];

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const VIRIDIS_RGB = VIRIDIS.map(hex);
const PUOR_RGB = PUOR.map(hex);

function interp(stops, t) {
  if (!(t >= 0)) t = 0;  // NaN too
  if (t > 1) t = 1;
  const x = t * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const a = stops[i], b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** [r, g, b] of viridis at t in [0, 1]. */
export const viridis = (t) => interp(VIRIDIS_RGB, t);
/** [r, g, b] of the diverging scale at v in [-1, 1] (0 is the light middle). */
export const diverging = (v) => interp(PUOR_RGB, (v + 1) / 2);
export const css = ([r, g, b], a = 1) => `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${a})`;
/** Black or white text, whichever reads better on [r, g, b]. */
export const textOn = ([r, g, b]) => (0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff');
