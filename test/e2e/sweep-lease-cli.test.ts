import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { countRows, expectEveryRunDoneOnce } from '../helpers/stored-runs.js';

// docs/decisions.md, "One writer per sweep", with real processes: a `schedbench sweep` holds its
// sweep's lease while it runs (SCHEDBENCH_HOLD_RUNS=1 keeps it mid-sweep until SIGUSR2); a second
// `schedbench sweep` of the same spec on the same database exits 3 naming the holder, or waits with
// --wait; a holder killed with SIGKILL stops blocking at once.

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const RUNS = 4;
const REQUESTS = 300;

function setup(): { spec: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-lease-cli-'));
  dirs.push(dir);
  const spec = join(dir, 'lease.yaml');
  writeFileSync(
    spec,
    [
      'name: lease',
      'machine: a100-llama2-7b',
      `requests: ${REQUESTS}`,
      'seeds: [1, 2]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  return { spec, db: join(dir, 'lease.db') };
}

/** Starts a holding `sweep` and resolves once it holds the lease with a run held mid-sweep. */
async function startHolder(spec: string, db: string): Promise<ChildProcess> {
  const holder = startCli(['sweep', spec, '--db', db, '--jobs', '1'], { env: { SCHEDBENCH_HOLD_RUNS: '1' } });
  children.push(holder);
  let exited = false;
  holder.once('exit', () => (exited = true));
  // Waits for a state of the database, not for a time: the lease stored and one run running.
  while (
    countRows(db, `SELECT count(*) AS n FROM sweep_leases WHERE pid = ${holder.pid}`) === 0 ||
    countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'running'") === 0
  ) {
    if (exited) throw new Error('the holding sweep exited before holding its lease');
    await sleep(20);
  }
  return holder;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

/** Every run done exactly once, and no lease left behind. */
function expectAllDoneOnce(db: string): void {
  expectEveryRunDoneOnce(db, RUNS, REQUESTS);
  expect(countRows(db, 'SELECT count(*) AS n FROM sweep_leases')).toBe(0);
}

describe('schedbench sweep: one writer per sweep', () => {
  it('a second sweep of a sweep being run exits 3 naming the holder, and disturbs nothing', async () => {
    const { spec, db } = setup();
    const holder = await startHolder(spec, db);
    const holderExit = exitOf(holder);
    const before = countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'running'");

    const second = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(
      new RegExp(
        `^schedbench: sweep 1 is being run by PID ${holder.pid} on ${hostname()} since \\S+Z \\(last heartbeat \\d+ s ago\\); wait for it to end \\(or run with --wait\\)`,
        'm',
      ),
    );
    expect(second.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'running'")).toBe(before);
    // Deleting it is refused the same way.
    const del = runCli(['sweeps', 'delete', '1', '--yes', '--db', db]);
    expect(del.code).toBe(3);
    expect(del.stderr).toMatch(/sweep 1 is being run by PID \d+ .*cancel or stop it before deleting it/);

    holder.kill('SIGUSR2');
    expect((await holderExit).code).toBe(0);
    expectAllDoneOnce(db);
  });

  it('a holder killed with SIGKILL stops blocking at once: the next sweep runs every run exactly once', async () => {
    const { spec, db } = setup();
    const holder = await startHolder(spec, db);
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await gone;
    // Its lease and its running run are left behind, as after a power cut.
    expect(countRows(db, 'SELECT count(*) AS n FROM sweep_leases')).toBe(1);
    const next = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
    expect(next.stderr).not.toMatch(/being run by/);
    expect(next.code).toBe(0);
    expectAllDoneOnce(db);
  });

  it('--wait waits for the holder to end, then runs what is left', async () => {
    const { spec, db } = setup();
    const holder = await startHolder(spec, db);
    const holderExit = exitOf(holder);
    const waiter = startCli(['sweep', spec, '--db', db, '--jobs', '1', '--wait']);
    children.push(waiter);
    let stderr = '';
    await new Promise<void>((resolve) =>
      waiter.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('waiting: sweep 1 is being run by PID')) resolve();
      }),
    );
    const waiterExit = new Promise<number | null>((resolve) => waiter.once('exit', resolve));
    holder.kill('SIGUSR2');
    expect((await holderExit).code).toBe(0);
    expect(await waiterExit).toBe(0);
    expect(stderr).toMatch(/sweep 1 \(lease\): 4 done, 0 failed/);
    expectAllDoneOnce(db);
  });
});
