import type { ReportRun } from './report-data.js';

/** How far one policy label stayed stable on one workload (see {@link largestStableRates}). */
export interface StableRateSummary {
  /** Policy label (runLabel). */
  policy: string;
  /**
   * The largest rate, requests per second, at which every judged run was stable and below
   * which no run was unstable; null when there is none.
   */
  largestStableRate: number | null;
  /**
   * The offered rate at largestStableRate: the mean `offered_rate_rps` of its runs (arrivals they
   * really generated per second; docs/metrics.md, "Offered rate"); null when there is no largest
   * stable rate or its runs were stored before that metric.
   */
  largestStableOfferedRate: number | null;
  /** The lowest rate with an unstable run; null when no run was unstable. */
  firstUnstableRate: number | null;
  /** A rate above firstUnstableRate whose runs were all stable again (noise near the limit), or null. */
  stableAgainRate: number | null;
  /** The highest numeric rate with a done run of the policy; null when there is none. */
  maxTestedRate: number | null;
  /** Done runs of the policy at numeric rates, and how many of them have a verdict. */
  runs: number;
  judged: number;
}

/**
 * Per policy label, the largest arrival rate its runs sustained: walking the rates upwards, a
 * rate is unstable when any of its done runs (any seed) was judged unstable, stable when all of
 * them were judged stable, and undecided otherwise (runs too short to judge, or stored before
 * stability detection); the largest stable rate is the highest stable rate below the first
 * unstable one. Runs with a null rate (a trace's own timing) are left out. Rates are the sweep's
 * nominal rates; the offered rate at the largest stable one is given beside it.
 *
 * @param runs the runs of one workload (any status; only `done` ones count)
 * @param labels run id -> policy label (runLabels over all runs of the report)
 * @returns one summary per policy label, in order of first appearance
 */
export function largestStableRates(
  runs: readonly ReportRun[],
  labels: ReadonlyMap<number, string>,
): StableRateSummary[] {
  const byPolicy = new Map<string, Map<number, ReportRun[]>>();
  for (const run of runs) {
    if (run.status !== 'done' || run.rate === null) continue;
    const label = labels.get(run.id) ?? run.policy;
    let byRate = byPolicy.get(label);
    if (!byRate) byPolicy.set(label, (byRate = new Map()));
    byRate.set(run.rate, [...(byRate.get(run.rate) ?? []), run]);
  }
  return [...byPolicy].map(([policy, byRate]): StableRateSummary => {
    const rates = [...byRate.keys()].sort((a, b) => a - b);
    let largestStableRate: number | null = null;
    let firstUnstableRate: number | null = null;
    let stableAgainRate: number | null = null;
    let judged = 0;
    let count = 0;
    for (const rate of rates) {
      const group = byRate.get(rate)!;
      count += group.length;
      judged += group.filter((run) => run.stable !== null).length;
      const unstable = group.some((run) => run.stable === false);
      const stable = group.every((run) => run.stable === true);
      if (unstable) {
        firstUnstableRate ??= rate;
      } else if (stable) {
        if (firstUnstableRate === null) largestStableRate = rate;
        else stableAgainRate ??= rate;
      }
    }
    const offered = (largestStableRate === null ? [] : byRate.get(largestStableRate)!)
      .map((run) => run.metrics?.offered_rate_rps)
      .filter((v): v is number => typeof v === 'number');
    return {
      policy,
      largestStableRate,
      largestStableOfferedRate:
        offered.length > 0 ? offered.reduce((a, b) => a + b, 0) / offered.length : null,
      firstUnstableRate,
      stableAgainRate,
      maxTestedRate: rates.length > 0 ? rates[rates.length - 1] : null,
      runs: count,
      judged,
    };
  });
}
