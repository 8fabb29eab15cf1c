import { studentTQuantile as tQuantile } from './t-distribution.js';

/** Mean and two-sided confidence interval of a small sample (for example one metric over seeds). */
export interface MeanWithInterval {
  /** Sample size. */
  n: number;
  /** Arithmetic mean of the sample (the common value itself when every value is identical). */
  mean: number;
  /**
   * Half-width of the interval: t(1 - (1 - level)/2, n - 1) x s / sqrt(n); null when n < 2 or
   * when the values are all identical (no spread was measured: see `identical`).
   */
  halfWidth: number | null;
  /**
   * True when n >= 2 and every value is exactly the same (for example seeds that replayed the
   * same requests): the sample has no spread to estimate, so there is no interval, and a report
   * must not print one as `± 0`.
   */
  identical: boolean;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/**
 * Student-t confidence interval of the mean (the textbook interval for a small sample of
 * independent runs, e.g. seeds; t quantile from t-distribution.ts). Intervals
 * are given only over samples that differ: for identical values `halfWidth` is null and
 * `identical` true, since a zero-width interval would claim a precision nobody measured.
 * @param values the sample (NaN and non-finite values are not allowed)
 * @param level confidence level in (0, 1), default 0.95
 * @returns null for an empty sample
 * @throws RangeError for a level outside (0, 1) or a non-finite value
 */
export function meanWithInterval(values: readonly number[], level = 0.95): MeanWithInterval | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const n = values.length;
  if (n === 0) return null;
  if (values.some((v) => !Number.isFinite(v)))
    throw new RangeError('confidence interval of non-finite values');
  if (n < 2) return { n, mean: values[0], halfWidth: null, identical: false, level };
  if (values.every((v) => v === values[0])) {
    return { n, mean: values[0], halfWidth: null, identical: true, level };
  }
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return {
    n,
    mean,
    halfWidth: tQuantile(1 - (1 - level) / 2, n - 1) * Math.sqrt(variance / n),
    identical: false,
    level,
  };
}
