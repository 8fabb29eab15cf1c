import { replicasOfParams } from '../metrics/replica-loads.js';
import type { TokenModel } from '../engine/token-model.js';
import type { PromptType } from '../fluid/prompt-type.js';
import type { RunDigest } from '../metrics/run-digest.js';
import { decodeStoredMachineSpec } from '../machines/stored-machine-spec.js';
import type { RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import { InputError } from '../errors.js';
import { fluidOverlay, type FluidMachine, type FluidOverlayInput } from './fluid-overlay.js';
import type { FluidOverlay, ReportData, ReportRun } from './report-data.js';

/** A stored run as the report and table code see it. */
export function toReportRun(row: RunRow): ReportRun {
  return {
    id: row.id,
    sweepId: row.sweepId,
    workload: row.workload,
    policy: row.policy,
    params: row.params,
    seed: row.seed,
    rate: row.rate,
    machine: row.machine,
    originHost: row.originHost,
    status: row.status,
    error: row.error,
    metrics: row.metrics,
    stable: row.stable,
    stability: row.stability,
  };
}

/**
 * Assembles everything a sweep report shows from the store: the sweep's spec and machine, all
 * its runs (with their stability verdicts), per done run the TTFT and E2E order statistics of
 * its digest (Store.getRunDigest: at most 1,001 each, with the number of completed requests
 * they stand for, and for a cluster run what each replica served; the per-request records are
 * never read), and per workload the
 * fluid-benchmark overlay (see {@link fluidOverlays}).
 * @throws InputError when the sweep does not exist, or its stored machine JSON cannot be read
 * (decodeStoredMachineSpec)
 */
export function loadReportData(store: Store, sweepId: number): ReportData {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new InputError(`no sweep with id ${sweepId} in ${store.file}`, { field: 'ID' });
  return assembleReportData(
    store,
    sweep,
    store.listRuns({ sweepId }),
    `Schedbench sweep ${sweep.id}: ${sweep.name}`,
  );
}

/**
 * A report of chosen runs (the desktop's Compare export), from one sweep or several. With runs of
 * one sweep it is that sweep's report restricted to them; across sweeps the spec and machine of
 * the first run's sweep are shown; runs on several machines are handled as assembleReportData says.
 * @param runIds run ids, in the order given
 * @throws InputError when a run id does not exist, or the first run's sweep's stored machine JSON
 * cannot be read (decodeStoredMachineSpec)
 */
export function loadRunsReportData(store: Store, runIds: readonly number[]): ReportData {
  const rows = store.listRuns({ runIds });
  const found = new Set(rows.map((r) => r.id));
  const missing = runIds.find((id) => !found.has(id));
  if (missing !== undefined)
    throw new InputError(`no run with id ${missing} in ${store.file}`, { field: 'RUN_ID' });
  const sweep = store.getSweep(rows[0].sweepId)!;
  const sweeps = new Set(rows.map((r) => r.sweepId));
  const title =
    sweeps.size === 1
      ? `Schedbench sweep ${sweep.id}: ${sweep.name} (${rows.length} run${rows.length === 1 ? '' : 's'})`
      : `Schedbench comparison of ${rows.length} runs from ${sweeps.size} sweeps`;
  return assembleReportData(store, sweep, rows, title);
}

/**
 * The report data of `rows` with `sweep`'s spec and machine. When the rows ran on several machines
 * (a sweep over a `machine` list, or runs of several sweeps), the machine section names them all
 * and gives the details of the sweep's first machine, and no fluid overlay is drawn (its limits
 * are per machine).
 */
function assembleReportData(
  store: Store,
  sweep: NonNullable<ReturnType<Store['getSweep']>>,
  rows: RunRow[],
  title: string,
): ReportData {
  const distributions: ReportData['distributions'] = {};
  const digests = new Map<number, RunDigest>();
  for (const row of rows) {
    if (row.status !== 'done') continue;
    const digest = store.getRunDigest(row.id);
    digests.set(row.id, digest);
    distributions[row.id] = {
      ttft: Array.from(digest.ttftS),
      e2e: Array.from(digest.e2eS),
      finished: digest.finished,
    };
  }
  const machine = decodeStoredMachineSpec(sweep.machineJson, `sweep ${sweep.id}`);
  const data: ReportData = {
    title,
    generatedAt: new Date().toISOString(),
    sweep: { id: sweep.id, name: sweep.name, specYaml: sweep.specYaml, createdAt: sweep.createdAt },
    machine: {
      name: machine.name,
      description: machine.description,
      details: {
        'KV capacity (blocks)': machine.kvCapacityBlocks,
        'block size (tokens)': machine.blockSize,
        'KV capacity (tokens)': machine.kvCapacityBlocks * machine.blockSize,
        ...Object.fromEntries(
          Object.entries(machine.iterationTime).map(([k, v]) => [`iteration time: ${k}`, v]),
        ),
      },
    },
    runs: rows.map((row) => {
      const loads = digests.get(row.id)?.replicaLoads;
      return loads === undefined ? toReportRun(row) : { ...toReportRun(row), replicaLoads: [...loads] };
    }),
    distributions,
  };
  // An uncalibrated GPU worker has no linear model (stored as null d0/d1): no overlay.
  const linear = machine.linear;
  if (linear && linear.d0 !== null && linear.d1 !== null && machine.tokenModel) {
    const fluidMachine = { d0: linear.d0, d1: linear.d1, d2: linear.d2 ?? 0, exact: linear.exact };
    data.fluid = fluidOverlays(rows, (id) => digests.get(id), fluidMachine, machine.tokenModel);
  }
  const machines = [...new Set(rows.map((r) => r.machine))];
  if (machines.length > 1) {
    data.machine = {
      ...data.machine,
      name: machines.join(', '),
      description: `runs on ${machines.length} machines; details below are those of ${data.machine.name} (sweep ${sweep.id})`,
    };
    delete data.fluid;
  }
  return data;
}

/**
 * The fluid-benchmark overlay of every workload label of a sweep (fluidOverlay): for each label
 * and numeric rate, the done run with the lowest id supplies the output-length bins of its
 * requests (its run digest: digestTypes) or, for a typed workload, the declared types (the
 * stored workload JSON's `types`). Labels without a done run with requests at a numeric rate get
 * no overlay. Runs on N replicas (policy parameter `replicas`) get N replicas' bound (fluidOverlay);
 * a label whose done runs differ in replicas gets no overlay (no one bound holds for all of them).
 *
 * @param rows the sweep's runs
 * @param digestOf the digest of a done run (Store.getRunDigest), undefined when unknown
 * @param linear the machine's linear model (machine JSON `linear`)
 * @param tokenModel the sweep's token model (machine JSON `tokenModel`)
 * @returns workload label -> overlay
 */
export function fluidOverlays(
  rows: readonly RunRow[],
  digestOf: (runId: number) => RunDigest | undefined,
  linear: FluidMachine,
  tokenModel: TokenModel,
): Record<string, FluidOverlay> {
  const inputs = new Map<string, FluidOverlayInput[]>();
  const clusterSizes = new Map<string, Set<number>>();
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  for (const row of sorted) {
    if (row.status !== 'done' || row.rate === null) continue;
    const replicas = replicasOfParams(row.params);
    clusterSizes.set(row.workload, (clusterSizes.get(row.workload) ?? new Set()).add(replicas));
    const list = inputs.get(row.workload) ?? [];
    if (list.some((input) => input.rate === row.rate)) continue;
    const digest = digestOf(row.id);
    if (!digest || digest.requests === 0) continue;
    list.push({ rate: row.rate, bins: digest, declared: declaredTypes(row.workloadJson), replicas });
    inputs.set(row.workload, list);
  }
  const overlays: Record<string, FluidOverlay> = {};
  for (const [workload, list] of inputs) {
    // One bound per cluster size: a label whose runs differ in replicas gets none.
    if (clusterSizes.get(workload)!.size > 1) continue;
    const overlay = fluidOverlay(list, linear, tokenModel);
    if (overlay) overlays[workload] = overlay;
  }
  return overlays;
}

/** A typed workload's `types` from its stored JSON, or null for any other workload. */
function declaredTypes(workloadJson: string): PromptType[] | null {
  const spec = JSON.parse(workloadJson) as { types?: unknown };
  if (!Array.isArray(spec.types) || spec.types.length === 0) return null;
  const types = spec.types as Partial<PromptType>[];
  const valid = types.every(
    (t) =>
      typeof t.prompt === 'number' &&
      typeof t.output === 'number' &&
      typeof t.rate === 'number' &&
      t.prompt >= 1 &&
      t.output >= 1 &&
      t.rate > 0,
  );
  return valid ? (types as PromptType[]) : null;
}
