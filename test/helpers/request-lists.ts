import type { RequestList } from '../../runner/workloads/request-list.js';

/** Builds a RequestList from rows of [arrival s, prompt tokens, output tokens]. */
export function requestList(rows: [number, number, number][]): RequestList {
  return {
    arrival: Float64Array.from(rows.map((r) => r[0])),
    promptTokens: Int32Array.from(rows.map((r) => r[1])),
    outputTokens: Int32Array.from(rows.map((r) => r[2])),
  };
}
