import type { CompareOut, SeriesOut } from '../../../runner/api/api-contract.js';
import type { LineChartSpec, LineSeries, XY } from '../charts/line-chart.js';
import { FLUID_COLOR, policyColor } from '../charts/series-colors.js';
import { configurationStyles, rateText, runLabel } from './compare-view.js';

export { configurationStyles, rateText, runLabel, timeSeriesChoices } from './compare-view.js';
export type { ConfigurationStyle, TimeSeriesChoice } from './compare-view.js';

/** Above this many lines per-run charts draw thin lines. */
export const THIN_ABOVE_LINES = 12;

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

/** What the Compare page shows below its tables: the chosen rate, which runs over time, log axes. */
export interface CompareView {
  /** The rate of the CDFs (and of the time series' runs). */
  rate: number | null;
  /** The runs whose time series are drawn. */
  timeSeriesRuns: readonly number[];
  /** Latency axes and CDFs on a logarithmic scale. */
  log: boolean;
}

/** The charts of the Compare page, in page order, each under a section name. */
export interface CompareCharts {
  /** Across rates: latency (mean, p99) and throughput vs rate, the Pareto chart. */
  rates: LineChartSpec[];
  /** At the chosen rate: the TTFT and E2E CDFs. */
  distributions: LineChartSpec[];
  /** Over time, for the chosen runs: KV usage, queue length, batch composition. */
  timeSeries: LineChartSpec[];
}

/** Chart names whose latency axis the log toggle switches, with that axis. */
export const LOG_AXES: Readonly<Record<string, 'x' | 'y'>> = {
  'latency-mean': 'y',
  'latency-p99': 'y',
  'ttft-cdf': 'x',
  'e2e-cdf': 'x',
};

/**
 * Chart specs from `runs.compare`'s chart data, unchanged except that points without a value
 * are left out. Every line is a configuration's (or a run's) in its policy's color, its machine's
 * dash and its variant's marker (configurationStyles), named in Chart.js's legend (a click there
 * hides it):
 * - across rates: latency (E2E mean, E2E p99) and output throughput vs arrival rate per
 *   configuration, the fluid Throughput* bound on the throughput chart (a horizontal tick where it
 *   has one point: every run at one rate), and the Pareto chart (tokens/s per user against output
 *   throughput, one front per policy; dominated points hollow);
 * - at `view.rate`: TTFT and E2E CDFs, one line per configuration holding its seeds' runs one
 *   after another;
 * - over time for `view.timeSeriesRuns`: KV usage, queue length and batch composition.
 * With `view.log` the latency axes (y of latency vs rate, x of the CDFs) are logarithmic.
 */
export function compareCharts(out: CompareOut, view: CompareView): CompareCharts {
  const c = out.charts;
  const styles = configurationStyles(out);
  const runIndex = new Map(out.runs.map((r, i) => [r.id, i]));
  const configOfSeries = (s: SeriesOut): number =>
    s.configuration ?? out.runConfiguration[runIndex.get(s.runIds[0]) ?? 0] ?? 0;
  const rateLines = (list: SeriesOut[]): LineSeries[] =>
    list.map((s) => {
      const style = styles[configOfSeries(s)];
      return {
        label: s.label,
        color: style.color,
        dash: style.dash,
        pointStyle: style.marker,
        points: seriesPoints(s),
        markers: true,
      };
    });
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
    legend: true,
    ...(LOG_AXES[name] === 'y' && view.log ? { logY: true } : {}),
    verticalLines: c.fluidLimits.map((l) => ({ x: l.rateRps, label: l.label, color: FLUID_COLOR })),
  });

  const throughput = rateLines(c.throughputVsRate);
  for (const bound of c.fluidBound) {
    const points = seriesPoints(bound);
    // At one rate (N policies at one rate) the bound is one point, which draws no line: a tick.
    throughput.push({
      label: bound.label,
      color: FLUID_COLOR,
      points,
      dashed: true,
      tick: points.length === 1,
    });
  }
  const meanNote = 'mean over seeds; runs replaying a trace at its own timing have no rate and are left out';

  // At the chosen rate: each configuration's runs one after another on one line (a gap between).
  const atRate = (list: SeriesOut[]): LineSeries[] => {
    const lines = new Map<number, { points: XY[]; runs: number }>();
    for (const s of list) {
      const run = out.runs[runIndex.get(s.runIds[0]) ?? -1];
      if (!run || run.rate !== view.rate) continue;
      const configuration = configOfSeries(s);
      const points = seriesPoints(s, run.id);
      if (points.length === 0) continue;
      let line = lines.get(configuration);
      if (!line) lines.set(configuration, (line = { points: [], runs: 0 }));
      if (line.points.length > 0) line.points.push({ x: points[0].x, y: Number.NaN });
      for (const p of points) line.points.push(p);
      line.runs += 1;
    }
    return [...lines].map(([configuration, line]) => {
      const style = styles[configuration];
      const label = out.configurations[configuration].label;
      return {
        label: line.runs > 1 ? `${label} (${line.runs} seeds)` : label,
        color: style.color,
        dash: style.dash,
        points: line.points,
      };
    });
  };
  const cdf = (name: string, title: string, xTitle: string, list: SeriesOut[]): LineChartSpec => ({
    name,
    title,
    note: `completed requests of each run at ${rateText(view.rate)}; a configuration's seeds on one line`,
    xTitle,
    yTitle: 'Fraction of requests',
    series: atRate(list),
    legend: true,
    unsorted: true,
    yRange: { min: 0, max: 1 },
    ...(view.log ? { logX: true } : {}),
  });

  // Over time: the chosen runs, one line each.
  const chosen = new Set(view.timeSeriesRuns);
  const overTime = (
    name: string,
    title: string,
    yTitle: string,
    list: SeriesOut[],
    note: string,
  ): LineChartSpec => {
    const picked = list.filter((s) => chosen.has(s.runIds[0]));
    const lines = picked.map((s): LineSeries => {
      const index = runIndex.get(s.runIds[0])!;
      const style = styles[configOfSeries(s)];
      return {
        label: runLabel(out, index),
        color: style.color,
        dash: style.dash,
        points: seriesPoints(s),
        thin: picked.length > THIN_ABOVE_LINES,
      };
    });
    return { name, title, note, xTitle: 'Time (s)', yTitle, series: lines, legend: true };
  };

  return {
    rates: [
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
          ? `mean over seeds; ${throughput.some((line) => line.tick) ? 'grey tick' : 'dashed grey'}: the fluid Throughput* bound (arXiv 2504.11320v2 \u00a73)`
          : 'mean over seeds; no fluid bound (the machine has no linear iteration-time model)',
      ),
      paretoChart(out, styles),
    ],
    distributions: [
      cdf('ttft-cdf', 'TTFT CDF', 'TTFT (s)', c.ttftCdf),
      cdf('e2e-cdf', 'E2E latency CDF', 'E2E latency (s)', c.e2eCdf),
    ],
    timeSeries: [
      overTime(
        'kv-usage',
        'KV cache usage over time',
        'KV usage (fraction)',
        c.kvUsage,
        'blocks in use / KV capacity',
      ),
      overTime(
        'queue-length',
        'Queue length over time',
        'Waiting requests',
        c.queueLength,
        'requests waiting for admission',
      ),
      overTime(
        'batch-prefill',
        'Batch composition: prefill tokens',
        'Prefill tokens per iteration',
        c.batchPrefillTokens,
        'prompt tokens processed per iteration',
      ),
      overTime(
        'batch-decodes',
        'Batch composition: decodes',
        'Decodes per iteration',
        c.batchDecodes,
        'requests decoding one token per iteration',
      ),
    ],
  };
}

/**
 * The Pareto chart: per front (a policy; per workload and machine when they differ) its points,
 * x = output tokens/s per user, y = output throughput: first the front, ascending in x and joined
 * by a line, then the dominated points as hollow markers; the tooltip names the configuration and
 * rate of each point.
 */
export function paretoChart(out: CompareOut, styles = configurationStyles(out)): LineChartSpec {
  const series = out.charts.pareto.map((front): LineSeries => {
    const point = (p: (typeof front.points)[number]): XY => ({
      x: p.perUserTokS,
      y: p.throughputTokS,
      note: `${out.configurations[p.configuration].label} at ${rateText(p.rate)}${p.front ? '' : ' (dominated)'}`,
    });
    const onFront = front.points.filter((p) => p.front).sort((a, b) => a.perUserTokS - b.perUserTokS);
    const others = front.points.filter((p) => !p.front);
    const first = front.points[0]?.configuration ?? 0;
    return {
      label: front.label,
      color: policyColor(front.policy),
      dash: styles[first]?.dash ?? [],
      points: [...onFront.map(point), ...others.map(point)],
      markers: true,
      joined: onFront.length,
    };
  });
  return {
    name: 'pareto',
    title: 'Pareto: tokens/s per user vs output throughput',
    note: 'one point per configuration and rate (mean over seeds); the line joins each policy\u2019s front, hollow points are dominated; per user = throughput / mean requests in the system (docs/metrics.md)',
    xTitle: 'Output tokens/s per user',
    yTitle: 'Output throughput (tok/s)',
    series,
    legend: true,
    unsorted: true,
  };
}
