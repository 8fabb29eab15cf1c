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
 * - Prefix identity: with `prefixBlocks` (JSONL only; the Mooncake reader sets it for
 *   `hash_ids`, a `jsonl` spec through `columns.hashIds`), each row's array of block ids is kept
 *   in the table's `prefixBlocks` (`prefix-blocks.ts`, PrefixBlocksBuilder: integers in [0, 2^53),
 *   at most ceil(prompt / blockTokens) a row); a row without the field, or with `null`, has no ids,
 *   and a file where no row has ids gives a table without `prefixBlocks`. Other fields are ignored.
 */
import { InputError, atLocation } from '../errors.js';
import type { CellLocation } from './cell-location.js';
import { cellError, showValue } from './cell-location.js';
import { columnIndex, csvTableSink } from './csv-table.js';
import { PrefixBlocksBuilder } from './prefix-blocks.js';
import { streamInputFile, type StreamLimits } from './input-file.js';
import { JsonlRecordSplitter } from './jsonl-records.js';
import { countTextLineEnds, type TextSink } from './text-chunks.js';
import { SECONDS_PER_UNIT, parseDatetime, parseNumericTimestamp, type TimeUnit } from './timestamp.js';
import {
  LengthColumnsBuilder,
  checkCapacity,
  traceCapacity,
  trimColumn,
  type TraceTable,
} from './trace-table.js';
import { DEFAULT_HASH_ID_BLOCK_TOKENS, type TraceColumns } from './workload-spec.js';

/** How to read a generic trace (all defaults already applied). */
export interface GenericTraceOptions {
  readonly format: 'csv' | 'jsonl';
  readonly columns: TraceColumns;
  /** Unit of numeric timestamps; ignored for `datetime`. */
  readonly timeUnit: TimeUnit;
  readonly timestampFormat: 'seconds' | 'datetime';
  /**
   * The JSONL field holding each row's prompt-block ids (a JSON array of integers in [0, 2^53),
   * at most ceil(prompt / blockTokens) of them; missing or `null`: the row has no ids) and the
   * prompt tokens per id; absent: no prefix identity is read. Ignored for CSV.
   */
  readonly prefixBlocks?: { readonly column: string; readonly blockTokens: number };
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
 * `timestampFormat` `seconds`; for a `jsonl` trace whose `columns.hashIds` names a field, the
 * prefix blocks read from it (`prefixBlocks`), `blockTokens` prompt tokens per id (default
 * {@link DEFAULT_HASH_ID_BLOCK_TOKENS}, 512, Mooncake's).
 * @param spec a `csv`/`jsonl` entry validated by TraceSpecSchema (workload-spec.ts)
 * @returns the reader options
 * @throws InputError naming field `trace.columns.hashIds` for a `csv` trace that names a hash-id
 *   field, `trace.blockTokens` for `blockTokens` without one (the schema refuses both first)
 */
export function genericTraceOptions(spec: {
  format: 'csv' | 'jsonl';
  columns?: (TraceColumns & { hashIds?: string | undefined }) | undefined;
  timeUnit?: TimeUnit | undefined;
  timestampFormat?: 'seconds' | 'datetime' | undefined;
  blockTokens?: number | undefined;
}): GenericTraceOptions {
  const hashIds = spec.columns?.hashIds;
  if (hashIds !== undefined && spec.format === 'csv') {
    throw new InputError(
      'trace.columns.hashIds: hash ids are read from JSONL traces only (`format: jsonl`)',
      { field: 'trace.columns.hashIds' },
    );
  }
  if (hashIds === undefined && spec.blockTokens !== undefined) {
    throw new InputError('trace.blockTokens: applies only with `columns.hashIds`', {
      field: 'trace.blockTokens',
    });
  }
  const columns: TraceColumns =
    spec.columns === undefined
      ? spec.format === 'csv'
        ? DEFAULT_CSV_TRACE_COLUMNS
        : DEFAULT_JSONL_TRACE_COLUMNS
      : { arrival: spec.columns.arrival, prompt: spec.columns.prompt, output: spec.columns.output };
  const options: GenericTraceOptions = {
    format: spec.format,
    columns,
    timeUnit: spec.timeUnit ?? 's',
    timestampFormat: spec.timestampFormat ?? 'seconds',
  };
  if (hashIds === undefined) return options;
  return {
    ...options,
    prefixBlocks: { column: hashIds, blockTokens: spec.blockTokens ?? DEFAULT_HASH_ID_BLOCK_TOKENS },
  };
}

/**
 * Reads and validates a trace file, streamed in chunks into typed columns (see
 * `input-file.ts` `streamInputFile`): memory is about 16 bytes a row plus one chunk.
 * @param file absolute path
 * @param options format, fields and time format
 * @param field the spec field that named the file (for the missing-file message)
 * @param columnsField the spec field that chose the column names, e.g. `trace.columns` (for the
 *   missing-column message; omit when the names are fixed by the format)
 * @param limits row, byte and chunk limits (defaults: 40 M rows, 4 GiB, 1 MiB; for tests)
 * @returns the trace, arrival times in seconds from the first row
 * @throws InputError naming the path for a missing file, a special file, a file over 4 GiB or over
 *   MAX_TRACE_ROWS lines; `file:line: column "c": ...` for a bad token count, a bad or decreasing
 *   timestamp, a missing field, a hash-id field (`options.prefixBlocks`) that is not an array of
 *   integers in [0, 2^53) or has more ids than ceil(prompt / blockTokens); `file:line` for invalid
 *   CSV or JSON; `file:1` for a missing CSV
 *   column; `file: ...` for a trace without rows
 */
export function readGenericTrace(
  file: string,
  options: GenericTraceOptions,
  field?: string,
  columnsField?: string,
  limits?: StreamLimits,
): TraceTable {
  return streamInputFile(
    file,
    field,
    (capacity) => new TraceColumnsReader(file, options, capacity, columnsField),
    limits,
  ).table();
}

/**
 * Parses a trace from text held whole (see {@link readGenericTrace}); `file` is used in messages
 * only.
 * @param text the file's text, byte-order mark removed
 * @throws InputError as {@link readGenericTrace}
 */
export function parseTraceText(
  text: string,
  file: string,
  options: GenericTraceOptions,
  columnsField?: string,
): TraceTable {
  const reader = new TraceColumnsReader(
    file,
    options,
    traceCapacity(file, countTextLineEnds(text)),
    columnsField,
  );
  reader.push(text);
  reader.end();
  return reader.table();
}

/** Fills a trace's columns from CSV or JSONL text pieces; a {@link TextSink}. */
class TraceColumnsReader implements TextSink {
  private readonly lengths: LengthColumnsBuilder;
  private readonly arrivals: ArrivalColumnBuilder;
  private readonly records: TextSink;
  private readonly prefixBlocks: PrefixBlocksBuilder | undefined;

  constructor(
    private readonly file: string,
    options: GenericTraceOptions,
    capacity: number,
    columnsField: string | undefined,
  ) {
    this.lengths = new LengthColumnsBuilder(capacity);
    this.arrivals = new ArrivalColumnBuilder(options, capacity);
    const { columns } = options;
    const arrivalAt = { file, line: 0, column: columns.arrival };
    const promptAt = { file, line: 0, column: columns.prompt };
    const outputAt = { file, line: 0, column: columns.output };
    const add = (arrival: unknown, prompt: unknown, output: unknown, line: number): void => {
      arrivalAt.line = line;
      promptAt.line = line;
      outputAt.line = line;
      this.arrivals.add(arrival, arrivalAt);
      this.lengths.add(prompt, promptAt, output, outputAt);
    };
    if (options.format === 'csv') {
      const by = (key: string): string | undefined =>
        columnsField === undefined ? undefined : `${columnsField}.${key}`;
      let ia = 0;
      let ip = 0;
      let io = 0;
      this.records = csvTableSink(
        file,
        (header) => {
          ia = columnIndex(header, columns.arrival, by('arrival'));
          ip = columnIndex(header, columns.prompt, by('prompt'));
          io = columnIndex(header, columns.output, by('output'));
        },
        (cells, line) => add(cells[ia], cells[ip], cells[io], line),
      );
    } else if (options.prefixBlocks === undefined) {
      this.records = new JsonlRecordSplitter(file, (record, line) =>
        add(record[columns.arrival], record[columns.prompt], record[columns.output], line),
      );
    } else {
      const { column, blockTokens } = options.prefixBlocks;
      const blocks = new PrefixBlocksBuilder(blockTokens);
      this.prefixBlocks = blocks;
      const blocksAt = { file, line: 0, column };
      this.records = new JsonlRecordSplitter(file, (record, line) => {
        arrivalAt.line = line;
        promptAt.line = line;
        outputAt.line = line;
        blocksAt.line = line;
        this.arrivals.add(record[columns.arrival], arrivalAt);
        const prompt = this.lengths.add(record[columns.prompt], promptAt, record[columns.output], outputAt);
        const raw = record[column];
        blocks.add(raw === null ? undefined : raw, prompt, blocksAt);
      });
    }
  }

  push(text: string): void {
    this.records.push(text);
  }

  end(): void {
    this.records.end();
  }

  /**
   * The columns read, trimmed to the rows.
   * @throws InputError `file: the trace has no requests` when there were no rows
   */
  table(): TraceTable {
    const rows = this.lengths.length;
    if (rows === 0) {
      throw new InputError(atLocation(this.file, undefined, 'the trace has no requests'), {
        file: this.file,
      });
    }
    const table = { ...this.lengths.build(this.file), arrival: trimColumn(this.arrivals.values, rows) };
    const prefixBlocks = this.prefixBlocks?.build(rows);
    return prefixBlocks === undefined ? table : { ...table, prefixBlocks };
  }
}

/**
 * Turns raw timestamps into seconds after the first row, into a Float64Array of a fixed capacity,
 * and checks they never decrease.
 */
class ArrivalColumnBuilder {
  readonly values: Float64Array;
  private rows = 0;
  private firstRaw = 0;
  private firstWhole = 0;
  private firstFraction = 0;
  private previousRaw = Number.NEGATIVE_INFINITY;
  private previousLine = 0;

  constructor(
    private readonly options: GenericTraceOptions,
    capacity: number,
  ) {
    this.values = new Float64Array(capacity);
  }

  add(raw: unknown, at: CellLocation): void {
    checkCapacity(this.rows, this.values.length, at);
    let seconds: number;
    let comparable: number;
    if (this.options.timestampFormat === 'datetime') {
      const dt = parseDatetime(raw, at);
      if (this.rows === 0) {
        this.firstWhole = dt.wholeSeconds;
        this.firstFraction = dt.fraction;
      }
      seconds = dt.wholeSeconds - this.firstWhole + (dt.fraction - this.firstFraction);
      comparable = seconds;
    } else {
      const value = parseNumericTimestamp(raw, at);
      if (this.rows === 0) this.firstRaw = value;
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
    this.values[this.rows] = seconds;
    this.rows += 1;
  }
}
