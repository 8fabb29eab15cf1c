import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { defaultDatabasePath } from '../store/default-database.js';
import { databaseFault } from '../store/open-database.js';
import { Store } from '../store/store.js';

/**
 * The database a command means: `--db FILE` when given, else the default (`$SCHEDBENCH_DB`, else
 * the user data directory; defaultDatabasePath).
 */
export function databasePathOf(db: string | undefined): string {
  return db ?? defaultDatabasePath();
}

/** Options of {@link openExistingStore}. */
export interface OpenExistingOptions {
  /**
   * Open read-only (commands that only read: runs, summary, capacity, report, compare, machines
   * list, fluid): no WAL switch, no migration, the file's bytes never change (Store.open's
   * `readonly`). A database of an older but compatible schema is read as it is; an older
   * incompatible one is refused with a message to run a writing command to upgrade it.
   */
  readonly?: boolean;
}

/**
 * Opens the database of a command that needs one to exist already (runs, summary, capacity,
 * report, compare, machines check and remove, fluid, profile, sweeps), so that a mistyped `--db`
 * path is an error instead of a new empty database.
 * @param db the `--db` value, or undefined for the default database
 * @param opts `readonly` for commands that only read
 * @throws InputError (exit 2) when the file does not exist (nothing is created then) or cannot
 *   be used (see openDatabase)
 */
export function openExistingStore(db: string | undefined, opts: OpenExistingOptions = {}): Store {
  const path = databasePathOf(db);
  if (path !== ':memory:' && !existsSync(path)) {
    const how = db === undefined ? ' (the default database; give another with --db FILE)' : '';
    throw new InputError(
      `no database at ${resolve(path)}${how}: check the path; \`schedbench sweep SPEC --db FILE\` creates one`,
      { field: '--db' },
    );
  }
  return Store.open(path, { readonly: opts.readonly === true });
}

/**
 * Checks that the database of `--db` (or the default one) exists, without opening it.
 * @throws InputError (exit 2) as openExistingStore
 */
export function requireDatabase(db: string | undefined): void {
  if (!databaseExists(db)) openExistingStore(db, { readonly: true }).close();
}

/**
 * Runs `fn` with `store` and closes the store (once `fn`'s promise settles, when it returns one); a
 * SQLite error `fn` meets (a corrupt page, a lock held past the busy timeout, a full disk) becomes
 * an InputError naming the database file (databaseFault), so the CLI reports it with exit 2
 * instead of a stack.
 */
export function useStore<T>(store: Store, fn: (store: Store) => T): T {
  let result: T;
  try {
    result = fn(store);
  } catch (err) {
    store.close();
    throw databaseFault(err, store.file);
  }
  if (!(result instanceof Promise)) {
    store.close();
    return result;
  }
  return result.then(
    (value: unknown) => {
      store.close();
      return value;
    },
    (err: unknown) => {
      store.close();
      throw databaseFault(err, store.file);
    },
  ) as T;
}

/** Whether the database of `--db` (or the default one) exists; for commands where it is optional. */
export function databaseExists(db: string | undefined): boolean {
  const path = databasePathOf(db);
  return path === ':memory:' || existsSync(path);
}
