/**
 * Where a value sits in an input file, and the error that points at it.
 */
import { InputError, atLocation } from '../errors.js';

/** A cell of a trace or length file: file path, 1-based line (header = line 1), column name. */
export interface CellLocation {
  readonly file: string;
  readonly line: number;
  readonly column: string;
}

/**
 * Builds the InputError for a bad cell: `file:line: column "name": message`.
 * @param at the cell
 * @param message what is wrong and, where useful, how to fix it
 */
export function cellError(at: CellLocation, message: string): InputError {
  return new InputError(atLocation(at.file, at.line, `column "${at.column}": ${message}`), {
    file: at.file,
    line: at.line,
    field: at.column,
  });
}

/** Shows a raw cell value in a message (quoted, shortened to 40 characters). */
export function showValue(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const shown = text === undefined ? String(raw) : text;
  return JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}...` : shown);
}
