import type { CompareOut, RunSummary } from '../../../runner/api/api-contract.js';
import { machineDash, policyColor, variantMarker } from '../charts/series-colors.js';
import { formatNumber } from '../format.js';

/**
 * What the Compare page's charts and tables share, free of the DOM and of Chart.js: how each
 * configuration is drawn, how rates and runs are named, and which runs the time-series selector
 * offers at a rate.
 */

/** How a configuration is drawn: its policy's color, its machine's dash, its variant's marker. */
export interface ConfigurationStyle {
  color: string;
  dash: number[];
  marker: ReturnType<typeof variantMarker>;
}

/**
 * The style of every configuration of `out`: one color per policy (policyColor, the same on every
 * page), one dash per machine (in the order the machines first appear), and, among the
 * configurations of one policy on one machine (parameter variants, workloads), one marker each.
 */
export function configurationStyles(out: CompareOut): ConfigurationStyle[] {
  const machines = [...new Set(out.configurations.map((c) => c.machine))];
  const variants = new Map<string, number>();
  return out.configurations.map((c) => {
    const group = `${c.policy}\u0000${c.machine}`;
    const variant = variants.get(group) ?? 0;
    variants.set(group, variant + 1);
    return {
      color: policyColor(c.policy),
      dash: machineDash(machines.indexOf(c.machine)),
      marker: variantMarker(variant),
    };
  });
}

/** A rate as people read it: `4 req/s`, or `trace timing` for runs that replay a trace as recorded. */
export function rateText(rate: number | null): string {
  return rate === null ? 'trace timing' : `${formatNumber(rate)} req/s`;
}

/**
 * A run's label in charts and tables, always with its machine:
 * `#12 vllm maxNumSeqs=64 · 4 req/s · seed 1 @ a100-llama2-7b-linear`.
 */
export function runLabel(out: CompareOut, runIndex: number): string {
  const run = out.runs[runIndex];
  const c = out.configurations[out.runConfiguration[runIndex]];
  const label = c.label.replace(/ @ .*$/, '');
  return `#${run.id} ${label} \u00b7 ${rateText(run.rate)} \u00b7 seed ${run.seed} @ ${run.machine}`;
}

/** A choice of the time-series selector: which runs at the chosen rate are drawn over time. */
export interface TimeSeriesChoice {
  /** `seed-3` (that seed of every configuration) or `config-2` (every seed of configuration 2). */
  value: string;
  label: string;
  runIds: number[];
}

/**
 * The time-series selector's choices at `rate`: each seed of every configuration side by side,
 * then every seed of one configuration (only the done runs, which have series).
 */
export function timeSeriesChoices(out: CompareOut, rate: number | null): TimeSeriesChoice[] {
  const at = out.runs
    .map((run, i): [RunSummary, number] => [run, i])
    .filter(([run]) => run.rate === rate && run.status === 'done');
  const seeds = [...new Set(at.map(([run]) => run.seed))].sort((a, b) => a - b);
  const configurations = [...new Set(at.map(([, i]) => out.runConfiguration[i]))].sort((a, b) => a - b);
  return [
    ...seeds.map((seed) => ({
      value: `seed-${seed}`,
      label: `Seed ${seed} of every configuration`,
      runIds: at.filter(([run]) => run.seed === seed).map(([run]) => run.id),
    })),
    ...configurations.map((configuration) => ({
      value: `config-${configuration}`,
      label: `Every seed of ${out.configurations[configuration].label}`,
      runIds: at.filter(([, i]) => out.runConfiguration[i] === configuration).map(([run]) => run.id),
    })),
  ];
}
