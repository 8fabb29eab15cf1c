/**
 * The one percentile estimator used for every metric: linear interpolation between closest
 * ranks (Hyndman & Fan type 7), the default of NumPy's `np.percentile`, which vLLM's
 * `benchmarks/benchmark_serving.py` (`bench serve`) uses for its p50/p90/p99.
 *
 * @param sorted values sorted ascending, no NaN
 * @param p percentile in [0, 100]
 * @returns the percentile, or null for an empty array
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Arithmetic mean, or null for an empty array. */
export function mean(values: ArrayLike<number>): number | null {
  const n = values.length;
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  return sum / n;
}
