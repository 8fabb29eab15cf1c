/**
 * Reader for the Mooncake FAST'25 traces (Qin et al., FAST 2025): JSON Lines with `timestamp`
 * (milliseconds, relative), `input_length`, `output_length` and `hash_ids` (prefix-block hashes,
 * ignored here: the engine does not model prefix caching). Data: `data/mooncake-fast25/`.
 *
 * The conversation trace's timestamps are quantised to about 3 s with many requests per
 * timestamp; they are replayed as recorded (equal arrival times). Rows must be sorted by time;
 * zero token counts (the published files have output 1 at minimum) are clamped to 1 and counted.
 */
import { readGenericTrace, type GenericTraceOptions } from './generic-trace.js';
import type { TraceTable } from './trace-table.js';

/** How the Mooncake JSONL is read by the generic reader. */
export const MOONCAKE_TRACE_OPTIONS: GenericTraceOptions = {
  format: 'jsonl',
  columns: { arrival: 'timestamp', prompt: 'input_length', output: 'output_length' },
  timeUnit: 'ms',
  timestampFormat: 'seconds',
};

/**
 * Reads a Mooncake trace.
 * @param file absolute path
 * @param field the spec field that named the file, for the missing-file message
 * @returns arrival (s from the first request), prompt = input_length, output = output_length
 * @throws InputError naming file, line and field for invalid JSON, a missing field, a bad or
 *   decreasing timestamp or a bad token count; naming the path for a missing file
 */
export function readMooncakeTrace(file: string, field?: string): TraceTable {
  return readGenericTrace(file, MOONCAKE_TRACE_OPTIONS, field);
}
