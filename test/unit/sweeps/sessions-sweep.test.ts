import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep, requestListKey } from '../../../runner/sweeps/sweep-plan.js';
import { TempSpecFiles } from '../../helpers/temp-spec-files.js';

const specs = new TempSpecFiles('schedbench-sessions-');
afterAll(() => specs.removeAll());

describe('a sweep of multi-turn sessions', () => {
  it('releases each turn after the previous one, caches histories, on one replica and on two', async () => {
    const file = specs.write([
      'name: chat',
      'machine: a100-llama2-7b',
      'seeds: [1]',
      'requests: 600',
      'workloads:',
      '  - name: chat',
      '    promptTokens: {dist: uniform, min: 50, max: 600}',
      '    outputTokens: {dist: uniform, min: 20, max: 400}',
      '    arrival: {process: poisson, rate: 2}',
      '    sessions: {turns: {dist: uniform, min: 2, max: 6}, thinkTimeS: 5}',
      '    maxTokens: 4096',
      'policies:',
      '  - {policy: vllm-v1}',
      '  - {policy: vllm-v1, prefixCaching: false}',
      '  - {policy: wait, replicas: 2, routing: prefix-affinity, prefixCaching: true}',
    ]);
    const plan = planSweep(file);
    const list = plan.requestLists.get(requestListKey(0, 1))!;
    const previous = list.sessions!.previous;
    const thinkTime = list.sessions!.thinkTime;
    const store = Store.open(join(specs.folder, 'sweep.db'));
    try {
      const outcome = await executeSweep(plan, store, { jobs: 1 });
      expect(outcome.failed).toBe(0);
      const runs = store.listRuns({ sweepId: outcome.sweepId });
      expect(runs).toHaveLength(3);
      for (const run of runs) {
        const m = run.metrics!;
        const label = `${run.policy} ${JSON.stringify(run.params)}`;
        expect(m.completed, label).toBe(list.arrival.length);
        const r = store.getRequestRecords(run.id);
        // A turn arrives after its previous turn finished and the user thought; never before.
        for (let i = 0; i < previous.length; i++) {
          const p = previous[i];
          if (p < 0) continue;
          expect(r.arrival[i], `${label} turn #${i}`).toBeGreaterThanOrEqual(r.finish[p] + thinkTime[i]);
          expect(r.firstScheduled[i]).toBeGreaterThanOrEqual(r.arrival[i]);
        }
        // The offered rate is the closed loop's: below the nominal 2 req/s, which assumes no service time.
        expect(m.offered_rate_rps!).toBeGreaterThan(0);
        expect(m.offered_rate_rps!).toBeLessThan(2);
      }
      const caching = runs.find((r) => r.policy === 'vllm-v1' && r.params.prefixCaching === undefined)!;
      const plain = runs.find((r) => r.params.prefixCaching === false)!;
      const cluster = runs.find((r) => r.policy === 'wait')!;
      // Follow-ups find their history cached: a large share of their prompts.
      expect(caching.metrics!.prefix_cache_hit_rate!).toBeGreaterThan(0.3);
      expect(caching.metrics!.ttft_mean_s!).toBeLessThan(plain.metrics!.ttft_mean_s!);
      expect(plain.metrics!.prefix_cache_hit_rate).toBeNull();
      expect(cluster.metrics!.replicas).toBe(2);
      expect(cluster.metrics!.prefix_cache_hit_rate!).toBeGreaterThan(0.3);
      expect(store.getRequestRecords(cluster.id).replica).toBeInstanceOf(Int32Array);
      expect(store.getRequestRecords(caching.id).replica).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
