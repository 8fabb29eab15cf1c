/** A comma- or space-separated list of numbers, or why it is not one. */
export type NumberListResult = { ok: true; values: number[] } | { ok: false; message: string };

/** What a list's numbers must be. */
export interface NumberBounds {
  /** Accept integers only. */
  integer?: boolean;
  /** Smallest value allowed (inclusive; `exclusiveMin` makes it exclusive). */
  min?: number;
  exclusiveMin?: boolean;
  /** Largest value allowed (inclusive; `exclusiveMax` makes it exclusive). */
  max?: number;
  exclusiveMax?: boolean;
}

/** Parses `2, 4, 8` (commas or spaces between values), each within `bounds`. */
export function parseNumberList(
  text: string,
  {
    integer = false,
    min = Number.NEGATIVE_INFINITY,
    exclusiveMin = false,
    max = Number.POSITIVE_INFINITY,
    exclusiveMax = false,
  }: NumberBounds = {},
): NumberListResult {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return { ok: false, message: 'give at least one number' };
  const values: number[] = [];
  for (const part of parts) {
    const value = Number(part);
    if (!Number.isFinite(value)) return { ok: false, message: `"${part}" is not a number` };
    if (integer && !Number.isInteger(value)) return { ok: false, message: `"${part}" is not an integer` };
    if (exclusiveMin ? value <= min : value < min) {
      return { ok: false, message: `"${part}" must be ${exclusiveMin ? 'greater than' : 'at least'} ${min}` };
    }
    if (exclusiveMax ? value >= max : value > max) {
      return { ok: false, message: `"${part}" must be ${exclusiveMax ? 'less than' : 'at most'} ${max}` };
    }
    values.push(value);
  }
  return { ok: true, values };
}

/** One value as itself, several as a list (a grid axis in a spec). */
export function oneOrList(values: number[]): number | number[] {
  return values.length === 1 ? values[0] : values;
}
