/**
 * Reader for the Azure LLM inference trace 2023 (Splitwise; Patel et al., ISCA 2024): CSV
 * `TIMESTAMP,ContextTokens,GeneratedTokens`, TIMESTAMP like `2023-11-16 18:15:46.6805900`
 * (7 fractional digits, no time zone). Data: `data/azure-llm-2023/`.
 *
 * Arrival times become seconds after the first request with the full sub-second precision (the
 * fraction digits are parsed as digits, not through Date). Rows must be sorted by time (they are
 * in the published files); zero token counts are clamped to 1 and counted. See `generic-trace.ts`.
 */
import { readGenericTrace, type GenericTraceOptions } from './generic-trace.js';
import type { TraceTable } from './trace-table.js';

/** How the Azure 2023 CSV is read by the generic reader. */
export const AZURE_TRACE_OPTIONS: GenericTraceOptions = {
  format: 'csv',
  columns: { arrival: 'TIMESTAMP', prompt: 'ContextTokens', output: 'GeneratedTokens' },
  timeUnit: 's',
  timestampFormat: 'datetime',
};

/**
 * Reads an Azure 2023 trace CSV.
 * @param file absolute path
 * @param field the spec field that named the file, for the missing-file message
 * @returns arrival (s from the first request), prompt = ContextTokens, output = GeneratedTokens
 * @throws InputError naming file (and line and column) for a missing file, a missing column, a bad
 *   datetime, a decreasing timestamp or a bad token count
 */
export function readAzureTrace(file: string, field?: string): TraceTable {
  return readGenericTrace(file, AZURE_TRACE_OPTIONS, field);
}
