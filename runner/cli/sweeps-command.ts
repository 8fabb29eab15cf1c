import { useStore } from './open-store.js';
import { SweepBusyError } from '../store/sweep-busy-error.js';
import { createInterface } from 'node:readline/promises';
import type { Command, Option } from 'commander';
import { InputError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { SweepRow } from '../store/sweep-row.js';
import { positiveInt } from './parse-options.js';

/** How `sweeps delete` confirms: a question on a terminal, or nothing to ask (not a terminal). */
export interface Confirmation {
  /** Whether a person can be asked: stdin and stderr are terminals. */
  interactive: boolean;
  /** Asks a yes/no question (on stderr, the answer from stdin); true for `y` or `yes`. */
  ask(question: string): Promise<boolean>;
}

/** The Confirmation of this process's stdin and stderr. */
export function terminalConfirmation(): Confirmation {
  return {
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^\s*y(es)?\s*$/i.test(await rl.question(question));
      } finally {
        rl.close();
      }
    },
  };
}

/** A sweep of the store, or InputError (`no sweep with id N`: exit code 2). */
function requireSweep(store: Store, sweepId: number): SweepRow {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new InputError(`no sweep with id ${sweepId}`, { field: 'ID' });
  return sweep;
}

/**
 * `schedbench sweeps rename ID NAME`: sets the sweep's name (trimmed; its spec, spec hash and
 * runs are unchanged, so its spec still resumes it).
 * @returns the line to print
 * @throws InputError for an unknown sweep or a bad name (empty, over 200 characters, control characters)
 */
export function renameSweepCommand(store: Store, sweepId: number, name: string): string {
  const before = requireSweep(store, sweepId);
  const after = store.renameSweep(sweepId, name);
  return `sweep ${sweepId} renamed: ${JSON.stringify(before.name)} -> ${JSON.stringify(after.name)}\n`;
}

/**
 * `schedbench sweeps delete ID [--yes]`: deletes the sweep, its runs and all of their results in
 * one transaction (Store.deleteSweep). Without `--yes` it asks on a terminal and refuses
 * elsewhere (scripts pass `--yes`). A sweep another process is executing (it holds the sweep's
 * lease) is refused before anything is asked (SweepBusyError: exit 3); runs left marked `running`
 * by a process that was killed are named in the question and in a warning.
 *
 * @param log where the warning goes (stderr)
 * @returns the line to print: what was deleted, or that nothing was (the question answered no)
 * @throws InputError for an unknown sweep, or without `--yes` when no one can be asked
 * @throws SweepBusyError naming the process executing the sweep
 */
export async function deleteSweepCommand(
  store: Store,
  sweepId: number,
  opts: { yes: boolean; confirmation: Confirmation; log: (line: string) => void },
): Promise<string> {
  const sweep = requireSweep(store, sweepId);
  const holder = store.sweepHolder(sweepId);
  if (holder !== undefined) {
    throw new SweepBusyError(sweepId, holder, Date.now(), 'cancel or stop it before deleting it');
  }
  const counts = store.runCounts(sweepId);
  const total = counts.queued + counts.running + counts.done + counts.failed;
  const what = `sweep ${sweepId} (${JSON.stringify(sweep.name)}) and its ${total} run${total === 1 ? '' : 's'}`;
  const running =
    counts.running > 0
      ? `${counts.running} of its runs are marked running by a schedbench process that was killed ` +
        '(no process is executing the sweep now)'
      : null;
  if (!opts.yes) {
    if (!opts.confirmation.interactive) {
      throw new InputError(
        `not deleting ${what} without confirmation: stdin is not a terminal; pass --yes to delete it`,
        { field: '--yes' },
      );
    }
    const question =
      `Delete ${what} (${counts.done} done, ${counts.failed} failed, ${counts.queued} queued) with all ` +
      `of their results? This cannot be undone.${running ? `\nNote: ${running}.` : ''} [y/N] `;
    if (!(await opts.confirmation.ask(question))) return `nothing deleted\n`;
  } else if (running) {
    opts.log(`schedbench: warning: ${running}`);
  }
  store.deleteSweep(sweepId);
  return `deleted ${what}\n`;
}

/**
 * Registers `schedbench sweeps rename ID NAME` and `schedbench sweeps delete ID [--yes]` on the
 * program (as subcommands made with `.command()`, so they inherit its exit override). Unknown ids
 * and bad names exit 2, as bad input does everywhere.
 *
 * @param opts `dbOption` makes the program's `--db` option; `openStore` opens the database of a
 *   `--db` value (main.ts: one that must exist already); `confirmation` says how `delete` asks
 *   (default: this process's terminal)
 */
export function registerSweepsCommands(
  program: Command,
  opts: {
    dbOption: () => Option;
    openStore: (db: string | undefined) => Store;
    confirmation?: () => Confirmation;
  },
): void {
  const { dbOption, openStore: open } = opts;
  const confirmation = opts.confirmation ?? terminalConfirmation;
  const sweeps = program.command('sweeps').description('rename or delete stored sweeps');
  sweeps
    .command('rename')
    .description('rename a sweep (its name only: its spec, runs and results stay; its spec still resumes it)')
    .argument('<id>', 'sweep id')
    .argument('<name>', 'new name (1 to 200 characters, no line breaks)')
    .addOption(dbOption())
    .action((id: string, name: string, o: { db?: string }) => {
      const sweepId = positiveInt('ID', id);
      process.stdout.write(useStore(open(o.db), (store) => renameSweepCommand(store, sweepId, name)));
    });
  sweeps
    .command('delete')
    .description(
      'delete a sweep with its runs and all of their results (one transaction; cannot be undone). ' +
        'Asks first on a terminal; elsewhere --yes is required',
    )
    .argument('<id>', 'sweep id')
    .option('--yes', 'delete without asking')
    .addOption(dbOption())
    .action(async (id: string, o: { yes?: boolean; db?: string }) => {
      const sweepId = positiveInt('ID', id);
      const deleted = await useStore(open(o.db), (store) =>
        deleteSweepCommand(store, sweepId, {
          yes: o.yes === true,
          confirmation: confirmation(),
          log: (line) => process.stderr.write(`${line}\n`),
        }),
      );
      process.stdout.write(deleted);
    });
}
