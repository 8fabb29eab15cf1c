import { METRIC_KEYS } from '../metrics/metric-keys.js';
import type { MetricKey, RunMetrics } from '../metrics/metric-keys.js';

/**
 * Serializes a run's metrics for `run_metrics.metrics_json`: a JSON object with exactly the keys
 * of METRIC_KEYS, in that order.
 *
 * @param metrics every metric key, each a finite number or null
 * @param what names the run in error messages (`run 12`)
 * @returns the JSON text
 * @throws Error naming the key when a key is missing or unknown, or a value is not a finite
 *   number or null (NaN and infinities must be null: JSON cannot hold them)
 */
export function encodeMetrics(metrics: RunMetrics, what: string): string {
  const known = new Set<string>(METRIC_KEYS);
  for (const key of Object.keys(metrics)) {
    if (!known.has(key)) throw new Error(`${what}: unknown metric key "${key}"`);
  }
  const ordered: Partial<RunMetrics> = {};
  for (const key of METRIC_KEYS) {
    if (!Object.hasOwn(metrics, key)) throw new Error(`${what}: metric "${key}" is missing`);
    const value = metrics[key] as unknown;
    if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new Error(`${what}: metric "${key}" is ${String(value)}; it must be a finite number or null`);
    }
    ordered[key] = value;
  }
  return JSON.stringify(ordered);
}

/**
 * Parses `run_metrics.metrics_json`. Keys of METRIC_KEYS absent from the stored object (written
 * by an older build with fewer metrics) read as null; stored keys this build does not know are
 * dropped.
 *
 * @param json the stored JSON object
 * @returns every metric key, each a number or null
 * @throws SyntaxError when the text is not JSON (the column's CHECK prevents it)
 */
export function decodeMetrics(json: string): RunMetrics {
  const stored = JSON.parse(json) as Partial<Record<MetricKey, unknown>>;
  const metrics = {} as RunMetrics;
  for (const key of METRIC_KEYS) {
    const value = stored[key];
    metrics[key] = typeof value === 'number' ? value : null;
  }
  return metrics;
}
