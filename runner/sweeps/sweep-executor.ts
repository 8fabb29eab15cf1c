import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { EngineProgress } from '../engine/engine-progress.js';
import type { RunResult } from '../metrics/run-result.js';
import { stableJson } from '../stable-json.js';
import {
  requestRecordsOf,
  type EncodedRunResult,
  type StorableRunResult,
} from '../store/encoded-run-result.js';
import type { NewRun, RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import { WorkerError } from '../workers/worker-client.js';
import type { WorkerRun } from '../workers/worker-run.js';
import type { Machine } from '../machines/machine.js';
import { WorkerPool, type WorkerReservation } from './worker-pool.js';
import { describeWorkerMachine } from '../workers/start-worker.js';
import { executeRun, type RunTask } from './run-task.js';
import { startRunThreads } from './run-threads.js';
import { PROGRESS_END, type WorkerTask } from './run-worker.js';
import { executeRunOnWorker } from './execute-run-on-worker.js';
import { runTaskOf, type PlannedMachine, type PlannedRun, type SweepPlan } from './sweep-plan.js';
import { capacitySearchState, probeRunsAt, storedDoneRuns } from './capacity-probes.js';
import { Lanes } from './lanes.js';
import { isStoreFault, retryWhileBusy, storeBusyWaitMs, StoreFaultError } from './store-fault.js';
import { leaseClaimOf, SweepLease } from './sweep-lease.js';
import type { SweepBusyError } from '../store/sweep-busy-error.js';
import type { SweepLeaseRow } from '../store/sweep-lease-row.js';
import { maxCapacityProbes, type ProbeVerdict } from '../metrics/capacity-search.js';

/**
 * A progress event of a running sweep: a run started, ended (`done` or `failed`), or was
 * interrupted by a cancel (`requeued`: it goes back to the queue, nothing of it is stored).
 */
export interface SweepProgress {
  kind: 'start' | 'done' | 'failed' | 'requeued';
  /** Runs of the sweep to execute in this invocation, and how many of them have ended (done or failed). */
  total: number;
  ended: number;
  failed: number;
  running: number;
  runId: number;
  /** `policy workload rate seed` of the run concerned, and `on WORKER` for a run on a GPU worker. */
  label: string;
  /** The GPU worker a run executes on (`start` events of runs on a worker machine). */
  worker?: string;
  /** Requests the run simulates (`start` events), so a live view can show its progress out of them. */
  requests?: number;
  /** Wall seconds of the run's simulation (done) or the error (failed). */
  simWallS?: number;
  error?: string;
}

/** Outcome of executeSweep. */
export interface SweepOutcome {
  sweepId: number;
  /** True when the spec matched a sweep already in the database (a resume). */
  resumed: boolean;
  /** Runs already done before this invocation. */
  alreadyDone: number;
  /** Runs of this invocation that ended done, and failed. */
  done: number;
  failed: number;
  /**
   * True when the signal stopped the invocation before every run ended: the runs it interrupted
   * and those it never started are `queued`, and the sweep is not marked finished.
   */
  cancelled: boolean;
}

/** Options of executeSweep. */
export interface ExecuteOptions {
  /** Runs simulated at once; 1 runs in this thread, more use worker threads. */
  jobs: number;
  /**
   * Simulate on worker threads even with one job, so that this thread stays responsive and a
   * cancel interrupts a run at once (a long-running process sets it). Needs the build, as jobs > 1.
   */
  workerThreads?: boolean;
  /**
   * Worker threads the caller started ahead of planning (startRunThreads, run-threads.ts), used
   * instead of starting new ones when the sweep simulates on threads; the caller destroys them.
   * Their maxThreads must be at least `jobs`.
   */
  threads?: Piscina;
  /**
   * Cancels the invocation: no run starts after it fires; runs simulating on worker threads are
   * interrupted (their thread is terminated), a GPU worker is stopped (its run is interrupted),
   * and a run simulating in this thread finishes first (nothing can interrupt it). Interrupted
   * runs go back to `queued`, never `failed`; a run that ended is stored as usual.
   */
  signal?: AbortSignal;
  /**
   * Called once the runs to execute are known, before the first starts; `lanes` is how many run
   * at once.
   */
  onBegin?: (info: {
    sweepId: number;
    resumed: boolean;
    alreadyDone: number;
    total: number;
    lanes: number;
  }) => void;
  onProgress?: (p: SweepProgress) => void;
  /**
   * Live progress of each running run (EngineProgress), about 4 times per second per run at most;
   * a report can arrive shortly after the run's `done` event (worker threads), which callers
   * ignore. Runs simulating in this thread report while they block it: the callback runs, but
   * nothing else does until the run ends. Whatever it throws fails the run.
   */
  onRunProgress?: (runId: number, p: EngineProgress) => void;
  /**
   * Awaited after each run's simulation, before its result is stored; absent, results are stored
   * as soon as they exist. A test holds runs with it to decide when each may end (the sweep
   * manager's cancel test, test/e2e/sweep-manager.test.ts), instead of racing the simulation.
   * It must reject once `signal` aborts (the run is then interrupted and queued again, its result
   * dropped), else a cancel waits for it; any other rejection fails the run.
   */
  runGate?: (runId: number, signal: AbortSignal | undefined) => Promise<void>;
  /**
   * How long a store write failing with SQLITE_BUSY is retried before it is a fault, ms
   * (storeBusyWaitMs(): 30 s, or SCHEDBENCH_STORE_BUSY_WAIT_MS in tests).
   */
  storeBusyWaitMs?: number;
  /**
   * When another process holds the sweep's lease (it is executing the sweep), wait for it to end
   * instead of rejecting with SweepBusyError; `signal` stops the wait.
   */
  waitForLease?: boolean;
  /** Called once when the invocation starts waiting for the lease, with its holder. */
  onLeaseWait?: (holder: SweepLeaseRow) => void;
  /** The lease's heartbeat period, ms (LEASE_HEARTBEAT_MS; tests shorten it). */
  leaseHeartbeatMs?: number;
}

/** How a planned run is stored. */
export function newRunOf(plan: SweepPlan, run: PlannedRun): NewRun {
  const w = plan.workloads[run.workloadIndex];
  const { policy, ...params } = run.policy;
  return {
    runKey: run.runKey,
    workload: w.label,
    workloadJson: stableJson(w.spec),
    policy,
    paramsJson: stableJson(params),
    seed: run.seed,
    rate: w.rate,
    machine: plan.machines[run.machineIndex].machine.name,
  };
}

/**
 * The document stored as a sweep's `machine_json` (read back by stored-machine-spec.ts): its first
 * machine, and with a `machine` list every machine in `machines` (the first one again first).
 */
export function sweepMachineDocument(plan: SweepPlan): Record<string, unknown> {
  const documents = plan.machines.map((pm) => machineDocument(plan, pm));
  return Array.isArray(plan.spec.machine) ? { ...documents[0], machines: documents } : documents[0];
}

/** One machine's stored document: the resolved Machine, its spec reference and the token model. */
function machineDocument(plan: SweepPlan, { ref, machine }: PlannedMachine): Record<string, unknown> {
  return {
    name: machine.name,
    description: machine.description,
    ref,
    kvCapacityBlocks: machine.kvCapacityBlocks,
    blockSize: machine.blockSize,
    iterationTime: machine.iterationTime.describe(),
    linear: machine.linear,
    tokenModel: plan.spec.tokenModel,
    ...(machine.worker
      ? {
          worker: {
            ...machine.worker,
            machine: machine.worker.machine.name,
            reachedBy: describeWorkerMachine(machine.worker.machine),
          },
        }
      : {}),
    ...(machine.pool
      ? {
          pool: machine.pool.map((run) => ({
            machine: run.machine.name,
            reachedBy: describeWorkerMachine(run.machine),
          })),
        }
      : {}),
  };
}

/**
 * Stores a sweep (or finds the one with the same spec hash) and executes every run not done
 * yet: queued runs, failed runs (retried), and runs a killed process left `running`. Each result
 * is stored in one transaction that also marks its run done, so a sweep killed (or cancelled
 * with `opts.signal`) at any point resumes with no run lost or duplicated. The sweep is marked
 * finished (finishSweep) when every run ended, not when the invocation was cancelled.
 * @param plan a validated plan (planSweep, planSweepText)
 * @param store an open store
 *
 * One writer per sweep: the invocation holds the sweep's lease (SweepLease) from before anything
 * of the sweep is requeued until it returns; a sweep another live process holds is refused
 * (SweepBusyError) or, with `opts.waitForLease`, waited for. A new sweep is stored together with
 * its lease; a process that loses the race to store the same spec resumes the winner's sweep.
 *
 * A store write failing because of the database (StoreFaultError: disk full, I/O error, a lock held
 * by another process past `opts.storeBusyWaitMs`, read-only file...) stops the invocation as a
 * cancel does, except that runs in flight are interrupted at once and their results dropped: no
 * run starts after it, no run is failed for it, the interrupted runs are queued again (when the
 * store still can; else the next invocation's requeueInterruptedRuns does it). A run whose own
 * result cannot be stored (completeRun rejects it: a NaN metric...) fails with that reason.
 * @throws StoreFaultError naming the database file and the cause, after a store fault
 * @throws SweepBusyError naming the holder (PID, host, since) when another live process holds the
 *   sweep's lease (nothing of the sweep changed), or took it over while this one was stalled past
 *   the lease's time to live (runs in flight are dropped, nothing is requeued)
 * @throws Error when worker threads are needed and the build is missing (nothing has run then)
 */
export async function executeSweep(
  plan: SweepPlan,
  store: Store,
  opts: ExecuteOptions,
): Promise<SweepOutcome> {
  const busyWaitMs = opts.storeBusyWaitMs ?? storeBusyWaitMs();
  let setupSweepId: number | undefined;
  try {
    return await executeSweepIn(plan, store, opts, busyWaitMs, (id) => (setupSweepId = id));
  } catch (err) {
    if (err instanceof StoreFaultError || !isStoreFault(err)) throw err;
    // A fault before any run started (storing the sweep, requeueing, listing its runs).
    throw new StoreFaultError(
      store.file,
      err,
      undefined,
      setupSweepId === undefined ? undefined : countDoneOf(store, setupSweepId),
    );
  }
}

async function executeSweepIn(
  plan: SweepPlan,
  store: Store,
  opts: ExecuteOptions,
  busyWaitMs: number,
  setSweepId: (id: number) => void,
): Promise<SweepOutcome> {
  const { sweepId, resumed, lease } = await claimSweep(plan, store, opts, busyWaitMs, setSweepId);
  try {
    // Only the lease's holder requeues the runs a killed process left `running`.
    if (resumed) await retryWhileBusy(() => store.requeueInterruptedRuns(sweepId), busyWaitMs);
    return await executeLeased(plan, store, opts, busyWaitMs, sweepId, resumed, lease);
  } finally {
    lease.release();
  }
}

/** How {@link claimSweep} waits for a busy sweep. */
export type ClaimOptions = Pick<
  ExecuteOptions,
  'waitForLease' | 'signal' | 'onLeaseWait' | 'leaseHeartbeatMs'
>;

/**
 * Stores a plan's sweep with its lease, or finds the sweep of the same spec, takes its lease and
 * adds the runs it lacks (a capacity search's probes, runs of a grid grown since); the first step of
 * every executor (executeSweep, executeSweepOnSlurm). The caller releases the lease.
 * @param setSweepId told the sweep's id as soon as it is known (for fault messages)
 * @returns the sweep's id, whether it was stored before (a resume), and the held lease (its
 *   heartbeat not started)
 * @throws SweepBusyError when another live process holds the lease (see SweepLease.acquire)
 * @throws the store's SQLite errors (store faults)
 */
export async function claimSweep(
  plan: SweepPlan,
  store: Store,
  opts: ClaimOptions,
  busyWaitMs: number,
  setSweepId: (id: number) => void = () => undefined,
): Promise<{ sweepId: number; resumed: boolean; lease: SweepLease }> {
  const newRuns = plan.runs.map((r) => newRunOf(plan, r));
  const claim = leaseClaimOf(store);
  let existing = store.findSweepByHash(plan.specHash);
  if (!existing) {
    const input: Parameters<Store['createSweep']>[0] = {
      name: plan.spec.name,
      specYaml: plan.specYaml,
      specJson: stableJson(plan.spec),
      specHash: plan.specHash,
      specPath: plan.specPath,
      machineJson: stableJson(sweepMachineDocument(plan)),
      runs: newRuns,
    };
    try {
      // The new sweep and its lease are stored in one transaction.
      const sweepId = await retryWhileBusy(() => store.createSweep(input, claim), busyWaitMs);
      setSweepId(sweepId);
      return { sweepId, resumed: false, lease: new SweepLease(store, sweepId, claim, opts.leaseHeartbeatMs) };
    } catch (error) {
      // Another process stored the same spec first: this one resumes that sweep like any other.
      existing = store.findSweepByHash(plan.specHash);
      if (!existing) throw error;
    }
  }
  const sweepId = existing.id;
  setSweepId(sweepId);
  // The lease comes first: only its holder adds runs, and requeues the runs left `running`.
  const lease = await SweepLease.acquire(store, sweepId, claim, {
    wait: opts.waitForLease,
    signal: opts.signal,
    onWait: opts.onLeaseWait,
    heartbeatMs: opts.leaseHeartbeatMs,
    busyWaitMs,
  });
  try {
    await retryWhileBusy(() => store.addMissingRuns(sweepId, newRuns), busyWaitMs);
  } catch (error) {
    lease.release();
    throw error;
  }
  return { sweepId, resumed: true, lease };
}

/** executeSweep once the sweep is stored and its lease held. */
async function executeLeased(
  plan: SweepPlan,
  store: Store,
  opts: ExecuteOptions,
  busyWaitMs: number,
  sweepId: number,
  resumed: boolean,
  lease: SweepLease,
): Promise<SweepOutcome> {
  const alreadyDone = store.runCounts(sweepId).done;
  const byKey = new Map(plan.runs.map((r) => [r.runKey, r]));
  const pending = store.pendingRuns(sweepId).filter((row) => byKey.has(row.runKey));
  // Capacity searches add their probes as they go: `total` counts the most probe runs each
  // search can still need, and shrinks when a search ends early.
  const searchBudget = plan.searches.map((s) => maxCapacityProbes(s.settings) * s.seeds.length);
  let total = pending.length + searchBudget.reduce((a, b) => a + b, 0);
  let ended = 0;
  let failed = 0;
  let running = 0;
  // A store fault stops the invocation through `halt`: `signal` aborts on a cancel or a fault.
  const halt = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, halt.signal]) : halt.signal;
  let fault: { error: unknown; runId: number | undefined } | undefined;
  /** Records the first store fault and stops the invocation; returns `error`. */
  const faulted = (error: unknown, runId: number | undefined): unknown => {
    fault ??= { error, runId };
    halt.abort(error);
    return error;
  };
  // Another process took the lease over (this one stalled past its time to live): stop at once,
  // store nothing more, and leave the sweep's runs to the new holder.
  let lost: SweepBusyError | undefined;
  lease.start((error) => {
    lost ??= error;
    halt.abort(error);
  });
  /** A store write, retried while busy; a failure of it is a fault. */
  const write = <T>(runId: number | undefined, fn: () => T): T | Promise<T> => {
    try {
      const done = retryWhileBusy(fn, busyWaitMs);
      return done instanceof Promise
        ? done.catch((error: unknown) => {
            throw faulted(error, runId);
          })
        : done;
    } catch (error) {
      throw faulted(error, runId);
    }
  };

  // Simulated runs execute in `simLanes` concurrent slots: on worker threads for more than one
  // lane (or when asked), else in this thread. A GPU worker serves one run at a time, driven from
  // this thread: each worker machine has its own lane, beside the simulated ones.
  const simulated = plan.machines.some((pm) => !pm.machine.worker);
  const simLanes = simulated ? Math.max(1, Math.min(opts.jobs, total)) : 0;
  const workerMachines = plan.machines.flatMap((pm, i) => (pm.machine.worker ? [i] : []));
  // A worker machine serves as many runs at once as it has workers (a pool), one per worker.
  const workersOf = (i: number): WorkerRun[] =>
    plan.machines[i].machine.pool ?? [plan.machines[i].machine.worker!];
  const lanes = Math.max(1, simLanes + workerMachines.reduce((n, i) => n + workersOf(i).length, 0));
  const threads = simulated && total > 0 && (simLanes > 1 || opts.workerThreads === true);
  opts.onBegin?.({ sweepId, resumed, alreadyDone, total, lanes });

  const taskOf = (row: RunRow): RunTask => runTaskOf(plan, byKey.get(row.runKey)!, row.id);
  const labelOf = (row: RunRow, worker?: string): string =>
    `${row.policy} ${row.workload} rate=${row.rate ?? '-'} seed=${row.seed}` +
    (worker === undefined ? '' : ` on ${worker}`);
  const started = async (row: RunRow, requests: number, worker?: string): Promise<void> => {
    const marked = write(row.id, () => store.markRunning(row.id));
    if (marked instanceof Promise) await marked;
    running++;
    opts.onProgress?.({
      kind: 'start',
      total,
      ended,
      failed,
      running,
      runId: row.id,
      label: labelOf(row, worker),
      ...(worker === undefined ? {} : { worker }),
      requests,
    });
  };
  /** Stores a run's end; returns its result when stored done. */
  const finished = async (
    row: RunRow,
    result: StorableRunResult | undefined,
    error: unknown,
  ): Promise<StorableRunResult | undefined> => {
    if (result) {
      const stored = result;
      try {
        const storing = retryWhileBusy(() => store.completeRun(row.id, stored), busyWaitMs);
        if (storing instanceof Promise) await storing;
      } catch (e) {
        if (isStoreFault(e)) throw faulted(e, row.id);
        // The run's own result cannot be stored (a NaN metric...): the run fails with that reason.
        error = e;
        result = undefined;
      }
    }
    if (result) {
      running--;
      ended++;
      opts.onProgress?.({
        kind: 'done',
        total,
        ended,
        failed,
        running,
        runId: row.id,
        label: labelOf(row),
        simWallS: result.metrics.sim_wall_s ?? 0,
      });
    } else {
      const message = error instanceof Error ? error.message : String(error);
      const failing = write(row.id, () => store.failRun(row.id, message));
      if (failing instanceof Promise) await failing;
      running--;
      ended++;
      failed++;
      opts.onProgress?.({
        kind: 'failed',
        total,
        ended,
        failed,
        running,
        runId: row.id,
        label: labelOf(row),
        error: message,
      });
    }
    return result;
  };
  const interrupted = (row: RunRow): void => {
    running--;
    opts.onProgress?.({
      kind: 'requeued',
      total,
      ended,
      failed,
      running,
      runId: row.id,
      label: labelOf(row),
    });
  };

  const sessions = new Map(workerMachines.map((i) => [i, new WorkerPool(workersOf(i))] as const));
  const pool = threads ? (opts.threads ?? startRunThreads(simLanes, simLanes)) : undefined;
  // Stopping the GPU workers interrupts their runs (a run's request fails, the run is requeued).
  const stopWorker = (): void => {
    for (const workers of sessions.values()) workers.discardAll();
  };
  if (sessions.size > 0) signal.addEventListener('abort', stopWorker, { once: true });
  const machineIndexOf = (row: RunRow): number => byKey.get(row.runKey)!.machineIndex;
  const execute = async (
    row: RunRow,
    task: RunTask,
    reserved?: WorkerReservation,
  ): Promise<StorableRunResult> => {
    const report = opts.onRunProgress;
    const onProgress = report ? (p: EngineProgress) => report(row.id, p) : undefined;
    const machineIndex = machineIndexOf(row);
    const workers = sessions.get(machineIndex);
    if (workers && reserved) {
      return executeOnPool(workers, reserved, plan.machines[machineIndex].machine, task, onProgress);
    }
    if (pool) return runOnThread(pool, task, signal, onProgress);
    // A run in this thread holds the event loop: its progress reports renew the lease.
    return executeRun(task, (p) => {
      lease.beatIfDue();
      onProgress?.(p);
    });
  };
  const simLane = new Lanes(Math.max(1, simLanes));
  const workerLanes = new Map(workerMachines.map((i) => [i, new Lanes(workersOf(i).length)] as const));
  /**
   * Executes a run on the worker reserved for it; a run whose worker died (or timed out) is
   * retried once on another worker of the pool, and carries a warning saying so.
   */
  const executeOnPool = async (
    workers: WorkerPool,
    reserved: WorkerReservation,
    machine: Machine,
    task: RunTask,
    onProgress: ((p: EngineProgress) => void) | undefined,
  ): Promise<RunResult> => {
    try {
      return await executeRunOnWorker(
        task,
        { ...machine, worker: reserved.worker },
        reserved.session,
        onProgress,
      );
    } catch (error) {
      const died = error instanceof Error && error.cause instanceof WorkerError;
      if (!died || workers.size < 2 || signal.aborted) throw error;
      const other = await workers.reserve(reserved.index);
      try {
        const result = await executeRunOnWorker(
          task,
          { ...machine, worker: other.worker },
          other.session,
          onProgress,
        );
        const retried =
          `retried on worker ${other.worker.machine.name} of the pool after worker ` +
          `${reserved.worker.machine.name} failed: ${(error as Error).message}`;
        return { ...result, warnings: [...result.warnings, retried] };
      } finally {
        other.release();
      }
    }
  };
  /**
   * Executes one pending run in a free lane of its machine; resolves with its result, or
   * undefined when it did not end done.
   */
  const runRow = (row: RunRow): Promise<StorableRunResult | undefined> =>
    (workerLanes.get(machineIndexOf(row)) ?? simLane).use(async () => {
      if (signal.aborted) {
        notRun++;
        return undefined;
      }
      const task = taskOf(row);
      // A run of a worker machine takes its worker first, so that its start names it.
      const reserved = await sessions.get(machineIndexOf(row))?.reserve();
      try {
        return await runOn(row, task, reserved);
      } finally {
        reserved?.release();
      }
    });
  /** runRow once the run has its lane (and its worker). */
  const runOn = async (
    row: RunRow,
    task: RunTask,
    reserved: WorkerReservation | undefined,
  ): Promise<StorableRunResult | undefined> => {
    try {
      await started(row, task.requests.arrival.length, reserved?.worker.machine.name);
    } catch {
      notRun++; // a store fault: the run was not claimed, it stays queued
      return undefined;
    }
    let result: StorableRunResult | undefined;
    let error: unknown;
    try {
      const simulated = await execute(row, task, reserved);
      if (opts.runGate) await opts.runGate(row.id, signal);
      result = simulated;
    } catch (e) {
      error = e;
    }
    // After a store fault nothing more is stored: a result is dropped, the run requeued.
    if ((result === undefined && signal.aborted) || fault || lost) {
      notRun++;
      interrupted(row);
      return undefined;
    }
    try {
      return await finished(row, result, error);
    } catch {
      notRun++; // a store fault: the run stays `running` until requeued
      interrupted(row);
      return undefined;
    }
  };
  let notRun = 0; // runs this invocation interrupted or never started (a cancel)
  let searchesDone = 0;
  /**
   * Drives one capacity search: replays it over the probes already done (stored or fresh), runs
   * the probe it asks for next, and again, until it is done, a probe run fails, or a cancel.
   */
  const search = async (index: number): Promise<void> => {
    const s = plan.searches[index];
    let done: ReturnType<typeof storedDoneRuns>;
    try {
      done = storedDoneRuns(store, sweepId);
    } catch (error) {
      faulted(error, undefined);
      return;
    }
    const verdicts = new Map<number, ProbeVerdict>();
    for (;;) {
      const state = capacitySearchState(plan, s, done, verdicts);
      if (state.status === 'done') {
        searchesDone++;
        break;
      }
      if (signal.aborted) break;
      const runs = probeRunsAt(plan, s, state.rateRps);
      let rows: RunRow[];
      try {
        await write(undefined, () =>
          store.addMissingRuns(
            sweepId,
            runs.map((r) => newRunOf(plan, r)),
          ),
        );
        for (const r of runs) byKey.set(r.runKey, r);
        const keys = new Set(runs.map((r) => r.runKey));
        rows = store.listRuns({ sweepId }).filter((row) => keys.has(row.runKey) && row.status !== 'done');
      } catch (error) {
        faulted(error, undefined);
        break;
      }
      searchBudget[index] -= runs.length;
      const results = await Promise.all(rows.map(runRow));
      let complete = true;
      rows.forEach((row, i) => {
        const result = results[i];
        if (result)
          done.set(row.runKey, {
            metrics: result.metrics,
            stability: result.stability,
            requests: () => requestRecordsOf(result),
          });
        else complete = false;
      });
      // A failed or interrupted probe run stops the search; running the sweep again resumes it.
      if (!complete) break;
    }
    total -= searchBudget[index];
    searchBudget[index] = 0;
  };
  try {
    await Promise.all([...pending.map(runRow), ...plan.searches.map((_, i) => search(i))]);
  } finally {
    signal.removeEventListener('abort', stopWorker);
    if (pool !== opts.threads) await pool?.destroy();
    await Promise.all([...sessions.values()].map((workers) => workers.close()));
  }
  lease.stop();
  if (lost) throw lost;
  if (fault) {
    // Best effort: when the store cannot even requeue, the next invocation does (as after SIGKILL).
    try {
      store.requeueInterruptedRuns(sweepId);
    } catch {
      // left `running`; requeued by the next invocation
    }
    throw new StoreFaultError(store.file, fault.error, fault.runId, countDoneOf(store, sweepId));
  }
  const cancelled = notRun > 0 || (signal.aborted && searchesDone < plan.searches.length);
  // Only this invocation executes the sweep: its `running` runs are the ones it interrupted.
  try {
    if (cancelled) await retryWhileBusy(() => store.requeueInterruptedRuns(sweepId), busyWaitMs);
    else await retryWhileBusy(() => store.finishSweep(sweepId), busyWaitMs);
  } catch (error) {
    if (!isStoreFault(error)) throw error;
    throw new StoreFaultError(store.file, error, undefined, countDoneOf(store, sweepId));
  }
  return {
    sweepId,
    resumed,
    alreadyDone,
    done: ended - failed,
    failed,
    cancelled,
  };
}

/**
 * Simulates one run on a worker thread of `pool`, which returns it encoded for the store
 * (run-worker.ts: its columns encoded there, their buffers moved here); an abort of `signal` terminates the thread
 * (the promise then rejects with piscina's AbortError). With `onProgress`, the thread posts the
 * run's progress on a MessageChannel whose other end calls it; what `onProgress` throws is kept
 * (not thrown on the event loop) and fails the run when it ends, as in this thread.
 */
async function runOnThread(
  pool: Piscina,
  task: RunTask,
  signal: AbortSignal | undefined,
  onProgress: ((p: EngineProgress) => void) | undefined,
): Promise<EncodedRunResult> {
  if (!onProgress) return (await pool.run({ task } satisfies WorkerTask, { signal })) as EncodedRunResult;
  const { port1, port2 } = new MessageChannel();
  let failure: { error: unknown } | undefined;
  port1.on('message', (p: EngineProgress | typeof PROGRESS_END) => {
    if (p === PROGRESS_END) {
      ended();
      return;
    }
    if (failure) return;
    try {
      onProgress(p);
    } catch (error) {
      failure = { error };
    }
  });
  // The thread posts PROGRESS_END after every report of the run: waiting for it delivers the
  // run's final report (finished = total) before the result is used.
  let ended: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (ended = resolve));
  try {
    const work: WorkerTask = { task, progress: port2 };
    const result = (await pool.run(work, { signal, transferList: [port2] })) as EncodedRunResult;
    await drained;
    if (failure) throw failure.error;
    return result;
  } finally {
    port1.close();
  }
}

/** Done runs of a sweep, or undefined when the store cannot tell. */
function countDoneOf(store: Store, sweepId: number): number | undefined {
  try {
    return store.runCounts(sweepId).done;
  } catch {
    return undefined;
  }
}
