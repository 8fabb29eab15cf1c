/**
 * Who a schedbench database is: the one row of `database_identity`
 * (migrations/0004_database_origin.sql). Imported sweeps record the id of the database they were
 * created in (SweepRow.originDb), which is how importing the same database twice merges instead
 * of duplicating. A copy of a database file has the same identity.
 */
export interface DatabaseIdentity {
  /** Random 128-bit id, 32 lowercase hex digits; fixed when the database is created. */
  readonly id: string;
  /**
   * Host name of the machine the database was created on (os.hostname(), or StoreOptions.host,
   * of the first Store that opened it); null until a Store has opened it.
   */
  readonly host: string | null;
  /** When the identity was created (the database's creation, or its upgrade to schema 4), ISO 8601 UTC. */
  readonly createdAt: string;
}

/** The `database_identity` row as SQLite returns it. */
export interface DatabaseIdentityDbRow {
  id: string;
  host: string | null;
  created_at: string;
}

/** Selects the `database_identity` row (a database of schema 4 or later has exactly one). */
export const SELECT_DATABASE_IDENTITY_SQL = 'SELECT id, host, created_at FROM database_identity';

/** Maps the `database_identity` row to a DatabaseIdentity. */
export function databaseIdentityFromDb(row: DatabaseIdentityDbRow): DatabaseIdentity {
  return { id: row.id, host: row.host, createdAt: row.created_at };
}
