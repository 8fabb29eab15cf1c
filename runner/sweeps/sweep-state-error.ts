/** Why a SweepManager refused a request (SweepStateError.reason). */
export type SweepStateReason = 'not-found' | 'active' | 'closed';

/**
 * A SweepManager request that the state of the sweep or of the manager does not allow: the sweep
 * does not exist (`not-found`), it is already executing (`active`), or the manager was closed
 * (`closed`). The message names the sweep; an API maps `reason` to its error codes.
 */
export class SweepStateError extends Error {
  override readonly name = 'SweepStateError';

  /**
   * @param reason what is wrong, for programmatic use
   * @param message complete, user-facing message
   */
  constructor(
    readonly reason: SweepStateReason,
    message: string,
  ) {
    super(message);
  }
}
