import type { RequestList } from '../workloads/request-list.js';
import type { PromptType } from './prompt-type.js';

/** Prompt types of a workload and the type of each request. */
export interface RequestTypes {
  types: PromptType[];
  /** Type index of each request of the list. */
  typeOf: Int32Array;
  /** `declared` (a typed workload's own types) or `binned` (output-length bins). */
  source: 'declared' | 'binned';
}

/**
 * The prompt types of a run's requests (as for the real data of arXiv 2504.11320v2 §6.2):
 * - a typed workload (the list has `typeIndex` and `declared` types are given): its types, exactly;
 * - any other workload: output lengths binned into `bins` equal-width bins over [1, max output]
 *   (bin k holds outputs in (floor(k D / bins), floor((k+1) D / bins)], D the largest output);
 *   each non-empty bin is a type with the mean prompt and mean output length of its requests and
 *   rate = totalRate x (its share of the requests). Empty bins are dropped.
 * @param requests the run's request list
 * @param totalRate the workload's mean arrival rate, req/s
 * @param declared a typed workload's types, in typeIndex order
 * @param bins number of output-length bins (the paper uses 10)
 * @throws RangeError for bins < 1 or an empty list
 */
export function requestTypes(
  requests: RequestList,
  totalRate: number,
  declared: PromptType[] | null,
  bins = 10,
): RequestTypes {
  const n = requests.arrival.length;
  if (n === 0) throw new RangeError('no requests');
  if (declared && requests.typeIndex) {
    return { types: declared, typeOf: requests.typeIndex, source: 'declared' };
  }
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
  let maxOut = 1;
  for (let i = 0; i < n; i++) maxOut = Math.max(maxOut, requests.outputTokens[i]);
  // Bin k (0-based) holds outputs in (b_{k-1}, b_k] with b_k = floor((k+1) maxOut / bins): the
  // paper's segment ceil(l' / width) (§6.2), and the same boundaries as Nested WAIT's {count: L}.
  const upper = new Float64Array(bins);
  for (let k = 0; k < bins; k++) upper[k] = Math.floor(((k + 1) * maxOut) / bins);
  const binOf = new Int32Array(n);
  const count = new Float64Array(bins);
  const prompt = new Float64Array(bins);
  const output = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const o = requests.outputTokens[i];
    let b = 0;
    while (o > upper[b]) b++;
    binOf[i] = b;
    count[b]++;
    prompt[b] += requests.promptTokens[i];
    output[b] += o;
  }
  const index = new Int32Array(bins).fill(-1);
  const types: PromptType[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    index[b] = types.length;
    types.push({
      prompt: prompt[b] / count[b],
      output: output[b] / count[b],
      rate: (totalRate * count[b]) / n,
    });
  }
  const typeOf = new Int32Array(n);
  for (let i = 0; i < n; i++) typeOf[i] = index[binOf[i]];
  return { types, typeOf, source: 'binned' };
}
