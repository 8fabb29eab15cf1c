import { describe, expect, it } from 'vitest';
import {
  buildReportCharts,
  FLUID_LINE_LABEL,
  fluidThroughputAt,
  SINGLE_RATE_SEGMENT,
  type ChartSpec,
} from '../../../runner/reports/report-charts.js';
import { sampleFluidOverlay, sampleReportData } from './report-data-fixture.js';

/** The fluid dataset of the throughput chart of the first workload. */
function fluidPoints(rates: Array<number | null>, limit: number | null) {
  const data = sampleReportData({ workloads: ['w'], rates, samples: 10 });
  const numeric = rates.filter((r): r is number => r !== null);
  const overlay = sampleFluidOverlay(numeric, 100, limit ?? 1);
  if (limit === null) {
    overlay.maxStableRateRps = null;
    overlay.maxThroughputTokS = null;
    for (const p of overlay.points) {
      p.lineTokS = p.throughputStarTokS;
      p.maxThroughputTokS = null;
      p.stable = true;
    }
  }
  data.fluid = { w: overlay };
  const [workload] = buildReportCharts(data).workloads;
  const chart = workload.rateCharts.find((c) => c.name.startsWith('throughput:')) as ChartSpec;
  const line = chart.datasets.find((d) => d.overlay === 'fluid');
  expect(line?.label).toBe(FLUID_LINE_LABEL);
  return { points: line!.points, chart };
}

describe('the fluid Throughput* line when every run has the same rate', () => {
  it('is the exact segment around the rate when the limit is far above it', () => {
    const { points, chart } = fluidPoints([4], 100);
    const w = SINGLE_RATE_SEGMENT;
    expect(points.map((p) => p.x)).toEqual([4 * (1 - w), 4, 4 * (1 + w)]);
    // Throughput* = rate x 100 tokens below the limit.
    points.forEach((p) => expect(p.y).toBeCloseTo((p.x as number) * 100, 9));
    // The limit is too far to widen the axis for, but is still given as a vertical line.
    expect(chart.verticalLines).toEqual([{ x: 100, label: 'fluid stability limit 100 req/s' }]);
    expect(chart.xSuggested).toBeUndefined();
  });

  it('is flat at the most the mix sustains when the rate is far beyond the limit', () => {
    const { points } = fluidPoints([40], 10);
    expect(points.map((p) => p.y)).toEqual([1000, 1000, 1000]);
  });

  it('bends at the limit when the limit is the rate itself, and has no limit without one', () => {
    expect(fluidPoints([10], 10).points.map((p) => p.y)).toEqual([900, 1000, 1000]);
    const unbounded = fluidPoints([4], null);
    expect(unbounded.points).toHaveLength(3);
    expect(unbounded.chart.verticalLines).toBeUndefined();
  });

  it('keeps the two-point line to a limit within reach, and the per-rate line for several rates', () => {
    expect(fluidPoints([4], 6).points).toEqual([
      { x: 4, y: 400 },
      { x: 6, y: 600 },
    ]);
    expect(fluidPoints([2, 4], 100).points.map((p) => p.x)).toEqual([2, 4]);
    // A category axis (a trace's own timing beside one rate) keeps its one point (the page draws a tick).
    expect(fluidPoints([4, null], 100).points).toEqual([{ x: '4', y: 400 }]);
  });

  it('fluidThroughputAt: proportional up to the limit, the maximum beyond', () => {
    const p = { rate: 4, throughputStarTokS: 400 };
    expect(fluidThroughputAt({ maxStableRateRps: 10, maxThroughputTokS: 1000 }, p, 5)).toBe(500);
    expect(fluidThroughputAt({ maxStableRateRps: 10, maxThroughputTokS: 1000 }, p, 12)).toBe(1000);
    expect(fluidThroughputAt({ maxStableRateRps: 10, maxThroughputTokS: null }, p, 12)).toBe(1000);
    expect(fluidThroughputAt({ maxStableRateRps: null, maxThroughputTokS: null }, p, 12)).toBe(1200);
  });
});
