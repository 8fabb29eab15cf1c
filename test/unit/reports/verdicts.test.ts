import { describe, expect, it } from 'vitest';
import { VERDICT_METRIC_INFO } from '../../../runner/metrics/paired-verdicts.js';
import { METRIC_KEYS, type RunMetrics } from '../../../runner/metrics/metric-keys.js';
import type { ReportRun } from '../../../runner/reports/report-data.js';
import {
  sweepSummaryData,
  sweepSummaryMarkdown,
  sweepVerdicts,
  verdictSentence,
} from '../../../runner/reports/verdicts.js';

let nextId = 1;
function run(
  policy: string,
  rate: number | null,
  seed: number,
  metrics: Record<string, number | null>,
  params: Record<string, unknown> = {},
): ReportRun {
  return {
    id: nextId++,
    sweepId: 1,
    workload: 'w',
    policy,
    params,
    seed,
    rate,
    machine: 'm',
    status: 'done',
    error: null,
    metrics: { ...Object.fromEntries(METRIC_KEYS.map((k) => [k, null])), ...metrics } as RunMetrics,
    stable: null,
    stability: null,
  };
}

const throughput = [VERDICT_METRIC_INFO.throughput_tok_s];
const SARATHI = [100, 200, 400];
// vllm_s / sarathi_s = e^-0.2, e^-0.25, e^-0.3 (significant); wait_s / sarathi_s = e^-0.1, e^-0.2, e^-0.3 (not).
const three = [1, 2, 3].flatMap((seed, i) => [
  run('sarathi', 2, seed, { throughput_tok_s: SARATHI[i], ttft_p99_s: 1 }),
  run('vllm', 2, seed, { throughput_tok_s: SARATHI[i] * Math.exp(-0.2 - 0.05 * i), ttft_p99_s: 1 }),
  run('wait', 2, seed, { throughput_tok_s: SARATHI[i] * Math.exp(-0.1 * (i + 1)), ttft_p99_s: 1 }),
]);

describe('verdict sentences', () => {
  it('states a significant difference with its interval, and "no significant difference" otherwise', () => {
    const [v] = sweepVerdicts(three, throughput);
    // vllm: ratio e^-0.25 = 0.7788 (22.1 % lower); interval [0.6878, 0.8818]: 11.8–31.2 % lower.
    expect(verdictSentence(v)).toBe(
      'At 2 req/s on w, sarathi has the highest output throughput (3 seeds): wait: no significant ' +
        'difference; vllm is 22.1 % lower (95 % CI 11.8–31.2 %).',
    );
  });

  it('says identical when the values are the same on every seed (no ± 0)', () => {
    const [v] = sweepVerdicts(three, [VERDICT_METRIC_INFO.ttft_p99_s]);
    expect(verdictSentence(v)).toBe(
      'At 2 req/s on w, sarathi has the lowest TTFT p99 (3 seeds): vllm: identical on every seed; ' +
        'wait: identical on every seed.',
    );
  });

  it('with one seed states the difference and that significance cannot be judged', () => {
    const [v] = sweepVerdicts(
      [run('sarathi', 4, 1, { ttft_p50_s: 2 }), run('vllm', 4, 1, { ttft_p50_s: 2.5 })],
      [VERDICT_METRIC_INFO.ttft_p50_s],
    );
    expect(v.comparisons[0].significant).toBeNull();
    const [same] = sweepVerdicts(
      [run('sarathi', 4, 1, { ttft_p50_s: 2 }), run('vllm', 4, 1, { ttft_p50_s: 2 })],
      [VERDICT_METRIC_INFO.ttft_p50_s],
    );
    expect(verdictSentence(same)).toBe(
      'At 4 req/s on w, sarathi has the lowest TTFT p50 (1 seed): vllm: the same (ratio 1) ' +
        '(one seed: significance cannot be judged).',
    );
    expect(verdictSentence(v)).toBe(
      'At 4 req/s on w, sarathi has the lowest TTFT p50 (1 seed): vllm is 25.0 % higher ' +
        '(one seed: significance cannot be judged).',
    );
  });

  it('names the offered rate beside the nominal one, and a trace by its own timing', () => {
    const offered = [
      run('a', 2, 1, { throughput_tok_s: 10, offered_rate_rps: 1.97 }),
      run('b', 2, 1, { throughput_tok_s: 10, offered_rate_rps: 1.99 }),
      run('a', null, 1, { throughput_tok_s: 10 }),
      run('b', null, 1, { throughput_tok_s: 10 }),
    ];
    const verdicts = sweepVerdicts(offered, throughput);
    expect(verdicts.map((v) => v.rate_rps)).toEqual([null, 1.98]);
    expect(verdicts.map((v) => verdictSentence(v).split(',')[0])).toEqual([
      'On w (its own timing)',
      'At 1.98 req/s (nominal 2) on w',
    ]);
  });

  it('tells policies apart by their parameters, as the seed summary does', () => {
    const runs = [1, 2].flatMap((seed) => [
      run('vllm', 2, seed, { throughput_tok_s: 100 + seed }, { maxNumSeqs: 64 }),
      run('vllm', 2, seed, { throughput_tok_s: 90 + seed }, { maxNumSeqs: 128 }),
    ]);
    const data = sweepSummaryData(runs);
    const verdict = data.verdicts.find((v) => v.metric === 'throughput_tok_s')!;
    expect(verdict.best_policy).toBe('vllm maxNumSeqs=64');
    expect(verdict.comparisons.map((c) => c.policy)).toEqual(['vllm maxNumSeqs=128']);
    expect(data.rows.map((r) => r.policy)).toEqual(['vllm maxNumSeqs=128', 'vllm maxNumSeqs=64']);
  });

  it('puts the sentences above the seed-summary table in Markdown', () => {
    const md = sweepSummaryMarkdown(sweepSummaryData(three));
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^Verdicts, paired over seeds/);
    expect(lines[2]).toBe(`- ${verdictSentence(sweepVerdicts(three, throughput)[0])}`);
    const table = lines.findIndex((l) => l.startsWith('| workload |'));
    expect(table).toBeGreaterThan(2);
    expect(lines.slice(2, table - 1).every((l) => l.startsWith('- At 2 req/s on w, '))).toBe(true);
    // One policy: nothing to judge, the table alone.
    expect(sweepSummaryMarkdown(sweepSummaryData(three.filter((r) => r.policy === 'vllm')))).toMatch(
      /^\| workload \|/,
    );
  });
});
