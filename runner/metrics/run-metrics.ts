import type { EngineOutput } from '../engine/replica-engine.js';
import type { RunMetrics } from './metric-keys.js';
import { mean, percentileSorted } from './percentile.js';

/**
 * Computes the stored metrics of one run from the engine's per-request records and totals.
 * Definitions and sources: docs/metrics.md (arXiv 2504.11320v2 §2.5; vLLM `bench serve`).
 *
 * - Latency metrics (TTFT, TPOT, E2E, queue delay) are over COMPLETED requests.
 * - TPOT of a request = (finish - first token) / (output tokens - 1), for output tokens > 1 (vLLM).
 * - makespan = end of the run (last completion, or the horizon stop) - first arrival.
 * - throughput_tok_s = output tokens of completed requests / makespan (§2.5 of the paper: counted at completion).
 *
 * @param output the engine's output for the run
 * @param simWallS wall-clock seconds the simulation took
 */
export function computeRunMetrics(output: EngineOutput, simWallS: number): RunMetrics {
  const r = output.records;
  const t = output.totals;
  const n = r.arrival.length;
  const ttft: number[] = [];
  const tpot: number[] = [];
  const e2e: number[] = [];
  const queueDelay: number[] = [];
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
    ttft.push(r.firstToken[i] - arrival);
    e2e.push(r.finish[i] - arrival);
    queueDelay.push(r.firstScheduled[i] - arrival);
    if (r.outputTokens[i] > 1) tpot.push((r.finish[i] - r.firstToken[i]) / (r.outputTokens[i] - 1));
    outputTokens += r.outputTokens[i];
    totalTokens += r.outputTokens[i] + r.promptTokens[i];
  }
  const completed = e2e.length;
  for (const a of [ttft, tpot, e2e, queueDelay]) a.sort((x, y) => x - y);
  const makespan = t.endS - t.startS;
  const perSecond = (x: number): number | null => (makespan > 0 ? x / makespan : null);
  return {
    requests: n,
    completed,
    unfinished: n - completed,
    makespan_s: makespan,
    throughput_tok_s: perSecond(outputTokens),
    request_throughput_rps: perSecond(completed),
    total_token_throughput_tok_s: perSecond(totalTokens),
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
    kv_peak_frac: t.kvPeakBlocks / t.kvCapacityBlocks,
    kv_mean_frac: makespan > 0 ? t.kvBlockSeconds / (makespan * t.kvCapacityBlocks) : null,
    batch_size_mean: t.iterations > 0 ? t.batchRequests / t.iterations : null,
    iterations: t.iterations,
    sim_wall_s: simWallS,
  };
}
