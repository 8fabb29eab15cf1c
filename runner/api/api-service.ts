import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  DatasetSummaries,
  datasetCatalog,
  datasetPath,
  importedDataset,
  type CatalogDataset,
} from '../datasets/dataset-catalog.js';
import { importDataset } from '../datasets/import-dataset.js';
import { removeDataset } from '../datasets/remove-dataset.js';
import { previewTrace } from '../datasets/trace-preview.js';
import { InputError } from '../errors.js';
import { BUILT_IN_MACHINES, type MachineRegistry } from '../latency/machine.js';
import { PROFILE_MACHINE_PREFIX } from '../latency/worker-machine-ref.js';
import { renderHtmlReport } from '../reports/html-report.js';
import { loadRunsReportData } from '../reports/load-report-data.js';
import { runsTableRows, toCsv, toJson } from '../reports/runs-table.js';
import { importDatabase } from '../store/import-database.js';
import type { RunRow } from '../store/run-row.js';
import { StoreStateError } from '../store/store-state-error.js';
import type { Store } from '../store/store.js';
import type { SweepRow } from '../store/sweep-row.js';
import { SweepManager, type SweepSnapshot } from '../sweeps/sweep-manager.js';
import { planSweepText } from '../sweeps/sweep-plan.js';
import { describeWorkerMachine } from '../workers/start-worker.js';
import {
  API_VERSION,
  isApiOp,
  parseApiInput,
  type ApiErrorOut,
  type ApiEventName,
  type ApiEvents,
  type ApiInput,
  type ApiOp,
  type ApiOutputs,
  type DatasetOut,
  type MachinesOut,
  type RunQuery,
  type RunRequestsOut,
  type RunSummary,
  type SweepProgressOut,
  type SweepSummary,
} from './api-contract.js';
import { compareData, type CompareSources } from './compare-data.js';

/** The result of one API call on any transport. */
export type ApiResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorOut };

/** What every transport (IPC relay, HTTP, CLI) talks to. */
export interface ApiHandler {
  /** Validates the input against the contract and runs the operation; never throws. */
  call(op: string, input: unknown): Promise<ApiResult>;
  /** Subscribes to pushed events; returns an unsubscribe function. */
  subscribe(listener: (event: ApiEventName, data: unknown) => void): () => void;
}

/** Options of {@link createApiService}. */
export interface ApiServiceOptions {
  /** Runs simulated in parallel per sweep (worker threads). */
  jobs: number;
  /** Directory relative spec paths resolve against when a call gives none. */
  cwd: string;
}

/** A not-found failure (a missing sweep or run); transports map it to 404. */
class NotFoundError extends Error {}
/** A conflicting request (e.g. starting a sweep that is already running); transports map it to 409. */
class ConflictError extends Error {}

/**
 * The runner's API (runner/api/api-contract.ts) on one open store: sweeps run in the background
 * through a SweepManager, whose progress is pushed to subscribers as `progress` and `ended`
 * events. Every call's input is validated first; errors come back as ApiErrorOut, never thrown.
 *
 * @param store the results database; the service is its only writer while it runs
 * @returns the handler, and `close` to cancel running sweeps (their running runs go back to the queue)
 */
export function createApiService(
  store: Store,
  options: ApiServiceOptions,
): ApiHandler & { close(): Promise<void> } {
  const registry = (): MachineRegistry => store;
  const manager = new SweepManager(store, { jobs: options.jobs, registry });
  const listeners = new Set<(event: ApiEventName, data: unknown) => void>();
  const emit = <E extends ApiEventName>(event: E, data: ApiEvents[E]): void => {
    for (const l of listeners) l(event, data);
  };
  manager.on('progress', (s: SweepSnapshot) => emit('progress', progressOut(s)));
  manager.on('ended', (e: ApiEvents['ended']) => emit('ended', e));

  const sweepSummary = (sweep: SweepRow): SweepSummary => {
    const counts = store.runCounts(sweep.id);
    const machine = JSON.parse(sweep.machineJson) as { name?: string };
    return {
      id: sweep.id,
      name: sweep.name,
      machine: machine.name ?? '?',
      createdAt: sweep.createdAt,
      finishedAt: sweep.finishedAt,
      originHost: sweep.originHost,
      imported: sweep.originDb !== null,
      counts,
      active: manager.activeSweeps().includes(sweep.id),
    };
  };
  const requireSweep = (sweepId: number): SweepRow => {
    const sweep = store.getSweep(sweepId);
    if (!sweep) throw new NotFoundError(`no sweep with id ${sweepId}`);
    return sweep;
  };
  const requireDoneRun = (runId: number): RunRow => {
    const run = store.getRun(runId);
    if (!run) throw new NotFoundError(`no run with id ${runId}`);
    if (run.status !== 'done') throw new InputError(`run ${runId} has no results (status ${run.status})`);
    return run;
  };
  const sweepNames = new Map<number, string>();
  const summaryOf = (r: RunRow): RunSummary => {
    if (!sweepNames.has(r.sweepId)) sweepNames.set(r.sweepId, store.getSweep(r.sweepId)?.name ?? '?');
    return {
      id: r.id,
      sweepId: r.sweepId,
      sweepName: sweepNames.get(r.sweepId)!,
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
  };
  const summaries = new DatasetSummaries();
  const datasetOut = (d: CatalogDataset, withSummary = true): DatasetOut => {
    let summary: DatasetOut['summary'] = null;
    let problem: string | null = null;
    try {
      if (withSummary) summary = summaries.get(d.source);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problem = e.message;
    }
    const { source } = d;
    return {
      name: d.name,
      label: d.label,
      description: d.description,
      builtIn: d.builtIn,
      kind: source.kind,
      path: datasetPath(source),
      workload: source.kind === 'trace' ? { trace: source.trace } : { lengths: source.lengths },
      importedFrom: d.importedFrom,
      importedAt: d.importedAt,
      summary,
      problem,
    };
  };
  const machineJsonOf = (sweepId: number): ReturnType<CompareSources['machineOf']> =>
    JSON.parse(requireSweep(sweepId).machineJson) as ReturnType<CompareSources['machineOf']>;

  const handlers: { [Op in ApiOp]: (input: ApiInput<Op>) => ApiOutputs[Op] | Promise<ApiOutputs[Op]> } = {
    health: () => ({
      apiVersion: API_VERSION,
      database: store.file,
      host: hostname(),
      node: process.version,
    }),
    'sweeps.list': () => store.listSweeps().map(sweepSummary),
    'sweeps.get': ({ sweepId }) => {
      const sweep = requireSweep(sweepId);
      return {
        ...sweepSummary(sweep),
        specYaml: sweep.specYaml,
        specPath: sweep.specPath,
        machineInfo: JSON.parse(sweep.machineJson) as Record<string, unknown>,
      };
    },
    'sweeps.validate': ({ yaml, dir }) => {
      try {
        const plan = planSweepText(yaml, {
          file: 'spec.yaml',
          dir: resolve(options.cwd, dir ?? '.'),
          registry,
        });
        return {
          ok: true,
          runs: plan.runs.length,
          machine: plan.machine.name,
          workloads: [...new Set(plan.workloads.map((w) => w.label))],
          policies: [...new Set(plan.runs.map((r) => r.policy.policy))],
          warnings: plan.warnings,
        };
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        return {
          ok: false,
          problem: { message: e.message, line: e.location.line ?? null, field: e.location.field ?? null },
        };
      }
    },
    'sweeps.start': async ({ yaml, dir }) => {
      const plan = planSweepText(yaml, {
        file: 'spec.yaml',
        dir: resolve(options.cwd, dir ?? '.'),
        registry,
      });
      const existing = store.findSweepByHash(plan.specHash);
      if (existing && manager.activeSweeps().includes(existing.id)) {
        throw new ConflictError(`sweep ${existing.id} (${existing.name}) is already running`);
      }
      return manager.start(plan);
    },
    'sweeps.resume': async ({ sweepId }) => {
      requireSweep(sweepId);
      if (manager.activeSweeps().includes(sweepId))
        throw new ConflictError(`sweep ${sweepId} is already running`);
      const { sweepId: id } = await manager.resume(sweepId);
      return { sweepId: id };
    },
    'sweeps.cancel': async ({ sweepId }) => {
      requireSweep(sweepId);
      return { cancelled: await manager.cancel(sweepId) };
    },
    'sweeps.progress': ({ sweepId }) => {
      requireSweep(sweepId);
      return progressOut(manager.snapshot(sweepId));
    },
    'runs.list': (query) =>
      queryRuns(
        store.listRuns(query.sweepIds?.length === 1 ? { sweepId: query.sweepIds[0] } : {}),
        query,
      ).map(summaryOf),
    'runs.requests': ({ runId, maxPoints }) => {
      requireDoneRun(runId);
      return requestsOut(runId, store.getRequestRecords(runId), maxPoints);
    },
    'runs.timeSeries': ({ runId }) => {
      const run = requireDoneRun(runId);
      const ts = store.getTimeSeries(runId);
      const machine = machineJsonOf(run.sweepId);
      return {
        runId,
        tS: [...ts.t],
        queueLength: [...ts.queueLength],
        running: [...ts.running],
        kvBlocks: [...ts.kvBlocks],
        kvCapacityBlocks: machine.kvCapacityBlocks ?? null,
        prefillTokens: [...ts.prefillTokens],
        decodeCount: [...ts.decodeCount],
      };
    },
    'runs.compare': ({ runIds, baselineId, maxPointsPerRun }) => {
      const rows = runIds.map((id) => {
        const run = store.getRun(id);
        if (!run) throw new NotFoundError(`no run with id ${id}`);
        return run;
      });
      if (baselineId !== undefined && !runIds.includes(baselineId)) {
        throw new InputError(`baselineId ${baselineId} is not one of runIds`, { field: 'baselineId' });
      }
      return compareData(rows, rows.map(summaryOf), baselineId, maxPointsPerRun, {
        records: (id) => store.getRequestRecords(id),
        timeSeries: (id) => store.getTimeSeries(id),
        machineOf: machineJsonOf,
      });
    },
    'export.report': ({ runIds, format }) => {
      const data = loadRunsReportData(store, runIds);
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      if (format === 'html') {
        return { filename: `schedbench-${stamp}.html`, mime: 'text/html', content: renderHtmlReport(data) };
      }
      if (format === 'csv') {
        return {
          filename: `schedbench-${stamp}.csv`,
          mime: 'text/csv',
          content: toCsv(runsTableRows(data.runs)),
        };
      }
      return { filename: `schedbench-${stamp}.json`, mime: 'application/json', content: toJson(data.runs) };
    },
    'machines.list': () => machinesOut(store),
    'datasets.list': ({ summaries: withSummaries }) =>
      datasetCatalog(store).map((d) => datasetOut(d, withSummaries)),
    'datasets.preview': ({ path, ...choices }) =>
      previewTrace({ path: resolve(options.cwd, path), ...choices }),
    'datasets.import': ({ path, ...rest }) => {
      const { dataset, summary } = importDataset(store, { ...rest, path: resolve(options.cwd, path) });
      const entry = importedDataset(dataset);
      summaries.remember(entry.source, summary);
      return datasetOut(entry);
    },
    'datasets.remove': ({ name }) => removeDataset(store, name),
    'database.import': ({ path }) => ({
      summary: { ...importDatabase(store, resolve(options.cwd, path)) } as unknown as Record<string, number>,
    }),
  };

  return {
    async call(op: string, input: unknown): Promise<ApiResult> {
      if (!isApiOp(op)) {
        return { ok: false, error: { code: 'not-found', message: `unknown API operation "${op}"` } };
      }
      const parsed = parseApiInput(op, input);
      if (!parsed.ok) return parsed;
      try {
        const handler = handlers[op] as (input: unknown) => unknown;
        return { ok: true, value: await handler(parsed.value) };
      } catch (e) {
        return { ok: false, error: errorOut(e) };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => manager.close(),
  };
}

/** A thrown error as the contract reports it. */
function errorOut(e: unknown): ApiErrorOut {
  if (e instanceof InputError || e instanceof StoreStateError) {
    const location = e instanceof InputError ? e.location : {};
    return {
      code: 'bad-input',
      message: e.message,
      ...(location.line === undefined ? {} : { line: location.line }),
      ...(location.field === undefined ? {} : { field: location.field }),
    };
  }
  if (e instanceof NotFoundError) return { code: 'not-found', message: e.message };
  if (e instanceof ConflictError) return { code: 'conflict', message: e.message };
  return { code: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

/** A SweepManager snapshot as the contract reports it. */
function progressOut(s: SweepSnapshot): SweepProgressOut {
  return {
    sweepId: s.sweepId,
    name: s.name,
    active: s.active,
    counts: { queued: s.queued, running: s.running, done: s.done, failed: s.failed },
    total: s.total,
    etaS: s.etaS,
    live: s.live.map((l) => ({
      runId: l.runId,
      label: l.label,
      simTimeS: l.simTimeS,
      finished: l.finished,
      total: l.total,
      queueLength: l.queueLength,
      running: l.running,
      throughputTokS: l.throughputTokS,
    })),
  };
}

/** Applies the filters and the sort of a `runs.list` query. */
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
 * Per-request columns of a run, at most `maxPoints` rows: every k-th request, plus the requests
 * with the largest E2E (so a decimated scatter still shows the tail).
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

/** `machines.list`. */
function machinesOut(store: Store): MachinesOut {
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    simulated: Object.values(BUILT_IN_MACHINES).map((make) => {
      const m = make();
      return {
        name: m.name,
        description: m.description,
        gpu: m.hardware?.gpu ?? null,
        model: m.hardware?.model ?? null,
        kvCapacityBlocks: m.kvCapacityBlocks,
        blockSize: m.blockSize,
        iterationTime: m.iterationTime.describe(),
        linear: {
          d0: finite(m.linear.d0),
          d1: finite(m.linear.d1),
          exact: m.linear.exact,
          r2: m.linear.r2 ?? null,
        },
      };
    }),
    workers: store.listWorkerMachines().map((w) => ({
      name: w.name,
      kind: w.kind,
      reachedBy: describeWorkerMachine(w),
      createdAt: w.createdAt,
    })),
    calibrations: store.listCalibrations().map((c) => ({
      id: c.id,
      machineRef: `${PROFILE_MACHINE_PREFIX}${c.machine}/${c.model}`,
      dtype: c.dtype,
      gpu: c.gpuName ?? c.device,
      torch: c.torch,
      kvBlocks: c.kvBlocks,
      heldOutErrorPct:
        (c.fit as { heldOut?: { profile?: { meanAbsPct?: number } } }).heldOut?.profile?.meanAbsPct ?? null,
      createdAt: c.createdAt,
    })),
  };
}
