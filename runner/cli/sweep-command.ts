import { availableParallelism } from 'node:os';
import { Store } from '../store/store.js';
import { executeSweep } from '../sweeps/sweep-executor.js';
import { planSweep } from '../sweeps/sweep-plan.js';
import { ExitCode } from './exit-codes.js';
import { writeSweepReport } from './report-command.js';
import { SweepProgressReporter } from './sweep-progress.js';

/** Options of `schedbench sweep`. */
export interface SweepCommandOptions {
  db: string;
  jobs?: number;
  /** Also write the HTML report to this file when the sweep ends. */
  report?: string;
}

/**
 * `schedbench sweep SPEC.yaml`: validates the whole spec (exit 2 and nothing stored on bad
 * input), stores the sweep or finds the same spec's earlier sweep, executes every run not yet
 * done, prints progress on stderr and the sweep id alone as the last line of stdout.
 * @returns ExitCode.OK when every run succeeded, RUNS_FAILED when some failed
 * @throws InputError on bad input (the CLI maps it to exit 2)
 */
export async function sweepCommand(specPath: string, opts: SweepCommandOptions): Promise<number> {
  // The database opens before planning only when the spec's machine must be looked up in it
  // (a GPU worker or profile:...); otherwise bad input leaves no database behind.
  let opened: Store | undefined;
  const open = (): Store => (opened ??= Store.open(opts.db));
  let plan;
  try {
    plan = planSweep(specPath, { registry: open });
  } catch (error) {
    opened?.close();
    throw error;
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  const store = open();
  const progress = new SweepProgressReporter();
  try {
    const jobs = opts.jobs ?? availableParallelism();
    const outcome = await executeSweep(plan, store, {
      jobs,
      onBegin: (b) => progress.begin(b.total, b.alreadyDone, b.sweepId, b.resumed),
      onProgress: (p) => progress.update(p),
    });
    progress.end();
    const counts = store.runCounts(outcome.sweepId);
    process.stderr.write(
      `sweep ${outcome.sweepId} (${plan.spec.name}): ${counts.done} done, ${counts.failed} failed, database ${store.file}\n`,
    );
    if (opts.report) {
      const path = writeSweepReport(store, outcome.sweepId, opts.report, 'html');
      process.stderr.write(`report: ${path}\n`);
    }
    process.stdout.write(`${outcome.sweepId}\n`);
    return counts.failed > 0 ? ExitCode.RUNS_FAILED : ExitCode.OK;
  } finally {
    progress.end();
    store.close();
  }
}
