import {
  pairedVerdicts,
  VERDICT_METRICS,
  type Verdict,
  type VerdictMetric,
} from '../metrics/paired-verdicts.js';
import type { ReportRun } from './report-data.js';
import { runLabels } from './run-label.js';
import { seedSummary, spansMachines, summaryMarkdown, type SummaryRow } from './seed-summary.js';
import { answerVerdicts, verdictSentence } from './verdict-sentence.js';

export { verdictSentence };

/** A sweep's seed summary: the per-(workload, rate, policy) rows and the paired verdicts. */
export interface SweepSummaryData {
  /**
   * Mean ± 95 % interval of each key metric over seeds (runner/reports/seed-summary.ts); per
   * machine too (rows with `machine`) when the runs span more than one.
   */
  rows: SummaryRow[];
  /**
   * Per workload, rate and key metric: the best policy and the others against it (docs/metrics.md,
   * "Verdicts"; per machine, followed by the machine comparisons of each policy, when the runs span
   * more than one machine); then, for a sweep with capacity searches, per workload the capacity verdict
   * (metric `max_rate_rps`, runner/metrics/capacity-verdict.ts).
   */
  verdicts: Verdict[];
  /** What the summary could not judge and why (e.g. capacity searches whose spec cannot be planned again); may be empty. */
  notes: string[];
}

/**
 * The paired verdicts of a sweep's runs (runner/metrics/paired-verdicts.ts) at 95 %: the done
 * runs with metrics, each policy identified by the same label as the seed summary's rows (name
 * plus the parameters that differ, runLabels over all `runs`). When `runs` span more than one
 * machine (all of them, done or not, as the seed summary decides its machine column), policies
 * are compared within each machine (verdicts with `machine`), and each policy's machines are
 * compared (verdicts with `kind: 'machines'`).
 * @param runs a sweep's runs (runs that are not done are left out)
 * @param metrics the metrics to judge, default VERDICT_METRICS
 */
export function sweepVerdicts(
  runs: readonly ReportRun[],
  metrics: readonly VerdictMetric[] = VERDICT_METRICS,
): Verdict[] {
  const labels = runLabels(runs);
  const done = runs.filter((r) => r.status === 'done' && r.metrics !== null);
  return pairedVerdicts(
    done.map((r) => ({
      workload: r.workload,
      rate: r.rate,
      policy: labels.get(r.id)!,
      seed: r.seed,
      machine: r.machine,
      metrics: r.metrics!,
    })),
    metrics,
    0.95,
    spansMachines(runs),
  );
}

/** The seed summary and the verdicts of a sweep's runs (`schedbench summary`, the API's `sweeps.summary`). */
export function sweepSummaryData(runs: readonly ReportRun[]): SweepSummaryData {
  return { rows: seedSummary(runs), verdicts: sweepVerdicts(runs), notes: [] };
}

/**
 * A sweep summary as Markdown: the verdicts as plain sentences (a bulleted list, one per workload,
 * rate and metric, and per machine when the runs span several; then the machine comparisons)
 * above the seed-summary table. Without verdicts (one policy on one machine), the table alone.
 */
export function sweepSummaryMarkdown(data: SweepSummaryData): string {
  const table = summaryMarkdown(data.rows);
  const notes = data.notes.map((n) => `Note: ${n}`);
  const { capacity, paired } = answerVerdicts(data.verdicts);
  const lines: string[] = [];
  if (capacity.length > 0) {
    lines.push(
      'Capacity (the largest offered rate each policy sustains; brackets from `schedbench capacity`):',
      '',
      ...capacity.map((v) => `- ${verdictSentence(v)}`),
      '',
    );
  }
  if (paired.length > 0) {
    lines.push(
      paired.some((v) => v.kind === 'machines')
        ? 'Verdicts, paired over seeds (a seed gives every policy on every machine the same ' +
            'requests; 95 % t interval of the log ratio, docs/metrics.md):'
        : 'Verdicts, paired over seeds (a seed gives every policy the same requests; 95 % t interval ' +
            'of the log ratio, docs/metrics.md):',
      '',
      ...paired.map((v) => `- ${verdictSentence(v)}`),
      '',
    );
  }
  if (notes.length > 0) lines.push(...notes, '');
  return [...lines, table].join('\n');
}
