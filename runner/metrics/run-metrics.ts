import type { ClusterOutput } from '../engine/cluster-output.js';
import type { EngineOutput } from '../engine/replica-engine.js';
import type { Slo } from '../workloads/slo-spec.js';
import type { RunMetrics } from './metric-keys.js';
import { mean, percentileSorted } from './percentile.js';
import { clusterReplicaLoads, loadImbalance, type ReplicaLoad } from './replica-loads.js';
import { sloCounts } from './slo-counts.js';

/** What a run's metrics need besides the engine's output. */
export interface RunMetricsContext {
  /**
   * The run's SLO (latency bounds, seconds: the workload's own, else the sweep spec's); absent or
   * null for none, and the goodput metrics are then null.
   */
  readonly slo?: Slo | null;
  /**
   * Requests of the workload left out of the run before it started because they can never fit in
   * the KV cache (`oversize: skip`); default 0. They count as not good in `slo_attainment`.
   */
  readonly rejected?: number;
  /**
   * CPU seconds of the thread that simulated the run (the `sim_cpu_s` metric); absent or null
   * where unmeasured (no per-thread CPU clock, runs on a GPU worker).
   */
  readonly simCpuS?: number | null;
  /**
   * What each replica served when the caller has it already (runResultOf; null for one
   * replica); absent, it is computed from the output (clusterReplicaLoads).
   */
  readonly replicaLoads?: readonly ReplicaLoad[] | null;
}

/**
 * Computes the stored metrics of one run from the engine's per-request records and totals.
 * Definitions and sources: docs/metrics.md (arXiv 2504.11320v2 §2.5; vLLM `bench serve`).
 *
 * - Latency metrics (TTFT, TPOT, E2E, queue delay) are over COMPLETED requests.
 * - TPOT of a request = (finish - first token) / (output tokens - 1), for output tokens > 1 (vLLM).
 * - makespan = end of the run (last completion, or the horizon stop) - first arrival.
 * - throughput_tok_s = output tokens of completed requests / makespan (§2.5 of the paper: counted at completion).
 * - goodput: a request is good when it completed and meets every bound of `context.slo`
 *   (`value <= bound`; a request with one output token meets a TPOT bound), as vLLM's
 *   `calculate_metrics` (vllm/benchmarks/serve.py) counts `good_completed`. goodput_rps = good
 *   requests / makespan (vLLM "Request goodput"), goodput_tok_s = their output tokens / makespan,
 *   slo_attainment = good / (requests + rejected). All three null without an SLO.
 * - offered_rate_rps = (n - 1) / (last arrival - first arrival) over the run's requests (offeredRate).
 * - replicas: the replicas that served the run (1 unless it ran on a cluster, ClusterOutput);
 *   load_imbalance (max / mean replica work in tokens, replica-loads.ts) only for a cluster.
 *
 * @param output the engine's output for the run
 * @param simWallS wall-clock seconds the simulation took
 * @param context the run's SLO, rejected requests and simulation CPU time (none by default)
 */
export function computeRunMetrics(
  output: EngineOutput,
  simWallS: number,
  context: RunMetricsContext = {},
): RunMetrics {
  const r = output.records;
  const t = output.totals;
  const n = r.arrival.length;
  const slo = context.slo ?? null;
  const rejected = context.rejected ?? 0;
  // Per completed request, in typed arrays: their sort() is numeric with no comparator, an order of
  // magnitude faster than Array.prototype.sort with one. No NaN gets in (completed requests have
  // every time), so the order is the comparator sort's.
  const ttftAll = new Float64Array(n);
  const tpotAll = new Float64Array(n);
  const e2eAll = new Float64Array(n);
  const queueDelayAll = new Float64Array(n);
  let completed = 0;
  let multiToken = 0;
  let outputTokens = 0;
  let totalTokens = 0;
  let preemptions = 0;
  let evictions = 0;
  let recomputed = 0;
  for (let i = 0; i < n; i++) {
    preemptions += r.preemptions[i];
    evictions += r.evictions[i];
    recomputed += r.recomputedTokens[i];
    if (Number.isNaN(r.finish[i])) continue;
    const arrival = r.arrival[i];
    ttftAll[completed] = r.firstToken[i] - arrival;
    e2eAll[completed] = r.finish[i] - arrival;
    queueDelayAll[completed++] = r.firstScheduled[i] - arrival;
    if (r.outputTokens[i] > 1)
      tpotAll[multiToken++] = (r.finish[i] - r.firstToken[i]) / (r.outputTokens[i] - 1);
    outputTokens += r.outputTokens[i];
    totalTokens += r.outputTokens[i] + r.promptTokens[i];
  }
  const ttft = ttftAll.subarray(0, completed).sort();
  const tpot = tpotAll.subarray(0, multiToken).sort();
  const e2e = e2eAll.subarray(0, completed).sort();
  const queueDelay = queueDelayAll.subarray(0, completed).sort();
  const makespan = t.endS - t.startS;
  const perSecond = (x: number): number | null => (makespan > 0 ? x / makespan : null);
  const offered = n + rejected;
  const counts = slo === null ? null : sloCounts(r, slo);
  return {
    requests: n,
    completed,
    unfinished: n - completed,
    rejected,
    makespan_s: makespan,
    offered_rate_rps: offeredRate(r.arrival),
    throughput_tok_s: perSecond(outputTokens),
    request_throughput_rps: perSecond(completed),
    total_token_throughput_tok_s: perSecond(totalTokens),
    goodput_rps: counts === null ? null : perSecond(counts.good),
    goodput_tok_s: counts === null ? null : perSecond(counts.goodOutputTokens),
    slo_attainment: counts === null || offered === 0 ? null : counts.good / offered,
    ttft_mean_s: mean(ttft),
    ttft_p50_s: percentileSorted(ttft, 50),
    ttft_p90_s: percentileSorted(ttft, 90),
    ttft_p99_s: percentileSorted(ttft, 99),
    tpot_mean_s: mean(tpot),
    tpot_p50_s: percentileSorted(tpot, 50),
    tpot_p99_s: percentileSorted(tpot, 99),
    e2e_mean_s: mean(e2e),
    e2e_p50_s: percentileSorted(e2e, 50),
    e2e_p90_s: percentileSorted(e2e, 90),
    e2e_p99_s: percentileSorted(e2e, 99),
    queue_delay_mean_s: mean(queueDelay),
    queue_delay_p99_s: percentileSorted(queueDelay, 99),
    preemptions,
    evictions,
    recomputed_tokens: recomputed,
    prefix_cache_hit_rate: prefixCacheHitRate(output),
    replicas: replicaCount(output),
    load_imbalance: imbalanceOf(
      context.replicaLoads === undefined ? clusterReplicaLoads(output) : context.replicaLoads,
    ),
    kv_peak_frac: t.kvPeakBlocks / t.kvCapacityBlocks,
    kv_mean_frac: makespan > 0 ? t.kvBlockSeconds / (makespan * t.kvCapacityBlocks) : null,
    batch_size_mean: t.iterations > 0 ? t.batchRequests / t.iterations : null,
    iterations: t.iterations,
    sim_wall_s: simWallS,
    sim_cpu_s: context.simCpuS ?? null,
  };
}

/** Replicas that served a run: a ClusterOutput's, else 1. */
function replicaCount(output: EngineOutput): number {
  return (output as Partial<ClusterOutput>).replicas?.length ?? 1;
}

/** The `load_imbalance` metric: of a cluster run's replica loads (loadImbalance), null for one replica. */
function imbalanceOf(loads: readonly ReplicaLoad[] | null): number | null {
  return loads === null ? null : loadImbalance(loads);
}

/**
 * The `prefix_cache_hit_rate` metric: prompt tokens served from the prefix cache at the requests'
 * first admissions over the prompt tokens of the requests admitted. Re-admissions after evictions
 * are left out (they mostly find the request's own blocks again, which says how costly eviction
 * was, not how much prompts share); so unlike vLLM's hits / queries (vLLM v0.9
 * vllm/v1/core/kv_cache_manager.py `get_computed_blocks`) the rate does not grow when a run
 * thrashes, and it is comparable with a trace's own reuse bound (prefixReuseBound). Null when the
 * run did not cache prefixes or admitted nothing.
 */
function prefixCacheHitRate(output: EngineOutput): number | null {
  const cache = output.prefixCache;
  if (cache === undefined) return null;
  const prompt = output.records.promptTokens;
  let cached = 0;
  let asked = 0;
  for (let i = 0; i < cache.cachedTokens.length; i++) {
    if (cache.admissions[i] === 0) continue;
    cached += cache.cachedTokens[i];
    asked += prompt[i];
  }
  return asked > 0 ? cached / asked : null;
}

/**
 * The arrival rate a request list actually offers, requests per second: (n − 1) / (last arrival −
 * first arrival), the number of inter-arrival gaps over the time they span. It differs from the
 * nominal rate a workload is written with by sampling noise, and systematically for
 * `clip: vidur` Poisson arrivals (about +5.2 %: the mean gap is (1 − e^−3)/rate). With multi-turn
 * sessions the records' arrivals are the turns' release times, in no order, and NaN for a turn
 * never released (its previous turn did not finish): those are left out, and the rate is the one
 * the closed loop actually offered.
 * @param arrival arrival times, seconds, in any order; NaN entries are left out
 * @returns null for fewer than two arrivals or when all arrive at one instant
 */
export function offeredRate(arrival: ArrayLike<number>): number | null {
  let n = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < arrival.length; i++) {
    const a = arrival[i];
    if (Number.isNaN(a)) continue;
    n++;
    if (a < first) first = a;
    if (a > last) last = a;
  }
  if (n < 2) return null;
  const span = last - first;
  return span > 0 ? (n - 1) / span : null;
}
