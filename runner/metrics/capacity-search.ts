/**
 * Capacity search: the largest arrival rate a policy sustains, found by bracketing and then
 * bisecting the rate (docs/metrics.md, "Capacity"). Pure and deterministic: the next rate depends
 * only on the settings and the verdicts of the rates already probed, so a search replayed over
 * stored probes asks for the same rates in the same order, and a killed search resumes where it
 * stopped without repeating a probe. Vidur's capacity search (`vidur/config_optimizer/
 * config_explorer/capacity_search.py`) bisects the same way between a rate that meets the SLO and
 * one that does not; vLLM's `bench sweep serve_sla` and GuideLLM's sweep profile answer the same
 * question.
 */

/** What limited a policy at a rate: the queue grew, or requests missed an SLO bound. */
export type CapacityCriterion = 'stability' | 'ttft' | 'tpot' | 'e2e';

/** Settings of one capacity search (the workload's `rate: {search: ...}`). */
export interface CapacitySearchSettings {
  /** Lowest nominal rate probed, requests per second (> 0). */
  readonly minRps: number;
  /** Highest nominal rate probed, requests per second (>= minRps). */
  readonly maxRps: number;
  /** Relative precision: the search stops when (upper - lower) / lower <= precision. */
  readonly precision: number;
  /** SLO attainment a rate must reach (fraction of requests that are good), when an SLO is given. */
  readonly attainment: number;
}

/** The verdict on one probed rate, over all the sweep's seeds (probeVerdict). */
export interface ProbeVerdict {
  /** True when the rate is sustained: stable over the seeds pooled and, with an SLO, attainment >= target. */
  readonly pass: boolean;
  /** Why it failed (stability first, else the SLO bound met by the fewest requests); null when it passed. */
  readonly limiting: CapacityCriterion | null;
  /** Mean offered rate over the probe's runs (arrivals generated per second), req/s; null when unknown. */
  readonly offeredRps: number | null;
}

/** One probed rate and its verdict, in the order the search probed them. */
export interface CapacityProbe {
  /** The nominal rate the runs were generated at, requests per second. */
  readonly rateRps: number;
  readonly verdict: ProbeVerdict;
}

/**
 * How a finished search ended: `bracketed` (a sustained rate below a failing one, within the
 * precision), `below-min` (even `minRps` is not sustained) or `above-max` (`maxRps` is sustained).
 */
export type CapacityOutcome = 'bracketed' | 'below-min' | 'above-max';

/** The answer of a finished search. */
export interface CapacityResult {
  readonly outcome: CapacityOutcome;
  /** The highest sustained probe (its nominal and offered rates); null for `below-min`. */
  readonly lower: CapacityProbe | null;
  /** The lowest failing probe above `lower`; null for `above-max`. */
  readonly upper: CapacityProbe | null;
  /** What limited the policy at `upper`; null for `above-max`. */
  readonly limiting: CapacityCriterion | null;
  /** Every probe, in order. */
  readonly probes: readonly CapacityProbe[];
}

/** Where a search stands: it needs the verdict at `rateRps`, or it is done. */
export type CapacitySearchState =
  | { readonly status: 'probe'; readonly rateRps: number; readonly probes: readonly CapacityProbe[] }
  | { readonly status: 'done'; readonly result: CapacityResult };

/**
 * Replays a capacity search over the verdicts known so far and says what it needs next.
 *
 * 1. Probe `minRps`; if it fails, the search ends `below-min`.
 * 2. Bracket: double the rate (capped at `maxRps`) until a rate fails; if `maxRps` passes, the
 *    search ends `above-max`.
 * 3. Bisect between the highest passing and the lowest failing rate until
 *    (upper - lower) / lower <= precision.
 *
 * The probes needed are at most 1 + ceil(log2(max / min)) + ceil(log2(1 / precision)) + 1.
 *
 * @param settings the search's settings
 * @param verdictAt the verdict at a nominal rate if it was probed already, else undefined; called
 *   with exactly the rates this function computes, so a lookup by exact number works
 * @returns `probe` with the next rate to run, or `done` with the result
 * @throws RangeError for settings out of range (min <= 0, max < min, precision outside (0, 1),
 *   attainment outside (0, 1])
 */
export function searchCapacity(
  settings: CapacitySearchSettings,
  verdictAt: (rateRps: number) => ProbeVerdict | undefined,
): CapacitySearchState {
  checkSettings(settings);
  const { minRps, maxRps, precision } = settings;
  const probes: CapacityProbe[] = [];
  const at = (rateRps: number): ProbeVerdict | undefined => {
    const verdict = verdictAt(rateRps);
    if (verdict !== undefined) probes.push({ rateRps, verdict });
    return verdict;
  };
  const need = (rateRps: number): CapacitySearchState => ({ status: 'probe', rateRps, probes });
  const done = (outcome: CapacityOutcome, lower: CapacityProbe | null, upper: CapacityProbe | null) => ({
    status: 'done' as const,
    result: { outcome, lower, upper, limiting: upper?.verdict.limiting ?? null, probes },
  });

  if (at(minRps) === undefined) return need(minRps);
  let lower = probes[0];
  if (!lower.verdict.pass) return done('below-min', null, lower);
  let upper: CapacityProbe | undefined;
  while (upper === undefined) {
    if (lower.rateRps >= maxRps) return done('above-max', lower, null);
    const rate = Math.min(lower.rateRps * 2, maxRps);
    const verdict = at(rate);
    if (verdict === undefined) return need(rate);
    if (verdict.pass) lower = probes[probes.length - 1];
    else upper = probes[probes.length - 1];
  }
  while ((upper.rateRps - lower.rateRps) / lower.rateRps > precision) {
    const rate = (lower.rateRps + upper.rateRps) / 2;
    const verdict = at(rate);
    if (verdict === undefined) return need(rate);
    if (verdict.pass) lower = probes[probes.length - 1];
    else upper = probes[probes.length - 1];
  }
  return done('bracketed', lower, upper);
}

/**
 * The most probes a search with these settings can need.
 * @throws RangeError as {@link searchCapacity}
 */
export function maxCapacityProbes(settings: CapacitySearchSettings): number {
  checkSettings(settings);
  const doublings = Math.ceil(Math.log2(settings.maxRps / settings.minRps));
  return 1 + doublings + Math.ceil(Math.log2(1 / settings.precision)) + 1;
}

function checkSettings(s: CapacitySearchSettings): void {
  if (!(s.minRps > 0 && Number.isFinite(s.minRps))) {
    throw new RangeError(`capacity search: min must be a positive rate, got ${s.minRps}`);
  }
  if (!(s.maxRps >= s.minRps && Number.isFinite(s.maxRps))) {
    throw new RangeError(`capacity search: max (${s.maxRps}) must be >= min (${s.minRps})`);
  }
  if (!(s.precision > 0 && s.precision < 1)) {
    throw new RangeError(`capacity search: precision must lie in (0, 1), got ${s.precision}`);
  }
  if (!(s.attainment > 0 && s.attainment <= 1)) {
    throw new RangeError(`capacity search: attainment must lie in (0, 1], got ${s.attainment}`);
  }
}
