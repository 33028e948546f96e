// dataset.js: Dataset, a dataset in module memory (the core's rnl_dataset): its description, splits,
// vocabulary, examples and batches, and its bytes (.rnld) for saving.
import { argError, checkInt, toTyped } from './errors.js';
import { CoreObject, copyBatch } from './heap.js';
import { textBytes } from './stream.js';

export const SPLITS = ['train', 'val', 'test'];  // rnl_split order

/** The rnl_split index of a split's name; `where: what must be 'train', 'val' or 'test', ...` otherwise. */
export function splitIndex(name, where, what = 'split') {
  const i = SPLITS.indexOf(name);
  if (i < 0) throw argError(`${where}: ${what} must be 'train', 'val' or 'test', not ${JSON.stringify(name) ?? String(name)}`);
  return i;
}

// The longest batch a dataset makes: its max length (text) or its window (series).
export const dataLength = (ds) => ds.maxLen ?? ds.window;

/** A dataset in WebAssembly memory (the core's rnl_dataset): reviews or a time series. */
export class Dataset extends CoreObject {
  constructor(lab, handle, source) {
    super(lab, handle, 'rnl_dataset_destroy', 'dataset');
    const p = lab._heap.slot(0);
    lab._c.rnlw_dataset_info(p, handle);
    const v = lab._heap.read('dataset_info', p), text = v.text;
    /** 'text' (reviews, binary sentiment) or 'series' (next-step regression on windows). */
    this.kind = text ? 'text' : 'series';
    /** Examples per split. */
    this.counts = Object.freeze({ train: v.nTrain, val: v.nVal, test: v.nTest });
    this.vocabSize = text ? v.vocab : null;
    this.maxLen = text ? v.maxLen : null;
    this.keepEnd = text ? v.keepEnd : null;
    /** Text: whether validation holds whole movies, none of them in train (prepareImdb's valByMovie). */
    this.valByMovie = text ? v.valByMovie : null;
    this.window = text ? null : v.window;
    this.horizon = text ? null : v.horizon;
    this.mean = text ? null : v.mean;
    this.std = text ? null : v.std;
    this.column = text ? null : v.column;
    /** Values in the series (all parts). */
    this.valueCount = text ? null : v.nValues;
    /** The seed of the selection (text). */
    this.seed = text ? v.seed : null;
    /** What the source held (prepareImdb: reviews per split and label; textCsvDataset: rows), else null. */
    this.source = source;
  }

  /** One line: kind, split sizes, vocabulary or window (rnl_dataset_describe). */
  describe() {
    return this._lab._heap.str(this._lab._c.rnlw_dataset_describe(this._handle));
  }

  _write(description) {
    const lab = this._lab;
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_dataset_write(p, this._handle, description));
    const { data, n } = lab._heap.read('span', p);
    return lab._heap.takeBuffer(data, n);
  }

  /** The .rnld file (byte-identical to `rnnlab data`'s for the same source and options). */
  toBytes() {
    return this._write(0);
  }

  /** The data file without its examples: what a model keeps as meta to read new input. */
  description() {
    return this._write(1);
  }

  /** The examples [first, first + count) of a split ('train', 'val' or 'test'). */
  split(name) {
    const i = splitIndex(name, 'split', 'name');
    void this._handle;
    const c = this.counts, first = [0, c.train, c.train + c.val][i];
    return { first, count: c[name] };
  }

  /** Training steps (batches) in an epoch at a batch size: the run layer's count (rnl_run_batches_per_epoch). */
  batchesPerEpoch(batchSize) {
    checkInt(batchSize, 'batchSize', 'batchesPerEpoch', 1);
    return this._lab._c.rnl_run_batches_per_epoch(this._handle, batchSize);
  }

  /** A text as the model reads it: token ids (max_len, keep_end as the data) and their words. */
  encode(text) {
    const lab = this._lab, bytes = textBytes(text, 'encode');
    const p = lab._heap.slot(0);
    lab._check(lab._heap.withCopy(bytes, (tp) => lab._c.rnlw_dataset_encode(p, this._handle, tp, bytes.byteLength)));
    const { data, n } = lab._heap.read('span', p);
    const ids = lab._heap.i32(data, n);
    return { ids, tokens: Array.from(ids, (id) => this.word(id)) };
  }

  /** The word of a token id ('<pad>', '<unk>', a word), or null out of range (and for a series). */
  word(id) {
    checkInt(id, 'id', 'word');
    return this._lab._heap.str(this._lab._c.rnlw_dataset_word(this._handle, id));
  }

  /** Example i of a text dataset: its token ids, label (0 neg, 1 pos), rating (1..10, 0 unknown) and review id. */
  example(i) {
    const lab = this._lab;
    checkInt(i, 'index', 'example');
    const p = lab._heap.slot(0);
    lab._check(lab._c.rnlw_dataset_example(p, this._handle, i));
    const e = lab._heap.read('example', p);
    return { ids: lab._heap.i32(e.ids, e.length), label: e.label, rating: e.rating, id: e.id };
  }

  /**
   * A batch of examples (dataset indices; split() gives each split's range), as generateTask's: text
   * { B, T, tokens (B, T) padded with 0, lengths, targets 0/1 }, series { B, T, inputs (B, T, 1), lengths,
   * targets (B, horizon) } in normalised units.
   */
  batch(indices) {
    const lab = this._lab, where = 'batch';
    const idx = toTyped(Int32Array, indices, undefined, 'indices', where);
    if (idx.length < 1) throw argError(`${where}: indices is empty`);
    const p = lab._heap.slot(0);
    lab._check(lab._heap.withCopy(idx, (ip) => lab._c.rnlw_dataset_batch(p, this._handle, ip, idx.length)));
    const r = lab._heap.read('batch', p);
    return copyBatch(lab._heap, { B: idx.length, T: r.T }, r);
  }
}

