import Database from 'better-sqlite3';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';
import { migrate, verifyApplied } from './migrate.js';
import type { MigrationReport } from './migrate.js';
import { MigrationError } from './migration-error.js';
import { readMigrationFiles, resolveMigrationsDir } from './migration-files.js';
import type { MigrationFile } from './migration-files.js';
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
  /**
   * Open for reading only (commands that only read results): the file must exist; it is opened
   * with SQLite's read-only flag, its journal mode is left as it is and it is never migrated, so
   * its bytes do not change. Its schema must be at least {@link READ_COMPATIBLE_SCHEMA} and at
   * most the newest migration's version.
   */
  readonly?: boolean;
}

// better-sqlite3 reads SQLITE_USE_URI once, when its native addon loads (at the first connection,
// which comes after this module is evaluated): `file:` URIs let a read-only open of a WAL database
// on read-only media say `immutable=1` (openReadOnlyMedia). Paths given to openDatabase are made
// absolute first, so no user path is ever read as a URI.
process.env.SQLITE_USE_URI ??= '1';

/**
 * How long a connection waits for another connection's write lock before SQLITE_BUSY, ms; also
 * how long openDatabase keeps trying to switch a new database to WAL (switchToWal).
 */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * PRAGMA application_id of a schedbench database: 0x53434842, "SCHB" in ASCII
 * (migrations/0007_application_id.sql sets it).
 */
export const SCHEDBENCH_APPLICATION_ID = 0x53434842;

/**
 * The oldest schema version this build can read without migrating it (read-only opens). Schema 6
 * differs from 7 only in the application_id stamp; schemas 6-10 keep results in row tables, which
 * RunResultsTables still reads (LegacyRowTables). Raise it to a migration's version when that
 * migration changes tables or columns the code reads.
 */
export const READ_COMPATIBLE_SCHEMA = 6;

/**
 * Opens (creating it and its parent folders if needed) a schedbench SQLite database and brings
 * its schema up to date; or, with `readonly`, opens an existing one for reading only.
 *
 * Before anything is written, the file must be a schedbench database or an empty one: a database
 * with tables but neither schedbench's application_id ({@link SCHEDBENCH_APPLICATION_ID}) nor a
 * schedbench `schema_migrations` table belongs to another application and is refused untouched.
 *
 * Connection settings (not `readonly`): busy timeout {@link BUSY_TIMEOUT_MS}, `journal_mode = WAL`
 * (readers do not block the writer; the file gets `-wal` and `-shm` companions; retried for the
 * busy timeout, which SQLite does not apply to that switch: see switchToWal),
 * `synchronous = NORMAL` (durable at checkpoints; a power loss can lose the last commits but never
 * corrupts), and `foreign_keys = ON` once migrations have run (they run with it off, see migrate).
 *
 * @param file path of the database file; `:memory:` for a private in-memory database (no WAL)
 * @param opts see {@link OpenDatabaseOptions}
 * @returns the open connection; the caller closes it
 * @throws InputError naming the file and SQLite's cause when the file cannot be used: not a SQLite
 *   database, corrupt or truncated, locked by another process past the busy timeout, read-only
 *   (when writing), a directory, a folder that cannot be created, another application's database,
 *   or (`readonly`) a database too old to read without upgrading it
 * @throws MigrationError naming the file and the migration when the schema cannot be brought up
 *   to date (newer database, edited migration, malformed migration folder, failing migration);
 *   the connection is closed then
 */
export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): Database.Database {
  const inMemory = file === ':memory:';
  const dbFile = inMemory ? file : resolve(file);
  const readonly = opts.readonly === true && !inMemory;
  const migrationsDir = opts.migrationsDir ?? resolveMigrationsDir();
  let migrations;
  try {
    migrations = readMigrationFiles(migrationsDir);
  } catch (err) {
    throw new MigrationError(`database ${dbFile}: ${(err as Error).message}`, dbFile, undefined, {
      cause: err,
    });
  }

  if (!inMemory) preparePath(dbFile, readonly);
  if (readonly) return openReadOnly(dbFile, migrations);
  if (!inMemory) checkWritable(dbFile);
  let db: Database.Database;
  try {
    db = new Database(dbFile, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw databaseFault(err, dbFile);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkOwnership(db, dbFile);
    switchToWal(db);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    const report = migrate(db, dbFile, migrations);
    db.pragma('foreign_keys = ON');
    opts.onMigrated?.(report);
    return db;
  } catch (err) {
    db.close();
    throw databaseFault(err, dbFile);
  }
}

/** Pauses between tries of {@link switchToWal}, ms; the last one repeats. */
const WAL_SWITCH_DELAYS_MS = [1, 2, 5, 10, 15, 20, 25, 50];

/**
 * `PRAGMA journal_mode = WAL`, tried again on SQLITE_BUSY until {@link BUSY_TIMEOUT_MS} has passed.
 *
 * The busy timeout does not cover this switch: SQLite first opens a read transaction to read the
 * header, then upgrades it to a write transaction to set the header's WAL bytes
 * (sqlite3BtreeSetVersion), and it never calls the busy handler for an upgrade out of a read
 * transaction, which could deadlock (https://sqlite.org/c3ref/busy_handler.html). So when two
 * processes open the same new database at once, the one that loses the race for the write lock
 * gets SQLITE_BUSY at once, in ~0 ms. Its read lock is released with the failed statement; the
 * winner, which waits for it on the busy handler, switches the file to WAL, and the next try here
 * finds the header in WAL mode and has nothing left to write. A database held by another writer
 * still fails, with SQLITE_BUSY, once the busy timeout has passed.
 *
 * A database already in WAL mode (every open but the first) switches without a write lock, at
 * the first try.
 */
function switchToWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const left = deadline - Date.now();
      if (!sqliteErrorCode(err)?.startsWith('SQLITE_BUSY') || left <= 0) throw err;
      const delay = WAL_SWITCH_DELAYS_MS[Math.min(attempt, WAL_SWITCH_DELAYS_MS.length - 1)];
      Atomics.wait(pause, 0, 0, Math.min(delay, left)); // a synchronous sleep
    }
  }
}

/**
 * Opens an existing database read-only and checks it can be read (openDatabase's `readonly`).
 *
 * A WAL-mode database on read-only media (a read-only mount, a folder this user cannot write) is
 * read although SQLite cannot create its `-shm` beside it: when it has no `-wal` file, every commit
 * is in the main file and nothing can change it, so it is opened with `immutable=1` (SQLite skips
 * locking and the WAL; https://sqlite.org/uri.html, "immutable"). With a `-wal` file but no way to
 * create the `-shm`, the WAL's commits could not be read: that is refused, naming both files.
 */
function openReadOnly(dbFile: string, migrations: MigrationFile[]): Database.Database {
  const open = (name: string): Database.Database => {
    let db: Database.Database;
    try {
      db = new Database(name, { timeout: BUSY_TIMEOUT_MS, readonly: true, fileMustExist: true });
    } catch (err) {
      throw databaseFault(err, dbFile);
    }
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      checkOwnership(db, dbFile);
      checkReadable(db, dbFile, migrations);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  };
  try {
    return open(dbFile);
  } catch (err) {
    if (sqliteErrorCode(err) !== 'SQLITE_CANTOPEN' || !isWalMode(dbFile)) throw databaseFault(err, dbFile);
    if (existsSync(`${dbFile}-wal`)) {
      throw new InputError(
        `${dbFile}: a WAL database whose -wal file holds commits, in a folder where SQLite cannot create ` +
          `its -shm file (read-only media?); copy ${dbFile} and ${dbFile}-wal to a writable folder to read it`,
        { file: dbFile },
      );
    }
    try {
      return open(`${pathToFileURL(dbFile).href}?immutable=1`);
    } catch (retry) {
      throw databaseFault(retry, dbFile);
    }
  }
}

/**
 * Refuses to open for writing a database file that cannot be written: on a read-only mount SQLite
 * would open it read-only without a word (its `-shm` may exist already), and the first write would
 * fail mid-command. access(2) answers EROFS there even for root.
 */
function checkWritable(dbFile: string): void {
  if (!existsSync(dbFile)) return; // created in a folder SQLite reports on (SQLITE_CANTOPEN)
  try {
    accessSync(dbFile, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(
      `${dbFile}: the database cannot be written (${code === 'EROFS' ? 'a read-only file system' : code}); ` +
        'commands that only read it (runs, summary, report, compare, capacity) still can',
      { file: dbFile },
    );
  }
}

/** Whether the database file's header says WAL mode (bytes 18 and 19 are 2; sqlite.org/fileformat2.html). */
function isWalMode(dbFile: string): boolean {
  const header = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(dbFile, 'r');
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Turns an error met while using the database `file` into a user-facing InputError naming the file
 * and SQLite's cause (not a database, corrupt, locked, read-only, cannot open, I/O error, ...).
 * InputError and MigrationError, and errors that are not SQLite's, are returned unchanged.
 *
 * @param err anything thrown by better-sqlite3 or openDatabase
 * @param file the database file (absolute path), for the message
 */
export function databaseFault(err: unknown, file: string): unknown {
  if (err instanceof InputError || err instanceof MigrationError) return err;
  const code = sqliteErrorCode(err);
  if (code === undefined || !code.startsWith('SQLITE_')) return err;
  const cause = `SQLite ${code}: ${(err as Error).message}`;
  const problem = (what: string): InputError => new InputError(`${file}: ${what} (${cause})`, { file });
  if (code === 'SQLITE_NOTADB') return new InputError(`${file}: not a SQLite database`, { file });
  if (code.startsWith('SQLITE_CORRUPT')) {
    return problem('the database is corrupt or truncated; restore it from a copy');
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return problem(
      `the database is locked by another process (waited ${BUSY_TIMEOUT_MS / 1000} s); try again when it is done`,
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return problem('the database cannot be written (a read-only file or folder)');
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return problem('the database file cannot be opened');
  if (code === 'SQLITE_FULL') return problem('the disk is full');
  return problem('database error');
}

/**
 * Checks the path of a database before SQLite opens it: not a directory; for `readonly`, an
 * existing file; otherwise its folder exists or is created here, one level at a time (Node's
 * recursive mkdirSync loops forever on some paths, /proc/nope for one).
 */
function preparePath(dbFile: string, readonly: boolean): void {
  if (existsSync(dbFile)) {
    if (statSync(dbFile).isDirectory()) {
      throw new InputError(`${dbFile}: is a directory, not a database file`, { file: dbFile });
    }
    return;
  }
  if (readonly) throw new InputError(`${dbFile}: no such database file`, { file: dbFile });
  const missing: string[] = [];
  for (let dir = dirname(dbFile); !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') continue;
      throw new InputError(`${dbFile}: cannot create its folder ${dir} (${e.code ?? e.message})`, {
        file: dbFile,
      });
    }
  }
  const parent = dirname(dbFile);
  if (!statSync(parent).isDirectory()) {
    throw new InputError(`${dbFile}: ${parent} is not a folder`, { file: dbFile });
  }
}

/**
 * Refuses a database of another application: one with tables but neither schedbench's
 * application_id nor schedbench's `schema_migrations` table (version, name, checksum). Read in one
 * snapshot, so a database another process is creating is seen before or after a migration.
 */
function checkOwnership(db: Database.Database, dbFile: string): void {
  db.transaction(() => {
    const appId = db.pragma('application_id', { simple: true }) as number;
    if (appId === SCHEDBENCH_APPLICATION_ID) return;
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    if (appId === 0 && tables.length === 0) return; // new or empty: ours to create
    if (appId === 0 && tables.includes('schema_migrations')) {
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('schema_migrations');
      if (['version', 'name', 'checksum'].every((c) => columns.includes(c))) return; // ours, unstamped
    }
    const id = appId === 0 ? '' : `, application_id 0x${(appId >>> 0).toString(16)}`;
    const list = tables.length === 0 ? 'no tables' : `it has tables ${tables.join(', ')}`;
    throw new InputError(
      `${dbFile} is not a Schedbench database (${list}${id}); give another file with --db`,
      { file: dbFile },
    );
  }).deferred();
}

/** Refuses a read-only open of a database whose schema this build cannot read as it is. */
function checkReadable(db: Database.Database, dbFile: string, migrations: MigrationFile[]): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    const known = migrations.length;
    if (version > known) {
      throw new MigrationError(
        `database ${dbFile} was written by a newer schedbench (schema ${version}, this build knows ${known}); ` +
          'use a newer schedbench or another database file',
        dbFile,
      );
    }
    if (version === 0) {
      throw new InputError(
        `${dbFile} has no Schedbench schema (an empty database); \`schedbench sweep SPEC --db FILE\` fills it`,
        { file: dbFile },
      );
    }
    verifyApplied(db, dbFile, migrations, version);
    const readable = Math.min(READ_COMPATIBLE_SCHEMA, known);
    if (version < readable) {
      throw new InputError(
        `${dbFile} has schema ${version}, older than this build reads (${readable}..${known}); ` +
          'run a command that writes to it (`schedbench sweep`, `import`, `machines add`, `serve`) to upgrade it',
        { file: dbFile },
      );
    }
  }).deferred();
}
