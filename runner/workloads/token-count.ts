/**
 * Parsing one token count (prompt or output length) from a trace or length file.
 */
import { cellError, showValue, type CellLocation } from './cell-location.js';

/** Largest token count accepted: lengths are stored in an Int32Array. */
export const MAX_TOKEN_COUNT = 2 ** 31 - 1;

/**
 * Parses a token count: a non-negative integer, given as a JSON number or as text (surrounding
 * spaces allowed; `12.0` counts as the integer 12).
 *
 * Zero is returned as 0: the table readers clamp it to 1 and count it (see `trace-table.ts`).
 *
 * @param raw the cell: a string (CSV) or any JSON value (JSONL)
 * @param at where the cell is, for the error
 * @returns the count, tokens (0 .. {@link MAX_TOKEN_COUNT})
 * @throws InputError `file:line: column "c": ...` when the cell is missing/empty, not a number,
 *   negative, not an integer, or too large
 */
export function parseTokenCount(raw: unknown, at: CellLocation): number {
  let value: number;
  if (typeof raw === 'number') {
    value = raw;
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    if (text === '') throw cellError(at, 'empty; expected a token count (a non-negative integer)');
    value = Number(text);
  } else if (raw === undefined || raw === null) {
    throw cellError(at, 'missing; expected a token count (a non-negative integer)');
  } else {
    value = Number.NaN;
  }
  if (!Number.isFinite(value)) {
    throw cellError(at, `${showValue(raw)} is not a number; expected a token count (a non-negative integer)`);
  }
  if (value < 0) throw cellError(at, `token count ${showValue(raw)} is negative`);
  if (!Number.isInteger(value)) throw cellError(at, `token count ${showValue(raw)} is not an integer`);
  if (value > MAX_TOKEN_COUNT) {
    throw cellError(at, `token count ${showValue(raw)} is larger than ${MAX_TOKEN_COUNT}`);
  }
  return value;
}
