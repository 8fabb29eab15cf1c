import { SweepBusyError } from '../store/sweep-busy-error.js';
import { EventEmitter } from 'node:events';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EngineProgress } from '../engine/engine-progress.js';
import { InputError } from '../errors.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import type { Store } from '../store/store.js';
import { checkStoredRequests } from './stored-requests-check.js';
import {
  executeSweep,
  type ExecuteOptions,
  type SweepOutcome,
  type SweepProgress,
} from './sweep-executor.js';
import { planSweepText, type SweepPlan } from './sweep-plan.js';
import { SweepStateError } from './sweep-state-error.js';

/** Wall milliseconds between two throttled `progress` events of one sweep (at most 4 per second). */
export const SWEEP_PROGRESS_INTERVAL_MS = 250;

/** The live state of a running run, from the engine's latest progress report. */
export interface LiveRun {
  runId: number;
  /** `policy workload rate=R seed=S`. */
  label: string;
  /** Simulated time since the run's first arrival, seconds (0 before the first report). */
  simTimeS: number;
  /** Requests finished so far. */
  finished: number;
  /** Requests in the run. */
  total: number;
  /** Requests arrived and waiting (holding no KV). */
  queueLength: number;
  /** Requests holding KV. */
  running: number;
  /** KV blocks in use. */
  kvBlocks: number;
  /** Output tokens of the finished requests per simulated second since the first arrival, tokens/s. */
  throughputTokS: number;
}

/** A sweep's state: its run counts in the store and, while it executes here, its ETA and live runs. */
export interface SweepSnapshot {
  sweepId: number;
  name: string;
  /** Whether this manager is executing the sweep now. */
  active: boolean;
  /** Runs of the sweep in the store, and how many are in each status. */
  total: number;
  done: number;
  failed: number;
  running: number;
  queued: number;
  /**
   * Estimated wall seconds to the end of the execution: the mean wall time of the runs that ended
   * in this execution x the runs of the execution not ended yet / the runs executing at once.
   * Null before the first run of the execution ends, and when the sweep is not active.
   */
  etaS: number | null;
  /** The running runs, in the order they started; empty when the sweep is not active. */
  live: LiveRun[];
}

/** The `ended` event: an execution of a sweep stopped. */
export interface SweepEnded {
  sweepId: number;
  /** True when cancel (or close) stopped it before every run ended. */
  cancelled: boolean;
  /** The sweep's done and failed runs in the store (all of its runs, not only this execution's). */
  done: number;
  failed: number;
  /**
   * Why the execution itself failed (a store write rejected, a listener threw), when it did; the
   * runs it left running are then queued again. A run that fails does not set it (see `failed`).
   */
  error?: string;
}

/** Events of a SweepManager, with their arguments. */
export interface SweepManagerEvents {
  /**
   * A sweep's progress: at most 4 per second per sweep while its runs simulate, plus one when each
   * run ends and one when the execution ends (then `active` is false).
   */
  progress: [snapshot: SweepSnapshot];
  /** An execution ended: every run ended, or it was cancelled, or it failed. */
  ended: [ended: SweepEnded];
}

/** Options of a SweepManager. */
export interface SweepManagerOptions {
  /** Runs simulated at once in each active sweep, each on a worker thread (>= 1). */
  jobs: number;
  /**
   * Opens the database where worker machines and calibrations are looked up when a stored sweep
   * is planned again (resume); as for planSweep.
   */
  registry?: () => MachineRegistry;
  /**
   * Holds each run after its simulation until the promise settles (executeSweep's `runGate`): for
   * tests that decide when each run may end, e.g. to cancel with known runs done and known runs
   * running. Absent in the app: runs end when their simulation does.
   */
  runGate?: ExecuteOptions['runGate'];
}

/** A running run as the manager tracks it. */
interface RunState {
  label: string;
  /** Requests in the run. */
  total: number;
  /** performance.now() when it started. */
  startedAt: number;
  /** The latest progress report, if any came yet. */
  progress: EngineProgress | undefined;
}

/** An execution in progress. */
interface Execution {
  /** The sweep's id, once stored (-1 before). */
  sweepId: number;
  name: string;
  specHash: string;
  controller: AbortController;
  /** Runs of this execution, runs executing at once, runs ended and their total wall seconds. */
  total: number;
  lanes: number;
  ended: number;
  endedWallS: number;
  live: Map<number, RunState>;
  /** performance.now() of the last `progress` event, and the timer of the next throttled one. */
  lastEmit: number;
  timer: NodeJS.Timeout | undefined;
  /** Resolves once the execution stopped, the manager forgot it and `ended` was emitted. */
  stopped: Promise<void>;
  markStopped: () => void;
}

/**
 * Executes sweeps in the background of a long-running process (the desktop app's runner): start
 * a plan, resume a stored sweep after a restart or a cancel, cancel, watch live progress.
 *
 * Each active sweep executes with executeSweep on its own `jobs` worker threads, so this thread
 * stays free and a cancel interrupts runs at once: interrupted runs go back to `queued` (nothing
 * of them is stored), runs that ended are stored as usual, and a later resume executes exactly
 * the runs not done. Needs the build (dist/), as parallel sweeps do. This process must be the only
 * one executing its sweeps (as for executeSweep). The store stays the caller's: close() does not
 * close it, and it must stay open until close() has resolved.
 *
 * Listeners are called synchronously from the sweep's execution: they must not throw (an
 * exception ends the execution with `error` set in the `ended` event).
 */
export class SweepManager extends EventEmitter<SweepManagerEvents> {
  private readonly jobs: number;
  private readonly registry: (() => MachineRegistry) | undefined;
  private readonly runGate: ExecuteOptions['runGate'];
  /** Active executions by sweep id (once stored) and by spec hash (from the start). */
  private readonly byId = new Map<number, Execution>();
  private readonly byHash = new Map<string, Execution>();
  private closed = false;

  /**
   * @param store the results database; this manager writes its sweeps' runs to it
   * @throws RangeError when `options.jobs` is not a positive integer
   */
  constructor(
    private readonly store: Store,
    options: SweepManagerOptions,
  ) {
    super();
    if (!(Number.isSafeInteger(options.jobs) && options.jobs >= 1)) {
      throw new RangeError(`jobs must be a positive integer, got ${options.jobs}`);
    }
    this.jobs = options.jobs;
    this.registry = options.registry;
    this.runGate = options.runGate;
  }

  /**
   * Stores the plan's sweep (or finds the stored sweep with its spec hash, which then resumes)
   * and starts executing its runs not done in the background.
   *
   * @returns once the sweep is stored and its runs are starting (not when they end): its id, and
   *   whether it was already stored. Its `ended` event always comes after this settles, even for a
   *   sweep with nothing left to run; `progress` events can come before it (subscribe first).
   * @throws SweepStateError `active` when the sweep is already executing here, `closed` after close()
   * @throws InputError when the plan resumes a stored sweep whose done runs simulated other
   *   requests (a trace or lengths file changed; see checkStoredRequests); nothing runs then
   * @throws Error when the build is missing (worker threads) or the store rejects the sweep
   */
  async start(plan: SweepPlan): Promise<{ sweepId: number; resumed: boolean }> {
    this.requireOpen();
    const active = this.byHash.get(plan.specHash);
    if (active) {
      throw new SweepStateError('active', `sweep ${active.sweepId} (${active.name}) is already running`);
    }
    const existing = this.store.findSweepByHash(plan.specHash);
    if (existing) checkStoredRequests(plan, this.store, existing.id);
    return this.launch(plan);
  }

  /**
   * Resumes a stored sweep: plans it again from its stored spec text, in the directory of its
   * stored spec path (a relative path resolves against this process's working directory), and
   * executes its runs not done (queued, failed, and those a killed process left running) in the
   * background.
   *
   * @returns once its runs are starting
   * @throws SweepStateError `not-found` for an unknown sweep, `active` when it is executing here,
   *   `closed` after close()
   * @throws InputError when the sweep cannot be planned again as it was: no spec path stored, an
   *   input problem in the spec now (a file it reads is gone: named with its line), a different
   *   spec hash (the spec's directory moved), requests that differ from those its done runs
   *   simulated (a trace or lengths file changed), or a sweep imported from another database
   */
  async resume(sweepId: number): Promise<{ sweepId: number; resumed: true }> {
    this.requireOpen();
    const sweep = this.store.getSweep(sweepId);
    if (!sweep) throw new SweepStateError('not-found', `sweep ${sweepId} does not exist`);
    if (this.byId.has(sweepId)) {
      throw new SweepStateError('active', `sweep ${sweepId} (${sweep.name}) is already running`);
    }
    const what = `sweep ${sweepId} (${sweep.name})`;
    if (sweep.specPath === null) {
      throw new InputError(`${what} cannot be resumed: it has no stored spec path to plan it again from`);
    }
    const dir = dirname(resolve(sweep.specPath));
    const plan = planSweepText(sweep.specYaml, { file: sweep.specPath, dir, registry: this.registry });
    if (plan.specHash !== sweep.specHash) {
      throw new InputError(
        `${what} cannot be resumed: its spec, planned again in ${dir}, is no longer the spec it ran ` +
          `(spec hash ${plan.specHash.slice(0, 12)}, stored ${sweep.specHash.slice(0, 12)}); run it from ` +
          `the folder it was started in`,
        { file: sweep.specPath },
      );
    }
    if (this.store.findSweepByHash(sweep.specHash)?.id !== sweepId) {
      throw new InputError(`${what} cannot be resumed: it was imported from another database`);
    }
    if (this.byHash.has(plan.specHash)) {
      throw new SweepStateError('active', `${what} is already running`);
    }
    checkStoredRequests(plan, this.store, sweepId);
    const { sweepId: id } = await this.launch(plan);
    return { sweepId: id, resumed: true };
  }

  /**
   * Cancels an active sweep: no run starts any more, running runs are interrupted and queued
   * again; runs already ended keep their results.
   *
   * @returns false when the sweep is not executing here; true once its execution has stopped, its
   *   interrupted runs are queued and its `ended` event was emitted
   */
  async cancel(sweepId: number): Promise<boolean> {
    const execution = this.byId.get(sweepId);
    if (!execution) return false;
    execution.controller.abort();
    await execution.stopped;
    return true;
  }

  /**
   * A sweep's state now: its run counts in the store and, when it is executing here, its ETA and
   * its running runs.
   *
   * @throws SweepStateError `not-found` for an unknown sweep
   */
  snapshot(sweepId: number): SweepSnapshot {
    const execution = this.byId.get(sweepId);
    const name = execution?.name ?? this.store.getSweep(sweepId)?.name;
    if (name === undefined) throw new SweepStateError('not-found', `sweep ${sweepId} does not exist`);
    const counts = this.store.runCounts(sweepId);
    return {
      sweepId,
      name,
      active: execution !== undefined,
      total: counts.queued + counts.running + counts.done + counts.failed,
      done: counts.done,
      failed: counts.failed,
      running: counts.running,
      queued: counts.queued,
      etaS: execution ? etaOf(execution) : null,
      live: execution ? [...execution.live].map(([runId, run]) => liveRunOf(runId, run)) : [],
    };
  }

  /** Ids of the sweeps executing now, in the order they started. */
  activeSweeps(): number[] {
    return [...this.byId.keys()];
  }

  /**
   * Cancels every active sweep (at shutdown) and refuses new ones.
   * @returns once every execution has stopped
   */
  async close(): Promise<void> {
    this.closed = true;
    const executions = [...this.byHash.values()];
    for (const execution of executions) execution.controller.abort();
    await Promise.all(executions.map((e) => e.stopped));
  }

  private requireOpen(): void {
    if (this.closed) throw new SweepStateError('closed', 'the sweep manager is closed');
  }

  /** Starts executing a plan; resolves when its runs are starting, rejects when it could not start. */
  private launch(plan: SweepPlan): Promise<{ sweepId: number; resumed: boolean }> {
    let markStopped = (): void => undefined;
    const stopped = new Promise<void>((done) => (markStopped = done));
    const execution: Execution = {
      sweepId: -1,
      name: plan.spec.name,
      specHash: plan.specHash,
      controller: new AbortController(),
      total: 0,
      lanes: 1,
      ended: 0,
      endedWallS: 0,
      live: new Map(),
      lastEmit: -Infinity,
      timer: undefined,
      stopped,
      markStopped,
    };
    this.byHash.set(plan.specHash, execution);
    return new Promise((resolveStart, rejectStart) => {
      let begun = false;
      executeSweep(plan, this.store, {
        jobs: this.jobs,
        workerThreads: true,
        signal: execution.controller.signal,
        onBegin: (b) => {
          begun = true;
          execution.sweepId = b.sweepId;
          execution.total = b.total;
          execution.lanes = b.lanes;
          this.byId.set(b.sweepId, execution);
          resolveStart({ sweepId: b.sweepId, resumed: b.resumed });
        },
        onProgress: (p) => this.runEvent(execution, p),
        onRunProgress: (runId, p) => this.runProgress(execution, runId, p),
        runGate: this.runGate,
      }).then(
        (outcome) => this.ended(execution, outcome),
        (error: unknown) => {
          if (begun) {
            this.ended(execution, undefined, error);
          } else {
            this.forget(execution);
            execution.markStopped();
            rejectStart(error);
          }
        },
      );
    });
  }

  /** A run started, ended or was interrupted. */
  private runEvent(execution: Execution, p: SweepProgress): void {
    // A capacity search adds probe runs as it goes: the execution's total follows the executor's.
    execution.total = p.total;
    if (p.kind === 'start') {
      execution.live.set(p.runId, {
        label: p.label,
        total: p.requests ?? 0,
        startedAt: performance.now(),
        progress: undefined,
      });
      this.progressChanged(execution);
      return;
    }
    const run = execution.live.get(p.runId);
    execution.live.delete(p.runId);
    if (p.kind === 'requeued') {
      this.progressChanged(execution);
      return;
    }
    execution.ended++;
    if (run) execution.endedWallS += (performance.now() - run.startedAt) / 1000;
    this.emitProgress(execution);
  }

  /** A running run's progress report (one arriving after its end is ignored). */
  private runProgress(execution: Execution, runId: number, p: EngineProgress): void {
    const run = execution.live.get(runId);
    if (!run) return;
    run.progress = p;
    this.progressChanged(execution);
  }

  /** Emits `progress` now, or schedules it so that at most 4 per second are emitted. */
  private progressChanged(execution: Execution): void {
    if (execution.timer) return;
    const wait = execution.lastEmit + SWEEP_PROGRESS_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.emitProgress(execution);
      return;
    }
    execution.timer = setTimeout(() => {
      execution.timer = undefined;
      if (this.byId.get(execution.sweepId) === execution) this.emitProgress(execution);
    }, wait);
  }

  private emitProgress(execution: Execution): void {
    clearTimeout(execution.timer);
    execution.timer = undefined;
    execution.lastEmit = performance.now();
    this.emit('progress', this.snapshot(execution.sweepId));
  }

  /**
   * The execution stopped (outcome), or failed (error): forget it, then tell the listeners, on the
   * next turn of the event loop so that start() and resume() have settled first.
   */
  private ended(execution: Execution, outcome: SweepOutcome | undefined, error?: unknown): void {
    const { sweepId } = execution;
    // A manager that lost the sweep's lease leaves its runs to the process that took it over.
    if (error !== undefined && !(error instanceof SweepBusyError)) {
      try {
        // Runs it left running were interrupted: nothing of them is stored.
        this.store.requeueInterruptedRuns(sweepId);
      } catch {
        // The store is unusable; resume requeues them as a fresh process would.
      }
    }
    this.forget(execution);
    setImmediate(() => {
      try {
        // The sweep may have been deleted in the turn since it was forgotten (sweeps.delete).
        const exists = this.store.getSweep(sweepId) !== undefined;
        const counts = exists ? this.store.runCounts(sweepId) : { done: 0, failed: 0 };
        // A new execution of the sweep (a resume right after a cancel) reports its own progress:
        // this one's final snapshot would describe that one.
        if (exists && !this.byId.has(sweepId)) this.emit('progress', this.snapshot(sweepId));
        this.emit('ended', {
          sweepId,
          cancelled: outcome?.cancelled ?? false,
          done: counts.done,
          failed: counts.failed,
          ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
        });
      } finally {
        execution.markStopped();
      }
    });
  }

  /** Removes an execution from the active ones (it is over) and stops its progress timer. */
  private forget(execution: Execution): void {
    clearTimeout(execution.timer);
    execution.timer = undefined;
    if (this.byId.get(execution.sweepId) === execution) this.byId.delete(execution.sweepId);
    this.byHash.delete(execution.specHash);
  }
}

/** ETA of an execution (see SweepSnapshot.etaS). */
function etaOf(execution: Execution): number | null {
  if (execution.ended === 0) return null;
  const mean = execution.endedWallS / execution.ended;
  return (mean * (execution.total - execution.ended)) / execution.lanes;
}

function liveRunOf(runId: number, run: RunState): LiveRun {
  const p = run.progress;
  const elapsed = p ? p.nowS - p.startS : 0;
  return {
    runId,
    label: run.label,
    simTimeS: elapsed,
    finished: p?.finished ?? 0,
    total: p?.total ?? run.total,
    queueLength: p?.queueLength ?? 0,
    running: p?.running ?? 0,
    kvBlocks: p?.kvBlocks ?? 0,
    throughputTokS: p && elapsed > 0 ? p.outputTokens / elapsed : 0,
  };
}
