import type { BatchShape } from '../latency/batch-shape.js';
import {
  CalibratedIterationTimeModel,
  segmentOf,
  type CalibratedModelParameters,
} from '../latency/calibrated-model.js';
import { nonnegativeLeastSquares } from '../latency/nonnegative-least-squares.js';
import { fitLeastSquaresLine, type LinearFit } from '../latency/profile-linear-fit.js';
import type { ProfileResultReply } from '../workers/worker-protocol.js';

/** One measured batch shape from a GPU worker's `profile` reply. */
export interface CalibrationPoint {
  /** Prefill chunk sizes, tokens; each chunk starts a new request (no cached tokens). */
  prefill: number[];
  /** Decode requests in the batch (one token each). */
  decodes: number;
  /** Cached tokens of each decode request before the token it decodes (0 when decodes is 0). */
  decodeKvLen: number;
  /** Median measured iteration time, seconds, > 0. */
  timeS: number;
}

/**
 * The calibration point of one entry of a `profile_result` reply (runner/workers/worker-protocol.ts).
 * @param result one element of `ProfileResultReply['results']`
 * @returns its shape and `median_s` as timeS (seconds); the prefill array is copied
 * @throws RangeError when the shape is empty, a chunk is not positive, decodes have no cached
 *   tokens, or the median is not a positive finite number of seconds
 */
export function calibrationPointOf(result: ProfileResultReply['results'][number]): CalibrationPoint {
  const point: CalibrationPoint = {
    prefill: [...result.prefill],
    decodes: result.decodes,
    decodeKvLen: result.decodes > 0 ? result.decode_kv_len : 0,
    timeS: result.median_s,
  };
  const problem = pointProblem(point);
  if (problem !== undefined) {
    throw new RangeError(`profile result ${describeShape(point)}: ${problem}`);
  }
  return point;
}

/**
 * The BatchShape the simulator would build for a calibration point: each chunk with no cached
 * tokens, and decodeKvTokens = decodes x (decodeKvLen + 1), the KV the decodes touch including
 * the token each writes. Allocates; for fitting and reports, not for the engine's hot path.
 * @param point the measured shape (its time is ignored)
 */
export function calibrationBatchShape(point: CalibrationPoint): BatchShape {
  const totalPrefillTokens = prefillTokens(point);
  return {
    numPrefills: point.prefill.length,
    prefillTokens: Int32Array.from(point.prefill),
    prefillKvBefore: new Int32Array(point.prefill.length),
    totalPrefillTokens,
    numDecodes: point.decodes,
    decodeKvTokens: point.decodes * (point.decodeKvLen + 1),
  };
}

/** Accuracy of a model over measured points; relative errors are in percent of the measured time. */
export interface ErrorSummary {
  /** Mean of |predicted - measured| / measured x 100. */
  meanAbsPct: number;
  /** Largest |predicted - measured| / measured x 100. */
  maxAbsPct: number;
  /** Root mean square of predicted - measured, seconds. */
  rmseS: number;
}

/** A model's errors over one set of points (all 0 when there are no points). */
export interface CalibrationErrors {
  /** Points evaluated. */
  points: number;
  /** The linear model's errors. */
  linear: ErrorSummary;
  /** The calibrated profile-style model's errors. */
  profile: ErrorSummary;
}

/** Result of `fitCalibration`; plain data (JSON-serialisable when the fit is not degenerate). */
export interface CalibrationFit {
  /**
   * The paper's linear model tau = d0 + d1 x (eq. time_consump; LinearIterationTimeModel), x = prefill
   * tokens + decode KV tokens, fitted by ordinary least squares over the decode-only train points
   * (as docs/linear-fit.md fits it to the Vidur profile): d0 seconds, d1 seconds per KV token, R^2.
   */
  linear: { d0: number; d1: number; r2: number; points: number };
  /** CalibratedIterationTimeModel parameters fitted over all train points. */
  profile: CalibratedModelParameters;
  /** Errors over the train points. */
  train: CalibrationErrors;
  /** Errors over the held-out points (not used in either fit). */
  heldOut: CalibrationErrors;
}

/** Most knots of the calibrated model's token-wise term. */
export const MAX_CALIBRATION_KNOTS = 16;

/**
 * Knots for the token-wise term: the distinct token counts T = prefill tokens + decodes of the
 * points, ascending. When there are more than maxKnots, keeps the smallest and the largest and, for
 * each of maxKnots - 2 targets spaced geometrically between them, the nearest count on a log
 * scale (duplicates dropped, so possibly fewer than maxKnots).
 * @param points measured shapes
 * @param maxKnots at most this many knots, >= 2
 * @returns knot token counts, strictly increasing (empty when there are no points)
 * @throws RangeError when maxKnots < 2
 */
export function calibrationKnots(
  points: readonly CalibrationPoint[],
  maxKnots = MAX_CALIBRATION_KNOTS,
): number[] {
  if (!(Number.isInteger(maxKnots) && maxKnots >= 2)) {
    throw new RangeError(`calibrationKnots: maxKnots must be an integer >= 2 (got ${maxKnots})`);
  }
  const tokens = [...new Set(points.map(batchTokens))].sort((a, b) => a - b);
  if (tokens.length <= maxKnots) return tokens;
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const chosen = new Set<number>([first, last]);
  const logFirst = Math.log(Math.max(first, 1));
  const logLast = Math.log(Math.max(last, 1));
  for (let k = 1; k < maxKnots - 1; k++) {
    const target = logFirst + ((logLast - logFirst) * k) / (maxKnots - 1);
    let best = first;
    for (const t of tokens) {
      if (Math.abs(Math.log(Math.max(t, 1)) - target) < Math.abs(Math.log(Math.max(best, 1)) - target))
        best = t;
    }
    chosen.add(best);
  }
  return [...chosen].sort((a, b) => a - b);
}

/**
 * Fits a machine's iteration time to measured batch shapes, two ways:
 *
 * - `linear`: the paper's tau = d0 + d1 x by `fitLeastSquaresLine` over the decode-only train
 *   points, x = decodes x (decodeKvLen + 1) (BatchShape.decodeKvTokens);
 * - `profile`: CalibratedIterationTimeModel over all train points by non-negative least squares
 *   (Lawson-Hanson, runner/latency/nonnegative-least-squares.ts), knots at `calibrationKnots(train)`. Each
 *   point's equation is divided by its measured time, so the fit minimises squared relative
 *   errors (the errors reported below are relative) and short iterations count as much as long
 *   ones; columns are scaled to unit largest entry for conditioning. Noise-free points of a
 *   calibrated model whose knots are among these knots are recovered exactly (to rounding).
 *
 * Both models are then evaluated on the train and held-out points.
 *
 * @param train points to fit on: at least two decode-only points with different decode KV tokens
 *   and at least one point with prefill chunks
 * @param heldOut points to test on (may be empty)
 * @throws RangeError when a point is malformed (empty, non-positive chunk, decodes without cached
 *   tokens, time not > 0), there are fewer than two decode-only train points with distinct x, or
 *   there is no train point with prefill
 * @throws Error when non-negative least squares does not converge (not seen on real grids)
 */
export function fitCalibration(
  train: readonly CalibrationPoint[],
  heldOut: readonly CalibrationPoint[],
): CalibrationFit {
  for (const [set, points] of [
    ['train', train],
    ['heldOut', heldOut],
  ] as const) {
    points.forEach((p, i) => {
      const problem = pointProblem(p);
      if (problem !== undefined)
        throw new RangeError(`fitCalibration: ${set}[${i}] ${describeShape(p)}: ${problem}`);
    });
  }
  const decodeOnly = train.filter((p) => p.prefill.length === 0);
  const linearPoints: LinearFit['points'] = decodeOnly.map((p) => ({
    x: p.decodes * (p.decodeKvLen + 1),
    y: p.timeS,
    batch: p.decodes,
    kv: p.decodeKvLen + 1,
  }));
  if (new Set(linearPoints.map((p) => p.x)).size < 2) {
    throw new RangeError(
      `fitCalibration: the linear fit needs at least two decode-only train points with different decode KV tokens (got ${decodeOnly.length} decode-only points)`,
    );
  }
  if (!train.some((p) => p.prefill.length > 0)) {
    throw new RangeError('fitCalibration: no train point has prefill chunks, so prefill cannot be fitted');
  }
  const line = fitLeastSquaresLine(linearPoints);
  const linear = { d0: line.d0, d1: line.d1, r2: line.r2, points: linearPoints.length };

  const knots = calibrationKnots(train);
  const knotArray = Float64Array.from(knots);
  const columns = knots.length + 3;
  const rows = train.map((p) => {
    const row = designRow(knotArray, p);
    for (let j = 0; j < columns; j++) row[j] /= p.timeS;
    return row;
  });
  const scale = new Array<number>(columns).fill(0);
  for (const row of rows) for (let j = 0; j < columns; j++) scale[j] = Math.max(scale[j], Math.abs(row[j]));
  for (let j = 0; j < columns; j++) if (scale[j] === 0) scale[j] = 1;
  const scaled = rows.map((row) => row.map((v, j) => v / scale[j]));
  const { x } = nonnegativeLeastSquares(scaled, new Array<number>(train.length).fill(1));
  const coef = x.map((v, j) => v / scale[j]);
  const profile: CalibratedModelParameters = {
    knotsTokens: knots,
    knotSeconds: coef.slice(0, knots.length),
    prefillAttentionS: coef[knots.length],
    decodeAttentionS: coef[knots.length + 1],
    decodeRequestS: coef[knots.length + 2],
  };

  const model = new CalibratedIterationTimeModel(profile);
  const errors = (points: readonly CalibrationPoint[]): CalibrationErrors => ({
    points: points.length,
    linear: errorSummary(
      points,
      (p) => linear.d0 + linear.d1 * (prefillTokens(p) + p.decodes * (p.decodeKvLen + 1)),
    ),
    profile: errorSummary(points, (p) => model.iterationTime(calibrationBatchShape(p))),
  });
  return { linear, profile, train: errors(train), heldOut: errors(heldOut) };
}

/**
 * The calibrated model of a fit (its `profile` parameters).
 * @throws RangeError when the parameters are invalid (see CalibratedIterationTimeModel)
 */
export function calibratedModelOf(fit: CalibrationFit): CalibratedIterationTimeModel {
  return new CalibratedIterationTimeModel(fit.profile);
}

/** Prefill chunk tokens of a point. */
function prefillTokens(p: CalibrationPoint): number {
  return p.prefill.reduce((s, c) => s + c, 0);
}

/** T = prefill tokens + decodes of a point, tokens. */
function batchTokens(p: CalibrationPoint): number {
  return prefillTokens(p) + p.decodes;
}

/**
 * One row of the design matrix: the hat-basis weights of f at T (with the model's linear
 * extrapolation outside the knots), then the prefill query-key pairs, the decode KV tokens and
 * the decode requests.
 */
function designRow(knots: Float64Array, p: CalibrationPoint): number[] {
  const row = new Array<number>(knots.length + 3).fill(0);
  const t = batchTokens(p);
  if (knots.length === 1) {
    row[0] = 1;
  } else {
    const k = segmentOf(knots, t);
    const u = (t - knots[k]) / (knots[k + 1] - knots[k]);
    row[k] = 1 - u;
    row[k + 1] = u;
  }
  row[knots.length] = p.prefill.reduce((s, c) => s + (c * (c + 1)) / 2, 0);
  row[knots.length + 1] = p.decodes * (p.decodeKvLen + 1);
  row[knots.length + 2] = p.decodes;
  return row;
}

/** Errors of predict over the points; all 0 for no points. */
function errorSummary(
  points: readonly CalibrationPoint[],
  predict: (p: CalibrationPoint) => number,
): ErrorSummary {
  if (points.length === 0) return { meanAbsPct: 0, maxAbsPct: 0, rmseS: 0 };
  let sumPct = 0;
  let maxPct = 0;
  let ss = 0;
  for (const p of points) {
    const e = predict(p) - p.timeS;
    const pct = (Math.abs(e) / p.timeS) * 100;
    sumPct += pct;
    maxPct = Math.max(maxPct, pct);
    ss += e * e;
  }
  return { meanAbsPct: sumPct / points.length, maxAbsPct: maxPct, rmseS: Math.sqrt(ss / points.length) };
}

/** Why a point is malformed, or undefined when it is fine. */
function pointProblem(p: CalibrationPoint): string | undefined {
  if (!p.prefill.every((c) => Number.isSafeInteger(c) && c > 0))
    return 'prefill chunks must be positive integers';
  if (!(Number.isSafeInteger(p.decodes) && p.decodes >= 0)) return 'decodes must be a non-negative integer';
  if (p.prefill.length === 0 && p.decodes === 0) return 'the batch is empty';
  if (p.decodes > 0 && !(Number.isSafeInteger(p.decodeKvLen) && p.decodeKvLen > 0)) {
    return 'decodes need a positive integer decodeKvLen';
  }
  if (!(Number.isFinite(p.timeS) && p.timeS > 0)) return `time must be > 0 seconds (got ${p.timeS})`;
  return undefined;
}

/** `prefill [512, 256] + 16 decodes at kv 1024` for messages. */
function describeShape(p: CalibrationPoint): string {
  return `prefill [${p.prefill.join(', ')}] + ${p.decodes} decodes at kv ${p.decodeKvLen}`;
}
