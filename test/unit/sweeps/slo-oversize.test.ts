import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stableJson } from '../../../runner/stable-json.js';
import { Store } from '../../../runner/store/store.js';
import { executeRun } from '../../../runner/sweeps/run-task.js';
import { checkStoredRequests } from '../../../runner/sweeps/stored-requests-check.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweepText, runTaskOf, type SweepPlan } from '../../../runner/sweeps/sweep-plan.js';

const MOONCAKE = fileURLToPath(
  new URL('../../../data/mooncake-fast25/conversation_trace.jsonl', import.meta.url),
);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { force: true, recursive: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-slo-'));
  dirs.push(dir);
  return dir;
}

const plan = (lines: string[], dir = tempDir()): SweepPlan =>
  planSweepText([...lines, ''].join('\n'), { file: 'spec.yaml', dir });

const TYPED = [
  'name: slo',
  'machine: {model: linear, d0: 0.01, d1: 2.0e-7, kvCapacityTokens: 100000, blockSize: 16}',
  'requests: 50',
];
const TYPED_WORKLOAD = '{name: typed, types: [{prompt: 20, output: 100, rate: 6}]}';

describe('slo', () => {
  it("reaches every run's task; a workload's own slo replaces the spec's whole", () => {
    const p = plan([
      ...TYPED,
      'slo: {ttft_s: 0.5, tpot_s: 0.05}',
      'workloads:',
      `  - ${TYPED_WORKLOAD}`,
      '  - {name: strict, types: [{prompt: 20, output: 100, rate: 6}], slo: {e2e_s: 2}}',
      'policies: [{policy: fcfs}]',
    ]);
    const slos = p.runs.map((r) => runTaskOf(p, r, 0).slo);
    expect(slos).toEqual([{ ttft_s: 0.5, tpot_s: 0.05 }, { e2e_s: 2 }]);
    const result = executeRun(runTaskOf(p, p.runs[0], 1));
    expect(result.metrics.slo_attainment).not.toBeNull();
    expect(result.metrics.goodput_rps).toBeGreaterThan(0);
  });

  it('gives no task an SLO without one, and leaves the run keys of such sweeps unchanged', () => {
    const p = plan([...TYPED, 'workloads:', `  - ${TYPED_WORKLOAD}`, 'policies: [{policy: fcfs}]']);
    const task = runTaskOf(p, p.runs[0], 0);
    expect(task.slo).toBeNull();
    expect(executeRun(task).metrics).toMatchObject({
      goodput_rps: null,
      goodput_tok_s: null,
      slo_attainment: null,
    });
    // The identity hashed before SLOs existed.
    const identity = {
      workload: p.workloads[0].spec,
      policy: p.runs[0].policy,
      seed: 1,
      tokenModel: 'vllm',
      horizon: null,
    };
    const oldKey = createHash('sha256').update(stableJson(identity)).digest('hex').slice(0, 24);
    expect(p.runs[0].runKey).toBe(oldKey);

    const withSlo = plan([
      ...TYPED,
      'slo: {ttft_s: 1}',
      'workloads:',
      `  - ${TYPED_WORKLOAD}`,
      'policies: [{policy: fcfs}]',
    ]);
    expect(withSlo.runs[0].runKey).not.toBe(oldKey);
    expect(p.specHash).not.toBe(withSlo.specHash);
  });

  it('may be a grid axis of a workload', () => {
    const p = plan([
      ...TYPED,
      'workloads:',
      '  - {name: typed, types: [{prompt: 20, output: 100, rate: 6}], slo: {ttft_s: [0.1, 1]}}',
      'policies: [{policy: fcfs}]',
    ]);
    expect(p.workloads.map((w) => w.label)).toEqual(['typed slo.ttft_s=0.1', 'typed slo.ttft_s=1']);
    expect(p.runs.map((r) => runTaskOf(p, r, 0).slo)).toEqual([{ ttft_s: 0.1 }, { ttft_s: 1 }]);
  });

  it('is refused with the field and its line when malformed', () => {
    const bad = (slo: string, where: 'spec' | 'workload'): (() => SweepPlan) => {
      const lines =
        where === 'spec'
          ? [...TYPED, `slo: ${slo}`, 'workloads:', `  - ${TYPED_WORKLOAD}`, 'policies: [{policy: fcfs}]']
          : [
              ...TYPED,
              'workloads:',
              '  - name: typed',
              '    types: [{prompt: 20, output: 100, rate: 6}]',
              `    slo: ${slo}`,
              'policies: [{policy: fcfs}]',
            ];
      return () => plan(lines);
    };
    expect(bad('{ttft_s: -1}', 'spec')).toThrow(
      'spec.yaml:4: slo.ttft_s: `ttft_s` must be a positive number of seconds',
    );
    expect(bad('{tpot_s: 0}', 'spec')).toThrow(
      'spec.yaml:4: slo.tpot_s: `tpot_s` must be a positive number of seconds',
    );
    expect(bad('{e2e_s: fast}', 'spec')).toThrow(
      'spec.yaml:4: slo.e2e_s: `e2e_s` must be a number of seconds',
    );
    expect(bad('{}', 'spec')).toThrow(
      'spec.yaml:4: slo: an SLO needs at least one of `ttft_s`, `tpot_s`, `e2e_s` (seconds)',
    );
    expect(bad('{ttft: 1}', 'spec')).toThrow('spec.yaml:4: slo.ttft: unknown field "ttft"');
    expect(bad('{ttft_s: -2}', 'workload')).toThrow(
      'spec.yaml:7: workloads[0].slo.ttft_s: `ttft_s` must be a positive number of seconds',
    );
    expect(bad('{}', 'workload')).toThrow('spec.yaml:7: workloads[0].slo: an SLO needs at least one of');
  });
});

/**
 * A 12-request csv trace on a 62-block machine (16-token blocks, 992 tokens). With the vllm token
 * model a request holds prompt + output - 1 tokens at its peak. Requests #1 (69 blocks), #2 (66),
 * #4 (63), #6 (63), #8 (69), #9 (250) and #11 (76) can never fit; #7 needs exactly 62 blocks,
 * which fits under fcfs (no blocks kept free) but not under vllm (1 block kept free).
 */
const TRACE = [
  'arrived_at,num_prefill_tokens,num_decode_tokens',
  '0,100,50',
  '0.5,900,200',
  '1.0,950,100',
  '1.5,200,100',
  '2.0,1000,1',
  '2.5,10,10',
  '3.0,993,1',
  '3.5,992,1',
  '4.0,500,600',
  '4.5,2000,2000',
  '5.0,300,300',
  '5.5,1200,5',
];

function traceSpec(oversize: string | null, policies = '[{policy: fcfs}]'): { dir: string; lines: string[] } {
  const dir = tempDir();
  writeFileSync(join(dir, 'trace.csv'), TRACE.join('\n') + '\n');
  return {
    dir,
    lines: [
      'name: oversize',
      'machine: {model: linear, d0: 0.01, d1: 2.0e-7, kvCapacityTokens: 1000, blockSize: 16}',
      ...(oversize === null ? [] : [`oversize: ${oversize}`]),
      'workloads:',
      '  - {name: t, trace: {path: trace.csv, format: csv}}',
      `policies: ${policies}`,
    ],
  };
}

describe('requests that can never fit', () => {
  it('refuse the sweep by default, counting them and naming the first five', () => {
    const { dir, lines } = traceSpec(null);
    expect(() => plan(lines, dir)).toThrow(
      'spec.yaml:4: workloads[0]: workload t (seed 1) on machine inline under fcfs: 7 of 12 requests can ' +
        'never fit in the KV cache: request #1 (prompt 900 tokens, output 200 tokens) needs 69 KV blocks at ' +
        'its peak, request #2 (prompt 950 tokens, output 100 tokens) needs 66 KV blocks at its peak, request ' +
        '#4 (prompt 1000 tokens, output 1 token) needs 63 KV blocks at its peak, request #6 (prompt 993 ' +
        'tokens, output 1 token) needs 63 KV blocks at its peak, request #8 (prompt 500 tokens, output 600 ' +
        'tokens) needs 69 KV blocks at its peak (and 2 more); the machine offers 62 (capacity 62 blocks of 16 ' +
        "tokens); they could never complete: cap request lengths with the workload's maxTokens, use a larger " +
        'machine, or set `oversize: skip` to run the others and report these as rejected',
    );
    const explicit = traceSpec('refuse');
    expect(() => plan(explicit.lines, explicit.dir)).toThrow(/7 of 12 requests can never fit/);
  });

  it('with `oversize: skip`, run the others and report the rejected count per policy', async () => {
    const { dir, lines } = traceSpec('skip', '[{policy: fcfs}, {policy: vllm}, {policy: sarathi}]');
    const p = plan(lines, dir);
    expect(p.warnings).toEqual([
      expect.stringMatching(
        /^workload t \(seed 1\) on machine inline under fcfs: 7 of 12 requests can never fit .*`oversize: skip` runs without them \(metric `rejected`\)$/,
      ),
      expect.stringMatching(
        /^workload t \(seed 1\) on machine inline under vllm, sarathi: 8 of 12 requests can never fit .*request #6 .*request #7 /,
      ),
    ]);
    const tasks = p.runs.map((r) => runTaskOf(p, r, 0));
    expect(tasks.map((t) => [t.rejected, Array.from(t.requests.promptTokens)])).toEqual([
      [7, [100, 200, 10, 992, 300]],
      [8, [100, 200, 10, 300]],
      [8, [100, 200, 10, 300]],
    ]);
    expect(Array.from(tasks[0].requests.arrival)).toEqual([0, 1.5, 2.5, 3.5, 5]);
    // Policies keeping the same blocks free run the identical list (common random numbers).
    expect(tasks[2].requests).toBe(tasks[1].requests);

    const store = Store.open(join(dir, 'oversize.db'));
    try {
      const outcome = await executeSweep(p, store, { jobs: 1 });
      expect(outcome.failed).toBe(0);
      const runs = store.listRuns({ sweepId: outcome.sweepId });
      expect(
        runs.map((r) => [r.policy, r.status, r.metrics?.requests, r.metrics?.completed, r.metrics?.rejected]),
      ).toEqual([
        ['fcfs', 'done', 5, 5, 7],
        ['vllm', 'done', 4, 4, 8],
        ['sarathi', 'done', 4, 4, 8],
      ]);
      expect(runs[0].warnings).toContain(
        "7 of 12 requests rejected: they can never fit in the KV cache under this policy, and the spec's " +
          '`oversize: skip` left them out of the run',
      );
      expect(store.getRequestRecords(runs[0].id).arrival.length).toBe(5);
      // Resuming compares each done run's stored requests with the shortened list it ran.
      expect(() => checkStoredRequests(p, store, outcome.sweepId)).not.toThrow();
    } finally {
      store.close();
    }
  });

  it('report rejected 0 when every request fits', () => {
    const p = plan([
      ...TYPED,
      'oversize: skip',
      'workloads:',
      `  - ${TYPED_WORKLOAD}`,
      'policies: [{policy: fcfs}]',
    ]);
    expect(p.warnings).toEqual([]);
    const task = runTaskOf(p, p.runs[0], 0);
    expect(task.rejected).toBe(0);
    expect(executeRun(task).metrics.rejected).toBe(0);
  });

  it('counts the 27 of 12,031 Mooncake conversation requests that exceed a100-llama2-7b', () => {
    const lines = [
      'name: mooncake',
      'machine: a100-llama2-7b',
      'workloads:',
      `  - {name: conv, trace: {path: ${JSON.stringify(MOONCAKE)}, format: mooncake}}`,
      'policies: [{policy: fcfs}]',
    ];
    expect(() => plan(lines)).toThrow(
      /spec\.yaml:4: workloads\[0\]: workload conv \(seed 1\) on machine a100-llama2-7b under fcfs: 27 of 12031 requests can never fit in the KV cache: request #\d+ .*\(and 22 more\); the machine offers 7424 \(capacity 7424 blocks of 16 tokens\)/,
    );
  });
});
