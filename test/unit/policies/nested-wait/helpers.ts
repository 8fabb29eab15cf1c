import { simulate } from '../../../../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../../../../runner/latency/linear-model.js';
import { NestedWaitScheduler, NestedWaitSpecSchema } from '../../../../runner/schedulers/nested-wait.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import { AuditingScheduler } from '../../../helpers/auditing-scheduler.js';
import { contextFor, type TestContext } from '../../../helpers/scheduler-for.js';
import { ProtocolAudit } from './protocol-audit.js';

/** A Nested WAIT scheduler for a test run, from a raw policy entry (validated, defaults filled in). */
export function nestedWaitFor(policy: object, requests: RequestList, o: TestContext): NestedWaitScheduler {
  return new NestedWaitScheduler(
    NestedWaitSpecSchema.parse({ policy: 'nested-wait', ...policy }),
    contextFor(requests, o),
  );
}

/** Options of runNestedWait. */
export interface RunOptions extends TestContext {
  /** Iteration-time model coefficients (default d0 = 1 s, d1 = 0: iteration k ends at t = k). */
  d0?: number;
  d1?: number;
}

/**
 * Simulates a run under Nested WAIT, audited by the engine-accounting audit (AuditingScheduler)
 * and the Algorithm 2 audit (ProtocolAudit); token model `paper` unless given.
 * @returns both audits, the engine output and the inner scheduler
 */
export function runNestedWait(policy: object, requests: RequestList, o: RunOptions) {
  const tokenModel = o.tokenModel ?? 'paper';
  const inner = nestedWaitFor(policy, requests, { ...o, tokenModel });
  const protocol = new ProtocolAudit(inner, requests.arrival.length);
  const audit = new AuditingScheduler(protocol, requests.arrival.length);
  const out = simulate(
    requests,
    {
      kvCapacityBlocks: o.kvCapacityBlocks,
      blockSize: o.blockSize,
      iterationTime: new LinearIterationTimeModel(o.d0 ?? 1, o.d1 ?? 0),
      tokenModel,
    },
    audit,
  );
  return { audit, out, inner, protocol };
}

const NAMES = 'ABCDEFGHIJKLMNOPQRST';

/** Decisions per iteration as `decode A, prefill B5`, for hand-worked scenarios. */
export function steps(audit: ReturnType<typeof runNestedWait>['audit']): Map<number, string> {
  const out = new Map<number, string>();
  for (const [iteration, ds] of audit.byIteration()) {
    out.set(
      iteration,
      ds.map((d) => `${d.kind} ${NAMES[d.id]}${d.kind === 'prefill' ? d.tokens : ''}`).join(', '),
    );
  }
  return out;
}
