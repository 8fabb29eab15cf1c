import { describe, expect, it } from 'vitest';
import { METRIC_KEYS, type RunMetrics } from '../../../runner/metrics/metric-keys.js';
import type { ReportRun } from '../../../runner/reports/report-data.js';
import {
  formatMeanWithInterval,
  seedSummary,
  summaryMarkdown,
} from '../../../runner/reports/seed-summary.js';

function run(
  id: number,
  policy: string,
  rate: number,
  seed: number,
  throughput: number,
  params = {},
): ReportRun {
  const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, 1])) as RunMetrics;
  metrics.throughput_tok_s = throughput;
  return {
    id,
    sweepId: 1,
    workload: 'w',
    policy,
    params,
    seed,
    rate,
    machine: 'm',
    status: 'done',
    error: null,
    metrics,
  } as ReportRun;
}

describe('seed summary', () => {
  const runs = [
    { ...run(1, 'vllm', 2, 1, 10), stable: true },
    { ...run(2, 'vllm', 2, 2, 12), stable: false },
    { ...run(3, 'vllm', 2, 3, 14), stable: true },
    run(4, 'wait', 2, 1, 20),
    run(5, 'vllm', 4, 1, 30),
    { ...run(6, 'wait', 4, 1, 99), status: 'failed' as const, metrics: null },
  ];

  it('groups by workload, rate and policy over seeds, leaving out runs without results', () => {
    const rows = seedSummary(runs);
    expect(rows.map((r) => [r.rate, r.policy, r.seeds])).toEqual([
      [2, 'vllm', [1, 2, 3]],
      [2, 'wait', [1]],
      [4, 'vllm', [1]],
    ]);
    expect(rows[0].metrics.throughput_tok_s!.mean).toBe(12);
    expect(rows[0].metrics.throughput_tok_s!.halfWidth).toBeCloseTo(4.9683, 3);
  });

  it('labels policies by the parameters that differ, and renders Markdown', () => {
    const rows = seedSummary([
      run(1, 'vllm', 2, 1, 10, { maxNumSeqs: 64 }),
      run(2, 'vllm', 2, 1, 11, { maxNumSeqs: 128 }),
    ]);
    expect(rows.map((r) => r.policy)).toEqual(['vllm maxNumSeqs=128', 'vllm maxNumSeqs=64']);
    const md = summaryMarkdown(seedSummary(runs));
    expect(md.split('\n')[0]).toMatch(
      /^\| workload \| rate \(req\/s\) \| policy \| seeds \| stable \| throughput_tok_s/,
    );
    expect(md).toMatch(/\| w \| 2 \| vllm \| 3 \| 2\/3 \| 12 ± 4\.968 \|/);
  });

  it('never prints ± 0 for seeds whose values are identical', () => {
    const same = seedSummary([
      run(1, 'vllm', 2, 1, 7.5),
      run(2, 'vllm', 2, 2, 7.5),
      run(3, 'vllm', 2, 3, 7.5),
    ]);
    const m = same[0].metrics.throughput_tok_s!;
    expect([m.mean, m.halfWidth, m.identical]).toEqual([7.5, null, true]);
    expect(formatMeanWithInterval(m)).toBe('7.500 ± n/a (identical samples)');
    // In the table: throughput identical over the seeds, and every other metric (1 on every run).
    const md = summaryMarkdown(same);
    expect(md).toContain('| 7.500 ± n/a (identical samples) | 1 ± n/a (identical samples) |');
    expect(md).not.toMatch(/± 0(\D|$)/);
    // One seed: the value alone; seeds that differ: an interval.
    expect(formatMeanWithInterval(seedSummary([run(1, 'vllm', 2, 1, 7.5)])[0].metrics.throughput_tok_s)).toBe(
      '7.500',
    );
    expect(summaryMarkdown(seedSummary(runs))).toMatch(/12 ± 4\.968/);
  });

  it('has a row per machine, and a machine column, only when runs span machines', () => {
    const on = (machine: string, r: ReportRun): ReportRun => ({ ...r, machine });
    const runs = [
      on('h100', run(1, 'vllm', 2, 1, 20)),
      on('h100', run(2, 'vllm', 2, 2, 22)),
      on('a100', run(3, 'vllm', 2, 1, 10)),
      on('a100', run(4, 'vllm', 2, 2, 11)),
      on('a100', run(5, 'wait', 2, 1, 9)),
    ];
    const rows = seedSummary(runs);
    expect(rows.map((r) => [r.machine, r.policy, r.seeds, r.metrics.throughput_tok_s!.mean])).toEqual([
      ['a100', 'vllm', [1, 2], 10.5],
      ['a100', 'wait', [1], 9],
      ['h100', 'vllm', [1, 2], 21],
    ]);
    expect(Object.keys(rows[0]).slice(0, 3)).toEqual(['workload', 'machine', 'policy']);
    const md = summaryMarkdown(rows).split('\n');
    expect(md[0]).toMatch(/^\| workload \| rate \(req\/s\) \| machine \| policy \| seeds \| stable \|/);
    expect(md[4]).toMatch(/^\| w \| 2 \| h100 \| vllm \| 2 \| - \| 21 ± /);
    // One machine: no `machine` field and no column.
    const single = seedSummary(runs.filter((r) => r.machine === 'a100'));
    expect(single.every((r) => !('machine' in r))).toBe(true);
    expect(summaryMarkdown(single)).not.toContain('machine');
  });
});
