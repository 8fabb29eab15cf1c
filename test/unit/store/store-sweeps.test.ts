import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../../runner/store/store.js';
import { StoreStateError } from '../../../runner/store/store-state-error.js';
import { newRun, newSweep, sampleResult, tempDir } from './fixtures.js';

let file: string;
let store: Store;
let cleanup: () => void;

beforeEach(() => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  file = join(tmp.dir, 'results', 'store.db');
  store = Store.open(file);
});
afterEach(() => {
  store.close();
  cleanup();
});

/** Rows of a table counted through a second, independent connection. */
function countRows(table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('sweeps', () => {
  it('creates a sweep with its runs queued and reads it back', () => {
    const id = store.createSweep(newSweep());
    const sweep = store.getSweep(id);
    expect(sweep).toMatchObject({
      id,
      name: 'quickstart',
      specYaml: 'name: quickstart\n',
      specJson: '{"name":"quickstart"}',
      specHash: 'hash-1',
      specPath: '/tmp/quickstart.yaml',
      machineJson: '{"kind":"sim"}',
      finishedAt: null,
    });
    expect(Date.parse(sweep!.createdAt)).not.toBeNaN();
    expect(sweep!.createdAt.endsWith('Z')).toBe(true);
    expect(store.findSweepByHash('hash-1')).toEqual(sweep);
    expect(store.findSweepByHash('nope')).toBeUndefined();

    const runs = store.listRuns({ sweepId: id });
    expect(runs.map((r) => [r.runKey, r.status, r.seed, r.rate, r.policy])).toEqual([
      ['a', 'queued', 1, 2.5, 'fcfs'],
      ['b', 'queued', 2, 2.5, 'fcfs'],
      ['c', 'queued', 1, null, 'vllm'],
    ]);
    expect(runs[0]).toMatchObject({
      sweepId: id,
      workload: 'poisson',
      workloadJson: '{"kind":"poisson","requests":100}',
      params: { chunk: 512 },
      machine: 'sim',
      error: null,
      warnings: [],
      metrics: null,
      startedAt: null,
      finishedAt: null,
    });
    expect(store.runCounts(id)).toEqual({ queued: 3, running: 0, done: 0, failed: 0 });
  });

  it('lists sweeps newest first and knows the latest', () => {
    expect(store.latestSweep()).toBeUndefined();
    expect(store.listSweeps()).toEqual([]);
    const first = store.createSweep(newSweep());
    const second = store.createSweep(newSweep({ specHash: 'hash-2', name: 'second' }));
    expect(store.latestSweep()?.id).toBe(second);
    expect(store.listSweeps().map((s) => s.id)).toEqual([second, first]);
  });

  it('rejects a duplicate run key atomically: no sweep and no run is left', () => {
    const runs = [newRun('a'), newRun('b'), newRun('a', { seed: 9 })];
    expect(() => store.createSweep(newSweep({ runs }))).toThrow(
      'sweep "quickstart", run "a": duplicate run key "a"',
    );
    expect(store.listSweeps()).toEqual([]);
    expect(countRows('sweeps')).toBe(0);
    expect(countRows('runs')).toBe(0);
  });

  it('rejects invalid runs with a message naming the run, storing nothing', () => {
    const bad = [
      newRun('x', { seed: 1.5 }),
      newRun('x', { rate: 0 }),
      newRun('x', { rate: NaN }),
      newRun('x', { paramsJson: '[1, 2]' }),
      newRun('x', { workloadJson: '{not json' }),
    ];
    for (const run of bad) {
      expect(() => store.createSweep(newSweep({ runs: [newRun('ok'), run] }))).toThrow(
        /sweep "quickstart", run "x"/,
      );
    }
    expect(countRows('sweeps')).toBe(0);
    expect(countRows('runs')).toBe(0);
  });

  it('rejects a second sweep with the same spec hash', () => {
    const id = store.createSweep(newSweep());
    expect(() => store.createSweep(newSweep({ name: 'again' }))).toThrow(
      `sweep "again": a sweep with spec hash hash-1 already exists (sweep ${id})`,
    );
    expect(store.listSweeps()).toHaveLength(1);
  });

  it('adds missing runs idempotently and leaves existing runs alone', () => {
    const id = store.createSweep(newSweep());
    const [a] = store.listRuns({ sweepId: id });
    store.markRunning(a.id);
    store.completeRun(a.id, sampleResult(3, 2));
    expect(store.finishSweep(id)).toBe(false);

    const wanted = [newRun('a', { seed: 99 }), newRun('b'), newRun('c'), newRun('d'), newRun('e')];
    expect(store.addMissingRuns(id, wanted)).toBe(2);
    expect(store.addMissingRuns(id, wanted)).toBe(0);
    const runs = store.listRuns({ sweepId: id });
    expect(runs.map((r) => r.runKey)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(runs[0]).toMatchObject({ status: 'done', seed: 1 });
    expect(store.runCounts(id)).toEqual({ queued: 4, running: 0, done: 1, failed: 0 });
  });

  it('addMissingRuns reopens a finished sweep and refuses an unknown sweep', () => {
    const id = store.createSweep(newSweep({ runs: [] }));
    expect(store.finishSweep(id)).toBe(true);
    expect(store.getSweep(id)?.finishedAt).not.toBeNull();
    expect(store.addMissingRuns(id, [newRun('late')])).toBe(1);
    expect(store.getSweep(id)?.finishedAt).toBeNull();
    expect(() => store.addMissingRuns(id + 1, [newRun('x')])).toThrow(
      new StoreStateError(`sweep ${id + 1} does not exist`),
    );
  });

  it('cascades the deletion of a sweep to its runs and their results (foreign keys on)', () => {
    const id = store.createSweep(newSweep());
    const other = store.createSweep(newSweep({ specHash: 'hash-2' }));
    const [a] = store.listRuns({ sweepId: id });
    store.markRunning(a.id);
    store.completeRun(a.id, sampleResult(20, 5));
    expect(countRows('run_columns')).toBe(17); // 11 request columns, 6 time-series columns
    expect(countRows('run_digests')).toBe(1);

    expect(store.deleteSweep(id)).toBe(true);
    expect(store.deleteSweep(id)).toBe(false);
    expect(store.getSweep(id)).toBeUndefined();
    expect(store.listRuns({ sweepId: id })).toEqual([]);
    expect(store.listRuns({ sweepId: other })).toHaveLength(3);
    expect(countRows('run_metrics')).toBe(0);
    expect(countRows('run_columns')).toBe(0);
    expect(countRows('run_digests')).toBe(0);
  });

  it('uses a WAL journal', () => {
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

describe('run life cycle', () => {
  it('requeues runs a killed process left running, and pendingRuns retries failed runs', () => {
    const id = store.createSweep(newSweep());
    const [a, b, c] = store.listRuns({ sweepId: id });
    store.markRunning(a.id);
    store.markRunning(b.id);
    store.failRun(b.id, 'worker crashed');
    store.markRunning(c.id);
    store.completeRun(c.id, sampleResult(2, 1));
    expect(store.runCounts(id)).toEqual({ queued: 0, running: 1, done: 1, failed: 1 });
    expect(store.getRun(b.id)).toMatchObject({ status: 'failed', error: 'worker crashed' });
    expect(store.getRun(b.id)?.finishedAt).not.toBeNull();

    // "The process was killed": a new one starts the sweep again.
    expect(store.requeueInterruptedRuns(id)).toBe(1);
    expect(store.requeueInterruptedRuns(id)).toBe(0);
    expect(store.getRun(a.id)).toMatchObject({ status: 'queued', startedAt: null });
    expect(store.pendingRuns(id).map((r) => [r.runKey, r.status])).toEqual([
      ['a', 'queued'],
      ['b', 'failed'],
    ]);

    store.markRunning(b.id);
    expect(store.getRun(b.id)).toMatchObject({ status: 'running', error: null, finishedAt: null });
    expect(store.getRun(b.id)?.startedAt).not.toBeNull();
  });

  it('claims a run once: markRunning refuses running and done runs', () => {
    const id = store.createSweep(newSweep());
    const [a] = store.listRuns({ sweepId: id });
    store.markRunning(a.id);
    expect(() => store.markRunning(a.id)).toThrow(
      new StoreStateError(`run ${a.id} is running and cannot be started; only queued or failed runs can`),
    );
    store.completeRun(a.id, sampleResult(1, 1));
    expect(() => store.markRunning(a.id)).toThrow(StoreStateError);
    expect(() => store.markRunning(12345)).toThrow(new StoreStateError('run 12345 does not exist'));
  });

  it('failRun refuses done, failed and unknown runs', () => {
    const id = store.createSweep(newSweep());
    const [a, b] = store.listRuns({ sweepId: id });
    store.failRun(a.id, 'spec error before start');
    expect(() => store.failRun(a.id, 'again')).toThrow(/is failed and cannot be marked failed/);
    store.markRunning(b.id);
    store.completeRun(b.id, sampleResult(1, 1));
    expect(() => store.failRun(b.id, 'late')).toThrow(/is done and cannot be marked failed/);
    expect(store.getRun(b.id)?.status).toBe('done');
    expect(() => store.failRun(999, 'x')).toThrow('run 999 does not exist');
  });

  it('finishes a sweep only when nothing is queued or running; failures do not block', () => {
    const id = store.createSweep(newSweep());
    const [a, b, c] = store.listRuns({ sweepId: id });
    expect(store.finishSweep(id)).toBe(false);
    store.markRunning(a.id);
    store.completeRun(a.id, sampleResult(1, 1));
    store.markRunning(b.id);
    store.failRun(b.id, 'boom');
    store.markRunning(c.id);
    expect(store.finishSweep(id)).toBe(false);
    expect(store.getSweep(id)?.finishedAt).toBeNull();
    store.completeRun(c.id, sampleResult(1, 1));
    expect(store.finishSweep(id)).toBe(true);
    expect(store.getSweep(id)?.finishedAt).toMatch(/Z$/);
    expect(() => store.finishSweep(id + 10)).toThrow(StoreStateError);
  });

  it('lists runs by sweep, by ids, by both, or all', () => {
    const s1 = store.createSweep(newSweep());
    const s2 = store.createSweep(newSweep({ specHash: 'hash-2' }));
    const all = store.listRuns();
    expect(all).toHaveLength(6);
    const ids = all.map((r) => r.id);
    expect(store.listRuns({ runIds: [ids[4], ids[1], 777] }).map((r) => r.id)).toEqual([ids[1], ids[4]]);
    expect(store.listRuns({ runIds: [] })).toEqual([]);
    expect(store.listRuns({ sweepId: s2, runIds: [ids[1], ids[4]] }).map((r) => r.id)).toEqual([ids[4]]);
    expect(store.listRuns({ sweepId: s1 }).every((r) => r.sweepId === s1)).toBe(true);
    expect(store.runCounts(999)).toEqual({ queued: 0, running: 0, done: 0, failed: 0 });
  });
});
