import type { CapacityOut, CompareOut } from '../../../runner/api/api-contract.js';
import { replicasOfParams } from '../../../runner/metrics/replica-loads.js';
import type { LineChartSpec, VerticalLine } from '../charts/line-chart.js';
import { FLUID_COLOR } from '../charts/series-colors.js';
import { compareCharts } from '../compare/compare-charts.js';
import { formatNumber } from '../format.js';

/** The Compare charts a sweep's page shows: the ones against the arrival rate. */
export const RATE_CHART_NAMES: readonly string[] = ['latency-mean', 'latency-p99', 'throughput'];

/**
 * The vs-rate charts of a sweep's page: the Compare page's own charts (compareCharts over
 * `runs.compare` of the sweep's done runs: E2E mean and p99 and throughput per configuration, mean
 * over seeds, the fluid Throughput* bound on the throughput chart, each line named in its legend),
 * with, when the sweep's capacity searches give it, the fluid stability limit of each workload
 * (and cluster size: N replicas' is N times one's) as a vertical line.
 *
 * @param searches `sweeps.capacity`'s searches (empty for a sweep without any)
 */
export function sweepRateCharts(out: CompareOut, searches: CapacityOut['searches']): LineChartSpec[] {
  const all = compareCharts(out, { rate: null, timeSeriesRuns: [], log: false });
  const limits = new Map<number, { workloads: string[]; replicas: number[] }>();
  for (const s of searches) {
    const limit = s.fluid_max_stable_rate_rps;
    if (limit === null || !Number.isFinite(limit)) continue;
    const of = limits.get(limit) ?? { workloads: [], replicas: [] };
    if (!of.workloads.includes(s.workload)) of.workloads.push(s.workload);
    const replicas = replicasOfParams(s.params);
    if (!of.replicas.includes(replicas)) of.replicas.push(replicas);
    limits.set(limit, of);
  }
  const workloads = new Set(searches.map((s) => s.workload));
  // A cluster's limit is N times one replica's: name the cluster size when searches differ in it.
  const sizes = new Set(searches.map((s) => replicasOfParams(s.params)));
  const verticalLines: VerticalLine[] = [...limits].map(([x, of]) => {
    const parts = [
      ...(workloads.size > 1 ? [of.workloads.join(', ')] : []),
      ...(sizes.size > 1
        ? [`${of.replicas.join(', ')} replica${of.replicas.join() === '1' ? '' : 's'}`]
        : []),
    ];
    return {
      x,
      color: FLUID_COLOR,
      label: `fluid stability limit ${formatNumber(x)} req/s${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`,
    };
  });
  return all.rates
    .filter((spec) => RATE_CHART_NAMES.includes(spec.name))
    .map((spec) => (verticalLines.length > 0 ? { ...spec, verticalLines } : spec));
}
