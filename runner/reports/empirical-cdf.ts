/**
 * One point of an empirical CDF: `x` a sample value, `y` the fraction of samples ranked at or
 * below it (with ties, the last of the equal samples carries the fraction <= `x`).
 */
export interface CdfPoint {
  x: number;
  y: number;
}

/**
 * At most `max` of `samples`, chosen as evenly spaced order statistics (always including the
 * minimum and the maximum), so the empirical distribution keeps its shape. Returned ascending;
 * non-finite samples are dropped. Returns all finite samples (sorted) when there are no more
 * than `max`.
 *
 * @throws RangeError when `max` is not an integer of at least 2
 */
export function downsampleSamples(samples: readonly number[], max: number): number[] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`max must be an integer >= 2, got ${max}`);
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length <= max) return sorted;
  const out: number[] = [];
  for (let j = 0; j < max; j++) out.push(sorted[Math.round((j * (sorted.length - 1)) / (max - 1))]);
  return out;
}

/**
 * The empirical CDF of `samples` (non-finite ones dropped), as at most `maxPoints` points taken
 * at evenly spaced ranks: the point for the sample of rank i (0-based, ascending) is
 * `{x: sample, y: (i + 1) / n}`. Empty for no finite samples.
 *
 * @throws RangeError when `maxPoints` is not an integer of at least 2
 */
export function empiricalCdf(samples: readonly number[], maxPoints: number): CdfPoint[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  }
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  if (n === 1) return [{ x: sorted[0], y: 1 }];
  const count = Math.min(n, maxPoints);
  const points: CdfPoint[] = [];
  for (let j = 0; j < count; j++) {
    const rank = Math.round((j * (n - 1)) / (count - 1));
    points.push({ x: sorted[rank], y: (rank + 1) / n });
  }
  return points;
}
