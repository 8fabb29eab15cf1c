import { InputError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { RequestList } from '../workloads/request-list.js';
import { runRequestsOf, type SweepPlan } from './sweep-plan.js';

/**
 * Checks, before a stored sweep is executed again, that the plan still produces the requests its
 * done runs simulated: for each request list of the plan (workload grid point and seed) that a
 * done run used (runRequestsOf: without the requests `oversize: skip` left out of it), the
 * arrival times and the prompt and output tokens must equal the ones stored with that run. The
 * spec hash covers the spec and its directory, not the contents of the trace and lengths files it
 * reads; a file edited since (or a sweep stored before seeds chose their
 * trace windows) would otherwise mix results of two workloads in one sweep. Reads one done run's
 * requests per request list (a few milliseconds each).
 *
 * @param plan the plan of the sweep (its spec hash is the sweep's)
 * @param sweepId the stored sweep the plan resumes
 * @throws InputError naming the workload, the seed and the run when the requests differ
 */
export function checkStoredRequests(plan: SweepPlan, store: Store, sweepId: number): void {
  const byKey = new Map(plan.runs.map((r) => [r.runKey, r]));
  const checked = new Set<RequestList>();
  for (const row of store.listRuns({ sweepId })) {
    const run = byKey.get(row.runKey);
    if (row.status !== 'done' || run === undefined) continue;
    const planned = runRequestsOf(plan, run);
    if (checked.has(planned)) continue;
    checked.add(planned);
    const difference = firstDifference(planned, store.getRequestRecords(row.id));
    if (difference !== null) {
      const w = plan.workloads[run.workloadIndex];
      throw new InputError(
        `${plan.file}: sweep ${sweepId} cannot be resumed: workload ${w.label} (seed ${run.seed}) no ` +
          `longer gives the requests its done run ${row.id} simulated (${difference}); a trace or ` +
          `lengths file it reads changed since, or (a trace replayed with fewer requests than its ` +
          `rows) the sweep was stored before each seed chose its own window of the trace ` +
          `(docs/decisions.md, "Seeds that mean something"). Restore the file, or run the spec as a ` +
          `new sweep (change its name or move it)`,
        { file: plan.file, field: 'workloads' },
      );
    }
  }
}

/** Where two request lists first differ, in words, or null when they are equal. */
function firstDifference(planned: RequestList, stored: RequestList): string | null {
  const n = planned.arrival.length;
  if (stored.arrival.length !== n) return `${n} requests now, ${stored.arrival.length} then`;
  for (let i = 0; i < n; i++) {
    if (planned.arrival[i] !== stored.arrival[i]) {
      return `request #${i} arrives at ${planned.arrival[i]} s now, ${stored.arrival[i]} s then`;
    }
    if (
      planned.promptTokens[i] !== stored.promptTokens[i] ||
      planned.outputTokens[i] !== stored.outputTokens[i]
    ) {
      return (
        `request #${i} has ${planned.promptTokens[i]}/${planned.outputTokens[i]} prompt/output tokens now, ` +
        `${stored.promptTokens[i]}/${stored.outputTokens[i]} then`
      );
    }
  }
  return null;
}
