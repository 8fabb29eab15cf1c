import { describe, expect, it } from 'vitest';
import { fluidEquilibrium, stagesAndMeanMemory } from '../../../runner/fluid/fluid-equilibrium.js';
import { requestTypes } from '../../../runner/fluid/request-types.js';
import { requestList } from '../../helpers/request-lists.js';

describe('fluid benchmark (arXiv 2504.11320v2 §3), hand-computed instances', () => {
  it('reproduces the appendix instance: K = d0/(1 - 9 d1), n1 = 2K, n2 = 3K, M = 9K', () => {
    // Two types: (l, l', λ) = (1, 1, 1) and (1, 2, 1). With d0 = 1 - 9 d1, K = 1.
    const d1 = 0.01;
    const d0 = 1 - 9 * d1;
    const f = fluidEquilibrium(
      [
        { prompt: 1, output: 1, rate: 1 },
        { prompt: 1, output: 2, rate: 1 },
      ],
      d0,
      d1,
    );
    expect(f.load).toBeCloseTo(9 * d1, 12);
    expect(f.stable).toBe(true);
    expect(f.iterationTimeStarS).toBeCloseTo(1, 12); // K
    expect(f.nStar![0]).toBeCloseTo(2, 12);
    expect(f.nStar![1]).toBeCloseTo(3, 12);
    expect(f.mStarTokens).toBeCloseTo(9, 12);
    expect(f.throughputStarTokS).toBe(3); // Σ λ_j l'_j = 1 + 2
  });

  it('matches the single-type closed forms (eq. memory_single, throughput_fluid)', () => {
    const [l, lp, lambda, d0, d1] = [20, 100, 5, 0.0113, 2.68e-7];
    const a = lambda * (lp + 1) * (l + lp / 2); // λ (l'+1)(l + l'/2)
    const f = fluidEquilibrium([{ prompt: l, output: lp, rate: lambda }], d0, d1);
    expect(f.nStar![0]).toBeCloseTo((d0 * lambda * (lp + 1)) / (1 - d1 * a), 9);
    expect(f.mStarTokens).toBeCloseTo((d0 * a) / (1 - d1 * a), 6);
    expect(f.iterationTimeStarS).toBeCloseTo(d0 / (1 - d1 * a), 12);
    // Throughput*_j = n*_j l'_j / ((l'_j+1)(d0 + d1 n*_j (l_j + l'_j/2))) = λ_j l'_j
    const n = f.nStar![0];
    expect((n * lp) / ((lp + 1) * (d0 + d1 * n * (l + lp / 2)))).toBeCloseTo(lambda * lp, 9);
    expect(f.throughputStarTokS).toBe(lambda * lp);
  });

  it('finds the stability limit: load = 1 at maxStableRateRps, unstable beyond', () => {
    const types = [
      { prompt: 20, output: 100, rate: 6 },
      { prompt: 20, output: 200, rate: 4 },
    ];
    const d1 = 2.68e-7;
    const f = fluidEquilibrium(types, 0.0113, d1);
    const scale = f.maxStableRateRps / f.totalRateRps;
    const atLimit = fluidEquilibrium(
      types.map((t) => ({ ...t, rate: t.rate * scale })),
      0.0113,
      d1,
    );
    expect(atLimit.load).toBeCloseTo(1, 9);
    const beyond = fluidEquilibrium(
      types.map((t) => ({ ...t, rate: t.rate * scale * 1.01 })),
      0.0113,
      d1,
    );
    expect(beyond.stable).toBe(false);
    expect(beyond.mStarTokens).toBeNull();
    expect(f.maxThroughputTokS).toBeCloseTo(atLimit.throughputStarTokS, 6);
  });

  it('counts stages and mean memory per token model', () => {
    expect(stagesAndMeanMemory({ prompt: 10, output: 4 }, 'paper')).toEqual({ stages: 5, meanMemory: 12 });
    // vllm: KV 10, 11, 12, 13 over its 4 iterations.
    expect(stagesAndMeanMemory({ prompt: 10, output: 4 }, 'vllm')).toEqual({ stages: 4, meanMemory: 11.5 });
  });

  it('rejects an empty or malformed type list', () => {
    expect(() => fluidEquilibrium([], 1, 1)).toThrow(RangeError);
    expect(() => fluidEquilibrium([{ prompt: 1, output: 0, rate: 1 }], 1, 1)).toThrow(RangeError);
  });
});

describe('prompt types of a request list', () => {
  it('bins output lengths into equal-width bins with mean lengths and rate shares (docs/fluid-benchmark.md)', () => {
    const list = requestList([
      [0, 10, 1],
      [0, 30, 50],
      [0, 50, 60],
      [0, 70, 100],
    ]);
    const t = requestTypes(list, 8, null, 2); // bins [1, 50] and (50, 100]
    expect(t.source).toBe('binned');
    expect(t.types).toEqual([
      { prompt: 20, output: 25.5, rate: 4 },
      { prompt: 60, output: 80, rate: 4 },
    ]);
    expect([...t.typeOf]).toEqual([0, 0, 1, 1]);
  });

  it("uses a typed workload's declared types exactly", () => {
    const list = { ...requestList([[0, 20, 100]]), typeIndex: Int32Array.from([1]) };
    const declared = [
      { prompt: 20, output: 200, rate: 4 },
      { prompt: 20, output: 100, rate: 6 },
    ];
    const t = requestTypes(list, 10, declared);
    expect(t.source).toBe('declared');
    expect(t.types).toBe(declared);
    expect([...t.typeOf]).toEqual([1]);
  });
});
