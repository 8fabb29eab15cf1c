import Database from 'better-sqlite3';
import { expect } from 'vitest';

/**
 * A count read from a results database by a test, through its own read-only connection (the
 * process under test keeps writing): `sql` selects one row with a number `n`. 0 while the file or
 * the table does not exist yet, so a test can wait for a state of a database being created.
 */
export function countRows(db: string, sql: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare(sql).get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

/** The first column of each stored struct: its element count is the struct's. */
const FIRST_COLUMN = { requests: 'arrival_s', time_series: 't_s', iterations: 'start_s' } as const;

/**
 * SQL selecting, as `n`, how many elements of a struct (requests, time-series samples, measured
 * iterations) the results database stores (schema 11: one `run_columns` row per column of a
 * run's struct, with its element count), over the rows matching `where` (a condition on
 * `run_columns`' columns, such as `run_id = ?`); what `count(*)` over `run_requests`,
 * `run_time_series` or `run_iterations` was before.
 */
export function storedElementsSql(struct: keyof typeof FIRST_COLUMN, where?: string): string {
  return (
    `SELECT coalesce(sum(length), 0) AS n FROM run_columns WHERE struct = '${struct}' ` +
    `AND column_name = '${FIRST_COLUMN[struct]}'${where === undefined ? '' : ` AND ${where}`}`
  );
}

/**
 * Every run of the database done exactly once: `runs` runs, all done, one per run key, one
 * metrics row and digest each and `requests` stored requests each (no run lost, none stored twice).
 */
export function expectEveryRunDoneOnce(db: string, runs: number, requests: number): void {
  expect(countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'done'")).toBe(runs);
  expect(countRows(db, 'SELECT count(*) AS n FROM runs')).toBe(runs);
  expect(countRows(db, 'SELECT count(DISTINCT run_key) AS n FROM runs')).toBe(runs);
  expect(countRows(db, 'SELECT count(*) AS n FROM run_metrics')).toBe(runs);
  expect(countRows(db, 'SELECT count(*) AS n FROM run_digests')).toBe(runs);
  expect(countRows(db, storedElementsSql('requests'))).toBe(runs * requests);
}
