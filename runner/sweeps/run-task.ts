import { performance } from 'node:perf_hooks';
import type { EngineProgress } from '../engine/engine-progress.js';
import { simulateCluster } from '../engine/cluster-engine.js';
import { simulate, type EngineConfig, type EngineOutput } from '../engine/replica-engine.js';
import type { TokenModel } from '../engine/token-model.js';
import type { PromptType } from '../fluid/prompt-type.js';
import type { Machine } from '../machines/machine.js';
import type { ResolvedMachineRef } from '../machines/machine-ref.js';
import { resolveMachine } from '../machines/resolve-machine.js';
import type { WorkerMachineRef } from '../machines/worker-machine-ref.js';
import { runResultOf, type RunResult } from '../metrics/run-result.js';
import { clusterOf } from '../schedulers/cluster-fields.js';
import { createScheduler, type PolicySpec } from '../schedulers/policy-spec.js';
import { prefixCachingOf } from '../schedulers/prefix-caching.js';
import type { SchedulerContext } from '../schedulers/scheduler-context.js';
import type { RequestList } from '../workloads/request-list.js';
import type { Slo } from '../workloads/slo-spec.js';
import { throttledRunProgress } from './run-progress.js';
import { threadCpuSeconds } from './thread-cpu-time.js';

/** Everything one run needs; plain data, so it crosses to a worker thread by structured clone. */
export interface RunTask {
  runId: number;
  requests: RequestList;
  /** The machine (plain data); a worker reference only for GPU-worker runs, which executeRun refuses. */
  machine: ResolvedMachineRef | WorkerMachineRef;
  policy: PolicySpec;
  tokenModel: TokenModel;
  /** Time horizon, seconds, or null for none. */
  horizonS: number | null;
  /** The workload's mean arrival rate, req/s. */
  rateRps: number;
  /** A typed workload's types (typeIndex order), else null. */
  declaredTypes: PromptType[] | null;
  seed: number;
  /** The run's SLO, seconds (the workload's own, else the spec's), or null for none: goodput metrics. */
  slo: Slo | null;
  /**
   * Requests of the (workload, seed) list left out of `requests` because they can never fit in the
   * KV cache under this policy (`oversize: skip`); 0 otherwise. Reported as the `rejected` metric.
   */
  rejected: number;
}

/** The SchedulerContext of a run task on its resolved machine. */
export function schedulerContextOf(task: RunTask, machine: Machine): SchedulerContext {
  return {
    requests: task.requests,
    rateRps: task.rateRps,
    declaredTypes: task.declaredTypes,
    machine: {
      kvCapacityBlocks: machine.kvCapacityBlocks,
      blockSize: machine.blockSize,
      d0: machine.linear.d0,
      d1: machine.linear.d1,
      d2: machine.linear.d2 ?? 0,
    },
    tokenModel: task.tokenModel,
    seed: task.seed,
  };
}

/**
 * Simulates one run and computes its metrics and its stability verdict (assessStability with
 * the default settings; arrivals after the end of a run stopped by a horizon are left out). The
 * simulation is timed in wall seconds (`sim_wall_s`) and in CPU seconds of the calling thread
 * (`sim_cpu_s`, threadCpuSeconds; null where the platform has no per-thread CPU clock).
 * Pure: no I/O, so it runs in the CLI's process or in a worker thread alike.
 * @param onProgress receives the run's live progress, about 4 times per second of wall time at
 *   most (throttledRunProgress); the result is the same with or without it
 * @throws PolicyViolationError when the policy breaks an engine rule; InputError for an
 *   infeasible workload (already excluded by planSweep); whatever `onProgress` throws
 */
export function executeRun(task: RunTask, onProgress?: (p: EngineProgress) => void): RunResult {
  if (typeof task.machine === 'object' && 'worker' in task.machine) {
    throw new Error(`run ${task.runId} executes on GPU worker ${task.machine.worker}, not in the simulator`);
  }
  const machine = resolveMachine(task.machine);
  const cpuStarted = threadCpuSeconds();
  const started = performance.now();
  const output = simulateTask(task, machine, onProgress);
  const wall = (performance.now() - started) / 1000;
  const cpuEnded = threadCpuSeconds();
  const cpu = cpuStarted === null || cpuEnded === null ? null : cpuEnded - cpuStarted;
  return runResultOf(output, wall, undefined, { slo: task.slo, rejected: task.rejected, simCpuS: cpu });
}

/**
 * The simulation of a run task on its resolved machine alone: the policy's scheduler and the
 * engine (simulate), caching prefixes when the policy does (prefixCachingOf), without metrics.
 * A policy entry with `replicas` N > 1 runs a cluster (simulateCluster): N schedulers of the
 * policy, each told the rate a replica sees under perfect balance (rateRps / N), behind the
 * entry's router (clusterOf), seeded with the run's seed; its output is a ClusterOutput. A list
 * with multi-turn sessions (RequestList.sessions: turns released as earlier ones finish) runs on
 * simulateCluster too, with one replica if the entry has one (its output then a single replica's).
 * executeRun times this call; the benchmarks time it too.
 *
 * @param onProgress receives the run's live progress (throttledRunProgress), when given
 * @throws PolicyViolationError when the policy breaks an engine rule
 */
export function simulateTask(
  task: RunTask,
  machine: Machine,
  onProgress?: (p: EngineProgress) => void,
): EngineOutput {
  const config: EngineConfig = {
    kvCapacityBlocks: machine.kvCapacityBlocks,
    blockSize: machine.blockSize,
    iterationTime: machine.iterationTime,
    tokenModel: task.tokenModel,
    horizonS: task.horizonS ?? undefined,
    prefixCaching: prefixCachingOf(task.policy),
    progress: onProgress ? throttledRunProgress(onProgress) : undefined,
  };
  const { replicas, routing } = clusterOf(task.policy);
  if (replicas === 1 && task.requests.sessions === undefined) {
    return simulate(task.requests, config, createScheduler(task.policy, schedulerContextOf(task, machine)));
  }
  const context = { ...schedulerContextOf(task, machine), rateRps: task.rateRps / replicas };
  const schedulers = Array.from({ length: replicas }, () => createScheduler(task.policy, context));
  const output = simulateCluster(task.requests, config, schedulers, { routing, seed: task.seed });
  if (replicas === 1) {
    // Multi-turn sessions on one replica: the records are a single replica's.
    const { replicaOf: _o, replicas: _r, ...single } = output;
    return single;
  }
  // Each request's replica is stored with its records (the `replica` column).
  return { ...output, records: { ...output.records, replica: output.replicaOf } };
}
