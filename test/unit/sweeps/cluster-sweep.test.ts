import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompareOut, RunDetail } from '../../../runner/api/api-contract.js';
import { createApiService } from '../../../runner/api/api-service.js';
import { fluidCommand } from '../../../runner/cli/fluid-command.js';
import { replicaLoads } from '../../../runner/metrics/replica-loads.js';
import { formatNumber } from '../../../runner/reports/format-number.js';
import { renderHtmlReport } from '../../../runner/reports/html-report.js';
import { loadReportData } from '../../../runner/reports/load-report-data.js';
import { seedSummary } from '../../../runner/reports/seed-summary.js';
import { clusterOf } from '../../../runner/schedulers/cluster-fields.js';
import { PolicySpecSchema } from '../../../runner/schedulers/policy-spec.js';
import { Store } from '../../../runner/store/store.js';
import { capacityRows } from '../../../runner/sweeps/capacity-report.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';
import { workloadFluidLimit } from '../../../runner/sweeps/workload-fluid-limit.js';
import { TempSpecFiles } from '../../helpers/temp-spec-files.js';

const ARXIV = fileURLToPath(
  new URL(
    '../../../data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
    import.meta.url,
  ),
);
const specs = new TempSpecFiles('schedbench-cluster-');
afterAll(() => specs.removeAll());

const POLICIES = ['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'wait', 'nested-wait', 'mc-sf'];

describe('the replicas and routing policy fields', () => {
  it('every policy takes them; absent means one replica behind round-robin', () => {
    for (const policy of POLICIES) {
      expect(clusterOf(PolicySpecSchema.parse({ policy })), policy).toEqual({
        replicas: 1,
        routing: 'round-robin',
      });
      expect(
        clusterOf(PolicySpecSchema.parse({ policy, replicas: 4, routing: 'least-outstanding' })),
      ).toEqual({ replicas: 4, routing: 'least-outstanding' });
    }
    for (const [entry, path] of [
      [{ policy: 'vllm', replicas: 0 }, ['replicas']],
      [{ policy: 'vllm', replicas: 2.5 }, ['replicas']],
      [{ policy: 'vllm', routing: 'random' }, ['routing']],
    ] as const) {
      const bad = PolicySpecSchema.safeParse(entry);
      expect(bad.success, JSON.stringify(entry)).toBe(false);
      expect(bad.error!.issues[0].path).toEqual(path);
    }
  });

  it('keeps one-replica run keys; a cluster gets its own key per size and routing', () => {
    const keyOf = (policy: string): string => specs.runKeyOf(policy);
    // The key of this vllm run before clusters existed (main at aca4365).
    expect(keyOf('{policy: vllm}')).toBe('79cf6d4169efe6a4eb7ecaca');
    expect(keyOf('{policy: vllm, replicas: 1}')).toBe('79cf6d4169efe6a4eb7ecaca');
    // Routing means nothing to one replica.
    expect(keyOf('{policy: vllm, replicas: 1, routing: least-kv}')).toBe('79cf6d4169efe6a4eb7ecaca');
    const two = keyOf('{policy: vllm, replicas: 2}');
    expect(two).not.toBe('79cf6d4169efe6a4eb7ecaca');
    expect(keyOf('{policy: vllm, replicas: 2, routing: round-robin}')).toBe(two);
    expect(keyOf('{policy: vllm, replicas: 2, routing: least-kv}')).not.toBe(two);
    expect(keyOf('{policy: vllm, replicas: 3}')).not.toBe(two);
  });
});

describe('a sweep over replicas on arXiv lengths', () => {
  it('stores each request replica, the replicas and the load imbalance', async () => {
    const file = specs.write([
      'name: cluster',
      'machine: a100-llama2-7b',
      'seeds: [1]',
      'requests: 400',
      'workloads:',
      `  - {name: arxiv, lengths: {path: ${JSON.stringify(ARXIV)}}, arrival: {process: poisson, rate: 3}, maxTokens: 4096}`,
      'policies:',
      '  - {policy: vllm, replicas: [1, 3], routing: least-outstanding}',
    ]);
    const plan = planSweep(file);
    const store = Store.open(join(specs.folder, 'sweep.db'));
    try {
      const outcome = await executeSweep(plan, store, { jobs: 1 });
      expect(outcome.failed).toBe(0);
      const runs = store.listRuns({ sweepId: outcome.sweepId });
      const one = runs.find((r) => r.params.replicas === 1)!;
      const three = runs.find((r) => r.params.replicas === 3)!;
      expect(one.metrics!.replicas).toBe(1);
      expect(one.metrics!.load_imbalance).toBeNull();
      expect(store.getRequestRecords(one.id).replica).toBeUndefined();
      const m = three.metrics!;
      expect(m.replicas).toBe(3);
      expect(m.completed).toBe(400);
      // max / mean work: 1 is perfect balance, 3 is everything on one replica.
      expect(m.load_imbalance!).toBeGreaterThanOrEqual(1);
      expect(m.load_imbalance!).toBeLessThan(1.5);
      const replica = store.getRequestRecords(three.id).replica!;
      expect(replica).toBeInstanceOf(Int32Array);
      const counts = [0, 0, 0];
      for (const r of replica) counts[r]++;
      expect(counts.reduce((a, b) => a + b)).toBe(400);
      for (const c of counts) expect(c).toBeGreaterThan(100);
      // 3 req/s overloads one replica (about 2 req/s) but not three: the cluster's latency is lower.
      expect(m.e2e_mean_s!).toBeLessThan(one.metrics!.e2e_mean_s!);
      // The digest carries what each replica served, as the records say.
      const records = store.getRequestRecords(three.id);
      const loads = store.getRunDigest(three.id).replicaLoads!;
      expect(loads).toEqual(replicaLoads(records.replica!, 3, records));
      expect(loads.map((l) => l.requests)).toEqual(counts);
      expect(store.getRunDigest(one.id).replicaLoads).toBeUndefined();
      // Compare: the cluster's cell holds each replica's share of the tokens, summing to 1.
      const api = createApiService(store, { jobs: 1, cwd: specs.folder });
      try {
        const compared = await api.call('runs.compare', { runIds: [one.id, three.id] });
        if (!compared.ok) throw new Error(compared.error.message);
        const out = compared.value as CompareOut;
        const cellOf = (runId: number) =>
          out.configurations.flatMap((c) => c.cells).find((cell) => cell.runIds.includes(runId))!;
        const total = loads.reduce((sum, l) => sum + l.tokens, 0);
        expect(cellOf(three.id).replicaShares).toEqual(loads.map((l) => l.tokens / total));
        expect(cellOf(one.id).replicaShares).toBeUndefined();
        const detail = await api.call('runs.get', { runId: three.id });
        if (!detail.ok) throw new Error(detail.error.message);
        expect((detail.value as RunDetail).replicaLoads).toEqual(loads);
      } finally {
        await api.close();
      }
      const data = loadReportData(store, outcome.sweepId);
      // The report lists the cluster run's replica shares.
      const html = renderHtmlReport(data);
      const row = html.match(new RegExp(`<tr data-run="${three.id}">(.*?)</tr>`))![1];
      expect(row).toContain('least-outstanding');
      const total = loads.reduce((sum, l) => sum + l.tokens, 0);
      expect(row).toContain(loads.map((l) => formatNumber((100 * l.tokens) / total)).join(' \u00b7 ') + ' %');
      expect(html).not.toContain(`<tr data-run="${one.id}">`);
      // No one fluid bound holds for one replica and three: the label gets no overlay.
      expect(data.fluid?.arxiv).toBeUndefined();
      // The seed summary reports the imbalance when a run has one (and no hit rate: nothing cached).
      const rows = seedSummary(data.runs);
      expect(Object.keys(rows[0].metrics)).toContain('load_imbalance');
      expect(Object.keys(rows[0].metrics)).not.toContain('prefix_cache_hit_rate');
      const clusterRow = rows.find((r) => r.metrics.load_imbalance !== null)!;
      expect(clusterRow.policy).toMatch(/replicas=3/);
      expect(clusterRow.metrics.load_imbalance!.mean).toBeCloseTo(m.load_imbalance!, 12);
    } finally {
      store.close();
    }
  });

  it('a capacity search finds about twice the rate on two replicas, under twice the fluid bound', async () => {
    const file = specs.write([
      'name: cluster-capacity',
      'machine: a100-llama2-7b',
      'seeds: [1]',
      'requests: 600',
      'workloads:',
      `  - name: arxiv`,
      `    lengths: {path: ${JSON.stringify(ARXIV)}}`,
      '    arrival: {process: poisson, rate: {search: {min: 0.5, max: 8, precision: 0.05}}, clip: vidur}',
      '    maxTokens: 4096',
      'policies:',
      '  - {policy: vllm, replicas: [1, 2], routing: least-outstanding}',
    ]);
    const plan = planSweep(file);
    const store = Store.open(join(specs.folder, 'sweep.db'));
    try {
      const outcome = await executeSweep(plan, store, { jobs: 1 });
      expect(outcome.failed).toBe(0);
      const rows = capacityRows(store, outcome.sweepId);
      expect(rows).toHaveLength(2);
      const one = rows.find((r) => (r.params as { replicas?: number }).replicas === 1)!;
      const two = rows.find((r) => (r.params as { replicas?: number }).replicas === 2)!;
      const single = workloadFluidLimit(plan, 0, 0)!;
      // `schedbench fluid` prints one replica's bound and names the spec's cluster sizes.
      const fluid = JSON.parse(fluidCommand(file, 'json')) as {
        cluster_sizes: number[];
        rows: { max_stable_rate_rps: number }[];
      };
      expect(fluid.cluster_sizes).toEqual([2]);
      expect(fluid.rows[0].max_stable_rate_rps).toBeCloseTo(single, 9);
      expect(one.fluid_max_stable_rate_rps).toBeCloseTo(single, 9);
      expect(two.fluid_max_stable_rate_rps).toBeCloseTo(2 * single, 9);
      expect(one.max_rate_rps!).toBeLessThanOrEqual(single);
      expect(two.max_rate_rps!).toBeLessThanOrEqual(2 * single);
      const ratio = two.max_rate_rps! / one.max_rate_rps!;
      expect(ratio).toBeGreaterThan(1.6);
      expect(ratio).toBeLessThan(2.4);
    } finally {
      store.close();
    }
  });
});
