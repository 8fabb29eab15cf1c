import { validateSessions } from '../workloads/multi-turn.js';
import type { RequestList } from '../workloads/request-list.js';
import type { EngineProgress } from './engine-progress.js';
import { mergeClusterOutputs, type ClusterOutput } from './cluster-output.js';
import { ReplicaEngine, type EngineConfig } from './replica-engine.js';
import { ListReleases, SessionReleases, type RequestReleases } from './request-releases.js';
import { createRouter, type ReplicaLoad, type Routing } from './routing.js';
import type { Scheduler } from './scheduler.js';

/** How a cluster routes its requests. */
export interface ClusterRouting {
  /** The routing rule (routing.ts). */
  routing: Routing;
  /** The run's seed (power-of-two's draws). */
  seed: number;
}

/**
 * Discrete-event simulation of a cluster of identical replicas behind a router. Each replica is a
 * ReplicaEngine in routed mode with its own scheduler (one per replica, of the same policy), KV
 * cache and prefix cache; requests are routed one by one at their arrival time by
 * `routing.routing`, which sees every replica's state at that instant. Events run in time order:
 * at each instant the iterations ending then complete first, then the requests arriving then are
 * routed, then every replica that is free plans its next iteration (as the single replica delivers
 * arrivals up to its clock before it schedules). A replica with nothing to do idles until the
 * router feeds it. With one replica the records are those of `simulate`.
 *
 * The cluster's records are each request's from the replica that served it. Its totals:
 * iterations, batch requests, KV block-seconds and KV capacity are sums over the replicas; the
 * KV peak is the sum of the replicas' peaks (an upper bound of the cluster's simultaneous peak);
 * the time series merges the replicas' sampled series, each value the sum over replicas of their
 * latest sample. Live progress (config.progress) reports the cluster's sums.
 *
 * Multi-turn sessions (`requests.sessions`, runner/workloads/multi-turn.ts): a session's first
 * turn arrives at its `arrival`; each later turn is released when its previous turn finishes, at
 * max(its `arrival`, that finish + its think time), and routed like any arrival then (the release
 * queue, request-releases.ts); turns of one session never overlap. The replicas work on a copy of
 * the list whose arrival array this run rewrites, so the records' `arrival` of a follow-up turn
 * is its release time (TTFT and E2E count from it), not the list's placeholder; a turn never released (its
 * previous turn did not finish within the horizon) has arrival NaN and is never routed. The
 * records are then not sorted by arrival, and request ids stay in the list's (placeholder)
 * order: a policy that orders by id orders a follow-up turn by its session's place. The end of
 * arrivals (noMoreArrivals) comes once no turn can be released any more; and whenever the cluster
 * is quiescent (every replica idle, no release pending) while turns in progress still have a next
 * turn, the replicas hear it too (each at that instant), since nothing more arrives unless they
 * schedule: WAIT and Nested WAIT drain what they hold then, and may hear it again later.
 *
 * @param schedulers one fresh scheduler per replica (their number is the number of replicas, >= 1)
 * @throws RangeError without schedulers or without an iteration-time model; InputError naming
 *   field `sessions` for inconsistent sessions (validateSessions); InputError,
 *   PolicyViolationError as simulate
 */
export function simulateCluster(
  requests: RequestList,
  config: EngineConfig,
  schedulers: readonly Scheduler[],
  routing: ClusterRouting,
): ClusterOutput {
  const count = schedulers.length;
  if (count < 1) throw new RangeError('a cluster needs at least one replica (one scheduler each)');
  const model = config.iterationTime;
  const replicaConfig = { ...config, progress: undefined };
  const sessions = requests.sessions;
  if (sessions !== undefined) validateSessions(sessions, requests.arrival.length);
  // With sessions, the replicas read a copy whose arrival entries this run sets at each release.
  const list = sessions === undefined ? requests : { ...requests, arrival: requests.arrival.slice() };
  const engines = schedulers.map((s) => new ReplicaEngine(list, replicaConfig, s, true));
  const loads: ReplicaLoad[] = engines.map((e) => ({
    get outstanding() {
      return e.outstanding;
    },
    get usedBlocks() {
      return e.usedBlocks();
    },
    cachedPrefixTokens: (id: number) => e.cachedPrefixTokens(id),
  }));
  const router = createRouter(routing.routing, routing.seed);
  const n = list.arrival.length;
  const arrival = list.arrival;
  const prompt = list.promptTokens;
  const releases: RequestReleases =
    sessions === undefined ? new ListReleases(arrival) : new SessionReleases(arrival, sessions);
  const horizon = config.horizonS ?? Infinity;
  const replicaOf = new Int32Array(n).fill(-1);
  /** End of each replica's iteration in flight; Infinity while it idles. */
  const busyUntil = new Float64Array(count).fill(Infinity);
  const duration = new Float64Array(count);
  const needsPlan = new Uint8Array(count);
  const progress = config.progress;
  let nextProgress = progress ? progress.everyIterations : Infinity;
  if (progress && !(Number.isSafeInteger(progress.everyIterations) && progress.everyIterations >= 1)) {
    throw new RangeError(
      `progress.everyIterations must be a positive integer, got ${progress.everyIterations}`,
    );
  }
  let iterations = 0;
  let arrivalsEnded = false;

  const plan = (r: number): void => {
    const engine = engines[r];
    if (!engine.planIteration()) return;
    const dt = model.iterationTime(engine.plannedShape);
    duration[r] = dt;
    busyUntil[r] = engine.now + dt;
  };
  /** Replicas whose iteration ends at the current instant, ascending. */
  const ending = new Int32Array(count);
  /** Replicas to plan at the current instant (needsPlan marks them), in the order they came. */
  const toPlan = new Int32Array(count);
  let planCount = 0;
  const markToPlan = (r: number): void => {
    if (needsPlan[r] === 1) return;
    needsPlan[r] = 1;
    toPlan[planCount++] = r;
  };

  for (;;) {
    // The next instant: the earliest due arrival or iteration end, and which iterations end then.
    let t = releases.dueBy(horizon) ? releases.next() : Infinity;
    let endingCount = 0;
    for (let r = 0; r < count; r++) {
      const until = busyUntil[r];
      if (until < t) {
        t = until;
        ending[0] = r;
        endingCount = 1;
      } else if (until === t && until !== Infinity) {
        ending[endingCount++] = r;
      }
    }
    if (t === Infinity) break;
    // 1. Iterations ending now complete (a session turn finishing releases its next turn).
    for (let k = 0; k < endingCount; k++) {
      const r = ending[k];
      busyUntil[r] = Infinity;
      engines[r].finishIteration(duration[r]);
      iterations++;
      markToPlan(r);
      if (sessions !== undefined) {
        const done = engines[r].finishedInIteration();
        for (let k = 0; k < done.length; k++) releases.finished(done[k], t);
      }
    }
    // 2. Requests arriving now are routed, each seeing the replicas as they are.
    while (releases.next() <= t) {
      const id = releases.take();
      const r = router.pick(id, prompt[id], loads);
      if (!(Number.isInteger(r) && r >= 0 && r < count)) {
        throw new RangeError(`router ${routing.routing} picked replica ${r} of ${count} for request #${id}`);
      }
      replicaOf[id] = r;
      engines[r].feed(id);
      if (busyUntil[r] === Infinity) {
        engines[r].idleUntil(t);
        markToPlan(r);
      }
    }
    // Once the last request within the horizon is routed (and, with sessions, no turn can be
    // released any more), every replica is told no more come (WAIT and Nested WAIT drain on it)
    // and the idle ones plan again.
    if (!arrivalsEnded && !releases.dueBy(horizon) && releases.quiet()) {
      arrivalsEnded = true;
      for (let r = 0; r < count; r++) {
        if (sessions !== undefined && busyUntil[r] === Infinity) engines[r].idleUntil(t);
        engines[r].endArrivals();
        if (busyUntil[r] === Infinity) markToPlan(r);
      }
    }
    // 3. Free replicas plan their next iteration (each touches its own state only: any order).
    for (let k = 0; k < planCount; k++) {
      const r = toPlan[k];
      needsPlan[r] = 0;
      plan(r);
    }
    planCount = 0;
    // Sessions: a quiescent cluster whose next turns wait on turns it holds hears that nothing
    // arrives unless it schedules (see above); if it still schedules nothing, the run ends.
    if (sessions !== undefined && !arrivalsEnded && !releases.dueBy(horizon) && busyUntil.every(idle)) {
      for (let r = 0; r < count; r++) {
        engines[r].idleUntil(t);
        engines[r].endArrivals();
        plan(r);
      }
      if (busyUntil.every(idle)) break;
    }
    if (iterations >= nextProgress) {
      nextProgress = iterations + progress!.everyIterations;
      progress!.report(clusterProgress(engines, t, iterations));
    }
  }
  for (const engine of engines) engine.checkProgress();
  releases.markUnreleased();
  const out = mergeClusterOutputs(
    engines.map((e) => e.routedOutput()),
    replicaOf,
    engines.map((e) => ({ requests: e.fedRequests, completed: e.completedRequests })),
  );
  progress?.report(clusterProgress(engines, out.totals.endS, out.totals.iterations));
  return out;
}

/** A replica with no iteration in flight. */
function idle(busyUntil: number): boolean {
  return busyUntil === Infinity;
}

/** The cluster's live state: the replicas' progress summed. */
function clusterProgress(
  engines: readonly ReplicaEngine[],
  nowS: number,
  iterations: number,
): EngineProgress {
  const parts = engines.map((e) => e.progressAt(nowS));
  const sum = (f: (p: EngineProgress) => number): number => parts.reduce((a, p) => a + f(p), 0);
  return {
    nowS,
    startS: parts[0].startS,
    iterations,
    arrived: sum((p) => p.arrived),
    finished: sum((p) => p.finished),
    total: parts[0].total,
    queueLength: sum((p) => p.queueLength),
    running: sum((p) => p.running),
    kvBlocks: sum((p) => p.kvBlocks),
    outputTokens: sum((p) => p.outputTokens),
  };
}
