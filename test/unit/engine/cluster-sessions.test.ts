import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateCluster } from '../../../runner/engine/cluster-engine.js';
import { simulate, simulateOn, type EngineConfig } from '../../../runner/engine/replica-engine.js';
import { ROUTINGS } from '../../../runner/engine/routing.js';
import { InputError } from '../../../runner/errors.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { buildRequestList, loadWorkload } from '../../../runner/workloads/build-workload.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { parseWorkloadSpec } from '../../../runner/workloads/workload-spec.js';
import { AuditingScheduler } from '../../helpers/auditing-scheduler.js';
import { requestList } from '../../helpers/request-lists.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

const POLICIES = ['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'wait', 'nested-wait', 'mc-sf'];

const CONFIG: EngineConfig = {
  kvCapacityBlocks: 3000,
  blockSize: 16,
  iterationTime: new LinearIterationTimeModel(0.01, 1e-6),
};

function schedulers(
  policy: string,
  list: RequestList,
  replicas: number,
  rateRps: number,
  kvCapacityBlocks = 3000,
) {
  return Array.from({ length: replicas }, () =>
    schedulerFor({ policy }, list, {
      kvCapacityBlocks,
      blockSize: 16,
      d0: 0.01,
      d1: 1e-6,
      rateRps: rateRps / replicas,
    }),
  );
}

/** A synthetic multi-turn list: n turns, sessions starting at rate / mean turns. */
function chats(
  n: number,
  seed: number,
  rate = 4,
  turns: number | object = { dist: 'uniform', min: 1, max: 5 },
  thinkTimeS = 2,
) {
  const spec = parseWorkloadSpec(
    {
      name: 'chat',
      requests: n,
      arrival: { process: 'poisson', rate },
      promptTokens: { dist: 'uniform', min: 5, max: 300 },
      outputTokens: { dist: 'uniform', min: 1, max: 120 },
      maxTokens: 4000,
      sessions: { turns, thinkTimeS },
    },
    { file: 'spec.yaml' },
  );
  return buildRequestList(loadWorkload(spec, { specDir: '.' }), { seed });
}

describe('a hand-worked pair of sessions on one replica', () => {
  // Iterations of exactly 1 s (d1 = 0). Session A: turn A0 at 0 s (prompt 10, output 3), then A1
  // 2 s after A0 finishes (prompt 10 + 3 + 5 = 18, output 2). Session B: B0 at 3.5 s (prompt 4,
  // output 1), then B1 0.25 s after B0 finishes (prompt 4 + 1 + 3 = 8, output 1). Placeholders
  // (service taking no time): A1 at 0 + 2, B1 at 3.5 + 0.25; sorted: A0, A1, B0, B1.
  const list: RequestList = {
    ...requestList([
      [0, 10, 3],
      [2, 18, 2],
      [3.5, 4, 1],
      [3.75, 8, 1],
    ]),
    sessions: { previous: Int32Array.from([-1, 0, -1, 2]), thinkTime: Float64Array.from([0, 2, 0, 0.25]) },
  };
  const config: EngineConfig = {
    kvCapacityBlocks: 100,
    blockSize: 16,
    iterationTime: new LinearIterationTimeModel(1, 0),
  };

  it('releases each follow-up exactly a think time after its previous turn finishes', () => {
    const out = simulateCluster(list, config, schedulers('vllm-v1', list, 1, 1, 100), {
      routing: 'round-robin',
      seed: 1,
    });
    const r = out.records;
    // A0: prefill [0, 1] (first token), decodes [1, 2] and [2, 3]: finishes at 3, so A1 arrives at 5.
    // B0: arrives 3.5, its prefill [3.5, 4.5] emits its only token; B1 arrives at 4.75, runs [4.75,
    // 5.75]. A1 waits for that iteration: prefill [5.75, 6.75], decode [6.75, 7.75].
    expect([...r.arrival]).toEqual([0, 5, 3.5, 4.75]);
    expect([...r.firstScheduled]).toEqual([0, 5.75, 3.5, 4.75]);
    expect([...r.firstToken]).toEqual([1, 6.75, 4.5, 5.75]);
    expect([...r.finish]).toEqual([3, 7.75, 4.5, 5.75]);
    expect(r.arrival[1]).toBe(r.finish[0] + 2);
    expect(r.arrival[3]).toBe(r.finish[2] + 0.25);
    // The caller's list is untouched: its placeholders stay.
    expect([...list.arrival]).toEqual([0, 2, 3.5, 3.75]);
  });

  it('leaves a turn whose previous turn did not finish by the horizon unreleased (arrival NaN)', () => {
    // The iteration [1, 2] starts before the horizon and ends after it; none starts after it.
    const out = simulateCluster(list, { ...config, horizonS: 1.5 }, schedulers('vllm-v1', list, 1, 1, 100), {
      routing: 'round-robin',
      seed: 1,
    });
    const r = out.records;
    expect(r.arrival[1]).toBeNaN();
    expect(out.replicaOf[1]).toBe(-1);
    expect(r.finish[0]).toBeNaN();
    expect(r.firstScheduled[1]).toBeNaN();
    // B0 arrives after the horizon: never routed, its recorded arrival its own.
    expect(r.arrival[2]).toBe(3.5);
    expect(out.replicaOf[2]).toBe(-1);
  });

  it('is refused by the plain engine, which points to simulateCluster', () => {
    const scheduler = schedulers('vllm-v1', list, 1, 1, 100)[0];
    expect(() => simulate(list, config, scheduler)).toThrow(RangeError);
    expect(() => simulate(list, config, scheduler)).toThrow(/simulateCluster/);
    expect(() => simulateOn(list, config, scheduler, { execute: () => Promise.resolve(1) })).toThrow(
      /simulateCluster/,
    );
  });

  it('refuses inconsistent sessions with an InputError naming sessions', () => {
    const bad = {
      ...list,
      sessions: { previous: Int32Array.from([-1, 0, 0, 2]), thinkTime: new Float64Array(4) },
    };
    expect(() =>
      simulateCluster(bad, config, schedulers('vllm-v1', bad, 1, 1, 100), {
        routing: 'round-robin',
        seed: 1,
      }),
    ).toThrow(InputError);
  });
});

describe('closed-loop turns (every policy and routing rule, random sessions)', () => {
  it("never overlaps a session's turns and finishes every request", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        fc.constantFrom(...ROUTINGS),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        (policy, routing, replicas, seed, prefixCaching) => {
          const n = 150;
          const list = chats(n, seed, 3 * replicas);
          const audits = schedulers(policy, list, replicas, 3 * replicas).map(
            (s) => new AuditingScheduler(s, n, { sharedBlocks: prefixCaching }),
          );
          const out = simulateCluster(list, { ...CONFIG, prefixCaching }, audits, { routing, seed });
          const r = out.records;
          const { previous, thinkTime } = list.sessions!;
          for (let i = 0; i < n; i++) {
            // Every request is routed once and finished with all its tokens.
            expect(out.replicaOf[i]).toBeGreaterThanOrEqual(0);
            expect(r.finish[i]).not.toBeNaN();
            expect(r.generatedTokens[i]).toBe(r.outputTokens[i]);
            expect(r.firstScheduled[i]).toBeGreaterThanOrEqual(r.arrival[i]);
            const p = previous[i];
            if (p < 0) {
              expect(r.arrival[i]).toBe(list.arrival[i]);
              continue;
            }
            // Released a think time after the previous turn finished, and scheduled no earlier.
            expect(r.arrival[i]).toBe(Math.max(list.arrival[i], r.finish[p] + thinkTime[i]));
            expect(r.arrival[i]).toBeGreaterThanOrEqual(r.finish[p] + thinkTime[i]);
            expect(r.firstScheduled[i]).toBeGreaterThanOrEqual(r.finish[p]);
          }
          expect(out.replicas.reduce((a, s) => a + s.completed, 0)).toBe(n);
          for (const a of audits) expect(a.maxUsedBlocks).toBeLessThanOrEqual(CONFIG.kvCapacityBlocks);
        },
      ),
      { numRuns: 60, seed: 20261208 },
    );
  });

  it('accounts for every request at a horizon: finished, in progress, or never released behind an unfinished turn', () => {
    for (const policy of POLICIES) {
      const list = chats(300, 4, 6);
      const horizonS = 20;
      const out = simulateCluster(list, { ...CONFIG, horizonS }, schedulers(policy, list, 2, 6), {
        routing: 'least-outstanding',
        seed: 4,
      });
      const r = out.records;
      const { previous } = list.sessions!;
      let finished = 0;
      let unreleased = 0;
      for (let i = 0; i < 300; i++) {
        const p = previous[i];
        if (!Number.isNaN(r.finish[i])) {
          finished++;
          expect(r.firstScheduled[i]).toBeLessThan(horizonS);
        } else if (Number.isNaN(r.arrival[i])) {
          // Never released: its previous turn did not finish.
          unreleased++;
          expect(p).toBeGreaterThanOrEqual(0);
          expect(r.finish[p]).toBeNaN();
          expect(out.replicaOf[i]).toBe(-1);
        } else {
          // Released (routed unless after the horizon) and not finished.
          if (p >= 0) expect(r.arrival[i]).toBeGreaterThanOrEqual(r.finish[p]);
        }
      }
      expect(finished, policy).toBeGreaterThan(0);
      expect(finished, policy).toBeLessThan(300);
      expect(unreleased, policy).toBeGreaterThan(0);
    }
  });

  it('lets WAIT and Nested WAIT drain what they hold when nothing can arrive unless they schedule', () => {
    // Few long sessions and a short think time: the turns in progress are all that can come.
    for (const policy of ['wait', 'nested-wait']) {
      const list = chats(200, 9, 1, 20, 0.5);
      const out = simulateCluster(list, CONFIG, schedulers(policy, list, 2, 1), {
        routing: 'round-robin',
        seed: 9,
      });
      expect(
        out.records.finish.every((f) => !Number.isNaN(f)),
        policy,
      ).toBe(true);
    }
  });
});

describe('prefix caching across turns', () => {
  it("turn 2+ takes its whole history from the cache, the previous turn's output blocks included", () => {
    const list = chats(400, 3, 4, { dist: 'uniform', min: 2, max: 6 });
    // A cache that never evicts: every block ever computed stays findable.
    const config: EngineConfig = { ...CONFIG, kvCapacityBlocks: 200_000, prefixCaching: true };
    const out = simulateCluster(list, config, schedulers('vllm-v1', list, 1, 4, 200_000), {
      routing: 'round-robin',
      seed: 3,
    });
    const cached = out.records.cachedTokens!;
    const { previous } = list.sessions!;
    const p = list.promptTokens;
    const o = list.outputTokens;
    let followUps = 0;
    let pastPrompt = 0;
    let cachedSum = 0;
    let promptSum = 0;
    for (let i = 0; i < 400; i++) {
      promptSum += p[i];
      cachedSum += cached[i];
      const q = previous[i];
      if (q < 0) {
        expect(cached[i]).toBe(0);
        continue;
      }
      followUps++;
      const history = p[q] + o[q];
      expect(cached[i]).toBeLessThanOrEqual(history);
      // The previous turn held prompt + output - 1 tokens (its last token is never written):
      // every full block of them is found.
      expect(cached[i]).toBe(Math.floor((history - 1) / 16) * 16);
      if (cached[i] > p[q]) pastPrompt++;
    }
    expect(followUps).toBeGreaterThan(200);
    expect(pastPrompt).toBeGreaterThan(followUps / 2);
    expect(cachedSum / promptSum).toBeGreaterThan(0.3);
  });

  it('reuses the history on the replica that served it under prefix-affinity routing', () => {
    const list = chats(600, 5, 8);
    const config: EngineConfig = { ...CONFIG, prefixCaching: true };
    const hitRate = (routing: 'prefix-affinity' | 'round-robin') => {
      const out = simulateCluster(list, config, schedulers('vllm-v1', list, 4, 8), { routing, seed: 5 });
      return (
        out.records.cachedTokens!.reduce((a, b) => a + b, 0) / list.promptTokens.reduce((a, b) => a + b, 0)
      );
    };
    const affinity = hitRate('prefix-affinity');
    expect(affinity).toBeGreaterThan(0);
    expect(affinity).toBeGreaterThan(hitRate('round-robin'));
  });
});
