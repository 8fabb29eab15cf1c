import { describe, expect, it } from 'vitest';
import type { EngineOutput } from '../../../runner/engine/replica-engine.js';
import { METRIC_KEYS, type RunMetrics } from '../../../runner/metrics/metric-keys.js';
import { computeRunMetrics, offeredRate } from '../../../runner/metrics/run-metrics.js';
import { runResultOf } from '../../../runner/metrics/run-result.js';
import { buildRequestList, loadWorkload } from '../../../runner/workloads/build-workload.js';
import { WorkloadSpecSchema } from '../../../runner/workloads/workload-spec.js';

/**
 * Four requests worked by hand (times are binary fractions, so every difference is exact):
 *
 * | # | arrival | scheduled | first token | finish | prompt | output | TTFT | TPOT | E2E  |
 * | 0 | 0       | 0         | 0.5         | 2.5    | 10     | 5      | 0.5  | 0.5  | 2.5  |
 * | 1 | 1       | 1.25      | 1.75        | 3.75   | 20     | 3      | 0.75 | 1    | 2.75 |
 * | 2 | 2       | 2         | 2.25        | 2.25   | 30     | 1      | 0.25 | —    | 0.25 |
 * | 3 | 4       | 4.5       | 5           | —      | 40     | 8      | unfinished at the horizon 8 s |
 */
function handOutput(): EngineOutput {
  const f64 = (...v: number[]): Float64Array => Float64Array.from(v);
  const i32 = (...v: number[]): Int32Array => Int32Array.from(v);
  return {
    records: {
      arrival: f64(0, 1, 2, 4),
      promptTokens: i32(10, 20, 30, 40),
      outputTokens: i32(5, 3, 1, 8),
      firstScheduled: f64(0, 1.25, 2, 4.5),
      firstToken: f64(0.5, 1.75, 2.25, 5),
      finish: f64(2.5, 3.75, 2.25, NaN),
      generatedTokens: i32(5, 3, 1, 2),
      evictions: i32(0, 1, 0, 0),
      preemptions: i32(1, 0, 0, 2),
      recomputedTokens: i32(0, 12, 0, 0),
      maxItl: f64(0.5, 1, NaN, 0.5),
    },
    timeSeries: {
      t: f64(),
      queueLength: i32(),
      running: i32(),
      kvBlocks: i32(),
      prefillTokens: i32(),
      decodeCount: i32(),
    },
    totals: {
      iterations: 16,
      batchRequests: 32,
      kvPeakBlocks: 50,
      kvBlockSeconds: 200,
      startS: 0,
      endS: 8,
      kvCapacityBlocks: 100,
    },
    warnings: [],
  };
}

/** Every key of the hand-worked run without an SLO (percentiles: NumPy's linear, type 7). */
const WITHOUT_SLO: RunMetrics = {
  requests: 4,
  completed: 3,
  unfinished: 1,
  rejected: 0,
  makespan_s: 8,
  offered_rate_rps: 3 / 4, // 3 gaps over 4 s
  throughput_tok_s: 9 / 8,
  request_throughput_rps: 3 / 8,
  total_token_throughput_tok_s: (9 + 60) / 8,
  goodput_rps: null,
  goodput_tok_s: null,
  slo_attainment: null,
  ttft_mean_s: 0.5,
  ttft_p50_s: 0.5,
  ttft_p90_s: 0.5 + 0.8 * 0.25,
  ttft_p99_s: 0.5 + 0.98 * 0.25,
  tpot_mean_s: 0.75,
  tpot_p50_s: 0.75,
  tpot_p99_s: 0.5 + 0.99 * 0.5,
  e2e_mean_s: 5.5 / 3,
  e2e_p50_s: 2.5,
  e2e_p90_s: 2.5 + 0.8 * 0.25,
  e2e_p99_s: 2.5 + 0.98 * 0.25,
  queue_delay_mean_s: 0.25 / 3,
  queue_delay_p99_s: 0.98 * 0.25,
  preemptions: 3,
  evictions: 1,
  recomputed_tokens: 12,
  prefix_cache_hit_rate: null, // the run did not cache prefixes
  replicas: 1, // one replica
  load_imbalance: null, // defined for clusters only
  kv_peak_frac: 0.5,
  kv_mean_frac: 200 / (8 * 100),
  batch_size_mean: 2,
  iterations: 16,
  sim_wall_s: 0.125,
  sim_cpu_s: null,
};

function expectMetrics(actual: RunMetrics, expected: RunMetrics): void {
  expect(Object.keys(actual)).toEqual([...METRIC_KEYS]);
  for (const key of METRIC_KEYS) {
    const want = expected[key];
    if (want === null) expect(actual[key], key).toBeNull();
    else expect(actual[key], key).toBeCloseTo(want, 12);
  }
}

describe('goodput and SLO attainment (vLLM bench serve --goodput)', () => {
  it('are null without an SLO; every other key as worked by hand', () => {
    expectMetrics(computeRunMetrics(handOutput(), 0.125), WITHOUT_SLO);
    expectMetrics(computeRunMetrics(handOutput(), 0.125, { slo: null }), WITHOUT_SLO);
    expectMetrics(computeRunMetrics(handOutput(), 0.125, { simCpuS: 0.0625 }), {
      ...WITHOUT_SLO,
      sim_cpu_s: 0.0625,
    });
  });

  it('count a completed request as good when it meets every bound, boundary included', () => {
    // #0: TTFT 0.5 <= 0.5 and TPOT 0.5 <= 0.5; #1 misses TTFT; #2 has one output token, so no TPOT,
    // and meets the TPOT bound; #3 is unfinished. Good: #0 and #2, 5 + 1 output tokens.
    const m = computeRunMetrics(handOutput(), 0.125, { slo: { ttft_s: 0.5, tpot_s: 0.5 } });
    expectMetrics(m, { ...WITHOUT_SLO, goodput_rps: 2 / 8, goodput_tok_s: 6 / 8, slo_attainment: 2 / 4 });
    expect(m.goodput_rps).toBe(0.25);
    expect(m.goodput_tok_s).toBe(0.75);
    expect(m.slo_attainment).toBe(0.5);
  });

  it('apply only the bounds given', () => {
    // TPOT <= 1: #0 (0.5), #1 (1), #2 (none) -> 3 good, 9 tokens.
    expect(computeRunMetrics(handOutput(), 0, { slo: { tpot_s: 1 } })).toMatchObject({
      goodput_rps: 3 / 8,
      goodput_tok_s: 9 / 8,
      slo_attainment: 3 / 4,
    });
    // E2E <= 2.5: #0 (2.5) and #2 (0.25).
    expect(computeRunMetrics(handOutput(), 0, { slo: { e2e_s: 2.5 } })).toMatchObject({
      goodput_rps: 2 / 8,
      goodput_tok_s: 6 / 8,
      slo_attainment: 2 / 4,
    });
    // TTFT <= 0.2: nobody.
    expect(computeRunMetrics(handOutput(), 0, { slo: { ttft_s: 0.2 } })).toMatchObject({
      goodput_rps: 0,
      goodput_tok_s: 0,
      slo_attainment: 0,
    });
    // Loose bounds on all three: every completed request, never the unfinished one.
    expect(computeRunMetrics(handOutput(), 0, { slo: { ttft_s: 9, tpot_s: 9, e2e_s: 9 } })).toMatchObject({
      goodput_rps: 3 / 8,
      goodput_tok_s: 9 / 8,
      slo_attainment: 3 / 4,
    });
  });

  it('count rejected requests in the attainment denominator, and report them', () => {
    const m = computeRunMetrics(handOutput(), 0, { slo: { ttft_s: 0.5, tpot_s: 0.5 }, rejected: 1 });
    expect(m).toMatchObject({ requests: 4, rejected: 1, goodput_rps: 0.25, slo_attainment: 2 / 5 });
    const result = runResultOf(handOutput(), 0, undefined, { slo: null, rejected: 2 });
    expect(result.metrics.rejected).toBe(2);
    expect(result.metrics.slo_attainment).toBeNull();
    expect(result.warnings).toEqual([
      "2 of 6 requests rejected: they can never fit in the KV cache under this policy, and the spec's " +
        '`oversize: skip` left them out of the run',
    ]);
    expect(runResultOf(handOutput(), 0).warnings).toEqual([]);
  });

  it('are null, not NaN, for a run of zero makespan', () => {
    const out = handOutput();
    out.totals.endS = 0;
    const m = computeRunMetrics(out, 0, { slo: { e2e_s: 9 } });
    expect(m.goodput_rps).toBeNull();
    expect(m.goodput_tok_s).toBeNull();
    expect(m.slo_attainment).toBe(3 / 4);
  });
});

describe('offered_rate_rps', () => {
  it('is (n - 1) / (last arrival - first arrival) of the arrivals given', () => {
    expect(offeredRate([2, 2.5, 3.5, 6])).toBe(3 / 4);
    expect(offeredRate(Float64Array.from([0, 0.25]))).toBe(4);
    expect(offeredRate([1, 1, 1, 3])).toBe(1.5);
  });

  it('is null for fewer than two arrivals or all at one instant', () => {
    expect(offeredRate([])).toBeNull();
    expect(offeredRate([3])).toBeNull();
    expect(offeredRate([2, 2, 2])).toBeNull();
  });

  it('is about 5.2 % above the nominal rate for Vidur-clipped Poisson arrivals', () => {
    const rateOf = (clip: boolean): number => {
      const spec = WorkloadSpecSchema.parse({
        name: 'p',
        promptTokens: { dist: 'fixed', value: 10 },
        outputTokens: { dist: 'fixed', value: 10 },
        arrival: { process: 'poisson', rate: 2, ...(clip ? { clip: 'vidur' } : {}) },
      });
      const list = buildRequestList(loadWorkload(spec, { specDir: '.' }), { seed: 7, requests: 40_000 });
      return offeredRate(list.arrival)! / 2;
    };
    // Mean clipped gap (1 - e^-3)/rate; 40,000 gaps give a relative standard error of about 0.5 %.
    expect(rateOf(true)).toBeCloseTo(1 / (1 - Math.exp(-3)), 1);
    expect(rateOf(true) - rateOf(false)).toBeGreaterThan(0.03);
    expect(Math.abs(rateOf(false) - 1)).toBeLessThan(0.02);
  });
});
