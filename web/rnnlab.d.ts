// rnnlab.d.ts: TypeScript declarations of web/rnnlab.js, the JavaScript API of rnnlab for pages, Web
// Workers and Node >= 20. Every number is computed by the C core in WebAssembly; arrays are copies (no
// view of WebAssembly memory escapes). Errors from the core are RnnLabError with the core's message.
// Models and datasets hold WebAssembly memory: free() them (a FinalizationRegistry is only a backstop).

/** The cells of the core's cell table, in enum order (lab.cells; tests/js/dts.test.mjs checks this union against it). */
export type CellName = 'rnn' | 'lstm' | 'gru';
export type HeadName = 'binary' | 'classes' | 'regression';
/** What a sequence-to-one head reads: the last state, or the mean or max of the top layer's states over the real steps. */
export type PoolName = 'last' | 'mean' | 'max';
export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export type TaskName = 'adding' | 'copy' | 'sine';
/** Learning-rate schedules of the run layer (lab.names.schedules; docs/model.md). */
export type ScheduleName = 'none' | 'cosine' | 'step';
/** A 64-bit seed: a whole Number up to 2^53 - 1, or a BigInt below 2^64. */
export type Seed = number | bigint;

/** An error of rnnlab: the core's message (rnl_last_error), prefixed with its status name. */
export class RnnLabError extends Error {
  name: 'RnnLabError';
  /**
   * The core's rnl_status (1 bad argument, 2 out of memory, 4 bad format, 5 numeric fault); -1 freed model; -2 trap;
   * -3 a student build ran a cell function still marked TODO (code RNL_ERR_TODO; the message names it).
   */
  status: number;
  /** rnl_status_name, e.g. "bad argument", "bad format", "numeric fault". */
  statusName: string;
  code: 'RNL_ERR_ARG' | 'RNL_ERR_NOMEM' | 'RNL_ERR_IO' | 'RNL_ERR_FORMAT' | 'RNL_ERR_NUMERIC' | 'RNL_ERR_FREED' | 'RNL_ERR_TRAP' | 'RNL_ERR_TODO' | 'RNL_ERR_UNKNOWN';
  /** trainTask only: steps completed before the failure. */
  stepsDone?: number;
}

/** The fields of createModel; those left out take the core's defaults (rnl_config_default). */
export interface ModelConfig {
  cell: CellName;
  /** As `rnnlab init --task`: sets vocab, embed (copy: 8), inputSize, head, outputs and seq2seq for a task. */
  task?: TaskName;
  /** > 0: inputs are token ids 0..vocab-1 through an embedding of width `embed`. Default 0. */
  vocab?: number;
  embed?: number;
  /** Real-valued features per step, when vocab is 0. */
  inputSize?: number;
  /** Hidden units per direction. Default 32. */
  hidden?: number;
  /** Stacked recurrent layers, 1..8. Default 1. */
  layers?: number;
  bidirectional?: boolean;
  /** Default 'binary'. */
  head?: HeadName;
  /** binary: 1; classes: the number of classes (required); regression: values per target. Default 1. */
  outputs?: number;
  /** An output at every step instead of one per sequence. */
  seq2seq?: boolean;
  /** LSTM forget-gate bias at initialisation. Default 1. */
  forgetBias?: number;
  /**
   * Dropout probability in training, in [0, 0.99] (`rnnlab init --dropout`): on the embedding output,
   * between stacked layers and before the head; never in evaluation or prediction. Kept in checkpoints. Default 0.
   */
  dropout?: number;
  /**
   * What the head reads (`rnnlab init --pool`): 'last' the final state (default), 'mean' or 'max' the
   * mean or elementwise max of the top layer's outputs over the real steps. Sequence-to-one models only.
   * Kept in checkpoints.
   */
  pool?: PoolName;
  /** Seed of the initialisation; the native `rnnlab init --seed` gives the same parameters. Default 0. */
  seed?: Seed;
  /**
   * As `rnnlab init --data`: the dataset decides vocab, inputSize, head, outputs and seq2seq (leave them
   * out), embed defaults to 64, and the model keeps dataset.description() as its meta bytes, so
   * predictText needs no dataset and checkpoints carry the vocabulary.
   */
  dataset?: Dataset;
  /**
   * The batch size and length the model will train at (default 1 and 1: the model and Adam's state
   * alone). createModel refuses, before it allocates anything, a model whose training there needs more
   * memory than the module can grow to (RNL_ERR_NOMEM; see RnnLab.trainingBytes).
   */
  batchSize?: number;
  length?: number;
}

/** A model's configuration as the core holds it. */
export interface ResolvedConfig {
  cell: CellName; vocab: number; embed: number; inputSize: number; hidden: number; layers: number;
  bidirectional: boolean; head: HeadName; outputs: number; seq2seq: boolean; forgetBias: number; dropout: number;
  pool: PoolName;
}

/**
 * A learning-rate schedule (`rnnlab train --schedule`): the rate of optimizer step s is the optimizer's
 * rate times the schedule's factor at s, recomputed from the step count (so a resumed run continues it).
 * Warm-up: s / warmup for s <= warmup; cosine: down to 0 at step `total`; step: times gamma every stepSize steps.
 */
export interface Schedule {
  kind?: ScheduleName;
  /** Steps of linear warm-up. Default 0. */
  warmup?: number;
  /** cosine: the step it ends at. Default (0): the end of the training call (steps done + its steps). */
  total?: number;
  /** step: steps between decays. Default (0): one epoch (trainDataset) or a third of the steps (trainTask). */
  stepSize?: number;
  /** step: the factor of each decay. Default 0.1. */
  gamma?: number;
}

/** The best epoch kept by trainDataset({ keepBest: true }). */
export interface BestEpoch {
  /** The epoch (counted over the model's whole training, as a resumed run counts them) and its optimizer steps. */
  epoch: number;
  step: number;
  /** Its validation loss and accuracy (null for a series). */
  loss: number;
  accuracy: number | null;
  /** Epochs in a row since it (what patience counts). */
  stale: number;
  /** Whether the epoch just finished became the best. */
  improved: boolean;
}

/**
 * A batch of B sequences of up to T steps, batch-major. Give `tokens` when the model has a vocabulary,
 * else `inputs`. Plain arrays of numbers are accepted too (copied to typed arrays).
 */
export interface Batch {
  B: number;
  T: number;
  /** (B, T) token ids. */
  tokens?: Int32Array | number[];
  /** (B, T, inputSize). */
  inputs?: Float32Array | number[];
  /** (B), each in 1..T; left out: every sequence is T long. Steps past a length are padding, never read. */
  lengths?: Int32Array | number[];
  /**
   * binary: 0/1; classes: the class index; regression: the value(s). (B), or (B, outputs) for regression;
   * seq2seq: (B, T) or (B, T, outputs). Not needed by predict().
   */
  targets?: Float32Array | number[];
}

/** What generateTask returns: typed arrays, ready for trainStep / evaluate / predict. */
export interface TaskBatch extends Batch {
  tokens?: Int32Array;
  inputs?: Float32Array;
  lengths: Int32Array;
  targets: Float32Array;
}

export interface StepStats {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  /** Fraction correct (binary, classes); null for regression. */
  accuracy: number | null;
  /** Optimizer steps done in all. */
  step: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number | null;
}

/** Settings of setOptimizer; those left out take the defaults of rnl_optim_default, and clip 1 as the CLI. */
export interface OptimizerOptions {
  /** Default 'adam'. */
  kind?: OptimizerName;
  /** Default 0.001 (adam) or 0.1. */
  lr?: number;
  /** Default 0.9 for 'momentum'. */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled (AdamW / SGDW). Default 0. */
  weightDecay?: number;
  /** Clip the global gradient norm to this value; 0 = off. Default 1. */
  clip?: number;
  /** Start a fresh optimizer (moments and step count 0) even when the kind is unchanged. */
  reset?: boolean;
}

export interface OptimizerState {
  kind: OptimizerName; lr: number; momentum: number; beta1: number; beta2: number; eps: number;
  weightDecay: number; clip: number;
  /** Optimizer steps done (kept in checkpoints). */
  steps: number;
}

/** What every training loop reports as it goes (trainTask, trainDataset, Seq2SeqModel.trainTask). */
export interface StepProgress {
  /** Steps done in this call, and the steps asked for. */
  step: number;
  steps: number;
  /** Optimizer steps done in all (the `step` of `rnnlab train --json` lines). */
  totalSteps: number;
  /** Loss of the last step; mean loss of the steps since the previous report. */
  loss: number;
  meanLoss: number;
  /** Gradient norm of the last step, before clipping, and whether it was clipped. */
  gradNorm: number;
  clipped: boolean;
  /** The learning rate of the last step (the schedule's); null if it ran none (Seq2SeqModel: absent). */
  lr?: number | null;
  /** Seconds since the call began; sequences trained per second. */
  seconds: number;
  seqPerSec: number;
}

export interface TrainProgress extends StepProgress {
  accuracy: number | null;
  /** Present at held-out evaluations (every evalEvery steps and at the end). */
  eval?: EvalResult;
}

export interface TrainTaskOptions {
  task: TaskName;
  /** Sequence length. Default 50. */
  length?: number;
  /** Training steps. Default 1000. */
  steps?: number;
  /** Sequences per step. Default 32. */
  batchSize?: number;
  /** Seed of the training data: `rnnlab train --seed` sees the same batches. Default: 1 + steps already done. */
  seed?: Seed;
  /** Truncated BPTT window in steps; 0 = full. */
  bpttWindow?: number;
  /** Evaluate on held-out batches (those of `rnnlab train`) every N steps; 0 = never (default). */
  evalEvery?: number;
  evalBatches?: number;
  evalBatchSize?: number;
  /** Report progress every N steps (the C loop runs in chunks of this size). Default 10. */
  progressEvery?: number;
  /** Called after each chunk; a returned promise is awaited. */
  onProgress?: (p: TrainProgress) => void | Promise<void>;
  /** Stops after the current chunk; the result then has stopped: true. */
  signal?: AbortSignal;
  /** Yield to the event loop at most every this many milliseconds (a page stays responsive). Default 30. */
  yieldMs?: number;
  /** Learning-rate schedule of this call (computed in the core). Default: none, the optimizer's own rate. */
  schedule?: Schedule;
}

export interface TrainResult {
  steps: number;
  totalSteps: number;
  loss: number;
  meanLoss: number;
  /** The last held-out evaluation, or null. */
  eval: EvalResult | null;
  seconds: number;
  seqPerSec: number;
  stopped: boolean;
}

export interface EvaluateTaskOptions {
  task: TaskName;
  /** Defaults as `rnnlab eval`: length 50, 10 batches of 100, seed 1000003. */
  length?: number;
  batches?: number;
  batchSize?: number;
  seed?: Seed;
}

export interface TensorInfo {
  /** PyTorch state_dict name, e.g. "rnn.weight_hh_l0_reverse". */
  name: string;
  /** Offset in the parameter block (floats). */
  offset: number;
  rows: number;
  cols: number;
  /** [rows] for a vector, else [rows, cols]. */
  shape: number[];
}

/** A trace of one sample: `data` is (steps, width), row-major. */
export interface Trace {
  steps: number;
  width: number;
  data: Float32Array;
}

// --- Data --------------------------------------------------------------------------------------------

export type SplitName = 'train' | 'val' | 'test';

/** What prepareImdb / prepareImdbFiles read: reviews per split and label, and train/unsup files (ignored). */
export interface ImdbSourceCounts {
  train: { neg: number; pos: number };
  test: { neg: number; pos: number };
  unsup: number;
}

/** What textCsvDataset read: data rows, and rows per part (by the row hash, ~80/20) and label. */
export interface TextCsvSourceCounts {
  rows: number;
  train: { neg: number; pos: number };
  test: { neg: number; pos: number };
}

/** Options of a text subset; left out: the defaults of `rnnlab data` (lab.dataDefaults). */
export interface TextSubsetOptions {
  /** Training reviews, half negative, half positive (odd: one more positive). Default 5000. */
  train?: number;
  /** Validation reviews, carved from the training split. Default 1000. */
  val?: number;
  /** Test reviews. Default 5000. */
  test?: number;
  /** Most frequent training words kept (besides <pad> and <unk>). Default 10000. */
  vocab?: number;
  /** Tokens kept per review. Default 200. */
  maxLen?: number;
  /** Keep a long review's last maxLen tokens (where its verdict usually is) instead of its first. Default false, as the CLI. */
  keepEnd?: boolean;
  /**
   * Validation made of whole movies, none of them in train (as the test set's movies are apart from the training half's);
   * reads the archive's train/urls_{pos,neg}.txt. IMDB sources only (a reviews CSV has no movies). Default false, as the CLI.
   */
  valByMovie?: boolean;
  /** Seed of the selection: the same seed gives the same subset on every face. Default 1. */
  seed?: Seed;
}

/** Sources prepareImdb reads in chunks: bytes, a Blob or File, a fetch Response or its body, a Node file stream. */
export type ByteSource = Uint8Array | ArrayBuffer | Blob | Response | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface PrepareImdbOptions extends TextSubsetOptions {
  /** Called at most every 100 ms and at the end; a returned promise is awaited. bytesTotal: null when unknown (a stream). */
  onProgress?: (p: { bytesIn: number; bytesTotal: number | null; reviews: number }) => void | Promise<void>;
  /** Aborts between chunks: the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /** Yield to the event loop at most every this many milliseconds. Default 30. */
  yieldMs?: number;
  /** Names the archive in messages about its gzip layer. Default: the File's name, else "IMDB archive". */
  name?: string;
}

export interface PrepareImdbFilesOptions extends TextSubsetOptions {
  onProgress?: (p: { files: number; reviews: number }) => void | Promise<void>;
  signal?: AbortSignal;
  yieldMs?: number;
}

/** An unpacked aclImdb/ file: its path (ending in {train,test}/{pos,neg}/<id>_<rating>.txt) and its bytes. */
export interface ImdbFile {
  name: string;
  data: Uint8Array | ArrayBuffer | Blob | string;
}

export interface TextCsvOptions extends Omit<TextSubsetOptions, 'train' | 'val' | 'test'> {
  /** Sizes: a number, or 'all' (the default): all of the test part, and of the training part a tenth to validation, balanced. */
  train?: number | 'all';
  val?: number | 'all';
  test?: number | 'all';
  /** Names the CSV in messages ("reviews.csv:7: bad label ..."). Default "reviews CSV". */
  name?: string;
}

export interface SeriesCsvOptions {
  /** The numeric column, by name; default: the only numeric one. */
  column?: string;
  /** Input steps per example. Default 30. */
  window?: number;
  /** Values to predict after each window. Default 1. */
  horizon?: number;
  /** Chronological parts: the last testFrac tests, valFrac before it validates. Defaults 0.15 and 0.15. */
  valFrac?: number;
  testFrac?: number;
  /** Names the CSV in messages. Default "CSV". */
  name?: string;
}

/** A dataset in WebAssembly memory: reviews (binary sentiment) or a time series (next-step regression). */
export class Dataset {
  private constructor();
  readonly kind: 'text' | 'series';
  /** Examples per split. */
  readonly counts: Readonly<{ train: number; val: number; test: number }>;
  /** Text: vocabulary size including <pad> (0) and <unk> (1); null for a series. */
  readonly vocabSize: number | null;
  /** Text: tokens kept per review; null for a series. */
  readonly maxLen: number | null;
  /** Text: whether long reviews kept their last tokens; null for a series. */
  readonly keepEnd: boolean | null;
  /** Text: whether validation holds whole movies, none of them in train; null for a series. */
  readonly valByMovie: boolean | null;
  /** Text: the selection seed; null for a series. */
  readonly seed: number | null;
  /** Series: input steps per window, values predicted, training mean and std (population), the column, the number of values (all parts). */
  readonly window: number | null;
  readonly horizon: number | null;
  readonly mean: number | null;
  readonly std: number | null;
  readonly column: string | null;
  readonly valueCount: number | null;
  /** What the source held (prepareImdb, prepareImdbFiles, textCsvDataset), else null. */
  readonly source: ImdbSourceCounts | TextCsvSourceCounts | null;
  /** True after free(). */
  readonly freed: boolean;

  /** One line: kind, split sizes, vocabulary or window (as `rnnlab data --show`). */
  describe(): string;
  /** The .rnld file: byte-identical to `rnnlab data`'s for the same source and options. Cache it (IndexedDB) or offer it for download. */
  toBytes(): Uint8Array;
  /** The file without its examples (vocabulary and tokenizer settings, or the series): what a model keeps as meta. */
  description(): Uint8Array;
  /** Examples [first, first + count) are the split (dataset indices for batch() and example()). */
  split(name: SplitName): { first: number; count: number };
  /** Training steps (batches) in an epoch at this batch size: the run layer's count. */
  batchesPerEpoch(batchSize: number): number;
  /** A text as a model trained on this data reads it: ids (maxLen, keepEnd applied) and their words, '<unk>' for unknown ones. */
  encode(text: string | Uint8Array): { ids: Int32Array; tokens: string[] };
  /** The word of a token id ('<pad>', '<unk>' or a word); null out of range or for a series. */
  word(id: number): string | null;
  /** Example i of a text dataset: token ids, label (0 negative, 1 positive), rating (1..10, 0 unknown), review id (CSV: the row). */
  example(i: number): { ids: Int32Array; label: number; rating: number; id: number };
  /**
   * A batch of examples by dataset index, ready for trainStep / evaluate / predict of a model made for
   * this data: text { tokens (B, T) padded with 0, lengths, targets 0/1 }, series { inputs (B, window, 1),
   * lengths, targets (B, horizon) } in normalised units.
   */
  batch(indices: Int32Array | number[]): TaskBatch;
  /** Frees the dataset's WebAssembly memory; again: no-op; any other call afterwards throws (RNL_ERR_FREED). */
  free(): void;
}

/** `steps` is epochs * batches per epoch. */
export interface TrainDatasetProgress extends StepProgress {
  /** The epoch under way (1-based) and the epochs asked for. */
  epoch: number;
  epochs: number;
  accuracy: number | null;
}

export interface DatasetEval {
  loss: number;
  /** null for a series (the loss is the MSE in normalised units). */
  accuracy: number | null;
  count: number;
}

export interface TrainDatasetOptions {
  /** Passes over the training split. Default 3. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Text: batches of similar lengths from pools of `bucket` batches; 1 = a plain shuffle. Default 8 (the CLI's). */
  bucket?: number;
  /** Seed of the epoch orders (`rnnlab train --seed`). Default: 1 + the optimizer steps already done, as the CLI. */
  seed?: Seed;
  /** Truncated BPTT window in steps; 0 = full. */
  bpttWindow?: number;
  /** After every `progressEvery` steps (counted over the call, as the CLI's JSON lines) and at each epoch's end. */
  onProgress?: (p: TrainDatasetProgress) => void | Promise<void>;
  /** After each finished epoch, with the validation split's loss and accuracy (null without one). */
  onEpoch?: (e: { epoch: number; epochs: number; step: number; totalSteps: number; val: DatasetEval | null; best: BestEpoch | null }) => void | Promise<void>;
  /** Stops after the current chunk; the result then has stopped: true (no validation for a partial epoch). */
  signal?: AbortSignal;
  /** Yield to the event loop at most every this many milliseconds. Default 30. */
  yieldMs?: number;
  /** Steps per chunk run in C between reports. Default 10. */
  progressEvery?: number;
  /** Learning-rate schedule of this call (computed in the core). Default: none. */
  schedule?: Schedule;
  /**
   * As `rnnlab train --keep-best`: after each epoch the core judges the validation split (higher accuracy,
   * ties to the lower loss; a series: lower loss) and keeps the best epoch's checkpoint in the model
   * (bestCheckpoint, restoreBest). A model that has trained already starts as the mark to beat. Needs a
   * validation split. Default false.
   */
  keepBest?: boolean;
  /** With keepBest: stop after this many epochs in a row without improvement (stoppedEarly). 0 = never (default). */
  patience?: number;
  /**
   * With keepBest, a run taken up again (a page reopening a closed tab): the `best` record onEpoch gave after
   * the epoch the model is at, with the bytes model.bestCheckpoint() gave then. Later epochs must beat it, and
   * restoreBest() puts it back if none does.
   */
  resumeBest?: BestEpoch & { checkpoint: Uint8Array };
}

export interface TrainDatasetResult {
  epochs: number;
  steps: number;
  totalSteps: number;
  loss: number;
  meanLoss: number;
  /** The last validation, or null. */
  val: DatasetEval | null;
  seconds: number;
  seqPerSec: number;
  stopped: boolean;
  /** keepBest: the best epoch, or null; whether patience ended the run. */
  best: BestEpoch | null;
  stoppedEarly: boolean;
}

/** One unit of one layer at one step of inspectText (rnl_unit_step); arrays have one entry per gate, PyTorch order. */
export interface UnitStep {
  unit: number;
  /** After the activations (the LSTM's g and the GRU's n are the candidate). */
  gates: number[];
  /** What each activation read: xPart + hPart (the GRU's n: xPart + r * hPart). */
  pre: number[];
  /** Row `unit` of W_ih x_t + b_ih and of W_hh h_{t-1} + b_hh, per gate. */
  xPart: number[];
  hPart: number[];
  hPrev: number;
  h: number;
  /** The LSTM's c_{t-1} and c_t; 0 for the others. */
  cPrev: number;
  c: number;
  /** ||x_t|| (the embedding row read) and ||h_{t-1}||. */
  xNorm: number;
  hPrevNorm: number;
  /** dL/dh_t and the LSTM's dL/dc_t of this unit. */
  dh: number;
  dc: number;
}

export interface InspectToken {
  word: string;
  id: number;
  /** P(positive) having read up to this word. */
  positive: number;
  /** h_t (top layer) on the state map. */
  xy: [number, number];
  /** ||dL/dh_t||, the LSTM's ||dL/dc_t|| (0 otherwise), and ||step t's part of dL/dh_{t-1}||. */
  gradH: number;
  gradC: number;
  toPrev: number;
  /** The norms of the paths of that part: RNN { W_hh }; GRU { direct, gates }; LSTM { cell, gates }. */
  paths: Record<string, number>;
  units: UnitStep[];
}

export interface InspectResult {
  cell: CellName;
  layer: number;
  units: number[];
  probability: number;
  /** The label the backward view followed; null: the model's own answer. */
  label: 0 | 1 | null;
  /** The paths' names, in order. */
  paths: string[];
  tokens: InspectToken[];
  /** What the state map's PCA was fitted over, and the share of variance each axis explains. */
  projection: { fittedOn: 'dataset' | 'text' | 'none'; explained: [number, number] };
  /** With a dataset: its reviews' final states on the map, (n, 2), and their labels. */
  cloud: { xy: Float64Array; labels: Int32Array } | null;
}

export interface InspectOptions {
  /** Units of `layer` whose gates to return (default 0, 1, 2). */
  units?: number[] | Int32Array;
  layer?: number;
  /** The label the backward view follows (default null: the model's own answer). */
  label?: 0 | 1 | null;
  /** Fit the state map over this dataset's reviews (and return their cloud); default: over the text's own states. */
  dataset?: Dataset | null;
  split?: SplitName;
  /** How many of the split's first reviews (default 200). */
  reviews?: number;
}

export interface WordMap {
  words: string[];
  ids: Int32Array;
  /** (n, 2): the first two principal axes of the embeddings. */
  pca: Float64Array;
  /** (n, 2): the readout direction (d logit / d embedding at the mean embedding) against the first axis. */
  readout: Float64Array;
  /** Each word alone: its review's logit and P(positive). */
  effect: Float64Array;
  positive: Float64Array;
  /** |correlation| of each map's x with the effect. */
  separation: { pca: number; readout: number };
  /** With opts.dataset: |correlation| of each map's x with the words' polarity in its training reviews; else null. */
  dataSeparation: { pca: number; readout: number } | null;
  /** The better map: by dataSeparation when there is one, else by separation. */
  best: 'pca' | 'readout';
}

/** One logged training step (rnl_history_point); null where a figure was not measured. */
export interface HistoryPoint {
  step: number;
  loss: number;
  accuracy: number | null;
  gradNorm: number;
  valLoss: number | null;
  valAccuracy: number | null;
}

export interface TextPrediction {
  /** P(positive). */
  probability: number;
  /** The token ids the model read (its maxLen and keepEnd applied) and their words, '<unk>' for unknown ones. */
  ids: Int32Array;
  tokens: string[];
  /** The same tokens as typed (lowercased, as the tokenizer cut them), one per id: what each '<unk>' stood for. */
  words: string[];
  /** How many of them are <unk>. */
  unknown: number;
  /**
   * P(positive) after each token (rnl_model_predict_steps): the change from the step before is that
   * word's contribution; the last equals `probability`. null for a bidirectional model.
   */
  stepProbabilities: Float32Array | null;
}

export class Model {
  private constructor();
  readonly config: Readonly<ResolvedConfig>;
  readonly numParams: number;
  /** True after free(). */
  readonly freed: boolean;
  /** The optimizer's settings and step count, or null before one is set or made by training. */
  readonly optimizer: OptimizerState | null;

  /** Same kind (and no reset): the moments and step count are kept; another kind: a fresh optimizer. */
  setOptimizer(opts?: OptimizerOptions): void;
  /** Zero grads, forward, backward, clip, update. Without setOptimizer: Adam, lr 0.001, clip 1. */
  trainStep(batch: Batch, opts?: { bpttWindow?: number }): StepStats;
  /**
   * Training steps on n instances of the module: n - 1 Worker replicas of this model (worker_threads in
   * Node, Workers in a browser; no shared memory, so no cross-origin isolation), used by trainStepAsync.
   * 1 ends them. The same bytes at every count. n: 1..64. trainTask and trainDataset step over them too.
   * Refused while a step runs on them; between two steps of a run (onProgress) the run goes on at the new count.
   */
  setThreads(n: number): Promise<void>;
  /** The instances trainStepAsync uses (setThreads). */
  readonly threads: number;
  /**
   * How its threads run: 'single' (one), 'replicas' (Worker replicas) or 'shared' (on a shared-memory lab,
   * lab.sharedMemory: setThreads(n) gives the core's own threads, Worker instances over one memory, which
   * trainStep, trainDataset, trainTask and evaluations use; the same bytes at every count).
   */
  readonly threadPath: 'single' | 'replicas' | 'shared';
  /** What the replicas' copies cost so far (null at 1 thread): steps, bytes posted out and in, fresh copies of the model. */
  readonly threadStats: ThreadStats | null;
  /** trainStep over the instances of setThreads (shards of 8 rows, summed in order in C): the same result at any count. */
  trainStepAsync(batch: Batch, opts?: { bpttWindow?: number }): Promise<StepStats>;
  evaluate(batch: Batch): EvalResult;
  /** sigmoid (binary), softmax (classes) or value (regression): (B, outputs), or (B, T, outputs) with zeros at padding. */
  predict(batch: Batch): Float32Array;
  /** Loss, gradients (parameter layout) and predictions of a batch, without an update. */
  /** dropoutStep >= 1: with the dropout masks training draws at that optimizer step (a model with dropout). */
  gradients(batch: Batch, opts?: { bpttWindow?: number; dropoutStep?: number }): { loss: number; gradNorm: number; gradients: Float32Array; predictions: Float32Array };
  /** The loop of `rnnlab train` on a synthetic task, in chunks, with progress and yields. */
  trainTask(opts: TrainTaskOptions): Promise<TrainResult>;
  evaluateTask(opts: EvaluateTaskOptions): EvalResult;

  /**
   * The loop of `rnnlab train --data` on the training split (same seed, same epoch orders and losses as
   * the CLI), run in C in chunks with yields. The model must fit the data (createModel({ dataset })) and
   * keeps its description as meta. A numeric fault rejects with RNL_ERR_NUMERIC (stepsDone set) and
   * leaves the parameters of the last good step.
   */
  trainDataset(dataset: Dataset, opts?: TrainDatasetOptions): Promise<TrainDatasetResult>;
  /** Loss and accuracy over a whole split, as `rnnlab eval --data`. Default split 'test'. */
  evaluateDataset(dataset: Dataset, split?: SplitName): DatasetEval;
  /** The sentiment of a text read with the model's own vocabulary (its meta), as `rnnlab predict`. */
  predictText(text: string | Uint8Array): TextPrediction;
  /**
   * Next-step predictions over a split's windows of a series, in its own units (de-normalised in C):
   * actual[i] is the value right after window i, predicted[i] the model's (first) output for it. Default split 'test'.
   */
  predictSeries(dataset: Dataset, split?: SplitName): { actual: Float64Array; predicted: Float64Array };

  /** Trace sample `sample` of the next forward and backward passes; null or -1: off. */
  setTrace(sample: number | null): void;
  /** Post-activation gates (steps, G*H) in PyTorch order (RNN h; LSTM i f g o; GRU r z n), or null. */
  gateTrace(layer?: number, dir?: number): Trace | null;
  /** Cell state (LSTM) or hidden state (RNN, GRU), (steps, H), or null. */
  stateTrace(layer?: number, dir?: number): Trace | null;
  /** ||dL/dh_t|| per step after a traced backward (width 1), or null. */
  gradNormTrace(layer?: number, dir?: number): Trace | null;

  /** A text word by word, as `rnnlab inspect`: P(positive), the state map, the backward paths, chosen units' gates. */
  inspectText(text: string | Uint8Array, opts?: InspectOptions): InspectResult;
  /** The n most frequent words on two maps with their own effect, as `rnnlab embeddings` (default n 200). */
  wordMap(n?: number, opts?: { dataset?: Dataset | null }): WordMap;
  /** The k nearest words by cosine of the embeddings (default 5). */
  neighbours(word: string, k?: number): { word: string; id: number; cos: number }[];
  /** The training history kept with the model and in its checkpoints: one point per training step. */
  history(): HistoryPoint[];

  /** A copy of the parameter block. */
  parameters(): Float32Array;
  /** Replaces the parameter block: exactly numParams finite values. */
  setParameters(values: Float32Array | number[]): void;
  tensors(): TensorInfo[];
  /** A copy of the opaque meta bytes saved with the model (the description of its data), or null. */
  meta(): Uint8Array | null;
  /** Sets the meta bytes kept in the model's checkpoints; null or empty clears them. */
  setMeta(bytes: Uint8Array | ArrayBuffer | ArrayBufferView | null): void;
  /** The checkpoint format of the native CLI; with the optimizer's state unless optimizer: false. */
  saveCheckpoint(opts?: { optimizer?: boolean }): Uint8Array;
  /** The best epoch's checkpoint (with the optimizer) kept by trainDataset({ keepBest: true }), or null. */
  bestCheckpoint(): Uint8Array | null;
  /** Puts the best epoch kept by keepBest back into the model (parameters and optimizer); throws if none. */
  restoreBest(): { epoch: number; step: number; loss: number; accuracy: number | null };
  /** Frees the model's WebAssembly memory; again: no-op; any other call afterwards throws (RNL_ERR_FREED). */
  free(): void;
}

/** One entry of the core's cell table (rnl_cell_info), as lab.cells lists them. */
export interface CellInfo {
  /** What configs and flags spell: 'lstm'. */
  name: CellName;
  /** What people read: 'LSTM'. */
  label: string;
  /** G: rows of weight_ih per hidden unit (RNN 1, LSTM 4, GRU 3). */
  gates: number;
  /** The gates in PyTorch's order ('i', 'f', 'g', 'o' for an LSTM); an RNN's one "gate" is 'h'. */
  gateNames: readonly string[];
  /** What each gate is, for people, in the same order ('input gate', 'forget gate', 'candidate', ...). */
  gateRoles: readonly string[];
  /** True when the cell keeps a second state besides h (the LSTM's c). */
  hasCellState: boolean;
  /** What the layer's extra cache holds (for traces), or null. */
  extraState: string | null;
}

/** A range from the core's limit table (rnl_limit): a setting must be in [min, max]. */
export interface Limit {
  min: number;
  max: number;
  /** What the setting is: 'hidden units per direction'. */
  what: string;
  /** True for a whole number (the message writes '1..4096'), false for a real one ('[0, 0.9999]'). */
  whole: boolean;
}

/** The model kinds the run layer has defaults for. */
export type TrainingKind = 'recurrent' | 'seq2seq' | 'transformer';

/**
 * What a run uses when it is not told otherwise (the core's run layer, rnl_run_defaults): the defaults
 * of trainTask, trainDataset, evaluateTask and setOptimizer, the same as the native CLI's.
 */
export interface TrainingDefaults {
  /** Sequences per step. */
  batch: number;
  /** A new optimizer's learning rate: Adam's, and sgd's or momentum's. */
  lrAdam: number;
  lrOther: number;
  momentum: number;
  weightDecay: number;
  /** Global gradient-norm clipping of a new optimizer. */
  clip: number;
  /** Task training steps, and a task's sequence length (recurrent). */
  steps: number;
  length: number;
  /** Passes over a dataset, and length-bucketing pools of batches (text). */
  epochs: number;
  bucket: number;
  /** Truncated BPTT window (0: full). */
  bptt: number;
  /** A run checks held-out batches every steps / evalEveryParts steps. */
  evalEveryParts: number;
  /** The in-training held-out check: heldoutBatches batches of heldoutBatch. */
  heldoutBatches: number;
  heldoutBatch: number;
  /** evaluate / evaluateTask: testBatches batches of testBatch from testSeed. */
  testBatches: number;
  testBatch: number;
  testSeed: number;
  /** The embedding width of a model made for a text dataset when createModel is given none. */
  dataEmbed: number;
  /** A dataset's split is evaluated and predicted in batches of this many. */
  evalBatch: number;
}

export class RnnLab {
  private constructor();
  /**
   * Loads rnnlab.wasm: by default from beside rnnlab.js; or from a URL, a path (Node), bytes, a
   * Response or a compiled WebAssembly.Module. One instance per call: a Worker loads its own.
   * By default the loader takes rnnlab-relaxed.wasm (relaxed-SIMD gemms) where WebAssembly.validate
   * accepts relaxed SIMD, else rnnlab.wasm; `simd: 'plain'` always takes rnnlab.wasm (the native
   * build's bytes), `simd: 'relaxed'` the relaxed build or an error. `shared` takes their shared-memory
   * twins (rnnlab-shared.wasm, rnnlab-relaxed-shared.wasm), whose threads share one memory: 'auto' (the
   * default) in a Worker of a cross-origin-isolated page, true everywhere it can (Node, such Workers) or an
   * error, false never. A given source is shared when it imports its memory.
   */
  static load(source?: string | URL | ArrayBuffer | ArrayBufferView | Response | WebAssembly.Module,
    options?: { simd?: 'auto' | 'plain' | 'relaxed'; shared?: 'auto' | boolean }): Promise<RnnLab>;
  /** True for the shared-memory module: models' setThreads(n) run the core's threads on Worker instances. */
  readonly sharedMemory: boolean;
  /** Ends a shared-memory lab's Worker threads (models then run on one thread until setThreads again). */
  stopThreads(): Promise<void>;
  /** The core's version, e.g. "0.1.0". */
  readonly version: string;
  /** The gemm kernels in use: "wasmrelaxed" (rnnlab-relaxed.wasm), "wasmsimd", or "scalar" in a build without SIMD. */
  readonly kernels: string;
  /** Names the core knows, in enum order. */
  readonly names: Readonly<{ cells: CellName[]; heads: HeadName[]; pools: PoolName[]; optimizers: OptimizerName[]; tasks: TaskName[]; schedules: ScheduleName[] }>;
  /** What a sequence-to-one head can read, in enum order, with the label people read ('the mean of all states'). */
  readonly pools: ReadonlyArray<Readonly<{ name: PoolName; label: string }>>;
  /**
   * Points of a schedule's learning-rate curve, computed in the core: `points` steps evenly spaced from
   * `first` (default 1) to `last` (default: schedule.total) for the base rate `lr` (default Adam's 0.001).
   */
  scheduleCurve(schedule: Schedule, opts?: { lr?: number; points?: number; first?: number; last?: number; epochSteps?: number }): { steps: Int32Array; lr: Float32Array };
  /** Seq2seq names in enum order. */
  readonly seq2seqNames: Readonly<{ attention: AttentionName[]; tasks: Seq2SeqTaskName[] }>;
  /** Transformer names in enum order. */
  readonly transformerNames: Readonly<{ positions: PositionsName[] }>;
  /** The core's cell table, in enum order: what a page lists in its cell <select>. */
  readonly cells: readonly Readonly<CellInfo>[];
  /**
   * The core's limits by name (hidden, layers, embed, length, batch, lr, clip, ...): the ranges the core
   * checks, with the same message everywhere ("hidden is 0, must be in 1..4096").
   */
  readonly limits: Readonly<Record<string, Readonly<Limit>>>;
  /** The run layer's defaults for a model kind. */
  trainingDefaults(kind: TrainingKind): TrainingDefaults;
  /**
   * Which cells the module runs: the reference (web/rnnlab.wasm), or a student build of the exercises'
   * cell_math.c (exercises/grade.mjs: web/student/rnnlab.wasm) with the functions still marked TODO
   * (found by running each once on a tiny problem at load). A call that runs one throws RNL_ERR_TODO.
   */
  readonly implementation: Readonly<{ kind: 'reference' | 'student'; todoCount: number; todos: readonly string[] }>;
  /** Bytes of WebAssembly memory (it grows, never shrinks). */
  readonly memoryBytes: number;
  /**
   * The most bytes this module's WebAssembly memory can grow to: the maximum it declares (2 GB for
   * web/rnnlab.wasm), or 4 GB when it declares none or was loaded from a compiled WebAssembly.Module. A
   * browser may refuse to grow that far on a small device; it can never grow further.
   */
  readonly memoryLimit: number;
  /**
   * memoryBytes; the bytes the C allocator has handed out and not had back; memoryLimit; and what is left
   * of it for new models and batches (memoryLimit less the stack, static data and heapInUse).
   */
  memoryStats(): { memoryBytes: number; heapInUse: number; memoryLimit: number; available: number };
  /**
   * The bytes training a model of `cfg` takes (the core's rnl_training_bytes: parameters, gradients, the
   * optimizer's state and the work memory of batches of batchSize x length), at opts.batchSize, else
   * cfg.batchSize, else 32, and opts.length, else cfg.length, else the dataset's max length or window,
   * else 50 (trainTask's default); with opts.optimizer (default 'adam'). Infinity past 4 GB, more than a
   * 32-bit WebAssembly memory can address. Batch buffers, the model's bookkeeping and datasets are extra
   * (a few percent). For a page to show before it creates a model:
   *
   *     const mb = lab.trainingBytes(cfg, { batchSize: 32, length: 200 }) / 2 ** 20;
   *
   * createModel, setOptimizer and every call that runs batches (trainStep, evaluate, predict, gradients,
   * trainTask, evaluateTask, trainDataset, evaluateDataset, predictSeries) compare this figure with what
   * the memory can still grow to and refuse, before they allocate anything, with RNL_ERR_NOMEM and a
   * message such as "out of memory: this model needs 2512.6 MB to train at batch 256, length 1000; the
   * WebAssembly memory allows at most 2047.0 MB here (...): reduce hidden, the batch size or the length".
   * A model's work memory is sized for the largest batch and the longest length it has run (evaluation
   * runs in batches of up to 64, trainTask's evaluations in evalBatchSize), and never shrinks.
   */
  trainingBytes(cfg: ModelConfig, opts?: { batchSize?: number; length?: number; optimizer?: OptimizerName }): number;

  createModel(cfg: ModelConfig): Model;
  /** A model (and its optimizer with its step count, if saved) from checkpoint bytes. */
  loadCheckpoint(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): Model;
  /** A fresh encoder-decoder for a task, as `rnnlab init --task` (same configuration and seed: same checkpoint bytes). */
  createSeq2Seq(cfg: Seq2SeqConfig): Seq2SeqModel;
  /** A seq2seq model (and its optimizer, if saved) from checkpoint bytes that name a task (`rnnlab init/train --task`). */
  loadSeq2Seq(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): Seq2SeqModel;
  /**
   * A fresh Transformer encoder, as `rnnlab init --cell transformer` (same configuration and seed: same
   * checkpoint bytes). Refused with the core's message: heads not dividing hidden, a per-step task (sine), ...
   */
  createTransformer(cfg: TransformerConfig): TransformerModel;
  /** A Transformer encoder (and its optimizer, if saved) from its checkpoint bytes (RNNLABTF). */
  loadTransformer(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): TransformerModel;
  /** The model shape a task needs. */
  taskShape(task: TaskName): { vocab: number; embed: number; inputSize: number; head: HeadName; outputs: number; seq2seq: boolean };
  /** One batch of a synthetic task from a generator seeded with `seed` (default 0). */
  generateTask(task: TaskName, B: number, T: number, seed?: Seed): TaskBatch;

  /** The defaults of `rnnlab data` (rnl_imdb_default, rnl_series_default). */
  readonly dataDefaults: Readonly<{ train: number; val: number; test: number; vocab: number; maxLen: number; keepEnd: boolean; seed: number;
    valByMovie: boolean; window: number; horizon: number; valFrac: number; testFrac: number }>;
  /** A dataset from the bytes of a .rnld file (fetched by URL, from IndexedDB, ...). `name` labels messages. */
  openDataset(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, opts?: { name?: string }): Dataset;
  /**
   * An IMDB subset (as `rnnlab data --source`) from aclImdb_v1.tar.gz, aclImdb_v1_labeled.tar.gz or a
   * .tar: streamed in chunks (gzip inflated by the platform's DecompressionStream), never held whole in
   * WebAssembly memory. A non-archive or a damaged one rejects with the core's message.
   */
  prepareImdb(source: ByteSource, opts?: PrepareImdbOptions): Promise<Dataset>;
  /** The same from the files of an unpacked aclImdb/ directory (Files of <input webkitdirectory>, or { name, data }). */
  prepareImdbFiles(files: Iterable<File | ImdbFile> | AsyncIterable<File | ImdbFile>, opts?: PrepareImdbFilesOptions): Promise<Dataset>;
  /**
   * Reviews from a CSV: a header row with `text` (or `review`) and `label` (or `sentiment`); labels 0/1,
   * neg/pos or negative/positive. Rows go to train or test by a hash of their index and the seed (~80/20),
   * then through the IMDB selection (balanced). A bad row throws, naming the line and the problem.
   */
  textCsvDataset(textOrBytes: string | Uint8Array | ArrayBuffer, opts?: TextCsvOptions): Dataset;
  /** A time series from one numeric column of a CSV (as `rnnlab data --source FILE.csv`). */
  seriesCsvDataset(textOrBytes: string | Uint8Array | ArrayBuffer, opts?: SeriesCsvOptions): Dataset;
  /** The bag-of-words logistic regression of `rnnlab baseline`: accuracies (null for an empty split) and its strongest words. */
  bowBaseline(dataset: Dataset): { trainAccuracy: number; valAccuracy: number | null; testAccuracy: number | null; trainLoss: number;
    topPositive: string[]; topNegative: string[] };
}

// --- Sequence-to-sequence (rnnlab_seq2seq.h, docs/seq2seq.md) ---------------------------------------

export type AttentionName = 'none' | 'dot' | 'additive';
export type Seq2SeqTaskName = 'reverse' | 'dates';

/** The fields of createSeq2Seq; those left out take the CLI's defaults (rnl_s2s_task_default, rnl_s2s_config_default). */
export interface Seq2SeqConfig {
  /** reverse: a sequence of letters backwards; dates: '3 May 1998' (10 formats) -> '1998-05-03'. */
  task: Seq2SeqTaskName;
  /** reverse: every sequence this long (sets minLength and maxLength). Default lengths 5..10. */
  length?: number;
  minLength?: number;
  maxLength?: number;
  /** reverse: distinct symbols, shown as letters a.. (1..26, default 10). */
  symbols?: number;
  /** Encoder and decoder cell (default 'gru'); or encoderCell / decoderCell on their own. */
  cell?: CellName;
  encoderCell?: CellName;
  decoderCell?: CellName;
  /** Encoder hidden units per direction (default 32); the decoder has hidden x directions. */
  hidden?: number;
  /** Width of both embeddings (default 16). */
  embed?: number;
  /** Stacked encoder layers (default 1). */
  layers?: number;
  bidirectional?: boolean;
  /** Default 'dot'; 'none' is the plain encoder-decoder. */
  attention?: AttentionName;
  /** Additive attention only: its width (default the decoder's hidden size). */
  attnWidth?: number;
  /** LSTM forget-gate bias at init (default 1). */
  forgetBias?: number;
  /** Seed of the initialisation (default 0, as the CLI). */
  seed?: Seed;
}

export interface Seq2SeqEval {
  /** Greedy decoding: right tokens over the target positions (a missing token is wrong). */
  tokenAccuracy: number;
  /** Greedy decoding: outputs equal to the target, <eos> included. */
  sequenceAccuracy: number;
  /** Teacher-forced cross-entropy per target token. */
  loss: number;
  teacherForcedTokenAccuracy: number;
  teacherForcedSequenceAccuracy: number;
}

export interface Seq2SeqProgress extends StepProgress {
  /** Teacher-forced accuracies of the last training batch. */
  tokenAccuracy: number;
  sequenceAccuracy: number;
  /** Every evalEvery steps: greedy decoding of held-out batches (the same ones each time). */
  eval?: Seq2SeqEval;
}

export interface Seq2SeqTrainOptions {
  /** Default 1000. */
  steps?: number;
  /** Default 32. */
  batchSize?: number;
  /** Seed of the training data; default: continue from the steps already done (as the CLI). */
  seed?: Seed;
  /** Evaluate held-out batches every N steps (0: never, the default). */
  evalEvery?: number;
  /** Held-out batches (default 2) of evalBatchSize (default 64), always the same ones (as `rnnlab train`). */
  evalBatches?: number;
  evalBatchSize?: number;
  /** Report every N steps (default 10). */
  progressEvery?: number;
  onProgress?: (p: Seq2SeqProgress) => void | Promise<void>;
  /** Stops after the current chunk; the result then has stopped: true. */
  signal?: AbortSignal;
  /** Yield to the event loop at least this often (ms, default 30). */
  yieldMs?: number;
}

export interface Seq2SeqDecoded {
  input: string;
  /** The output text, up to <eos>. */
  output: string;
  /** Whether decoding ended with <eos> (not the length limit). */
  stoppedAtEos: boolean;
  /** One string per input token (each a character) and per output token ('<eos>' for the end). */
  inputTokens: string[];
  outputTokens: string[];
  inputIds: Int32Array;
  outputIds: Int32Array;
  /** Attention weights: rows = output steps (outputTokens), cols = input steps, row-major; zeros without attention. */
  attention: { rows: number; cols: number; data: Float32Array };
}

/** An encoder-decoder with attention for its task. Holds WebAssembly memory: free() it. */
export class Seq2SeqModel {
  private constructor();
  readonly task: Readonly<{ name: 'reverse'; minLength: number; maxLength: number; symbols: number } | { name: 'dates' }>;
  readonly config: Readonly<{ srcVocab: number; tgtVocab: number; embed: number; encoderCell: CellName; hidden: number; layers: number;
    bidirectional: boolean; decoderCell: CellName; attention: AttentionName; attnWidth: number; forgetBias: number }>;
  readonly numParams: number;
  readonly freed: boolean;
  free(): void;
  /** As Model.setOptimizer. Without one, training starts Adam at lr 0.005 with clip 1 (as `rnnlab train`). */
  setOptimizer(opts?: OptimizerOptions): void;
  readonly optimizer: OptimizerState | null;
  /** Teacher-forced training on fresh batches of the task: the loop of `rnnlab train` for a seq2seq checkpoint. */
  trainTask(opts?: Seq2SeqTrainOptions): Promise<{ steps: number; totalSteps: number; loss: number; meanLoss: number;
    eval: Seq2SeqEval | null; seconds: number; seqPerSec: number; stopped: boolean }>;
  /** Held-out examples from their own seed, as `rnnlab eval` (defaults: 10 batches of 100, seed 1000003). */
  evaluate(opts?: { batches?: number; batchSize?: number; seed?: Seed }): Seq2SeqEval;
  /**
   * Greedy decoding of one text (reverse: letters of the task's symbols; dates: e.g. '3 May 1998'). A
   * character the task cannot read throws RnnLabError with the core's message. maxLength: output tokens
   * at most (default: the task's longest target + 5).
   */
  decode(text: string, opts?: { maxLength?: number }): Seq2SeqDecoded;
  /**
   * The right answer the task pairs with a text (reverse: reversed; dates: '1998-05-03' for a text in one
   * of its formats), or null when it has none.
   */
  answer(text: string): string | null;
  /** Checkpoint bytes naming the task, with the optimizer state unless optimizer: false. */
  saveCheckpoint(opts?: { optimizer?: boolean }): Uint8Array;
}

/** How a Transformer knows the order of its inputs: sinusoidal positions, or none (a bag of words). */
export type PositionsName = 'none' | 'sinusoidal';

/** The fields of createTransformer; those left out take the CLI's defaults (rnl_tf_config_default). */
export interface TransformerConfig {
  /** The inputs and head a synthetic task needs (adding, copy). Or give a dataset, vocab or inputSize. */
  task?: TaskName;
  /** As `rnnlab init --cell transformer --data`: the data decides vocab, inputSize, head and outputs; the model keeps its description. */
  dataset?: Dataset;
  vocab?: number;
  inputSize?: number;
  /** d_model: the width of every position's vector. Default 64. */
  hidden?: number;
  /** Attention heads; must divide hidden. Default 4. */
  heads?: number;
  /** Encoder layers. Default 2. */
  layers?: number;
  /** Feed-forward width. Default 128. */
  ffn?: number;
  /** Default 'sinusoidal'; 'none' is the "break it": no notion of order. */
  positions?: PositionsName;
  head?: HeadName;
  outputs?: number;
  seed?: Seed;
}

/**
 * Model.threadStats: what the replicas' copies cost so far. Bytes posted out and in, fresh copies of the model,
 * and milliseconds summed over the steps: this instance's shards, its wait for the replicas' blocks after
 * them, the sum and optimizer step here; the replicas' shards and their own optimizer steps.
 */
export interface ThreadStats {
  steps: number; bytesOut: number; bytesIn: number; syncs: number;
  msShards: number; msWait: number; msApply: number; msReplicaShards: number; msReplicaApply: number;
}

/** Model.threadPath: how training steps use the threads of setThreads. */
export type ThreadPath = 'single' | 'replicas' | 'shared';

/** A Transformer encoder (rnnlab_transformer.h; docs/model.md, "Transformer encoder"). */
export class TransformerModel {
  private constructor();
  readonly config: Readonly<{ vocab: number; inputSize: number; hidden: number; heads: number; layers: number; ffn: number;
    positions: PositionsName; head: HeadName; outputs: number }>;
  readonly numParams: number;
  readonly freed: boolean;
  free(): void;
  /** The parameter block's tensors: PyTorch state_dict names (layers.0.self_attn.in_proj_weight, ...), shapes, offsets. */
  tensors(): { name: string; rows: number; cols: number; offset: number }[];
  /** A copy of the parameter block. */
  params(): Float32Array;
  /** As Model.setOptimizer. Without one, training starts Adam at lr 0.001 with clip 1 (as `rnnlab train`). */
  setOptimizer(opts?: OptimizerOptions): void;
  readonly optimizer: OptimizerState | null;
  /** Training on fresh batches of a task: the loop of `rnnlab train --task` for a Transformer checkpoint. */
  trainTask(opts: Omit<TrainTaskOptions, 'bpttWindow'>): Promise<TrainResult>;
  /** Held-out loss and accuracy (null for regression), as `rnnlab eval` (defaults: 10 batches of 100, seed 1000003). */
  evaluateTask(opts: { task: TaskName; length?: number; batches?: number; batchSize?: number; seed?: Seed }): { loss: number; accuracy: number | null };
  /**
   * Attention weights of one head of one layer for one sequence of the last batch the model ran: rows are
   * queries, columns keys, each row sums to 1. Null before any batch.
   */
  attention(opts?: { layer?: number; head?: number; sample?: number }): { rows: number; cols: number; data: Float32Array } | null;
  /** Checkpoint bytes (RNNLABTF), with the optimizer state unless optimizer: false. */
  saveCheckpoint(opts?: { optimizer?: boolean }): Uint8Array;
  /** Bytes training takes at batchSize (default 32) x length with optimizer (default 'adam'); grows with length squared. */
  trainingBytes(opts: { batchSize?: number; length: number; optimizer?: OptimizerName }): number;
  /** One training step on a batch (zero grads, forward, backward, clip, update). As Model.trainStep, without bpttWindow. */
  trainStep(batch: Batch): StepStats;
  /**
   * As Model.setThreads: Worker replicas of this Transformer (trainStepAsync, trainTask, trainDataset), or on a
   * shared-memory lab (lab.sharedMemory) the core's own threads, Worker instances over one memory. n: 1..64.
   */
  setThreads(n: number): Promise<void>;
  readonly threads: number;
  readonly threadPath: ThreadPath;
  readonly threadStats: ThreadStats | null;
  /** As Model.trainStepAsync, without bpttWindow. */
  trainStepAsync(batch: Batch): Promise<StepStats>;
  /** Predictions for a batch: (B, outputs). As Model.predict. */
  predict(batch: Batch): Float32Array;
  /** Loss and accuracy (null for regression) of a batch, without training. As Model.evaluate. */
  evaluate(batch: Batch): EvalResult;
  /** 'transformer' (a recurrent Model's config.cell names its cell). */
  readonly kind: 'transformer';
  /** As Model.trainDataset (the loop of `rnnlab train --data`); there is no bpttWindow. */
  trainDataset(dataset: Dataset, opts?: Omit<TrainDatasetOptions, 'bpttWindow'>): Promise<TrainDatasetResult>;
  /** Loss and accuracy over a whole split, as `rnnlab eval --data`. Default split 'test'. */
  evaluateDataset(dataset: Dataset, split?: SplitName): DatasetEval;
  /** As Model.predictText; stepProbabilities is null (every position sees every other). */
  predictText(text: string | Uint8Array): TextPrediction;
  /**
   * predictText's reading of a text and the attention of one head of one layer over it: a row per query
   * word, a column per key word (the words of predictText), each row summing to 1.
   */
  attentionText(text: string | Uint8Array, opts?: { layer?: number; head?: number }): TextPrediction & {
    attention: { rows: number; cols: number; data: Float32Array } };
  predictSeries(dataset: Dataset, split?: SplitName): { actual: Float64Array; predicted: Float64Array };
  bestCheckpoint(): Uint8Array | null;
  restoreBest(): { epoch: number; step: number; loss: number; accuracy: number | null };
  /** A copy of the meta bytes (the description of its data), or null. */
  /** The training history kept with the model and in its checkpoints: one point per training step. */
  history(): HistoryPoint[];
  meta(): Uint8Array | null;
}
