// movies.mjs: a small aclImdb archive whose training reviews have movies, for the tests of validation by
// whole movies (data-movie.test.mjs, tests/e2e/movie.test.mjs; test_data_movie.c makes the same one in C):
// 40 training and 10 test reviews per label, train/urls_{pos,neg}.txt after the reviews as in the official
// archive, movies of one to three reviews, some with both labels.
export const NTRAIN = 40, NTEST = 10;
// The movie of training review k (as test_data_movie.c): pos two a movie for k < 20, neg three for k < 21
// (movies 1000.. shared by both labels), then one each.
export const movieOf = (label, k) => (label === 'pos' ? (k < 20 ? 1000 + (k >> 1) : 2000 + k) : (k < 21 ? 1000 + Math.floor(k / 3) : 3000 + k));
const urls = (label) => Array.from({ length: NTRAIN }, (_, k) => `http://www.imdb.com/title/tt${String(movieOf(label, k)).padStart(7, '0')}/usercomments\n`).join('');

// { name, data } of every member: test reviews, train reviews, then (withUrls) the urls files.
export function members(withUrls = true) {
  const out = [];
  for (const split of ['test', 'train'])
    for (const label of ['neg', 'pos'])
      for (let k = 0; k < (split === 'test' ? NTEST : NTRAIN); k++) {
        const rating = label === 'pos' ? 7 + (k % 4) : 1 + (k % 4);
        const text = `Review ${k} of the ${split} ${label} split: a ${label === 'pos' ? 'fine <br /> good' : 'dull, bad'} film, word${k % 7} and word${(k * 3) % 11}.`;
        out.push({ name: `aclImdb/${split}/${label}/${k}_${rating}.txt`, data: text });
      }
  if (withUrls) for (const label of ['neg', 'pos']) out.push({ name: `aclImdb/train/urls_${label}.txt`, data: urls(label) });
  return out;
}

// A ustar archive of the members.
export function tar(list) {
  const enc = new TextEncoder(), blocks = [];
  const field = (h, off, len, s) => h.set(enc.encode(s).subarray(0, len), off);
  for (const { name, data } of list) {
    const body = enc.encode(data), h = new Uint8Array(512);
    field(h, 0, 100, name);
    field(h, 100, 8, '0000644\0');
    field(h, 108, 8, '0000000\0');
    field(h, 116, 8, '0000000\0');
    field(h, 124, 12, `${body.length.toString(8).padStart(11, '0')}\0`);
    field(h, 136, 12, '00000000000\0');
    field(h, 148, 8, '        ');
    h[156] = 0x30;  // '0': a regular file
    field(h, 257, 8, 'ustar\x0000');
    const sum = h.reduce((a, b) => a + b, 0);
    field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of blocks) out.set(b, off), off += b.length;
  return out;
}
