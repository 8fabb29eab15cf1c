import type { ApiErrorOut } from '../../../runner/api/api-contract.js';

/**
 * Why a call failed: the API's own codes (ApiErrorOut), plus two the transport adds:
 * `unauthorized` (no or stale sign-in: the browser mode's token) and `network` (the runner
 * could not be reached, or answered something that is not the API's JSON).
 */
export type ApiErrorCode = ApiErrorOut['code'] | 'unauthorized' | 'network';

/** A failed API call, thrown by ApiClient.call; carries the runner's ApiErrorOut. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  /** 1-based line of a spec problem, when the runner located one. */
  readonly line: number | undefined;
  /** The input or spec field at fault, when known. */
  readonly field: string | undefined;

  /**
   * @param op the operation that failed (prefixed to nothing: the runner's messages name it)
   * @param error what the runner (or the transport) said
   */
  constructor(
    readonly op: string,
    error: { code: ApiErrorCode; message: string; line?: number; field?: string },
  ) {
    super(error.message);
    this.code = error.code;
    this.line = error.line;
    this.field = error.field;
  }
}
