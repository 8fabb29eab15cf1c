/**
 * Significant decimal digits kept in chart data (the points of CDFs and time series in the
 * report's embedded JSON and in `runs.compare`): a relative error of at most 5e-4, half a pixel
 * on a 1,000-pixel axis, while the JSON shrinks to about a third (docs/decisions.md, "Chart
 * point budget and rounding").
 */
export const CHART_SIGNIFICANT_DIGITS = 4;

/** 10^k for k = 0..22: exact doubles, so dividing an integer by one rounds correctly. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `x` rounded to `digits` significant decimal digits (ties away from zero, as toPrecision), as the double
 * nearest that decimal so that JSON prints it short (0.1235, not 0.12350000000000001). Zero, non-finite values and numbers whose scale
 * falls outside 1e-22..1e22 are returned unchanged (the latter rounded by toPrecision).
 *
 * @param x any number
 * @param digits significant digits, an integer in 1..15 (default CHART_SIGNIFICANT_DIGITS)
 * @throws RangeError when digits is not an integer in 1..15
 */
export function roundSignificant(x: number, digits: number = CHART_SIGNIFICANT_DIGITS): number {
  if (!Number.isInteger(digits) || digits < 1 || digits > 15) {
    throw new RangeError(`digits must be an integer in 1..15, got ${digits}`);
  }
  if (x === 0 || !Number.isFinite(x)) return x;
  const magnitude = Math.abs(x);
  const exponent = Math.floor(Math.log10(magnitude));
  const shift = digits - 1 - exponent; // |x| * 10^shift has `digits` digits before the point
  if (shift > 22 || shift < -22) return Number(x.toPrecision(digits));
  const rounded =
    shift >= 0
      ? Math.round(magnitude * POWERS_OF_TEN[shift]) / POWERS_OF_TEN[shift]
      : Math.round(magnitude / POWERS_OF_TEN[-shift]) * POWERS_OF_TEN[-shift];
  // log10 can be off by one next to a power of ten (|x| = 999.99...): the result then has one
  // digit too many or too few, which toPrecision settles.
  if (rounded >= 10 ** (exponent + 1) || rounded < 10 ** exponent) return Number(x.toPrecision(digits));
  return x < 0 ? -rounded : rounded;
}

/**
 * Every value of `values` rounded by {@link roundSignificant} into a plain array (typed arrays
 * accepted), `null` kept as is.
 */
export function roundAll<T extends number | null>(
  values: ArrayLike<T>,
  digits: number = CHART_SIGNIFICANT_DIGITS,
): T[] {
  const out = new Array<T>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = (v === null ? v : roundSignificant(v, digits)) as T;
  }
  return out;
}
