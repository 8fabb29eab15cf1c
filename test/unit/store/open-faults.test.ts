// Opening a database that cannot be used: every problem is an InputError (or MigrationError)
// naming the file and SQLite's cause, and a read-only open never changes the file.
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { MigrationError } from '../../../runner/store/migration-error.js';
import { openDatabase, SCHEDBENCH_APPLICATION_ID } from '../../../runner/store/open-database.js';
import { Store } from '../../../runner/store/store.js';
import { newSweep, tempDir } from './fixtures.js';

const REPO_MIGRATIONS = fileURLToPath(new URL('../../../migrations/', import.meta.url));

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A migrations folder with the repository's first `count` migrations. */
function firstMigrations(count: number): string {
  const target = join(dir, `migrations-${count}`);
  mkdirSync(target);
  const files = readdirSync(REPO_MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .slice(0, count);
  for (const f of files) copyFileSync(join(REPO_MIGRATIONS, f), join(target, f));
  return target;
}

/** A schedbench database with one sweep, checkpointed into the main file; returns its path. */
function realDatabase(name: string, migrationsDir?: string): string {
  const file = join(dir, name);
  const store = Store.open(file, { migrationsDir });
  store.createSweep(newSweep());
  store.close();
  return file;
}

/** What `fn` throws (it must throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('openDatabase faults', () => {
  it('random bytes: not a SQLite database', () => {
    const file = join(dir, 'random.db');
    writeFileSync(file, randomBytes(64 * 1024));
    expect(() => Store.open(file)).toThrow(new InputError(`${file}: not a SQLite database`, { file }));
    expect(() => Store.open(file, { readonly: true })).toThrow(InputError);
  });

  it('a truncated database: corrupt, naming the file and SQLite code', () => {
    const source = realDatabase('real.db');
    const file = join(dir, 'truncated.db');
    copyFileSync(source, file);
    truncateSync(file, 4096 * 2);
    for (const readonly of [false, true]) {
      const err = thrown(() => {
        const store = Store.open(file, { readonly });
        try {
          store.listSweeps();
        } finally {
          store.close();
        }
      });
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/corrupt or truncated.*SQLITE_CORRUPT/);
    }
  });

  it('a directory, and a folder that cannot be created, without looping', () => {
    expect(thrown(() => Store.open(dir)).message).toBe(`${dir}: is a directory, not a database file`);
    expect(thrown(() => Store.open(dir, { readonly: true }))).toBeInstanceOf(InputError);
    const started = Date.now();
    const err = thrown(() => Store.open('/proc/nope/x.db'));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^\/proc\/nope\/x\.db: cannot create its folder \/proc\/nope/);
    expect(Date.now() - started).toBeLessThan(2000);
    const fileAsFolder = join(dir, 'plain');
    writeFileSync(fileAsFolder, 'x');
    expect(thrown(() => Store.open(join(fileAsFolder, 'x.db')))).toBeInstanceOf(InputError);
  });

  it("refuses another application's database, leaving it byte for byte unchanged", () => {
    const file = join(dir, 'foreign.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE notes (text TEXT); CREATE TABLE authors (name TEXT); CREATE TABLE tags (t TEXT)');
    raw.prepare('INSERT INTO notes VALUES (?)').run('hello');
    raw.close();
    const before = sha256(file);
    for (const readonly of [false, true]) {
      const err = thrown(() => Store.open(file, { readonly }));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toBe(
        `${file} is not a Schedbench database (it has tables authors, notes, tags); give another file with --db`,
      );
    }
    expect(sha256(file)).toBe(before);

    // A table named schema_migrations of another tool (Rails: only `version`) is not ours either.
    const rails = join(dir, 'rails.db');
    const r = new Database(rails);
    r.exec('CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); CREATE TABLE users (id INTEGER)');
    r.close();
    expect(thrown(() => Store.open(rails)).message).toMatch(
      /is not a Schedbench database \(it has tables schema_migrations, users\)/,
    );

    // Another application's id, even with no tables.
    const stamped = join(dir, 'stamped.db');
    const s = new Database(stamped);
    s.pragma('application_id = 1234');
    s.close();
    expect(thrown(() => Store.open(stamped)).message).toMatch(/no tables, application_id 0x4d2/);
  });

  it('stamps new databases and recognises and stamps existing unstamped ones', () => {
    const fresh = openDatabase(join(dir, 'fresh.db'));
    expect(fresh.pragma('application_id', { simple: true })).toBe(SCHEDBENCH_APPLICATION_ID);
    fresh.close();
    const old = realDatabase('old.db', firstMigrations(6));
    const raw = new Database(old);
    expect(raw.pragma('application_id', { simple: true })).toBe(0);
    raw.close();
    const store = Store.open(old);
    expect(store.listSweeps()).toHaveLength(1);
    store.close();
    const again = new Database(old);
    expect(again.pragma('application_id', { simple: true })).toBe(SCHEDBENCH_APPLICATION_ID);
    again.close();
  });

  it('opens read-only without migrating, switching journal mode or changing a byte', () => {
    // Schema 6 (one migration behind, read-compatible), in rollback-journal mode.
    const file = realDatabase('ro.db', firstMigrations(6));
    const raw = new Database(file);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const before = sha256(file);
    const store = Store.open(file, { readonly: true, host: 'elsewhere' });
    expect(store.listSweeps()).toHaveLength(1);
    expect(() => store.createSweep(newSweep())).toThrow(/readonly|read-only/i);
    store.close();
    expect(sha256(file)).toBe(before);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(check.pragma('user_version', { simple: true })).toBe(6);
    check.close();
  });

  it('refuses read-only an older incompatible, an empty and a newer database', () => {
    const old = realDatabase('v5.db', firstMigrations(5));
    const before = sha256(old);
    const err = thrown(() => Store.open(old, { readonly: true }));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(
      /has schema 5, older than this build reads .*run a command that writes to it/,
    );
    expect(sha256(old)).toBe(before);

    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    expect(thrown(() => Store.open(empty, { readonly: true })).message).toMatch(/has no Schedbench schema/);

    const newer = realDatabase('newer.db');
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    const e = thrown(() => Store.open(newer, { readonly: true }));
    expect(e).toBeInstanceOf(MigrationError);
    expect(e.message).toMatch(/written by a newer schedbench \(schema 99/);

    expect(thrown(() => Store.open(join(dir, 'missing.db'), { readonly: true })).message).toMatch(
      /missing\.db: no such database file/,
    );
  });
});
