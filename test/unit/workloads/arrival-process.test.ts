import { describe, expect, it } from 'vitest';
import { gammaShape, generateArrivals } from '../../../runner/workloads/arrival-process.js';
import { createUniform, RandomStream } from '../../../runner/workloads/random-streams.js';

const N = 20_000;

function gaps(arrival: Float64Array): { mean: number; cv: number } {
  const n = arrival.length - 1;
  let sum = 0;
  let sq = 0;
  for (let i = 1; i < arrival.length; i++) {
    const g = arrival[i] - arrival[i - 1];
    sum += g;
    sq += g * g;
  }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  return { mean, cv: Math.sqrt(variance) / mean };
}

describe('arrival processes', () => {
  it('start at 0 and never decrease', () => {
    for (const spec of [
      { process: 'poisson', rate: 3 } as const,
      { process: 'gamma', rate: 3, cv: 3 } as const,
      { process: 'deterministic', rate: 3 } as const,
    ]) {
      const a = generateArrivals(spec, 1000, createUniform(1, RandomStream.arrivals));
      expect(a[0]).toBe(0);
      for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(a[i - 1]);
    }
  });

  it('poisson: mean gap 1/rate, CV 1', () => {
    const { mean, cv } = gaps(generateArrivals({ process: 'poisson', rate: 4 }, N, createUniform(7, 1)));
    expect(Math.abs(mean - 0.25) / 0.25).toBeLessThan(0.03);
    expect(Math.abs(cv - 1)).toBeLessThan(0.05);
  });

  it('gamma with cv: mean gap 1/rate, CV as asked', () => {
    for (const cv of [0.5, 1.5]) {
      const s = gaps(generateArrivals({ process: 'gamma', rate: 2, cv }, N, createUniform(11, 1)));
      expect(Math.abs(s.mean - 0.5) / 0.5).toBeLessThan(0.03);
      expect(Math.abs(s.cv - cv) / cv).toBeLessThan(0.05);
    }
  });

  it('gamma with burstiness (vLLM): shape k, CV 1/sqrt(k)', () => {
    expect(gammaShape({ process: 'gamma', rate: 1, burstiness: 4 })).toBe(4);
    expect(gammaShape({ process: 'gamma', rate: 1, cv: 2 })).toBe(0.25);
    const s = gaps(
      generateArrivals({ process: 'gamma', rate: 10, burstiness: 0.25 }, N, createUniform(5, 1)),
    );
    expect(Math.abs(s.mean - 0.1) / 0.1).toBeLessThan(0.04);
    expect(Math.abs(s.cv - 2) / 2).toBeLessThan(0.05);
  });

  it('deterministic: constant gaps', () => {
    const a = generateArrivals({ process: 'deterministic', rate: 8 }, 5, createUniform(1, 1));
    expect(Array.from(a)).toEqual([0, 0.125, 0.25, 0.375, 0.5]);
  });

  it('common random numbers: rate r gives the rate-1 times divided by r', () => {
    for (const spec of [
      { process: 'poisson' } as const,
      { process: 'gamma', cv: 2 } as const,
      { process: 'gamma', burstiness: 3 } as const,
    ]) {
      const one = generateArrivals({ ...spec, rate: 1 }, 500, createUniform(3, 1));
      const five = generateArrivals({ ...spec, rate: 5 }, 500, createUniform(3, 1));
      for (let i = 0; i < one.length; i++) expect(five[i]).toBeCloseTo(one[i] / 5, 9);
    }
  });
});

describe('random streams', () => {
  it('are reproducible, differ by seed and by stream', () => {
    const a = createUniform(42, RandomStream.arrivals);
    const b = createUniform(42, RandomStream.arrivals);
    const c = createUniform(43, RandomStream.arrivals);
    const d = createUniform(42, RandomStream.promptTokens);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect([c(), c(), c()]).not.toEqual(xs);
    expect([d(), d(), d()]).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('accept seed 0 and reject bad seeds naming the field', () => {
    expect(typeof createUniform(0, 1)()).toBe('number');
    expect(() => createUniform(-1, 1)).toThrow(/seed/);
    expect(() => createUniform(1.5, 1)).toThrow(/seed/);
    expect(() => createUniform(2 ** 32, 1)).toThrow(/seed/);
  });
});
