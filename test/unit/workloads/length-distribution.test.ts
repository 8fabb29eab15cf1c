import { describe, expect, it } from 'vitest';
import { prepareLengthDistribution, sampleLengths } from '../../../runner/workloads/length-distribution.js';
import { createUniform } from '../../../runner/workloads/random-streams.js';
import { sampleRows } from '../../../runner/workloads/row-sampling.js';
import { buildZipfTable, sampleZipf } from '../../../runner/workloads/zipf-distribution.js';
import { mean } from './helpers.js';

const N = 20_000;

describe('length distributions', () => {
  it('fixed and uniform (inclusive integers)', () => {
    expect(
      Array.from(
        sampleLengths(prepareLengthDistribution({ dist: 'fixed', value: 7 }), 3, createUniform(1, 2)),
      ),
    ).toEqual([7, 7, 7]);
    const u = sampleLengths(
      prepareLengthDistribution({ dist: 'uniform', min: 1, max: 4 }),
      N,
      createUniform(1, 2),
    );
    const counts = [0, 0, 0, 0];
    for (const v of u) counts[v - 1] += 1;
    for (const c of counts) expect(Math.abs(c / N - 0.25)).toBeLessThan(0.015);
  });

  it('lognormal by mean and by mu', () => {
    const byMean = sampleLengths(
      prepareLengthDistribution({ dist: 'lognormal', mean: 1000, sigma: 0.5 }),
      N,
      createUniform(2, 2),
    );
    expect(Math.abs(mean(byMean) - 1000) / 1000).toBeLessThan(0.02);
    const byMu = prepareLengthDistribution({ dist: 'lognormal', mu: Math.log(100), sigma: 1, max: 300 });
    const v = sampleLengths(byMu, N, createUniform(2, 2));
    const sorted = Array.from(v).sort((a, b) => a - b);
    expect(Math.abs(sorted[N / 2] - 100) / 100).toBeLessThan(0.05); // median exp(mu)
    expect(sorted[N - 1]).toBe(300);
    expect(sorted[0]).toBeGreaterThanOrEqual(1);
  });

  it('zipf matches k^-s probabilities on 1..max', () => {
    const table = buildZipfTable(1.5, 50);
    let h = 0;
    for (let k = 1; k <= 50; k++) h += k ** -1.5;
    const v = sampleLengths({ dist: 'zipf', table }, N, createUniform(3, 2));
    const ones = v.filter((x) => x === 1).length / N;
    const twos = v.filter((x) => x === 2).length / N;
    expect(Math.abs(ones - 1 / h)).toBeLessThan(0.01);
    expect(Math.abs(twos - 2 ** -1.5 / h)).toBeLessThan(0.01);
    expect(Math.max(...v)).toBeLessThanOrEqual(50);
    expect(sampleZipf(table, 0)).toBe(1);
    expect(sampleZipf(table, 0.999999999)).toBe(50);
    const flat = buildZipfTable(0, 4);
    expect([0, 0.26, 0.51, 0.76].map((u) => sampleZipf(flat, u))).toEqual([1, 2, 3, 4]);
  });
});

describe('sampleRows', () => {
  it('is a permutation prefix without replacement', () => {
    const rows = sampleRows(10, 10, createUniform(1, 5));
    expect(Array.from(rows).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const five = sampleRows(10, 5, createUniform(1, 5));
    expect(Array.from(five)).toEqual(Array.from(rows.slice(0, 5)));
  });

  it('draws with replacement beyond the row count', () => {
    const rows = sampleRows(3, 30, createUniform(1, 5));
    expect(rows.length).toBe(30);
    for (const r of rows) expect(r >= 0 && r < 3).toBe(true);
  });
});
