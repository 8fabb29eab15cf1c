/**
 * Memory Nested WAIT needs (arXiv 2504.11320v2 §5, §7.2 and appendix): the steady-state memory M^pi of
 * eq. nested_wait_memory, the decay rates theta_k of the queues at the segment boundaries
 * (appendix root equation), and the high-probability total of eq. nested_wait_memory_total.
 * Memory is in KV tokens; segments and stages follow runner/fluid/nested-wait-segments.ts.
 */
import type { TokenModel } from '../engine/token-model.js';
import { segmentStages, tailSums } from './nested-wait-segments.js';

/** Inputs of nestedWaitMemory. Arrays are indexed by segment k-1. */
export interface NestedWaitMemoryInput {
  /** b_1..b_m, output tokens (strictly increasing). */
  boundaries: readonly number[];
  /** n_1..n_m, prompts per stage (>= 1). */
  thresholds: readonly number[];
  /** lambda'_1..lambda'_m, per-segment rates or request counts (>= 0; only proportions matter). */
  segmentRates: readonly number[];
  /** l, prompt tokens (the paper assumes one prefill length; we pass the mean). */
  promptTokens: number;
  /** Token model: maps segments to stages (see segmentStages). */
  tokenModel: TokenModel;
  /** delta in (0, 1): allowed probability of overflow over the horizon. */
  delta: number;
  /** T: iterations of the horizon (>= 1), the union bound's (T+1) factor. */
  horizonIterations: number;
}

/** Memory bound of Nested WAIT, KV tokens. */
export interface NestedWaitMemory {
  /** M^pi: memory with exactly n_k prompts at every stage of every segment. */
  mPiTokens: number;
  /** Safety buffer sum_{k>=2} (l + l'_{k-1})(n_k + theta_k^{-1} ln((m-1)(T+1)/delta)); Infinity if some theta_k = 0. */
  bufferTokens: number;
  /** mPiTokens + bufferTokens (eq. nested_wait_memory_total). */
  totalTokens: number;
  /**
   * theta_k per segment (index k-1). theta_1 = Infinity (segment 1's entry queue is the waiting
   * queue, which holds no KV); Infinity also where the boundary queue cannot exceed n_k
   * (n_k >= n_{k-1}, or nobody reaches segment k); 0 where n_k <= q_k n_{k-1} (the queue drifts
   * upwards: no bound).
   */
  theta: number[];
}

/**
 * M^pi of eq. nested_wait_memory: sum_k n_k x sum over segment k's stages s of (l + s).
 *
 * The printed form n_k (l + L'_k/2) Delta l'_k, with L'_k = sum_{r<=k} l'_r (§5), is
 * inconsistent with its gloss "average memory per prompt within segment k" (docs/paper-model.md);
 * we implement the appendix's
 * per-segment sum of (l + s) over the segment's stages. Segment 1 also counts its prefill stage
 * (l tokens), as the fluid M* of §3 does (sum_{s=0}^{l'} (l + s)): with n_k = Delta T x T_k
 * (tail rates) and types at the boundaries, M^pi equals the fluid M*.
 * @param boundaries b_1..b_m, output tokens
 * @param thresholds n_1..n_m
 * @param promptTokens l, tokens
 * @param tokenModel maps segments to stages; after running stage s a prompt holds l + s tokens
 * @returns M^pi, KV tokens
 */
export function nestedWaitMPi(
  boundaries: readonly number[],
  thresholds: readonly number[],
  promptTokens: number,
  tokenModel: TokenModel,
): number {
  const st = segmentStages(boundaries, tokenModel);
  let m = 0;
  for (let k = 0; k < boundaries.length; k++) {
    const c = st.count[k];
    m += thresholds[k] * (c * promptTokens + ((st.first[k] + st.last[k]) * c) / 2);
  }
  return m;
}

/** ln(1 - q + q e^theta) for theta >= 0, without overflow or cancellation. */
function logMgf(theta: number, q: number): number {
  return theta <= 1 ? Math.log1p(q * Math.expm1(theta)) : theta + Math.log(q + (1 - q) * Math.exp(-theta));
}

/**
 * theta_k: the positive root of (1 - q + q e^theta)^{nPrev} = e^{theta n} (appendix of arXiv 2504.11320v2),
 * the exponential decay rate of the queue at the entry of segment k, which receives
 * Y ~ Binomial(n_{k-1}, q_k) prompts per batch of segment k-1 and releases n_k.
 *
 * Index convention: the appendix's q_k = p_k^{App} = sum_{j>=k} lambda_j / sum_{j>=k-1} lambda_j
 * = T_k / T_{k-1}, which is the main text's p_{k-1} (eq. nested_wait_thresholds).
 *
 * Solved by bisection on f(theta) = nPrev ln(1 - q + q e^theta) - n theta (convex, f(0) = 0): a
 * positive root exists iff f'(0) = nPrev q - n < 0 and nPrev > n.
 * @param nPrev n_{k-1}, prompts per stage of segment k-1 (>= 0)
 * @param n n_k (> 0)
 * @param q q_k in [0, 1]
 * @returns the root; Infinity when no positive root exists because the queue cannot exceed n
 *   (q = 0, nPrev = 0, or nPrev <= n); 0 when f'(0) >= 0 (nPrev q >= n: the queue drifts upwards)
 * @throws RangeError for n <= 0 or q outside [0, 1]
 */
export function boundaryQueueTheta(nPrev: number, n: number, q: number): number {
  if (!(n > 0)) throw new RangeError(`theta needs n_k > 0, got ${n}`);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`theta needs q_k in [0, 1], got ${q}`);
  if (q === 0 || nPrev <= 0) return Infinity;
  if (nPrev * q >= n) return 0;
  if (nPrev <= n) return Infinity;
  const f = (theta: number): number => nPrev * logMgf(theta, q) - n * theta;
  let hi = 1;
  while (f(hi) <= 0) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 2000 && hi - lo > 1e-300; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (f(mid) <= 0) lo = mid;
    else hi = mid;
  }
  // lo stays at 0 only if the root is below the smallest double step: impossible for f'(0) < 0.
  return Math.abs(f(hi)) <= Math.abs(f(lo)) || lo === 0 ? hi : lo;
}

/**
 * Nested WAIT's memory bound (eq. nested_wait_memory_total, arXiv 2504.11320v2 §5; §7.2 for L segments):
 *
 *   M^pi + sum_{k=2}^m (l + l'_{k-1}) (n_k + theta_k^{-1} ln((m-1)(T+1)/delta))
 *
 * with M^pi from nestedWaitMPi and theta_k from boundaryQueueTheta. The appendix's union bound
 * over (m-1)(T+1) (segment, step) pairs is used (the main text writes ln(m zeta B / delta)); T
 * counts iterations. (l + l'_{k-1}) is the KV of a prompt waiting at the entry of segment k:
 * l + b_{k-1} under `paper`, l + b_{k-1} - 1 under `vllm` (the prefill produced token 1).
 * @param input see NestedWaitMemoryInput
 * @returns M^pi, buffer and total (KV tokens) and theta_k per segment
 * @throws RangeError for mismatched lengths, delta outside (0, 1), horizonIterations < 1, or
 *   thresholds that are not positive
 */
export function nestedWaitMemory(input: NestedWaitMemoryInput): NestedWaitMemory {
  const { boundaries, thresholds, segmentRates, promptTokens, tokenModel, delta, horizonIterations } = input;
  const m = boundaries.length;
  if (m === 0 || thresholds.length !== m || segmentRates.length !== m) {
    throw new RangeError(
      `need one threshold and one rate per segment (${m} segments, ${thresholds.length} thresholds, ${segmentRates.length} rates)`,
    );
  }
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  if (!(horizonIterations >= 1))
    throw new RangeError(`horizonIterations must be >= 1, got ${horizonIterations}`);
  const mPi = nestedWaitMPi(boundaries, thresholds, promptTokens, tokenModel);
  const st = segmentStages(boundaries, tokenModel);
  const tails = tailSums(segmentRates);
  const theta: number[] = [Infinity];
  let buffer = 0;
  const logTerm = m > 1 ? Math.log(((m - 1) * (horizonIterations + 1)) / delta) : 0;
  for (let k = 1; k < m; k++) {
    const q = tails[k - 1] > 0 ? Math.min(1, tails[k] / tails[k - 1]) : 0;
    const th = boundaryQueueTheta(thresholds[k - 1], thresholds[k], q);
    theta.push(th);
    const footprint = promptTokens + st.first[k] - 1;
    const queue = th === 0 ? Infinity : thresholds[k] + (th === Infinity ? 0 : logTerm / th);
    buffer += footprint * queue;
  }
  return { mPiTokens: mPi, bufferTokens: buffer, totalTokens: mPi + buffer, theta };
}
