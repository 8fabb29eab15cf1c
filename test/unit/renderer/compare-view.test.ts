import { describe, expect, it } from 'vitest';
import type { CapacityOut, CompareOut, RunSummary } from '../../../runner/api/api-contract.js';
import { groupConfigurations, type ConfigurableRun } from '../../../runner/api/compare-configurations.js';
import { machineDash, policyColor, POLICY_COLORS } from '../../../renderer/src/charts/series-colors.js';
import { capacityCharts, specHasCapacitySearch } from '../../../renderer/src/compare/compare-capacity.js';
import {
  configurationStyles,
  runLabel,
  timeSeriesChoices,
} from '../../../renderer/src/compare/compare-view.js';

/** A CompareOut holding just what the view helpers read: runs and their configurations. */
function compareOut(runs: (Partial<ConfigurableRun> & { id: number })[]): CompareOut {
  const full = runs.map((r): ConfigurableRun => ({
    sweepId: 1,
    policy: 'vllm',
    params: {},
    workload: 'w',
    workloadJson: JSON.stringify({ name: r.workload ?? 'w', rate: r.rate ?? 2 }),
    machine: 'a100',
    rate: 2,
    seed: 1,
    stable: true,
    metrics: null,
    ...r,
  }));
  const { configurations, runConfiguration } = groupConfigurations(full);
  return {
    runs: full.map((r) => ({ ...r, sweepName: 'sweep', status: 'done' }) as unknown as RunSummary),
    configurations,
    runConfiguration,
    baselineConfiguration: 0,
  } as unknown as CompareOut;
}

describe('Compare view: colors, choices, capacity', () => {
  it('gives each policy one color by name, each machine one dash, each variant one marker', () => {
    expect(policyColor('vllm')).toBe(POLICY_COLORS.vllm);
    expect(policyColor('my-policy')).toBe(policyColor('my-policy'));
    expect(policyColor('my-policy')).not.toBe(policyColor('other-policy'));
    expect(machineDash(0)).toEqual([]);
    expect(machineDash(1)).not.toEqual([]);
    const out = compareOut([
      { id: 1, params: { maxNumSeqs: 64 } },
      { id: 2, params: { maxNumSeqs: 128 } },
      { id: 3, policy: 'sarathi', machine: 'h100' },
    ]);
    const styles = configurationStyles(out);
    expect(styles.map((s) => s.color)).toEqual([
      POLICY_COLORS.vllm,
      POLICY_COLORS.vllm,
      POLICY_COLORS.sarathi,
    ]);
    expect(styles.map((s) => s.dash)).toEqual([[], [], machineDash(1)]);
    expect(styles.map((s) => s.marker)).toEqual(['circle', 'triangle', 'circle']);
    expect(runLabel(out, 2)).toBe('#3 sarathi \u00b7 2 req/s \u00b7 seed 1 @ h100');
  });

  it('offers, at a rate, each seed of every configuration and every seed of one', () => {
    const out = compareOut([
      { id: 1, seed: 1 },
      { id: 2, seed: 2 },
      { id: 3, policy: 'fcfs', seed: 1 },
      { id: 4, policy: 'fcfs', seed: 1, rate: 4 },
    ]);
    expect(timeSeriesChoices(out, 2)).toEqual([
      { value: 'seed-1', label: 'Seed 1 of every configuration', runIds: [1, 3] },
      { value: 'seed-2', label: 'Seed 2 of every configuration', runIds: [2] },
      { value: 'config-0', label: 'Every seed of vllm', runIds: [1, 2] },
      { value: 'config-1', label: 'Every seed of fcfs', runIds: [3] },
    ]);
    expect(timeSeriesChoices(out, 4).map((c) => c.runIds)).toEqual([[4], [4]]);
  });

  it('asks for capacity only where the spec searches a rate, and charts sweeps.capacity', () => {
    expect(specHasCapacitySearch('workloads:\n  - rate: {search: {min: 1, max: 4}}')).toBe(true);
    expect(specHasCapacitySearch('workloads:\n  - rate:\n      search:\n        min: 1')).toBe(true);
    expect(specHasCapacitySearch('{"workloads":[{"rate":{"search":{"min":1}}}]}')).toBe(true);
    expect(specHasCapacitySearch('name: research\nworkloads:\n  - rate: [1, 2]')).toBe(false);
    const row = {
      workload: 'w',
      machine: 'a100',
      status: 'done',
      outcome: 'bracketed',
      probes: 5,
      limiting: 'stability',
      seeds: 1,
      precision: 0.05,
      attainment: 0.99,
      lower_nominal_rps: 1,
      upper_nominal_rps: 2,
      fluid_max_stable_rate_rps: 12,
    } as const;
    const capacity = {
      searches: [
        {
          ...row,
          policy: 'vllm maxNumSeqs=1',
          params: { maxNumSeqs: 1 },
          max_rate_rps: 9,
          lower_rps: 9,
          upper_rps: 9.4,
        },
        {
          ...row,
          policy: 'fcfs',
          params: {},
          max_rate_rps: 10,
          lower_rps: 10,
          upper_rps: null,
          outcome: 'above-max',
        },
        {
          ...row,
          workload: 'other',
          policy: 'fcfs',
          params: {},
          max_rate_rps: 1,
          lower_rps: 1,
          upper_rps: 2,
        },
      ],
      verdicts: [],
    } as unknown as CapacityOut;
    const charts = capacityCharts(compareOut([{ id: 1 }]), 1, capacity);
    expect(charts).toHaveLength(1); // only the compared runs' workload
    expect(charts[0].spec).toEqual({
      name: 'capacity:1:w',
      yTitle: 'Max rate under the SLO (req/s)',
      bars: [
        { label: 'vllm', color: POLICY_COLORS.vllm, value: 9, lower: 9, upper: 9.4 },
        { label: 'fcfs', color: POLICY_COLORS.fcfs, value: 10, lower: 10, upper: null },
      ],
      limits: [{ label: 'Fluid stability limit', value: 12 }],
    });

    // Clusters of 1 and 4 replicas: each cluster size has its own limit, over its own bars.
    const clusters = {
      searches: [1, 4].map((replicas) => ({
        ...row,
        policy: `vllm replicas=${replicas}`,
        params: { replicas },
        max_rate_rps: 9 * replicas,
        lower_rps: 9 * replicas,
        upper_rps: 9.4 * replicas,
        fluid_max_stable_rate_rps: 12 * replicas,
      })),
      verdicts: [],
    } as unknown as CapacityOut;
    const [cluster] = capacityCharts(compareOut([{ id: 1 }]), 1, clusters);
    expect(cluster.spec.limits).toEqual([
      { label: 'Fluid stability limit, 1 replica', value: 12, bars: [0] },
      { label: 'Fluid stability limit, 4 replicas', value: 48, bars: [1] },
    ]);
    expect(cluster.note).toMatch(/dashed grey over each bar: its fluid stability limit, N replicas times/);
  });
});
