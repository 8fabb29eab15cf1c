/**
 * Executing a sweep on a Slurm cluster (`schedbench sweep SPEC --executor slurm`, issue 16 item 3):
 * the sweep's pending runs are submitted as ONE job array, chunks of runs per task (clusters ask
 * for few submissions a minute); each task runs `schedbench shard MANIFEST --task $SLURM_ARRAY_TASK_ID`
 * on a compute node, which writes its own SQLite shard beside the manifest on the shared
 * filesystem (SQLite locking over NFS is not trusted, so no two processes write one file); this
 * driver polls `squeue`, merges each ended task's shard into the database (mergeShard: idempotent),
 * puts the runs a task did not store back in the queue, and ends when no task is left.
 *
 * Killed and run again, the driver attaches to the arrays it recorded (`slurm_arrays`): it merges
 * what ended meanwhile, waits for the tasks still queued or running, and submits only runs neither
 * done nor in a live task. Ctrl-C (the signal) cancels the arrays with `scancel` and merges what
 * ended. Runs submitted are `running` while their task lives. See docs/scale-out.md.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RegistrySnapshot } from '../machines/registry-snapshot.js';
import { repositoryPath } from '../repository-path.js';
import { mergeShard } from '../store/merge-shard.js';
import type { RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import type { SlurmArrayRow } from '../store/slurm-arrays-table.js';
import type { SlurmClient } from '../workers/slurm-client.js';
import { type ArraySubmission } from '../workers/slurm-client.js';
import { shellQuote } from '../workers/worker-code-bundle.js';
import { claimSweep, type ClaimOptions, type SweepOutcome } from './sweep-executor.js';
import { readShardManifest, shardFileOf, SHARD_MANIFEST_VERSION, type ShardManifest } from './sweep-shard.js';
import type { SweepPlan } from './sweep-plan.js';
import { retryWhileBusy, storeBusyWaitMs } from './store-fault.js';
import { abortablePause } from './abortable-pause.js';

/** Runs per array task when `runsPerTask` is not given. */
export const DEFAULT_RUNS_PER_TASK = 8;

/** How long a cancel waits for the cancelled tasks to leave Slurm's queue before merging, ms. */
const CANCEL_WAIT_MS = 60_000;

/** How often the driver asks Slurm about its tasks, ms. */
export const SLURM_POLL_MS = 5_000;

/** Options of {@link executeSweepOnSlurm}. */
export interface SlurmExecuteOptions extends ClaimOptions {
  /** Where sbatch/squeue/scancel run (here, or a login node over SSH). */
  client: SlurmClient;
  /**
   * Folder on the cluster's shared filesystem for manifests, scripts, shards and task logs
   * (created); each array gets `sweep-<id>/array-<n>/` in it.
   */
  workDir: string;
  /** Runs each array task executes (default {@link DEFAULT_RUNS_PER_TASK}). */
  runsPerTask?: number;
  /** Tasks running at once (`--array=...%K`). */
  arrayParallelism?: number;
  partition?: string;
  gres?: string;
  time?: string;
  /** Runs each task simulates at once (its `--cpus-per-task` and `shard --jobs`); default 1. */
  jobsPerTask?: number;
  /**
   * The command that starts schedbench on a compute node (default: this Node.js binary and this
   * installation's bin/schedbench.js, which must be visible there at the same path).
   */
  schedbench?: string[];
  /**
   * The worker machines and calibrations the plan looked up (recordingRegistry), written into each
   * manifest so that tasks plan `profile:` and GPU worker machines without the database.
   */
  registry?: RegistrySnapshot;
  /** Poll period, ms (default {@link SLURM_POLL_MS}). */
  pollMs?: number;
  /** Progress lines (submission, each task merged). */
  onEvent?: (line: string) => void;
  /** Called once the sweep is claimed, with its id and the counts. */
  onBegin?: (info: { sweepId: number; resumed: boolean; alreadyDone: number; total: number }) => void;
}

/** A live array: its record, its manifest, and the tasks not merged yet. */
interface LiveArray {
  row: SlurmArrayRow;
  manifest: ShardManifest;
  pendingTasks: Set<number>;
}

/**
 * Stores (or finds) the sweep, holds its lease, and executes its runs not done on Slurm.
 * @returns the outcome: `done`/`failed` count runs merged / left not done by this invocation;
 *   `cancelled` when the signal stopped it (the arrays were cancelled)
 * @throws SweepBusyError when another process runs the sweep; SlurmError when Slurm refuses
 *   (sbatch's message); InputError for a manifest that cannot be read back
 */
export async function executeSweepOnSlurm(
  plan: SweepPlan,
  store: Store,
  opts: SlurmExecuteOptions,
): Promise<SweepOutcome> {
  const busyWaitMs = storeBusyWaitMs();
  const { sweepId, resumed, lease } = await claimSweep(plan, store, opts, busyWaitMs);
  // A driver that lost its lease (stalled past its time to live) stops: the new holder drives.
  const abort = new AbortController();
  lease.start(() => abort.abort());
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  const event = opts.onEvent ?? (() => undefined);
  const pollMs = opts.pollMs ?? SLURM_POLL_MS;
  try {
    const byKey = new Map(plan.runs.map((r) => [r.runKey, r]));
    const alreadyDone = store.runCounts(sweepId).done;
    let merged = 0;

    // Attach to the arrays a previous driver recorded: runs of their live tasks stay theirs.
    const arrays: LiveArray[] = [];
    for (const row of store.slurmArraysOf(sweepId)) {
      arrays.push({ row, manifest: readShardManifest(row.manifest), pendingTasks: allTasks(row.tasks) });
    }
    const liveKeys = new Set<string>();
    for (const a of arrays) {
      const live = await opts.client.liveTasks(a.row.jobId, a.row.tasks);
      for (const task of live.keys()) for (const key of a.manifest.tasks[task] ?? []) liveKeys.add(key);
      if (live.size > 0)
        event(`attached to Slurm array ${a.row.jobId}: ${live.size} task(s) still queued or running`);
    }
    const runs = (): RunRow[] => store.listRuns({ sweepId }).filter((r) => byKey.has(r.runKey));
    // Runs left `running` by a killed driver that no live task holds go back to the queue.
    const stale = runs().filter((r) => r.status === 'running' && !liveKeys.has(r.runKey));
    if (stale.length > 0)
      await retryWhileBusy(
        () =>
          store.requeueRuns(
            sweepId,
            stale.map((r) => r.id),
          ),
        busyWaitMs,
      );
    for (const a of arrays) merged += await collect(a);

    const pending = runs().filter(
      (r) => (r.status === 'queued' || r.status === 'failed') && !liveKeys.has(r.runKey),
    );
    const total = pending.length + liveKeys.size;
    opts.onBegin?.({ sweepId, resumed, alreadyDone, total });
    if (pending.length > 0 && !signal.aborted) arrays.push(await submit(pending));

    while (arrays.some((a) => a.row.endedAt === null) && !signal.aborted) {
      await abortablePause(pollMs, signal);
      for (const a of arrays) if (a.row.endedAt === null) merged += await collect(a);
    }
    let cancelled = false;
    if (signal.aborted) {
      cancelled = true;
      for (const a of arrays) {
        if (a.row.endedAt !== null) continue;
        await opts.client.cancel(a.row.jobId);
        event(`cancelled Slurm array ${a.row.jobId}`);
      }
      // Cancelled tasks stop (Slurm's CG state) before their shards are read: a task may still be
      // storing a run. Then what ended is merged and the rest goes back to the queue.
      const deadline = Date.now() + CANCEL_WAIT_MS;
      for (const a of arrays) {
        if (a.row.endedAt !== null) continue;
        while (Date.now() < deadline && (await opts.client.liveTasks(a.row.jobId, a.row.tasks)).size > 0) {
          await abortablePause(Math.min(pollMs, 500));
        }
        merged += await collect(a, true);
      }
    }
    const left = runs().filter((r) => r.status !== 'done');
    if (left.length === 0) await retryWhileBusy(() => store.finishSweep(sweepId), busyWaitMs);
    return { sweepId, resumed, alreadyDone, done: merged, failed: cancelled ? 0 : left.length, cancelled };
  } finally {
    lease.release();
  }

  /**
   * Merges the shards of the array's tasks that have left the queue (all of them with `ended`),
   * puts their runs not stored back in the queue, and marks the array ended when no task is left.
   * @returns runs merged
   */
  async function collect(a: LiveArray, ended = false): Promise<number> {
    const live = ended ? new Map<number, string>() : await opts.client.liveTasks(a.row.jobId, a.row.tasks);
    let merged = 0;
    for (const task of [...a.pendingTasks]) {
      if (live.has(task)) continue;
      a.pendingTasks.delete(task);
      const shard = shardFileOf(a.row.manifest, task);
      const started = performance.now();
      const outcome = mergeShardIfAny(store, sweepId, shard);
      const mergeMs = performance.now() - started;
      merged += outcome.merged;
      const keys = new Set(a.manifest.tasks[task] ?? []);
      const notStored = store
        .listRuns({ sweepId })
        .filter((r) => keys.has(r.runKey) && r.status === 'running');
      if (notStored.length > 0) {
        await retryWhileBusy(
          () =>
            store.requeueRuns(
              sweepId,
              notStored.map((r) => r.id),
            ),
          busyWaitMs,
        );
      }
      event(
        `Slurm task ${a.row.jobId}_${task} ended: ${outcome.merged} run(s) merged in ${Math.round(mergeMs)} ms` +
          (notStored.length > 0 ? `, ${notStored.length} not stored (queued again)` : ''),
      );
    }
    if (a.pendingTasks.size === 0) {
      await retryWhileBusy(() => store.endSlurmArray(a.row.id), busyWaitMs);
      a.row = { ...a.row, endedAt: new Date().toISOString() };
    }
    return merged;
  }

  /** Writes the manifest and the batch script of `pending`'s runs, submits them, marks them running. */
  async function submit(pending: RunRow[]): Promise<LiveArray> {
    const perTask = Math.max(1, opts.runsPerTask ?? DEFAULT_RUNS_PER_TASK);
    const tasks: string[][] = [];
    for (let i = 0; i < pending.length; i += perTask)
      tasks.push(pending.slice(i, i + perTask).map((r) => r.runKey));
    const n = store.slurmArraysOf(sweepId, true).length + 1;
    const dir = resolve(opts.workDir, `sweep-${sweepId}`, `array-${n}`);
    mkdirSync(dir, { recursive: true });
    const manifestFile = join(dir, 'manifest.json');
    const manifest: ShardManifest = {
      version: SHARD_MANIFEST_VERSION,
      sweepId,
      specYaml: plan.specYaml,
      specPath: resolve(plan.specPath),
      specDir: plan.dir,
      specHash: plan.specHash,
      tasks,
      ...(opts.registry && (opts.registry.workers.length > 0 || opts.registry.calibrations.length > 0)
        ? { registry: opts.registry as unknown as NonNullable<ShardManifest['registry']> }
        : {}),
    };
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    const jobs = Math.max(1, opts.jobsPerTask ?? 1);
    const command = opts.schedbench ?? [process.execPath, repositoryPath('bin', 'schedbench.js')];
    const script = join(dir, 'task.sh');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        `# schedbench sweep ${sweepId}, array ${n}: task $SLURM_ARRAY_TASK_ID runs its chunk into its own shard.`,
        `exec ${command.map(shellQuote).join(' ')} shard ${shellQuote(manifestFile)} --task "$SLURM_ARRAY_TASK_ID" --jobs ${jobs}`,
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    const submission: ArraySubmission = {
      script,
      tasks: tasks.length,
      parallelism: opts.arrayParallelism,
      jobName: `schedbench-${sweepId}`,
      output: join(dir, 'task-%a.log'),
      workDir: dir,
      partition: opts.partition,
      gres: opts.gres,
      time: opts.time,
      cpusPerTask: jobs,
    };
    // Marked running before the submission: a driver killed right after sbatch finds them held.
    await retryWhileBusy(
      () =>
        store.markRunsSubmitted(
          sweepId,
          pending.map((r) => r.id),
        ),
      busyWaitMs,
    );
    let jobId: string;
    try {
      jobId = await opts.client.submitArray(submission);
    } catch (err) {
      await retryWhileBusy(
        () =>
          store.requeueRuns(
            sweepId,
            pending.map((r) => r.id),
          ),
        busyWaitMs,
      );
      throw err;
    }
    const id = await retryWhileBusy(
      () =>
        store.addSlurmArray(sweepId, {
          jobId,
          manifest: manifestFile,
          tasks: tasks.length,
          reachedBy: opts.client.reachedBy,
        }),
      busyWaitMs,
    );
    event(
      `submitted ${pending.length} run(s) as Slurm array ${jobId}: ${tasks.length} task(s) of up to ${perTask} run(s), in ${dir}`,
    );
    const row = store.slurmArraysOf(sweepId).find((r) => r.id === id)!;
    return { row, manifest, pendingTasks: allTasks(tasks.length) };
  }
}

/** mergeShard, or nothing merged when the task left no shard (cancelled before it started). */
function mergeShardIfAny(store: Store, sweepId: number, shard: string): { merged: number } {
  return existsSync(shard) ? mergeShard(store, sweepId, shard) : { merged: 0 };
}

function allTasks(n: number): Set<number> {
  return new Set(Array.from({ length: n }, (_, i) => i));
}
