/**
 * The metrics the verdicts judge, with which way is better and how a sentence names them
 * (docs/metrics.md, "Verdicts"). Data only, with no dependency, so the renderer's sweep page
 * (runner/reports/verdict-sentence.ts) shares it without bundling the statistics of
 * paired-verdicts.ts.
 */

/** Whether larger values of a metric are better (`higher`) or smaller ones (`lower`). */
export type MetricDirection = 'higher' | 'lower';

/** A metric the verdicts judge: its key, which way is better, and how a sentence names it. */
export interface VerdictMetric {
  /** Metric key (a RunMetrics key, or one computed elsewhere such as `max_rate_rps`). */
  readonly key: string;
  readonly direction: MetricDirection;
  /** Words for a sentence: "the highest <name>", e.g. `output throughput`, `TTFT p99`. */
  readonly name: string;
}

/**
 * Every metric the verdicts know, by key: the summary's key metrics and the capacity of a
 * capacity search (`max_rate_rps`, the largest rate a policy sustains).
 */
export const VERDICT_METRIC_INFO: Readonly<Record<string, VerdictMetric>> = {
  throughput_tok_s: { key: 'throughput_tok_s', direction: 'higher', name: 'output throughput' },
  goodput_rps: { key: 'goodput_rps', direction: 'higher', name: 'goodput' },
  ttft_p50_s: { key: 'ttft_p50_s', direction: 'lower', name: 'TTFT p50' },
  ttft_p99_s: { key: 'ttft_p99_s', direction: 'lower', name: 'TTFT p99' },
  tpot_p99_s: { key: 'tpot_p99_s', direction: 'lower', name: 'TPOT p99' },
  e2e_p99_s: { key: 'e2e_p99_s', direction: 'lower', name: 'E2E p99' },
  max_rate_rps: { key: 'max_rate_rps', direction: 'higher', name: 'capacity' },
};

/**
 * The metrics a sweep summary judges, in order. `goodput_rps` is judged only where runs have it
 * (a metric with no value in a group gives no verdict for that group).
 */
export const VERDICT_METRICS: readonly VerdictMetric[] = [
  'throughput_tok_s',
  'goodput_rps',
  'ttft_p50_s',
  'ttft_p99_s',
  'tpot_p99_s',
  'e2e_p99_s',
].map((key) => VERDICT_METRIC_INFO[key]);
