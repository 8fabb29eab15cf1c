import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep, requestListKey } from '../../../runner/sweeps/sweep-plan.js';

const SHAREGPT = fileURLToPath(
  new URL(
    '../../../data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv',
    import.meta.url,
  ),
);

function writeSpec(dir: string, name: string, seeds: number[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      'requests: 400',
      `seeds: [${seeds.join(', ')}]`,
      'workloads:',
      `  - { name: chat, lengths: { path: ${JSON.stringify(SHAREGPT)} }, arrival: { process: gamma, rate: 3, cv: 2 } }`,
      'policies: [{ policy: vllm }, { policy: sarathi }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  return file;
}

describe('determinism and common random numbers', () => {
  it('the same spec and seed give identical metrics and per-request records, in separate databases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-det-'));
    const results = [];
    for (const name of ['a', 'b']) {
      const store = Store.open(join(dir, `${name}.db`));
      const outcome = await executeSweep(planSweep(writeSpec(dir, 'same', [7])), store, { jobs: 1 });
      const runs = store.listRuns({ sweepId: outcome.sweepId });
      results.push(
        runs.map((r) => ({
          policy: r.policy,
          metrics: { ...r.metrics, sim_wall_s: 0, sim_cpu_s: 0 },
          finish: [...store.getRequestRecords(r.id).finish],
        })),
      );
      store.close();
    }
    expect(results[0]).toHaveLength(3);
    expect(results[1]).toEqual(results[0]);
  });

  it('every policy gets the identical request list for a seed; another seed gives another list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-crn-'));
    const plan = planSweep(writeSpec(dir, 'crn', [1, 2]));
    expect(plan.runs).toHaveLength(6);
    const a = plan.requestLists.get(requestListKey(0, 1))!;
    const b = plan.requestLists.get(requestListKey(0, 2))!;
    expect(
      plan.runs
        .filter((r) => r.seed === 1)
        .map((r) => plan.requestLists.get(requestListKey(r.workloadIndex, r.seed))),
    ).toEqual([a, a, a]);
    expect([...a.arrival]).not.toEqual([...b.arrival]);
  });
});
