import type { ReplicaLoad } from '../metrics/replica-loads.js';
import type { DigestBin, RunDigest } from '../metrics/run-digest.js';
import { decodeColumn, encodeColumn, type EncodedColumn } from './column-blob-codec.js';

/**
 * A RunDigest (runner/metrics/run-digest.ts) checked and encoded for its `run_digests` row
 * (migrations/0011_column_blobs.sql): the order statistics as encoded Float64 columns
 * (encodeColumn, byte-shuffled and deflated), the output-length bins as JSON.
 */
export interface EncodedDigest {
  /** Requests of the run. */
  readonly requests: number;
  /** Finished requests (the samples behind the order statistics). */
  readonly finished: number;
  /** TTFT order statistics, seconds, ascending. */
  readonly ttftS: EncodedColumn;
  /** E2E latency order statistics, seconds, ascending. */
  readonly e2eS: EncodedColumn;
  /** `[{prompt, output, count}, ...]`, the output-length bins. */
  readonly outputBinsJson: string;
  /**
   * `[{replica, requests, completed, tokens}, ...]`, what each replica of a cluster run served
   * (migrations/0012_replica_loads.sql); null for a run on one replica.
   */
  readonly replicaLoadsJson: string | null;
}

/**
 * Checks and encodes a run's digest.
 *
 * @param digest the digest carried by the RunResult
 * @param requests the run's request count (the digest must count the same)
 * @param what names the run in messages (`run 12`)
 * @throws Error naming the field when the digest is not a RunDigest of that many requests: counts
 *   that are not integers with 0 <= finished <= requests, order statistics that are not
 *   Float64Arrays of one length (at most `finished`), bins that are not {prompt, output, count},
 *   replica loads that are not {replica, requests, completed, tokens} integers in replica order
 *   whose requests sum to at most `requests`
 */
export function encodeDigest(digest: RunDigest, requests: number, what: string): EncodedDigest {
  if (digest === null || typeof digest !== 'object')
    throw new Error(`${what}: digest must be a RunDigest object`);
  if (digest.requests !== requests) {
    throw new Error(`${what}: digest.requests is ${digest.requests} but the run has ${requests} requests`);
  }
  const { finished, ttftS, e2eS, outputBins } = digest;
  if (!Number.isSafeInteger(finished) || finished < 0 || finished > requests) {
    throw new Error(`${what}: digest.finished is ${finished}; it must be an integer from 0 to ${requests}`);
  }
  for (const [name, points] of [
    ['ttftS', ttftS],
    ['e2eS', e2eS],
  ] as const) {
    if (!(points instanceof Float64Array) || points.length > finished || points.length !== ttftS.length) {
      throw new Error(
        `${what}: digest.${name} must be a Float64Array of at most ${finished} order statistics, as long as digest.ttftS`,
      );
    }
  }
  if (
    !Array.isArray(outputBins) ||
    outputBins.some(
      (b: DigestBin) =>
        b === null || typeof b !== 'object' || ![b.prompt, b.output, b.count].every(Number.isFinite),
    )
  ) {
    throw new Error(
      `${what}: digest.outputBins must be an array of {prompt, output, count} with finite numbers`,
    );
  }
  const bins = outputBins.map((b) => ({ prompt: b.prompt, output: b.output, count: b.count }));
  return {
    requests,
    finished,
    ttftS: encodeColumn(ttftS),
    e2eS: encodeColumn(e2eS),
    outputBinsJson: JSON.stringify(bins),
    replicaLoadsJson:
      digest.replicaLoads === undefined ? null : replicaLoadsJson(digest.replicaLoads, requests, what),
  };
}

/** Checks a digest's replica loads (see encodeDigest) and writes them as JSON. */
function replicaLoadsJson(loads: readonly ReplicaLoad[], requests: number, what: string): string {
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const valid =
    Array.isArray(loads) &&
    loads.every(
      (l, i) =>
        l !== null &&
        typeof l === 'object' &&
        l.replica === i &&
        count(l.requests) &&
        count(l.completed) &&
        l.completed <= l.requests &&
        count(l.tokens),
    ) &&
    loads.reduce((sum, l) => sum + l.requests, 0) <= requests;
  if (!valid) {
    throw new Error(
      `${what}: digest.replicaLoads must be {replica, requests, completed, tokens} per replica, in replica ` +
        `order, with non-negative integers, completed <= requests, and at most ${requests} requests in all`,
    );
  }
  return JSON.stringify(
    loads.map((l) => ({
      replica: l.replica,
      requests: l.requests,
      completed: l.completed,
      tokens: l.tokens,
    })),
  );
}

/**
 * Decodes a stored digest.
 *
 * @param where names the run in messages (`run 12`)
 * @throws Error naming the run when the stored order statistics are corrupt or not Float64
 */
export function decodeDigest(encoded: EncodedDigest, where: string): RunDigest {
  const points = (column: EncodedColumn, name: string): Float64Array => {
    const values = decodeColumn(column, `${where} digest ${name}`);
    if (!(values instanceof Float64Array)) {
      throw new Error(
        `${where} digest ${name}: stored as ${column.codec}, expected Float64 (a damaged database)`,
      );
    }
    return values;
  };
  return {
    requests: encoded.requests,
    finished: encoded.finished,
    ttftS: points(encoded.ttftS, 'ttft_s'),
    e2eS: points(encoded.e2eS, 'e2e_s'),
    outputBins: JSON.parse(encoded.outputBinsJson) as DigestBin[],
    ...(encoded.replicaLoadsJson === null
      ? {}
      : { replicaLoads: JSON.parse(encoded.replicaLoadsJson) as ReplicaLoad[] }),
  };
}
