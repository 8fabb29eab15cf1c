import type { CompareOut, SeriesOut } from '../../../runner/api/api-contract.js';
import type { LineChartSpec, LineSeries, XY } from '../charts/line-chart.js';
import { FLUID_COLOR, seriesColors } from '../charts/series-colors.js';

/** Above this many lines per-run charts draw thin lines. */
export const THIN_ABOVE_LINES = 12;

/**
 * Above this many runs, the per-run lines of one configuration are drawn as ONE Chart.js
 * dataset (the runs one after another, a gap between them): Chart.js's cost is mostly per
 * dataset, so 200 runs of 5 configurations draw about twice as fast. Each point keeps its run id
 * (the tooltip names it).
 */
export const MERGE_ABOVE_RUNS = 24;

/**
 * The points of an API series, leaving out those without a value (y null).
 * @param run the run id to keep on every point (merged lines), if any
 */
export function seriesPoints(series: SeriesOut, run?: number): XY[] {
  const points: XY[] = [];
  for (let i = 0; i < series.x.length; i++) {
    const y = series.y[i];
    if (y === null || !Number.isFinite(y) || !Number.isFinite(series.x[i])) continue;
    points.push(run === undefined ? { x: series.x[i], y } : { x: series.x[i], y, run });
  }
  return points;
}

/**
 * Per-run series merged by configuration: one line per configuration holding its runs' points
 * in turn, with a gap point (y NaN) between runs; every point carries its run id.
 */
export function mergeByConfiguration(list: SeriesOut[]): { label: string; runs: number; points: XY[] }[] {
  const groups = new Map<string, { runs: number; points: XY[] }>();
  for (const s of list) {
    const key = configurationOf(s.label);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { runs: 0, points: [] }));
    const points = seriesPoints(s, s.runIds[0]);
    if (points.length === 0) continue;
    if (group.points.length > 0) group.points.push({ x: points[0].x, y: Number.NaN });
    for (const p of points) group.points.push(p);
    group.runs += 1;
  }
  return [...groups].map(([label, g]) => ({ label, runs: g.runs, points: g.points }));
}

/**
 * The series key of a per-run label: `run 12: vllm chunkSize=512 rate=4 seed=1` gives
 * `vllm chunkSize=512`, the label of the same configuration in the rate charts (compare-data.ts
 * builds both), so a configuration keeps one color in every chart.
 */
export function configurationOf(label: string): string {
  return label.replace(/^run \d+: /, '').replace(/ rate=\S+ seed=\S+$/, '');
}

/** The charts of the Compare page, and the color of every configuration. */
export interface CompareCharts {
  colors: Map<string, string>;
  /** In page order: rate charts, distributions, time series. */
  charts: LineChartSpec[];
}

/**
 * Chart specs from `runs.compare`'s chart data, unchanged except that points without a value
 * are left out. Lines are colored by configuration (named once, in the page's shared legend;
 * Chart.js's legend only names the fluid bound): latency (E2E mean, E2E p99) and throughput vs arrival rate per configuration,
 * the fluid Throughput* bound on the throughput chart, TTFT and E2E CDFs per run, and per run
 * over time KV usage, queue length and batch composition (prefill tokens, decodes).
 */
export function compareCharts(out: CompareOut): CompareCharts {
  const c = out.charts;
  const configurations = [
    ...c.throughputVsRate.map((s) => s.label),
    ...c.latencyVsRate.mean.map((s) => s.label),
    ...c.ttftCdf.map((s) => configurationOf(s.label)),
    ...c.kvUsage.map((s) => configurationOf(s.label)),
  ];
  const colors = seriesColors(configurations);
  const colorOf = (label: string): string => colors.get(label) ?? '#000000';
  const rateLines = (list: SeriesOut[]): LineSeries[] =>
    list.map((s) => ({
      label: s.label,
      color: colorOf(s.label),
      points: seriesPoints(s),
      markers: true,
      inLegend: false,
    }));
  const merge = out.runs.length > MERGE_ABOVE_RUNS;
  const runLines = (list: SeriesOut[]): LineSeries[] =>
    merge
      ? mergeByConfiguration(list).map((m) => ({
          label: `${m.label} (${m.runs} runs)`,
          color: colorOf(m.label),
          points: m.points,
          thin: true,
          inLegend: false,
        }))
      : list.map((s) => ({
          label: s.label,
          color: colorOf(configurationOf(s.label)),
          points: seriesPoints(s),
          thin: list.length > THIN_ABOVE_LINES,
          inLegend: false,
        }));
  const legend = (lines: LineSeries[]): boolean => lines.some((line) => line.inLegend !== false);
  const rateChart = (
    name: string,
    title: string,
    yTitle: string,
    lines: LineSeries[],
    note: string,
  ): LineChartSpec => ({
    name,
    title,
    note,
    xTitle: 'Arrival rate (req/s)',
    yTitle,
    series: lines,
    legend: legend(lines),
  });
  const perRun = (
    name: string,
    title: string,
    xTitle: string,
    yTitle: string,
    list: SeriesOut[],
    note: string,
    yRange?: { min: number; max: number },
  ): LineChartSpec => {
    const lines = runLines(list);
    return {
      name,
      title,
      note: merge ? `${note}; each configuration's runs drawn as one line` : note,
      xTitle,
      yTitle,
      series: lines,
      legend: legend(lines),
      unsorted: merge,
      ...(yRange ? { yRange } : {}),
    };
  };

  const throughput = rateLines(c.throughputVsRate);
  for (const bound of c.fluidBound) {
    throughput.push({ label: bound.label, color: FLUID_COLOR, points: seriesPoints(bound), dashed: true });
  }
  const meanNote = 'mean over seeds; runs replaying a trace at its own timing have no rate and are left out';
  return {
    colors,
    charts: [
      rateChart(
        'latency-mean',
        'E2E latency (mean) vs arrival rate',
        'E2E latency, mean (s)',
        rateLines(c.latencyVsRate.mean),
        meanNote,
      ),
      rateChart(
        'latency-p99',
        'E2E latency (p99) vs arrival rate',
        'E2E latency, p99 (s)',
        rateLines(c.latencyVsRate.p99),
        meanNote,
      ),
      rateChart(
        'throughput',
        'Output throughput vs arrival rate',
        'Throughput (tok/s)',
        throughput,
        c.fluidBound.length > 0
          ? 'mean over seeds; dashed grey: the fluid Throughput* bound (arXiv 2504.11320v2 \u00a73)'
          : 'mean over seeds; no fluid bound (the machine has no linear iteration-time model)',
      ),
      perRun(
        'ttft-cdf',
        'TTFT CDF',
        'TTFT (s)',
        'Fraction of requests',
        c.ttftCdf,
        'completed requests of each run',
        { min: 0, max: 1 },
      ),
      perRun(
        'e2e-cdf',
        'E2E latency CDF',
        'E2E latency (s)',
        'Fraction of requests',
        c.e2eCdf,
        'completed requests of each run',
        { min: 0, max: 1 },
      ),
      perRun(
        'kv-usage',
        'KV cache usage over time',
        'Time (s)',
        'KV usage (fraction)',
        c.kvUsage,
        'blocks in use / KV capacity',
      ),
      perRun(
        'queue-length',
        'Queue length over time',
        'Time (s)',
        'Waiting requests',
        c.queueLength,
        'requests waiting for admission',
      ),
      perRun(
        'batch-prefill',
        'Batch composition: prefill tokens',
        'Time (s)',
        'Prefill tokens per iteration',
        c.batchPrefillTokens,
        'prompt tokens processed per iteration',
      ),
      perRun(
        'batch-decodes',
        'Batch composition: decodes',
        'Time (s)',
        'Decodes per iteration',
        c.batchDecodes,
        'requests decoding one token per iteration',
      ),
    ],
  };
}
