import { BlockHashTable } from './block-hash-table.js';

/**
 * Automatic prefix caching's block pool, with vLLM V1's semantics; the engine uses it through
 * EnginePrefixCache (engine-prefix-cache.ts) when a run caches prefixes (docs/decisions.md,
 * "Prefix cache block pool").
 *
 * Sources: vLLM v0.9 vllm/v1/core/block_pool.py (BlockPool: get_cached_block, touch,
 * get_new_blocks, _maybe_evict_cached_block, cache_full_blocks, free_blocks),
 * vllm/v1/core/kv_cache_utils.py (FreeKVCacheBlockQueue, hash_block_tokens) and
 * vllm/v1/core/kv_cache_manager.py (get_computed_blocks, allocate_slots, free).
 */

/** 2^32, to split a number below 2^53 into 32-bit words. */
const TWO_32 = 4294967296;
/** Mask of the 21 high bits a hash keeps from its first 32-bit lane (53 = 21 + 32). */
const HIGH_21 = 0x1fffff;
/** No block: the end of the free queue, or an empty queue. */
const NONE = -1;

/** One murmur3 (x86_32) block step: mixes the 32-bit word `k` into the state `h`. */
function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finaliser (fmix32): every input bit reaches every output bit. */
function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3_32 over the four 32-bit words of (parent, content), with `seed`. */
function murmurWords(seed: number, pLo: number, pHi: number, cLo: number, cHi: number): number {
  let h = seed;
  h = mixWord(h, pLo);
  h = mixWord(h, pHi);
  h = mixWord(h, cLo);
  h = mixWord(h, cHi);
  return finalMix(h ^ 16);
}

function checkHashInput(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`chainBlockHash: ${name} must be an integer in [0, 2^53), got ${value}`);
  }
}

/**
 * The hash of a full KV block, chained over its parent block's hash, as vLLM's
 * `hash_block_tokens(parent_block_hash, curr_block_token_ids)` (vLLM v0.9
 * vllm/v1/core/kv_cache_utils.py): equal hashes mean equal prefixes, up to collisions. Here the
 * block's content is one number (e.g. a Mooncake trace's `hash_ids` entry, or a hash of the
 * block's token ids) and the mixer is murmur3_32 run with two seeds over the four 32-bit words of
 * (parent, content), the two results packed into 53 bits. Deterministic across platforms
 * (32-bit integer arithmetic only).
 *
 * Collision bound: treating the mixer as a random function onto [0, 2^53), n distinct
 * (parent, content) pairs collide with probability at most n(n - 1) / 2^54, i.e. below 5.6e-5 for
 * a million distinct blocks and 5.6e-3 for ten million. A collision makes a block hit when it
 * should miss (vLLM's default builtin hash has the same failure mode; it offers sha256 against it).
 * The mixer is not cryptographic: adversarial inputs can collide.
 * @param parent the parent block's hash, an integer in [0, 2^53); 0 for a request's first block
 * @param content the block's content, an integer in [0, 2^53)
 * @returns an integer in [0, 2^53)
 * @throws RangeError when either input is not an integer in [0, 2^53)
 */
export function chainBlockHash(parent: number, content: number): number {
  checkHashInput('parent', parent);
  checkHashInput('content', content);
  const pLo = parent >>> 0;
  const pHi = Math.floor(parent / TWO_32);
  const cLo = content >>> 0;
  const cHi = Math.floor(content / TWO_32);
  const high = murmurWords(0x9747b28c, pLo, pHi, cLo, cHi) & HIGH_21;
  const low = murmurWords(0x5bd1e995, pLo, pHi, cLo, cHi);
  return high * TWO_32 + low;
}

/**
 * The most leading blocks of a request that may come from the prefix cache: floor((tokens - 1) /
 * blockSize), so that at least one token is always computed (the model must run once to produce
 * the next token's logits). vLLM v0.9 vllm/v1/core/kv_cache_manager.py `get_computed_blocks` caps
 * the hit length at `request.num_tokens - 1` tokens the same way. The caller passes
 * `min(pool.findPrefixHit(hashes), maxPrefixHitBlocks(tokens, blockSize))` blocks to
 * `PrefixCachePool.admit` or `takeHit`; the hit then covers that many × blockSize tokens.
 * @param tokens the request's tokens to be in the KV cache before its next output token: its
 *   prompt (plus the output it had produced, for a preempted request being re-admitted), >= 0
 * @param blockSize tokens per block, an integer >= 1
 * @returns blocks, >= 0 (0 when tokens <= 1)
 * @throws RangeError when blockSize is not an integer >= 1
 */
export function maxPrefixHitBlocks(tokens: number, blockSize: number): number {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`maxPrefixHitBlocks: blockSize must be an integer >= 1, got ${blockSize}`);
  }
  return tokens <= 1 ? 0 : Math.floor((tokens - 1) / blockSize);
}

/** 2^24: the most blocks one request's private keys tell apart (privateBlockKey). */
const PRIVATE_BLOCKS = 16777216;

/**
 * The key of a request's block whose content no other request shares (a prompt block with no
 * known identity, an output block, or any block after one): -(requestId x 2^24 + blockIndex + 1),
 * a negative integer, so it never equals a chained hash (>= 0) nor another request's key. Only
 * the request itself can hit it, after a preemption freed its blocks (vLLM caches those blocks
 * too: their hashes cover the request's own tokens). O(1), no hashing.
 * @param requestId integer in [0, 2^28)
 * @param blockIndex integer in [0, 2^24)
 * @returns a negative safe integer
 * @throws RangeError when an argument is outside its range
 */
export function privateBlockKey(requestId: number, blockIndex: number): number {
  if (!(Number.isInteger(requestId) && requestId >= 0 && requestId < 268435456)) {
    throw new RangeError(`privateBlockKey: request id must be an integer in [0, 2^28), got ${requestId}`);
  }
  if (!(Number.isInteger(blockIndex) && blockIndex >= 0 && blockIndex < PRIVATE_BLOCKS)) {
    throw new RangeError(`privateBlockKey: block index must be an integer in [0, 2^24), got ${blockIndex}`);
  }
  return -(requestId * PRIVATE_BLOCKS + blockIndex + 1);
}

/**
 * The KV cache's blocks with automatic prefix caching, as vLLM V1's BlockPool (vLLM v0.9
 * vllm/v1/core/block_pool.py) and KVCacheManager (vllm/v1/core/kv_cache_manager.py).
 *
 * State, all O(1) per block operation:
 * - per block (index in [0, capacityBlocks)): a reference count (Int32Array; the requests
 *   holding it), its hash (Float64Array, an integer in [0, 2^53) or NaN for none), and its links
 *   in the free queue (prev/next Int32Array, -1 at the ends);
 * - the free queue: a doubly linked list of the blocks with reference count 0, least recently
 *   freed at the head (vLLM's FreeKVCacheBlockQueue). At the start it holds every block in index
 *   order;
 * - the hash -> block map of cached blocks (vLLM's cached_block_hash_to_block). A free block that
 *   still has a hash stays in it ("cached free block") until it is taken for a new allocation;
 * - per request (an integer id in [0, requestCount), e.g. the index in the RequestList): the list
 *   of its blocks in position order (a plain number[] per request, kept in an array indexed by
 *   id; block i holds the request's tokens [i × blockSize, (i + 1) × blockSize)).
 *
 * One difference from vLLM v0.9: when a block is committed with a hash that another block
 * already holds (two requests computed the same block at the same time), vLLM keeps both in a
 * dict of dicts; here the existing mapping is kept and the second block stays without a hash, so
 * it is evicted like any uncached block. Lookups return the same block either way.
 *
 * Used (KV usage) blocks = blocks with reference count > 0, each counted once however many
 * requests share it; used + free = capacityBlocks.
 */
export class PrefixCachePool {
  /** Blocks in the pool, > 0. */
  readonly capacityBlocks: number;
  /** Request ids accepted: integers in [0, requestCount). */
  readonly requestCount: number;
  private readonly refCounts: Int32Array;
  private readonly hashes: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private freeCount = 0;
  private readonly cached: BlockHashTable;
  /** Blocks of each request in position order; undefined while it holds none. */
  private readonly requestBlocks: (number[] | undefined)[];

  /**
   * @param capacityBlocks KV capacity, blocks: an integer >= 1
   * @param requestCount how many request ids the pool accepts (ids 0 to requestCount - 1), >= 0
   * @throws RangeError when either is not an integer in range
   */
  constructor(capacityBlocks: number, requestCount: number) {
    if (!Number.isInteger(capacityBlocks) || capacityBlocks < 1 || capacityBlocks > 0x7fffffff) {
      throw new RangeError(`PrefixCachePool: capacityBlocks must be an integer >= 1, got ${capacityBlocks}`);
    }
    if (!Number.isInteger(requestCount) || requestCount < 0) {
      throw new RangeError(`PrefixCachePool: requestCount must be an integer >= 0, got ${requestCount}`);
    }
    this.capacityBlocks = capacityBlocks;
    this.requestCount = requestCount;
    this.refCounts = new Int32Array(capacityBlocks);
    this.hashes = new Float64Array(capacityBlocks).fill(NaN);
    this.cached = new BlockHashTable(capacityBlocks);
    this.prev = new Int32Array(capacityBlocks);
    this.next = new Int32Array(capacityBlocks);
    for (let b = 0; b < capacityBlocks; b++) this.append(b);
    this.requestBlocks = new Array<number[] | undefined>(requestCount);
  }

  /** Blocks with reference count > 0 (KV usage), shared blocks counted once. */
  get usedBlocks(): number {
    return this.capacityBlocks - this.freeCount;
  }

  /** Blocks with reference count 0, cached or not: what an allocation may take. */
  get freeBlocks(): number {
    return this.freeCount;
  }

  /** Blocks findable by hash (in use or free); blocks with private keys are not counted. */
  get cachedBlocks(): number {
    return this.cached.size;
  }

  /**
   * Prefix hit of a request: how many of its leading block hashes are cached, stopping at the
   * first miss. No side effects (vLLM v0.9 block_pool.py `get_cached_block`, called in order by
   * kv_cache_manager.py `get_computed_blocks`). Cap the result with maxPrefixHitBlocks.
   * @param blockHashes the chained hashes of the request's full blocks, in order
   * @param maxBlocks look at most this many blocks (default all)
   * @returns blocks, in [0, min(maxBlocks, blockHashes.length)]
   */
  findPrefixHit(blockHashes: ArrayLike<number>, maxBlocks: number = blockHashes.length): number {
    const n = Math.min(maxBlocks, blockHashes.length);
    let i = 0;
    while (i < n && this.cached.has(blockHashes[i])) i++;
    return i;
  }

  /**
   * The prefix hit of a request, as findPrefixHit, re-using the blocks an earlier call found: the
   * first `recorded` entries of `hitBlocks` are checked with one typed-array read each (a block
   * still holding its key is still the cached block for it), and only the rest of the hit is
   * looked up in the map. The hit's blocks are written to `hitBlocks`. No side effects on the pool.
   * @param blockHashes the chained hashes of the request's full blocks, in order
   * @param maxBlocks look at most this many blocks
   * @param hitBlocks the hit's blocks in order, `recorded` of them from an earlier call; at least
   *   min(maxBlocks, blockHashes.length) long
   * @param recorded entries of hitBlocks from an earlier call for the same hashes (0 for none)
   * @returns blocks of the hit, in [0, min(maxBlocks, blockHashes.length)]
   */
  refreshPrefixHit(
    blockHashes: ArrayLike<number>,
    maxBlocks: number,
    hitBlocks: Int32Array,
    recorded: number,
  ): number {
    const n = Math.min(maxBlocks, blockHashes.length);
    const hashes = this.hashes;
    let i = 0;
    for (const end = Math.min(recorded, n); i < end && hashes[hitBlocks[i]] === blockHashes[i]; i++);
    for (; i < n; i++) {
      const block = this.cached.get(blockHashes[i]);
      if (block < 0) break;
      hitBlocks[i] = block;
    }
    return i;
  }

  /**
   * How many of the given blocks are free (reference count 0): for the blocks of a hit
   * (refreshPrefixHit), those an admission takes out of the free blocks.
   * @param blocks block indices in [0, capacityBlocks)
   * @param count how many of them to look at
   */
  freeAmong(blocks: ArrayLike<number>, count: number): number {
    let free = 0;
    for (let i = 0; i < count; i++) if (this.refCounts[blocks[i]] === 0) free++;
    return free;
  }

  /**
   * How many of a prefix hit's blocks are free (cached, reference count 0): taking the hit takes
   * them out of the free blocks, so an admission needs them on top of its new blocks (vLLM v0.9
   * kv_cache_manager.py `allocate_slots`, `num_evictable_computed_blocks`). No side effects.
   * @param blockHashes the request's chained block hashes
   * @param hitBlocks blocks of the hit, <= findPrefixHit(blockHashes)
   * @returns blocks, in [0, hitBlocks]
   * @throws RangeError when one of the first hitBlocks hashes is not cached
   */
  freeAmongHit(blockHashes: ArrayLike<number>, hitBlocks: number): number {
    let free = 0;
    for (let i = 0; i < hitBlocks; i++) {
      const block = this.cached.get(blockHashes[i]);
      if (block < 0) {
        throw new RangeError(
          `PrefixCachePool.freeAmongHit: block hash #${i} (${blockHashes[i]}) is not cached`,
        );
      }
      if (this.refCounts[block] === 0) free++;
    }
    return free;
  }

  /**
   * Gives a request that holds no blocks its first `hitBlocks` blocks from the cache: each block
   * found by hash gets reference count + 1 and, leaving 0, is taken out of the free queue (vLLM
   * v0.9 block_pool.py `touch`). Validates before changing anything.
   * @param requestId integer in [0, requestCount)
   * @param blockHashes the request's chained block hashes
   * @param hitBlocks blocks to take, <= findPrefixHit(blockHashes)
   * @throws RangeError for a bad request id, a request that already holds blocks, or a hash among
   *   the first hitBlocks that is not cached
   */
  takeHit(requestId: number, blockHashes: ArrayLike<number>, hitBlocks: number): void {
    this.checkHit(requestId, blockHashes, hitBlocks);
    this.touch(requestId, blockHashes, hitBlocks);
  }

  /**
   * Allocates `count` new blocks to a request, appended to its block list: each is popped from
   * the free queue's head (least recently freed first); one that still has a hash is first evicted
   * from the map (vLLM v0.9 block_pool.py `get_new_blocks`, `_maybe_evict_cached_block`). Cached
   * free blocks are thus always evicted before the caller has to preempt a running request.
   * @param requestId integer in [0, requestCount)
   * @param count blocks, an integer >= 0
   * @returns false, changing nothing, when fewer than `count` blocks are free (the caller then
   *   preempts); true otherwise
   * @throws RangeError for a bad request id or count
   */
  allocate(requestId: number, count: number): boolean {
    this.checkRequest(requestId);
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`PrefixCachePool.allocate: count must be an integer >= 0, got ${count}`);
    }
    if (count > this.freeCount) return false;
    this.takeFree(requestId, count);
    return true;
  }

  /**
   * Admits a request: takes its first `hitBlocks` blocks from the cache and allocates `newBlocks`
   * more, or does nothing when they do not fit. A hit block that is free stops being free once
   * taken, so it fits when newBlocks <= free blocks - free hit blocks (vLLM v0.9
   * kv_cache_manager.py `allocate_slots`, `num_evictable_computed_blocks`).
   * @param requestId integer in [0, requestCount), holding no blocks
   * @param blockHashes the request's chained block hashes
   * @param hitBlocks blocks taken from the cache, <= findPrefixHit(blockHashes), capped by the
   *   caller with maxPrefixHitBlocks
   * @param newBlocks blocks to allocate, an integer >= 0
   * @returns false, changing nothing, when the blocks do not fit; true otherwise
   * @throws RangeError as takeHit and allocate
   */
  admit(requestId: number, blockHashes: ArrayLike<number>, hitBlocks: number, newBlocks: number): boolean {
    const freeHits = this.checkHit(requestId, blockHashes, hitBlocks);
    if (!Number.isInteger(newBlocks) || newBlocks < 0) {
      throw new RangeError(`PrefixCachePool.admit: newBlocks must be an integer >= 0, got ${newBlocks}`);
    }
    if (newBlocks > this.freeCount - freeHits) return false;
    this.touch(requestId, blockHashes, hitBlocks);
    this.takeFree(requestId, newBlocks);
    return true;
  }

  /**
   * admit, with the hit given as the cached blocks themselves (refreshPrefixHit's `hitBlocks`)
   * rather than their hashes: no map lookups.
   * @param requestId integer in [0, requestCount), holding no blocks
   * @param hitBlockIds the hit's blocks in order, each holding a hash (cached)
   * @param hitBlocks how many of them to take
   * @param newBlocks blocks to allocate, an integer >= 0
   * @returns false, changing nothing, when the blocks do not fit; true otherwise
   * @throws RangeError for a bad request id, a request that already holds blocks, a bad count, or
   *   a hit block that is not cached
   */
  admitBlocks(
    requestId: number,
    hitBlockIds: ArrayLike<number>,
    hitBlocks: number,
    newBlocks: number,
  ): boolean {
    this.checkRequest(requestId);
    if (this.requestBlocks[requestId] !== undefined) {
      throw new RangeError(`PrefixCachePool: request ${requestId} already holds blocks; hits come first`);
    }
    if (!Number.isInteger(newBlocks) || newBlocks < 0 || !Number.isInteger(hitBlocks) || hitBlocks < 0) {
      throw new RangeError(
        `PrefixCachePool.admitBlocks: hitBlocks and newBlocks must be integers >= 0, got ${hitBlocks}, ${newBlocks}`,
      );
    }
    let freeHits = 0;
    for (let i = 0; i < hitBlocks; i++) {
      const block = hitBlockIds[i];
      if (!(block >= 0 && block < this.capacityBlocks) || Number.isNaN(this.hashes[block])) {
        throw new RangeError(`PrefixCachePool.admitBlocks: hit block #${i} (${block}) is not a cached block`);
      }
      if (this.refCounts[block] === 0) freeHits++;
    }
    if (newBlocks > this.freeCount - freeHits) return false;
    const blocks: number[] = [];
    for (let i = 0; i < hitBlocks; i++) {
      const block = hitBlockIds[i];
      if (this.refCounts[block]++ === 0) this.unlink(block);
      blocks.push(block);
    }
    this.requestBlocks[requestId] = blocks;
    this.takeFree(requestId, newBlocks);
    return true;
  }

  /**
   * Records that a request's block at `blockIndex` is full (its tokens computed) with hash `hash`:
   * the block enters the hash -> block map (vLLM v0.9 block_pool.py `cache_full_blocks`). When
   * another block already holds the hash, the existing mapping is kept and this block stays
   * without a hash. Committing the hash the block already holds (e.g. a hit block) does nothing.
   * @param requestId integer in [0, requestCount)
   * @param blockIndex position in the request's block list, in [0, blocks held)
   * @param hash the block's key: its chained hash (chainBlockHash), an integer in [0, 2^53), or a
   *   negative safe integer for a block whose content only its own request has (privateBlockKey).
   *   A private key stays on the block and out of the hash -> block map: only its request can
   *   find it, through the block itself (refreshPrefixHit's recorded blocks, e.g. the blocks it
   *   held before a preemption)
   * @returns true when the block now holds the hash, false when another block does
   * @throws RangeError for a bad request id, block index or hash, or a block that already holds
   *   another hash
   */
  commitBlockHash(requestId: number, blockIndex: number, hash: number): boolean {
    this.checkRequest(requestId);
    const blocks = this.requestBlocks[requestId];
    if (
      blocks === undefined ||
      !Number.isInteger(blockIndex) ||
      blockIndex < 0 ||
      blockIndex >= blocks.length
    ) {
      throw new RangeError(
        `PrefixCachePool.commitBlockHash: request ${requestId} holds ${blocks?.length ?? 0} blocks, ` +
          `no block at index ${blockIndex}`,
      );
    }
    if (!Number.isSafeInteger(hash)) {
      throw new RangeError(`PrefixCachePool.commitBlockHash: hash must be a safe integer, got ${hash}`);
    }
    const block = blocks[blockIndex];
    const held = this.hashes[block];
    if (held === hash) return true;
    if (!Number.isNaN(held)) {
      throw new RangeError(
        `PrefixCachePool.commitBlockHash: block ${block} (request ${requestId}, index ${blockIndex}) ` +
          `already holds hash ${held}, cannot commit ${hash}`,
      );
    }
    if (hash < 0) {
      this.hashes[block] = hash; // a private key: on the block only
      return true;
    }
    if (this.cached.has(hash)) return false;
    this.hashes[block] = hash;
    this.cached.set(hash, block);
    return true;
  }

  /**
   * commitBlockHash for the request's blocks [from, to) with hashes blockHashes[from .. to), one
   * validation for the range.
   * @throws RangeError as commitBlockHash, for the range
   */
  commitBlockHashes(requestId: number, from: number, to: number, blockHashes: ArrayLike<number>): void {
    this.checkRequest(requestId);
    const blocks = this.requestBlocks[requestId];
    if (blocks === undefined || !(Number.isInteger(from) && from >= 0 && from <= to && to <= blocks.length)) {
      throw new RangeError(
        `PrefixCachePool.commitBlockHashes: request ${requestId} holds ${blocks?.length ?? 0} blocks, ` +
          `cannot commit [${from}, ${to})`,
      );
    }
    for (let k = from; k < to; k++) {
      const hash = blockHashes[k];
      const block = blocks[k];
      const held = this.hashes[block];
      if (held === hash) continue;
      if (!Number.isSafeInteger(hash) || !Number.isNaN(held)) this.commitBlockHash(requestId, k, hash); // throws
      if (hash < 0)
        this.hashes[block] = hash; // a private key: on the block only
      else if (!this.cached.has(hash)) {
        this.hashes[block] = hash;
        this.cached.set(hash, block);
      }
    }
  }

  /**
   * Frees a request's blocks (it finished, or was preempted): reference counts - 1 in REVERSE
   * block order, each block reaching 0 appended to the free queue's tail, keeping its hash, so a
   * request's tail blocks are evicted before its prefix (vLLM v0.9 kv_cache_manager.py `free`,
   * block_pool.py `free_blocks`). The request then holds no blocks and may be admitted again.
   * @param requestId integer in [0, requestCount), holding blocks
   * @returns blocks the request held
   * @throws RangeError for a bad request id or a request that holds no blocks (freed twice)
   */
  free(requestId: number): number {
    this.checkRequest(requestId);
    const blocks = this.requestBlocks[requestId];
    if (blocks === undefined) {
      throw new RangeError(`PrefixCachePool.free: request ${requestId} holds no blocks (freed twice?)`);
    }
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i];
      if (--this.refCounts[block] === 0) this.append(block);
    }
    this.requestBlocks[requestId] = undefined;
    return blocks.length;
  }

  /**
   * A request's blocks in position order (a copy), empty when it holds none.
   * @throws RangeError for a bad request id
   */
  blocksOf(requestId: number): number[] {
    this.checkRequest(requestId);
    return [...(this.requestBlocks[requestId] ?? [])];
  }

  /** Whether a request holds blocks (admitted or allocated, not freed since). */
  holdsBlocks(requestId: number): boolean {
    this.checkRequest(requestId);
    return this.requestBlocks[requestId] !== undefined;
  }

  /**
   * Reference count of a block: the requests holding it (a request counts once per position).
   * @throws RangeError for a block outside [0, capacityBlocks)
   */
  refCount(block: number): number {
    this.checkBlock(block);
    return this.refCounts[block];
  }

  /**
   * A block's committed hash, NaN when it has none.
   * @throws RangeError for a block outside [0, capacityBlocks)
   */
  blockHash(block: number): number {
    this.checkBlock(block);
    return this.hashes[block];
  }

  /** The free queue from head (next evicted) to tail (last freed), O(free blocks); for tests. */
  freeQueueOrder(): number[] {
    const order: number[] = [];
    for (let b = this.head; b !== NONE && order.length <= this.capacityBlocks; b = this.next[b])
      order.push(b);
    return order;
  }

  /**
   * Checks the pool's invariants in O(capacity + blocks held), for tests: used + free blocks =
   * capacity; the free queue is well linked and holds each block of reference count 0 exactly
   * once and no other; each block's reference count equals its occurrences in the requests' block
   * lists (so KV usage counts a shared block once); the map's blocks all hold their hash and every
   * block with a (non-private, >= 0) hash is in the map.
   * @throws Error naming the first invariant that fails
   */
  checkInvariants(): void {
    const cap = this.capacityBlocks;
    const inQueue = new Uint8Array(cap);
    let count = 0;
    let last = NONE;
    for (let b = this.head; b !== NONE; b = this.next[b]) {
      if (b < 0 || b >= cap) throw new Error(`free queue links to block ${b} outside the pool`);
      if (inQueue[b] !== 0) throw new Error(`block ${b} is in the free queue twice`);
      if (this.prev[b] !== last)
        throw new Error(`block ${b}'s prev link is ${this.prev[b]}, expected ${last}`);
      if (this.refCounts[b] !== 0)
        throw new Error(`block ${b} is in the free queue with ref count ${this.refCounts[b]}`);
      inQueue[b] = 1;
      last = b;
      count++;
    }
    if (last !== this.tail) throw new Error(`free queue ends at ${last} but its tail is ${this.tail}`);
    if (count !== this.freeCount)
      throw new Error(`free queue holds ${count} blocks, free count is ${this.freeCount}`);
    const occurrences = new Int32Array(cap);
    for (const blocks of this.requestBlocks) {
      for (const b of blocks ?? []) occurrences[b]++;
    }
    let used = 0;
    let hashed = 0;
    for (let b = 0; b < cap; b++) {
      const ref = this.refCounts[b];
      if (ref !== occurrences[b]) {
        throw new Error(`block ${b} has ref count ${ref} but requests hold it ${occurrences[b]} times`);
      }
      if (ref === 0 && inQueue[b] === 0) throw new Error(`free block ${b} is not in the free queue`);
      if (ref > 0) used++;
      const h = this.hashes[b];
      if (h >= 0) {
        hashed++;
        if (this.cached.get(h) !== b)
          throw new Error(`block ${b} holds hash ${h} but the map does not point to it`);
      }
    }
    if (used + this.freeCount !== cap) {
      throw new Error(`used ${used} + free ${this.freeCount} blocks != capacity ${cap}`);
    }
    for (const [h, b] of this.cached.entries()) {
      if (this.hashes[b] !== h)
        throw new Error(`map sends hash ${h} to block ${b}, which holds ${this.hashes[b]}`);
    }
    if (hashed !== this.cached.size)
      throw new Error(`${hashed} blocks hold hashes, the map has ${this.cached.size}`);
  }

  /** Validates a takeHit/admit call; returns how many of the hit blocks are free. */
  private checkHit(requestId: number, blockHashes: ArrayLike<number>, hitBlocks: number): number {
    this.checkRequest(requestId);
    if (this.requestBlocks[requestId] !== undefined) {
      throw new RangeError(`PrefixCachePool: request ${requestId} already holds blocks; hits come first`);
    }
    if (!Number.isInteger(hitBlocks) || hitBlocks < 0 || hitBlocks > blockHashes.length) {
      throw new RangeError(
        `PrefixCachePool: hitBlocks must be an integer in [0, ${blockHashes.length}], got ${hitBlocks}`,
      );
    }
    let freeHits = 0;
    for (let i = 0; i < hitBlocks; i++) {
      const block = this.cached.get(blockHashes[i]);
      if (block < 0) {
        throw new RangeError(
          `PrefixCachePool: block hash #${i} (${blockHashes[i]}) of request ${requestId} is not cached`,
        );
      }
      if (this.refCounts[block] === 0) freeHits++;
    }
    return freeHits;
  }

  /** Takes the first hitBlocks cached blocks for a request (validated by checkHit). */
  private touch(requestId: number, blockHashes: ArrayLike<number>, hitBlocks: number): void {
    const blocks: number[] = [];
    for (let i = 0; i < hitBlocks; i++) {
      const block = this.cached.get(blockHashes[i]);
      if (this.refCounts[block]++ === 0) this.unlink(block);
      blocks.push(block);
    }
    this.requestBlocks[requestId] = blocks;
  }

  /** Pops `count` (<= freeCount) blocks from the free queue's head onto a request's list. */
  private takeFree(requestId: number, count: number): void {
    let blocks = this.requestBlocks[requestId];
    if (blocks === undefined) {
      blocks = [];
      this.requestBlocks[requestId] = blocks;
    }
    for (let i = 0; i < count; i++) {
      const block = this.head;
      this.unlink(block);
      const h = this.hashes[block];
      if (h >= 0) this.cached.delete(h);
      this.hashes[block] = NaN;
      this.refCounts[block] = 1;
      blocks.push(block);
    }
  }

  /** Appends a block to the free queue's tail. */
  private append(block: number): void {
    this.prev[block] = this.tail;
    this.next[block] = NONE;
    if (this.tail === NONE) this.head = block;
    else this.next[this.tail] = block;
    this.tail = block;
    this.freeCount++;
  }

  /** Removes a block from the free queue, O(1). */
  private unlink(block: number): void {
    const p = this.prev[block];
    const n = this.next[block];
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[block] = NONE;
    this.next[block] = NONE;
    this.freeCount--;
  }

  private checkRequest(requestId: number): void {
    if (!Number.isInteger(requestId) || requestId < 0 || requestId >= this.requestCount) {
      throw new RangeError(
        `PrefixCachePool: request id must be an integer in [0, ${this.requestCount}), got ${requestId}`,
      );
    }
  }

  private checkBlock(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.capacityBlocks) {
      throw new RangeError(
        `PrefixCachePool: block must be an integer in [0, ${this.capacityBlocks}), got ${block}`,
      );
    }
  }
}
