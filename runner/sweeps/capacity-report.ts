import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { CapacityCriterion, CapacityOutcome, CapacityProbe } from '../metrics/capacity-search.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import { capacityVerdicts } from '../metrics/capacity-verdict.js';
import type { Verdict } from '../metrics/paired-verdicts.js';
import { runLabels } from '../reports/run-label.js';
import type { Store } from '../store/store.js';
import { capacitySearchState, storedDoneRuns } from './capacity-probes.js';
import { planSweepText } from './sweep-plan.js';
import { clusterOf } from '../schedulers/cluster-fields.js';
import { workloadFluidLimit } from './workload-fluid-limit.js';

/**
 * The answer of one capacity search of a stored sweep (`schedbench capacity`, the API's
 * `sweeps.capacity`). Rates are OFFERED rates: the arrivals the probe's runs actually generated
 * per second, averaged over the seeds (the `offered_rate_rps` metric); `*_nominal_rps` are the
 * rates the runs were generated at.
 */
export interface CapacityRow {
  workload: string;
  /** Policy name and its parameters (as a run label shows them). */
  policy: string;
  params: Record<string, unknown>;
  machine: string;
  /** `done`, or `incomplete` when the search still needs probes (a killed or running sweep). */
  status: 'done' | 'incomplete';
  /** How the search ended (null while incomplete): bracketed, below-min or above-max. */
  outcome: CapacityOutcome | null;
  /** The largest sustained offered rate found, req/s: `lower_rps`; null when even `min` fails. */
  max_rate_rps: number | null;
  /** Offered rate of the highest sustained probe, req/s. */
  lower_rps: number | null;
  /** Offered rate of the lowest failing probe above it, req/s; null when `max` is sustained. */
  upper_rps: number | null;
  lower_nominal_rps: number | null;
  upper_nominal_rps: number | null;
  /** Probes done (each one run per seed). */
  probes: number;
  /** What failed at `upper_rps`: stability, ttft, tpot or e2e; null when `max` is sustained. */
  limiting: CapacityCriterion | null;
  /** Seeds each probe ran. */
  seeds: number;
  /** The search's relative precision and SLO attainment target. */
  precision: number;
  attainment: number;
  /**
   * The fluid benchmark's stability limit for the workload's request mix on the row's machine
   * (docs/fluid-benchmark.md), req/s, times the policy entry's replicas (a cluster's bound under
   * perfect balance); null when the machine has no finite limit (d1 = 0).
   */
  fluid_max_stable_rate_rps: number | null;
}

/**
 * The capacity searches of a stored sweep, replayed over its stored runs: the sweep's spec is
 * planned again from its stored text and directory (as a resume does), and each search is
 * replayed over the done runs, so the answer is the one the sweep found, or as far as it got.
 *
 * @param registry opens the database for `profile:` and worker machines
 * @returns one row per search (workload x policy x machine), in plan order; empty when the sweep has none
 * @throws InputError when the sweep does not exist or its spec cannot be planned again
 */
export function capacityRows(store: Store, sweepId: number, registry?: () => MachineRegistry): CapacityRow[] {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new InputError(`sweep ${sweepId} does not exist`);
  if (sweep.specPath === null) {
    throw new InputError(`sweep ${sweepId} (${sweep.name}) has no stored spec path to plan it again from`);
  }
  const plan = planSweepText(sweep.specYaml, {
    file: sweep.specPath,
    dir: dirname(resolve(sweep.specPath)),
    registry,
  });
  if (plan.searches.length === 0) return [];
  const done = storedDoneRuns(store, sweepId);
  return plan.searches.map((search) => {
    const w = plan.workloads[search.workloadIndex];
    const state = capacitySearchState(plan, search, done);
    const result = state.status === 'done' ? state.result : null;
    const probes = state.status === 'done' ? state.result.probes : state.probes;
    const lower = result ? result.lower : highestPassing(probes);
    const upper = result ? result.upper : lowestFailingAbove(probes, lower);
    const { policy, ...params } = search.policy;
    return {
      workload: w.label,
      policy,
      params,
      machine: plan.machines[search.machineIndex].machine.name,
      status: result ? 'done' : 'incomplete',
      outcome: result?.outcome ?? null,
      max_rate_rps: lower?.verdict.offeredRps ?? null,
      lower_rps: lower?.verdict.offeredRps ?? null,
      upper_rps: upper?.verdict.offeredRps ?? null,
      lower_nominal_rps: lower?.rateRps ?? null,
      upper_nominal_rps: upper?.rateRps ?? null,
      probes: probes.length,
      limiting: upper?.verdict.limiting ?? null,
      seeds: search.seeds.length,
      precision: search.settings.precision,
      attainment: search.settings.attainment,
      fluid_max_stable_rate_rps: workloadFluidLimit(
        plan,
        search.workloadIndex,
        search.machineIndex,
        clusterOf(search.policy).replicas,
      ),
    };
  });
}

/**
 * The capacity verdicts of a sweep's finished searches (capacityVerdicts,
 * runner/metrics/capacity-verdict.ts): per workload (and machine, in a sweep over several), the
 * policy that sustains the largest offered rate and the others against it, each policy labelled as the seed summary labels it (name plus
 * the parameters that differ, runLabels).
 * @param rows capacityRows of the sweep; incomplete searches are left out
 */
export function capacityVerdictsOf(rows: readonly CapacityRow[]): Verdict[] {
  const finished = rows.filter((r) => r.status === 'done');
  const labels = runLabels(finished.map((r, id) => ({ id, policy: r.policy, params: r.params })));
  const machines = new Set(rows.map((r) => r.machine)).size > 1;
  return capacityVerdicts(
    finished.map((r, id) => ({
      workload: r.workload,
      ...(machines ? { machine: r.machine } : {}),
      policy: labels.get(id)!,
      lowerRps: r.lower_rps,
      upperRps: r.upper_rps,
      seeds: r.seeds,
    })),
  );
}

function highestPassing(probes: readonly CapacityProbe[]): CapacityProbe | null {
  let best: CapacityProbe | null = null;
  for (const p of probes) if (p.verdict.pass && (best === null || p.rateRps > best.rateRps)) best = p;
  return best;
}

function lowestFailingAbove(
  probes: readonly CapacityProbe[],
  lower: CapacityProbe | null,
): CapacityProbe | null {
  let best: CapacityProbe | null = null;
  for (const p of probes) {
    if (p.verdict.pass || (lower !== null && p.rateRps <= lower.rateRps)) continue;
    if (best === null || p.rateRps < best.rateRps) best = p;
  }
  return best;
}
