import { simulate, type EngineOutput } from '../../../../runner/engine/replica-engine.js';
import type { Scheduler } from '../../../../runner/engine/scheduler.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { LinearIterationTimeModel } from '../../../../runner/latency/linear-model.js';
import { McSfScheduler, McSfSpecSchema } from '../../../../runner/schedulers/mc-sf.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import { AuditingScheduler } from '../../../helpers/auditing-scheduler.js';
import { contextFor } from '../../../helpers/scheduler-for.js';

/** Machine and run options of an MC-SF test run. */
export interface McSfRunOptions {
  kvCapacityBlocks: number;
  blockSize?: number;
  tokenModel?: TokenModel;
  seed?: number;
  /** Iteration time d0 + d1·KV tokens, seconds (default d0 = 1, d1 = 0: iteration k ends at t = k). */
  d0?: number;
  d1?: number;
}

/** A simulated run with its audit and the decisions per iteration, labelled A, B, C... */
export interface McSfRun {
  audit: AuditingScheduler;
  out: EngineOutput;
  steps: [number, string][];
  scheduler: Scheduler;
}

/** Builds the McSfScheduler of a run from a raw `mc-sf` entry (defaults filled by the schema). */
export function mcSfFor(
  list: RequestList,
  policy: object,
  o: McSfRunOptions,
  predictions?: ArrayLike<number>,
): McSfScheduler {
  const spec = McSfSpecSchema.parse({ policy: 'mc-sf', ...policy });
  return new McSfScheduler(
    spec,
    contextFor(list, { ...o, blockSize: o.blockSize ?? 1, tokenModel: o.tokenModel ?? 'vllm' }),
    predictions,
  );
}

/** Runs a scheduler on a request list under the AuditingScheduler. */
export function runScheduler(list: RequestList, scheduler: Scheduler, o: McSfRunOptions): McSfRun {
  const audit = new AuditingScheduler(scheduler, list.arrival.length);
  const out = simulate(
    list,
    {
      kvCapacityBlocks: o.kvCapacityBlocks,
      blockSize: o.blockSize ?? 1,
      iterationTime: new LinearIterationTimeModel(o.d0 ?? 1, o.d1 ?? 0),
      tokenModel: o.tokenModel ?? 'vllm',
    },
    audit,
  );
  const steps = [...audit.byIteration()].map(([iteration, ds]): [number, string] => [
    iteration,
    ds
      .map((d) => `${d.kind} ${String.fromCharCode(65 + d.id)}${d.kind === 'prefill' ? d.tokens : ''}`)
      .join(', '),
  ]);
  return { audit, out, steps, scheduler };
}
