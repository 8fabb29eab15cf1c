import type { TokenModel } from '../engine/token-model.js';
import type { PromptType } from '../fluid/prompt-type.js';
import type { RequestList } from '../workloads/request-list.js';

/**
 * What a policy may know about its run besides the engine's state: the request list (policies
 * that are clairvoyant by design read types or output lengths from it; the others never do),
 * the machine, and the workload's declared types. Built once per run.
 */
export interface SchedulerContext {
  /** The run's requests, indexed like the engine's ids. */
  requests: RequestList;
  /** The workload's mean arrival rate, requests per second. */
  rateRps: number;
  /** A typed workload's types in typeIndex order; null for other workloads. */
  declaredTypes: PromptType[] | null;
  machine: {
    kvCapacityBlocks: number;
    blockSize: number;
    /**
     * The machine's linear iteration-time model or its linear fit, tau = d0 + d1 (KV tokens) +
     * d2 (prefill tokens): d0 s, d1 s per KV token, d2 s per prefilled prompt token (Machine.linear;
     * absent means 0, the paper's eq. time_consump).
     */
    d0: number;
    d1: number;
    d2?: number;
  };
  tokenModel: TokenModel;
  /** The run's seed, for policies with randomness of their own (MC-SF prediction noise). */
  seed: number;
}
