import type { TokenModel } from './token-model.js';

/**
 * What a scheduling policy may read and decide while it plans one iteration. The engine
 * implements it; every decision is validated on the spot and a broken rule throws a
 * PolicyViolationError naming the policy, the iteration and the rule.
 *
 * Requests are numbered 0..n-1 in arrival order (with multi-turn sessions, in the order of the
 * list's placeholder arrivals: a follow-up turn keeps its session's place, though it is released
 * later, cluster-engine.ts); a read with any other id returns an unspecified
 * number (decisions with one throw a PolicyViolationError). Output lengths are hidden behind
 * `oracleOutputTokens`: only policies that are clairvoyant by design (WAIT's known types, MC-SF's
 * oracle predictions) may call it.
 */
export interface EngineView {
  /** Start time of the iteration being planned, seconds. */
  readonly now: number;
  /** Number of the iteration being planned (1-based). */
  readonly iteration: number;
  /** Tokens per KV block. */
  readonly blockSize: number;
  /** KV capacity of the machine, blocks. */
  readonly kvCapacityBlocks: number;
  /** Token model in force (see TokenModel). */
  readonly tokenModel: TokenModel;
  /** KV blocks in use, including the blocks already reserved for this iteration's batch. */
  usedBlocks(): number;
  /** KV blocks free now: capacity - usedBlocks. */
  freeBlocks(): number;

  /** Arrival time of a request, seconds. */
  arrival(id: number): number;
  /** Prompt tokens of a request. */
  promptTokens(id: number): number;
  /** Tokens the request must (re)prefill: its prompt, plus produced tokens after a recompute eviction. */
  prefillTarget(id: number): number;
  /** Tokens of the current prefill target already in the KV cache. */
  prefilledTokens(id: number): number;
  /** prefillTarget - prefilledTokens. */
  remainingPrefill(id: number): number;
  /** Output tokens produced so far. */
  generatedTokens(id: number): number;
  /** KV tokens the request holds now. */
  kvTokens(id: number): number;
  /** KV blocks the request holds now (including reservations). */
  blocksHeld(id: number): number;
  /** RequestStatus code of a request. */
  status(id: number): number;
  /** Whether the request is already in this iteration's batch. */
  isScheduled(id: number): boolean;
  /** The true output length. Only for clairvoyant policies; vllm, sarathi and fcfs never call it. */
  oracleOutputTokens(id: number): number;
  /** Extra blocks a prefill chunk of `tokens` would allocate now (reservations counted). */
  blocksToPrefill(id: number, tokens: number): number;
  /** Extra blocks one decode step would allocate now (0 or 1 for block sizes > 1). */
  blocksToDecode(id: number): number;

  /**
   * Adds a prefill chunk of `tokens` prompt tokens to the batch and allocates its blocks.
   * @param reserveTokens optionally reserve blocks for this many KV tokens up front (Sarathi
   *   reserves the whole prompt at admission); blocks are never released before the request ends
   * @throws PolicyViolationError (not-arrived, finished-request, scheduled-twice, prefill-overrun, kv-capacity)
   */
  prefill(id: number, tokens: number, reserveTokens?: number): void;
  /**
   * Adds one decode step of the request to the batch and allocates a block if it needs one.
   * @throws PolicyViolationError (decode-before-prefill, finished-request, scheduled-twice, kv-capacity)
   */
  decode(id: number): void;
  /**
   * Evicts a request now: its KV cache is freed and it returns to WAITING; it must be
   * prefilled again (recompute). The policy puts it back in its own queue.
   * @throws PolicyViolationError (evict-without-kv, evict-scheduled)
   */
  evict(id: number): void;
  /** Records a warning for the run (deduplicated by text, with a count). */
  warn(message: string): void;
}

/**
 * A scheduling policy: decides each iteration's batch. It keeps its own queues, fed by
 * `onArrival` and `onFinish`, and reads request state through the EngineView.
 */
export interface Scheduler {
  /** Policy name, as in specs (`vllm`, `sarathi`, `fcfs`, ...). */
  readonly name: string;
  /**
   * KV blocks a request can never use under the policy (vLLM's watermark, plus the free block
   * vLLM V0 keeps for every decode); the engine uses it to reject up front a workload whose
   * largest request could never complete. A pure function of the capacity: the sweep planner
   * calls it too, so it must not configure the policy.
   * @param kvCapacityBlocks the machine's capacity, blocks
   */
  reservedBlocks(kvCapacityBlocks: number): number;
  /** A request arrived (status WAITING). Called in arrival order, before `schedule`. */
  onArrival(id: number, view: EngineView): void;
  /** A request produced its last token; its KV cache is already freed. */
  onFinish(id: number, view: EngineView): void;
  /**
   * Plans one iteration by calling view.prefill / view.decode / view.evict. Scheduling nothing
   * makes the engine wait for the next arrival.
   */
  schedule(view: EngineView): void;
  /**
   * No further request will arrive here. Called only on a replica of a cluster (cluster-engine.ts),
   * once the router has routed the run's last request, since the replica cannot know how many of
   * the run's requests it gets: a policy that waits for arrivals before it schedules (WAIT and
   * Nested WAIT drain once every request of the run has arrived) drains from then on. With
   * multi-turn sessions it is also called whenever the cluster is idle with no turn due while the
   * turns it holds are the only source of later ones (nothing arrives unless it schedules), so a
   * policy may hear it more than once, with arrivals in between. Optional.
   */
  noMoreArrivals?(): void;
}
