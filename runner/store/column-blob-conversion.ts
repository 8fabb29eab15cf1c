import type Database from 'better-sqlite3';
import { LEGACY_ROW_TABLES, LegacyRowTables } from './legacy-row-tables.js';
import { RunResultsTables } from './run-results-tables.js';

/**
 * The data step of migrations/0011_column_blobs.sql (run by migrate.ts right after the file's SQL,
 * in the same transaction): converts the row tables of schemas 1-10 to the column blobs of schema
 * 11 and drops them. Every run that is done or has rows gets its `requests` and `time_series`
 * columns (empty when it has no rows) and its `iterations` columns when it has iteration rows
 * (RunResultsTables.convertLegacy, lossless: NULL times become NaN as the Store always read
 * them); every done run gets its digest computed from its records (runDigest). Then
 * `run_requests`, `run_time_series` and `run_iterations` are dropped.
 *
 * Safe to interrupt: it runs inside the migration's transaction, so a process killed midway
 * leaves the database at schema 10 with its rows, and the next open converts again.
 *
 * @param db a connection at schema 10 plus 0011's new tables, inside the migration's transaction
 * @throws Error naming the run when its rows break a column rule (possible only in a database
 *   edited by hand, since the row tables' CHECKs made the same tests): the migration then fails
 */
export function convertRowsToColumnBlobs(db: Database.Database): void {
  const results = new RunResultsTables(db);
  const legacy = new LegacyRowTables(db);
  const runs = db
    .prepare(
      "SELECT id, status = 'done' AS done FROM runs r WHERE status = 'done' " +
        'OR EXISTS (SELECT 1 FROM run_requests WHERE run_id = r.id) ' +
        'OR EXISTS (SELECT 1 FROM run_time_series WHERE run_id = r.id) ' +
        'OR EXISTS (SELECT 1 FROM run_iterations WHERE run_id = r.id) ORDER BY id',
    )
    .all() as { id: number; done: 0 | 1 }[];
  for (const run of runs) results.convertLegacy(legacy, run.id, run.id, run.done === 1);
  for (const table of LEGACY_ROW_TABLES) db.exec(`DROP TABLE ${table}`);
}
