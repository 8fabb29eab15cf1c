import { sessionSuccessors, type SessionTurns } from '../workloads/multi-turn.js';
import type { PrefixBlocks } from '../workloads/prefix-blocks.js';
import { blocksFor } from './kv-blocks.js';
import { chainBlockHash, maxPrefixHitBlocks, PrefixCachePool, privateBlockKey } from './prefix-cache.js';

/** Initial room for a request's block keys; grows by doubling. */
const INITIAL_KEYS = 16;
/** No hit blocks. */
const EMPTY = new Int32Array(0);

/**
 * Automatic prefix caching for one replica engine run: the block pool (PrefixCachePool) plus what
 * the engine needs around it, every request's block keys and how many of its blocks are committed.
 * The engine (replica-engine.ts) calls it only when the run caches prefixes; without it the
 * engine's loop is the plain one.
 *
 * Block keys (the pool's hashes), in the engine's block size `blockSize`:
 * - engine block k of a request covers its tokens [k x blockSize, (k + 1) x blockSize). While the
 *   block lies inside the prompt and inside the tokens the request's prefix ids cover (its trace
 *   `hash_ids`: ids of `blockTokens`-token blocks), its content is the id of the trace block that
 *   holds the block's last token, and its key is chained over the previous block's key
 *   (chainBlockHash, parent 0 for block 0), as vLLM's `hash_block_tokens` chains over the parent;
 *   so two requests share engine block k exactly when their ids agree up to that token;
 * - a turn of a multi-turn session (RequestList.sessions) that has a next turn: its output tokens
 *   are the leading tokens of the next turn's prompt past its own, so its blocks past its own ids,
 *   output blocks included, take their content from the next turn's ids (up to its prompt plus
 *   output), chained the same way: the next turn then finds this turn's output blocks in the cache,
 *   as vLLM V1 hashes every full block, generated tokens included (the caller's contract: a
 *   follow-up turn's leading ids describe its previous turn's prompt and output, multi-turn.ts);
 * - every other block (a prompt without ids, output tokens, anything after) has content only its
 *   own request has: privateBlockKey(request, k). Such a block can still hit after a preemption
 *   freed it, as in vLLM, whose hashes cover the request's own tokens.
 *
 * Commit timing: a block's key enters the cache as soon as the iteration that computes its last
 * token is scheduled (a prefill chunk at `prefill`, output blocks when the next block is
 * allocated), as vLLM's `allocate_slots` calls `cache_blocks` for the tokens it schedules; a
 * session turn with a next turn also commits, when it finishes, the full blocks its last tokens
 * filled (no later allocation would), so its whole history is cached for the next turn.
 *
 * Sources: vLLM v0.9 vllm/v1/core/kv_cache_manager.py (get_computed_blocks, allocate_slots,
 * free), block_pool.py, kv_cache_utils.py (hash_block_tokens).
 */
export class EnginePrefixCache {
  /** The replica's blocks; usedBlocks is the engine's KV usage. */
  readonly pool: PrefixCachePool;
  /** Prompt tokens each request took from the cache at its first admission, tokens. */
  readonly cachedTokens: Int32Array;
  /**
   * Tokens each request took back from the cache at its re-admissions after evictions (its own
   * blocks, still cached, and shared ones), summed, tokens.
   */
  readonly readmissionCachedTokens: Int32Array;
  /** Admissions of each request so far (0: never admitted). */
  readonly admissions: Int32Array;
  private readonly keys: (Float64Array | undefined)[];
  /** Keys computed so far per request (a prefix of its blocks). */
  private readonly keyCount: Int32Array;
  /** Blocks of the request's current admission whose keys are committed. */
  private readonly committed: Int32Array;
  /** Engine blocks per request with a trace identity (0 without prefix ids). */
  private readonly identified: Int32Array;
  /** Per request, its session's next turn or -1; undefined for a list without sessions. */
  private readonly successor: Int32Array | undefined;
  /** Pool mutations so far; the hit memo is valid while it has not moved. */
  private version = 0;
  private readonly memoVersion: Int32Array;
  /**
   * Candidate blocks of each request not holding KV: its last computed hit, or the blocks it held
   * before an eviction (refreshPrefixHit checks them; its private blocks are found only this way).
   */
  private readonly hitBlockIds: (Int32Array | undefined)[];
  /** How many entries of hitBlockIds[id] are candidates. */
  private readonly recorded: Int32Array;
  private readonly memoHit: Int32Array;
  private readonly memoFree: Int32Array;
  private readonly memoTarget: Int32Array;

  /**
   * @param promptTokens the run's prompts, tokens (n = its length)
   * @param capacityBlocks KV capacity, blocks
   * @param blockSize tokens per engine block
   * @param prefixBlocks the prompts' content ids (RequestList.prefixBlocks), when the workload has them
   * @param sessions the list's multi-turn sessions (RequestList.sessions, valid) and output tokens,
   *   when it has sessions: a turn with a next turn is identified past its prompt by the next
   *   turn's ids
   */
  constructor(
    promptTokens: Int32Array,
    capacityBlocks: number,
    private readonly blockSize: number,
    private readonly prefixBlocks: PrefixBlocks | undefined,
    sessions?: { sessions: SessionTurns; outputTokens: Int32Array },
  ) {
    const n = promptTokens.length;
    this.pool = new PrefixCachePool(capacityBlocks, n);
    this.cachedTokens = new Int32Array(n);
    this.readmissionCachedTokens = new Int32Array(n);
    this.admissions = new Int32Array(n);
    this.keys = new Array<Float64Array | undefined>(n);
    this.keyCount = new Int32Array(n);
    this.committed = new Int32Array(n);
    this.identified = new Int32Array(n);
    this.memoVersion = new Int32Array(n).fill(-1);
    this.hitBlockIds = new Array<Int32Array | undefined>(n);
    this.recorded = new Int32Array(n);
    this.memoHit = new Int32Array(n);
    this.memoFree = new Int32Array(n);
    this.memoTarget = new Int32Array(n);
    this.successor = sessions && prefixBlocks ? sessionSuccessors(sessions.sessions) : undefined;
    if (prefixBlocks) {
      const { offsets, blockTokens } = prefixBlocks;
      const next = this.successor;
      for (let id = 0; id < n; id++) {
        const prompt = promptTokens[id];
        let covered = Math.min(prompt, (offsets[id + 1] - offsets[id]) * blockTokens);
        const after = next === undefined ? -1 : next[id];
        if (after >= 0 && covered === prompt) {
          // Past its own ids, the next turn's ids describe this turn's output.
          const theirs = (offsets[after + 1] - offsets[after]) * blockTokens;
          covered = Math.max(covered, Math.min(prompt + sessions!.outputTokens[id], theirs));
        }
        this.identified[id] = Math.floor(covered / blockSize);
      }
    }
  }

  /**
   * Blocks a request not holding KV would take from the cache if admitted now with `target`
   * tokens to hold: the longest cached run of its leading block keys, capped by maxPrefixHitBlocks
   * (at least one token is computed). Memoised until the pool changes.
   */
  hitBlocks(id: number, target: number): number {
    if (this.memoVersion[id] === this.version && this.memoTarget[id] === target) return this.memoHit[id];
    let hit = 0;
    let free = 0;
    // A request without identity that never held blocks can have nothing cached.
    if (this.identified[id] > 0 || this.admissions[id] > 0) {
      const max = maxPrefixHitBlocks(target, this.blockSize);
      const keys = this.keysUpTo(id, max);
      let blocks = this.hitBlockIds[id];
      if (blocks === undefined || blocks.length < max) {
        const grown = new Int32Array(Math.max(max, INITIAL_KEYS));
        if (blocks !== undefined) grown.set(blocks);
        blocks = grown;
        this.hitBlockIds[id] = blocks;
      }
      // Candidate blocks are re-checked by a typed-array read each; the rest is looked up.
      hit = this.pool.refreshPrefixHit(keys, max, blocks, this.recorded[id]);
      this.recorded[id] = hit;
      free = this.pool.freeAmong(blocks, hit);
    }
    this.memoVersion[id] = this.version;
    this.memoTarget[id] = target;
    this.memoHit[id] = hit;
    this.memoFree[id] = free;
    return hit;
  }

  /**
   * Free blocks an admission with `tokens` tokens after its hit would take: new blocks for the
   * tokens beyond the hit (at least `reserveTokens` held in all), plus the hit blocks that are now
   * free (cached, reference count 0).
   */
  blocksToAdmit(id: number, target: number, tokens: number, reserveTokens: number): number {
    const hit = this.hitBlocks(id, target);
    const held = Math.max(hit * this.blockSize + tokens, reserveTokens);
    return blocksFor(held, this.blockSize) - hit + this.memoFree[id];
  }

  /**
   * Admits a request: takes its prefix hit from the cache and allocates blocks for `tokens` more
   * tokens (at least `reserveTokens` held), committing the keys of the blocks those tokens fill.
   * @returns the tokens taken from the cache (hit blocks x blockSize), or -1 when the blocks do not
   *   fit (nothing changed)
   */
  admit(id: number, target: number, tokens: number, reserveTokens: number): number {
    const hit = this.hitBlocks(id, target);
    const hitTokens = hit * this.blockSize;
    const newBlocks = blocksFor(Math.max(hitTokens + tokens, reserveTokens), this.blockSize) - hit;
    if (!this.pool.admitBlocks(id, this.hitBlockIds[id] ?? EMPTY, hit, newBlocks)) return -1;
    this.hitBlockIds[id] = undefined;
    this.recorded[id] = 0;
    this.memoVersion[id] = -1;
    this.version++;
    this.committed[id] = hit;
    if (this.admissions[id]++ === 0) this.cachedTokens[id] = hitTokens;
    else this.readmissionCachedTokens[id] += hitTokens;
    this.commitFull(id, hitTokens + tokens);
    return hitTokens;
  }

  /**
   * Allocates `extra` blocks to a request that holds blocks (the caller commits the blocks its
   * tokens fill: commitFull).
   * @returns false when they do not fit (nothing allocated)
   */
  grow(id: number, extra: number): boolean {
    if (!this.pool.allocate(id, extra)) return false;
    this.version++;
    return true;
  }

  /** Commits the keys of the request's blocks that `kvTokens` tokens fill completely. */
  commitFull(id: number, kvTokens: number): void {
    const full = Math.floor(kvTokens / this.blockSize);
    const k = this.committed[id];
    if (k >= full) return;
    this.pool.commitBlockHashes(id, k, full, this.keysUpTo(id, full));
    this.committed[id] = full;
    this.version++;
  }

  /**
   * Frees a request's blocks (finished or evicted); they stay cached until reused. An evicted
   * request keeps the blocks it held as candidates for its re-admission (its private blocks can
   * be found no other way). A finished session turn with a next turn first commits the full blocks
   * of its `kvTokens` tokens (its history, for the next turn).
   * @param kvTokens tokens in the request's KV cache (read only for a finished session turn)
   */
  free(id: number, finished: boolean, kvTokens = 0): void {
    if (finished && this.successor !== undefined && this.successor[id] >= 0) this.commitFull(id, kvTokens);
    const held = finished ? undefined : this.pool.blocksOf(id);
    this.pool.free(id);
    this.committed[id] = 0;
    this.version++;
    if (held !== undefined) {
      this.hitBlockIds[id] = Int32Array.from(held);
      this.recorded[id] = held.length;
    } else {
      this.keys[id] = undefined;
      this.keyCount[id] = 0;
    }
  }

  /** The request's first `count` block keys (a longer array may be returned). */
  private keysUpTo(id: number, count: number): Float64Array {
    let keys = this.keys[id];
    const have = this.keyCount[id];
    if (keys !== undefined && have >= count) return keys;
    if (keys === undefined || keys.length < count) {
      let size = keys?.length ?? INITIAL_KEYS;
      while (size < count) size *= 2;
      const grown = new Float64Array(size);
      if (keys !== undefined) grown.set(keys.subarray(0, have));
      keys = grown;
      this.keys[id] = keys;
    }
    const identified = this.identified[id];
    let k = have;
    if (k < identified) {
      const pb = this.prefixBlocks!;
      const base = pb.offsets[id];
      const own = pb.offsets[id + 1] - base;
      // Trace blocks past its own ids: its next turn's (only a session turn is identified that far).
      const after = this.successor === undefined ? -1 : this.successor[id];
      const nextBase = after < 0 ? base : pb.offsets[after];
      let parent = k === 0 ? 0 : keys[k - 1];
      for (const end = Math.min(count, identified); k < end; k++) {
        const traceBlock = Math.floor(((k + 1) * this.blockSize - 1) / pb.blockTokens);
        parent = chainBlockHash(parent, pb.ids[(traceBlock < own ? base : nextBase) + traceBlock]);
        keys[k] = parent;
      }
    }
    for (; k < count; k++) keys[k] = privateBlockKey(id, k);
    this.keyCount[id] = count;
    return keys;
  }
}
