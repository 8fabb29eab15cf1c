/**
 * The rules the engine enforces on every scheduling decision. A policy that breaks one is a
 * bug in the policy, never a property of the workload.
 */
export type EngineRule =
  | 'kv-capacity' // the decision would use more KV blocks than the machine has
  | 'scheduled-twice' // the request is already in this iteration's batch
  | 'finished-request' // the request has finished and may never run again
  | 'not-arrived' // the request has not arrived yet
  | 'prefill-overrun' // more prompt tokens than remain to prefill, or a non-positive chunk
  | 'decode-before-prefill' // decode requested while prefill is incomplete or KV is absent
  | 'evict-without-kv' // eviction of a request that holds no KV cache
  | 'evict-scheduled' // eviction of a request already in this iteration's batch
  | 'no-progress' // nothing scheduled, requests unfinished, and no arrival left to wait for
  | 'iteration-limit'; // the run exceeded the engine's iteration limit (a livelocked policy)

/**
 * Thrown when a policy's decision breaks an engine rule. The message names the policy, the
 * iteration and the rule, e.g. `policy vllm broke rule kv-capacity at iteration 1234 (t=5.2 s): ...`.
 */
export class PolicyViolationError extends Error {
  override readonly name = 'PolicyViolationError';
  constructor(
    readonly policy: string,
    readonly iteration: number,
    readonly rule: EngineRule,
    detail: string,
    readonly timeS: number,
  ) {
    super(
      `policy ${policy} broke rule ${rule} at iteration ${iteration} (t=${timeS.toFixed(3)} s): ${detail}`,
    );
  }
}
