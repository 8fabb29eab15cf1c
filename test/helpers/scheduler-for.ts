import type { TokenModel } from '../../runner/engine/token-model.js';
import type { PromptType } from '../../runner/fluid/prompt-type.js';
import type { Scheduler } from '../../runner/engine/scheduler.js';
import { createScheduler, PolicySpecSchema } from '../../runner/schedulers/policy-spec.js';
import type { SchedulerContext } from '../../runner/schedulers/scheduler-context.js';
import type { RequestList } from '../../runner/workloads/request-list.js';

/** Options of a test run's scheduler context (defaults: d0 = 1, d1 = 0, 1 req/s, vllm tokens, seed 1). */
export interface TestContext {
  kvCapacityBlocks: number;
  blockSize: number;
  d0?: number;
  d1?: number;
  tokenModel?: TokenModel;
  rateRps?: number;
  declaredTypes?: PromptType[] | null;
  seed?: number;
}

/** The SchedulerContext of a test run. */
export function contextFor(requests: RequestList, o: TestContext): SchedulerContext {
  return {
    requests,
    rateRps: o.rateRps ?? 1,
    declaredTypes: o.declaredTypes ?? null,
    machine: { kvCapacityBlocks: o.kvCapacityBlocks, blockSize: o.blockSize, d0: o.d0 ?? 1, d1: o.d1 ?? 0 },
    tokenModel: o.tokenModel ?? 'vllm',
    seed: o.seed ?? 1,
  };
}

/** Validates a raw policy entry (defaults filled in) and creates its scheduler for a test run. */
export function schedulerFor(policy: object, requests: RequestList, o: TestContext): Scheduler {
  return createScheduler(PolicySpecSchema.parse(policy), contextFor(requests, o));
}
