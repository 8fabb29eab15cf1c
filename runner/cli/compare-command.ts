import { InputError } from '../errors.js';
import { METRIC_KEYS } from '../metrics/metric-keys.js';
import { formatNumber } from '../reports/format-number.js';
import { stableJson } from '../stable-json.js';
import type { RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import { PROFILE_MACHINE_PREFIX } from '../machines/worker-machine-ref.js';

/** Formats of `schedbench compare`. */
export const COMPARE_FORMATS = ['table', 'json'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

/** Relative change of `value` against `base`, percent; null when either is missing or base is 0. */
export function percentChange(base: number | null, value: number | null): number | null {
  if (base === null || value === null || base === 0) return null;
  return ((value - base) / Math.abs(base)) * 100;
}

/**
 * The simulated twin of a GPU-in-the-loop run (for the sim-vs-real gap): the newest done run
 * of the same workload, policy, seed and engine settings (same run key, same request count) on
 * the machine `profile:W/M` calibrated from the run's worker machine `W/M`.
 * @returns its id, or undefined when there is none
 */
export function simulatedTwinOf(store: Store, run: RunRow): number | undefined {
  const requests = (sweep: number): unknown =>
    (JSON.parse(store.getSweep(sweep)?.specJson ?? '{}') as { requests?: unknown }).requests;
  const twins = store
    .listRuns({ runKey: run.runKey })
    .filter(
      (r) =>
        r.status === 'done' &&
        r.machine === `${PROFILE_MACHINE_PREFIX}${run.machine}` &&
        requests(r.sweepId) === requests(run.sweepId),
    );
  return twins.at(-1)?.id;
}

/**
 * `schedbench compare RUN_ID RUN_ID...`: the runs' metrics side by side, each with its change
 * relative to the first run (the baseline). With `twins`, each GPU-in-the-loop run is followed by
 * its simulated twin (simulatedTwinOf) when one is stored.
 * @throws InputError for an unknown run id, a run without results, or `twins` when no run has a twin
 */
export function compareCommand(
  store: Store,
  requested: number[],
  format: CompareFormat,
  options: { twins?: boolean } = {},
): string {
  let ids = requested;
  if (options.twins) {
    ids = requested.flatMap((id) => {
      const run = store.getRun(id);
      const twin = run ? simulatedTwinOf(store, run) : undefined;
      return twin === undefined ? [id] : [id, twin];
    });
    if (ids.length === requested.length) {
      throw new InputError(
        `no simulated twin found for run(s) ${requested.join(', ')}: run the same spec with machine: profile:WORKER/MODEL (the calibration of the GPU run's worker) first`,
        { field: '--twins' },
      );
    }
  }
  const runs: RunRow[] = ids.map((id) => {
    const run = store.getRun(id);
    if (!run) throw new InputError(`no run with id ${id} in ${store.file}`, { field: 'RUN_ID' });
    if (!run.metrics)
      throw new InputError(`run ${id} has no results (status ${run.status})`, { field: 'RUN_ID' });
    return run;
  });
  const base = runs[0].metrics!;
  if (format === 'json') {
    return `${JSON.stringify(
      {
        baseline: runs[0].id,
        runs: runs.map((r) => ({
          id: r.id,
          sweep_id: r.sweepId,
          workload: r.workload,
          policy: r.policy,
          params: r.params,
          seed: r.seed,
          rate: r.rate,
          machine: r.machine,
          metrics: r.metrics,
        })),
        change_pct: runs.map((r) =>
          Object.fromEntries(METRIC_KEYS.map((k) => [k, percentChange(base[k], r.metrics![k])])),
        ),
      },
      null,
      2,
    )}\n`;
  }
  const header = ['metric', ...runs.map((r, i) => `run ${r.id}${i === 0 ? ' (baseline)' : ''}`)];
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const describe = [
    ['policy', ...runs.map((r) => r.policy)],
    ...paramKeys.map((k) => [`  ${k}`, ...runs.map((r) => (k in r.params ? paramText(r.params[k]) : '-'))]),
    ['workload', ...runs.map((r) => r.workload)],
    ['rate', ...runs.map((r) => (r.rate === null ? '-' : formatNumber(r.rate)))],
    ['seed', ...runs.map((r) => String(r.seed))],
    ['machine', ...runs.map((r) => r.machine)],
  ];
  const metricRows = METRIC_KEYS.map((k) => [
    k,
    ...runs.map((r, i) => {
      const v = r.metrics![k];
      if (i === 0) return formatNumber(v);
      const change = percentChange(base[k], v);
      return change === null
        ? formatNumber(v)
        : `${formatNumber(v)} (${change >= 0 ? '+' : ''}${change.toFixed(1)}%)`;
    }),
  ]);
  const table = [header, ...describe, ...metricRows];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  return `${table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n')}\n`;
}

/** A parameter value as shown in the table: strings bare, anything else as compact JSON. */
function paramText(value: unknown): string {
  return typeof value === 'string' ? value : stableJson(value);
}
