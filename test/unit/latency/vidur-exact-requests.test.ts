import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../../runner/metrics/metric-keys.js';
import { executeRun } from '../../../runner/sweeps/run-task.js';
import { planSweep, runRequestsOf, runTaskOf } from '../../../runner/sweeps/sweep-plan.js';
import { buildRequestList, loadWorkload } from '../../../runner/workloads/build-workload.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import type { WorkloadSpec } from '../../../runner/workloads/workload-spec.js';

/**
 * docs/fidelity.md, "Replaying Vidur's own request list": the exact request list of Vidur's
 * seed-42 reference run (data/generated/, rebuilt by scripts/vidur-request-list.py),
 * replayed as a CSV trace, gives the listed arrivals and lengths unchanged, and our vllm and
 * sarathi on a100-llama2-7b land within the tolerances below of Vidur's numbers.
 */
const SPEC = fileURLToPath(new URL('../../../examples/fidelity/vidur-exact-requests.yaml', import.meta.url));
const CSV = fileURLToPath(
  new URL('../../../data/generated/vidur-arxiv-poisson-qps1-seed42-n2000.csv', import.meta.url),
);

/** Vidur (commit 7d47513) on its seed-42 reference run (docs/fidelity.md, "Reference"). */
const VIDUR: Record<string, Partial<Record<keyof RunMetrics, number>>> = {
  vllm: {
    makespan_s: 1947.0,
    throughput_tok_s: 298.6,
    ttft_p50_s: 0.244,
    ttft_p90_s: 0.354,
    ttft_p99_s: 0.561,
    e2e_p50_s: 3.54,
    e2e_p90_s: 7.96,
    e2e_p99_s: 59.6,
  },
  sarathi: {
    makespan_s: 1946.6,
    ttft_p50_s: 0.269,
    ttft_p90_s: 0.417,
    ttft_p99_s: 0.654,
    e2e_p50_s: 3.23,
    e2e_p90_s: 7.04,
    e2e_p99_s: 54.3,
  },
};

/** Largest relative deviation from Vidur allowed per metric (measured: docs/fidelity.md). */
const TOLERANCE: Partial<Record<keyof RunMetrics, number>> = {
  makespan_s: 0.001,
  throughput_tok_s: 0.001,
  ttft_p50_s: 0.01,
  ttft_p90_s: 0.01,
  ttft_p99_s: 0.01,
  e2e_p50_s: 0.01,
  e2e_p90_s: 0.01,
  e2e_p99_s: 0.02,
};

/** The CSV as written (arrivals in Vidur's clock: the first request arrives one gap after 0). */
function readCsv(): { arrivedAt: number[]; prompt: number[]; output: number[] } {
  const lines = readFileSync(CSV, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('arrived_at,num_prefill_tokens,num_decode_tokens');
  const rows = lines.slice(1).map((l) => l.split(','));
  return {
    arrivedAt: rows.map((r) => Number(r[0])),
    prompt: rows.map((r) => Number(r[1])),
    output: rows.map((r) => Number(r[2])),
  };
}

/** Checks that a request list (or a run's request records) is exactly the CSV's. */
function expectListIsCsv(list: Pick<RequestList, 'arrival' | 'promptTokens' | 'outputTokens'>): void {
  const csv = readCsv();
  expect(csv.arrivedAt).toHaveLength(2000);
  // The reader starts the clock at the first row: arrival i is arrived_at_i - arrived_at_0, exactly.
  expect(Array.from(list.arrival)).toEqual(csv.arrivedAt.map((a) => a - csv.arrivedAt[0]));
  expect(Array.from(list.promptTokens)).toEqual(csv.prompt);
  expect(Array.from(list.outputTokens)).toEqual(csv.output);
}

describe("replaying Vidur's seed-42 request list (docs/fidelity.md)", () => {
  const plan = planSweep(SPEC);

  it('replays every row unchanged, the same list for every seed', () => {
    expect(plan.runs).toHaveLength(2);
    for (const run of plan.runs) expectListIsCsv(runRequestsOf(plan, run));
    // A whole-trace replay draws no window: any seed gives the identical list.
    const spec = plan.workloads[0].spec as WorkloadSpec;
    const loaded = loadWorkload(spec, { specDir: dirname(SPEC) });
    expectListIsCsv(buildRequestList(loaded, { seed: 12345 }));
    // The list's totals (Vidur's throughput 298.6 tok/s x 1947.0 s = 581,374 +- 100 output tokens).
    const csv = readCsv();
    expect(csv.output.reduce((a, b) => a + b, 0)).toBe(581_400);
    expect(csv.prompt.reduce((a, b) => a + b, 0)).toBe(5_130_314);
  });

  it('matches Vidur within the tolerances of docs/fidelity.md, and the runs keep the listed requests', () => {
    for (const run of plan.runs) {
      const result = executeRun(runTaskOf(plan, run, 0));
      expectListIsCsv(result.requests);
      const m = result.metrics;
      const policy = run.policy.policy;
      expect(m.unfinished, policy).toBe(0);
      expect(m.completed, policy).toBe(2000);
      for (const [key, vidur] of Object.entries(VIDUR[policy])) {
        const k = key as keyof RunMetrics;
        const deviation = Math.abs((m[k] as number) / vidur - 1);
        expect(deviation, `${policy} ${k}: ours ${m[k]} vs Vidur ${vidur}`).toBeLessThan(TOLERANCE[k]!);
      }
    }
  });
});
