import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunnerStatus } from '../../../electron/desktop-bridge.js';
import { forkNodeRunner } from '../../../electron/node-runner-channel.js';
import { RunnerSupervisor, type RestartPolicy } from '../../../electron/runner-supervisor.js';
import { REPO } from '../../helpers/cli.js';
import { alive, goneWithin } from '../../helpers/processes.js';
import { tinyTypedSpec } from '../../helpers/tiny-spec.js';

/**
 * The supervisor driving the REAL runner process (dist/runner/api/runner-process.js, built by
 * `npm test`'s pretest step) as a Node child process, the way `npm start` runs the desktop app.
 */
const RUNNER = join(REPO, 'dist/runner/api/runner-process.js');

const TINY_SPEC = tinyTypedSpec('supervised');

const dir = mkdtempSync(join(tmpdir(), 'schedbench-supervisor-'));
const supervisors: RunnerSupervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.shutdown()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function supervise(db: string, restart: Partial<RestartPolicy> = {}) {
  expect(existsSync(RUNNER), `${RUNNER} is missing: run npm run build`).toBe(true);
  const statuses: RunnerStatus[] = [];
  let spawns = 0;
  let stderr = '';
  const supervisor = new RunnerSupervisor({
    spawn: () => {
      spawns += 1;
      return forkNodeRunner({
        execPath: process.execPath,
        modulePath: RUNNER,
        args: ['--db', db],
        onStderr: (text) => {
          stderr += text;
        },
      });
    },
    restart: { initialDelayMs: 50, maxDelayMs: 200, ...restart },
    onStatus: (s) => statuses.push(s),
  });
  supervisors.push(supervisor);
  return { supervisor, statuses, spawns: () => spawns, stderr: () => stderr };
}

async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  for (const t0 = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('RunnerSupervisor with the real runner process', () => {
  it('relays calls: health and runs.list', async () => {
    const db = join(dir, 'round-trip.db');
    const { supervisor } = supervise(db);
    supervisor.start();
    const health = await supervisor.call('health', {});
    expect(health).toMatchObject({ ok: true, value: { apiVersion: 1, database: db } });
    expect(await supervisor.call('runs.list', {})).toEqual({ ok: true, value: [] });
    expect(await supervisor.call('sweeps.get', { sweepId: 99 })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  });

  it('survives SIGKILL: the pending call fails as internal, a new runner answers the next, events keep coming', async () => {
    const db = join(dir, 'killed.db');
    const { supervisor, statuses } = supervise(db);
    const events: { event: string; data: unknown }[] = [];
    supervisor.onEvent((event, data) => events.push({ event, data }));
    supervisor.start();
    expect((await supervisor.call('health', {})).ok).toBe(true);
    const first = supervisor.pid!;

    // Stopped first, so it cannot answer before the kill lands.
    process.kill(first, 'SIGSTOP');
    const pending = supervisor.call('runs.list', {});
    process.kill(first, 'SIGKILL');
    const failed = await pending;
    expect(failed).toMatchObject({ ok: false, error: { code: 'internal' } });
    if (!failed.ok)
      expect(failed.error.message).toMatch(/runs\.list: the runner process was killed by SIGKILL/);
    expect(await goneWithin(first)).toBe(true);

    await until('the restart', () => statuses.at(-1)?.state === 'running' && statuses.at(-1)!.restarts === 1);
    expect(statuses.map((s) => s.state)).toEqual(['running', 'restarting', 'running']);
    const health = await supervisor.call('health', {});
    expect(health).toMatchObject({ ok: true, value: { database: db } });
    expect(supervisor.pid).not.toBe(first);

    // The listener subscribed before the crash hears the new runner's events.
    const started = await supervisor.call('sweeps.start', { yaml: TINY_SPEC, dir });
    expect(started).toMatchObject({ ok: true, value: { resumed: false } });
    const sweepId = started.ok ? (started.value as { sweepId: number }).sweepId : -1;
    await until('the ended event', () => events.some((e) => e.event === 'ended'));
    expect(events.find((e) => e.event === 'ended')!.data).toEqual({
      sweepId,
      cancelled: false,
      done: 1,
      failed: 0,
    });
    expect(events.some((e) => e.event === 'progress')).toBe(true);
  });

  it('gives up after N crashes within the window, saying why', async () => {
    // A folder is not a database: the runner exits with code 1 at start, every time.
    const { supervisor, statuses, spawns } = supervise(dir, { maxCrashes: 3, windowMs: 60_000 });
    supervisor.start();
    await until('the supervisor to give up', () => statuses.at(-1)?.state === 'failed');
    expect(spawns()).toBe(3);
    expect(statuses.at(-1)!.message).toMatch(/exited with code 1: SqliteError: unable to open database file/);
    expect(statuses.at(-1)!.message).toMatch(/3 times within 60 s/);
    const call = await supervisor.call('health', {});
    expect(call).toMatchObject({ ok: false, error: { code: 'internal', message: /not running/ } });
    await new Promise((r) => setTimeout(r, 500));
    expect(spawns()).toBe(3);
  });

  it('reports a Node binary that cannot be started', async () => {
    const channel = forkNodeRunner({ execPath: join(dir, 'no-such-node'), modulePath: RUNNER, args: [] });
    const exit = await new Promise((resolve) => channel.onExit(resolve));
    expect(exit).toEqual({ code: null, signal: null, detail: expect.stringMatching(/no-such-node.*ENOENT/) });
    expect(() => channel.send({ id: 1, op: 'health' })).toThrow(/closed/);
    expect(() => channel.kill('SIGTERM')).not.toThrow();
  });

  it('shuts down cleanly and leaves no process behind', async () => {
    const db = join(dir, 'shutdown.db');
    const { supervisor, statuses } = supervise(db);
    supervisor.start();
    expect((await supervisor.call('health', {})).ok).toBe(true);
    const pid = supervisor.pid!;
    expect(alive(pid)).toBe(true);
    const t0 = Date.now();
    await supervisor.shutdown();
    expect(Date.now() - t0).toBeLessThan(5000); // SIGTERM sufficed, no SIGKILL needed
    expect(await goneWithin(pid, 2000)).toBe(true);
    expect(statuses.at(-1)).toMatchObject({ state: 'stopped' });
    expect(supervisor.pid).toBeUndefined();
  });
});
