import type { WorkerRun } from '../workers/worker-run.js';
import { WorkerSession } from '../workers/worker-session.js';

/** A worker taken from a {@link WorkerPool} until `release()`. */
export interface WorkerReservation {
  session: WorkerSession;
  worker: WorkerRun;
  /** The worker's index in the pool. */
  index: number;
  release(): void;
}

/**
 * The GPU workers of one worker machine of a sweep: one WorkerSession per worker (a pool's
 * `machine: {worker: [gpu1, gpu2]}`, or the one worker), each serving one run at a time. The
 * executor gives the machine as many lanes as it has workers, and each run reserves a free worker
 * here before it starts (its start event names the worker); a run whose worker died is retried
 * once on another (see executeSweep).
 */
export class WorkerPool {
  private readonly sessions: WorkerSession[];
  private readonly free: number[];
  private readonly waiting: { exclude: number | undefined; take: (index: number) => void }[] = [];

  /** @param runs one WorkerRun per worker (Machine.pool, or [Machine.worker]) */
  constructor(readonly runs: readonly WorkerRun[]) {
    this.sessions = runs.map((run) => new WorkerSession(run));
    this.free = runs.map((_, i) => i);
  }

  /** Workers in the pool. */
  get size(): number {
    return this.sessions.length;
  }

  /**
   * Takes a free worker (waiting for one), never worker `exclude` unless it is the only one; the
   * caller gives it back with `release()` (once).
   */
  async reserve(exclude?: number): Promise<WorkerReservation> {
    const index = await this.take(this.size > 1 ? exclude : undefined);
    let released = false;
    return {
      session: this.sessions[index],
      worker: this.runs[index],
      index,
      release: () => {
        if (released) return;
        released = true;
        this.give(index);
      },
    };
  }

  /** Stops every worker (a cancel: their runs fail and are requeued); the next use starts fresh ones. */
  discardAll(): void {
    for (const session of this.sessions) void session.discard();
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.sessions.map((session) => session.close()));
  }

  private take(avoid: number | undefined): Promise<number> {
    const at = this.free.findIndex((i) => i !== avoid);
    if (at !== -1) return Promise.resolve(this.free.splice(at, 1)[0]);
    return new Promise((take) => this.waiting.push({ exclude: avoid, take }));
  }

  private give(index: number): void {
    const at = this.waiting.findIndex((w) => w.exclude !== index);
    if (at === -1) {
      this.free.push(index);
      return;
    }
    const [waiter] = this.waiting.splice(at, 1);
    waiter.take(index);
  }
}
