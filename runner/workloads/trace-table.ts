/**
 * The tables the readers return: per-row token counts (length files) plus arrival times (traces).
 *
 * Zero token counts: the engine needs prompt >= 1 and output >= 1, and traces such as BurstGPT
 * record failed requests with 0 output tokens. A 0 is therefore CLAMPED TO 1 AND COUNTED (the
 * counts and a warning travel with the table), as Vidur does (`clip(lower=1)` in
 * `trace_request_length_generator.py`). Negative or non-integer counts are rejected.
 */
import { InputError, atLocation } from '../errors.js';
import type { CellLocation } from './cell-location.js';
import type { PrefixBlocks } from './prefix-blocks.js';
import { parseTokenCount } from './token-count.js';

/** Per-row token counts read from a file, in file order. */
export interface LengthTable {
  /** Absolute path of the file read. */
  readonly file: string;
  /** Prompt (input) tokens per row, >= 1. */
  readonly promptTokens: Int32Array;
  /** Output (decode) tokens per row, >= 1. */
  readonly outputTokens: Int32Array;
  /** Rows whose prompt count was 0 in the file and is 1 here. */
  readonly zeroPromptRows: number;
  /** Rows whose output count was 0 in the file and is 1 here. */
  readonly zeroOutputRows: number;
}

/** A recorded trace: a {@link LengthTable} plus arrival times. */
export interface TraceTable extends LengthTable {
  /** Arrival time of each row, seconds after the first row (arrival[0] = 0), non-decreasing. */
  readonly arrival: Float64Array;
  /**
   * Content ids of each row's prompt blocks (Mooncake `hash_ids`, see `prefix-blocks.ts`), one
   * entry per row; absent when the trace has none.
   */
  readonly prefixBlocks?: PrefixBlocks;
}

/**
 * Most rows read from a trace or length file: 40,000,000. The columns cost 16 bytes a row (arrival
 * Float64 8 + prompt Int32 4 + output Int32 4), so 640 MB at the limit, allocated once before
 * parsing; with the chunk being parsed and Node's own ~60 MB a read stays under 1 GB. The largest
 * published traces are far below (Azure 2023 code: 19,366 rows; BurstGPT: 5.3 M).
 */
export const MAX_TRACE_ROWS = 40_000_000;

/**
 * Rows to allocate for a file with `lineEnds` newlines: it has at most lineEnds + 1 lines (the
 * last may lack its `\n`), so at most that many rows (a header and empty lines only make fewer).
 * @param file the file's path, for the message
 * @param lineEnds `\n` count of the file, as `wc -l` gives it (see `countLineEnds` in text-chunks.ts)
 * @param maxRows the limit (default {@link MAX_TRACE_ROWS}; tests pass small ones)
 * @param field the spec field that named the file, e.g. `trace.path`, for the message
 * @returns the capacity, lineEnds + 1
 * @throws InputError naming the file, its line count, the limit and how to cut the file, when
 *   lineEnds exceeds maxRows (nothing has been allocated or parsed then)
 */
export function traceCapacity(
  file: string,
  lineEnds: number,
  maxRows: number = MAX_TRACE_ROWS,
  field?: string,
): number {
  if (lineEnds > maxRows) {
    throw new InputError(
      `${file}: has ${lineEnds.toLocaleString('en-US')} lines, over the limit of ` +
        `${maxRows.toLocaleString('en-US')} rows for a trace or lengths file (16 bytes of memory a ` +
        `row)${field === undefined ? '' : ` (named by \`${field}\`)`}; cut it to fewer rows ` +
        `(e.g. \`head -n ${maxRows} ${file} > smaller.csv\`)`,
      { file, ...(field === undefined ? {} : { field }) },
    );
  }
  return lineEnds + 1;
}

/** Throws when a column of `capacity` rows is full: the file grew after its lines were counted. */
export function checkCapacity(rows: number, capacity: number, at: CellLocation): void {
  if (rows === capacity) {
    throw new InputError(
      atLocation(
        at.file,
        at.line,
        `more rows than the ${capacity - 1} line ends counted before reading: the file changed while being read`,
      ),
      { file: at.file, line: at.line },
    );
  }
}

/**
 * The first `rows` entries of a column filled to less than its capacity: a view (no copy) when the
 * spare part is small (a CSV's header and final line: 2 rows), a copy when it is over 1/8 of the
 * rows (many empty lines, or quoted fields holding newlines), so the spare memory is never kept.
 */
export function trimColumn<T extends Int32Array | Float64Array>(column: T, rows: number): T {
  return (column.length - rows > rows / 8 ? column.slice(0, rows) : column.subarray(0, rows)) as T;
}

/**
 * Accumulates token counts row by row into Int32Arrays of a fixed capacity, clamping zeros to 1 and
 * counting them.
 */
export class LengthColumnsBuilder {
  private readonly prompt: Int32Array;
  private readonly output: Int32Array;
  private rows = 0;
  private zeroPrompt = 0;
  private zeroOutput = 0;

  /** @param capacity most rows (see {@link traceCapacity}); 8 bytes a row are allocated at once */
  constructor(capacity: number) {
    this.prompt = new Int32Array(capacity);
    this.output = new Int32Array(capacity);
  }

  /**
   * Parses and appends one row's counts.
   * @throws InputError naming file, line and column for a bad count (see `parseTokenCount`), or
   *   when the capacity is reached (the file grew while being read)
   * @returns the row's prompt tokens as stored (a 0 counted as 1)
   */
  add(rawPrompt: unknown, promptAt: CellLocation, rawOutput: unknown, outputAt: CellLocation): number {
    checkCapacity(this.rows, this.prompt.length, promptAt);
    let p = parseTokenCount(rawPrompt, promptAt);
    let o = parseTokenCount(rawOutput, outputAt);
    if (p === 0) {
      p = 1;
      this.zeroPrompt += 1;
    }
    if (o === 0) {
      o = 1;
      this.zeroOutput += 1;
    }
    this.prompt[this.rows] = p;
    this.output[this.rows] = o;
    this.rows += 1;
    return p;
  }

  /** Rows added so far. */
  get length(): number {
    return this.rows;
  }

  /** The finished table, its columns trimmed to the rows added (see {@link trimColumn}). */
  build(file: string): LengthTable {
    return {
      file,
      promptTokens: trimColumn(this.prompt, this.rows),
      outputTokens: trimColumn(this.output, this.rows),
      zeroPromptRows: this.zeroPrompt,
      zeroOutputRows: this.zeroOutput,
    };
  }
}

/**
 * Human-readable notes about clamped zero counts in a table (empty when there were none).
 * @param table a table from one of the readers
 */
export function zeroCountWarnings(table: LengthTable): string[] {
  const out: string[] = [];
  if (table.zeroPromptRows > 0) {
    out.push(`${table.file}: ${table.zeroPromptRows} rows have 0 prompt tokens; each is counted as 1`);
  }
  if (table.zeroOutputRows > 0) {
    out.push(`${table.file}: ${table.zeroOutputRows} rows have 0 output tokens; each is counted as 1`);
  }
  return out;
}
