/**
 * Worker-thread entry for parallel sweeps (piscina loads the compiled `run-worker.js`).
 * The thread simulates and encodes the result for the store (encodeRunResult); the main thread
 * owns SQLite and stores each result.
 */
import type { MessagePort } from 'node:worker_threads';
import { encodeRunResult, type EncodedRunResult } from '../store/encoded-run-result.js';
import { executeRun, type RunTask } from './run-task.js';

/** What the main thread sends a worker thread for one run. */
export interface WorkerTask {
  task: RunTask;
  /**
   * Where the run's live progress goes (EngineProgress messages, about 4 per second at most; see
   * executeRun), when the main thread wants it: one end of a MessageChannel, moved to the worker
   * in piscina's transferList. Closed when the run ends.
   */
  progress?: MessagePort;
}

/**
 * The last message on a run's progress port: every progress report of the run was posted before
 * it, so the main thread waits for it before it uses the result (the final report, finished =
 * total, is then always delivered; the port's own `close` event does not reach the main thread
 * through piscina's transfer).
 */
export const PROGRESS_END = 'end';

/**
 * Simulates one run and encodes its result for the store (encodeRunResult: the checks and the
 * column encoding that would otherwise hold the main thread). The encoded columns are a few
 * hundred kilobytes per 10,000 requests, so they are copied back (structured clone) rather than
 * moved: moving needs piscina's `move`, and importing piscina inside its own worker thread can
 * make Node reject the module graph ("imported again after being required").
 *
 * @returns the EncodedRunResult
 * @throws Error naming the run when the simulation fails or its result breaks a store rule
 */
export default function runInWorker({ task, progress }: WorkerTask): EncodedRunResult {
  try {
    const result = executeRun(task, progress ? (p) => progress.postMessage(p) : undefined);
    return encodeRunResult(result, `run ${task.runId}`);
  } finally {
    progress?.postMessage(PROGRESS_END);
    progress?.close();
  }
}
