import type { ExecuteOptions } from './sweep-executor.js';

/**
 * A run gate (executeSweep's `runGate`) that holds every run after it has simulated and before its
 * result is stored, until {@link HeldRunsGate.release}; from then on runs pass at once. A held run
 * still counts as running and keeps its last live progress (throughput, queue), so a sweep stays
 * visibly in progress for exactly as long as the caller wants; cancelling or stopping the sweep
 * rejects the held runs, which go back to the queue with nothing stored.
 *
 * `schedbench serve` installs one when the environment has SCHEDBENCH_HOLD_RUNS=1 and releases it
 * on SIGUSR2: the browser tests use it to look at a running sweep without racing it.
 */
export class HeldRunsGate {
  private released = false;
  private readonly held = new Set<() => void>();

  /** The gate to pass as `runGate`: resolves on release, rejects once `signal` aborts. */
  readonly gate: NonNullable<ExecuteOptions['runGate']> = (_runId, signal) => {
    if (this.released) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const pass = (): void => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        this.held.delete(pass);
        reject(signal?.reason ?? new Error('run cancelled while held'));
      };
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.held.add(pass);
    });
  };

  /** Runs held now. */
  get size(): number {
    return this.held.size;
  }

  /** Lets every held run go on, and every later one pass without stopping. */
  release(): void {
    this.released = true;
    for (const pass of this.held) pass();
    this.held.clear();
  }
}
