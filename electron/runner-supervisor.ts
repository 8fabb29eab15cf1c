import type { ApiErrorOut } from '../runner/api/api-contract.js';
import type { ApiRequestMessage } from '../runner/api/message-server.js';
import type { ApiResult, RunnerStatus } from './desktop-bridge.js';

/**
 * Keeps the runner process (runner/api/runner-process.ts) alive for the desktop app and relays
 * the API to it (docs/architecture.md: electron main ↔ runner over a message channel, the
 * protocol of runner/api/message-server.ts: `{id, op, input}` → `{id, result}`, pushed
 * `{event, data}`).
 *
 * - Requests get ids from one counter that never restarts, so a reply always finds its call.
 * - When the runner dies, every call it had not answered resolves with an `internal`
 *   ApiErrorOut saying so; it is never re-sent (`sweeps.start` twice would start two sweeps).
 * - It is restarted after a delay that doubles with each crash in the window (capped); calls
 *   made meanwhile wait for the new process. After `maxCrashes` crashes within `windowMs` it
 *   gives up, reports `failed`, and answers calls with an `internal` error until `restartNow`.
 * - Event listeners belong to the supervisor, not to one process: a restarted runner pushes
 *   its events from the start (message-server.ts subscribes on start), so subscribers keep
 *   receiving across restarts.
 * - `shutdown` sends SIGTERM (the runner cancels its sweeps, putting running runs back in the
 *   queue, and closes the database), then SIGKILL after a grace period.
 *
 * The process is reached through {@link RunnerChannel}, made by an injected spawn function:
 * a Node child process (node-runner-channel.ts) in development and tests, Electron's
 * utilityProcess (utility-runner-channel.ts) in the packaged app.
 */

/** How a runner process ended. */
export interface RunnerExit {
  code: number | null;
  signal: string | null;
  /** The end of its standard error, or why it could not start. */
  detail?: string;
}

/** The supervisor's view of one runner process. */
export interface RunnerChannel {
  /** Its process id, once started. */
  readonly pid: number | undefined;
  /** Sends one request. @throws Error when the channel is closed */
  send(message: ApiRequestMessage): void;
  /** Every message the runner sends (replies and events). */
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, when the process has ended (or failed to start). */
  onExit(listener: (exit: RunnerExit) => void): void;
  /** Signals the process (SIGTERM: stop cleanly; SIGKILL: now). */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Starts a runner process. May throw (then it counts as a crash). */
export type SpawnRunner = () => RunnerChannel;

/** When to restart a crashed runner. */
export interface RestartPolicy {
  /** Delay before the first restart, ms; doubles with each crash in the window. */
  initialDelayMs: number;
  /** Longest delay, ms. */
  maxDelayMs: number;
  /** Crashes within `windowMs` after which the supervisor gives up. */
  maxCrashes: number;
  windowMs: number;
}

/** Defaults: 0.5 s, 1 s, 2 s, 4 s; the 5th crash within a minute stops the restarts. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

/** Timers and time, injectable for tests. */
export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const SYSTEM_CLOCK: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@link RunnerSupervisor}. */
export interface RunnerSupervisorOptions {
  spawn: SpawnRunner;
  restart?: Partial<RestartPolicy>;
  /** How long `shutdown` waits after SIGTERM before SIGKILL, ms (default 5000). */
  shutdownGraceMs?: number;
  /** Told every state change (main.ts forwards it to the window and logs it). */
  onStatus?: (status: RunnerStatus) => void;
  clock?: SupervisorClock;
}

interface Pending {
  op: string;
  resolve: (result: ApiResult) => void;
}

interface Queued extends Pending {
  input: unknown;
}

type State = 'idle' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';

function internal(message: string): ApiResult {
  return { ok: false, error: { code: 'internal', message } };
}

/** A human description of an exit: `exited with code 1`, `was killed by SIGKILL`. */
export function describeExit(exit: RunnerExit): string {
  const how = exit.signal
    ? `was killed by ${exit.signal}`
    : exit.code === null
      ? 'could not start'
      : `exited with code ${exit.code}`;
  return exit.detail ? `${how}: ${exit.detail}` : how;
}

/** The runner's `result` as an ApiResult, or an internal error when it is malformed. */
function asApiResult(result: unknown, op: string): ApiResult {
  const r = result as { ok?: unknown; value?: unknown; error?: Partial<ApiErrorOut> } | null;
  if (r && r.ok === true) return { ok: true, value: r.value };
  if (
    r &&
    r.ok === false &&
    r.error &&
    typeof r.error.code === 'string' &&
    typeof r.error.message === 'string'
  ) {
    return { ok: false, error: r.error as ApiErrorOut };
  }
  return internal(`the runner sent a malformed reply to ${op}`);
}

/** See the module comment. */
export class RunnerSupervisor {
  private readonly spawnRunner: SpawnRunner;
  private readonly policy: RestartPolicy;
  private readonly graceMs: number;
  private readonly clock: SupervisorClock;
  private readonly statusListener: ((status: RunnerStatus) => void) | undefined;
  private readonly eventListeners = new Set<(event: string, data: unknown) => void>();
  private readonly pending = new Map<number, Pending>();
  private queue: Queued[] = [];
  private child: RunnerChannel | null = null;
  private state: State = 'idle';
  private nextId = 1;
  private crashTimes: number[] = [];
  private restartCount = 0;
  private restartTimer: unknown = null;
  private killTimer: unknown = null;
  private stopped: Promise<void> | null = null;
  private resolveStopped: (() => void) | null = null;
  private lastStatus: RunnerStatus = { state: 'stopped', message: 'not started', restarts: 0 };

  constructor(options: RunnerSupervisorOptions) {
    this.spawnRunner = options.spawn;
    this.policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.graceMs = options.shutdownGraceMs ?? 5000;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.statusListener = options.onStatus;
  }

  /** The latest status. */
  get status(): RunnerStatus {
    return this.lastStatus;
  }

  /** The running runner's process id (undefined while none runs). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the runner (calls made before wait for it). Idempotent. */
  start(): void {
    if (this.state !== 'idle') return;
    this.spawnChild('the runner process started');
  }

  /**
   * Runs one operation in the runner.
   * @returns the runner's result; an `internal` error when the runner died before answering,
   *   has given up restarting, or is shutting down. Never rejects.
   */
  call(op: string, input: unknown): Promise<ApiResult> {
    return new Promise((resolve) => {
      switch (this.state) {
        case 'idle':
        case 'restarting':
          this.queue.push({ op, input, resolve });
          return;
        case 'failed':
          resolve(internal(`${op}: the runner process is not running (${this.lastStatus.message})`));
          return;
        case 'stopping':
        case 'stopped':
          resolve(internal(`${op}: the app is closing`));
          return;
        case 'running':
          this.send(op, input, resolve);
      }
    });
  }

  /** Listens to the runner's pushed events, across restarts; returns the unsubscribe function. */
  onEvent(listener: (event: string, data: unknown) => void): () => void {
    this.eventListeners.add(listener);
    return () => {
      this.eventListeners.delete(listener);
    };
  }

  /** After `failed`: forgets the crashes and starts a fresh runner. */
  restartNow(): void {
    if (this.state !== 'failed') return;
    this.crashTimes = [];
    this.restartCount += 1;
    this.spawnChild('the runner process restarted on request');
  }

  /**
   * Stops the runner: SIGTERM, then SIGKILL after the grace period. Calls not yet answered
   * resolve with an `internal` error. Resolves once the process has exited. Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.stopped) return this.stopped;
    const wasState = this.state;
    this.state = 'stopping';
    if (this.restartTimer !== null) {
      this.clock.clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    this.failQueue('the app is closing');
    const child = this.child;
    if (!child) {
      this.state = 'stopped';
      this.report(
        'stopped',
        wasState === 'failed' ? this.lastStatus.message : 'the runner process is stopped',
      );
      this.stopped = Promise.resolve();
      return this.stopped;
    }
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    this.safeKill(child, 'SIGTERM');
    this.killTimer = this.clock.setTimeout(() => {
      this.killTimer = null;
      this.safeKill(child, 'SIGKILL');
    }, this.graceMs);
    return this.stopped;
  }

  private report(state: RunnerStatus['state'], message: string): void {
    this.lastStatus = { state, message, restarts: this.restartCount };
    try {
      this.statusListener?.(this.lastStatus);
    } catch {
      // a listener's failure must not break supervision
    }
  }

  private spawnChild(message: string): void {
    let child: RunnerChannel;
    try {
      child = this.spawnRunner();
    } catch (err) {
      this.child = null;
      this.handleCrash({ code: null, signal: null, detail: (err as Error).message });
      return;
    }
    this.child = child;
    this.state = 'running';
    child.onMessage((m) => this.handleMessage(child, m));
    child.onExit((exit) => this.handleExit(child, exit));
    this.report('running', message);
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) this.send(q.op, q.input, q.resolve);
  }

  private send(op: string, input: unknown, resolve: (result: ApiResult) => void): void {
    const child = this.child;
    if (!child) {
      resolve(internal(`${op}: the runner process is not running`));
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, { op, resolve });
    try {
      child.send({ id, op, input });
    } catch (err) {
      this.pending.delete(id);
      resolve(internal(`${op}: could not reach the runner process (${(err as Error).message})`));
    }
  }

  private handleMessage(child: RunnerChannel, raw: unknown): void {
    if (child !== this.child || raw === null || typeof raw !== 'object') return;
    const message = raw as { id?: unknown; result?: unknown; event?: unknown; data?: unknown };
    if (typeof message.id === 'number') {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      call.resolve(asApiResult(message.result, call.op));
      return;
    }
    if (typeof message.event === 'string') {
      for (const listener of [...this.eventListeners]) {
        try {
          listener(message.event, message.data);
        } catch {
          // one subscriber's failure must not starve the others
        }
      }
    }
  }

  private handleExit(child: RunnerChannel, exit: RunnerExit): void {
    if (child !== this.child) return;
    this.child = null;
    if (this.state === 'stopping') {
      if (this.killTimer !== null) {
        this.clock.clearTimeout(this.killTimer);
        this.killTimer = null;
      }
      this.failPending('the runner process stopped');
      this.state = 'stopped';
      this.report('stopped', 'the runner process is stopped');
      this.resolveStopped?.();
      return;
    }
    this.handleCrash(exit);
  }

  private handleCrash(exit: RunnerExit): void {
    const how = describeExit(exit);
    const now = this.clock.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.policy.windowMs);
    this.crashTimes.push(now);
    const crashes = this.crashTimes.length;
    const giveUp = crashes >= this.policy.maxCrashes;
    this.failPending(`the runner process ${how} before answering${giveUp ? '' : '; it is being restarted'}`);
    if (giveUp) {
      this.state = 'failed';
      const message =
        `the runner process ${how}; it ended ${crashes} times within ` +
        `${Math.round(this.policy.windowMs / 1000)} s, so it is not restarted again`;
      this.failQueue(message);
      this.report('failed', message);
      return;
    }
    const delay = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** (crashes - 1));
    this.state = 'restarting';
    this.report('restarting', `the runner process ${how}; restarting in ${(delay / 1000).toFixed(1)} s`);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = null;
      if (this.state !== 'restarting') return;
      this.restartCount += 1;
      this.spawnChild(
        `the runner process restarted (${this.restartCount} restart${this.restartCount === 1 ? '' : 's'})`,
      );
    }, delay);
  }

  private failPending(message: string): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.resolve(internal(`${call.op}: ${message}`));
  }

  private failQueue(message: string): void {
    const calls = this.queue;
    this.queue = [];
    for (const call of calls) call.resolve(internal(`${call.op}: ${message}`));
  }

  private safeKill(child: RunnerChannel, signal: 'SIGTERM' | 'SIGKILL'): void {
    try {
      child.kill(signal);
    } catch {
      // already gone: its exit is (or was) reported
    }
  }
}
