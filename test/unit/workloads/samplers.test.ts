/**
 * Our MT19937 and samplers against the `@stdlib` packages they replace (kept as devDependencies
 * for this test): identical values, bit for bit, for many seeds and parameters.
 */
import gammaStdlib from '@stdlib/random-base-gamma';
import lognormalStdlib from '@stdlib/random-base-lognormal';
import mt19937Stdlib from '@stdlib/random-base-mt19937';
import normalStdlib from '@stdlib/random-base-improved-ziggurat';
import { describe, expect, it } from 'vitest';
import { fdlibmPow } from '../../../runner/workloads/fdlibm-pow.js';
import { createGammaSampler } from '../../../runner/workloads/gamma-sampler.js';
import { createLognormalSampler } from '../../../runner/workloads/lognormal-sampler.js';
import { createMt19937 } from '../../../runner/workloads/mt19937.js';
import { createUniform, MAX_SEED, RandomStream } from '../../../runner/workloads/random-streams.js';
import { createStandardNormal } from '../../../runner/workloads/standard-normal.js';

type StdlibMt = { (): number; normalized: () => number };
const stdlibMt = (seed: number | number[]): StdlibMt =>
  mt19937Stdlib.factory({ seed } as never) as unknown as StdlibMt;
const stdlibUniform = (seed: number, stream: number): (() => number) => stdlibMt([seed, stream]).normalized;

/** Index of the first difference between two sequences of n draws, or -1. */
function firstDifference(n: number, a: () => number, b: () => number): number {
  for (let i = 0; i < n; i++) {
    const x = a();
    const y = b();
    if (!Object.is(x, y)) return i;
  }
  return -1;
}

const SEEDS = [0, 1, 2, 42, 12345, 2 ** 31, MAX_SEED];

describe('MT19937', () => {
  it('gives the reference mt19937ar output for init_by_array([0x123, 0x234, 0x345, 0x456])', () => {
    // The first words of mt19937ar.out (Matsumoto and Nishimura's reference test vector).
    const g = createMt19937([0x123, 0x234, 0x345, 0x456]);
    expect([g.uint32(), g.uint32(), g.uint32(), g.uint32(), g.uint32()]).toEqual([
      1067595299, 955945823, 477289528, 4107218783, 4228976476,
    ]);
  });

  it('matches stdlib word for word (one seed and [seed, stream]), across several refills', () => {
    for (const seed of SEEDS) {
      if (seed > 0) {
        const ours = createMt19937(seed);
        expect(firstDifference(2000, ours.uint32, stdlibMt(seed)), `seed ${seed}`).toBe(-1);
      }
      for (const stream of Object.values(RandomStream)) {
        const ours = createUniform(seed, stream);
        expect(firstDifference(2000, ours, stdlibUniform(seed, stream)), `[${seed}, ${stream}]`).toBe(-1);
      }
    }
    expect(firstDifference(100_000, createUniform(7, 1), stdlibUniform(7, 1))).toBe(-1);
  });

  it('rejects seeds that are not unsigned 32-bit integers', () => {
    expect(() => createMt19937(-1)).toThrow(RangeError);
    expect(() => createMt19937([1, 2 ** 32])).toThrow(/4294967295/);
    expect(() => createMt19937([])).toThrow(/empty/);
  });
});

describe('samplers over a uniform stream', () => {
  it('standard normal (improved ziggurat): the same draws as stdlib, tails included', () => {
    for (const seed of [1, 2, 3, 99, MAX_SEED]) {
      const ours = createStandardNormal(createUniform(seed, 2));
      const theirs = normalStdlib.factory({ prng: stdlibUniform(seed, 2) });
      expect(firstDifference(100_000, ours, theirs), `seed ${seed}`).toBe(-1);
    }
  });

  it('lognormal: the same draws as stdlib for 10^5 draws per (mu, sigma)', () => {
    for (const [mu, sigma] of [
      [0, 1],
      [5.5, 0.8],
      [-2, 0.01],
      [3, 3],
    ]) {
      for (const seed of [1, 17]) {
        const ours = createLognormalSampler(mu, sigma, createUniform(seed, 2));
        const theirs = lognormalStdlib.factory(mu, sigma, { prng: stdlibUniform(seed, 2) });
        expect(firstDifference(100_000, ours, theirs), `mu ${mu} sigma ${sigma} seed ${seed}`).toBe(-1);
      }
    }
  });

  it('gamma: the same draws as stdlib for shapes below, at and above 1', () => {
    for (const shape of [0.05, 0.25, 0.5, 0.999, 1, 1.5, 4, 100]) {
      for (const seed of [1, 23]) {
        const ours = createGammaSampler(shape, 2.5, createUniform(seed, 1));
        const theirs = gammaStdlib.factory(shape, 2.5, { prng: stdlibUniform(seed, 1) });
        expect(firstDifference(100_000, ours, theirs), `shape ${shape} seed ${seed}`).toBe(-1);
      }
    }
  });

  it('rejects parameters that are not positive', () => {
    const u = createUniform(1, 1);
    expect(() => createGammaSampler(0, 1, u)).toThrow(/shape/);
    expect(() => createGammaSampler(1, -1, u)).toThrow(/rate/);
    expect(() => createLognormalSampler(0, 0, u)).toThrow(/sigma/);
  });
});

describe('fdlibmPow', () => {
  it("is stdlib's pow bit for bit on its domain, where Math.pow is not", async () => {
    const { default: stdlibPow } = (await import('@stdlib/math-base-special-pow' as string)) as {
      default: (x: number, y: number) => number;
    };
    const u = createUniform(5, 1);
    let differsFromMathPow = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = i < 1000 ? u() * 1e-300 : u();
      const y = i % 3 === 0 ? 2 + Math.floor(u() * 8) : 1 / (0.001 + 0.998 * u());
      const theirs = stdlibPow(x, y);
      expect(fdlibmPow(x, y), `pow(${x}, ${y})`).toBe(theirs);
      if (Math.pow(x, y) !== theirs) differsFromMathPow++;
    }
    expect(differsFromMathPow).toBeGreaterThan(0);
    expect(fdlibmPow(0, 3.5)).toBe(0);
    expect(() => fdlibmPow(1, 2)).toThrow(RangeError);
  });
});
