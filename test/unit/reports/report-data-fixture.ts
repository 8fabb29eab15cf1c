import { METRIC_KEYS } from '../../../runner/metrics/metric-keys.js';
import type { RunMetrics } from '../../../runner/metrics/metric-keys.js';
import type { StabilityResult } from '../../../runner/metrics/stability.js';
import type { FluidOverlay, ReportData, ReportRun } from '../../../runner/reports/report-data.js';
import { mulberry32 } from '../../helpers/mulberry32.js';

/** Options of {@link sampleReportData}. */
export interface SampleReportOptions {
  /** Workload names (default `azure-conv`, `sharegpt-synth`). */
  workloads?: string[];
  /** Policies with their parameters (default vllm, sarathi, mc-sf). */
  policies?: Array<{ policy: string; params: Record<string, unknown> }>;
  /** Arrival rates, req/s (default 2, 4, 8). */
  rates?: Array<number | null>;
  /** Seeds per (workload, policy, rate) (default [1]). */
  seeds?: number[];
  /** TTFT and E2E samples per done run (default 500). */
  samples?: number;
  /** Append one failed run (no metrics, with an error) per workload (default true). */
  withFailed?: boolean;
  /**
   * Add a fluid overlay per workload (default false): Throughput* = rate x output tokens, with
   * the stability limit at `fluidLimits[w]` req/s (default 10 and 6).
   */
  fluid?: boolean;
  fluidLimits?: number[];
}

/**
 * A hand-built ReportData with realistic values: latencies grow with load (an M/M/1-like
 * curve per policy), throughput follows the arrival rate, samples are lognormal around the
 * metric means; a done run is judged unstable when its rate is 85 % or more of what its policy
 * sustains (with the defaults: vllm at 8 req/s on the first workload), runs at a
 * null rate have no verdict. Deterministic (seeded PRNG).
 */
export function sampleReportData(options: SampleReportOptions = {}): ReportData {
  const workloads = options.workloads ?? ['azure-conv', 'sharegpt-synth'];
  const policies = options.policies ?? [
    { policy: 'vllm', params: { maxNumSeqs: 128, maxBatchedTokens: 2048 } },
    { policy: 'sarathi', params: { chunkSize: 512 } },
    { policy: 'mc-sf', params: { alpha: 0.25 } },
  ];
  const rates = options.rates ?? [2, 4, 8];
  const seeds = options.seeds ?? [1];
  const samples = options.samples ?? 500;
  const random = mulberry32(20261121);
  const runs: ReportRun[] = [];
  const distributions: ReportData['distributions'] = {};
  let id = 1;
  workloads.forEach((workload, w) => {
    const outputTokens = w === 0 ? 210 : 340;
    const promptTokens = w === 0 ? 1020 : 260;
    policies.forEach(({ policy, params }, p) => {
      const capacity = (w === 0 ? 9 : 11) + 0.8 * p; // req/s the policy sustains
      for (const rate of rates) {
        for (const seed of seeds) {
          const load = Math.min((rate ?? 5) / capacity, 0.95);
          const noise = 1 + 0.12 * (random() - 0.5); // seed-to-seed spread, +-6%
          const e2eMean = (outputTokens * 0.022 + 0.15) * (1 + (load * load) / (1 - load)) * noise;
          const ttftMean = 0.06 * (1 + (3 * load) / (1 - load)) * noise;
          const metrics = makeMetrics({
            rate: rate ?? 5,
            outputTokens,
            promptTokens,
            e2eMean,
            ttftMean,
            load,
          });
          const stable = rate === null ? null : rate / capacity < 0.85;
          const run: ReportRun = {
            id,
            sweepId: 7,
            workload,
            policy,
            params,
            seed,
            rate,
            machine: 'sim-a100',
            status: 'done',
            error: null,
            metrics,
            stable,
            stability: stable === null ? null : sampleVerdict(stable, rate ?? 1),
          };
          runs.push(run);
          distributions[id] = {
            ttft: lognormalSamples(random, samples, ttftMean, 0.9),
            e2e: lognormalSamples(random, samples, e2eMean, 0.45),
          };
          id += 1;
        }
      }
    });
    if (options.withFailed ?? true) {
      runs.push({
        id: id++,
        sweepId: 7,
        workload,
        policy: policies[0].policy,
        params: policies[0].params,
        seed: 99,
        rate: rates[rates.length - 1],
        machine: 'sim-a100',
        status: 'failed',
        error: 'KV capacity violated: decision admits request 412 with 1300 tokens but 12 blocks are free',
        metrics: null,
        stable: null,
        stability: null,
      });
    }
  });
  const fluid: Record<string, FluidOverlay> = {};
  if (options.fluid) {
    workloads.forEach((workload, w) => {
      const limit = (options.fluidLimits ?? [10, 6])[w] ?? 10;
      fluid[workload] = sampleFluidOverlay(
        rates.filter((rate): rate is number => rate !== null),
        w === 0 ? 210 : 340,
        limit,
      );
    });
  }
  return {
    title: 'Schedbench report: paper-fig3',
    generatedAt: '2026-11-21T08:30:00.000Z',
    sweep: {
      id: 7,
      name: 'paper-fig3',
      specYaml:
        'name: paper-fig3\nworkloads: [azure-conv, sharegpt-synth]\npolicies:\n  - vllm\n  - sarathi\n  - mc-sf\nrates: [2, 4, 8]\n',
      createdAt: '2026-11-20T22:01:13.000Z',
    },
    machine: {
      name: 'sim-a100',
      description: 'Calibrated simulator: Llama-2-7B on one A100 80GB (linear iteration-time model)',
      details: {
        gpu: 'A100-SXM4-80GB',
        model: 'Llama-2-7B',
        dtype: 'float16',
        kv_blocks: 7168,
        d0_s: 0.0094,
        d1_s_per_token: 1.7e-7,
      },
    },
    runs,
    distributions,
    ...(options.fluid ? { fluid } : {}),
  };
}

/** A fluid overlay of a single-type-like mix: Throughput* = rate x output, limit at `limit` req/s. */
export function sampleFluidOverlay(rates: number[], outputTokens: number, limit: number): FluidOverlay {
  const sorted = [...new Set(rates)].sort((a, b) => a - b);
  return {
    points: sorted.map((rate) => ({
      rate,
      throughputStarTokS: rate * outputTokens,
      maxThroughputTokS: limit * outputTokens,
      lineTokS: Math.min(rate, limit) * outputTokens,
      mStarTokens: rate < limit ? (20_000 * rate) / (limit - rate) : null,
      load: rate / limit,
      stable: rate < limit,
    })),
    maxStableRateRps: limit,
    maxThroughputTokS: limit * outputTokens,
    types: 'declared',
    note: `Fluid benchmark (test fixture): limit ${limit} req/s.`,
  };
}

/** A stability verdict for a fixture run at `rate` req/s. */
function sampleVerdict(stable: boolean, rate: number): StabilityResult {
  return {
    stable,
    method: 'batch-means-trend',
    reason: stable
      ? 'stable: no significant growth of the requests in system'
      : 'unstable: requests in system grow',
    confidence: 0.95,
    windowStartS: 10,
    windowEndS: 1000 / rate,
    arrivals: 900,
    batches: 20,
    slopePerS: stable ? 0.001 : 0.4 * rate,
    slopeStdErrPerS: 0.01,
    slopeLowerBoundPerS: stable ? -0.02 : 0.4 * rate - 0.02,
    pValue: stable ? 0.4 : 1e-9,
    lag1Autocorrelation: 0.2,
    degreesOfFreedom: 18,
    growthFraction: stable ? 0.0001 : 0.4,
    meanInSystem: stable ? 5 : 200,
  };
}

function makeMetrics(m: {
  rate: number;
  outputTokens: number;
  promptTokens: number;
  e2eMean: number;
  ttftMean: number;
  load: number;
}): RunMetrics {
  const requests = 1000;
  const makespan = requests / m.rate + m.e2eMean;
  const values: Record<string, number | null> = {
    requests,
    completed: requests,
    unfinished: 0,
    makespan_s: makespan,
    throughput_tok_s: (requests * m.outputTokens) / makespan,
    request_throughput_rps: requests / makespan,
    total_token_throughput_tok_s: (requests * (m.outputTokens + m.promptTokens)) / makespan,
    ttft_mean_s: m.ttftMean,
    ttft_p50_s: m.ttftMean * 0.7,
    ttft_p90_s: m.ttftMean * 2.1,
    ttft_p99_s: m.ttftMean * 4.3,
    tpot_mean_s: (m.e2eMean - m.ttftMean) / m.outputTokens,
    tpot_p50_s: ((m.e2eMean - m.ttftMean) / m.outputTokens) * 0.95,
    tpot_p99_s: ((m.e2eMean - m.ttftMean) / m.outputTokens) * 1.8,
    e2e_mean_s: m.e2eMean,
    e2e_p50_s: m.e2eMean * 0.9,
    e2e_p90_s: m.e2eMean * 1.6,
    e2e_p99_s: m.e2eMean * 2.3,
    queue_delay_mean_s: m.ttftMean * 0.6,
    queue_delay_p99_s: m.ttftMean * 3.5,
    preemptions: Math.round(400 * m.load * m.load),
    evictions: Math.round(60 * m.load * m.load * m.load),
    recomputed_tokens: Math.round(60 * m.load ** 3 * m.promptTokens),
    kv_peak_frac: Math.min(0.35 + 0.7 * m.load, 1),
    kv_mean_frac: 0.2 + 0.6 * m.load,
    batch_size_mean: 4 + 60 * m.load,
    iterations: Math.round(makespan / 0.03),
    sim_wall_s: 0.4 + 0.1 * m.load,
  };
  return Object.fromEntries(METRIC_KEYS.map((key) => [key, values[key] ?? null])) as RunMetrics;
}

/** `n` lognormal samples with the given mean and log-sd, seconds. */
function lognormalSamples(random: () => number, n: number, mean: number, sigma: number): number[] {
  const mu = Math.log(mean) - (sigma * sigma) / 2;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u1 = Math.max(random(), 1e-12);
    const u2 = random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    out.push(Math.exp(mu + sigma * z));
  }
  return out;
}
