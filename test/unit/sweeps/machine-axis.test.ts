import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { decodeStoredMachineSpec, storedMachineName } from '../../../runner/machines/stored-machine-spec.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep, runTaskOf } from '../../../runner/sweeps/sweep-plan.js';
import { sweepSummaryOf } from '../../../runner/sweeps/sweep-summary.js';

// Issue 16 item 1: `machine:` takes a list and expands like any grid axis; a seed gives the same
// requests on every machine (common random numbers), so machines are compared paired over seeds.

const dir = mkdtempSync(join(tmpdir(), 'schedbench-machine-axis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function specFile(name: string, machine: string, extra: string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `machine: ${machine}`,
      'requests: 300',
      'seeds: [1, 2, 3]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 512, output: 128, rate: 8 }] }',
      'policies: [{ policy: vllm }, { policy: sarathi }]',
      ...extra,
      '',
    ].join('\n'),
  );
  return file;
}

describe('machine as a sweep axis', () => {
  it('expands every run onto every machine, with the same requests on each', () => {
    const plan = planSweep(specFile('two', '[a100-llama2-7b, h100-llama2-7b]'));
    expect(plan.machines.map((m) => m.machine.name)).toEqual(['a100-llama2-7b', 'h100-llama2-7b']);
    expect(plan.runs).toHaveLength(2 * 2 * 3);
    expect(new Set(plan.runs.map((r) => r.runKey)).size).toBe(plan.runs.length);
    for (const mi of [0, 1]) expect(plan.runs.filter((r) => r.machineIndex === mi)).toHaveLength(6);
    // The same (workload, seed, policy) on both machines simulates the identical request list.
    const onA100 = plan.runs.find((r) => r.machineIndex === 0 && r.seed === 2 && r.policy.policy === 'vllm')!;
    const onH100 = plan.runs.find((r) => r.machineIndex === 1 && r.seed === 2 && r.policy.policy === 'vllm')!;
    const a = runTaskOf(plan, onA100, 0);
    const h = runTaskOf(plan, onH100, 0);
    expect(a.requests).toBe(h.requests);
    expect(a.machine).toBe('a100-llama2-7b');
    expect(h.machine).toBe('h100-llama2-7b');
  });

  it('keeps the run keys of a one-machine spec, and counts machines in the size limit', () => {
    const one = planSweep(specFile('one', 'a100-llama2-7b'));
    const listed = planSweep(specFile('listed', '[a100-llama2-7b, h100-llama2-7b]'));
    expect(one.runs.every((r) => r.machineIndex === 0)).toBe(true);
    // A list adds the machine to each key, so a listed a100 run is not the unlisted one.
    const oneKeys = new Set(one.runs.map((r) => r.runKey));
    expect(listed.runs.some((r) => oneKeys.has(r.runKey))).toBe(false);
    expect(() =>
      planSweep(specFile('limited', '[a100-llama2-7b, h100-llama2-7b]', ['limits: {runs: 8}'])),
    ).toThrow(
      /the sweep has 12 runs \(1 workload points x 2 policy points x 3 seeds x 2 machines\), more than the limit of 8/,
    );
  });

  it('refuses a machine listed twice, at its element', () => {
    const file = specFile('twice', '[a100-llama2-7b, h100-llama2-7b, a100-llama2-7b]');
    let error: unknown;
    try {
      planSweep(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /twice\.yaml:2: machine\[2\]: machine a100-llama2-7b is listed twice \(elements 1 and 3\)/,
    );
  });

  it('stores every machine, and the summary compares policies per machine and the machines per policy', async () => {
    const file = specFile('stored', '[a100-llama2-7b, h100-llama2-7b]');
    const store = Store.open(join(dir, 'machines.db'));
    try {
      const outcome = await executeSweep(planSweep(file), store, { jobs: 1 });
      expect(outcome).toMatchObject({ done: 12, failed: 0 });
      const runs = store.listRuns({ sweepId: outcome.sweepId });
      expect(runs.filter((r) => r.machine === 'a100-llama2-7b')).toHaveLength(6);
      expect(runs.filter((r) => r.machine === 'h100-llama2-7b')).toHaveLength(6);
      const sweep = store.getSweep(outcome.sweepId)!;
      expect(storedMachineName(sweep.machineJson)).toBe('a100-llama2-7b, h100-llama2-7b');
      const stored = decodeStoredMachineSpec(sweep.machineJson, 'sweep');
      expect(stored.machines?.map((m) => m.name)).toEqual(['a100-llama2-7b', 'h100-llama2-7b']);
      expect(stored.machines![1].kvCapacityBlocks).toBeGreaterThan(0);

      const summary = sweepSummaryOf(store, outcome.sweepId);
      expect(new Set(summary.rows.map((r) => r.machine))).toEqual(
        new Set(['a100-llama2-7b', 'h100-llama2-7b']),
      );
      const policyVerdicts = summary.verdicts.filter((v) => v.kind === undefined);
      expect(new Set(policyVerdicts.map((v) => v.machine))).toEqual(
        new Set(['a100-llama2-7b', 'h100-llama2-7b']),
      );
      const machineVerdicts = summary.verdicts.filter((v) => v.kind === 'machines');
      // Each policy on both machines, on every verdict metric.
      expect(new Set(machineVerdicts.map((v) => v.policy))).toEqual(new Set(['vllm', 'sarathi']));
      // The H100 finishes requests sooner than the A100 on the same requests, on every seed.
      const e2e = machineVerdicts.find((v) => v.policy === 'vllm' && v.metric === 'e2e_p99_s')!;
      expect(e2e.best_policy).toBe('h100-llama2-7b');
      expect(e2e.comparisons[0]).toMatchObject({ policy: 'a100-llama2-7b', significant: true });
      expect(e2e.comparisons[0].ratio!).toBeGreaterThan(1);
    } finally {
      store.close();
    }
  });
});
