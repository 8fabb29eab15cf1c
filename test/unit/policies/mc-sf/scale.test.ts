import { describe, expect, it } from 'vitest';
import { simulate } from '../../../../runner/engine/replica-engine.js';
import type { EngineView, Scheduler } from '../../../../runner/engine/scheduler.js';
import { LinearIterationTimeModel } from '../../../../runner/latency/linear-model.js';
import { requestList } from '../../../helpers/request-lists.js';
import { mcSfFor } from './run-mc-sf.js';

/**
 * Wraps a scheduler and counts the EngineView methods it calls while planning (by name) and the
 * iterations it plans: the policy's work in units that do not depend on the machine's speed.
 */
class CountingScheduler implements Scheduler {
  readonly calls = new Map<string, number>();
  iterations = 0;
  readonly name: string;

  constructor(private readonly inner: Scheduler) {
    this.name = inner.name;
  }
  reservedBlocks(capacity: number): number {
    return this.inner.reservedBlocks(capacity);
  }
  onArrival(id: number, view: EngineView): void {
    this.inner.onArrival(id, view);
  }
  onFinish(id: number, view: EngineView): void {
    this.inner.onFinish(id, view);
  }
  schedule(view: EngineView): void {
    this.iterations++;
    const calls = this.calls;
    this.inner.schedule(
      new Proxy(view, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop, target);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    );
  }
  /** Calls of one EngineView method (0 when never called). */
  count(method: keyof EngineView): number {
    return this.calls.get(method) ?? 0;
  }
  /** Calls of every EngineView method together. */
  total(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }
}

/**
 * MC-SF at scale, in work done rather than seconds (its wall time on this trace is a benchmark:
 * `npm run bench:mc-sf`, bench/mc-sf-scale-bench.ts).
 */
describe('mc-sf on a 10,000-request trace', () => {
  it('completes without evicting, trying one waiting request beyond those it starts per iteration', () => {
    // Poisson arrivals at 50 req/s, exponential prompts (mean 40) and outputs (mean 85, max 400),
    // 1,031 blocks of 16 = 16,496 tokens, about the Llama2-70B capacity of MC-SF's experiments (arXiv 2502.07115).
    let x = 42;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: [number, number, number][] = [];
    let t = 0;
    for (let i = 0; i < 10_000; i++) {
      t += -Math.log(1 - next()) * 0.02;
      rows.push([
        t,
        1 + Math.floor(-Math.log(1 - next()) * 40),
        Math.min(400, 1 + Math.floor(-Math.log(1 - next()) * 85)),
      ]);
    }
    const list = requestList(rows);
    const o = { kvCapacityBlocks: 1031, blockSize: 16 };
    const policy = new CountingScheduler(mcSfFor(list, {}, o));
    const out = simulate(list, { ...o, iterationTime: new LinearIterationTimeModel(0.01, 1e-6) }, policy);
    expect(out.records.finish.every((f) => Number.isFinite(f))).toBe(true);
    expect(out.records.evictions.every((e) => e === 0)).toBe(true);
    expect(out.records.preemptions.every((e) => e === 0)).toBe(true);
    expect(out.totals.kvPeakBlocks).toBeLessThanOrEqual(1031);

    // Each request is started once (no eviction, so no second prefill) and decoded once per
    // iteration it runs; admission stops at the first waiting request that does not fit, so at
    // most one candidate per iteration is tried without being started (each candidate costs one
    // prefillTarget), never a scan of the waiting list.
    const requests = list.arrival.length;
    expect(policy.count('prefill')).toBe(requests);
    expect(policy.count('prefillTarget')).toBeLessThanOrEqual(requests + policy.iterations);
    // Planning an iteration costs a few engine calls per decision: O(started + admitted + 1).
    const decisions = policy.count('decode') + policy.count('prefill') + policy.iterations;
    expect(policy.total()).toBeLessThanOrEqual(4 * decisions);
  });
});
