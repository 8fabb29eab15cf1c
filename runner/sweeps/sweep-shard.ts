/**
 * One chunk of a sweep executed apart from the sweep's database, into a SQLite file of its own (a
 * shard): the building block of sweeps on a cluster (a Slurm job array, say), where each array
 * task executes some of the sweep's runs on a node and writes its own shard on the shared
 * filesystem (SQLite locking over NFS is not trusted, so no two processes share a file), and the
 * driver merges each finished shard into the sweep's database (mergeShard,
 * runner/store/merge-shard.ts).
 *
 * The driver writes a manifest (ShardManifest, JSON) next to the shards: the spec's text and
 * where it was planned, the plan's spec hash, and the run keys of each task. A task plans the
 * spec again from the manifest, checks it is the same sweep (spec hash), and executes its runs
 * with executeSweep into its shard, which then holds one sweep with the same spec hash whose runs
 * are the task's; running the same task again resumes it.
 */
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import { registryOf, type RegistrySnapshot } from '../machines/registry-snapshot.js';
import { Store } from '../store/store.js';
import { MAX_INPUT_FILE_BYTES, readRegularFile } from '../workloads/regular-file.js';
import { executeSweep, type ExecuteOptions, type SweepProgress } from './sweep-executor.js';
import { planSweepText, type SweepPlan } from './sweep-plan.js';

/** The manifest format this build reads and writes (ShardManifest.version). */
export const SHARD_MANIFEST_VERSION = 1;

/**
 * Largest manifest read (readShardManifest): a spec (at most 1 MiB) and about 27 bytes per run
 * key, so some 9 million runs.
 */
export const MAX_SHARD_MANIFEST_BYTES = MAX_INPUT_FILE_BYTES;

/** Schema of a shard manifest (see ShardManifest); unknown fields are refused. */
export const ShardManifestSchema = z.strictObject({
  version: z.literal(SHARD_MANIFEST_VERSION),
  /** The sweep's id in the driver's database (where the shards are merged). */
  sweepId: z.number().int().positive(),
  /** The spec's YAML text, as planned (SweepPlan.specYaml). */
  specYaml: z.string(),
  /** The spec's path as stored with the sweep (SweepPlan.specPath); its label in messages. */
  specPath: z.string().min(1),
  /** Directory relative paths inside the spec resolve against (SweepPlan.dir), absolute. */
  specDir: z.string().min(1),
  /** The plan's spec hash (SweepPlan.specHash): a task refuses a spec whose inputs changed. */
  specHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a SHA-256)'),
  /** tasks[i]: the run keys (PlannedRun.runKey) task i executes; none empty. */
  tasks: z.array(z.array(z.string().min(1)).min(1)).min(1),
  /**
   * The worker machines and calibrations the driver's plan looked up (RegistrySnapshot), so that a
   * task plans `profile:` and GPU worker machines without the database; absent when none.
   */
  registry: z
    .strictObject({
      workers: z.array(z.record(z.string(), z.unknown())),
      calibrations: z.array(z.record(z.string(), z.unknown())),
      kvSizes: z.array(z.record(z.string(), z.unknown())).optional(),
    })
    .optional(),
});

/**
 * A shard manifest, written by the driver as JSON next to the shards:
 * `{ version: 1, sweepId, specYaml, specPath, specDir, specHash, tasks: string[][], registry? }`.
 */
export type ShardManifest = z.infer<typeof ShardManifestSchema>;

/**
 * Reads and validates a shard manifest.
 * @param file path of the manifest (JSON)
 * @throws InputError naming the file when it is not a regular file or is over
 *   MAX_SHARD_MANIFEST_BYTES (readRegularFile), is not JSON, or does not match
 *   ShardManifestSchema (the message and `location.field` name the first bad field, e.g.
 *   `tasks.2.0`)
 */
export function readShardManifest(file: string): ShardManifest {
  const text = readRegularFile(file, {
    what: 'shard manifest',
    maxBytes: MAX_SHARD_MANIFEST_BYTES,
    workaround: 'split the sweep into several sweeps',
  }).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not a JSON shard manifest: ${(err as Error).message}`, { file });
  }
  const result = ShardManifestSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = [...path, ...keys.slice(0, 1)].join('.');
  const what = keys.length > 0 ? `unknown field "${field}"` : `${field || '(top level)'}: ${issue.message}`;
  throw new InputError(`${file}: bad shard manifest: ${what}`, {
    file,
    ...(field === '' ? {} : { field }),
  });
}

/**
 * The shard file of a task: `shard-<task>.db` in the manifest's directory.
 * @param manifestFile the manifest's path (relative to the working directory, or absolute)
 * @param task the task's index in ShardManifest.tasks
 * @returns an absolute path
 */
export function shardFileOf(manifestFile: string, task: number): string {
  return join(dirname(resolve(manifestFile)), `shard-${task}.db`);
}

/** Options of {@link runShard}. */
export interface RunShardOptions {
  /** Runs simulated at once (default 1); more than 1 uses worker threads (needs the build). */
  jobs?: number;
  /** As for planSweepText: opens the database where worker machines and calibrations are looked up. */
  registry?: () => MachineRegistry;
  /** As ExecuteOptions.onProgress. */
  onProgress?: (p: SweepProgress) => void;
  /**
   * Stops the task as ExecuteOptions.signal does (a Slurm time limit's SIGTERM, say): interrupted
   * runs stay `queued` in the shard, and running the task again resumes them.
   */
  signal?: AbortSignal;
  /** As ExecuteOptions.runGate (tests hold a task's runs with SCHEDBENCH_HOLD_RUNS). */
  runGate?: ExecuteOptions['runGate'];
}

/** Outcome of {@link runShard}. */
export interface RunShardOutcome {
  /** Runs of the task done in the shard now (done before this invocation included). */
  done: number;
  /** Runs of the task that failed in this invocation (running the task again retries them). */
  failed: number;
  /** The shard file (shardFileOf), absolute. */
  file: string;
  /** True when `signal` stopped the task before every run ended. */
  cancelled: boolean;
}

/**
 * Executes one task of a sharded sweep into its own shard database: plans the manifest's spec
 * again (planSweepText, in `specDir`, labelled `specPath`), checks it is the manifest's sweep,
 * and executes exactly the task's runs with executeSweep into the shard at shardFileOf(manifest,
 * task) (created when missing), on a plan restricted to those runs (no capacity search). The
 * shard then holds one sweep with the manifest's spec hash whose runs are the task's; running the
 * same task again resumes it (runs done are kept, failed and interrupted ones run again).
 *
 * @param manifestFile the manifest's path (readShardManifest)
 * @param task the task's index in ShardManifest.tasks (a Slurm array task id)
 * @returns how many of the task's runs are done in the shard, how many failed in this invocation,
 *   the shard file, and whether `opts.signal` cancelled it
 * @throws InputError naming the manifest when it is bad (readShardManifest), when `task` is not
 *   the index of one of its tasks, when the spec's plan has another spec hash than the manifest's
 *   (the spec's inputs, a trace file say, changed since the driver planned it), or when a run key
 *   of the task is not a planned run of the spec (capacity-search probes cannot be sharded: their
 *   rates are only known as the search goes); the spec's own InputError when it no longer plans
 * @throws as executeSweep (StoreFaultError, SweepBusyError when another process runs the same
 *   task, Error when jobs > 1 and the build is missing)
 */
export async function runShard(
  manifestFile: string,
  task: number,
  opts: RunShardOptions = {},
): Promise<RunShardOutcome> {
  const manifest = readShardManifest(manifestFile);
  if (!Number.isSafeInteger(task) || task < 0 || task >= manifest.tasks.length) {
    throw new InputError(
      `${manifestFile}: no task ${task}: the manifest has tasks 0 to ${manifest.tasks.length - 1}`,
      { file: manifestFile, field: 'tasks' },
    );
  }
  const snapshot = manifest.registry as RegistrySnapshot | undefined;
  const plan = planSweepText(manifest.specYaml, {
    file: manifest.specPath,
    dir: manifest.specDir,
    registry: opts.registry ?? (snapshot ? () => registryOf(snapshot) : undefined),
  });
  if (plan.specHash !== manifest.specHash) {
    throw new InputError(
      `${manifestFile}: the spec ${manifest.specPath} now plans another sweep (spec hash ` +
        `${plan.specHash.slice(0, 12)}..., the manifest's is ${manifest.specHash.slice(0, 12)}...): ` +
        `its inputs (files under ${manifest.specDir}) changed since the sweep was submitted; submit it again`,
      { file: manifestFile, field: 'specHash' },
    );
  }
  const shardPlan = taskPlanOf(plan, manifest.tasks[task], manifestFile, task);
  const file = shardFileOf(manifestFile, task);
  const store = Store.open(file);
  try {
    const outcome = await executeSweep(shardPlan, store, {
      jobs: opts.jobs ?? 1,
      onProgress: opts.onProgress,
      signal: opts.signal,
      runGate: opts.runGate,
    });
    return {
      done: store.runCounts(outcome.sweepId).done,
      failed: outcome.failed,
      file,
      cancelled: outcome.cancelled,
    };
  } finally {
    store.close();
  }
}

/**
 * The plan of one task: a shallow copy of `plan` whose runs are the task's (in the plan's order)
 * and with no capacity search. Its spec hash is the plan's.
 * @throws InputError naming the manifest and the first key that is not a planned run
 */
function taskPlanOf(plan: SweepPlan, keys: readonly string[], manifestFile: string, task: number): SweepPlan {
  const wanted = new Set(keys);
  const runs = plan.runs.filter((r) => wanted.has(r.runKey));
  if (runs.length !== wanted.size) {
    const planned = new Set(plan.runs.map((r) => r.runKey));
    const missing = keys.findIndex((k) => !planned.has(k));
    throw new InputError(
      `${manifestFile}: tasks.${task}.${missing}: run key ${keys[missing]} is not a planned run of ` +
        `${plan.file}; a task executes planned runs only (capacity-search probes cannot be sharded: ` +
        'their rates are only known as the search goes)',
      { file: manifestFile, field: `tasks.${task}.${missing}` },
    );
  }
  return { ...plan, runs, searches: [] };
}
