import { describe, expect, it } from 'vitest';
import {
  maxCapacityProbes,
  searchCapacity,
  type CapacitySearchSettings,
  type ProbeVerdict,
} from '../../../runner/metrics/capacity-search.js';
import { probeVerdict, type ProbeRun } from '../../../runner/metrics/probe-verdict.js';
import { assessStability, type StabilityResult } from '../../../runner/metrics/stability.js';

const SETTINGS: CapacitySearchSettings = { minRps: 0.5, maxRps: 16, precision: 0.02, attainment: 0.99 };

/** Runs a search to the end against a policy that sustains exactly the rates <= capacity. */
function runToEnd(settings: CapacitySearchSettings, capacity: number) {
  const verdicts = new Map<number, ProbeVerdict>();
  const asked: number[] = [];
  for (;;) {
    const state = searchCapacity(settings, (r) => verdicts.get(r));
    if (state.status === 'done') return { result: state.result, asked };
    expect(verdicts.has(state.rateRps)).toBe(false); // never asks for a rate twice
    asked.push(state.rateRps);
    const pass = state.rateRps <= capacity;
    verdicts.set(state.rateRps, { pass, limiting: pass ? null : 'stability', offeredRps: state.rateRps });
  }
}

describe('searchCapacity', () => {
  it.each([0.7, 2.05, 2.23, 5, 15.9])('brackets a capacity of %f req/s within the precision', (capacity) => {
    const { result, asked } = runToEnd(SETTINGS, capacity);
    expect(result.outcome).toBe('bracketed');
    const lower = result.lower!.rateRps;
    const upper = result.upper!.rateRps;
    expect(lower).toBeLessThanOrEqual(capacity);
    expect(upper).toBeGreaterThan(capacity);
    expect((upper - lower) / lower).toBeLessThanOrEqual(SETTINGS.precision);
    expect(result.limiting).toBe('stability');
    expect(asked.length).toBe(result.probes.length);
    expect(asked.length).toBeLessThanOrEqual(maxCapacityProbes(SETTINGS));
  });

  it('brackets by doubling from min, then bisects: the hand-worked sequence for capacity 2.05', () => {
    const { asked } = runToEnd(SETTINGS, 2.05);
    // 0.5, 1, 2 pass; 4 fails; then midpoints of [2, 4], [2, 3], [2, 2.5], ... until (u - l)/l <= 2 %.
    expect(asked).toEqual([0.5, 1, 2, 4, 3, 2.5, 2.25, 2.125, 2.0625, 2.03125]);
  });

  it('ends below-min when min fails and above-max when max passes', () => {
    const below = runToEnd(SETTINGS, 0.1).result;
    expect(below.outcome).toBe('below-min');
    expect(below.lower).toBeNull();
    expect(below.upper!.rateRps).toBe(0.5);
    const above = runToEnd(SETTINGS, 100).result;
    expect(above.outcome).toBe('above-max');
    expect(above.lower!.rateRps).toBe(16);
    expect(above.upper).toBeNull();
    expect(above.limiting).toBeNull();
  });

  it('replays over the verdicts known so far and asks for the next rate only', () => {
    const known = new Map<number, ProbeVerdict>([
      [0.5, { pass: true, limiting: null, offeredRps: 0.52 }],
      [1, { pass: true, limiting: null, offeredRps: 1.05 }],
    ]);
    const state = searchCapacity(SETTINGS, (r) => known.get(r));
    expect(state).toMatchObject({ status: 'probe', rateRps: 2 });
    expect(state.status === 'probe' && state.probes.map((p) => p.rateRps)).toEqual([0.5, 1]);
  });

  it('rejects settings out of range', () => {
    expect(() => searchCapacity({ ...SETTINGS, minRps: 0 }, () => undefined)).toThrow(/min/);
    expect(() => searchCapacity({ ...SETTINGS, maxRps: 0.1 }, () => undefined)).toThrow(/max/);
    expect(() => searchCapacity({ ...SETTINGS, precision: 0 }, () => undefined)).toThrow(/precision/);
  });
});

describe('probeVerdict', () => {
  /** A stability verdict with a given trend: slope b (req/s), standard error se, growth fraction g. */
  const trend = (b: number, se: number, g: number, stable: boolean): StabilityResult => ({
    ...assessStability({ arrival: new Float64Array(0), finish: new Float64Array(0) }, { endS: 1 }),
    stable,
    slopePerS: b,
    slopeStdErrPerS: se,
    degreesOfFreedom: 18,
    growthFraction: g,
  });
  const flat = trend(0, 0.01, 0, true);
  const run = (over: Partial<ProbeRun>): ProbeRun => ({
    stability: flat,
    requests: 100,
    good: null,
    goodByBound: {},
    offeredRps: 2,
    ...over,
  });

  it("pools the seeds' trends; a run without a verdict fails the probe", () => {
    expect(probeVerdict([run({}), run({ offeredRps: 2.2 })], 0.99)).toEqual({
      pass: true,
      limiting: null,
      offeredRps: 2.1,
    });
    // One seed clearly growing (t = 5, 3 % of arrivals) and one flat: the mean slope 0.05 has
    // standard error sqrt(0.01^2 + 0.01^2)/2 = 0.0071 (t = 7.1) and the mean growth is 1.5 % > 1 %.
    expect(probeVerdict([run({}), run({ stability: trend(0.1, 0.01, 0.03, false) })], 0.99).limiting).toBe(
      'stability',
    );
    // A growth judged significant in one seed but cancelled by the other is no growth: pooled stable.
    expect(
      probeVerdict(
        [
          run({ stability: trend(0.03, 0.01, 0.012, false) }),
          run({ stability: trend(-0.03, 0.01, -0.012, true) }),
        ],
        0.99,
      ).pass,
    ).toBe(true);
    expect(probeVerdict([run({ stability: null })], 0.99).pass).toBe(false);
    const tooShort = assessStability(
      { arrival: new Float64Array(0), finish: new Float64Array(0) },
      { endS: 1 },
    );
    expect(tooShort.stable).toBeNull();
    expect(probeVerdict([run({ stability: tooShort })], 0.99).pass).toBe(false);
  });

  it('pools the SLO attainment over seeds and names the bound met by the fewest requests', () => {
    // 99 + 98 good of 200: 98.5 % < 99 %; TTFT met by 199, TPOT by 197: TPOT limits.
    const runs = [
      run({ good: 99, goodByBound: { ttft: 100, tpot: 99 } }),
      run({ good: 98, goodByBound: { ttft: 99, tpot: 98 } }),
    ];
    expect(probeVerdict(runs, 0.99)).toMatchObject({ pass: false, limiting: 'tpot' });
    // 98.5 % reaches a 98 % target.
    expect(probeVerdict(runs, 0.98)).toMatchObject({ pass: true, limiting: null });
    // Instability comes first even when the SLO is also missed.
    expect(
      probeVerdict([runs[0], { ...runs[1], stability: trend(1, 0.01, 0.2, false) }], 0.99).limiting,
    ).toBe('stability');
  });
});
