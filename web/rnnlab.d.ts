// rnnlab.d.ts: TypeScript declarations of web/rnnlab.js, the JavaScript API of rnnlab for pages, Web
// Workers and Node >= 20. Every number is computed by the C core in WebAssembly; arrays are copies (no
// view of WebAssembly memory escapes). Errors from the core are RnnLabError with the core's message.

export type CellName = 'rnn' | 'lstm' | 'gru';
export type HeadName = 'binary' | 'classes' | 'regression';
export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export type TaskName = 'adding' | 'copy' | 'sine';
/** A 64-bit seed: a whole Number up to 2^53 - 1, or a BigInt below 2^64. */
export type Seed = number | bigint;

/** An error of rnnlab: the core's message (rnl_last_error), prefixed with its status name. */
export class RnnLabError extends Error {
  name: 'RnnLabError';
  /** The core's rnl_status (1 bad argument, 2 out of memory, 4 bad format, 5 numeric fault); -1 freed model; -2 trap. */
  status: number;
  /** rnl_status_name, e.g. "bad argument", "bad format", "numeric fault". */
  statusName: string;
  code: 'RNL_ERR_ARG' | 'RNL_ERR_NOMEM' | 'RNL_ERR_IO' | 'RNL_ERR_FORMAT' | 'RNL_ERR_NUMERIC' | 'RNL_ERR_FREED' | 'RNL_ERR_TRAP' | 'RNL_ERR_UNKNOWN';
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
  /** Seed of the initialisation; the native `rnnlab init --seed` gives the same parameters. Default 0. */
  seed?: Seed;
}

/** A model's configuration as the core holds it. */
export interface ResolvedConfig {
  cell: CellName; vocab: number; embed: number; inputSize: number; hidden: number; layers: number;
  bidirectional: boolean; head: HeadName; outputs: number; seq2seq: boolean; forgetBias: number;
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

export interface TrainProgress {
  /** Steps done in this call, and the steps asked for. */
  step: number;
  steps: number;
  /** Optimizer steps done in all. */
  totalSteps: number;
  /** Loss of the last step; mean loss of the steps since the previous report. */
  loss: number;
  meanLoss: number;
  gradNorm: number;
  clipped: boolean;
  accuracy: number | null;
  seconds: number;
  seqPerSec: number;
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
  evaluate(batch: Batch): EvalResult;
  /** sigmoid (binary), softmax (classes) or value (regression): (B, outputs), or (B, T, outputs) with zeros at padding. */
  predict(batch: Batch): Float32Array;
  /** Loss, gradients (parameter layout) and predictions of a batch, without an update. */
  gradients(batch: Batch, opts?: { bpttWindow?: number }): { loss: number; gradNorm: number; gradients: Float32Array; predictions: Float32Array };
  /** The loop of `rnnlab train` on a synthetic task, in chunks, with progress and yields. */
  trainTask(opts: TrainTaskOptions): Promise<TrainResult>;
  evaluateTask(opts: EvaluateTaskOptions): EvalResult;

  /** Trace sample `sample` of the next forward and backward passes; null or -1: off. */
  setTrace(sample: number | null): void;
  /** Post-activation gates (steps, G*H) in PyTorch order (RNN h; LSTM i f g o; GRU r z n), or null. */
  gateTrace(layer?: number, dir?: number): Trace | null;
  /** Cell state (LSTM) or hidden state (RNN, GRU), (steps, H), or null. */
  stateTrace(layer?: number, dir?: number): Trace | null;
  /** ||dL/dh_t|| per step after a traced backward (width 1), or null. */
  gradNormTrace(layer?: number, dir?: number): Trace | null;

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
  /** Frees the model's WebAssembly memory; again: no-op; any other call afterwards throws (RNL_ERR_FREED). */
  free(): void;
}

export class RnnLab {
  private constructor();
  /**
   * Loads rnnlab.wasm: by default from beside rnnlab.js; or from a URL, a path (Node), bytes, a
   * Response or a compiled WebAssembly.Module. One instance per call: a Worker loads its own.
   */
  static load(source?: string | URL | ArrayBuffer | ArrayBufferView | Response | WebAssembly.Module): Promise<RnnLab>;
  /** The core's version, e.g. "0.1.0". */
  readonly version: string;
  /** The gemm kernels in use: "wasmsimd", or "scalar" in a build without SIMD. */
  readonly kernels: string;
  /** Names the core knows, in enum order. */
  readonly names: Readonly<{ cells: CellName[]; heads: HeadName[]; optimizers: OptimizerName[]; tasks: TaskName[] }>;
  /** Bytes of WebAssembly memory (it grows, never shrinks). */
  readonly memoryBytes: number;
  /** memoryBytes, and the bytes the C allocator has handed out and not had back. */
  memoryStats(): { memoryBytes: number; heapInUse: number };

  createModel(cfg: ModelConfig): Model;
  /** A model (and its optimizer with its step count, if saved) from checkpoint bytes. */
  loadCheckpoint(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): Model;
  /** The model shape a task needs. */
  taskShape(task: TaskName): { vocab: number; embed: number; inputSize: number; head: HeadName; outputs: number; seq2seq: boolean };
  /** One batch of a synthetic task from a generator seeded with `seed` (default 0). */
  generateTask(task: TaskName, B: number, T: number, seed?: Seed): TaskBatch;
}
