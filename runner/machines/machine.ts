import type { IterationTimeModel } from '../latency/iteration-time-model.js';
import type { WorkerRun } from '../workers/worker-run.js';

/** A simulated machine: an iteration-time model and a KV cache. */
export interface Machine {
  /** Name shown in run tables (`a100-llama2-7b`, or `inline` for a spec-defined machine). */
  name: string;
  /** One line for reports. */
  description: string;
  iterationTime: IterationTimeModel;
  /** KV capacity, blocks. */
  kvCapacityBlocks: number;
  /** Tokens per KV block. */
  blockSize: number;
  /**
   * The linear model tau = d0 + d1 (KV tokens) + d2 (prefill tokens) that the fluid benchmark and
   * the paper's threshold rules use (arXiv 2504.11320v2 eq. time_consump, plus d2 seconds per
   * prefilled prompt token: docs/fluid-benchmark.md): the machine's own model when it is linear
   * (`exact`), else its linear fit (with its R^2): a profile machine's over mixed prefill and
   * decode batches (fitLinearWithPrefill, docs/linear-fit.md), a calibrated machine's over its
   * measured decode-only batches. d2 absent means 0 (the paper's model).
   */
  linear: { d0: number; d1: number; d2?: number; exact: boolean; r2?: number };
  /** GPU and model of a preset (for `schedbench machines`); absent for inline machines. */
  hardware?: { gpu: string; model: string; sources: Record<string, string> };
  /**
   * Set when runs execute on a GPU worker (a spec `machine: {worker: ...}`): the registered
   * machine and how to load the model. `iterationTime` and `linear` then come from the worker's
   * latest calibration for the model, when there is one (else `linear` is NaN and `iterationTime`
   * refuses to predict).
   */
  worker?: WorkerRun;
  /**
   * A worker pool (`machine: {worker: [gpu1, gpu2], ...}`): one WorkerRun per worker, the first
   * being `worker`; the runs execute concurrently, one per worker. Absent for one worker.
   */
  pool?: WorkerRun[];
}
