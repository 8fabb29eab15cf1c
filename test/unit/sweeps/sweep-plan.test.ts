import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** The reference sweep spec example, verbatim (paths relative to examples/). */
const ISSUE_EXAMPLE = `name: quickstart
machine: a100-llama2-7b
requests: 2000
seeds: [1]
workloads:
  - name: azure-conv
    trace: {path: ../data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv, format: azure}
    rate: [2, 4, 6]          # rescale arrivals to these mean rates (req/s); omit to replay as recorded
  - name: sharegpt
    lengths: {path: ../data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv}
    arrival: {process: poisson, rate: [1, 2]}
  - name: typed
    types: [{prompt: 20, output: 100, rate: 6}, {prompt: 20, output: 200, rate: 4}]
policies:
  - {policy: vllm, maxNumSeqs: 128, maxNumBatchedTokens: 4096}
  - {policy: sarathi, chunkSize: 512, maxNumSeqs: 128}
  - {policy: fcfs}
`;

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((f) => rmSync(f, { force: true, recursive: true })));

describe('sweep spec', () => {
  it('plans the reference example exactly as written: 6 workload grid points x 3 policies', () => {
    const file = join(EXAMPLES, `.issue-example-${process.pid}.yaml`);
    cleanup.push(file);
    writeFileSync(file, ISSUE_EXAMPLE);
    const plan = planSweep(file);
    expect(plan.runs).toHaveLength(18);
    expect(plan.workloads.map((w) => [w.label, w.rate])).toEqual([
      ['azure-conv', 2],
      ['azure-conv', 4],
      ['azure-conv', 6],
      ['sharegpt', 1],
      ['sharegpt', 2],
      ['typed', 10],
    ]);
    expect(plan.machine.kvCapacityBlocks).toBe(7424);
    const policies = plan.runs.slice(0, 3).map((r) => r.policy);
    expect(policies).toEqual([
      { policy: 'vllm', maxNumSeqs: 128, maxNumBatchedTokens: 4096, watermark: 0.01 },
      { policy: 'sarathi', chunkSize: 512, maxNumSeqs: 128, watermark: 0.01 },
      { policy: 'fcfs', maxNumSeqs: 128, evictedTo: 'back' },
    ]);
  });

  it('accepts an inline machine and runs on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-inline-'));
    cleanup.push(dir);
    const file = join(dir, 'inline.yaml');
    writeFileSync(
      file,
      [
        'name: inline',
        'machine: {model: linear, d0: 0.01, d1: 2.0e-7, kvCapacityTokens: 100000, blockSize: 1}',
        'requests: 200',
        'tokenModel: paper',
        'workloads:',
        '  - {name: typed, types: [{prompt: 20, output: 100, rate: 6}, {prompt: 20, output: 200, rate: 4}]}',
        'policies: [{policy: fcfs}, {policy: vllm, maxNumSeqs: [32, 64]}]',
        '',
      ].join('\n'),
    );
    const plan = planSweep(file);
    expect(plan.machine).toMatchObject({ name: 'inline', kvCapacityBlocks: 100000, blockSize: 1 });
    expect(plan.runs).toHaveLength(3);
    const store = Store.open(join(dir, 'inline.db'));
    const outcome = await executeSweep(plan, store, { jobs: 1 });
    const runs = store.listRuns({ sweepId: outcome.sweepId });
    store.close();
    expect(runs.map((r) => [r.policy, r.params.maxNumSeqs, r.status, r.metrics?.completed])).toEqual([
      ['fcfs', 128, 'done', 200],
      ['vllm', 32, 'done', 200],
      ['vllm', 64, 'done', 200],
    ]);
  });

  it('refuses a workload whose requests cannot fit the machine, counting them and naming the first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-fit-'));
    cleanup.push(dir);
    const file = join(dir, 'fit.yaml');
    writeFileSync(
      file,
      [
        'name: fit',
        'machine: {model: linear, d0: 0.01, d1: 2.0e-7, kvCapacityTokens: 1000, blockSize: 16}',
        'requests: 10',
        'workloads:',
        '  - {name: big, types: [{prompt: 900, output: 200, rate: 1}]}',
        'policies: [{policy: sarathi}]',
        '',
      ].join('\n'),
    );
    expect(() => planSweep(file)).toThrow(
      /fit\.yaml:5: workloads\[0\]: workload big \(seed 1\) on machine inline under sarathi: 10 of 10 requests can never fit in the KV cache: request #0 \(prompt 900 tokens, output 200 tokens\) needs 69 KV blocks at its peak, .* \(and 5 more\); the machine offers 61 \(capacity 62 blocks of 16 tokens minus 1 the policy keeps free\)/,
    );
  });
});
