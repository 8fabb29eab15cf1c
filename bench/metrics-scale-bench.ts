/**
 * `npm run bench:metrics`: the metrics step of a 1,000,000-request run. The engine's output is
 * built once by simulating it for real (not synthesized): 1,000,000 requests with the
 * arXiv-summarization lengths (Vidur's processed trace), Poisson 2 req/s, seed 1, under `vllm` on
 * `a100-llama2-7b` (its planning and simulation times are printed, not goals). Then, best of 3:
 *  - computeRunMetrics (runner/metrics/run-metrics.ts), the stored metrics of the run;
 *  - assessStability (runner/metrics/stability.ts), the stability verdict;
 *  - runResultOf (runner/metrics/run-result.ts), the whole step a run ends with: both of the
 *    above and whatever else it assembles (the run's digest for the charts).
 * Seconds each, nanoseconds per request and the share of the run's simulation time. No goal is
 * set for it. Numbers only; no assertion. The temporary spec is
 * removed at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveMachine } from '../runner/machines/resolve-machine.js';
import { runResultOf } from '../runner/metrics/run-result.js';
import { computeRunMetrics } from '../runner/metrics/run-metrics.js';
import { assessStability } from '../runner/metrics/stability.js';
import { simulateTask } from '../runner/sweeps/run-task.js';
import { planSweep, runTaskOf } from '../runner/sweeps/sweep-plan.js';

const REQUESTS = 1_000_000;
const REPEATS = 3;
const ARXIV = resolve(
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);

/** Best wall seconds of REPEATS calls. */
function best(call: () => unknown): number {
  let bestS = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    call();
    bestS = Math.min(bestS, (performance.now() - t0) / 1000);
  }
  return bestS;
}

const dir = mkdtempSync(join(tmpdir(), 'schedbench-metrics-bench-'));
try {
  const file = join(dir, 'metrics-bench.yaml');
  writeFileSync(
    file,
    [
      'name: metrics-bench',
      'machine: a100-llama2-7b',
      `requests: ${REQUESTS}`,
      'seeds: [1]',
      'workloads:',
      '  - name: arxiv',
      `    lengths: { path: ${JSON.stringify(ARXIV)} }`,
      '    arrival: { process: poisson, rate: 2 }',
      'policies:',
      '  - { policy: vllm }',
      '',
    ].join('\n'),
  );
  let t0 = performance.now();
  const plan = planSweep(file);
  const task = runTaskOf(plan, plan.runs[0], 1);
  const planS = (performance.now() - t0) / 1000;
  if (typeof task.machine === 'object' && 'worker' in task.machine)
    throw new Error('not a simulated machine');
  const machine = resolveMachine(task.machine);
  t0 = performance.now();
  const output = simulateTask(task, machine);
  const simS = (performance.now() - t0) / 1000;
  const n = output.records.arrival.length;
  console.log(
    `metrics of a ${n.toLocaleString('en-US')}-request run (arXiv lengths, Poisson 2 req/s, vllm, a100-llama2-7b; ` +
      `simulated, not synthesized: planned in ${planS.toFixed(1)} s, simulated in ${simS.toFixed(1)} s, ` +
      `${output.totals.iterations} iterations)`,
  );
  const line = (label: string, s: number): void =>
    console.log(
      `  ${label.padEnd(20)} ${s.toFixed(3)} s (best of ${REPEATS}), ${((s * 1e9) / n).toFixed(0)} ns/request, ` +
        `${((s / simS) * 100).toFixed(1)} % of the simulation`,
    );
  line(
    'computeRunMetrics',
    best(() => computeRunMetrics(output, simS, { slo: task.slo, rejected: 0 })),
  );
  line(
    'assessStability',
    best(() => assessStability(output.records, { endS: output.totals.endS })),
  );
  line(
    'runResultOf (all)',
    best(() => runResultOf(output, simS, undefined, { slo: task.slo, rejected: 0 })),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
