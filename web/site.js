// site.js: where the page finds its data sets by default, relative to the page (index.html). In the
// repository the page is web/index.html and prepared data sets sit in data/ beside web/ (npm run data,
// served by npm start). `npm run build:site` writes its own site.js into the site folder, pointing at the
// data/ it copies beside index.html (web/node/build-site.mjs), so config.js needs no edit for a site.
export const DATA = {
  imdb: '../data/imdb-2000.rnld',
  temp: '../data/daily-min-temperatures.csv',
};
