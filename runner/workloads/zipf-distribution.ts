/**
 * A Zipf distribution on the finite support 1..max: P(k) proportional to k^-s (s >= 0; s = 0 is
 * uniform). Sampled by inverse CDF: a uniform draw is located by binary search in the precomputed
 * cumulative table, so one draw costs one uniform and O(log max) steps.
 */

/** The cumulative weights of a Zipf distribution: cdf[k-1] = sum_{i<=k} i^-s (unnormalised). */
export interface ZipfTable {
  readonly s: number;
  readonly cdf: Float64Array;
}

/**
 * Precomputes the table (O(max) time and 8*max bytes).
 * @param s exponent, >= 0
 * @param max largest value, >= 1
 */
export function buildZipfTable(s: number, max: number): ZipfTable {
  const cdf = new Float64Array(max);
  let sum = 0;
  for (let k = 1; k <= max; k++) {
    sum += k ** -s;
    cdf[k - 1] = sum;
  }
  return { s, cdf };
}

/**
 * Draws one value.
 * @param table from {@link buildZipfTable}
 * @param u a uniform draw in [0, 1)
 * @returns the smallest k in 1..max with cdf[k-1] > u * total
 */
export function sampleZipf(table: ZipfTable, u: number): number {
  const { cdf } = table;
  const target = u * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo + 1;
}
