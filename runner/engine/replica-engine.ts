import { InputError } from '../errors.js';
import type { BatchShape } from '../latency/batch-shape.js';
import type { IterationTimeModel } from '../latency/iteration-time-model.js';
import type { RequestList } from '../workloads/request-list.js';
import type { EngineProgress, EngineProgressSink } from './engine-progress.js';
import type { IterationBatch, IterationExecutor } from './iteration-executor.js';
import { blocksFor } from './kv-blocks.js';
import { PolicyViolationError, type EngineRule } from './policy-violation.js';
import { RequestStatus, statusName } from './request-status.js';
import type { RequestRecords, TimeSeries } from './run-records.js';
import type { EngineView, Scheduler } from './scheduler.js';
import { TimeSeriesRecorder } from './time-series-recorder.js';
import type { TokenModel } from './token-model.js';

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

/** Raw output of the engine for one run. */
export interface EngineOutput {
  records: RequestRecords;
  timeSeries: TimeSeries;
  totals: EngineTotals;
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
 * @throws RangeError when `config.progress.everyIterations` is not a positive integer; whatever
 *   `config.progress.report` throws (the run is abandoned)
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
 * @throws InputError, PolicyViolationError as simulate; RangeError when the executor returns a
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

class ReplicaEngine implements EngineView {
  readonly blockSize: number;
  readonly kvCapacityBlocks: number;
  readonly tokenModel: TokenModel;
  now = 0;
  iteration = 0;

  private readonly n: number;
  private readonly arrivalS: Float64Array;
  private readonly prompt: Int32Array;
  private readonly output: Int32Array;
  // mutable per-request state
  private readonly statusOf: Uint8Array;
  private readonly target: Int32Array;
  private readonly prefilled: Int32Array;
  private readonly generated: Int32Array;
  private readonly kv: Int32Array;
  private readonly blocks: Int32Array;
  private readonly scheduledIn: Int32Array;
  private readonly lastToken: Float64Array;
  // records
  private readonly firstScheduled: Float64Array;
  private readonly firstToken: Float64Array;
  private readonly finish: Float64Array;
  private readonly evictions: Int32Array;
  private readonly preemptions: Int32Array;
  private readonly recomputed: Int32Array;
  private readonly maxItl: Float64Array;
  // batch of the iteration being planned
  private readonly batchIds: Int32Array;
  private batchSize = 0;
  private readonly prevBatchIds: Int32Array;
  private prevBatchSize = 0;
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
  private readonly idleWaits: Promise<void>[] = [];
  // live progress: the iteration of the next report (-1: never), output tokens of finished requests
  private readonly progress: EngineProgressSink | undefined;
  private nextProgress = -1;
  private finishedOutputTokens = 0;

  constructor(
    requests: RequestList,
    private readonly config: Omit<EngineConfig, 'iterationTime'> & { iterationTime?: IterationTimeModel },
    private readonly scheduler: Scheduler,
  ) {
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
    this.arrivalS = requests.arrival;
    this.prompt = requests.promptTokens;
    this.output = requests.outputTokens;
    this.statusOf = new Uint8Array(n);
    this.target = Int32Array.from(requests.promptTokens);
    this.prefilled = new Int32Array(n);
    this.generated = new Int32Array(n);
    this.kv = new Int32Array(n);
    this.blocks = new Int32Array(n);
    this.scheduledIn = new Int32Array(n);
    this.lastToken = new Float64Array(n);
    this.firstScheduled = new Float64Array(n).fill(NaN);
    this.firstToken = new Float64Array(n).fill(NaN);
    this.finish = new Float64Array(n).fill(NaN);
    this.evictions = new Int32Array(n);
    this.preemptions = new Int32Array(n);
    this.recomputed = new Int32Array(n);
    this.maxItl = new Float64Array(n).fill(NaN);
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
    this.progress = config.progress;
    if (this.progress) {
      const every = this.progress.everyIterations;
      if (!(Number.isSafeInteger(every) && every >= 1)) {
        throw new RangeError(`progress.everyIterations must be a positive integer, got ${every}`);
      }
      this.nextProgress = every;
    }
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
   * Delivers arrivals and asks the policy for the next batch, jumping the clock over idle gaps.
   * @returns true when a non-empty batch is ready in `shape`; false when the run is over (every
   *   request finished, or the horizon reached)
   */
  private nextBatch(): boolean {
    const n = this.n;
    const shape = this.shape;
    while (this.finished < n) {
      while (this.nextArrival < n && this.arrivalS[this.nextArrival] <= this.now) {
        const id = this.nextArrival++;
        this.statusOf[id] = RequestStatus.WAITING;
        this.arrived++;
        this.scheduler.onArrival(id, this);
      }
      if (this.now >= this.horizon) return false;

      this.iteration++;
      this.batchSize = 0;
      shape.numPrefills = 0;
      shape.totalPrefillTokens = 0;
      shape.numDecodes = 0;
      shape.decodeKvTokens = 0;
      this.scheduler.schedule(this);
      this.countPreemptions();

      if (this.batchSize > 0) {
        if (this.iteration > this.maxIterations) {
          this.violation('iteration-limit', `more than ${this.maxIterations} iterations`);
        }
        return true;
      }
      this.iteration--;
      this.prevBatchSize = 0;
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
    for (let k = 0; k < shape.numPrefills; k++) {
      const id = this.prefillIds[k];
      const c = shape.prefillTokens[k];
      this.prefilled[id] += c;
      this.kv[id] += c;
      if (this.prefilled[id] === this.target[id] && this.tokenModel === 'vllm') this.emitToken(id, t);
    }
    // Apply decodes.
    for (let k = 0; k < shape.numDecodes; k++) {
      const id = this.decodeIds[k];
      this.kv[id] += 1;
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
    // Remember the batch for preemption counting, then finish completed requests.
    this.prevBatchIds.set(this.batchIds.subarray(0, this.batchSize));
    this.prevBatchSize = this.batchSize;
    for (let k = 0; k < this.batchSize; k++) {
      const id = this.batchIds[k];
      if (this.statusOf[id] === RequestStatus.ACTIVE && this.generated[id] === this.output[id]) {
        this.finishRequest(id, t);
      }
    }
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

  private progressAt(nowS: number): EngineProgress {
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
    let end = this.end;
    if (this.finished < this.n) end = Math.max(end, Math.min(this.now, this.horizon));
    return {
      records: {
        arrival: this.arrivalS,
        promptTokens: this.prompt,
        outputTokens: this.output,
        firstScheduled: this.firstScheduled,
        firstToken: this.firstToken,
        finish: this.finish,
        generatedTokens: this.generated,
        evictions: this.evictions,
        preemptions: this.preemptions,
        recomputedTokens: this.recomputed,
        maxItl: this.maxItl,
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
    };
  }

  private emitToken(id: number, t: number): void {
    const g = ++this.generated[id];
    if (g === 1) {
      if (Number.isNaN(this.firstToken[id])) this.firstToken[id] = t;
    } else {
      const gap = t - this.lastToken[id];
      if (!(gap <= this.maxItl[id])) this.maxItl[id] = gap;
    }
    this.lastToken[id] = t;
  }

  private finishRequest(id: number, t: number): void {
    this.statusOf[id] = RequestStatus.FINISHED;
    this.finish[id] = t;
    this.used -= this.blocks[id];
    this.blocks[id] = 0;
    this.active--;
    this.finished++;
    this.finishedOutputTokens += this.output[id];
    this.released[this.numReleased++] = id;
    this.scheduler.onFinish(id, this);
  }

  /** A request that ran in the previous iteration, still holds KV and is not in this batch was paused. */
  private countPreemptions(): void {
    for (let k = 0; k < this.prevBatchSize; k++) {
      const id = this.prevBatchIds[k];
      if (this.statusOf[id] === RequestStatus.ACTIVE && this.scheduledIn[id] !== this.iteration) {
        this.preemptions[id]++;
      }
    }
  }

  private violation(rule: EngineRule, detail: string): never {
    throw new PolicyViolationError(this.scheduler.name, this.iteration, rule, detail, this.now);
  }

  private checkSchedulable(id: number): void {
    if (!(id >= 0 && id < this.n && Number.isInteger(id))) this.violation('not-arrived', `no request #${id}`);
    const s = this.statusOf[id];
    if (s === RequestStatus.FUTURE)
      this.violation('not-arrived', `request #${id} arrives at ${this.arrivalS[id]} s`);
    if (s === RequestStatus.FINISHED) this.violation('finished-request', `request #${id} already finished`);
    if (this.scheduledIn[id] === this.iteration)
      this.violation('scheduled-twice', `request #${id} is already in the batch`);
  }

  private allocate(id: number, tokensAfter: number, what: string): void {
    const extra = blocksFor(tokensAfter, this.blockSize) - this.blocks[id];
    if (extra > 0) {
      if (this.used + extra > this.kvCapacityBlocks) {
        this.violation(
          'kv-capacity',
          `${what} of request #${id} needs ${extra} more block(s) but only ${this.kvCapacityBlocks - this.used} of ${this.kvCapacityBlocks} are free`,
        );
      }
      this.blocks[id] += extra;
      this.used += extra;
    }
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
    return this.target[id];
  }
  prefilledTokens(id: number): number {
    return this.prefilled[id];
  }
  remainingPrefill(id: number): number {
    return this.target[id] - this.prefilled[id];
  }
  generatedTokens(id: number): number {
    return this.generated[id];
  }
  kvTokens(id: number): number {
    return this.kv[id];
  }
  blocksHeld(id: number): number {
    return this.blocks[id];
  }
  status(id: number): number {
    return this.statusOf[id];
  }
  isScheduled(id: number): boolean {
    return this.scheduledIn[id] === this.iteration;
  }
  oracleOutputTokens(id: number): number {
    return this.output[id];
  }
  blocksToPrefill(id: number, tokens: number): number {
    return Math.max(0, blocksFor(this.kv[id] + tokens, this.blockSize) - this.blocks[id]);
  }
  blocksToDecode(id: number): number {
    return Math.max(0, blocksFor(this.kv[id] + 1, this.blockSize) - this.blocks[id]);
  }

  // ---- EngineView: decisions ----
  prefill(id: number, tokens: number, reserveTokens = 0): void {
    this.checkSchedulable(id);
    const remaining = this.target[id] - this.prefilled[id];
    if (!(Number.isInteger(tokens) && tokens >= 1 && tokens <= remaining)) {
      this.violation(
        'prefill-overrun',
        `request #${id} has ${remaining} prompt token(s) left to prefill, chunk was ${tokens}`,
      );
    }
    this.allocate(id, Math.max(this.kv[id] + tokens, reserveTokens), 'prefill');
    if (this.statusOf[id] === RequestStatus.WAITING) {
      this.statusOf[id] = RequestStatus.ACTIVE;
      this.active++;
    }
    if (Number.isNaN(this.firstScheduled[id])) this.firstScheduled[id] = this.now;
    this.scheduledIn[id] = this.iteration;
    this.batchIds[this.batchSize++] = id;
    const shape = this.shape;
    const k = shape.numPrefills++;
    this.prefillIds[k] = id;
    shape.prefillTokens[k] = tokens;
    shape.prefillKvBefore[k] = this.kv[id];
    shape.totalPrefillTokens += tokens;
  }

  decode(id: number): void {
    this.checkSchedulable(id);
    if (this.statusOf[id] !== RequestStatus.ACTIVE || this.prefilled[id] < this.target[id]) {
      this.violation(
        'decode-before-prefill',
        `request #${id} is ${statusName(this.statusOf[id])} with ${this.target[id] - this.prefilled[id]} prompt token(s) left to prefill`,
      );
    }
    if (this.tokenModel === 'vllm' && this.generated[id] === 0) {
      this.violation(
        'decode-before-prefill',
        `request #${id} has not produced its first token from prefill yet`,
      );
    }
    this.allocate(id, this.kv[id] + 1, 'decode');
    this.scheduledIn[id] = this.iteration;
    this.batchIds[this.batchSize++] = id;
    const shape = this.shape;
    this.decodeIds[shape.numDecodes++] = id;
    shape.decodeKvTokens += this.kv[id] + 1;
  }

  evict(id: number): void {
    if (this.statusOf[id] !== RequestStatus.ACTIVE) {
      this.violation('evict-without-kv', `request #${id} is ${statusName(this.statusOf[id])}`);
    }
    if (this.scheduledIn[id] === this.iteration) {
      this.violation('evict-scheduled', `request #${id} is already in this iteration's batch`);
    }
    this.used -= this.blocks[id];
    this.blocks[id] = 0;
    this.recomputed[id] += this.kv[id];
    this.kv[id] = 0;
    this.prefilled[id] = 0;
    this.evictions[id]++;
    if (this.tokenModel === 'vllm') {
      this.target[id] = this.prompt[id] + this.generated[id];
    } else {
      this.generated[id] = 0;
    }
    this.statusOf[id] = RequestStatus.WAITING;
    this.active--;
    this.released[this.numReleased++] = id;
  }

  warn(message: string): void {
    this.warnings.set(message, (this.warnings.get(message) ?? 0) + 1);
  }
}
