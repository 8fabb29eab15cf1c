import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fluidCommand, type FluidRow } from '../../../runner/cli/fluid-command.js';

const dir = mkdtempSync(join(tmpdir(), 'schedbench-fluid-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A spec with one typed workload on an inline linear machine; returns its path. */
function spec(name: string, machine: string, types: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `machine: ${machine}`,
      'requests: 50',
      'tokenModel: paper',
      'workloads:',
      `  - {name: mix, types: ${types}}`,
      'policies: [{policy: fcfs}]',
      '',
    ].join('\n'),
  );
  return file;
}

interface FluidJson {
  d0: number;
  d1: number;
  d2: number;
  rows: FluidRow[];
}

describe('schedbench fluid --format json', () => {
  it('gives n*_j per type and the prefill term (the hand-computed instance of fluid-prefill.test.ts)', () => {
    const path = spec(
      'prefill',
      '{model: linear, d0: 0.04, d1: 0.0025, d2: 0.0125, kvCapacityTokens: 100, blockSize: 1}',
      '[{prompt: 8, output: 4, rate: 2}, {prompt: 2, output: 1, rate: 4}]',
    );
    const out = JSON.parse(fluidCommand(path, 'json')) as FluidJson;
    expect(out.d2).toBe(0.0125);
    const [row] = out.rows;
    expect(row.types.map((t) => [t.prompt, t.output, t.rate])).toEqual([
      [8, 4, 2],
      [2, 1, 4],
    ]);
    expect(row.types[0].n_star).toBeCloseTo(1, 12);
    expect(row.types[1].n_star).toBeCloseTo(0.8, 12);
    expect(row.load).toBeCloseTo(0.6, 12);
    expect(row.iteration_time_star_s).toBeCloseTo(0.1, 12);
    expect(row.m_star_tokens).toBeCloseTo(12, 12);
    expect(row.prefill_star_tokens).toBeCloseTo(2.4, 12);
    expect(row.max_stable_rate_rps).toBeCloseTo(10, 12);
    expect(fluidCommand(path, 'table')).toMatch(/d2 = 0\.0125 s per prefilled prompt token/);
  });

  it("gives the paper's n* without d2: the appendix instance, n* = (2, 3)", () => {
    const path = spec(
      'paper',
      '{model: linear, d0: 0.91, d1: 0.01, kvCapacityTokens: 12, blockSize: 1}',
      '[{prompt: 1, output: 1, rate: 1}, {prompt: 1, output: 2, rate: 1}]',
    );
    const out = JSON.parse(fluidCommand(path, 'json')) as FluidJson;
    expect(out.d2).toBe(0);
    const [row] = out.rows;
    expect(row.types[0].n_star).toBeCloseTo(2, 9);
    expect(row.types[1].n_star).toBeCloseTo(3, 9);
    expect(fluidCommand(path, 'table')).not.toMatch(/d2/);
  });

  it('gives null n*_j beyond the stability limit', () => {
    const path = spec(
      'unstable',
      '{model: linear, d0: 0.04, d1: 0.0025, d2: 0.0125, kvCapacityTokens: 100, blockSize: 1}',
      '[{prompt: 8, output: 4, rate: 20}, {prompt: 2, output: 1, rate: 40}]',
    );
    const [row] = (JSON.parse(fluidCommand(path, 'json')) as FluidJson).rows;
    expect(row.stable).toBe(false);
    expect(row.types.map((t) => t.n_star)).toEqual([null, null]);
    expect(row.prefill_star_tokens).toBeNull();
  });
});
