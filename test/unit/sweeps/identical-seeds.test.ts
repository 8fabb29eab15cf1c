import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planSweepText, requestListKey, type SweepPlan } from '../../../runner/sweeps/sweep-plan.js';
import { requestListDigest } from '../../../runner/sweeps/identical-seeds.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The seeds planned for workload grid point `wi` (those with a request list and runs). */
function plannedSeeds(plan: SweepPlan, wi: number): number[] {
  const fromLists = plan.spec.seeds.filter((s) => plan.requestLists.has(requestListKey(wi, s)));
  const fromRuns = [...new Set(plan.runs.filter((r) => r.workloadIndex === wi).map((r) => r.seed))];
  expect(fromRuns).toEqual(fromLists);
  return fromLists;
}

describe('seeds that would replay identical requests', () => {
  it("README's example spec: each seed replays its own window of the trace, nothing left out", () => {
    // The YAML block that follows "A sweep spec" in the README, verbatim (paths relative to examples/).
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /A sweep spec \(YAML[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1];
    expect(block).toContain('seeds: [1, 2, 3]');
    const plan = planSweepText(block, { file: 'readme.yaml', dir: EXAMPLES });
    expect(plan.warnings).toEqual([]);
    plan.workloads.forEach((w, wi) => {
      expect(plannedSeeds(plan, wi)).toEqual([1, 2, 3]);
      const digests = [1, 2, 3].map((s) => requestListDigest(plan.requestLists.get(requestListKey(wi, s))!));
      expect(new Set(digests).size, w.label).toBe(3);
    });
    expect(plan.runs).toHaveLength(3 * 3 * 3); // 3 rates x 3 policy grid points x 3 seeds
  });

  it('plans a whole-trace replay once (seed 1), with a warning naming the workload and its line', () => {
    const spec = [
      'name: whole',
      'machine: a100-llama2-7b',
      'seeds: [1, 2, 3]',
      'workloads:',
      '  - name: synthetic',
      '    requests: 50',
      '    promptTokens: { dist: uniform, min: 10, max: 100 }',
      '    outputTokens: { dist: uniform, min: 10, max: 100 }',
      '    arrival: { process: poisson, rate: 2 }',
      '  - name: azure-code',
      '    trace: { path: data/azure-llm-2023/AzureLLMInferenceTrace_code.csv, format: azure }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n');
    const plan = planSweepText(spec, { file: 'whole.yaml', dir: ROOT });
    expect(plannedSeeds(plan, 0)).toEqual([1, 2, 3]);
    expect(plannedSeeds(plan, 1)).toEqual([1]);
    expect(plan.runs).toHaveLength(3 * 2 + 1 * 2);
    expect(plan.warnings).toHaveLength(1);
    const warning = plan.warnings[0];
    expect(warning).toMatch(/^whole\.yaml:10: workload azure-code: /);
    expect(warning).toContain('seeds 2, 3 give the same request list as seed 1');
    expect(warning).toContain('`requests`');
  });

  it('finds repeated lists whatever made them: two seeds drawing the same window of a short trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-seeds-'));
    cleanup.push(dir);
    // 4 rows and 3 requests: only two windows (rows 1-3 and 2-4), so among 6 seeds some repeat.
    writeFileSync(
      join(dir, 'short.csv'),
      'arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,5\n1,20,5\n3,30,5\n4,40,5\n',
    );
    const spec = [
      'name: short',
      'machine: a100-llama2-7b',
      'requests: 3',
      'seeds: [1, 2, 3, 4, 5, 6]',
      'workloads:',
      '  - { name: tiny, trace: { path: short.csv, format: csv }, rate: 1 }',
      'policies: [{ policy: fcfs }]',
      '',
    ].join('\n');
    const plan = planSweepText(spec, { file: 'short.yaml', dir });
    const kept = plannedSeeds(plan, 0);
    expect(kept).toHaveLength(2);
    const firstPrompts = kept.map((s) => plan.requestLists.get(requestListKey(0, s))!.promptTokens[0]).sort();
    expect(firstPrompts).toEqual([10, 20]);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatch(/^short\.yaml:6: workload tiny: /);
    for (const s of [1, 2, 3, 4, 5, 6].filter((x) => !kept.includes(x))) {
      expect(plan.warnings[0]).toMatch(new RegExp(`seeds? [0-9, ]*\\b${s}\\b`));
    }
  });

  it('and fixed lengths at deterministic arrivals, which no seed changes', () => {
    const spec = [
      'name: fixed',
      'machine: a100-llama2-7b',
      'requests: 20',
      'seeds: [7, 8]',
      'workloads:',
      '  - name: constant',
      '    promptTokens: { dist: fixed, value: 100 }',
      '    outputTokens: { dist: fixed, value: 20 }',
      '    arrival: { process: deterministic, rate: 4 }',
      'policies: [{ policy: fcfs }]',
      '',
    ].join('\n');
    const plan = planSweepText(spec, { file: 'fixed.yaml', dir: ROOT });
    expect(plannedSeeds(plan, 0)).toEqual([7]);
    expect(plan.warnings[0]).toMatch(
      /^fixed\.yaml:6: workload constant: seed 8 gives the same request list as seed 7/,
    );
  });
});
