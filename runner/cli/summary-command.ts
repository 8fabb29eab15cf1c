import { toReportRun } from '../reports/load-report-data.js';
import { seedSummary, summaryMarkdown } from '../reports/seed-summary.js';
import type { Store } from '../store/store.js';

/** Formats of `schedbench summary`. */
export const SUMMARY_FORMATS = ['markdown', 'json'] as const;
export type SummaryFormat = (typeof SUMMARY_FORMATS)[number];

/**
 * `schedbench summary SWEEP_ID`: per workload, rate and policy, each key metric's mean over the
 * seeds with its 95 % confidence interval (Markdown table, or JSON).
 * @throws InputError when the sweep does not exist (via the caller's chooseSweep)
 */
export function summaryCommand(store: Store, sweepId: number, format: SummaryFormat): string {
  const rows = seedSummary(store.listRuns({ sweepId }).map(toReportRun));
  return format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : summaryMarkdown(rows);
}
