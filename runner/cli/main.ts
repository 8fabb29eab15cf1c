import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../errors.js';
import { MigrationError } from '../store/migration-error.js';
import { StoreStateError } from '../store/store-state-error.js';
import { Store } from '../store/store.js';
import { PolicyViolationError } from '../engine/policy-violation.js';
import { COMPARE_FORMATS, compareCommand, type CompareFormat } from './compare-command.js';
import { defaultDatabasePath } from './default-database.js';
import { FLUID_FORMATS, fluidCommand, type FluidFormat } from './fluid-command.js';
import { MACHINES_FORMATS, machinesCommand, type MachinesFormat } from './machines-command.js';
import { ExitCode } from './exit-codes.js';
import { oneOf, positiveInt } from './parse-options.js';
import { chooseSweep, REPORT_FORMATS, writeSweepReport, type ReportFormat } from './report-command.js';
import { RUNS_FORMATS, runsCommand, type RunsFormat } from './runs-command.js';
import { sweepCommand } from './sweep-command.js';
import { SUMMARY_FORMATS, summaryCommand, type SummaryFormat } from './summary-command.js';

/**
 * The `schedbench` command line (commander). Every command reads and writes through the runner:
 * the same code path as the desktop app. Exit codes: see ExitCode.
 */
function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('schedbench')
    .description('Benchmark LLM-inference scheduling policies on a simulated replica.')
    .showHelpAfterError()
    .exitOverride();
  const dbOption = (): Option =>
    new Option('--db <file>', 'SQLite database (default: $SCHEDBENCH_DB or the user data directory)');
  const withStore = <T>(db: string | undefined, fn: (store: Store) => T): T => {
    const store = Store.open(db ?? defaultDatabasePath());
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };

  program
    .command('sweep')
    .description(
      'run every run of a sweep spec not yet done (resumes a killed sweep); prints the sweep id last',
    )
    .argument('<spec>', 'sweep spec (YAML)')
    .addOption(dbOption())
    .option('--jobs <n>', 'runs simulated in parallel (default: number of cores)')
    .option('--report <file>', 'also write the HTML report when the sweep ends')
    .action(async (spec: string, o: { db?: string; jobs?: string; report?: string }) => {
      const jobs = o.jobs === undefined ? undefined : positiveInt('--jobs', o.jobs);
      setExit(await sweepCommand(spec, { db: o.db ?? defaultDatabasePath(), jobs, report: o.report }));
    });

  program
    .command('runs')
    .description('list runs with their parameters and metrics')
    .option('--sweep <id>', 'only the runs of this sweep')
    .option('--format <format>', `output format: ${RUNS_FORMATS.join(', ')}`, 'table')
    .addOption(dbOption())
    .action((o: { sweep?: string; format: string; db?: string }) => {
      const format = oneOf<RunsFormat>('--format', o.format, RUNS_FORMATS);
      const sweep = o.sweep === undefined ? undefined : positiveInt('--sweep', o.sweep);
      process.stdout.write(withStore(o.db, (store) => runsCommand(store, sweep, format)));
    });

  program
    .command('compare')
    .description('metrics of runs side by side, with the change relative to the first run')
    .argument('<runIds...>', 'run ids (the first is the baseline)')
    .option('--format <format>', `output format: ${COMPARE_FORMATS.join(', ')}`, 'table')
    .addOption(dbOption())
    .action((ids: string[], o: { format: string; db?: string }) => {
      const format = oneOf<CompareFormat>('--format', o.format, COMPARE_FORMATS);
      const runIds = ids.map((id) => positiveInt('RUN_ID', id));
      process.stdout.write(withStore(o.db, (store) => compareCommand(store, runIds, format)));
    });

  program
    .command('summary')
    .description('per workload, rate and policy: key metrics as mean ± 95% confidence interval over seeds')
    .argument('[id]', 'sweep id')
    .option('--latest', 'the most recent sweep in the database')
    .option('--format <format>', `output format: ${SUMMARY_FORMATS.join(', ')}`, 'markdown')
    .addOption(dbOption())
    .action((id: string | undefined, o: { latest?: boolean; format: string; db?: string }) => {
      const format = oneOf<SummaryFormat>('--format', o.format, SUMMARY_FORMATS);
      process.stdout.write(
        withStore(o.db, (store) => summaryCommand(store, chooseSweep(store, id, o.latest), format)),
      );
    });

  program
    .command('machines')
    .description('the built-in simulated machines: GPU, model, KV capacity, term sources, linear fit')
    .option('--format <format>', `output format: ${MACHINES_FORMATS.join(', ')}`, 'table')
    .action((o: { format: string }) => {
      process.stdout.write(machinesCommand(oneOf<MachinesFormat>('--format', o.format, MACHINES_FORMATS)));
    });

  program
    .command('fluid')
    .description(
      "the paper's fluid benchmark per workload and rate: Throughput*, M*, stability, largest stable rate",
    )
    .argument('<spec>', 'sweep spec (YAML)')
    .option('--format <format>', `output format: ${FLUID_FORMATS.join(', ')}`, 'table')
    .action((spec: string, o: { format: string }) => {
      const format = oneOf<FluidFormat>('--format', o.format, FLUID_FORMATS);
      process.stdout.write(fluidCommand(spec, format));
    });

  program
    .command('report')
    .description(
      'write a sweep report: self-contained HTML (charts, table, spec, machine), CSV or JSON; prints its path',
    )
    .argument('[id]', 'sweep id')
    .option('--latest', 'the most recent sweep in the database')
    .option('--out <file>', 'output file (default: schedbench-sweep-<id>.<format>)')
    .option('--format <format>', `output format: ${REPORT_FORMATS.join(', ')}`, 'html')
    .addOption(dbOption())
    .action((id: string | undefined, o: { latest?: boolean; out?: string; format: string; db?: string }) => {
      const format = oneOf<ReportFormat>('--format', o.format, REPORT_FORMATS);
      const path = withStore(o.db, (store) => {
        const sweepId = chooseSweep(store, id, o.latest);
        return writeSweepReport(store, sweepId, o.out ?? `schedbench-sweep-${sweepId}.${format}`, format);
      });
      process.stdout.write(`${path}\n`);
    });
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0
        ? ExitCode.OK
        : ExitCode.BAD_INPUT;
    }
    if (e instanceof InputError || e instanceof MigrationError || e instanceof StoreStateError) {
      process.stderr.write(`schedbench: ${e.message}\n`);
      return ExitCode.BAD_INPUT;
    }
    if (e instanceof PolicyViolationError) {
      process.stderr.write(`schedbench: ${e.message}\n`);
      return ExitCode.RUNS_FAILED;
    }
    process.stderr.write(
      `schedbench: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return ExitCode.RUNS_FAILED;
  }
}
