import { BUILT_IN_MACHINES } from '../machines/built-in-machines.js';
import { formatTable } from '../reports/runs-table.js';

/** Formats of `schedbench machines`. */
export const MACHINES_FORMATS = ['table', 'json'] as const;
export type MachinesFormat = (typeof MACHINES_FORMATS)[number];

/**
 * `schedbench machines`: the built-in simulated machines with their GPU, model, KV capacity,
 * iteration-time model, the source of each term, and the linear fit (d0, d1, R^2) that the
 * fluid benchmark and the paper's threshold rules use; then, when `workers` is given (the
 * database's worker machines and calibrations, see workerMachinesSection), those. JSON is the
 * list of simulated machines, or `{simulated, workers, calibrations}` with `workers`.
 * @returns the text to print
 */
export function machinesCommand(format: MachinesFormat, workers?: { text: string; json: unknown }): string {
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
  const rows = machines.map((m) => ({
    name: m.name,
    gpu: m.hardware?.gpu ?? '-',
    model: m.hardware?.model ?? '-',
    iteration_time: m.iterationTime.kind,
    kv_blocks: m.kvCapacityBlocks,
    block: m.blockSize,
    d0_s: m.linear.d0,
    d1_s_per_token: m.linear.d1,
    d2_s_per_prefill_token: m.linear.d2 ?? 0,
    r2: m.linear.r2 ?? null,
    linear: m.linear.exact ? 'exact' : 'fit',
  }));
  const sources = machines
    .map(
      (m) =>
        `${m.name}:\n${Object.entries(m.hardware?.sources ?? {})
          .map(([term, src]) => `  ${term}: ${src}`)
          .join('\n')}`,
    )
    .join('\n');
  return `${formatTable(rows)}\n${sources}\n${workers?.text ?? ''}`;
}
