import type { MetricKey } from '../metrics/metric-keys.js';
import { pooledCdf, type SampleDigest } from './empirical-cdf.js';
import { formatNumber } from './format-number.js';
import { largestStableRates, type StableRateSummary } from './largest-stable-rate.js';
import { pointsPerSeries } from './point-budget.js';
import { policyColors } from './policy-colors.js';
import type { FluidOverlay, ReportData, ReportRun } from './report-data.js';
import { runLabels } from './run-label.js';
import { roundSignificant } from './significant-digits.js';

/**
 * Most points drawn per CDF line (evenly spaced ranks; see pooledCdf); fewer when many policies
 * share a chart (pointsPerSeries: CHART_POINT_BUDGET over the lines).
 */
export const CDF_MAX_POINTS = 200;

/** Category label of runs whose rate is `null` (the trace's own arrival times). */
export const TRACE_RATE_LABEL = 'trace';

/** Color of the fluid-benchmark overlays (Throughput* line, stability limit). */
export const FLUID_COLOR = '#555555';

/** Legend label of the fluid Throughput* line. */
export const FLUID_LINE_LABEL = 'Throughput* (fluid; its maximum beyond the limit)';

/**
 * The x axis is widened to show the fluid stability limit when it lies within this factor of
 * the tested rates (beyond the highest or below the lowest); farther away it is only stated.
 */
export const LIMIT_AXIS_REACH = 2;

/**
 * One plotted point. In rate charts `y` is the mean over the seeds run at that (policy, rate),
 * `min`/`max` their range, `n` their count and `unstable` how many of them were judged unstable
 * (the point is then drawn as a cross); CDF and fluid points carry only `x` and `y`.
 * `x` is a number on a linear axis, or a category label on a category axis.
 */
export interface ChartPoint {
  x: number | string;
  y: number;
  min?: number;
  max?: number;
  n?: number;
  unstable?: number;
}

/** One line of a chart. `color` is a CSS color shared by every chart for the same policy label. */
export interface ChartDataset {
  label: string;
  /** Policy label (see runLabel) the line belongs to. */
  policy: string;
  color: string;
  /** Dashed line (p99 in latency charts); solid otherwise. */
  dashed: boolean;
  /** Draw point markers (rate charts) or a bare line (CDFs). */
  markers: boolean;
  points: ChartPoint[];
  /** `fluid`: the fluid Throughput* line, not a policy (`policy` is then ''). */
  overlay?: 'fluid';
}

/** A vertical line across a chart at x (the fluid stability limit), with a short label. */
export interface VerticalLine {
  x: number;
  label: string;
}

/** A set of datasets the user can switch to (the CDF at one arrival rate). */
export interface ChartVariant {
  key: string;
  datasets: ChartDataset[];
}

/**
 * Everything the in-page script needs to draw one chart; plain JSON. Axis titles carry units.
 * Where `variants` is set, `datasets` equals the selected variant's and the `<select>` with
 * `data-cdf-group` = `group` switches between them.
 */
export interface ChartSpec {
  /** Id of the canvas element (unique in the page). */
  canvasId: string;
  /** Value of the canvas's `data-chart` attribute, `<kind>:<workload>`, e.g. `latency-e2e:azure-conv`. */
  name: string;
  title: string;
  subtitle: string;
  xTitle: string;
  yTitle: string;
  /** `category` when some runs have no numeric rate; `labels` are then the x categories in order. */
  xScale: { type: 'linear' } | { type: 'category'; labels: string[] };
  /** Fixed y range (CDFs: 0..1); omitted = automatic. */
  yRange?: { min: number; max: number };
  /** Widens a linear x axis to include these values (Chart.js suggestedMin/Max); omitted = automatic. */
  xSuggested?: { min?: number; max?: number };
  /** Vertical lines drawn across the plot area (linear x axis only). */
  verticalLines?: VerticalLine[];
  datasets: ChartDataset[];
  group?: string;
  variants?: ChartVariant[];
  selected?: string;
}

/** The charts of one workload section, plus what the section says about them. */
export interface WorkloadCharts {
  workload: string;
  /** Done runs with metrics (the ones charted). */
  chartedRuns: number;
  /** Latency vs rate (E2E, TTFT) and throughput vs rate; empty when no run of the workload is charted. */
  rateCharts: ChartSpec[];
  /** TTFT and E2E CDFs; empty when no charted run has latency samples. */
  cdfCharts: ChartSpec[];
  /** The rate selector of the CDFs: its group id, options (key = label) and the selected key. */
  cdfSelector: { group: string; options: string[]; selected: string } | null;
  /** Some (policy, rate) point aggregates several seeds (the charts show mean and min-max). */
  multiSeed: boolean;
  /** Charted runs judged unstable (drawn as crosses). */
  unstableRuns: number;
  /** The fluid-benchmark overlay of the workload (ReportData.fluid), or null. */
  fluid: FluidOverlay | null;
  /** Per policy label, the largest rate whose runs were all stable (largestStableRates). */
  stableRates: StableRateSummary[];
}

/** The chart model of a report (see {@link buildReportCharts}). */
export interface ReportCharts {
  /** Color of each policy label, the same in every chart. */
  colors: Record<string, string>;
  /** One entry per workload, in order of first appearance among the runs sorted by id. */
  workloads: WorkloadCharts[];
}

/**
 * Builds the chart model of a report. Only runs with status `done` and metrics are charted;
 * runs are grouped by workload, then by policy label (runLabel over all runs), then by rate.
 * Where several seeds share a (policy label, rate), the point is the mean of their values and
 * carries their min and max, and the number of them judged unstable; `null` metric values are
 * left out of the mean (a point with no value is omitted). CDFs pool the latency samples of all
 * seeds at one (policy label, rate) (pooledCdf over their order statistics: at most
 * CDF_MAX_POINTS points, fewer under the chart point budget; coordinates rounded to
 * CHART_SIGNIFICANT_DIGITS); the selected rate is the highest numeric one.
 *
 * With a fluid overlay for the workload (ReportData.fluid), the throughput chart gets the
 * Throughput* line (FLUID_LINE_LABEL; on a linear axis with a point at the limit where it bends,
 * and at a single rate a short exact segment around it: see fluidLine),
 * and on a linear axis the three rate charts get a vertical line at the stability limit, the
 * axis widened to show it when it lies within LIMIT_AXIS_REACH of the tested rates.
 */
export function buildReportCharts(data: ReportData): ReportCharts {
  const runs = [...data.runs].sort((a, b) => a.id - b.id);
  const labels = runLabels(runs);
  const colorMap = policyColors(runs.map((run) => labels.get(run.id) ?? run.policy));
  const colors = Object.fromEntries(colorMap);
  const workloadNames = [...new Set(runs.map((run) => run.workload))];
  let nextCanvas = 0;
  const canvasId = (): string => `chart-${nextCanvas++}`;

  const workloads = workloadNames.map((workload, workloadIndex): WorkloadCharts => {
    const charted = runs.filter((run) => run.workload === workload && run.status === 'done' && run.metrics);
    const result: WorkloadCharts = {
      workload,
      chartedRuns: charted.length,
      rateCharts: [],
      cdfCharts: [],
      cdfSelector: null,
      multiSeed: false,
      unstableRuns: charted.filter((run) => run.stable === false).length,
      fluid: data.fluid?.[workload] ?? null,
      stableRates: largestStableRates(charted, labels),
    };
    if (charted.length === 0) return result;

    const policyOrder = [...new Set(charted.map((run) => labels.get(run.id) ?? run.policy))];
    const rateKeys = sortRateKeys([...new Set(charted.map((run) => rateKey(run.rate)))]);
    const categorical = charted.some((run) => run.rate === null);
    const xScale: ChartSpec['xScale'] = categorical
      ? { type: 'category', labels: rateKeys }
      : { type: 'linear' };
    const xTitle = categorical
      ? `Arrival rate (req/s; "${TRACE_RATE_LABEL}" = the trace's own timing)`
      : 'Arrival rate (req/s)';
    const groups = groupRuns(charted, labels);
    const rateSeries = (policy: string, metric: MetricKey): ChartPoint[] => {
      const points: ChartPoint[] = [];
      for (const key of rateKeys) {
        const withValue = (groups.get(policy)?.get(key) ?? []).filter((run) => {
          const value = run.metrics?.[metric] ?? null;
          return value !== null && Number.isFinite(value);
        });
        const values = withValue.map((run) => run.metrics![metric] as number);
        if (values.length === 0) continue;
        if (values.length > 1) result.multiSeed = true;
        const x = categorical ? key : Number(key);
        points.push({
          x,
          y: values.reduce((sum, value) => sum + value, 0) / values.length,
          min: Math.min(...values),
          max: Math.max(...values),
          n: values.length,
          unstable: withValue.filter((run) => run.stable === false).length,
        });
      }
      return points;
    };
    const line = (policy: string, suffix: string, metric: MetricKey, dashed: boolean): ChartDataset => ({
      label: suffix ? `${policy} ${suffix}` : policy,
      policy,
      color: colorMap.get(policy) ?? '#000000',
      dashed,
      markers: true,
      points: rateSeries(policy, metric),
    });
    const unstableNote = result.unstableRuns > 0 ? '; \u00d7 = a run judged unstable' : '';
    const fluid = result.fluid;
    const limit = categorical ? null : (fluid?.maxStableRateRps ?? null);
    const limitLines: Pick<ChartSpec, 'verticalLines' | 'xSuggested'> =
      limit === null ? {} : limitAxis(limit, rateKeys.map(Number));
    const latencyChart = (kind: 'e2e' | 'ttft', name: string): ChartSpec => ({
      canvasId: canvasId(),
      name: `latency-${kind}:${workload}`,
      title: `${name} vs arrival rate`,
      subtitle: `solid: mean, dashed: p99${unstableNote}`,
      xTitle,
      yTitle: `${name} (s)`,
      xScale,
      ...limitLines,
      datasets: policyOrder.flatMap((policy) => [
        line(policy, 'mean', `${kind}_mean_s`, false),
        line(policy, 'p99', `${kind}_p99_s`, true),
      ]),
    });
    const throughputDatasets = policyOrder.map((policy) => line(policy, '', 'throughput_tok_s', false));
    if (fluid) throughputDatasets.push(fluidLine(fluid, categorical, rateKeys));
    result.rateCharts.push(latencyChart('e2e', 'E2E latency'), latencyChart('ttft', 'TTFT'), {
      canvasId: canvasId(),
      name: `throughput:${workload}`,
      title: 'Output throughput vs arrival rate',
      subtitle: `output tokens of completed requests per second${fluid ? '; dashed grey: fluid Throughput*' : ''}${unstableNote}`,
      xTitle,
      yTitle: 'Throughput (tok/s)',
      xScale,
      ...limitLines,
      datasets: throughputDatasets,
    });

    // CDFs: one variant per rate that has samples; samples of all seeds pooled per policy label.
    const group = `cdf-${workloadIndex}`;
    const cdfPoints = pointsPerSeries(policyOrder.length, CDF_MAX_POINTS);
    const cdfVariants = (metric: 'ttft' | 'e2e'): ChartVariant[] =>
      rateKeys
        .map((key) => ({
          key,
          datasets: policyOrder
            .map((policy): ChartDataset => {
              const parts = (groups.get(policy)?.get(key) ?? []).flatMap((run): SampleDigest[] => {
                const distribution = data.distributions[run.id];
                return distribution
                  ? [{ values: distribution[metric], finished: distribution.finished }]
                  : [];
              });
              return {
                label: policy,
                policy,
                color: colorMap.get(policy) ?? '#000000',
                dashed: false,
                markers: false,
                points: pooledCdf(parts, cdfPoints).map((p) => ({
                  x: roundSignificant(p.x),
                  y: roundSignificant(p.y),
                })),
              };
            })
            .filter((dataset) => dataset.points.length > 0),
        }))
        .filter((variant) => variant.datasets.length > 0);
    const ttftVariants = cdfVariants('ttft');
    const e2eVariants = cdfVariants('e2e');
    const options = rateKeys.filter((key) =>
      [...ttftVariants, ...e2eVariants].some((variant) => variant.key === key),
    );
    if (options.length > 0) {
      const numeric = options.filter((key) => key !== TRACE_RATE_LABEL);
      const selected = numeric.length > 0 ? numeric[numeric.length - 1] : options[options.length - 1];
      result.cdfSelector = { group, options, selected };
      const cdfChart = (kind: 'ttft' | 'e2e', name: string, variants: ChartVariant[]): ChartSpec => ({
        canvasId: canvasId(),
        name: `cdf-${kind}:${workload}`,
        title: `${name} CDF`,
        subtitle: 'completed requests of every seed at the selected rate',
        xTitle: `${name} (s)`,
        yTitle: 'Fraction of requests',
        xScale: { type: 'linear' },
        yRange: { min: 0, max: 1 },
        datasets: variants.find((variant) => variant.key === selected)?.datasets ?? [],
        group,
        variants,
        selected,
      });
      result.cdfCharts.push(
        cdfChart('ttft', 'TTFT', ttftVariants),
        cdfChart('e2e', 'E2E latency', e2eVariants),
      );
    }
    return result;
  });
  return { colors, workloads };
}

/**
 * Half-width of the Throughput* segment drawn around the rate when a workload was charted at one
 * rate only (relative to the rate): one point makes no line, so the segment shows the bound.
 */
export const SINGLE_RATE_SEGMENT = 0.1;

/**
 * The fluid Throughput* line: one point per overlay rate charted (y = lineTokS), plus, on a
 * linear axis, the point at the stability limit (where the line bends) when it lies between two
 * rates or within LIMIT_AXIS_REACH of them (the axis then shows it). Throughput* is linear in the
 * rate up to the limit and flat beyond, so the added point keeps the line exact. When that leaves
 * one point (every run at one rate, the limit far from it or none), the line is the exact segment
 * of Throughput* over the rate ± SINGLE_RATE_SEGMENT (fluidThroughputAt), through that point.
 */
function fluidLine(fluid: FluidOverlay, categorical: boolean, rateKeys: string[]): ChartDataset {
  const points: ChartPoint[] = [];
  const charted = fluid.points.filter((p) => rateKeys.includes(rateKey(p.rate)));
  for (const p of charted) points.push({ x: categorical ? rateKey(p.rate) : p.rate, y: p.lineTokS });
  const limit = fluid.maxStableRateRps;
  if (!categorical && limit !== null && fluid.maxThroughputTokS !== null && points.length > 0) {
    const xs = points.map((p) => p.x as number);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    if (!xs.includes(limit) && limit >= lo / LIMIT_AXIS_REACH && limit <= hi * LIMIT_AXIS_REACH) {
      const at = xs.filter((x) => x < limit).length;
      points.splice(at, 0, { x: limit, y: fluid.maxThroughputTokS });
    }
  }
  if (!categorical && points.length === 1 && charted.length === 1) {
    const p = charted[0];
    const lo = p.rate * (1 - SINGLE_RATE_SEGMENT);
    const hi = p.rate * (1 + SINGLE_RATE_SEGMENT);
    points.splice(
      0,
      1,
      { x: lo, y: fluidThroughputAt(fluid, p, lo) },
      { x: p.rate, y: p.lineTokS },
      { x: hi, y: fluidThroughputAt(fluid, p, hi) },
    );
  }
  return {
    label: FLUID_LINE_LABEL,
    policy: '',
    color: FLUID_COLOR,
    dashed: true,
    markers: false,
    points,
    overlay: 'fluid',
  };
}

/**
 * The fluid line's value at `rate` for the type mix of overlay point `p` (its proportions at any
 * total rate): Throughput* grows in proportion to the rate up to the stability limit and is the
 * mix's maximum beyond it (arXiv 2504.11320v2 §3). Tokens per second.
 */
export function fluidThroughputAt(
  fluid: Pick<FluidOverlay, 'maxStableRateRps' | 'maxThroughputTokS'>,
  p: Pick<FluidOverlay['points'][number], 'rate' | 'throughputStarTokS'>,
  rate: number,
): number {
  const limit = fluid.maxStableRateRps;
  const proportional = (p.throughputStarTokS * rate) / p.rate;
  if (limit === null || rate <= limit) return proportional;
  return fluid.maxThroughputTokS ?? (p.throughputStarTokS * limit) / p.rate;
}

/**
 * The vertical line at the fluid limit, and the x range widened to show it (with a 4 % margin,
 * so it does not sit on the plot's edge) when it lies within LIMIT_AXIS_REACH of the rates.
 */
function limitAxis(limit: number, rates: number[]): Pick<ChartSpec, 'verticalLines' | 'xSuggested'> {
  const lo = Math.min(...rates);
  const hi = Math.max(...rates);
  const verticalLines = [{ x: limit, label: `fluid stability limit ${formatNumber(limit)} req/s` }];
  if (limit >= hi && limit <= hi * LIMIT_AXIS_REACH) {
    return { verticalLines, xSuggested: { max: limit * 1.04 } };
  }
  if (limit <= lo && limit >= lo / LIMIT_AXIS_REACH) {
    return { verticalLines, xSuggested: { min: limit * 0.96 } };
  }
  return { verticalLines };
}

/** The x key of a rate: its decimal text, or TRACE_RATE_LABEL for `null`. */
export function rateKey(rate: number | null): string {
  return rate === null ? TRACE_RATE_LABEL : String(rate);
}

/** Numeric rate keys ascending, then the trace key. */
function sortRateKeys(keys: string[]): string[] {
  const numeric = keys.filter((key) => key !== TRACE_RATE_LABEL).sort((a, b) => Number(a) - Number(b));
  return keys.includes(TRACE_RATE_LABEL) ? [...numeric, TRACE_RATE_LABEL] : numeric;
}

/** policy label -> rate key -> runs (one per seed, normally). */
function groupRuns(runs: ReportRun[], labels: Map<number, string>): Map<string, Map<string, ReportRun[]>> {
  const groups = new Map<string, Map<string, ReportRun[]>>();
  for (const run of runs) {
    const label = labels.get(run.id) ?? run.policy;
    let byRate = groups.get(label);
    if (!byRate) groups.set(label, (byRate = new Map()));
    const key = rateKey(run.rate);
    const list = byRate.get(key);
    if (list) list.push(run);
    else byRate.set(key, [run]);
  }
  return groups;
}
