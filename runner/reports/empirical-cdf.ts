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
  const sorted = samples.filter(Number.isFinite);
  // Order statistics (a run digest's) come sorted: check in O(n) before sorting.
  let ascending = true;
  for (let i = 1; i < sorted.length && ascending; i++) ascending = sorted[i - 1] <= sorted[i];
  if (!ascending) sorted.sort((a, b) => a - b);
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

/**
 * Latency samples of one run as a report keeps them: ascending order statistics (RunDigest's
 * ttftS or e2eS, runner/metrics/run-digest.ts) standing for `finished` samples, or, without
 * `finished`, the samples themselves (any order).
 */
export interface SampleDigest {
  /** Samples or order statistics, seconds. */
  values: readonly number[];
  /** How many samples `values` stands for (>= values.length); absent: values.length. */
  finished?: number;
}

/**
 * The empirical CDF of several runs' samples pooled (every seed of a policy at one rate), from
 * their order statistics, as at most `maxPoints` points: the stored values of all runs sorted,
 * each value x paired with the pooled fraction sum_r n_r F_r(x) / sum_r n_r, where run r's
 * F_r(x) is the fraction of its n_r samples at or below its last stored value <= x (for stored
 * entry i of K it is (rank + 1) / n_r with rank = round(i (n_r - 1) / (K - 1)), the rank
 * RunDigest gives it); points are taken at evenly spaced positions, the first and the last
 * always. When every run stores all its samples (n_r = K_r) this is exactly
 * `empiricalCdf(all samples, maxPoints)`; otherwise each stored value stands for about
 * n_r / K_r samples. Non-finite values are dropped.
 *
 * @param parts one entry per run
 * @param maxPoints most points returned (an integer >= 2)
 * @returns points ascending in x, y in (0, 1]; empty when no run has a finite value
 * @throws RangeError when maxPoints is not an integer of at least 2, or a part's `finished` is
 *   smaller than its number of finite values
 */
export function pooledCdf(parts: readonly SampleDigest[], maxPoints: number): CdfPoint[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  }
  if (parts.every((part) => part.finished === undefined || part.finished === part.values.length)) {
    // Every sample stored (the common case: runs of at most 1,001 requests): one native sort.
    const all = new Float64Array(parts.reduce((sum, part) => sum + part.values.length, 0));
    let at = 0;
    for (const part of parts) for (const x of part.values) if (Number.isFinite(x)) all[at++] = x;
    if (at === 0) return [];
    const sorted = all.subarray(0, at).sort();
    if (at === 1) return [{ x: sorted[0], y: 1 }];
    const count = Math.min(at, maxPoints);
    const points: CdfPoint[] = [];
    for (let j = 0; j < count; j++) {
      const rank = Math.round((j * (at - 1)) / (count - 1));
      points.push({ x: sorted[rank], y: (rank + 1) / at });
    }
    return points;
  }
  // Every stored value with its run and the cumulative count n_r F_r at it.
  const entries: { x: number; part: number; count: number }[] = [];
  let total = 0;
  parts.forEach((part, p) => {
    const sorted = part.values.filter(Number.isFinite).sort((a, b) => a - b);
    const k = sorted.length;
    if (k === 0) return;
    const n = part.finished ?? k;
    if (n < k) throw new RangeError(`finished (${n}) is smaller than the ${k} values it summarises`);
    total += n;
    for (let i = 0; i < k; i++) {
      const rank = k === 1 ? n - 1 : Math.round((i * (n - 1)) / (k - 1));
      entries.push({ x: sorted[i], part: p, count: rank + 1 });
    }
  });
  const m = entries.length;
  if (m === 0) return [];
  entries.sort((a, b) => a.x - b.x);
  // pooled[j]: sum over runs of the count of their last entry at or before position j.
  const last = new Float64Array(parts.length);
  const pooled = new Float64Array(m);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const e = entries[j];
    sum += e.count - last[e.part];
    last[e.part] = e.count;
    pooled[j] = sum;
  }
  if (m === 1) return [{ x: entries[0].x, y: 1 }];
  const count = Math.min(m, maxPoints);
  const points: CdfPoint[] = [];
  for (let j = 0; j < count; j++) {
    const at = Math.round((j * (m - 1)) / (count - 1));
    points.push({ x: entries[at].x, y: pooled[at] / total });
  }
  return points;
}
