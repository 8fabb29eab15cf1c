import { meanWithInterval, type MeanWithInterval } from '../metrics/confidence-interval.js';
import type { MetricKey } from '../metrics/metric-keys.js';
import type { ReportRun } from './report-data.js';
import { runLabels } from './run-label.js';
import { formatMeanWithInterval } from './verdict-sentence.js';

export { formatMeanWithInterval, IDENTICAL_SAMPLES_NOTE } from './verdict-sentence.js';

/** The metrics a seed summary reports, in order. */
export const SUMMARY_METRICS: readonly MetricKey[] = [
  'throughput_tok_s',
  'e2e_mean_s',
  'e2e_p99_s',
  'ttft_mean_s',
  'ttft_p99_s',
  'tpot_mean_s',
  'evictions',
  'preemptions',
  'kv_peak_frac',
];

/**
 * Metrics a seed summary adds when some done run has a value: the prefix cache's hit rate (runs
 * that cached prefixes) and the load imbalance (runs on a cluster of replicas).
 */
export const OPTIONAL_SUMMARY_METRICS: readonly MetricKey[] = ['prefix_cache_hit_rate', 'load_imbalance'];

/**
 * The metrics a seed summary of `runs` reports: SUMMARY_METRICS, then each of
 * OPTIONAL_SUMMARY_METRICS that some done run has a value of.
 */
export function summaryMetricsOf(runs: readonly Pick<ReportRun, 'status' | 'metrics'>[]): MetricKey[] {
  const done = runs.filter((r) => r.status === 'done' && r.metrics);
  return [
    ...SUMMARY_METRICS,
    ...OPTIONAL_SUMMARY_METRICS.filter((key) => done.some((r) => (r.metrics![key] ?? null) !== null)),
  ];
}

/** The metrics of seed summary rows (their first row's, in order; SUMMARY_METRICS for none). */
export function metricsOfRows(rows: readonly SummaryRow[]): MetricKey[] {
  return rows.length === 0 ? [...SUMMARY_METRICS] : (Object.keys(rows[0].metrics) as MetricKey[]);
}

/** One row of a seed summary: the done runs of one (workload, policy label, rate) over seeds. */
export interface SummaryRow {
  workload: string;
  /** The machine the row's runs ran on; present only when the summarised runs span more than one machine. */
  machine?: string;
  /** Policy name plus the parameters that differ between runs of that policy (see runLabels). */
  policy: string;
  rate: number | null;
  seeds: number[];
  /** Runs judged stable, unstable, and not judged (see runner/metrics/stability.ts). */
  stability: { stable: number; unstable: number; unjudged: number };
  /**
   * Per metric: mean over seeds with its 95 % Student-t interval (none when the values are all
   * identical: `identical` is then true); null when no run has a value.
   */
  metrics: Record<string, MeanWithInterval | null>;
}

/**
 * Whether runs span more than one machine: then the seed summary has a row per machine and the
 * verdicts compare policies within each machine and machines with each other (all runs count,
 * done or not, so the shape of a sweep's summary does not change while it runs).
 */
export function spansMachines(runs: readonly Pick<ReportRun, 'machine'>[]): boolean {
  return new Set(runs.map((r) => r.machine)).size > 1;
}

/**
 * Groups a sweep's done runs by workload, policy label and rate, and summarises each metric over
 * the seeds as a mean with a 95 % confidence interval (Student t, runner/metrics/confidence-interval.ts).
 * Runs that are not done are left out. Rows are ordered by workload, rate, then policy. When
 * `runs` span more than one machine ({@link spansMachines}), the rows are per machine as well,
 * carry `machine`, and are ordered by workload, rate, machine, then policy.
 */
export function seedSummary(
  runs: readonly ReportRun[],
  metrics: readonly MetricKey[] = summaryMetricsOf(runs),
): SummaryRow[] {
  const labels = runLabels(runs);
  const byMachine = spansMachines(runs);
  const groups = new Map<string, ReportRun[]>();
  for (const run of runs) {
    if (run.status !== 'done' || !run.metrics) continue;
    const key = JSON.stringify([run.workload, run.rate, labels.get(run.id), byMachine ? run.machine : null]);
    const group = groups.get(key);
    if (group) group.push(run);
    else groups.set(key, [run]);
  }
  const rows: SummaryRow[] = [...groups.values()].map((group) => {
    const first = group[0];
    const values: SummaryRow['metrics'] = {};
    for (const key of metrics) {
      const sample = group.map((r) => r.metrics![key]).filter((v): v is number => v !== null);
      values[key] = meanWithInterval(sample);
    }
    const stability = {
      stable: group.filter((r) => r.stable === true).length,
      unstable: group.filter((r) => r.stable === false).length,
      unjudged: group.filter((r) => r.stable !== true && r.stable !== false).length,
    };
    return {
      workload: first.workload,
      ...(byMachine ? { machine: first.machine } : {}),
      policy: labels.get(first.id)!,
      rate: first.rate,
      seeds: group.map((r) => r.seed).sort((a, b) => a - b),
      stability,
      metrics: values,
    };
  });
  return rows.sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      (a.rate ?? -1) - (b.rate ?? -1) ||
      (a.machine ?? '').localeCompare(b.machine ?? '') ||
      a.policy.localeCompare(b.policy),
  );
}

/**
 * A seed summary as a Markdown table (for docs/reproduction.md): one row per (workload, rate,
 * policy), with a `machine` column after the rate when rows carry one (runs on several machines),
 * with the runs judged stable out of those judged, and each metric as
 * `mean ± 95 % CI half-width` (see {@link formatMeanWithInterval} for one seed and for seeds whose
 * values are identical).
 */
export function summaryMarkdown(
  rows: readonly SummaryRow[],
  metrics: readonly MetricKey[] = metricsOfRows(rows),
): string {
  const withMachine = rows.some((r) => r.machine !== undefined);
  const header = [
    'workload',
    'rate (req/s)',
    ...(withMachine ? ['machine'] : []),
    'policy',
    'seeds',
    'stable',
    ...metrics,
  ];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const judged = r.stability.stable + r.stability.unstable;
    const cells = [
      r.workload,
      r.rate === null ? 'trace' : String(r.rate),
      ...(withMachine ? [r.machine ?? '-'] : []),
      r.policy,
      String(r.seeds.length),
      judged === 0 ? '-' : `${r.stability.stable}/${judged}`,
      ...metrics.map((k) => formatMeanWithInterval(r.metrics[k])),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
