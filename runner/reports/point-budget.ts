/**
 * Most points one chart carries across all its overlaid series (runs): with many runs each
 * line gets fewer points, so a chart of 200 runs stays light to send and draw, while one run
 * keeps up to its full resolution (docs/decisions.md, "Chart point budget and rounding").
 */
export const CHART_POINT_BUDGET = 10_000;

/**
 * Fewest points a series is cut to by the budget: enough for a CDF or a time series to keep its
 * shape when hundreds of lines are overlaid.
 */
export const MIN_POINTS_PER_SERIES = 20;

/**
 * Points per series of a chart overlaying `series` lines: max(MIN_POINTS_PER_SERIES,
 * floor(budget / series)), never more than `maxPerSeries` (a caller's upper bound, e.g.
 * `runs.compare`'s `maxPointsPerRun`), and at least 2 (a line's first and last point).
 *
 * @param series lines overlaid in the chart (>= 0; 0 is treated as 1)
 * @param maxPerSeries most points any one series may have (>= 2)
 * @param budget total points of the chart (default CHART_POINT_BUDGET)
 * @throws RangeError when maxPerSeries is not an integer >= 2
 */
export function pointsPerSeries(
  series: number,
  maxPerSeries: number,
  budget: number = CHART_POINT_BUDGET,
): number {
  if (!Number.isInteger(maxPerSeries) || maxPerSeries < 2) {
    throw new RangeError(`maxPerSeries must be an integer >= 2, got ${maxPerSeries}`);
  }
  const share = Math.max(MIN_POINTS_PER_SERIES, Math.floor(budget / Math.max(1, series)));
  return Math.max(2, Math.min(maxPerSeries, share));
}
