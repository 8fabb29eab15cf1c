/**
 * The `runs.*` operations of the API (runner/api/api-contract.ts) and `export.report`: list and
 * filter runs across sweeps, read one run, read a done run's per-request records and time series, compare runs,
 * and export a report of chosen runs.
 */
import type { ReplicaLoad } from '../metrics/replica-loads.js';
import { InputError } from '../errors.js';
import {
  decodeStoredMachineSpec,
  storedMachineDocument,
  storedMachineOf,
  type StoredMachineSpec,
} from '../machines/stored-machine-spec.js';
import { exportFileName } from '../reports/export-file-name.js';
import { renderHtmlReport } from '../reports/html-report.js';
import { sweepSummaryOf } from '../sweeps/sweep-summary.js';
import { loadRunsReportData } from '../reports/load-report-data.js';
import { runsTableRows, toCsv, toJson } from '../reports/runs-table.js';
import type { RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import type { RunDetail, RunQuery, RunRequestsOut, RunSummary } from './api-contract.js';
import {
  requireDoneRun,
  requireRun,
  requireSweep,
  type HandlerContext,
  type OperationHandlers,
} from './handler-context.js';
import { compareData } from './compare-data.js';

/** The operations this module handles. */
export type RunsOp =
  'runs.list' | 'runs.get' | 'runs.requests' | 'runs.timeSeries' | 'runs.compare' | 'export.report';

/**
 * The `runs.*` and `export.report` handlers.
 * @throws (from the handlers) NotFoundError for an unknown run, InputError for a run without
 *   results, a baseline that is not among the compared runs, or a sweep whose stored machine JSON
 *   cannot be read
 */
export function runsHandlers({ store, registry }: HandlerContext): OperationHandlers<RunsOp> {
  /** A run's machine document: its sweep's, or that sweep's entry of its name (several machines). */
  const machineOf = (sweepId: number, machine: string): Omit<StoredMachineSpec, 'machines'> => {
    const spec = decodeStoredMachineSpec(requireSweep(store, sweepId).machineJson, `sweep ${sweepId}`);
    return storedMachineOf(spec, machine) ?? spec;
  };
  return {
    'runs.list': (query) =>
      runSummaries(
        store,
        queryRuns(store.listRuns(query.sweepIds?.length === 1 ? { sweepId: query.sweepIds[0] } : {}), query),
      ),
    'runs.get': ({ runId }) => runDetail(store, requireRun(store, runId)),
    'runs.requests': ({ runId, maxPoints }) => {
      requireDoneRun(store, runId);
      return requestsOut(runId, store.getRequestRecords(runId), maxPoints);
    },
    'runs.timeSeries': ({ runId }) => {
      const run = requireDoneRun(store, runId);
      const ts = store.getTimeSeries(runId);
      const machine = machineOf(run.sweepId, run.machine);
      return {
        runId,
        tS: [...ts.t],
        queueLength: [...ts.queueLength],
        running: [...ts.running],
        kvBlocks: [...ts.kvBlocks],
        // A cluster's series sums its replicas' KV blocks: its capacity is theirs summed.
        kvCapacityBlocks: machine.kvCapacityBlocks * (run.metrics?.replicas ?? 1),
        prefillTokens: [...ts.prefillTokens],
        decodeCount: [...ts.decodeCount],
      };
    },
    'runs.compare': ({ runIds, baselineId, maxPointsPerRun }) => {
      const rows = runIds.map((id) => requireRun(store, id));
      if (baselineId !== undefined && !runIds.includes(baselineId)) {
        throw new InputError(`baselineId ${baselineId} is not one of runIds`, { field: 'baselineId' });
      }
      return compareData(rows, runSummaries(store, rows), baselineId, maxPointsPerRun, {
        digest: (id) => store.getRunDigest(id),
        timeSeries: (id) => store.getTimeSeries(id),
        machineOf,
      });
    },
    'export.report': ({ runIds, format }) => {
      const data = loadRunsReportData(store, runIds);
      // Named after the runs' sweeps and the date (runner/reports/export-file-name.ts).
      const sweepIds = [...new Set(data.runs.map((r) => r.sweepId))];
      const sweepNames = sweepIds.map((id) => store.getSweep(id)?.name ?? `sweep-${id}`);
      const filename = exportFileName(sweepNames, new Date(), format);
      if (format === 'html') {
        // A whole sweep's report states its summary's verdicts, capacity verdicts included.
        const whole =
          sweepIds.length === 1 && data.runs.length === store.listRuns({ sweepId: sweepIds[0] }).length;
        const verdicts = whole ? sweepSummaryOf(store, sweepIds[0], registry) : undefined;
        return { filename, mime: 'text/html', content: renderHtmlReport(data, verdicts ? { verdicts } : {}) };
      }
      if (format === 'csv') return { filename, mime: 'text/csv', content: toCsv(runsTableRows(data.runs)) };
      return { filename, mime: 'application/json', content: toJson(data.runs) };
    },
  };
}

/**
 * Runs as `runs.list` reports them, each with its sweep's name (`?` for a sweep that is gone);
 * every sweep is read once per call, and nothing is kept across calls.
 */
function runSummaries(store: Store, rows: readonly RunRow[]): RunSummary[] {
  const sweepNames = new Map<number, string>();
  return rows.map((r) => {
    let sweepName = sweepNames.get(r.sweepId);
    if (sweepName === undefined) {
      sweepName = store.getSweep(r.sweepId)?.name ?? '?';
      sweepNames.set(r.sweepId, sweepName);
    }
    return {
      id: r.id,
      sweepId: r.sweepId,
      sweepName,
      policy: r.policy,
      params: r.params,
      workload: r.workload,
      rate: r.rate,
      seed: r.seed,
      machine: r.machine,
      originHost: r.originHost,
      status: r.status,
      error: r.error,
      createdAt: r.createdAt,
      stable: r.stable,
      metrics: r.metrics,
    };
  });
}

/**
 * A run as `runs.get` reports it: its summary (runSummaries), run key, workload description,
 * warnings, stability verdict, timestamps, and its sweep's machine document (null when the sweep
 * is gone or its document cannot be read: `sweeps.get` names the problem), and for a done run on a
 * cluster of replicas what each replica served (its stored digest's replicaLoads).
 */
function runDetail(store: Store, run: RunRow): RunDetail {
  const sweep = store.getSweep(run.sweepId);
  let machineInfo: Record<string, unknown> | null = null;
  if (sweep) {
    try {
      machineInfo = storedMachineDocument(sweep.machineJson, `sweep ${sweep.id}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
  }
  const workloadSpec: unknown = JSON.parse(run.workloadJson);
  return {
    ...runSummaries(store, [run])[0],
    runKey: run.runKey,
    workloadSpec:
      typeof workloadSpec === 'object' && workloadSpec !== null && !Array.isArray(workloadSpec)
        ? (workloadSpec as Record<string, unknown>)
        : { value: workloadSpec },
    warnings: run.warnings,
    stability: run.stability,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    machineInfo,
    replicaLoads: replicaLoadsOf(store, run),
  };
}

/** The per-replica load of a done cluster run (its stored digest's), else null. */
function replicaLoadsOf(store: Store, run: RunRow): ReplicaLoad[] | null {
  if (run.status !== 'done' || (run.metrics?.replicas ?? 1) < 2) return null;
  const loads = store.getRunDigest(run.id).replicaLoads;
  return loads === undefined ? null : [...loads];
}

/**
 * Applies the filters and the sort of a `runs.list` query: every filter given must match (values
 * within one filter are alternatives), then the runs sort by `sortBy` (a RunRow field or a metric
 * key; default `id`), missing values last in either direction, ties by id; at most `limit` are kept.
 */
export function queryRuns(rows: RunRow[], q: RunQuery): RunRow[] {
  const inList = <T>(list: T[] | undefined, value: T): boolean => list === undefined || list.includes(value);
  const out = rows.filter(
    (r) =>
      inList(q.sweepIds, r.sweepId) &&
      inList(q.policies, r.policy) &&
      inList(q.workloads, r.workload) &&
      inList(q.machines, r.machine) &&
      inList(q.statuses, r.status) &&
      (q.rateMin === undefined || (r.rate !== null && r.rate >= q.rateMin)) &&
      (q.rateMax === undefined || (r.rate !== null && r.rate <= q.rateMax)) &&
      (q.createdAfter === undefined || r.createdAt >= q.createdAfter) &&
      (q.createdBefore === undefined || r.createdAt <= q.createdBefore),
  );
  const key = q.sortBy ?? 'id';
  const valueOf = (r: RunRow): number | string | null => {
    if (key in r && key !== 'metrics' && key !== 'params') {
      const v = (r as unknown as Record<string, unknown>)[key];
      return typeof v === 'number' || typeof v === 'string' ? v : null;
    }
    const m = r.metrics?.[key as keyof NonNullable<RunRow['metrics']>];
    return typeof m === 'number' ? m : null;
  };
  const sign = q.descending ? -1 : 1;
  out.sort((a, b) => {
    const va = valueOf(a);
    const vb = valueOf(b);
    if (va === vb) return a.id - b.id;
    if (va === null) return 1; // missing values last, either direction
    if (vb === null) return -1;
    return (va < vb ? -1 : 1) * sign;
  });
  return q.limit === undefined ? out : out.slice(0, q.limit);
}

/**
 * Per-request columns of a run (`runs.requests`), at most `maxPoints` rows: every k-th request,
 * plus the tenth of `maxPoints` requests with the largest E2E (so a decimated scatter still shows
 * the tail). Times are seconds; TTFT, E2E and TPOT are null where the request never got there.
 */
function requestsOut(
  runId: number,
  r: ReturnType<Store['getRequestRecords']>,
  maxPoints: number,
): RunRequestsOut {
  const n = r.arrival.length;
  let index: number[];
  if (n <= maxPoints) {
    index = Array.from({ length: n }, (_, i) => i);
  } else {
    const tail = Math.floor(maxPoints / 10);
    const byE2e = Array.from({ length: n }, (_, i) => i)
      .filter((i) => !Number.isNaN(r.finish[i]))
      .sort((a, b) => r.finish[b] - r.arrival[b] - (r.finish[a] - r.arrival[a]))
      .slice(0, tail);
    const stride = n / (maxPoints - tail);
    const picked = new Set(byE2e);
    for (let k = 0; picked.size < maxPoints && k < maxPoints - tail; k++) picked.add(Math.floor(k * stride));
    index = [...picked].sort((a, b) => a - b);
  }
  const nullIfNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);
  return {
    runId,
    count: n,
    decimated: index.length < n,
    index,
    arrivalS: index.map((i) => r.arrival[i]),
    promptTokens: index.map((i) => r.promptTokens[i]),
    outputTokens: index.map((i) => r.outputTokens[i]),
    ttftS: index.map((i) => nullIfNaN(r.firstToken[i] - r.arrival[i])),
    e2eS: index.map((i) => nullIfNaN(r.finish[i] - r.arrival[i])),
    tpotS: index.map((i) =>
      r.outputTokens[i] > 1 ? nullIfNaN((r.finish[i] - r.firstToken[i]) / (r.outputTokens[i] - 1)) : null,
    ),
    evictions: index.map((i) => r.evictions[i]),
    preemptions: index.map((i) => r.preemptions[i]),
  };
}
