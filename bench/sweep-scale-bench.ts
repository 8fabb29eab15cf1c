/**
 * `npm run bench:sweep`: how a sweep of many short runs scales over worker threads. One sweep of
 * 200 runs (4 policies x 5 rates x 10 seeds; 2,000 requests each with the arXiv-summarization
 * lengths, Poisson arrivals at 1, 1.5, 2, 2.5 and 3 req/s, on `a100-llama2-7b`) is executed in
 * this process by executeSweep (runner/sweeps/sweep-executor.ts) as `schedbench sweep` does
 * (worker threads even for one job), into a fresh SQLite file each time, at `--jobs 1` and at
 * `--jobs 2`, in the order 1, 2, 2, 1 (so a drift of the machine's load falls on both alike),
 * keeping the best of 2 of each. Planning (reading the trace, building the request lists) is
 * outside the timing; the wall time covers storing the sweep, executing and storing every run.
 * Printed: wall seconds and runs/s of each, the speed-up jobs2/jobs1 and the scaling efficiency
 * (speed-up / 2). Goal: speed-up >= 1.7x on a 2-core machine. Numbers only; no
 * assertion. The temporary databases are removed at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../runner/store/store.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { planSweep } from '../runner/sweeps/sweep-plan.js';

const ARXIV = resolve(
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);

const dir = mkdtempSync(join(tmpdir(), 'schedbench-sweep-bench-'));
let databases = 0;

/** Wall seconds of executing the plan's sweep with `jobs` lanes into a new database. */
async function execute(file: string, jobs: number): Promise<{ wallS: number; done: number; failed: number }> {
  const plan = planSweep(file);
  const store = Store.open(join(dir, `jobs-${jobs}-${++databases}.db`));
  try {
    const t0 = performance.now();
    const outcome = await executeSweep(plan, store, { jobs, workerThreads: true });
    return { wallS: (performance.now() - t0) / 1000, done: outcome.done, failed: outcome.failed };
  } finally {
    store.close();
  }
}

try {
  const file = join(dir, 'sweep-bench.yaml');
  writeFileSync(
    file,
    [
      'name: sweep-bench',
      'machine: a100-llama2-7b',
      'requests: 2000',
      'seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]',
      'workloads:',
      '  - name: arxiv',
      `    lengths: { path: ${JSON.stringify(ARXIV)} }`,
      '    arrival: { process: poisson, rate: [1, 1.5, 2, 2.5, 3] }',
      'policies:',
      '  - { policy: vllm }',
      '  - { policy: sarathi }',
      '  - { policy: fcfs }',
      '  - { policy: mc-sf }',
      '',
    ].join('\n'),
  );
  const best = new Map<number, { wallS: number; done: number; failed: number }>();
  for (const jobs of [1, 2, 2, 1]) {
    const r = await execute(file, jobs);
    if (r.wallS < (best.get(jobs)?.wallS ?? Infinity)) best.set(jobs, r);
  }
  const one = best.get(1)!;
  const two = best.get(2)!;
  const speedUp = one.wallS / two.wallS;
  console.log(
    `sweep: 200 runs (4 policies x 5 rates x 10 seeds, 2,000 arXiv requests each), a100-llama2-7b, ` +
      `worker threads, fresh SQLite file each (${availableParallelism()} CPUs)`,
  );
  for (const [jobs, r] of best) {
    console.log(
      `  --jobs ${jobs}   wall ${r.wallS.toFixed(2).padStart(6)} s (best of 2)   ` +
        `${(r.done / r.wallS).toFixed(1).padStart(5)} runs/s   (${r.done} done, ${r.failed} failed)`,
    );
  }
  console.log(
    `  speed-up jobs2/jobs1 ${speedUp.toFixed(2)}x, scaling efficiency ${((speedUp / 2) * 100).toFixed(0)} % ` +
      '(goal: speed-up >= 1.7x on 2 cores)',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
