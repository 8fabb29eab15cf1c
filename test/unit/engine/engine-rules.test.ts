import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { simulate } from '../../../runner/engine/replica-engine.js';
import { PolicyViolationError } from '../../../runner/engine/policy-violation.js';
import type { EngineView, Scheduler } from '../../../runner/engine/scheduler.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { computeRunMetrics } from '../../../runner/metrics/run-metrics.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';
import { requestList } from '../../helpers/request-lists.js';

/** A scheduler whose schedule() is given by the test. */
function scripted(plan: (view: EngineView, waiting: number[]) => void): Scheduler {
  const waiting: number[] = [];
  return {
    name: 'scripted',
    reservedBlocks: () => 0,
    onArrival: (id) => void waiting.push(id),
    onFinish: () => undefined,
    schedule: (view) => plan(view, waiting),
  };
}

const config = { kvCapacityBlocks: 10, blockSize: 1, iterationTime: new LinearIterationTimeModel(1, 0) };
const two = requestList([
  [0, 4, 3],
  [0, 4, 3],
]);

function violation(plan: (view: EngineView, waiting: number[]) => void): PolicyViolationError {
  try {
    simulate(two, config, scripted(plan));
  } catch (e) {
    if (e instanceof PolicyViolationError) return e;
    throw e;
  }
  throw new Error('expected a PolicyViolationError');
}

describe('the engine validates every decision of a policy', () => {
  it('rejects KV usage above capacity, naming policy, iteration and rule', () => {
    const cap = violation((v) => {
      if (v.iteration === 1) {
        v.prefill(0, 4, 8);
        v.prefill(1, 4);
      }
    });
    expect(cap.rule).toBe('kv-capacity');
    expect(cap.message).toMatch(/^policy scripted broke rule kv-capacity at iteration 1 /);
  });

  it('rejects scheduling a request twice in one iteration', () => {
    const e = violation((v) => {
      v.prefill(0, 2);
      v.prefill(0, 2);
    });
    expect(e.rule).toBe('scheduled-twice');
    expect(e.iteration).toBe(1);
  });

  it('rejects running a finished request again', () => {
    const e = violation((v) => {
      if (v.iteration === 1) v.prefill(0, 4);
      else v.decode(0); // request 0 finishes after iteration 3 (prefill token + 2 decodes)
    });
    expect(e.rule).toBe('finished-request');
    expect(e.iteration).toBe(4);
  });

  it('rejects decode before prefill, prefill overrun, eviction without KV and of a batched request', () => {
    expect(violation((v) => v.decode(0)).rule).toBe('decode-before-prefill');
    expect(violation((v) => v.prefill(0, 5)).rule).toBe('prefill-overrun');
    expect(violation((v) => v.evict(1)).rule).toBe('evict-without-kv');
    expect(
      violation((v) => {
        v.prefill(0, 4);
        v.evict(0);
      }).rule,
    ).toBe('evict-scheduled');
  });

  it('rejects decisions on ids that are no request, even after both requests hold KV', () => {
    const afterPrefill = (decide: (v: EngineView) => void) =>
      violation((v) => {
        if (v.iteration === 1) {
          v.prefill(0, 4);
          v.prefill(1, 4);
        } else decide(v);
      });
    for (const id of [0.5, 1.5, -1, 2, 2 ** 29]) {
      expect(afterPrefill((v) => v.decode(id)).rule, `decode ${id}`).toBe('not-arrived');
      expect(afterPrefill((v) => v.evict(id)).rule, `evict ${id}`).toBe('evict-without-kv');
      expect(afterPrefill((v) => v.prefill(id, 1)).rule, `prefill ${id}`).toBe('not-arrived');
    }
  });

  it('rejects scheduling a request that has not arrived', () => {
    const late = requestList([
      [0, 1, 1],
      [5, 1, 1],
    ]);
    expect(() =>
      simulate(
        late,
        config,
        scripted((v) => v.prefill(1, 1)),
      ),
    ).toThrow(/not-arrived/);
  });

  it('reports a policy that stops making progress instead of dropping requests', () => {
    const e = violation((v, waiting) => {
      if (v.iteration === 1)
        v.prefill(waiting[0], 4); // request 1 is never scheduled
      else if (v.generatedTokens(0) < 3 && v.status(0) === 2) v.decode(0);
    });
    expect(e.rule).toBe('no-progress');
    expect(e.message).toMatch(/1 request\(s\) unfinished/);
  });

  it('refuses a workload whose largest request can never fit, before simulating', () => {
    const big = requestList([[0, 9, 5]]);
    expect(() => simulate(big, config, schedulerFor({ policy: 'vllm' }, big, config))).toThrow(InputError);
    expect(() => simulate(big, config, schedulerFor({ policy: 'vllm' }, big, config))).toThrow(
      /request #0 \(prompt 9 tokens, output 5 tokens\) needs 13 KV blocks/,
    );
  });

  it('jumps the clock to the next arrival when nothing can run', () => {
    const gap = requestList([
      [0, 1, 1],
      [100, 1, 1],
    ]);
    const out = simulate(gap, config, schedulerFor({ policy: 'fcfs' }, gap, config));
    expect([...out.records.finish]).toEqual([1, 101]);
    expect(out.totals.iterations).toBe(2);
  });
});

describe('horizon and bounded time series', () => {
  it('stops at the horizon and reports unfinished requests instead of hiding them', () => {
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 50; i++) rows.push([i * 0.1, 4, 20]);
    const list = requestList(rows);
    const out = simulate(
      list,
      { ...config, kvCapacityBlocks: 1000, horizonS: 10 },
      schedulerFor({ policy: 'vllm' }, list, config),
    );
    const m = computeRunMetrics(out, 0);
    expect(m.requests).toBe(50);
    expect(m.unfinished).toBeGreaterThan(0);
    expect(m.completed! + m.unfinished!).toBe(50);
    expect(m.makespan_s).toBeGreaterThanOrEqual(10);
    expect(m.makespan_s).toBeLessThan(11);
  });

  it('keeps between 1,024 and 2,048 time-series points however long the run', () => {
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 300; i++) rows.push([i * 40, 2, 30]); // each request alone: 30 iterations
    const list = requestList(rows);
    const out = simulate(
      list,
      { ...config, kvCapacityBlocks: 1000 },
      schedulerFor({ policy: 'vllm' }, list, config),
    );
    expect(out.totals.iterations).toBeGreaterThan(4096);
    const ts = out.timeSeries;
    expect(ts.t.length).toBeGreaterThanOrEqual(1024);
    expect(ts.t.length).toBeLessThanOrEqual(2048);
    for (let i = 1; i < ts.t.length; i++) expect(ts.t[i]).toBeGreaterThan(ts.t[i - 1]);
    expect(ts.t[ts.t.length - 1]).toBeGreaterThan(0.9 * out.totals.endS);
  });
});
