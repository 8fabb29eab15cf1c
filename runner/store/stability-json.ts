import type { StabilityResult } from '../metrics/stability.js';

/** Number-or-null fields of StabilityResult, in storage order. */
const NUMERIC_FIELDS = [
  'confidence',
  'windowStartS',
  'windowEndS',
  'arrivals',
  'batches',
  'slopePerS',
  'slopeStdErrPerS',
  'slopeLowerBoundPerS',
  'pValue',
  'lag1Autocorrelation',
  'degreesOfFreedom',
  'growthFraction',
  'meanInSystem',
] as const satisfies readonly (keyof StabilityResult)[];

/**
 * Serializes a run's stability verdict for `run_metrics.stability_json` (migrations/
 * 0002_run_stability.sql): a JSON object with every StabilityResult field, `stable` first.
 *
 * @param stability the verdict (assessStability)
 * @param what names the run in error messages (`run 12`)
 * @returns the JSON text and the value of the `stable` column (1, 0 or null)
 * @throws Error naming the field when `stability` is missing, `stable` is not a boolean or null,
 *   `method`/`reason` are not strings, or a numeric field is not a finite number or null
 */
export function encodeStability(
  stability: StabilityResult,
  what: string,
): { json: string; stable: 0 | 1 | null } {
  if (stability === null || typeof stability !== 'object') {
    throw new Error(`${what}: stability must be a StabilityResult object`);
  }
  const { stable, method, reason } = stability as Partial<StabilityResult>;
  if (!(stable === null || typeof stable === 'boolean')) {
    throw new Error(`${what}: stability.stable is ${String(stable)}; it must be true, false or null`);
  }
  if (typeof method !== 'string' || typeof reason !== 'string') {
    throw new Error(`${what}: stability.method and stability.reason must be strings`);
  }
  const ordered: Record<string, unknown> = { stable, method, reason };
  for (const field of NUMERIC_FIELDS) {
    const value = stability[field] as unknown;
    if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new Error(`${what}: stability.${field} is ${String(value)}; it must be a finite number or null`);
    }
    ordered[field] = value;
  }
  return { json: JSON.stringify(ordered), stable: stable === null ? null : stable ? 1 : 0 };
}

/**
 * Parses `run_metrics.stability_json`. Fields absent from the stored object (written by another
 * build) read as null, except `confidence`, `arrivals` and `batches` (never null) as 0, and
 * `method`/`reason` as ''; unknown stored fields are dropped.
 *
 * @param json the stored JSON object
 * @returns the verdict
 * @throws SyntaxError when the text is not JSON (the column's CHECK prevents it)
 */
export function decodeStability(json: string): StabilityResult {
  const stored = JSON.parse(json) as Record<string, unknown>;
  const numbers = Object.fromEntries(
    NUMERIC_FIELDS.map((field) => [field, typeof stored[field] === 'number' ? stored[field] : null]),
  ) as Record<(typeof NUMERIC_FIELDS)[number], number | null>;
  return {
    stable: typeof stored.stable === 'boolean' ? stored.stable : null,
    method: typeof stored.method === 'string' ? stored.method : '',
    reason: typeof stored.reason === 'string' ? stored.reason : '',
    ...numbers,
    confidence: numbers.confidence ?? 0,
    arrivals: numbers.arrivals ?? 0,
    batches: numbers.batches ?? 0,
  };
}
