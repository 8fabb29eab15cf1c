import { HeldRunsGate } from '../sweeps/held-runs-gate.js';
import { runShard } from '../sweeps/sweep-shard.js';
import { ExitCode } from './exit-codes.js';

/**
 * `schedbench shard MANIFEST --task I`: what each Slurm array task runs (docs/scale-out.md): the
 * task's runs, planned again from the manifest's spec, into its own shard database beside the
 * manifest (runShard). SIGTERM (Slurm's time limit, `scancel`) stops it: runs that ended are kept
 * in the shard, the driver merges them, and the others go back to the sweep's queue.
 * With SCHEDBENCH_HOLD_RUNS=1 in the environment (which Slurm passes on from the submitting
 * driver) every run is held after it simulates until the process receives SIGUSR2, as in `sweep`
 * and `serve`: for tests that kill or cancel tasks while they hold runs.
 * @returns OK when every run of the task is done, RUNS_FAILED when some failed, INTERRUPTED after
 *   SIGTERM or SIGINT
 * @throws InputError for a bad manifest or task (exit 2)
 */
export async function shardCommand(manifest: string, task: number, jobs: number): Promise<number> {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const hold = process.env.SCHEDBENCH_HOLD_RUNS === '1' ? new HeldRunsGate() : undefined;
  const openHold = (): void => hold?.open();
  // A held run's promise does not keep the event loop alive.
  const keepAlive = hold ? setInterval(() => undefined, 1 << 30) : undefined;
  if (hold) process.once('SIGUSR2', openHold);
  try {
    const outcome = await runShard(manifest, task, { jobs, signal: abort.signal, runGate: hold?.gate });
    process.stderr.write(
      `task ${task}: ${outcome.done} run(s) done, ${outcome.failed} failed${outcome.cancelled ? ', stopped' : ''}; shard ${outcome.file}\n`,
    );
    if (outcome.cancelled) return ExitCode.INTERRUPTED;
    return outcome.failed > 0 ? ExitCode.RUNS_FAILED : ExitCode.OK;
  } finally {
    clearInterval(keepAlive);
    process.off('SIGUSR2', openHold);
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
