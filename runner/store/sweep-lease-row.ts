/**
 * A sweep's lease (`sweep_leases`, migrations/0008_sweep_leases.sql): which process is executing
 * the sweep, and the rule that says when it is gone, so that one process at a time writes a
 * sweep's runs (issue 15, item 6; docs/decisions.md, "One writer per sweep").
 */

/** How often a holder renews its lease (the heartbeat), ms. */
export const LEASE_HEARTBEAT_MS = 5_000;

/**
 * A lease whose last heartbeat is older than this is expired, whatever host holds it, ms: twelve
 * missed heartbeats. A holder's heartbeat runs on its main thread, which simulation never blocks
 * for long (runs on worker threads; a run in the main thread renews from its progress reports,
 * about 4 per second).
 */
export const LEASE_TTL_MS = 60_000;

/** The holder of a sweep's lease, as stored. */
export interface SweepLeaseRow {
  sweepId: number;
  /** Random id of the holding invocation. */
  owner: string;
  /** Process id of the holder on `host`. */
  pid: number;
  /** Host name of the holder's machine (os.hostname(), or the Store's `host` option). */
  host: string;
  /** When the holder took the lease, ISO 8601 UTC. */
  acquiredAt: string;
  /** The holder's last heartbeat, ms since the Unix epoch. */
  heartbeatMs: number;
}

/** A lease to take: who takes it (the sweep and the times are the Store's). */
export interface LeaseClaim {
  owner: string;
  pid: number;
  host: string;
}

/** How {@link leaseIsStale} judges a holder. */
export interface LeaseJudge {
  /** This machine's host name: a holder on it is judged by its pid too. */
  host: string | null;
  /** The current time, ms since the Unix epoch. */
  nowMs: number;
  /** Heartbeats older than this expire the lease, ms (default {@link LEASE_TTL_MS}). */
  ttlMs?: number;
  /** Whether a process of this host is alive (default {@link processIsAlive}). */
  isAlive?: (pid: number) => boolean;
}

/**
 * Whether a stored lease no longer excludes anyone: its holder is a process of this host that is
 * not alive (killed, SIGKILL included: taken over at once), or its last heartbeat is older than
 * the time to live (a holder on another host that stopped, or a reused pid here).
 * @param held the stored lease
 * @param judge this host, the time, and the rules' parameters
 */
export function leaseIsStale(held: SweepLeaseRow, judge: LeaseJudge): boolean {
  const isAlive = judge.isAlive ?? processIsAlive;
  if (judge.host !== null && held.host === judge.host && !isAlive(held.pid)) return true;
  return judge.nowMs - held.heartbeatMs > (judge.ttlMs ?? LEASE_TTL_MS);
}

/**
 * Whether a process of this machine exists: signal 0 checks without sending anything. A process
 * of another user (EPERM) exists.
 * @param pid a process id (> 0)
 */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
