import type { BatchShape } from './batch-shape.js';
import type { IterationTimeModel } from './iteration-time-model.js';

/** Plain (JSON-serialisable) parameters of a CalibratedIterationTimeModel. */
export interface CalibratedModelParameters {
  /** Token counts of the knots of the token-wise term f, strictly increasing, tokens. */
  knotsTokens: number[];
  /** f at each knot, seconds per iteration, >= 0; as many as knotsTokens. */
  knotSeconds: number[];
  /** Seconds per (query token, key token) pair of prefill attention, >= 0. */
  prefillAttentionS: number;
  /** Seconds per KV token a decode request touches, >= 0. */
  decodeAttentionS: number;
  /**
   * Seconds per decode request in the batch, >= 0: the per-sequence cost of decode attention and
   * sampling that the token-wise term f(T) cannot represent.
   */
  decodeRequestS: number;
}

/** Shortest iteration the calibrated model returns, seconds. */
export const MIN_ITERATION_S = 1e-6;

/**
 * A profile-style iteration time fitted to a GPU worker's measurements, in the spirit of Vidur
 * (vidur/execution_time_predictor: token-wise operators as a function of the batch's token count,
 * attention modelled separately; runner/latency/profile-model.ts):
 *
 *   time = f(T) + prefillAttentionS x sum_i c_i (kvBefore_i + (c_i + 1) / 2)
 *               + decodeAttentionS x decodeKvTokens + decodeRequestS x numDecodes
 *
 * where T = totalPrefillTokens + numDecodes (tokens the linear layers process), f is piecewise
 * linear through (knotsTokens, knotSeconds) and continues linearly with the first segment's slope
 * below the first knot and the last segment's slope beyond the last (a single knot: constant),
 * c_i and kvBefore_i are BatchShape.prefillTokens / prefillKvBefore (so c_i (kvBefore_i +
 * (c_i + 1) / 2) counts the causal query-key pairs of chunk i), and decodeKvTokens is
 * BatchShape's (KV tokens of every decode, including the one it writes); decodeRequestS is a cost
 * per decode request (per-sequence attention launch and sampling work beyond f). Never below
 * MIN_ITERATION_S. `iterationTime` allocates nothing. The parameters are fitted by fitCalibration
 * (runner/machines/calibration-fit.ts); this file only evaluates them.
 */
export class CalibratedIterationTimeModel implements IterationTimeModel {
  readonly kind = 'calibrated';
  private readonly knots: Float64Array;
  private readonly values: Float64Array;
  /** slopes[k]: seconds per token on segment [knots[k], knots[k + 1]]. */
  private readonly slopes: Float64Array;
  private readonly prefillAttentionS: number;
  private readonly decodeAttentionS: number;
  private readonly decodeRequestS: number;

  /**
   * @param parameters knots, their values and the attention coefficients (copied)
   * @throws RangeError when there are no knots, the arrays differ in length, the knots are not
   *   strictly increasing finite numbers, or a value or coefficient is negative or not finite
   */
  constructor(parameters: CalibratedModelParameters) {
    const { knotsTokens, knotSeconds, prefillAttentionS, decodeAttentionS, decodeRequestS } = parameters;
    if (knotsTokens.length === 0 || knotsTokens.length !== knotSeconds.length) {
      throw new RangeError(
        `calibrated model needs at least one knot and as many values as knots (got ${knotsTokens.length} knots, ${knotSeconds.length} values)`,
      );
    }
    for (let k = 0; k < knotsTokens.length; k++) {
      if (!Number.isFinite(knotsTokens[k]) || (k > 0 && !(knotsTokens[k] > knotsTokens[k - 1]))) {
        throw new RangeError(
          `calibrated model: knotsTokens must be finite and strictly increasing (${knotsTokens.join(', ')})`,
        );
      }
      if (!(Number.isFinite(knotSeconds[k]) && knotSeconds[k] >= 0)) {
        throw new RangeError(
          `calibrated model: knotSeconds[${k}] must be finite and >= 0 (got ${knotSeconds[k]})`,
        );
      }
    }
    for (const [name, v] of [
      ['prefillAttentionS', prefillAttentionS],
      ['decodeAttentionS', decodeAttentionS],
      ['decodeRequestS', decodeRequestS],
    ] as const) {
      if (!(Number.isFinite(v) && v >= 0)) {
        throw new RangeError(`calibrated model: ${name} must be finite and >= 0 (got ${v})`);
      }
    }
    this.knots = Float64Array.from(knotsTokens);
    this.values = Float64Array.from(knotSeconds);
    this.slopes = new Float64Array(Math.max(0, knotsTokens.length - 1));
    for (let k = 0; k + 1 < knotsTokens.length; k++) {
      this.slopes[k] = (knotSeconds[k + 1] - knotSeconds[k]) / (knotsTokens[k + 1] - knotsTokens[k]);
    }
    this.prefillAttentionS = prefillAttentionS;
    this.decodeAttentionS = decodeAttentionS;
    this.decodeRequestS = decodeRequestS;
  }

  /**
   * The token-wise term f(T), seconds (may be negative far below the first knot).
   * @param tokens T, the batch's prefill tokens + decodes
   */
  tokenWiseSeconds(tokens: number): number {
    if (this.slopes.length === 0) return this.values[0];
    const k = segmentOf(this.knots, tokens);
    return this.values[k] + this.slopes[k] * (tokens - this.knots[k]);
  }

  iterationTime(batch: BatchShape): number {
    let pairs = 0;
    for (let k = 0; k < batch.numPrefills; k++) {
      const c = batch.prefillTokens[k];
      pairs += c * (batch.prefillKvBefore[k] + (c + 1) / 2);
    }
    const t =
      this.tokenWiseSeconds(batch.totalPrefillTokens + batch.numDecodes) +
      this.prefillAttentionS * pairs +
      this.decodeAttentionS * batch.decodeKvTokens +
      this.decodeRequestS * batch.numDecodes;
    return t > MIN_ITERATION_S ? t : MIN_ITERATION_S;
  }

  /** The parameters, copied: JSON-serialisable, and `new CalibratedIterationTimeModel(p)` restores the model. */
  parameters(): CalibratedModelParameters {
    return {
      knotsTokens: Array.from(this.knots),
      knotSeconds: Array.from(this.values),
      prefillAttentionS: this.prefillAttentionS,
      decodeAttentionS: this.decodeAttentionS,
      decodeRequestS: this.decodeRequestS,
    };
  }

  describe(): Record<string, number | string> {
    return {
      model: 'calibrated',
      knotsTokens: Array.from(this.knots).join(','),
      knotSeconds: Array.from(this.values).join(','),
      prefillAttentionS: this.prefillAttentionS,
      decodeAttentionS: this.decodeAttentionS,
      decodeRequestS: this.decodeRequestS,
    };
  }
}

/**
 * Index k of the segment [knots[k], knots[k + 1]] that evaluates f at t: 0 below the second knot,
 * the last segment at or beyond the last knot. Needs at least two knots. Binary search, no allocation.
 * Shared with the calibration fit's design matrix (runner/machines/calibration-fit.ts).
 * @param knots knot token counts, strictly increasing, at least two
 * @param t token count T
 */
export function segmentOf(knots: Float64Array, t: number): number {
  let lo = 0;
  let hi = knots.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (knots[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
