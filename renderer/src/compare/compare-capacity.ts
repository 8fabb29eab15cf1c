import type { CapacityOut, CompareOut } from '../../../runner/api/api-contract.js';
import { configurationLabels } from '../../../runner/api/compare-configurations.js';
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
    const fluid = rows.map((r) => r.fluid_max_stable_rate_rps).find((v): v is number => v !== null);
    const incomplete = rows.filter((r) => r.status === 'incomplete').length;
    const belowMin = labels.filter((_, i) => rows[i].outcome === 'below-min');
    const notes = [
      `per policy the largest offered rate sustained (stable${rows.some((r) => r.limiting !== null && r.limiting !== 'stability') ? ', SLO met' : ''}), req/s; error bar: the search's bracket (lower sustained, upper failing; an arrow: max sustained)`,
      fluid === undefined
        ? 'no fluid stability limit (unbounded, or the machine has no linear model)'
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
        limits: fluid === undefined ? [] : [{ label: 'Fluid stability limit', value: fluid }],
      },
    };
  });
}
