import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../runner/api/api-contract.js';
import { compareData, type CompareSources } from '../../../runner/api/compare-data.js';
import type { TimeSeries } from '../../../runner/engine/run-records.js';
import type { StoredMachineSpec } from '../../../runner/machines/stored-machine-spec.js';
import { METRIC_KEYS, type RunMetrics } from '../../../runner/metrics/metric-keys.js';
import type { RunRow } from '../../../runner/store/run-row.js';

/** A done run of one configuration; `throughput` is its throughput_tok_s, every other metric 1. */
function row(id: number, seed: number, throughput: number): RunRow {
  const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, 1])) as RunMetrics;
  metrics.throughput_tok_s = throughput;
  return {
    id,
    sweepId: 1,
    runKey: `k${id}`,
    workload: 'w',
    workloadJson: '{"name":"w"}',
    policy: 'vllm',
    params: {},
    seed,
    rate: 2,
    machine: 'm',
    originHost: null,
    status: 'done',
    error: null,
    warnings: [],
    metrics,
    stable: null,
    stability: null,
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
  };
}

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

function seedSpreadOf(runs: RunRow[], key: string): (number | null)[] {
  const out = compareData(
    runs,
    runs.map((r) => ({ id: r.id }) as RunSummary),
    undefined,
    100,
    sources,
  );
  return out.metrics.find((m) => m.key === key)!.seedSpread;
}

describe('Compare: seed-to-seed spread', () => {
  it('is the standard deviation over seeds that differ, exactly 0 over identical values, null alone', () => {
    const runs = [row(1, 1, 10), row(2, 2, 12), row(3, 3, 14)];
    expect(seedSpreadOf(runs, 'throughput_tok_s')).toEqual([2, 2, 2]);
    // 0.1 three times: the sample deviation computed naively is not exactly 0.
    const same = [row(1, 1, 0.1), row(2, 2, 0.1), row(3, 3, 0.1)];
    expect(seedSpreadOf(same, 'throughput_tok_s')).toEqual([0, 0, 0]);
    expect(seedSpreadOf([row(1, 1, 10)], 'throughput_tok_s')).toEqual([null]);
    // The Compare view prints a spread of exactly 0 as "± n/a (identical)" (compare-tables.ts).
  });
});
