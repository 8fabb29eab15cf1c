import { describe, expect, it } from 'vitest';
import type { BatchShape } from '../../../runner/latency/batch-shape.js';
import {
  CalibratedIterationTimeModel,
  MIN_ITERATION_S,
  type CalibratedModelParameters,
} from '../../../runner/latency/calibrated-model.js';
import {
  calibratedModelOf,
  calibrationBatchShape,
  calibrationKnots,
  calibrationPointOf,
  fitCalibration,
  type CalibrationFit,
  type CalibrationPoint,
} from '../../../runner/machines/calibration-fit.js';
import { calibrationGrid } from '../../../runner/machines/calibration-grid.js';
import type { IterationTimeModel } from '../../../runner/latency/iteration-time-model.js';
import { resolveMachine } from '../../../runner/machines/resolve-machine.js';
import { fitLeastSquaresLine } from '../../../runner/latency/profile-linear-fit.js';
import type { ProfileIterationTimeModel } from '../../../runner/latency/profile-model.js';
import { ProfileResultReplySchema, type ProfileShape } from '../../../runner/workers/worker-protocol.js';
import { decodeBatch, prefillBatch } from '../../helpers/batch-shapes.js';
import { CPU_GRID as SMALL, GPU_GRID as LLAMA_7B } from '../../helpers/calibration-grids.js';

/** Points for grid shapes, timed by `model` (what a GPU worker would measure if it were `model`). */
function measure(shapes: ProfileShape[], model: IterationTimeModel): CalibrationPoint[] {
  return shapes.map((s) => {
    const point: CalibrationPoint = {
      prefill: s.prefill ?? [],
      decodes: s.decodes ?? 0,
      decodeKvLen: s.decode_kv_len ?? 0,
      timeS: 0,
    };
    point.timeS = model.iterationTime(calibrationBatchShape(point));
    return point;
  });
}

/** A batch of several prefill chunks (with cached tokens) and decodes. */
function batch(chunks: [number, number][], decodes = 0, decodeKvTokens = 0): BatchShape {
  return {
    numPrefills: chunks.length,
    prefillTokens: Int32Array.from(chunks.map(([c]) => c)),
    prefillKvBefore: Int32Array.from(chunks.map(([, kv]) => kv)),
    totalPrefillTokens: chunks.reduce((s, [c]) => s + c, 0),
    numDecodes: decodes,
    decodeKvTokens,
  };
}

/** A model of 1 s per iteration, to turn shapes into points where only the shapes matter. */
const unitModel: CalibratedModelParameters = {
  knotsTokens: [1],
  knotSeconds: [1],
  prefillAttentionS: 0,
  decodeAttentionS: 0,
  decodeRequestS: 0,
};

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('CalibratedIterationTimeModel', () => {
  const params: CalibratedModelParameters = {
    knotsTokens: [16, 128, 1024],
    knotSeconds: [0.01, 0.012, 0.05],
    prefillAttentionS: 1e-9,
    decodeAttentionS: 2e-7,
    decodeRequestS: 3e-5,
  };
  const model = new CalibratedIterationTimeModel(params);

  it('adds f(T), prefill query-key pairs, decode KV tokens and decode requests', () => {
    expect(model.kind).toBe('calibrated');
    // T = 128 (a knot), one chunk of 100 with 20 cached: 100 x (20 + 101/2) = 7,050 pairs; 28 decodes.
    expect(model.iterationTime(batch([[100, 20]], 28, 28 * 300))).toBeCloseTo(
      0.012 + 1e-9 * 7050 + 2e-7 * 8400 + 3e-5 * 28,
      15,
    );
    // Between knots: T = 576 is halfway from 128 to 1,024.
    expect(model.iterationTime(decodeBatch(576, 1))).toBeCloseTo(0.031 + 2e-7 * 576 + 3e-5 * 576, 15);
    // The per-request term counts decodes, not their KV: same KV tokens, 4x the requests.
    expect(model.iterationTime(decodeBatch(64, 32)) - model.iterationTime(decodeBatch(16, 128))).toBeCloseTo(
      model.tokenWiseSeconds(64) - model.tokenWiseSeconds(16) + 3e-5 * 48,
      15,
    );
    // A prefill chunk of c new tokens has c (c + 1) / 2 causal pairs.
    expect(model.iterationTime(prefillBatch(128))).toBeCloseTo(0.012 + 1e-9 * ((128 * 129) / 2), 15);
    // Several chunks: pairs add up per chunk; T is their total.
    expect(
      model.iterationTime(
        batch([
          [64, 0],
          [64, 1000],
        ]),
      ),
    ).toBeCloseTo(0.012 + 1e-9 * (64 * 32.5 + 64 * 1032.5), 15);
  });

  it('extrapolates linearly below the first knot and beyond the last, with the end slopes', () => {
    const below = (0.012 - 0.01) / (128 - 16);
    expect(model.tokenWiseSeconds(1)).toBeCloseTo(0.01 - 15 * below, 15);
    expect(model.iterationTime(decodeBatch(1, 10))).toBeCloseTo(0.01 - 15 * below + 2e-6 + 3e-5, 15);
    const beyond = (0.05 - 0.012) / (1024 - 128);
    expect(model.tokenWiseSeconds(4096)).toBeCloseTo(0.05 + 3072 * beyond, 15);
    expect(model.iterationTime(prefillBatch(2048))).toBeCloseTo(
      0.05 + 1024 * beyond + 1e-9 * ((2048 * 2049) / 2),
      15,
    );
  });

  it('is constant with a single knot and never below MIN_ITERATION_S', () => {
    const flat = new CalibratedIterationTimeModel({
      knotsTokens: [64],
      knotSeconds: [0.02],
      prefillAttentionS: 0,
      decodeAttentionS: 0,
      decodeRequestS: 0,
    });
    expect(flat.iterationTime(decodeBatch(1, 5))).toBe(0.02);
    expect(flat.iterationTime(prefillBatch(4096))).toBe(0.02);
    // Steep first segment: f would be negative at T = 1.
    const steep = new CalibratedIterationTimeModel({
      knotsTokens: [100, 200],
      knotSeconds: [0, 1],
      prefillAttentionS: 0,
      decodeAttentionS: 0,
      decodeRequestS: 0,
    });
    expect(steep.tokenWiseSeconds(1)).toBeLessThan(0);
    expect(steep.iterationTime(decodeBatch(1, 1))).toBe(MIN_ITERATION_S);
    const zero = new CalibratedIterationTimeModel({
      knotsTokens: [1, 2],
      knotSeconds: [0, 0],
      prefillAttentionS: 0,
      decodeAttentionS: 0,
      decodeRequestS: 0,
    });
    expect(zero.iterationTime(decodeBatch(3, 7))).toBe(MIN_ITERATION_S);
  });

  it('describes and returns its parameters, which restore the same model', () => {
    expect(model.describe()).toEqual({
      model: 'calibrated',
      knotsTokens: '16,128,1024',
      knotSeconds: '0.01,0.012,0.05',
      prefillAttentionS: 1e-9,
      decodeAttentionS: 2e-7,
      decodeRequestS: 3e-5,
    });
    const copy = model.parameters();
    expect(copy).toEqual(params);
    copy.knotSeconds[0] = 99;
    expect(model.tokenWiseSeconds(16)).toBe(0.01);
    const restored = new CalibratedIterationTimeModel(JSON.parse(JSON.stringify(model.parameters())));
    expect(restored.iterationTime(batch([[300, 7]], 5, 900))).toBe(
      model.iterationTime(batch([[300, 7]], 5, 900)),
    );
  });

  it('rejects invalid parameters', () => {
    const bad = (p: Partial<CalibratedModelParameters>): CalibratedIterationTimeModel =>
      new CalibratedIterationTimeModel({ ...params, ...p });
    expect(() => bad({ knotsTokens: [], knotSeconds: [] })).toThrow(RangeError);
    expect(() => bad({ knotSeconds: [1, 2] })).toThrow(/as many values as knots/);
    expect(() => bad({ knotsTokens: [16, 16, 32] })).toThrow(/strictly increasing/);
    expect(() => bad({ knotsTokens: [16, Number.NaN, 32] })).toThrow(/strictly increasing/);
    expect(() => bad({ knotSeconds: [0.01, -1, 0.05] })).toThrow(/knotSeconds\[1\]/);
    expect(() => bad({ prefillAttentionS: -1e-9 })).toThrow(/prefillAttentionS/);
    expect(() => bad({ decodeAttentionS: Infinity })).toThrow(/decodeAttentionS/);
    expect(() => bad({ decodeRequestS: -1e-6 })).toThrow(/decodeRequestS/);
    expect(() => bad({ decodeRequestS: Number.NaN })).toThrow(/decodeRequestS/);
  });
});

describe('calibration points', () => {
  it('converts a profile_result entry', () => {
    const reply = ProfileResultReplySchema.parse({
      type: 'profile_result',
      id: 5,
      results: [
        { prefill: [512], decodes: 0, decode_kv_len: 0, times_s: [0.031, 0.03, 0.032], median_s: 0.031 },
        { prefill: [], decodes: 16, decode_kv_len: 1024, times_s: [0.02, 0.021, 0.02], median_s: 0.02 },
      ],
    });
    const [prefill, decode] = reply.results.map(calibrationPointOf);
    expect(prefill).toEqual({ prefill: [512], decodes: 0, decodeKvLen: 0, timeS: 0.031 });
    expect(decode).toEqual({ prefill: [], decodes: 16, decodeKvLen: 1024, timeS: 0.02 });
    expect(prefill.prefill).not.toBe(reply.results[0].prefill);
    const shape = calibrationBatchShape({ prefill: [100, 28], decodes: 16, decodeKvLen: 1024, timeS: 1 });
    expect(shape).toEqual(
      batch(
        [
          [100, 0],
          [28, 0],
        ],
        16,
        16 * 1025,
      ),
    );
  });

  it('rejects unusable entries', () => {
    const entry = { prefill: [64], decodes: 0, decode_kv_len: 0, times_s: [0], median_s: 0 };
    expect(() => calibrationPointOf(entry)).toThrow(/time must be > 0/);
    expect(() => calibrationPointOf({ ...entry, prefill: [], median_s: 0.01 })).toThrow(/empty/);
    expect(() => calibrationPointOf({ ...entry, decodes: 2, median_s: 0.01 })).toThrow(/decodeKvLen/);
    expect(() => calibrationPointOf({ ...entry, prefill: [0], median_s: 0.01 })).toThrow(/positive integers/);
  });
});

describe('calibrationKnots', () => {
  const point = (t: number): CalibrationPoint => ({ prefill: [t], decodes: 0, decodeKvLen: 0, timeS: 1 });

  it('keeps every distinct token count when there are few', () => {
    expect(calibrationKnots([point(64), point(8), point(64), point(512)])).toEqual([8, 64, 512]);
  });

  it('thins many counts geometrically, keeping both ends', () => {
    const knots = calibrationKnots(Array.from({ length: 4096 }, (_, i) => point(i + 1)));
    // Targets 4096^(k / 15), each rounded to the nearest count on a log scale.
    expect(knots).toEqual([1, 2, 3, 5, 9, 16, 28, 49, 84, 147, 256, 446, 776, 1351, 2353, 4096]);
    expect(
      calibrationKnots(
        Array.from({ length: 100 }, (_, i) => point(i + 1)),
        4,
      ),
    ).toEqual([1, 5, 22, 100]);
    expect(() => calibrationKnots([point(1)], 1)).toThrow(RangeError);
  });
});

describe('fitCalibration', () => {
  it.each([
    ['512 tokens', SMALL],
    ['4,096 tokens', LLAMA_7B],
  ])('recovers a known calibrated model exactly from noise-free points (%s)', (_, options) => {
    const grid = calibrationGrid(options);
    const shapesOnly = measure(grid.train, new CalibratedIterationTimeModel(unitModel));
    const knotsTokens = calibrationKnots(shapesOnly);
    const truth = new CalibratedIterationTimeModel({
      knotsTokens,
      knotSeconds: knotsTokens.map((t) => 0.009 + 3e-5 * t + 0.0005 * Math.log1p(t)),
      prefillAttentionS: 4e-9,
      decodeAttentionS: 2.7e-7,
      decodeRequestS: 4e-5,
    });
    const fit = fitCalibration(measure(grid.train, truth), measure(grid.heldOut, truth));
    const expected = truth.parameters();
    expect(fit.profile.knotsTokens).toEqual(knotsTokens);
    fit.profile.knotSeconds.forEach((v, k) =>
      expect(relative(v, expected.knotSeconds[k])).toBeLessThan(1e-9),
    );
    expect(relative(fit.profile.prefillAttentionS, 4e-9)).toBeLessThan(1e-9);
    expect(relative(fit.profile.decodeAttentionS, 2.7e-7)).toBeLessThan(1e-9);
    expect(relative(fit.profile.decodeRequestS, 4e-5)).toBeLessThan(1e-9);
    expect(fit.train.profile.maxAbsPct).toBeLessThan(1e-7);
    expect(fit.heldOut.profile.maxAbsPct).toBeLessThan(1e-7);
    expect(fit.heldOut.points).toBe(grid.heldOut.length);
  });

  it('recovers a model whose knots are a subset of the fitted ones (same predictions everywhere)', () => {
    const grid = calibrationGrid(SMALL);
    const truth = new CalibratedIterationTimeModel({
      knotsTokens: [1, 64, 512],
      knotSeconds: [0.009, 0.0095, 0.03],
      prefillAttentionS: 3e-9,
      decodeAttentionS: 1e-7,
      decodeRequestS: 2e-5,
    });
    const fit = fitCalibration(measure(grid.train, truth), measure(grid.heldOut, truth));
    const fitted = calibratedModelOf(fit);
    for (const t of [1, 3, 40, 64, 65, 300, 512, 700, 2000]) {
      expect(relative(fitted.tokenWiseSeconds(t), truth.tokenWiseSeconds(t))).toBeLessThan(1e-9);
    }
    expect(fit.heldOut.profile.maxAbsPct).toBeLessThan(1e-7);
  });

  it('keeps every coefficient non-negative when the data pull one below zero', () => {
    const grid = calibrationGrid(SMALL);
    // Decode iterations get cheaper with more KV: least squares would give a negative coefficient.
    const truth = new CalibratedIterationTimeModel({
      knotsTokens: [1, 512],
      knotSeconds: [0.01, 0.04],
      prefillAttentionS: 2e-9,
      decodeAttentionS: 0,
      decodeRequestS: 0,
    });
    const train = measure(grid.train, truth).map((p) => ({
      ...p,
      timeS: p.timeS * (1 - 1e-6 * p.decodes * p.decodeKvLen),
    }));
    const fit = fitCalibration(train, []);
    expect(fit.profile.decodeAttentionS).toBe(0);
    expect(fit.profile.prefillAttentionS).toBeGreaterThan(0);
    expect(fit.profile.knotSeconds.every((v) => v >= 0)).toBe(true);
    expect(fit.heldOut).toEqual({
      points: 0,
      linear: { meanAbsPct: 0, maxAbsPct: 0, rmseS: 0 },
      profile: { meanAbsPct: 0, maxAbsPct: 0, rmseS: 0 },
    });
  });

  describe('on the A100 Llama-2-7B profile machine (a100-llama2-7b)', () => {
    const machine = resolveMachine('a100-llama2-7b');
    const fits: Record<
      string,
      { fit: CalibrationFit; train: CalibrationPoint[]; heldOut: CalibrationPoint[] }
    > = {};
    for (const [name, options] of [
      ['small', SMALL],
      ['7b', LLAMA_7B],
    ] as const) {
      const grid = calibrationGrid(options);
      const train = measure(grid.train, machine.iterationTime);
      const heldOut = measure(grid.heldOut, machine.iterationTime);
      fits[name] = { fit: fitCalibration(train, heldOut), train, heldOut };
    }

    it('fits the profile-style model to a few percent on held-out shapes, far better than linear', () => {
      // Measured: small grid train 0.39 % mean (1.7 % max), held-out 3.09 % (15.9 %);
      // 7B grid train 2.51 % (14.9 %), held-out 3.08 % (13.8 %) (without decodeRequestS: 1.16 %
      // (9.7 %), 4.23 % (17.3 %), 3.86 % (21.5 %), 5.08 % (16.7 %)). The Vidur profile's token-wise
      // time is a staircase (e.g. 9.7 ms at 64 tokens, 11.5 ms at 80) and its decode attention grows
      // as b^0.9, neither of which the calibrated form represents exactly; its per-request decode
      // term is what decodeRequestS captures. The linear model is off by 17-31 % on average.
      const small = fits.small.fit;
      expect(small.train.profile.meanAbsPct).toBeLessThan(0.6);
      expect(small.heldOut.profile.meanAbsPct).toBeLessThan(4);
      expect(small.heldOut.profile.maxAbsPct).toBeLessThan(19);
      const big = fits['7b'].fit;
      expect(big.train.profile.meanAbsPct).toBeLessThan(3.5);
      expect(big.heldOut.profile.meanAbsPct).toBeLessThan(4);
      expect(big.heldOut.profile.maxAbsPct).toBeLessThan(17);
      for (const fit of [small, big]) {
        expect(fit.heldOut.profile.meanAbsPct).toBeLessThan(fit.heldOut.linear.meanAbsPct / 3);
        expect(fit.heldOut.profile.rmseS).toBeLessThan(fit.heldOut.linear.rmseS / 3);
        expect(fit.profile.knotsTokens.length).toBeLessThanOrEqual(16);
        expect(fit.profile.knotSeconds.every((v) => v >= 0)).toBe(true);
        expect(fit.profile.prefillAttentionS).toBeGreaterThan(0);
        expect(fit.profile.decodeAttentionS).toBeGreaterThan(0);
        expect(fit.profile.decodeRequestS).toBeGreaterThan(0);
      }
    });

    it("fits the linear part exactly as fitLeastSquaresLine on the decode-only points, close to the machine's own", () => {
      for (const { fit, train } of Object.values(fits)) {
        const decodeOnly = train.filter((p) => p.prefill.length === 0);
        const line = fitLeastSquaresLine(
          decodeOnly.map((p) => ({
            x: p.decodes * (p.decodeKvLen + 1),
            y: p.timeS,
            batch: p.decodes,
            kv: p.decodeKvLen + 1,
          })),
        );
        expect(fit.linear).toEqual({ d0: line.d0, d1: line.d1, r2: line.r2, points: decodeOnly.length });
      }
      // The 7B grid covers the same decode range as docs/linear-fit.md's decode grid: compare with
      // the profile model's decode-only fit (machine.linear fits mixed batches, with d2).
      const big = fits['7b'].fit.linear;
      const decodeFit = (machine.iterationTime as ProfileIterationTimeModel).linearFit();
      expect(relative(big.d0, decodeFit.d0)).toBeLessThan(0.05);
      expect(relative(big.d1, decodeFit.d1)).toBeLessThan(0.05);
      expect(big.r2).toBeGreaterThan(0.98);
    });

    it('round-trips through JSON with identical predictions', () => {
      for (const { fit, train, heldOut } of Object.values(fits)) {
        const restored: CalibrationFit = JSON.parse(JSON.stringify(fit));
        expect(restored).toEqual(fit);
        const a = calibratedModelOf(fit);
        const b = calibratedModelOf(restored);
        for (const p of [...train, ...heldOut]) {
          const shape = calibrationBatchShape(p);
          expect(b.iterationTime(shape)).toBe(a.iterationTime(shape));
        }
      }
    });

    it('predicts a positive, finite time for any batch', () => {
      const model = calibratedModelOf(fits['7b'].fit);
      const shapes = [
        decodeBatch(1, 1),
        prefillBatch(1),
        prefillBatch(1, 100_000),
        decodeBatch(4096, 8192),
        prefillBatch(65_536),
        batch([[1, 0]], 1, 1),
        batch(
          [
            [3, 9],
            [5, 0],
            [4096, 4096],
          ],
          300,
          300 * 2000,
        ),
      ];
      for (let d = 1; d <= 2048; d *= 2) for (const kv of [1, 100, 10_000]) shapes.push(decodeBatch(d, kv));
      for (const s of shapes) {
        const t = model.iterationTime(s);
        expect(Number.isFinite(t)).toBe(true);
        expect(t).toBeGreaterThan(0);
      }
    });
  });

  it('rejects train sets it cannot fit, naming the reason', () => {
    const p = (prefill: number[], decodes: number, decodeKvLen: number, timeS = 0.01): CalibrationPoint => ({
      prefill,
      decodes,
      decodeKvLen,
      timeS,
    });
    const prefill = p([128], 0, 0);
    expect(() => fitCalibration([p([], 4, 100), prefill], [])).toThrow(/at least two decode-only/);
    // Two decode-only points touching the same 32 KV tokens: no slope.
    expect(() => fitCalibration([p([], 2, 15), p([], 4, 7), prefill], [])).toThrow(RangeError);
    expect(() => fitCalibration([p([], 2, 15), p([], 4, 100)], [])).toThrow(/no train point has prefill/);
    expect(() => fitCalibration([p([], 2, 15), p([], 4, 100), p([64], 0, 0, 0)], [])).toThrow(
      /train\[2\].*time must be > 0/,
    );
    expect(() => fitCalibration([p([], 2, 15), p([], 4, 100), prefill], [p([], 0, 0)])).toThrow(
      /heldOut\[0\].*empty/,
    );
  });
});
