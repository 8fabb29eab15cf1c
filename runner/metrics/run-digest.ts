import type { ReplicaLoad } from './replica-loads.js';
import type { RequestRecords } from '../engine/run-records.js';
import { outputLengthBins, type OutputLengthBin } from '../workloads/output-length-bins.js';

/**
 * Most order statistics a digest keeps per latency (K): the CDF charts of reports and Compare
 * draw at most this many points per run, so they never need the per-request records.
 */
export const DIGEST_POINTS = 1001;

/** Output-length bins of a run's digest (the fluid overlay's types of an untyped workload). */
export const DIGEST_BINS = 10;

/**
 * One output-length bin of a run's requests (outputLengthBins with {@link DIGEST_BINS} bins,
 * arXiv 2504.11320v2 §6.2): mean prompt and output tokens and the number of requests. The bin's
 * arrival rate at a total rate lambda is lambda * count / requests, the same arithmetic as
 * requestTypes.
 */
export type DigestBin = OutputLengthBin;

/**
 * What the charts of a done run need, computed once when the run ends and stored with it
 * (`run_digests`), so that reports and Compare never read the per-request records:
 * - the latency distributions as evenly spaced order statistics: with n finished requests and
 *   K = min(n, {@link DIGEST_POINTS}) points, entry j is the sample of rank
 *   round(j (n - 1) / (K - 1)) (0-based, ascending): the minimum and the maximum always, every
 *   sample when n <= K (the same ranks as runner/reports/empirical-cdf.ts's downsampleSamples);
 * - the output-length bins the fluid overlay uses for an untyped workload.
 */
export interface RunDigest {
  /** Requests of the run (finished or not). */
  readonly requests: number;
  /** Finished requests n: the samples of the latency order statistics. */
  readonly finished: number;
  /** TTFT order statistics, seconds, ascending (first token - arrival, finished requests). */
  readonly ttftS: Float64Array;
  /** E2E latency order statistics, seconds, ascending (finish - arrival, finished requests). */
  readonly e2eS: Float64Array;
  /** Output-length bins of all the run's requests; empty for a run without requests. */
  readonly outputBins: readonly DigestBin[];
  /**
   * What each replica served, in replica order (replica-loads.ts), for a run on a cluster of
   * replicas; absent for a run on one replica.
   */
  readonly replicaLoads?: readonly ReplicaLoad[];
}

/**
 * The digest of a run's per-request records (see RunDigest). O(n log n) for the two sorts
 * (typed-array sorts), O(n) besides.
 *
 * @param records the engine's per-request records (unfinished requests have a NaN `finish`)
 */
export function runDigest(records: RequestRecords): RunDigest {
  const n = records.arrival.length;
  const ttft = new Float64Array(n);
  const e2e = new Float64Array(n);
  let finished = 0;
  for (let i = 0; i < n; i++) {
    const finish = records.finish[i];
    if (Number.isNaN(finish)) continue;
    ttft[finished] = records.firstToken[i] - records.arrival[i];
    e2e[finished] = finish - records.arrival[i];
    finished++;
  }
  return {
    ...digestBinsOf(records.promptTokens, records.outputTokens),
    finished,
    ttftS: orderStatistics(ttft.subarray(0, finished).sort()),
    e2eS: orderStatistics(e2e.subarray(0, finished).sort()),
  };
}

/** The K evenly spaced order statistics of ascending `sorted` (see RunDigest). */
function orderStatistics(sorted: Float64Array): Float64Array {
  const n = sorted.length;
  if (n <= DIGEST_POINTS) return Float64Array.from(sorted);
  const out = new Float64Array(DIGEST_POINTS);
  for (let j = 0; j < DIGEST_POINTS; j++) out[j] = sorted[Math.round((j * (n - 1)) / (DIGEST_POINTS - 1))];
  return out;
}

/** The part of a digest the fluid overlay needs: the run's request count and output-length bins. */
export type DigestBins = Pick<RunDigest, 'requests' | 'outputBins'>;

/**
 * The output-length bins of a list of requests (outputLengthBins with {@link DIGEST_BINS} bins,
 * as requestTypes bins them), with their count: what a run's digest stores for the fluid overlay.
 *
 * @param promptTokens prompt tokens per request
 * @param outputTokens output tokens per request (>= 1), same length
 */
export function digestBinsOf(promptTokens: ArrayLike<number>, outputTokens: ArrayLike<number>): DigestBins {
  const requests = outputTokens.length;
  return {
    requests,
    outputBins: requests === 0 ? [] : outputLengthBins(promptTokens, outputTokens, DIGEST_BINS).bins,
  };
}

/**
 * The prompt types of a digest's bins at a total rate (what requestTypes returns for the run's
 * requests with {@link DIGEST_BINS} bins: type rates lambda * count / requests), as
 * runner/fluid/prompt-type.ts's PromptType (mean prompt and output tokens, requests per second).
 *
 * @param rate total arrival rate, requests per second (> 0)
 * @throws RangeError when the digest has no requests
 */
export function digestTypes(
  digest: DigestBins,
  rate: number,
): { prompt: number; output: number; rate: number }[] {
  if (digest.requests === 0) throw new RangeError('no requests');
  return digest.outputBins.map((b) => ({
    prompt: b.prompt,
    output: b.output,
    rate: (rate * b.count) / digest.requests,
  }));
}

/**
 * Points of the empirical CDF drawn from a digest's order statistics: at most `maxPoints`
 * (evenly spaced among the stored ones, first and last always), each a stored sample x with
 * y = (its rank + 1) / n, the fraction of finished requests at or below it.
 *
 * @param values a digest's order statistics (ttftS or e2eS)
 * @param finished the digest's n
 * @param maxPoints most points returned (>= 2)
 * @returns parallel arrays x (seconds, ascending) and y (fractions in (0, 1]); empty for n = 0
 * @throws RangeError when maxPoints is not an integer >= 2
 */
export function digestCdf(
  values: Float64Array,
  finished: number,
  maxPoints: number,
): { x: number[]; y: number[] } {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  }
  const k = values.length;
  const x: number[] = [];
  const y: number[] = [];
  if (k === 0 || finished === 0) return { x, y };
  if (k === 1) return { x: [values[0]], y: [1] };
  const count = Math.min(k, maxPoints);
  for (let j = 0; j < count; j++) {
    const i = Math.round((j * (k - 1)) / (count - 1));
    // Stored entry i is the sample of rank round(i (n - 1) / (k - 1)).
    const rank = k === finished ? i : Math.round((i * (finished - 1)) / (k - 1));
    x.push(values[i]);
    y.push((rank + 1) / finished);
  }
  return { x, y };
}
