import { describe, expect, it } from 'vitest';
import type { TokenModel } from '../../../runner/engine/token-model.js';
import { fluidEquilibrium, stagesAndMeanMemory } from '../../../runner/fluid/fluid-equilibrium.js';
import type { PromptType } from '../../../runner/fluid/prompt-type.js';
import {
  checkWaitThresholds,
  fluidThresholds,
  waitMemoryTokens,
  waitPrefillTokens,
} from '../../../runner/fluid/wait-thresholds.js';
import { digestBinsOf } from '../../../runner/metrics/run-digest.js';
import { fluidOverlay } from '../../../runner/reports/fluid-overlay.js';

/**
 * Outputs of the paper's fluid equilibrium (arXiv 2504.11320v2 §3) as the code computed them
 * before the prefill term d2 existed (fluidEquilibrium and fluidThresholds at commit c193736),
 * copied digit for digit: with d2 = 0 the extended model must return exactly these.
 */
const PAPER_INSTANCES: {
  name: string;
  types: PromptType[];
  d0: number;
  d1: number;
  tokenModel: TokenModel;
  expected: ReturnType<typeof fluidEquilibrium>;
  thresholds: number[] | null;
}[] = [
  {
    name: '§6.1 high demand, rates / 1000, paper tokens',
    types: [
      { prompt: 20, output: 100, rate: 6 },
      { prompt: 20, output: 200, rate: 4 },
      { prompt: 20, output: 300, rate: 2 },
    ],
    d0: 0.011254694988253787,
    d1: 2.6836051993088585e-7,
    tokenModel: 'paper',
    expected: {
      load: 0.0647392918281269,
      stable: true,
      nStar: [7.292453433880832, 9.675136239010213, 7.244318427716602],
      mStarTokens: 2903.022221764706,
      iterationTimeStarS: 0.012033751541057479,
      prefillStarTokens: 0.012033751541057479 * 240,
      throughputStarTokS: 2000,
      totalRateRps: 12,
      maxStableRateRps: 185.35883944881877,
      maxThroughputTokS: 30893.13990813646,
    },
    thresholds: [1, 1, 1],
  },
  {
    name: '§6.1 high demand, rates / 100, paper tokens',
    types: [
      { prompt: 20, output: 100, rate: 60 },
      { prompt: 20, output: 200, rate: 40 },
      { prompt: 20, output: 300, rate: 20 },
    ],
    d0: 0.011254694988253787,
    d1: 2.6836051993088585e-7,
    tokenModel: 'paper',
    expected: {
      load: 0.647392918281269,
      stable: true,
      nStar: [193.42621054679427, 256.62487339871717, 192.14946988311905],
      mStarTokens: 77000.22942625188,
      iterationTimeStarS: 0.03191851659188024,
      prefillStarTokens: 0.03191851659188024 * 2400,
      throughputStarTokS: 20000,
      totalRateRps: 120,
      maxStableRateRps: 185.3588394488188,
      maxThroughputTokS: 30893.139908136465,
    },
    thresholds: [3, 2, 1],
  },
  {
    name: 'two types, vllm tokens',
    types: [
      { prompt: 50, output: 50, rate: 6 },
      { prompt: 50, output: 100, rate: 4 },
    ],
    d0: 0.01,
    d1: 1e-5,
    tokenModel: 'vllm',
    expected: {
      load: 0.6215,
      stable: true,
      nStar: [7.926023778071335, 10.568031704095114],
      mStarTokens: 1642.0079260237783,
      iterationTimeStarS: 0.026420079260237785,
      prefillStarTokens: 0.026420079260237785 * 500,
      throughputStarTokS: 700,
      totalRateRps: 10,
      maxStableRateRps: 16.090104585679807,
      maxThroughputTokS: 1126.3073209975864,
    },
    thresholds: [1, 1],
  },
  {
    name: 'binned mean lengths, vllm tokens',
    types: [
      { prompt: 2583.7, output: 27.5, rate: 0.61 },
      { prompt: 3011.2, output: 213.25, rate: 0.9 },
      { prompt: 1770.4, output: 601.9, rate: 0.2 },
    ],
    d0: 0.0113,
    d1: 2.68e-7,
    tokenModel: 'vllm',
    expected: {
      load: 0.23882695644649998,
      stable: true,
      nStar: [0.24903338551646528, 2.849223994947696, 1.7871021727852217],
      mStarTokens: 13229.504975079584,
      iterationTimeStarS: 0.014845507333321328,
      prefillStarTokens: 0.014845507333321328 * (0.61 * 2583.7 + 0.9 * 3011.2 + 0.2 * 1770.4),
      throughputStarTokS: 329.08000000000004,
      totalRateRps: 1.71,
      maxStableRateRps: 7.159995778713781,
      maxThroughputTokS: 1377.9014098591413,
    },
    thresholds: [1, 1, 1],
  },
  {
    name: 'beyond the limit, paper tokens',
    types: [{ prompt: 512, output: 20, rate: 400 }],
    d0: 0.0113,
    d1: 2.68e-7,
    tokenModel: 'paper',
    expected: {
      load: 1.1751264000000001,
      stable: false,
      nStar: null,
      mStarTokens: null,
      iterationTimeStarS: null,
      prefillStarTokens: null,
      throughputStarTokS: 8000,
      totalRateRps: 400,
      maxStableRateRps: 340.3889147584464,
      maxThroughputTokS: 6807.778295168928,
    },
    thresholds: null,
  },
];

describe('the fluid equilibrium with prefill (docs/fluid-benchmark.md, "Prefill")', () => {
  it.each(PAPER_INSTANCES)('is the paper’s, bit for bit, when d2 = 0: $name', (instance) => {
    const { types, d0, d1, tokenModel, expected } = instance;
    const f = fluidEquilibrium(types, d0, d1, tokenModel, 0);
    const { prefillStarTokens, ...paperFields } = f;
    const { prefillStarTokens: expectedPrefill, ...expectedPaper } = expected;
    expect(paperFields).toEqual(expectedPaper); // toEqual on numbers is Object.is: exact
    if (expectedPrefill === null) expect(prefillStarTokens).toBeNull();
    else expect(prefillStarTokens).toBeCloseTo(expectedPrefill, 9);
    // Omitting d2 is the same as d2 = 0.
    expect(fluidEquilibrium(types, d0, d1, tokenModel)).toEqual(f);
    // And the closed forms of §3 hold: rho = d1 W, tau* = d0 / (1 - rho), M* = tau* W.
    const work = types.reduce((s, t) => {
      const { stages, meanMemory } = stagesAndMeanMemory(t, tokenModel);
      return s + t.rate * stages * meanMemory;
    }, 0);
    expect(f.load).toBeCloseTo(d1 * work, 12);
    if (f.stable) {
      expect(f.iterationTimeStarS).toBeCloseTo(d0 / (1 - d1 * work), 12);
      expect(f.mStarTokens! / (f.iterationTimeStarS! * work)).toBeCloseTo(1, 12);
    }
  });

  it.each(PAPER_INSTANCES)('gives the paper’s WAIT fluid thresholds when d2 = 0: $name', (instance) => {
    const { types, d0, d1, tokenModel, thresholds } = instance;
    if (thresholds === null) {
      expect(() => fluidThresholds(types, d0, d1, tokenModel, 0)).toThrow(/d0 \+ d1\*M <= n_j/);
    } else {
      expect(fluidThresholds(types, d0, d1, tokenModel, 0)).toEqual(thresholds);
      expect(fluidThresholds(types, d0, d1, tokenModel)).toEqual(thresholds);
    }
  });

  it('solves a hand-computed two-type instance with d2 > 0', () => {
    // Paper token model (S_j = l'_j + 1 iterations, mean KV m_j = l_j + l'_j / 2):
    //   type A: l = 8, l' = 4, lambda = 2/s: S = 5, m = 10, lambda S m = 100, lambda l = 16;
    //   type B: l = 2, l' = 1, lambda = 4/s: S = 2, m = 2.5, lambda S m = 20, lambda l = 8.
    // W = sum lambda S m = 120 KV-token-iterations/s, L = sum lambda l = 24 prompt tokens/s.
    // d0 = 0.04 s, d1 = 0.0025 s/token, d2 = 0.0125 s/token:
    //   rho = d1 W + d2 L = 0.3 + 0.3 = 0.6 < 1, stable;
    //   tau* = d0 / (1 - rho) = 0.04 / 0.4 = 0.1 s;
    //   M* = tau* W = 12 tokens; P* = tau* L = 2.4 prompt tokens per iteration;
    //   check the fixed point: d0 + d1 M* + d2 P* = 0.04 + 0.03 + 0.03 = 0.1 = tau*;
    //   and the form (d0 + d1 M*) / (1 - d2 L) = 0.07 / 0.7 = 0.1;
    //   n*_A = tau* lambda_A S_A = 0.1 * 2 * 5 = 1, n*_B = 0.1 * 4 * 2 = 0.8;
    //   Throughput* = 2 * 4 + 4 * 1 = 12 tok/s; the limit is 6 / 0.6 = 10 req/s, where the
    //   mix sustains 12 / 6 * 10 = 20 tok/s.
    // The paper's model (d2 = 0) would say rho = 0.3, tau* = 0.0571 s and a limit of 20 req/s.
    const types = [
      { prompt: 8, output: 4, rate: 2 },
      { prompt: 2, output: 1, rate: 4 },
    ];
    const f = fluidEquilibrium(types, 0.04, 0.0025, 'paper', 0.0125);
    expect(f.load).toBeCloseTo(0.6, 12);
    expect(f.stable).toBe(true);
    expect(f.iterationTimeStarS).toBeCloseTo(0.1, 12);
    expect(f.mStarTokens).toBeCloseTo(12, 12);
    expect(f.prefillStarTokens).toBeCloseTo(2.4, 12);
    expect(f.nStar![0]).toBeCloseTo(1, 12);
    expect(f.nStar![1]).toBeCloseTo(0.8, 12);
    expect(f.throughputStarTokS).toBe(12);
    expect(f.maxStableRateRps).toBeCloseTo(10, 12);
    expect(f.maxThroughputTokS).toBeCloseTo(20, 12);
    const paper = fluidEquilibrium(types, 0.04, 0.0025, 'paper');
    expect(paper.load).toBeCloseTo(0.3, 12);
    expect(paper.maxStableRateRps).toBeCloseTo(20, 12);
  });

  it('is stable iff d1 W + d2 L < 1: the prefill term alone can make a mix unstable', () => {
    // One type, l = 100, l' = 10, vllm tokens: S = 10, m = 104.5; at 10 req/s W = 10,450 and
    // L = 1,000. d1 = 5e-5: d1 W = 0.5225, stable in the paper's model.
    const types = [{ prompt: 100, output: 10, rate: 10 }];
    expect(fluidEquilibrium(types, 0.01, 5e-5, 'vllm').stable).toBe(true);
    // d2 = 4.7e-4: d2 L = 0.47, rho = 0.9925 < 1, still stable.
    const edge = fluidEquilibrium(types, 0.01, 5e-5, 'vllm', 4.7e-4);
    expect(edge.load).toBeCloseTo(0.9925, 12);
    expect(edge.stable).toBe(true);
    // d2 = 4.8e-4: rho = 1.0025, unstable: no equilibrium, and the limit is just below 10 req/s.
    const over = fluidEquilibrium(types, 0.01, 5e-5, 'vllm', 4.8e-4);
    expect(over.stable).toBe(false);
    expect(over.mStarTokens).toBeNull();
    expect(over.prefillStarTokens).toBeNull();
    expect(over.maxStableRateRps).toBeCloseTo(10 / 1.0025, 12);
    // At the limit the load is 1 (the load is proportional to the total rate).
    const atLimit = fluidEquilibrium(
      [{ ...types[0], rate: over.maxStableRateRps }],
      0.01,
      5e-5,
      'vllm',
      4.8e-4,
    );
    expect(atLimit.load).toBeCloseTo(1, 12);
    // d1 = 0: the paper's model has no limit, the prefill term gives 1 / (d2 l) = 10 req/s.
    expect(fluidEquilibrium(types, 0.01, 0, 'vllm').maxStableRateRps).toBe(Infinity);
    expect(fluidEquilibrium(types, 0.01, 0, 'vllm', 1e-3).maxStableRateRps).toBeCloseTo(10, 12);
    // Stability implies d2 L < 1, so (d0 + d1 M*) / (1 - d2 L) is well defined and equals tau*.
    const f = fluidEquilibrium(types, 0.01, 5e-5, 'vllm', 3e-4);
    expect(f.stable).toBe(true);
    const prefillRate = 1000;
    expect(3e-4 * prefillRate).toBeLessThan(1);
    expect((0.01 + 5e-5 * f.mStarTokens!) / (1 - 3e-4 * prefillRate)).toBeCloseTo(f.iterationTimeStarS!, 12);
  });

  it('rejects a negative or non-finite d2', () => {
    const types = [{ prompt: 1, output: 1, rate: 1 }];
    expect(() => fluidEquilibrium(types, 1, 0.1, 'paper', -1e-6)).toThrow(RangeError);
    expect(() => fluidEquilibrium(types, 1, 0.1, 'paper', NaN)).toThrow(RangeError);
  });
});

describe('WAIT thresholds with prefill (eq. wait_thresholds plus d2 P^pi)', () => {
  // One type, l = 100, l' = 9, paper tokens: S = 10, m = 104.5, S m = 1,045 KV tokens per
  // prompt per stage; lambda = 50/s; d0 = 0.01 s, d1 = 1e-6 s/token, d2 = 1e-4 s/token.
  // DeltaT(n) = d0 + d1 * 1,045 n + d2 * 100 n = 0.01 + 0.011045 n.
  // Start n = max(1, ceil(50 * 0.01)) = 1: DeltaT = 0.021045, 50 DeltaT = 1.05 > 1, so n = 2;
  // DeltaT(2) = 0.03209, 50 DeltaT = 1.6045 <= 2: n = 2 is the least solution.
  // Without the prefill term: DeltaT(1) = 0.01 + 0.001045 = 0.011045, 50 DeltaT = 0.55: n = 1.
  const types = [{ prompt: 100, output: 9, rate: 50 }];

  it('counts prefill tokens per iteration as sum_j n_j l_j', () => {
    expect(waitPrefillTokens(types, [2])).toBe(200);
    expect(
      waitPrefillTokens(
        [
          { prompt: 10, output: 1, rate: 1 },
          { prompt: 7, output: 3, rate: 1 },
        ],
        [3, 2],
      ),
    ).toBe(44);
    expect(waitMemoryTokens(types, [2], 'paper')).toBe(2090);
  });

  it('solves the hand-computed instance', () => {
    expect(fluidThresholds(types, 0.01, 1e-6, 'paper', 1e-4)).toEqual([2]);
    expect(fluidThresholds(types, 0.01, 1e-6, 'paper')).toEqual([1]);
    // n = 2 satisfies the check; n = 1 violates it and the warning names the prefill term.
    expect(checkWaitThresholds(types, [2], 0.01, 1e-6, 1e9, 'paper', 1e-4)).toEqual([]);
    const [warning] = checkWaitThresholds(types, [1], 0.01, 1e-6, 1e9, 'paper', 1e-4);
    expect(warning).toMatch(/d0 \+ d1\*M \+ d2\*P = 0\.021045 s > n_j\/lambda_j = 1\/50/);
    expect(checkWaitThresholds(types, [1], 0.01, 1e-6, 1e9, 'paper')).toEqual([]);
  });

  it('exist iff the fluid load with prefill is below 1', () => {
    // rho = d1 * 50 * 1,045 + d2 * 50 * 100 = 0.05225 + 5,000 d2: below 1 iff d2 < 1.8955e-4.
    expect(fluidEquilibrium(types, 0.01, 1e-6, 'paper', 1.8e-4).stable).toBe(true);
    expect(fluidThresholds(types, 0.01, 1e-6, 'paper', 1.8e-4).length).toBe(1);
    expect(fluidEquilibrium(types, 0.01, 1e-6, 'paper', 1.9e-4).stable).toBe(false);
    expect(() => fluidThresholds(types, 0.01, 1e-6, 'paper', 1.9e-4)).toThrow(
      /d1\*sum_j lambda_j\*S_j\*m_j \+ d2\*sum_j lambda_j\*l_j = 1\.002/,
    );
  });
});

describe('the fluid overlay with prefill', () => {
  it('uses d2: its limit is the fluid equilibrium’s with d2, and the note gives d2', () => {
    const declared = [
      { prompt: 8, output: 4, rate: 2 },
      { prompt: 2, output: 1, rate: 4 },
    ];
    const requests = {
      arrival: Float64Array.of(0),
      promptTokens: Int32Array.of(8),
      outputTokens: Int32Array.of(4),
    };
    const machine = { d0: 0.04, d1: 0.0025, d2: 0.0125, exact: true };
    const overlay = fluidOverlay(
      [{ rate: 6, bins: digestBinsOf(requests.promptTokens, requests.outputTokens), declared }],
      machine,
      'paper',
    )!;
    expect(overlay.maxStableRateRps).toBeCloseTo(10, 12); // the hand-computed instance above
    expect(overlay.points[0].load).toBeCloseTo(0.6, 12);
    expect(overlay.note).toMatch(/d2 = 0\.0125 s per prefilled prompt token/);
    // Without d2 (or with null, as a stored machine without it reads back): the paper's limit.
    const paper = fluidOverlay(
      [{ rate: 6, bins: digestBinsOf(requests.promptTokens, requests.outputTokens), declared }],
      { ...machine, d2: null },
      'paper',
    )!;
    expect(paper.maxStableRateRps).toBeCloseTo(20, 12);
    expect(paper.note).not.toMatch(/d2/);
  });
});
