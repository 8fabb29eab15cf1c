import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../../runner/metrics/run-result.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep, type SweepProgress } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';
import { isStoreFault, retryWhileBusy, StoreFaultError } from '../../../runner/sweeps/store-fault.js';

// docs/decisions.md, "A store failure never fails another run".

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** 4 small runs in this thread, and a store in a fresh folder. */
function setup(): { store: Store; file: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-store-fault-'));
  cleanup.push(dir);
  const file = join(dir, 'fault.yaml');
  writeFileSync(
    file,
    [
      'name: fault',
      'machine: a100-llama2-7b',
      'requests: 200',
      'seeds: [1, 2]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  const db = join(dir, 'fault.db');
  return { store: Store.open(db), file, db };
}

const sqliteError = (code: string, message: string) => new Database.SqliteError(message, code);

/** Makes the `nth` call (1-based) of `method` throw `error` (once), others pass through. */
function failNth(store: Store, method: 'markRunning' | 'completeRun', nth: number, error: () => Error): void {
  const real = store[method].bind(store) as (...a: unknown[]) => void;
  let calls = 0;
  (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    calls++;
    if (calls === nth) throw error();
    real(...args);
  };
}

describe('executeSweep and a store fault', () => {
  it('disk full while storing a result: one StoreFaultError, no run failed, none left running; a re-run completes', async () => {
    const { store, file, db } = setup();
    const plan = planSweep(file);
    failNth(store, 'completeRun', 2, () => sqliteError('SQLITE_FULL', 'database or disk is full'));
    const events: SweepProgress[] = [];
    const error = await executeSweep(plan, store, { jobs: 1, onProgress: (p) => events.push(p) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreFaultError);
    const message = (error as Error).message;
    expect(message).toBe(
      `database ${db}: disk full (SQLITE_FULL) while storing run 2; the sweep stopped, 1 run(s) done are kept; free space and run it again to resume`,
    );
    expect(events.map((e) => e.kind)).toEqual(['start', 'done', 'start', 'requeued']);
    const sweepId = store.listSweeps()[0].id;
    expect(store.runCounts(sweepId)).toEqual({ queued: 3, running: 0, done: 1, failed: 0 });

    const again = await executeSweep(plan, store, { jobs: 1 });
    expect(again).toMatchObject({ resumed: true, alreadyDone: 1, done: 3, failed: 0, cancelled: false });
    expect(store.runCounts(sweepId)).toEqual({ queued: 0, running: 0, done: 4, failed: 0 });
    store.close();
  });

  it('an I/O error claiming a run stops the sweep before it starts more', async () => {
    const { store, file } = setup();
    const plan = planSweep(file);
    failNth(store, 'markRunning', 3, () => sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'));
    const error = await executeSweep(plan, store, { jobs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreFaultError);
    expect((error as Error).message).toMatch(
      /: I\/O error \(SQLITE_IOERR_WRITE\) while storing run 3; the sweep stopped, 2 run\(s\) done are kept; fix the cause/,
    );
    const sweepId = store.listSweeps()[0].id;
    expect(store.runCounts(sweepId)).toEqual({ queued: 2, running: 0, done: 2, failed: 0 });
    store.close();
  });

  it('a run whose own result cannot be stored (a NaN metric) fails with that reason, the others go on', async () => {
    const { store, file } = setup();
    const plan = planSweep(file);
    const real = store.completeRun.bind(store);
    let calls = 0;
    store.completeRun = (runId: number, result: RunResult) => {
      calls++;
      if (calls === 2) {
        const key = Object.keys(result.metrics)[0];
        result = { ...result, metrics: { ...result.metrics, [key]: Number.NaN } };
      }
      real(runId, result);
    };
    const outcome = await executeSweep(plan, store, { jobs: 1 });
    expect(outcome).toMatchObject({ done: 3, failed: 1, cancelled: false });
    const failedRun = store.listRuns({ sweepId: outcome.sweepId }).find((r) => r.status === 'failed');
    expect(failedRun?.id).toBe(2);
    expect(failedRun?.error).toMatch(/NaN|finite/i);
    store.close();
  });

  it('SQLITE_BUSY is retried within the bound, then is a fault', async () => {
    const { store, file, db } = setup();
    const plan = planSweep(file);
    const busy = () => sqliteError('SQLITE_BUSY', 'database is locked');
    failNth(store, 'completeRun', 1, busy);
    failNth(store, 'completeRun', 2, busy); // the 1st and 2nd tries of run 1 are busy, the 3rd stores it
    const outcome = await executeSweep(plan, store, { jobs: 1, storeBusyWaitMs: 5000 });
    expect(outcome).toMatchObject({ done: 4, failed: 0 });

    const second = setup();
    second.store.markRunning = () => {
      throw busy();
    };
    const started = Date.now();
    const error = await executeSweep(planSweep(second.file), second.store, {
      jobs: 1,
      storeBusyWaitMs: 300,
    }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(StoreFaultError);
    expect((error as Error).message).toMatch(
      /locked by another process for too long \(SQLITE_BUSY\) while storing run 1; the sweep stopped, 0 run\(s\) done are kept; stop the other process/,
    );
    second.store.close();
    store.close();
    expect(db).toBeTruthy();
  });
});

describe('store-fault helpers', () => {
  it('tells database faults from errors of the data', () => {
    expect(isStoreFault(sqliteError('SQLITE_FULL', 'x'))).toBe(true);
    expect(isStoreFault(sqliteError('SQLITE_IOERR_FSYNC', 'x'))).toBe(true);
    expect(isStoreFault(sqliteError('SQLITE_READONLY', 'x'))).toBe(true);
    expect(isStoreFault(sqliteError('SQLITE_CONSTRAINT_CHECK', 'x'))).toBe(false);
    expect(isStoreFault(new Error('run 3: metric ttft_mean must be finite'))).toBe(false);
  });

  it('retryWhileBusy gives up at once on other errors, and returns at once on success', () => {
    let tries = 0;
    // The first try is synchronous: a non-busy error is thrown there, a success returned there.
    expect(() =>
      retryWhileBusy(() => {
        tries++;
        throw sqliteError('SQLITE_FULL', 'full');
      }, 10_000),
    ).toThrow('full');
    expect(tries).toBe(1);
    expect(retryWhileBusy(() => 7, 10_000)).toBe(7);
  });
});
