import { BUILT_IN_MACHINES } from '../machines/built-in-machines.js';
import { resolve } from 'node:path';
import { formatTable } from '../reports/runs-table.js';
import { databaseExists, databasePathOf, openExistingStore } from './open-store.js';
import { terminalWidth, wrapText } from './terminal-text.js';
import { emptyWorkersSection, workerMachinesSection } from './worker-machines-command.js';

/** Formats of `schedbench machines`. */
export const MACHINES_FORMATS = ['table', 'json'] as const;
export type MachinesFormat = (typeof MACHINES_FORMATS)[number];

/**
 * `schedbench machines`: the built-in simulated machines with their GPU, model, KV capacity,
 * iteration-time model, the source of each term, and the linear fit (d0, d1, R^2) that the
 * fluid benchmark and the paper's threshold rules use; then, when `workers` is given (the
 * database's worker machines and calibrations, see workerMachinesSection), those. JSON is the
 * list of simulated machines, or `{simulated, workers, calibrations}` with `workers`. The table
 * form fits 100 columns: the machines, their linear fits, then each machine's term sources
 * wrapped at `width`.
 * @returns the text to print
 */
export function machinesCommand(
  format: MachinesFormat,
  workers?: { text: string; json: unknown },
  width = 100,
): string {
  const machines = Object.values(BUILT_IN_MACHINES).map((make) => make());
  if (format === 'json') {
    const simulated = machines.map((m) => ({
      name: m.name,
      description: m.description,
      gpu: m.hardware?.gpu ?? null,
      model: m.hardware?.model ?? null,
      iteration_time: m.iterationTime.describe(),
      kv_capacity_blocks: m.kvCapacityBlocks,
      block_size: m.blockSize,
      kv_capacity_tokens: m.kvCapacityBlocks * m.blockSize,
      linear: m.linear,
      sources: m.hardware?.sources ?? {},
    }));
    return `${JSON.stringify(workers ? { simulated, ...(workers.json as object) } : simulated, null, 2)}\n`;
  }
  // Two tables that each fit 100 columns (what the machine is; the linear fit), then the sources
  // of each machine's terms, wrapped.
  const rows = machines.map((m) => ({
    name: m.name,
    gpu: m.hardware?.gpu ?? '-',
    model: m.hardware?.model ?? '-',
    timing: m.iterationTime.kind,
    kv_blocks: m.kvCapacityBlocks,
    block: m.blockSize,
  }));
  const fits = machines.map((m) => ({
    name: m.name,
    d0_s: m.linear.d0,
    d1_s_per_token: m.linear.d1,
    d2_s_per_prefill_token: m.linear.d2 ?? 0,
    r2: m.linear.r2 ?? null,
    linear: m.linear.exact ? 'exact' : 'fit',
  }));
  const lines: string[] = [];
  for (const m of machines) {
    lines.push(`${m.name}:`);
    for (const [term, src] of Object.entries(m.hardware?.sources ?? {}))
      lines.push(...wrapText(`  ${term}: ${src}`, width, '      '));
  }
  return (
    `${formatTable(rows)}\n` +
    'Linear fits, tau = d0 + d1 x KV tokens + d2 x prefill tokens (fluid benchmark, thresholds):\n' +
    `${formatTable(fits)}\n` +
    `Sources of each term:\n${lines.join('\n')}\n${workers?.text ?? ''}`
  );
}

/**
 * `schedbench machines list`: machinesCommand with the worker machines and calibrations of the
 * database `db` (or the default one). A database that does not exist is not created: the list
 * then has no worker machine or calibration, and a note on stderr says so.
 */
export function machinesListCommand(
  db: string | undefined,
  format: MachinesFormat,
  width: number = Math.min(100, terminalWidth()),
): string {
  if (!databaseExists(db)) {
    process.stderr.write(
      `schedbench: no database at ${resolve(databasePathOf(db))}: no GPU worker machines or calibrations to list\n`,
    );
    return machinesCommand(format, emptyWorkersSection(), width);
  }
  const store = openExistingStore(db, { readonly: true });
  try {
    return machinesCommand(format, workerMachinesSection(store), width);
  } finally {
    store.close();
  }
}
