import { describe, expect, it } from 'vitest';
import {
  buildReportCharts,
  CDF_MAX_POINTS,
  FLUID_COLOR,
  FLUID_LINE_LABEL,
} from '../../../runner/reports/report-charts.js';
import type { ChartSpec } from '../../../runner/reports/report-charts.js';
import { roundSignificant } from '../../../runner/reports/significant-digits.js';
import { sampleFluidOverlay, sampleReportData } from './report-data-fixture.js';

function chart(charts: ChartSpec[], prefix: string): ChartSpec {
  const found = charts.find((spec) => spec.name.startsWith(prefix));
  if (!found) throw new Error(`no chart ${prefix}`);
  return found;
}

describe('buildReportCharts', () => {
  it('makes five charts per workload with consistent colors and unique canvas ids', () => {
    const model = buildReportCharts(sampleReportData());
    expect(model.workloads.map((w) => w.workload)).toEqual(['azure-conv', 'sharegpt-synth']);
    const all = model.workloads.flatMap((w) => [...w.rateCharts, ...w.cdfCharts]);
    expect(all.map((spec) => spec.name)).toEqual([
      'latency-e2e:azure-conv',
      'latency-ttft:azure-conv',
      'throughput:azure-conv',
      'cdf-ttft:azure-conv',
      'cdf-e2e:azure-conv',
      'latency-e2e:sharegpt-synth',
      'latency-ttft:sharegpt-synth',
      'throughput:sharegpt-synth',
      'cdf-ttft:sharegpt-synth',
      'cdf-e2e:sharegpt-synth',
    ]);
    expect(new Set(all.map((spec) => spec.canvasId)).size).toBe(all.length);
    expect(Object.keys(model.colors)).toEqual(['vllm', 'sarathi', 'mc-sf']);
    for (const spec of all) {
      for (const dataset of spec.datasets) expect(dataset.color).toBe(model.colors[dataset.policy]);
    }
  });

  it('draws mean solid and p99 dashed per policy, one point per rate, failed runs left out', () => {
    const data = sampleReportData({ workloads: ['w'] });
    const e2e = chart(buildReportCharts(data).workloads[0].rateCharts, 'latency-e2e');
    expect(e2e.datasets.map((d) => [d.label, d.dashed])).toEqual([
      ['vllm mean', false],
      ['vllm p99', true],
      ['sarathi mean', false],
      ['sarathi p99', true],
      ['mc-sf mean', false],
      ['mc-sf p99', true],
    ]);
    expect(e2e.xScale).toEqual({ type: 'linear' });
    const vllmRuns = data.runs.filter((run) => run.policy === 'vllm' && run.status === 'done');
    expect(e2e.datasets[0].points).toEqual(
      vllmRuns.map((run) => {
        const y = run.metrics?.e2e_mean_s as number;
        return { x: run.rate, y, min: y, max: y, n: 1, unstable: run.stable === false ? 1 : 0 };
      }),
    );
  });

  it('averages seeds at one (policy, rate) and keeps their min and max', () => {
    const data = sampleReportData({ workloads: ['w'], seeds: [1, 2, 3], rates: [4] });
    const workload = buildReportCharts(data).workloads[0];
    expect(workload.multiSeed).toBe(true);
    const values = data.runs
      .filter((run) => run.policy === 'sarathi')
      .map((run) => run.metrics?.throughput_tok_s as number);
    const [point] = chart(workload.rateCharts, 'throughput').datasets[1].points;
    expect(point.n).toBe(3);
    expect(point.y).toBeCloseTo(values.reduce((a, b) => a + b) / 3, 9);
    expect(point.min).toBe(Math.min(...values));
    expect(point.max).toBe(Math.max(...values));
  });

  it('uses a category axis when a run has no numeric rate', () => {
    const data = sampleReportData({ workloads: ['w'], rates: [8, null, 2], withFailed: false });
    const workload = buildReportCharts(data).workloads[0];
    const spec = chart(workload.rateCharts, 'latency-ttft');
    expect(spec.xScale).toEqual({ type: 'category', labels: ['2', '8', 'trace'] });
    expect(spec.datasets[0].points.map((p) => p.x)).toEqual(['2', '8', 'trace']);
    expect(workload.cdfSelector?.selected).toBe('8');
  });

  it('selects the CDFs at the highest rate, pooling seeds, at most CDF_MAX_POINTS points', () => {
    const data = sampleReportData({ workloads: ['w'], seeds: [1, 2] });
    const workload = buildReportCharts(data).workloads[0];
    expect(workload.cdfSelector).toEqual({ group: 'cdf-0', options: ['2', '4', '8'], selected: '8' });
    const cdf = chart(workload.cdfCharts, 'cdf-ttft');
    expect(cdf.variants?.map((v) => v.key)).toEqual(['2', '4', '8']);
    expect(cdf.datasets).toEqual(cdf.variants?.[2].datasets);
    expect(cdf.datasets.map((d) => d.label)).toEqual(['vllm', 'sarathi', 'mc-sf']);
    const points = cdf.datasets[0].points;
    expect(points).toHaveLength(CDF_MAX_POINTS);
    expect(points[points.length - 1].y).toBe(1);
    const pooled = data.runs
      .filter((run) => run.policy === 'vllm' && run.rate === 8 && run.status === 'done')
      .flatMap((run) => data.distributions[run.id].ttft);
    // Chart coordinates are rounded to CHART_SIGNIFICANT_DIGITS (docs/decisions.md).
    expect(points[points.length - 1].x).toBe(roundSignificant(Math.max(...pooled)));
    expect(points[0].x).toBe(roundSignificant(Math.min(...pooled)));
  });

  it('has no charts for a workload without done runs, and no CDFs without samples', () => {
    const data = sampleReportData({ workloads: ['w'] });
    const noneDone = {
      ...data,
      runs: data.runs.map((run) => ({ ...run, status: 'failed' as const, metrics: null })),
    };
    expect(buildReportCharts(noneDone).workloads[0]).toMatchObject({
      chartedRuns: 0,
      rateCharts: [],
      cdfCharts: [],
    });
    const noSamples = buildReportCharts({ ...data, distributions: {} }).workloads[0];
    expect(noSamples.rateCharts).toHaveLength(3);
    expect(noSamples.cdfCharts).toEqual([]);
    expect(noSamples.cdfSelector).toBeNull();
  });
});

describe('buildReportCharts: stability and the fluid overlay', () => {
  it('draws the fluid Throughput* line on the throughput chart only, up to the limit', () => {
    const workloads = buildReportCharts(sampleReportData({ fluid: true })).workloads;
    const [azure, sharegpt] = workloads.map((w) => w.rateCharts);
    const fluidOf = (spec: ChartSpec) => spec.datasets.filter((d) => d.overlay === 'fluid');
    expect(fluidOf(chart(azure, 'latency-e2e'))).toEqual([]);
    expect(fluidOf(chart(azure, 'latency-ttft'))).toEqual([]);
    const [line] = fluidOf(chart(azure, 'throughput'));
    expect(line).toMatchObject({
      label: FLUID_LINE_LABEL,
      policy: '',
      color: FLUID_COLOR,
      dashed: true,
      markers: false,
    });
    // Limit 10 req/s, 1.25 x the highest rate: the line runs on to the limit.
    expect(line.points).toEqual([
      { x: 2, y: 420 },
      { x: 4, y: 840 },
      { x: 8, y: 1680 },
      { x: 10, y: 2100 },
    ]);
    // Limit 6 req/s between 4 and 8: the line bends there and stays flat.
    expect(fluidOf(chart(sharegpt, 'throughput'))[0].points).toEqual([
      { x: 2, y: 680 },
      { x: 4, y: 1360 },
      { x: 6, y: 2040 },
      { x: 8, y: 2040 },
    ]);
    expect(workloads[0].fluid?.maxStableRateRps).toBe(10);
  });

  it('puts a vertical line at the limit on every rate chart, widening the axis when it is near', () => {
    const [azure, sharegpt] = buildReportCharts(sampleReportData({ fluid: true })).workloads;
    for (const spec of azure.rateCharts) {
      expect(spec.verticalLines).toEqual([{ x: 10, label: 'fluid stability limit 10 req/s' }]);
      expect(spec.xSuggested).toEqual({ max: 10.4 });
    }
    for (const spec of sharegpt.rateCharts) {
      expect(spec.verticalLines).toEqual([{ x: 6, label: 'fluid stability limit 6 req/s' }]);
      expect(spec.xSuggested).toBeUndefined();
    }
    for (const spec of azure.cdfCharts) expect(spec.verticalLines).toBeUndefined();
  });

  it('states a far-away limit without stretching the axis or the line', () => {
    const data = sampleReportData({ workloads: ['w'], fluid: true, fluidLimits: [100] });
    const spec = chart(buildReportCharts(data).workloads[0].rateCharts, 'throughput');
    expect(spec.verticalLines).toEqual([{ x: 100, label: 'fluid stability limit 100 req/s' }]);
    expect(spec.xSuggested).toBeUndefined();
    expect(spec.datasets.find((d) => d.overlay === 'fluid')?.points.map((p) => p.x)).toEqual([2, 4, 8]);
  });

  it('draws no limit on a category axis, and no overlay without fluid data', () => {
    const traced = sampleReportData({ workloads: ['w'], rates: [2, null], fluid: true });
    const specs = buildReportCharts(traced).workloads[0].rateCharts;
    for (const spec of specs) expect(spec.verticalLines).toBeUndefined();
    expect(chart(specs, 'throughput').datasets.find((d) => d.overlay === 'fluid')?.points).toEqual([
      { x: '2', y: 420 },
    ]);
    const plain = buildReportCharts(sampleReportData({ workloads: ['w'] })).workloads[0];
    expect(plain.fluid).toBeNull();
    for (const spec of plain.rateCharts) {
      expect(spec.verticalLines).toBeUndefined();
      expect(spec.datasets.some((d) => d.overlay === 'fluid')).toBe(false);
    }
  });

  it('counts unstable runs per point and per workload, and says so in the subtitles', () => {
    const data = sampleReportData({ seeds: [1, 2] });
    const [azure, sharegpt] = buildReportCharts(data).workloads;
    expect(azure.unstableRuns).toBe(2); // vllm at 8 req/s, both seeds
    expect(sharegpt.unstableRuns).toBe(0);
    const e2e = chart(azure.rateCharts, 'latency-e2e');
    expect(e2e.datasets[0].points.map((p) => [p.x, p.unstable])).toEqual([
      [2, 0],
      [4, 0],
      [8, 2],
    ]);
    expect(e2e.subtitle).toBe('solid: mean, dashed: p99; \u00d7 = a run judged unstable');
    expect(chart(sharegpt.rateCharts, 'latency-e2e').subtitle).toBe('solid: mean, dashed: p99');
    expect(azure.stableRates.map((s) => [s.policy, s.largestStableRate, s.firstUnstableRate])).toEqual([
      ['vllm', 4, 8],
      ['sarathi', 8, null],
      ['mc-sf', 8, null],
    ]);
  });

  it('keeps the fixture overlay consistent with its definition', () => {
    const overlay = sampleFluidOverlay([8, 2, 4], 100, 5);
    expect(overlay.points.map((p) => [p.rate, p.lineTokS, p.stable])).toEqual([
      [2, 200, true],
      [4, 400, true],
      [8, 500, false],
    ]);
  });
});
