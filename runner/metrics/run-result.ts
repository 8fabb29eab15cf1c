import type { EngineOutput } from '../engine/replica-engine.js';
import type { IterationRecords, RequestRecords, TimeSeries } from '../engine/run-records.js';
import type { RunMetrics } from './metric-keys.js';
import { clusterReplicaLoads } from './replica-loads.js';
import { runDigest, type RunDigest } from './run-digest.js';
import { computeRunMetrics, type RunMetricsContext } from './run-metrics.js';
import { assessStability, type StabilityResult } from './stability.js';

/**
 * Everything one run produces; what the store persists for a done run. Assembled above the
 * engine (runner/sweeps/run-task.ts for a simulated run, runner/sweeps/execute-run-on-worker.ts for a run on
 * a GPU worker) from the engine's raw output records (runner/engine/run-records.ts) by {@link runResultOf}.
 */
export interface RunResult {
  readonly metrics: RunMetrics;
  readonly requests: RequestRecords;
  readonly timeSeries: TimeSeries;
  /**
   * What the charts need of the per-request records (latency order statistics, output-length
   * bins; runner/metrics/run-digest.ts), stored with the run so reads never go back to the records.
   */
  readonly digest: RunDigest;
  /**
   * Whether the run was stable: the trend test of runner/metrics/stability.ts on the number of
   * requests in system over the arrival window (docs/metrics.md, "Stability").
   */
  readonly stability: StabilityResult;
  /**
   * Human-readable notes about the run (for example prompts that exceeded a batch token limit, or
   * requests rejected because they can never fit in the KV cache).
   */
  readonly warnings: string[];
  /** Measured iterations of a run executed on a GPU worker; absent for simulated runs. */
  readonly iterations?: IterationRecords;
}

/**
 * The result of a finished run: the engine's records, the metrics computed from them
 * (computeRunMetrics, runner/metrics/run-metrics.ts) and the stability verdict over the arrival
 * window (assessStability, runner/metrics/stability.ts). Requests rejected before the run
 * (`context.rejected` > 0) add a warning that names their count.
 *
 * @param output what the engine returned (simulate, simulateOn or simulateCluster: a cluster's
 *   digest carries its replicas' loads)
 * @param wallS wall seconds the run took (the `sim_wall_s` metric)
 * @param iterations the measured iterations of a run on a GPU worker; undefined for simulated runs
 * @param context the run's SLO, the requests rejected before it and the CPU seconds the simulation
 *   took (the `sim_cpu_s` metric; computeRunMetrics)
 */
export function runResultOf(
  output: EngineOutput,
  wallS: number,
  iterations?: IterationRecords,
  context: RunMetricsContext = {},
): RunResult {
  const rejected = context.rejected ?? 0;
  const warnings =
    rejected > 0
      ? [
          ...output.warnings,
          `${rejected} of ${output.records.arrival.length + rejected} requests rejected: they can never ` +
            `fit in the KV cache under this policy, and the spec's \`oversize: skip\` left them out of the run`,
        ]
      : output.warnings;
  // A cluster run's replica loads, computed once: stored with its digest, and its load_imbalance.
  const loads = clusterReplicaLoads(output);
  const digest = runDigest(output.records);
  return {
    metrics: computeRunMetrics(output, wallS, { ...context, replicaLoads: loads }),
    requests: output.records,
    timeSeries: output.timeSeries,
    digest: loads === null ? digest : { ...digest, replicaLoads: loads },
    stability: assessStability(output.records, { endS: output.totals.endS }),
    warnings,
    ...(iterations === undefined ? {} : { iterations }),
  };
}
