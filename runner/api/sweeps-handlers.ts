/**
 * The `sweeps.*` operations of the API (runner/api/api-contract.ts): list, read, validate, start,
 * resume, cancel, watch, summarise, rename and delete sweeps, executed in the background by the
 * context's SweepManager.
 */
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.js';
import { planClusterSizes } from '../sweeps/cluster-sizes.js';
import { workloadFluidLimit } from '../sweeps/workload-fluid-limit.js';
import { storedMachineDocument, storedMachineName } from '../machines/stored-machine-spec.js';
import { sweepSummaryOf } from '../sweeps/sweep-summary.js';
import { capacityRows, capacityVerdictsOf } from '../sweeps/capacity-report.js';
import type { SweepRow } from '../store/sweep-row.js';
import type { SweepSnapshot } from '../sweeps/sweep-manager.js';
import { planSweepText, type SweepPlan } from '../sweeps/sweep-plan.js';
import type { SweepProgressOut, SweepSummary, ValidateFluidOut } from './api-contract.js';
import { ConflictError } from './api-errors.js';
import {
  dataRootPath,
  requireSweep,
  type HandlerContext,
  type OperationHandlers,
} from './handler-context.js';

/** The operations this module handles. */
export type SweepsOp =
  | 'sweeps.list'
  | 'sweeps.get'
  | 'sweeps.validate'
  | 'sweeps.start'
  | 'sweeps.resume'
  | 'sweeps.cancel'
  | 'sweeps.progress'
  | 'sweeps.summary'
  | 'sweeps.capacity'
  | 'sweeps.rename'
  | 'sweeps.delete';

/**
 * The `sweeps.*` handlers. A spec given as text plans against `dir` (default `.`) resolved
 * against the context's working directory, with the context's registry; with data roots, every
 * file path in its workloads must lie under them, checked before planning reads anything.
 * @throws (from the handlers) NotFoundError for an unknown sweep, ConflictError when a sweep to
 *   start, resume or delete is running here, InputError for a bad spec (`sweeps.start`) or a
 *   sweep whose stored machine JSON cannot be read
 */
export function sweepsHandlers(ctx: HandlerContext): OperationHandlers<SweepsOp> {
  const { store, manager, registry } = ctx;
  const plan = (yaml: string, dir: string | undefined): ReturnType<typeof planSweepText> =>
    planSweepText(yaml, { file: 'spec.yaml', dir: resolve(ctx.cwd, dir ?? '.'), registry });
  // Before anything is planned (and read): the spec's files must lie under the data roots.
  const checkRoots = (yaml: string, dir: string | undefined): void => {
    if (ctx.dataRoots === undefined) return;
    const specDir = resolve(ctx.cwd, dir ?? '.');
    for (const path of specFilePaths(yaml)) dataRootPath({ ...ctx, cwd: specDir }, path, 'spec file');
  };
  return {
    'sweeps.list': () => store.listSweeps().map((sweep) => sweepSummary(ctx, sweep)),
    'sweeps.get': ({ sweepId }) => {
      const sweep = requireSweep(store, sweepId);
      return {
        ...sweepSummary(ctx, sweep),
        specYaml: sweep.specYaml,
        specPath: sweep.specPath,
        machineInfo: storedMachineDocument(sweep.machineJson, `sweep ${sweep.id}`),
      };
    },
    'sweeps.validate': ({ yaml, dir }) => {
      checkRoots(yaml, dir);
      try {
        const planned = plan(yaml, dir);
        return {
          ok: true,
          runs: planned.runs.length,
          machine: planned.machines.map((pm) => pm.machine.name).join(', '),
          workloads: [...new Set(planned.workloads.map((w) => w.label))],
          policies: [...new Set([...planned.runs, ...planned.searches].map((r) => r.policy.policy))],
          warnings: planned.warnings,
          searches: planned.searches.length,
          fluid: fluidLimits(planned),
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
      checkRoots(yaml, dir);
      const planned = plan(yaml, dir);
      const existing = store.findSweepByHash(planned.specHash);
      if (existing && manager.activeSweeps().includes(existing.id)) {
        throw new ConflictError(`sweep ${existing.id} (${existing.name}) is already running`);
      }
      return manager.start(planned);
    },
    'sweeps.resume': async ({ sweepId }) => {
      requireSweep(store, sweepId);
      if (manager.activeSweeps().includes(sweepId))
        throw new ConflictError(`sweep ${sweepId} is already running`);
      const { sweepId: id } = await manager.resume(sweepId);
      return { sweepId: id };
    },
    'sweeps.cancel': async ({ sweepId }) => {
      requireSweep(store, sweepId);
      return { cancelled: await manager.cancel(sweepId) };
    },
    'sweeps.progress': ({ sweepId }) => {
      requireSweep(store, sweepId);
      return progressOut(manager.snapshot(sweepId));
    },
    'sweeps.summary': ({ sweepId }) => {
      requireSweep(store, sweepId);
      return sweepSummaryOf(store, sweepId, registry);
    },
    'sweeps.capacity': ({ sweepId }) => {
      requireSweep(store, sweepId);
      const searches = capacityRows(store, sweepId, registry);
      return { searches, verdicts: capacityVerdictsOf(searches) };
    },
    'sweeps.rename': ({ sweepId, name }) => {
      requireSweep(store, sweepId);
      return sweepSummary(ctx, store.renameSweep(sweepId, name));
    },
    'sweeps.delete': ({ sweepId }) => {
      // Checked and deleted in one synchronous step: no execution can start in between.
      const sweep = requireSweep(store, sweepId);
      if (manager.activeSweeps().includes(sweepId)) {
        throw new ConflictError(`sweep ${sweepId} (${sweep.name}) is running: cancel it before deleting it`);
      }
      const counts = store.runCounts(sweepId);
      store.deleteSweep(sweepId);
      return {
        sweepId,
        name: sweep.name,
        runs: counts.queued + counts.running + counts.done + counts.failed,
      };
    },
  };
}

/**
 * Every `path` string under the spec's `workloads` (trace and lengths files, in grid lists too),
 * found by walking the parsed YAML; none when the text does not parse (then planning reports it
 * before reading any file).
 */
function specFilePaths(yaml: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(yaml, { maxAliasCount: 100 });
  } catch {
    return [];
  }
  const paths: string[] = [];
  const walk = (node: unknown, key: string | null): void => {
    if (typeof node === 'string') {
      if (key === 'path') paths.push(node);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, key);
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  if (doc !== null && typeof doc === 'object' && 'workloads' in doc) walk(doc.workloads, null);
  return paths;
}

/**
 * A stored sweep as `sweeps.list` reports it: its run counts, its machine's name (from the stored
 * machine JSON; `?` when that document is damaged, which the sweep's `sweeps.get` then reports),
 * whether this runner executes it now, and which other process does (its lease's holder).
 */
function sweepSummary({ store, manager }: HandlerContext, sweep: SweepRow): SweepSummary {
  const counts = store.runCounts(sweep.id);
  const active = manager.activeSweeps().includes(sweep.id);
  const holder = active ? undefined : store.sweepHolder(sweep.id);
  return {
    id: sweep.id,
    name: sweep.name,
    machine: storedMachineName(sweep.machineJson),
    createdAt: sweep.createdAt,
    finishedAt: sweep.finishedAt,
    originHost: sweep.originHost,
    imported: sweep.originDb !== null,
    counts,
    active,
    runBy: holder ? { pid: holder.pid, host: holder.host, since: holder.acquiredAt } : null,
  };
}

/**
 * The fluid stability limit of each workload grid point of a plan on each of its machines, beside
 * its rate or capacity search (`sweeps.validate`; workloadFluidLimit,
 * runner/sweeps/workload-fluid-limit.ts): machine by machine, workloads in plan order; one
 * replica's, with the cluster sizes of the spec's policies beside it.
 */
function fluidLimits(plan: SweepPlan): ValidateFluidOut[] {
  const replicas = planClusterSizes(plan);
  return plan.machines.flatMap((pm, mi) =>
    plan.workloads.map((w, wi) => ({
      workload: w.label,
      machine: pm.machine.name,
      rateRps: w.search ? null : w.rate,
      search: w.search ? { minRps: w.search.minRps, maxRps: w.search.maxRps } : null,
      maxStableRateRps: workloadFluidLimit(plan, wi, mi),
      replicas,
    })),
  );
}

/** A SweepManager snapshot as `sweeps.progress` and the `progress` event report it. */
export function progressOut(s: SweepSnapshot): SweepProgressOut {
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
