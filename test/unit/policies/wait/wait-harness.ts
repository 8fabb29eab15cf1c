import { simulate, type EngineOutput } from '../../../../runner/engine/replica-engine.js';
import type { EngineView, Scheduler } from '../../../../runner/engine/scheduler.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import { LinearIterationTimeModel } from '../../../../runner/latency/linear-model.js';
import { WaitScheduler, WaitSpecSchema } from '../../../../runner/schedulers/wait.js';
import { createUniform, RandomStream } from '../../../../runner/workloads/random-streams.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import { AuditingScheduler } from '../../../helpers/auditing-scheduler.js';
import { contextFor, type TestContext } from '../../../helpers/scheduler-for.js';

/**
 * A typed request list (arXiv 2504.11320v2 §2): one superposed Poisson stream of total rate sum lambda_j
 * (first arrival at 0), each request's type drawn with probability lambda_j / sum lambda, seeded.
 */
export function poissonTypedList(types: PromptType[], n: number, seed: number): RequestList {
  const arrivalsU = createUniform(seed, RandomStream.arrivals);
  const typesU = createUniform(seed, RandomStream.types);
  const total = types.reduce((s, t) => s + t.rate, 0);
  const arrival = new Float64Array(n);
  const typeIndex = new Int32Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) t += -Math.log(1 - arrivalsU()) / total;
    arrival[i] = t;
    let target = typesU() * total;
    let j = 0;
    while (j < types.length - 1 && target >= types[j].rate) target -= types[j++].rate;
    typeIndex[i] = j;
    promptTokens[i] = types[j].prompt;
    outputTokens[i] = types[j].output;
  }
  return { arrival, promptTokens, outputTokens, typeIndex };
}

/** A typed list from explicit rows [arrival s, type index] of the given types. */
export function typedRows(types: PromptType[], rows: [number, number][]): RequestList {
  return {
    arrival: Float64Array.from(rows.map((r) => r[0])),
    promptTokens: Int32Array.from(rows.map((r) => types[r[1]].prompt)),
    outputTokens: Int32Array.from(rows.map((r) => types[r[1]].output)),
    typeIndex: Int32Array.from(rows.map((r) => r[1])),
  };
}

/** Records the start time of every planned iteration (the last planning of an iteration number wins). */
export class IterationClock implements Scheduler {
  readonly starts: number[] = [];
  readonly name: string;
  constructor(readonly inner: Scheduler) {
    this.name = inner.name;
  }
  reservedBlocks(c: number): number {
    return this.inner.reservedBlocks(c);
  }
  onArrival(id: number, view: EngineView): void {
    this.inner.onArrival(id, view);
  }
  onFinish(id: number, view: EngineView): void {
    this.inner.onFinish(id, view);
  }
  schedule(view: EngineView): void {
    this.starts[view.iteration] = view.now;
    this.inner.schedule(view);
  }
}

/** Options of one test run on a linear machine. */
export interface RunOptions extends TestContext {
  /** Raw `wait` entry fields besides `policy` (validated by WaitSpecSchema), or a ready scheduler. */
  wait?: object;
  scheduler?: Scheduler;
}

/** The scheduler of a run: `o.scheduler`, else WAIT built from `o.wait` (defaults: d0 1, d1 0, paper tokens). */
function innerScheduler(list: RequestList, o: RunOptions): Scheduler {
  if (o.scheduler) return o.scheduler;
  const ctx = contextFor(list, { ...o, d0: o.d0 ?? 1, d1: o.d1 ?? 0, tokenModel: o.tokenModel ?? 'paper' });
  return new WaitScheduler(WaitSpecSchema.parse({ policy: 'wait', ...o.wait }), ctx);
}

/** Simulates a list on the linear machine of `o` (d0 = 1 s, d1 = 0, tokenModel `paper` unless given). */
export function runPlain(
  list: RequestList,
  o: RunOptions,
  scheduler = innerScheduler(list, o),
): EngineOutput {
  const tokenModel: TokenModel = o.tokenModel ?? 'paper';
  return simulate(
    list,
    {
      kvCapacityBlocks: o.kvCapacityBlocks,
      blockSize: o.blockSize,
      iterationTime: new LinearIterationTimeModel(o.d0 ?? 1, o.d1 ?? 0),
      tokenModel,
    },
    scheduler,
  );
}

/** Like runPlain, through an AuditingScheduler (independent KV and token audits) and an IterationClock. */
export function runAudited(
  list: RequestList,
  o: RunOptions,
): { out: EngineOutput; audit: AuditingScheduler; clock: IterationClock; inner: Scheduler } {
  const inner = innerScheduler(list, o);
  const audit = new AuditingScheduler(inner, list.arrival.length);
  const clock = new IterationClock(audit);
  const out = runPlain(list, o, clock);
  return { out, audit, clock, inner };
}

/** Sum of an array's elements. */
export function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
