import { ATTN_RESHAPE_MS, attentionDecodeMs } from './a100-llama2-7b-attention.js';
import type { BatchShape } from './batch-shape.js';
import type { IterationTimeModel } from './iteration-time-model.js';
import { nonnegativeLeastSquares } from './nonnegative-least-squares.js';
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

/**
 * Token budget of a prefill batch in the fitting grid: vLLM's `maxNumBatchedTokens` (4,096, the
 * vllm policy's default and Vidur's), the most prompt tokens vLLM prefills in one iteration.
 */
export const FIT_PREFILL_BUDGET = 4096;
/** Token budget of a mixed batch in the fitting grid: Sarathi-Serve's chunk (512, the sarathi policy's default). */
export const FIT_CHUNK_SIZE = 512;
/** Prompt lengths (tokens) of the fitting grid's prefill batches: up to the 4,096-token context. */
export const FIT_PROMPT_LENGTHS = [128, 256, 512, 1024, 2048, 3072, 4096];
/**
 * KV tokens already cached for the prompt whose chunk a mixed batch carries: the chunk positions
 * 0, 1,024, 2,048 and 3,072 of a prompt up to the 4,096-token context.
 */
export const FIT_CHUNK_KV_BEFORE = [0, 1024, 2048, 3072];

/** Which kind of iteration a batch of the fitting grid stands for. */
export type FitBatchFamily = 'decode' | 'prefill' | 'mixed';

/** One batch of the fitting grid. */
export interface FitBatch {
  family: FitBatchFamily;
  shape: BatchShape;
  /** Short description for reports and test messages, e.g. `32 decodes x 1024 KV + chunk 480 after 2048`. */
  label: string;
}

/**
 * The batches over which a machine's linear model tau = d0 + d1 (KV tokens) + d2 (prefill tokens)
 * is fitted (docs/linear-fit.md, "The fit with prefill"): the three kinds of iteration the
 * built-in policies run when the machine is busy.
 * - `decode` (every policy between prefills): b decode requests in FIT_BATCH_SIZES with mean KV
 *   length kv in FIT_KV_LENGTHS; 63 batches.
 * - `prefill` (vllm: prompts are prefilled in iterations of their own, up to a token budget of
 *   FIT_PREFILL_BUDGET): prompts of p in FIT_PROMPT_LENGTHS tokens, one alone and
 *   floor(4096 / p) of them filling the budget; 12 batches.
 * - `mixed` (sarathi: chunked prefill piggybacked on decodes under a FIT_CHUNK_SIZE token
 *   budget): the decode batches above plus one prefill chunk that fills the budget, 512 - b
 *   tokens, with kvBefore in FIT_CHUNK_KV_BEFORE tokens of its prompt already cached; 252 batches.
 * fcfs and mc-sf (whole prompts added to decode batches, no token budget) and vllm-v1 (decodes and
 * chunks under a 2,048-token budget) run mixtures of the same work.
 * @returns the batches, decode first, then prefill, then mixed
 */
export function linearFitBatches(): FitBatch[] {
  const batches: FitBatch[] = [];
  for (const b of FIT_BATCH_SIZES) {
    for (const kv of FIT_KV_LENGTHS) {
      batches.push({ family: 'decode', shape: shapeOf([], [], b, kv), label: `${b} decodes x ${kv} KV` });
    }
  }
  for (const p of FIT_PROMPT_LENGTHS) {
    const full = Math.floor(FIT_PREFILL_BUDGET / p);
    for (const k of full > 1 ? [1, full] : [1]) {
      const chunks = new Array<number>(k).fill(p);
      batches.push({
        family: 'prefill',
        shape: shapeOf(chunks, new Array<number>(k).fill(0), 0, 0),
        label: `${k} prefills x ${p} tokens`,
      });
    }
  }
  for (const b of FIT_BATCH_SIZES) {
    for (const kv of FIT_KV_LENGTHS) {
      for (const before of FIT_CHUNK_KV_BEFORE) {
        const chunk = FIT_CHUNK_SIZE - b;
        batches.push({
          family: 'mixed',
          shape: shapeOf([chunk], [before], b, kv),
          label: `${b} decodes x ${kv} KV + chunk ${chunk} after ${before}`,
        });
      }
    }
  }
  return batches;
}

/** A batch shape of prefill chunks (tokens, KV before each) and `decodes` decodes of `kv` KV tokens each. */
function shapeOf(chunks: number[], kvBefore: number[], decodes: number, kv: number): BatchShape {
  return {
    numPrefills: chunks.length,
    prefillTokens: Int32Array.from(chunks),
    prefillKvBefore: Int32Array.from(kvBefore),
    totalPrefillTokens: chunks.reduce((sum, c) => sum + c, 0),
    numDecodes: decodes,
    decodeKvTokens: decodes * kv,
  };
}

/** One point of a fit with prefill: what the linear model sees of a batch, and its time. */
export interface LinearFitWithPrefillPoint {
  family: FitBatchFamily;
  label: string;
  /** KV tokens of the batch as the linear model counts them: prefill tokens + decode KV tokens. */
  kvTokens: number;
  /** Prompt tokens prefilled in the batch. */
  prefillTokens: number;
  /** The fitted model's iteration time, seconds. */
  y: number;
}

/** How well a fit with prefill matches one family of its batches. */
export interface FamilyFitError {
  /** Batches of the family in the grid. */
  points: number;
  /** Mean and largest |predicted / actual - 1| over them. */
  meanRelativeError: number;
  maxRelativeError: number;
}

/** The linear model tau = d0 + d1 (KV tokens) + d2 (prefill tokens) fitted to an iteration-time model. */
export interface LinearFitWithPrefill {
  /** Fixed overhead per iteration, seconds (>= 0). */
  d0: number;
  /** Seconds per KV token of the batch (prefill tokens + decode KV tokens; >= 0). */
  d1: number;
  /** Seconds per prompt token prefilled, on top of d1 (>= 0). */
  d2: number;
  /** Coefficient of determination of the iteration times (seconds, unweighted) over the points. */
  r2: number;
  /** Mean and largest |predicted / actual - 1| over all points. */
  meanRelativeError: number;
  maxRelativeError: number;
  /** The same per family of batches (only families present in the grid). */
  families: Partial<Record<FitBatchFamily, FamilyFitError>>;
  points: LinearFitWithPrefillPoint[];
}

/**
 * Fits the linear iteration time with a prefill term,
 *
 *   tau = d0 + d1 * (prefill tokens + decode KV tokens) + d2 * (prefill tokens),
 *
 * to an iteration-time model over a grid of batches (docs/linear-fit.md, "The fit with
 * prefill"). This extends the paper's eq. time_consump (arXiv 2504.11320v2 §2; d2 = 0 is the
 * paper's model, whose d1 already charges each prefilled token as one KV token) so that prompt
 * processing costs what it costs.
 *
 * The fit is non-negative least squares of the RELATIVE error, each family of batches (decode,
 * prefill, mixed) weighing the same in total: it minimises
 * sum_f (1 / n_f) sum_{i in f} ((predicted_i - y_i) / y_i)^2, n_f the family's batches.
 * Relative, because iteration times span 40x (a 10 ms decode, a 340 ms prefill) and an error
 * matters in proportion to the iteration it is made on; per family, because the grid's point
 * counts reflect its resolution, not how often each kind of iteration runs. Non-negativity keeps
 * every coefficient physical (the fluid benchmark divides by 1 - load). A linear model fits
 * itself exactly under any weighting.
 *
 * @param model the machine's iteration-time model (a profile, calibrated or linear model)
 * @param batches the grid; default linearFitBatches()
 * @returns d0 (s), d1 (s per KV token), d2 (s per prefill token), R^2, errors and the points
 * @throws RangeError when the grid is empty or the model's time for a batch is not positive and finite
 */
export function fitLinearWithPrefill(
  model: IterationTimeModel,
  batches: readonly FitBatch[] = linearFitBatches(),
): LinearFitWithPrefill {
  if (batches.length === 0) throw new RangeError('fitLinearWithPrefill needs at least one batch');
  const points: LinearFitWithPrefillPoint[] = batches.map(({ family, label, shape }) => ({
    family,
    label,
    kvTokens: shape.totalPrefillTokens + shape.decodeKvTokens,
    prefillTokens: shape.totalPrefillTokens,
    y: model.iterationTime(shape),
  }));
  const bad = points.find((p) => !(Number.isFinite(p.y) && p.y > 0));
  if (bad) throw new RangeError(`fitLinearWithPrefill: the model gives ${bad.y} s for ${bad.label}`);
  const count = new Map<FitBatchFamily, number>();
  for (const p of points) count.set(p.family, (count.get(p.family) ?? 0) + 1);
  // Row i scaled by sqrt(w_i), w_i = 1 / (n_f y_i^2); columns then scaled to unit norm.
  const rows = points.map((p) => {
    const w = 1 / (p.y * Math.sqrt(count.get(p.family)!));
    return { a: [w, w * p.kvTokens, w * p.prefillTokens], b: w * p.y };
  });
  const norms = [0, 1, 2].map((j) => Math.sqrt(rows.reduce((s, r) => s + r.a[j] ** 2, 0)) || 1);
  const { x } = nonnegativeLeastSquares(
    rows.map((r) => r.a.map((v, j) => v / norms[j])),
    rows.map((r) => r.b),
  );
  const [d0, d1, d2] = x.map((v, j) => v / norms[j]);
  const mean = points.reduce((s, p) => s + p.y, 0) / points.length;
  let ssr = 0;
  let sst = 0;
  const families: LinearFitWithPrefill['families'] = {};
  const all: FamilyFitError = { points: 0, meanRelativeError: 0, maxRelativeError: 0 };
  for (const p of points) {
    const predicted = d0 + d1 * p.kvTokens + d2 * p.prefillTokens;
    ssr += (p.y - predicted) ** 2;
    sst += (p.y - mean) ** 2;
    const rel = Math.abs(predicted / p.y - 1);
    const family = (families[p.family] ??= { points: 0, meanRelativeError: 0, maxRelativeError: 0 });
    for (const e of [family, all]) {
      e.points++;
      e.meanRelativeError += rel;
      e.maxRelativeError = Math.max(e.maxRelativeError, rel);
    }
  }
  for (const e of [...Object.values(families), all]) e.meanRelativeError /= e.points;
  return {
    d0,
    d1,
    d2,
    r2: sst > 0 ? 1 - ssr / sst : 1,
    meanRelativeError: all.meanRelativeError,
    maxRelativeError: all.maxRelativeError,
    families,
    points,
  };
}
