import { createMt19937 } from '../workloads/mt19937.js';

/** How a cluster's router picks the replica of an arriving request. */
export type Routing = 'round-robin' | 'least-outstanding' | 'least-kv' | 'power-of-two' | 'prefix-affinity';

/** Every routing rule, in the order the spec schema lists them. */
export const ROUTINGS: readonly Routing[] = [
  'round-robin',
  'least-outstanding',
  'least-kv',
  'power-of-two',
  'prefix-affinity',
];

/** What a router may read of a replica when a request arrives (its state at that instant). */
export interface ReplicaLoad {
  /** Requests routed there and not finished (waiting, running or paused). */
  readonly outstanding: number;
  /** KV blocks in use. */
  readonly usedBlocks: number;
  /** Tokens of request `id`'s prompt its prefix cache holds (0 without prefix caching). */
  cachedPrefixTokens(id: number): number;
}

/**
 * The prefix-affinity rule's thresholds, as SGLang's router (SMG) names them for its cache-aware
 * policy (lightseekorg/smg `docs/concepts/routing/cache-aware.md` at 18a6017): the replicas
 * are imbalanced when max - min outstanding > `balanceAbs` and max > `balanceRel` x min; then the
 * least loaded replica takes the request; otherwise the replica holding the longest cached prefix
 * takes it when that prefix is more than `cacheThreshold` of the prompt, else the least loaded.
 */
export const PREFIX_AFFINITY_DEFAULTS = { balanceAbs: 64, balanceRel: 1.5, cacheThreshold: 0.3 } as const;

/**
 * Picks replicas for arriving requests. One per cluster run; `pick` is called once per request,
 * in arrival order, with every replica's state at the arrival.
 */
export interface Router {
  /**
   * @param id the arriving request (its index in the run's request list)
   * @param promptTokens its prompt, tokens
   * @param replicas every replica's load, index = replica number
   * @returns the replica index, in [0, replicas.length)
   */
  pick(id: number, promptTokens: number, replicas: readonly ReplicaLoad[]): number;
}

/** The replica with the fewest outstanding requests; ties to the lowest index. */
function leastOutstanding(replicas: readonly ReplicaLoad[]): number {
  let best = 0;
  for (let r = 1; r < replicas.length; r++) {
    if (replicas[r].outstanding < replicas[best].outstanding) best = r;
  }
  return best;
}

/**
 * The router of a rule:
 * - `round-robin`: request k (in arrival order) to replica k mod N;
 * - `least-outstanding`: fewest unfinished requests routed there (Vidur's `lor` global scheduler,
 *   vidur/scheduler/global_scheduler/lor_global_scheduler.py); ties to the lowest index;
 * - `least-kv`: fewest KV blocks in use; ties to fewer outstanding, then the lowest index;
 * - `power-of-two`: two distinct replicas drawn uniformly (MT19937 seeded with `seed`), the one with
 *   fewer outstanding (Mitzenmacher's power of two choices; SMG's `power_of_two`); ties to the first drawn;
 * - `prefix-affinity`: SGLang's cache-aware rule (PREFIX_AFFINITY_DEFAULTS), over each replica's
 *   own prefix cache; without prefix caching every match is 0 and it routes as least-outstanding.
 * @param seed the run's seed (power-of-two's draws)
 */
export function createRouter(routing: Routing, seed: number): Router {
  switch (routing) {
    case 'round-robin': {
      let next = 0;
      return {
        pick: (_id, _prompt, replicas) => {
          const r = next;
          next = (next + 1) % replicas.length;
          return r;
        },
      };
    }
    case 'least-outstanding':
      return { pick: (_id, _prompt, replicas) => leastOutstanding(replicas) };
    case 'least-kv':
      return {
        pick: (_id, _prompt, replicas) => {
          let best = 0;
          for (let r = 1; r < replicas.length; r++) {
            const a = replicas[r];
            const b = replicas[best];
            if (
              a.usedBlocks < b.usedBlocks ||
              (a.usedBlocks === b.usedBlocks && a.outstanding < b.outstanding)
            )
              best = r;
          }
          return best;
        },
      };
    case 'power-of-two': {
      const rng = createMt19937(seed >>> 0);
      return {
        pick: (_id, _prompt, replicas) => {
          const n = replicas.length;
          if (n === 1) return 0;
          const a = Math.floor(rng.normalized() * n);
          let b = Math.floor(rng.normalized() * (n - 1));
          if (b >= a) b++;
          return replicas[b].outstanding < replicas[a].outstanding ? b : a;
        },
      };
    }
    case 'prefix-affinity': {
      const { balanceAbs, balanceRel, cacheThreshold } = PREFIX_AFFINITY_DEFAULTS;
      return {
        pick: (id, prompt, replicas) => {
          let min = Infinity;
          let max = -Infinity;
          for (const r of replicas) {
            min = Math.min(min, r.outstanding);
            max = Math.max(max, r.outstanding);
          }
          const least = leastOutstanding(replicas);
          if (max - min > balanceAbs && max > balanceRel * min) return least;
          let best = -1;
          let bestTokens = 0;
          for (let r = 0; r < replicas.length; r++) {
            const cached = replicas[r].cachedPrefixTokens(id);
            if (cached > bestTokens) {
              best = r;
              bestTokens = cached;
            }
          }
          return best >= 0 && bestTokens / prompt > cacheThreshold ? best : least;
        },
      };
    }
  }
}
