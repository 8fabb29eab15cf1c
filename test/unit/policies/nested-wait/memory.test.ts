import { describe, expect, it } from 'vitest';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import {
  boundaryQueueTheta,
  nestedWaitMemory,
  nestedWaitMPi,
} from '../../../../runner/fluid/nested-wait-memory.js';
import { tailSums } from '../../../../runner/fluid/nested-wait-segments.js';

/** Both sides of (1 - q + q e^theta)^{nPrev} = e^{theta n}, in log form. */
function sides(nPrev: number, n: number, q: number, theta: number): [number, number] {
  return [nPrev * Math.log(1 - q + q * Math.exp(theta)), theta * n];
}

describe('theta_k (appendix root equation)', () => {
  const cases: [number, number, number][] = [
    [66, 44, 43 / 66],
    [44, 33, 32 / 43],
    [3, 2, 1 / 2],
    [15, 15, 14 / 15],
    [150, 141, 140 / 150],
    [17, 16, 280 / 300],
    [1000, 600, 0.5],
    [2, 1, 0.01],
    [400, 399, 0.99],
  ];
  it.each(cases)('n_{k-1}=%d, n_k=%d, q=%f: the positive root solves the equation', (nPrev, n, q) => {
    const theta = boundaryQueueTheta(nPrev, n, q);
    if (nPrev <= n) {
      expect(theta).toBe(Infinity);
      return;
    }
    expect(theta).toBeGreaterThan(0);
    expect(Number.isFinite(theta)).toBe(true);
    const [lhs, rhs] = sides(nPrev, n, q, theta);
    expect(Math.abs(lhs - rhs) / rhs).toBeLessThan(1e-9);
    // The equation itself, where it does not overflow.
    if (theta * n < 700) {
      const left = (1 - q + q * Math.exp(theta)) ** nPrev;
      expect(Math.abs(left / Math.exp(theta * n) - 1)).toBeLessThan(1e-9);
    }
    // It is the positive root: the log-form difference is negative just below it.
    const [l2, r2] = sides(nPrev, n, q, theta * 0.999);
    expect(l2 - r2).toBeLessThan(0);
  });

  it('no positive root: Infinity when the queue cannot exceed n_k, 0 when it drifts upwards', () => {
    expect(boundaryQueueTheta(10, 10, 0.5)).toBe(Infinity);
    expect(boundaryQueueTheta(10, 12, 0.9)).toBe(Infinity);
    expect(boundaryQueueTheta(10, 5, 0)).toBe(Infinity);
    expect(boundaryQueueTheta(10, 5, 0.5)).toBe(0);
    expect(boundaryQueueTheta(10, 4, 0.6)).toBe(0);
    expect(() => boundaryQueueTheta(10, 0, 0.5)).toThrow(RangeError);
    expect(() => boundaryQueueTheta(10, 5, 1.5)).toThrow(RangeError);
  });
});

describe('memory bound (eq. nested_wait_memory_total)', () => {
  const base = {
    boundaries: [50, 100, 150, 200, 250, 300, 350, 400, 450, 500],
    thresholds: [66, 44, 33, 25, 18, 12, 8, 5, 3, 2],
    segmentRates: [23, 11, 8, 7, 6, 4, 3, 2, 1, 1],
    promptTokens: 60,
    tokenModel: 'paper' as TokenModel,
    delta: 0.01,
    horizonIterations: 200,
  };

  it('is M^pi plus the boundary buffer, with theta per segment', () => {
    const r = nestedWaitMemory(base);
    expect(r.theta).toHaveLength(10);
    expect(r.theta[0]).toBe(Infinity);
    const tails = tailSums(base.segmentRates);
    let buffer = 0;
    for (let k = 1; k < 10; k++) {
      const theta = boundaryQueueTheta(base.thresholds[k - 1], base.thresholds[k], tails[k] / tails[k - 1]);
      expect(r.theta[k]).toBe(theta);
      buffer += (60 + base.boundaries[k - 1]) * (base.thresholds[k] + Math.log((9 * 201) / 0.01) / theta);
    }
    expect(r.bufferTokens).toBeCloseTo(buffer, 6);
    expect(r.totalTokens).toBe(r.mPiTokens + r.bufferTokens);
    // M^pi per segment: n_k x sum of (l + s) over its stages (segment 1 with its prefill stage 0).
    let mPi = 66 * (51 * 60 + (50 * 51) / 2);
    for (let k = 1; k < 10; k++) {
      for (let s = base.boundaries[k - 1] + 1; s <= base.boundaries[k]; s++)
        mPi += base.thresholds[k] * (60 + s);
    }
    expect(r.mPiTokens).toBeCloseTo(mPi, 6);
    // The paper's finding (arXiv 2504.11320v2 §7.2): M^pi dominates the buffer.
    expect(r.mPiTokens).toBeGreaterThan(r.bufferTokens);
  });

  it('grows as delta shrinks and as the horizon T grows', () => {
    const byDelta = [0.5, 0.1, 1e-3, 1e-5, 1e-9].map(
      (delta) => nestedWaitMemory({ ...base, delta }).bufferTokens,
    );
    for (let i = 1; i < byDelta.length; i++) expect(byDelta[i]).toBeGreaterThan(byDelta[i - 1]);
    const byT = [1, 20, 200, 2000, 1e6].map(
      (horizonIterations) => nestedWaitMemory({ ...base, horizonIterations }).bufferTokens,
    );
    for (let i = 1; i < byT.length; i++) expect(byT[i]).toBeGreaterThan(byT[i - 1]);
    // M^pi does not depend on either.
    expect(nestedWaitMemory({ ...base, delta: 1e-9 }).mPiTokens).toBe(nestedWaitMemory(base).mPiTokens);
  });

  it('is infinite when a boundary queue drifts upwards (threshold condition broken)', () => {
    const r = nestedWaitMemory({ ...base, thresholds: [66, 20, 33, 25, 18, 12, 8, 5, 3, 2] });
    expect(r.theta[1]).toBe(0);
    expect(r.bufferTokens).toBe(Infinity);
    expect(r.totalTokens).toBe(Infinity);
  });

  it.each<TokenModel>(['paper', 'vllm'])(
    'M^pi at the fluid per-stage counts equals the fluid M* (%s tokens, types at the boundaries)',
    (tokenModel) => {
      const types = [20, 40, 80, 160].map((output, j) => ({
        prompt: 10,
        output,
        rate: [20, 40, 80, 160][j],
      }));
      const eq = fluidEquilibrium(types, 0.0113, 2.68e-7, tokenModel);
      const n = tailSums(types.map((t) => t.rate)).map((t) => t * eq.iterationTimeStarS!);
      const mPi = nestedWaitMPi([20, 40, 80, 160], n, 10, tokenModel);
      expect(Math.abs(mPi / eq.mStarTokens! - 1)).toBeLessThan(1e-12);
    },
  );
});
