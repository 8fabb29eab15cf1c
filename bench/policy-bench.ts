/**
 * `npm run bench:policy`: simulation speed of every built-in policy on the engine bench's
 * reference workload: 10,000 requests with the arXiv-summarization lengths (Vidur's processed
 * trace), Poisson 2 req/s, seed 1, on `a100-llama2-7b`, each policy with its default parameters.
 *
 * For each policy, in one process, after one warm-up run of each: the best of 3 rounds (the
 * policies take turns within a round, so machine noise spreads over all of them) of
 *  - the simulation alone: the scheduler's construction and the engine's `simulate` call (what
 *    runner/sweeps/run-task.ts executeRun times as `sim_wall_s`), seconds;
 *  - the whole executeRun: the simulation plus the metrics, digest and stability verdict
 *    (runResultOf), seconds.
 * Also: iterations, request-iterations (iterations x batch_size_mean of the run), nanoseconds of
 * simulation per request-iteration, and each policy's simulation time as a ratio to vllm's.
 * Goal: wait <= 1.5x vllm. Numbers only; no assertion.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveMachine } from '../runner/machines/resolve-machine.js';
import { executeRun, simulateTask, type RunTask } from '../runner/sweeps/run-task.js';
import { planSweep, runTaskOf } from '../runner/sweeps/sweep-plan.js';

const ARXIV = resolve(
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);
const POLICIES = ['vllm', 'vllm-v1', 'sarathi', 'fcfs', 'wait', 'nested-wait', 'mc-sf'];
const ROUNDS = 5;

/** Seconds of one simulation of the task (scheduler construction + engine), and its totals. */
function simulateOnly(task: RunTask): { simS: number; iterations: number; batchRequests: number } {
  if (typeof task.machine === 'object' && 'worker' in task.machine)
    throw new Error('not a simulated machine');
  const machine = resolveMachine(task.machine);
  const t0 = performance.now();
  const output = simulateTask(task, machine);
  const simS = (performance.now() - t0) / 1000;
  return { simS, iterations: output.totals.iterations, batchRequests: output.totals.batchRequests };
}

/** Seconds of one whole executeRun (simulation, metrics, stability). */
function wholeRun(task: RunTask): number {
  const t0 = performance.now();
  executeRun(task);
  return (performance.now() - t0) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'schedbench-policy-bench-'));
try {
  const file = join(dir, 'policy-bench.yaml');
  writeFileSync(
    file,
    [
      'name: policy-bench',
      'machine: a100-llama2-7b',
      'requests: 10000',
      'seeds: [1]',
      'workloads:',
      '  - name: arxiv',
      `    lengths: { path: ${JSON.stringify(ARXIV)} }`,
      '    arrival: { process: poisson, rate: 2 }',
      'policies:',
      ...POLICIES.map((p) => `  - { policy: ${p} }`),
      '',
    ].join('\n'),
  );
  const plan = planSweep(file);
  const tasks = new Map(
    plan.runs.map((run, i) => [run.policy.policy as string, runTaskOf(plan, run, i + 1)] as const),
  );
  const best = new Map<string, { simS: number; runS: number; iterations: number; batchRequests: number }>();
  for (const p of POLICIES) {
    const sim = simulateOnly(tasks.get(p)!); // warm-up (JIT)
    best.set(p, { ...sim, simS: Infinity, runS: Infinity });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of POLICIES) {
      const b = best.get(p)!;
      b.simS = Math.min(b.simS, simulateOnly(tasks.get(p)!).simS);
      b.runS = Math.min(b.runS, wholeRun(tasks.get(p)!));
    }
  }
  const vllm = best.get('vllm')!;
  console.log(
    `policies: 10,000 arXiv requests, Poisson 2 req/s, seed 1, a100-llama2-7b (best of ${ROUNDS}, interleaved)`,
  );
  console.log(
    `  ${'policy'.padEnd(12)} ${'sim s'.padStart(7)} ${'run s'.padStart(7)} ${'iterations'.padStart(10)} ` +
      `${'req-iters'.padStart(10)} ${'ns/req-iter'.padStart(11)} ${'sim / vllm'.padStart(10)}`,
  );
  for (const p of POLICIES) {
    const b = best.get(p)!;
    // request-iterations = iterations x batch_size_mean = the sum of batch sizes (batchRequests).
    console.log(
      `  ${p.padEnd(12)} ${b.simS.toFixed(3).padStart(7)} ${b.runS.toFixed(3).padStart(7)} ` +
        `${String(b.iterations).padStart(10)} ${String(b.batchRequests).padStart(10)} ` +
        `${((b.simS * 1e9) / b.batchRequests).toFixed(0).padStart(11)} ` +
        `${(b.simS / vllm.simS).toFixed(2).padStart(9)}x`,
    );
  }
  console.log(
    `  goal: wait <= 1.5x vllm (now ${(best.get('wait')!.simS / vllm.simS).toFixed(2)}x); ` +
      'sim s = scheduler + engine, run s = executeRun (sim + metrics + stability)',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
