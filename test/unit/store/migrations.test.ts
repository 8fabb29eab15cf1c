import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import type { MigrationReport } from '../../../runner/store/migrate.js';
import { MigrationError } from '../../../runner/store/migration-error.js';
import { readMigrationFiles, resolveMigrationsDir } from '../../../runner/store/migration-files.js';
import { openDatabase } from '../../../runner/store/open-database.js';
import { Store } from '../../../runner/store/store.js';
import {
  newSweep,
  sampleIterations,
  sampleMetrics,
  sampleResult,
  sampleStability,
  tempDir,
} from './fixtures.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const REPO_MIGRATIONS = join(REPO, 'migrations');
const SECOND_MIGRATION =
  'ALTER TABLE sweeps ADD COLUMN note TEXT;\nCREATE TABLE tags (name TEXT PRIMARY KEY);\n';

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** A migrations folder holding the repository's 0001 plus `extra` files (name -> SQL). */
function migrationsDir(name: string, extra: Record<string, string> = {}): string {
  const target = join(dir, name);
  mkdirSync(target);
  copyFileSync(join(REPO_MIGRATIONS, '0001_initial.sql'), join(target, '0001_initial.sql'));
  for (const [file, sql] of Object.entries(extra)) writeFileSync(join(target, file), sql);
  return target;
}

/** A migrations folder holding every migration of the repository plus `extra` files (name -> SQL). */
function currentMigrationsDir(name: string, extra: Record<string, string> = {}): string {
  const target = join(dir, name);
  mkdirSync(target);
  for (const file of readdirSync(REPO_MIGRATIONS).filter((f) => f.endsWith('.sql'))) {
    copyFileSync(join(REPO_MIGRATIONS, file), join(target, file));
  }
  for (const [file, sql] of Object.entries(extra)) writeFileSync(join(target, file), sql);
  return target;
}

/** The migrations the repository has (`0001_initial.sql`, ...). */
function repoMigrationCount(): number {
  return readdirSync(REPO_MIGRATIONS).filter((f) => f.endsWith('.sql')).length;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('openDatabase', () => {
  it('applies every migration to a fresh database and records them', () => {
    const file = join(dir, 'nested', 'deeper', 'fresh.db');
    const reports: MigrationReport[] = [];
    const db = openDatabase(file, { onMigrated: (r) => reports.push(r) });
    const known = readdirSync(REPO_MIGRATIONS).filter((f) => f.endsWith('.sql')).length;
    expect(known).toBeGreaterThanOrEqual(1);
    expect(db.pragma('user_version', { simple: true })).toBe(known);
    const rows = db
      .prepare('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version')
      .all();
    expect(rows).toHaveLength(known);
    expect(rows[0]).toMatchObject({
      version: 1,
      name: 'initial',
      checksum: sha256(join(REPO_MIGRATIONS, '0001_initial.sql')),
    });
    expect((rows[0] as { applied_at: string }).applied_at).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'calibrations',
        'database_identity',
        'runs',
        'run_columns',
        'run_digests',
        'run_metrics',
        'schema_migrations',
        'sweeps',
        'worker_machines',
      ]),
    );
    expect(tables).not.toContain('run_requests'); // converted and dropped by 0011's data step
    expect(reports).toEqual([{ from: 0, to: known, applied: expect.arrayContaining(['0001_initial.sql']) }]);
    db.close();
  });

  it('sets WAL, foreign keys, synchronous NORMAL and a 5 s busy timeout', () => {
    const db = openDatabase(join(dir, 'pragmas.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });

  it('applies nothing when reopening a current database', () => {
    const file = join(dir, 'again.db');
    openDatabase(file).close();
    const reports: MigrationReport[] = [];
    const db = openDatabase(file, { onMigrated: (r) => reports.push(r) });
    expect(reports[0].applied).toEqual([]);
    expect(reports[0].from).toBe(reports[0].to);
    db.close();
  });

  it('upgrades an older database by applying only the new migration, keeping the data', () => {
    const file = join(dir, 'upgrade.db');
    const known = repoMigrationCount();
    const store = Store.open(file, { migrationsDir: currentMigrationsDir('current') });
    const sweepId = store.createSweep(newSweep());
    store.close();

    const before = new Database(file);
    const firstAppliedAt = before
      .prepare('SELECT applied_at FROM schema_migrations WHERE version = 1')
      .pluck()
      .get();
    expect(before.pragma('user_version', { simple: true })).toBe(known);
    before.close();

    const noteFile = `${String(known + 1).padStart(4, '0')}_add_note.sql`;
    const next = currentMigrationsDir('next', { [noteFile]: SECOND_MIGRATION });
    const reports: MigrationReport[] = [];
    const upgraded = Store.open(file, { migrationsDir: next, onMigrated: (r) => reports.push(r) });
    expect(reports).toEqual([{ from: known, to: known + 1, applied: [noteFile] }]);
    expect(upgraded.getSweep(sweepId)?.name).toBe('quickstart');
    expect(upgraded.listRuns({ sweepId }).map((r) => r.runKey)).toEqual(['a', 'b', 'c']);
    upgraded.close();

    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(known + 1);
    const rows = after
      .prepare('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version')
      .all();
    expect(rows).toHaveLength(known + 1);
    expect(rows[0]).toMatchObject({ version: 1, applied_at: firstAppliedAt });
    expect(rows[known]).toMatchObject({
      version: known + 1,
      name: 'add_note',
      checksum: sha256(join(next, noteFile)),
    });
    expect(after.prepare('SELECT note FROM sweeps WHERE id = ?').pluck().get(sweepId)).toBeNull();
    after.close();
  });

  it('upgrades a 0001 database to stored stability: old done runs read as not assessed', () => {
    const file = join(dir, 'from-0001.db');
    // A database as a build with only 0001_initial.sql left it: a sweep with two runs, one done.
    const old = openDatabase(file, { migrationsDir: migrationsDir('v1') });
    const metricsJson = JSON.stringify(sampleMetrics());
    old.exec(`
      INSERT INTO sweeps (id, name, spec_yaml, spec_json, spec_hash, machine_json, created_at)
        VALUES (1, 'old', 'name: old', '{}', 'h-old', '{"name":"sim"}', '2025-01-01T00:00:00.000Z');
      INSERT INTO runs (id, sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate,
          machine, status, warnings_json, created_at, started_at, finished_at)
        VALUES (1, 1, 'k1', 'w', '{}', 'fcfs', '{}', 1, 2, 'sim', 'done', '[]',
          '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:02.000Z'),
        (2, 1, 'k2', 'w', '{}', 'vllm', '{}', 1, 2, 'sim', 'queued', NULL, '2025-01-01T00:00:00.000Z', NULL, NULL);
      INSERT INTO run_metrics (run_id, metrics_json) VALUES (1, '${metricsJson}');
      INSERT INTO run_requests (run_id, idx, arrival_s, prompt_tokens, output_tokens, generated_tokens,
          evictions, preemptions, recomputed_tokens) VALUES (1, 0, 0.5, 10, 4, 0, 0, 0, 0);
    `);
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.close();

    const reports: MigrationReport[] = [];
    const store = Store.open(file, { onMigrated: (r) => reports.push(r) });
    try {
      expect(reports[0].from).toBe(1);
      expect(reports[0].applied).toContain('0002_run_stability.sql');
      const upgraded = store.getRun(1)!;
      expect(upgraded).toMatchObject({ status: 'done', stable: null, stability: null });
      expect(upgraded.metrics).toEqual(sampleMetrics());
      expect(store.getRequestRecords(1).promptTokens).toEqual(Int32Array.from([10]));

      store.markRunning(2);
      store.completeRun(2, { ...sampleResult(3, 2), stability: sampleStability(false) });
      expect(store.getRun(2)).toMatchObject({ stable: false, stability: sampleStability(false) });
      expect(store.listRuns({ sweepId: 1 }).map((r) => r.stable)).toEqual([null, false]);
    } finally {
      store.close();
    }
  });

  it('upgrades a 0002 database to worker machines: old done runs have no iterations', () => {
    const file = join(dir, 'from-0002.db');
    const v2 = migrationsDir('v2', {
      '0002_run_stability.sql': readFileSync(join(REPO_MIGRATIONS, '0002_run_stability.sql'), 'utf8'),
    });
    // A database as a build with 0001 and 0002 left it: a sweep with a done run and a queued one.
    const old = openDatabase(file, { migrationsDir: v2 });
    old.exec(`
      INSERT INTO sweeps (id, name, spec_yaml, spec_json, spec_hash, machine_json, created_at)
        VALUES (1, 'old', 'name: old', '{}', 'h-old', '{"name":"sim"}', '2025-01-01T00:00:00.000Z');
      INSERT INTO runs (id, sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate,
          machine, status, warnings_json, created_at, started_at, finished_at)
        VALUES (1, 1, 'k1', 'w', '{}', 'fcfs', '{}', 1, 2, 'sim', 'done', '[]',
          '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:02.000Z'),
        (2, 1, 'k2', 'w', '{}', 'vllm', '{}', 1, 2, 'gpu1', 'queued', NULL, '2025-01-01T00:00:00.000Z', NULL, NULL);
      INSERT INTO run_metrics (run_id, metrics_json) VALUES (1, '${JSON.stringify(sampleMetrics())}');
      INSERT INTO run_requests (run_id, idx, arrival_s, prompt_tokens, output_tokens, generated_tokens,
          evictions, preemptions, recomputed_tokens) VALUES (1, 0, 0.5, 10, 4, 0, 0, 0, 0);
    `);
    expect(old.pragma('user_version', { simple: true })).toBe(2);
    old.close();
    const done = 1;
    const gpu = 2;

    const reports: MigrationReport[] = [];
    const store = Store.open(file, { onMigrated: (r) => reports.push(r) });
    try {
      expect(reports[0].from).toBe(2);
      expect(reports[0].applied).toContain('0003_worker_machines.sql');
      expect(store.getIterations(done)).toBeUndefined();
      expect(store.getRequestRecords(done).arrival.length).toBe(1);
      expect(store.listWorkerMachines()).toEqual([]);
      expect(store.listCalibrations()).toEqual([]);
      store.completeRun(gpu, { ...sampleResult(3, 2), iterations: sampleIterations(4) });
      expect(store.getIterations(gpu)?.startS).toEqual(sampleIterations(4).startS);
    } finally {
      store.close();
    }
  });

  it('upgrades a 0003 database to database origins, keeping every sweep, run and result', () => {
    const file = join(dir, 'from-0003.db');
    const v3 = migrationsDir('v3', {
      '0002_run_stability.sql': readFileSync(join(REPO_MIGRATIONS, '0002_run_stability.sql'), 'utf8'),
      '0003_worker_machines.sql': readFileSync(join(REPO_MIGRATIONS, '0003_worker_machines.sql'), 'utf8'),
    });
    // A database as a build with 0001..0003 left it: two sweeps, runs in every status, results.
    const old = openDatabase(file, { migrationsDir: v3 });
    old.exec(`
      INSERT INTO sweeps (id, name, spec_yaml, spec_json, spec_hash, spec_path, machine_json, created_at,
          finished_at)
        VALUES (1, 'first', 'name: first', '{}', 'h-1', '/specs/first.yaml', '{"name":"sim"}',
          '2025-01-01T00:00:00.000Z', '2025-01-01T01:00:00.000Z'),
        (3, 'gpu', 'name: gpu', '{"a":1}', 'h-3', NULL, '{"name":"gpu1"}', '2025-01-02T00:00:00.000Z', NULL);
      INSERT INTO runs (id, sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate,
          machine, status, error, warnings_json, created_at, started_at, finished_at)
        VALUES (1, 1, 'k1', 'w', '{}', 'fcfs', '{}', 1, 2, 'sim', 'done', NULL, '["w"]',
          '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:02.000Z'),
        (2, 1, 'k2', 'w', '{}', 'vllm', '{}', 1, NULL, 'sim', 'failed', 'boom', NULL,
          '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:03.000Z'),
        (5, 3, 'k1', 'w', '{}', 'fcfs', '{}', 7, 1.5, 'gpu1/llama-2-7b', 'done', NULL, '[]',
          '2025-01-02T00:00:00.000Z', '2025-01-02T00:00:01.000Z', '2025-01-02T00:00:02.000Z'),
        (6, 3, 'k2', 'w', '{}', 'fcfs', '{}', 8, 1.5, 'gpu1/llama-2-7b', 'queued', NULL, NULL,
          '2025-01-02T00:00:00.000Z', NULL, NULL);
      INSERT INTO run_metrics (run_id, metrics_json, stable, stability_json)
        VALUES (1, '${JSON.stringify(sampleMetrics())}', NULL, NULL),
        (5, '${JSON.stringify(sampleMetrics())}', 1, '${JSON.stringify(sampleStability(true))}');
      INSERT INTO run_requests (run_id, idx, arrival_s, prompt_tokens, output_tokens, generated_tokens,
          evictions, preemptions, recomputed_tokens) VALUES (1, 0, 0.5, 10, 4, 0, 0, 0, 0),
        (5, 0, 0.25, 3, 2, 2, 0, 0, 0);
      INSERT INTO run_time_series (run_id, idx, t_s, queue_length, running, kv_blocks, prefill_tokens,
          decode_count) VALUES (5, 0, 0.5, 1, 1, 2, 3, 0);
      INSERT INTO run_iterations (run_id, idx, start_s, time_s, wall_s, num_prefills, prefill_tokens,
          num_decodes, decode_kv_tokens) VALUES (5, 0, 0.25, 0.0125, 0.013, 1, 3, 0, 0),
        (5, 1, 0.2625, 0.01, 0.011, 0, 0, 1, 4);
      INSERT INTO worker_machines (name, kind, created_at) VALUES ('gpu1', 'local', '2025-01-01T00:00:00.000Z');
    `);
    expect(old.pragma('user_version', { simple: true })).toBe(3);
    const tables = ['sweeps', 'runs', 'run_metrics'];
    const rowsBefore = Object.fromEntries(
      tables.map((t) => [t, old.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
    );
    old.close();

    const reports: MigrationReport[] = [];
    const store = Store.open(file, { host: 'workstation', onMigrated: (r) => reports.push(r) });
    try {
      expect(reports[0]).toMatchObject({ from: 3, to: repoMigrationCount() });
      expect(reports[0].applied[0]).toBe('0004_database_origin.sql');
      expect(store.databaseIdentity()).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        host: 'workstation',
      });
      expect(
        store.listSweeps().map((s) => [s.id, s.name, s.originDb, s.originSweepId, s.originHost]),
      ).toEqual([
        [3, 'gpu', null, null, 'workstation'],
        [1, 'first', null, null, 'workstation'],
      ]);
      expect(store.getSweep(1)).toMatchObject({
        specHash: 'h-1',
        specPath: '/specs/first.yaml',
        finishedAt: '2025-01-01T01:00:00.000Z',
      });
      expect(store.listRuns().map((r) => [r.id, r.sweepId, r.runKey, r.status, r.originHost])).toEqual([
        [1, 1, 'k1', 'done', 'workstation'],
        [2, 1, 'k2', 'failed', 'workstation'],
        [5, 3, 'k1', 'done', 'workstation'],
        [6, 3, 'k2', 'queued', 'workstation'],
      ]);
      expect(store.getIterations(5)?.numDecodes).toEqual(Int32Array.from([0, 1]));
      expect(store.getIterations(5)?.wallS).toEqual(Float64Array.from([0.013, 0.011]));
      expect(store.getTimeSeries(5).kvBlocks).toEqual(Int32Array.from([2]));
      expect(store.getRequestRecords(1).arrival).toEqual(Float64Array.from([0.5]));
      expect(store.getRequestRecords(5).finish[0]).toBeNaN();
      expect(store.findSweepByHash('h-3')?.id).toBe(3);
      expect(() => store.createSweep(newSweep({ specHash: 'h-1' }))).toThrow(
        'a sweep with spec hash h-1 already exists (sweep 1)',
      );
      expect(store.listWorkerMachines().map((m) => m.name)).toEqual(['gpu1']);
    } finally {
      store.close();
    }

    const after = new Database(file);
    try {
      for (const t of tables) {
        const rows = after.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all() as Record<string, unknown>[];
        const kept =
          t === 'sweeps'
            ? rows.map(({ origin_db: _a, origin_sweep_id: _b, origin_host: _c, ...r }) => r)
            : rows;
        expect(kept, t).toEqual(rowsBefore[t]);
      }
      expect(after.pragma('foreign_key_check')).toEqual([]);
      expect(
        after
          .prepare(
            "SELECT name FROM sqlite_schema WHERE tbl_name = 'sweeps' AND type = 'index' ORDER BY name",
          )
          .pluck()
          .all(),
      ).toEqual(['sweeps_local_spec_hash', 'sweeps_origin']);
      // runs still reference the rebuilt sweeps: deleting a sweep deletes its runs and results.
      after.pragma('foreign_keys = ON');
      after.exec('DELETE FROM sweeps WHERE id = 3');
      expect(after.prepare('SELECT id FROM runs ORDER BY id').pluck().all()).toEqual([1, 2]);
      expect(after.prepare('SELECT count(*) FROM run_columns WHERE run_id = 5').pluck().get()).toBe(0);
    } finally {
      after.close();
    }
  });

  it('refuses a database whose applied migration file was edited, naming the file', () => {
    const file = join(dir, 'edited.db');
    const v1 = migrationsDir('v1');
    openDatabase(file, { migrationsDir: v1 }).close();
    appendFileSync(join(v1, '0001_initial.sql'), '\n-- an innocent-looking comment\n');
    let error: unknown;
    try {
      openDatabase(file, { migrationsDir: v1 }).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MigrationError);
    const message = (error as MigrationError).message;
    expect(message).toContain(file);
    expect(message).toContain('0001_initial.sql');
    expect(message).toMatch(/edited/);
    expect((error as MigrationError).migration).toBe('0001_initial.sql');
  });

  it('refuses a database written by a newer schedbench and leaves it untouched', () => {
    const file = join(dir, 'newer.db');
    const raw = new Database(file);
    raw.pragma('user_version = 7');
    raw.close();
    expect(() => openDatabase(file, { migrationsDir: migrationsDir('v1') })).toThrow(
      new MigrationError(
        `database ${file} was written by a newer schedbench (schema 7, this build knows 1); ` +
          'use a newer schedbench or another database file',
        file,
      ),
    );
    const check = new Database(file);
    expect(
      check.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'").pluck().get(),
    ).toBe(0);
    check.close();
  });

  it('rolls back a failing migration completely and names it', () => {
    const file = join(dir, 'failing.db');
    const bad = migrationsDir('bad', {
      '0002_broken.sql': 'CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n',
    });
    expect(() => openDatabase(file, { migrationsDir: bad })).toThrow(/migration 0002_broken\.sql failed/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    expect(check.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(1);
    expect(check.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()).toBe(
      0,
    );
    check.close();
  });

  it('refuses a migration that leaves foreign key violations', () => {
    const file = join(dir, 'fk.db');
    const bad = migrationsDir('fk', {
      '0002_orphan.sql':
        "INSERT INTO runs (sweep_id, run_key, workload, workload_json, policy, params_json, seed, machine, status, created_at) VALUES (99, 'k', 'w', '{}', 'p', '{}', 1, 'sim', 'queued', 'now');\n",
    });
    expect(() => openDatabase(file, { migrationsDir: bad })).toThrow(
      /0002_orphan\.sql left 1 foreign key violation/,
    );
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    expect(check.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(0);
    check.close();
  });

  it('refuses a migrations folder with a gap, a duplicate version or a malformed name', () => {
    const file = join(dir, 'x.db');
    expect(() =>
      openDatabase(file, { migrationsDir: migrationsDir('gap', { '0003_late.sql': '' }) }),
    ).toThrow(/0003_late\.sql: migration follows version 1/);
    expect(() =>
      openDatabase(file, { migrationsDir: migrationsDir('dup', { '0001_again.sql': '', 'README.md': '' }) }),
    ).toThrow(MigrationError);
    expect(() => openDatabase(file, { migrationsDir: migrationsDir('name', { '2_x.sql': '' }) })).toThrow(
      /2_x\.sql: a migration file must be named NNNN_name\.sql/,
    );
  });

  it('refuses a database whose schema_migrations rows are missing', () => {
    const file = join(dir, 'foreign.db');
    const raw = new Database(file);
    raw.pragma('user_version = 1');
    raw.close();
    expect(() => openDatabase(file, { migrationsDir: migrationsDir('v1') })).toThrow(
      /has schema version 1 but no record of migration 0001_initial\.sql/,
    );
  });

  it('reports a file that is not a SQLite database as an InputError naming it', () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are my notes, not a database '.repeat(200));
    expect(() => openDatabase(file)).toThrow(new InputError(`${file}: not a SQLite database`, { file }));
  });

  it('works in memory', () => {
    const db = openDatabase(':memory:');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });
});

describe('migration files', () => {
  it('are found from the sources and from the compiled dist/ tree', () => {
    expect(resolveMigrationsDir()).toBe(join(REPO, 'migrations/'));
    const fromSource = pathToFileURL(join(REPO, 'runner/store/migration-files.ts')).href;
    const fromDist = pathToFileURL(join(REPO, 'dist/runner/store/migration-files.js')).href;
    expect(resolveMigrationsDir(fromSource)).toBe(join(REPO, 'migrations/'));
    expect(resolveMigrationsDir(fromDist)).toBe(join(REPO, 'migrations/'));
  });

  it('are read in version order with their checksums', () => {
    const target = migrationsDir('order', { '0002_b.sql': 'SELECT 2;', '0003_c.sql': 'SELECT 3;' });
    const files = readMigrationFiles(target);
    expect(files.map((m) => [m.version, m.name, m.fileName])).toEqual([
      [1, 'initial', '0001_initial.sql'],
      [2, 'b', '0002_b.sql'],
      [3, 'c', '0003_c.sql'],
    ]);
    expect(files[1].checksum).toBe(sha256(join(target, '0002_b.sql')));
  });
});
