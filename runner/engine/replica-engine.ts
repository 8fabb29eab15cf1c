import { InputError } from '../errors.js';
import type { BatchShape } from '../latency/batch-shape.js';
import type { IterationTimeModel } from '../latency/iteration-time-model.js';
import type { RequestList } from '../workloads/request-list.js';
import type { EngineProgress, EngineProgressSink } from './engine-progress.js';
import { EnginePrefixCache } from './engine-prefix-cache.js';
import type { IterationBatch, IterationExecutor } from './iteration-executor.js';
import { blocksFor } from './kv-blocks.js';
import { PolicyViolationError, type EngineRule } from './policy-violation.js';
import { RequestStatus, statusName } from './request-status.js';
import type { RequestRecords, TimeSeries } from './run-records.js';
import type { EngineView, Scheduler } from './scheduler.js';
import { TimeSeriesRecorder } from './time-series-recorder.js';
import type { TokenModel } from './token-model.js';

/** Fields of a request's packed state in ReplicaEngine.req (id << 3 + field). */
const STATUS = 0; // RequestStatus
/**
 * Iteration that last scheduled the request while its current run of consecutive iterations is
 * open; 0 once the run is closed (never scheduled, evicted, or its preemption counted by the idle
 * path). See countPreemption.
 */
const SCHEDULED_IN = 1;
const PREFILLED = 2; // tokens of the prefill target in the KV cache
const TARGET = 3; // prefill target: prompt (+ produced tokens after a vllm recompute eviction)
const GENERATED = 4; // output tokens produced
const KV = 5; // KV tokens held
const BLOCKS = 6; // KV blocks held (including reservations)
const OUTPUT = 7; // output length (the request list's)
/** Fields of a request's token times in ReplicaEngine.tokenTimes (id << 1 + field), seconds. */
const LAST_TOKEN = 0;
const MAX_ITL = 1; // NaN until the second token

/** Configuration of one simulated replica. */
export interface EngineConfig {
  /** KV capacity, blocks (> 0). */
  kvCapacityBlocks: number;
  /** Tokens per KV block (>= 1; 1 is the paper's token model). */
  blockSize: number;
  /** Predicts each iteration's duration. */
  iterationTime: IterationTimeModel;
  /** See TokenModel; default `vllm`. */
  tokenModel?: TokenModel;
  /** Stop the run at this simulated time, seconds; unfinished requests are then reported. */
  horizonS?: number;
  /** Samples kept in the time series (even, default 2,048). */
  timeSeriesPoints?: number;
  /** Safety stop for livelocked policies (default 200,000,000 iterations). */
  maxIterations?: number;
  /**
   * Automatic prefix caching (EnginePrefixCache, vLLM V1's semantics): KV blocks are shared
   * between requests with equal prefixes (the request list's `prefixBlocks`) and stay cached after
   * their requests free them; an admitted request's prefill skips its cached blocks. Off by
   * default: the plain loop, each request with blocks of its own.
   */
  prefixCaching?: boolean;
  /**
   * Live progress: a report every `everyIterations` iterations and one at the end (see
   * EngineProgressSink). Off by default; when off, the loop pays one integer comparison per
   * iteration.
   */
  progress?: EngineProgressSink;
}

/** Engine-level totals of one run, from which run metrics are derived (runner/metrics/). */
export interface EngineTotals {
  iterations: number;
  /** Sum over iterations of requests in the batch (prefill chunks + decodes). */
  batchRequests: number;
  /** Largest KV usage seen, blocks. */
  kvPeakBlocks: number;
  /** Integral of KV blocks in use over [start, end], block-seconds. */
  kvBlockSeconds: number;
  /** Time of the first arrival, seconds. */
  startS: number;
  /** Time the run ended: last completion, or the horizon stop, seconds. */
  endS: number;
  kvCapacityBlocks: number;
}

/** What prefix caching did in a run (EngineConfig.prefixCaching), per request. */
export interface PrefixCacheRecords {
  /** RequestRecords.cachedTokens (the same array): prompt tokens served at the first admission. */
  readonly cachedTokens: Int32Array;
  /**
   * Tokens each request took back from the cache when re-admitted after evictions, summed: part
   * of what its evictions dropped (`recomputedTokens` counts all of it) that was not computed
   * again, tokens.
   */
  readonly readmissionCachedTokens: Int32Array;
  /** Times each request was admitted (0: never; more than 1 after evictions). */
  readonly admissions: Int32Array;
}

/** Raw output of the engine for one run. */
export interface EngineOutput {
  records: RequestRecords;
  timeSeries: TimeSeries;
  totals: EngineTotals;
  /** Present when the run cached prefixes (EngineConfig.prefixCaching). */
  prefixCache?: PrefixCacheRecords;
  /** Warnings with their count, e.g. `prompt longer than maxNumBatchedTokens ran alone (x3)`. */
  warnings: string[];
}

/**
 * Checks that every request can complete on the machine at all: its largest KV footprint plus
 * the policy's reserved blocks fits the capacity. Without this a policy would evict forever.
 * @returns a user-facing message for the first request that cannot fit, or null
 */
export function findRequestThatCannotFit(
  requests: RequestList,
  kvCapacityBlocks: number,
  blockSize: number,
  reservedBlocks: number,
  tokenModel: TokenModel,
): string | null {
  const usable = kvCapacityBlocks - reservedBlocks;
  for (let i = 0; i < requests.arrival.length; i++) {
    const need = peakKvBlocks(requests.promptTokens[i], requests.outputTokens[i], blockSize, tokenModel);
    if (need > usable) {
      return (
        `request #${i} (prompt ${requests.promptTokens[i]} tokens, output ${requests.outputTokens[i]} tokens) ` +
        `needs ${need} KV blocks at its peak but the machine offers ${usable} (capacity ${kvCapacityBlocks}` +
        (reservedBlocks > 0 ? ` minus ${reservedBlocks} the policy keeps free` : '') +
        `); it could never complete: cap request lengths with the workload's maxTokens or use a larger machine`
      );
    }
  }
  return null;
}

/**
 * KV blocks a request holds at its peak: prompt + output tokens, less the last output token with
 * the `vllm` token model (it is emitted, never written to the cache), in blocks of `blockSize`.
 */
export function peakKvBlocks(
  promptTokens: number,
  outputTokens: number,
  blockSize: number,
  tokenModel: TokenModel,
): number {
  return blocksFor(promptTokens + outputTokens - (tokenModel === 'vllm' ? 1 : 0), blockSize);
}

/**
 * Every request that can never complete on the machine (see findRequestThatCannotFit): its peak
 * KV footprint (peakKvBlocks) exceeds the capacity less the policy's reserved blocks.
 * @returns their indices in the list, ascending; empty when all fit
 */
export function requestsThatCannotFit(
  requests: RequestList,
  kvCapacityBlocks: number,
  blockSize: number,
  reservedBlocks: number,
  tokenModel: TokenModel,
): number[] {
  const usable = kvCapacityBlocks - reservedBlocks;
  const out: number[] = [];
  for (let i = 0; i < requests.arrival.length; i++) {
    if (peakKvBlocks(requests.promptTokens[i], requests.outputTokens[i], blockSize, tokenModel) > usable) {
      out.push(i);
    }
  }
  return out;
}

/**
 * Discrete-event simulation of one inference replica.
 *
 * Each iteration: deliver arrivals, ask the policy for a batch (validated decision by decision),
 * advance the clock by the iteration-time model, then apply the batch: prefill chunks fill KV,
 * decodes produce one token each, finished requests free their blocks. When the policy schedules
 * nothing, the clock jumps to the next arrival. All request state lives here in typed arrays;
 * policies only decide. With `config.progress` set, the run's live state is reported every few
 * iterations and at the end (EngineProgressSink); the output is the same with or without it.
 *
 * @throws InputError when a request can never fit in the KV cache (see findRequestThatCannotFit)
 * @throws PolicyViolationError when the policy breaks an engine rule
 * @throws RangeError when `config.progress.everyIterations` is not a positive integer, or when the
 *   list has multi-turn sessions (`requests.sessions`: their turns are released as earlier turns
 *   finish, which simulateCluster does; one replica is `simulateCluster(list, config, [scheduler],
 *   {routing: 'round-robin', seed})`); whatever `config.progress.report` throws (the run is abandoned)
 */
export function simulate(requests: RequestList, config: EngineConfig, scheduler: Scheduler): EngineOutput {
  return new ReplicaEngine(requests, config, scheduler).run();
}

/**
 * The same replica as {@link simulate}, with each batch executed by `executor` (a GPU worker)
 * instead of timed by an iteration-time model: the clock advances by what `execute` returns.
 * Policies, validation, records, metrics and progress reports are exactly those of simulate.
 *
 * @param config as for simulate, without `iterationTime`
 * @throws InputError, PolicyViolationError as simulate; RangeError for a list with sessions (as
 *   simulate) or when the executor returns a
 *   non-positive or non-finite duration; whatever `executor.execute` throws (the run is abandoned)
 */
export function simulateOn(
  requests: RequestList,
  config: Omit<EngineConfig, 'iterationTime'>,
  scheduler: Scheduler,
  executor: IterationExecutor,
): Promise<EngineOutput> {
  return new ReplicaEngine(requests, config, scheduler).runOn(executor);
}

/**
 * One replica's engine. `simulate` and `simulateOn` run it alone over a whole request list. A
 * cluster (cluster-engine.ts) runs several in routed mode: each is given the whole list, but a
 * request arrives at a replica only once the router has fed it there (`feed`), and the cluster
 * drives the iterations (`planIteration`, the iteration-time model, `finishIteration`) and the
 * idle waits (`idleUntil`) of all replicas in time order.
 */
export class ReplicaEngine implements EngineView {
  readonly blockSize: number;
  readonly kvCapacityBlocks: number;
  readonly tokenModel: TokenModel;
  now = 0;
  iteration = 0;

  private readonly n: number;
  private readonly arrivalS: Float64Array;
  private readonly prompt: Int32Array;
  private readonly output: Int32Array;
  /**
   * The per-request state every decision and every token touches, packed: request id's fields
   * are req[(id << 3) + FIELD] (see RequestField) and tokenTimes[(id << 1) + LAST_TOKEN | MAX_ITL],
   * so one request's state shares one or two cache lines instead of one line per field.
   */
  private readonly req: Int32Array;
  private readonly tokenTimes: Float64Array;
  // records
  private readonly firstScheduled: Float64Array;
  private readonly firstToken: Float64Array;
  private readonly finish: Float64Array;
  private readonly evictions: Int32Array;
  private readonly preemptions: Int32Array;
  private readonly recomputed: Int32Array;
  // batch of the iteration being planned, and of the previous one (the two buffers swap)
  private batchIds: Int32Array;
  private batchSize = 0;
  private prevBatchIds: Int32Array;
  private prevBatchSize = 0;
  /** Number of the last schedule() call that returned (its preemptions are due). */
  private checkedThrough = 0;
  /** tokenModel === 'vllm': a prefill's last chunk emits a token. */
  private readonly prefillEmits: boolean;
  /** Tokens a request must have produced before it may decode: 1 with `vllm`, 0 with `paper`. */
  private readonly minGeneratedToDecode: number;
  private readonly shape: BatchShape;
  private readonly decodeIds: Int32Array;
  private readonly prefillIds: Int32Array;
  // counters
  private used = 0;
  private active = 0;
  private arrived = 0;
  private finished = 0;
  private readonly warnings = new Map<string, number>();
  // run state shared by nextBatch and completeIteration
  private readonly horizon: number;
  private readonly maxIterations: number;
  private readonly recorder: TimeSeriesRecorder;
  private readonly start: number;
  private end: number;
  private nextArrival = 0;
  private batchRequests = 0;
  private kvPeak = 0;
  private kvBlockSeconds = 0;
  // requests whose KV was dropped (finished or evicted) since the last executed batch
  private readonly released: Int32Array;
  private numReleased = 0;
  private onIdle: ((t: number) => void) | undefined;
  /** Prefix caching's state; undefined for the plain loop (EngineConfig.prefixCaching off). */
  private readonly prefix: EnginePrefixCache | undefined;
  private readonly idleWaits: Promise<void>[] = [];
  // live progress: the iteration of the next report (-1: never), output tokens of finished requests
  private readonly progress: EngineProgressSink | undefined;
  private nextProgress = -1;
  private finishedOutputTokens = 0;
  /** Routed mode: the ids fed to this replica, in arrival order (order[0 .. fed)); else undefined. */
  private readonly order: Int32Array | undefined;
  private fed = 0;
  /** Routed mode: 0 while requests may still be fed; 1 once they are not; 2 once the scheduler knows. */
  private arrivalsEnd = 0;

  /**
   * @param routed true for a replica of a cluster: no request arrives until it is fed (`feed`)
   * @throws InputError, RangeError as simulate
   */
  constructor(
    requests: RequestList,
    private readonly config: Omit<EngineConfig, 'iterationTime'> & { iterationTime?: IterationTimeModel },
    private readonly scheduler: Scheduler,
    routed = false,
  ) {
    if (requests.sessions !== undefined && !routed) {
      throw new RangeError(
        'this request list has multi-turn sessions (requests.sessions), whose turns are released as ' +
          'earlier turns finish; run it with simulateCluster (one replica: simulateCluster(list, ' +
          "config, [scheduler], {routing: 'round-robin', seed})), not simulate or simulateOn",
      );
    }
    const n = requests.arrival.length;
    if (requests.promptTokens.length !== n || requests.outputTokens.length !== n) {
      throw new RangeError('request list columns have different lengths');
    }
    if (!(config.kvCapacityBlocks > 0 && Number.isInteger(config.kvCapacityBlocks))) {
      throw new InputError(
        `machine KV capacity must be a positive number of blocks, got ${config.kvCapacityBlocks}`,
      );
    }
    if (!(config.blockSize >= 1 && Number.isInteger(config.blockSize))) {
      throw new InputError(`machine blockSize must be a positive integer, got ${config.blockSize}`);
    }
    for (let i = 0; i < n; i++) {
      if (requests.promptTokens[i] < 1 || requests.outputTokens[i] < 1) {
        throw new InputError(
          `request #${i} has prompt ${requests.promptTokens[i]} and output ${requests.outputTokens[i]} tokens; both must be >= 1`,
        );
      }
      if (i > 0 && requests.arrival[i] < requests.arrival[i - 1]) {
        throw new InputError(
          `request #${i} arrives before request #${i - 1}; request lists must be sorted by arrival`,
        );
      }
    }
    this.n = n;
    this.blockSize = config.blockSize;
    this.kvCapacityBlocks = config.kvCapacityBlocks;
    this.tokenModel = config.tokenModel ?? 'vllm';
    this.prefillEmits = this.tokenModel === 'vllm';
    this.minGeneratedToDecode = this.prefillEmits ? 1 : 0;
    this.arrivalS = requests.arrival;
    this.prompt = requests.promptTokens;
    this.output = requests.outputTokens;
    if (n >= 2 ** 28) throw new InputError(`${n} requests is more than the engine holds (2^28 - 1)`);
    this.req = new Int32Array(n << 3); // status FUTURE (0), nothing prefilled, generated or held
    this.tokenTimes = new Float64Array(n << 1);
    // A replica of a cluster sets up each request when it is fed (feed): it gets 1/N of them.
    if (!routed) for (let id = 0; id < n; id++) this.setUp(id);
    this.firstScheduled = new Float64Array(n).fill(NaN);
    this.firstToken = new Float64Array(n).fill(NaN);
    this.finish = new Float64Array(n).fill(NaN);
    this.evictions = new Int32Array(n);
    this.preemptions = new Int32Array(n);
    this.recomputed = new Int32Array(n);
    this.batchIds = new Int32Array(n);
    this.prevBatchIds = new Int32Array(n);
    this.decodeIds = new Int32Array(n);
    this.prefillIds = new Int32Array(n);
    this.shape = {
      numPrefills: 0,
      prefillTokens: new Int32Array(n),
      prefillKvBefore: new Int32Array(n),
      totalPrefillTokens: 0,
      numDecodes: 0,
      decodeKvTokens: 0,
    };
    this.released = new Int32Array(n);
    this.horizon = config.horizonS ?? Infinity;
    this.maxIterations = config.maxIterations ?? 200_000_000;
    this.recorder = new TimeSeriesRecorder(config.timeSeriesPoints ?? 2048);
    this.start = n > 0 ? requests.arrival[0] : 0;
    this.now = this.start;
    this.end = this.start;
    const cannotFit = findRequestThatCannotFit(
      requests,
      config.kvCapacityBlocks,
      config.blockSize,
      scheduler.reservedBlocks(config.kvCapacityBlocks),
      this.tokenModel,
    );
    if (cannotFit) throw new InputError(`policy ${scheduler.name}: ${cannotFit}`);
    this.order = routed ? new Int32Array(n) : undefined;
    this.prefix = config.prefixCaching
      ? new EnginePrefixCache(
          requests.promptTokens,
          config.kvCapacityBlocks,
          config.blockSize,
          requests.prefixBlocks,
          requests.sessions === undefined
            ? undefined
            : { sessions: requests.sessions, outputTokens: requests.outputTokens },
        )
      : undefined;
    this.progress = config.progress;
    if (this.progress) {
      const every = this.progress.everyIterations;
      if (!(Number.isSafeInteger(every) && every >= 1)) {
        throw new RangeError(`progress.everyIterations must be a positive integer, got ${every}`);
      }
      this.nextProgress = every;
    }
  }

  // ---- Routed mode (a replica of a cluster) ----

  /**
   * Routed mode: no further request will be fed here. The scheduler hears it (noMoreArrivals) once
   * every request fed here has arrived, before it next schedules.
   */
  endArrivals(): void {
    this.arrivalsEnd = 1;
  }

  /** Routed mode: request `id` has been routed here; it arrives at its arrival time. */
  feed(id: number): void {
    this.setUp(id);
    this.order![this.fed++] = id;
  }

  /** Request `id`'s engine state before it arrives: its prefill target and output length. */
  private setUp(id: number): void {
    this.req[(id << 3) + TARGET] = this.prompt[id];
    this.req[(id << 3) + OUTPUT] = this.output[id];
    this.tokenTimes[(id << 1) + MAX_ITL] = NaN;
  }

  /** Requests routed here that have not finished (waiting, running or paused). */
  get outstanding(): number {
    return this.fed - this.finished;
  }

  /** Routed mode: requests routed here so far. */
  get fedRequests(): number {
    return this.fed;
  }

  /** Requests finished so far. */
  get completedRequests(): number {
    return this.finished;
  }

  /**
   * Routed mode: the longest prefix of request `id` this replica's prefix cache holds, tokens; 0
   * without prefix caching. No side effects on the cache.
   */
  cachedPrefixTokens(id: number): number {
    return this.prefix === undefined ? 0 : this.prefix.hitBlocks(id, this.prompt[id]) * this.blockSize;
  }

  /**
   * Routed mode: delivers the fed requests that have arrived by `now` and asks the policy for a
   * batch, without moving the clock (the cluster moves it: idleUntil, finishIteration).
   * @returns true when a batch is planned (time it with `shape`, then finishIteration); false
   *   when nothing is scheduled now, or the horizon is reached
   * @throws PolicyViolationError when the policy breaks an engine rule
   */
  planIteration(): boolean {
    const order = this.order!;
    while (this.nextArrival < this.fed && this.arrivalS[order[this.nextArrival]] <= this.now) {
      const id = order[this.nextArrival++];
      this.req[(id << 3) + STATUS] = RequestStatus.WAITING;
      this.arrived++;
      this.scheduler.onArrival(id, this);
    }
    if (this.arrivalsEnd === 1 && this.nextArrival === this.fed) {
      this.arrivalsEnd = 2;
      this.scheduler.noMoreArrivals?.();
    }
    if (this.now >= this.horizon) return false;
    return this.scheduleIteration();
  }

  /** The batch planned by planIteration (read it before finishIteration). */
  get plannedShape(): BatchShape {
    return this.shape;
  }

  /** Routed mode: the replica idles until `t` (seconds, >= now): KV held accrues, the clock moves. */
  idleUntil(t: number): void {
    if (t <= this.now) return;
    this.kvBlockSeconds += this.used * (t - this.now);
    this.now = t;
  }

  /** Routed mode: applies the planned batch after it took `dt` seconds (see completeIteration). */
  finishIteration(dt: number): void {
    this.completeIteration(dt);
  }

  /**
   * Routed mode: the requests the last finishIteration finished (their finish time is `now`), as a
   * view valid until the next planIteration.
   */
  finishedInIteration(): Int32Array {
    return this.released.subarray(0, this.numReleased);
  }

  /**
   * Routed mode: throws the no-progress violation of a replica that holds unfinished requests
   * when nothing more will arrive and its policy schedules nothing.
   * @throws PolicyViolationError (rule `no-progress`) when requests fed here are unfinished
   */
  checkProgress(): void {
    if (this.fed === this.finished || this.now >= this.horizon) return;
    this.violation(
      'no-progress',
      `nothing scheduled with ${this.fed - this.finished} request(s) unfinished (${this.arrived - this.active - this.finished} waiting, ${this.active} holding KV) and no arrival left`,
    );
  }

  /** Routed mode: the replica's output (records of the requests fed here; the others never arrived). */
  routedOutput(): EngineOutput {
    return this.result();
  }

  /** Runs to the end with the machine's iteration-time model (the simulator's loop). */
  run(): EngineOutput {
    const model = this.config.iterationTime;
    if (!model) throw new RangeError('simulate needs an iteration-time model in the engine config');
    while (this.nextBatch()) this.completeIteration(model.iterationTime(this.shape));
    return this.finalResult();
  }

  /** Runs to the end with each batch executed (and timed) by `executor`. */
  async runOn(executor: IterationExecutor): Promise<EngineOutput> {
    const batch: IterationBatch = {
      iteration: 0,
      startS: 0,
      shape: this.shape,
      prefillIds: this.prefillIds,
      decodeIds: this.decodeIds,
      released: this.released,
      numReleased: 0,
    };
    this.onIdle = executor.waitUntil ? (t) => this.idleWaits.push(executor.waitUntil!(t)) : undefined;
    for (;;) {
      const more = this.nextBatch();
      // Idle jumps of the clock in nextBatch are waited out before the batch runs (wall clock).
      for (const wait of this.idleWaits.splice(0)) await wait;
      if (!more) break;
      batch.iteration = this.iteration;
      batch.startS = this.now;
      batch.numReleased = this.numReleased;
      this.completeIteration(await executor.execute(batch));
    }
    return this.finalResult();
  }

  /**
   * Asks the policy for one iteration's batch at the current clock (arrivals already delivered).
   * @returns true when it scheduled something (the batch is in `shape`); false when it scheduled
   *   nothing: the iteration is not counted and the runs the previous batch left open are closed
   * @throws PolicyViolationError when the policy breaks an engine rule or passes maxIterations
   */
  private scheduleIteration(): boolean {
    this.iteration++;
    this.batchSize = 0;
    const shape = this.shape;
    shape.numPrefills = 0;
    shape.totalPrefillTokens = 0;
    shape.numDecodes = 0;
    shape.decodeKvTokens = 0;
    this.scheduler.schedule(this);
    this.checkedThrough = this.iteration;
    if (this.batchSize > 0) {
      if (this.iteration > this.maxIterations) {
        this.violation('iteration-limit', `more than ${this.maxIterations} iterations`);
      }
      return true;
    }
    this.closeRunsAfterIdle();
    this.iteration--;
    return false;
  }

  /**
   * Delivers arrivals and asks the policy for the next batch, jumping the clock over idle gaps.
   * @returns true when a non-empty batch is ready in `shape`; false when the run is over (every
   *   request finished, or the horizon reached)
   */
  private nextBatch(): boolean {
    const n = this.n;
    while (this.finished < n) {
      while (this.nextArrival < n && this.arrivalS[this.nextArrival] <= this.now) {
        const id = this.nextArrival++;
        this.req[(id << 3) + STATUS] = RequestStatus.WAITING;
        this.arrived++;
        this.scheduler.onArrival(id, this);
      }
      if (this.now >= this.horizon) return false;
      if (this.scheduleIteration()) return true;
      if (this.nextArrival < n) {
        const wake = Math.min(this.arrivalS[this.nextArrival], this.horizon);
        this.kvBlockSeconds += this.used * (wake - this.now);
        this.now = wake;
        this.onIdle?.(wake);
        continue;
      }
      if (this.now >= this.horizon) return false;
      this.violation(
        'no-progress',
        `nothing scheduled with ${n - this.finished} request(s) unfinished (${this.arrived - this.active - this.finished} waiting, ${this.active} holding KV) and no arrival left`,
      );
    }
    return false;
  }

  /**
   * Applies the planned batch after it took `dt` seconds: advances the clock, fills KV with the
   * prefill chunks, emits decode tokens, records the time series and finishes completed requests.
   * Reports progress when this iteration is due for a report.
   * @throws RangeError when dt is not a positive finite number of seconds
   */
  private completeIteration(dt: number): void {
    if (!(dt > 0 && Number.isFinite(dt))) {
      throw new RangeError(
        `iteration ${this.iteration} took ${dt} s; an iteration must take a positive time`,
      );
    }
    const shape = this.shape;
    this.numReleased = 0;
    if (this.used > this.kvPeak) this.kvPeak = this.used;
    this.kvBlockSeconds += this.used * dt;
    this.now += dt;
    const t = this.now;
    this.batchRequests += this.batchSize;

    // Apply prefill chunks.
    const req = this.req;
    for (let k = 0; k < shape.numPrefills; k++) {
      const id = this.prefillIds[k];
      const at = id << 3;
      const c = shape.prefillTokens[k];
      req[at + KV] += c;
      if ((req[at + PREFILLED] += c) === req[at + TARGET] && this.prefillEmits) this.emitToken(id, t);
    }
    // Apply decodes.
    for (let k = 0; k < shape.numDecodes; k++) {
      const id = this.decodeIds[k];
      req[(id << 3) + KV]++;
      this.emitToken(id, t);
    }
    this.recorder.record(
      t,
      this.arrived - this.active - this.finished,
      this.active,
      this.used,
      shape.totalPrefillTokens,
      shape.numDecodes,
    );
    // Finish completed requests, then keep the batch as the previous one (closeRunsAfterIdle).
    const batchIds = this.batchIds;
    for (let k = 0; k < this.batchSize; k++) {
      const at = batchIds[k] << 3;
      if (req[at + STATUS] === RequestStatus.ACTIVE && req[at + GENERATED] === req[at + OUTPUT]) {
        this.finishRequest(batchIds[k], t);
      }
    }
    this.batchIds = this.prevBatchIds;
    this.prevBatchIds = batchIds;
    this.prevBatchSize = this.batchSize;
    this.end = t;
    if (this.iteration === this.nextProgress) {
      this.nextProgress += this.progress!.everyIterations;
      this.progress!.report(this.progressAt(t));
    }
  }

  /** The run's output, after the final progress report (when progress is on). */
  private finalResult(): EngineOutput {
    const output = this.result();
    this.progress?.report(this.progressAt(output.totals.endS));
    return output;
  }

  /** The replica's live state at `nowS` (the progress report's fields; `total` is the list's size). */
  progressAt(nowS: number): EngineProgress {
    return {
      nowS,
      startS: this.start,
      iterations: this.iteration,
      arrived: this.arrived,
      finished: this.finished,
      total: this.n,
      queueLength: this.arrived - this.active - this.finished,
      running: this.active,
      kvBlocks: this.used,
      outputTokens: this.finishedOutputTokens,
    };
  }

  private result(): EngineOutput {
    // Runs still open at the end: preempted when a schedule() after their last iteration returned.
    // A replica of a cluster looks at the requests fed to it only (the others never arrived here).
    const order = this.order;
    const count = order === undefined ? this.n : this.fed;
    for (let k = 0; k < count; k++) {
      const id = order === undefined ? k : order[k];
      if (this.req[(id << 3) + STATUS] === RequestStatus.ACTIVE) this.countPreemption(id);
    }
    let end = this.end;
    if (this.finished < (this.order === undefined ? this.n : this.fed)) {
      end = Math.max(end, Math.min(this.now, this.horizon));
    }
    return {
      records: {
        arrival: this.arrivalS,
        promptTokens: this.prompt,
        outputTokens: this.output,
        firstScheduled: this.firstScheduled,
        firstToken: this.firstToken,
        finish: this.finish,
        generatedTokens: this.perRequest(new Int32Array(this.n), (id) => this.req[(id << 3) + GENERATED]),
        evictions: this.evictions,
        preemptions: this.preemptions,
        recomputedTokens: this.recomputed,
        maxItl: this.perRequest(
          new Float64Array(this.n).fill(NaN),
          (id) => this.tokenTimes[(id << 1) + MAX_ITL],
        ),
        ...(this.prefix ? { cachedTokens: this.prefix.cachedTokens } : {}),
      },
      timeSeries: this.recorder.result(),
      totals: {
        iterations: this.iteration,
        batchRequests: this.batchRequests,
        kvPeakBlocks: this.kvPeak,
        kvBlockSeconds: this.kvBlockSeconds,
        startS: this.start,
        endS: end,
        kvCapacityBlocks: this.kvCapacityBlocks,
      },
      warnings: [...this.warnings].map(([text, count]) => (count > 1 ? `${text} (x${count})` : text)),
      ...(this.prefix
        ? {
            prefixCache: {
              cachedTokens: this.prefix.cachedTokens,
              readmissionCachedTokens: this.prefix.readmissionCachedTokens,
              admissions: this.prefix.admissions,
            },
          }
        : {}),
    };
  }

  /**
   * Fills `out` with `value(id)` for every request, or for a replica of a cluster for the requests
   * fed to it (the others keep `out`'s initial value: they never arrived here).
   */
  private perRequest<T extends Int32Array | Float64Array>(out: T, value: (id: number) => number): T {
    const order = this.order;
    if (order === undefined) for (let id = 0; id < this.n; id++) out[id] = value(id);
    else for (let k = 0; k < this.fed; k++) out[order[k]] = value(order[k]);
    return out;
  }

  private emitToken(id: number, t: number): void {
    const g = ++this.req[(id << 3) + GENERATED];
    const times = this.tokenTimes;
    const at = id << 1;
    if (g === 1) {
      if (Number.isNaN(this.firstToken[id])) this.firstToken[id] = t;
    } else {
      const gap = t - times[at + LAST_TOKEN];
      if (!(gap <= times[at + MAX_ITL])) times[at + MAX_ITL] = gap;
    }
    times[at + LAST_TOKEN] = t;
  }

  private finishRequest(id: number, t: number): void {
    this.req[(id << 3) + STATUS] = RequestStatus.FINISHED;
    this.finish[id] = t;
    if (this.prefix !== undefined) {
      this.prefix.free(id, true, this.req[(id << 3) + KV]);
      this.used = this.prefix.pool.usedBlocks;
    } else {
      this.used -= this.req[(id << 3) + BLOCKS];
    }
    this.req[(id << 3) + BLOCKS] = 0;
    this.active--;
    this.finished++;
    this.finishedOutputTokens += this.req[(id << 3) + OUTPUT];
    this.released[this.numReleased++] = id;
    this.scheduler.onFinish(id, this);
  }

  /**
   * Preemptions (RequestRecords.preemptions): a request that ran in iteration i, still holds KV
   * after the next schedule() and is not in its batch was paused once. Counted lazily, without a
   * pass over the previous batch each iteration: a request's run of consecutive iterations stays
   * open (scheduledIn[id] = its last iteration) until the request is next touched (scheduled
   * again, evicted, or the run ends); it was paused when a schedule() after its last iteration has
   * returned (scheduledIn < checkedThrough) and it was not evicted in that schedule (evict closes
   * the run). Must be called before scheduledIn[id] changes; the caller closes or renews the run.
   */
  private countPreemption(id: number): void {
    const last = this.req[(id << 3) + SCHEDULED_IN];
    if (last > 0 && last < this.checkedThrough) this.preemptions[id]++;
  }

  /**
   * After a schedule() that planned nothing (the iteration number is then reused), counts the
   * previous batch's requests that still hold KV as paused and closes their runs.
   */
  private closeRunsAfterIdle(): void {
    const ids = this.prevBatchIds;
    for (let k = 0; k < this.prevBatchSize; k++) {
      const id = ids[k];
      if (this.req[(id << 3) + STATUS] === RequestStatus.ACTIVE) this.preemptions[id]++;
      this.req[(id << 3) + SCHEDULED_IN] = 0;
    }
    this.prevBatchSize = 0;
  }

  private violation(rule: EngineRule, detail: string): never {
    throw new PolicyViolationError(this.scheduler.name, this.iteration, rule, detail, this.now);
  }

  private checkSchedulable(id: number): void {
    if (!(id >= 0 && id < this.n && Number.isInteger(id))) this.violation('not-arrived', `no request #${id}`);
    const s = this.req[(id << 3) + STATUS];
    if (s === RequestStatus.FUTURE)
      this.violation('not-arrived', `request #${id} arrives at ${this.arrivalS[id]} s`);
    if (s === RequestStatus.FINISHED) this.violation('finished-request', `request #${id} already finished`);
    if (this.req[(id << 3) + SCHEDULED_IN] === this.iteration)
      this.violation('scheduled-twice', `request #${id} is already in the batch`);
  }

  private allocate(id: number, tokensAfter: number, what: string): void {
    const extra = blocksFor(tokensAfter, this.blockSize) - this.req[(id << 3) + BLOCKS];
    if (extra > 0) {
      if (this.used + extra > this.kvCapacityBlocks) {
        this.violation(
          'kv-capacity',
          `${what} of request #${id} needs ${extra} more block(s) but only ${this.kvCapacityBlocks - this.used} of ${this.kvCapacityBlocks} are free`,
        );
      }
      this.req[(id << 3) + BLOCKS] += extra;
      if (this.prefix !== undefined) {
        this.prefix.grow(id, extra);
        this.used = this.prefix.pool.usedBlocks;
      } else {
        this.used += extra;
      }
    }
  }

  /**
   * Prefix caching: the tokens a request that holds no KV would take from the cache if admitted
   * now (its prospective hit); 0 for any other request.
   */
  private pendingHitTokens(id: number): number {
    const at = id << 3;
    if (this.req[at + BLOCKS] !== 0 || this.req[at + STATUS] !== RequestStatus.WAITING) return 0;
    return this.prefix!.hitBlocks(id, this.req[at + TARGET]) * this.blockSize;
  }

  /**
   * Prefix caching: admits a request that holds no KV with its first chunk of `tokens` tokens
   * after its cached prefix (the hit counts as prefilled), blocks for at least `reserveTokens`.
   */
  private admitCached(id: number, tokens: number, reserveTokens: number): void {
    const prefix = this.prefix!;
    const at = id << 3;
    const target = this.req[at + TARGET];
    const hitTokens = prefix.hitBlocks(id, target) * this.blockSize;
    const remaining = target - hitTokens;
    if (!(Number.isInteger(tokens) && tokens >= 1 && tokens <= remaining)) {
      this.violation(
        'prefill-overrun',
        `request #${id} has ${remaining} prompt token(s) left to prefill after ${hitTokens} cached, chunk was ${tokens}`,
      );
    }
    const need = prefix.blocksToAdmit(id, target, tokens, reserveTokens);
    if (need > this.kvCapacityBlocks - this.used || prefix.admit(id, target, tokens, reserveTokens) < 0) {
      this.violation(
        'kv-capacity',
        `prefill of request #${id} needs ${need} more block(s) but only ${this.kvCapacityBlocks - this.used} of ${this.kvCapacityBlocks} are free`,
      );
    }
    this.req[at + PREFILLED] = hitTokens;
    this.req[at + KV] = hitTokens;
    this.req[at + BLOCKS] = blocksFor(Math.max(hitTokens + tokens, reserveTokens), this.blockSize);
    this.used = prefix.pool.usedBlocks;
  }

  // ---- EngineView: reads ----
  usedBlocks(): number {
    return this.used;
  }
  freeBlocks(): number {
    return this.kvCapacityBlocks - this.used;
  }
  arrival(id: number): number {
    return this.arrivalS[id];
  }
  promptTokens(id: number): number {
    return this.prompt[id];
  }
  prefillTarget(id: number): number {
    return this.req[(id << 3) + TARGET];
  }
  prefilledTokens(id: number): number {
    const prefilled = this.req[(id << 3) + PREFILLED];
    return this.prefix === undefined ? prefilled : prefilled + this.pendingHitTokens(id);
  }
  remainingPrefill(id: number): number {
    const remaining = this.req[(id << 3) + TARGET] - this.req[(id << 3) + PREFILLED];
    return this.prefix === undefined ? remaining : remaining - this.pendingHitTokens(id);
  }
  generatedTokens(id: number): number {
    return this.req[(id << 3) + GENERATED];
  }
  kvTokens(id: number): number {
    const kv = this.req[(id << 3) + KV];
    return this.prefix === undefined ? kv : kv + this.pendingHitTokens(id);
  }
  blocksHeld(id: number): number {
    return this.req[(id << 3) + BLOCKS];
  }
  status(id: number): number {
    return this.req[(id << 3) + STATUS];
  }
  isScheduled(id: number): boolean {
    return this.req[(id << 3) + SCHEDULED_IN] === this.iteration;
  }
  oracleOutputTokens(id: number): number {
    return this.req[(id << 3) + OUTPUT];
  }
  blocksToPrefill(id: number, tokens: number): number {
    if (this.prefix !== undefined && this.pendingHitTokens(id) > 0) {
      return this.prefix.blocksToAdmit(id, this.req[(id << 3) + TARGET], tokens, 0);
    }
    return Math.max(
      0,
      blocksFor(this.req[(id << 3) + KV] + tokens, this.blockSize) - this.req[(id << 3) + BLOCKS],
    );
  }
  blocksToDecode(id: number): number {
    // The request's blocks hold blocks * blockSize tokens (at least ceil(kv / blockSize)); the
    // decode writes token kv + 1, so it needs a block exactly when they are all taken.
    return this.req[(id << 3) + KV] >= this.req[(id << 3) + BLOCKS] * this.blockSize ? 1 : 0;
  }

  // ---- EngineView: decisions ----
  prefill(id: number, tokens: number, reserveTokens = 0): void {
    this.checkSchedulable(id);
    if (this.prefix !== undefined && this.req[(id << 3) + BLOCKS] === 0) {
      this.admitCached(id, tokens, reserveTokens);
    } else {
      const remaining = this.req[(id << 3) + TARGET] - this.req[(id << 3) + PREFILLED];
      if (!(Number.isInteger(tokens) && tokens >= 1 && tokens <= remaining)) {
        this.violation(
          'prefill-overrun',
          `request #${id} has ${remaining} prompt token(s) left to prefill, chunk was ${tokens}`,
        );
      }
      this.allocate(id, Math.max(this.req[(id << 3) + KV] + tokens, reserveTokens), 'prefill');
      this.prefix?.commitFull(id, this.req[(id << 3) + KV] + tokens);
    }
    if (this.req[(id << 3) + STATUS] === RequestStatus.WAITING) {
      this.req[(id << 3) + STATUS] = RequestStatus.ACTIVE;
      this.active++;
    }
    if (Number.isNaN(this.firstScheduled[id])) this.firstScheduled[id] = this.now;
    this.countPreemption(id);
    this.req[(id << 3) + SCHEDULED_IN] = this.iteration;
    this.batchIds[this.batchSize++] = id;
    const shape = this.shape;
    const k = shape.numPrefills++;
    this.prefillIds[k] = id;
    shape.prefillTokens[k] = tokens;
    shape.prefillKvBefore[k] = this.req[(id << 3) + KV];
    shape.totalPrefillTokens += tokens;
  }

  decode(id: number): void {
    const req = this.req;
    const at = id << 3;
    const iteration = this.iteration;
    const last = req[at + SCHEDULED_IN];
    // One test for every rule a valid decode passes; the rule broken, if any, is named by
    // rejectDecode.
    if (
      !(id >>> 0 === id && id < this.n) ||
      req[at + STATUS] !== RequestStatus.ACTIVE ||
      last === iteration ||
      req[at + PREFILLED] < req[at + TARGET] ||
      req[at + GENERATED] < this.minGeneratedToDecode
    ) {
      this.rejectDecode(id);
    }
    const kv = req[at + KV];
    if (kv >= req[at + BLOCKS] * this.blockSize) {
      // The decode's token needs a new block (see blocksToDecode).
      if (this.used >= this.kvCapacityBlocks) {
        this.violation(
          'kv-capacity',
          `decode of request #${id} needs 1 more block(s) but only ${this.kvCapacityBlocks - this.used} of ${this.kvCapacityBlocks} are free`,
        );
      }
      req[at + BLOCKS]++;
      if (this.prefix !== undefined) this.growCached(id, kv);
      else this.used++;
    }
    if (last > 0 && last < this.checkedThrough) this.preemptions[id]++; // countPreemption
    req[at + SCHEDULED_IN] = iteration;
    this.batchIds[this.batchSize++] = id;
    const shape = this.shape;
    this.decodeIds[shape.numDecodes++] = id;
    shape.decodeKvTokens += kv + 1;
  }

  /** Prefix caching: a decode's new block, after committing the full blocks before it. */
  private growCached(id: number, kvTokens: number): void {
    const prefix = this.prefix!;
    prefix.commitFull(id, kvTokens);
    prefix.grow(id, 1);
    this.used = prefix.pool.usedBlocks;
  }

  /** Throws the violation of a decode that failed decode's combined test, rules in their order. */
  private rejectDecode(id: number): never {
    this.checkSchedulable(id);
    if (
      this.req[(id << 3) + STATUS] !== RequestStatus.ACTIVE ||
      this.req[(id << 3) + PREFILLED] < this.req[(id << 3) + TARGET]
    ) {
      this.violation(
        'decode-before-prefill',
        `request #${id} is ${statusName(this.req[(id << 3) + STATUS])} with ${this.req[(id << 3) + TARGET] - this.req[(id << 3) + PREFILLED]} prompt token(s) left to prefill`,
      );
    }
    this.violation(
      'decode-before-prefill',
      `request #${id} has not produced its first token from prefill yet`,
    );
  }

  evict(id: number): void {
    if (!(id >>> 0 === id && id < this.n)) this.violation('evict-without-kv', `no request #${id}`);
    if (this.req[(id << 3) + STATUS] !== RequestStatus.ACTIVE) {
      this.violation('evict-without-kv', `request #${id} is ${statusName(this.req[(id << 3) + STATUS])}`);
    }
    if (this.req[(id << 3) + SCHEDULED_IN] === this.iteration) {
      this.violation('evict-scheduled', `request #${id} is already in this iteration's batch`);
    }
    this.countPreemption(id);
    this.req[(id << 3) + SCHEDULED_IN] = 0;
    if (this.prefix !== undefined) {
      this.prefix.free(id, false);
      this.used = this.prefix.pool.usedBlocks;
    } else {
      this.used -= this.req[(id << 3) + BLOCKS];
    }
    this.req[(id << 3) + BLOCKS] = 0;
    this.recomputed[id] += this.req[(id << 3) + KV];
    this.req[(id << 3) + KV] = 0;
    this.req[(id << 3) + PREFILLED] = 0;
    this.evictions[id]++;
    if (this.tokenModel === 'vllm') {
      this.req[(id << 3) + TARGET] = this.prompt[id] + this.req[(id << 3) + GENERATED];
    } else {
      this.req[(id << 3) + GENERATED] = 0;
    }
    this.req[(id << 3) + STATUS] = RequestStatus.WAITING;
    this.active--;
    this.released[this.numReleased++] = id;
  }

  warn(message: string): void {
    this.warnings.set(message, (this.warnings.get(message) ?? 0) + 1);
  }
}
