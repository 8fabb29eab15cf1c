import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../runner/store/store.js';
import { SweepBusyError } from '../../../runner/store/sweep-busy-error.js';
import type { SweepLeaseRow } from '../../../runner/store/sweep-lease-row.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';
import { RunGate } from '../../helpers/run-gate.js';

// docs/decisions.md, "One writer per sweep": executeSweep holds the sweep's lease; a second
// executeSweep of the same sweep (another connection to the same SQLite file, as another process
// would have) is refused naming the holder, or waits; a holder whose lease was taken over stops.

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A 4-run spec (2 policies x 2 seeds, 200 requests each) and two Stores on one database file. */
function setup(): { spec: string; first: Store; second: Store } {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-lease-'));
  cleanup.push(dir);
  const spec = join(dir, 'lease.yaml');
  writeFileSync(
    spec,
    [
      'name: lease',
      'machine: a100-llama2-7b',
      'requests: 200',
      'seeds: [1, 2]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  const db = join(dir, 'lease.db');
  return { spec, first: Store.open(db), second: Store.open(db) };
}

/** Resolves once `gate` holds a run (the first executeSweep is then mid-sweep, lease held). */
function heldRun(gate: RunGate): Promise<number> {
  return new Promise((resolve) => {
    const check = (): void => {
      const [runId] = gate.held();
      if (runId !== undefined) {
        stop();
        resolve(runId);
      }
    };
    const stop = gate.onChange(check);
    check();
  });
}

const statuses = (store: Store, sweepId: number): string[] =>
  store
    .listRuns({ sweepId })
    .map((r) => `${r.id}:${r.status}`)
    .sort();

describe('one writer per sweep', () => {
  it('a second executeSweep of a sweep being run is refused, naming the holder, and changes nothing', async () => {
    const { spec, first, second } = setup();
    const gate = new RunGate();
    const running = executeSweep(planSweep(spec), first, { jobs: 1, runGate: gate.gate });
    await heldRun(gate);
    const sweepId = first.listSweeps()[0]!.id;
    const before = statuses(second, sweepId);
    expect(before.filter((s) => s.endsWith(':running'))).toHaveLength(1);

    const error = await executeSweep(planSweep(spec), second, { jobs: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SweepBusyError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^sweep ${sweepId} is being run by PID ${process.pid} on \\S+ since \\d{4}-\\d\\d-\\d\\dT[^ ]+Z ` +
          '\\(last heartbeat \\d+ s ago\\); wait for it to end \\(or run with --wait\\)',
      ),
    );
    // The refused invocation neither requeued the holder's running run nor added anything.
    expect(statuses(second, sweepId)).toEqual(before);

    gate.open();
    const outcome = await running;
    expect(outcome).toMatchObject({ done: 4, failed: 0, cancelled: false });
    // The holder gave the lease up: the sweep is free again.
    expect(second.sweepLease(sweepId)).toBeUndefined();
    first.close();
    second.close();
  });

  it('with waitForLease the second invocation waits for the holder, then runs what is left (nothing)', async () => {
    const { spec, first, second } = setup();
    const gate = new RunGate();
    const running = executeSweep(planSweep(spec), first, { jobs: 1, runGate: gate.gate });
    await heldRun(gate);
    let waitedFor: SweepLeaseRow | undefined;
    let signalWait: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (signalWait = resolve));
    const waiter = executeSweep(planSweep(spec), second, {
      jobs: 1,
      waitForLease: true,
      leaseHeartbeatMs: 10,
      onLeaseWait: (holder) => {
        waitedFor = holder;
        signalWait();
      },
    });
    await waiting;
    expect(waitedFor).toMatchObject({ pid: process.pid });
    gate.open();
    expect(await running).toMatchObject({ done: 4, failed: 0 });
    expect(await waiter).toMatchObject({
      resumed: true,
      alreadyDone: 4,
      done: 0,
      failed: 0,
      cancelled: false,
    });
    first.close();
    second.close();
  });

  it('a holder whose lease another process took over (it was stalled past the time to live) stops and leaves the runs to it', async () => {
    const { spec, first, second } = setup();
    const gate = new RunGate();
    const running = executeSweep(planSweep(spec), first, {
      jobs: 1,
      runGate: gate.gate,
      leaseHeartbeatMs: 10,
    });
    const heldId = await heldRun(gate);
    const sweepId = first.listSweeps()[0]!.id;
    // Another process judges the lease an hour later: stale, so it takes it over.
    const taker = { owner: 'taker', pid: process.pid, host: 'elsewhere' };
    expect(second.claimSweepLease(sweepId, taker, { nowMs: Date.now() + 3_600_000 })).toBeUndefined();

    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SweepBusyError);
    expect((error as Error).message).toMatch(/on elsewhere since .*; this process lost its lease/);
    // Nothing of the held run was stored, and the holder did not requeue it: it is the taker's.
    const held = second.listRuns({ sweepId }).find((r) => r.id === heldId)!;
    expect(held.status).toBe('running');
    expect(second.runCounts(sweepId).done).toBe(0);
    expect(second.sweepLease(sweepId)?.owner).toBe('taker');
    first.close();
    second.close();
  });

  it('two invocations storing the same new spec: the one that loses the race resumes the winner’s sweep', async () => {
    const { spec, first, second } = setup();
    const gate = new RunGate();
    const running = executeSweep(planSweep(spec), first, { jobs: 1, runGate: gate.gate });
    await heldRun(gate);
    // The loser looked before the winner stored the sweep: its insert meets the stored one.
    const find = second.findSweepByHash.bind(second);
    let calls = 0;
    second.findSweepByHash = (hash: string) => (++calls === 1 ? undefined : find(hash));
    const error = await executeSweep(planSweep(spec), second, { jobs: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SweepBusyError);
    expect(second.listSweeps()).toHaveLength(1);
    gate.open();
    expect(await running).toMatchObject({ done: 4 });
    first.close();
    second.close();
  });
});
