import { outputLengthBins } from '../workloads/output-length-bins.js';
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
 *   (outputLengthBins: bin k holds outputs in (floor(k D / bins), floor((k+1) D / bins)], D the
 *   largest output); each non-empty bin is a type with the mean prompt and mean output length of its requests and
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
  const { bins: lengthBins, binOf } = outputLengthBins(requests.promptTokens, requests.outputTokens, bins);
  const types = lengthBins.map((b) => ({
    prompt: b.prompt,
    output: b.output,
    rate: (totalRate * b.count) / n,
  }));
  return { types, typeOf: binOf, source: 'binned' };
}
