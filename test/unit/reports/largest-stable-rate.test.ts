import { describe, expect, it } from 'vitest';
import { largestStableRates } from '../../../runner/reports/largest-stable-rate.js';
import type { ReportRun } from '../../../runner/reports/report-data.js';

let nextId = 1;
function run(
  policy: string,
  rate: number | null,
  stable: boolean | null,
  status: ReportRun['status'] = 'done',
  offeredRps: number | null = null,
): ReportRun {
  return {
    id: nextId++,
    sweepId: 1,
    workload: 'w',
    policy,
    params: {},
    seed: 1,
    rate,
    machine: 'm',
    status,
    error: status === 'failed' ? 'boom' : null,
    metrics: offeredRps === null ? null : ({ offered_rate_rps: offeredRps } as ReportRun['metrics']),
    stable,
    stability: null,
  };
}

function summarize(runs: ReportRun[]) {
  return largestStableRates(runs, new Map(runs.map((r) => [r.id, r.policy])));
}

describe('largestStableRates', () => {
  it('takes the highest rate whose runs were all stable, below the first unstable one', () => {
    const [vllm] = summarize([
      run('vllm', 2, true),
      run('vllm', 4, true, 'done', 4.2),
      run('vllm', 4, true, 'done', 4.1), // second seed
      run('vllm', 6, true),
      run('vllm', 6, false), // one seed unstable: the rate is unstable
      run('vllm', 8, false),
    ]);
    expect(vllm).toEqual({
      policy: 'vllm',
      largestStableRate: 4,
      largestStableOfferedRate: 4.15, // the mean offered rate of its two runs
      firstUnstableRate: 6,
      stableAgainRate: null,
      maxTestedRate: 8,
      runs: 6,
      judged: 6,
    });
  });

  it('reports every rate stable, none stable, stable again above the first unstable, and unjudged runs', () => {
    const summaries = summarize([
      run('a', 2, true),
      run('a', 4, true),
      run('b', 2, false),
      run('b', 4, false),
      run('c', 2, true),
      run('c', 4, false),
      run('c', 6, true), // noise near the limit: not counted as the largest stable rate
      run('d', 2, null),
      run('d', 4, null),
      run('e', 2, true),
      run('e', 4, null), // undecided: does not end the stable range, does not extend it
      run('e', 6, true),
      run('f', 2, true, 'failed'),
      run('f', null, true),
    ]);
    expect(
      summaries.map((s) => [s.policy, s.largestStableRate, s.firstUnstableRate, s.stableAgainRate]),
    ).toEqual([
      ['a', 4, null, null],
      ['b', null, 2, null],
      ['c', 2, 4, 6],
      ['d', null, null, null],
      ['e', 6, null, null],
    ]);
    expect(summaries.find((s) => s.policy === 'd')).toMatchObject({ runs: 2, judged: 0 });
    expect(summaries.find((s) => s.policy === 'e')).toMatchObject({ runs: 3, judged: 2, maxTestedRate: 6 });
  });
});
