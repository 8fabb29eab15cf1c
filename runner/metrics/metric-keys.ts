/**
 * The metric keys stored with every run, in the order reports print them.
 * Units are in the key's suffix: `_s` seconds, `_tok_s` tokens per second, `_rps` requests per
 * second, `_frac` a fraction of the KV capacity (`slo_attainment` is a fraction of the run's requests).
 * Definitions and sources: docs/metrics.md.
 */
export const METRIC_KEYS = [
  'requests',
  'completed',
  'unfinished',
  'rejected',
  'makespan_s',
  'offered_rate_rps',
  'throughput_tok_s',
  'request_throughput_rps',
  'total_token_throughput_tok_s',
  'goodput_rps',
  'goodput_tok_s',
  'slo_attainment',
  'ttft_mean_s',
  'ttft_p50_s',
  'ttft_p90_s',
  'ttft_p99_s',
  'tpot_mean_s',
  'tpot_p50_s',
  'tpot_p99_s',
  'e2e_mean_s',
  'e2e_p50_s',
  'e2e_p90_s',
  'e2e_p99_s',
  'queue_delay_mean_s',
  'queue_delay_p99_s',
  'preemptions',
  'evictions',
  'recomputed_tokens',
  'prefix_cache_hit_rate',
  'replicas',
  'load_imbalance',
  'kv_peak_frac',
  'kv_mean_frac',
  'batch_size_mean',
  'iterations',
  'sim_wall_s',
  'sim_cpu_s',
] as const;

/** One of the stored metric keys. */
export type MetricKey = (typeof METRIC_KEYS)[number];

/**
 * The metrics of one run. A value is `null` where it is undefined for the run (for example
 * `tpot_mean_s` when no completed request produced more than one token); never NaN.
 */
export type RunMetrics = Record<MetricKey, number | null>;
