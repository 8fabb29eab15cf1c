import type { IterationRecords, RequestRecords, TimeSeries } from '../engine/run-records.js';
import type { RunMetrics } from './metric-keys.js';
import type { StabilityResult } from './stability.js';

/**
 * Everything one run produces; what the store persists for a done run. Assembled above the
 * engine (runner/sweeps/run-task.ts for a simulated run, runner/sweeps/execute-run-on-worker.ts for a run on
 * a GPU worker) from the engine's raw output records (runner/engine/run-records.ts), the metrics
 * computed from them (computeRunMetrics, runner/metrics/run-metrics.ts) and the stability verdict
 * (assessStability, runner/metrics/stability.ts).
 */
export interface RunResult {
  readonly metrics: RunMetrics;
  readonly requests: RequestRecords;
  readonly timeSeries: TimeSeries;
  /**
   * Whether the run was stable: the trend test of runner/metrics/stability.ts on the number of
   * requests in system over the arrival window (docs/metrics.md, "Stability").
   */
  readonly stability: StabilityResult;
  /** Human-readable notes about the run (for example prompts that exceeded a batch token limit). */
  readonly warnings: string[];
  /** Measured iterations of a run executed on a GPU worker; absent for simulated runs. */
  readonly iterations?: IterationRecords;
}
