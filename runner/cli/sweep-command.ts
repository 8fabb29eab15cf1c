import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import { Store } from '../store/store.js';
import { executeSweep } from '../sweeps/sweep-executor.js';
import { HeldRunsGate } from '../sweeps/held-runs-gate.js';
import { planSweep } from '../sweeps/sweep-plan.js';
import { StoreFaultError } from '../sweeps/store-fault.js';
import { describeLeaseHolder } from '../store/sweep-busy-error.js';
import { ExitCode } from './exit-codes.js';
import { planAskingWorkers } from './worker-kv-size.js';
import type { SlurmSweepOptions } from './slurm-sweep.js';
import { SweepProgressReporter } from './sweep-progress.js';

/** Options of `schedbench sweep`. */
export interface SweepCommandOptions {
  db: string;
  jobs?: number;
  /** Also write the HTML report to this file when the sweep ends. */
  report?: string;
  /** When another process is running the sweep, wait for it instead of exiting 3. */
  wait?: boolean;
  /** Execute on Slurm as a job array (`--executor slurm`) with these settings. */
  slurm?: SlurmSweepOptions;
  /**
   * Run threads the caller started before loading this module (startRunThreads; maxThreads at
   * least `jobs`), used instead of new ones; the caller destroys them.
   */
  threads?: Piscina;
}

/** The options of `schedbench sweep` as commander gives them (strings). */
export interface SweepCliOptions {
  db?: string;
  jobs?: string;
  report?: string;
  wait?: boolean;
  executor: 'local' | 'slurm';
  partition?: string;
  gres?: string;
  time?: string;
  arrayParallelism?: string;
  runsPerTask?: string;
  workDir?: string;
  slurmHost?: string;
}

/**
 * `schedbench sweep SPEC.yaml`: validates the whole spec (exit 2 and nothing stored on bad
 * input), stores the sweep or finds the same spec's earlier sweep, executes every run not yet
 * done, prints progress on stderr and the sweep id alone as the last line of stdout. Ctrl-C
 * (SIGINT) stops it: what ended is stored, the runs in flight are queued again, and a message
 * says how many runs are done and that the same command resumes.
 * A store fault (disk full, the database locked by another process for over 30 s, an I/O
 * error...) stops the sweep with one message naming the database and the cause (StoreFaultError):
 * no run is failed for it, what ended is kept, and the same command resumes once it is fixed.
 * With SCHEDBENCH_HOLD_RUNS=1 in the environment every run is held after it simulates, before its
 * result is stored, until the process receives SIGUSR2 (as `serve` does): for tests that need a
 * sweep to stay running while another process tries it.
 * Another process running the same sweep (it holds the sweep's lease) is not disturbed: this one
 * exits 3 naming it (SweepBusyError), or with `wait` waits for it to end and runs what is left.
 * @returns ExitCode.OK when every run succeeded, RUNS_FAILED when some failed or after a store
 *   fault, INTERRUPTED after Ctrl-C
 * @throws InputError on bad input (the CLI maps it to exit 2)
 * @throws SweepBusyError when another process is running the sweep (the CLI maps it to exit 3)
 */
export async function sweepCommand(specPath: string, opts: SweepCommandOptions): Promise<number> {
  const resumeCommand = `schedbench sweep ${shellWord(specPath)} --db ${shellWord(opts.db)}`;
  // The database opens before planning only when the spec's machine must be looked up in it
  // (a GPU worker or profile:...); otherwise bad input leaves no database behind.
  let opened: Store | undefined;
  const open = (): Store => (opened ??= Store.open(opts.db));
  let plan;
  try {
    plan = await planAskingWorkers(
      () => planSweep(specPath, { registry: open }),
      open,
      (line) => process.stderr.write(`${line}\n`),
    );
  } catch (error) {
    opened?.close();
    throw error;
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  const store = open();
  const progress = new SweepProgressReporter();
  // Ctrl-C stops the sweep: no run starts after it, runs in flight are interrupted (their worker
  // threads end) and queued again, what ended stays stored. A second Ctrl-C exits at once (the
  // runs it leaves `running` are queued again by the next invocation).
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) {
      progress.end();
      process.stderr.write(
        `\ninterrupted again: exiting now; run the same command to resume:\n  ${resumeCommand}\n`,
      );
      process.exit(ExitCode.INTERRUPTED);
    }
    progress.end();
    process.stderr.write('\ninterrupted: stopping the runs in flight (Ctrl-C again to exit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const hold = process.env.SCHEDBENCH_HOLD_RUNS === '1' ? new HeldRunsGate() : undefined;
  const openHold = (): void => hold?.open();
  // A held run's promise does not keep the event loop alive (the lease's heartbeat is unref'd).
  const keepAlive = hold ? setInterval(() => undefined, 1 << 30) : undefined;
  if (hold) {
    process.once('SIGUSR2', openHold);
    process.stderr.write('SCHEDBENCH_HOLD_RUNS=1: runs are held after they simulate until SIGUSR2.\n');
  }
  try {
    if (opts.slurm) {
      // Loaded only here, as the report writer below: a local sweep's start-up skips them.
      const { slurmSweep } = await import('./slurm-sweep.js');
      const { code, sweepId } = await slurmSweep(plan, store, opts.slurm, abort.signal, opts.wait === true);
      if (opts.report && code === ExitCode.OK) {
        const { writeSweepReport } = await import('./report-command.js');
        process.stderr.write(`report: ${writeSweepReport(store, sweepId, opts.report, 'html')}\n`);
      }
      process.stdout.write(`${sweepId}\n`);
      return code;
    }
    const jobs = opts.jobs ?? availableParallelism();
    let outcome;
    try {
      outcome = await executeSweep(plan, store, {
        jobs,
        // Worker threads even for one job, so that Ctrl-C interrupts a run at once.
        workerThreads: true,
        ...(opts.threads ? { threads: opts.threads } : {}),
        signal: abort.signal,
        waitForLease: opts.wait === true,
        onLeaseWait: (holder) =>
          process.stderr.write(
            `waiting: ${describeLeaseHolder(holder, Date.now())} (Ctrl-C to stop waiting)\n`,
          ),
        onBegin: (b) => progress.begin(b.total, b.alreadyDone, b.sweepId, b.resumed),
        onProgress: (p) => progress.update(p),
        runGate: hold?.gate,
      });
    } catch (error) {
      if (!(error instanceof StoreFaultError)) throw error;
      progress.end();
      process.stderr.write(`schedbench: ${error.message}:\n  ${resumeCommand}\n`);
      return ExitCode.RUNS_FAILED;
    }
    progress.end();
    const counts = store.runCounts(outcome.sweepId);
    if (outcome.cancelled || abort.signal.aborted) {
      const all = counts.done + counts.failed + counts.queued + counts.running;
      process.stderr.write(
        `interrupted: sweep ${outcome.sweepId} (${plan.spec.name}) has ${counts.done} of ${all} run(s) done ` +
          `(${outcome.done} in this invocation), ${counts.failed} failed; the runs in flight were queued again. ` +
          `Run the same command again to resume:\n  ${resumeCommand}\n`,
      );
      process.stdout.write(`${outcome.sweepId}\n`);
      return ExitCode.INTERRUPTED;
    }
    process.stderr.write(
      `sweep ${outcome.sweepId} (${plan.spec.name}): ${counts.done} done, ${counts.failed} failed, database ${store.file}\n`,
    );
    if (opts.report) {
      const { writeSweepReport } = await import('./report-command.js');
      const path = writeSweepReport(store, outcome.sweepId, opts.report, 'html');
      process.stderr.write(`report: ${path}\n`);
    }
    process.stdout.write(`${outcome.sweepId}\n`);
    return counts.failed > 0 ? ExitCode.RUNS_FAILED : ExitCode.OK;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGUSR2', openHold);
    clearInterval(keepAlive);
    progress.end();
    store.close();
  }
}

/** `word` as one shell word: as it is when it has only safe characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
