import { describe, expect, it } from 'vitest';
import type { RunnerStatus } from '../../../electron/desktop-bridge.js';
import {
  describeExit,
  RunnerSupervisor,
  type RunnerChannel,
  type RunnerExit,
  type SupervisorClock,
} from '../../../electron/runner-supervisor.js';
import type { ApiRequestMessage } from '../../../runner/api/message-server.js';

/** A runner that answers only when told to. */
class FakeRunner implements RunnerChannel {
  static nextPid = 1000;
  readonly pid = FakeRunner.nextPid++;
  readonly sent: ApiRequestMessage[] = [];
  readonly signals: string[] = [];
  private readonly messageListeners: ((m: unknown) => void)[] = [];
  private readonly exitListeners: ((e: RunnerExit) => void)[] = [];
  private dead = false;

  constructor(private readonly stopsOn: readonly string[] = ['SIGTERM', 'SIGKILL']) {}

  send(message: ApiRequestMessage): void {
    if (this.dead) throw new Error('channel closed');
    this.sent.push(message);
  }
  onMessage(listener: (m: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: (e: RunnerExit) => void): void {
    this.exitListeners.push(listener);
  }
  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
    if (this.stopsOn.includes(signal))
      this.exit({ code: signal === 'SIGTERM' ? 0 : null, signal: signal === 'SIGKILL' ? signal : null });
  }
  message(m: unknown): void {
    for (const l of this.messageListeners) l(m);
  }
  reply(index: number, result: unknown): void {
    this.message({ id: this.sent[index]!.id, result });
  }
  exit(e: RunnerExit): void {
    if (this.dead) return;
    this.dead = true;
    for (const l of this.exitListeners) l(e);
  }
}

/** Timers run only when the test advances the clock. */
class ManualClock implements SupervisorClock {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void; ms: number }>();
  private nextHandle = 1;
  readonly delays: number[] = [];
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, fn, ms });
    this.delays.push(ms);
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Runs every timer due within `ms`. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = until;
  }
  get pending(): number {
    return this.timers.size;
  }
}

function setup(options: { stopsOn?: string[]; maxCrashes?: number; windowMs?: number } = {}) {
  const runners: FakeRunner[] = [];
  const statuses: RunnerStatus[] = [];
  const clock = new ManualClock();
  const supervisor = new RunnerSupervisor({
    spawn: () => {
      const r = new FakeRunner(options.stopsOn);
      runners.push(r);
      return r;
    },
    restart: {
      initialDelayMs: 500,
      maxDelayMs: 3000,
      maxCrashes: options.maxCrashes ?? 5,
      windowMs: options.windowMs ?? 60_000,
    },
    shutdownGraceMs: 5000,
    onStatus: (s) => statuses.push(s),
    clock,
  });
  return { supervisor, runners, statuses, clock, last: () => runners[runners.length - 1]! };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RunnerSupervisor (fake runner)', () => {
  it('correlates replies by id, whatever their order', async () => {
    const { supervisor, last } = setup();
    supervisor.start();
    const a = supervisor.call('health', {});
    const b = supervisor.call('runs.list', {});
    expect(last().sent.map((m) => m.op)).toEqual(['health', 'runs.list']);
    expect(new Set(last().sent.map((m) => m.id)).size).toBe(2);
    last().reply(1, { ok: true, value: ['runs'] });
    last().reply(0, { ok: false, error: { code: 'not-found', message: 'no' } });
    expect(await a).toEqual({ ok: false, error: { code: 'not-found', message: 'no' } });
    expect(await b).toEqual({ ok: true, value: ['runs'] });
  });

  it('queues calls made before start, and turns a malformed reply into an internal error', async () => {
    const { supervisor, last } = setup();
    const early = supervisor.call('health', {});
    supervisor.start();
    expect(last().sent).toHaveLength(1);
    last().reply(0, { nonsense: true });
    expect(await early).toMatchObject({ ok: false, error: { code: 'internal', message: /malformed/ } });
  });

  it('forwards events, across restarts, to every listener until it unsubscribes', () => {
    const { supervisor, last, clock } = setup();
    const seen: string[] = [];
    const unsubscribe = supervisor.onEvent((event, data) => seen.push(`${event}:${JSON.stringify(data)}`));
    supervisor.onEvent(() => {
      throw new Error('a broken listener');
    });
    supervisor.start();
    last().message({ event: 'progress', data: { sweepId: 1 } });
    last().exit({ code: 1, signal: null });
    clock.advance(500);
    last().message({ event: 'ended', data: { sweepId: 1 } });
    unsubscribe();
    last().message({ event: 'ended', data: { sweepId: 2 } });
    expect(seen).toEqual(['progress:{"sweepId":1}', 'ended:{"sweepId":1}']);
  });

  it('answers pending calls with an internal error when the runner dies, never re-sending them', async () => {
    const { supervisor, runners, clock, statuses } = setup();
    supervisor.start();
    const pending = supervisor.call('sweeps.start', { yaml: 'x' });
    runners[0]!.exit({ code: null, signal: 'SIGKILL' });
    const result = await pending;
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    if (!result.ok)
      expect(result.error.message).toMatch(/sweeps\.start: the runner process was killed by SIGKILL/);
    expect(statuses.at(-1)).toMatchObject({ state: 'restarting' });
    // Calls made while it restarts wait for the new process.
    const waiting = supervisor.call('health', {});
    clock.advance(499);
    expect(runners).toHaveLength(1);
    clock.advance(1);
    expect(runners).toHaveLength(2);
    expect(runners[1]!.sent.map((m) => m.op)).toEqual(['health']); // not sweeps.start again
    runners[1]!.reply(0, { ok: true, value: 'fine' });
    expect(await waiting).toEqual({ ok: true, value: 'fine' });
    expect(statuses.at(-1)).toMatchObject({ state: 'running', restarts: 1 });
    // A reply from the dead process is ignored.
    runners[0]!.message({ id: runners[0]!.sent[0]!.id, result: { ok: true, value: 'late' } });
  });

  it('backs off exponentially (capped) and gives up after maxCrashes within the window', async () => {
    const { supervisor, runners, clock, statuses } = setup({ maxCrashes: 5 });
    supervisor.start();
    for (let i = 0; i < 4; i++) {
      runners.at(-1)!.exit({ code: 1, signal: null, detail: 'SqliteError: unable to open database file' });
      clock.advance(10_000);
    }
    expect(clock.delays).toEqual([500, 1000, 2000, 3000]);
    expect(runners).toHaveLength(5);
    const queuedBeforeFailure = supervisor.call('health', {});
    runners.at(-1)!.exit({ code: 1, signal: null, detail: 'SqliteError: unable to open database file' });
    expect(await queuedBeforeFailure).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(statuses.at(-1)).toMatchObject({ state: 'failed' });
    expect(statuses.at(-1)!.message).toMatch(/exited with code 1: SqliteError.*5 times within 60 s/s);
    expect(clock.pending).toBe(0);
    expect(runners).toHaveLength(5);
    const after = await supervisor.call('health', {});
    expect(after).toMatchObject({ ok: false, error: { code: 'internal', message: /not running/ } });
    // The user asks to try again: a fresh runner, a fresh crash budget.
    supervisor.restartNow();
    expect(runners).toHaveLength(6);
    expect(statuses.at(-1)).toMatchObject({ state: 'running' });
  });

  it('forgets crashes older than the window', () => {
    const { supervisor, runners, clock, statuses } = setup({ maxCrashes: 3, windowMs: 10_000 });
    supervisor.start();
    for (let i = 0; i < 6; i++) {
      runners.at(-1)!.exit({ code: 1, signal: null });
      clock.advance(20_000); // each crash is alone in its window
    }
    expect(statuses.some((s) => s.state === 'failed')).toBe(false);
    expect(runners).toHaveLength(7);
    expect(clock.delays.every((d) => d === 500)).toBe(true);
  });

  it('counts a spawn that throws as a crash', () => {
    const statuses: RunnerStatus[] = [];
    const clock = new ManualClock();
    const supervisor = new RunnerSupervisor({
      spawn: () => {
        throw new Error('spawn node ENOENT');
      },
      restart: { maxCrashes: 2 },
      onStatus: (s) => statuses.push(s),
      clock,
    });
    supervisor.start();
    expect(statuses.at(-1)).toMatchObject({
      state: 'restarting',
      message: /could not start: spawn node ENOENT/,
    });
    clock.advance(1000);
    expect(statuses.at(-1)).toMatchObject({ state: 'failed' });
  });

  it('shuts down with SIGTERM, escalating to SIGKILL after the grace period', async () => {
    const { supervisor, runners, clock, statuses } = setup({ stopsOn: ['SIGKILL'] });
    supervisor.start();
    const pending = supervisor.call('health', {});
    const done = supervisor.shutdown();
    expect(supervisor.shutdown()).toBe(done);
    expect(runners[0]!.signals).toEqual(['SIGTERM']);
    clock.advance(4999);
    expect(runners[0]!.signals).toEqual(['SIGTERM']);
    clock.advance(1);
    expect(runners[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    await done;
    expect(await pending).toMatchObject({ ok: false, error: { code: 'internal', message: /stopped/ } });
    expect(statuses.at(-1)).toMatchObject({ state: 'stopped' });
    expect(await supervisor.call('health', {})).toMatchObject({ ok: false, error: { message: /closing/ } });
    expect(runners).toHaveLength(1); // no restart after a requested stop
    await flush();
    expect(clock.pending).toBe(0);
  });

  it('shuts down during a restart delay without starting a new runner', async () => {
    const { supervisor, runners, clock } = setup();
    supervisor.start();
    runners[0]!.exit({ code: 1, signal: null });
    const queued = supervisor.call('health', {});
    await supervisor.shutdown();
    expect(await queued).toMatchObject({ ok: false, error: { code: 'internal' } });
    clock.advance(60_000);
    expect(runners).toHaveLength(1);
  });

  it('describes exits', () => {
    expect(describeExit({ code: 1, signal: null })).toBe('exited with code 1');
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('was killed by SIGKILL');
    expect(describeExit({ code: null, signal: null, detail: 'spawn x ENOENT' })).toBe(
      'could not start: spawn x ENOENT',
    );
  });
});
