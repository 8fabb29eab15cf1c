import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../runner/api/api-contract.js';
import {
  changeAgainst,
  configurationFields,
  configurationKey,
  groupConfigurations,
  markFront,
  paretoFronts,
  perUserTokS,
  rebase,
  workloadIdentity,
  type ConfigurableRun,
} from '../../../runner/api/compare-configurations.js';
import { compareData, type CompareSources } from '../../../runner/api/compare-data.js';
import type { TimeSeries } from '../../../runner/engine/run-records.js';
import type { StoredMachineSpec } from '../../../runner/machines/stored-machine-spec.js';
import { METRIC_KEYS, type RunMetrics } from '../../../runner/metrics/metric-keys.js';
import type { RunRow } from '../../../runner/store/run-row.js';

interface RunOptions {
  policy?: string;
  params?: Record<string, unknown>;
  workload?: string;
  workloadJson?: Record<string, unknown>;
  machine?: string;
  rate?: number | null;
  seed?: number;
  stable?: boolean | null;
  metrics?: Partial<RunMetrics> | null;
  sweepId?: number;
}

let nextId = 1;
/** A done run: every metric 1 unless given; the workload JSON holds the rate like a stored one. */
function run(o: RunOptions = {}): ConfigurableRun & RunRow {
  const rate = o.rate === undefined ? 2 : o.rate;
  const metrics =
    o.metrics === null
      ? null
      : ({ ...Object.fromEntries(METRIC_KEYS.map((k) => [k, 1])), ...o.metrics } as RunMetrics);
  return {
    id: nextId++,
    sweepId: o.sweepId ?? 1,
    runKey: `k${nextId}`,
    workload: o.workload ?? 'synth',
    workloadJson: JSON.stringify(
      o.workloadJson ?? { name: o.workload ?? 'synth', arrival: { process: 'poisson', rate } },
    ),
    policy: o.policy ?? 'vllm',
    params: o.params ?? { maxNumSeqs: 128 },
    seed: o.seed ?? 1,
    rate,
    machine: o.machine ?? 'a100',
    originHost: null,
    status: metrics === null ? 'failed' : 'done',
    error: metrics === null ? 'boom' : null,
    warnings: [],
    metrics,
    stable: o.stable === undefined ? true : o.stable,
    stability: null,
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
  };
}

describe('compare by configuration: grouping', () => {
  it('leaves the rate (top level and arrival) out of the workload, keeping a typed mix\u2019s weights', () => {
    expect(
      workloadIdentity('w', JSON.stringify({ name: 'w', rate: 4, types: [{ prompt: 1, rate: 3 }] })),
    ).toBe(JSON.stringify({ name: 'w', types: [{ prompt: 1, rate: 3 }] }));
    expect(
      workloadIdentity('w', JSON.stringify({ name: 'w', arrival: { process: 'poisson', rate: 4 } })),
    ).toBe(JSON.stringify({ arrival: { process: 'poisson' }, name: 'w' }));
    expect(workloadIdentity('w', 'not json')).toBe(JSON.stringify({ name: 'w' }));
    // Rate and seed are not part of a configuration; policy, params, workload and machine are.
    const a = run({ rate: 2, seed: 1 });
    expect(configurationKey(run({ rate: 8, seed: 3 }))).toBe(configurationKey(a));
    expect(configurationKey(run({ params: { maxNumSeqs: 64 } }))).not.toBe(configurationKey(a));
    expect(configurationKey(run({ machine: 'h100' }))).not.toBe(configurationKey(a));
    expect(configurationKey(run({ policy: 'sarathi' }))).not.toBe(configurationKey(a));
    expect(
      configurationKey(run({ workloadJson: { name: 'synth', arrival: { process: 'gamma', rate: 2 } } })),
    ).not.toBe(configurationKey(a));
  });

  it('groups runs into configurations with one cell per rate: means, seed spread, stability', () => {
    const runs = [
      run({ rate: 4, seed: 1, metrics: { throughput_tok_s: 10 } }),
      run({
        policy: 'sarathi',
        params: { chunkSize: 256 },
        rate: 4,
        seed: 1,
        metrics: { throughput_tok_s: 30 },
      }),
      run({ rate: 2, seed: 1, metrics: { throughput_tok_s: 5 }, stable: null }),
      run({ rate: 4, seed: 2, metrics: { throughput_tok_s: 14 }, stable: false }),
      run({ rate: 2, seed: 2, metrics: null }),
      run({ rate: null, seed: 1, workloadJson: { name: 'synth', arrival: { process: 'poisson' } } }),
    ];
    const { configurations, runConfiguration } = groupConfigurations(runs);
    expect(runConfiguration).toEqual([0, 1, 0, 0, 0, 0]);
    const [vllm, sarathi] = configurations;
    expect(vllm.label).toBe('vllm');
    expect(sarathi.label).toBe('sarathi');
    expect(vllm.runIds).toEqual([runs[0].id, runs[2].id, runs[3].id, runs[4].id, runs[5].id]);
    expect(vllm.cells.map((c) => c.rate)).toEqual([2, 4, null]);
    const at4 = vllm.cells[1];
    expect(at4.seeds).toEqual([1, 2]);
    expect(at4.mean.throughput_tok_s).toBe(12);
    expect(at4.spread.throughput_tok_s).toBeCloseTo(Math.SQRT2 * 2, 12);
    expect([at4.measured, at4.stable, at4.unstable]).toEqual([2, 1, 1]);
    // The failed run counts in the cell, not in its means or stability.
    const at2 = vllm.cells[0];
    expect(at2.runIds).toHaveLength(2);
    expect([at2.measured, at2.stable, at2.unstable]).toEqual([1, 0, 0]);
    expect(at2.spread.throughput_tok_s).toBeNull();
    // Identical values over seeds: a spread of exactly 0 (shown as "n/a (identical)").
    expect(at4.spread.ttft_mean_s).toBe(0);
  });

  it('compares each configuration with the baseline configuration at the same rate only', () => {
    const runs = [
      run({ rate: 2, metrics: { throughput_tok_s: 100 } }),
      run({ rate: 4, metrics: { throughput_tok_s: 200 } }),
      run({ policy: 'fcfs', params: {}, rate: 2, metrics: { throughput_tok_s: 150 } }),
      run({ policy: 'fcfs', params: {}, rate: 4, metrics: { throughput_tok_s: 180 } }),
      run({ policy: 'fcfs', params: {}, rate: 8, metrics: { throughput_tok_s: 1 } }),
    ];
    const { configurations } = groupConfigurations(runs);
    const fcfs = configurations[1];
    expect(fcfs.cells.map((c) => c.changePct.throughput_tok_s)).toEqual([50, -10, null]);
    expect(configurations[0].cells.every((c) => c.changePct.throughput_tok_s === null)).toBe(true);
    // Re-based on fcfs: vllm is compared with fcfs at 2 and 4 req/s.
    const rebased = rebase(configurations, 1);
    expect(rebased[0].cells.map((c) => c.changePct.throughput_tok_s)).toEqual([
      ((100 - 150) / 150) * 100,
      ((200 - 180) / 180) * 100,
    ]);
    expect(rebased).toEqual(groupConfigurations(runs, 1).configurations);
    expect(() => rebase(configurations, 5)).toThrow(RangeError);
    // A zero or missing baseline mean gives no change.
    const zero = { ...fcfs.cells[0], mean: { ...fcfs.cells[0].mean, throughput_tok_s: 0 } };
    expect(changeAgainst(fcfs.cells[1], zero).throughput_tok_s).toBeNull();
  });

  it('labels by the parameters that differ within a policy, and the workload and machine when they differ', () => {
    const runs = [
      run({ params: { maxNumSeqs: 64, watermark: 0.01 } }),
      run({ params: { maxNumSeqs: 128, watermark: 0.01 } }),
      run({ policy: 'sarathi', params: { chunkSize: 256 }, machine: 'h100' }),
      run({ policy: 'fcfs', params: {}, workload: 'other' }),
    ];
    const { configurations } = groupConfigurations(runs);
    expect(configurations.map((c) => c.label)).toEqual([
      'vllm maxNumSeqs=64 \u00b7 synth @ a100',
      'vllm maxNumSeqs=128 \u00b7 synth @ a100',
      'sarathi \u00b7 synth @ h100',
      'fcfs \u00b7 other @ a100',
    ]);
    // The parameter table: one `params` field, not one column per policy parameter.
    expect(configurationFields(configurations)).toEqual([
      { key: 'policy', values: ['vllm', 'vllm', 'sarathi', 'fcfs'] },
      {
        key: 'params',
        values: ['maxNumSeqs=64 watermark=0.01', 'maxNumSeqs=128 watermark=0.01', 'chunkSize=256', '(none)'],
      },
      { key: 'workload', values: ['synth', 'synth', 'synth', 'other'] },
      { key: 'machine', values: ['a100', 'a100', 'h100', 'a100'] },
    ]);
    // Same names, different workload descriptions: labels and the workload field tell them apart.
    const twins = groupConfigurations([
      run({ workloadJson: { name: 'synth', arrival: { process: 'poisson', rate: 2 } } }),
      run({ workloadJson: { name: 'synth', arrival: { process: 'gamma', rate: 2 } } }),
    ]).configurations;
    expect(twins.map((c) => c.label)).toEqual(['vllm', 'vllm (2)']);
    expect(configurationFields(twins)).toEqual([{ key: 'workload', values: ['synth', 'synth (2)'] }]);
  });
});

describe('compare by configuration: the Pareto chart', () => {
  it('tokens/s per user: output throughput over the mean concurrency (Little: completion rate x mean E2E)', () => {
    const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, 1])) as RunMetrics;
    // 1000 tok/s, 10 req/s completed, 2 s E2E: 20 requests in the system, 50 tok/s each
    // (= 100 output tokens per request / 2 s).
    expect(
      perUserTokS({ ...metrics, throughput_tok_s: 1000, request_throughput_rps: 10, e2e_mean_s: 2 }),
    ).toBe(50);
    expect(perUserTokS({ ...metrics, e2e_mean_s: null })).toBeNull();
    expect(perUserTokS({ ...metrics, request_throughput_rps: 0 })).toBeNull();
    expect(perUserTokS(null)).toBeNull();
  });

  it('marks the front: the points no other point beats on one axis without losing on the other', () => {
    const points = [
      [10, 100],
      [20, 90],
      [15, 80], // dominated by (20, 90)
      [30, 50],
      [30, 40], // dominated by (30, 50)
      [5, 100], // dominated by (10, 100): same throughput, less per user
      [25, 90], // dominates (20, 90)
      [25, 90], // a duplicate of a front point is on the front
    ].map(([x, y], configuration) => ({
      configuration,
      rate: 1,
      perUserTokS: x,
      throughputTokS: y,
      front: false,
    }));
    markFront(points);
    expect(points.filter((p) => p.front).map((p) => [p.perUserTokS, p.throughputTokS])).toEqual([
      [10, 100],
      [30, 50],
      [25, 90],
      [25, 90],
    ]);
  });

  it('has one front per policy over its configurations and rates, from the cell means', () => {
    const m = (tput: number, e2e: number): Partial<RunMetrics> => ({
      throughput_tok_s: tput,
      request_throughput_rps: 1,
      e2e_mean_s: e2e,
    });
    const runs = [
      run({ params: { maxNumSeqs: 64 }, rate: 2, metrics: m(100, 1) }),
      run({ params: { maxNumSeqs: 64 }, rate: 4, metrics: m(200, 4) }),
      run({ params: { maxNumSeqs: 128 }, rate: 4, metrics: m(150, 5) }),
      run({ policy: 'fcfs', params: {}, rate: 2, metrics: m(90, 1) }),
      run({ policy: 'fcfs', params: {}, rate: 2, seed: 2, metrics: m(110, 1) }),
    ];
    const { configurations } = groupConfigurations(runs);
    const fronts = paretoFronts(configurations);
    expect(fronts.map((f) => f.label)).toEqual(['vllm', 'fcfs']);
    expect(fronts[0].points).toEqual([
      { configuration: 0, rate: 2, perUserTokS: 100, throughputTokS: 100, front: true },
      { configuration: 0, rate: 4, perUserTokS: 50, throughputTokS: 200, front: true },
      { configuration: 1, rate: 4, perUserTokS: 30, throughputTokS: 150, front: false },
    ]);
    // Means over seeds: throughput 100, per user (90 + 110) / 2.
    expect(fronts[1].points).toEqual([
      { configuration: 2, rate: 2, perUserTokS: 100, throughputTokS: 100, front: true },
    ]);
  });
});

describe('runs.compare: configurations in the API answer', () => {
  const empty = new Float64Array(0);
  const emptyInt = new Int32Array(0);
  const sources: CompareSources = {
    digest: () => ({ requests: 0, finished: 0, ttftS: empty, e2eS: empty, outputBins: [] }),
    timeSeries: () =>
      ({
        t: empty,
        queueLength: emptyInt,
        running: emptyInt,
        kvBlocks: emptyInt,
        prefillTokens: emptyInt,
        decodeCount: emptyInt,
      }) as unknown as TimeSeries,
    machineOf: () => ({ name: 'm', kvCapacityBlocks: 100, linear: null }) as unknown as StoredMachineSpec,
  };

  it('gives per-run changes at the baseline run\u2019s rate only, and the baseline configuration', () => {
    const runs = [
      run({ rate: 2, metrics: { throughput_tok_s: 100 } }),
      run({ policy: 'fcfs', params: {}, rate: 2, metrics: { throughput_tok_s: 150 } }),
      run({ policy: 'fcfs', params: {}, rate: 4, metrics: { throughput_tok_s: 300 } }),
    ];
    const out = compareData(
      runs,
      runs.map((r) => ({ id: r.id }) as RunSummary),
      runs[1].id,
      100,
      sources,
    );
    expect(out.baselineConfiguration).toBe(1);
    expect(out.runConfiguration).toEqual([0, 1, 1]);
    expect(out.rates).toEqual([2, 4]);
    const row = out.metrics.find((x) => x.key === 'throughput_tok_s')!;
    expect(row.changePct[0]).toBeCloseTo(((100 - 150) / 150) * 100, 12);
    expect(row.changePct[2]).toBeNull(); // 4 req/s against a 2 req/s baseline: not compared
    expect(out.configurations[0].cells[0].changePct.throughput_tok_s).toBeCloseTo(
      ((100 - 150) / 150) * 100,
      12,
    );
    expect(out.configurationFields.map((f) => f.key)).toEqual(['policy', 'params']);
    expect(out.charts.throughputVsRate.map((s) => [s.label, s.configuration, s.x, s.y])).toEqual([
      ['vllm', 0, [2], [100]],
      ['fcfs', 1, [2, 4], [150, 300]],
    ]);
  });
});
