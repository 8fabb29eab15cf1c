import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../../runner/metrics/run-result.js';
import { InputError } from '../../../runner/errors.js';
import { importDatabase } from '../../../runner/store/import-database.js';
import type { ImportSummary } from '../../../runner/store/import-database.js';
import { openDatabase } from '../../../runner/store/open-database.js';
import type { RunRow } from '../../../runner/store/run-row.js';
import { Store } from '../../../runner/store/store.js';
import { newRun, newSweep, sampleIterations, sampleResult, sampleStability, tempDir } from './fixtures.js';

const REPO_MIGRATIONS = fileURLToPath(new URL('../../../migrations/', import.meta.url));

let dir: string;
let cleanup: () => void;
let opened: Store[];

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  opened = [];
});
afterEach(() => {
  for (const store of opened) store.close();
  cleanup();
});

/** Opens (creating) the database `name` in the test folder as if on the machine `host`. */
function open(name: string, host: string): Store {
  const store = Store.open(join(dir, name), { host });
  opened.push(store);
  return store;
}

/** Closes a store opened with {@link open} (before copying its file, say). */
function close(store: Store): void {
  opened.splice(opened.indexOf(store), 1);
  store.close();
}

/** The run of a sweep with this run key. */
function runOf(store: Store, sweepId: number, runKey: string): RunRow {
  const [run] = store.listRuns({ sweepId, runKey });
  expect(run).toBeDefined();
  return run;
}

/** Claims and completes the run `runKey` of a sweep with `result`; returns its id. */
function complete(store: Store, sweepId: number, runKey: string, result: RunResult): number {
  const run = runOf(store, sweepId, runKey);
  store.markRunning(run.id);
  store.completeRun(run.id, result);
  return run.id;
}

/** Claims the run `runKey` of a sweep and marks it failed. */
function fail(store: Store, sweepId: number, runKey: string, error: string): void {
  const run = runOf(store, sweepId, runKey);
  store.markRunning(run.id);
  store.failRun(run.id, error);
}

/** A result of a run executed on a GPU worker: with measured iterations. */
function gpuResult(n: number): RunResult {
  return { ...sampleResult(n, 7), stability: sampleStability(null), iterations: sampleIterations(n * 3) };
}

/** What a run stores, without the ids and the host (which say where it is, not what it is). */
function stored(run: RunRow): Omit<RunRow, 'id' | 'sweepId' | 'originHost'> {
  const { id: _id, sweepId: _sweepId, originHost: _host, ...rest } = run;
  return rest;
}

/** Expects two structs of typed arrays to have the same fields with the same types and bytes. */
function expectSameBytes(actual: object, expected: object): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [field, want] of Object.entries(expected) as [string, Float64Array | Int32Array][]) {
    const got = (actual as Record<string, Float64Array | Int32Array>)[field];
    expect(got.constructor, field).toBe(want.constructor);
    const bytes = (a: Float64Array | Int32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(got).equals(bytes(want)), `${field} differs`).toBe(true);
  }
}

/** Expects run `toId` of `to` to hold exactly what run `fromId` of `from` holds, results included. */
function expectSameRun(to: Store, toId: number, from: Store, fromId: number): void {
  const want = from.getRun(fromId)!;
  expect(stored(to.getRun(toId)!)).toEqual(stored(want));
  if (want.status !== 'done') return;
  expectSameBytes(to.getRequestRecords(toId), from.getRequestRecords(fromId));
  expectSameBytes(to.getTimeSeries(toId), from.getTimeSeries(fromId));
  const iterations = from.getIterations(fromId);
  if (iterations === undefined) expect(to.getIterations(toId)).toBeUndefined();
  else expectSameBytes(to.getIterations(toId)!, iterations);
}

/** Every row of every table of a database file, read through a second connection. */
function dump(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [
        t,
        db
          .prepare(`SELECT * FROM ${t}`)
          .all()
          .map((row) => JSON.stringify(row))
          .sort(),
      ]),
    );
  } finally {
    db.close();
  }
}

/** The InputError `fn` throws (fails the test when it throws nothing or something else). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

/** A summary with every count 0, overridden by `counts`. */
function summary(from: Store, counts: Partial<ImportSummary>): ImportSummary {
  return {
    file: from.file,
    source: from.databaseIdentity(),
    sweepsAdded: 0,
    sweepsMerged: 0,
    runsAdded: 0,
    runsCompleted: 0,
    runsSkipped: 0,
    calibrationsAdded: 0,
    machinesAdded: 0,
    machinesSkipped: 0,
    skippedMachines: [],
    ...counts,
  };
}

/**
 * A GPU server's database: sweep `hash-1` (a done, b done on the GPU with iterations, c failed),
 * sweep `hash-2` (a done, b left running by a killed process, c queued), two worker machines and
 * two calibrations.
 */
function serverDatabase(): { server: Store; first: number; second: number } {
  const server = open('server.db', 'gpu-server');
  const first = server.createSweep(
    newSweep({
      runs: [
        newRun('a', { machine: 'gpu1/llama-2-7b' }),
        newRun('b', { machine: 'gpu1/llama-2-7b', seed: 2 }),
        newRun('c', { machine: 'gpu1/llama-2-7b', seed: 3 }),
      ],
    }),
  );
  complete(server, first, 'a', sampleResult(40, 9));
  complete(server, first, 'b', gpuResult(25));
  fail(server, first, 'c', 'worker gpu1 exited with code 137');
  server.finishSweep(first);
  const second = server.createSweep(newSweep({ name: 'rates', specHash: 'hash-2' }));
  complete(server, second, 'a', { ...sampleResult(12, 3), warnings: [] });
  server.markRunning(runOf(server, second, 'b').id);
  server.addWorkerMachine({ name: 'gpu1', kind: 'local', python: '/opt/torch/bin/python' });
  server.addWorkerMachine({ name: 'bench-box', kind: 'ssh', host: 'bench.lan', user: 'me' });
  const calibration = {
    machine: 'gpu1',
    model: 'meta-llama/Llama-2-7b-hf',
    dtype: 'float16',
    device: 'cuda:0',
    gpuName: 'NVIDIA H100 80GB HBM3',
    gpuMemoryBytes: 85_045_395_456,
    torch: '2.4.1+cu121',
    python: '3.11.9',
    kvBlocks: 7_281,
    blockSize: 16,
    fit: { kind: 'calibrated', intercept_s: 0.0042, per_token_s: [1 / 3, 1e-7] },
  };
  server.addCalibration(calibration);
  server.addCalibration({ ...calibration, dtype: 'bfloat16', kvBlocks: 7_200 });
  return { server, first, second };
}

describe('database identity', () => {
  it('is created with the database, kept on reopening, and its host filled in once', () => {
    const a = open('a.db', 'desktop');
    const b = open('b.db', 'desktop');
    const identity = a.databaseIdentity();
    expect(identity).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      host: 'desktop',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(b.databaseIdentity().id).not.toBe(identity.id);
    close(a);
    const again = open('a.db', 'laptop');
    expect(again.databaseIdentity()).toEqual(identity);
  });

  it('records the host of each sweep created, and its runs show it', () => {
    const store = open('a.db', 'desktop');
    const id = store.createSweep(newSweep());
    expect(store.getSweep(id)).toMatchObject({ originDb: null, originSweepId: null, originHost: 'desktop' });
    expect(store.listRuns({ sweepId: id }).map((r) => r.originHost)).toEqual([
      'desktop',
      'desktop',
      'desktop',
    ]);
    close(store);
    // The file copied to another machine: its sweeps say where they were created.
    copyFileSync(join(dir, 'a.db'), join(dir, 'copy.db'));
    const copy = open('copy.db', 'gpu-server');
    const there = copy.createSweep(newSweep({ specHash: 'hash-2' }));
    expect(copy.getSweep(id)?.originHost).toBe('desktop');
    expect(copy.getSweep(there)?.originHost).toBe('gpu-server');
  });

  it('allows exactly one identity row, whose id never changes', () => {
    const store = open('a.db', 'desktop');
    close(store);
    const db = new Database(join(dir, 'a.db'));
    try {
      expect(() =>
        db.exec(
          "INSERT INTO database_identity (id, created_at) VALUES ('0123456789abcdef0123456789abcdef', 'x')",
        ),
      ).toThrow(/exactly one row/);
      expect(() => db.exec('DELETE FROM database_identity')).toThrow(/exactly one row/);
      expect(() => db.exec("UPDATE database_identity SET id = '0123456789abcdef0123456789abcdef'")).toThrow(
        /never change/,
      );
      expect(db.prepare('SELECT count(*) FROM database_identity').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('importDatabase', () => {
  it('adds the sweeps and runs of another database with their origin, byte for byte, once', () => {
    const { server, first, second } = serverDatabase();
    const desktop = open('desktop.db', 'desktop');
    // A local sweep with the spec of the server's first sweep, and machines of the same names.
    const local = desktop.createSweep(newSweep({ name: 'local' }));
    const localDone = complete(desktop, local, 'a', sampleResult(5, 2));
    desktop.addWorkerMachine({ name: 'gpu1', kind: 'ssh', host: 'gpu1.lan', user: 'me' });
    desktop.addWorkerMachine({ name: 'bench-box', kind: 'ssh', host: 'bench.lan', user: 'me' });
    const serverId = server.databaseIdentity().id;

    const result = importDatabase(desktop, server.file);
    expect(result).toEqual(
      summary(server, {
        sweepsAdded: 2,
        runsAdded: 6,
        calibrationsAdded: 2,
        machinesSkipped: 1,
        skippedMachines: ['gpu1'],
      }),
    );
    expect(result.source).toMatchObject({ id: serverId, host: 'gpu-server' });

    const sweeps = desktop.listSweeps();
    expect(sweeps.map((s) => [s.name, s.specHash, s.originDb, s.originSweepId, s.originHost])).toEqual([
      ['rates', 'hash-2', serverId, second, 'gpu-server'],
      ['quickstart', 'hash-1', serverId, first, 'gpu-server'],
      ['local', 'hash-1', null, null, 'desktop'],
    ]);
    const [importedSecond, importedFirst] = sweeps;
    for (const [here, there] of [
      [importedFirst, server.getSweep(first)!],
      [importedSecond, server.getSweep(second)!],
    ]) {
      const { id: _a, originDb: _b, originSweepId: _c, originHost: _d, ...fields } = there;
      expect(here).toMatchObject(fields);
    }
    expect(importedFirst.finishedAt).not.toBeNull();

    // Resuming by spec hash finds the local sweep only.
    expect(desktop.findSweepByHash('hash-1')?.id).toBe(local);
    expect(desktop.findSweepByHash('hash-2')).toBeUndefined();
    expect(desktop.createSweep(newSweep({ name: 'rates here', specHash: 'hash-2' }))).toBeGreaterThan(
      importedSecond.id,
    );
    expect(desktop.findSweepByHash('hash-2')?.name).toBe('rates here');

    // Every run as it is on the server, results byte for byte; the one left running is queued.
    for (const [here, there] of [
      [importedFirst.id, first],
      [importedSecond.id, second],
    ]) {
      const runs = desktop.listRuns({ sweepId: here });
      expect(runs.map((r) => r.runKey)).toEqual(['a', 'b', 'c']);
      expect(runs.every((r) => r.originHost === 'gpu-server')).toBe(true);
      for (const run of runs) {
        const source = runOf(server, there, run.runKey);
        if (source.status === 'running') {
          expect(run).toMatchObject({ status: 'queued', startedAt: null, finishedAt: null, error: null });
        } else {
          expectSameRun(desktop, run.id, server, source.id);
        }
      }
    }
    const gpuRun = runOf(desktop, importedFirst.id, 'b');
    expect(gpuRun).toMatchObject({ machine: 'gpu1/llama-2-7b', status: 'done', stable: null });
    expect(desktop.getIterations(gpuRun.id)?.startS.length).toBe(75);
    expect(runOf(desktop, importedFirst.id, 'c')).toMatchObject({
      status: 'failed',
      error: 'worker gpu1 exited with code 137',
    });
    expect(desktop.getRun(localDone)?.originHost).toBe('desktop');

    // Machines: a free name is not taken (both names were here); calibrations all new.
    expect(desktop.getWorkerMachine('gpu1')).toMatchObject({ kind: 'ssh', host: 'gpu1.lan' });
    const calibrations = (store: Store) => store.listCalibrations().map(({ id: _id, ...rest }) => rest);
    expect(calibrations(desktop)).toEqual(calibrations(server));

    // Again: nothing new.
    const before = dump(desktop.file);
    expect(importDatabase(desktop, server.file)).toEqual(
      summary(server, { sweepsMerged: 2, runsSkipped: 6, machinesSkipped: 1, skippedMachines: ['gpu1'] }),
    );
    expect(dump(desktop.file)).toEqual(before);
  });

  it('stores worker machines whose name is free', () => {
    const { server } = serverDatabase();
    const desktop = open('desktop.db', 'desktop');
    const result = importDatabase(desktop, server.file);
    expect(result).toMatchObject({ machinesAdded: 2, machinesSkipped: 0, calibrationsAdded: 2 });
    expect(desktop.listWorkerMachines()).toEqual(server.listWorkerMachines());
  });

  it('merges overlapping runs: completes runs not done here, never changes a done run', () => {
    // The desktop's own sweep goes to the GPU server and comes back with more runs done.
    const desktop = open('desktop.db', 'desktop');
    const runs = ['a', 'b', 'c', 'd', 'e'].map((k, i) => newRun(k, { machine: 'gpu1/llama-2-7b', seed: i }));
    const sweep = desktop.createSweep(newSweep({ runs }));
    const server = open('server.db', 'gpu-server');
    expect(importDatabase(server, desktop.file)).toMatchObject({ sweepsAdded: 1, runsAdded: 5 });
    const there = server.listSweeps()[0];
    expect(there).toMatchObject({ originDb: desktop.databaseIdentity().id, originSweepId: sweep });
    expect(there.originHost).toBe('desktop');

    const doneHere = complete(desktop, sweep, 'a', sampleResult(30, 6));
    fail(desktop, sweep, 'b', 'no GPU on the desktop');
    complete(server, there.id, 'a', gpuResult(11)); // done in both: the desktop's stays
    const bThere = complete(server, there.id, 'b', gpuResult(17)); // failed here, done there
    const cThere = complete(server, there.id, 'c', sampleResult(8, 2)); // queued here, done there
    fail(server, there.id, 'd', 'out of memory'); // queued here, failed there: stays queued
    const resultsHere = dump(desktop.file);
    const aHere = desktop.getRun(doneHere);

    expect(importDatabase(desktop, server.file)).toEqual(
      summary(server, { sweepsMerged: 1, runsCompleted: 2, runsSkipped: 3 }),
    );
    expect(desktop.listSweeps().map((s) => [s.id, s.originDb])).toEqual([[sweep, null]]);
    expect(desktop.findSweepByHash('hash-1')?.id).toBe(sweep);
    expect(desktop.listRuns({ sweepId: sweep }).map((r) => [r.runKey, r.status])).toEqual([
      ['a', 'done'],
      ['b', 'done'],
      ['c', 'done'],
      ['d', 'queued'],
      ['e', 'queued'],
    ]);
    expectSameRun(desktop, runOf(desktop, sweep, 'b').id, server, bThere);
    expectSameRun(desktop, runOf(desktop, sweep, 'c').id, server, cThere);
    expect(desktop.getRun(doneHere)).toEqual(aHere);
    expect(desktop.getRun(doneHere)?.metrics).toEqual(sampleResult(30, 6).metrics);
    expect(desktop.getIterations(doneHere)).toBeUndefined();
    expect(desktop.getRequestRecords(doneHere).arrival.length).toBe(30);
    const rowsOfA = (file: string) =>
      Object.values(dump(file))
        .flat()
        .filter((row) => row.includes(`"run_id":${doneHere},`));
    expect(rowsOfA(desktop.file)).toEqual(
      Object.values(resultsHere)
        .flat()
        .filter((row) => row.includes(`"run_id":${doneHere},`)),
    );
    expect(desktop.getSweep(sweep)?.finishedAt).toBeNull();
    expect(desktop.pendingRuns(sweep).map((r) => r.runKey)).toEqual(['d', 'e']);

    // Again: nothing changes.
    const before = dump(desktop.file);
    expect(importDatabase(desktop, server.file)).toEqual(
      summary(server, { sweepsMerged: 1, runsSkipped: 5 }),
    );
    expect(dump(desktop.file)).toEqual(before);

    // Once every run is done or failed there, the sweep here is finished as it was there.
    complete(server, there.id, 'e', sampleResult(2, 1));
    complete(server, there.id, 'd', sampleResult(3, 1)); // retried there
    expect(server.finishSweep(there.id)).toBe(true);
    expect(importDatabase(desktop, server.file)).toMatchObject({ runsCompleted: 2, runsSkipped: 3 });
    expect(desktop.getSweep(sweep)?.finishedAt).toBe(server.getSweep(there.id)?.finishedAt);
  });

  it('stores a sweep once however it arrives, keeping its first origin', () => {
    const { server, first } = serverDatabase();
    const laptop = open('laptop.db', 'laptop');
    const desktop = open('desktop.db', 'desktop');
    expect(importDatabase(laptop, server.file)).toMatchObject({ sweepsAdded: 2, runsAdded: 6 });
    expect(importDatabase(desktop, laptop.file)).toMatchObject({ sweepsAdded: 2, runsAdded: 6 });
    expect(importDatabase(desktop, server.file)).toMatchObject({
      sweepsAdded: 0,
      sweepsMerged: 2,
      runsAdded: 0,
    });
    const serverId = server.databaseIdentity().id;
    expect(desktop.listSweeps().map((s) => [s.originDb, s.originSweepId, s.originHost])).toEqual([
      [serverId, first + 1, 'gpu-server'],
      [serverId, first, 'gpu-server'],
    ]);
    expect(desktop.listRuns()).toHaveLength(6);
  });

  it('refuses the database itself and a copy of it', () => {
    const desktop = open('desktop.db', 'desktop');
    desktop.createSweep(newSweep());
    const error = inputError(() => importDatabase(desktop, desktop.file));
    expect(error.message).toBe(
      `${desktop.file} is this database or a copy of it (both have database identity ` +
        `${desktop.databaseIdentity().id}); nothing to import`,
    );
    expect(error.location).toEqual({ file: desktop.file });
    close(desktop);
    copyFileSync(join(dir, 'desktop.db'), join(dir, 'copy.db'));
    const reopened = open('desktop.db', 'desktop');
    const before = dump(reopened.file);
    expect(inputError(() => importDatabase(reopened, join(dir, 'copy.db'))).message).toMatch(
      /copy\.db is this database or a copy of it/,
    );
    expect(dump(reopened.file)).toEqual(before);
  });

  it('refuses files that are missing, not databases, damaged, or of another schema', () => {
    const { server } = serverDatabase();
    close(server);
    const desktop = open('desktop.db', 'desktop');
    desktop.createSweep(newSweep());
    const before = dump(desktop.file);
    const refused = (file: string): string => {
      const error = inputError(() => importDatabase(desktop, file));
      expect(error.location).toEqual({ file });
      return error.message;
    };

    const missing = join(dir, 'missing.db');
    expect(refused(missing)).toBe(`${missing}: no such file`);
    expect(refused(dir)).toBe(`${dir}: not a file (a schedbench database was expected)`);

    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'these are my notes, not a database '.repeat(200));
    expect(refused(garbage)).toBe(`${garbage}: not a SQLite database`);

    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    expect(refused(empty)).toBe(`${empty}: not a schedbench database (it has no schema migrations)`);

    const bytes = readFileSync(join(dir, 'server.db'));
    expect(bytes.length).toBeGreaterThan(8 * 4096);
    for (const keep of [100, 4096, Math.floor(bytes.length / 2), bytes.length - 4096]) {
      const truncated = join(dir, `truncated-${keep}.db`);
      writeFileSync(truncated, bytes.subarray(0, keep));
      expect(refused(truncated)).toMatch(new RegExp(`^${truncated}: damaged database`));
    }

    const plain = join(dir, 'plain.db');
    const other = new Database(plain);
    other.exec('CREATE TABLE notes (text TEXT); PRAGMA user_version = 3;');
    other.close();
    expect(refused(plain)).toBe(`${plain}: not a schedbench database (it has no schema migrations)`);

    const newer = join(dir, 'newer.db');
    copyFileSync(join(dir, 'server.db'), newer);
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    const current = readdirSync(REPO_MIGRATIONS).filter((f) => f.endsWith('.sql')).length;
    expect(refused(newer)).toBe(
      `${newer} was written by a newer schedbench (schema 99, this database has ${current}); import it with a newer schedbench`,
    );

    const edited = join(dir, 'edited.db');
    copyFileSync(join(dir, 'server.db'), edited);
    const tampered = new Database(edited);
    tampered.exec("UPDATE schema_migrations SET checksum = 'x' WHERE version = 2");
    tampered.close();
    expect(refused(edited)).toBe(
      `${edited}: not a schedbench database, or written with other migration files ` +
        '(its record of schema migration 2 is different)',
    );

    // A database of schema 3 has no identity: upgrading it first is the way.
    const v3dir = join(dir, 'v3');
    mkdirSync(v3dir);
    for (const f of readdirSync(REPO_MIGRATIONS).filter((f) => f < '0004')) {
      copyFileSync(join(REPO_MIGRATIONS, f), join(v3dir, f));
    }
    const oldFile = join(dir, 'old.db');
    openDatabase(oldFile, { migrationsDir: v3dir }).close();
    expect(refused(oldFile)).toBe(
      `${oldFile} has schema 3, from before databases had an identity (schema 4); open it once with ` +
        `this schedbench to upgrade it (any command with --db, e.g. \`schedbench runs --db ${oldFile}\`), ` +
        'then import it',
    );
    open('old.db', 'old-host');
    expect(importDatabase(desktop, oldFile)).toMatchObject({ sweepsAdded: 0, runsAdded: 0 });

    expect(dump(desktop.file)).toEqual(before);
  });

  it('imports all or nothing: a diverged copy is refused and the target is left as it was', () => {
    const { server, first, second } = serverDatabase();
    const desktop = open('desktop.db', 'desktop');
    importDatabase(desktop, server.file);
    close(server);
    // A copy of the server's database (same identity) whose sweep `second` became another sweep
    // (edited by hand: the store never reuses an id, migration 0006), after a run was added to the
    // first sweep.
    copyFileSync(join(dir, 'server.db'), join(dir, 'diverged.db'));
    const raw = new Database(join(dir, 'diverged.db'));
    raw.prepare("UPDATE sweeps SET name = 'other', spec_hash = 'hash-3' WHERE id = ?").run(second);
    raw.close();
    const diverged = open('diverged.db', 'gpu-server');
    expect(diverged.addMissingRuns(first, [newRun('z')])).toBe(1);

    const before = dump(desktop.file);
    const error = inputError(() => importDatabase(desktop, diverged.file));
    expect(error.message).toMatch(
      new RegExp(
        `^${diverged.file}: its sweep ${second} \\("other"\\) is sweep ${second} of database ` +
          `${diverged.databaseIdentity().id}, but sweep \\d+ here, imported with that origin, has another ` +
          'spec hash or creation time; .* nothing was imported$',
      ),
    );
    expect(dump(desktop.file)).toEqual(before);
  });
});
