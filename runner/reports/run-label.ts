import type { ReportRun } from './report-data.js';
import { withEffectivePrefixCaching } from '../schedulers/prefix-caching.js';
import { stableJson } from '../stable-json.js';

/**
 * Labels for grouping runs in charts and tables: the policy name followed by the parameters
 * whose values differ between runs of the same policy name, as `key=value`, keys sorted
 * (e.g. `vllm maxNumSeqs=64` and `vllm maxNumSeqs=128`). Parameters shared by every run of
 * the policy are left out, so a policy run with one configuration is labelled by its name alone.
 * A parameter missing from some runs counts as differing; it is printed `key=-` where missing.
 * `prefixCaching` counts with its effective value (withEffectivePrefixCaching).
 *
 * @param runs every run the labels must tell apart (normally all runs of the report; anything
 *   with an id, a policy name and parameters, such as a sweep's capacity searches)
 * @returns run id -> label
 */
export function runLabels(runs: readonly Pick<ReportRun, 'id' | 'policy' | 'params'>[]): Map<number, string> {
  const byPolicy = new Map<string, Pick<ReportRun, 'id' | 'policy' | 'params'>[]>();
  for (const run of runs) {
    const group = byPolicy.get(run.policy);
    if (group) group.push(run);
    else byPolicy.set(run.policy, [run]);
  }
  const labels = new Map<number, string>();
  for (const [policy, runsOfPolicy] of byPolicy) {
    const group = runsOfPolicy.map((run) => ({
      id: run.id,
      params: withEffectivePrefixCaching(policy, run.params),
    }));
    const keys = [...new Set(group.flatMap((run) => Object.keys(run.params)))].sort();
    const differing = keys.filter((key) => new Set(group.map((run) => paramText(run.params, key))).size > 1);
    for (const run of group) {
      const parts = differing.map((key) => `${key}=${paramText(run.params, key) ?? '-'}`);
      labels.set(run.id, [policy, ...parts].join(' '));
    }
  }
  return labels;
}

/**
 * The label of one run among `runs` (see {@link runLabels}); `run` itself is considered part of
 * `runs` even when it is not in the list.
 */
export function runLabel(run: ReportRun, runs: readonly ReportRun[]): string {
  const all = runs.includes(run) ? runs : [...runs, run];
  return runLabels(all.filter((other) => other.policy === run.policy)).get(run.id) ?? run.policy;
}

/** A parameter value as printed in a label: strings bare, anything else as compact JSON; `undefined` when absent. */
function paramText(params: Record<string, unknown>, key: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(params, key)) return undefined;
  const value = params[key];
  return typeof value === 'string' ? value : stableJson(value);
}
