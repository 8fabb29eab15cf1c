import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateCluster } from '../../../runner/engine/cluster-engine.js';
import { simulate, type EngineConfig } from '../../../runner/engine/replica-engine.js';
import { ROUTINGS, type Routing } from '../../../runner/engine/routing.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { AuditingScheduler } from '../../helpers/auditing-scheduler.js';
import { mulberry32 } from '../../helpers/mulberry32.js';
import { requestList } from '../../helpers/request-lists.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

const POLICIES = ['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'wait', 'nested-wait', 'mc-sf'];

/** n requests, Poisson at `rate` req/s, prompts 1-2000 and outputs 1-400 tokens (seeded). */
function workload(n: number, rate: number, seed: number): RequestList {
  const random = mulberry32(seed);
  let t = 0;
  const rows: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - random()) / rate;
    rows.push([t, 1 + Math.floor(random() * 2000), 1 + Math.floor(random() * 400)]);
  }
  return requestList(rows);
}

const CONFIG: EngineConfig = {
  kvCapacityBlocks: 3000,
  blockSize: 16,
  iterationTime: new LinearIterationTimeModel(0.01, 1e-6),
};

/** One scheduler of `policy` per replica (the context's rate is the cluster's over the replicas). */
function schedulers(policy: string, list: RequestList, replicas: number, rateRps: number) {
  return Array.from({ length: replicas }, () =>
    schedulerFor({ policy }, list, {
      kvCapacityBlocks: 3000,
      blockSize: 16,
      d0: 0.01,
      d1: 1e-6,
      rateRps: rateRps / replicas,
    }),
  );
}

describe('a cluster of one replica', () => {
  it('gives exactly the records, series and totals of simulate, for every policy', () => {
    const list = workload(1500, 3, 7);
    for (const policy of POLICIES) {
      const alone = simulate(list, CONFIG, schedulers(policy, list, 1, 3)[0]);
      const cluster = simulateCluster(list, CONFIG, schedulers(policy, list, 1, 3), {
        routing: 'round-robin',
        seed: 1,
      });
      expect(cluster.records, policy).toEqual(alone.records);
      expect(cluster.timeSeries, policy).toEqual(alone.timeSeries);
      expect(cluster.totals, policy).toEqual(alone.totals);
      expect([...cluster.replicaOf].every((r) => r === 0)).toBe(true);
    }
  });
});

describe('routing invariants (every policy and rule, random workloads)', () => {
  it('routes every request once, completes each on its replica, keeps every replica within its KV cache', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        fc.constantFrom(...ROUTINGS),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (policy, routing, replicas, seed) => {
          const list = workload(200, 4, seed);
          const audits = schedulers(policy, list, replicas, 4).map((s) => new AuditingScheduler(s, 200));
          const out = simulateCluster(list, CONFIG, audits, { routing, seed });
          const r = out.records;
          let routed = 0;
          for (let i = 0; i < 200; i++) {
            const replica = out.replicaOf[i];
            expect(replica).toBeGreaterThanOrEqual(0);
            expect(replica).toBeLessThan(replicas);
            // Finished exactly once, on its own replica, with all its tokens.
            audits.forEach((a, q) => expect(a.finishedCount[i]).toBe(q === replica ? 1 : 0));
            expect(r.generatedTokens[i]).toBe(r.outputTokens[i]);
            expect(r.firstScheduled[i]).toBeGreaterThanOrEqual(r.arrival[i]);
            expect(r.firstToken[i]).toBeGreaterThan(r.firstScheduled[i]);
            expect(r.finish[i]).toBeGreaterThanOrEqual(r.firstToken[i]);
            routed++;
          }
          expect(out.replicas.reduce((a, s) => a + s.requests, 0)).toBe(routed);
          expect(out.replicas.reduce((a, s) => a + s.completed, 0)).toBe(200);
          for (const [q, share] of out.replicas.entries()) {
            expect(audits[q].maxUsedBlocks).toBeLessThanOrEqual(CONFIG.kvCapacityBlocks);
            expect(share.kvPeakBlocks).toBeLessThanOrEqual(CONFIG.kvCapacityBlocks);
          }
          expect(out.totals.kvCapacityBlocks).toBe(replicas * CONFIG.kvCapacityBlocks);
          expect(out.totals.iterations).toBe(out.replicas.reduce((a, s) => a + s.iterations, 0));
        },
      ),
      { numRuns: 120, seed: 20261208 },
    );
  });
});

describe('routing rules', () => {
  const list = workload(2000, 12, 3);
  const run = (routing: Routing, replicas = 4, seed = 1) =>
    simulateCluster(list, CONFIG, schedulers('vllm', list, replicas, 12), { routing, seed });

  it('round-robin sends request k to replica k mod N', () => {
    const out = run('round-robin');
    for (let i = 0; i < 2000; i++) expect(out.replicaOf[i]).toBe(i % 4);
  });

  it('least-outstanding keeps the replicas within a few requests of each other at every arrival', () => {
    // Replay the routing: at each arrival the chosen replica had the fewest unfinished requests.
    const out = run('least-outstanding');
    const finishOrder = [...Array(2000).keys()].sort((a, b) => out.records.finish[a] - out.records.finish[b]);
    let f = 0;
    const outstanding = [0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) {
      // requests finished by this arrival (finish <= arrival: the iteration ended first)
      while (f < 2000 && out.records.finish[finishOrder[f]] <= list.arrival[i]) {
        const j = finishOrder[f++];
        if (j < i) outstanding[out.replicaOf[j]]--;
      }
      expect(outstanding[out.replicaOf[i]]).toBe(Math.min(...outstanding));
      outstanding[out.replicaOf[i]]++;
    }
  });

  it('power-of-two is the same for a seed and differs between seeds', () => {
    expect([...run('power-of-two', 4, 5).replicaOf]).toEqual([...run('power-of-two', 4, 5).replicaOf]);
    expect([...run('power-of-two', 4, 5).replicaOf]).not.toEqual([...run('power-of-two', 4, 6).replicaOf]);
  });

  it('four replicas at four times the rate serve like one replica at the rate', () => {
    const one = workload(2000, 3, 11);
    const four = workload(8000, 12, 11);
    const alone = simulate(one, CONFIG, schedulers('vllm', one, 1, 3)[0]);
    const cluster = simulateCluster(four, CONFIG, schedulers('vllm', four, 4, 12), {
      routing: 'least-outstanding',
      seed: 1,
    });
    const meanE2e = (o: typeof alone, n: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += o.records.finish[i] - o.records.arrival[i];
      return s / n;
    };
    const ratio = meanE2e(cluster, 8000) / meanE2e(alone, 2000);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.2);
    const shares = cluster.replicas.map((s) => s.requests);
    expect(Math.max(...shares) / (8000 / 4)).toBeLessThan(1.05);
  });
});

describe('prefix-affinity', () => {
  it('sends requests that share a prefix to the replica caching it, and hits more than round-robin', () => {
    // 8 system prompts of 512 tokens; each request: one of them + 1-200 own tokens.
    const random = mulberry32(9);
    const n = 1200;
    const rows: [number, number, number][] = [];
    const ids: number[] = [];
    const offsets = new Int32Array(n + 1);
    let t = 0;
    for (let i = 0; i < n; i++) {
      t += -Math.log(1 - random()) / 8;
      rows.push([t, 512 + 1 + Math.floor(random() * 200), 1 + Math.floor(random() * 100)]);
      ids.push(Math.floor(random() * 8));
      offsets[i + 1] = i + 1;
    }
    const list = {
      ...requestList(rows),
      prefixBlocks: { blockTokens: 512, offsets, ids: Float64Array.from(ids) },
    };
    const config = { ...CONFIG, prefixCaching: true };
    const hit = (routing: Routing) => {
      const out = simulateCluster(list, config, schedulers('vllm-v1', list, 4, 8), { routing, seed: 1 });
      const cached = out.records.cachedTokens!.reduce((a, b) => a + b, 0);
      return { out, rate: cached / list.promptTokens.reduce((a, b) => a + b, 0) };
    };
    const affinity = hit('prefix-affinity');
    const roundRobin = hit('round-robin');
    expect(affinity.rate).toBeGreaterThan(roundRobin.rate);
    // Each system prompt ends up mostly on one replica.
    const home = new Map<number, Map<number, number>>();
    for (let i = 0; i < n; i++) {
      const byReplica = home.get(ids[i]) ?? new Map<number, number>();
      byReplica.set(affinity.out.replicaOf[i], (byReplica.get(affinity.out.replicaOf[i]) ?? 0) + 1);
      home.set(ids[i], byReplica);
    }
    for (const byReplica of home.values()) {
      const counts = [...byReplica.values()];
      expect(Math.max(...counts) / counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.8);
    }
  });
});
