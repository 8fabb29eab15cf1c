import { HeldRunsGate } from '../../runner/sweeps/held-runs-gate.js';

/**
 * The sweep manager's HeldRunsGate with change listeners, so that a test can wait for a state of
 * the gate (a run arrived, was released or was cancelled) instead of polling or sleeping.
 */
export class RunGate extends HeldRunsGate {
  private readonly listeners: Set<() => void>;

  constructor() {
    const listeners = new Set<() => void>();
    super(() => {
      for (const listener of [...listeners]) listener();
    });
    this.listeners = listeners;
  }

  /** Calls `listener` after each change of the gate; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
