/**
 * Reader for any recorded trace in CSV (with a header) or JSON Lines: one request per row, with an
 * arrival timestamp, prompt tokens and output tokens, in fields named by `columns`.
 *
 * - Timestamps: numbers in `timeUnit` (`seconds` format) or calendar datetimes (`datetime`); they
 *   are turned into seconds after the first row (the first arrival is 0).
 * - Order: rows must already be sorted by time (equal timestamps allowed). A row earlier than the
 *   one before it is REJECTED with its file, line and column, not silently sorted: an unsorted trace
 *   usually means a wrong column or a concatenation, and sorting would change which requests
 *   a window of N consecutive rows holds.
 * - Token counts: non-negative integers; 0 is clamped to 1 and counted (see `trace-table.ts`).
 * - Other fields (e.g. Mooncake's `hash_ids`) are ignored.
 */
import { InputError, atLocation } from '../errors.js';
import type { CellLocation } from './cell-location.js';
import { cellError, showValue } from './cell-location.js';
import { columnIndex, parseCsv } from './csv-table.js';
import { readInputText } from './input-file.js';
import { SECONDS_PER_UNIT, parseDatetime, parseNumericTimestamp, type TimeUnit } from './timestamp.js';
import { LengthColumnsBuilder, type TraceTable } from './trace-table.js';
import type { TraceColumns } from './workload-spec.js';

/** How to read a generic trace (all defaults already applied). */
export interface GenericTraceOptions {
  readonly format: 'csv' | 'jsonl';
  readonly columns: TraceColumns;
  /** Unit of numeric timestamps; ignored for `datetime`. */
  readonly timeUnit: TimeUnit;
  readonly timestampFormat: 'seconds' | 'datetime';
}

/** Default CSV fields: Vidur's processed traces (`splitwise_*.csv`), `arrived_at` in seconds. */
export const DEFAULT_CSV_TRACE_COLUMNS: TraceColumns = {
  arrival: 'arrived_at',
  prompt: 'num_prefill_tokens',
  output: 'num_decode_tokens',
};

/** Default JSONL fields: Mooncake's (`timestamp`, `input_length`, `output_length`). */
export const DEFAULT_JSONL_TRACE_COLUMNS: TraceColumns = {
  arrival: 'timestamp',
  prompt: 'input_length',
  output: 'output_length',
};

/**
 * Fills in the defaults of a `csv`/`jsonl` trace spec: columns by format (above), `timeUnit` `s`,
 * `timestampFormat` `seconds`.
 */
export function genericTraceOptions(spec: {
  format: 'csv' | 'jsonl';
  columns?: TraceColumns | undefined;
  timeUnit?: TimeUnit | undefined;
  timestampFormat?: 'seconds' | 'datetime' | undefined;
}): GenericTraceOptions {
  return {
    format: spec.format,
    columns:
      spec.columns ?? (spec.format === 'csv' ? DEFAULT_CSV_TRACE_COLUMNS : DEFAULT_JSONL_TRACE_COLUMNS),
    timeUnit: spec.timeUnit ?? 's',
    timestampFormat: spec.timestampFormat ?? 'seconds',
  };
}

/**
 * Reads and validates a trace file.
 * @param file absolute path
 * @param options format, fields and time format
 * @param field the spec field that named the file (for the missing-file message)
 * @param columnsField the spec field that chose the column names, e.g. `trace.columns` (for the
 *   missing-column message; omit when the names are fixed by the format)
 * @returns the trace, arrival times in seconds from the first row
 * @throws InputError naming the path for a missing file; `file:line: column "c": ...` for a bad
 *   token count, a bad or decreasing timestamp, a missing field; `file:1` for a missing CSV column;
 *   `file: ...` for a trace without rows
 */
export function readGenericTrace(
  file: string,
  options: GenericTraceOptions,
  field?: string,
  columnsField?: string,
): TraceTable {
  return parseTraceText(readInputText(file, field), file, options, columnsField);
}

/**
 * Parses a trace from text (see {@link readGenericTrace}); `file` is used in messages only.
 */
export function parseTraceText(
  text: string,
  file: string,
  options: GenericTraceOptions,
  columnsField?: string,
): TraceTable {
  const lengths = new LengthColumnsBuilder();
  const arrivals = new ArrivalColumnBuilder(options);
  const { columns } = options;
  if (options.format === 'csv') {
    const table = parseCsv(text, file);
    const by = (key: string): string | undefined =>
      columnsField === undefined ? undefined : `${columnsField}.${key}`;
    const ia = columnIndex(table, columns.arrival, by('arrival'));
    const ip = columnIndex(table, columns.prompt, by('prompt'));
    const io = columnIndex(table, columns.output, by('output'));
    for (let r = 0; r < table.rows.length; r++) {
      const row = table.rows[r];
      const line = table.lines[r];
      arrivals.add(row[ia], { file, line, column: columns.arrival });
      lengths.add(row[ip], { file, line, column: columns.prompt }, row[io], {
        file,
        line,
        column: columns.output,
      });
    }
  } else {
    let line = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      line += 1;
      const raw = text.slice(start, end).trim();
      start = end + 1;
      if (raw === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        throw new InputError(atLocation(file, line, `not valid JSON: ${(err as Error).message}`), {
          file,
          line,
        });
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        throw new InputError(atLocation(file, line, 'expected one JSON object per line'), { file, line });
      }
      const rec = obj as Record<string, unknown>;
      arrivals.add(rec[columns.arrival], { file, line, column: columns.arrival });
      lengths.add(rec[columns.prompt], { file, line, column: columns.prompt }, rec[columns.output], {
        file,
        line,
        column: columns.output,
      });
    }
  }
  if (lengths.length === 0) {
    throw new InputError(atLocation(file, undefined, 'the trace has no requests'), { file });
  }
  return { ...lengths.build(file), arrival: Float64Array.from(arrivals.values) };
}

/** Turns raw timestamps into seconds after the first row and checks they never decrease. */
class ArrivalColumnBuilder {
  readonly values: number[] = [];
  private firstRaw = 0;
  private firstWhole = 0;
  private firstFraction = 0;
  private previousRaw = Number.NEGATIVE_INFINITY;
  private previousLine = 0;

  constructor(private readonly options: GenericTraceOptions) {}

  add(raw: unknown, at: CellLocation): void {
    let seconds: number;
    let comparable: number;
    if (this.options.timestampFormat === 'datetime') {
      const dt = parseDatetime(raw, at);
      if (this.values.length === 0) {
        this.firstWhole = dt.wholeSeconds;
        this.firstFraction = dt.fraction;
      }
      seconds = dt.wholeSeconds - this.firstWhole + (dt.fraction - this.firstFraction);
      comparable = seconds;
    } else {
      const value = parseNumericTimestamp(raw, at);
      if (this.values.length === 0) this.firstRaw = value;
      seconds = (value - this.firstRaw) * SECONDS_PER_UNIT[this.options.timeUnit];
      comparable = value;
    }
    if (comparable < this.previousRaw) {
      throw cellError(
        at,
        `timestamp ${showValue(raw)} is earlier than the previous row's (line ${this.previousLine}); ` +
          'a trace must be sorted by arrival time',
      );
    }
    this.previousRaw = comparable;
    this.previousLine = at.line;
    this.values.push(seconds);
  }
}
