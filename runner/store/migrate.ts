import type Database from 'better-sqlite3';
import { MigrationError } from './migration-error.js';
import type { MigrationFile } from './migration-files.js';
import { DATA_STEPS, type MigrationDataStep } from './migration-data-steps.js';

/** What {@link migrate} did. */
export interface MigrationReport {
  /** Schema version before (PRAGMA user_version; 0 for a new database). */
  readonly from: number;
  /** Schema version after: the newest migration's version. */
  readonly to: number;
  /** File names of the migrations applied now, in order; empty when the schema was current. */
  readonly applied: string[];
}

/** A row of schema_migrations. */
interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * Brings a database's schema up to the newest of `migrations`.
 *
 * The schema version is PRAGMA user_version (the version of the last applied migration), and
 * every applied migration has a row in `schema_migrations(version, name, checksum, applied_at)`.
 * Each missing migration runs in its own IMMEDIATE transaction together with its data step
 * when it has one (`dataSteps`: JS run right after the file's SQL), its schema_migrations row
 * and the user_version bump; `PRAGMA foreign_key_check` must find nothing
 * before the commit. Every transaction first re-reads the schema version and checks the database
 * under the write lock: its user_version must not exceed the newest known migration, it must have
 * a schema_migrations row for each of 1..user_version, and each applied file's sha256 must still
 * match. So two processes opening a new database at once never see each other's half-done work:
 * the second waits on the busy timeout, then sees the first's migrations and skips them. A
 * current database takes the write lock once, briefly (SQLITE_BUSY past the busy timeout when
 * another process holds it).
 *
 * The caller must have switched foreign keys off (PRAGMA foreign_keys cannot change inside a
 * transaction, and table rebuilds need it off) and switches them on afterwards.
 *
 * @param db an open connection, not inside a transaction
 * @param dbFile the database file, for messages
 * @param migrations every known migration, versions 1..N in order (see readMigrationFiles)
 * @param dataSteps data steps by migration file name without `.sql` (DATA_STEPS by default)
 * @throws MigrationError naming the database and the migration when the database is newer than
 *   this build, an applied migration file was edited, the tracking rows are inconsistent with
 *   user_version, or a migration's SQL or data step fails (that migration is rolled back;
 *   earlier ones stay)
 */
export function migrate(
  db: Database.Database,
  dbFile: string,
  migrations: MigrationFile[],
  dataSteps: ReadonlyMap<string, MigrationDataStep> = DATA_STEPS,
): MigrationReport {
  const known = migrations.length;
  let from: number | undefined;
  const applied: string[] = [];
  /** Applies the next missing migration, if any, in the current (IMMEDIATE) transaction. */
  const step = db.transaction((): boolean => {
    const version = userVersion(db);
    from ??= version;
    if (version > known) {
      throw new MigrationError(
        `database ${dbFile} was written by a newer schedbench (schema ${version}, this build knows ${known}); ` +
          'use a newer schedbench or another database file',
        dbFile,
      );
    }
    db.exec(TRACKING_TABLE);
    verifyApplied(db, dbFile, migrations, version);
    if (version === known) return false;
    const m = migrations[version];
    try {
      db.exec(m.sql);
      dataSteps.get(m.fileName.replace(/\.sql$/, ''))?.(db);
    } catch (err) {
      throw new MigrationError(
        `database ${dbFile}: migration ${m.fileName} failed: ${(err as Error).message}`,
        dbFile,
        m.fileName,
        { cause: err },
      );
    }
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) {
      throw new MigrationError(
        `database ${dbFile}: migration ${m.fileName} left ${violations.length} foreign key violation(s): ` +
          JSON.stringify(violations.slice(0, 3)),
        dbFile,
        m.fileName,
      );
    }
    db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
      m.version,
      m.name,
      m.checksum,
      new Date().toISOString(),
    );
    db.pragma(`user_version = ${m.version}`);
    applied.push(m.fileName);
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction
  }
  return { from: from ?? known, to: known, applied };
}

/** PRAGMA user_version: the version of the last applied migration (0 for a new database). */
function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Checks the schema_migrations rows of versions 1..`version` against the migration files.
 * @throws MigrationError when a row is missing, a file was edited, or a row is newer than `version`
 */
export function verifyApplied(
  db: Database.Database,
  dbFile: string,
  migrations: MigrationFile[],
  version: number,
): void {
  const rows = db
    .prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
    .all() as AppliedMigration[];
  const byVersion = new Map(rows.map((r) => [r.version, r]));
  for (const m of migrations.slice(0, version)) {
    const row = byVersion.get(m.version);
    if (row === undefined) {
      throw new MigrationError(
        `database ${dbFile} has schema version ${version} but no record of migration ${m.fileName} ` +
          '(not a schedbench database, or its schema_migrations table was altered)',
        dbFile,
        m.fileName,
      );
    }
    if (row.checksum !== m.checksum) {
      throw new MigrationError(
        `database ${dbFile}: migration ${m.fileName} was edited after it was applied ` +
          `(recorded sha256 ${row.checksum}, file now ${m.checksum}); ` +
          'restore the file and put schema changes in a new migration',
        dbFile,
        m.fileName,
      );
    }
  }
  const extra = rows.find((r) => r.version > version);
  if (extra !== undefined) {
    throw new MigrationError(
      `database ${dbFile} records migration ${extra.version} (${extra.name}) as applied but its schema version ` +
        `is ${version}; the schema_migrations table is inconsistent`,
      dbFile,
    );
  }
}
