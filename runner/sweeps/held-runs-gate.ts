import type { ExecuteOptions } from './sweep-executor.js';

/**
 * A run gate (executeSweep's `runGate`) that holds every run after it has simulated and before its
 * result is stored, until it is released one by one ({@link HeldRunsGate.release}) or all at once
 * ({@link HeldRunsGate.open}, after which runs pass without stopping). A held run still counts as
 * running and keeps its last live progress (throughput, queue), so a sweep stays visibly in
 * progress for exactly as long as the caller wants; cancelling or stopping the sweep rejects the
 * held runs with the abort's reason, and they go back to the queue with nothing stored.
 *
 * `schedbench serve` installs one when the environment has SCHEDBENCH_HOLD_RUNS=1 and opens it on
 * SIGUSR2; the sweep manager's tests hold runs with it to decide which are done and which are
 * running when they cancel.
 */
export class HeldRunsGate {
  private readonly waiting = new Map<number, () => void>();
  private opened = false;

  /**
   * @param changed called after each change: a run arrived at the gate, was released, or left it
   *   because its sweep was cancelled
   */
  constructor(private readonly changed: () => void = () => {}) {}

  /** The gate to pass as `runGate`: resolves when the run is released, rejects once `signal` aborts. */
  readonly gate: NonNullable<ExecuteOptions['runGate']> = (runId, signal) => {
    if (this.opened) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const abort = (): void => {
        this.waiting.delete(runId);
        reject(signal?.reason);
        this.changed();
      };
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.set(runId, () => {
        signal?.removeEventListener('abort', abort);
        this.waiting.delete(runId);
        resolve();
        this.changed();
      });
      this.changed();
    });
  };

  /** Ids of the runs held now, in the order they arrived. */
  held(): number[] {
    return [...this.waiting.keys()];
  }

  /** Lets run `runId` go on (it is then stored). @throws Error when it is not held */
  release(runId: number): void {
    const go = this.waiting.get(runId);
    if (!go) throw new Error(`run ${runId} is not held (held: ${this.held().join(', ')})`);
    go();
  }

  /** Releases every held run and lets every later run through without stopping. */
  open(): void {
    this.opened = true;
    for (const go of [...this.waiting.values()]) go();
  }
}
