import type { MachineRegistry } from '../machines/machine-registry.js';
import { sweepSummaryMarkdown } from '../reports/verdicts.js';
import type { Store } from '../store/store.js';
import { sweepSummaryOf } from '../sweeps/sweep-summary.js';

/** Formats of `schedbench summary`. */
export const SUMMARY_FORMATS = ['markdown', 'json'] as const;
export type SummaryFormat = (typeof SUMMARY_FORMATS)[number];

/**
 * `schedbench summary SWEEP_ID`: per workload, rate and key metric, which policy is best and by
 * how much the others differ (paired over seeds, 95 % interval; docs/metrics.md, "Verdicts"),
 * then per workload, rate and policy each key metric's mean over the seeds with its 95 %
 * confidence interval. Markdown: the verdicts as sentences above the table; JSON:
 * `{ rows, verdicts, notes }` (SweepSummaryData, the same as the API's `sweeps.summary`); a sweep
 * with capacity searches adds a capacity verdict per workload (sweepSummaryOf).
 * @throws InputError when the sweep does not exist (via the caller's chooseSweep)
 */
export function summaryCommand(
  store: Store,
  sweepId: number,
  format: SummaryFormat,
  registry?: () => MachineRegistry,
): string {
  const data = sweepSummaryOf(store, sweepId, registry);
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : sweepSummaryMarkdown(data);
}
