import { dirname, resolve } from 'node:path';
import type { Store } from '../store/store.js';
import { executeSweepOnSlurm } from '../sweeps/slurm-executor.js';
import type { SweepPlan } from '../sweeps/sweep-plan.js';
import { InputError } from '../errors.js';
import { recordingRegistry } from '../machines/registry-snapshot.js';
import { resolveMachine } from '../machines/resolve-machine.js';
import { specMachines } from '../sweeps/sweep-spec.js';
import { SlurmClient, parseSlurmHost } from '../workers/slurm-client.js';
import { ExitCode } from './exit-codes.js';

/** The `sweep --executor slurm` options (docs/scale-out.md). */
export interface SlurmSweepOptions {
  partition?: string;
  gres?: string;
  time?: string;
  arrayParallelism?: number;
  runsPerTask?: number;
  /** Shared folder for manifests, shards and logs (default: `slurm/` beside the database). */
  workDir?: string;
  /** `USER@HOST[:PORT]` of a login node; absent: sbatch on this host. */
  slurmHost?: string;
  /** Runs each task simulates at once. */
  jobsPerTask?: number;
}

/**
 * `schedbench sweep SPEC --executor slurm`: executes the plan's pending runs as a Slurm job array
 * (executeSweepOnSlurm), printing each submission and merged task on stderr; Ctrl-C (`signal`)
 * cancels the arrays. SCHEDBENCH_SLURM_POLL_MS (tests) shortens the 5 s poll.
 * @returns OK when every run is done, RUNS_FAILED when some are not (run it again to resubmit
 *   them), INTERRUPTED after Ctrl-C; and the sweep id
 * A `profile:` or GPU worker machine plans in each task from the worker machines and calibrations
 * written into the manifest (a GPU worker runs inside the task, on the GPU Slurm allocated to it).
 * @throws InputError for a spec with capacity searches or a worker pool (not sharded),
 *   or a bad --slurm-host; SlurmError when Slurm refuses; SweepBusyError as `sweep`
 */
export async function slurmSweep(
  plan: SweepPlan,
  store: Store,
  opts: SlurmSweepOptions,
  signal: AbortSignal,
  wait: boolean,
): Promise<{ code: number; sweepId: number }> {
  if (plan.searches.length > 0) {
    throw new InputError(
      `${plan.file}: capacity searches cannot run on Slurm yet (their probes are chosen as the search goes); run it without --executor slurm`,
      { file: plan.file, field: '--executor' },
    );
  }
  if (plan.machines.some((m) => m.machine.pool)) {
    throw new InputError(
      `${plan.file}: a worker pool cannot run on Slurm: each array task starts its own worker on the GPU Slurm gives it (--gres gpu:1); name one worker machine`,
      { file: plan.file, field: '--executor' },
    );
  }
  // What the plan looked up in the database travels in the manifest: tasks have no database.
  const { snapshot } = recordingRegistry(store, (registry) => {
    for (const ref of specMachines(plan.spec)) resolveMachine(ref, registry);
  });
  const host = opts.slurmHost === undefined ? undefined : parseSlurmHost(opts.slurmHost);
  const client = new SlurmClient(host ? { ssh: host } : {});
  const poll = Number(process.env.SCHEDBENCH_SLURM_POLL_MS);
  const outcome = await executeSweepOnSlurm(plan, store, {
    client,
    workDir: resolve(opts.workDir ?? resolve(dirname(store.file), 'slurm')),
    runsPerTask: opts.runsPerTask,
    arrayParallelism: opts.arrayParallelism,
    partition: opts.partition,
    gres: opts.gres,
    time: opts.time,
    jobsPerTask: opts.jobsPerTask,
    registry: snapshot,
    pollMs: Number.isFinite(poll) && poll > 0 ? poll : undefined,
    signal,
    waitForLease: wait,
    onBegin: (b) =>
      process.stderr.write(
        `${b.resumed ? 'resuming' : 'storing'} sweep ${b.sweepId} (${b.alreadyDone} run(s) already done): ${b.total} run(s) to execute on Slurm (${client.reachedBy})\n`,
      ),
    onEvent: (line) => process.stderr.write(`${line}\n`),
  });
  const counts = store.runCounts(outcome.sweepId);
  const all = counts.done + counts.failed + counts.queued + counts.running;
  process.stderr.write(
    `sweep ${outcome.sweepId} (${plan.spec.name}): ${counts.done} of ${all} run(s) done, ${outcome.done} merged in this invocation` +
      (counts.done < all
        ? `; ${all - counts.done} not done: run the same command again to submit them`
        : '') +
      `, database ${store.file}\n`,
  );
  const code = outcome.cancelled
    ? ExitCode.INTERRUPTED
    : counts.done < all
      ? ExitCode.RUNS_FAILED
      : ExitCode.OK;
  return { code, sweepId: outcome.sweepId };
}
