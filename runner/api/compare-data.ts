import type { TimeSeries } from '../engine/run-records.js';
import type { StoredMachineSpec } from '../machines/stored-machine-spec.js';
import { METRIC_KEYS, type MetricKey } from '../metrics/metric-keys.js';
import { digestCdf, type RunDigest } from '../metrics/run-digest.js';
import { fluidOverlays } from '../reports/load-report-data.js';
import { pointsPerSeries } from '../reports/point-budget.js';
import { roundAll, roundSignificant } from '../reports/significant-digits.js';
import type { RunRow } from '../store/run-row.js';
import type { CompareMetricRow, CompareOut, RunSummary, SeriesOut } from './api-contract.js';
import {
  compareRates,
  configurationFields,
  configurationLabels,
  groupConfigurations,
  paramText,
  paretoFronts,
  rebase,
} from './compare-configurations.js';

/** What compareData needs besides the runs: their stored results and each sweep's machine. */
export interface CompareSources {
  /**
   * A done run's digest (Store.getRunDigest): the latency order statistics its CDFs are drawn
   * from and the output-length bins of its fluid bound; the per-request records are never read.
   */
  digest(runId: number): RunDigest;
  timeSeries(runId: number): TimeSeries;
  /**
   * The stored document of a run's machine (decodeStoredMachineSpec, storedMachineOf: the sweep's
   * entry of that name when it ran over several machines): its name, KV capacity (the KV usage
   * fraction) and linear and token models (the fluid bound).
   * @param sweepId the run's sweep
   * @param machine the run's machine name (RunRow.machine)
   */
  machineOf(sweepId: number, machine: string): Omit<StoredMachineSpec, 'machines'>;
}

/**
 * Everything the Compare view shows for chosen runs: the parameters
 * that differ, every metric with its change against the baseline run (at its rate only) and its
 * seed-to-seed spread; the runs grouped into configurations (compare-configurations.ts), each
 * compared rate by rate with the baseline run's configuration; and the data of each chart:
 * latency (E2E mean and p99) and throughput vs arrival rate per configuration (mean over seeds),
 * the fluid Throughput* bound where the sweep's machine has a linear model, the Pareto fronts
 * (tokens/s per user against output throughput, per policy), TTFT and E2E empirical CDFs, and
 * per run over time: KV usage (fraction of capacity), queue length and batch composition.
 * Per-run series are decimated to pointsPerSeries(done runs, maxPointsPerRun) points each (the
 * chart point budget: CHART_POINT_BUDGET over the runs, at least MIN_POINTS_PER_SERIES, at most
 * maxPointsPerRun; CDFs from the run digest's order statistics at evenly spaced ranks, digestCdf;
 * time series by stride keeping the first and last sample), their coordinates rounded to
 * CHART_SIGNIFICANT_DIGITS (docs/decisions.md, "Chart point budget and rounding").
 *
 * @param runs the runs, in display order; runs[0] unless baselineId says otherwise is the baseline
 * @param summaries the same runs as RunSummary (same order)
 * @throws RangeError when baselineId is not among the runs
 */
export function compareData(
  runs: readonly RunRow[],
  summaries: RunSummary[],
  baselineId: number | undefined,
  maxPointsPerRun: number,
  sources: CompareSources,
): CompareOut {
  const baseIndex = baselineId === undefined ? 0 : runs.findIndex((r) => r.id === baselineId);
  if (baseIndex < 0) throw new RangeError(`baseline run ${baselineId} is not among the compared runs`);
  const base = runs[baseIndex];
  // Each done run's digest is read once, for its replica loads, the fluid bound and its CDFs.
  const digests = new Map<number, RunDigest>();
  const digestOf = (runId: number): RunDigest => {
    let digest = digests.get(runId);
    if (digest === undefined) digests.set(runId, (digest = sources.digest(runId)));
    return digest;
  };
  const machines = new Set(runs.map((r) => r.machine));
  const perRun = pointsPerSeries(
    runs.filter((r) => r.status === 'done').length,
    Math.max(2, maxPointsPerRun),
  );

  // Parameters that differ.
  const describe = (r: RunRow): Record<string, string> => ({
    policy: r.policy,
    ...Object.fromEntries(Object.entries(r.params).map(([k, v]) => [`${r.policy}.${k}`, paramText(v)])),
    workload: r.workload,
    rate: r.rate === null ? 'trace' : String(r.rate),
    seed: String(r.seed),
    machine: r.machine,
  });
  const described = runs.map(describe);
  const keys = [...new Set(described.flatMap((d) => Object.keys(d)))];
  const differing = keys
    .map((key) => ({ key, values: described.map((d) => d[key] ?? '-') }))
    .filter((row) => new Set(row.values).size > 1);

  // Configurations (every parameter but the rate and the seed), compared rate by rate.
  // A cluster run's replica loads come with its digest.
  const grouping = groupConfigurations(
    runs.map((r) => ({
      ...r,
      replicaLoads:
        r.status === 'done' && (r.metrics?.replicas ?? 1) > 1 ? (digestOf(r.id).replicaLoads ?? null) : null,
    })),
  );
  const runConfiguration = grouping.runConfiguration;
  const baselineConfiguration = runConfiguration[baseIndex];
  const configurations = rebase(grouping.configurations, baselineConfiguration);
  const cells = runs.map((r, i) =>
    configurations[runConfiguration[i]].cells.find((cell) => cell.rate === r.rate)!,
  );
  const cellOf = (i: number) => cells[i];

  // Metrics per run: change against the baseline run at its rate only, seed spread of its cell.
  const metrics: CompareMetricRow[] = METRIC_KEYS.map((key) => {
    const values = runs.map((r) => finiteOrNull(r.metrics?.[key]));
    const b = values[baseIndex];
    return {
      key,
      values,
      changePct: values.map((v, i) =>
        i === baseIndex || runs[i].rate !== base.rate || v === null || b === null || b === 0
          ? null
          : ((v - b) / Math.abs(b)) * 100,
      ),
      seedSpread: runs.map((_, i) => cellOf(i).spread[key] ?? null),
    };
  });

  // Metric vs rate, one series per configuration (mean over its seeds at each rate).
  const byRate = (metric: MetricKey): SeriesOut[] =>
    configurations.flatMap((c, configuration): SeriesOut[] => {
      const cells = c.cells.filter((cell) => cell.rate !== null && cell.measured > 0);
      if (cells.length === 0) return [];
      return [
        {
          label: c.label,
          runIds: cells.map((cell) => cell.runIds[0]),
          x: cells.map((cell) => cell.rate!),
          y: cells.map((cell) => cell.mean[metric] ?? null),
          configuration,
        },
      ];
    });

  // Fluid bound per sweep, machine and workload, where the machine has a linear model.
  const fluidBound: SeriesOut[] = [];
  const fluidLimits: { label: string; rateRps: number }[] = [];
  const sweepMachines = new Map(runs.map((r) => [`${r.sweepId}/${r.machine}`, r] as const));
  for (const { sweepId, machine: name } of sweepMachines.values()) {
    const machine = sources.machineOf(sweepId, name);
    const linear = machine.linear;
    if (!linear || linear.d0 === null || linear.d1 === null || !machine.tokenModel) continue;
    const rows = runs.filter((r) => r.sweepId === sweepId && r.machine === name);
    const overlays = fluidOverlays(
      rows,
      digestOf,
      { d0: linear.d0, d1: linear.d1, d2: linear.d2 ?? 0, exact: linear.exact },
      machine.tokenModel,
    );
    for (const [workload, overlay] of Object.entries(overlays)) {
      fluidBound.push({
        label: `Throughput* ${workload}${machines.size > 1 ? ` @ ${machine.name}` : ''}`,
        runIds: [],
        x: overlay.points.map((p) => p.rate),
        y: overlay.points.map((p) => p.lineTokS),
      });
      if (overlay.maxStableRateRps !== null) {
        fluidLimits.push({
          label: `fluid stability limit ${workload}${machines.size > 1 ? ` @ ${machine.name}` : ''}`,
          rateRps: overlay.maxStableRateRps,
        });
      }
    }
  }

  // Per-run distributions and time series.
  // Per-run labels name the run's machine, always (its configuration's label without it).
  const shortLabels = configurationLabels(
    configurations.map((c) => ({
      policy: c.policy,
      params: c.params,
      workload: c.workload,
      machine: c.machine,
    })),
    { machine: false },
  );
  const indexOf = new Map(runs.map((r, i) => [r.id, i]));
  const labelOf = (r: RunRow): string =>
    `run ${r.id}: ${shortLabels[runConfiguration[indexOf.get(r.id)!]]} rate=${r.rate ?? 'trace'} seed=${r.seed} @ ${r.machine}`;
  const configurationOf = (r: RunRow): number => runConfiguration[indexOf.get(r.id)!];
  const done = runs.filter((r) => r.status === 'done');
  // One decoded machine document per sweep and machine name, not one per run.
  const machineDocs = new Map<string, Omit<StoredMachineSpec, 'machines'>>();
  const machineOfRun = (r: RunRow): Omit<StoredMachineSpec, 'machines'> => {
    const key = `${r.sweepId}/${r.machine}`;
    let doc = machineDocs.get(key);
    if (!doc) machineDocs.set(key, (doc = sources.machineOf(r.sweepId, r.machine)));
    return doc;
  };
  const ttftCdf: SeriesOut[] = [];
  const e2eCdf: SeriesOut[] = [];
  const kvUsage: SeriesOut[] = [];
  const queueLength: SeriesOut[] = [];
  const batchPrefillTokens: SeriesOut[] = [];
  const batchDecodes: SeriesOut[] = [];
  for (const r of done) {
    const digest = digestOf(r.id);
    const cdf = (values: Float64Array): SeriesOut => {
      const points = digestCdf(values, digest.finished, perRun);
      return {
        label: labelOf(r),
        runIds: [r.id],
        x: roundAll(points.x),
        y: roundAll(points.y),
        configuration: configurationOf(r),
      };
    };
    ttftCdf.push(cdf(digest.ttftS));
    e2eCdf.push(cdf(digest.e2eS));
    const ts = sources.timeSeries(r.id);
    // A cluster's series sums its replicas' KV blocks: its capacity is theirs summed.
    const capacity = machineOfRun(r).kvCapacityBlocks * (r.metrics?.replicas ?? 1);
    const pick = strideIndices(ts.t.length, perRun);
    const x = pick.map((i) => roundSignificant(ts.t[i]));
    const over = (values: ArrayLike<number>, scale = 1): SeriesOut => ({
      label: labelOf(r),
      runIds: [r.id],
      x,
      y: pick.map((i) => roundSignificant(values[i] * scale)),
      configuration: configurationOf(r),
    });
    kvUsage.push(over(ts.kvBlocks, capacity > 0 ? 1 / capacity : 1));
    queueLength.push(over(ts.queueLength));
    batchPrefillTokens.push(over(ts.prefillTokens));
    batchDecodes.push(over(ts.decodeCount));
  }

  return {
    baselineId: base.id,
    runs: summaries,
    differing,
    metrics,
    configurations,
    runConfiguration,
    baselineConfiguration,
    configurationFields: configurationFields(configurations),
    rates: compareRates(configurations),
    charts: {
      latencyVsRate: { mean: byRate('e2e_mean_s'), p99: byRate('e2e_p99_s') },
      throughputVsRate: byRate('throughput_tok_s'),
      fluidBound,
      fluidLimits,
      ttftCdf,
      e2eCdf,
      kvUsage,
      queueLength,
      batchPrefillTokens,
      batchDecodes,
      pareto: paretoFronts(configurations),
    },
  };
}

/** At most `max` indices of [0, n), evenly spaced, always including the first and the last. */
export function strideIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let j = 0; j < max; j++) out.push(Math.round((j * (n - 1)) / (max - 1)));
  return out;
}

function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
