/**
 * Nested WAIT's segments (arXiv 2504.11320v2 §5, §6.2, §7.2): how the decode range is cut into
 * segments, which engine stages each segment spans, the arrival rate each segment sees, the
 * per-stage thresholds n_k with the paper's threshold condition (eq. nested_wait_thresholds), and
 * the segment budgets of the `code` variant (docs/paper-model.md#the-authors-simulator).
 *
 * Notation: b_1 < ... < b_m are the segment boundaries in output tokens (the paper's
 * l'_1 < ... < l'_m; b_0 = 0). Segment k holds the prompts whose next output token is in
 * b_{k-1}+1 .. b_k (segment 1 also holds the prompts waiting for their prefill); a prompt with
 * b_{k-1} < l' <= b_k finishes in segment k, the others wait at the entry of segment k+1.
 *
 * Output lengths are unknown to Nested WAIT: nothing here looks at one request's length to decide
 * about that request. The paper assumes the output-length *distribution* is known (§5);
 * we take it from the run's request list (the share of
 * requests per segment and the largest output length), which is the empirical distribution of
 * the very workload being served.
 */
import type { TokenModel } from '../engine/token-model.js';
import { InputError } from '../errors.js';
import type { RequestList } from '../workloads/request-list.js';

/**
 * How the decode range is cut into segments (the `segments` field of a `nested-wait` policy):
 * explicit boundaries b_1 < ... < b_m in output tokens (arXiv 2504.11320v2 §5), or `count` equal-width
 * segments of [1, largest output length of the run] (the paper's §6.2 uses 10 segments of 50
 * over 1..500: segment = ceil(stage / 50)).
 */
export type SegmentsSpec = { boundaries: number[] } | { count: number };

/** Threshold rule (the `thresholds` field): proportional to tail rates, or one n_k per segment. */
export type ThresholdsSpec = 'proportional' | number[];

/**
 * Why a list of boundaries is invalid, or null when it is valid: it must be a non-empty list of
 * strictly increasing positive integers.
 * @param boundaries candidate b_1..b_m, output tokens
 * @returns a message starting with `segments:` (for schemas and InputErrors), or null
 */
export function boundariesProblem(boundaries: readonly number[]): string | null {
  if (boundaries.length === 0) return 'segments: boundaries must not be empty';
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i];
    if (!(Number.isInteger(b) && b >= 1)) {
      return `segments: boundaries must be positive integers, boundary #${i + 1} is ${b}`;
    }
    if (i > 0 && b <= boundaries[i - 1]) {
      return `segments: boundaries must be strictly increasing, boundary #${i + 1} (${b}) follows ${boundaries[i - 1]} in [${boundaries.join(', ')}]`;
    }
  }
  return null;
}

/**
 * The segment boundaries b_1 < ... < b_m of a run (arXiv 2504.11320v2 §5 and §7.2).
 *
 * `{count: L}`: b_k = floor(k D / L) for k = 1..L over the decode range [1, D], D = the largest
 * output length, so output l' lies in segment ceil(l' L / D): the paper's "segment = ceil(stage /
 * 50)" of §6.2 (runner/fluid/request-types.ts bins identically when D / L is an integer). When
 * L > D some of these coincide or are 0 and are dropped, which leaves D segments of one token each.
 * `{boundaries}`: used as given after validation; the last boundary must reach D, or some
 * requests could never finish inside a segment.
 * @param spec the `segments` field
 * @param maxOutputTokens D, the largest output length of the run's requests (>= 1; 0 is read as 1)
 * @returns b_1..b_m, output tokens, strictly increasing, b_m >= D
 * @throws InputError naming field `segments` (and the offending value) for boundaries that are not
 *   strictly increasing positive integers, whose last boundary is below D, or a count that is not
 *   a positive integer
 */
export function segmentBoundaries(spec: SegmentsSpec, maxOutputTokens: number): number[] {
  const d = Math.max(1, maxOutputTokens);
  if ('count' in spec) {
    const count = spec.count;
    if (!(Number.isInteger(count) && count >= 1)) {
      throw new InputError(`segments: count must be a positive integer, got ${count}`, { field: 'segments' });
    }
    const out: number[] = [];
    for (let k = 1; k <= count; k++) {
      const b = Math.floor((k * d) / count);
      if (b >= 1 && (out.length === 0 || b > out[out.length - 1])) out.push(b);
    }
    return out;
  }
  const problem = boundariesProblem(spec.boundaries);
  if (problem) throw new InputError(problem, { field: 'segments' });
  const last = spec.boundaries[spec.boundaries.length - 1];
  if (last < d) {
    throw new InputError(
      `segments: the last boundary ${last} of [${spec.boundaries.join(', ')}] is below the largest output ` +
        `length ${d} of the run's requests; the segments must cover the decode range 1..${d}`,
      { field: 'segments' },
    );
  }
  return [...spec.boundaries];
}

/** Engine stages each segment spans (see segmentStages). Arrays are indexed by segment k-1. */
export interface SegmentStages {
  /** First stage of segment k: 0 for k = 1 (the prefill), else its entry stage. */
  first: number[];
  /** Last stage of segment k: the stage that produces output token b_k. */
  last: number[];
  /** last - first + 1. */
  count: number[];
}

/**
 * Maps segments to engine stages. A prompt's stage is the number of iterations it has run since
 * its (last) admission; stage 0 is its whole-prompt prefill.
 * - `paper` (arXiv 2504.11320v2 §2): stage s >= 1 produces output token s, so segment 1 is stages
 *   0..b_1 and segment k >= 2 is stages b_{k-1}+1..b_k (entry stage b_{k-1}+1).
 * - `vllm`: the prefill produces token 1, stage s produces token s+1, so segment 1 is stages
 *   0..b_1-1 and segment k >= 2 is b_{k-1}..b_k-1 (Algorithm 2's own indexing).
 * In both, after running stage s a prompt holds l + s KV tokens, and a prompt waiting at the entry
 * stage e of segment k >= 2 holds l + e - 1.
 * @param boundaries b_1..b_m (output tokens, strictly increasing)
 * @param tokenModel the run's token model
 */
export function segmentStages(boundaries: readonly number[], tokenModel: TokenModel): SegmentStages {
  const o = tokenModel === 'paper' ? 1 : 0;
  const first: number[] = [];
  const last: number[] = [];
  const count: number[] = [];
  boundaries.forEach((b, k) => {
    const f = k === 0 ? 0 : boundaries[k - 1] + o;
    const l = b - 1 + o;
    first.push(f);
    last.push(l);
    count.push(l - f + 1);
  });
  return { first, last, count };
}

/**
 * How many of the run's requests finish in each segment (output length in (b_{k-1}, b_k]).
 * The distribution, not any request's own decision: arXiv 2504.11320v2 §5 assumes it known.
 * @param boundaries b_1..b_m, output tokens; requests longer than b_m are not counted
 * @param outputTokens output length of every request
 * @returns request count per segment
 */
export function segmentRequestCounts(
  boundaries: readonly number[],
  outputTokens: ArrayLike<number>,
): number[] {
  const counts = new Array<number>(boundaries.length).fill(0);
  for (let i = 0; i < outputTokens.length; i++) {
    const l = outputTokens[i];
    let lo = 0;
    let hi = boundaries.length - 1;
    if (l > boundaries[hi]) continue;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (boundaries[mid] >= l) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
  return counts;
}

/**
 * Tail sums T_k = sum_{j >= k} w_j: with segment rates lambda'_j, T_k is the rate at which
 * prompts enter segment k (arXiv 2504.11320v2 §5: segment k receives lambda_k + ... + lambda_m).
 * @param weights per-segment rates or counts (>= 0)
 */
export function tailSums(weights: readonly number[]): number[] {
  const out = new Array<number>(weights.length).fill(0);
  let sum = 0;
  for (let k = weights.length - 1; k >= 0; k--) {
    sum += weights[k];
    out[k] = sum;
  }
  return out;
}

/**
 * The paper's continuation probabilities p_k = T_{k+1} / T_k for k = 1..m-1 (main-text index of
 * eq. nested_wait_thresholds: the share of prompts finishing segment k that go on to segment k+1);
 * 0 where T_k = 0 (no prompt reaches segment k).
 * @param weights per-segment rates or counts (only proportions matter)
 * @returns m-1 probabilities, index k-1 for p_k
 */
export function continuationProbabilities(weights: readonly number[]): number[] {
  const t = tailSums(weights);
  const p: number[] = [];
  for (let k = 0; k + 1 < t.length; k++) p.push(t[k] > 0 ? t[k + 1] / t[k] : 0);
  return p;
}

/** Thresholds before and after the margin rule (see proportionalThresholds). */
export interface ProportionalThresholds {
  /** n_k proportional to T_k, scaled so that sum_k stages_k n_k <= batchCap, floored, at least 1. */
  base: number[];
  /** base raised where needed so that n_{k+1} / n_k > p_k strictly. */
  thresholds: number[];
}

/**
 * Per-stage thresholds proportional to the segments' tail rates (arXiv 2504.11320v2 §6.2: 15:14:12:8
 * and 66:43:...:1 are the tail sums of the rates 20:40:80:160 and 23:11:...:1; the authors'
 * code, docs/paper-model.md#the-authors-simulator, gives segment k the per-stage limit total x T_k / sum_j stages_j T_j).
 *
 * base_k = max(1, floor(batchCap x T_k / sum_j stages_j T_j)): batchCap is the batch-size limit,
 * i.e. sum_k stages_k n_k (prompts per iteration when every stage holds n_k), as in the paper's
 * experiments. Exactly proportional thresholds meet n_{k+1}/n_k = p_k with equality, but
 * eq. nested_wait_thresholds asks for a strict inequality, so for k = 1..m-1 in order
 * n_{k+1} = max(base_{k+1}, floor(p_k n_k) + 1) whenever n_{k+1} <= p_k n_k (the batch may then
 * exceed batchCap slightly).
 * @param weights per-segment rates lambda'_k or request counts (>= 0; only proportions matter)
 * @param stageCounts stages per segment (see segmentStages), same length
 * @param batchCap batch-size limit, prompts per iteration (positive integer)
 * @throws RangeError for mismatched lengths or a batchCap that is not a positive integer
 */
export function proportionalThresholds(
  weights: readonly number[],
  stageCounts: readonly number[],
  batchCap: number,
): ProportionalThresholds {
  if (weights.length !== stageCounts.length || weights.length === 0) {
    throw new RangeError(
      `need one weight and one stage count per segment (${weights.length}, ${stageCounts.length})`,
    );
  }
  if (!(Number.isInteger(batchCap) && batchCap >= 1)) {
    throw new RangeError(`batchCap must be a positive integer, got ${batchCap}`);
  }
  const t = tailSums(weights);
  let denominator = 0;
  for (let k = 0; k < t.length; k++) denominator += stageCounts[k] * t[k];
  const base = t.map((tk) =>
    denominator > 0 ? Math.max(1, Math.floor((batchCap * tk) / denominator + 1e-9)) : 1,
  );
  const thresholds = [...base];
  for (let k = 0; k + 1 < t.length; k++) {
    if (t[k] <= 0) continue;
    // n_{k+1} / n_k > T_{k+1} / T_k, compared as products (exact for integer weights).
    if (!(thresholds[k + 1] * t[k] > thresholds[k] * t[k + 1])) {
      let raised = Math.max(thresholds[k + 1], Math.floor((thresholds[k] * t[k + 1]) / t[k]) + 1);
      while (!(raised * t[k] > thresholds[k] * t[k + 1])) raised++;
      thresholds[k + 1] = raised;
    }
  }
  return { base, thresholds };
}

/**
 * Segment budgets B_k of Nested WAIT's `code` variant (docs/paper-model.md#the-authors-simulator: the authors'
 * `general_nested_booking_limit_replica_scheduler.py` gives segment k the total limit
 * int(total_limit x weight_k / sum_j weight_j), weight_k = stages_k x T_k, next to its per-stage
 * limit). B_k caps the prompts inside segment k past its entry stage; while they fill it, the
 * segment runs without waiting for its entry threshold.
 *
 *   B_k = min(n_k stages_k, max(n_k, floor(batchCap x stages_k T_k / sum_j stages_j T_j)))
 *
 * The lower clamp n_k keeps a segment able to take a stage's worth (the authors' int() can give 0,
 * and such a segment never admits anyone); the upper clamp n_k stages_k is where a budget stops
 * mattering (segment k then holds at most n_k (stages_k - 1) prompts past its entry, so the code
 * rule reduces to Algorithm 2's threshold test), which makes the reported budgets comparable.
 * @param weights per-segment rates or request counts (>= 0; only proportions matter)
 * @param stageCounts stages per segment (see segmentStages), same length
 * @param batchCap batch-size limit, prompts per iteration (positive integer)
 * @param thresholds n_1..n_m (positive integers), same length
 * @returns B_1..B_m, prompts
 * @throws RangeError for mismatched lengths or a batchCap that is not a positive integer
 */
export function segmentBudgets(
  weights: readonly number[],
  stageCounts: readonly number[],
  batchCap: number,
  thresholds: readonly number[],
): number[] {
  if (weights.length !== stageCounts.length || weights.length !== thresholds.length || weights.length === 0) {
    throw new RangeError(
      `need one weight, one stage count and one threshold per segment (${weights.length}, ${stageCounts.length}, ${thresholds.length})`,
    );
  }
  if (!(Number.isInteger(batchCap) && batchCap >= 1)) {
    throw new RangeError(`batchCap must be a positive integer, got ${batchCap}`);
  }
  const t = tailSums(weights);
  let denominator = 0;
  for (let k = 0; k < t.length; k++) denominator += stageCounts[k] * t[k];
  return t.map((tk, k) => {
    const share = denominator > 0 ? Math.floor((batchCap * stageCounts[k] * tk) / denominator + 1e-9) : 0;
    return Math.min(thresholds[k] * stageCounts[k], Math.max(thresholds[k], share));
  });
}

/**
 * Segments k (1-based, k = 1..m-1) where n_{k+1} / n_k > p_k fails (eq. nested_wait_thresholds;
 * compared as n_{k+1} T_k > n_k T_{k+1}); segments nobody reaches (T_k = 0) never fail.
 * @param thresholds n_1..n_m
 * @param weights per-segment rates or counts (only proportions matter), same length
 * @returns the failing k, in order; empty when the ratio condition holds
 */
export function thresholdRatioViolations(
  thresholds: readonly number[],
  weights: readonly number[],
): number[] {
  const t = tailSums(weights);
  const bad: number[] = [];
  for (let k = 0; k + 1 < t.length; k++) {
    if (t[k] > 0 && !(thresholds[k + 1] * t[k] > thresholds[k] * t[k + 1])) bad.push(k + 1);
  }
  return bad;
}

/** What Nested WAIT needs to know about its segments for one run. Arrays indexed by segment k-1. */
export interface NestedWaitSegmentPlan {
  /** b_1..b_m, output tokens. */
  boundaries: number[];
  /** Requests of the run finishing in each segment. */
  requestCounts: number[];
  /** lambda'_k = rateRps x (share of requests finishing in segment k), requests per second. */
  rates: number[];
  /** Engine stages of each segment. */
  stages: SegmentStages;
  /** n_1..n_m, prompts per stage. */
  thresholds: number[];
  /** Proportional thresholds before the margin rule; null for an explicit list. */
  baseThresholds: number[] | null;
  /** B_1..B_m, the segment budgets of the `code` variant (see segmentBudgets), prompts. */
  budgets: number[];
  /** l: mean prompt length of the run's requests, tokens (the paper assumes one prefill length). */
  meanPromptTokens: number;
}

/**
 * Resolves a `nested-wait` policy's segments, thresholds and segment budgets for one run
 * (arXiv 2504.11320v2 §5, §7.2; docs/paper-model.md). Segment rates come from the request list's output-length
 * distribution (see the module note); proportional thresholds and the budgets use the request
 * counts (same proportions as the rates, exact ratios); the budgets use `batchCap` with either
 * threshold rule.
 * @param params the policy's `segments`, `thresholds` and `batchCap` fields
 * @param requests the run's requests (output lengths used only as a distribution)
 * @param rateRps the run's mean arrival rate, req/s (rates are 0 when it is not positive and finite)
 * @param tokenModel the run's token model (stage mapping, see segmentStages)
 * @throws InputError naming `segments` (see segmentBoundaries) or `thresholds` (an explicit list
 *   whose length differs from the number of segments, or with a value that is not a positive integer)
 */
export function planNestedWaitSegments(
  params: { segments: SegmentsSpec; thresholds: ThresholdsSpec; batchCap: number },
  requests: RequestList,
  rateRps: number,
  tokenModel: TokenModel,
): NestedWaitSegmentPlan {
  const n = requests.outputTokens.length;
  let maxOutput = 1;
  let promptSum = 0;
  for (let i = 0; i < n; i++) {
    if (requests.outputTokens[i] > maxOutput) maxOutput = requests.outputTokens[i];
    promptSum += requests.promptTokens[i];
  }
  const boundaries = segmentBoundaries(params.segments, maxOutput);
  const requestCounts = segmentRequestCounts(boundaries, requests.outputTokens);
  const rate = Number.isFinite(rateRps) && rateRps > 0 ? rateRps : 0;
  const rates = requestCounts.map((c) => (n > 0 ? (rate * c) / n : 0));
  const stages = segmentStages(boundaries, tokenModel);
  let thresholds: number[];
  let baseThresholds: number[] | null = null;
  if (params.thresholds === 'proportional') {
    const p = proportionalThresholds(requestCounts, stages.count, params.batchCap);
    thresholds = p.thresholds;
    baseThresholds = p.base;
  } else {
    const list = params.thresholds;
    if (list.length !== boundaries.length) {
      throw new InputError(
        `thresholds: ${list.length} value(s) [${list.join(', ')}] for ${boundaries.length} segment(s) ` +
          `(boundaries [${boundaries.join(', ')}]); give one threshold per segment`,
        { field: 'thresholds' },
      );
    }
    const bad = list.find((x) => !(Number.isInteger(x) && x >= 1));
    if (bad !== undefined) {
      throw new InputError(`thresholds: ${bad} is not a positive integer`, { field: 'thresholds' });
    }
    thresholds = [...list];
  }
  return {
    boundaries,
    requestCounts,
    rates,
    stages,
    thresholds,
    baseThresholds,
    budgets: segmentBudgets(requestCounts, stages.count, params.batchCap, thresholds),
    meanPromptTokens: n > 0 ? promptSum / n : 0,
  };
}
