import { describe, expect, it } from 'vitest';
import { calibrationGrid, type CalibrationGridOptions } from '../../../runner/machines/calibration-grid.js';
import type { ProfileShape } from '../../../runner/workers/worker-protocol.js';
import { CPU_GRID as SMALL, GPU_GRID as LLAMA_7B } from '../../helpers/calibration-grids.js';

const OPTION_SETS: CalibrationGridOptions[] = [
  SMALL,
  LLAMA_7B,
  { maxBatchTokens: 2048, maxKvTokens: 4096, maxDecodes: 256, kvCapacityTokens: 1_000_000 },
  { maxBatchTokens: 1000, maxKvTokens: 3000, maxDecodes: 48, kvCapacityTokens: 20_000 },
  { maxBatchTokens: 8192, maxKvTokens: 2048, maxDecodes: 100, kvCapacityTokens: 60_000 },
  { maxBatchTokens: 64, maxKvTokens: 100, maxDecodes: 8, kvCapacityTokens: 500 },
  { maxBatchTokens: 16, maxKvTokens: 32, maxDecodes: 1, kvCapacityTokens: 32 },
];

const chunks = (s: ProfileShape): number[] => s.prefill ?? [];
const decodes = (s: ProfileShape): number => s.decodes ?? 0;
const kvLen = (s: ProfileShape): number => s.decode_kv_len ?? 0;
const key = (s: ProfileShape): string =>
  `${[...chunks(s)].sort((a, b) => b - a).join(',')}|${decodes(s)}|${kvLen(s)}`;

function expectWithinLimits(s: ProfileShape, o: CalibrationGridOptions): void {
  const tokens = chunks(s).reduce((a, c) => a + c, 0);
  expect(chunks(s).length + decodes(s)).toBeGreaterThan(0);
  expect(tokens + decodes(s)).toBeLessThanOrEqual(o.maxBatchTokens);
  expect(decodes(s)).toBeLessThanOrEqual(o.maxDecodes);
  for (const c of chunks(s)) {
    expect(Number.isInteger(c) && c > 0).toBe(true);
    expect(c).toBeLessThanOrEqual(o.maxKvTokens);
  }
  if (decodes(s) > 0) {
    expect(Number.isInteger(kvLen(s)) && kvLen(s) > 0).toBe(true);
    expect(kvLen(s) + 1).toBeLessThanOrEqual(o.maxKvTokens);
  } else {
    expect(kvLen(s)).toBe(0);
  }
  expect(tokens + decodes(s) * (kvLen(s) + 1)).toBeLessThanOrEqual(o.kvCapacityTokens);
}

describe('calibrationGrid', () => {
  it.each(OPTION_SETS)('respects every limit, without duplicates, train and held-out disjoint: %o', (o) => {
    const { train, heldOut } = calibrationGrid(o);
    for (const s of [...train, ...heldOut]) expectWithinLimits(s, o);
    const trainKeys = new Set(train.map(key));
    const heldOutKeys = new Set(heldOut.map(key));
    expect(trainKeys.size).toBe(train.length);
    expect(heldOutKeys.size).toBe(heldOut.length);
    for (const k of heldOutKeys) expect(trainKeys.has(k)).toBe(false);
  });

  it('is deterministic', () => {
    expect(calibrationGrid(LLAMA_7B)).toEqual(calibrationGrid({ ...LLAMA_7B }));
  });

  it('sizes the grid: 42 train / 16 held-out for 512 tokens, 71 / 33 for a 7B GPU', () => {
    const small = calibrationGrid(SMALL);
    expect(small.train).toHaveLength(42);
    expect(small.heldOut).toHaveLength(16);
    const big = calibrationGrid(LLAMA_7B);
    expect(big.train).toHaveLength(71);
    expect(big.heldOut).toHaveLength(33);
    expect(big.train.length).toBeLessThanOrEqual(120);
  });

  it('trains on decode-only ladders, single and multi-chunk prefills and mixed batches', () => {
    const { train } = calibrationGrid(LLAMA_7B);
    const decodeOnly = train.filter((s) => chunks(s).length === 0);
    expect([...new Set(decodeOnly.map(decodes))]).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
    expect([...new Set(decodeOnly.map(kvLen))]).toEqual([16, 64, 256, 1024, 4095]);
    expect(decodeOnly).toHaveLength(40);
    const single = train.filter((s) => chunks(s).length === 1 && decodes(s) === 0).map((s) => chunks(s)[0]);
    expect(single).toEqual([16, 32, 64, 128, 256, 512, 1024, 2048, 4096]);
    const multi = train.filter((s) => chunks(s).length > 1);
    expect(multi.map(chunks)).toEqual([
      [2048, 2048],
      [1024, 1024, 1024, 1024],
      [3584, 512],
      [512, 512],
    ]);
    // Every multi-chunk batch has as many tokens as a single-chunk one, so the two separate.
    for (const m of multi) expect(single).toContain(chunks(m).reduce((a, c) => a + c, 0));
    const mixed = train.filter((s) => chunks(s).length === 1 && decodes(s) > 0);
    expect(mixed).toHaveLength(18);
    expect(new Set(mixed.map((s) => chunks(s)[0]))).toEqual(new Set([64, 256, 1024]));
  });

  it('holds out values between the train ladders, not at them', () => {
    for (const o of [SMALL, LLAMA_7B]) {
      const { train, heldOut } = calibrationGrid(o);
      const trainDecodes = new Set(train.map(decodes));
      const trainKv = new Set(train.map(kvLen));
      const trainChunks = new Set(train.flatMap(chunks));
      for (const s of heldOut) {
        if (decodes(s) > 0) {
          expect(trainDecodes.has(decodes(s))).toBe(false);
          expect(trainKv.has(kvLen(s))).toBe(false);
        }
        for (const c of chunks(s)) expect(trainChunks.has(c)).toBe(false);
      }
      const kinds = new Set(heldOut.map((s) => `${chunks(s).length > 0}-${decodes(s) > 0}`));
      expect(kinds).toEqual(new Set(['false-true', 'true-false', 'true-true']));
    }
    const small = calibrationGrid(SMALL).heldOut;
    expect(small.filter((s) => chunks(s).length === 0).map((s) => [decodes(s), kvLen(s)])).toEqual([
      [3, 32],
      [3, 128],
      [3, 362],
      [12, 32],
      [12, 128],
      [12, 362],
    ]);
  });

  it('drops shapes that do not fit a small KV capacity instead of shrinking them', () => {
    const roomy = calibrationGrid(LLAMA_7B);
    const tight = calibrationGrid({ ...LLAMA_7B, kvCapacityTokens: 50_000 });
    expect(tight.train.length).toBeLessThan(roomy.train.length);
    const roomyKeys = new Set(roomy.train.map(key));
    for (const s of tight.train) expect(roomyKeys.has(key(s))).toBe(true);
    expect(tight.train.some((s) => decodes(s) === 128 && kvLen(s) === 256)).toBe(true);
    expect(tight.train.some((s) => decodes(s) === 128 && kvLen(s) === 1024)).toBe(false);
  });

  it('rejects options that are not positive integers', () => {
    expect(() => calibrationGrid({ ...SMALL, maxDecodes: 0 })).toThrow(RangeError);
    expect(() => calibrationGrid({ ...SMALL, maxBatchTokens: 1.5 })).toThrow(/maxBatchTokens/);
    expect(() => calibrationGrid({ ...SMALL, kvCapacityTokens: Number.NaN })).toThrow(/kvCapacityTokens/);
  });
});
