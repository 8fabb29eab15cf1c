import { METRIC_KEYS, type RunMetrics } from '../metrics/metric-keys.js';
import { replicaShares, type ReplicaLoad } from '../metrics/replica-loads.js';
import { withEffectivePrefixCaching } from '../schedulers/prefix-caching.js';
import { stableJson } from '../stable-json.js';
import type { CompareCell, CompareConfiguration, ParetoFront, ParetoPoint } from './api-contract.js';

/**
 * Compare by configuration (docs/metrics.md, "Compare by configuration"): the compared runs
 * grouped into configurations — every parameter but the rate and the seed: policy, its
 * parameters, the workload (its description without the rate) and the machine — each split into
 * one cell per rate, whose seeds give the means, spreads and stability the Compare page shows,
 * compared with the baseline configuration at the same rate only. Pure (no Node, no store): the
 * API builds the configurations (compare-data.ts) and the renderer re-bases them on another
 * baseline with {@link rebase}.
 */

/** What grouping needs of a run (a RunRow has it all). */
export interface ConfigurableRun {
  readonly id: number;
  readonly sweepId: number;
  readonly policy: string;
  readonly params: Record<string, unknown>;
  readonly workload: string;
  /** The stored workload description, JSON (it holds the rate, which grouping leaves out). */
  readonly workloadJson: string;
  readonly machine: string;
  readonly rate: number | null;
  readonly seed: number;
  readonly stable: boolean | null;
  readonly metrics: RunMetrics | null;
  /** What each replica served, for a done run on a cluster (its digest's); absent or null otherwise. */
  readonly replicaLoads?: readonly ReplicaLoad[] | null;
}

/** The configurations of some runs, and each run's configuration. */
export interface Grouping {
  configurations: CompareConfiguration[];
  /** Index into configurations per run, in the runs' order. */
  runConfiguration: number[];
}

/**
 * The workload's identity without its rate: the stored description with `rate` and
 * `arrival.rate` (the rate axis of a sweep) removed, as stable JSON; the name when the stored
 * JSON cannot be read.
 */
export function workloadIdentity(workload: string, workloadJson: string): string {
  let value: unknown;
  try {
    value = JSON.parse(workloadJson);
  } catch {
    return stableJson({ name: workload });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return stableJson(value);
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  delete copy.rate;
  const arrival = copy.arrival;
  if (arrival !== null && typeof arrival === 'object' && !Array.isArray(arrival)) {
    const rest: Record<string, unknown> = { ...(arrival as Record<string, unknown>) };
    delete rest.rate;
    copy.arrival = rest;
  }
  return stableJson(copy);
}

/** A run's configuration key: policy, params, workload without its rate, machine. */
export function configurationKey(run: ConfigurableRun): string {
  return stableJson({
    policy: run.policy,
    params: run.params,
    workload: JSON.parse(workloadIdentity(run.workload, run.workloadJson)) as unknown,
    machine: run.machine,
  });
}

/** A parameter value as text: objects as compact JSON. */
export function paramText(value: unknown): string {
  return typeof value === 'object' && value !== null ? stableJson(value) : String(value);
}

/** Parameters as `key=value`, keys sorted, separated by spaces; empty for none. */
export function paramsText(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${paramText(params[k])}`)
    .join(' ');
}

/**
 * Output tokens per second per user of a run (docs/metrics.md, "Compare by configuration"):
 * `throughput_tok_s` / mean concurrency, the mean concurrency being
 * `request_throughput_rps × e2e_mean_s` (Little's law: the time-average number of requests in the
 * system over the makespan); equivalently the mean output tokens of a completed request over the
 * mean E2E latency. Null when a term is missing or not positive.
 */
export function perUserTokS(metrics: RunMetrics | null): number | null {
  const throughput = metrics?.throughput_tok_s;
  const rps = metrics?.request_throughput_rps;
  const e2e = metrics?.e2e_mean_s;
  if (!isPositive(throughput) || !isPositive(rps) || !isPositive(e2e)) return null;
  return throughput / (rps * e2e);
}

/**
 * Groups runs into configurations (order of first appearance), each with one cell per rate
 * (ascending, a trace's null last) holding the mean, the seed spread and (against the
 * configuration at `baseline`) the change of every metric, stability counts and tokens/s per user.
 *
 * @param runs the compared runs, in display order
 * @param baseline index into the returned configurations of the baseline (default 0)
 */
export function groupConfigurations(runs: readonly ConfigurableRun[], baseline = 0): Grouping {
  const byKey = new Map<string, number>();
  const members: ConfigurableRun[][] = [];
  const runConfiguration = runs.map((run) => {
    const key = configurationKey(run);
    let index = byKey.get(key);
    if (index === undefined) {
      index = members.push([]) - 1;
      byKey.set(key, index);
    }
    members[index].push(run);
    return index;
  });
  const keys = [...byKey.keys()];
  const labels = configurationLabels(members.map((list) => list[0]));
  const configurations = members.map((list, i): CompareConfiguration => {
    const first = list[0];
    const rates = sortRates([...new Set(list.map((r) => r.rate))]);
    return {
      key: keys[i],
      label: labels[i],
      policy: first.policy,
      params: first.params,
      paramsText: paramsText(first.params),
      workload: first.workload,
      machine: first.machine,
      sweepIds: [...new Set(list.map((r) => r.sweepId))],
      runIds: list.map((r) => r.id),
      cells: rates.map((rate) =>
        cellOf(
          rate,
          list.filter((r) => r.rate === rate),
        ),
      ),
    };
  });
  return { configurations: rebase(configurations, baseline), runConfiguration };
}

/**
 * The configurations with every cell's `changePct` against the configuration at `baseline`'s
 * cell of the same rate (new objects; the input is not changed).
 * @throws RangeError when `baseline` is not an index of `configurations`
 */
export function rebase(
  configurations: readonly CompareConfiguration[],
  baseline: number,
): CompareConfiguration[] {
  if (configurations.length === 0) return [];
  const base = configurations[baseline];
  if (!base) throw new RangeError(`no configuration ${baseline} among ${configurations.length}`);
  return configurations.map((c, i) => ({
    ...c,
    cells: c.cells.map((cell) => ({
      ...cell,
      changePct: changeAgainst(
        cell,
        i === baseline ? undefined : base.cells.find((b) => b.rate === cell.rate),
      ),
    })),
  }));
}

/**
 * Each metric's change of `cell`'s mean against `base`'s, percent: (mean − base) / |base| × 100;
 * null where either is missing, the base is 0, or there is no base (the baseline itself, or a
 * rate the baseline was not run at).
 */
export function changeAgainst(
  cell: CompareCell,
  base: CompareCell | undefined,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const key of METRIC_KEYS) {
    const v = cell.mean[key] ?? null;
    const b = base?.mean[key] ?? null;
    out[key] =
      base === undefined || v === null || b === null || b === 0 ? null : ((v - b) / Math.abs(b)) * 100;
  }
  return out;
}

/**
 * Unique short labels: the policy, its parameters whose values differ among the configurations
 * of that policy, ` · workload` when workload names differ, ` @ machine` when machines differ; a
 * label that is still taken (same names, different workload descriptions) gets ` (2)`, ` (3)`.
 * `machine: false` leaves the machine out (a run label names it at its end).
 */
export function configurationLabels(
  firsts: readonly Pick<ConfigurableRun, 'policy' | 'params' | 'workload' | 'machine'>[],
  { machine = true }: { machine?: boolean } = {},
): string[] {
  const workloads = new Set(firsts.map((r) => r.workload)).size > 1;
  const machines = machine && new Set(firsts.map((r) => r.machine)).size > 1;
  const varying = new Map<string, string[]>();
  // prefixCaching with its effective value: a vllm-v1 run caching by default reads `=true`.
  const paramsOf = firsts.map((r) => withEffectivePrefixCaching(r.policy, r.params));
  for (const policy of new Set(firsts.map((r) => r.policy))) {
    const own = paramsOf.filter((_, i) => firsts[i].policy === policy).map((params) => ({ params }));
    const names = [...new Set(own.flatMap((r) => Object.keys(r.params)))].sort();
    varying.set(
      policy,
      names.filter(
        (k) => new Set(own.map((r) => (k in r.params ? paramText(r.params[k]) : '\u0000'))).size > 1,
      ),
    );
  }
  const seen = new Map<string, number>();
  return firsts.map((r, i) => {
    const params = paramsOf[i];
    const own = (varying.get(r.policy) ?? []).map((k) => `${k}=${k in params ? paramText(params[k]) : '-'}`);
    const base = [r.policy, ...own, workloads ? `\u00b7 ${r.workload}` : '', machines ? `@ ${r.machine}` : '']
      .filter((part) => part !== '')
      .join(' ');
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

/**
 * The configuration fields whose values differ: `policy`, `params` (all of a configuration's
 * parameters in one text, not one column per policy parameter), `workload`, `machine`; one value
 * per configuration. Two descriptions of a workload under one name read `name (2)`.
 */
export function configurationFields(
  configurations: readonly CompareConfiguration[],
): { key: string; values: string[] }[] {
  const workloadKeys = configurations.map((c) => workloadPart(c.key));
  const variants = new Map<string, string[]>();
  const workloadText = configurations.map((c, i) => {
    const list = variants.get(c.workload) ?? [];
    if (!list.includes(workloadKeys[i])) list.push(workloadKeys[i]);
    variants.set(c.workload, list);
    const n = list.indexOf(workloadKeys[i]) + 1;
    return n === 1 ? c.workload : `${c.workload} (${n})`;
  });
  const fields = [
    { key: 'policy', values: configurations.map((c) => c.policy) },
    { key: 'params', values: configurations.map((c) => c.paramsText || '(none)') },
    { key: 'workload', values: workloadText },
    { key: 'machine', values: configurations.map((c) => c.machine) },
  ];
  return fields.filter((f) => new Set(f.values).size > 1);
}

/** Every rate of the configurations, ascending, a trace's null last. */
export function compareRates(configurations: readonly CompareConfiguration[]): (number | null)[] {
  return sortRates([...new Set(configurations.flatMap((c) => c.cells.map((cell) => cell.rate)))]);
}

/**
 * The Pareto chart's data: per policy (and workload, machine when the configurations differ in
 * them) one point per configuration and rate, x = tokens/s per user, y = output throughput (the
 * cell means), and which points form the front ({@link markFront}, vLLM's `bench sweep
 * plot_pareto` frontier without its ties).
 */
export function paretoFronts(configurations: readonly CompareConfiguration[]): ParetoFront[] {
  const workloads = new Set(configurations.map((c) => c.workload)).size > 1;
  const machines = new Set(configurations.map((c) => c.machine)).size > 1;
  const fronts = new Map<string, ParetoFront>();
  configurations.forEach((c, configuration) => {
    const label = [c.policy, workloads ? `\u00b7 ${c.workload}` : '', machines ? `@ ${c.machine}` : '']
      .filter((part) => part !== '')
      .join(' ');
    let front = fronts.get(label);
    if (!front) fronts.set(label, (front = { label, policy: c.policy, machine: c.machine, points: [] }));
    for (const cell of c.cells) {
      const throughput = cell.mean.throughput_tok_s ?? null;
      if (cell.perUserTokS === null || throughput === null) continue;
      front.points.push({
        configuration,
        rate: cell.rate,
        perUserTokS: cell.perUserTokS,
        throughputTokS: throughput,
        front: false,
      });
    }
  });
  for (const front of fronts.values()) markFront(front.points);
  return [...fronts.values()].filter((f) => f.points.length > 0);
}

/**
 * Marks the non-dominated points (both coordinates higher is better): sorted by x then y, both
 * descending, a point is on the front when its y beats every y before it; an exact duplicate of a
 * front point is on it too. (vLLM keeps, within 1e-9, a point that ties on y and loses on x;
 * such a point is dominated, and left off here.)
 */
export function markFront(points: ParetoPoint[]): void {
  const order = [...points].sort(
    (a, b) => b.perUserTokS - a.perUserTokS || b.throughputTokS - a.throughputTokS,
  );
  let best = -Infinity;
  let bestX = Infinity;
  for (const p of order) {
    p.front = p.throughputTokS > best || (p.throughputTokS === best && p.perUserTokS === bestX);
    if (p.throughputTokS > best) {
      best = p.throughputTokS;
      bestX = p.perUserTokS;
    }
  }
}

/** Sample standard deviation; null for fewer than 2 values; exactly 0 when all are identical. */
export function seedSpread(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  if (values.every((x) => x === values[0])) return 0;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, x) => a + (x - m) ** 2, 0) / (values.length - 1));
}

function cellOf(rate: number | null, runs: readonly ConfigurableRun[]): CompareCell {
  const measured = runs.filter((r) => r.metrics !== null);
  const mean: Record<string, number | null> = {};
  const spread: Record<string, number | null> = {};
  for (const key of METRIC_KEYS) {
    const xs = measured.map((r) => r.metrics![key]).filter(isFiniteNumber);
    mean[key] = xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
    spread[key] = seedSpread(xs);
  }
  const perUser = measured.map((r) => perUserTokS(r.metrics)).filter(isFiniteNumber);
  const replicaShares = meanReplicaShares(measured);
  return {
    rate,
    runIds: runs.map((r) => r.id),
    seeds: runs.map((r) => r.seed),
    measured: measured.length,
    stable: measured.filter((r) => r.stable === true).length,
    unstable: measured.filter((r) => r.stable === false).length,
    mean,
    spread,
    changePct: {},
    perUserTokS: perUser.length === 0 ? null : perUser.reduce((a, b) => a + b, 0) / perUser.length,
    ...(replicaShares === null ? {} : { replicaShares }),
  };
}

/**
 * Each replica's share of a cell's work (prompt + output tokens routed to it over the cluster's),
 * the mean over the cell's runs; null unless every measured run has replica loads of one size.
 */
function meanReplicaShares(runs: readonly ConfigurableRun[]): number[] | null {
  const loads = runs.map((r) => r.replicaLoads ?? null);
  if (loads.length === 0 || loads.some((l) => l === null || l.length !== loads[0]!.length)) return null;
  const mean = new Array<number>(loads[0]!.length).fill(0);
  for (const run of loads) replicaShares(run!).forEach((share, i) => (mean[i] += share / loads.length));
  return mean;
}

function sortRates(rates: (number | null)[]): (number | null)[] {
  return rates.sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
}

function workloadPart(key: string): string {
  return stableJson((JSON.parse(key) as { workload: unknown }).workload);
}

function isFiniteNumber(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isPositive(v: number | null | undefined): v is number {
  return isFiniteNumber(v) && v > 0;
}
