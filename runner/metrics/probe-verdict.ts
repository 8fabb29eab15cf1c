import type { CapacityCriterion, ProbeVerdict } from './capacity-search.js';
import { pooledStability, type StabilityResult } from './stability.js';

/** The SLO bounds a capacity search checks, in the order a tie names them. */
export const SLO_CRITERIA = ['ttft', 'tpot', 'e2e'] as const;

/** One run of a probe (one seed at the probed rate), reduced to what the verdict needs. */
export interface ProbeRun {
  /** The run's stability verdict (docs/metrics.md, "Stability"); null when it has none stored. */
  readonly stability: StabilityResult | null;
  /** Requests of the run. */
  readonly requests: number;
  /** Requests that met every SLO bound given; null without an SLO. */
  readonly good: number | null;
  /** Requests that met each bound alone, for the bounds the SLO gives. */
  readonly goodByBound: Partial<Record<(typeof SLO_CRITERIA)[number], number>>;
  /** Arrivals generated per second (the run's `offered_rate_rps`), req/s; null when unknown. */
  readonly offeredRps: number | null;
}

/**
 * The verdict on one probed rate over the sweep's seeds (docs/metrics.md, "Capacity"):
 * - stability: the seeds' trends pooled (pooledStability: the mean growth of the requests in
 *   system, tested against its pooled standard error) must not show growth; more seeds make the
 *   test sharper. A run without a verdict (too short to judge) fails the probe, since nothing
 *   shows the rate is sustained;
 * - SLO: the attainment pooled over the seeds (good requests / requests, all seeds together)
 *   must reach `attainment`.
 * When it fails, the limiting criterion is `stability` when a run is not stable, else the SLO
 * bound with the lowest pooled attainment (ties: ttft, tpot, e2e).
 *
 * @param runs the probe's runs, one per seed (>= 1)
 * @param attainment the target fraction of good requests, in (0, 1]
 * @returns the verdict, with the mean offered rate over the runs that know it
 * @throws RangeError when `runs` is empty
 */
export function probeVerdict(runs: readonly ProbeRun[], attainment: number): ProbeVerdict {
  if (runs.length === 0) throw new RangeError('a probe needs at least one run');
  const offered = runs.map((r) => r.offeredRps).filter((x): x is number => x !== null);
  const offeredRps = offered.length > 0 ? offered.reduce((a, b) => a + b, 0) / offered.length : null;
  const stable = runs.some((r) => r.stability === null)
    ? null
    : pooledStability(runs.map((r) => r.stability!));
  if (stable !== true) return { pass: false, limiting: 'stability', offeredRps };
  if (runs.every((r) => r.good === null)) return { pass: true, limiting: null, offeredRps };
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const good = runs.reduce((a, r) => a + (r.good ?? 0), 0);
  if (requests > 0 && good / requests >= attainment) return { pass: true, limiting: null, offeredRps };
  let limiting: CapacityCriterion = SLO_CRITERIA[0];
  let lowest = Infinity;
  for (const bound of SLO_CRITERIA) {
    if (runs[0].goodByBound[bound] === undefined) continue;
    const met = runs.reduce((a, r) => a + (r.goodByBound[bound] ?? 0), 0);
    if (met < lowest) {
      lowest = met;
      limiting = bound;
    }
  }
  return { pass: false, limiting, offeredRps };
}
