// dataset.js: Dataset, a dataset in module memory (the core's rnl_dataset): its description, splits,
// vocabulary, examples and batches, and its bytes (.rnld) for saving.
import { argError, checkInt, toTyped } from './errors.js';
import { CoreObject, copyBatch } from './heap.js';
import { textBytes } from './stream.js';

export const SPLITS = ['train', 'val', 'test'];  // rnl_split order

// The longest batch a dataset makes: its max length (text) or its window (series).
export const dataLength = (ds) => ds.maxLen ?? ds.window;

/** A dataset in WebAssembly memory (the core's rnl_dataset): reviews or a time series. */
export class Dataset extends CoreObject {
  constructor(lab, handle, source) {
    super(lab, handle, 'rnl_dataset_destroy', 'dataset');
    const column = lab._heap.str(lab._c.rnlw_dataset_info(handle));
    const v = Array.from({ length: 14 }, (_, i) => lab._heap.out(i));
    const text = v[0] === 1;
    /** 'text' (reviews, binary sentiment) or 'series' (next-step regression on windows). */
    this.kind = text ? 'text' : 'series';
    /** Examples per split. */
    this.counts = Object.freeze({ train: v[1], val: v[2], test: v[3] });
    this.vocabSize = text ? v[4] : null;
    this.maxLen = text ? v[5] : null;
    this.keepEnd = text ? v[6] === 1 : null;
    this.window = text ? null : v[7];
    this.horizon = text ? null : v[8];
    this.mean = text ? null : v[9];
    this.std = text ? null : v[10];
    this.column = text ? null : column;
    /** Values in the series (all parts). */
    this.valueCount = text ? null : v[11];
    /** The seed of the selection (text). */
    this.seed = text ? v[12] + v[13] * 2 ** 32 : null;
    /** What the source held (prepareImdb: reviews per split and label; textCsvDataset: rows), else null. */
    this.source = source;
  }

  /** One line: kind, split sizes, vocabulary or window (rnl_dataset_describe). */
  describe() {
    return this._lab._heap.str(this._lab._c.rnlw_dataset_describe(this._handle));
  }

  _write(description) {
    const lab = this._lab;
    lab._check(lab._c.rnlw_dataset_write(this._handle, description));
    return lab._heap.takeBuffer(lab._heap.out(0), lab._heap.out(1));
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
    const i = SPLITS.indexOf(name);
    if (i < 0) throw argError(`split: name must be 'train', 'val' or 'test', not ${JSON.stringify(name) ?? String(name)}`);
    void this._handle;
    const c = this.counts, first = [0, c.train, c.train + c.val][i];
    return { first, count: c[name] };
  }

  /** A text as the model reads it: token ids (max_len, keep_end as the data) and their words. */
  encode(text) {
    const lab = this._lab, bytes = textBytes(text, 'encode');
    const p = lab._heap.withCopy(bytes, (tp) => lab._c.rnlw_dataset_encode(this._handle, tp, bytes.byteLength));
    if (!p) throw lab._error(lab._c.rnlw_last_status());
    const ids = lab._heap.i32(p, lab._heap.out(0));
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
    const p = lab._c.rnlw_dataset_example(this._handle, i);
    if (!p) throw lab._error(lab._c.rnlw_last_status());
    const v = [0, 1, 2, 3].map((k) => lab._heap.out(k));
    return { ids: lab._heap.i32(p, v[0]), label: v[1], rating: v[2], id: v[3] };
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
    lab._check(lab._heap.withCopy(idx, (p) => lab._c.rnlw_dataset_batch(this._handle, p, idx.length)));
    const o = Array.from({ length: 8 }, (_, i) => lab._heap.out(i));
    const batch = { B: idx.length, T: o[7] };
    copyBatch(lab._heap, batch, o);
    return batch;
  }
}

