import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IterationBatch, IterationExecutor } from '../engine/iteration-executor.js';
import type { IterationRecords } from '../engine/run-records.js';
import type { RequestList } from '../workloads/request-list.js';
import { WorkerError, type WorkerClient } from './worker-client.js';
import type { DecodeItem, PrefillChunk, StepResultReply } from './worker-protocol.js';

/** How a GPU-in-the-loop run's clock advances (spec `machine.clock`). */
export type RunClock =
  /** by the worker's measured iteration time (CUDA events / perf_counter); transport never counts */
  | 'virtual'
  /** by the wall time the runner waited for each step, idle gaps waited out in real time (local only) */
  | 'wall';

/** Options of {@link WorkerIterationExecutor}. */
export interface WorkerExecutorOptions {
  /** The loaded model's vocabulary size: prompt token ids are drawn from [0, vocabSize). */
  vocabSize: number;
  /** Seeds the synthetic prompt token ids (the run's seed). */
  seed: number;
  /** Default `virtual`. */
  clock?: RunClock;
  /** Milliseconds to wait for one `step` or `free` reply before the run fails (default 120,000). */
  stepTimeoutMs?: number;
}

/** Growable columns of IterationRecords. */
class IterationLog {
  private readonly startS: number[] = [];
  private readonly timeS: number[] = [];
  private readonly wallS: number[] = [];
  private readonly numPrefills: number[] = [];
  private readonly prefillTokens: number[] = [];
  private readonly numDecodes: number[] = [];
  private readonly decodeKvTokens: number[] = [];

  push(batch: IterationBatch, timeS: number, wallS: number): void {
    this.startS.push(batch.startS);
    this.timeS.push(timeS);
    this.wallS.push(wallS);
    this.numPrefills.push(batch.shape.numPrefills);
    this.prefillTokens.push(batch.shape.totalPrefillTokens);
    this.numDecodes.push(batch.shape.numDecodes);
    this.decodeKvTokens.push(batch.shape.decodeKvTokens);
  }

  records(): IterationRecords {
    return {
      startS: Float64Array.from(this.startS),
      timeS: Float64Array.from(this.timeS),
      wallS: Float64Array.from(this.wallS),
      numPrefills: Int32Array.from(this.numPrefills),
      prefillTokens: Int32Array.from(this.prefillTokens),
      numDecodes: Int32Array.from(this.numDecodes),
      decodeKvTokens: Int32Array.from(this.decodeKvTokens),
    };
  }
}

/**
 * Executes the engine's batches on a loaded GPU worker (GPU-in-the-loop runs): each
 * iteration becomes one protocol `step` (docs/worker-protocol.md), preceded by `free` for every
 * request whose KV the engine dropped (finished or evicted), and the run's clock advances by the
 * worker's measured iteration time (or the wall time, with clock `wall`).
 *
 * Tokens: prompts are synthetic ids, a deterministic hash of (seed, request, position) — iteration
 * time does not depend on token values. Positions at or after a request's prompt hold the tokens
 * the worker itself sampled (append-only), so a decode feeds back the previous step's output and a
 * recomputation after eviction re-prefills exactly the request's earlier tokens. The executor tracks each
 * request's cached length and checks it against the worker's `kv_len`.
 *
 * Worker request ids are the request indices of the run. {@link releaseAll} frees what the worker
 * still holds (requests unfinished at a horizon) so the worker can serve the next run.
 */
export class WorkerIterationExecutor implements IterationExecutor {
  private readonly clock: RunClock;
  private readonly timeoutMs: number;
  private readonly cached: Int32Array;
  /** sampled[id][k] is the token at position prompt + k of request id. */
  private readonly sampled: (number[] | undefined)[];
  private readonly log = new IterationLog();
  private wallStart: number | undefined;
  private runStartS = 0;

  /**
   * @param client a worker that answered `hello` and has a model loaded (`load`)
   * @param requests the run's requests (indices are the worker's request ids)
   */
  constructor(
    private readonly client: WorkerClient,
    private readonly requests: RequestList,
    private readonly options: WorkerExecutorOptions,
  ) {
    if (!(Number.isInteger(options.vocabSize) && options.vocabSize > 0)) {
      throw new RangeError(`vocabSize must be a positive integer, got ${options.vocabSize}`);
    }
    this.clock = options.clock ?? 'virtual';
    this.timeoutMs = options.stepTimeoutMs ?? 120_000;
    this.cached = new Int32Array(requests.arrival.length);
    this.sampled = new Array<number[] | undefined>(requests.arrival.length);
  }

  async execute(batch: IterationBatch): Promise<number> {
    if (this.wallStart === undefined) {
      this.wallStart = performance.now();
      this.runStartS = batch.startS;
    }
    const started = performance.now();
    // Release first: a recomputation after eviction prefills from position 0 again.
    const frees: Promise<unknown>[] = [];
    for (let k = 0; k < batch.numReleased; k++) frees.push(this.free(batch.released[k]));
    let message: { prefill: PrefillChunk[]; decode: DecodeItem[] };
    try {
      message = this.stepMessage(batch);
    } catch (error) {
      for (const free of frees) free.catch(() => undefined);
      throw error;
    }
    // One await for all replies, so that no rejection is left unobserved.
    const [reply] = await Promise.all([
      this.client.request({ type: 'step', ...message }, { timeoutMs: this.timeoutMs }),
      ...frees,
    ]);
    const wall = (performance.now() - started) / 1000;
    this.apply(batch, reply);
    // perf_counter / CUDA events can read 0 for a trivially small batch on a coarse clock.
    const dt = this.clock === 'wall' ? wall : Math.max(reply.time_s, 1e-9);
    this.log.push(batch, dt, wall);
    return dt;
  }

  async waitUntil(t: number): Promise<void> {
    if (this.clock !== 'wall' || this.wallStart === undefined) return;
    const due = this.wallStart + (t - this.runStartS) * 1000;
    const ms = due - performance.now();
    if (ms > 0) await sleep(ms);
  }

  /** Frees every request the worker still holds KV for (call once the run has ended). */
  async releaseAll(): Promise<void> {
    const frees: Promise<unknown>[] = [];
    for (let id = 0; id < this.cached.length; id++) if (this.cached[id] > 0) frees.push(this.free(id));
    await Promise.all(frees);
  }

  /** The measured iterations so far, in order. */
  iterations(): IterationRecords {
    return this.log.records();
  }

  private free(id: number): Promise<unknown> {
    if (this.cached[id] === 0) return Promise.resolve();
    this.cached[id] = 0;
    return this.client.request({ type: 'free', request_id: id }, { timeoutMs: this.timeoutMs });
  }

  private stepMessage(batch: IterationBatch): { prefill: PrefillChunk[]; decode: DecodeItem[] } {
    const { shape } = batch;
    const prefill: PrefillChunk[] = [];
    for (let k = 0; k < shape.numPrefills; k++) {
      const id = batch.prefillIds[k];
      const start = shape.prefillKvBefore[k];
      if (start !== this.cached[id]) {
        throw this.mismatch(
          `request #${id}: engine prefills from position ${start}, worker holds ${this.cached[id]}`,
        );
      }
      const tokenIds = new Array<number>(shape.prefillTokens[k]);
      for (let p = 0; p < tokenIds.length; p++) tokenIds[p] = this.tokenAt(id, start + p);
      prefill.push({ id, start, token_ids: tokenIds });
    }
    const decode: DecodeItem[] = [];
    for (let k = 0; k < shape.numDecodes; k++) {
      const id = batch.decodeIds[k];
      decode.push({ id, token_id: this.tokenAt(id, this.cached[id]) });
    }
    return { prefill, decode };
  }

  private tokenAt(id: number, position: number): number {
    const prompt = this.requests.promptTokens[id];
    if (position < prompt) return promptTokenId(this.options.seed, id, position, this.options.vocabSize);
    const token = this.sampled[id]?.[position - prompt];
    if (token === undefined) {
      throw this.mismatch(`request #${id}: no sampled token at position ${position} (prompt ${prompt})`);
    }
    return token;
  }

  /**
   * Records the worker's sampled token for `position`. A request's token history is append-only:
   * a chunk of a recomputation that ends inside the known history (its prediction is for a token
   * already fed) changes nothing, so the same tokens are prefilled again.
   */
  private setSampled(id: number, position: number, token: number): void {
    const prompt = this.requests.promptTokens[id];
    if (position < prompt) return;
    const list = (this.sampled[id] ??= []);
    const index = position - prompt;
    if (index > list.length) {
      throw this.mismatch(`request #${id}: token at position ${position} skips sampled positions`);
    }
    if (index === list.length) list.push(token);
  }

  private apply(batch: IterationBatch, reply: StepResultReply): void {
    const { shape } = batch;
    const expected = shape.numPrefills + shape.numDecodes;
    if (reply.results.length !== expected) {
      throw this.mismatch(`step returned ${reply.results.length} results for ${expected} batch items`);
    }
    for (let k = 0; k < shape.numPrefills; k++) {
      const id = batch.prefillIds[k];
      const end = shape.prefillKvBefore[k] + shape.prefillTokens[k];
      this.check(reply.results[k], id, end);
      this.cached[id] = end;
      this.setSampled(id, end, reply.results[k].token_id);
    }
    for (let k = 0; k < shape.numDecodes; k++) {
      const id = batch.decodeIds[k];
      const r = reply.results[shape.numPrefills + k];
      const end = this.cached[id] + 1;
      this.check(r, id, end);
      this.cached[id] = end;
      this.setSampled(id, end, r.token_id);
    }
  }

  private check(result: StepResultReply['results'][number], id: number, kvLen: number): void {
    if (result.id !== id || result.kv_len !== kvLen) {
      throw this.mismatch(
        `expected request ${id} with ${kvLen} cached tokens, worker replied request ${JSON.stringify(result.id)} with ${result.kv_len}`,
      );
    }
  }

  private mismatch(detail: string): WorkerError {
    const reason = `worker state out of step with the engine: ${detail}`;
    return new WorkerError(reason, 'protocol', reason, { requestType: 'step' });
  }
}

/**
 * Synthetic prompt token id at `position` of request `id`: a 32-bit integer hash (splitmix-style
 * finaliser) of (seed, id, position), reduced to [0, vocabSize). Deterministic across runs and
 * machines, so a GPU run and its re-run feed the same prompts.
 */
export function promptTokenId(seed: number, id: number, position: number, vocabSize: number): number {
  let h =
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(id + 1, 0xc2b2ae35) ^
    Math.imul(position + 1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) % vocabSize;
}
