import type Database from 'better-sqlite3';

/**
 * SQL selecting a row when done run `r` (metrics row `m`) has its per-request records stored: a
 * database of schema 11 or later stores every done run's `requests` columns and its digest (the
 * two go together); an older one has `run_requests` rows unless its metrics count zero requests
 * (a run whose every request was skipped as oversize simulates nothing).
 */
export function hasRequestsSql(db: Database.Database): string {
  const blobs = db
    .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'run_columns'")
    .pluck()
    .get();
  return blobs === 1
    ? "SELECT 1 FROM run_columns q JOIN run_digests d ON d.run_id = q.run_id WHERE q.run_id = r.id AND q.struct = 'requests'"
    : "SELECT 1 WHERE coalesce(json_extract(m.metrics_json, '$.requests'), 1) = 0 " +
        'OR EXISTS (SELECT 1 FROM run_requests q WHERE q.run_id = r.id)';
}
