import type { IterationRecords, RequestRecords, TimeSeries } from '../engine/run-records.js';

/**
 * One typed-array field of a struct-of-arrays and how it is stored and checked. The checks are
 * those the row tables of migrations 0001 and 0003 made with CHECK and NOT NULL constraints
 * (before 0011_column_blobs.sql stored columns as blobs), now made in JS before encoding.
 */
export interface ColumnSpec<T> {
  /** Field of the struct-of-arrays. */
  readonly field: keyof T & string;
  /** The column's name in `run_columns.column` (the row tables' column name: `arrival_s`, ...). */
  readonly column: string;
  /** `real`: a Float64Array; `integer`: an Int32Array. */
  readonly kind: 'real' | 'integer';
  /** Whether NaN (the event never happened) is allowed; only for `real` columns. */
  readonly optional?: boolean;
  /** The smallest value allowed (NaN aside); none when absent. */
  readonly min?: number;
  /** Deflate the bytes unshuffled (ColumnCodec `*-deflate`); shuffled by default. */
  readonly unshuffled?: boolean;
  /**
   * The field is optional in the struct: when it is absent no column is stored, and a run stored
   * without the column (by a run that had none, or by an older build) reads it as absent.
   */
  readonly mayBeAbsent?: boolean;
}

/** The structs stored per run, by their `run_columns.struct` name. */
export type StructName = 'requests' | 'time_series' | 'iterations';

/** How RequestRecords fields are stored (struct `requests`): one element per request. */
export const REQUEST_COLUMNS: readonly ColumnSpec<RequestRecords>[] = [
  { field: 'arrival', column: 'arrival_s', kind: 'real', min: 0 },
  { field: 'promptTokens', column: 'prompt_tokens', kind: 'integer', min: 1 },
  { field: 'outputTokens', column: 'output_tokens', kind: 'integer', min: 1 },
  { field: 'firstScheduled', column: 'first_scheduled_s', kind: 'real', optional: true },
  { field: 'firstToken', column: 'first_token_s', kind: 'real', optional: true },
  { field: 'finish', column: 'finish_s', kind: 'real', optional: true },
  { field: 'generatedTokens', column: 'generated_tokens', kind: 'integer', min: 0 },
  { field: 'evictions', column: 'evictions', kind: 'integer', min: 0 },
  { field: 'preemptions', column: 'preemptions', kind: 'integer', min: 0 },
  { field: 'recomputedTokens', column: 'recomputed_tokens', kind: 'integer', min: 0 },
  // Mostly NaN or a few repeated gaps: deflates better unshuffled (measured on arXiv runs).
  { field: 'maxItl', column: 'max_itl_s', kind: 'real', optional: true, min: 0, unshuffled: true },
  // Only runs that cached prefixes have it.
  { field: 'cachedTokens', column: 'cached_tokens', kind: 'integer', min: 0, mayBeAbsent: true },
  // Only runs on a cluster of replicas have it; -1 for a request never routed.
  { field: 'replica', column: 'replica', kind: 'integer', min: -1, mayBeAbsent: true },
];

/** How TimeSeries fields are stored (struct `time_series`): one element per sampled iteration. */
export const TIME_SERIES_COLUMNS: readonly ColumnSpec<TimeSeries>[] = [
  { field: 't', column: 't_s', kind: 'real' },
  { field: 'queueLength', column: 'queue_length', kind: 'integer', min: 0 },
  { field: 'running', column: 'running', kind: 'integer', min: 0 },
  { field: 'kvBlocks', column: 'kv_blocks', kind: 'integer', min: 0 },
  { field: 'prefillTokens', column: 'prefill_tokens', kind: 'integer', min: 0 },
  { field: 'decodeCount', column: 'decode_count', kind: 'integer', min: 0 },
];

/** How IterationRecords fields are stored (struct `iterations`): one element per measured iteration. */
export const ITERATION_COLUMNS: readonly ColumnSpec<IterationRecords>[] = [
  { field: 'startS', column: 'start_s', kind: 'real' },
  { field: 'timeS', column: 'time_s', kind: 'real', min: 0 },
  { field: 'wallS', column: 'wall_s', kind: 'real', min: 0 },
  { field: 'numPrefills', column: 'num_prefills', kind: 'integer', min: 0 },
  { field: 'prefillTokens', column: 'prefill_tokens', kind: 'integer', min: 0 },
  { field: 'numDecodes', column: 'num_decodes', kind: 'integer', min: 0 },
  { field: 'decodeKvTokens', column: 'decode_kv_tokens', kind: 'integer', min: 0 },
];

/** The columns of each struct, and how messages name it (`requests`, `timeSeries`, `iterations`). */
export const STRUCTS = {
  requests: { label: 'requests', columns: REQUEST_COLUMNS },
  time_series: { label: 'timeSeries', columns: TIME_SERIES_COLUMNS },
  iterations: { label: 'iterations', columns: ITERATION_COLUMNS },
} as const;
