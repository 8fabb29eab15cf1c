import { studentTCdf as tCdf, studentTQuantile as tQuantile } from './t-distribution.js';

/**
 * Name of the test {@link assessStability} applies, stored with every verdict. `-v2`: the
 * practical threshold is 1 % of the window's arrivals (docs/metrics.md, "Stability"); verdicts
 * stored as `batch-means-trend` were made with a 5 % threshold and keep it (they are not
 * re-assessed).
 */
export const STABILITY_METHOD = 'batch-means-trend-v2';

/** Largest lag-1 autocorrelation used in the variance inflation (keeps the factor finite, <= 14.1). */
const MAX_LAG1 = 0.99;

/** Settings of the stability test; see {@link DEFAULT_STABILITY_OPTIONS}. */
export interface StabilityOptions {
  /** Batches the analysis window is split into (>= 4). */
  readonly batches: number;
  /** Leading fraction of the arrival window dropped as warm-up, in [0, 1). */
  readonly warmupFraction: number;
  /** Confidence level of the one-sided trend test, in (0, 1). */
  readonly confidence: number;
  /**
   * Practical threshold: the fitted growth of the number in system over the analysis window
   * must exceed this fraction of the requests that arrived in it, in [0, 1). A queue at load
   * rho > 1 grows by about 1 - 1/rho of its arrivals, so in long runs the verdict turns
   * unstable at rho = 1/(1 - minGrowthFraction).
   */
  readonly minGrowthFraction: number;
  /** Fewest arrivals in the analysis window for a verdict (fewer: stable = null). */
  readonly minArrivals: number;
}

/**
 * Defaults: 20 batches (Schmeiser 1982, Oper. Res. 30(3): 10 to 30), the first 10 % of the
 * arrival window dropped as warm-up, 95 % confidence, a growth of more than 1 % of the window's
 * arrivals, at least 200 arrivals (10 per batch on average).
 *
 * Why 1 %: an overloaded queue (load rho > 1) grows by (rho - 1) x capacity x time, i.e. by
 * 1 - 1/rho of the window's arrivals: 4.8 % at rho = 1.05, 2 % at 1.02. With a threshold g the
 * verdict of long runs flips at rho = 1/(1 - g), so the threshold is a bias of the stability
 * limit: 5 % (method `batch-means-trend`) hid overload up to rho = 1.053 and a capacity search
 * (2 % precision) came out about 4 % high. 1 % puts the flip at rho = 1.010, within half the
 * search's precision. It is not 0 because a finite run of a stable queue started empty still
 * fills up (its expected growth is O(1/sqrt(n)) near rho = 1, about 1.3 % of 4,000 arrivals of
 * an M/M/1 queue at rho = 1) and long-memory queues near the limit make the t test
 * significant more often than its nominal 5 %: at rho = 0.95 the fitted growth of 4,000-request
 * M/M/1 runs has a standard deviation of 0.7 %, and 1 % keeps 93.5 % of them stable (M/D/1:
 * 98.5 %) where a threshold of 0 would keep 88.5 % (92.5 %). Calibration: docs/metrics.md.
 */
export const DEFAULT_STABILITY_OPTIONS: StabilityOptions = {
  batches: 20,
  warmupFraction: 0.1,
  confidence: 0.95,
  minGrowthFraction: 0.01,
  minArrivals: 200,
};

/**
 * The verdict of {@link assessStability} on one run, plain JSON (no NaN: undefined values are
 * null). Stored with the run (`run_metrics.stable`, `run_metrics.stability_json`).
 */
export interface StabilityResult {
  /** true: stable; false: unstable (the number in system grows); null: no verdict (see reason). */
  readonly stable: boolean | null;
  /**
   * {@link STABILITY_METHOD} for new verdicts; stored verdicts keep the method that made them
   * (`batch-means-trend`: the same test with a 5 % practical threshold).
   */
  readonly method: string;
  /** One sentence explaining the verdict, for tables and tooltips. */
  readonly reason: string;
  /** Confidence level of the one-sided test, e.g. 0.95. */
  readonly confidence: number;
  /** Analysis window (after the warm-up), seconds since the start of the run; null without a verdict. */
  readonly windowStartS: number | null;
  readonly windowEndS: number | null;
  /** Requests that arrived in the analysis window. */
  readonly arrivals: number;
  /** Batches used (0 without a verdict). */
  readonly batches: number;
  /**
   * Least-squares trend of the batch means of the number of requests in system, requests per
   * second; null without a verdict.
   */
  readonly slopePerS: number | null;
  /** Standard error of the slope, inflated for autocorrelation, requests per second. */
  readonly slopeStdErrPerS: number | null;
  /** One-sided lower confidence bound of the slope at `confidence`, requests per second. */
  readonly slopeLowerBoundPerS: number | null;
  /** One-sided p-value of "slope > 0" (t distribution with `degreesOfFreedom`). */
  readonly pValue: number | null;
  /** Lag-1 autocorrelation of the trend residuals of the batch means, clamped to [0, 0.99]. */
  readonly lag1Autocorrelation: number | null;
  /** Degrees of freedom of the t test: batches - 2. */
  readonly degreesOfFreedom: number | null;
  /** slopePerS x window length / arrivals: the fitted growth as a fraction of the arrivals. */
  readonly growthFraction: number | null;
  /** Mean number of requests in system over the analysis window. */
  readonly meanInSystem: number | null;
}

/**
 * The time-average number of requests in system, N(t) = arrived - finished, over each of
 * `batches` equal sub-intervals of [start, end], computed exactly: each request contributes the
 * overlap of its sojourn [arrival, finish) with a batch (a request without a finish, NaN,
 * stays until the end). O(requests + batches).
 *
 * @param arrival arrival times, seconds (any order)
 * @param finish finish times, seconds; NaN = not finished
 * @param start start of the interval, seconds
 * @param end end of the interval, seconds (> start)
 * @param batches number of sub-intervals (>= 1)
 * @returns the batch means, requests
 * @throws RangeError when end <= start or batches < 1
 */
export function numberInSystemBatchMeans(
  arrival: ArrayLike<number>,
  finish: ArrayLike<number>,
  start: number,
  end: number,
  batches: number,
): Float64Array {
  if (!(end > start)) throw new RangeError(`batch means need end > start, got [${start}, ${end}]`);
  if (!(Number.isInteger(batches) && batches >= 1))
    throw new RangeError(`batches must be a positive integer, got ${batches}`);
  const width = (end - start) / batches;
  const partial = new Float64Array(batches); // seconds of presence in partly covered batches
  const full = new Float64Array(batches + 1); // difference array of fully covered batches
  const batchOf = (t: number): number => Math.min(batches - 1, Math.floor((t - start) / width));
  for (let i = 0; i < arrival.length; i++) {
    const lo = Math.max(arrival[i], start);
    const f = finish[i];
    const hi = Math.min(Number.isNaN(f) ? Infinity : f, end);
    if (!(hi > lo)) continue;
    const first = batchOf(lo);
    const last = batchOf(hi);
    if (first === last) {
      partial[first] += hi - lo;
      continue;
    }
    partial[first] += start + (first + 1) * width - lo;
    partial[last] += hi - (start + last * width);
    full[first + 1] += 1;
    full[last] -= 1;
  }
  const means = new Float64Array(batches);
  let covering = 0;
  for (let k = 0; k < batches; k++) {
    covering += full[k];
    means[k] = covering + partial[k] / width;
  }
  return means;
}

/**
 * Classifies a run as stable or unstable from the number of requests in system over time.
 *
 * The test (docs/metrics.md, "Stability"): over the arrival window (first to last arrival, or to
 * `endS` when the run stopped earlier; after the last arrival every run drains, so that part is
 * excluded) minus a leading warm-up, the number in system N(t) = arrived - finished is averaged
 * exactly over `batches` equal batches (batch means, which removes most of N's autocorrelation),
 * and the batch means are regressed on the batch midpoints by least squares. The slope's
 * standard error is inflated for the autocorrelation left between batch means by the AR(1)
 * variance factor sqrt((1 + r)/(1 - r)), r the lag-1 autocorrelation of the residuals (clamped
 * to [0, 0.99]; the factor behind the effective sample size of Santer et al. 2000, J. Geophys.
 * Res. 105(D6)), and tested with a one-sided t test on batches - 2 degrees of freedom (t CDF and
 * quantile from t-distribution.ts). The run is unstable when the
 * slope is significantly positive (p-value < 1 - confidence, i.e. the lower confidence bound is
 * above 0) AND the fitted growth over the window exceeds `minGrowthFraction` of the requests
 * that arrived in it (default 1 %, see {@link DEFAULT_STABILITY_OPTIONS}); otherwise stable.
 *
 * What it separates, measured on M/D/1 and M/M/1 queues built from the engine
 * (test/unit/metrics/stability-queues.test.ts; docs/metrics.md has the rates): with 4,000
 * requests, runs at 95 % of capacity are stable and runs at 105 % unstable in nearly all
 * seeds (M/M/1, the noisiest single-server queue, needs about 10,000 requests for that); at
 * 100 % (null recurrent: no drift, but the backlog of a queue started empty grows like
 * sqrt(t)) either verdict comes out, unstable in about a third of 4,000-request runs. Below
 * about 1,000 requests 95 % and 105 % cannot be told apart reliably: the noise of the growth
 * (a random walk's, about sqrt(arrivals) requests) is as large as the 5 % difference.
 *
 * A finite run cannot tell a system that is unstable from one still filling up towards a distant
 * equilibrium: close below the stability limit, short runs can be judged unstable (the number in
 * system did grow materially during the run).
 *
 * @param records the run's per-request records (RequestRecords; only `arrival` and `finish`, in
 *   seconds, are read; finish NaN = never finished)
 * @param opts test settings (defaults: DEFAULT_STABILITY_OPTIONS); `endS`: when the run stopped
 *   (a horizon): arrivals after it are outside the window
 * @returns the verdict; `stable: null` with a reason when there are fewer than `minArrivals`
 *   arrivals in the window or the arrivals span no time
 * @throws RangeError for invalid options
 */
export function assessStability(
  records: { readonly arrival: ArrayLike<number>; readonly finish: ArrayLike<number> },
  opts: Partial<StabilityOptions> & { endS?: number | null } = {},
): StabilityResult {
  const o: StabilityOptions = { ...DEFAULT_STABILITY_OPTIONS, ...opts };
  checkOptions(o);
  const { arrival, finish } = records;
  const none = (reason: string, arrivals = 0): StabilityResult => ({
    stable: null,
    method: STABILITY_METHOD,
    reason,
    confidence: o.confidence,
    windowStartS: null,
    windowEndS: null,
    arrivals,
    batches: 0,
    slopePerS: null,
    slopeStdErrPerS: null,
    slopeLowerBoundPerS: null,
    pValue: null,
    lag1Autocorrelation: null,
    degreesOfFreedom: null,
    growthFraction: null,
    meanInSystem: null,
  });

  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < arrival.length; i++) {
    // NaN: a multi-turn session's turn never released (its previous turn never finished).
    if (Number.isNaN(arrival[i])) continue;
    first = Math.min(first, arrival[i]);
    last = Math.max(last, arrival[i]);
  }
  if (opts.endS !== undefined && opts.endS !== null) last = Math.min(last, opts.endS);
  if (!(last > first)) {
    return none(
      arrival.length < 2
        ? `too short to judge: ${arrival.length} request(s)`
        : 'too short to judge: the arrivals span no time',
    );
  }
  const start = first + o.warmupFraction * (last - first);
  const end = last;
  let arrivals = 0;
  for (let i = 0; i < arrival.length; i++) if (arrival[i] >= start && arrival[i] <= end) arrivals++;
  if (arrivals < o.minArrivals) {
    return none(
      `too short to judge: ${arrivals} arrivals in the analysis window, at least ${o.minArrivals} needed`,
      arrivals,
    );
  }

  const k = o.batches;
  const means = numberInSystemBatchMeans(arrival, finish, start, end, k);
  const width = (end - start) / k;
  let xMean = 0;
  let yMean = 0;
  for (let i = 0; i < k; i++) {
    xMean += (i + 0.5) * width;
    yMean += means[i];
  }
  xMean /= k;
  yMean /= k;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < k; i++) {
    const dx = (i + 0.5) * width - xMean;
    sxx += dx * dx;
    sxy += dx * (means[i] - yMean);
  }
  const slope = sxy / sxx;
  const residuals = new Float64Array(k);
  let sse = 0;
  for (let i = 0; i < k; i++) {
    residuals[i] = means[i] - yMean - slope * ((i + 0.5) * width - xMean);
    sse += residuals[i] * residuals[i];
  }
  let lagged = 0;
  for (let i = 1; i < k; i++) lagged += residuals[i] * residuals[i - 1];
  // Residuals this small are rounding noise (an exactly linear or constant N): no correlation,
  // and the fit is exact; a growth below rounding level counts as none.
  const scale = Math.max(1, Math.abs(yMean));
  const noise = sse <= 1e-20 * scale * scale * k;
  const r1 = noise ? 0 : Math.max(0, Math.min(lagged / sse, MAX_LAG1));
  const df = k - 2;
  const stdErrOls = noise ? 0 : Math.sqrt(sse / (k - 2) / sxx);
  const stdErr = stdErrOls * Math.sqrt((1 + r1) / (1 - r1));
  const pValue = stdErr === 0 ? (slope * (end - start) > 1e-9 * scale ? 0 : 1) : tCdf(-slope / stdErr, df); // P(T > t), by symmetry without cancellation
  const lowerBound = slope - tQuantile(o.confidence, df) * stdErr;
  const windowS = end - start;
  const growthFraction = (slope * windowS) / arrivals;
  const significant = pValue < 1 - o.confidence;
  const meaningful = growthFraction > o.minGrowthFraction;
  const stable = !(significant && meaningful);
  const pct = (x: number): string => `${(100 * x).toPrecision(3)} %`;
  const growth = `${pct(growthFraction)} of the ${arrivals} arrivals`;
  const p = `p = ${pValue.toPrecision(3)}`;
  const reason = !stable
    ? `unstable: requests in system grow by ${slope.toPrecision(3)}/s (${p}), ${growth} in the window`
    : significant
      ? `stable: the growth (${growth}) is significant (${p}) but below the ${pct(o.minGrowthFraction)} threshold`
      : `stable: no significant growth of the requests in system (${p}, trend ${slope.toPrecision(3)}/s)`;
  return {
    stable,
    method: STABILITY_METHOD,
    reason,
    confidence: o.confidence,
    windowStartS: start,
    windowEndS: end,
    arrivals,
    batches: k,
    slopePerS: slope,
    slopeStdErrPerS: stdErr,
    slopeLowerBoundPerS: lowerBound,
    pValue,
    lag1Autocorrelation: r1,
    degreesOfFreedom: df,
    growthFraction,
    meanInSystem: yMean,
  };
}

function checkOptions(o: StabilityOptions): void {
  if (!(Number.isInteger(o.batches) && o.batches >= 4))
    throw new RangeError(`stability: batches must be an integer >= 4, got ${o.batches}`);
  if (!(o.warmupFraction >= 0 && o.warmupFraction < 1))
    throw new RangeError(`stability: warmupFraction must be in [0, 1), got ${o.warmupFraction}`);
  if (!(o.confidence > 0 && o.confidence < 1))
    throw new RangeError(`stability: confidence must be in (0, 1), got ${o.confidence}`);
  if (!(o.minGrowthFraction >= 0 && o.minGrowthFraction < 1))
    throw new RangeError(`stability: minGrowthFraction must be in [0, 1), got ${o.minGrowthFraction}`);
  if (!(Number.isInteger(o.minArrivals) && o.minArrivals >= 2))
    throw new RangeError(`stability: minArrivals must be an integer >= 2, got ${o.minArrivals}`);
}

/**
 * One stability verdict over several independent runs of the same system (the seeds of a
 * capacity probe): the runs' trends are pooled rather than each judged alone, so more seeds
 * sharpen the verdict instead of multiplying false alarms. With the runs' slopes b_i, standard
 * errors s_i and degrees of freedom f_i: the mean slope b = mean(b_i) has standard error
 * sqrt(sum s_i^2) / k; the system is unstable when b is significantly above 0 (one-sided t test
 * at `confidence` with sum f_i degrees of freedom) AND the mean growth fraction exceeds
 * `minGrowthFraction`, the same two conditions {@link assessStability} applies to one run (with
 * one run the pooled verdict is that run's verdict).
 *
 * @param results the runs' verdicts (assessStability)
 * @param options the settings the verdicts were made with (default DEFAULT_STABILITY_OPTIONS)
 * @returns true stable, false unstable; null when `results` is empty or a run has no verdict
 */
export function pooledStability(
  results: readonly StabilityResult[],
  options: StabilityOptions = DEFAULT_STABILITY_OPTIONS,
): boolean | null {
  if (results.length === 0) return null;
  let slope = 0;
  let variance = 0;
  let df = 0;
  let growth = 0;
  for (const r of results) {
    if (
      r.stable === null ||
      r.slopePerS === null ||
      r.slopeStdErrPerS === null ||
      r.degreesOfFreedom === null ||
      r.growthFraction === null
    ) {
      return null;
    }
    slope += r.slopePerS;
    variance += r.slopeStdErrPerS ** 2;
    df += r.degreesOfFreedom;
    growth += r.growthFraction;
  }
  const k = results.length;
  if (k === 1) return results[0].stable;
  const meanSlope = slope / k;
  const stdErr = Math.sqrt(variance) / k;
  const significant =
    stdErr === 0 ? meanSlope > 0 : 1 - tCdf(meanSlope / stdErr, df) < 1 - options.confidence;
  const meaningful = growth / k > options.minGrowthFraction;
  return !(significant && meaningful);
}
