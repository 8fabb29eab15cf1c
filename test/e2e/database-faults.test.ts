// Database files that cannot be used, with real files and processes: every problem is exit 2 with
// a message naming the file and SQLite's cause, never a stack; read-only commands never change the
// file; processes creating one new database at once all succeed.
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';

let dir: string;
let spec: string;
/** A schedbench database holding one small sweep (WAL checkpointed into the file). */
let real: string;

const TINY = [
  'name: tiny',
  'machine: a100-llama2-7b',
  'requests: 20',
  'workloads:',
  '  - name: typed',
  '    types: [{ prompt: 20, output: 10, rate: 2 }]',
  'policies:',
  '  - { policy: fcfs }',
  '',
].join('\n');

const isRoot = process.getuid?.() === 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-dbfaults-'));
  spec = join(dir, 'tiny.yaml');
  writeFileSync(spec, TINY);
  real = join(dir, 'real.db');
  const r = runCli(['sweep', spec, '--db', real, '--jobs', '1']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Checks exit 2, a one-line message naming `file` and matching `message`, and no stack. */
function expectRefused(r: CliResult, file: string, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

/**
 * Puts WAL-mode databases in `folder`: `wal.db`, a copy of the real one (WAL mode in its header,
 * every commit in the file, no -wal), `wal-shm.db`, the same with a `-shm` beside it, and
 * `wal-pending.db` with a `-wal` file holding a commit not yet checkpointed into it (copied while
 * its writer was open).
 */
function walDatabases(folder: string): void {
  copyFileSync(real, join(folder, 'wal.db'));
  const source = copyOfReal('pending-source.db');
  const writer = new Database(source);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.prepare('UPDATE sweeps SET name = ?').run('renamed in the WAL');
  copyFileSync(source, join(folder, 'wal-pending.db'));
  copyFileSync(`${source}-wal`, join(folder, 'wal-pending.db-wal'));
  // A WAL database with a -shm beside it (left by a reader): SQLite then opens it for writing,
  // read-only without a word.
  copyFileSync(real, join(folder, 'wal-shm.db'));
  copyFileSync(`${source}-shm`, join(folder, 'wal-shm.db-shm'));
  writer.close();
}

/** A copy of the real database under `name`. */
function copyOfReal(name: string): string {
  const file = join(dir, name);
  copyFileSync(real, file);
  return file;
}

/** Starts a node process that holds BEGIN EXCLUSIVE on `file` until killed; resolves once it holds it. */
async function holdLock(file: string): Promise<ChildProcess> {
  const script =
    "const D = require('better-sqlite3'); const db = new D(process.argv[1]);" +
    "db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);";
  const child = spawn(process.execPath, ['-e', script, file], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

describe('database faults: exit 2 naming the file, never a stack', () => {
  it('a file of random bytes', () => {
    const file = join(dir, 'random.db');
    writeFileSync(file, randomBytes(32 * 1024));
    expectRefused(runCli(['runs', '--db', file]), file, /not a SQLite database/);
    expectRefused(runCli(['sweep', spec, '--db', file, '--jobs', '1']), file, /not a SQLite database/);
  });

  it('a truncated database', () => {
    const file = copyOfReal('truncated.db');
    truncateSync(file, 4096 * 2);
    expectRefused(runCli(['runs', '--db', file]), file, /corrupt or truncated.*SQLITE_CORRUPT/);
    expectRefused(runCli(['summary', '--latest', '--db', file]), file, /corrupt or truncated/);
  });

  it('a lock held by another process at start: writers wait the busy timeout, readers still read', async () => {
    const file = copyOfReal('locked.db');
    const holder = await holdLock(file);
    try {
      const runs = runCli(['runs', '--db', file]);
      expect(runs.code, runs.stderr).toBe(0);
      expect(runs.stdout).toContain('fcfs');
      const started = Date.now();
      const add = runCli(['machines', 'add', 'gpu1', '--local', '--db', file]);
      expectRefused(add, file, /locked by another process.*SQLITE_BUSY/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    } finally {
      holder.kill();
    }
  }, 60_000);

  it('a directory as --db', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    expectRefused(runCli(['runs', '--db', folder]), folder, /is a directory, not a database file/);
    expectRefused(runCli(['sweep', spec, '--db', folder, '--jobs', '1']), folder, /is a directory/);
  });

  it('a path under /proc, quickly, and a folder that is a file', () => {
    const started = Date.now();
    const r = runCli(['sweep', spec, '--db', '/proc/nope/x.db', '--jobs', '1']);
    expectRefused(r, '/proc/nope/x.db', /cannot create its folder \/proc\/nope/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expectRefused(runCli(['runs', '--db', '/proc/nope/x.db']), '/proc/nope/x.db', /no database at/);
    const plain = join(dir, 'plain-file');
    writeFileSync(plain, 'x');
    const under = join(plain, 'x.db');
    expectRefused(runCli(['sweep', spec, '--db', under, '--jobs', '1']), under, /is not a folder/);
  });

  it("another application's database: refused, its schema and bytes unchanged", () => {
    const file = join(dir, 'foreign.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE a (x); CREATE TABLE b (y); CREATE TABLE c (z); INSERT INTO a VALUES (1);');
    const schema = raw.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    raw.close();
    const before = sha256(file);
    const message = `${file} is not a Schedbench database (it has tables a, b, c)`;
    for (const args of [
      ['sweep', spec, '--db', file, '--jobs', '1'],
      ['runs', '--db', file],
      ['machines', 'add', 'gpu1', '--local', '--db', file],
      ['api', 'sweeps.list', '{}', '--db', file],
    ]) {
      const r = runCli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(sha256(file)).toBe(before);
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all()).toEqual(schema);
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    after.close();
  });

  it('a read-only database file is read by runs, summary and report without changing a byte', () => {
    const file = copyOfReal('readonly.db');
    chmodSync(file, 0o444);
    const before = sha256(file);
    const runs = runCli(['runs', '--db', file]);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toContain('fcfs');
    const summary = runCli(['summary', '--latest', '--db', file, '--format', 'markdown']);
    expect(summary.code, summary.stderr).toBe(0);
    const report = runCli(['report', '--latest', '--db', file, '--out', join(dir, 'r.html')]);
    expect(report.code, report.stderr).toBe(0);
    expect(sha256(file)).toBe(before);
  });

  it('a read-only file or folder is refused by commands that write', () => {
    // Root writes through file modes, so as root the database and the folder sit on a tmpfs
    // remounted read-only; otherwise chmod makes them read-only.
    let file: string;
    let folder: string;
    let mounted: string | undefined;
    if (isRoot) {
      mounted = join(dir, 'ro-mount');
      mkdirSync(mounted);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mounted]);
      } catch (e) {
        if (process.env.SCHEDBENCH_REQUIRE_ALL === '1') throw e;
        process.stderr.write(
          `database-faults: cannot mount a tmpfs (${String(e)}); the read-only test is skipped\n`,
        );
        return;
      }
      file = join(mounted, 'readonly-write.db');
      copyFileSync(real, file);
      folder = join(mounted, 'ro-folder');
      mkdirSync(folder);
      walDatabases(folder);
      execFileSync('mount', ['-o', 'remount,ro', mounted]);
    } else {
      file = copyOfReal('readonly-write.db');
      chmodSync(file, 0o444);
      folder = join(dir, 'ro-folder');
      mkdirSync(folder);
      walDatabases(folder);
      chmodSync(folder, 0o555);
    }
    try {
      // A WAL database where SQLite cannot create its -shm: read as it is (immutable) when every
      // commit is in the file; refused, naming the -wal, when the -wal holds commits.
      const settled = join(folder, 'wal.db');
      const runs = runCli(['runs', '--db', settled]);
      expect(runs.code, runs.stderr).toBe(0);
      expect(runs.stdout).toContain('fcfs');
      const summary = runCli(['summary', '--latest', '--db', settled, '--format', 'markdown']);
      expect(summary.code, summary.stderr).toBe(0);
      // Writing to it is refused at open (SQLite would open it read-only without a word and fail
      // at the first insert): exit 2 naming the file, no stack.
      const withShm = join(folder, 'wal-shm.db');
      expectRefused(
        runCli(['sweep', spec, '--db', withShm, '--jobs', '1']),
        withShm,
        /cannot be written|SQLITE_CANTOPEN|SQLITE_READONLY/,
      );
      const pending = join(folder, 'wal-pending.db');
      expectRefused(
        runCli(['runs', '--db', pending]),
        pending,
        /-wal file holds commits.*copy .*wal-pending\.db and .*wal-pending\.db-wal to a writable folder/,
      );
      const before = sha256(file);
      const r = runCli(['machines', 'add', 'gpu1', '--local', '--db', file]);
      expectRefused(r, file, /cannot be written|SQLITE_READONLY|SQLITE_CANTOPEN|read-only/);
      expect(sha256(file)).toBe(before);
      const inFolder = join(folder, 'new.db');
      expectRefused(
        runCli(['sweep', spec, '--db', inFolder, '--jobs', '1']),
        inFolder,
        /SQLITE_CANTOPEN|cannot|read-only/,
      );
    } finally {
      if (mounted) execFileSync('umount', [mounted]);
    }
  });

  it('four processes creating the same new databases at once all succeed', async () => {
    // Four processes open race-0.db .. race-19.db in turn (Store.open creates and migrates), each
    // file at the same instant in all four (a 50 ms slot per file, after a warm-up open that loads
    // SQLite), so they create, switch to WAL and migrate the same new files side by side. The WAL
    // switch's lock upgrade is where one of them used to get SQLITE_BUSY at once (switchToWal in
    // runner/store/open-database.ts): with four processes nearly every run hit it.
    const files = Array.from({ length: 20 }, (_, i) => join(dir, `race-${i}.db`));
    const start = Date.now() + 1500;
    const storeJs = pathToFileURL(join(REPO, 'dist/runner/store/store.js')).href;
    const script = [
      `const { Store } = await import(${JSON.stringify(storeJs)});`,
      `const files = ${JSON.stringify(files)};`,
      "Store.open(':memory:').close();",
      `for (const [i, f] of files.entries()) {`,
      `  while (Date.now() < ${start} + i * 50) {}`,
      '  Store.open(f).close();',
      '}',
    ].join('\n');
    const run = (): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
          cwd: REPO,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    for (const r of results) {
      expect(r.stderr).not.toMatch(/inconsistent|locked/);
      expect(r.code, r.stderr).toBe(0);
    }
    const migrations = readdirSync(join(REPO, 'migrations')).filter((f) => f.endsWith('.sql')).length;
    for (const file of files) {
      const db = new Database(file, { readonly: true });
      expect(db.pragma('user_version', { simple: true }), file).toBe(migrations);
      expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), file).toBe(migrations);
      expect(db.prepare('SELECT count(*) FROM database_identity').pluck().get(), file).toBe(1);
      expect(db.pragma('journal_mode', { simple: true }), file).toBe('wal');
      db.close();
    }
  }, 120_000);
});
