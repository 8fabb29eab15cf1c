/**
 * A store operation that the current state of a run or sweep does not allow: the run or sweep
 * does not exist, a run that is already done is completed (or failed) again, a run that is
 * running or done is claimed again, or results are read for a run that has none stored.
 *
 * These are programming or concurrency errors (two processes driving one sweep), not user input
 * errors; the message names the run or sweep id and, for a run, its status.
 */
export class StoreStateError extends Error {
  override readonly name = 'StoreStateError';
}
