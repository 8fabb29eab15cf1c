import type { PolicyComparison, Verdict } from './paired-verdicts.js';

/** Note of every capacity verdict: what its interval is. */
export const CAPACITY_VERDICT_NOTE =
  "interval: the ratio's range over both searches' brackets [lower, upper], not a confidence interval";

/** One finished capacity search, as a verdict needs it (offered rates, req/s). */
export interface CapacityBracket {
  readonly workload: string;
  /**
   * The machine the search ran on, given only for a sweep over several machines: searches are then
   * compared within one machine, and the verdict names it.
   */
  readonly machine?: string;
  /** Policy identity (name plus distinguishing parameters). */
  readonly policy: string;
  /** The highest sustained offered rate; null when even the search's `min` failed. */
  readonly lowerRps: number | null;
  /** The lowest failing offered rate above it; null when the search's `max` was sustained. */
  readonly upperRps: number | null;
  /** Seeds every probe ran. */
  readonly seeds: number;
}

/**
 * The capacity verdicts of a sweep (metric `max_rate_rps`): per workload, the policy with the
 * largest sustained rate and every other policy against it. A capacity search pools its seeds
 * into one answer per policy, a bracket [lower, upper] around the largest sustained rate, so the
 * comparison rests on the brackets, not on a paired t interval:
 * - ratio = other.lower / best.lower;
 * - interval = [other.lower / best.upper, other.upper / best.lower]: every ratio of two
 *   capacities that lie in their brackets (ci_high null when `other` was sustained at its `max`,
 *   ci_low 0 when it failed at its `min`);
 * - significant when the interval lies below 1 (the brackets are disjoint: `other` fails at a
 *   rate the best sustains), else false: the policies differ by less than the searches resolve
 *   ("no significant difference"); null only when the best policy failed even at its `min`.
 *
 * @param brackets one per finished search; searches with the same workload (and machine) are compared
 * @returns verdicts ordered by workload, then machine; none for a group with fewer than two policies
 */
export function capacityVerdicts(brackets: readonly CapacityBracket[]): Verdict[] {
  const byWorkload = new Map<string, CapacityBracket[]>();
  for (const b of brackets) {
    const key = JSON.stringify([b.workload, b.machine ?? null]);
    const group = byWorkload.get(key);
    if (group) group.push(b);
    else byWorkload.set(key, [b]);
  }
  const verdicts: Verdict[] = [];
  for (const [, group] of [...byWorkload].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (group.length < 2) continue;
    const { workload, machine } = group[0];
    const ranked = [...group].sort(
      (a, b) =>
        (b.lowerRps ?? 0) - (a.lowerRps ?? 0) || (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0),
    );
    const best = ranked[0];
    const comparisons = ranked.slice(1).map((other): PolicyComparison => {
      if (best.lowerRps === null) {
        return { policy: other.policy, ratio: null, ci_low: null, ci_high: null, significant: null };
      }
      const ratio = (other.lowerRps ?? 0) / best.lowerRps;
      const ciLow = best.upperRps === null ? 0 : (other.lowerRps ?? 0) / best.upperRps;
      const ciHigh = other.upperRps === null ? null : other.upperRps / best.lowerRps;
      const significant = ciHigh !== null && ciHigh < 1;
      return { policy: other.policy, ratio, ci_low: ciLow, ci_high: ciHigh, significant };
    });
    verdicts.push({
      workload,
      ...(machine === undefined ? {} : { machine }),
      rate_rps: null,
      nominal_rate_rps: null,
      metric: 'max_rate_rps',
      direction: 'higher',
      best_policy: best.policy,
      seeds: Math.min(...group.map((b) => b.seeds)),
      comparisons,
      note: CAPACITY_VERDICT_NOTE,
    });
  }
  return verdicts;
}
