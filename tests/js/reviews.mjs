// reviews.mjs: the JS tests' synthetic reviews CSV, made of sentiment words and filler in random lengths
// (mulberry32, seeded): enough signal to learn, lengths spread out for the bucketing. One copy for every
// test that needs it; `spread` (3 + up to spread-1 words) and `every` (one word in `every` carries the
// label) keep each test's own reviews.
export function makeReviews(n, seed = 1, { spread = 30, every = 4 } = {}) {
  let x = seed >>> 0;
  const rand = (k) => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * k) | 0;
  };
  const good = ['great', 'wonderful', 'moving', 'superb', 'fun'], bad = ['awful', 'boring', 'dull', 'weak', 'poor'];
  const filler = ['the', 'film', 'plot', 'actor', 'scene', 'a', 'and', 'was', 'it', 'story', 'music', 'very', 'quite', 'but'];
  const rows = ['text,label'];
  for (let i = 0; i < n; i++) {
    const pos = rand(2), len = 3 + rand(spread), words = [];
    for (let k = 0; k < len; k++) words.push(rand(every) === 0 ? (pos ? good : bad)[rand(5)] : filler[rand(filler.length)]);
    rows.push(`"${words.join(' ')}.",${pos}`);
  }
  return rows.join('\n') + '\n';
}
