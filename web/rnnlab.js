// rnnlab.js: the one JavaScript API of rnnlab, unchanged in a page, a Web Worker and Node >= 20. An ES
// module without dependencies: it instantiates web/rnnlab.wasm (the C core, built by web/wasm.cmake) with
// its own small loader and gives classes that never show a pointer.
//
//     import { RnnLab } from './rnnlab.js';
//     const lab = await RnnLab.load();            // rnnlab.wasm beside this file; or a URL, a path, bytes
//     const m = lab.createModel({ cell: 'lstm', task: 'adding', hidden: 32, seed: 1 });
//     m.setOptimizer({ kind: 'adam', lr: 0.01 });
//     await m.trainTask({ task: 'adding', length: 50, steps: 500, onProgress: (p) => console.log(p.step, p.loss) });
//     const bytes = m.saveCheckpoint();           // Uint8Array: the checkpoint format of the native CLI
//     m.free();
//
// Data (the C data layer, rnnlab_data.h): an IMDB subset streamed from the archive, a reviews CSV, a CSV
// time series, or a prepared .rnld file; then the loop of `rnnlab train --data`:
//
//     const ds = await lab.prepareImdb(file, { train: 2000, val: 500, test: 2000, keepEnd: true });  // a File, fetch body, bytes
//     const m = lab.createModel({ cell: 'gru', hidden: 64, dataset: ds, seed: 1 });
//     await m.trainDataset(ds, { epochs: 3, onEpoch: (e) => console.log(e.epoch, e.val.accuracy) });
//     m.predictText('a wonderful film');          // { probability, tokens, stepProbabilities, ... }
//
// Sequence-to-sequence (rnnlab_seq2seq.h): an encoder-decoder with attention for the reverse and dates
// tasks, its greedy decoding and attention matrix:
//
//     const s = lab.createSeq2Seq({ task: 'reverse', length: 8, attention: 'dot', seed: 1 });
//     await s.trainTask({ steps: 600 });
//     s.decode('abcdefgh');                        // { output: 'hgfedcba', attention: { rows, cols, data }, ... }
//
// Memory: the module's 32-bit memory grows up to the maximum it declares (lab.memoryLimit, 2 GB) and never
// shrinks, so a size that cannot fit is refused before anything is allocated: lab.trainingBytes(cfg,
// { batchSize, length }) is the core's figure (rnl_training_bytes), and createModel (at cfg.batchSize x
// cfg.length, default 1 x 1), setOptimizer and every call that runs batches throw RNL_ERR_NOMEM with it
// ("out of memory: this model needs 812.4 MB to train at batch 32, length 200; ... reduce hidden, ...").
//
// A module built from the exercises' cells (exercises/grade.mjs: web/student/rnnlab.wasm) loads the same
// way; lab.implementation says which it is, and a call that runs an unfinished cell throws (code RNL_ERR_TODO).
//
// Cells, limits and training defaults are the core's: lab.cells, lab.limits, lab.trainingDefaults(kind).
//
// Heap rules: lib/heap.js owns the WASM heap. It copies every array in and out (no view of WASM memory
// escapes), and re-makes its typed-array views whenever memory.buffer changes, since any call that
// allocates may grow memory and detach the old buffer. Numbers are computed in C only; JavaScript checks
// names, types and array sizes (C cannot see how long a JS array was) and moves bytes.
// Types and documentation of every call: rnnlab.d.ts.
//
// This file is the public entry (package.json "main"); the parts, by concern, are in lib/:
//   exports.js   the one list of the module's exports (wasm.cmake reads it too)
//   loader.js    compile and instantiate, the memory section's maximum, imports, the export check
//   heap.js      malloc/free, views, strings and bytes, staging, record slots; CoreObject (what owns a
//                core object)
//   records.js   the records that cross the boundary, read and written by field name from the module's
//                own field tables (web/wasm_records.c)
//   errors.js    RnnLabError and the argument checks
//   stream.js    byte sources and gzip for the IMDB archive
//   progress.js  the one training loop (chunks, progress reports, yields, abort)
//   lab.js       RnnLab; dataset.js Dataset; model.js Model; seq2seq.js Seq2SeqModel; optimizer.js what
//                the two models share about optimizers

export { RnnLab } from './lib/lab.js';
export { RnnLabError } from './lib/errors.js';
export { Dataset } from './lib/dataset.js';
export { Model } from './lib/model.js';
export { Seq2SeqModel } from './lib/seq2seq.js';
export { TransformerModel } from './lib/transformer.js';
