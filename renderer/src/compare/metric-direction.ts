import type { MetricKey } from '../../../runner/metrics/metric-keys.js';

/**
 * Which way a metric improves (docs/metrics.md): `up` (throughputs, goodputs, SLO attainment,
 * completed requests, prefix cache hit rate), `down` (latencies, queueing, preemptions,
 * evictions, recomputation, unfinished and rejected requests, load imbalance), or `neutral` where
 * a change is neither good nor bad by itself (request count, replicas, offered rate, KV
 * occupancy, batch size, iteration count, makespan, simulator wall time).
 */
export type MetricDirection = 'up' | 'down' | 'neutral';

const UP = new Set<string>([
  'completed',
  'throughput_tok_s',
  'request_throughput_rps',
  'total_token_throughput_tok_s',
  'goodput_rps',
  'goodput_tok_s',
  'slo_attainment',
  'prefix_cache_hit_rate',
]);
const NEUTRAL = new Set<string>([
  'requests',
  'replicas',
  'makespan_s',
  'offered_rate_rps',
  'kv_peak_frac',
  'kv_mean_frac',
  'batch_size_mean',
  'iterations',
  'sim_wall_s',
  'sim_cpu_s',
]);

/** The direction in which `key` improves. */
export function metricDirection(key: MetricKey | string): MetricDirection {
  if (UP.has(key)) return 'up';
  if (NEUTRAL.has(key)) return 'neutral';
  return 'down';
}

/**
 * How a change reads: `better`, `worse`, or `neutral` (a metric without a direction), `none`
 * (no change or no value). The sign is shown as text beside the color.
 */
export function changeVerdict(
  key: string,
  changePct: number | null,
): 'better' | 'worse' | 'neutral' | 'none' {
  if (changePct === null || changePct === 0 || !Number.isFinite(changePct)) return 'none';
  const direction = metricDirection(key);
  if (direction === 'neutral') return 'neutral';
  return changePct > 0 === (direction === 'up') ? 'better' : 'worse';
}
