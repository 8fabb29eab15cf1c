import type { ClusterOutput } from '../engine/cluster-output.js';
import type { EngineOutput } from '../engine/replica-engine.js';

/** What one replica of a cluster run served. */
export interface ReplicaLoad {
  /** The replica, 0-based. */
  replica: number;
  /** Requests routed to it. */
  requests: number;
  /** Of those, completed. */
  completed: number;
  /** Prompt plus output tokens of the requests routed to it: its work. */
  tokens: number;
}

/**
 * The per-replica load of a run on a cluster: for each replica, the requests routed to it, how
 * many completed, and their prompt plus output tokens. Requests never routed (replica -1: they
 * arrive after the horizon) count nowhere.
 *
 * @param replicaOf per request, its replica (RequestRecords.replica, ClusterOutput.replicaOf), -1 if never routed
 * @param replicas the cluster's replicas (some may have received nothing)
 * @param records the requests' prompt and output tokens and finish times (NaN while unfinished)
 * @returns one entry per replica, in replica order
 * @throws RangeError for a replica index outside [-1, replicas)
 */
export function replicaLoads(
  replicaOf: Int32Array,
  replicas: number,
  records: { promptTokens: Int32Array; outputTokens: Int32Array; finish: Float64Array },
): ReplicaLoad[] {
  const loads: ReplicaLoad[] = Array.from({ length: replicas }, (_, replica) => ({
    replica,
    requests: 0,
    completed: 0,
    tokens: 0,
  }));
  for (let i = 0; i < replicaOf.length; i++) {
    const r = replicaOf[i];
    if (r === -1) continue;
    const load = loads[r];
    if (load === undefined) throw new RangeError(`request #${i} is on replica ${r} of ${replicas}`);
    load.requests++;
    load.tokens += records.promptTokens[i] + records.outputTokens[i];
    if (!Number.isNaN(records.finish[i])) load.completed++;
  }
  return loads;
}

/**
 * The load imbalance of a cluster run: the largest replica's work over the mean replica's
 * (ReplicaLoad.tokens), the usual max / mean imbalance factor; 1 is perfect balance, N (the
 * replicas) means one replica took everything. In tokens rather than requests, so that a router
 * that sends the long prompts to one replica shows.
 * @returns null for fewer than two replicas or when nothing was routed
 */
export function loadImbalance(loads: readonly ReplicaLoad[]): number | null {
  if (loads.length < 2) return null;
  let total = 0;
  let most = 0;
  for (const load of loads) {
    total += load.tokens;
    if (load.tokens > most) most = load.tokens;
  }
  return total > 0 ? most / (total / loads.length) : null;
}

/**
 * Each replica's share of a cluster run's work: its prompt + output tokens over the cluster's, in
 * replica order (they sum to 1; all 0 when nothing was routed).
 */
export function replicaShares(loads: readonly ReplicaLoad[]): number[] {
  let total = 0;
  for (const load of loads) total += load.tokens;
  return loads.map((load) => (total > 0 ? load.tokens / total : 0));
}

/**
 * The replicas of a stored run: its policy parameters' `replicas` (a policy entry's field,
 * runner/schedulers/cluster-fields.ts), else 1.
 * @param params the run's stored policy parameters
 */
export function replicasOfParams(params: Readonly<Record<string, unknown>>): number {
  const replicas = params.replicas;
  return typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 1 ? replicas : 1;
}

/**
 * What each replica of a cluster run served (replicaLoads over ClusterOutput.replicaOf), or null
 * for an output of one replica (simulate, simulateOn, or a one-replica cluster's records alone).
 * @param output the engine's output; a ClusterOutput when it has `replicas` and `replicaOf`
 */
export function clusterReplicaLoads(output: EngineOutput): ReplicaLoad[] | null {
  const cluster = output as Partial<ClusterOutput>;
  if (cluster.replicas === undefined || cluster.replicaOf === undefined || cluster.replicas.length < 2) {
    return null;
  }
  return replicaLoads(cluster.replicaOf, cluster.replicas.length, output.records);
}
