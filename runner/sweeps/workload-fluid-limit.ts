import { fluidEquilibrium } from '../fluid/fluid-equilibrium.js';
import { requestTypes } from '../fluid/request-types.js';
import { requestListKey, type SweepPlan } from './sweep-plan.js';

/**
 * The fluid benchmark's stability limit of one workload grid point of a plan, requests per
 * second (docs/fluid-benchmark.md): its first seed's requests binned into types (a typed
 * workload: its declared types), on one of the plan's machines' linear model (d0, d1, d2) and the
 * spec's token model, as `schedbench fluid` computes it. Used beside capacity searches
 * (`schedbench capacity`) and rates (`sweeps.validate`). The requests are the same on every
 * machine; the limit is not.
 *
 * @param workloadIndex index in `plan.workloads`
 * @param machineIndex index in `plan.machines` (default 0, the first machine)
 * @param replicas replicas serving the workload (default 1): N times one replica's limit (perfect
 *   balance, which no router exceeds; the mix's proportions do not change with the rate)
 * @returns the limit, req/s; null when the machine has no linear model, the list is empty, or
 *   the limit is unbounded (d1 = d2 = 0)
 */
export function workloadFluidLimit(
  plan: SweepPlan,
  workloadIndex: number,
  machineIndex = 0,
  replicas = 1,
): number | null {
  const { d0, d1, d2 } = plan.machines[machineIndex].machine.linear;
  if (!(Number.isFinite(d0) && Number.isFinite(d1))) return null;
  const w = plan.workloads[workloadIndex];
  // The first seed is never dropped (identical-seeds.ts), so its list exists.
  const list = plan.requestLists.get(requestListKey(workloadIndex, plan.spec.seeds[0]));
  if (!list || list.arrival.length === 0) return null;
  const declared = w.loaded.kind === 'types' ? [...w.loaded.types] : null;
  const { types } = requestTypes(list, w.rate, declared);
  const limit = fluidEquilibrium(types, d0, d1, plan.spec.tokenModel, d2 ?? 0).maxStableRateRps;
  return Number.isFinite(limit) ? limit * replicas : null;
}
