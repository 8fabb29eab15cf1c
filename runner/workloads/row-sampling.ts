/**
 * Choosing which rows of a length-only file a request list uses.
 */
import type { Uniform } from './random-streams.js';

/**
 * Picks n row indices out of rowCount.
 * - n <= rowCount: WITHOUT replacement, the first n entries of a seeded Fisher-Yates shuffle of all
 *   rows (so n1 < n2 gives a prefix of the n2 list; Vidur shuffles its length traces the same way,
 *   `trace_df.sample(frac=1, random_state=seed)`).
 * - n > rowCount: WITH replacement, each request an independent uniformly chosen row.
 * @param rowCount rows in the file (>= 1)
 * @param n requests wanted
 * @param uniform the row-order stream
 * @returns row index per request
 */
export function sampleRows(rowCount: number, n: number, uniform: Uniform): Int32Array {
  const out = new Int32Array(n);
  if (n > rowCount) {
    for (let i = 0; i < n; i++) out[i] = Math.floor(uniform() * rowCount);
    return out;
  }
  const order = new Int32Array(rowCount);
  for (let i = 0; i < rowCount; i++) order[i] = i;
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(uniform() * (rowCount - i));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
    out[i] = order[i];
  }
  return out;
}
