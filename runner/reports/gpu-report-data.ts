import type { CalibrationFit } from '../machines/calibration-fit.js';
import type { IterationErrorSummary } from '../metrics/iteration-error.js';
import type { RunMetrics } from '../metrics/metric-keys.js';
import type { HelloReply, LoadedReply, RooflineReply, WorkerDtype } from '../workers/worker-protocol.js';
import type { DecodeFloorRow, PrefillRateRow } from './roofline-floors.js';

/**
 * What `schedbench gpu-report` measured (runner/cli/gpu-report-command.ts), as plain JSON-safe data:
 * the input of the pure Markdown renderer (runner/reports/gpu-report-markdown.ts). The measurement
 * fills it in five steps: the worker's `hello` and `roofline` replies (docs/worker-protocol.md),
 * decode and prefill iteration times against the roofline floors (runner/reports/roofline-floors.ts),
 * the `schedbench profile` calibration, and one GPU-in-the-loop run beside its simulated twin.
 * test/fixtures/gpu-report-cpu-tiny-llama.json is one such object, captured on CPU.
 */
export interface GpuReportData {
  /** The command-line words after `gpu-report`, as given (quoted again when the report shows them). */
  argv: string[];
  /** The options the measurement ran with. */
  settings: GpuReportSettings;
  /** When the measurement started, ISO 8601 in UTC (`Date.toISOString()`). */
  startedAt: string;
  /** The results database: its path, and whether it was a temporary file deleted afterwards. */
  database: { file: string; temporary: boolean };
  /** The worker machine measured. */
  machine: {
    /** Registered name (`gpu-report-local` for the temporary local machine). */
    name: string;
    /** How its worker starts, e.g. `local (/usr/bin/python3)` (describeWorkerMachine). */
    description: string;
    /** True when the command registered it for this run and removed it afterwards. */
    temporary: boolean;
  };
  /** Steps 1-3: device, roofline, decode and prefill. */
  device: GpuDeviceMeasurements;
  /** Step 4: the calibration. */
  calibration: GpuReportCalibration;
  /** Step 5: the GPU-in-the-loop run and its simulated twin. */
  twins: TwinRunComparison;
}

export type { WorkerDtype };

/**
 * The measurement's options, as `schedbench gpu-report` parsed them (undefined = the default the
 * option's help text names). Token counts in tokens, times in seconds, rates in req/s.
 */
export interface GpuReportSettings {
  /** Python with PyTorch of the temporary local machine (unused with --machine). */
  python: string;
  /** Worker model preset (llama-2-7b, tiny-llama) or checkpoint directory on the machine. */
  model: string;
  /** Requested dtype; undefined = the worker's default (float16 on CUDA, float32 on CPU). */
  dtype?: WorkerDtype;
  /** KV blocks to allocate, or `auto` (the worker sizes the cache from free memory). */
  kvBlocks: number | 'auto';
  /** Tokens per KV block. */
  blockSize: number;
  /** Decode batch sizes to time, requests. */
  decodeBatches: number[];
  /** Cached tokens per decode request wanted (less where the KV cache or context is short). */
  decodeKvLen: number;
  /** Single prefill chunks to time, tokens. */
  prefillChunks: number[];
  /** Requests of the GPU-in-the-loop run. */
  requests: number;
  /** Poisson arrival rate of that run, req/s; undefined = derived from the calibration. */
  rate?: number;
  /** Seed of that run (arrivals and lengths). */
  seed: number;
  /** Calibration grid limits; undefined = the `schedbench profile` defaults. */
  maxBatchTokens?: number;
  maxDecodes?: number;
  maxKvTokens?: number;
  /** Timed iterations per shape and roofline measurement (the median is used). */
  repeats: number;
  /** Untimed iterations per shape. */
  warmup: number;
  /** Seconds to wait for one worker reply. */
  timeoutS: number;
}

/** Steps 1-3: what the command measured directly on the worker. */
export interface GpuDeviceMeasurements {
  /** The worker's `hello` reply: versions, device, GPU name and memory. */
  hello: HelloReply;
  /** The worker's `roofline` reply: copy bandwidth and matrix-multiply rate. */
  roofline: RooflineReply;
  /** The worker's `load` reply: the model, its dtype and the KV cache allocated. */
  loaded: LoadedReply;
  /** One row per decode batch timed, in the order of `settings.decodeBatches`. */
  decode: DecodeFloorRow[];
  /** Decode batches requested but not timed, each with why (`batch 128: ...`). */
  decodeSkipped: string[];
  /** One row per prefill chunk timed, in the order of `settings.prefillChunks`. */
  prefill: PrefillRateRow[];
  /** Prefill chunks requested but not timed, each with why (`chunk 4096: ...`). */
  prefillSkipped: string[];
}

/** The settings `schedbench profile` runs with (ProfileCommandOptions, runner/cli/profile-command.ts, adds the model and a timeout). */
export interface ProfileSettings {
  /** Weights and KV dtype (default float16 on CUDA, float32 on CPU). */
  dtype?: WorkerDtype;
  /** KV blocks to allocate, or `auto` (the worker sizes it from free memory). */
  kvBlocks: number | 'auto';
  /** Tokens per KV block. */
  blockSize: number;
  /** Grid limits; defaults depend on the device (GPU: 4,096 tokens, 128 decodes; CPU: 512, 32). */
  maxBatchTokens?: number;
  maxDecodes?: number;
  maxKvTokens?: number;
  /** Timed iterations per shape (default 5) and untimed warm-up iterations (default 2). */
  repeats: number;
  warmup: number;
}

/** Step 4: the stored calibration, as the report shows it. */
export interface GpuReportCalibration {
  /** The options `schedbench profile` ran with (the report repeats them as a command). */
  options: ProfileSettings;
  /** What `schedbench profile` printed. */
  text: string;
  /** Id of the stored calibration row. */
  id: number;
  /** KV blocks the calibration's worker allocated (the twin's KV capacity). */
  kvBlocks: number;
  /** The fitted linear model and both models' errors (runner/machines/calibration-fit.ts). */
  fit: Pick<CalibrationFit, 'linear' | 'train' | 'heldOut'>;
}

/** Uniform prompt and output lengths of the synthetic workload, [min, max] tokens. */
export interface SyntheticLengths {
  prompt: [number, number];
  output: [number, number];
}

/** One run of the twin pair: its stored id and metrics. */
export interface StoredRun {
  runId: number;
  metrics: RunMetrics;
}

/** Step 5: a GPU-in-the-loop run beside its simulated twin on `profile:NAME/MODEL`. */
export interface TwinRunComparison {
  lengths: SyntheticLengths;
  /** Poisson arrival rate of both runs, req/s. */
  rate: number;
  /**
   * How the rate was derived when --rate was not given: `utilisation` x the calibrated model's
   * capacity estimate, with decodes at 1/`estimateBatch` of an `estimateBatch`-decode iteration.
   */
  derivedRate?: { utilisation: number; estimateBatch: number };
  /** The sweep spec (YAML) of the GPU-in-the-loop run; the twin's differs only in `name` and `machine`. */
  gpuSpec: string;
  /** The sweep spec (YAML) of the simulated twin. */
  twinSpec: string;
  gpu: StoredRun;
  twin: StoredRun;
  /** Per-iteration errors of the calibrated model on the GPU run (subsets all, decode-only, with prefill). */
  calibratedErrors: IterationErrorSummary[];
  /** The same for the linear model, or why it was not evaluated. */
  linearErrors: IterationErrorSummary[] | string;
}
