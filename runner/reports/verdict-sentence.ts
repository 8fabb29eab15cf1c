import type { MeanWithInterval } from '../metrics/confidence-interval.js';
import type { PolicyComparison, Verdict } from '../metrics/paired-verdicts.js';
import { VERDICT_METRIC_INFO } from '../metrics/verdict-metrics.js';

/**
 * The words of a sweep's answer, shared by the reports (Markdown summary, the HTML report's
 * verdict section) and the renderer's sweep page, so that all three say the same thing: one
 * sentence per verdict, the verdicts in the order they are told (capacity first), and a metric's
 * mean over seeds with its interval. Pure text: no statistics, no Node (the renderer bundles it).
 */

/**
 * A sweep's verdicts in the order the answer tells them: the capacity verdicts (metric
 * `max_rate_rps`, one per workload) first, then the paired verdicts (machine comparisons among
 * them, after the policy verdicts of their workload and rate), each group in its given order.
 */
export function answerVerdicts(verdicts: readonly Verdict[]): { capacity: Verdict[]; paired: Verdict[] } {
  return {
    capacity: verdicts.filter((v) => v.metric === 'max_rate_rps'),
    paired: verdicts.filter((v) => v.metric !== 'max_rate_rps'),
  };
}

/**
 * One verdict as a sentence, e.g. "At 2 req/s on sharegpt, sarathi has the highest output
 * throughput (3 seeds): vllm is 3.1 % lower (95 % CI 2.0–4.2 %); wait: no significant
 * difference." A verdict of runs on several machines names its machine ("At 2 req/s on
 * sharegpt, on machine h100, sarathi has ..."); a machine comparison (`kind` `machines`) names
 * the policy and the machines ("At 2 req/s on sharegpt, under vllm, h100 is the machine with the
 * lowest E2E p99 (3 seeds): a100 is 100.0 % higher (95 % CI 95.1–105.0 %)."). A difference with an interval that excludes 1 is stated with its interval; one
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
  const judged = `(${seeds}): ${parts.join('; ')}${note}.`;
  if (v.kind === 'machines') {
    // "At 6 req/s on typed, under vllm, h100 is the machine with the lowest E2E p99 (3 seeds): a100 is ..."
    return `${placeText(v)}, under ${v.policy ?? '?'}, ${v.best_policy} is the machine with the ${extreme} ${name} ${judged}`;
  }
  const machine = v.machine === undefined ? '' : `, on machine ${v.machine}`;
  return `${placeText(v)}${machine}, ${v.best_policy} has the ${extreme} ${name} ${judged}`;
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

/** Written instead of a half-width when every seed gave the same value (no spread was measured). */
export const IDENTICAL_SAMPLES_NOTE = '± n/a (identical samples)';

/**
 * `mean ± half` with 4 significant digits; `mean` alone for one seed; `mean ± n/a (identical
 * samples)` when the seeds' values are all identical (never `± 0`, which would claim a measured
 * precision); `-` for no value.
 */
export function formatMeanWithInterval(m: MeanWithInterval | null): string {
  if (!m) return '-';
  const f = (x: number): string =>
    Math.abs(x) >= 1e4 || Number.isInteger(x) ? String(Math.round(x)) : x.toPrecision(4);
  if (m.identical) return `${f(m.mean)} ${IDENTICAL_SAMPLES_NOTE}`;
  return m.halfWidth === null ? f(m.mean) : `${f(m.mean)} ± ${f(m.halfWidth)}`;
}
