import type Database from 'better-sqlite3';
import type { TimeSeries } from '../engine/run-records.js';
import { ColumnarTable } from './columnar-table.js';
import type { ColumnSpec } from './columnar-table.js';

/** How TimeSeries fields map to `run_time_series` columns (migrations/0001_initial.sql). */
export const TIME_SERIES_COLUMNS: readonly ColumnSpec<TimeSeries>[] = [
  { field: 't', column: 't_s', kind: 'real' },
  { field: 'queueLength', column: 'queue_length', kind: 'integer' },
  { field: 'running', column: 'running', kind: 'integer' },
  { field: 'kvBlocks', column: 'kv_blocks', kind: 'integer' },
  { field: 'prefillTokens', column: 'prefill_tokens', kind: 'integer' },
  { field: 'decodeCount', column: 'decode_count', kind: 'integer' },
];

/**
 * The `run_time_series` table: one row per sampled iteration of a done run.
 *
 * @param db open, migrated connection
 */
export function timeSeriesTable(db: Database.Database): ColumnarTable<TimeSeries> {
  return new ColumnarTable<TimeSeries>(db, 'run_time_series', 'timeSeries', TIME_SERIES_COLUMNS);
}
