import {
  pairedVerdicts,
  VERDICT_METRIC_INFO,
  VERDICT_METRICS,
  type PolicyComparison,
  type Verdict,
  type VerdictMetric,
} from '../metrics/paired-verdicts.js';
import type { ReportRun } from './report-data.js';
import { runLabels } from './run-label.js';
import { seedSummary, summaryMarkdown, type SummaryRow } from './seed-summary.js';

/** A sweep's seed summary: the per-(workload, rate, policy) rows and the paired verdicts. */
export interface SweepSummaryData {
  /** Mean ± 95 % interval of each key metric over seeds (runner/reports/seed-summary.ts). */
  rows: SummaryRow[];
  /**
   * Per workload, rate and key metric: the best policy and the others against it (docs/metrics.md,
   * "Verdicts"); then, for a sweep with capacity searches, per workload the capacity verdict
   * (metric `max_rate_rps`, runner/metrics/capacity-verdict.ts).
   */
  verdicts: Verdict[];
  /** What the summary could not judge and why (e.g. capacity searches whose spec cannot be planned again); may be empty. */
  notes: string[];
}

/**
 * The paired verdicts of a sweep's runs (runner/metrics/paired-verdicts.ts) at 95 %: the done
 * runs with metrics, each policy identified by the same label as the seed summary's rows (name
 * plus the parameters that differ, runLabels over all `runs`).
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
      metrics: r.metrics!,
    })),
    metrics,
  );
}

/** The seed summary and the verdicts of a sweep's runs (`schedbench summary`, the API's `sweeps.summary`). */
export function sweepSummaryData(runs: readonly ReportRun[]): SweepSummaryData {
  return { rows: seedSummary(runs), verdicts: sweepVerdicts(runs), notes: [] };
}

/**
 * A sweep summary as Markdown: the verdicts as plain sentences (a bulleted list, one per workload,
 * rate and metric) above the seed-summary table. Without verdicts (one policy), the table alone.
 */
export function sweepSummaryMarkdown(data: SweepSummaryData): string {
  const table = summaryMarkdown(data.rows);
  const notes = data.notes.map((n) => `Note: ${n}`);
  const paired = data.verdicts.filter((v) => v.metric !== 'max_rate_rps');
  const capacity = data.verdicts.filter((v) => v.metric === 'max_rate_rps');
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
      'Verdicts, paired over seeds (a seed gives every policy the same requests; 95 % t interval ' +
        'of the log ratio, docs/metrics.md):',
      '',
      ...paired.map((v) => `- ${verdictSentence(v)}`),
      '',
    );
  }
  if (notes.length > 0) lines.push(...notes, '');
  return [...lines, table].join('\n');
}

/**
 * One verdict as a sentence, e.g. "At 2 req/s on sharegpt, sarathi has the highest output
 * throughput (3 seeds): vllm is 3.1 % lower (95 % CI 2.0–4.2 %); wait: no significant
 * difference." A difference with an interval that excludes 1 is stated with its interval; one
 * whose interval covers 1 is "no significant difference"; one seed states the difference and says
 * that significance cannot be judged; identical values on every seed are said to be identical.
 */
export function verdictSentence(v: Verdict): string {
  const name = VERDICT_METRIC_INFO[v.metric]?.name ?? v.metric;
  const extreme = v.direction === 'higher' ? 'highest' : 'lowest';
  const seeds = `${v.seeds} seed${v.seeds === 1 ? '' : 's'}`;
  const interval = v.metric === 'max_rate_rps' ? 'bracket range' : '95 % CI';
  const parts = v.comparisons.map((c) => comparisonText(c, interval));
  const note = v.note === null ? '' : ` (${v.note})`;
  return `${placeText(v)}, ${v.best_policy} has the ${extreme} ${name} (${seeds}): ${parts.join('; ')}${note}.`;
}

/** "At 2 req/s on w", "At 1.98 req/s (nominal 2) on w", "On w (its own timing)", or "On w" for a capacity verdict. */
function placeText(v: Verdict): string {
  if (v.metric === 'max_rate_rps') return `On ${v.workload}`;
  if (v.rate_rps === null) return `On ${v.workload} (its own timing)`;
  const rate = rateText(v.rate_rps);
  const nominal =
    v.nominal_rate_rps === null
      ? ' (its own timing)'
      : rateText(v.nominal_rate_rps) === rate
        ? ''
        : ` (nominal ${rateText(v.nominal_rate_rps)})`;
  return `At ${rate} req/s${nominal} on ${v.workload}`;
}

/** A rate with at most 3 significant digits, no trailing zeros (`2`, `1.98`, `0.125`); integers from 1000 up. */
function rateText(rate: number): string {
  return Math.abs(rate) >= 1000 ? String(Math.round(rate)) : String(Number(rate.toPrecision(3)));
}

/** One policy against the best, as a clause of {@link verdictSentence}; `interval` names the interval. */
function comparisonText(c: PolicyComparison, interval: string): string {
  if (c.ratio === null) return `${c.policy}: no ratio (the best mean is 0)`;
  if (c.ratio === 1 && c.ci_low === null && c.significant === false)
    return `${c.policy}: identical on every seed`;
  if (c.ratio === 1 && c.significant === null) return `${c.policy}: the same (ratio 1)`;
  if (c.significant === false) return `${c.policy}: no significant difference`;
  const word = c.ratio < 1 ? 'lower' : 'higher';
  const difference = `${c.policy} is ${percentText(Math.abs(c.ratio - 1))} % ${word}`;
  if (c.significant === null) return difference;
  if (c.ci_low === null || c.ci_high === null) return `${difference} on every seed`;
  const [low, high] = c.ratio < 1 ? [1 - c.ci_high, 1 - c.ci_low] : [c.ci_low - 1, c.ci_high - 1];
  return `${difference} (${interval} ${percentText(low)}–${percentText(high)} %)`;
}

/** A fraction as a percentage: one decimal, or one significant digit below 0.05 %. */
function percentText(fraction: number): string {
  const pct = fraction * 100;
  if (pct === 0 || Math.abs(pct) >= 0.05) return pct.toFixed(1);
  return pct.toPrecision(1);
}
