/**
 * Reader for the Mooncake FAST'25 traces (Qin et al., FAST 2025): JSON Lines with `timestamp`
 * (milliseconds, relative), `input_length`, `output_length` and `hash_ids` (remapped hashes of the
 * prompt's 512-token blocks; identical ids mean reusable prefix KV). The ids are kept as the
 * table's `prefixBlocks` (blockTokens 512, `prefix-blocks.ts`), at most ceil(input_length / 512)
 * per row; a row without `hash_ids` (or with `null`) has none, and a file where no row has them
 * gives a table without `prefixBlocks`. Data: `data/mooncake-fast25/`.
 *
 * The conversation trace's timestamps are quantised to about 3 s with many requests per
 * timestamp; they are replayed as recorded (equal arrival times). Rows must be sorted by time;
 * zero token counts (the published files have output 1 at minimum) are clamped to 1 and counted.
 */
import { readGenericTrace, type GenericTraceOptions } from './generic-trace.js';
import type { TraceTable } from './trace-table.js';

/** Prompt tokens per Mooncake `hash_ids` entry (the traces' README: block size 512). */
export const MOONCAKE_BLOCK_TOKENS = 512;

/** How the Mooncake JSONL is read by the generic reader. */
export const MOONCAKE_TRACE_OPTIONS: GenericTraceOptions = {
  format: 'jsonl',
  columns: { arrival: 'timestamp', prompt: 'input_length', output: 'output_length' },
  timeUnit: 'ms',
  timestampFormat: 'seconds',
  prefixBlocks: { column: 'hash_ids', blockTokens: MOONCAKE_BLOCK_TOKENS },
};

/**
 * Reads a Mooncake trace.
 * @param file absolute path
 * @param field the spec field that named the file, for the missing-file message
 * @returns arrival (s from the first request), prompt = input_length, output = output_length,
 *   prefixBlocks = hash_ids (when any row has them)
 * @throws InputError naming file, line and field for invalid JSON, a missing field, a bad or
 *   decreasing timestamp, a bad token count, or `hash_ids` that is not an array of integers in
 *   [0, 2^53) or has more ids than ceil(input_length / 512); naming the path for a missing file
 */
export function readMooncakeTrace(file: string, field?: string): TraceTable {
  return readGenericTrace(file, MOONCAKE_TRACE_OPTIONS, field);
}
