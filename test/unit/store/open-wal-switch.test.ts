// openDatabase's switch of a new database to WAL while another process holds the write lock:
// SQLite answers SQLITE_BUSY at once there, without the busy timeout, so openDatabase tries
// again (switchToWal); it waits for a writer that finishes, and names a writer that does not.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { BUSY_TIMEOUT_MS, openDatabase } from '../../../runner/store/open-database.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MIGRATIONS = readdirSync(join(REPO, 'migrations')).filter((f) => f.endsWith('.sql')).length;

let dir: string;
let holders: ChildProcess[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-walswitch-'));
  holders = [];
});
afterEach(() => {
  for (const h of holders) h.kill();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts a node process that creates `file` in SQLite's default (rollback journal) mode and holds
 * its write lock (BEGIN IMMEDIATE: a RESERVED lock, which lets others read) for `holdMs`, then
 * commits nothing and exits; `holdMs` < 0 holds it until killed. Resolves once the lock is held.
 */
async function holdWriteLock(file: string, holdMs: number): Promise<void> {
  const script =
    "const D = require('better-sqlite3'); const db = new D(process.argv[1]);" +
    "db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');" +
    'const hold = Number(process.argv[2]);' +
    "if (hold >= 0) setTimeout(() => { db.exec('COMMIT'); db.close(); }, hold);" +
    'else setInterval(() => {}, 1000);';
  const child = spawn(process.execPath, ['-e', script, file, String(holdMs)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  holders.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
}

describe('openDatabase: switching a new database to WAL while another process writes', () => {
  it('waits for a writer that finishes, then switches and migrates', async () => {
    const file = join(dir, 'new.db');
    await holdWriteLock(file, 400);
    const started = Date.now();
    const db = openDatabase(file); // SQLITE_BUSY at once, without the retries
    try {
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS);
      expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS);
    } finally {
      db.close();
    }
  });

  it('names a writer that holds the lock past the busy timeout', async () => {
    const file = join(dir, 'held.db');
    await holdWriteLock(file, -1);
    const started = Date.now();
    let err: unknown;
    try {
      openDatabase(file).close();
    } catch (e) {
      err = e;
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 100);
    expect(err).toBeInstanceOf(InputError);
    const waited = `waited ${BUSY_TIMEOUT_MS / 1000} s`;
    expect((err as Error).message).toMatch(
      new RegExp(`^${file}: the database is locked by another process \\(${waited}\\).*SQLITE_BUSY`),
    );
  }, 30_000);
});
