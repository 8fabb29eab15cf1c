import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { RunResult } from '../engine/run-result.js';
import { stableJson } from '../stable-json.js';
import type { NewRun, RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import { WorkerSession } from '../workers/worker-session.js';
import { describeWorkerMachine } from '../workers/start-worker.js';
import { executeRun, type RunTask } from './run-task.js';
import { executeRunOnWorker } from './worker-run.js';
import { runTaskOf, type PlannedRun, type SweepPlan } from './sweep-plan.js';

/** A progress event of a running sweep. */
export interface SweepProgress {
  kind: 'start' | 'done' | 'failed';
  /** Runs of the sweep to execute in this invocation, and how many of them have ended. */
  total: number;
  ended: number;
  failed: number;
  running: number;
  runId: number;
  /** `policy workload rate seed` of the run concerned. */
  label: string;
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
  done: number;
  failed: number;
}

/** Options of executeSweep. */
export interface ExecuteOptions {
  /** Runs simulated at once; 1 runs in this thread, more use worker threads. */
  jobs: number;
  /** Called once the runs to execute are known, before the first starts. */
  onBegin?: (info: { sweepId: number; resumed: boolean; alreadyDone: number; total: number }) => void;
  onProgress?: (p: SweepProgress) => void;
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
    machine: plan.machine.name,
  };
}

/**
 * Stores a sweep (or finds the one with the same spec hash) and executes every run not done
 * yet: queued runs, failed runs (retried), and runs a killed process left `running`. Each result
 * is stored in one transaction that also marks its run done, so a sweep killed at any point
 * resumes with no run lost or duplicated.
 * @param plan a validated plan (planSweep)
 * @param store an open store; this process must be its only writer for this sweep
 */
export async function executeSweep(
  plan: SweepPlan,
  store: Store,
  opts: ExecuteOptions,
): Promise<SweepOutcome> {
  const newRuns = plan.runs.map((r) => newRunOf(plan, r));
  const existing = store.findSweepByHash(plan.specHash);
  let sweepId: number;
  if (existing) {
    sweepId = existing.id;
    store.addMissingRuns(sweepId, newRuns);
    store.requeueInterruptedRuns(sweepId);
  } else {
    sweepId = store.createSweep({
      name: plan.spec.name,
      specYaml: plan.specYaml,
      specJson: stableJson(plan.spec),
      specHash: plan.specHash,
      specPath: plan.file,
      machineJson: stableJson({
        name: plan.machine.name,
        description: plan.machine.description,
        ref: plan.spec.machine,
        kvCapacityBlocks: plan.machine.kvCapacityBlocks,
        blockSize: plan.machine.blockSize,
        iterationTime: plan.machine.iterationTime.describe(),
        linear: plan.machine.linear,
        tokenModel: plan.spec.tokenModel,
        ...(plan.machine.worker
          ? {
              worker: {
                ...plan.machine.worker,
                machine: plan.machine.worker.machine.name,
                reachedBy: describeWorkerMachine(plan.machine.worker.machine),
              },
            }
          : {}),
      }),
      runs: newRuns,
    });
  }
  const alreadyDone = store.runCounts(sweepId).done;
  const byKey = new Map(plan.runs.map((r) => [r.runKey, r]));
  const pending = store.pendingRuns(sweepId).filter((row) => byKey.has(row.runKey));
  const total = pending.length;
  let ended = 0;
  let failed = 0;
  let running = 0;
  opts.onBegin?.({ sweepId, resumed: existing !== undefined, alreadyDone, total });

  const taskOf = (row: RunRow): RunTask => runTaskOf(plan, byKey.get(row.runKey)!, row.id);
  const labelOf = (row: RunRow): string =>
    `${row.policy} ${row.workload} rate=${row.rate ?? '-'} seed=${row.seed}`;
  const started = (row: RunRow): void => {
    store.markRunning(row.id);
    running++;
    opts.onProgress?.({ kind: 'start', total, ended, failed, running, runId: row.id, label: labelOf(row) });
  };
  const finished = (row: RunRow, result: RunResult | undefined, error: unknown): void => {
    running--;
    ended++;
    if (result) {
      store.completeRun(row.id, result);
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
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      store.failRun(row.id, message);
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
  };

  // Runs execute in `lanes` concurrent loops: in this thread for one lane, else on worker threads.
  // A GPU worker serves one run at a time, in this thread.
  const session = plan.machine.worker ? new WorkerSession(plan.machine.worker) : undefined;
  const lanes = session ? 1 : Math.max(1, Math.min(opts.jobs, total));
  const pool =
    lanes > 1 ? new Piscina({ filename: workerUrl(), minThreads: lanes, maxThreads: lanes }) : undefined;
  const execute = async (task: RunTask): Promise<RunResult> =>
    session
      ? executeRunOnWorker(task, plan.machine, session)
      : pool
        ? ((await pool.run(task)) as RunResult)
        : executeRun(task);
  try {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < pending.length) {
        const row = pending[next++];
        started(row);
        let result: RunResult | undefined;
        let error: unknown;
        try {
          result = await execute(taskOf(row));
        } catch (e) {
          error = e;
        }
        finished(row, result, error);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await pool?.destroy();
    await session?.close();
  }
  store.finishSweep(sweepId);
  return { sweepId, resumed: existing !== undefined, alreadyDone, done: total - failed, failed };
}

/** The compiled worker next to this module; parallel sweeps need the build (dist/). */
function workerUrl(): string {
  const url = new URL('./run-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(
      `parallel sweeps need the compiled worker ${fileURLToPath(url)}: run \`npm run build\`, or use --jobs 1`,
    );
  }
  return url.href;
}
