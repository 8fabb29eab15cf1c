/**
 * What the Datasets page shows of a trace or a length file: request count, the prompt and output
 * token distributions (percentiles and a log-binned histogram) and, for a trace, the arrival rate
 * over time and the burstiness of the arrivals.
 */
import { mean, percentileSorted } from '../metrics/percentile.js';
import type { LengthTable, TraceTable } from '../workloads/trace-table.js';

/** A log-binned histogram of token counts: bin i holds the values in [edges[i], edges[i+1]). */
export interface TokenHistogram {
  /** Bin edges, tokens: 1, 2, 3, 4, 6, 8, 11, 16, ... (about √2 apart), one more than counts. */
  edges: number[];
  /** Requests per bin. */
  counts: number[];
}

/** Distribution of one token count over the requests of a dataset (tokens). */
export interface TokenDistribution {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  histogram: TokenHistogram;
}

/** Arrivals of a trace. */
export interface ArrivalSummary {
  /** Time from the first to the last arrival, seconds. */
  durationS: number;
  /** Requests per second over the whole trace: (n - 1) / duration; null when duration is 0. */
  meanRateRps: number | null;
  /** Width of each rate bin, seconds (1, 2 or 5 × 10^k, about 100 bins over the trace). */
  binS: number;
  /** Start of each bin, seconds after the first arrival. */
  tS: number[];
  /** Arrivals per second in each bin. */
  rateRps: number[];
  /** Highest binned rate, requests per second. */
  peakRateRps: number;
  /**
   * Coefficient of variation of the inter-arrival gaps (1 for Poisson arrivals, above 1 for
   * bursty ones); null with fewer than 3 requests.
   */
  interArrivalCv: number | null;
}

/** Summary of a dataset. */
export interface DatasetSummary {
  requests: number;
  /** Rows whose 0 token count was read as 1 (see runner/workloads/trace-table.ts). */
  zeroPromptRows: number;
  zeroOutputRows: number;
  promptTokens: TokenDistribution;
  outputTokens: TokenDistribution;
  /** Null for a length file (no arrival times). */
  arrival: ArrivalSummary | null;
}

/** Bins the rate plot aims for. */
const RATE_BINS = 100;

/**
 * Summarises a length file or a trace.
 * @param table what a reader returned (runner/workloads/); a TraceTable also gets `arrival`
 */
export function summarizeDataset(table: LengthTable | TraceTable): DatasetSummary {
  return {
    requests: table.promptTokens.length,
    zeroPromptRows: table.zeroPromptRows,
    zeroOutputRows: table.zeroOutputRows,
    promptTokens: tokenDistribution(table.promptTokens),
    outputTokens: tokenDistribution(table.outputTokens),
    arrival: 'arrival' in table ? arrivalSummary(table.arrival) : null,
  };
}

/**
 * Percentiles (NumPy's linear estimator, as every metric here) and the log-binned histogram.
 * @param values token counts, >= 1, at least one
 */
export function tokenDistribution(values: Int32Array): TokenDistribution {
  const sorted = Int32Array.from(values).sort();
  const max = sorted[sorted.length - 1];
  return {
    min: sorted[0],
    mean: mean(sorted) ?? 0,
    p50: percentileSorted(sorted, 50) ?? 0,
    p90: percentileSorted(sorted, 90) ?? 0,
    p99: percentileSorted(sorted, 99) ?? 0,
    max,
    histogram: logHistogram(sorted, max),
  };
}

/**
 * Histogram with edges round(√2^k), duplicates dropped (1, 2, 3, 4, 6, 8, 11, 16, 23, 32, ...),
 * up to the first edge above the largest value.
 * @param sorted values >= 1, ascending
 */
function logHistogram(sorted: Int32Array, max: number): TokenHistogram {
  const edges: number[] = [];
  for (let k = 0; edges.length === 0 || edges[edges.length - 1] <= max; k++) {
    const edge = Math.round(Math.SQRT2 ** k);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  const counts = new Array<number>(edges.length - 1).fill(0);
  let bin = 0;
  for (const v of sorted) {
    while (v >= edges[bin + 1]) bin++;
    counts[bin]++;
  }
  return { edges, counts };
}

/** The bin width for about RATE_BINS bins over `duration` seconds: 1, 2 or 5 × 10^k seconds. */
export function rateBinSeconds(duration: number): number {
  const raw = Math.max(duration, 1e-3) / RATE_BINS;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return step * power;
}

function arrivalSummary(arrival: Float64Array): ArrivalSummary {
  const n = arrival.length;
  const durationS = arrival[n - 1] - arrival[0];
  const binS = rateBinSeconds(durationS);
  const bins = Math.max(1, Math.floor(durationS / binS) + 1);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) counts[Math.min(bins - 1, Math.floor((arrival[i] - arrival[0]) / binS))]++;
  const rateRps = counts.map((c) => c / binS);
  let interArrivalCv: number | null = null;
  if (n >= 3) {
    const gaps = new Float64Array(n - 1);
    for (let i = 1; i < n; i++) gaps[i - 1] = arrival[i] - arrival[i - 1];
    const m = mean(gaps) ?? 0;
    let ss = 0;
    for (const g of gaps) ss += (g - m) ** 2;
    interArrivalCv = m > 0 ? Math.sqrt(ss / (gaps.length - 1)) / m : null;
  }
  return {
    durationS,
    meanRateRps: durationS > 0 ? (n - 1) / durationS : null,
    binS,
    tS: counts.map((_, i) => i * binS),
    rateRps,
    peakRateRps: Math.max(...rateRps),
    interArrivalCv,
  };
}
