import { expect } from 'vitest';
import type { EngineOutput } from '../../runner/engine/replica-engine.js';
import type { TokenModel } from '../../runner/engine/token-model.js';
import type { AuditingScheduler, Decision } from './auditing-scheduler.js';

/**
 * The invariants every run of every policy must keep, checked on
 * the engine's records against an AuditingScheduler's independent counts:
 * - every request completes exactly once, with all its output tokens;
 * - arrival <= first scheduled < first token <= finish, so TTFT <= E2E;
 * - output tokens conserved: each produced once (with the `paper` token model an evicted request
 *   produces its tokens again, and those are counted);
 * - prompt tokens conserved: the final prefill of every request plus the prefill work evictions
 *   threw away, less the tokens served from the prefix cache (first admissions and re-admissions,
 *   when the run caches prefixes: `out.prefixCache`);
 * - the evictions and recomputed tokens the engine records are the ones the policy decided;
 * - KV usage never above capacity, in the audit (every iteration) and in the time series.
 * @returns the eviction decisions, for callers that count or inspect them
 */
export function expectEngineInvariants(
  out: EngineOutput,
  audit: AuditingScheduler,
  o: { capacity: number; tokenModel: TokenModel },
): Decision[] {
  const r = out.records;
  const n = r.arrival.length;
  let sumOutput = 0;
  for (let i = 0; i < n; i++) {
    sumOutput += r.outputTokens[i];
    expect(audit.finishedCount[i]).toBe(1);
    expect(r.generatedTokens[i]).toBe(r.outputTokens[i]);
    expect(r.firstScheduled[i]).toBeGreaterThanOrEqual(r.arrival[i]);
    expect(r.firstToken[i]).toBeGreaterThan(r.firstScheduled[i]);
    expect(r.finish[i]).toBeGreaterThanOrEqual(r.firstToken[i]);
    expect(r.firstToken[i] - r.arrival[i]).toBeLessThanOrEqual(r.finish[i] - r.arrival[i]);
    if (o.tokenModel === 'vllm') expect(audit.finalTarget[i]).toBeGreaterThanOrEqual(r.promptTokens[i]);
  }
  if (o.tokenModel === 'vllm') expect(audit.decodeSteps + audit.prefillCompletions).toBe(sumOutput);
  else expect(audit.decodeSteps).toBe(sumOutput + audit.outputTokensLost);
  const finalTargets = audit.finalTarget.reduce((a, b) => a + b, 0);
  const sum = (a: Int32Array | undefined): number => a?.reduce((x, y) => x + y, 0) ?? 0;
  const cached = sum(out.prefixCache?.cachedTokens) + sum(out.prefixCache?.readmissionCachedTokens);
  expect(audit.prefillTokens + cached).toBe(finalTargets + audit.prefillTokensLost);
  const evictions = audit.decisions.filter((d) => d.kind === 'evict');
  expect(r.evictions.reduce((a, b) => a + b, 0)).toBe(evictions.length);
  expect(r.recomputedTokens.reduce((a, b) => a + b, 0)).toBe(evictions.reduce((a, d) => a + d.tokens, 0));
  expect(audit.maxUsedBlocks).toBeLessThanOrEqual(o.capacity);
  expect(Math.max(0, ...out.timeSeries.kvBlocks)).toBeLessThanOrEqual(o.capacity);
  return evictions;
}
