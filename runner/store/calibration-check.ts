import type { NewCalibration } from './calibration-row.js';

/** The string fields of NewCalibration that must be non-empty. */
const REQUIRED_TEXT = ['machine', 'model', 'dtype', 'device', 'torch', 'python'] as const;

/**
 * Validates a calibration before it is stored and serializes its fit for
 * `calibrations.fit_json` (migrations/0003_worker_machines.sql).
 *
 * @param c the calibration (from a worker's measurements, or imported)
 * @returns the fit as JSON text
 * @throws Error naming the calibration's machine and model and the field when machine, model,
 *   dtype, device, torch or python is not a non-empty string, gpuName is not a string or null,
 *   gpuMemoryBytes is not a positive safe integer or null, kvBlocks or blockSize is not a
 *   positive safe integer, or fit is not a plain object of JSON values (see {@link jsonProblem})
 */
export function checkCalibration(c: NewCalibration): string {
  const what = `calibration of ${JSON.stringify(c.model)} on machine ${JSON.stringify(c.machine)}`;
  for (const field of REQUIRED_TEXT) {
    const value: unknown = c[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw new Error(`${what}: ${field} must be a non-empty string, not ${JSON.stringify(value)}`);
    }
  }
  if (c.gpuName !== null && typeof c.gpuName !== 'string') {
    throw new Error(`${what}: gpuName must be a string or null`);
  }
  const positive = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0;
  if (c.gpuMemoryBytes !== null && !positive(c.gpuMemoryBytes)) {
    throw new Error(`${what}: gpuMemoryBytes ${String(c.gpuMemoryBytes)} must be a positive integer or null`);
  }
  for (const field of ['kvBlocks', 'blockSize'] as const) {
    if (!positive(c[field]))
      throw new Error(`${what}: ${field} ${String(c[field])} must be a positive integer`);
  }
  if (c.fit === null || typeof c.fit !== 'object' || Array.isArray(c.fit)) {
    throw new Error(`${what}: fit must be a JSON object`);
  }
  const problem = jsonProblem(c.fit, 'fit');
  if (problem !== undefined) throw new Error(`${what}: ${problem}`);
  return JSON.stringify(c.fit);
}

/**
 * Why a value would not read back deep-equal after JSON.stringify and JSON.parse, if it would
 * not: it (or a value nested in it) is not a string, a finite number, a boolean, null, an array
 * or a plain object (NaN, infinities, undefined, functions, bigints, symbols, class instances
 * such as Date or typed arrays), or an array has holes. (-0 passes and reads back as 0, which
 * JSON does not distinguish.)
 *
 * @param value the value to check
 * @param path how messages name the value (`fit`, `fit.decode[2]`)
 * @returns a message naming the path of the first offending value, or undefined when all is JSON
 */
function jsonProblem(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${path} is ${value}; JSON numbers must be finite`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return `${path}[${i}] is a hole; arrays must be dense`;
      const problem = jsonProblem(value[i], `${path}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${value.constructor?.name ?? 'class instance'}; only plain objects are JSON`;
    }
    for (const [key, member] of Object.entries(value)) {
      const problem = jsonProblem(member, `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return `${path} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}; it is not a JSON value`;
}
