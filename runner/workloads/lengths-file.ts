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
import { columnIndex, parseCsv } from './csv-table.js';
import { readInputText } from './input-file.js';
import { LengthColumnsBuilder, type LengthTable } from './trace-table.js';
import type { LengthColumns } from './workload-spec.js';

/** Default columns of a length-only file. */
export const DEFAULT_LENGTH_COLUMNS: LengthColumns = {
  prompt: 'num_prefill_tokens',
  output: 'num_decode_tokens',
};

/**
 * Reads a length-only CSV file.
 * @param file absolute path
 * @param columns column names (default {@link DEFAULT_LENGTH_COLUMNS})
 * @param field the spec field that named the file, e.g. `lengths.path`, for messages
 * @returns per-row prompt and output tokens, file order
 * @throws InputError naming the path for a missing file; `file:line: column "c": ...` for a bad
 *   count; `file:1: missing column` for an absent column; `file: ...` for a file without rows
 */
export function readLengthsFile(
  file: string,
  columns: LengthColumns = DEFAULT_LENGTH_COLUMNS,
  field?: string,
): LengthTable {
  const table = parseCsv(readInputText(file, field), file);
  const base = field?.replace(/\.path$/, '');
  const ip = columnIndex(table, columns.prompt, base === undefined ? undefined : `${base}.columns.prompt`);
  const io = columnIndex(table, columns.output, base === undefined ? undefined : `${base}.columns.output`);
  const builder = new LengthColumnsBuilder();
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r];
    const line = table.lines[r];
    builder.add(row[ip], { file, line, column: columns.prompt }, row[io], {
      file,
      line,
      column: columns.output,
    });
  }
  if (builder.length === 0)
    throw new InputError(atLocation(file, undefined, 'the file has no rows'), { file });
  return builder.build(file);
}
