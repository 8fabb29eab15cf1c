import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('schedbench fluid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-fluid-'));
  const spec = join(dir, 'fluid.yaml');
  // The appendix instance of arXiv 2504.11320v2 (FCFS proof; types (1,1,1) and (1,2,1)) with d0 = 1 - 9 d1, so K = 1.
  writeFileSync(
    spec,
    [
      'name: fluid',
      'machine: {model: linear, d0: 0.91, d1: 0.01, kvCapacityTokens: 12, blockSize: 1}',
      'requests: 100',
      'tokenModel: paper',
      'workloads:',
      '  - {name: appendix, types: [{prompt: 1, output: 1, rate: 1}, {prompt: 1, output: 2, rate: 1}]}',
      '  - {name: scaled, rate: [10, 11], types: [{prompt: 1, output: 1, rate: 1}, {prompt: 1, output: 2, rate: 1}]}',
      'policies: [{policy: fcfs}]',
      '',
    ].join('\n'),
  );

  it('prints n*, M*, Throughput*, stability and the largest stable rate per workload and rate', () => {
    const r = runCli(['fluid', spec, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      linear_model_exact: boolean;
      token_model: string;
      rows: Record<string, unknown>[];
    };
    expect(out.linear_model_exact).toBe(true);
    expect(out.token_model).toBe('paper');
    const [appendix, scaled5, scaled6] = out.rows;
    expect(appendix.workload).toBe('appendix');
    expect(appendix.rate_rps).toBe(2);
    expect(appendix.throughput_star_tok_s).toBe(3);
    expect(appendix.m_star_tokens as number).toBeCloseTo(9, 9);
    expect(appendix.iteration_time_star_s as number).toBeCloseTo(1, 9);
    expect(appendix.stable).toBe(true);
    expect(appendix.memory_sufficient).toBe(true); // C = 12 >= M* = 9
    expect(appendix.max_stable_rate_rps as number).toBeCloseTo(2 / 0.09, 9); // load 0.09 at total rate 2
    // Total rate 10 as 5 + 5: load = 0.01 (5*2*1.5 + 5*3*2) = 0.45; total 11 as 5.5 + 5.5: 0.495.
    expect(scaled5.rate_rps).toBe(10);
    expect(scaled5.load as number).toBeCloseTo(0.45, 9);
    expect(scaled6.load as number).toBeCloseTo(0.495, 9);
    expect(scaled5.memory_sufficient).toBe(false); // M* = 0.91 * 45 / 0.55 = 74 tokens > 12
  });

  it('prints a table naming the machine and its linear model', () => {
    const r = runCli(['fluid', spec]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /d0 = 0\.91 s, d1 = 0\.01 s per KV token \(its linear iteration-time model\); token model paper/,
    );
    expect(r.stdout).toMatch(/throughput_star_tok_s/);
    expect(runCli(['fluid', spec, '--format', 'yaml']).code).toBe(2);
  });
});

describe('schedbench machines', () => {
  it('lists each preset with GPU, model, KV capacity, term sources and the linear fit', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'schedbench-machines-')), 'm.db');
    const r = runCli(['machines', '--format', 'json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as {
      simulated: unknown;
      workers: unknown[];
      calibrations: unknown[];
    };
    expect(listed.workers).toEqual([]);
    expect(listed.calibrations).toEqual([]);
    const machines = listed.simulated as {
      name: string;
      gpu: string;
      kv_capacity_blocks: number;
      linear: { d0: number; d1: number; exact: boolean };
      sources: Record<string, string>;
    }[];
    expect(machines.map((m) => m.name)).toEqual([
      'a100-llama2-7b',
      'a100-llama2-7b-linear',
      'a100-llama3-8b',
      'a100-codellama-34b',
      'a100-internlm-20b',
      'a100-phi2',
      'a40-llama2-7b',
      'a40-phi2',
      'h100-llama2-7b',
      'h100-codellama-34b',
      'h100-internlm-20b',
      'h100-phi2',
    ]);
    for (const m of machines) {
      expect(m.gpu).toMatch(/^(A100-80GB|A40-48GB|H100-80GB)$/);
      expect(m.kv_capacity_blocks).toBeGreaterThan(0);
      expect(m.linear.d1).toBeGreaterThan(0);
      expect(Object.keys(m.sources).length).toBeGreaterThan(0);
    }
    expect(machines.slice(0, 2).map((m) => m.kv_capacity_blocks)).toEqual([7424, 7424]);
    expect(machines.find((m) => m.name === 'h100-llama2-7b')?.sources.attention).toMatch(/^APPROXIMATE/);
    expect(machines[0].linear.exact).toBe(false);
    expect(runCli(['machines', 'list', '--db', db]).stdout).toMatch(
      /a100-llama2-7b +A100-80GB +meta-llama\/Llama-2-7b-hf +profile +7424/,
    );
  });
});
