import { describe, expect, it } from 'vitest';
import { mean, percentileSorted } from '../../../runner/metrics/percentile.js';

describe('percentile estimator (NumPy linear, type 7)', () => {
  it('matches np.percentile on hand-checked values', () => {
    const x = [1, 2, 3, 4, 10];
    // np.percentile([1,2,3,4,10], [0, 50, 90, 99, 100]) = [1, 3, 7.6, 9.76, 10]
    expect(percentileSorted(x, 0)).toBe(1);
    expect(percentileSorted(x, 50)).toBe(3);
    expect(percentileSorted(x, 90)).toBeCloseTo(7.6, 12);
    expect(percentileSorted(x, 99)).toBeCloseTo(9.76, 12);
    expect(percentileSorted(x, 100)).toBe(10);
    // np.percentile([1, 2], 50) = 1.5; a single value is every percentile.
    expect(percentileSorted([1, 2], 50)).toBe(1.5);
    expect(percentileSorted([7], 99)).toBe(7);
  });

  it('is null (never NaN) for no data', () => {
    expect(percentileSorted([], 50)).toBeNull();
    expect(mean([])).toBeNull();
    expect(mean([1, 2, 6])).toBe(3);
  });
});
