// Shared fixtures of the store tests: temporary database folders, sweeps, runs and results.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IterationRecords } from '../../../runner/engine/run-records.js';
import type { RunResult } from '../../../runner/metrics/run-result.js';
import { runDigest } from '../../../runner/metrics/run-digest.js';
import { METRIC_KEYS } from '../../../runner/metrics/metric-keys.js';
import type { RunMetrics } from '../../../runner/metrics/metric-keys.js';
import type { StabilityResult } from '../../../runner/metrics/stability.js';
import type { NewRun } from '../../../runner/store/run-row.js';
import type { NewSweep } from '../../../runner/store/sweep-row.js';

/** A fresh temporary folder and a function that removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid run; `overrides` replace fields. */
export function newRun(runKey: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    runKey,
    workload: 'poisson',
    workloadJson: JSON.stringify({ kind: 'poisson', requests: 100 }),
    policy: 'fcfs',
    paramsJson: JSON.stringify({ chunk: 512 }),
    seed: 1,
    rate: 2.5,
    machine: 'sim',
    ...overrides,
  };
}

/** A valid sweep with runs `a`, `b`, `c`; `overrides` replace fields. */
export function newSweep(overrides: Partial<NewSweep> = {}): NewSweep {
  return {
    name: 'quickstart',
    specYaml: 'name: quickstart\n',
    specJson: JSON.stringify({ name: 'quickstart' }),
    specHash: 'hash-1',
    specPath: '/tmp/quickstart.yaml',
    machineJson: JSON.stringify({ kind: 'sim' }),
    runs: [newRun('a'), newRun('b', { seed: 2 }), newRun('c', { rate: null, policy: 'vllm' })],
    ...overrides,
  };
}

/** Metrics with every key: distinct numbers, and null for the TPOT keys. */
export function sampleMetrics(): RunMetrics {
  const metrics = {} as RunMetrics;
  METRIC_KEYS.forEach((key, i) => (metrics[key] = key.startsWith('tpot') ? null : i * 1.25 + 0.1));
  return metrics;
}

/** A stability verdict with every field set (`stable` as given; false: growing, true: flat). */
export function sampleStability(stable: boolean | null = true): StabilityResult {
  if (stable === null) {
    return {
      stable: null,
      method: 'batch-means-trend',
      reason: 'too short to judge: 12 arrivals in the analysis window, at least 200 needed',
      confidence: 0.95,
      windowStartS: null,
      windowEndS: null,
      arrivals: 12,
      batches: 0,
      slopePerS: null,
      slopeStdErrPerS: null,
      slopeLowerBoundPerS: null,
      pValue: null,
      lag1Autocorrelation: null,
      degreesOfFreedom: null,
      growthFraction: null,
      meanInSystem: null,
    };
  }
  return {
    stable,
    method: 'batch-means-trend',
    reason: stable ? 'stable: no significant growth' : 'unstable: requests in system grow',
    confidence: 0.95,
    windowStartS: 1.25,
    windowEndS: 99.75,
    arrivals: 1000,
    batches: 20,
    slopePerS: stable ? 0.0125 : 3.5,
    slopeStdErrPerS: 0.0625,
    slopeLowerBoundPerS: stable ? -0.1 : 3.39,
    pValue: stable ? 0.42 : 1e-12,
    lag1Autocorrelation: 0.3,
    degreesOfFreedom: 18,
    growthFraction: stable ? 0.001 : 0.34,
    meanInSystem: stable ? 12.5 : 170.25,
  };
}

/**
 * A hand-built result with `n` requests: every 7th request unfinished (NaN finish, first token
 * and max ITL), every 11th never scheduled, and `samples` time-series entries.
 */
export function sampleResult(n: number, samples = 50): RunResult {
  const arrival = new Float64Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  const firstScheduled = new Float64Array(n);
  const firstToken = new Float64Array(n);
  const finish = new Float64Array(n);
  const generatedTokens = new Int32Array(n);
  const evictions = new Int32Array(n);
  const preemptions = new Int32Array(n);
  const recomputedTokens = new Int32Array(n);
  const maxItl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    arrival[i] = i * 0.1 + 1 / 3;
    promptTokens[i] = 1 + ((i * 37) % 2000);
    outputTokens[i] = 1 + ((i * 13) % 500);
    const scheduled = i % 11 !== 0;
    const finished = scheduled && i % 7 !== 0;
    firstScheduled[i] = scheduled ? arrival[i] + 0.01 * (i % 5) : NaN;
    firstToken[i] = scheduled ? firstScheduled[i] + Math.PI / 100 : NaN;
    finish[i] = finished ? firstToken[i] + outputTokens[i] * 0.0123456789 : NaN;
    generatedTokens[i] = finished ? outputTokens[i] : scheduled ? 1 : 0;
    evictions[i] = i % 3;
    preemptions[i] = i % 4;
    recomputedTokens[i] = evictions[i] * promptTokens[i];
    maxItl[i] = finished && outputTokens[i] > 1 ? 0.02 + i * 1e-6 : NaN;
  }
  const t = new Float64Array(samples);
  const queueLength = new Int32Array(samples);
  const running = new Int32Array(samples);
  const kvBlocks = new Int32Array(samples);
  const prefillTokens = new Int32Array(samples);
  const decodeCount = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    t[i] = i * 0.05 + 0.001;
    queueLength[i] = i % 9;
    running[i] = i % 17;
    kvBlocks[i] = i * 3;
    prefillTokens[i] = (i * 101) % 4096;
    decodeCount[i] = i % 17;
  }
  const requests = {
    arrival,
    promptTokens,
    outputTokens,
    firstScheduled,
    firstToken,
    finish,
    generatedTokens,
    evictions,
    preemptions,
    recomputedTokens,
    maxItl,
  };
  return {
    metrics: sampleMetrics(),
    requests,
    digest: runDigest(requests),
    timeSeries: { t, queueLength, running, kvBlocks, prefillTokens, decodeCount },
    stability: sampleStability(true),
    warnings: ['prompt 3 exceeds the batch token limit'],
  };
}

/**
 * `n` measured iterations of a GPU-worker run with awkward doubles (thirds, multiples of pi,
 * subnormal-scale and very large times) and every third iteration decode-only.
 */
export function sampleIterations(n: number): IterationRecords {
  const startS = new Float64Array(n);
  const timeS = new Float64Array(n);
  const wallS = new Float64Array(n);
  const numPrefills = new Int32Array(n);
  const prefillTokens = new Int32Array(n);
  const numDecodes = new Int32Array(n);
  const decodeKvTokens = new Int32Array(n);
  let clock = 1 / 3;
  for (let i = 0; i < n; i++) {
    startS[i] = clock;
    timeS[i] = i === 1 ? 5e-324 : i === 2 ? 1e300 : ((i % 13) + 1) * (Math.PI / 1000);
    wallS[i] = timeS[i] + 1e-4 / 3;
    clock += i === 2 ? 0.1 : timeS[i];
    numPrefills[i] = i % 3 === 0 ? 0 : 1 + (i % 4);
    prefillTokens[i] = numPrefills[i] * (1 + ((i * 37) % 2048));
    numDecodes[i] = i % 57;
    decodeKvTokens[i] = numDecodes[i] * (100 + i);
  }
  return { startS, timeS, wallS, numPrefills, prefillTokens, numDecodes, decodeKvTokens };
}
