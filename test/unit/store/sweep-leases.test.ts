import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweepBusyError } from '../../../runner/store/sweep-busy-error.js';
import { LEASE_TTL_MS, leaseIsStale, type LeaseClaim } from '../../../runner/store/sweep-lease-row.js';
import { Store } from '../../../runner/store/store.js';
import { StoreStateError } from '../../../runner/store/store-state-error.js';
import { newRun, newSweep, tempDir } from './fixtures.js';

/**
 * One writer per sweep (migrations/0008_sweep_leases.sql, Store.claimSweepLease): two Stores on one
 * real SQLite file, each the connection of a different "process"; the holder's liveness is a real
 * process here (this one, alive) or one that has exited (a finished child: its pid is free).
 */
let tmp: ReturnType<typeof tempDir>;
let file: string;
let a: Store;
let b: Store;
let sweepId: number;

/** The pid of a process that has exited (a child run to completion). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

const claimHere = (owner: string, pid = process.pid): LeaseClaim => ({ owner, pid, host: 'here' });

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'results.db');
  a = Store.open(file, { host: 'here' });
  b = Store.open(file, { host: 'here' });
  sweepId = a.createSweep(newSweep({ runs: [newRun('k1'), newRun('k2')] }));
});
afterEach(() => {
  a.close();
  b.close();
  tmp.cleanup();
});

describe('sweep leases', () => {
  it('a live holder on this host excludes a second claim, which learns who holds it', () => {
    expect(a.claimSweepLease(sweepId, claimHere('first'))).toBeUndefined();
    const holder = b.claimSweepLease(sweepId, claimHere('second'));
    expect(holder).toMatchObject({ sweepId, owner: 'first', pid: process.pid, host: 'here' });
    expect(holder!.acquiredAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Claiming again as the holder renews it; the refused claim changed nothing.
    expect(a.claimSweepLease(sweepId, claimHere('first'))).toBeUndefined();
    expect(b.sweepLease(sweepId)?.owner).toBe('first');
  });

  it('a holder whose process is gone on this host is taken over at once (a SIGKILLed sweep)', () => {
    expect(a.claimSweepLease(sweepId, claimHere('killed', deadPid()))).toBeUndefined();
    expect(b.claimSweepLease(sweepId, claimHere('next'))).toBeUndefined();
    expect(b.sweepLease(sweepId)).toMatchObject({ owner: 'next', pid: process.pid });
    // The old holder finds out at its next heartbeat.
    expect(a.renewSweepLease(sweepId, 'killed')).toBe(false);
    expect(a.renewSweepLease(sweepId, 'next')).toBe(true);
  });

  it('a holder on another host excludes until its heartbeat is older than the time to live', () => {
    const elsewhere = Store.open(file, { host: 'gpu-b' });
    try {
      const t0 = 1_800_000_000_000;
      expect(
        elsewhere.claimSweepLease(sweepId, { owner: 'remote', pid: 1, host: 'gpu-b' }, { nowMs: t0 }),
      ).toBe(undefined);
      // Its pid means nothing here: only its heartbeat counts.
      expect(a.claimSweepLease(sweepId, claimHere('local'), { nowMs: t0 + LEASE_TTL_MS })).toMatchObject({
        owner: 'remote',
        host: 'gpu-b',
      });
      expect(
        a.claimSweepLease(sweepId, claimHere('local'), { nowMs: t0 + LEASE_TTL_MS + 1 }),
      ).toBeUndefined();
    } finally {
      elsewhere.close();
    }
  });

  it('a renewed lease stays live; the staleness rule is the heartbeat age or a dead local pid', () => {
    const row = { sweepId, owner: 'o', pid: process.pid, host: 'here', acquiredAt: '', heartbeatMs: 1000 };
    expect(leaseIsStale(row, { host: 'here', nowMs: 1000 + LEASE_TTL_MS })).toBe(false);
    expect(leaseIsStale(row, { host: 'here', nowMs: 1001 + LEASE_TTL_MS })).toBe(true); // a reused pid
    expect(leaseIsStale(row, { host: 'here', nowMs: 1000, isAlive: () => false })).toBe(true);
    expect(leaseIsStale(row, { host: 'there', nowMs: 1000, isAlive: () => false })).toBe(false);
  });

  it('a released lease frees the sweep; releasing twice or someone else’s lease changes nothing', () => {
    a.claimSweepLease(sweepId, claimHere('first'));
    expect(b.releaseSweepLease(sweepId, 'second')).toBe(false);
    expect(a.releaseSweepLease(sweepId, 'first')).toBe(true);
    expect(a.releaseSweepLease(sweepId, 'first')).toBe(false);
    expect(b.claimSweepLease(sweepId, claimHere('second'))).toBeUndefined();
  });

  it('a sweep being run is not deleted; once released, or stale, it is', () => {
    a.claimSweepLease(sweepId, claimHere('runner'));
    expect(() => b.deleteSweep(sweepId)).toThrow(SweepBusyError);
    expect(() => b.deleteSweep(sweepId)).toThrow(
      new RegExp(
        `^sweep ${sweepId} is being run by PID ${process.pid} on here since \\S+ \\(last heartbeat \\d+ s ago\\); cancel`,
      ),
    );
    expect(b.getSweep(sweepId)).toBeDefined();
    a.releaseSweepLease(sweepId, 'runner');
    a.claimSweepLease(sweepId, claimHere('killed', deadPid()));
    expect(b.deleteSweep(sweepId)).toBe(true);
    // The lease went with its sweep (ON DELETE CASCADE).
    expect(b.sweepLease(sweepId)).toBeUndefined();
  });

  it('a new sweep can be stored with its lease in one transaction; an unknown sweep cannot be claimed', () => {
    const id = a.createSweep(newSweep({ specHash: 'other-hash', runs: [newRun('x')] }), claimHere('creator'));
    expect(b.sweepLease(id)).toMatchObject({ owner: 'creator', host: 'here' });
    expect(() => a.claimSweepLease(9999, claimHere('x'))).toThrow(StoreStateError);
  });
});
