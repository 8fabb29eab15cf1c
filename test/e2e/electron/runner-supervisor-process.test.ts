import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunnerStatus } from '../../../electron/desktop-bridge.js';
import { forkNodeRunner } from '../../../electron/node-runner-channel.js';
import {
  RunnerSupervisor,
  type RestartPolicy,
  type SupervisorClock,
} from '../../../electron/runner-supervisor.js';
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

/**
 * The supervisor's timers (SupervisorClock) on the real clock, keeping the ones still pending:
 * when none is, the supervisor has nothing left that could restart or kill a runner.
 */
class TrackingClock implements SupervisorClock {
  private readonly live = new Set<ReturnType<typeof setTimeout>>();
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.add(handle);
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.live.delete(handle as ReturnType<typeof setTimeout>);
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
  /** Timers set and neither fired nor cleared yet. */
  get pending(): number {
    return this.live.size;
  }
}

/**
 * Values pushed by a callback, and promises of the first one that satisfies a predicate (already
 * pushed, or the next to come): waiting on the event itself, never on a sleep.
 */
class Recorded<T> {
  readonly values: T[] = [];
  private readonly waiters: { predicate: (v: T) => boolean; resolve: (v: T) => void }[] = [];

  push = (value: T): void => {
    this.values.push(value);
    for (const w of [...this.waiters]) {
      if (!w.predicate(value)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(value);
    }
  };

  /** The first value satisfying `predicate`; rejects after 20 s (a hang, not a timing assertion). */
  first(what: string, predicate: (v: T) => boolean): Promise<T> {
    const seen = this.values.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
      this.waiters.push({
        predicate,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      });
    });
  }
}

function supervise(db: string, restart: Partial<RestartPolicy> = {}) {
  expect(existsSync(RUNNER), `${RUNNER} is missing: run npm run build`).toBe(true);
  const statuses = new Recorded<RunnerStatus>();
  const clock = new TrackingClock();
  /** Signals the supervisor sent to its runners, in order. */
  const signals: string[] = [];
  let spawns = 0;
  let stderr = '';
  const supervisor = new RunnerSupervisor({
    spawn: () => {
      spawns += 1;
      const channel = forkNodeRunner({
        execPath: process.execPath,
        modulePath: RUNNER,
        args: ['--db', db],
        onStderr: (text) => {
          stderr += text;
        },
      });
      const kill = channel.kill.bind(channel);
      channel.kill = (signal) => {
        signals.push(signal);
        kill(signal);
      };
      return channel;
    },
    restart: { initialDelayMs: 50, maxDelayMs: 200, ...restart },
    onStatus: statuses.push,
    clock,
  });
  supervisors.push(supervisor);
  return { supervisor, statuses, clock, signals, spawns: () => spawns, stderr: () => stderr };
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
    const events = new Recorded<{ event: string; data: unknown }>();
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

    await statuses.first('the restart', (s) => s.state === 'running' && s.restarts === 1);
    expect(statuses.values.map((s) => s.state)).toEqual(['running', 'restarting', 'running']);
    const health = await supervisor.call('health', {});
    expect(health).toMatchObject({ ok: true, value: { database: db } });
    expect(supervisor.pid).not.toBe(first);

    // The listener subscribed before the crash hears the new runner's events.
    const started = await supervisor.call('sweeps.start', { yaml: TINY_SPEC, dir });
    expect(started).toMatchObject({ ok: true, value: { resumed: false } });
    const sweepId = started.ok ? (started.value as { sweepId: number }).sweepId : -1;
    const ended = await events.first('the ended event', (e) => e.event === 'ended');
    expect(ended.data).toEqual({
      sweepId,
      cancelled: false,
      done: 1,
      failed: 0,
    });
    expect(events.values.some((e) => e.event === 'progress')).toBe(true);
  });

  it('gives up after N crashes within the window, saying why', async () => {
    // A folder is not a database: the runner exits with code 1 at start, every time.
    const { supervisor, statuses, clock, spawns } = supervise(dir, { maxCrashes: 3, windowMs: 60_000 });
    supervisor.start();
    const failed = await statuses.first('the supervisor to give up', (s) => s.state === 'failed');
    expect(spawns()).toBe(3);
    expect(failed.message).toMatch(/exited with code 1: InputError: .* is a directory, not a database file/);
    expect(failed.message).toMatch(/3 times within 60 s/);
    const call = await supervisor.call('health', {});
    expect(call).toMatchObject({ ok: false, error: { code: 'internal', message: /not running/ } });
    // No timer is left that could restart it: it stays at 3 starts until restartNow().
    expect(clock.pending).toBe(0);
    expect(spawns()).toBe(3);
    expect(statuses.values.at(-1)).toBe(failed);
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
    const { supervisor, statuses, clock, signals } = supervise(db);
    supervisor.start();
    expect((await supervisor.call('health', {})).ok).toBe(true);
    const pid = supervisor.pid!;
    expect(alive(pid)).toBe(true);
    await supervisor.shutdown();
    // SIGTERM sufficed: the SIGKILL timer was cleared when the runner exited, never fired.
    expect(signals).toEqual(['SIGTERM']);
    expect(clock.pending).toBe(0);
    expect(await goneWithin(pid)).toBe(true);
    expect(statuses.values.at(-1)).toMatchObject({ state: 'stopped' });
    expect(supervisor.pid).toBeUndefined();
  });
});
