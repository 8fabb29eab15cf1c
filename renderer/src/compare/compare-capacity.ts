import type { CapacityOut, CompareOut } from '../../../runner/api/api-contract.js';
import { configurationLabels } from '../../../runner/api/compare-configurations.js';
import { replicasOfParams } from '../../../runner/metrics/replica-loads.js';
import type { CapacityChartSpec } from '../charts/capacity-chart-spec.js';
import { policyColor } from '../charts/series-colors.js';

/**
 * The capacity charts of the Compare page: for the compared runs' sweeps that have capacity
 * searches (`rate: {search}`), one chart per sweep and workload from `sweeps.capacity`: per
 * policy the largest offered rate it sustains (`max_rate_rps`) as a bar, its bracket
 * (`lower_rps` to `upper_rps`) as an error bar, and the fluid stability limit as a line.
 */

/**
 * Whether a stored spec text asks for a capacity search (a `search:` key, in block or flow YAML
 * or JSON): only those sweeps are asked for `sweeps.capacity`, which plans the spec again.
 */
export function specHasCapacitySearch(specYaml: string): boolean {
  return /(^|[\s{,])["']?search["']?\s*:/m.test(specYaml);
}

/** A capacity chart with what it shows, for the page. */
export interface CapacityChart {
  spec: CapacityChartSpec;
  title: string;
  note: string;
}

/** The policy name of a capacity row's label (`vllm maxNumSeqs=64` is `vllm`). */
function policyName(label: string): string {
  return label.split(' ')[0] ?? label;
}

/**
 * The fluid stability limits of a chart's rows: one line across the plot when every row with a
 * limit has the same one (the policies of one cluster size on one machine), else one per distinct
 * limit over its bars, labelled with what sets it apart (replicas: a cluster's limit is N times one
 * replica's; machine).
 */
function fluidLimits(rows: CapacityOut['searches']): CapacityChartSpec['limits'] {
  const byValue = new Map<number, number[]>();
  rows.forEach((r, i) => {
    const v = r.fluid_max_stable_rate_rps;
    if (v !== null) byValue.set(v, [...(byValue.get(v) ?? []), i]);
  });
  if (byValue.size === 0) return [];
  if (byValue.size === 1) return [{ label: 'Fluid stability limit', value: [...byValue.keys()][0] }];
  // Name each limit by what tells its rows apart: their cluster size, their machine, or both.
  const differ = (key: (r: CapacityOut['searches'][number]) => string | number): boolean =>
    new Set(rows.map(key)).size > 1;
  const bySize = differ((r) => replicasOfParams(r.params));
  const byMachine = differ((r) => r.machine);
  return [...byValue].map(([value, bars]) => {
    const of = <T>(key: (r: CapacityOut['searches'][number]) => T): T[] => [
      ...new Set(bars.map((i) => key(rows[i]))),
    ];
    const sizes = of((r) => replicasOfParams(r.params));
    const machines = of((r) => r.machine);
    const parts = [
      bySize && sizes.length === 1 ? `${sizes[0]} replica${sizes[0] === 1 ? '' : 's'}` : '',
      byMachine && machines.length === 1 ? machines[0] : '',
    ].filter((p) => p !== '');
    return { label: `Fluid stability limit${parts.length > 0 ? `, ${parts.join(', ')}` : ''}`, value, bars };
  });
}

/**
 * The capacity charts of one sweep: one per workload of the compared runs from that sweep, bars
 * in the order of `sweeps.capacity`; searches still running are drawn with what they have.
 */
export function capacityCharts(out: CompareOut, sweepId: number, capacity: CapacityOut): CapacityChart[] {
  const workloads = new Set(out.runs.filter((r) => r.sweepId === sweepId).map((r) => r.workload));
  const sweepName = out.runs.find((r) => r.sweepId === sweepId)?.sweepName ?? `sweep ${sweepId}`;
  const byWorkload = new Map<string, CapacityOut['searches']>();
  for (const row of capacity.searches) {
    if (!workloads.has(row.workload)) continue;
    byWorkload.set(row.workload, [...(byWorkload.get(row.workload) ?? []), row]);
  }
  return [...byWorkload].map(([workload, rows]) => {
    const labels = configurationLabels(
      rows.map((r) => ({
        policy: policyName(r.policy),
        params: r.params,
        workload: r.workload,
        machine: r.machine,
      })),
    );
    const limits = fluidLimits(rows);
    const fluid = limits.length > 0 ? limits[0].value : undefined;
    const incomplete = rows.filter((r) => r.status === 'incomplete').length;
    const belowMin = labels.filter((_, i) => rows[i].outcome === 'below-min');
    const notes = [
      `per policy the largest offered rate sustained (stable${rows.some((r) => r.limiting !== null && r.limiting !== 'stability') ? ', SLO met' : ''}), req/s; error bar: the search's bracket (lower sustained, upper failing; an arrow: max sustained)`,
      fluid === undefined
        ? 'no fluid stability limit (unbounded, or the machine has no linear model)'
        : limits.some((l) => l.bars !== undefined)
          ? "dashed grey over each bar: its fluid stability limit, N replicas times one replica's (docs/fluid-benchmark.md)"
          : 'dashed grey: the fluid stability limit (docs/fluid-benchmark.md)',
      incomplete > 0 ? `${incomplete} search${incomplete === 1 ? '' : 'es'} incomplete` : '',
      belowMin.length > 0 ? `below min: ${belowMin.join(', ')}` : '',
    ].filter((s) => s !== '');
    return {
      title: `Capacity: ${workload} (${sweepName})`,
      note: notes.join('; '),
      spec: {
        name: `capacity:${sweepId}:${workload}`,
        yTitle: 'Max rate under the SLO (req/s)',
        bars: rows.map((r, i) => ({
          label: labels[i],
          color: policyColor(policyName(r.policy)),
          value: r.max_rate_rps,
          lower: r.lower_rps,
          upper: r.upper_rps,
        })),
        limits,
      },
    };
  });
}
