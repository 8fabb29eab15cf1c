import type Database from 'better-sqlite3';
import type { RequestRecords } from '../engine/run-records.js';
import { ColumnarTable } from './columnar-table.js';
import type { ColumnSpec } from './columnar-table.js';

/** How RequestRecords fields map to `run_requests` columns (migrations/0001_initial.sql). */
export const REQUEST_COLUMNS: readonly ColumnSpec<RequestRecords>[] = [
  { field: 'arrival', column: 'arrival_s', kind: 'real' },
  { field: 'promptTokens', column: 'prompt_tokens', kind: 'integer' },
  { field: 'outputTokens', column: 'output_tokens', kind: 'integer' },
  { field: 'firstScheduled', column: 'first_scheduled_s', kind: 'real' },
  { field: 'firstToken', column: 'first_token_s', kind: 'real' },
  { field: 'finish', column: 'finish_s', kind: 'real' },
  { field: 'generatedTokens', column: 'generated_tokens', kind: 'integer' },
  { field: 'evictions', column: 'evictions', kind: 'integer' },
  { field: 'preemptions', column: 'preemptions', kind: 'integer' },
  { field: 'recomputedTokens', column: 'recomputed_tokens', kind: 'integer' },
  { field: 'maxItl', column: 'max_itl_s', kind: 'real' },
];

/**
 * The `run_requests` table: one row per request of a done run, NaN times stored as NULL.
 *
 * @param db open, migrated connection
 */
export function requestRecordsTable(db: Database.Database): ColumnarTable<RequestRecords> {
  return new ColumnarTable<RequestRecords>(db, 'run_requests', 'requests', REQUEST_COLUMNS);
}
