/**
 * `npm run bench:engine` (also the first part of `npm run bench`): simulation speed on a
 * reference workload: 10,000 requests with the arXiv-summarization lengths, Poisson 2 req/s, under
 * `vllm` on `a100-llama2-7b`.
 *  1. one run in this process (best of 3, after a warm-up run);
 *  2. a sweep of 8 such runs (seeds 1-8) over 2 worker threads, stored in a temporary SQLite file;
 *  3. a cluster: 100,000 such requests at 16 req/s (8 x 2) on 8 replicas behind least-outstanding
 *     routing (best of 2, after a warm-up on 10,000), and its time per request-iteration against
 *     the single run's (goal: within 1.5x).
 * Prints wall seconds, iterations and request-iterations per second. Numbers only; no assertion.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../runner/store/store.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { executeRun } from '../runner/sweeps/run-task.js';
import { planSweep, runTaskOf } from '../runner/sweeps/sweep-plan.js';

const ARXIV = resolve(
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);
const dir = mkdtempSync(join(tmpdir(), 'schedbench-bench-'));

function spec(
  name: string,
  seeds: number[],
  cluster: { requests: number; rate: number; policy: string } = {
    requests: 10_000,
    rate: 2,
    policy: '{ policy: vllm }',
  },
): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      `requests: ${cluster.requests}`,
      `seeds: [${seeds.join(', ')}]`,
      'workloads:',
      '  - name: arxiv',
      `    lengths: { path: ${JSON.stringify(ARXIV)} }`,
      `    arrival: { process: poisson, rate: ${cluster.rate} }`,
      'policies:',
      `  - ${cluster.policy}`,
      '',
    ].join('\n'),
  );
  return file;
}

try {
  // 1. One run, in process.
  const plan = planSweep(spec('bench-one', [1]));
  const task = runTaskOf(plan, plan.runs[0], 0);
  executeRun(task); // warm-up (JIT)
  let best = Infinity;
  let metrics = executeRun(task).metrics;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    metrics = executeRun(task).metrics;
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const iterations = metrics.iterations ?? 0;
  const requestIterations = iterations * (metrics.batch_size_mean ?? 0);
  console.log('single run: 10,000 arXiv requests, Poisson 2 req/s, vllm, a100-llama2-7b');
  console.log(`  wall                      ${best.toFixed(3)} s (best of 3; goal <= 1.0 s)`);
  console.log(`  iterations                ${iterations}`);
  console.log(`  request-iterations        ${Math.round(requestIterations)}`);
  console.log(`  iterations/s              ${(iterations / best).toFixed(0)}`);
  console.log(`  request-iterations/s      ${(requestIterations / best).toFixed(0)}`);

  // 2. A sweep of 8 runs over 2 worker threads, results stored in SQLite.
  const sweepPlan = planSweep(spec('bench-sweep', [1, 2, 3, 4, 5, 6, 7, 8]));
  const store = Store.open(join(dir, 'bench.db'));
  const t0 = performance.now();
  const outcome = await executeSweep(sweepPlan, store, { jobs: 2 });
  const wall = (performance.now() - t0) / 1000;
  const runs = store.listRuns({ sweepId: outcome.sweepId });
  store.close();
  const sweepIterations = runs.reduce((s, r) => s + (r.metrics?.iterations ?? 0), 0);
  const sweepRequestIterations = runs.reduce(
    (s, r) => s + (r.metrics?.iterations ?? 0) * (r.metrics?.batch_size_mean ?? 0),
    0,
  );
  console.log('sweep: 8 runs (seeds 1-8) of the same workload, 2 worker threads, stored in SQLite');
  console.log(
    `  wall                      ${wall.toFixed(3)} s (${outcome.done} done, ${outcome.failed} failed)`,
  );
  console.log(`  iterations                ${sweepIterations}`);
  console.log(`  request-iterations/s      ${(sweepRequestIterations / wall).toFixed(0)}`);
  console.log(`  runs/s                    ${(runs.length / wall).toFixed(2)}`);

  // 3. A cluster of 8 replicas: 100,000 requests at 8 times the rate.
  const clusterPolicy = '{ policy: vllm, replicas: 8, routing: least-outstanding }';
  const warm = planSweep(
    spec('bench-cluster-warm', [1], { requests: 10_000, rate: 16, policy: clusterPolicy }),
  );
  executeRun(runTaskOf(warm, warm.runs[0], 0));
  const clusterPlan = planSweep(
    spec('bench-cluster', [1], { requests: 100_000, rate: 16, policy: clusterPolicy }),
  );
  const clusterTask = runTaskOf(clusterPlan, clusterPlan.runs[0], 0);
  let clusterBest = Infinity;
  let clusterMetrics = metrics;
  for (let i = 0; i < 2; i++) {
    const c0 = performance.now();
    clusterMetrics = executeRun(clusterTask).metrics;
    clusterBest = Math.min(clusterBest, (performance.now() - c0) / 1000);
  }
  const clusterRequestIterations = (clusterMetrics.iterations ?? 0) * (clusterMetrics.batch_size_mean ?? 0);
  const nsSingle = (best / requestIterations) * 1e9;
  const nsCluster = (clusterBest / clusterRequestIterations) * 1e9;
  console.log(
    'cluster: 100,000 arXiv requests, Poisson 16 req/s, vllm on 8 replicas, least-outstanding routing',
  );
  console.log(`  wall                      ${clusterBest.toFixed(3)} s (best of 2)`);
  console.log(`  iterations                ${clusterMetrics.iterations} (all replicas)`);
  console.log(`  request-iterations        ${Math.round(clusterRequestIterations)}`);
  console.log(
    `  load imbalance            ${clusterMetrics.load_imbalance?.toFixed(4)} (max / mean replica tokens)`,
  );
  console.log(`  ns per request-iteration  ${nsCluster.toFixed(1)} (single run: ${nsSingle.toFixed(1)})`);
  console.log(`  ratio to the single run   ${(nsCluster / nsSingle).toFixed(2)}x (goal <= 1.5x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
