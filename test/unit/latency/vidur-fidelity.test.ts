import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../../runner/metrics/metric-keys.js';
import { executeRun } from '../../../runner/sweeps/run-task.js';
import { planSweep, runTaskOf } from '../../../runner/sweeps/sweep-plan.js';

/** Vidur (commit 7d47513) on the reference workload of docs/fidelity.md. */
const VIDUR = {
  vllm: { makespan_s: 1947.0, ttft_p50_s: 0.244, e2e_p50_s: 3.54 },
  sarathi: { makespan_s: 1946.6, ttft_p50_s: 0.269, e2e_p50_s: 3.23 },
} as const;

const SPEC = fileURLToPath(new URL('../../../examples/fidelity/vidur-reference.yaml', import.meta.url));

describe('fidelity against Vidur (docs/fidelity.md)', () => {
  it('median TTFT and E2E within 10 % and makespan within 2 % of Vidur, averaged over seeds', () => {
    const plan = planSweep(SPEC);
    const byPolicy = new Map<string, RunMetrics[]>();
    for (const run of plan.runs) {
      const metrics = executeRun(runTaskOf(plan, run, 0)).metrics;
      byPolicy.set(run.policy.policy, [...(byPolicy.get(run.policy.policy) ?? []), metrics]);
    }
    for (const [policy, reference] of Object.entries(VIDUR)) {
      const runs = byPolicy.get(policy)!;
      expect(runs).toHaveLength(5);
      const mean = (k: keyof typeof reference): number => runs.reduce((a, m) => a + m[k]!, 0) / runs.length;
      expect(Math.abs(mean('makespan_s') / reference.makespan_s - 1), `${policy} makespan`).toBeLessThan(
        0.02,
      );
      expect(Math.abs(mean('ttft_p50_s') / reference.ttft_p50_s - 1), `${policy} TTFT p50`).toBeLessThan(0.1);
      expect(Math.abs(mean('e2e_p50_s') / reference.e2e_p50_s - 1), `${policy} E2E p50`).toBeLessThan(0.1);
      for (const m of runs) expect(m.unfinished).toBe(0);
    }
  });
});
