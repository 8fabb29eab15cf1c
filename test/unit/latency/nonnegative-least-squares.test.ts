import { describe, expect, it } from 'vitest';
import { nonnegativeLeastSquares } from '../../../runner/latency/nonnegative-least-squares.js';

/** Deterministic uniform [0, 1) numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Unconstrained least squares on the columns in `cols` by the normal equations (Gauss-Jordan). */
function leastSquares(a: number[][], b: number[], cols: number[]): number[] | undefined {
  const p = cols.length;
  const m = cols.map((j) => [
    ...cols.map((k) => a.reduce((s, row) => s + row[j] * row[k], 0)),
    a.reduce((s, row, i) => s + row[j] * b[i], 0),
  ]);
  for (let k = 0; k < p; k++) {
    let pivot = k;
    for (let i = k + 1; i < p; i++) if (Math.abs(m[i][k]) > Math.abs(m[pivot][k])) pivot = i;
    if (Math.abs(m[pivot][k]) < 1e-12) return undefined;
    [m[k], m[pivot]] = [m[pivot], m[k]];
    for (let i = 0; i < p; i++) {
      if (i === k) continue;
      const f = m[i][k] / m[k][k];
      for (let l = k; l <= p; l++) m[i][l] -= f * m[k][l];
    }
  }
  return m.map((row, k) => row[p] / row[k]);
}

function residualNorm(a: number[][], b: number[], x: number[]): number {
  return Math.sqrt(a.reduce((s, row, i) => s + (row.reduce((t, v, j) => t + v * x[j], 0) - b[i]) ** 2, 0));
}

/** Gradient w = A^T (b - A x). */
function gradient(a: number[][], b: number[], x: number[]): number[] {
  const r = b.map((bi, i) => bi - a[i].reduce((s, v, j) => s + v * x[j], 0));
  return x.map((_, j) => a.reduce((s, row, i) => s + row[j] * r[i], 0));
}

/** Reference NNLS by trying every passive set (small n only). */
function bruteForce(a: number[][], b: number[]): number[] {
  const n = a[0].length;
  let best = new Array<number>(n).fill(0);
  let bestNorm = residualNorm(a, b, best);
  for (let mask = 1; mask < 1 << n; mask++) {
    const cols = [...Array(n).keys()].filter((j) => mask & (1 << j));
    const s = leastSquares(a, b, cols);
    if (s === undefined || s.some((v) => v < 0)) continue;
    const x = new Array<number>(n).fill(0);
    cols.forEach((j, k) => (x[j] = s[k]));
    const norm = residualNorm(a, b, x);
    if (norm < bestNorm) {
      best = x;
      bestNorm = norm;
    }
  }
  return best;
}

/** Checks the KKT conditions of min ||Ax - b|| s.t. x >= 0. */
function expectKkt(a: number[][], b: number[], x: number[], tol: number): void {
  const w = gradient(a, b, x);
  for (let j = 0; j < x.length; j++) {
    expect(x[j]).toBeGreaterThanOrEqual(0);
    if (x[j] > 0) expect(Math.abs(w[j])).toBeLessThan(tol);
    else expect(w[j]).toBeLessThan(tol);
  }
}

describe('nonnegativeLeastSquares (Lawson-Hanson)', () => {
  it('solves hand-worked problems', () => {
    // Identity: the negative component is clipped to 0.
    const identity = nonnegativeLeastSquares(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      [1, -2, 3],
    );
    expect(identity.x).toEqual([1, 0, 3]);
    expect(identity.residualNorm).toBeCloseTo(2, 14);

    // Unconstrained solution (4/3, 1/3) is positive, so NNLS returns it.
    const interior = nonnegativeLeastSquares(
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      [2, 1, 1],
    );
    expect(interior.x[0]).toBeCloseTo(4 / 3, 14);
    expect(interior.x[1]).toBeCloseTo(1 / 3, 14);
    expect(interior.residualNorm).toBeCloseTo(Math.sqrt(4 / 3), 14);

    // Line through (1,3), (2,2), (3,1): unconstrained intercept 4, slope -1; with slope >= 0 the
    // best is slope 0 and the mean, 2, leaving residuals (1, 0, -1).
    const bound = nonnegativeLeastSquares(
      [
        [1, 1],
        [1, 2],
        [1, 3],
      ],
      [3, 2, 1],
    );
    expect(bound.x[0]).toBeCloseTo(2, 14);
    expect(bound.x[1]).toBe(0);
    expect(bound.residualNorm).toBeCloseTo(Math.SQRT2, 14);
  });

  it('returns 0 without iterating when every gradient component is negative', () => {
    const result = nonnegativeLeastSquares(
      [
        [1, 2],
        [3, 4],
      ],
      [-1, -1],
    );
    expect(result.x).toEqual([0, 0]);
    expect(result.iterations).toBe(0);
    expect(result.residualNorm).toBeCloseTo(Math.SQRT2, 14);
  });

  it('handles dependent columns without cycling', () => {
    const result = nonnegativeLeastSquares(
      [
        [1, 1, 2],
        [1, 1, 2],
        [2, 2, 4],
      ],
      [2, 2, 4],
    );
    expect(result.residualNorm).toBeLessThan(1e-12);
    expect(result.x.every((v) => v >= 0)).toBe(true);
    expect(result.x[0] + result.x[1] + 2 * result.x[2]).toBeCloseTo(2, 12);
  });

  it('equals unconstrained least squares when that solution is positive', () => {
    const rand = random(7);
    for (let trial = 0; trial < 20; trial++) {
      const m = 30;
      const n = 6;
      const a = Array.from({ length: m }, () => Array.from({ length: n }, () => rand() * 2 - 0.5));
      const truth = Array.from({ length: n }, () => 0.5 + rand());
      const b = a.map((row) => row.reduce((s, v, j) => s + v * truth[j], 0) + (rand() - 0.5) * 1e-3);
      const ls = leastSquares(a, b, [...Array(n).keys()]);
      expect(ls).toBeDefined();
      expect(ls!.every((v) => v > 0)).toBe(true);
      const { x } = nonnegativeLeastSquares(a, b);
      for (let j = 0; j < n; j++) expect(x[j]).toBeCloseTo(ls![j], 10);
    }
  });

  it('matches an exhaustive search over passive sets, with active constraints, and meets KKT', () => {
    const rand = random(42);
    let withActive = 0;
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + (trial % 5);
      const m = n + 1 + Math.floor(rand() * 6);
      const a = Array.from({ length: m }, () => Array.from({ length: n }, () => rand() * 2 - 1));
      const b = Array.from({ length: m }, () => rand() * 2 - 1);
      const { x, residualNorm: norm } = nonnegativeLeastSquares(a, b);
      const reference = bruteForce(a, b);
      for (let j = 0; j < n; j++) expect(x[j]).toBeCloseTo(reference[j], 9);
      expect(norm).toBeCloseTo(residualNorm(a, b, x), 12);
      expectKkt(a, b, x, 1e-10);
      if (x.some((v) => v === 0)) withActive++;
    }
    // Random signs make many constraints active: the test exercises the inner loop.
    expect(withActive).toBeGreaterThan(100);
  });

  it('solves badly scaled columns (seconds against millions of tokens) to KKT accuracy', () => {
    const rand = random(3);
    const a = Array.from({ length: 40 }, () => [1, rand() * 4096, rand() * 8e6, rand() * 5e5]);
    const truth = [0.01, 3e-5, 0, 2.7e-7];
    const b = a.map((row) => row.reduce((s, v, j) => s + v * truth[j], 0) - 1e-4 * row[2] * 1e-6);
    const { x } = nonnegativeLeastSquares(a, b);
    expect(x[2]).toBe(0);
    expect(x[0]).toBeGreaterThan(0);
    expect(x[3]).toBeGreaterThan(0);
    const scaledTol = 1e-9 * Math.max(...a.flat().map(Math.abs)) * Math.max(...b.map(Math.abs));
    expectKkt(a, b, x, scaledTol);
  });

  it('rejects malformed input', () => {
    expect(() => nonnegativeLeastSquares([], [])).toThrow(RangeError);
    expect(() => nonnegativeLeastSquares([[1, 2], [3]], [1, 2])).toThrow(/row 1/);
    expect(() => nonnegativeLeastSquares([[1], [2]], [1])).toThrow(/2 rows but b has 1/);
    expect(() => nonnegativeLeastSquares([[Number.NaN]], [1])).toThrow(/not finite/);
    expect(() => nonnegativeLeastSquares([[1]], [Infinity])).toThrow(/not finite/);
  });
});
