import { performance } from 'node:perf_hooks';
import type { EngineProgress, EngineProgressSink } from '../engine/engine-progress.js';

/** Wall milliseconds between two progress reports a sweep run passes on (about 4 per second). */
export const RUN_PROGRESS_INTERVAL_MS = 250;

/** Iterations between two looks at the wall clock in a simulated run (a few milliseconds of simulation). */
export const SIMULATED_PROGRESS_ITERATIONS = 1024;

/**
 * The engine progress sink of one sweep run: the engine reports every `everyIterations`
 * iterations and once at the end; `report` receives the first of those reports at once, then at
 * most one per RUN_PROGRESS_INTERVAL_MS of wall time (the others are dropped), and always the one
 * that says every request has finished, so a run that has simulated but is not stored yet shows
 * its final state.
 *
 * @param report where the run's progress goes (a callback, or a MessagePort's postMessage from a
 *   worker thread)
 * @param everyIterations iterations between two looks at the wall clock: SIMULATED_PROGRESS_ITERATIONS
 *   for simulated runs, 1 for GPU-in-the-loop runs (each iteration is a real batch)
 */
export function throttledRunProgress(
  report: (p: EngineProgress) => void,
  everyIterations = SIMULATED_PROGRESS_ITERATIONS,
): EngineProgressSink {
  let last = -Infinity;
  return {
    everyIterations,
    report(p) {
      const now = performance.now();
      if (now - last < RUN_PROGRESS_INTERVAL_MS && p.finished < p.total) return;
      last = now;
      report(p);
    },
  };
}
