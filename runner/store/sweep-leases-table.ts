import type Database from 'better-sqlite3';
import type { LeaseClaim, SweepLeaseRow } from './sweep-lease-row.js';

/** A `sweep_leases` row as SQLite returns it. */
interface SweepLeaseDbRow {
  sweep_id: number;
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  heartbeat_ms: number;
}

function fromDb(row: SweepLeaseDbRow): SweepLeaseRow {
  return {
    sweepId: row.sweep_id,
    owner: row.owner,
    pid: row.pid,
    host: row.host,
    acquiredAt: row.acquired_at,
    heartbeatMs: row.heartbeat_ms,
  };
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare('SELECT * FROM sweep_leases WHERE sweep_id = ?'),
    put: db.prepare(
      'INSERT INTO sweep_leases (sweep_id, owner, pid, host, acquired_at, heartbeat_ms) ' +
        'VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sweep_id) DO UPDATE SET owner = excluded.owner, ' +
        'pid = excluded.pid, host = excluded.host, acquired_at = excluded.acquired_at, ' +
        'heartbeat_ms = excluded.heartbeat_ms',
    ),
    renew: db.prepare('UPDATE sweep_leases SET heartbeat_ms = ? WHERE sweep_id = ? AND owner = ?'),
    release: db.prepare('DELETE FROM sweep_leases WHERE sweep_id = ? AND owner = ?'),
  };
}

/**
 * The `sweep_leases` table (migrations/0008_sweep_leases.sql): who executes each sweep being run.
 * Statements are prepared on first use (a database opened read-only may predate the table, and
 * never uses it); no method starts a transaction: the Store calls them inside its own, so that
 * reading a lease and taking it over are one step.
 */
export class SweepLeasesTable {
  private prepared: ReturnType<typeof prepare> | undefined;

  /** @param db open connection (migrated to the current schema before the first use) */
  constructor(private readonly db: Database.Database) {}

  private get stmts(): ReturnType<typeof prepare> {
    return (this.prepared ??= prepare(this.db));
  }

  /** The sweep's lease, if one is stored. */
  get(sweepId: number): SweepLeaseRow | undefined {
    const row = this.stmts.get.get(sweepId) as SweepLeaseDbRow | undefined;
    return row === undefined ? undefined : fromDb(row);
  }

  /**
   * Stores `claim` as the sweep's lease, replacing any other.
   * @param acquiredAt ISO 8601 UTC
   * @param nowMs ms since the epoch: the first heartbeat
   */
  put(sweepId: number, claim: LeaseClaim, acquiredAt: string, nowMs: number): void {
    this.stmts.put.run(sweepId, claim.owner, claim.pid, claim.host, acquiredAt, nowMs);
  }

  /** Sets the heartbeat of `owner`'s lease; false when the lease is not (any more) theirs. */
  renew(sweepId: number, owner: string, nowMs: number): boolean {
    return this.stmts.renew.run(nowMs, sweepId, owner).changes > 0;
  }

  /** Deletes `owner`'s lease of the sweep; false when they held none. */
  release(sweepId: number, owner: string): boolean {
    return this.stmts.release.run(sweepId, owner).changes > 0;
  }
}
