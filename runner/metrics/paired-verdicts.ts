import { studentTQuantile as tQuantile } from './t-distribution.js';
import type { MetricDirection } from './verdict-metrics.js';
import { VERDICT_METRICS, type VerdictMetric } from './verdict-metrics.js';

export {
  VERDICT_METRIC_INFO,
  VERDICT_METRICS,
  type MetricDirection,
  type VerdictMetric,
} from './verdict-metrics.js';

/**
 * Paired verdicts (docs/metrics.md, "Verdicts"): per workload, rate and metric, which policy is
 * best and by how much every other policy differs from it, with a paired 95 % interval over seeds.
 *
 * Seeds are common random numbers: the same seed gives every policy the identical request list,
 * so policy A's run on seed s and policy B's run on seed s are a pair. The comparison of a policy
 * with the best one is on the log scale: d_s = ln(other_s / best_s) over the shared seeds, the
 * ratio is exp(mean d), and its interval is the Student-t interval of the mean of d,
 * exponentiated (the usual interval for a ratio; the log turns "x % lower" into a difference and
 * makes the interval symmetric in which policy is on top). Pure: no store, no I/O.
 */

/** One observation of a metric: a policy's value on one seed (null or non-finite: no value). */
export interface VerdictSample {
  /** Policy identity: its name plus the parameters that tell it apart (see runner/reports/run-label.ts). */
  readonly policy: string;
  readonly seed: number;
  readonly value: number | null;
}

/** One policy against the best one. */
export interface PolicyComparison {
  policy: string;
  /**
   * other / best: exp(mean over the seeds of ln(other_s / best_s)), the ratio of the geometric
   * means; the ratio of the arithmetic means when a value is not positive (see the verdict's
   * `note`); null when that is undefined (the best policy's mean is 0).
   */
  ratio: number | null;
  /** Paired 95 % interval of the ratio; null with one seed, identical values or a non-positive value. */
  ci_low: number | null;
  ci_high: number | null;
  /**
   * true: the interval excludes 1 (or, with no spread at all, the ratio is the same on every seed
   * and is not 1); false: it covers 1, or the two policies have identical values on every seed;
   * null: cannot be judged (one seed, or a non-positive value).
   */
  significant: boolean | null;
}

/** The outcome of {@link comparePolicies}: the best policy and every other one against it. */
export interface PairedComparison {
  best_policy: string;
  /** Seeds every compared policy has a value for: the pairs behind every comparison. */
  seeds: number;
  /** The other policies, closest to the best first (ties by name). */
  comparisons: PolicyComparison[];
  /** Why there are no intervals, when there are none for a reason other than identical values; else null. */
  note: string | null;
}

/**
 * One verdict: the best policy on one metric at one (workload, rate), and the others against it;
 * or, with `kind` `machines`, the best machine for one policy on one metric at one (workload,
 * rate), and the other machines against it.
 */
export interface Verdict extends PairedComparison {
  /**
   * `machines`: a machine comparison (the same policy, the same seeds, on several machines);
   * `best_policy` and `comparisons[].policy` are then machine names and `policy` is the policy.
   * Absent: a policy comparison (the only kind when a sweep's runs are on one machine).
   */
  kind?: 'machines';
  workload: string;
  /**
   * The machine a policy comparison's runs ran on; present only when the runs judged together
   * span more than one machine (policies are then compared within one machine). Absent on a
   * machine comparison.
   */
  machine?: string;
  /** The policy (label) whose machines a machine comparison compares; absent otherwise. */
  policy?: string;
  /**
   * The rate of the verdict in requests per second: the mean offered rate (`offered_rate_rps`)
   * over the group's runs where they have it, else the nominal rate; null for a trace's own timing
   * without an offered rate.
   */
  rate_rps: number | null;
  /** The sweep's rate the runs were grouped by (null: the workload's own timing). */
  nominal_rate_rps: number | null;
  metric: string;
  direction: MetricDirection;
}

/** A done run as the verdicts see it. */
export interface VerdictRun {
  readonly workload: string;
  /** Nominal arrival rate, requests per second; null for a trace's own timing. */
  readonly rate: number | null;
  /** Policy identity (name plus distinguishing parameters). */
  readonly policy: string;
  readonly seed: number;
  /** Machine name the run ran on; absent counts as one unnamed machine. */
  readonly machine?: string;
  readonly metrics: Readonly<Record<string, number | null | undefined>>;
}

/** Note of a comparison made with one seed. */
export const ONE_SEED_NOTE = 'one seed: significance cannot be judged';
/** Note of a comparison with a value that is zero or negative. */
export const NON_POSITIVE_NOTE = 'a value is not positive: ratio of means, no interval';

/**
 * Compares policies on one metric at one (workload, rate) from per-seed values, pairing the
 * policies' values by seed (common random numbers).
 *
 * - Only seeds where every policy with a value has one are used (complete pairs), so the best
 *   policy and every comparison rest on the same seeds.
 * - The best policy has the highest (direction `higher`) or lowest (`lower`) geometric mean over
 *   those seeds; ties go to the arithmetic mean, then to the policy name. The geometric mean
 *   matches the log-ratio comparison: every other policy's ratio is then on the worse side of 1.
 * - Each other policy: d_s = ln(other_s / best_s); ratio = exp(mean d); with n >= 2 seeds the
 *   interval is exp(mean d ± t(1 − (1 − level)/2, n − 1) · sd(d) / √n) (Student t, quantile from
 *   t-distribution.ts), significant when it excludes 1. No interval (null)
 *   with one seed (significant null), when the values are identical on every seed (ratio 1,
 *   significant false), or when d is the same on every seed (no spread: significant when the
 *   ratio is not 1).
 * - When any value is zero or negative, logs are undefined: means rank the policies, the ratio is
 *   the ratio of arithmetic means, without interval (significant null), and `note` says so.
 *
 * @param samples one value per (policy, seed); null and non-finite values count as missing
 * @param direction which way is better
 * @param level confidence level in (0, 1), default 0.95
 * @returns null when fewer than two policies have a value on a shared seed
 * @throws RangeError for a level outside (0, 1) or two samples of the same policy and seed
 */
export function comparePolicies(
  samples: readonly VerdictSample[],
  direction: MetricDirection,
  level = 0.95,
): PairedComparison | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const byPolicy = new Map<string, Map<number, number>>();
  for (const s of samples) {
    let values = byPolicy.get(s.policy);
    if (!values) byPolicy.set(s.policy, (values = new Map()));
    if (values.has(s.seed)) throw new RangeError(`two values for policy ${s.policy} on seed ${s.seed}`);
    if (s.value !== null && Number.isFinite(s.value)) values.set(s.seed, s.value);
  }
  const policies = [...byPolicy.keys()].filter((p) => byPolicy.get(p)!.size > 0).sort(compareText);
  if (policies.length < 2) return null;
  const seeds = [...byPolicy.get(policies[0])!.keys()]
    .filter((seed) => policies.every((p) => byPolicy.get(p)!.has(seed)))
    .sort((a, b) => a - b);
  const n = seeds.length;
  if (n === 0) return null;
  const values = new Map(policies.map((p) => [p, seeds.map((seed) => byPolicy.get(p)!.get(seed)!)]));
  const positive = [...values.values()].every((v) => v.every((x) => x > 0));

  const sign = direction === 'higher' ? 1 : -1;
  const arithmetic = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const geometric = (v: readonly number[]): number => Math.exp(arithmetic(v.map(Math.log)));
  const rankKey = (p: string): [number, number] => {
    const v = values.get(p)!;
    return positive ? [geometric(v), arithmetic(v)] : [arithmetic(v), arithmetic(v)];
  };
  const ranked = policies
    .map((p) => ({ p, key: rankKey(p) }))
    .sort((a, b) => sign * (b.key[0] - a.key[0]) || sign * (b.key[1] - a.key[1]) || compareText(a.p, b.p));
  const best = ranked[0].p;
  const bestValues = values.get(best)!;
  const tCrit = n >= 2 ? tQuantile(1 - (1 - level) / 2, n - 1) : null;

  const comparisons = ranked.slice(1).map(({ p }): PolicyComparison => {
    const other = values.get(p)!;
    if (other.every((x, i) => x === bestValues[i])) {
      return { policy: p, ratio: 1, ci_low: null, ci_high: null, significant: n >= 2 ? false : null };
    }
    if (!positive) {
      const bestMean = arithmetic(bestValues);
      const ratio = bestMean === 0 ? null : arithmetic(other) / bestMean;
      return { policy: p, ratio, ci_low: null, ci_high: null, significant: null };
    }
    const d = other.map((x, i) => Math.log(x / bestValues[i]));
    const mean = arithmetic(d);
    const ratio = Math.exp(mean);
    if (tCrit === null) return { policy: p, ratio, ci_low: null, ci_high: null, significant: null };
    // A spread below rounding (the same ratio on every seed) is no spread: no interval.
    if (d.every((x) => Math.abs(x - d[0]) <= 1e-12)) {
      return { policy: p, ratio, ci_low: null, ci_high: null, significant: Math.abs(mean) > 1e-12 };
    }
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    const half = (tCrit * sd) / Math.sqrt(n);
    const ciLow = Math.exp(mean - half);
    const ciHigh = Math.exp(mean + half);
    return { policy: p, ratio, ci_low: ciLow, ci_high: ciHigh, significant: ciLow > 1 || ciHigh < 1 };
  });

  const note = !positive ? NON_POSITIVE_NOTE : n === 1 ? ONE_SEED_NOTE : null;
  return { best_policy: best, seeds: n, comparisons, note };
}

/**
 * The verdicts of a set of done runs: runs are grouped by workload and nominal rate, and within
 * each group every metric of `metrics` is judged by {@link comparePolicies} (a metric with fewer
 * than two policies valued on a shared seed gives no verdict). The verdict's `rate_rps` is the
 * mean `offered_rate_rps` over the group's runs that have one, else the nominal rate.
 * Verdicts are ordered by workload, rate (the workload's own timing first), then `metrics` order,
 * as the seed summary's rows (runner/reports/seed-summary.ts).
 *
 * When the runs span more than one machine (or `byMachine` says so), policies are compared only
 * within one machine: the groups are (workload, rate, machine), each verdict names its `machine`,
 * and after the policy verdicts of a (workload, rate), ordered by machine, come its machine
 * verdicts (`kind` `machines`): per policy run on two or more machines and per metric, the
 * machines compared by {@link comparePolicies} with the machine in the place of the policy. The
 * same seed gives the same requests on every machine, so the pairs over seeds hold across
 * machines as they do across policies. Machine verdicts are ordered by policy, then `metrics`.
 *
 * @param runs done runs (their policy already labelled with its distinguishing parameters)
 * @param metrics the metrics to judge, default {@link VERDICT_METRICS}
 * @param level confidence level, default 0.95
 * @param byMachine group by machine and compare machines; default: when `runs` name more than
 *   one machine
 * @throws RangeError when two runs share workload, rate, policy, machine and seed (or, not
 *   grouped by machine, workload, rate, policy and seed)
 */
export function pairedVerdicts(
  runs: readonly VerdictRun[],
  metrics: readonly VerdictMetric[] = VERDICT_METRICS,
  level = 0.95,
  byMachine = new Set(runs.map((r) => r.machine ?? '')).size > 1,
): Verdict[] {
  const groups = groupBy(runs, (run) => [run.workload, run.rate]);
  const ordered = [...groups.values()].sort(
    (a, b) => a[0].workload.localeCompare(b[0].workload) || (a[0].rate ?? -1) - (b[0].rate ?? -1),
  );
  const verdicts: Verdict[] = [];
  for (const group of ordered) {
    const { workload, rate } = group[0];
    const place = (runs: readonly VerdictRun[]) => ({
      rate_rps: offeredRate(runs) ?? rate,
      nominal_rate_rps: rate,
    });
    const judge = (runs: readonly VerdictRun[], by: (run: VerdictRun) => string, metric: VerdictMetric) =>
      comparePolicies(
        runs.map((r) => ({ policy: by(r), seed: r.seed, value: r.metrics[metric.key] ?? null })),
        metric.direction,
        level,
      );
    if (!byMachine) {
      for (const metric of metrics) {
        const judged = judge(group, (r) => r.policy, metric);
        if (!judged) continue;
        verdicts.push({
          workload,
          ...place(group),
          metric: metric.key,
          direction: metric.direction,
          ...judged,
        });
      }
      continue;
    }
    const machineOf = (r: VerdictRun): string => r.machine ?? '';
    const byMachines = [...groupBy(group, (r) => [machineOf(r)])].sort(([a], [b]) => compareText(a, b));
    for (const [, runsOn] of byMachines) {
      const machine = machineOf(runsOn[0]);
      for (const metric of metrics) {
        const judged = judge(runsOn, (r) => r.policy, metric);
        if (!judged) continue;
        verdicts.push({
          workload,
          machine,
          ...place(runsOn),
          metric: metric.key,
          direction: metric.direction,
          ...judged,
        });
      }
    }
    const byPolicy = [...groupBy(group, (r) => [r.policy])].sort(([a], [b]) => compareText(a, b));
    for (const [, runsOf] of byPolicy) {
      const policy = runsOf[0].policy;
      for (const metric of metrics) {
        const judged = judge(runsOf, machineOf, metric);
        if (!judged) continue;
        verdicts.push({
          kind: 'machines',
          workload,
          policy,
          ...place(runsOf),
          metric: metric.key,
          direction: metric.direction,
          ...judged,
        });
      }
    }
  }
  return verdicts;
}

/** Runs grouped by a key (compared as JSON), groups in order of first appearance. */
function groupBy(
  runs: readonly VerdictRun[],
  key: (run: VerdictRun) => unknown[],
): Map<string, VerdictRun[]> {
  const groups = new Map<string, VerdictRun[]>();
  for (const run of runs) {
    const k = JSON.stringify(key(run));
    const group = groups.get(k);
    if (group) group.push(run);
    else groups.set(k, [run]);
  }
  return groups;
}

/** The mean `offered_rate_rps` of the runs that have one; null when none has. */
function offeredRate(runs: readonly VerdictRun[]): number | null {
  const offered = runs
    .map((r) => r.metrics.offered_rate_rps)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return offered.length > 0 ? offered.reduce((a, b) => a + b, 0) / offered.length : null;
}

/** Locale-independent string order (labels and workload names sort the same on every machine). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
