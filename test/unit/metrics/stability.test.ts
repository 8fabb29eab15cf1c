import { describe, expect, it } from 'vitest';
import {
  assessStability,
  DEFAULT_STABILITY_OPTIONS,
  numberInSystemBatchMeans,
  STABILITY_METHOD,
} from '../../../runner/metrics/stability.js';
import { mulberry32 } from '../../helpers/mulberry32.js';

/**
 * A single-server FIFO queue (M/M/1): Poisson arrivals at `lambda`, exponential service at `mu`,
 * as per-request arrival and finish times. Stable iff lambda < mu.
 */
function mm1(n: number, lambda: number, mu: number, seed: number) {
  const random = mulberry32(seed);
  const arrival = new Float64Array(n);
  const finish = new Float64Array(n);
  let t = 0;
  let free = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) t += -Math.log(1 - random()) / lambda;
    arrival[i] = t;
    free = Math.max(free, t) + -Math.log(1 - random()) / mu;
    finish[i] = free;
  }
  return { arrival, finish };
}

describe('numberInSystemBatchMeans', () => {
  it('averages arrived - finished exactly over each batch', () => {
    // N(t): [0,1) 1, [1,2) 2, [2,4) 1 (the second request never finishes).
    const means = numberInSystemBatchMeans([0, 1], [2, NaN], 0, 4, 4);
    expect(Array.from(means)).toEqual([1, 2, 1, 1]);
    // Partial overlaps: a request present over [0.5, 2.25) in batches of 1 s.
    expect(Array.from(numberInSystemBatchMeans([0.5], [2.25], 0, 3, 3))).toEqual([0.5, 1, 0.25]);
    // Requests outside the interval count only for their overlap.
    expect(Array.from(numberInSystemBatchMeans([-5, 10], [0.5, 20], 0, 2, 2))).toEqual([0.5, 0]);
  });

  it('agrees with a fine time grid on a random queue', () => {
    const { arrival, finish } = mm1(300, 1, 1.25, 7);
    const means = numberInSystemBatchMeans(arrival, finish, 10, 210, 5);
    const steps = 200_000;
    const grid = new Float64Array(5);
    for (let s = 0; s < steps; s++) {
      const t = 10 + ((s + 0.5) / steps) * 200;
      let n = 0;
      for (let i = 0; i < arrival.length; i++) if (arrival[i] <= t && t < finish[i]) n++;
      grid[Math.floor((s * 5) / steps)] += n / (steps / 5);
    }
    for (let k = 0; k < 5; k++) expect(means[k]).toBeCloseTo(grid[k], 2);
  });
});

describe('assessStability', () => {
  it('judges noise around a constant level stable', () => {
    // An infinite-server queue: Poisson arrivals, every request stays 0.5-1.5 s: N ~ 10 +- noise.
    const random = mulberry32(11);
    const n = 2000;
    const arrival = new Float64Array(n);
    const finish = new Float64Array(n);
    for (let i = 1; i < n; i++) arrival[i] = arrival[i - 1] - Math.log(1 - random()) / 10;
    for (let i = 0; i < n; i++) finish[i] = arrival[i] + 0.5 + random();
    const result = assessStability({ arrival, finish });
    expect(result.stable).toBe(true);
    expect(result.method).toBe(STABILITY_METHOD);
    expect(result.meanInSystem).toBeGreaterThan(8);
    expect(result.meanInSystem).toBeLessThan(12);
    expect(result.pValue).toBeGreaterThan(0.05);
    expect(result.reason).toMatch(/^stable: no significant growth/);
  });

  it('judges a linearly growing queue unstable', () => {
    // Deterministic overload: one arrival per 0.1 s, one completion per 0.125 s (FIFO).
    const n = 1000;
    const arrival = Float64Array.from({ length: n }, (_, i) => i * 0.1);
    const finish = Float64Array.from({ length: n }, (_, i) => (i + 1) * 0.125);
    const result = assessStability({ arrival, finish });
    expect(result.stable).toBe(false);
    // N grows by 10 - 8 = 2 requests per second: 20 % of the arrivals.
    expect(result.slopePerS).toBeCloseTo(2, 1);
    expect(result.growthFraction).toBeCloseTo(0.2, 2);
    expect(result.pValue).toBeLessThan(1e-6);
    expect(result.slopeLowerBoundPerS).toBeGreaterThan(1.9);
    expect(result.reason).toMatch(/^unstable: requests in system grow by 2\.\d+\/s/);
    expect(result.windowStartS).toBeCloseTo(9.99, 6); // 10 % warm-up of [0, 99.9]
    expect(result.windowEndS).toBeCloseTo(99.9, 9);
    expect(result.arrivals).toBe(900);
  });

  it('separates stable and overloaded M/M/1 queues over several seeds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(assessStability(mm1(3000, 0.7, 1, seed)).stable, `rho 0.7 seed ${seed}`).toBe(true);
      expect(assessStability(mm1(3000, 1.3, 1, seed)).stable, `rho 1.3 seed ${seed}`).toBe(false);
    }
  });

  it('calls a significant but negligible growth stable (practical threshold)', () => {
    // Sojourns stretch from 1 s to 1.2 s over 100 s: N grows from 10 to 12, 0.2 % of the arrivals.
    const n = 1000;
    const arrival = Float64Array.from({ length: n }, (_, i) => i * 0.1);
    const finish = arrival.map((a) => a + 1 + 0.002 * a);
    const result = assessStability({ arrival, finish });
    expect(result.pValue).toBeLessThan(0.05);
    expect(result.growthFraction).toBeLessThan(DEFAULT_STABILITY_OPTIONS.minGrowthFraction);
    expect(result.stable).toBe(true);
    expect(result.reason).toMatch(/significant .* but below the 1\.00 % threshold/);
  });

  it('calls a 2 % overload unstable: growth above the 1 % threshold', () => {
    // Deterministic overload by 2 %: one arrival per 0.1 s, one completion per 0.102 s (FIFO).
    // N grows by 1 - 1/1.02 = 1.96 % of the arrivals, which the 5 % threshold of
    // `batch-means-trend` (the previous method) called stable.
    const n = 4000;
    const arrival = Float64Array.from({ length: n }, (_, i) => i * 0.1);
    const finish = Float64Array.from({ length: n }, (_, i) => (i + 1) * 0.102);
    const result = assessStability({ arrival, finish });
    expect(result.growthFraction).toBeCloseTo(1 - 1 / 1.02, 3);
    expect(result.stable).toBe(false);
    expect(assessStability({ arrival, finish }, { minGrowthFraction: 0.05 }).stable).toBe(true);
    expect(DEFAULT_STABILITY_OPTIONS.minGrowthFraction).toBe(0.01);
    expect(result.method).toBe('batch-means-trend-v2');
  });

  it('gives no verdict for runs too short to judge', () => {
    const short = assessStability({ arrival: [0, 1, 2], finish: [1, 2, 3] });
    expect(short.stable).toBeNull();
    expect(short.reason).toBe('too short to judge: 2 arrivals in the analysis window, at least 200 needed');
    expect(short.slopePerS).toBeNull();
    expect(assessStability({ arrival: [], finish: [] }).reason).toBe('too short to judge: 0 request(s)');
    const burst = assessStability({ arrival: new Float64Array(500), finish: new Float64Array(500).fill(1) });
    expect(burst.stable).toBeNull();
    expect(burst.reason).toBe('too short to judge: the arrivals span no time');
  });

  it('ends the window at endS when the run stopped before the last arrival', () => {
    const n = 1000;
    const arrival = Float64Array.from({ length: n }, (_, i) => i * 0.1);
    const finish = new Float64Array(n).fill(NaN); // nothing finished: a horizon cut it short
    const result = assessStability({ arrival, finish }, { endS: 50 });
    expect(result.windowEndS).toBe(50);
    expect(result.stable).toBe(false);
    expect(result.slopePerS).toBeCloseTo(10, 1);
  });

  it('is plain JSON (no NaN or infinities) and validates its options', () => {
    const result = assessStability(mm1(1000, 0.5, 1, 3));
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(() => assessStability({ arrival: [0], finish: [1] }, { batches: 3 })).toThrow(RangeError);
    expect(() => assessStability({ arrival: [0], finish: [1] }, { confidence: 1 })).toThrow(RangeError);
  });
});
