import { describe, expect, it } from 'vitest';
import { digestCdf, runDigest } from '../../../runner/metrics/run-digest.js';
import type { RequestRecords } from '../../../runner/engine/run-records.js';
import { downsampleSamples, empiricalCdf, pooledCdf } from '../../../runner/reports/empirical-cdf.js';
import { mulberry32 } from '../../helpers/mulberry32.js';

describe('empiricalCdf', () => {
  it('gives every rank when there are few samples', () => {
    expect(empiricalCdf([3, 1, 2, Number.NaN], 10)).toEqual([
      { x: 1, y: 1 / 3 },
      { x: 2, y: 2 / 3 },
      { x: 3, y: 1 },
    ]);
  });

  it('keeps at most maxPoints, from the minimum to the maximum, non-decreasing', () => {
    const samples = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    const cdf = empiricalCdf(samples, 200);
    expect(cdf).toHaveLength(200);
    expect(cdf[0]).toEqual({ x: 0, y: 1 / 5000 });
    expect(cdf[199]).toEqual({ x: 4999, y: 1 });
    for (let i = 1; i < cdf.length; i++) {
      expect(cdf[i].x).toBeGreaterThanOrEqual(cdf[i - 1].x);
      expect(cdf[i].y).toBeGreaterThan(cdf[i - 1].y);
    }
  });

  it('is empty without samples and rejects a bad maxPoints', () => {
    expect(empiricalCdf([], 10)).toEqual([]);
    expect(() => empiricalCdf([1], 1)).toThrow(RangeError);
  });
});

describe('downsampleSamples', () => {
  it('returns sorted samples, at most max, keeping min and max', () => {
    expect(downsampleSamples([3, 1, 2], 5)).toEqual([1, 2, 3]);
    const out = downsampleSamples(
      Array.from({ length: 10_001 }, (_, i) => 10_000 - i),
      101,
    );
    expect(out).toHaveLength(101);
    expect(out[0]).toBe(0);
    expect(out[50]).toBe(5000);
    expect(out[100]).toBe(10_000);
  });
});

/** Records of `e2e.length` finished requests with these E2E latencies (TTFT a tenth of them). */
function recordsOf(e2e: number[]): RequestRecords {
  const n = e2e.length;
  const arrival = new Float64Array(n);
  const ints = new Int32Array(n).fill(10);
  return {
    arrival,
    promptTokens: ints,
    outputTokens: ints,
    firstScheduled: arrival,
    firstToken: Float64Array.from(e2e, (x) => x / 10),
    finish: Float64Array.from(e2e),
    generatedTokens: ints,
    evictions: ints,
    preemptions: ints,
    recomputedTokens: ints,
    maxItl: arrival,
  };
}

describe('pooledCdf', () => {
  const random = mulberry32(3, '(0, 1)');
  const draw = (n: number, scale: number): number[] =>
    Array.from({ length: n }, () => scale * -Math.log(random()));

  it('is empiricalCdf of all samples pooled when every run stores all its samples', () => {
    const runs = [draw(300, 1), draw(300, 2), draw(17, 5)];
    const pooled = runs.flat();
    for (const maxPoints of [2, 50, 200, 10_000]) {
      const expected = empiricalCdf(pooled, maxPoints);
      expect(
        pooledCdf(
          runs.map((values) => ({ values })),
          maxPoints,
        ),
      ).toEqual(expected);
      // The same from digests (sorted order statistics with finished = their count).
      const digests = runs.map((values) => runDigest(recordsOf(values)));
      expect(
        pooledCdf(
          digests.map((d) => ({ values: Array.from(d.e2eS), finished: d.finished })),
          maxPoints,
        ),
      ).toEqual(expected);
    }
    // Ties across runs count every sample.
    expect(pooledCdf([{ values: [1, 2] }, { values: [2, 3] }], 10)).toEqual([
      { x: 1, y: 0.25 },
      { x: 2, y: 0.5 },
      { x: 2, y: 0.75 },
      { x: 3, y: 1 },
    ]);
  });

  it('weighs each run by its finished requests when digests keep only order statistics', () => {
    // A long run (20,000 requests, 1,001 order statistics) pooled with a short one (100).
    const long = draw(20_000, 1);
    const short = draw(100, 3);
    const digest = runDigest(recordsOf(long));
    expect(digest.e2eS.length).toBeLessThan(long.length);
    const points = pooledCdf(
      [{ values: Array.from(digest.e2eS), finished: digest.finished }, { values: short }],
      300,
    );
    expect(points).toHaveLength(300);
    expect(points[0].x).toBe(Math.min(...long, ...short));
    expect(points[points.length - 1]).toEqual({ x: Math.max(...long, ...short), y: 1 });
    // Within a few samples' worth of the pooled empirical CDF at every point.
    const all = [...long, ...short].sort((a, b) => a - b);
    for (const p of points) {
      let below = 0;
      while (below < all.length && all[below] <= p.x) below++;
      expect(Math.abs(p.y - below / all.length)).toBeLessThan(25 / all.length);
    }
    // One run alone: the same points as digestCdf.
    const alone = pooledCdf([{ values: Array.from(digest.e2eS), finished: digest.finished }], 120);
    const cdf = digestCdf(digest.e2eS, digest.finished, 120);
    expect(alone).toEqual(cdf.x.map((x, i) => ({ x, y: cdf.y[i] })));
  });

  it('is empty without finite values and refuses a bad maxPoints or finished', () => {
    expect(pooledCdf([], 10)).toEqual([]);
    expect(pooledCdf([{ values: [Number.NaN] }], 10)).toEqual([]);
    expect(pooledCdf([{ values: [4], finished: 9 }], 10)).toEqual([{ x: 4, y: 1 }]);
    expect(() => pooledCdf([{ values: [1] }], 1)).toThrow(RangeError);
    expect(() => pooledCdf([{ values: [1, 2, 3], finished: 2 }], 10)).toThrow(RangeError);
  });
});

describe('downsampleSamples of sorted order statistics', () => {
  it('gives the same as for the shuffled samples', () => {
    const sorted = Array.from({ length: 1001 }, (_, i) => i * i);
    const shuffled = [...sorted].reverse();
    expect(downsampleSamples(sorted, 100)).toEqual(downsampleSamples(shuffled, 100));
    expect(downsampleSamples(sorted, 100)[99]).toBe(1000 * 1000);
  });
});
