import type { RunRequestsOut, RunTimeSeriesOut } from '../../../runner/api/api-contract.js';
import { empiricalCdf } from '../../../runner/reports/empirical-cdf.js';
import type { LineChartSpec, LineSeries, XY } from '../charts/line-chart.js';

/** Most points a run's CDF line keeps (evenly spaced ranks; the chart decimates further when drawing). */
export const CDF_MAX_POINTS = 4000;

/** Per-request requests asked of `runs.requests` for the distributions: every request of most runs. */
export const REQUESTS_MAX_POINTS = 200_000;

/** Line colors of the run detail charts (one run: colors tell measures apart, not runs). */
const COLORS = {
  ttft: '#4e79a7',
  tpot: '#59a14f',
  e2e: '#e15759',
  waiting: '#f28e2b',
  running: '#4e79a7',
  kv: '#76b7b2',
  prefill: '#b07aa1',
  decodes: '#9c755f',
} as const;

/** The per-request measures the page draws a CDF of: `runs.requests` field, chart name, title, color. */
export const DISTRIBUTIONS = [
  { field: 'ttftS', name: 'ttft-cdf', title: 'TTFT', axis: 'TTFT (s)', color: COLORS.ttft },
  { field: 'tpotS', name: 'tpot-cdf', title: 'TPOT', axis: 'TPOT (s per output token)', color: COLORS.tpot },
  { field: 'e2eS', name: 'e2e-cdf', title: 'E2E latency', axis: 'E2E latency (s)', color: COLORS.e2e },
] as const;

/**
 * The empirical CDF of one per-request measure as chart points (x the value, y the fraction of
 * the requests that have one at or below it; nulls, the requests that never got there, left
 * out): empiricalCdf of runner/reports, the Compare page's CDFs.
 */
export function cdfPoints(values: readonly (number | null)[], maxPoints = CDF_MAX_POINTS): XY[] {
  const samples = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return empiricalCdf(samples, maxPoints).map((p) => ({ x: p.x, y: p.y }));
}

/** How many of the requests have a value of a measure (non-null). */
export function countOf(values: readonly (number | null)[]): number {
  return values.reduce<number>((n, v) => (v !== null && Number.isFinite(v) ? n + 1 : n), 0);
}

/**
 * The distribution charts of a run: the CDF of TTFT, TPOT and E2E latency over its requests
 * (`runs.requests`); each note says how many requests have the measure, and when the API
 * returned a decimated subset, that the curve is of that subset.
 */
export function distributionCharts(requests: RunRequestsOut): LineChartSpec[] {
  const subset = requests.decimated
    ? `; of a subset of ${requests.index.length} requests (every k-th, the slowest E2E kept)`
    : '';
  return DISTRIBUTIONS.map((d) => {
    const values = requests[d.field];
    return {
      name: d.name,
      title: `${d.title} CDF`,
      note: `${countOf(values)} of ${requests.index.length} requests have one${subset}`,
      xTitle: d.axis,
      yTitle: 'Fraction of requests',
      series: [{ label: d.title, color: d.color, points: cdfPoints(values), inLegend: false }],
      yRange: { min: 0, max: 1 },
      legend: false,
    };
  });
}

/** Points (t, value) of a time series column. */
function overTime(ts: RunTimeSeriesOut, values: readonly number[], scale = 1): XY[] {
  return ts.tS.map((t, i) => ({ x: t, y: values[i] / scale }));
}

/**
 * The time-series charts of a run (`runs.timeSeries`, sampled iterations): requests waiting and
 * running, KV cache usage (a fraction of the capacity when the machine's is known, else blocks),
 * and the batch mix (prefill tokens and decodes per iteration).
 */
export function timeSeriesCharts(ts: RunTimeSeriesOut): LineChartSpec[] {
  const line = (label: string, color: string, points: XY[], inLegend = false): LineSeries => ({
    label,
    color,
    points,
    inLegend,
  });
  const capacity = ts.kvCapacityBlocks !== null && ts.kvCapacityBlocks > 0 ? ts.kvCapacityBlocks : null;
  const time = 'Time (s)';
  return [
    {
      name: 'queue-running',
      title: 'Requests waiting and running',
      note: 'waiting: arrived, holding no KV; running: holding KV',
      xTitle: time,
      yTitle: 'Requests',
      series: [
        line('waiting', COLORS.waiting, overTime(ts, ts.queueLength), true),
        line('running', COLORS.running, overTime(ts, ts.running), true),
      ],
      legend: true,
    },
    {
      name: 'kv-usage',
      title: 'KV cache usage',
      note: capacity
        ? `blocks in use / KV capacity (${capacity} blocks)`
        : 'blocks in use (the machine stored no KV capacity)',
      xTitle: time,
      yTitle: capacity ? 'KV usage (fraction)' : 'KV blocks in use',
      series: [line('KV usage', COLORS.kv, overTime(ts, ts.kvBlocks, capacity ?? 1))],
      ...(capacity ? { yRange: { min: 0, max: 1 } } : {}),
      legend: false,
    },
    {
      name: 'batch-prefill',
      title: 'Batch mix: prefill tokens',
      note: 'prompt tokens processed per iteration',
      xTitle: time,
      yTitle: 'Prefill tokens per iteration',
      series: [line('prefill tokens', COLORS.prefill, overTime(ts, ts.prefillTokens))],
      legend: false,
    },
    {
      name: 'batch-decodes',
      title: 'Batch mix: decodes',
      note: 'requests decoding one token per iteration',
      xTitle: time,
      yTitle: 'Decodes per iteration',
      series: [line('decodes', COLORS.decodes, overTime(ts, ts.decodeCount))],
      legend: false,
    },
  ];
}
