/**
 * The tables the readers return: per-row token counts (length files) plus arrival times (traces).
 *
 * Zero token counts: the engine needs prompt >= 1 and output >= 1, and traces such as BurstGPT
 * record failed requests with 0 output tokens. A 0 is therefore CLAMPED TO 1 AND COUNTED (the
 * counts and a warning travel with the table), as Vidur does (`clip(lower=1)` in
 * `trace_request_length_generator.py`). Negative or non-integer counts are rejected.
 */
import { parseTokenCount } from './token-count.js';
import type { CellLocation } from './cell-location.js';

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
}

/**
 * Accumulates token counts row by row, clamping zeros to 1 and counting them.
 */
export class LengthColumnsBuilder {
  private readonly prompt: number[] = [];
  private readonly output: number[] = [];
  private zeroPrompt = 0;
  private zeroOutput = 0;

  /**
   * Parses and appends one row's counts.
   * @throws InputError naming file, line and column for a bad count (see `parseTokenCount`)
   */
  add(rawPrompt: unknown, promptAt: CellLocation, rawOutput: unknown, outputAt: CellLocation): void {
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
    this.prompt.push(p);
    this.output.push(o);
  }

  /** Rows added so far. */
  get length(): number {
    return this.prompt.length;
  }

  /** The finished table. */
  build(file: string): LengthTable {
    return {
      file,
      promptTokens: Int32Array.from(this.prompt),
      outputTokens: Int32Array.from(this.output),
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
