import type { RequestRecords } from '../engine/run-records.js';
import type { RunMetrics } from '../metrics/metric-keys.js';
import type { RunResult } from '../metrics/run-result.js';
import type { StabilityResult } from '../metrics/stability.js';
import { encodeDigest, type EncodedDigest } from './encoded-digest.js';
import { decodeStruct, encodeStruct, type EncodedStruct } from './encoded-struct.js';

/**
 * A RunResult whose struct-of-arrays and digest are already checked and encoded for the store
 * (encodeRunResult): what a sweep's worker thread hands the main thread, so that the main
 * thread's Store.completeRun only inserts a few rows (the encoding costs a few milliseconds per
 * 10,000 requests; docs/decisions.md). Its metrics, stability verdict and warnings are as in the
 * RunResult (the store checks and serialises them when storing).
 *
 * A plain object of numbers, strings and Uint8Arrays: it crosses a worker-thread boundary by
 * structured clone.
 */
export interface EncodedRunResult {
  readonly metrics: RunMetrics;
  readonly stability: StabilityResult;
  readonly warnings: string[];
  /** The encoded columns and digest; its presence tells an EncodedRunResult from a RunResult. */
  readonly encoded: EncodedRunColumns;
}

/** The encoded parts of an {@link EncodedRunResult}. */
export interface EncodedRunColumns {
  /** RequestRecords (struct `requests`). */
  readonly requests: EncodedStruct;
  /** TimeSeries (struct `time_series`). */
  readonly timeSeries: EncodedStruct;
  /** IterationRecords (struct `iterations`) of a run on a GPU worker; absent for a simulated run. */
  readonly iterations?: EncodedStruct;
  /** The RunDigest. */
  readonly digest: EncodedDigest;
}

/** A result Store.completeRun stores: a RunResult, or one encoded already (EncodedRunResult). */
export type StorableRunResult = RunResult | EncodedRunResult;

/** Whether a result is encoded already. */
export function isEncodedRunResult(result: StorableRunResult): result is EncodedRunResult {
  return (result as Partial<EncodedRunResult>).encoded !== undefined;
}

/**
 * Checks and encodes a run's struct-of-arrays and digest (encodeStruct, encodeDigest): call it
 * where the run was simulated (a worker thread) so the main thread does not.
 *
 * @param result the run's result
 * @param what names the run in messages (`run 12`; `run` when the id is not known here)
 * @throws Error naming the field when the records, time series, iterations or digest are
 *   malformed or violate a column's rule (see encodeStruct, encodeDigest)
 */
export function encodeRunResult(result: RunResult, what: string): EncodedRunResult {
  const requests = encodeStruct('requests', result.requests, what);
  const timeSeries = encodeStruct('time_series', result.timeSeries, what);
  const { iterations } = result;
  if (iterations !== undefined && (iterations === null || typeof iterations !== 'object')) {
    throw new Error(`${what}: iterations must be an IterationRecords object or absent`);
  }
  const encoded: EncodedRunColumns = {
    requests,
    timeSeries,
    ...(iterations === undefined ? {} : { iterations: encodeStruct('iterations', iterations, what) }),
    digest: encodeDigest(result.digest, requests.length, what),
  };
  return { metrics: result.metrics, stability: result.stability, warnings: result.warnings, encoded };
}

/** The per-request records of a result, decoded when it is encoded. */
export function requestRecordsOf(result: StorableRunResult): RequestRecords {
  return isEncodedRunResult(result)
    ? decodeStruct<RequestRecords>('requests', result.encoded.requests, 'run')
    : result.requests;
}
