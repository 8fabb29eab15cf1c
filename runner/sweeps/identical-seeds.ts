import { createHash } from 'node:crypto';
import type { RequestList } from '../workloads/request-list.js';

/**
 * Finds the seeds of one workload grid point whose request lists are identical to an earlier
 * seed's, so that the sweep plan runs each distinct list once instead of repeating a run and
 * reporting a spread of zero as if it had been measured (docs/decisions.md, "Seeds that mean
 * something"). Lists are compared by a SHA-256 digest of their bytes (arrival times, prompt and
 * output tokens, type indices when present, prefix block ids and offsets when present): one pass over each list, a few milliseconds for a
 * 20,000-request trace. Which source made the list does not matter: a whole-trace replay, a
 * constant length distribution with deterministic arrivals, or two seeds drawing the same window
 * of a short trace are all caught the same way.
 */
export class IdenticalSeeds {
  /** Digest of each distinct list seen, to the first seed that gave it. */
  private readonly firstSeedOf = new Map<string, number>();
  /** Per first seed, the later seeds that repeated its list, in the order seen. */
  private readonly repeats = new Map<number, number[]>();

  /**
   * Records a seed's list.
   * @param seed the run seed
   * @param list the request list that seed built for this grid point
   * @returns the earlier seed whose list is identical (this seed should then not run), or
   *   undefined when the list is new (the seed runs)
   */
  repeatOf(seed: number, list: RequestList): number | undefined {
    const digest = requestListDigest(list);
    const first = this.firstSeedOf.get(digest);
    if (first === undefined) {
      this.firstSeedOf.set(digest, seed);
      return undefined;
    }
    this.repeats.set(first, [...(this.repeats.get(first) ?? []), seed]);
    return first;
  }

  /**
   * The plan warning for the seeds left out, or null when every seed gave a distinct list.
   * @param workload the grid point's label, e.g. `azure-conv maxTokens=2048`
   * @param where the spec file and the workload entry's line, e.g. `spec.yaml:12`
   */
  warning(workload: string, where: string): string | null {
    if (this.repeats.size === 0) return null;
    const parts = [...this.repeats].map(
      ([first, later]) =>
        `seed${later.length > 1 ? 's' : ''} ${later.join(', ')} ${later.length > 1 ? 'give' : 'gives'} ` +
        `the same request list as seed ${first}`,
    );
    return (
      `${where}: workload ${workload}: ${parts.join('; ')}; ` +
      'planned once per distinct list, the repeated seeds left out (identical runs measure no spread). ' +
      'A trace replayed whole is the same for every seed: give `requests` below its rows to replay ' +
      'a window chosen by each seed'
    );
  }
}

/**
 * SHA-256 of a request list's arrays (hex). A list without `prefixBlocks` hashes exactly as before
 * they existed; with them, their block size, offsets and ids are hashed after the other arrays.
 */
export function requestListDigest(list: RequestList): string {
  const hash = createHash('sha256');
  const arrays = [list.arrival, list.promptTokens, list.outputTokens, list.typeIndex];
  const pb = list.prefixBlocks;
  if (pb !== undefined) arrays.push(pb.offsets, pb.ids);
  for (const a of arrays) {
    hash.update(`${a === undefined ? -1 : a.length}:`);
    if (a !== undefined) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  if (pb !== undefined) hash.update(`blockTokens:${pb.blockTokens}`);
  return hash.digest('hex');
}
