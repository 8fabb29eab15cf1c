import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { StoreStateError } from '../../../runner/store/store-state-error.js';
import { Store } from '../../../runner/store/store.js';
import { newRun, newSweep, sampleIterations, sampleResult, tempDir } from './fixtures.js';
import { storedElementsSql } from '../../helpers/stored-runs.js';

/**
 * Deleting and renaming a sweep (Store.deleteSweep, Store.renameSweep) on a real SQLite file:
 * a delete removes every row of every table that belongs to the sweep (its row, its runs, their
 * metrics, requests, time series and measured iterations) and nothing else, all in one
 * transaction; a rename changes the name only.
 */
let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: Store;

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'results.db');
  store = Store.open(file, { host: 'here' });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

/** A second connection to the same file (the Store keeps its own). */
function withRawDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every table of the database (migrations' bookkeeping included), by name. */
function tables(db: Database.Database): string[] {
  return (
    db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[]
  ).filter((t) => t.length > 0);
}

/** Rows per table, and per table a digest of every row (so "nothing else changed" is checked by content). */
function snapshot(): { counts: Record<string, number>; rows: Record<string, string[]> } {
  return withRawDb((db) => {
    const counts: Record<string, number> = {};
    const rows: Record<string, string[]> = {};
    for (const t of tables(db)) {
      const all = db.prepare(`SELECT * FROM "${t}"`).all();
      counts[t] = all.length;
      rows[t] = all.map((r) => JSON.stringify(r)).sort();
    }
    return { counts, rows };
  });
}

/** Rows per table that belong to a sweep: the sweep's own, its runs', and their results'. */
function rowsOfSweep(sweepId: number): Record<string, number> {
  return withRawDb((db) => {
    const count = (sql: string): number => db.prepare(sql).pluck().get(sweepId) as number;
    const ofRuns = (t: string): number =>
      count(`SELECT count(*) FROM ${t} WHERE run_id IN (SELECT id FROM runs WHERE sweep_id = ?)`);
    return {
      sweeps: count('SELECT count(*) FROM sweeps WHERE id = ?'),
      runs: count('SELECT count(*) FROM runs WHERE sweep_id = ?'),
      run_metrics: ofRuns('run_metrics'),
      run_columns: ofRuns('run_columns'),
      run_digests: ofRuns('run_digests'),
    };
  });
}

/**
 * Three sweeps with results: `target` (a done run with requests, time series and measured
 * iterations, a failed run, a queued run and a run a killed process left `running`), and two
 * others with done runs; plus a worker machine, a calibration and a dataset, which no sweep owns.
 */
function populate(): { target: number; others: number[] } {
  const target = store.createSweep(
    newSweep({ specHash: 'target', runs: [newRun('a'), newRun('b'), newRun('c'), newRun('d')] }),
  );
  const [a, b, , d] = store.listRuns({ sweepId: target });
  store.markRunning(a.id);
  store.completeRun(a.id, { ...sampleResult(40, 12), iterations: sampleIterations(30) });
  store.markRunning(b.id);
  store.failRun(b.id, 'worker crashed');
  store.markRunning(d.id); // left running: a killed process
  const others = [
    store.createSweep(newSweep({ name: 'before', specHash: 'other-1' })),
    store.createSweep(newSweep({ name: 'after', specHash: 'other-2' })),
  ];
  for (const id of others) {
    for (const run of store.listRuns({ sweepId: id }).slice(0, 2)) {
      store.markRunning(run.id);
      store.completeRun(run.id, { ...sampleResult(25, 7), iterations: sampleIterations(9) });
    }
  }
  store.addWorkerMachine({ name: 'gpu1', kind: 'local' });
  store.addCalibration({
    machine: 'gpu1',
    model: 'tiny-llama',
    dtype: 'float32',
    device: 'cpu',
    gpuName: null,
    gpuMemoryBytes: null,
    torch: '2.4.1',
    python: '3.11.9',
    kvBlocks: 1024,
    blockSize: 16,
    fit: { kind: 'calibrated', intercept_s: 0.004 },
  });
  store.datasets.add({
    name: 'burst',
    format: 'csv',
    path: '/data/datasets/burst.csv',
    originalPath: '/home/me/burst.csv',
    sha256: 'a'.repeat(64),
    columns: { arrival: 'Timestamp', prompt: 'Request tokens', output: 'Response tokens' },
    timeUnit: 's',
    timestampFormat: 'seconds',
    requests: 1000,
  });
  return { target, others };
}

describe('deleteSweep', () => {
  it('removes every row of every table that belongs to the sweep, and nothing else', () => {
    const { target, others } = populate();
    const owned = rowsOfSweep(target);
    // The target owns rows in every table of a sweep's results.
    // One done run: 11 request columns, 6 time-series columns, 7 iteration columns, 1 digest.
    expect(owned).toEqual({ sweeps: 1, runs: 4, run_metrics: 1, run_columns: 24, run_digests: 1 });
    const ofTarget = 'run_id IN (SELECT id FROM runs WHERE sweep_id = ?)';
    const elements = (struct: 'requests' | 'time_series' | 'iterations'): number =>
      withRawDb((db) => (db.prepare(storedElementsSql(struct, ofTarget)).get(target) as { n: number }).n);
    expect([elements('requests'), elements('time_series'), elements('iterations')]).toEqual([40, 12, 30]);
    const before = snapshot();
    for (const t of ['worker_machines', 'calibrations', 'datasets', 'database_identity']) {
      expect(before.counts[t], t).toBeGreaterThan(0);
    }

    expect(store.deleteSweep(target)).toBe(true);

    const after = snapshot();
    // Per table: exactly the target's rows are gone (0 for every table a sweep does not own).
    const removed = Object.fromEntries(
      Object.keys(before.counts).map((t) => [t, before.counts[t] - after.counts[t]]),
    );
    const expected = Object.fromEntries(Object.keys(before.counts).map((t) => [t, owned[t] ?? 0]));
    expect(removed).toEqual(expected);
    expect(rowsOfSweep(target)).toEqual({
      sweeps: 0,
      runs: 0,
      run_metrics: 0,
      run_columns: 0,
      run_digests: 0,
    });
    // Every remaining row is one that was there before, unchanged.
    for (const t of Object.keys(after.rows)) {
      for (const row of after.rows[t]) expect(before.rows[t], t).toContain(row);
    }
    // The other sweeps read back whole, results included.
    expect(store.listSweeps().map((s) => s.id)).toEqual([...others].reverse());
    for (const id of others) {
      const runs = store.listRuns({ sweepId: id });
      expect(runs).toHaveLength(3);
      const done = runs.filter((r) => r.status === 'done');
      expect(done).toHaveLength(2);
      for (const r of done) {
        expect(store.getRequestRecords(r.id).arrival).toHaveLength(25);
        expect(store.getTimeSeries(r.id).t).toHaveLength(7);
        expect(store.getIterations(r.id)?.startS).toHaveLength(9);
      }
    }
    expect(store.getSweep(target)).toBeUndefined();
    expect(store.listRuns({ sweepId: target })).toEqual([]);
  });

  it('deletes in one transaction: a failure part-way leaves every row in place', () => {
    const { target } = populate();
    const [done] = store.listRuns({ sweepId: target });
    // Another connection makes the deletion of the done run's digest fail. The cascade deletes
    // the sweep's runs, their metrics and columns before it gets there.
    withRawDb((db) =>
      db.exec(
        `CREATE TRIGGER refuse_delete BEFORE DELETE ON run_digests WHEN old.run_id = ${done.id} ` +
          "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
      ),
    );
    const before = snapshot();
    expect(() => store.deleteSweep(target)).toThrow(/refused by the test/);
    expect(snapshot()).toEqual(before);
    expect(store.getRun(done.id)?.status).toBe('done');

    withRawDb((db) => db.exec('DROP TRIGGER refuse_delete'));
    expect(store.deleteSweep(target)).toBe(true);
    expect(rowsOfSweep(target).run_digests).toBe(0);
  });

  it('gives false for an unknown sweep, and nothing changes', () => {
    const { target } = populate();
    const before = snapshot();
    expect(store.deleteSweep(target + 1000)).toBe(false);
    expect(snapshot()).toEqual(before);
    expect(store.deleteSweep(target)).toBe(true);
    expect(store.deleteSweep(target)).toBe(false);
  });

  it('frees the spec hash: the same spec then creates a new sweep', () => {
    const { target } = populate();
    expect(store.deleteSweep(target)).toBe(true);
    const again = store.createSweep(newSweep({ specHash: 'target' }));
    expect(again).toBeGreaterThan(target);
    expect(store.findSweepByHash('target')?.id).toBe(again);
  });

  it("never gives a deleted sweep's id, or its runs' ids, to a new sweep (migration 0006)", () => {
    const first = store.createSweep(newSweep({ specHash: 'first', runs: [newRun('a'), newRun('b')] }));
    const newest = store.createSweep(newSweep({ specHash: 'newest', runs: [newRun('c'), newRun('d')] }));
    const deletedRunIds = store.listRuns({ sweepId: newest }).map((r) => r.id);
    expect(store.deleteSweep(newest)).toBe(true);
    const next = store.createSweep(newSweep({ specHash: 'next', runs: [newRun('e')] }));
    expect(next).toBeGreaterThan(newest);
    expect(store.listRuns({ sweepId: next })[0].id).toBeGreaterThan(Math.max(...deletedRunIds));
    expect(store.getSweep(first)).toBeDefined();
  });
});

describe('renameSweep', () => {
  it('changes the name only, trimmed, and returns the sweep as stored', () => {
    const { target, others } = populate();
    const before = store.getSweep(target)!;
    const runsBefore = store.listRuns({ sweepId: target });
    const otherBefore = others.map((id) => store.getSweep(id));

    const renamed = store.renameSweep(target, '  capacity, second try \u2013 A100  ');
    expect(renamed).toEqual({ ...before, name: 'capacity, second try \u2013 A100' });
    expect(store.getSweep(target)).toEqual(renamed);
    expect(store.listRuns({ sweepId: target })).toEqual(runsBefore);
    expect(others.map((id) => store.getSweep(id))).toEqual(otherBefore);
    // The spec still resumes the sweep (its hash is unchanged).
    expect(store.findSweepByHash(before.specHash)?.name).toBe('capacity, second try \u2013 A100');
    // Names need not be unique.
    expect(store.renameSweep(others[0], 'capacity, second try \u2013 A100').name).toBe(renamed.name);
  });

  it('refuses an empty, overlong or control-character name, and an unknown sweep; nothing changes', () => {
    const { target } = populate();
    const before = snapshot();
    const inputError = (name: string): InputError => {
      try {
        store.renameSweep(target, name);
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
      throw new Error(`renameSweep accepted ${JSON.stringify(name)}`);
    };
    expect(inputError('   ').message).toBe('name: give the sweep a name');
    expect(inputError('x'.repeat(201)).message).toBe('name: at most 200 characters');
    expect(inputError('two\nlines').message).toBe('name: no control characters');
    expect(inputError('tab\there').location).toEqual({ field: 'name' });
    expect(store.renameSweep(target, 'y'.repeat(200)).name).toHaveLength(200);
    store.renameSweep(target, 'quickstart');
    expect(() => store.renameSweep(target + 1000, 'new')).toThrow(
      new StoreStateError(`sweep ${target + 1000} does not exist`),
    );
    expect(snapshot()).toEqual(before);
  });
});
