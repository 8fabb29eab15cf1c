/**
 * A number as people read it in tables: integers in full, other values with 4 significant
 * digits (`0.1235`, `12.35`, `1235`), values of 10,000 and more rounded to an integer
 * (`12346`), very small or huge ones in exponent form (`1.235e-4`). `null` gives `-`;
 * NaN and infinities print as `NaN`, `inf`, `-inf`.
 */
export function formatNumber(value: number | null): string {
  if (value === null) return '-';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs >= 1e15) return value.toExponential(3);
  if (Number.isInteger(value)) return String(value);
  if (abs >= 1e-3) {
    const text = value.toPrecision(4);
    // 9999.7 rounds to 1.000e+4: print such values (and all from 10,000 up) as integers.
    return text.includes('e') ? Math.round(value).toFixed(0) : text;
  }
  return value.toExponential(3);
}
