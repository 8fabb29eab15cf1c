import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainBlockHash, maxPrefixHitBlocks, PrefixCachePool } from '../../../runner/engine/prefix-cache.js';

/** Chained hashes of a prompt whose full blocks have the given contents. */
function chain(contents: readonly number[]): number[] {
  const hashes: number[] = [];
  let parent = 0;
  for (const c of contents) {
    parent = chainBlockHash(parent, c);
    hashes.push(parent);
  }
  return hashes;
}

/** Admits a request like the engine will: capped hit, new blocks for the rest, commit the full ones. */
function admitPrompt(
  pool: PrefixCachePool,
  id: number,
  hashes: number[],
  promptTokens: number,
  blockSize: number,
): { hit: number; fresh: number } {
  const hit = Math.min(pool.findPrefixHit(hashes), maxPrefixHitBlocks(promptTokens, blockSize));
  const fresh = Math.ceil(promptTokens / blockSize) - hit;
  expect(pool.admit(id, hashes, hit, fresh)).toBe(true);
  for (let i = hit; i < hashes.length; i++) pool.commitBlockHash(id, i, hashes[i]);
  pool.checkInvariants();
  return { hit, fresh };
}

describe('chainBlockHash', () => {
  it('is deterministic, below 2^53, and depends on order and on the parent', () => {
    expect(chainBlockHash(0, 7)).toBe(chainBlockHash(0, 7));
    expect(chainBlockHash(1, 2)).not.toBe(chainBlockHash(2, 1));
    expect(chainBlockHash(chainBlockHash(0, 1), 5)).not.toBe(chainBlockHash(chainBlockHash(0, 2), 5));
    const big = Number.MAX_SAFE_INTEGER;
    for (const h of [chainBlockHash(big, big), chainBlockHash(0, 0), chainBlockHash(2 ** 32, 2 ** 32 - 1)]) {
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
    }
    // the high words matter: inputs differing only above bit 32
    expect(chainBlockHash(0, 2 ** 40)).not.toBe(chainBlockHash(0, 0));
  });

  it('has no collision over 200,000 nearby inputs', () => {
    const seen = new Set<number>();
    for (let p = 0; p < 400; p++) for (let c = 0; c < 500; c++) seen.add(chainBlockHash(p, c));
    expect(seen.size).toBe(200_000);
  });

  it('rejects inputs outside [0, 2^53) with a RangeError naming the argument', () => {
    expect(() => chainBlockHash(-1, 0)).toThrow(/parent/);
    expect(() => chainBlockHash(0, 1.5)).toThrow(RangeError);
    expect(() => chainBlockHash(0, 2 ** 53)).toThrow(/content/);
  });
});

describe('maxPrefixHitBlocks', () => {
  it('leaves at least one prompt token to compute', () => {
    expect(maxPrefixHitBlocks(48, 16)).toBe(2); // whole-prompt match: last block recomputed
    expect(maxPrefixHitBlocks(49, 16)).toBe(3);
    expect(maxPrefixHitBlocks(1, 16)).toBe(0);
    expect(maxPrefixHitBlocks(0, 16)).toBe(0);
    expect(maxPrefixHitBlocks(5, 1)).toBe(4);
    expect(() => maxPrefixHitBlocks(5, 0)).toThrow(RangeError);
  });

  it('caps a whole-prompt hit so the request still computes one token', () => {
    const pool = new PrefixCachePool(10, 2);
    const hashes = chain([1, 2, 3]);
    admitPrompt(pool, 0, hashes, 48, 16);
    pool.free(0);
    expect(pool.findPrefixHit(hashes)).toBe(3);
    const { hit, fresh } = admitPrompt(pool, 1, hashes, 48, 16);
    expect([hit, fresh]).toEqual([2, 1]);
  });
});

describe('PrefixCachePool', () => {
  it('shares 3 full blocks between two requests and counts them once in KV usage', () => {
    const blockSize = 16;
    const pool = new PrefixCachePool(16, 2);
    const a = chain([10, 11, 12, 13]); // 4 full blocks + 5 tokens: 69 tokens, 5 blocks
    const b = chain([10, 11, 12, 99]); // same first 3 blocks, then differs
    expect(admitPrompt(pool, 0, a, 69, blockSize)).toEqual({ hit: 0, fresh: 5 });
    expect(pool.usedBlocks).toBe(5);
    expect(pool.findPrefixHit(b)).toBe(3);
    expect(admitPrompt(pool, 1, b, 69, blockSize)).toEqual({ hit: 3, fresh: 2 });
    expect(pool.blocksOf(1).slice(0, 3)).toEqual(pool.blocksOf(0).slice(0, 3));
    expect(pool.usedBlocks).toBe(7); // 5 + 2, the 3 shared blocks once
    expect(pool.freeBlocks).toBe(9);
    for (const block of pool.blocksOf(0).slice(0, 3)) expect(pool.refCount(block)).toBe(2);
    expect(pool.refCount(pool.blocksOf(0)[3])).toBe(1);
  });

  it('reuses the cached free blocks of a finished request (LRU hit)', () => {
    const pool = new PrefixCachePool(8, 3);
    const prefix = chain([1, 2, 3]);
    admitPrompt(pool, 0, prefix, 50, 16); // blocks 0..3
    const shared = pool.blocksOf(0).slice(0, 3);
    pool.free(0);
    expect(pool.usedBlocks).toBe(0);
    expect(pool.cachedBlocks).toBe(3); // cached free blocks stay findable
    for (const block of shared) expect(pool.freeQueueOrder()).toContain(block);
    const { hit } = admitPrompt(pool, 2, prefix, 60, 16);
    expect(hit).toBe(3);
    expect(pool.blocksOf(2).slice(0, 3)).toEqual(shared);
    for (const block of shared) {
      expect(pool.refCount(block)).toBe(1);
      expect(pool.freeQueueOrder()).not.toContain(block);
    }
  });

  it('evicts the least recently freed cached blocks before a preemption is needed', () => {
    const pool = new PrefixCachePool(4, 3);
    const first = chain([1, 2]);
    const second = chain([3, 4]);
    admitPrompt(pool, 0, first, 32, 16); // blocks 0, 1
    admitPrompt(pool, 1, second, 32, 16); // blocks 2, 3
    pool.free(0);
    pool.free(1);
    // the pool is full of cached free blocks, least recently freed first (each request tail first)
    expect(pool.freeQueueOrder()).toEqual([1, 0, 3, 2]);
    expect([pool.usedBlocks, pool.freeBlocks, pool.cachedBlocks]).toEqual([0, 4, 4]);
    expect(pool.allocate(2, 2)).toBe(true); // succeeds by evicting request 0's blocks
    expect(pool.blocksOf(2)).toEqual([1, 0]);
    expect(pool.findPrefixHit(first)).toBe(0);
    expect(pool.findPrefixHit(second)).toBe(2);
    expect(pool.cachedBlocks).toBe(2);
    // more blocks than are free: refused, nothing changes (the caller preempts)
    expect(pool.allocate(2, 3)).toBe(false);
    expect(pool.blocksOf(2)).toEqual([1, 0]);
    expect(pool.freeQueueOrder()).toEqual([3, 2]);
    expect(pool.findPrefixHit(second)).toBe(2);
    pool.checkInvariants();
  });

  it('frees a request in reverse block order, so its tail is evicted before its prefix', () => {
    const pool = new PrefixCachePool(3, 2);
    const hashes = chain([7, 8, 9]);
    admitPrompt(pool, 0, hashes, 48, 16); // blocks 0, 1, 2 all full and cached
    expect(pool.blocksOf(0)).toEqual([0, 1, 2]);
    pool.free(0);
    expect(pool.freeQueueOrder()).toEqual([2, 1, 0]);
    expect(pool.allocate(1, 1)).toBe(true);
    expect(pool.blocksOf(1)).toEqual([2]); // the tail block went first
    expect(Number.isNaN(pool.blockHash(2))).toBe(true);
    expect(pool.findPrefixHit(hashes)).toBe(2); // the prefix still hits
    expect(pool.allocate(1, 1)).toBe(true);
    expect(pool.findPrefixHit(hashes)).toBe(1);
    pool.checkInvariants();
  });

  it('keeps the existing mapping when a second block commits the same hash', () => {
    const pool = new PrefixCachePool(4, 2);
    const [h] = chain([5]);
    pool.allocate(0, 1);
    pool.allocate(1, 1);
    expect(pool.commitBlockHash(0, 0, h)).toBe(true);
    expect(pool.commitBlockHash(1, 0, h)).toBe(false);
    expect(Number.isNaN(pool.blockHash(pool.blocksOf(1)[0]))).toBe(true);
    expect(pool.commitBlockHash(0, 0, h)).toBe(true); // idempotent
    expect(() => pool.commitBlockHash(0, 0, h + 1)).toThrow(/already holds hash/);
    pool.checkInvariants();
  });

  it('refuses an admission whose new blocks do not fit once its free hit blocks are taken', () => {
    const pool = new PrefixCachePool(4, 2);
    const hashes = chain([1, 2]);
    admitPrompt(pool, 0, hashes, 40, 16); // 3 blocks, 2 cached
    pool.free(0);
    // 4 free blocks, 2 of them are the hits: only 2 remain for new blocks
    expect(pool.admit(1, hashes, 2, 3)).toBe(false);
    expect(pool.holdsBlocks(1)).toBe(false);
    expect(pool.freeBlocks).toBe(4);
    expect(pool.cachedBlocks).toBe(2);
    expect(pool.admit(1, hashes, 2, 2)).toBe(true);
    expect(pool.usedBlocks).toBe(4);
    pool.checkInvariants();
  });

  it('rejects bad ids, double frees and uncached hits with RangeErrors', () => {
    const pool = new PrefixCachePool(4, 2);
    expect(() => new PrefixCachePool(0, 1)).toThrow(/capacityBlocks/);
    expect(() => pool.allocate(2, 1)).toThrow(/request id/);
    expect(() => pool.allocate(-1, 1)).toThrow(RangeError);
    expect(() => pool.allocate(0, -1)).toThrow(/count/);
    expect(() => pool.free(0)).toThrow(/holds no blocks/);
    pool.allocate(0, 1);
    pool.free(0);
    expect(() => pool.free(0)).toThrow(/freed twice/);
    expect(() => pool.takeHit(1, chain([1]), 1)).toThrow(/not cached/);
    pool.allocate(1, 1);
    expect(() => pool.takeHit(1, [], 0)).toThrow(/already holds blocks/);
    expect(() => pool.commitBlockHash(1, 1, 5)).toThrow(/no block at index 1/);
    expect(() => pool.commitBlockHash(1, 0, NaN)).toThrow(/hash/);
    expect(() => pool.refCount(4)).toThrow(/block/);
    pool.checkInvariants();
  });
});

/** Plain reference model of the pool: arrays, a list for the free queue, a Map for the cache. */
class ReferencePool {
  readonly ref: number[];
  readonly hash: (number | undefined)[];
  readonly queue: number[];
  readonly cache = new Map<number, number>();
  readonly held: (number[] | undefined)[];

  constructor(capacity: number, requests: number) {
    this.ref = Array.from({ length: capacity }, () => 0);
    this.hash = Array.from({ length: capacity }, () => undefined);
    this.queue = Array.from({ length: capacity }, (_, b) => b);
    this.held = Array.from({ length: requests }, () => undefined);
  }

  lookup(hashes: number[]): number {
    let i = 0;
    while (i < hashes.length && this.cache.has(hashes[i])) i++;
    return i;
  }

  admit(id: number, hashes: number[], hit: number, fresh: number): boolean {
    const hitBlocks = hashes.slice(0, hit).map((h) => this.cache.get(h) as number);
    const freeHits = hitBlocks.filter((b) => this.ref[b] === 0).length;
    if (fresh > this.queue.length - freeHits) return false;
    for (const b of hitBlocks) {
      if (this.ref[b] === 0) this.queue.splice(this.queue.indexOf(b), 1);
      this.ref[b]++;
    }
    this.held[id] = hitBlocks;
    return this.allocate(id, fresh);
  }

  allocate(id: number, n: number): boolean {
    if (n > this.queue.length) return false;
    const blocks = (this.held[id] ??= []);
    for (let i = 0; i < n; i++) {
      const b = this.queue.shift() as number;
      const h = this.hash[b];
      if (h !== undefined) this.cache.delete(h);
      this.hash[b] = undefined;
      this.ref[b] = 1;
      blocks.push(b);
    }
    return true;
  }

  commit(id: number, index: number, h: number): boolean {
    const b = (this.held[id] as number[])[index];
    if (this.hash[b] === h) return true;
    if (this.cache.has(h)) return false;
    this.hash[b] = h;
    this.cache.set(h, b);
    return true;
  }

  free(id: number): void {
    for (const b of [...(this.held[id] as number[])].reverse()) {
      this.ref[b]--;
      if (this.ref[b] === 0) this.queue.push(b);
    }
    this.held[id] = undefined;
  }
}

describe('PrefixCachePool against a reference model', () => {
  const REQUESTS = 5;
  const opArb = fc.record({
    kind: fc.constantFrom('admit', 'admitPrompt', 'allocate', 'commit', 'free'),
    id: fc.integer({ min: 0, max: REQUESTS - 1 }),
    n: fc.integer({ min: 0, max: 6 }),
  });
  // prompts over a 2-letter alphabet of block contents, so that prefixes are often shared
  const promptsArb = fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 4 }), {
    minLength: REQUESTS,
    maxLength: REQUESTS,
  });

  it('matches the model and keeps its invariants over random operation sequences', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        promptsArb,
        fc.array(opArb, { maxLength: 80 }),
        (capacity, prompts, ops) => {
          const pool = new PrefixCachePool(capacity, REQUESTS);
          const model = new ReferencePool(capacity, REQUESTS);
          const hashes = prompts.map(chain);
          for (const { kind, id, n } of ops) {
            const held = model.held[id];
            if (kind === 'admit' && held === undefined) {
              const hit = pool.findPrefixHit(hashes[id]);
              expect(hit).toBe(model.lookup(hashes[id]));
              const take = Math.min(hit, n);
              expect(pool.admit(id, hashes[id], take, n % 3)).toBe(model.admit(id, hashes[id], take, n % 3));
            } else if (kind === 'admitPrompt' && held === undefined) {
              // as the engine will: the capped hit, new blocks for the rest, commit the full blocks
              const full = hashes[id].length;
              const take = Math.min(
                pool.findPrefixHit(hashes[id]),
                maxPrefixHitBlocks(full * 4 + (n % 2), 4),
              );
              const fresh = full - take + (n % 2);
              const admitted = pool.admit(id, hashes[id], take, fresh);
              expect(admitted).toBe(model.admit(id, hashes[id], take, fresh));
              for (let i = take; admitted && i < full; i++) {
                expect(pool.commitBlockHash(id, i, hashes[id][i])).toBe(model.commit(id, i, hashes[id][i]));
              }
            } else if (kind === 'allocate') {
              expect(pool.allocate(id, n % 4)).toBe(model.allocate(id, n % 4));
            } else if (kind === 'commit' && held !== undefined && held.length > 0) {
              const index = n % held.length;
              if (index < hashes[id].length) {
                const h = hashes[id][index];
                expect(pool.commitBlockHash(id, index, h)).toBe(model.commit(id, index, h));
              }
            } else if (kind === 'free' && held !== undefined) {
              pool.free(id);
              model.free(id);
            }
            pool.checkInvariants();
            expect(pool.freeQueueOrder()).toEqual(model.queue);
            for (let b = 0; b < capacity; b++) {
              expect(pool.refCount(b)).toBe(model.ref[b]);
              expect(pool.blockHash(b)).toBe(model.hash[b] ?? NaN);
            }
            for (let r = 0; r < REQUESTS; r++) expect(pool.blocksOf(r)).toEqual(model.held[r] ?? []);
            expect(pool.cachedBlocks).toBe(model.cache.size);
            expect(pool.usedBlocks).toBe(model.ref.filter((c) => c > 0).length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
