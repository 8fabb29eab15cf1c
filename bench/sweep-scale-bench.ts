/**
 * `npm run bench:sweep`: how a sweep of many short runs scales over worker threads. One sweep of
 * 200 runs (4 policies x 5 rates x 10 seeds; 2,000 requests each with the arXiv-summarization
 * lengths, Poisson arrivals at 1, 1.5, 2, 2.5 and 3 req/s, on `a100-llama2-7b`) is executed in
 * this process by executeSweep (runner/sweeps/sweep-executor.ts) as `schedbench sweep` does
 * (worker threads even for one job, started before planning: startRunThreads), into a fresh
 * SQLite file each time, at `--jobs 1` and at `--jobs 2`, in the order 1, 2, 2, 1 (so a drift of
 * the machine's load falls on both alike), keeping the best of 2 of each. Planning (reading the
 * trace, building the request lists) is outside the timing; the wall time covers storing the
 * sweep, executing and storing every run.
 * Printed: wall seconds and runs/s of each, the speed-up jobs2/jobs1 and the scaling efficiency
 * (speed-up / 2); then where the CPU went (process-thread-cpu.ts, Linux only): the run threads,
 * the main thread (storing, dispatching), V8's and libuv's helper threads (JIT compilation and
 * GC of every thread's heap: each run thread compiles the engine for itself), and the cores left
 * idle. The CPU a sweep needs at `--jobs 2` over the cores is a floor no dispatch can beat, so
 * the bench also prints the speed-up that floor allows. Goal: speed-up >= 1.7x on a 2-core
 * machine. Numbers only; no assertion. The temporary databases are removed at the end.
 * `node dist/bench/sweep-scale-bench.js --requests 10000` runs the same sweep with longer runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../runner/store/store.js';
import { startRunThreads } from '../runner/sweeps/run-threads.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { planSweep } from '../runner/sweeps/sweep-plan.js';
import { splitCpu, threadCpu, type CpuSplit } from './process-thread-cpu.js';

const ARXIV = resolve(
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);

/** Requests per run: 2,000, or the number after `--requests`. */
const requestsArg = process.argv.indexOf('--requests');
const requests = requestsArg < 0 ? 2000 : Number(process.argv[requestsArg + 1]);
if (!Number.isInteger(requests) || requests < 1) {
  console.error('sweep-scale-bench: --requests takes a whole number of requests per run (>= 1)');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'schedbench-sweep-bench-'));
let databases = 0;

/** One timed execution: wall seconds, runs done and failed, and where the CPU went. */
interface Execution {
  wallS: number;
  done: number;
  failed: number;
  cpu: CpuSplit;
}

/** Executes the plan's sweep with `jobs` lanes into a new database, its run threads started first. */
async function execute(file: string, jobs: number): Promise<Execution> {
  const baseline = threadCpu();
  const threads = startRunThreads(jobs, jobs);
  const store = Store.open(join(dir, `jobs-${jobs}-${++databases}.db`));
  try {
    const plan = planSweep(file);
    const from = threadCpu();
    const t0 = performance.now();
    const outcome = await executeSweep(plan, store, { jobs, workerThreads: true, threads });
    const wallS = (performance.now() - t0) / 1000;
    const cpu = splitCpu(baseline, from, threadCpu());
    return { wallS, done: outcome.done, failed: outcome.failed, cpu };
  } finally {
    store.close();
    await threads.destroy();
  }
}

try {
  const file = join(dir, 'sweep-bench.yaml');
  writeFileSync(
    file,
    [
      'name: sweep-bench',
      'machine: a100-llama2-7b',
      `requests: ${requests}`,
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
  const best = new Map<number, Execution>();
  for (const jobs of [1, 2, 2, 1]) {
    const r = await execute(file, jobs);
    if (r.wallS < (best.get(jobs)?.wallS ?? Infinity)) best.set(jobs, r);
  }
  const one = best.get(1)!;
  const two = best.get(2)!;
  const speedUp = one.wallS / two.wallS;
  console.log(
    `sweep: 200 runs (4 policies x 5 rates x 10 seeds, ${requests.toLocaleString('en-US')} arXiv requests each), ` +
      'a100-llama2-7b, ' +
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
  if (two.cpu.main + two.cpu.started > 0) {
    const cores = Math.min(2, availableParallelism());
    console.log('  CPU seconds during the timed part (Linux /proc/self/task/*/schedstat):');
    for (const [jobs, r] of best) {
      const total = r.cpu.main + r.cpu.started + r.cpu.helpers;
      console.log(
        `    --jobs ${jobs}   run threads ${r.cpu.started.toFixed(2)}   main ${r.cpu.main.toFixed(2)}   ` +
          `V8/libuv helpers ${r.cpu.helpers.toFixed(2)}   total ${total.toFixed(2)}   ` +
          `idle ${Math.max(0, cores * r.wallS - total).toFixed(2)} core-s of ${cores}`,
      );
    }
    const floor = (two.cpu.main + two.cpu.started + two.cpu.helpers) / cores;
    console.log(
      `  at --jobs 2 the sweep needs ${(floor * cores).toFixed(2)} CPU s: no dispatch beats ${floor.toFixed(2)} s ` +
        `on ${cores} cores, a speed-up of at most ${(one.wallS / floor).toFixed(2)}x over this --jobs 1`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
