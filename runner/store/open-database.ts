import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { migrate } from './migrate.js';
import type { MigrationReport } from './migrate.js';
import { MigrationError } from './migration-error.js';
import { readMigrationFiles, resolveMigrationsDir } from './migration-files.js';
import { sqliteErrorCode } from './sqlite-error-code.js';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * Folder of `NNNN_name.sql` files to migrate with; the repository's `migrations/` by default
   * (see resolveMigrationsDir). Tests pass their own to simulate upgrades and edited files.
   */
  migrationsDir?: string;
  /** Called after migrating, with what was applied (to log a schema upgrade, for example). */
  onMigrated?: (report: MigrationReport) => void;
}

/** How long a connection waits for another connection's write lock before SQLITE_BUSY, ms. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating it and its parent folders if needed) a schedbench SQLite database and brings
 * its schema up to date.
 *
 * Connection settings: busy timeout {@link BUSY_TIMEOUT_MS}, `journal_mode = WAL` (readers do
 * not block the writer; the file gets `-wal` and `-shm` companions), `synchronous = NORMAL`
 * (durable at checkpoints; a power loss can lose the last commits but never corrupts), and
 * `foreign_keys = ON` once migrations have run (they run with it off, see migrate).
 *
 * @param file path of the database file; `:memory:` for a private in-memory database (no WAL)
 * @param opts see {@link OpenDatabaseOptions}
 * @returns the open connection; the caller closes it
 * @throws InputError naming the file when it exists but is not a SQLite database
 * @throws MigrationError naming the file and the migration when the schema cannot be brought up
 *   to date (newer database, edited migration, malformed migration folder, failing migration);
 *   the connection is closed then
 */
export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): Database.Database {
  const inMemory = file === ':memory:';
  const dbFile = inMemory ? file : resolve(file);
  const migrationsDir = opts.migrationsDir ?? resolveMigrationsDir();
  let migrations;
  try {
    migrations = readMigrationFiles(migrationsDir);
  } catch (err) {
    throw new MigrationError(`database ${dbFile}: ${(err as Error).message}`, dbFile, undefined, {
      cause: err,
    });
  }

  if (!inMemory) mkdirSync(dirname(dbFile), { recursive: true });
  const db = new Database(dbFile, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    try {
      db.pragma('journal_mode = WAL');
    } catch (err) {
      if (sqliteErrorCode(err) === 'SQLITE_NOTADB') {
        throw new InputError(`${dbFile}: not a SQLite database`, { file: dbFile });
      }
      throw err;
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    const report = migrate(db, dbFile, migrations);
    db.pragma('foreign_keys = ON');
    opts.onMigrated?.(report);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
