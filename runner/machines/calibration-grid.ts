import type { ProfileShape } from '../workers/worker-protocol.js';

/** Limits of the machine being calibrated; every shape of the grid respects all of them. */
export interface CalibrationGridOptions {
  /** Most tokens one iteration may process: prefill chunk tokens + one per decode. */
  maxBatchTokens: number;
  /** Longest request, tokens (the model's context): each chunk and each decode's kv + 1 fit in it. */
  maxKvTokens: number;
  /** Most decode requests in one batch. */
  maxDecodes: number;
  /**
   * KV cache the worker has free, tokens: a shape needs the sum of its chunks plus
   * decodes x (decode_kv_len + 1). Block rounding is not accounted for: pass the free blocks x block
   * size minus one block per request of the largest shape when that matters.
   */
  kvCapacityTokens: number;
}

/** Shapes to time: `train` to fit a model on, `heldOut` (disjoint, between train values) to test it. */
export interface CalibrationGrid {
  /** Decode-only, prefill-only (one or several chunks) and mixed batches on geometric ladders. */
  train: ProfileShape[];
  /** Batches with values between the train ladders' steps, none equal to a train shape. */
  heldOut: ProfileShape[];
}

/** Smallest chunk and decode KV length of the ladders, tokens. */
const LADDER_START = 16;

/**
 * The batch shapes a GPU worker's `profile` message times to calibrate a simulated machine
 * (fitCalibration in runner/machines/calibration-fit.ts fits them). Deterministic; no shape appears twice, and no
 * held-out shape is a train shape. Shapes that break a limit are left out, not shrunk.
 *
 * Train:
 * - decode-only: decodes 1, 2, 4, ... up to maxDecodes (and maxDecodes itself) x decode_kv_len
 *   16, 64, 256, ... (ratio 4) up to maxKvTokens - 1 (and that value itself);
 * - prefill-only, one chunk: 16, 32, 64, ... up to min(maxBatchTokens, maxKvTokens) (and that value);
 * - prefill-only, several chunks summing to a single-chunk size (so prefill attention, which grows
 *   with the square of each chunk, separates from the token count): the largest chunk split 2 x 1/2,
 *   4 x 1/4 and 7/8 + 1/8, and a quarter of it split in halves;
 * - mixed: one chunk of 64, 256, 1,024, ... (up to half the batch budget) + 4, 16 or 64 decodes at
 *   two decode_kv_len of the ladder (its second and second-to-last).
 *
 * Held-out: decodes 3, 12, 48, 96 x decode_kv_len at the geometric midpoints of the ladder; chunks
 * of 1.5 x a power of two (24, 48, 96, ..., 768, 1,536, 3,072); two chunks of unequal size; and
 * mixed batches (chunk 96 + 12 decodes, chunk 384 + 48 decodes, chunk 24 + 3 decodes, ...).
 *
 * With maxBatchTokens = maxKvTokens = 512, maxDecodes = 32 and ample capacity: 42 train and 16
 * held-out shapes; with 4,096, 4,096, 128 and 1e6 tokens: 71 train and 33 held-out shapes.
 *
 * @param options the machine's limits, positive integers
 * @returns the train and held-out shapes; every shape has `prefill`, `decodes` and
 *   `decode_kv_len` (0 when there are no decodes)
 * @throws RangeError when an option is not a positive integer
 */
export function calibrationGrid(options: CalibrationGridOptions): CalibrationGrid {
  for (const [name, value] of Object.entries(options)) {
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`calibrationGrid: ${name} must be a positive integer (got ${String(value)})`);
    }
  }
  const { maxBatchTokens, maxKvTokens, maxDecodes, kvCapacityTokens } = options;
  const maxChunk = Math.min(maxBatchTokens, maxKvTokens);
  const maxKvLen = maxKvTokens - 1;

  const fits = (prefill: number[], decodes: number, kv: number): boolean => {
    const chunkTokens = prefill.reduce((s, c) => s + c, 0);
    return (
      prefill.every((c) => Number.isInteger(c) && c > 0 && c <= maxKvTokens) &&
      decodes >= 0 &&
      decodes <= maxDecodes &&
      (decodes === 0 || (kv > 0 && kv + 1 <= maxKvTokens)) &&
      prefill.length + decodes > 0 &&
      chunkTokens + decodes <= maxBatchTokens &&
      chunkTokens + decodes * (kv + 1) <= kvCapacityTokens
    );
  };

  const seen = new Set<string>();
  const collect = (out: ProfileShape[], prefill: number[], decodes: number, kv: number): void => {
    const kvLen = decodes > 0 ? kv : 0;
    if (!fits(prefill, decodes, kvLen)) return;
    const key = `${[...prefill].sort((x, y) => y - x).join(',')}|${decodes}|${kvLen}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ prefill: [...prefill], decodes, decode_kv_len: kvLen });
  };

  const decodeLadder = ladder(1, 2, maxDecodes);
  const kvLadder = ladder(LADDER_START, 4, maxKvLen);
  const chunkLadder = ladder(LADDER_START, 2, maxChunk);

  const train: ProfileShape[] = [];
  for (const d of decodeLadder) for (const kv of kvLadder) collect(train, [], d, kv);
  for (const c of chunkLadder) collect(train, [c], 0, 0);
  const top = chunkLadder.length > 0 ? chunkLadder[chunkLadder.length - 1] : 0;
  if (top >= 2 * LADDER_START) {
    const half = Math.floor(top / 2);
    const quarter = Math.floor(top / 4);
    collect(train, [half, top - half], 0, 0);
    collect(train, [top - 3 * quarter, quarter, quarter, quarter], 0, 0);
    const eighth = Math.floor(top / 8);
    collect(train, [top - eighth, eighth], 0, 0);
    if (quarter >= 2 * LADDER_START)
      collect(train, [Math.floor(quarter / 2), quarter - Math.floor(quarter / 2)], 0, 0);
  }
  const mixedKv = kvLadder.length >= 2 ? [kvLadder[1], kvLadder[kvLadder.length - 2]] : kvLadder;
  for (const c of ladder(64, 4, Math.floor(maxBatchTokens / 2), false)) {
    for (const d of [4, 16, 64]) for (const kv of mixedKv) collect(train, [c], d, kv);
  }

  const heldOut: ProfileShape[] = [];
  const kvMids: number[] = [];
  for (let k = 0; k + 1 < kvLadder.length; k++)
    kvMids.push(Math.round(Math.sqrt(kvLadder[k] * kvLadder[k + 1])));
  const heldOutDecodes = [3, 12, 48, 96];
  for (const d of heldOutDecodes) for (const kv of kvMids) collect(heldOut, [], d, kv);
  for (let c = 24; c < maxChunk; c *= 2) collect(heldOut, [c], 0, 0);
  if (top >= 2 * LADDER_START) {
    const third = Math.round(top / 3);
    collect(heldOut, [top - third - Math.round(top / 8), third], 0, 0);
  }
  const midKv = kvMids.length > 0 ? kvMids[Math.floor(kvMids.length / 2)] : 0;
  const highKv = kvMids.length > 0 ? kvMids[kvMids.length - 1] : 0;
  for (const [c, d] of [
    [24, 3],
    [96, 12],
    [384, 48],
    [1536, 96],
  ]) {
    collect(heldOut, [c], d, midKv);
    collect(heldOut, [c], d, highKv);
  }
  return { train, heldOut };
}

/**
 * start, start x ratio, ... while <= max, then max itself when the last step fell short of it.
 * @param withMax whether to append max when it is not a step
 */
function ladder(start: number, ratio: number, max: number, withMax = true): number[] {
  const out: number[] = [];
  for (let v = start; v <= max; v *= ratio) out.push(v);
  if (withMax && max >= start && out[out.length - 1] !== max) out.push(max);
  return out;
}
