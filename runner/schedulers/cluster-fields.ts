import { z } from 'zod';
import { ROUTINGS, type Routing } from '../engine/routing.js';

/** Most replicas one run may simulate. */
export const MAX_REPLICAS = 1024;

/** The routing rule of a cluster whose policy entry names none (Vidur's and vLLM production-stack's default). */
export const DEFAULT_ROUTING: Routing = 'round-robin';

/**
 * The `replicas` and `routing` fields every policy entry of a sweep spec takes: the run serves its
 * requests on `replicas` identical replicas (each with the machine's KV cache and its own scheduler
 * of the entry's policy) behind a router (runner/engine/cluster-engine.ts, routing.ts). Both are
 * grid axes like any policy parameter. Absent means one replica, and a run with one replica is the
 * single-replica run of earlier builds (same key, same result); `routing` applies only with
 * `replicas` > 1 (default `round-robin`, as Vidur's `global_scheduler_config` and vLLM
 * production-stack's router default to).
 */
export const clusterFields = {
  replicas: z
    .number()
    .int()
    .min(1)
    .max(MAX_REPLICAS)
    .optional()
    .describe(
      'Replicas serving the run, each with the machine and its own scheduler of this policy, behind a ' +
        `router (integer 1..${MAX_REPLICAS}; default 1).`,
    ),
  routing: z
    .enum(ROUTINGS as [Routing, ...Routing[]])
    .optional()
    .describe(
      'How the router picks a replica for each arrival (with replicas > 1): round-robin, least-outstanding ' +
        '(fewest unfinished requests), least-kv (fewest KV blocks in use), power-of-two (the less loaded of ' +
        'two random replicas), prefix-affinity (longest cached prefix within a load bound, after SGLang). ' +
        `Default ${DEFAULT_ROUTING}.`,
    ),
};

/** The cluster a policy entry's runs are served by. */
export interface ClusterShape {
  /** Replicas, >= 1. */
  replicas: number;
  /** The routing rule (meaningful only with replicas > 1). */
  routing: Routing;
}

/**
 * The cluster of a policy entry: its `replicas` (default 1) and `routing` (default round-robin).
 * @param policy a validated policy entry
 */
export function clusterOf(policy: { readonly replicas?: number; readonly routing?: Routing }): ClusterShape {
  return { replicas: policy.replicas ?? 1, routing: policy.routing ?? DEFAULT_ROUTING };
}

/**
 * A policy entry as it enters the run key and labels: without `replicas` and `routing` when the
 * run has one replica (so single-replica runs keep the keys of builds before clusters), with both
 * spelled out (routing's effective value) otherwise.
 * @returns a new object; `policy` is not changed
 */
export function withEffectiveCluster<P extends { readonly replicas?: number; readonly routing?: Routing }>(
  policy: P,
): Omit<P, 'replicas' | 'routing'> & Partial<ClusterShape> {
  const { replicas: _r, routing: _g, ...rest } = policy;
  const cluster = clusterOf(policy);
  return cluster.replicas > 1 ? { ...rest, ...cluster } : rest;
}
