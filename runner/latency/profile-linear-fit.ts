import { ATTN_RESHAPE_MS, attentionDecodeMs } from './a100-llama2-7b-attention.js';
import { interpolate, loadOperatorProfile } from './operator-profile.js';

/** Token-wise operators of one transformer layer in Vidur's `mlp.csv` (everything but attention). */
export { TOKEN_WISE_OPS } from './operator-profile.js';

/** Decode batch sizes (requests) of the fitting grid. */
export const FIT_BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 96, 128];
/** Mean KV lengths (tokens) of the fitting grid; within the attention fit's range (32-4,032). */
export const FIT_KV_LENGTHS = [128, 256, 512, 1024, 2048, 3072, 4032];

/** Result of fitting the paper's linear model tau = d0 + d1 x to profile-derived iteration times. */
export interface LinearFit {
  /** Fixed overhead per iteration, seconds. */
  d0: number;
  /** Seconds per KV token touched. */
  d1: number;
  /** Coefficient of determination of the fit. */
  r2: number;
  /** Grid points used: KV tokens touched (x) and iteration time in seconds (y). */
  points: { x: number; y: number; batch: number; kv: number }[];
}

/**
 * Sum of the token-wise operator medians (ms per layer) as a function of the batch's token
 * count, from a Vidur `mlp.csv` (tensor-parallel degree 1 rows), linearly interpolated; constant
 * beyond the profiled range. Token counts profiled twice (2,048 and 4,096) take the mean.
 * @param csvPath path of the `mlp.csv` file
 * @throws InputError when the file is missing or lacks a column
 */
export function loadTokenWiseProfile(csvPath: string): (tokens: number) => number {
  const { tokens, totalMs } = loadOperatorProfile(csvPath);
  return (x: number): number => interpolate(tokens, totalMs, x);
}

/**
 * Fits the paper's linear iteration-time model (arXiv 2504.11320v2 §2, eq. time_consump) for Llama-2-7B
 * on A100 by ordinary least squares over a grid of decode batches (FIT_BATCH_SIZES x
 * FIT_KV_LENGTHS). Each point's iteration time is 32 layers x (token-wise operators at `batch`
 * tokens from Vidur's profile + decode attention from the closed-form fit + output reshape);
 * x = batch x kv, the KV tokens the batch touches. Decode batches are where the paper says the
 * linear model is accurate; docs/linear-fit.md reports how far it is off for prefills.
 *
 * @param mlpCsvPath Vidur `mlp.csv` for A100 Llama-2-7B
 * @param layers transformer layers (32 for Llama-2-7B)
 */
export function fitLinearFromProfile(mlpCsvPath: string, layers = 32): LinearFit {
  const tokenWise = loadTokenWiseProfile(mlpCsvPath);
  const points: LinearFit['points'] = [];
  for (const batch of FIT_BATCH_SIZES) {
    for (const kv of FIT_KV_LENGTHS) {
      const ms = tokenWise(batch) + attentionDecodeMs(batch, kv) + ATTN_RESHAPE_MS;
      points.push({ x: batch * kv, y: (ms * layers) / 1000, batch, kv });
    }
  }
  return fitLeastSquaresLine(points);
}

/**
 * Ordinary least squares of y on x over the points, with R^2.
 * @param points at least two points with distinct x
 */
export function fitLeastSquaresLine(points: LinearFit['points']): LinearFit {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  const d1 = sxy / sxx;
  const d0 = my - d1 * mx;
  const ssr = points.reduce((s, p) => s + (p.y - d0 - d1 * p.x) ** 2, 0);
  return { d0, d1, r2: 1 - ssr / syy, points };
}
