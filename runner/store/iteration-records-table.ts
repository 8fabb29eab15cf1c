import type Database from 'better-sqlite3';
import type { IterationRecords } from '../engine/run-records.js';
import { ColumnarTable } from './columnar-table.js';
import type { ColumnSpec } from './columnar-table.js';

/** How IterationRecords fields map to `run_iterations` columns (migrations/0003_worker_machines.sql). */
export const ITERATION_COLUMNS: readonly ColumnSpec<IterationRecords>[] = [
  { field: 'startS', column: 'start_s', kind: 'real' },
  { field: 'timeS', column: 'time_s', kind: 'real' },
  { field: 'wallS', column: 'wall_s', kind: 'real' },
  { field: 'numPrefills', column: 'num_prefills', kind: 'integer' },
  { field: 'prefillTokens', column: 'prefill_tokens', kind: 'integer' },
  { field: 'numDecodes', column: 'num_decodes', kind: 'integer' },
  { field: 'decodeKvTokens', column: 'decode_kv_tokens', kind: 'integer' },
];

/**
 * The `run_iterations` table: one row per measured iteration of a done run executed on a GPU
 * worker (its times are NOT NULL, so a NaN time is rejected).
 *
 * @param db open, migrated connection
 */
export function iterationRecordsTable(db: Database.Database): ColumnarTable<IterationRecords> {
  return new ColumnarTable<IterationRecords>(db, 'run_iterations', 'iterations', ITERATION_COLUMNS);
}
