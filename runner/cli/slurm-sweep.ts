import { dirname, resolve } from 'node:path';
import type { Store } from '../store/store.js';
import { executeSweepOnSlurm } from '../sweeps/slurm-executor.js';
import type { SweepPlan } from '../sweeps/sweep-plan.js';
import { InputError } from '../errors.js';
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
 * @throws InputError for a spec with capacity searches, a `profile:` machine or a GPU worker machine
 *   (not sharded yet),
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
  if (plan.machines.some((m) => typeof m.taskMachine === 'object' && 'calibration' in m.taskMachine)) {
    throw new InputError(
      `${plan.file}: profile: machines cannot run on Slurm yet (an array task has no database to find the calibration in); run it without --executor slurm`,
      { file: plan.file, field: '--executor' },
    );
  }
  if (plan.machines.some((m) => m.machine.worker)) {
    throw new InputError(
      `${plan.file}: GPU-in-the-loop machines cannot run on Slurm yet; run it without --executor slurm`,
      { file: plan.file, field: '--executor' },
    );
  }
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
