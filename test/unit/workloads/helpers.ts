/** Helpers shared by the workload tests: repository paths, temp files, fast array checks. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the spec directory the tests resolve `data/...` paths against). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute path of a file under `data/`. */
export function dataFile(relative: string): string {
  return join(ROOT, 'data', relative);
}

const tempDirs: string[] = [];

/** Writes a file into a fresh temporary directory and returns its absolute path. */
export function writeTemp(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-workloads-'));
  tempDirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Removes every directory {@link writeTemp} made (call from `afterAll`). */
export function removeTempFiles(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Arithmetic mean of an array of numbers. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

type NumericArray = Float64Array | Int32Array;

/** Byte-for-byte equality of two typed arrays (much faster than a deep `toEqual` on 20k elements). */
export function sameArray(a: NumericArray | undefined, b: NumericArray | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** Field-by-field identity of two request lists. */
export function sameList(
  a: { arrival: Float64Array; promptTokens: Int32Array; outputTokens: Int32Array; typeIndex?: Int32Array },
  b: { arrival: Float64Array; promptTokens: Int32Array; outputTokens: Int32Array; typeIndex?: Int32Array },
): boolean {
  return (
    sameArray(a.arrival, b.arrival) &&
    sameArray(a.promptTokens, b.promptTokens) &&
    sameArray(a.outputTokens, b.outputTokens) &&
    sameArray(a.typeIndex, b.typeIndex)
  );
}
