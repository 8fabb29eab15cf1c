/**
 * Our Student t CDF and quantile against `@stdlib/stats-base-dists-t-cdf` and `-t-quantile`
 * (the packages they replaced, kept as devDependencies for this test) over the ranges the
 * statistics use and beyond, and against known values.
 */
import tCdfStdlib from '@stdlib/stats-base-dists-t-cdf';
import tQuantileStdlib from '@stdlib/stats-base-dists-t-quantile';
import { describe, expect, it } from 'vitest';
import { studentTCdf, studentTQuantile } from '../../../runner/metrics/t-distribution.js';

const DFS = [1, 1.5, 2, 3, 4, 5, 7, 10, 18, 19, 30, 50, 100, 1000, 1e4, 1e5, 1e6];
/** |a - b|/|b|; Infinity when only one is NaN or they differ in a way that gives NaN. */
const relative = (a: number, b: number): number =>
  a === b || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Math.abs(a - b) / Math.abs(b) || Infinity;

describe('studentTCdf', () => {
  it('is within 1e-12 relative of stdlib for df 1..10^6 and |t| from 1e-3 to 1e3', () => {
    let worst = 0;
    let where = '';
    for (const df of DFS) {
      for (let k = 0; k <= 600; k++) {
        const t = 10 ** (-3 + (6 * k) / 600);
        for (const x of [t, -t]) {
          const theirs = tCdfStdlib(x, df);
          if (theirs < 1e-300) continue; // underflow: both are 0 or denormal
          const r = relative(studentTCdf(x, df), theirs);
          if (r > worst) [worst, where] = [r, `t ${x} df ${df}`];
        }
      }
    }
    expect(worst, where).toBeLessThan(1e-12);
  });

  it('gives the textbook values and the edge cases', () => {
    expect(studentTCdf(0, 5)).toBe(0.5);
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 15); // Cauchy: 1/2 + atan(1)/pi
    expect(studentTCdf(-2, 2)).toBeCloseTo(0.5 - 1 / Math.sqrt(6), 15); // df 2: 1/2 + t/(2 sqrt(2 + t^2))
    expect(studentTCdf(Infinity, 3)).toBe(1);
    expect(studentTCdf(-Infinity, 3)).toBe(0);
    expect(studentTCdf(1, 0)).toBeNaN();
    expect(studentTCdf(NaN, 3)).toBeNaN();
  });
});

describe('studentTQuantile', () => {
  it('is within 1e-12 relative of stdlib for df 1..10^6 and p from 0.5 to 0.9999 (and 1 - p)', () => {
    let worst = 0;
    let where = '';
    for (const df of DFS) {
      for (let k = 1; k <= 400; k++) {
        const p = 0.5 + (0.4999 * k) / 400;
        for (const q of [p, 1 - p]) {
          const r = relative(studentTQuantile(q, df), tQuantileStdlib(q, df));
          if (r > worst) [worst, where] = [r, `p ${q} df ${df}`];
        }
      }
    }
    expect(worst, where).toBeLessThan(1e-12);
  });

  it('inverts the CDF and gives the table values', () => {
    for (const df of [1, 2, 4, 18, 1e6]) {
      for (const p of [0.6, 0.9, 0.975, 0.9999]) {
        expect(relative(studentTCdf(studentTQuantile(p, df), df), p)).toBeLessThan(1e-14);
      }
    }
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174694, 13);
    expect(studentTQuantile(0.95, 18)).toBeCloseTo(1.7340636066175383, 14);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302652729749462, 14);
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTQuantile(1, 7)).toBe(Infinity);
    expect(studentTQuantile(0, 7)).toBe(-Infinity);
    expect(studentTQuantile(1.5, 7)).toBeNaN();
    expect(studentTQuantile(0.9, -1)).toBeNaN();
  });
});
