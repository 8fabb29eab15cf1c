import type { SweepLeaseRow } from './sweep-lease-row.js';

/**
 * A sweep is being executed by another process (it holds the sweep's lease, see
 * sweep-lease-row.ts): this process may not run, requeue or delete it. A state conflict, not bad
 * input: the CLI exits with ExitCode.STATE_CONFLICT (3), the API answers `conflict` (409).
 *
 * Message: `sweep 3 is being run by PID 4242 on gpu-a since 2026-12-07T20:01:02.345Z (last
 * heartbeat 2 s ago)`, then what the caller can do.
 */
export class SweepBusyError extends Error {
  override readonly name = 'SweepBusyError';

  /**
   * @param sweepId the sweep
   * @param holder its lease's holder
   * @param nowMs the current time (ms since the epoch), for the heartbeat's age
   * @param advice what to do, appended after `; ` (e.g. `wait for it to end, or use --wait`)
   */
  constructor(
    readonly sweepId: number,
    readonly holder: SweepLeaseRow,
    nowMs: number,
    advice?: string,
  ) {
    super(`${describeLeaseHolder(holder, nowMs)}${advice === undefined ? '' : `; ${advice}`}`);
  }
}

/**
 * `sweep N is being run by PID P on HOST since T (last heartbeat S s ago)`.
 * @param holder the lease's holder
 * @param nowMs the current time, ms since the epoch
 */
export function describeLeaseHolder(holder: SweepLeaseRow, nowMs: number): string {
  const age = Math.max(0, Math.round((nowMs - holder.heartbeatMs) / 1000));
  return (
    `sweep ${holder.sweepId} is being run by PID ${holder.pid} on ${holder.host} since ` +
    `${holder.acquiredAt} (last heartbeat ${age} s ago)`
  );
}
