import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepSummaryData } from '../../runner/reports/verdicts.js';
import { runCli } from '../helpers/cli.js';

/**
 * `schedbench summary` on real small sweeps through the CLI: the JSON has the seed-summary rows
 * and the paired verdicts (docs/metrics.md, "Verdicts"); the Markdown starts with the verdicts
 * as sentences. Needs the build (dist/).
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-summary-'));
const db = join(dir, 'summary.db');

/** A small spec: two vllm configurations and sarathi, on `seeds`, at 3 req/s. */
function spec(name: string, seeds: number[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      'requests: 150',
      `seeds: [${seeds.join(', ')}]`,
      'workloads:',
      '  - name: synthetic',
      '    arrival: {process: poisson, rate: 3}',
      '    promptTokens: {dist: uniform, min: 50, max: 400}',
      '    outputTokens: {dist: uniform, min: 20, max: 200}',
      'policies:',
      '  - {policy: vllm, maxNumSeqs: [8, 64]}',
      '  - {policy: sarathi, chunkSize: 256}',
      '',
    ].join('\n'),
  );
  return file;
}

function sweep(name: string, seeds: number[]): string {
  const r = runCli(['sweep', spec(name, seeds), '--db', db, '--jobs', '1']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').at(-1)!;
}

function summaryJson(id: string): SweepSummaryData {
  const r = runCli(['summary', id, '--format', 'json', '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SweepSummaryData;
}

let threeSeeds = '';
let oneSeed = '';
beforeAll(() => {
  threeSeeds = sweep('three-seeds', [1, 2, 3]);
  oneSeed = sweep('one-seed', [1]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schedbench summary', () => {
  it('JSON: rows and verdicts, each policy against the best paired by seed', () => {
    const data = summaryJson(threeSeeds);
    expect(Object.keys(data)).toEqual(['rows', 'verdicts', 'notes']);
    const policies = ['sarathi', 'vllm maxNumSeqs=64', 'vllm maxNumSeqs=8'];
    expect(data.rows.map((r) => r.policy)).toEqual(policies);
    expect(data.verdicts.map((v) => v.metric)).toEqual([
      'throughput_tok_s',
      'ttft_p50_s',
      'ttft_p99_s',
      'tpot_p99_s',
      'e2e_p99_s',
    ]);
    const r = runCli(['runs', '--sweep', threeSeeds, '--format', 'json', '--db', db]);
    const runs = JSON.parse(r.stdout) as {
      policy: string;
      params: { maxNumSeqs?: number };
      seed: number;
      metrics: Record<string, number | null>;
    }[];
    const label = (run: (typeof runs)[number]): string =>
      run.policy === 'vllm' ? `vllm maxNumSeqs=${run.params.maxNumSeqs}` : run.policy;
    const offered = runs.map((run) => run.metrics.offered_rate_rps ?? 3);
    for (const v of data.verdicts) {
      expect(v).toMatchObject({ workload: 'synthetic', nominal_rate_rps: 3, seeds: 3, note: null });
      expect(v.rate_rps).toBeCloseTo(offered.reduce((a, b) => a + b, 0) / offered.length, 9);
      expect(Object.keys(v)).toEqual(
        expect.arrayContaining(['workload', 'rate_rps', 'metric', 'best_policy', 'comparisons']),
      );
      expect([v.best_policy, ...v.comparisons.map((c) => c.policy)].sort()).toEqual(policies);
      const value = (policy: string, seed: number): number =>
        runs.find((run) => label(run) === policy && run.seed === seed)!.metrics[v.metric]!;
      for (const c of v.comparisons) {
        expect(Object.keys(c)).toEqual(['policy', 'ratio', 'ci_low', 'ci_high', 'significant']);
        const logs = [1, 2, 3].map((seed) => Math.log(value(c.policy, seed) / value(v.best_policy, seed)));
        const mean = logs.reduce((a, b) => a + b, 0) / 3;
        expect(c.ratio).toBeCloseTo(Math.exp(mean), 9);
        if (c.ci_low === null) continue; // identical values, or the same ratio on every seed
        const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
        const half = (4.302652729749464 * sd) / Math.sqrt(3); // t(0.975, 2)
        expect(c.ci_low).toBeCloseTo(Math.exp(mean - half), 9);
        expect(c.ci_high).toBeCloseTo(Math.exp(mean + half), 9);
        expect(c.significant).toBe(c.ci_low > 1 || c.ci_high! < 1);
      }
    }
  });

  it('Markdown: the verdicts as sentences first, then the table', () => {
    const r = runCli(['summary', threeSeeds, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Verdicts, paired over seeds/);
    expect(lines[2]).toMatch(
      /^- At [\d.]+ req\/s( \(nominal 3\))? on synthetic, (sarathi|vllm maxNumSeqs=\d+) has the highest output throughput \(3 seeds\): /,
    );
    const table = lines.findIndex((l) => l.startsWith('| workload |'));
    expect(table).toBeGreaterThan(2);
    const sentences = lines.slice(2, table - 1);
    expect(sentences).toHaveLength(5); // one per judged metric
    for (const line of sentences) {
      expect(line).toMatch(/^- At .*\.$/);
      expect(line).not.toMatch(/±/); // intervals as ranges, never "± 0"
    }
  });

  it('one seed: ratios without intervals, and the sentences say significance cannot be judged', () => {
    const data = summaryJson(oneSeed);
    expect(data.verdicts.length).toBeGreaterThan(0);
    for (const v of data.verdicts) {
      expect(v.seeds).toBe(1);
      expect(v.note).toMatch(/one seed/);
      for (const c of v.comparisons)
        expect(c).toMatchObject({ ci_low: null, ci_high: null, significant: null });
    }
    const md = runCli(['summary', oneSeed, '--db', db]).stdout;
    expect(md).toMatch(/\(1 seed\): .*\(one seed: significance cannot be judged\)\./);
  });
});
