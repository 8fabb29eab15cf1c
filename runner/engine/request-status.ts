/**
 * Lifecycle of a request in the engine:
 * FUTURE (not yet arrived) -> WAITING (arrived, no KV cache; evicted requests return here)
 * -> ACTIVE (holds KV cache: prefilling, decoding, or paused) -> FINISHED (KV freed).
 */
export const RequestStatus = {
  FUTURE: 0,
  WAITING: 1,
  ACTIVE: 2,
  FINISHED: 3,
} as const;

/** One of the RequestStatus values. */
export type RequestStatusCode = (typeof RequestStatus)[keyof typeof RequestStatus];

/** Name of a status code, for error messages. */
export function statusName(code: number): string {
  return ['future', 'waiting', 'active', 'finished'][code] ?? `unknown(${code})`;
}
