import { readAzureTrace } from './azure-trace.js';
import { genericTraceOptions, readGenericTrace } from './generic-trace.js';
import { readMooncakeTrace } from './mooncake-trace.js';
import type { TraceTable } from './trace-table.js';
import type { TraceSpec } from './workload-spec.js';

/**
 * Reads the trace a spec's `trace` entry names, with the reader of its format (azure, mooncake,
 * or a generic csv/jsonl with its columns and timestamp settings, and for jsonl the hash-id field
 * `columns.hashIds` with `blockTokens`, see genericTraceOptions).
 * @param trace the entry, validated by TraceSpecSchema
 * @param file the trace's absolute path (trace.path resolved against the spec's directory)
 * @returns the trace, arrival times in seconds from the first row; `prefixBlocks` when the format
 *   reads hash ids (mooncake `hash_ids`, jsonl `columns.hashIds`) and some row has them
 * @throws InputError naming `trace.path` for a missing file, `trace.columns` for a missing column,
 *   and the file, line and column for a bad row, hash ids included (see readGenericTrace)
 */
export function readTrace(trace: TraceSpec, file: string): TraceTable {
  switch (trace.format) {
    case 'azure':
      return readAzureTrace(file, 'trace.path');
    case 'mooncake':
      return readMooncakeTrace(file, 'trace.path');
    default:
      return readGenericTrace(file, genericTraceOptions(trace), 'trace.path', 'trace.columns');
  }
}
