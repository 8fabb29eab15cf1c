import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import {
  gammaShape,
  generateArrivals,
  offeredRate,
  VIDUR_CLIP_MEAN_GAPS,
} from '../../../runner/workloads/arrival-process.js';
import { buildRequestList, loadWorkload, nominalRate } from '../../../runner/workloads/build-workload.js';
import { createUniform, RandomStream } from '../../../runner/workloads/random-streams.js';
import { parseWorkloadSpec, WorkloadSpecSchema } from '../../../runner/workloads/workload-spec.js';

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
      { process: 'poisson', rate: 3, clip: 'vidur' } as const,
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
      { process: 'poisson', clip: 'vidur' } as const,
      { process: 'gamma', cv: 2 } as const,
      { process: 'gamma', burstiness: 3 } as const,
    ]) {
      const one = generateArrivals({ ...spec, rate: 1 }, 500, createUniform(3, 1));
      const five = generateArrivals({ ...spec, rate: 5 }, 500, createUniform(3, 1));
      for (let i = 0; i < one.length; i++) expect(five[i]).toBeCloseTo(one[i] / 5, 9);
    }
  });
});

/** The inter-arrival gaps of a list of arrival times. */
function gapList(arrival: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < arrival.length; i++) out.push(arrival[i] - arrival[i - 1]);
  return out;
}

describe('poisson with clip: vidur (gap = min(Exp(rate), 3/rate))', () => {
  const rate = 2;
  const maxGap = 3 / rate;
  const clippedMeanGap = -Math.expm1(-3) / rate; // (1 - e^-3)/rate
  // Gaps are recovered as differences of cumulative times, which carries rounding of ~1e-12 s.
  const eps = 1e-9;

  it('mean gap (1 - e^-3)/rate, offered rate about 1.0524 x nominal', () => {
    const a = generateArrivals({ process: 'poisson', rate, clip: 'vidur' }, N, createUniform(7, 1));
    const { mean } = gaps(a);
    expect(Math.abs(mean - clippedMeanGap) / clippedMeanGap).toBeLessThan(0.02);
    // the exact process's mean gap 1/rate is 5 % away, well outside that tolerance
    expect(Math.abs(mean - 1 / rate) / (1 / rate)).toBeGreaterThan(0.03);
    expect(VIDUR_CLIP_MEAN_GAPS).toBe(3);
    expect(offeredRate({ process: 'poisson', rate, clip: 'vidur' }) / rate).toBeCloseTo(1.0524, 4);
    expect(offeredRate({ process: 'poisson', rate })).toBe(rate);
    expect(offeredRate({ process: 'gamma', rate, cv: 2 })).toBe(rate);
  });

  it('no gap exceeds 3/rate, and about e^-3 of them are truncated to it', () => {
    const g = gapList(generateArrivals({ process: 'poisson', rate, clip: 'vidur' }, N, createUniform(9, 1)));
    expect(Math.max(...g)).toBeLessThanOrEqual(maxGap + eps);
    const clipped = g.filter((x) => Math.abs(x - maxGap) < eps).length;
    const expected = (N - 1) * Math.exp(-3); // ~ 996, sd ~ 31
    expect(Math.abs(clipped - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it('draws the same uniforms as the exact process: gaps equal except the truncated ones', () => {
    for (const seed of [0, 42]) {
      const plain = gapList(generateArrivals({ process: 'poisson', rate }, N, createUniform(seed, 1)));
      const clip = gapList(
        generateArrivals({ process: 'poisson', rate, clip: 'vidur' }, N, createUniform(seed, 1)),
      );
      let truncated = 0;
      const mismatches: number[] = [];
      for (let i = 0; i < plain.length; i++) {
        const expected = plain[i] < maxGap ? plain[i] : maxGap;
        if (plain[i] >= maxGap) truncated += 1;
        if (Math.abs(clip[i] - expected) >= eps) mismatches.push(i);
      }
      expect(mismatches).toEqual([]);
      expect(truncated).toBeGreaterThan(0);
    }
  });

  it('the workload keeps the nominal rate as written; lengths are not disturbed', () => {
    const entry = (clip?: 'vidur') => ({
      name: 'v',
      arrival: { process: 'poisson', rate: 1, ...(clip ? { clip } : {}) },
      promptTokens: { dist: 'uniform', min: 1, max: 1000 },
      outputTokens: { dist: 'uniform', min: 1, max: 1000 },
    });
    const clipped = loadWorkload(WorkloadSpecSchema.parse(entry('vidur')), { specDir: '.' });
    const plain = loadWorkload(WorkloadSpecSchema.parse(entry()), { specDir: '.' });
    expect(nominalRate(clipped)).toBe(1);
    const a = buildRequestList(clipped, { seed: 3, requests: 2000 });
    const b = buildRequestList(plain, { seed: 3, requests: 2000 });
    expect(Array.from(a.promptTokens)).toEqual(Array.from(b.promptTokens));
    expect(Array.from(a.outputTokens)).toEqual(Array.from(b.outputTokens));
    expect(a.arrival[1999]).toBeLessThan(b.arrival[1999]);
  });
});

describe('arrival schema: clip', () => {
  const workload = (arrival: Record<string, unknown>) => ({
    name: 'w',
    arrival,
    promptTokens: { dist: 'fixed', value: 10 },
    outputTokens: { dist: 'fixed', value: 10 },
  });

  function rejects(arrival: Record<string, unknown>): { field: string | undefined; message: string } {
    try {
      parseWorkloadSpec(workload(arrival), { file: 'sweep.yaml', field: 'workloads[0]' });
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return { field: (err as InputError).location.field, message: (err as InputError).message };
    }
    throw new Error('expected the arrival to be rejected');
  }

  it('accepts clip: vidur on poisson, and no clip', () => {
    expect(
      WorkloadSpecSchema.parse(workload({ process: 'poisson', rate: 1, clip: 'vidur' })).arrival,
    ).toEqual({
      process: 'poisson',
      rate: 1,
      clip: 'vidur',
    });
    expect(WorkloadSpecSchema.parse(workload({ process: 'poisson', rate: 1 })).arrival).toEqual({
      process: 'poisson',
      rate: 1,
    });
  });

  it('rejects clip on a non-poisson process, naming the field', () => {
    for (const arrival of [
      { process: 'gamma', rate: 1, cv: 2, clip: 'vidur' },
      { process: 'deterministic', rate: 1, clip: 'vidur' },
    ]) {
      const { field, message } = rejects(arrival);
      expect(field).toBe('workloads[0].arrival.clip');
      expect(message).toMatch(/workloads\[0\]\.arrival\.clip: .*only to `process: poisson`/);
    }
  });

  it('rejects an unknown clip value, naming the field', () => {
    for (const clip of ['sarathi', 'Vidur', true, 3]) {
      const { field, message } = rejects({ process: 'poisson', rate: 1, clip });
      expect(field).toBe('workloads[0].arrival.clip');
      expect(message).toMatch(/workloads\[0\]\.arrival\.clip: .*vidur/);
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
