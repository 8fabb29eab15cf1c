import { describe, expect, it } from 'vitest';
import type { RequestRecords } from '../../../runner/engine/run-records.js';
import { requestTypes } from '../../../runner/fluid/request-types.js';
import { DIGEST_POINTS, digestCdf, digestTypes, runDigest } from '../../../runner/metrics/run-digest.js';
import { empiricalCdf } from '../../../runner/reports/empirical-cdf.js';
import { repositoryPath } from '../../../runner/repository-path.js';
import { readAzureTrace } from '../../../runner/workloads/azure-trace.js';
import { mulberry32 } from '../../helpers/mulberry32.js';

/**
 * Records of `n` requests with random latencies (lognormal-ish TTFT and E2E), prompt and output
 * lengths as given (default 100 / 50); every `unfinishedEvery`-th request never finishes.
 */
function records(
  n: number,
  seed: number,
  options: { prompt?: Int32Array; output?: Int32Array; unfinishedEvery?: number } = {},
): RequestRecords {
  const random = mulberry32(seed, '(0, 1)');
  const arrival = new Float64Array(n);
  const firstToken = new Float64Array(n);
  const finish = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    arrival[i] = i * 0.25;
    firstToken[i] = arrival[i] + Math.exp(-3 + Math.log(random()) * -0.5);
    finish[i] = firstToken[i] + 2 * Math.exp(Math.log(random()) * -0.3);
    if (options.unfinishedEvery && i % options.unfinishedEvery === 0) {
      firstToken[i] = Number.NaN;
      finish[i] = Number.NaN;
    }
  }
  const zeros = new Int32Array(n);
  return {
    arrival,
    promptTokens: options.prompt ?? new Int32Array(n).fill(100),
    outputTokens: options.output ?? new Int32Array(n).fill(50),
    firstScheduled: arrival,
    firstToken,
    finish,
    generatedTokens: zeros,
    evictions: zeros,
    preemptions: zeros,
    recomputedTokens: zeros,
    maxItl: new Float64Array(n),
  };
}

/** The TTFT and E2E samples of the finished requests, as the reports computed them before digests. */
function samples(r: RequestRecords): { ttft: number[]; e2e: number[] } {
  const ttft: number[] = [];
  const e2e: number[] = [];
  for (let i = 0; i < r.arrival.length; i++) {
    if (Number.isNaN(r.finish[i])) continue;
    ttft.push(r.firstToken[i] - r.arrival[i]);
    e2e.push(r.finish[i] - r.arrival[i]);
  }
  return { ttft, e2e };
}

const asPoints = (cdf: { x: number[]; y: number[] }) => cdf.x.map((x, i) => ({ x, y: cdf.y[i] }));

describe('digestCdf', () => {
  it('gives exactly empiricalCdf of the samples when a run has at most DIGEST_POINTS finished requests', () => {
    for (const [n, seed] of [
      [1, 1],
      [2, 2],
      [300, 3],
      [DIGEST_POINTS, 4],
    ]) {
      const r = records(n, seed);
      const digest = runDigest(r);
      const { ttft, e2e } = samples(r);
      expect(digest.finished).toBe(n);
      for (const maxPoints of [2, 50, 200, DIGEST_POINTS, 5000]) {
        expect(asPoints(digestCdf(digest.ttftS, digest.finished, maxPoints))).toEqual(
          empiricalCdf(ttft, maxPoints),
        );
        expect(asPoints(digestCdf(digest.e2eS, digest.finished, maxPoints))).toEqual(
          empiricalCdf(e2e, maxPoints),
        );
      }
    }
  });

  it('leaves unfinished requests out, as the reports did', () => {
    const r = records(500, 5, { unfinishedEvery: 7 });
    const digest = runDigest(r);
    const { e2e } = samples(r);
    expect(digest.requests).toBe(500);
    expect(digest.finished).toBe(e2e.length);
    expect(asPoints(digestCdf(digest.e2eS, digest.finished, 100))).toEqual(empiricalCdf(e2e, 100));
  });

  it('keeps at most maxPoints, always the minimum and the maximum, for a long run', () => {
    const r = records(20_000, 6);
    const digest = runDigest(r);
    const { ttft } = samples(r);
    expect(digest.ttftS).toHaveLength(DIGEST_POINTS);
    for (const maxPoints of [2, 3, 50, 777, DIGEST_POINTS, 10_000]) {
      const cdf = digestCdf(digest.ttftS, digest.finished, maxPoints);
      expect(cdf.x.length).toBe(Math.min(maxPoints, DIGEST_POINTS));
      expect(cdf.x[0]).toBe(Math.min(...ttft));
      expect(cdf.x[cdf.x.length - 1]).toBe(Math.max(...ttft));
      expect(cdf.y[cdf.y.length - 1]).toBe(1);
      expect(cdf.y[0]).toBe(1 / 20_000);
      for (let i = 1; i < cdf.x.length; i++) {
        expect(cdf.x[i]).toBeGreaterThanOrEqual(cdf.x[i - 1]);
        expect(cdf.y[i]).toBeGreaterThan(cdf.y[i - 1]);
      }
    }
    // Each point's y is its sample's true rank among the 20,000 (not merely its rank among the 1,001).
    const sorted = [...ttft].sort((a, b) => a - b);
    const cdf = digestCdf(digest.ttftS, digest.finished, 200);
    cdf.x.forEach((x, i) => expect(sorted[Math.round(cdf.y[i] * 20_000) - 1]).toBe(x));
    // ... and within one sample of the full empirical CDF at the same maxPoints.
    const full = empiricalCdf(ttft, 200);
    cdf.y.forEach((y, i) => expect(Math.abs(y - full[i].y)).toBeLessThanOrEqual(20 / 20_000));
  });

  it('is empty for no finished request and refuses fewer than 2 points', () => {
    const digest = runDigest(records(10, 7, { unfinishedEvery: 1 }));
    expect(digest.finished).toBe(0);
    expect(digestCdf(digest.ttftS, 0, 10)).toEqual({ x: [], y: [] });
    expect(() => digestCdf(digest.ttftS, 0, 1)).toThrow(RangeError);
    expect(() => digestCdf(digest.ttftS, 0, 2.5)).toThrow(RangeError);
  });
});

describe('digestTypes', () => {
  it('equals requestTypes(...).types for the lengths of a real trace (Azure 2023 code), at any rate', () => {
    const trace = readAzureTrace(repositoryPath('data', 'azure-llm-2023', 'AzureLLMInferenceTrace_code.csv'));
    const n = 5000;
    const r = records(n, 8, {
      prompt: trace.promptTokens.slice(0, n),
      output: trace.outputTokens.slice(0, n),
      unfinishedEvery: 11, // bins are of every request, finished or not
    });
    const digest = runDigest(r);
    expect(digest.outputBins.length).toBeGreaterThan(1);
    for (const rate of [0.5, 3, 17.25]) {
      const expected = requestTypes(r, rate, null).types;
      const got = digestTypes(digest, rate);
      expect(got).toHaveLength(expected.length);
      got.forEach((t, j) => {
        expect(t.prompt).toBe(expected[j].prompt);
        expect(t.output).toBe(expected[j].output);
        expect(t.rate).toBeCloseTo(expected[j].rate, 12);
      });
    }
  });

  it('refuses a run without requests', () => {
    expect(() => digestTypes(runDigest(records(0, 9)), 1)).toThrow(RangeError);
  });
});
