/**
 * Reader for length-only files: CSV with a header and one row per request holding its prompt and
 * output token counts, no arrival times (Sarathi-Serve / Vidur / Metron processed traces such as
 * `sharegpt_8k_filtered_stats_llama2_tokenizer.csv`, `arxiv_summarization_stats_...csv`).
 *
 * Default columns `num_prefill_tokens,num_decode_tokens`; other columns (`num_total_tokens`,
 * `pd_ratio`, and `arrived_at` of Vidur's `splitwise_*.csv`) are ignored, so any trace CSV can be
 * used for its lengths alone. Zero counts are clamped to 1 and counted (see `trace-table.ts`).
 */
import { InputError, atLocation } from '../errors.js';
import { columnIndex, csvTableSink } from './csv-table.js';
import { streamInputFile, type StreamLimits } from './input-file.js';
import { LengthColumnsBuilder, type LengthTable } from './trace-table.js';
import type { LengthColumns } from './workload-spec.js';

/** Default columns of a length-only file. */
export const DEFAULT_LENGTH_COLUMNS: LengthColumns = {
  prompt: 'num_prefill_tokens',
  output: 'num_decode_tokens',
};

/**
 * Reads a length-only CSV file, streamed in chunks into typed columns (see `input-file.ts`
 * `streamInputFile`): memory is about 8 bytes a row plus one chunk.
 * @param file absolute path
 * @param columns column names (default {@link DEFAULT_LENGTH_COLUMNS})
 * @param field the spec field that named the file, e.g. `lengths.path`, for messages
 * @param limits row, byte and chunk limits (defaults: 40 M rows, 4 GiB, 1 MiB; for tests)
 * @returns per-row prompt and output tokens, file order
 * @throws InputError naming the path for a missing file, a special file, a file over 4 GiB or over
 *   MAX_TRACE_ROWS lines; `file:line: column "c": ...` for a bad count; `file:line` for invalid CSV;
 *   `file:1: missing column` for an absent column; `file: ...` for a file without rows
 */
export function readLengthsFile(
  file: string,
  columns: LengthColumns = DEFAULT_LENGTH_COLUMNS,
  field?: string,
  limits?: StreamLimits,
): LengthTable {
  const base = field?.replace(/\.path$/, '');
  let builder: LengthColumnsBuilder | undefined;
  let ip = 0;
  let io = 0;
  const promptAt = { file, line: 0, column: columns.prompt };
  const outputAt = { file, line: 0, column: columns.output };
  streamInputFile(
    file,
    field,
    (capacity) => {
      builder = new LengthColumnsBuilder(capacity);
      return csvTableSink(
        file,
        (header) => {
          ip = columnIndex(header, columns.prompt, base === undefined ? undefined : `${base}.columns.prompt`);
          io = columnIndex(header, columns.output, base === undefined ? undefined : `${base}.columns.output`);
        },
        (cells, line) => {
          promptAt.line = line;
          outputAt.line = line;
          builder!.add(cells[ip], promptAt, cells[io], outputAt);
        },
      );
    },
    limits,
  );
  if (builder === undefined || builder.length === 0) {
    throw new InputError(atLocation(file, undefined, 'the file has no rows'), { file });
  }
  return builder.build(file);
}
