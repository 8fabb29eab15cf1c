import type { MetricKey } from '../metrics/metric-keys.js';
import { empiricalCdf } from './empirical-cdf.js';
import { policyColors } from './policy-colors.js';
import type { ReportData, ReportRun } from './report-data.js';
import { runLabels } from './run-label.js';

/** Most points drawn per CDF line (evenly spaced ranks; see empiricalCdf). */
export const CDF_MAX_POINTS = 200;

/** Category label of runs whose rate is `null` (the trace's own arrival times). */
export const TRACE_RATE_LABEL = 'trace';

/**
 * One plotted point. In rate charts `y` is the mean over the seeds run at that (policy, rate),
 * `min`/`max` their range and `n` their count; CDF points carry only `x` and `y`.
 * `x` is a number on a linear axis, or a category label on a category axis.
 */
export interface ChartPoint {
  x: number | string;
  y: number;
  min?: number;
  max?: number;
  n?: number;
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
 * carries their min and max; `null` metric values are left out of the mean (a point with no
 * value is omitted). CDFs pool the latency samples of all seeds at one (policy label, rate);
 * the selected rate is the highest numeric one.
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
        const values = (groups.get(policy)?.get(key) ?? [])
          .map((run) => run.metrics?.[metric] ?? null)
          .filter((value): value is number => value !== null && Number.isFinite(value));
        if (values.length === 0) continue;
        if (values.length > 1) result.multiSeed = true;
        const x = categorical ? key : Number(key);
        points.push({
          x,
          y: values.reduce((sum, value) => sum + value, 0) / values.length,
          min: Math.min(...values),
          max: Math.max(...values),
          n: values.length,
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
    const latencyChart = (kind: 'e2e' | 'ttft', name: string): ChartSpec => ({
      canvasId: canvasId(),
      name: `latency-${kind}:${workload}`,
      title: `${name} vs arrival rate`,
      subtitle: 'solid: mean, dashed: p99',
      xTitle,
      yTitle: `${name} (s)`,
      xScale,
      datasets: policyOrder.flatMap((policy) => [
        line(policy, 'mean', `${kind}_mean_s`, false),
        line(policy, 'p99', `${kind}_p99_s`, true),
      ]),
    });
    result.rateCharts.push(latencyChart('e2e', 'E2E latency'), latencyChart('ttft', 'TTFT'), {
      canvasId: canvasId(),
      name: `throughput:${workload}`,
      title: 'Output throughput vs arrival rate',
      subtitle: 'output tokens of completed requests per second',
      xTitle,
      yTitle: 'Throughput (tok/s)',
      xScale,
      datasets: policyOrder.map((policy) => line(policy, '', 'throughput_tok_s', false)),
    });

    // CDFs: one variant per rate that has samples; samples of all seeds pooled per policy label.
    const group = `cdf-${workloadIndex}`;
    const cdfVariants = (metric: 'ttft' | 'e2e'): ChartVariant[] =>
      rateKeys
        .map((key) => ({
          key,
          datasets: policyOrder
            .map((policy): ChartDataset => {
              const samples = (groups.get(policy)?.get(key) ?? []).flatMap(
                (run) => data.distributions[run.id]?.[metric] ?? [],
              );
              return {
                label: policy,
                policy,
                color: colorMap.get(policy) ?? '#000000',
                dashed: false,
                markers: false,
                points: empiricalCdf(samples, CDF_MAX_POINTS),
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
