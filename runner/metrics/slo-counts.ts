import type { RequestRecords } from '../engine/run-records.js';
import type { Slo } from '../workloads/slo-spec.js';

/** Requests of one run that met an SLO: all its bounds together, and each bound alone. */
export interface SloCounts {
  /** Completed requests that met every bound the SLO gives. */
  readonly good: number;
  /** Output tokens of those requests. */
  readonly goodOutputTokens: number;
  /** Completed requests that met each bound the SLO gives, alone (bounds it omits are absent). */
  readonly goodByBound: { readonly ttft?: number; readonly tpot?: number; readonly e2e?: number };
}

/**
 * Counts the requests of a run that meet an SLO: the goodput metrics (computeRunMetrics,
 * docs/metrics.md "Goodput and SLO") and the capacity search's SLO check use it, with the
 * semantics of vLLM's `calculate_metrics` (vllm/benchmarks/serve.py at 009e6d4a1cd6): a request counts when it completed and `value <= bound`; TTFT =
 * first token - arrival, E2E = finish - arrival, TPOT = (finish - first token) / (output tokens - 1),
 * taken as 0 for a request with one output token. The per-bound counts tell which bound limits
 * a capacity search (probeVerdict).
 *
 * @param records the run's per-request records (seconds)
 * @param slo the bounds, seconds
 */
export function sloCounts(records: RequestRecords, slo: Slo): SloCounts {
  const ttftBound = slo.ttft_s ?? Infinity;
  const tpotBound = slo.tpot_s ?? Infinity;
  const e2eBound = slo.e2e_s ?? Infinity;
  let good = 0;
  let goodOutputTokens = 0;
  let ttftMet = 0;
  let tpotMet = 0;
  let e2eMet = 0;
  for (let i = 0; i < records.arrival.length; i++) {
    const finish = records.finish[i];
    if (Number.isNaN(finish)) continue;
    const ttft = records.firstToken[i] - records.arrival[i];
    const e2e = finish - records.arrival[i];
    const out = records.outputTokens[i];
    const tpot = out > 1 ? (finish - records.firstToken[i]) / (out - 1) : 0;
    const t = ttft <= ttftBound;
    const p = tpot <= tpotBound;
    const e = e2e <= e2eBound;
    if (t) ttftMet++;
    if (p) tpotMet++;
    if (e) e2eMet++;
    if (t && p && e) {
      good++;
      goodOutputTokens += out;
    }
  }
  return {
    good,
    goodOutputTokens,
    goodByBound: {
      ...(slo.ttft_s === undefined ? {} : { ttft: ttftMet }),
      ...(slo.tpot_s === undefined ? {} : { tpot: tpotMet }),
      ...(slo.e2e_s === undefined ? {} : { e2e: e2eMet }),
    },
  };
}
