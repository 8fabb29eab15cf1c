import { describe, expect, it } from 'vitest';
import {
  CHART_POINT_BUDGET,
  MIN_POINTS_PER_SERIES,
  pointsPerSeries,
} from '../../../runner/reports/point-budget.js';

describe('pointsPerSeries', () => {
  it('shares the chart budget among the overlaid series, within the caller bound and the floor', () => {
    expect(CHART_POINT_BUDGET).toBe(10_000);
    expect(pointsPerSeries(1, 2000)).toBe(2000); // one run: the caller's bound
    expect(pointsPerSeries(0, 2000)).toBe(2000);
    expect(pointsPerSeries(10, 2000)).toBe(1000);
    expect(pointsPerSeries(200, 2000)).toBe(50);
    expect(pointsPerSeries(200, 30)).toBe(30); // maxPointsPerRun stays an upper bound
    expect(pointsPerSeries(3000, 2000)).toBe(MIN_POINTS_PER_SERIES);
    expect(pointsPerSeries(3000, 10)).toBe(10);
    expect(pointsPerSeries(1000, 2000, 100_000)).toBe(100);
  });

  it('keeps the total within the budget down to the floor', () => {
    for (const series of [1, 7, 50, 200, 499, 500, 501, 5000]) {
      const each = pointsPerSeries(series, 100_000);
      expect(each).toBeGreaterThanOrEqual(MIN_POINTS_PER_SERIES);
      if (each > MIN_POINTS_PER_SERIES) expect(each * series).toBeLessThanOrEqual(CHART_POINT_BUDGET);
    }
  });

  it('refuses a bound below 2 points', () => {
    expect(() => pointsPerSeries(1, 1)).toThrow(RangeError);
    expect(() => pointsPerSeries(1, 2.5)).toThrow(RangeError);
    expect(pointsPerSeries(10_000, 2)).toBe(2);
  });
});
