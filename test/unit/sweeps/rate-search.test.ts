import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { probeRunsAt } from '../../../runner/sweeps/capacity-probes.js';
import { planSweepText, requestListKey, runKeyOf } from '../../../runner/sweeps/sweep-plan.js';

function spec(rate: string, extra: string[] = []): string {
  return [
    'name: search',
    'machine: { model: linear, d0: 0.01, d1: 0.00001, kvCapacityTokens: 2048, blockSize: 16 }',
    'requests: 300',
    'seeds: [1, 2]',
    ...extra,
    'workloads:',
    '  - name: typed',
    '    types: [{ prompt: 20, output: 10, rate: 1 }, { prompt: 100, output: 40, rate: 3 }]',
    `    rate: ${rate}`,
    '  - name: fixed',
    '    types: [{ prompt: 20, output: 10, rate: 1 }, { prompt: 100, output: 40, rate: 3 }]',
    '    rate: 4',
    'policies: [{ policy: fcfs }, { policy: vllm }]',
    '',
  ].join('\n');
}

const plan = (text: string) => planSweepText(text, { file: 'search.yaml', dir: '.' });

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('a workload rate written as a capacity search', () => {
  it('plans one search per policy and no fixed runs for that workload', () => {
    const p = plan(spec('{ search: { min: 1, max: 16 } }'));
    expect(p.searches.map((s) => [p.workloads[s.workloadIndex].label, s.policy.policy, s.seeds])).toEqual([
      ['typed', 'fcfs', [1, 2]],
      ['typed', 'vllm', [1, 2]],
    ]);
    expect(p.searches[0].settings).toEqual({ minRps: 1, maxRps: 16, precision: 0.02, attainment: 0.99 });
    // Only the fixed workload has planned runs: 2 policies x 2 seeds.
    expect(p.runs.map((r) => p.workloads[r.workloadIndex].label)).toEqual([
      'fixed',
      'fixed',
      'fixed',
      'fixed',
    ]);
  });

  it('probes at a rate the same requests, at rescaled times, and reuses a planned run at that rate', () => {
    const p = plan(spec('{ search: { min: 1, max: 16 } }'));
    const [fcfs] = p.searches;
    const probe = probeRunsAt(p, fcfs, 4);
    expect(probe.map((r) => r.seed)).toEqual([1, 2]);
    const at4 = p.requestLists.get(requestListKey(probe[0].workloadIndex, 1))!;
    const atMin = p.requestLists.get(requestListKey(fcfs.workloadIndex, 1))!;
    expect(at4.promptTokens).toEqual(atMin.promptTokens);
    expect(at4.outputTokens).toEqual(atMin.outputTokens);
    expect((at4.arrival.length - 1) / at4.arrival[at4.arrival.length - 1]).toBeGreaterThan(3);
    // The fixed workload at rate 4 has the same spec but its name: a probe of it would share keys.
    const fixed = p.workloads.find((w) => w.label === 'fixed')!;
    const probeSpec = p.workloads[probe[0].workloadIndex].spec;
    expect({ ...probeSpec, name: 'fixed' }).toEqual(fixed.spec);
    expect(probe[0].runKey).toBe(runKeyOf(p.spec, probeSpec, fcfs.policy, 1, p.machine.name));
    // Asking again gives the same runs without adding a workload.
    const workloads = p.workloads.length;
    expect(probeRunsAt(p, fcfs, 4)).toEqual(probe);
    expect(p.workloads).toHaveLength(workloads);
  });

  it('is refused with the line and field of a malformed search', () => {
    const flipped = errorOf(() => plan(spec('{ search: { min: 8, max: 2 } }')));
    expect(flipped.message).toMatch(/^search\.yaml:8: .*`max` must be >= `min`/);
    const unknown = errorOf(() => plan(spec('{ search: { min: 1, max: 2, step: 1 } }')));
    expect(unknown.message).toMatch(/^search\.yaml:8: .*unknown field "step"/);
    const zero = errorOf(() => plan(spec('{ search: { min: 0, max: 2 } }')));
    expect(zero.message).toMatch(/^search\.yaml:8: /);
  });
});
