import type { RequestRecords } from '../engine/run-records.js';
import { searchCapacity, type CapacitySearchState, type ProbeVerdict } from '../metrics/capacity-search.js';
import type { Store } from '../store/store.js';
import type { RunMetrics } from '../metrics/metric-keys.js';
import type { StabilityResult } from '../metrics/stability.js';
import { probeVerdict, type ProbeRun } from '../metrics/probe-verdict.js';
import { sloCounts } from '../metrics/slo-counts.js';
import { buildRequestList } from '../workloads/build-workload.js';
import { workloadAtRate } from '../workloads/workload-at-rate.js';
import { withoutRequests } from './oversize.js';
import {
  requestListKey,
  runKeyOf,
  runTaskOf,
  type PlannedRun,
  type PlannedSearch,
  type PlannedWorkload,
  type SweepPlan,
} from './sweep-plan.js';

/** Probe workloads added to a plan, by `searched workload index / rate`. */
const probeWorkloads = new WeakMap<SweepPlan, Map<string, number>>();

/**
 * The runs of one capacity probe: the search's workload at `rateRps` under the search's policy on
 * the search's machine, one run per seed of the search (PlannedSearch.seeds), without the requests that can never fit
 * under `oversize: skip` (PlannedSearch.oversize). The first call for a (workload, rate) adds the workload at that
 * rate to `plan.workloads` (same label and entry, `search` null) and its request lists to
 * `plan.requestLists` (built as planSweep builds them, so the lengths are those of every other
 * rate: common random numbers); later calls reuse them. The runs' keys follow runKeyOf, so a
 * probe at a rate a planned run already has is that run.
 *
 * @param plan the sweep's plan (extended in place)
 * @param search one of `plan.searches`
 * @param rateRps the nominal rate to probe, requests per second
 * @returns one planned run per seed, in the order of the spec's seeds
 */
export function probeRunsAt(plan: SweepPlan, search: PlannedSearch, rateRps: number): PlannedRun[] {
  let byRate = probeWorkloads.get(plan);
  if (byRate === undefined) {
    byRate = new Map();
    probeWorkloads.set(plan, byRate);
  }
  const memo = `${search.workloadIndex}/${rateRps}`;
  let workloadIndex = byRate.get(memo);
  if (workloadIndex === undefined) {
    const searched = plan.workloads[search.workloadIndex];
    const loaded = workloadAtRate(searched.loaded, rateRps);
    const probe: PlannedWorkload = { ...searched, spec: loaded.spec, loaded, rate: rateRps, search: null };
    workloadIndex = plan.workloads.push(probe) - 1;
    byRate.set(memo, workloadIndex);
    for (const seed of search.seeds) {
      plan.requestLists.set(
        requestListKey(workloadIndex, seed),
        buildRequestList(loaded, { seed, requests: plan.spec.requests }),
      );
    }
  }
  const w = plan.workloads[workloadIndex];
  return search.seeds.map((seed): PlannedRun => {
    const run: PlannedRun = {
      runKey: runKeyOf(
        plan.spec,
        w.spec,
        search.policy,
        seed,
        plan.machines[search.machineIndex].machine.name,
      ),
      workloadIndex,
      machineIndex: search.machineIndex,
      policy: search.policy,
      seed,
    };
    const oversize = search.oversize.get(seed);
    if (oversize === undefined) return run;
    const list = plan.requestLists.get(requestListKey(workloadIndex, seed))!;
    return { ...run, oversize: { requests: withoutRequests(list, oversize), rejected: oversize.length } };
  });
}

/** What a probe's verdict needs of one done run (a fresh result or a stored row). */
export interface DoneProbeRun {
  readonly metrics: RunMetrics;
  /** The run's stability verdict; null for a run stored without one. */
  readonly stability: StabilityResult | null;
  /** The run's per-request records; read only when the search has an SLO. */
  readonly requests: () => RequestRecords;
}

/**
 * The verdict on one probe from its done runs (probeVerdict, runner/metrics/probe-verdict.ts),
 * with the SLO of the run task: per run the requests that met every bound and each bound alone,
 * counted from the per-request records (TTFT, TPOT and E2E as in docs/metrics.md).
 *
 * @param plan the sweep's plan
 * @param search the search the probe belongs to
 * @param runs the probe's planned runs (probeRunsAt) with their done results, same order
 */
export function probeVerdictOf(
  plan: SweepPlan,
  search: PlannedSearch,
  runs: readonly { planned: PlannedRun; done: DoneProbeRun }[],
): ProbeVerdict {
  const probeRuns = runs.map(({ planned, done }): ProbeRun => {
    const slo = runTaskOf(plan, planned, 0).slo;
    const offered = done.metrics.offered_rate_rps ?? null;
    if (slo === null) {
      return {
        stability: done.stability,
        requests: requestsOf(done.metrics),
        good: null,
        goodByBound: {},
        offeredRps: offered,
      };
    }
    const { good, goodByBound } = sloCounts(done.requests(), slo);
    return {
      stability: done.stability,
      requests: requestsOf(done.metrics),
      offeredRps: offered,
      good,
      goodByBound,
    };
  });
  return probeVerdict(probeRuns, search.settings.attainment);
}

/** Requests of a run's workload: those it ran and those `oversize: skip` left out. */
function requestsOf(metrics: RunMetrics): number {
  return (metrics.requests ?? 0) + (metrics.rejected ?? 0);
}

/**
 * Where a capacity search stands over the probe runs done so far: replays searchCapacity with a
 * verdict for every probe whose runs (one per seed) are all in `done`.
 *
 * @param done done runs by run key (stored rows, or results of this invocation)
 * @param verdicts cache of verdicts by nominal rate, kept between calls for the same search
 */
export function capacitySearchState(
  plan: SweepPlan,
  search: PlannedSearch,
  done: ReadonlyMap<string, DoneProbeRun>,
  verdicts: Map<number, ProbeVerdict> = new Map(),
): CapacitySearchState {
  return searchCapacity(search.settings, (rateRps) => {
    const known = verdicts.get(rateRps);
    if (known) return known;
    const runs = probeRunsAt(plan, search, rateRps);
    if (!runs.every((r) => done.has(r.runKey))) return undefined;
    const verdict = probeVerdictOf(
      plan,
      search,
      runs.map((planned) => ({ planned, done: done.get(planned.runKey)! })),
    );
    verdicts.set(rateRps, verdict);
    return verdict;
  });
}

/**
 * The done runs of a stored sweep by run key, as capacitySearchState reads them (request records
 * are read from the store only when a search with an SLO asks).
 */
export function storedDoneRuns(store: Store, sweepId: number): Map<string, DoneProbeRun> {
  const done = new Map<string, DoneProbeRun>();
  for (const row of store.listRuns({ sweepId })) {
    if (row.status !== 'done' || row.metrics === null) continue;
    done.set(row.runKey, {
      metrics: row.metrics,
      stability: row.stability,
      requests: () => store.getRequestRecords(row.id),
    });
  }
  return done;
}
