import { Command, CommanderError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { PolicyViolationError } from '../engine/policy-violation.js';
import { InputError } from '../errors.js';
import { MigrationError } from '../store/migration-error.js';
import { sqliteErrorCode } from '../store/sqlite-error-code.js';
import type { Store } from '../store/store.js';
import { StoreStateError } from '../store/store-state-error.js';
import { SweepBusyError } from '../store/sweep-busy-error.js';
import type { CapacityFormat } from './capacity-command.js';
import type { CompareFormat } from './compare-command.js';
import {
  CAPACITY_FORMATS,
  COMPARE_FORMATS,
  DEFAULT_SERVE_PORT,
  FLUID_FORMATS,
  IMPORT_FORMATS,
  MACHINES_FORMATS,
  REPORT_FORMATS,
  RUNS_FORMATS,
  SUMMARY_FORMATS,
  TARGET_UTILISATION,
} from './command-choices.js';
import { ExitCode } from './exit-codes.js';
import type { FluidFormat } from './fluid-command.js';
import type { GpuReportRawOptions } from './gpu-report-options.js';
import type { ImportFormat } from './import-command.js';
import type { MachinesFormat } from './machines-command.js';
import { packageVersion } from './package-version.js';
import { nonNegativeInt, oneOf, positiveInt, tcpPort } from './parse-options.js';
import type { ProfileCommandOptions } from './profile-command.js';
import type { ReportFormat } from './report-command.js';
import type { RunsFormat } from './runs-command.js';
import type { SummaryFormat } from './summary-command.js';
import type { SweepCliOptions } from './sweep-command.js';
import type { AddMachineOptions } from './worker-machines-command.js';

/**
 * The commands declared in this file, each of which loads its module only when it runs
 * (`await import` in its action), so that starting the CLI costs commander and the declarations.
 * Two more are declared only when they may be shown or run ({@link declaresEverything}): `api`,
 * whose description lists the API's operations (api-contract.ts and zod), and `sweeps`, whose
 * declarations live with their implementation (sweeps-command.ts and the store).
 */
const LAZY_COMMANDS = new Set([
  'sweep',
  'shard',
  'runs',
  'compare',
  'summary',
  'capacity',
  'machines',
  'profile',
  'gpu-report',
  'fluid',
  'report',
  'import',
  'serve',
]);

/**
 * Whether the program must declare every command: unless the first word of `argv` names one of
 * {@link LAZY_COMMANDS} (its help and errors show no other command), or there is no word and the
 * version is asked for. The top-level help, `help`, `api`, `sweeps` and an unknown word (its
 * error suggests a command and shows the help) need them all.
 * @param argv as process.argv (node, script, arguments)
 */
function declaresEverything(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const word = args.find((a) => !a.startsWith('-'));
  if (word !== undefined) return !LAZY_COMMANDS.has(word);
  const asksVersion = args.includes('-v') || args.includes('--version');
  const asksHelp = args.includes('-h') || args.includes('--help');
  return !asksVersion || asksHelp;
}

/**
 * The `schedbench` command line (commander). Every command reads and writes through the runner:
 * the same code path as the desktop app. Exit codes: see ExitCode. Declaring a command loads
 * nothing but its option choices (command-choices.ts); its action imports its module when it
 * runs, so `--version`, `--help` and `sweep` start without the reports, the API server or the
 * GPU workers. `api` and `sweeps` are declared only when needed ({@link declaresEverything}).
 * @param setExit records the exit code of a command that does not throw
 * @param argv as process.argv
 */
async function buildProgram(setExit: (code: number) => void, argv: readonly string[]): Promise<Command> {
  const program = new Command('schedbench')
    .description('Benchmark LLM-inference scheduling policies on a simulated replica.')
    .version(packageVersion(), '-v, --version', 'print the version of schedbench')
    .showHelpAfterError()
    .exitOverride();
  const dbOption = (): Option =>
    new Option('--db <file>', 'SQLite database (default: $SCHEDBENCH_DB or the user data directory)');
  // Commands that only read (and those that need a registered machine) never create a database;
  // those that only read open it read-only (`mode` 'read': no WAL switch, no migration).
  const withStore = async <T>(
    db: string | undefined,
    fn: (store: Store) => T,
    mode: 'create' | 'existing' | 'read' = 'read',
  ): Promise<T> => {
    const { openExistingStore, useStore } = await import('./open-store.js');
    if (mode !== 'create') return useStore(openExistingStore(db, { readonly: mode === 'read' }), fn);
    const [{ Store }, { defaultDatabasePath }] = await Promise.all([
      import('../store/store.js'),
      import('../store/default-database.js'),
    ]);
    return useStore(Store.open(db ?? defaultDatabasePath()), fn);
  };

  program
    .command('sweep')
    .description(
      'run every run of a sweep spec not yet done (resumes a killed sweep); prints the sweep id last',
    )
    .argument('<spec>', 'sweep spec (YAML)')
    .addOption(dbOption())
    .option(
      '--jobs <n>',
      'runs simulated in parallel (default: number of cores; with --executor slurm: per array task, default 1)',
    )
    .option('--report <file>', 'also write the HTML report when the sweep ends')
    .option(
      '--wait',
      'when another process is running this sweep, wait for it to end, then run what is left (default: exit 3)',
    )
    .addOption(
      new Option(
        '--executor <executor>',
        'where runs execute: here, or as a Slurm job array (docs/scale-out.md)',
      )
        .choices(['local', 'slurm'])
        .default('local'),
    )
    .option('--partition <partition>', 'Slurm: partition of the job array')
    .option('--gres <gres>', 'Slurm: generic resources per task, e.g. gpu:1')
    .option('--time <time>', 'Slurm: time limit per task, e.g. 02:00:00')
    .option('--array-parallelism <k>', 'Slurm: array tasks running at once')
    .option('--runs-per-task <n>', 'Slurm: runs each array task executes (default 8)')
    .option(
      '--work-dir <dir>',
      'Slurm: shared folder for manifests, shards and logs (default: slurm/ beside --db)',
    )
    .option('--slurm-host <user@host>', 'Slurm: submit through SSH to this login node (default: sbatch here)')
    .action(async (spec: string, o: SweepCliOptions) => {
      const jobs = o.jobs === undefined ? undefined : positiveInt('--jobs', o.jobs);
      const slurm =
        o.executor === 'slurm'
          ? {
              partition: o.partition,
              gres: o.gres,
              time: o.time,
              arrayParallelism:
                o.arrayParallelism === undefined
                  ? undefined
                  : positiveInt('--array-parallelism', o.arrayParallelism),
              runsPerTask:
                o.runsPerTask === undefined ? undefined : positiveInt('--runs-per-task', o.runsPerTask),
              workDir: o.workDir,
              slurmHost: o.slurmHost,
              jobsPerTask: jobs,
            }
          : undefined;
      // The run threads start first, so their start-up overlaps loading the planner and planning
      // (startRunThreads); a Slurm sweep simulates in its tasks, not here.
      const threads = slurm
        ? undefined
        : (await import('../sweeps/run-threads.js')).startRunThreads(jobs ?? availableParallelism());
      try {
        const [{ sweepCommand }, { defaultDatabasePath }] = await Promise.all([
          import('./sweep-command.js'),
          import('../store/default-database.js'),
        ]);
        setExit(
          await sweepCommand(spec, {
            db: o.db ?? defaultDatabasePath(),
            jobs,
            report: o.report,
            wait: o.wait === true,
            slurm,
            threads,
          }),
        );
      } finally {
        await threads?.destroy();
      }
    });

  program
    .command('shard')
    .description(
      'run one task of a sweep submitted to Slurm (what each array task runs): its runs into its own shard database beside the manifest',
    )
    .argument('<manifest>', "the array's manifest (JSON, written by `sweep --executor slurm`)")
    .requiredOption('--task <i>', 'task index (Slurm: $SLURM_ARRAY_TASK_ID)')
    .option('--jobs <n>', 'runs simulated in parallel (default 1)')
    .action(async (manifest: string, o: { task: string; jobs?: string }) => {
      const task = nonNegativeInt('--task', o.task);
      const jobs = o.jobs === undefined ? 1 : positiveInt('--jobs', o.jobs);
      const { shardCommand } = await import('./shard-command.js');
      setExit(await shardCommand(manifest, task, jobs));
    });

  program
    .command('runs')
    .description('list runs with their parameters and metrics')
    .option('--sweep <id>', 'only the runs of this sweep')
    .option('--policy <names>', 'only runs of these policies (comma-separated names, e.g. vllm,sarathi)')
    .option('--rate <r>', 'only runs at this arrival rate, req/s, or in a range MIN..MAX (2..6, 2.., ..6)')
    .option(
      '--columns <list>',
      'columns to print, comma-separated, or all (default: a set that fits 160 characters; CSV: all)',
    )
    .option('--format <format>', `output format: ${RUNS_FORMATS.join(', ')}`, 'table')
    .addOption(dbOption())
    .action(
      async (o: {
        sweep?: string;
        policy?: string;
        rate?: string;
        columns?: string;
        format: string;
        db?: string;
      }) => {
        const format = oneOf<RunsFormat>('--format', o.format, RUNS_FORMATS);
        const sweepId = o.sweep === undefined ? undefined : positiveInt('--sweep', o.sweep);
        const { parseColumns, parseRateRange, runsCommand } = await import('./runs-command.js');
        const columns = o.columns === undefined ? undefined : parseColumns(o.columns);
        const rate = o.rate === undefined ? undefined : parseRateRange(o.rate);
        const policies = o.policy?.split(',').map((p) => p.trim());
        process.stdout.write(
          await withStore(o.db, (store) => runsCommand(store, { format, sweepId, columns, rate, policies })),
        );
      },
    );

  program
    .command('compare')
    .description('metrics of runs side by side, with the change relative to the first run')
    .argument('<runIds...>', 'run ids (the first is the baseline)')
    .option('--format <format>', `output format: ${COMPARE_FORMATS.join(', ')}`, 'table')
    .option('--twins', 'put each GPU-in-the-loop run beside its simulated twin on profile:WORKER/MODEL')
    .addOption(dbOption())
    .action(async (ids: string[], o: { format: string; twins?: boolean; db?: string }) => {
      const format = oneOf<CompareFormat>('--format', o.format, COMPARE_FORMATS);
      const runIds = ids.map((id) => positiveInt('RUN_ID', id));
      const { compareCommand } = await import('./compare-command.js');
      process.stdout.write(
        await withStore(o.db, (store) => compareCommand(store, runIds, format, { twins: o.twins === true })),
      );
    });

  program
    .command('summary')
    .description(
      'per workload and rate: the best policy on each key metric and the others against it (paired over seeds), then per policy the key metrics as mean ± 95% confidence interval over seeds',
    )
    .argument('[id]', 'sweep id')
    .option('--latest', 'the most recent sweep in the database')
    .option(
      '--format <format>',
      `output format: ${SUMMARY_FORMATS.join(', ')} (default: table on a terminal, else markdown)`,
    )
    .addOption(dbOption())
    .action(async (id: string | undefined, o: { latest?: boolean; format?: string; db?: string }) => {
      const format =
        o.format === undefined ? undefined : oneOf<SummaryFormat>('--format', o.format, SUMMARY_FORMATS);
      const [{ defaultSummaryFormat, summaryCommand }, { chooseSweep }] = await Promise.all([
        import('./summary-command.js'),
        import('./report-command.js'),
      ]);
      process.stdout.write(
        await withStore(o.db, (store) =>
          summaryCommand(
            store,
            chooseSweep(store, id, o.latest),
            format ?? defaultSummaryFormat(),
            () => store,
          ),
        ),
      );
    });

  program
    .command('capacity')
    .description(
      "per workload and policy: the largest offered rate sustained (stable, and meeting the SLO), found by the sweep's capacity searches",
    )
    .argument('[id]', 'sweep id')
    .option('--latest', 'the most recent sweep in the database')
    .option('--format <format>', `output format: ${CAPACITY_FORMATS.join(', ')}`, 'table')
    .addOption(dbOption())
    .action(async (id: string | undefined, o: { latest?: boolean; format: string; db?: string }) => {
      const format = oneOf<CapacityFormat>('--format', o.format, CAPACITY_FORMATS);
      const [{ capacityCommand }, { chooseSweep }] = await Promise.all([
        import('./capacity-command.js'),
        import('./report-command.js'),
      ]);
      process.stdout.write(
        await withStore(o.db, (store) =>
          capacityCommand(store, chooseSweep(store, id, o.latest), format, () => store),
        ),
      );
    });

  const machines = program
    .command('machines')
    .description('simulated machines, GPU worker machines and their calibrations (default: list)');
  machines
    .command('list', { isDefault: true })
    .description(
      'the built-in simulated machines (GPU, model, KV capacity, term sources, linear fit), then the registered GPU workers and calibrations',
    )
    .option('--format <format>', `output format: ${MACHINES_FORMATS.join(', ')}`, 'table')
    .addOption(dbOption())
    .action(async (o: { format: string; db?: string }) => {
      const format = oneOf<MachinesFormat>('--format', o.format, MACHINES_FORMATS);
      const { machinesListCommand } = await import('./machines-command.js');
      process.stdout.write(machinesListCommand(o.db, format));
    });
  machines
    .command('add')
    .description(
      'register a GPU worker machine: this host (--local) or one reached over ssh (--ssh USER@HOST)',
    )
    .argument('<name>', 'machine name (no "/", ":" or spaces)')
    .option('--local', 'the worker runs on this host')
    .option(
      '--ssh <user@host>',
      'the worker runs on HOST, reached as USER with ssh (BatchMode, no password prompts)',
    )
    .option('--port <n>', 'ssh port (default 22)')
    .option('--identity <file>', 'ssh private key file')
    .option('--known-hosts <file>', "known_hosts file to check the host key against (default: ssh's own)")
    .addOption(
      new Option('--host-key-checking <policy>', 'ssh StrictHostKeyChecking (default yes)').choices([
        'yes',
        'accept-new',
        'no',
      ]),
    )
    .option('--python <path>', 'Python interpreter with PyTorch on the machine (default /usr/bin/python3)')
    .addOption(dbOption())
    .action(async (name: string, o: AddMachineOptions & { port?: string; db?: string }) => {
      const port = o.port === undefined ? undefined : positiveInt('--port', o.port);
      const { addMachineCommand } = await import('./worker-machines-command.js');
      process.stdout.write(
        await withStore(o.db, (store) => addMachineCommand(store, name, { ...o, port }), 'create'),
      );
    });
  machines
    .command('check')
    .description("start a worker machine's worker and print its hello (versions, device, GPU, dtypes)")
    .argument('<name>', 'registered machine')
    .addOption(dbOption())
    .action(async (name: string, o: { db?: string }) => {
      const [{ openExistingStore }, { checkMachineCommand }] = await Promise.all([
        import('./open-store.js'),
        import('./worker-machines-command.js'),
      ]);
      const store = openExistingStore(o.db);
      try {
        const outcome = await checkMachineCommand(store, name);
        (outcome.ok ? process.stdout : process.stderr).write(outcome.text);
        setExit(outcome.ok ? ExitCode.OK : ExitCode.RUNS_FAILED);
      } finally {
        store.close();
      }
    });
  machines
    .command('remove')
    .description('forget a worker machine (its calibrations and runs are kept)')
    .argument('<name>', 'registered machine')
    .addOption(dbOption())
    .action(async (name: string, o: { db?: string }) => {
      const { removeMachineCommand } = await import('./worker-machines-command.js');
      process.stdout.write(await withStore(o.db, (store) => removeMachineCommand(store, name), 'existing'));
    });

  program
    .command('profile')
    .description(
      'calibrate a worker machine: time a grid of batches, fit the iteration-time model, store it as machine profile:NAME/MODEL',
    )
    .argument('<name>', 'registered worker machine')
    .requiredOption('--model <model>', 'worker model preset (llama-2-7b, tiny-llama) or checkpoint directory')
    .addOption(
      new Option('--dtype <dtype>', 'weights and KV dtype').choices(['float32', 'float16', 'bfloat16']),
    )
    .option(
      '--kv-blocks <n>',
      'KV blocks to allocate, or auto (90% of free GPU memory; 1,024 on CPU)',
      'auto',
    )
    .option('--block-size <n>', 'tokens per KV block', '16')
    .option('--max-batch-tokens <n>', 'largest batch in tokens (default 4,096 on a GPU, 512 on CPU)')
    .option('--max-decodes <n>', 'most decodes in a batch (default 128 on a GPU, 32 on CPU)')
    .option('--max-kv-tokens <n>', 'longest request in tokens (default 4,096 on a GPU, 512 on CPU)')
    .option('--repeats <n>', 'timed iterations per shape (the median is fitted)', '5')
    .option('--warmup <n>', 'untimed iterations per shape', '2')
    .addOption(dbOption())
    .action(
      async (
        name: string,
        o: {
          model: string;
          dtype?: 'float32' | 'float16' | 'bfloat16';
          kvBlocks: string;
          blockSize: string;
          maxBatchTokens?: string;
          maxDecodes?: string;
          maxKvTokens?: string;
          repeats: string;
          warmup: string;
          db?: string;
        },
      ) => {
        const optional = (flag: string, v: string | undefined): number | undefined =>
          v === undefined ? undefined : positiveInt(flag, v);
        const options: ProfileCommandOptions = {
          model: o.model,
          ...(o.dtype === undefined ? {} : { dtype: o.dtype }),
          kvBlocks: o.kvBlocks === 'auto' ? 'auto' : positiveInt('--kv-blocks', o.kvBlocks),
          blockSize: positiveInt('--block-size', o.blockSize),
          maxBatchTokens: optional('--max-batch-tokens', o.maxBatchTokens),
          maxDecodes: optional('--max-decodes', o.maxDecodes),
          maxKvTokens: optional('--max-kv-tokens', o.maxKvTokens),
          repeats: positiveInt('--repeats', o.repeats),
          warmup: nonNegativeInt('--warmup', o.warmup),
        };
        const [{ openExistingStore }, { profileCommand }] = await Promise.all([
          import('./open-store.js'),
          import('./profile-command.js'),
        ]);
        const store = openExistingStore(o.db);
        try {
          const report = await profileCommand(store, name, options, (line) =>
            process.stderr.write(`${line}\n`),
          );
          process.stdout.write(report);
        } finally {
          store.close();
        }
      },
    );

  program
    .command('gpu-report')
    .description(
      'measure a model on a GPU worker (roofline, decode and prefill vs their floors, calibration, one ' +
        'GPU-in-the-loop run beside its simulated twin) and write a Markdown report; prints its path. ' +
        'Progress goes to stderr. Without a GPU it runs on CPU: use --model tiny-llama there',
    )
    .option('--out <file>', 'Markdown report to write (default docs/gpu-results.md)')
    .option(
      '--db <file>',
      "results database (default: a temporary file, deleted at the end; with --machine: the CLI's default database)",
    )
    .option('--machine <name>', 'registered worker machine (default: a temporary local machine)')
    .option('--python <path>', 'Python with PyTorch of the temporary local machine', '/usr/bin/python3')
    .option('--model <model>', 'worker model preset or checkpoint directory', 'llama-2-7b')
    .addOption(
      new Option('--dtype <dtype>', 'weights and KV dtype (default float16 on CUDA, float32 on CPU)').choices(
        ['float32', 'float16', 'bfloat16'],
      ),
    )
    .option(
      '--kv-blocks <n>',
      'KV blocks to allocate, or auto (90% of free GPU memory; 1,024 on CPU)',
      'auto',
    )
    .option('--block-size <n>', 'tokens per KV block', '16')
    .option('--decode-batches <list>', 'decode batch sizes to time, comma-separated', '1,16,64,128')
    .option(
      '--decode-kv-len <n>',
      'cached tokens per decode request (less where the KV cache is short)',
      '512',
    )
    .option(
      '--prefill-chunks <list>',
      'single prefill chunks to time, tokens, comma-separated',
      '512,1024,2048',
    )
    .option('--requests <n>', 'requests of the GPU-in-the-loop run', '200')
    .option(
      '--rate <r>',
      `Poisson arrival rate of that run, req/s (default: ${TARGET_UTILISATION} x the calibrated capacity estimate)`,
    )
    .option('--seed <n>', 'seed of the run (arrivals and lengths)', '1')
    .option('--max-batch-tokens <n>', 'calibration grid: largest batch in tokens (profile default)')
    .option('--max-decodes <n>', 'calibration grid: most decodes in a batch (profile default)')
    .option('--max-kv-tokens <n>', 'calibration grid: longest request in tokens (profile default)')
    .option('--repeats <n>', 'timed iterations per shape and roofline measurement (median used)', '5')
    .option('--warmup <n>', 'untimed iterations per shape', '2')
    .option('--timeout-s <s>', 'seconds to wait for one worker reply', '600')
    .action(async (raw: GpuReportRawOptions, command: Command) => {
      const { parseGpuReportOptions } = await import('./gpu-report-options.js');
      const options = parseGpuReportOptions(raw);
      // The program's args are `gpu-report` and every word after it, as given (the report repeats them).
      const argv = command.parent!.args.slice(1);
      const [{ gpuReportCommand }, { TwinRunError }] = await Promise.all([
        import('./gpu-report-command.js'),
        import('./twin-run-error.js'),
      ]);
      try {
        const out = await gpuReportCommand(options, argv, (line) =>
          process.stderr.write(`gpu-report: ${line}\n`),
        );
        process.stdout.write(`${out}\n`);
      } catch (e) {
        if (!(e instanceof TwinRunError)) throw e;
        process.stderr.write(`schedbench: gpu-report: ${e.message}\n`);
        setExit(ExitCode.RUNS_FAILED);
      }
    });

  program
    .command('fluid')
    .description(
      "the paper's fluid benchmark per workload and rate: Throughput*, M*, stability, largest stable rate",
    )
    .argument('<spec>', 'sweep spec (YAML)')
    .option('--format <format>', `output format: ${FLUID_FORMATS.join(', ')}`, 'table')
    .addOption(dbOption())
    .action(async (spec: string, o: { format: string; db?: string }) => {
      const format = oneOf<FluidFormat>('--format', o.format, FLUID_FORMATS);
      const [{ openExistingStore, requireDatabase }, { fluidCommand }] = await Promise.all([
        import('./open-store.js'),
        import('./fluid-command.js'),
      ]);
      if (o.db !== undefined) requireDatabase(o.db);
      let store: Store | undefined;
      try {
        process.stdout.write(
          fluidCommand(spec, format, () => (store ??= openExistingStore(o.db, { readonly: true }))),
        );
      } finally {
        store?.close();
      }
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
    .action(
      async (id: string | undefined, o: { latest?: boolean; out?: string; format: string; db?: string }) => {
        const format = oneOf<ReportFormat>('--format', o.format, REPORT_FORMATS);
        const { chooseSweep, writeSweepReport } = await import('./report-command.js');
        const path = await withStore(o.db, (store) => {
          const sweepId = chooseSweep(store, id, o.latest);
          return writeSweepReport(store, sweepId, o.out ?? `schedbench-sweep-${sweepId}.${format}`, format);
        });
        process.stdout.write(`${path}\n`);
      },
    );

  program
    .command('import')
    .description(
      'merge the sweeps and runs of another schedbench database (one copied from a GPU server, say) into this one, all or nothing; importing it again adds nothing',
    )
    .argument('<file>', 'the schedbench database to import (it is only read)')
    .option('--format <format>', `output format: ${IMPORT_FORMATS.join(', ')}`, 'text')
    .addOption(dbOption())
    .action(async (file: string, o: { format: string; db?: string }) => {
      const format = oneOf<ImportFormat>('--format', o.format, IMPORT_FORMATS);
      const { importCommand } = await import('./import-command.js');
      process.stdout.write(await withStore(o.db, (store) => importCommand(store, file, format), 'create'));
    });

  program
    .command('serve')
    .description(
      'serve the runs browser and the API over HTTP on 127.0.0.1 only, behind a random token; prints the URL to open last (reach it from elsewhere through an SSH tunnel)',
    )
    .option('--port <n>', `TCP port on 127.0.0.1, 0 for any free port (default ${DEFAULT_SERVE_PORT})`)
    .option('--jobs <n>', 'runs simulated in parallel per sweep (default: number of cores)')
    .option(
      '--data-dir <dir>',
      "a folder the API may read traces from, besides the database's folder and the built-in data (repeatable)",
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .addOption(dbOption())
    .action(async (o: { port?: string; jobs?: string; db?: string; dataDir: string[] }) => {
      const port = o.port === undefined ? DEFAULT_SERVE_PORT : tcpPort('--port', o.port);
      const jobs = o.jobs === undefined ? undefined : positiveInt('--jobs', o.jobs);
      const [{ serveCommand }, { defaultDatabasePath }] = await Promise.all([
        import('./serve-command.js'),
        import('../store/default-database.js'),
      ]);
      setExit(await serveCommand({ db: o.db ?? defaultDatabasePath(), port, jobs, dataDirs: o.dataDir }));
    });

  if (!declaresEverything(argv)) return program;
  const [{ API_OPS }, { registerSweepsCommands }, { openExistingStore }] = await Promise.all([
    import('../api/api-contract.js'),
    import('./sweeps-command.js'),
    import('./open-store.js'),
  ]);
  program
    .command('api')
    .description(
      `call one operation of the runner's API (the desktop app's contract) with a JSON input; prints the JSON output. Operations: ${API_OPS.join(', ')}`,
    )
    .argument('<op>', 'operation, e.g. runs.list')
    .argument('[json]', 'input as JSON (default {})')
    .option('--jobs <n>', 'runs simulated in parallel (default: number of cores)')
    .addOption(dbOption())
    .action(async (op: string, json: string | undefined, o: { jobs?: string; db?: string }) => {
      const jobs = o.jobs === undefined ? availableParallelism() : positiveInt('--jobs', o.jobs);
      const [{ apiCommand }, { Store }, { defaultDatabasePath }] = await Promise.all([
        import('./api-command.js'),
        import('../store/store.js'),
        import('../store/default-database.js'),
      ]);
      const store = Store.open(o.db ?? defaultDatabasePath());
      try {
        setExit(await apiCommand(store, op, json, { jobs, cwd: process.cwd() }));
      } finally {
        store.close();
      }
    });

  registerSweepsCommands(program, { dbOption, openStore: openExistingStore });
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.OK;
  try {
    const program = await buildProgram((c) => (code = c), argv);
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    try {
      return await exitCodeOfError(e);
    } catch (inner) {
      process.stderr.write(`schedbench: internal error: ${String(inner)}\n`);
      return ExitCode.RUNS_FAILED;
    }
  }
}

/**
 * Reports an error that ended a command on stderr (without a stack, except an internal error)
 * and gives its exit code: BAD_INPUT for input, store and database problems, RUNS_FAILED for
 * Slurm, worker and policy failures and internal errors, STATE_CONFLICT for a sweep busy
 * elsewhere. The Slurm and worker clients are loaded only here, to test an error against them.
 */
async function exitCodeOfError(e: unknown): Promise<number> {
  if (e instanceof CommanderError) {
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0
      ? ExitCode.OK
      : ExitCode.BAD_INPUT;
  }
  if (e instanceof InputError || e instanceof MigrationError || e instanceof StoreStateError) {
    process.stderr.write(`schedbench: ${e.message}\n`);
    return ExitCode.BAD_INPUT;
  }
  const { SlurmError } = await import('../workers/slurm-client.js');
  if (e instanceof SlurmError) {
    // Slurm refused or could not be reached (sbatch's own message); the runs went back to the queue.
    process.stderr.write(`schedbench: Slurm: ${e.message}\n`);
    return ExitCode.RUNS_FAILED;
  }
  if (e instanceof SweepBusyError) {
    process.stderr.write(`schedbench: ${e.message}\n`);
    return ExitCode.STATE_CONFLICT;
  }
  const sqliteCode = sqliteErrorCode(e);
  if (sqliteCode?.startsWith('SQLITE_') === true) {
    // A database problem met outside useStore (corrupt, locked, full disk): no stack.
    process.stderr.write(`schedbench: database error (SQLite ${sqliteCode}): ${(e as Error).message}\n`);
    return ExitCode.BAD_INPUT;
  }
  const { WorkerError } = await import('../workers/worker-client.js');
  if (e instanceof WorkerError) {
    process.stderr.write(`schedbench: ${e.message}\n`);
    return ExitCode.RUNS_FAILED;
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
