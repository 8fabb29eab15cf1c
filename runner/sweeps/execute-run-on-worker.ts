import { performance } from 'node:perf_hooks';
import type { EngineProgress } from '../engine/engine-progress.js';
import { simulateOn } from '../engine/replica-engine.js';
import type { Machine } from '../machines/machine.js';
import { runResultOf, type RunResult } from '../metrics/run-result.js';
import { createScheduler } from '../schedulers/policy-spec.js';
import { prefixCachingOf } from '../schedulers/prefix-caching.js';
import { WorkerError } from '../workers/worker-client.js';
import { WorkerIterationExecutor } from '../workers/worker-executor.js';
import type { WorkerSession } from '../workers/worker-session.js';
import { throttledRunProgress } from './run-progress.js';
import { schedulerContextOf, type RunTask } from './run-task.js';

/**
 * The warning of a GPU-worker run whose policy caches prefixes: the worker holds each request's
 * KV cache of its own, so the run computes every prompt token.
 */
export const NO_PREFIX_CACHING =
  'prefix caching is simulated only: this GPU-worker run computed every prompt token (prefixCaching not applied)';

/**
 * Executes one run GPU-in-the-loop: the same engine, policy, metrics and stability
 * verdict as executeRun, with every iteration's batch run on the session's worker
 * (WorkerIterationExecutor) and the clock advanced by the measured time. The result carries the
 * measured iterations. The worker's KV is freed at the end, so the next run starts empty. Prefix
 * caching is not applied on a worker (each request's KV is its own there); a run whose policy
 * caches prefixes carries the NO_PREFIX_CACHING warning.
 *
 * @param machine the plan's resolved worker machine (Machine.worker set)
 * @param onProgress receives the run's live progress, about 4 times per second at most (checked
 *   after every iteration: throttledRunProgress with everyIterations 1)
 * @throws Error with the worker's reason and its stderr tail when the worker dies, times out or
 *   answers out of step (the session then discards that worker); PolicyViolationError as executeRun
 */
export async function executeRunOnWorker(
  task: RunTask,
  machine: Machine,
  session: WorkerSession,
  onProgress?: (p: EngineProgress) => void,
): Promise<RunResult> {
  const run = machine.worker;
  if (!run) throw new Error(`machine ${machine.name} is not a GPU worker`);
  let worker: Awaited<ReturnType<WorkerSession['ready']>>;
  try {
    worker = await session.ready();
  } catch (error) {
    // The worker could not start or load the model: the same prefix as failures during the run.
    throw new Error(
      `GPU worker ${run.machine.name}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const { client, loaded } = worker;
  const executor = new WorkerIterationExecutor(client, task.requests, {
    vocabSize: loaded.config.vocab_size,
    seed: task.seed,
    clock: run.clock,
    stepTimeoutMs: run.stepTimeoutS * 1000,
  });
  const started = performance.now();
  try {
    const output = await simulateOn(
      task.requests,
      {
        kvCapacityBlocks: machine.kvCapacityBlocks,
        blockSize: machine.blockSize,
        tokenModel: task.tokenModel,
        horizonS: task.horizonS ?? undefined,
        progress: onProgress ? throttledRunProgress(onProgress, 1) : undefined,
      },
      createScheduler(task.policy, schedulerContextOf(task, machine)),
      executor,
    );
    await executor.releaseAll();
    const wall = (performance.now() - started) / 1000;
    const result = runResultOf(output, wall, executor.iterations(), {
      slo: task.slo,
      rejected: task.rejected,
    });
    return prefixCachingOf(task.policy)
      ? { ...result, warnings: [...result.warnings, NO_PREFIX_CACHING] }
      : result;
  } catch (error) {
    if (!(error instanceof WorkerError)) {
      // The engine or the policy failed; the worker is fine once it holds nothing.
      await executor.releaseAll().catch(() => session.discard());
      throw error;
    }
    const tail = client.stderrTail();
    await session.discard();
    const message =
      error.kind === 'exit' || !tail ? error.message : `${error.message}; worker stderr tail:\n${tail}`;
    throw new Error(`GPU worker ${run.machine.name}: ${message}`, { cause: error });
  }
}
