import { describe, expect, it } from 'vitest';
import { approximateBatchShape, iterationErrors } from '../../../runner/metrics/iteration-error.js';
import type { IterationRecords } from '../../../runner/engine/run-records.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';

/** Stored iterations from [numPrefills, prefillTokens, numDecodes, decodeKvTokens, timeS] rows. */
function records(rows: [number, number, number, number, number][]): IterationRecords {
  const col = (i: number): number[] => rows.map((r) => r[i]);
  return {
    startS: new Float64Array(rows.length),
    timeS: Float64Array.from(col(4)),
    wallS: Float64Array.from(col(4)),
    numPrefills: Int32Array.from(col(0)),
    prefillTokens: Int32Array.from(col(1)),
    numDecodes: Int32Array.from(col(2)),
    decodeKvTokens: Int32Array.from(col(3)),
  };
}

describe('per-iteration error of a model on measured iterations', () => {
  it('rebuilds each prefill as equal new chunks, the remainder on the first', () => {
    const it0 = records([
      [3, 10, 2, 40, 0.01],
      [0, 0, 5, 100, 0.01],
    ]);
    const mixed = approximateBatchShape(it0, 0);
    expect([...mixed.prefillTokens]).toEqual([4, 3, 3]);
    expect([...mixed.prefillKvBefore]).toEqual([0, 0, 0]);
    expect(mixed).toMatchObject({
      numPrefills: 3,
      totalPrefillTokens: 10,
      numDecodes: 2,
      decodeKvTokens: 40,
    });
    const decode = approximateBatchShape(it0, 1);
    expect(decode).toMatchObject({
      numPrefills: 0,
      totalPrefillTokens: 0,
      numDecodes: 5,
      decodeKvTokens: 100,
    });
    expect(decode.prefillTokens.length).toBe(0);
  });

  it('summarises the absolute and total errors over all, decode-only and prefill iterations', () => {
    // d0 = 10 ms, d1 = 0: predicts 10 ms for every batch.
    const model = new LinearIterationTimeModel(0.01, 0);
    const [all, decodeOnly, withPrefill] = iterationErrors(
      records([
        [0, 0, 1, 10, 0.01], // 0 %
        [0, 0, 1, 10, 0.02], // 50 %
        [0, 0, 1, 10, 0.005], // 100 %
        [1, 100, 0, 0, 0.008], // 25 %
      ]),
      model,
    );
    expect(all).toMatchObject({ subset: 'all', iterations: 4 });
    expect(all.meanAbsPct).toBeCloseTo(43.75, 9);
    expect(all.medianAbsPct).toBeCloseTo(37.5, 9);
    expect(all.totalPct).toBeCloseTo(((0.04 - 0.043) / 0.043) * 100, 9);
    expect(decodeOnly).toMatchObject({ subset: 'decode-only', iterations: 3 });
    expect(decodeOnly.medianAbsPct).toBeCloseTo(50, 9);
    expect(decodeOnly.p90AbsPct).toBeCloseTo(90, 9);
    expect(withPrefill).toMatchObject({ subset: 'with prefill', iterations: 1 });
    expect(withPrefill.meanAbsPct).toBeCloseTo(25, 9);
    expect(withPrefill.totalPct).toBeCloseTo(25, 9);
  });

  it('gives null summaries for an empty subset', () => {
    const [, , withPrefill] = iterationErrors(
      records([[0, 0, 1, 10, 0.01]]),
      new LinearIterationTimeModel(0.01, 0),
    );
    expect(withPrefill).toEqual({
      subset: 'with prefill',
      iterations: 0,
      meanAbsPct: null,
      medianAbsPct: null,
      p90AbsPct: null,
      totalPct: null,
    });
  });
});
