import fc from 'fast-check';
import { expect } from 'vitest';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import type { McSfRun } from './run-mc-sf.js';
import { expectEngineInvariants } from '../../../helpers/engine-invariants.js';

/** Random workloads: rows of [gap to the previous arrival s, prompt tokens, output tokens]. */
export const workloadArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.5, noNaN: true })),
    fc.integer({ min: 1, max: 120 }),
    fc.integer({ min: 1, max: 60 }),
  ),
  { minLength: 1, maxLength: 40 },
);

/**
 * Invariants every MC-SF run keeps, whatever the predictions: KV within capacity (also audited
 * after every iteration by the AuditingScheduler), every request completes exactly once with all
 * its tokens, tokens are conserved (work thrown away by evictions counted), TTFT <= E2E, no
 * preemption, and non-preemptive execution: between two consecutive steps of a request there is
 * no gap unless it was evicted right after the first of them.
 */
export function expectRunInvariants(
  run: McSfRun,
  list: RequestList,
  capacity: number,
  tokenModel: TokenModel,
): void {
  const { audit, out } = run;
  const n = list.arrival.length;
  const evictions = expectEngineInvariants(out, audit, { capacity, tokenModel });
  for (let i = 0; i < n; i++) expect(out.records.preemptions[i]).toBe(0);
  // Whole-prompt prefills: one completion per request plus one per eviction.
  expect(audit.prefillCompletions).toBe(n + evictions.length);

  const steps = new Map<number, number[]>();
  const evictedIn = new Set<string>();
  for (const d of audit.decisions) {
    if (d.kind === 'evict') {
      evictedIn.add(`${d.id}@${d.iteration}`);
      continue;
    }
    const its = steps.get(d.id) ?? [];
    its.push(d.iteration);
    steps.set(d.id, its);
  }
  for (const [id, its] of steps) {
    for (let k = 1; k < its.length; k++) {
      if (its[k] !== its[k - 1] + 1) expect(evictedIn.has(`${id}@${its[k - 1] + 1}`)).toBe(true);
    }
  }
}
