import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ApiErrorsModule from '../../runner/api/api-errors.js';
import type * as StoreModule from '../../runner/store/store.js';
import type * as ManagerModule from '../../runner/sweeps/sweep-manager.js';
import type { SweepEnded, SweepSnapshot } from '../../runner/sweeps/sweep-manager.js';
import type * as PlanModule from '../../runner/sweeps/sweep-plan.js';
import { Store as SourceStore } from '../../runner/store/store.js';
import { REPO } from '../helpers/cli.js';
import { RunGate } from '../helpers/run-gate.js';

/**
 * The SweepManager as the desktop app's runner uses it: from the build (dist/, made by `npm test`'s
 * pretest step), because its runs simulate on worker threads that load dist/runner/sweeps/run-worker.js.
 * A RunGate holds each run after its simulation until the test releases it, so the test knows
 * which runs are done and which are running when it cancels: nothing here races the simulation.
 */
async function fromDist<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(REPO, 'dist/runner', path)).href)) as T;
}

const ARXIV = join(
  REPO,
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);
const REQUESTS = 10_000;
const RUNS = 12; // 2 rates x 2 seeds x 3 policies

const SPEC = [
  'name: manager',
  'machine: a100-llama2-7b',
  `requests: ${REQUESTS}`,
  'seeds: [1, 2]',
  'workloads:',
  '  - name: arxiv',
  '    lengths: { path: lengths.csv }',
  '    arrival: { process: poisson, rate: [3, 4] }',
  'policies: [{ policy: vllm }, { policy: sarathi }, { policy: fcfs }]',
  '',
].join('\n');

/** What the database holds for each run: status, results stored, and a digest of them. */
interface StoredRun {
  status: string;
  runKey: string;
  finishedAt: string | null;
  metricsRows: number;
  requestRows: number;
  seriesRows: number;
  metrics: string | null;
  finish: string;
}

function storedRuns(db: string): Map<number, StoredRun> {
  const conn = new Database(db, { readonly: true });
  try {
    const rows = conn
      .prepare(
        `SELECT r.id, r.status, r.run_key, r.finished_at, m.metrics_json,
           (SELECT count(*) FROM run_metrics WHERE run_id = r.id) AS metrics_rows,
           (SELECT coalesce(sum(length), 0) FROM run_columns WHERE run_id = r.id AND struct = 'requests' AND column_name = 'arrival_s') AS request_rows,
           (SELECT coalesce(sum(length), 0) FROM run_columns WHERE run_id = r.id AND struct = 'time_series' AND column_name = 't_s') AS series_rows
         FROM runs r LEFT JOIN run_metrics m ON m.run_id = r.id ORDER BY r.id`,
      )
      .all() as {
      id: number;
      status: string;
      run_key: string;
      finished_at: string | null;
      metrics_json: string | null;
      metrics_rows: number;
      request_rows: number;
      series_rows: number;
    }[];
    // Finish times as the row tables before schema 11 gave them (NaN as null); none unless done.
    const reader = SourceStore.open(db, { readonly: true });
    const finish = (r: { id: number; status: string }): (number | null)[] =>
      r.status === 'done'
        ? Array.from(reader.getRequestRecords(r.id).finish, (x) => (Number.isNaN(x) ? null : x))
        : [];
    try {
      return new Map(
        rows.map((r) => [
          r.id,
          {
            status: r.status,
            runKey: r.run_key,
            finishedAt: r.finished_at,
            metricsRows: r.metrics_rows,
            requestRows: r.request_rows,
            seriesRows: r.series_rows,
            metrics: r.metrics_json,
            finish: JSON.stringify(finish(r)),
          },
        ]),
      );
    } finally {
      reader.close();
    }
  } finally {
    conn.close();
  }
}

/** Every run's results are stored whole (done) or not at all (any other status). */
function expectNothingHalfStored(runs: Map<number, StoredRun>): void {
  for (const [id, run] of runs) {
    if (run.status === 'done') {
      expect([id, run.metricsRows, run.requestRows]).toEqual([id, 1, REQUESTS]);
      expect(run.seriesRows, `run ${id}`).toBeGreaterThan(0);
    } else {
      expect([id, run.metricsRows, run.requestRows, run.seriesRows]).toEqual([id, 0, 0, 0]);
    }
  }
}

function statusCounts(runs: Map<number, StoredRun>): Record<string, number> {
  const counts: Record<string, number> = { queued: 0, running: 0, done: 0, failed: 0 };
  for (const run of runs.values()) counts[run.status]++;
  return counts;
}

let Store: typeof StoreModule.Store;
let SweepManager: typeof ManagerModule.SweepManager;
let planSweep: typeof PlanModule.planSweep;
let planSweepText: typeof PlanModule.planSweepText;
let errorOut: typeof ApiErrorsModule.errorOut;
const cleanup: string[] = [];

beforeAll(async () => {
  ({ Store } = await fromDist<typeof StoreModule>('store/store.js'));
  ({ SweepManager } = await fromDist<typeof ManagerModule>('sweeps/sweep-manager.js'));
  ({ planSweep, planSweepText } = await fromDist<typeof PlanModule>('sweeps/sweep-plan.js'));
  ({ errorOut } = await fromDist<typeof ApiErrorsModule>('api/api-errors.js'));
});
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * Resolves once `condition` holds, looking again after each `progress` event of `manager` and
 * each change at `gate` (no polling, no sleep); the timeout only turns a hang into a failure.
 */
function until(
  manager: InstanceType<typeof SweepManager>,
  gate: RunGate,
  what: string,
  condition: () => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(timer);
      manager.off('progress', check);
      offGate();
    };
    const check = (): void => {
      if (!condition()) return;
      stop();
      resolve();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${what}`));
    }, 90_000);
    manager.on('progress', check);
    const offGate = gate.onChange(check);
    check();
  });
}

describe('SweepManager: background sweeps with live progress, cancel and resume', () => {
  it('runs a sweep in the background, cancels it mid-way, resumes it to the end, refuses a changed trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-manager-'));
    cleanup.push(dir);
    writeFileSync(join(dir, 'lengths.csv'), readFileSync(ARXIV));
    const specFile = join(dir, 'manager.yaml');
    writeFileSync(specFile, SPEC);
    const db = join(dir, 'manager.db');

    const plan = planSweep(specFile);
    expect(planSweepText(SPEC, { file: 'editor.yaml', dir }).specHash).toBe(plan.specHash);

    const store = Store.open(db);
    // Every run waits at the gate after its simulation until the test releases it.
    const gate = new RunGate();
    const manager = new SweepManager(store, { jobs: 2, runGate: gate.gate });
    const events: { at: number; snapshot: SweepSnapshot }[] = [];
    const ended: SweepEnded[] = [];
    manager.on('progress', (snapshot) => events.push({ at: performance.now(), snapshot }));
    manager.on('ended', (e) => ended.push(e));
    const next = (predicate: (s: SweepSnapshot) => boolean, what: string): Promise<SweepSnapshot> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no progress event with ${what} in 90 s`)), 90_000);
        const listener = (s: SweepSnapshot): void => {
          if (!predicate(s)) return;
          clearTimeout(timer);
          manager.off('progress', listener);
          resolve(s);
        };
        manager.on('progress', listener);
      });
    /** Whether run `id` is live in the sweep's snapshot with a progress report of finished requests. */
    const reported = (id: number): boolean =>
      manager.snapshot(1).live.some((l) => l.runId === id && l.finished > 0);
    /** Waits until `count` runs wait at the gate, each live with a progress report; returns their ids. */
    const heldRuns = async (count: number): Promise<number[]> => {
      await until(manager, gate, `${count} runs at the gate, with progress`, () => {
        const held = gate.held();
        return held.length === count && held.every(reported);
      });
      return gate.held();
    };

    // Start: resolves once the sweep is stored and its runs are starting.
    const started = await manager.start(plan);
    expect(started).toEqual({ sweepId: 1, resumed: false });
    expect(manager.activeSweeps()).toEqual([1]);
    expect(manager.snapshot(1)).toMatchObject({ sweepId: 1, name: 'manager', active: true, total: RUNS });
    await expect(manager.start(plan)).rejects.toMatchObject({ name: 'SweepStateError', reason: 'active' });
    await expect(manager.resume(1)).rejects.toMatchObject({ name: 'SweepStateError', reason: 'active' });
    // Another process (here another manager on its own connection) is refused while this one runs
    // it: the sweep's lease names this process; the API reports it as a conflict.
    const otherStore = Store.open(db);
    const other = new SweepManager(otherStore, { jobs: 1 });
    const busy = await other.start(plan).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(busy).toMatchObject({ name: 'SweepBusyError', sweepId: 1 });
    expect(errorOut(busy)).toMatchObject({ code: 'conflict' });
    expect(errorOut(busy).message).toMatch(new RegExp(`^sweep 1 is being run by PID ${process.pid} on `));
    await expect(other.resume(1)).rejects.toMatchObject({ name: 'SweepBusyError' });
    expect(() => otherStore.deleteSweep(1)).toThrow(/sweep 1 is being run by PID/);
    await other.close();
    otherStore.close();

    // Two runs at once: let the first two end, then one more, so that 3 runs are done.
    const [first, second] = await heldRuns(2);
    gate.release(first!);
    gate.release(second!);
    await until(manager, gate, '2 runs done', () => manager.snapshot(1).done === 2);
    const [third, fourth] = await heldRuns(2);
    gate.release(third!);

    // Cancel with 3 runs done, one run simulated and held at the gate, and the run started after
    // the third ended (simulating on its worker thread, or at the gate already: interrupted either way).
    await until(
      manager,
      gate,
      '3 runs done and 2 running',
      () => manager.snapshot(1).done === 3 && manager.snapshot(1).live.length === 2,
    );
    const midway = manager.snapshot(1);
    expect(midway).toMatchObject({ active: true, done: 3, failed: 0, running: 2, queued: RUNS - 5 });
    expect(midway.etaS).toBeGreaterThan(0);
    expect(gate.held()).toContain(fourth);
    const runningBefore = midway.live.map((l) => l.runId);
    expect(runningBefore).toContain(fourth);
    expect(await manager.cancel(1)).toBe(true);
    expect(await manager.cancel(1)).toBe(false);
    expect(gate.held()).toEqual([]);
    expect(manager.activeSweeps()).toEqual([]);
    expect(ended).toEqual([{ sweepId: 1, cancelled: true, done: 3, failed: 0 }]);

    const cancelled = storedRuns(db);
    expect(statusCounts(cancelled)).toEqual({ queued: RUNS - 3, running: 0, done: 3, failed: 0 });
    expect([...cancelled].filter(([, r]) => r.status === 'done').map(([id]) => id)).toEqual(
      [first!, second!, third!].sort((a, b) => a - b),
    );
    // The runs that were running when the cancel came were interrupted and queued again.
    expect(runningBefore.map((id) => cancelled.get(id)?.status)).toEqual(['queued', 'queued']);
    expectNothingHalfStored(cancelled);
    expect(store.getSweep(1)?.finishedAt).toBeNull();
    expect(manager.snapshot(1)).toMatchObject({ active: false, etaS: null, live: [], running: 0 });

    // Resume, with the gate open: plans the stored spec again and executes the runs not done.
    gate.open();
    expect(await manager.resume(1)).toEqual({ sweepId: 1, resumed: true });
    await next((s) => !s.active, 'the end of the resumed execution');
    expect(ended.at(-1)).toEqual({ sweepId: 1, cancelled: false, done: RUNS, failed: 0 });
    const resumed = storedRuns(db);
    expect(statusCounts(resumed)).toEqual({ queued: 0, running: 0, done: RUNS, failed: 0 });
    expect(new Set([...resumed.values()].map((r) => r.runKey)).size).toBe(RUNS);
    expectNothingHalfStored(resumed);
    for (const [id, run] of cancelled) {
      if (run.status === 'done') expect(resumed.get(id), `run ${id}`).toEqual(run);
    }
    expect(store.getSweep(1)?.finishedAt).not.toBeNull();

    // Starting the same spec again resumes the sweep with nothing to run: `ended` comes after start.
    const endedBefore = ended.length;
    const finished = next((s) => !s.active, 'the end of an empty execution');
    expect(await manager.start(plan)).toEqual({ sweepId: 1, resumed: true });
    expect(ended).toHaveLength(endedBefore);
    await finished;
    expect(ended.slice(endedBefore)).toEqual([{ sweepId: 1, cancelled: false, done: RUNS, failed: 0 }]);
    expect(storedRuns(db)).toEqual(resumed);

    // The progress events: live runs with their queue and throughput, an ETA once runs ended,
    // and at most 4 per second apart from those at run ends (SWEEP_PROGRESS_INTERVAL_MS: a lower
    // bound on the gaps, which a slow machine only widens).
    const live = events.flatMap((e) => e.snapshot.live);
    expect(live.length).toBeGreaterThan(0);
    expect(live.some((l) => l.throughputTokS > 0 && l.finished > 0 && l.simTimeS > 0)).toBe(true);
    expect(live.some((l) => l.queueLength > 0)).toBe(true);
    expect(live.every((l) => l.total === REQUESTS && l.finished <= l.total)).toBe(true);
    expect(live.some((l) => l.kvBlocks > 0 && l.running > 0)).toBe(true);
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1], events[i]];
      const runEnded = b.snapshot.done + b.snapshot.failed !== a.snapshot.done + a.snapshot.failed;
      if (a.snapshot.active && b.snapshot.active && !runEnded) {
        expect(b.at - a.at, `events ${i - 1} and ${i}`).toBeGreaterThanOrEqual(200);
      }
    }

    // The trace changed since: resuming (or starting the same spec) is refused, nothing runs.
    const rows = readFileSync(join(dir, 'lengths.csv'), 'utf8').trimEnd().split('\n');
    const edited = rows.map((row, i) => {
      if (i === 0) return row;
      const [prefill, decode, ...rest] = row.split(',');
      return [prefill, String(Number(decode) + 1), ...rest].join(',');
    });
    writeFileSync(join(dir, 'lengths.csv'), `${edited.join('\n')}\n`);
    await expect(manager.resume(1)).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/sweep 1 cannot be resumed: .*a trace or lengths file it reads changed/),
    });
    await expect(manager.start(planSweep(specFile))).rejects.toMatchObject({ name: 'InputError' });
    expect(manager.activeSweeps()).toEqual([]);
    expect(statusCounts(storedRuns(db))).toEqual({ queued: 0, running: 0, done: RUNS, failed: 0 });
    await expect(manager.resume(99)).rejects.toMatchObject({ name: 'SweepStateError', reason: 'not-found' });

    await manager.close();
    await expect(manager.start(plan)).rejects.toMatchObject({ reason: 'closed' });
    store.close();
  }, 180_000);

  it('close() cancels every active sweep and leaves its runs queued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-manager-close-'));
    cleanup.push(dir);
    writeFileSync(join(dir, 'lengths.csv'), readFileSync(ARXIV));
    const store = Store.open(join(dir, 'close.db'));
    const gate = new RunGate();
    const manager = new SweepManager(store, { jobs: 1, runGate: gate.gate });
    const ended: SweepEnded[] = [];
    manager.on('ended', (e) => ended.push(e));
    const { sweepId } = await manager.start(planSweepText(SPEC, { file: 'editor.yaml', dir }));
    expect(store.getSweep(sweepId)?.specPath).toBe(join(dir, 'editor.yaml'));
    // Closed while its first run waits at the gate: that run is interrupted, none is done.
    await until(manager, gate, 'the first run at the gate', () => gate.held().length === 1);
    await manager.close();
    expect(manager.activeSweeps()).toEqual([]);
    expect(ended).toEqual([{ sweepId, cancelled: true, done: 0, failed: 0 }]);
    expect(store.runCounts(sweepId)).toEqual({ queued: RUNS, running: 0, done: 0, failed: 0 });
    expectNothingHalfStored(storedRuns(join(dir, 'close.db')));

    // A new manager (after a restart) resumes the editor's sweep from its stored text and directory.
    const after = new SweepManager(store, { jobs: 2 });
    const done = new Promise<SweepEnded>((resolve) => after.once('ended', resolve));
    expect(await after.resume(sweepId)).toEqual({ sweepId, resumed: true });
    expect(await done).toEqual({ sweepId, cancelled: false, done: RUNS, failed: 0 });
    await after.close();
    store.close();
  }, 180_000);
});
