import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { defaultDatabasePath } from '../store/default-database.js';
import { Store } from '../store/store.js';

/**
 * The database a command means: `--db FILE` when given, else the default (`$SCHEDBENCH_DB`, else
 * the user data directory; defaultDatabasePath).
 */
export function databasePathOf(db: string | undefined): string {
  return db ?? defaultDatabasePath();
}

/**
 * Opens the database of a command that only reads results (runs, summary, capacity, report,
 * compare, machines check and remove, fluid): it must exist already, so that a mistyped `--db`
 * path is an error instead of a new empty database.
 * @param db the `--db` value, or undefined for the default database
 * @throws InputError (exit 2) when the file does not exist; nothing is created then
 */
export function openExistingStore(db: string | undefined): Store {
  const path = databasePathOf(db);
  if (path !== ':memory:' && !existsSync(path)) {
    const how = db === undefined ? ' (the default database; give another with --db FILE)' : '';
    throw new InputError(
      `no database at ${resolve(path)}${how}: check the path; \`schedbench sweep SPEC --db FILE\` creates one`,
      { field: '--db' },
    );
  }
  return Store.open(path);
}

/**
 * Checks that the database of `--db` (or the default one) exists, without opening it.
 * @throws InputError (exit 2) as openExistingStore
 */
export function requireDatabase(db: string | undefined): void {
  if (!databaseExists(db)) openExistingStore(db).close();
}

/** Whether the database of `--db` (or the default one) exists; for commands where it is optional. */
export function databaseExists(db: string | undefined): boolean {
  const path = databasePathOf(db);
  return path === ':memory:' || existsSync(path);
}
