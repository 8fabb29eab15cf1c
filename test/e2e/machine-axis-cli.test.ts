import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// Issue 16 item 1 through the real CLI: a sweep over `machine: [a100-llama2-7b, h100-llama2-7b]`
// compares the two machines in `summary` (per-machine policy verdicts, then machine verdicts) and
// in Compare (the API's runs.compare: one configuration per machine, a fluid limit per machine).

const dir = mkdtempSync(join(tmpdir(), 'schedbench-machine-axis-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = [
  'name: two-machines',
  'machine: [a100-llama2-7b, h100-llama2-7b]',
  'requests: 300',
  'seeds: [1, 2, 3]',
  'workloads:',
  '  - { name: typed, types: [{ prompt: 512, output: 128, rate: 8 }] }',
  'policies: [{ policy: vllm }, { policy: sarathi }]',
  '',
].join('\n');

describe('a sweep over two machines', () => {
  const spec = join(dir, 'two-machines.yaml');
  const db = join(dir, 'two.db');
  writeFileSync(spec, SPEC);

  it('runs every run on both machines and compares them in summary and Compare', () => {
    const sweep = runCli(['sweep', spec, '--db', db, '--jobs', '2']);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stderr).toMatch(/sweep 1 \(two-machines\): 12 done, 0 failed/);

    const summary = runCli(['summary', '--latest', '--db', db, '--format', 'markdown']);
    expect(summary.code, summary.stderr).toBe(0);
    // Policies compared within each machine...
    expect(summary.stdout).toMatch(/on machine a100-llama2-7b, (vllm|sarathi) has the/);
    expect(summary.stdout).toMatch(/on machine h100-llama2-7b, (vllm|sarathi) has the/);
    // ... and the machines compared under each policy, the H100 first on E2E p99.
    expect(summary.stdout).toMatch(
      /under vllm, h100-llama2-7b is the machine with the lowest E2E p99 \(3 seeds\): a100-llama2-7b is [\d.]+ % higher \(95 % CI/,
    );
    expect(summary.stdout).toMatch(/\| machine \|/);

    const table = runCli(['summary', '--latest', '--db', db, '--format', 'table']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('typed at 8 req/s on a100-llama2-7b');
    expect(table.stdout).toContain('typed at 8 req/s on h100-llama2-7b');

    const runs = JSON.parse(runCli(['api', 'runs.list', '{}', '--db', db]).stdout) as {
      id: number;
      policy: string;
      seed: number;
      machine: string;
    }[];
    const vllm = runs.filter((r) => r.policy === 'vllm');
    expect(new Set(vllm.map((r) => r.machine))).toEqual(new Set(['a100-llama2-7b', 'h100-llama2-7b']));
    const compare = runCli([
      'api',
      'runs.compare',
      JSON.stringify({ runIds: vllm.map((r) => r.id), maxPointsPerRun: 20 }),
      '--db',
      db,
    ]);
    expect(compare.code, compare.stderr).toBe(0);
    const out = JSON.parse(compare.stdout) as {
      configurations: { label: string; machine: string; runIds: number[] }[];
      charts: { fluidLimits: { label: string; rateRps: number }[] };
    };
    expect(out.configurations.map((c) => c.label).sort()).toEqual([
      'vllm @ a100-llama2-7b',
      'vllm @ h100-llama2-7b',
    ]);
    for (const c of out.configurations) expect(c.runIds).toHaveLength(3);
    // A fluid stability limit per machine: the H100's is higher.
    const limits = Object.fromEntries(out.charts.fluidLimits.map((l) => [l.label, l.rateRps]));
    const a100 = limits['fluid stability limit typed @ a100-llama2-7b'];
    const h100 = limits['fluid stability limit typed @ h100-llama2-7b'];
    expect(a100).toBeGreaterThan(0);
    expect(h100).toBeGreaterThan(a100);

    const validate = runCli(['api', 'sweeps.validate', JSON.stringify({ yaml: SPEC, dir }), '--db', db]);
    const validated = JSON.parse(validate.stdout) as {
      ok: boolean;
      runs: number;
      machine: string;
      fluid: { machine: string; maxStableRateRps: number }[];
    };
    expect(validated).toMatchObject({ ok: true, runs: 12, machine: 'a100-llama2-7b, h100-llama2-7b' });
    expect(validated.fluid.map((f) => f.machine)).toEqual(['a100-llama2-7b', 'h100-llama2-7b']);
    expect(validated.fluid[0].maxStableRateRps).toBeCloseTo(a100, 6);
  }, 120_000);
});
