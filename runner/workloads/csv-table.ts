/**
 * Reading a CSV file with a header into rows of text cells, keeping each row's line number: either
 * streamed row by row ({@link csvTableSink}, for traces read in chunks) or collected whole
 * ({@link parseCsv}, for a text already in memory). Records come from `csv-records.ts` (fast path
 * for quote-free text, csv-parse otherwise; cells trimmed, LF and CRLF, empty lines skipped).
 */
import { InputError, atLocation } from '../errors.js';
import { CsvRecordSplitter } from './csv-records.js';
import type { TextSink } from './text-chunks.js';

/** A CSV file's header row. */
export interface CsvHeader {
  readonly file: string;
  readonly header: readonly string[];
  /** Line of the header row, 1-based (1 unless the file starts with empty lines). */
  readonly headerLine: number;
}

/** A parsed CSV file: header cells, data rows (text cells) and each row's 1-based line number. */
export interface CsvTable extends CsvHeader {
  readonly rows: readonly (readonly string[])[];
  /** Line of each row in the file, 1-based, header = line 1 (or later, after empty lines). */
  readonly lines: readonly number[];
}

/**
 * A {@link TextSink} that reads CSV text starting with a header row: `onHeader` gets the header
 * once, then `onRow` each data row, in file order, as the text arrives.
 * @param file the file's path, for messages
 * @param onHeader receives the header (e.g. to find columns with {@link columnIndex})
 * @param onRow receives each data row's cells and its 1-based line
 * @returns the sink; its `push`/`end` throw InputError `file:line: ...` for an unclosed quote or
 *   other invalid CSV, a row whose number of fields differs from the header's, and (at `end`) an
 *   empty file; and whatever the handlers throw
 */
export function csvTableSink(
  file: string,
  onHeader: (header: CsvHeader) => void,
  onRow: (cells: readonly string[], line: number) => void,
): TextSink {
  let header: CsvHeader | undefined;
  const records = new CsvRecordSplitter(file, (cells, line) => {
    if (header === undefined) {
      header = { file, header: cells, headerLine: line };
      onHeader(header);
    } else if (cells.length !== header.header.length) {
      throw new InputError(
        atLocation(file, line, `row has ${cells.length} fields but the header has ${header.header.length}`),
        { file, line },
      );
    } else {
      onRow(cells, line);
    }
  });
  return {
    push: (text) => records.push(text),
    end: () => {
      records.end();
      if (header === undefined) {
        throw new InputError(atLocation(file, undefined, 'empty file: expected a header row'), { file });
      }
    },
  };
}

/**
 * Parses CSV text that starts with a header row, held whole (see {@link csvTableSink}).
 * @param text the file's text (byte-order mark already removed)
 * @param file the file's path, for messages
 * @returns the header and every data row with its line
 * @throws InputError `file:line: ...` for an empty file, an unclosed quote, or a row whose number of
 *   fields differs from the header's
 */
export function parseCsv(text: string, file: string): CsvTable {
  let header: CsvHeader | undefined;
  const rows: (readonly string[])[] = [];
  const lines: number[] = [];
  const sink = csvTableSink(
    file,
    (h) => (header = h),
    (cells, line) => {
      rows.push(cells);
      lines.push(line);
    },
  );
  sink.push(text);
  sink.end();
  return { ...header!, rows, lines };
}

/**
 * Finds a column by its exact (trimmed) header name.
 * @param table the file's header (a {@link CsvTable} is one)
 * @param name the column wanted
 * @param field the spec field that chose the name, e.g. `lengths.columns.prompt`, for the message
 * @returns the column's index
 * @throws InputError `file:1: missing column "name"`, listing the header's columns
 */
export function columnIndex(table: CsvHeader, name: string, field?: string): number {
  const index = table.header.indexOf(name);
  if (index === -1) {
    const by = field === undefined ? '' : ` (set by \`${field}\`)`;
    throw new InputError(
      atLocation(
        table.file,
        table.headerLine,
        `missing column "${name}"${by}; the header has: ${table.header.map((h) => `"${h}"`).join(', ')}`,
      ),
      { file: table.file, line: table.headerLine, field: name },
    );
  }
  return index;
}
