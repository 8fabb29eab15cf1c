import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { resolveMachine, resolvedRefOf } from '../machines/resolve-machine.js';
import type { Machine } from '../machines/machine.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import type { MachineRef, ResolvedMachineRef } from '../machines/machine-ref.js';
import type { WorkerMachineRef } from '../machines/worker-machine-ref.js';
import { stableJson } from '../stable-json.js';
import { createScheduler, PolicySpecSchema, type PolicySpec } from '../schedulers/policy-spec.js';
import { clusterOf, withEffectiveCluster } from '../schedulers/cluster-fields.js';
import { prefixCachingOf } from '../schedulers/prefix-caching.js';
import {
  buildRequestList,
  loadWorkload,
  nominalRate,
  type LoadedWorkload,
} from '../workloads/build-workload.js';
import { MAX_SPEC_FILE_BYTES, readRegularFile } from '../workloads/regular-file.js';
import type { RequestList } from '../workloads/request-list.js';
import type { Slo } from '../workloads/slo-spec.js';
import { WorkloadSpecSchema, type WorkloadSpec } from '../workloads/workload-spec.js';
import { schedulerContextOf, type RunTask } from './run-task.js';
import { checkSpecSize, countGrid, expandGrid, sourcePathOf, type GridPoint } from './grid.js';
import { SpecDocument, type SpecPath } from './spec-document.js';
import { specMachines, SweepSpecSchema, type SweepSpec } from './sweep-spec.js';
import { oversizeRequestsOf, withoutRequests } from './oversize.js';
import { IdenticalSeeds } from './identical-seeds.js';
import { extractRateSearch } from './rate-search.js';
import type { CapacitySearchSettings } from '../metrics/capacity-search.js';

/** One grid point of a workload entry, with its files loaded. */
export interface PlannedWorkload {
  /** `name` plus any non-rate axis values, e.g. `sharegpt maxTokens=2048`. */
  label: string;
  /** Index of the spec's workload entry this grid point came from. */
  entry: number;
  spec: WorkloadSpec;
  loaded: LoadedWorkload;
  /** Mean nominal rate, req/s (for a capacity search, the rate of this probe or the search's `min`). */
  rate: number;
  /**
   * The capacity search this workload entry asks for (`rate: {search: ...}`), else null. A search
   * workload has no planned runs: its probes are added as the search goes (capacity-probes.ts).
   */
  search: CapacitySearchSettings | null;
}

/** One machine of the sweep (the spec's `machine`, or one element of its list), resolved. */
export interface PlannedMachine {
  /** The spec's reference, as written (validated). */
  ref: MachineRef;
  machine: Machine;
  /**
   * The machine as run tasks carry it (no database needed): the spec's reference, a `profile:`
   * name replaced by its calibration; the spec's worker reference for GPU-worker runs.
   */
  taskMachine: ResolvedMachineRef | WorkerMachineRef;
}

/**
 * One capacity search of the sweep: a search workload under one policy on one machine, over the
 * sweep's seeds.
 */
export interface PlannedSearch {
  /** Index in SweepPlan.workloads of the workload grid point whose rate is searched. */
  workloadIndex: number;
  /** Index in SweepPlan.machines of the machine its probes run on. */
  machineIndex: number;
  policy: PolicySpec;
  settings: CapacitySearchSettings;
  /** The seeds each probe runs: the spec's, less those whose request list repeats another's. */
  seeds: number[];
  /**
   * Per seed, the indices of the requests that can never fit under the policy (`oversize: skip`
   * leaves them out of every probe; lengths do not change with the rate); absent seeds have none.
   */
  oversize: Map<number, number[]>;
}

/** One run of the sweep: a workload grid point, a policy grid point, a seed and a machine. */
export interface PlannedRun {
  /** Stable identity inside the sweep (hash of workload, policy, seed, machine, engine settings). */
  runKey: string;
  workloadIndex: number;
  /** Index in SweepPlan.machines of the machine it runs on. */
  machineIndex: number;
  policy: PolicySpec;
  seed: number;
  /**
   * With `oversize: skip`, when some requests of the (workload, seed) list can never fit under
   * this policy: the list without them (shared by the policies that keep the same blocks free)
   * and how many were left out. Absent otherwise. See runRequestsOf.
   */
  oversize?: { requests: RequestList; rejected: number };
}

/** A fully validated sweep, ready to store and execute. */
export interface SweepPlan {
  /** The spec's file as given (planSweep), or the label of a spec text (planSweepText); used in messages. */
  file: string;
  /** The spec's directory, absolute: relative paths inside the spec resolve against it. */
  dir: string;
  /**
   * Where the sweep records its spec came from (SweepRow.specPath): `file` when it lies in `dir`
   * (always for planSweep), else `file`'s name placed in `dir`, so that the directory of the
   * stored path is always the spec's directory and a stored sweep can be planned again.
   */
  specPath: string;
  specYaml: string;
  spec: SweepSpec;
  /** Hash of the validated spec and its directory: re-running the same spec resumes the same sweep. */
  specHash: string;
  /**
   * The sweep's machines, in the spec's order: one, or the elements of a `machine` list (a grid
   * axis: every run of the grid on each; a seed gives the same requests on every machine).
   */
  machines: PlannedMachine[];
  /** The first machine (`machines[0].machine`): the only one unless `machine` is a list. */
  machine: Machine;
  /** The first machine's task reference (`machines[0].taskMachine`). */
  taskMachine: ResolvedMachineRef | WorkerMachineRef;
  workloads: PlannedWorkload[];
  runs: PlannedRun[];
  /** Capacity searches (workload x policy), run after and beside the planned runs. */
  searches: PlannedSearch[];
  /**
   * Request list of each (workload index, seed), shared by every policy (common random numbers).
   * A seed whose list is identical to an earlier seed's for that workload (a trace replayed
   * whole, say) has no entry and no runs; `warnings` names it (identical-seeds.ts).
   */
  requestLists: Map<string, RequestList>;
  /** Notes about the input (e.g. zero token counts read as 1). */
  warnings: string[];
}

/**
 * The task that executes a planned run (also used to check feasibility before storing).
 * @param runId the stored run's id (0 before it is stored)
 */
export function runTaskOf(
  plan: Pick<SweepPlan, 'spec' | 'workloads' | 'requestLists' | 'machines'>,
  run: PlannedRun,
  runId: number,
): RunTask {
  const w = plan.workloads[run.workloadIndex];
  return {
    runId,
    requests: runRequestsOf(plan, run),
    machine: plan.machines[run.machineIndex].taskMachine,
    policy: run.policy,
    tokenModel: plan.spec.tokenModel,
    horizonS: plan.spec.horizon ?? null,
    rateRps: w.rate,
    declaredTypes: w.loaded.kind === 'types' ? [...w.loaded.types] : null,
    seed: run.seed,
    slo: sloOf(plan.spec, w.spec),
    rejected: run.oversize?.rejected ?? 0,
  };
}

/**
 * The requests a planned run simulates: its (workload, seed) list, less the requests that can
 * never fit under its policy when the spec says `oversize: skip` (PlannedRun.oversize).
 */
export function runRequestsOf(plan: Pick<SweepPlan, 'requestLists'>, run: PlannedRun): RequestList {
  return run.oversize?.requests ?? plan.requestLists.get(requestListKey(run.workloadIndex, run.seed))!;
}

/**
 * The SLO of a workload's runs: the workload's own `slo` if it has one (it replaces the spec's
 * whole), else the spec's, else null.
 */
export function sloOf(spec: Pick<SweepSpec, 'slo'>, workload: WorkloadSpec): Slo | null {
  return workload.slo ?? spec.slo ?? null;
}

/** Key of a request list in SweepPlan.requestLists. */
export function requestListKey(workloadIndex: number, seed: number): string {
  return `${workloadIndex}/${seed}`;
}

const RATE_AXES = new Set(['rate', 'arrival.rate']);

/**
 * Reads, validates and expands a sweep spec: YAML syntax, the top-level schema, every workload
 * and policy grid point, the machine, every trace or lengths file (all rows), and that every
 * request of every run can fit in the machine's KV cache. Nothing is stored.
 * @param file path of the YAML spec; relative paths inside it resolve against its directory
 * @param options.registry opens the database where worker machines and calibrations are looked
 *   up; called only when the spec's machine is `profile:...` or a worker
 * @throws InputError naming the file and the line or field of the problem found: every schema
 *   problem of the top-level spec, else of all workload and policy grid points (one per line, up
 *   to MAX_LISTED_PROBLEMS), else the first problem of the later checks
 */
export function planSweep(file: string, options: { registry?: () => MachineRegistry } = {}): SweepPlan {
  // Only a regular file of at most MAX_SPEC_FILE_BYTES (never a FIFO, a device, a huge file).
  const text = readRegularFile(file, {
    what: 'spec file',
    maxBytes: MAX_SPEC_FILE_BYTES,
    workaround: 'a sweep spec is a short YAML document; split it into several specs',
  }).toString('utf8');
  return planSweepText(text, { file, dir: dirname(resolve(file)), registry: options.registry });
}

/** Options of {@link planSweepText}. */
export interface PlanTextOptions {
  /**
   * Label of the spec in messages (`editor.yaml:12: ...`), which may name no real file; stored
   * with the sweep as its spec path (see SweepPlan.specPath).
   */
  file: string;
  /** Directory that relative paths inside the spec (traces, lengths files) resolve against. */
  dir: string;
  /** As for planSweep. */
  registry?: () => MachineRegistry;
}

/**
 * planSweep for a spec held in memory (an editor's text): the same validation and expansion,
 * the same plan and spec hash as planSweep gives for a file with this text in `options.dir`.
 * Nothing is stored.
 * @param text the YAML spec
 * @throws InputError naming `options.file` and the line or field of the problems found, as planSweep
 */
export function planSweepText(text: string, options: PlanTextOptions): SweepPlan {
  const { file } = options;
  const specDir = resolve(options.dir);
  const doc = SpecDocument.parse(file, text);
  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    throw new InputError(
      `${file}:1: a sweep spec must be a YAML mapping with name, machine, workloads and policies`,
      {
        file,
        line: 1,
      },
    );
  }
  const spec = validate(doc, SweepSpecSchema, doc.value, (p) => p);
  // Sizes are counted from the list lengths before any grid is expanded or list built.
  checkSpecSize(doc, spec);
  const machines = planMachines(doc, spec, options.registry);

  // Every workload and policy grid point is checked against its schema before any file is
  // loaded, and their problems are reported together (SpecProblems).
  const problems = new SpecProblems();
  const points: { i: number; point: GridPoint; ws: WorkloadSpec; search: PlannedWorkload['search'] }[] = [];
  spec.workloads.forEach((raw, i) => {
    for (const point of expandGrid(raw)) {
      const extracted = problems.collect(() =>
        extractRateSearch(point.value, (p, message) =>
          doc.errorAt(['workloads', i, ...sourcePathOf(point, p)], message),
        ),
      );
      if (extracted === undefined) continue;
      const ws = validate(
        doc,
        WorkloadSpecSchema,
        extracted.value,
        (p) => ['workloads', i, ...sourcePathOf(point, p)],
        problems,
      );
      if (ws !== undefined) points.push({ i, point, ws, search: extracted.search });
    }
  });
  const policies: { spec: PolicySpec; entry: number }[] = [];
  spec.policies.forEach((raw, i) => {
    for (const point of expandGrid(raw)) {
      const policy = validate(
        doc,
        PolicySpecSchema,
        point.value,
        (p) => ['policies', i, ...sourcePathOf(point, p)],
        problems,
      );
      if (policy !== undefined) policies.push({ spec: policy, entry: i });
    }
  });
  problems.throwIfAny();
  // An empty list makes an axis of no points: its entry would silently add no runs.
  for (const [key, entries] of [
    ['workloads', spec.workloads],
    ['policies', spec.policies],
  ] as const) {
    entries.forEach((entry, i) => {
      if (countGrid(entry) === 0) {
        throw doc.errorAt(
          [key, i],
          `${key === 'workloads' ? 'workload' : 'policy'} entry ${i + 1} has no grid point: one of its ` +
            'list-valued fields is an empty list ([]); give it at least one value',
        );
      }
    });
  }

  const workloads: PlannedWorkload[] = [];
  const warnings: string[] = [];
  for (const { i, point, ws, search } of points) {
    const loaded = resolveOrLocate(doc, () => loadWorkload(ws, { specDir }), ['workloads', i]);
    warnings.push(...loaded.warnings.map((w) => `workload ${ws.name}: ${w}`));
    workloads.push({
      label: labelOf(ws.name, point),
      entry: i,
      spec: ws,
      loaded,
      rate: nominalRate(loaded, spec.requests),
      search,
    });
  }
  const labels = new Set<string>();
  for (const w of workloads) {
    const at = w.search ? 'a searched rate' : `rate ${w.rate}`;
    if (labels.has(`${w.label}@${at}`)) {
      throw doc.errorAt(
        ['workloads'],
        `two workload grid points are both "${w.label}" at ${at}: give them different names`,
      );
    }
    labels.add(`${w.label}@${at}`);
  }

  const requestLists = new Map<string, RequestList>();
  const runs: PlannedRun[] = [];
  const searches: PlannedSearch[] = [];
  const skipped = new Map<
    string,
    { requests: RequestList; rejected: number; policies: string[]; warning: number }
  >();
  workloads.forEach((w, wi) => {
    // Seeds whose list repeats an earlier seed's are left out, with a warning (identical-seeds.ts).
    const identical = new IdenticalSeeds();
    for (const seed of spec.seeds) {
      const list = resolveOrLocate(doc, () => buildRequestList(w.loaded, { seed, requests: spec.requests }), [
        'workloads',
        w.entry,
      ]);
      if (identical.repeatOf(seed, list) !== undefined) continue;
      requestLists.set(requestListKey(wi, seed), list);
      for (const [mi, { machine, taskMachine }] of machines.entries()) {
        for (const { spec: policy, entry } of policies) {
          if (typeof taskMachine === 'object' && 'worker' in taskMachine) {
            if (clusterOf(policy).replicas > 1) {
              throw doc.errorAt(
                ['policies', entry, 'replicas'],
                `replicas ${clusterOf(policy).replicas} on GPU worker ${machine.name}: a cluster of replicas ` +
                  'runs in the simulator only (a GPU worker serves one replica); use a simulated machine',
              );
            }
            if (list.sessions !== undefined) {
              throw doc.errorAt(
                ['workloads', w.entry, 'sessions'],
                `multi-turn sessions on GPU worker ${machine.name}: sessions run in the simulator only ` +
                  '(the worker executes a fixed list of arrivals); use a simulated machine',
              );
            }
          }
          const run: PlannedRun = { runKey: '', workloadIndex: wi, machineIndex: mi, policy, seed };
          const task = runTaskOf({ spec, workloads, requestLists, machines }, run, 0);
          const scheduler = resolveOrLocate(
            doc,
            () => createScheduler(policy, schedulerContextOf(task, machine)),
            ['policies', entry],
          );
          const reserved = scheduler.reservedBlocks(machine.kvCapacityBlocks);
          const oversize = oversizeRequestsOf(
            list,
            machine.kvCapacityBlocks,
            machine.blockSize,
            reserved,
            spec.tokenModel,
          );
          if (oversize) {
            const where = `workload ${w.label} (seed ${seed}) on machine ${machine.name} under`;
            if (spec.oversize !== 'skip') {
              throw doc.errorAt(
                ['workloads', w.entry],
                `${where} ${policy.policy}: ${oversize.message}; they could never complete: cap request ` +
                  "lengths with the workload's maxTokens, use a larger machine, or set `oversize: skip` to " +
                  'run the others and report these as rejected',
              );
            }
            // Policies that keep the same blocks free share one shortened list and one warning.
            const skipKey = `${requestListKey(wi, seed)}/${mi}/${reserved}`;
            let skip = skipped.get(skipKey);
            if (!skip) {
              const requests = withoutRequests(list, oversize.indices);
              skip = { requests, rejected: oversize.indices.length, policies: [], warning: warnings.length };
              skipped.set(skipKey, skip);
            }
            if (!skip.policies.includes(policy.policy)) skip.policies.push(policy.policy);
            warnings[skip.warning] =
              `${where} ${skip.policies.join(', ')}: ${oversize.message}; ` +
              '`oversize: skip` runs without them (metric `rejected`)';
            run.oversize = { requests: skip.requests, rejected: skip.rejected };
          }
          if (w.search) {
            let search = searches.find(
              (x) => x.workloadIndex === wi && x.machineIndex === mi && x.policy === policy,
            );
            if (!search) {
              search = {
                workloadIndex: wi,
                machineIndex: mi,
                policy,
                settings: w.search,
                seeds: [],
                oversize: new Map(),
              };
              searches.push(search);
            }
            search.seeds.push(seed);
            if (oversize) search.oversize.set(seed, oversize.indices);
            continue;
          }
          run.runKey = runKeyOf(spec, w.spec, policy, seed, machine.name);
          runs.push(run);
        }
      }
    }
    const repeated = identical.warning(w.label, `${file}:${doc.lineOf(['workloads', w.entry]) ?? 1}`);
    if (repeated !== null) warnings.push(repeated);
  });
  const keys = new Set(runs.map((r) => r.runKey));
  if (keys.size !== runs.length)
    throw doc.errorAt(
      ['policies'],
      'the grid contains the same run twice (duplicate workload or policy entries)',
    );

  return {
    file,
    dir: specDir,
    specPath: dirname(resolve(file)) === specDir ? file : join(specDir, basename(file)),
    specYaml: text,
    spec,
    specHash: sha256(stableJson({ spec, specDir })),
    machines,
    machine: machines[0].machine,
    taskMachine: machines[0].taskMachine,
    workloads,
    runs,
    searches,
    requestLists,
    warnings,
  };
}

/**
 * The run key of a run: a hash of everything that determines its result (the workload grid point
 * as validated, the policy and its parameters, the seed, the token model and the horizon, the
 * run's SLO only when it has one, and its machine's name only when the spec lists machines, so
 * keys of single-machine runs without an SLO are those of earlier builds), so the same run in the
 * same sweep is found again on resume, and a capacity probe at a rate a planned run already has
 * reuses that run. The policy's `prefixCaching` enters as its effective value (prefixCachingOf),
 * and only when on: an entry that spells out the default off has the key it had without it, and
 * a `vllm-v1` run, which caches prefixes by default since this field exists, gets a new key (its
 * results before it were computed without caching). `replicas` and `routing` enter only for a
 * cluster (withEffectiveCluster: both, routing's effective value), so one-replica runs keep their keys.
 * @param machine the run's machine name (PlannedMachine.machine.name)
 * @returns 24 hex digits
 */
export function runKeyOf(
  spec: Pick<SweepSpec, 'tokenModel' | 'horizon' | 'slo' | 'machine'>,
  workload: WorkloadSpec,
  policy: PolicySpec,
  seed: number,
  machine: string,
): string {
  const slo = sloOf(spec, workload);
  const { prefixCaching: _, ...settings } = withEffectiveCluster(policy);
  const identity = {
    workload,
    policy: prefixCachingOf(policy) ? { ...settings, prefixCaching: true } : settings,
    seed,
    tokenModel: spec.tokenModel,
    horizon: spec.horizon ?? null,
    ...(slo === null ? {} : { slo }),
    ...(Array.isArray(spec.machine) ? { machine } : {}),
  };
  return sha256(stableJson(identity)).slice(0, 24);
}

/**
 * Resolves the spec's machines (specMachines), in order; the database is opened (registry) only
 * when one of them is a `profile:` calibration or a GPU worker.
 * @throws InputError at `machine` (or `machine[i]`) for a machine that cannot be resolved, or for
 *   two list elements with the same name (their runs could not be told apart)
 */
function planMachines(
  doc: SpecDocument,
  spec: SweepSpec,
  registryOf: (() => MachineRegistry) | undefined,
): PlannedMachine[] {
  const refs = specMachines(spec);
  const needsRegistry = refs.some((ref) =>
    typeof ref === 'string' ? ref.startsWith('profile:') : 'worker' in ref || 'profile' in ref,
  );
  const registry = needsRegistry ? registryOf?.() : undefined;
  const listed = Array.isArray(spec.machine);
  const names = new Map<string, number>();
  return refs.map((ref, i) => {
    const path: SpecPath = listed ? ['machine', i] : ['machine'];
    const machine = resolveOrLocate(doc, () => resolveMachine(ref, registry), path);
    const earlier = names.get(machine.name);
    if (earlier !== undefined) {
      throw doc.errorAt(
        path,
        `machine ${machine.name} is listed twice (elements ${earlier + 1} and ${i + 1}); list each machine once`,
      );
    }
    names.set(machine.name, i);
    const taskMachine =
      typeof ref !== 'string' && 'worker' in ref ? ref : resolvedRefOf(ref, machine, registry);
    return { ref, machine, taskMachine };
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function labelOf(name: string, point: GridPoint): string {
  const extra = Object.entries(point.axes)
    .filter(([axis]) => !RATE_AXES.has(axis))
    .map(([axis, v]) => `${axis}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return extra.length > 0 ? `${name} ${extra.join(' ')}` : name;
}

/** The most problems of a spec one InputError lists (SpecProblems). */
export const MAX_LISTED_PROBLEMS = 20;

/**
 * The problems of a spec found so far, so that one InputError names them all instead of the
 * first: each `file:line: field: message` on a line of its own (the same problem found in
 * several grid points of an entry once), by line, at most MAX_LISTED_PROBLEMS of them, then how
 * many more there are. The error's location is the first listed problem's.
 */
class SpecProblems {
  private readonly errors: InputError[] = [];
  private readonly seen = new Set<string>();

  add(error: InputError): void {
    if (this.seen.has(error.message)) return;
    this.seen.add(error.message);
    this.errors.push(error);
  }

  /** Runs `check`; an InputError it throws is added and undefined returned. */
  collect<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.add(e);
      return undefined;
    }
  }

  /** @throws the InputError listing every problem added, when there is one */
  throwIfAny(): void {
    if (this.errors.length === 1) throw this.errors[0];
    if (this.errors.length === 0) return;
    // In the order of their lines (stable: problems of one line keep the order found).
    const byLine = [...this.errors].sort(
      (a, b) => (a.location.line ?? Infinity) - (b.location.line ?? Infinity),
    );
    const shown = byLine.slice(0, MAX_LISTED_PROBLEMS).map((e) => e.message);
    const more = this.errors.length - shown.length;
    if (more > 0) shown.push(`... and ${more} more problem${more === 1 ? '' : 's'}`);
    throw new InputError(shown.join('\n'), byLine[0].location);
  }
}

/**
 * Validates with a zod schema; every issue (each unknown field its own) becomes an InputError at
 * its mapped YAML line. With `problems`, they are added there and undefined is returned;
 * without, they are thrown together (SpecProblems).
 */
function validate<S extends z.ZodType>(
  doc: SpecDocument,
  schema: S,
  value: unknown,
  toSource: (p: SpecPath) => SpecPath,
): z.infer<S>;
function validate<S extends z.ZodType>(
  doc: SpecDocument,
  schema: S,
  value: unknown,
  toSource: (p: SpecPath) => SpecPath,
  problems: SpecProblems,
): z.infer<S> | undefined;
function validate<S extends z.ZodType>(
  doc: SpecDocument,
  schema: S,
  value: unknown,
  toSource: (p: SpecPath) => SpecPath,
  problems?: SpecProblems,
): z.infer<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const found = problems ?? new SpecProblems();
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        found.add(doc.errorAt(toSource([...path, key]), `unknown field "${key}"`));
    } else found.add(doc.errorAt(toSource(path), issue.message));
  }
  if (!problems) found.throwIfAny();
  return undefined;
}

/** Runs a loader; an InputError without a location gets the spec file and the entry's line. */
function resolveOrLocate<T>(doc: SpecDocument, load: () => T, path: SpecPath): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof InputError && !e.location.file) {
      // Located at the spec's line; the original stays the cause (e.g. a WorkerKvSizeUnknown that
      // `schedbench sweep` answers by asking the worker).
      const located = doc.errorAt(path, e.message);
      located.cause = e;
      throw located;
    }
    throw e;
  }
}
