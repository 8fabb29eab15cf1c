/**
 * A gate for the runs of a sweep (executeSweep's and SweepManager's `runGate` option): each run
 * that finished simulating waits at the gate until the test releases it, so a test decides which
 * runs are done and which are still running when it cancels, instead of racing the simulation.
 * A held run whose sweep is cancelled leaves the gate with the abort's reason (the run is then
 * queued again, its result dropped).
 */
export class RunGate {
  private readonly waiting = new Map<number, () => void>();
  private readonly listeners = new Set<() => void>();
  private opened = false;

  /** The `runGate` option: resolves when the run is released (at once once the gate is open). */
  readonly gate = (runId: number, signal: AbortSignal | undefined): Promise<void> => {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiting.delete(runId);
        reject(signal!.reason);
        this.changed();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(runId, () => {
        signal?.removeEventListener('abort', onAbort);
        this.waiting.delete(runId);
        resolve();
        this.changed();
      });
      this.changed();
    });
  };

  /** Ids of the runs waiting at the gate now, in the order they arrived. */
  held(): number[] {
    return [...this.waiting.keys()];
  }

  /** Lets run `runId` go on (it is stored as done). @throws Error when it is not waiting */
  release(runId: number): void {
    const go = this.waiting.get(runId);
    if (!go) throw new Error(`run ${runId} is not waiting at the gate (waiting: ${this.held().join(', ')})`);
    go();
  }

  /** Releases every waiting run and lets every later run through without stopping. */
  open(): void {
    this.opened = true;
    for (const go of [...this.waiting.values()]) go();
  }

  /** Calls `listener` after each change (a run arrived, was released or was cancelled); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
