import { describe, expect, it } from 'vitest';
import { meanWithInterval } from '../../../runner/metrics/confidence-interval.js';

describe('Student-t confidence interval of the mean', () => {
  it('matches a hand computation: n = 3, t(0.975, 2) = 4.303', () => {
    // values 10, 12, 14: mean 12, s = 2, s/sqrt(3) = 1.1547; 4.3027 x 1.1547 = 4.9683
    const m = meanWithInterval([10, 12, 14])!;
    expect(m.mean).toBe(12);
    expect(m.halfWidth).toBeCloseTo(4.9683, 3);
    expect(m.level).toBe(0.95);
  });

  it('narrows with more samples and widens with the level', () => {
    const few = meanWithInterval([1, 2, 3, 4])!.halfWidth!;
    const many = meanWithInterval([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])!.halfWidth!;
    expect(many).toBeLessThan(few);
    expect(meanWithInterval([1, 2, 3, 4], 0.99)!.halfWidth!).toBeGreaterThan(few);
  });

  it('has no interval for one sample and nothing for none; rejects bad input', () => {
    expect(meanWithInterval([5])).toEqual({ n: 1, mean: 5, halfWidth: null, identical: false, level: 0.95 });
    expect(meanWithInterval([])).toBeNull();
    expect(() => meanWithInterval([1, NaN])).toThrow(RangeError);
    expect(() => meanWithInterval([1, 2], 1)).toThrow(RangeError);
  });

  it('gives no interval over identical samples (never a zero-width one), and the value itself as mean', () => {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004: the computed mean and deviations would not be exact.
    const same = meanWithInterval([0.1, 0.1, 0.1])!;
    expect(same).toEqual({ n: 3, mean: 0.1, halfWidth: null, identical: true, level: 0.95 });
    expect(meanWithInterval([0, 0])!.identical).toBe(true);
    const differ = meanWithInterval([0.1, 0.1, 0.1000001])!;
    expect(differ.identical).toBe(false);
    expect(differ.halfWidth).toBeGreaterThan(0);
  });
});
