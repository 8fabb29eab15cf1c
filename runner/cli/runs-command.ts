import { toReportRun } from '../reports/load-report-data.js';
import { formatTable, runsTableRows, toCsv, toJson } from '../reports/runs-table.js';
import type { Store } from '../store/store.js';

/** Formats of `schedbench runs`. */
export const RUNS_FORMATS = ['table', 'json', 'csv'] as const;
export type RunsFormat = (typeof RUNS_FORMATS)[number];

/**
 * `schedbench runs`: one row per run (id, sweep_id, workload, policy, params, seed, rate,
 * status, then every metric key) of one sweep, or of all sweeps.
 * @returns the text to print
 */
export function runsCommand(store: Store, sweepId: number | undefined, format: RunsFormat): string {
  const runs = store.listRuns(sweepId === undefined ? {} : { sweepId }).map(toReportRun);
  if (format === 'json') return toJson(runs);
  const rows = runsTableRows(runs);
  return format === 'csv' ? toCsv(rows) : formatTable(rows);
}
