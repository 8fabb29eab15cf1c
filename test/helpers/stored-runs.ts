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

/**
 * Every run of the database done exactly once: `runs` runs, all done, one per run key, one
 * metrics row each and `requests` request rows each (no run lost, none stored twice).
 */
export function expectEveryRunDoneOnce(db: string, runs: number, requests: number): void {
  expect(countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'done'")).toBe(runs);
  expect(countRows(db, 'SELECT count(*) AS n FROM runs')).toBe(runs);
  expect(countRows(db, 'SELECT count(DISTINCT run_key) AS n FROM runs')).toBe(runs);
  expect(countRows(db, 'SELECT count(*) AS n FROM run_metrics')).toBe(runs);
  expect(countRows(db, 'SELECT count(*) AS n FROM run_requests')).toBe(runs * requests);
}
