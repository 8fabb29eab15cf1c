import { describe, expect, it } from 'vitest';
import { buildReportCharts, CDF_MAX_POINTS } from '../../../runner/reports/report-charts.js';
import type { ChartSpec } from '../../../runner/reports/report-charts.js';
import { sampleReportData } from './report-data-fixture.js';

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
        return { x: run.rate, y, min: y, max: y, n: 1 };
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
    expect(points[points.length - 1].x).toBe(Math.max(...pooled));
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
