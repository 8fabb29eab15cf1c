/**
 * Worker-thread entry for parallel sweeps (piscina loads the compiled `run-worker.js`).
 * The thread only simulates; the main thread owns SQLite and stores each result.
 */
import type { RunResult } from '../engine/run-result.js';
import { executeRun, type RunTask } from './run-task.js';

export default function runInWorker(task: RunTask): RunResult {
  return executeRun(task);
}
