/** One output-length bin of a request list: its requests' mean lengths and their number. */
export interface OutputLengthBin {
  /** Mean prompt tokens of the bin's requests. */
  readonly prompt: number;
  /** Mean output tokens of the bin's requests. */
  readonly output: number;
  /** Requests in the bin (>= 1). */
  readonly count: number;
}

/** The non-empty output-length bins of a request list and the bin of each request. */
export interface OutputLengthBins {
  /** Non-empty bins, ascending by output length. */
  readonly bins: OutputLengthBin[];
  /** Index into `bins` of each request, in list order. */
  readonly binOf: Int32Array;
}

/**
 * Output lengths binned into `binCount` equal-width bins over [1, D], D the largest output (at
 * least 1): bin k (0-based) holds outputs in (floor(k D / binCount), floor((k + 1) D / binCount)],
 * the paper's segment ceil(l' / width) for the real data (arXiv 2504.11320v2 §6.2) and the
 * boundaries of Nested WAIT's `{count: L}`. Empty bins are dropped. The prompt types of an
 * untyped workload (runner/fluid/request-types.ts) and a run's digest
 * (runner/metrics/run-digest.ts) are these bins.
 *
 * @param promptTokens prompt tokens per request
 * @param outputTokens output tokens per request (>= 1), same length
 * @param binCount number of bins (a positive integer)
 * @throws RangeError for binCount < 1
 */
export function outputLengthBins(
  promptTokens: ArrayLike<number>,
  outputTokens: ArrayLike<number>,
  binCount: number,
): OutputLengthBins {
  if (!(Number.isInteger(binCount) && binCount >= 1))
    throw new RangeError(`bins must be a positive integer, got ${binCount}`);
  const n = outputTokens.length;
  let maxOut = 1;
  for (let i = 0; i < n; i++) maxOut = Math.max(maxOut, outputTokens[i]);
  const upper = new Float64Array(binCount);
  for (let k = 0; k < binCount; k++) upper[k] = Math.floor(((k + 1) * maxOut) / binCount);
  const raw = new Int32Array(n);
  const count = new Float64Array(binCount);
  const prompt = new Float64Array(binCount);
  const output = new Float64Array(binCount);
  for (let i = 0; i < n; i++) {
    const o = outputTokens[i];
    let b = 0;
    while (o > upper[b]) b++;
    raw[i] = b;
    count[b]++;
    prompt[b] += promptTokens[i];
    output[b] += o;
  }
  const index = new Int32Array(binCount).fill(-1);
  const bins: OutputLengthBin[] = [];
  for (let b = 0; b < binCount; b++) {
    if (count[b] === 0) continue;
    index[b] = bins.length;
    bins.push({ prompt: prompt[b] / count[b], output: output[b] / count[b], count: count[b] });
  }
  const binOf = new Int32Array(n);
  for (let i = 0; i < n; i++) binOf[i] = index[raw[i]];
  return { bins, binOf };
}
