import { sessionSuccessors, validateSessions, type SessionTurns } from '../workloads/multi-turn.js';
import type { RequestList } from '../workloads/request-list.js';
import type { EngineProgress } from './engine-progress.js';
import {
  ReplicaEngine,
  type EngineConfig,
  type EngineOutput,
  type PrefixCacheRecords,
} from './replica-engine.js';
import { createRouter, type ReplicaLoad, type Routing } from './routing.js';
import type { RequestRecords, TimeSeries } from './run-records.js';
import type { Scheduler } from './scheduler.js';

/** How a cluster routes its requests. */
export interface ClusterRouting {
  /** The routing rule (routing.ts). */
  routing: Routing;
  /** The run's seed (power-of-two's draws). */
  seed: number;
}

/** One replica's share of a cluster run. */
export interface ReplicaShare {
  /** Requests routed to it. */
  requests: number;
  /** Of those, completed. */
  completed: number;
  /** Prompt plus output tokens of the requests routed to it. */
  tokens: number;
  /** Iterations it ran. */
  iterations: number;
  /** Its largest KV usage, blocks. */
  kvPeakBlocks: number;
}

/** The output of a cluster run: the cluster's records and totals, and what each replica took. */
export interface ClusterOutput extends EngineOutput {
  /** Per request, the replica it was routed to; -1 for a request never routed (it arrives after the horizon). */
  replicaOf: Int32Array;
  /** Per replica, in replica order. */
  replicas: ReplicaShare[];
}

/** Samples kept in the cluster's merged time series. */
const SERIES_POINTS = 2048;

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
 * queue below); turns of one session never overlap. The replicas work on a copy of the list whose
 * arrival array this run rewrites, so the records' `arrival` of a follow-up turn is its release
 * time (TTFT and E2E count from it), not the list's placeholder; a turn never released (its
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
  const releases: Releases =
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
  const out = mergeOutputs(
    engines.map((e) => e.routedOutput()),
    replicaOf,
  );
  progress?.report(clusterProgress(engines, out.totals.endS, out.totals.iterations));
  return out;
}

/** A replica with no iteration in flight. */
function idle(busyUntil: number): boolean {
  return busyUntil === Infinity;
}

/**
 * The requests still to route, in (arrival time, id) order: `next` is the earliest one's arrival
 * (Infinity when none is due yet), `take` removes it and returns its id.
 */
interface Releases {
  next(): number;
  /** Whether a request is still to route by `limit` seconds (a finite time or Infinity). */
  dueBy(limit: number): boolean;
  take(): number;
  /** Request `id` finished at `t` seconds (a session turn releases its next turn). */
  finished(id: number, t: number): void;
  /** True when no request in progress can release another one. */
  quiet(): boolean;
  /**
   * At the end of the run: marks every follow-up turn never released, its previous turn unfinished
   * (its arrival becomes NaN).
   */
  markUnreleased(): void;
}

/** A list without sessions: its requests in list order. */
class ListReleases implements Releases {
  private index = 0;
  constructor(private readonly arrival: Float64Array) {}
  next(): number {
    return this.index < this.arrival.length ? this.arrival[this.index] : Infinity;
  }
  dueBy(limit: number): boolean {
    return this.index < this.arrival.length && this.arrival[this.index] <= limit;
  }
  take(): number {
    return this.index++;
  }
  finished(): void {}
  quiet(): boolean {
    return true;
  }
  markUnreleased(): void {}
}

/**
 * A list with sessions: the first turns in list order, merged with a binary min-heap of the
 * follow-up turns released so far, keyed by (release time, id). A follow-up turn enters the heap
 * when its previous turn finishes, with `arrival` set to max(its placeholder, finish + think time).
 */
class SessionReleases implements Releases {
  private index = 0;
  private readonly heap: number[] = [];
  private readonly successor: Int32Array;
  private readonly released: Uint8Array;
  /** Turns taken (routed) that have a next turn and have not finished. */
  private live = 0;

  /** @param arrival the run's own arrival array (rewritten at each release) */
  constructor(
    private readonly arrival: Float64Array,
    private readonly sessions: SessionTurns,
  ) {
    this.successor = sessionSuccessors(sessions);
    // A first turn's arrival is known from the start (released then, routed or not).
    this.released = Uint8Array.from(sessions.previous, (p) => (p < 0 ? 1 : 0));
    this.skipFollowUps();
  }

  next(): number {
    const a = this.index < this.arrival.length ? this.arrival[this.index] : Infinity;
    return this.heap.length > 0 ? Math.min(a, this.arrival[this.heap[0]]) : a;
  }

  dueBy(limit: number): boolean {
    return (
      (this.index < this.arrival.length && this.arrival[this.index] <= limit) ||
      (this.heap.length > 0 && this.arrival[this.heap[0]] <= limit)
    );
  }

  take(): number {
    let id: number;
    if (
      this.heap.length > 0 &&
      (this.index >= this.arrival.length || this.before(this.heap[0], this.index))
    ) {
      id = this.pop();
    } else {
      id = this.index++;
      this.skipFollowUps();
    }
    if (this.successor[id] >= 0) this.live++;
    return id;
  }

  finished(id: number, t: number): void {
    const after = this.successor[id];
    if (after < 0) return;
    this.live--;
    this.arrival[after] = Math.max(this.arrival[after], t + this.sessions.thinkTime[after]);
    this.released[after] = 1;
    this.push(after);
  }

  quiet(): boolean {
    return this.live === 0;
  }

  markUnreleased(): void {
    for (let id = 0; id < this.arrival.length; id++) if (this.released[id] === 0) this.arrival[id] = NaN;
  }

  private skipFollowUps(): void {
    const previous = this.sessions.previous;
    while (this.index < previous.length && previous[this.index] >= 0) this.index++;
  }

  /** Whether request a is routed before request b: earlier arrival, then lower id. */
  private before(a: number, b: number): boolean {
    const ta = this.arrival[a];
    const tb = this.arrival[b];
    return ta < tb || (ta === tb && a < b);
  }

  private push(id: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(id, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = id;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && this.before(heap[r], heap[l]) ? r : l;
        if (!this.before(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
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

/** Each request's record from the replica that served it (replica 0's for one never routed). */
function mergeRecords(outputs: readonly EngineOutput[], replicaOf: Int32Array): RequestRecords {
  const first = outputs[0].records;
  const n = replicaOf.length;
  const pick = <T extends Float64Array | Int32Array>(field: (r: RequestRecords) => T): T => {
    const out = field(first).slice() as T;
    for (let i = 0; i < n; i++) {
      const r = replicaOf[i];
      if (r > 0) out[i] = field(outputs[r].records)[i];
    }
    return out;
  };
  const cached = first.cachedTokens;
  return {
    arrival: first.arrival,
    promptTokens: first.promptTokens,
    outputTokens: first.outputTokens,
    firstScheduled: pick((r) => r.firstScheduled),
    firstToken: pick((r) => r.firstToken),
    finish: pick((r) => r.finish),
    generatedTokens: pick((r) => r.generatedTokens),
    evictions: pick((r) => r.evictions),
    preemptions: pick((r) => r.preemptions),
    recomputedTokens: pick((r) => r.recomputedTokens),
    maxItl: pick((r) => r.maxItl),
    ...(cached === undefined ? {} : { cachedTokens: pick((r) => r.cachedTokens!) }),
  };
}

/** The replicas' sampled series merged: at each sample time, each replica's latest sample summed. */
function mergeTimeSeries(series: readonly TimeSeries[]): TimeSeries {
  const events: [number, number, number][] = []; // [t, replica, index]
  series.forEach((s, r) => {
    for (let i = 0; i < s.t.length; i++) events.push([s.t[i], r, i]);
  });
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const stride = Math.max(1, Math.ceil(events.length / SERIES_POINTS));
  const latest = new Int32Array(series.length).fill(-1);
  const rows: number[][] = [];
  for (let k = 0; k < events.length; k++) {
    const [t, r, i] = events[k];
    latest[r] = i;
    if (k % stride !== stride - 1 && k !== events.length - 1) continue;
    const row = [t, 0, 0, 0, 0, 0];
    series.forEach((s, q) => {
      const j = latest[q];
      if (j < 0) return;
      row[1] += s.queueLength[j];
      row[2] += s.running[j];
      row[3] += s.kvBlocks[j];
      row[4] += s.prefillTokens[j];
      row[5] += s.decodeCount[j];
    });
    rows.push(row);
  }
  return {
    t: Float64Array.from(rows, (row) => row[0]),
    queueLength: Int32Array.from(rows, (row) => row[1]),
    running: Int32Array.from(rows, (row) => row[2]),
    kvBlocks: Int32Array.from(rows, (row) => row[3]),
    prefillTokens: Int32Array.from(rows, (row) => row[4]),
    decodeCount: Int32Array.from(rows, (row) => row[5]),
  };
}

/** The cluster's output from its replicas' (see simulateCluster for the totals). */
function mergeOutputs(outputs: readonly EngineOutput[], replicaOf: Int32Array): ClusterOutput {
  const records = mergeRecords(outputs, replicaOf);
  const totals = outputs.map((o) => o.totals);
  const sum = (f: (t: EngineOutput['totals']) => number): number => totals.reduce((a, t) => a + f(t), 0);
  const warnings = new Map<string, number>();
  for (const o of outputs) for (const w of o.warnings) warnings.set(w, (warnings.get(w) ?? 0) + 1);
  const replicas: ReplicaShare[] = outputs.map((o) => ({
    requests: 0,
    completed: 0,
    tokens: 0,
    iterations: o.totals.iterations,
    kvPeakBlocks: o.totals.kvPeakBlocks,
  }));
  for (let i = 0; i < replicaOf.length; i++) {
    const r = replicaOf[i];
    if (r < 0) continue;
    replicas[r].requests++;
    replicas[r].tokens += records.promptTokens[i] + records.outputTokens[i];
    if (!Number.isNaN(records.finish[i])) replicas[r].completed++;
  }
  const prefixCaches = outputs.map((o) => o.prefixCache);
  let prefixCache: PrefixCacheRecords | undefined;
  if (prefixCaches[0] !== undefined) {
    const pick = (field: (p: PrefixCacheRecords) => Int32Array): Int32Array => {
      const out = field(prefixCaches[0]!).slice();
      for (let i = 0; i < replicaOf.length; i++)
        if (replicaOf[i] > 0) out[i] = field(prefixCaches[replicaOf[i]]!)[i];
      return out;
    };
    prefixCache = {
      cachedTokens: records.cachedTokens!,
      readmissionCachedTokens: pick((p) => p.readmissionCachedTokens),
      admissions: pick((p) => p.admissions),
    };
  }
  return {
    records,
    timeSeries: mergeTimeSeries(outputs.map((o) => o.timeSeries)),
    totals: {
      iterations: sum((t) => t.iterations),
      batchRequests: sum((t) => t.batchRequests),
      kvPeakBlocks: sum((t) => t.kvPeakBlocks),
      kvBlockSeconds: sum((t) => t.kvBlockSeconds),
      startS: Math.min(...totals.map((t) => t.startS)),
      endS: Math.max(...totals.map((t) => t.endS)),
      kvCapacityBlocks: sum((t) => t.kvCapacityBlocks),
    },
    warnings: [...warnings].map(([text, count]) => (count > 1 ? `${text} (on ${count} replicas)` : text)),
    ...(prefixCache === undefined ? {} : { prefixCache }),
    replicaOf,
    replicas,
  };
}
