import { decodeColumn, encodeColumn, type Column, type EncodedColumn } from './column-blob-codec.js';
import { STRUCTS, type ColumnSpec, type StructName } from './struct-columns.js';

/** A column of an encoded struct: its `run_columns.column` name and its encoding. */
export interface NamedEncodedColumn extends EncodedColumn {
  /** The ColumnSpec's `column` (`arrival_s`, ...). */
  readonly column: string;
}

/**
 * A struct-of-arrays checked and encoded for storing: one encoded column per field, in the
 * order of the struct's ColumnSpecs (runner/store/struct-columns.ts), all of `length` elements.
 */
export interface EncodedStruct {
  /** Elements of every column (requests, samples or iterations). */
  readonly length: number;
  /** The encoded columns. */
  readonly columns: readonly NamedEncodedColumn[];
}

/**
 * Checks a struct-of-arrays and encodes each of its columns (encodeColumn).
 *
 * The checks: each field is the expected typed array (Float64Array for `real`, Int32Array for
 * `integer`), all have the same length, no value is NaN unless the column is optional (NaN = the
 * event never happened) and none is below the column's minimum (tokens >= 1, counts and
 * durations >= 0, ...; see struct-columns.ts).
 *
 * @param name which struct (`requests`, `time_series`, `iterations`)
 * @param values the struct-of-arrays
 * @param what names the run in messages (`run 12`)
 * @throws Error naming the field (and the index of the first bad element) when a check fails:
 *   `run 12: requests.promptTokens[20] is 0; it must be >= 1`
 */
export function encodeStruct(name: StructName, values: object, what: string): EncodedStruct {
  const { label, columns } = STRUCTS[name];
  // A field the struct may leave out (ColumnSpec.mayBeAbsent) and does is not stored.
  const specs = (columns as unknown as readonly ColumnSpec<Record<string, Column>>[]).filter(
    (spec) => spec.mayBeAbsent !== true || (values as Record<string, unknown>)[spec.field] !== undefined,
  );
  const length = structLength(specs, label, values, what);
  for (const spec of specs) checkColumn(spec, label, (values as Record<string, Column>)[spec.field], what);
  return {
    length,
    columns: specs.map((spec) => ({
      column: spec.column,
      ...encodeColumn((values as Record<string, Column>)[spec.field], spec.unshuffled !== true),
    })),
  };
}

/**
 * Decodes a stored struct back into its typed arrays.
 *
 * @param name which struct
 * @param encoded the struct's stored columns (any order)
 * @param where names the run in messages (`run 12`)
 * @throws Error naming the run and the column when a column is missing (one that may be absent,
 *   ColumnSpec.mayBeAbsent, is then left out), of the wrong type or length, or corrupt (a damaged
 *   database)
 */
export function decodeStruct<T>(name: StructName, encoded: EncodedStruct, where: string): T {
  const byColumn = new Map(encoded.columns.map((c) => [c.column, c]));
  const out: Record<string, Column> = {};
  for (const spec of STRUCTS[name].columns) {
    const at = `${where} ${name}.${spec.column}`;
    const stored = byColumn.get(spec.column);
    if (stored === undefined && spec.mayBeAbsent === true) continue;
    if (stored === undefined) throw new Error(`${at}: column missing (a damaged database)`);
    const column = decodeColumn(stored, at);
    const expected = spec.kind === 'real' ? Float64Array : Int32Array;
    if (!(column instanceof expected) || column.length !== encoded.length) {
      throw new Error(
        `${at}: stored as ${stored.codec} with ${column.length} elements, expected ` +
          `a ${expected.name} of ${encoded.length} (a damaged database)`,
      );
    }
    out[spec.field] = column;
  }
  return out as T;
}

/** The common length of the struct's arrays; throws naming the field when one is wrong. */
function structLength(
  specs: readonly ColumnSpec<Record<string, Column>>[],
  label: string,
  values: object,
  what: string,
): number {
  let length = -1;
  let first = '';
  for (const spec of specs) {
    const array = (values as Record<string, unknown>)[spec.field];
    const expected = spec.kind === 'real' ? Float64Array : Int32Array;
    if (!(array instanceof expected)) {
      throw new Error(`${what}: ${label}.${spec.field} must be a ${expected.name}`);
    }
    if (length === -1) {
      length = array.length;
      first = spec.field;
    } else if (array.length !== length) {
      throw new Error(
        `${what}: ${label}.${spec.field} has ${array.length} entries but ` +
          `${label}.${first} has ${length}; all arrays must have the same length`,
      );
    }
  }
  return Math.max(length, 0);
}

/** Throws naming the first element of `array` that is NaN where not allowed or below the minimum. */
function checkColumn(
  spec: ColumnSpec<Record<string, Column>>,
  label: string,
  array: Column,
  what: string,
): void {
  const nanAllowed = spec.kind === 'integer' || spec.optional === true;
  const min = spec.min ?? -Infinity;
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (v >= min) continue;
    if (Number.isNaN(v) && nanAllowed) continue;
    const rule = Number.isNaN(v)
      ? `it must be a number${min === -Infinity ? '' : ` >= ${min}`} (NaN, "never happened", is not allowed here)`
      : `it must be >= ${min}`;
    throw new Error(`${what}: ${label}.${spec.field}[${i}] is ${Object.is(v, -0) ? '-0' : v}; ${rule}`);
  }
}
