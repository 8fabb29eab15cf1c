import { describe, expect, it } from 'vitest';
import type { ReportRun } from '../../../runner/reports/report-data.js';
import { runLabel, runLabels } from '../../../runner/reports/run-label.js';

function run(id: number, policy: string, params: Record<string, unknown>): ReportRun {
  return {
    id,
    sweepId: 1,
    workload: 'w',
    policy,
    params,
    seed: 1,
    rate: 1,
    machine: 'm',
    status: 'done',
    error: null,
    metrics: null,
    stable: null,
    stability: null,
  };
}

describe('runLabel', () => {
  const runs = [
    run(1, 'vllm', { maxNumSeqs: 64, blockSize: 16 }),
    run(2, 'vllm', { maxNumSeqs: 128, blockSize: 16 }),
    run(3, 'fcfs', { blockSize: 16 }),
    run(4, 'fcfs', { blockSize: 16 }),
    run(5, 'wait', { thresholds: [1, 2] }),
    run(6, 'wait', { thresholds: [1, 3], extra: 'x' }),
  ];

  it('adds only the params that differ between runs of the same policy', () => {
    const labels = runLabels(runs);
    expect(labels.get(1)).toBe('vllm maxNumSeqs=64');
    expect(labels.get(2)).toBe('vllm maxNumSeqs=128');
    expect(labels.get(3)).toBe('fcfs');
    expect(labels.get(4)).toBe('fcfs');
  });

  it('prints non-string values as compact JSON and missing ones as -', () => {
    const labels = runLabels(runs);
    expect(labels.get(5)).toBe('wait extra=- thresholds=[1,2]');
    expect(labels.get(6)).toBe('wait extra=x thresholds=[1,3]');
  });

  it('labels one run among others like runLabels does', () => {
    expect(runLabel(runs[1], runs)).toBe('vllm maxNumSeqs=128');
    expect(runLabel(run(9, 'fcfs', { blockSize: 32 }), runs)).toBe('fcfs blockSize=32');
  });

  it('ignores key order inside object params', () => {
    const a = run(1, 'p', { cfg: { a: 1, b: 2 } });
    const b = run(2, 'p', { cfg: { b: 2, a: 1 } });
    expect(runLabels([a, b]).get(2)).toBe('p');
  });
});
