import { describe, expect, it } from 'vitest';
import { downsampleSamples, empiricalCdf } from '../../../runner/reports/empirical-cdf.js';

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
