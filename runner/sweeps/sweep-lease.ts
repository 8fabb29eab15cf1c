/**
 * One writer per sweep: the lease an invocation of executeSweep holds on the sweep it executes,
 * taken before anything of the sweep is requeued, renewed by a heartbeat, given up when it ends.
 * The rule that says when a holder is gone (its pid is not alive on this host, or its heartbeat is
 * older than LEASE_TTL_MS) is leaseIsStale (runner/store/sweep-lease-row.ts); the table is
 * migrations/0008_sweep_leases.sql. See docs/decisions.md, "One writer per sweep".
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Store } from '../store/store.js';
import { SweepBusyError } from '../store/sweep-busy-error.js';
import { LEASE_HEARTBEAT_MS, type LeaseClaim, type SweepLeaseRow } from '../store/sweep-lease-row.js';
import { retryWhileBusy } from './store-fault.js';
import { abortablePause } from './abortable-pause.js';

/** Options of {@link SweepLease.acquire}. */
export interface SweepLeaseOptions {
  /**
   * Wait while another process holds the lease (checking every heartbeat period) instead of
   * refusing; a holder that ends, or goes stale, hands it over.
   */
  wait?: boolean;
  /** Stops waiting (acquire then rejects with the SweepBusyError). */
  signal?: AbortSignal;
  /** Called once when acquire starts waiting, with the holder. */
  onWait?: (holder: SweepLeaseRow) => void;
  /** Heartbeat period, ms (default LEASE_HEARTBEAT_MS); waiting polls every second, or as often. */
  heartbeatMs?: number;
  /** How long a store write may wait for the database's write lock, ms (retryWhileBusy). */
  busyWaitMs: number;
}

/** How often a waiting invocation looks whether the lease is free, ms. */
const WAIT_POLL_MS = 1_000;

/** What to tell a user refused by a busy sweep. */
const ADVICE =
  'wait for it to end (or run with --wait); a holder that was killed stops blocking at once on its own host, ' +
  'elsewhere when its heartbeat is a minute old';

/** A new claim for this process: a random owner id, this pid, the Store's host. */
export function leaseClaimOf(store: Store): LeaseClaim {
  return { owner: randomUUID(), pid: process.pid, host: store.host ?? hostname() };
}

/**
 * A held lease: renewed by a timer (and by beatIfDue, for runs that hold the main thread) until
 * release().
 */
export class SweepLease {
  private timer: NodeJS.Timeout | undefined;
  private lastBeatMs = Date.now();
  private lost = false;
  private onLost: ((error: SweepBusyError) => void) | undefined;

  /**
   * @param store the sweep's database
   * @param sweepId the sweep
   * @param claim the claim that holds it (stored already: acquire, or Store.createSweep's lease)
   * @param heartbeatMs renewal period, ms
   */
  constructor(
    private readonly store: Store,
    readonly sweepId: number,
    readonly claim: LeaseClaim,
    private readonly heartbeatMs = LEASE_HEARTBEAT_MS,
  ) {}

  /**
   * Takes the sweep's lease (Store.claimSweepLease), or waits for it with `opts.wait`.
   * @returns the held lease (its heartbeat not started: see start)
   * @throws SweepBusyError naming the live holder (`opts.wait` unset, or its signal fired)
   * @throws the store's SQLite errors (a full disk, a lock held past `busyWaitMs`: store faults)
   */
  static async acquire(
    store: Store,
    sweepId: number,
    claim: LeaseClaim,
    opts: SweepLeaseOptions,
  ): Promise<SweepLease> {
    const heartbeatMs = opts.heartbeatMs ?? LEASE_HEARTBEAT_MS;
    let waiting = false;
    for (;;) {
      const holder = await retryWhileBusy(() => store.claimSweepLease(sweepId, claim), opts.busyWaitMs);
      if (holder === undefined) return new SweepLease(store, sweepId, claim, heartbeatMs);
      if (!opts.wait || opts.signal?.aborted) throw new SweepBusyError(sweepId, holder, Date.now(), ADVICE);
      if (!waiting) opts.onWait?.(holder);
      waiting = true;
      await abortablePause(Math.min(heartbeatMs, WAIT_POLL_MS), opts.signal);
    }
  }

  /**
   * Starts the heartbeat: every period the lease is renewed; when it turns out another process
   * took it over (this one was stalled past the time to live), `onLost` gets a SweepBusyError
   * naming the new holder, once, and the heartbeat stops. A renewal the database refuses (locked,
   * full) is skipped: the next one tries again.
   */
  start(onLost: (error: SweepBusyError) => void): void {
    this.onLost = onLost;
    this.timer = setInterval(() => this.beat(onLost), this.heartbeatMs);
    this.timer.unref();
  }

  /** Renews the lease when a heartbeat period has passed since the last renewal (cheap otherwise). */
  beatIfDue(): void {
    if (this.onLost !== undefined && Date.now() - this.lastBeatMs >= this.heartbeatMs) this.beat(this.onLost);
  }

  private beat(onLost: (error: SweepBusyError) => void): void {
    if (this.lost) return;
    const nowMs = Date.now();
    let held: boolean;
    try {
      held = this.store.renewSweepLease(this.sweepId, this.claim.owner, nowMs);
    } catch {
      return; // the database refused this renewal; the next one tries again
    }
    this.lastBeatMs = nowMs;
    if (held) return;
    this.lost = true;
    this.stop();
    const holder = this.store.sweepLease(this.sweepId) ?? {
      sweepId: this.sweepId,
      owner: '',
      pid: 0,
      host: '(nobody: the sweep was deleted)',
      acquiredAt: new Date(nowMs).toISOString(),
      heartbeatMs: nowMs,
    };
    onLost(
      new SweepBusyError(
        this.sweepId,
        holder,
        nowMs,
        'this process lost its lease (it had not renewed it for over a minute) and stopped; nothing of its runs in flight was stored',
      ),
    );
  }

  /** Stops the heartbeat (the lease stays stored until release). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Stops the heartbeat and gives the lease up. Best effort: when the database cannot be written
   * now the lease stays, and the next process takes it over as soon as this one has exited.
   */
  release(): void {
    this.stop();
    if (this.lost) return;
    try {
      this.store.releaseSweepLease(this.sweepId, this.claim.owner);
    } catch {
      // left stored: stale once this process is gone
    }
  }
}
