import type { MachineRegistry } from '../machines/machine-registry.js';
import { formatTable } from '../reports/runs-table.js';
import type { Store } from '../store/store.js';
import { capacityRows, capacityVerdictsOf } from '../sweeps/capacity-report.js';

/** Formats of `schedbench capacity`. */
export const CAPACITY_FORMATS = ['table', 'json'] as const;
export type CapacityFormat = (typeof CAPACITY_FORMATS)[number];

/**
 * `schedbench capacity SWEEP_ID`: per workload x policy x machine, the largest offered arrival
 * rate the policy sustains (stable and, with an SLO, meeting it for the target attainment), the
 * bracket around it, the probes it took, what limited it, and the fluid stability limit beside it
 * (capacityRows, runner/sweeps/capacity-report.ts; docs/metrics.md "Capacity").
 * @returns the text to print: a table with a note, or JSON `{sweep_id, searches: CapacityRow[]}`
 * @throws InputError when the sweep does not exist or cannot be planned again
 */
export function capacityCommand(
  store: Store,
  sweepId: number,
  format: CapacityFormat,
  registry?: () => MachineRegistry,
): string {
  const rows = capacityRows(store, sweepId, registry);
  const verdicts = capacityVerdictsOf(rows);
  if (format === 'json') {
    return `${JSON.stringify({ sweep_id: sweepId, searches: rows, verdicts }, null, 2)}\n`;
  }
  if (rows.length === 0) {
    return `sweep ${sweepId} has no capacity search: give a workload \`rate: {search: {min, max}}\`\n`;
  }
  const table = rows.map((r) => ({
    workload: r.workload,
    policy: label(r.policy, r.params),
    machine: r.machine,
    max_rate_rps: r.status === 'done' ? atLeast(r) : `${r.max_rate_rps ?? '-'} (incomplete)`,
    lower_rps: r.lower_rps,
    upper_rps: r.upper_rps,
    probes: r.probes,
    limiting: r.limiting ?? '-',
    fluid_max_stable_rate_rps: r.fluid_max_stable_rate_rps,
  }));
  const seeds = rows[0].seeds;
  const note =
    `offered rates (arrivals generated per second, mean over ${seeds} seed${seeds === 1 ? '' : 's'}); ` +
    `a rate is sustained when its seeds' pooled trend shows no growth of the requests in system and, ` +
    `with an SLO, their pooled attainment reaches the target; relative precision ${rows[0].precision} ` +
    '(docs/metrics.md, "Capacity")';
  return `${formatTable(table)}\n${note}\n`;
}

function atLeast(r: {
  outcome: string | null;
  max_rate_rps: number | null;
  upper_rps: number | null;
}): string {
  if (r.outcome === 'below-min')
    return `< ${r.upper_rps === null ? 'min' : r.upper_rps.toPrecision(4)} (min)`;
  const v = r.max_rate_rps === null ? '-' : r.max_rate_rps.toPrecision(4);
  return r.outcome === 'above-max' ? `>= ${v} (max)` : v;
}

function label(policy: string, params: Record<string, unknown>): string {
  const extra = Object.entries(params).map(
    ([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
  );
  return extra.length > 0 ? `${policy} ${extra.join(' ')}` : policy;
}
