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

describe('verdicts of runs on several machines', () => {
  function on(machine: string, r: ReportRun): ReportRun {
    return { ...r, machine };
  }
  const metrics = [VERDICT_METRIC_INFO.throughput_tok_s, VERDICT_METRIC_INFO.e2e_p99_s];
  const E2E = [1, 1.2, 1.5];
  const THROUGHPUT = [100, 110, 120];
  // a100 / h100 on every seed: exactly 2 times the E2E p99 (half the throughput), times e^eps.
  const EPS = [-0.01, 0, 0.01];
  // sarathi's throughput: the same on both machines within noise (a100 / h100 = e^noise, mean -0.01 / 3).
  const NOISE = [0.01, -0.03, 0.01];
  const h100 = (policy: string, i: number) => ({
    throughput_tok_s: policy === 'vllm' ? THROUGHPUT[i] : THROUGHPUT[i] * Math.exp(0.05 + 0.01 * i),
    e2e_p99_s: policy === 'vllm' ? E2E[i] : E2E[i] * Math.exp(-0.2 - 0.05 * i),
  });
  const a100 = (policy: string, i: number) => {
    const h = h100(policy, i);
    return {
      throughput_tok_s:
        policy === 'vllm'
          ? (h.throughput_tok_s / 2) * Math.exp(EPS[i])
          : h.throughput_tok_s * Math.exp(NOISE[i]),
      e2e_p99_s: 2 * h.e2e_p99_s * Math.exp(EPS[i]),
    };
  };
  const runs = [1, 2, 3].flatMap((seed, i) =>
    ['sarathi', 'vllm'].flatMap((policy) => [
      on('h100-llama2-7b', run(policy, 2, seed, h100(policy, i))),
      on('a100-llama2-7b', run(policy, 2, seed, a100(policy, i))),
    ]),
  );

  it('compares policies within each machine, then the machines of each policy', () => {
    const verdicts = sweepVerdicts(runs, metrics);
    expect(
      verdicts.map((v) => [v.kind ?? 'policies', v.machine ?? v.policy, v.metric, v.best_policy]),
    ).toEqual([
      ['policies', 'a100-llama2-7b', 'throughput_tok_s', 'sarathi'],
      ['policies', 'a100-llama2-7b', 'e2e_p99_s', 'sarathi'],
      ['policies', 'h100-llama2-7b', 'throughput_tok_s', 'sarathi'],
      ['policies', 'h100-llama2-7b', 'e2e_p99_s', 'sarathi'],
      ['machines', 'sarathi', 'throughput_tok_s', 'h100-llama2-7b'],
      ['machines', 'sarathi', 'e2e_p99_s', 'h100-llama2-7b'],
      ['machines', 'vllm', 'throughput_tok_s', 'h100-llama2-7b'],
      ['machines', 'vllm', 'e2e_p99_s', 'h100-llama2-7b'],
    ]);
    // Policy verdicts name their machine and no policy; machine verdicts the reverse.
    expect(verdicts.slice(0, 4).every((v) => v.kind === undefined && v.policy === undefined)).toBe(true);
    expect(verdicts.slice(4).every((v) => v.machine === undefined)).toBe(true);
    // On h100 the policies compare as on one machine: the same numbers as h100's runs alone.
    const h100Only = sweepVerdicts(
      runs.filter((r) => r.machine === 'h100-llama2-7b'),
      metrics,
    );
    expect(verdicts[3]).toEqual({ ...h100Only[1], machine: 'h100-llama2-7b' });
    expect(h100Only[1]).not.toHaveProperty('machine');

    // vllm's E2E p99: a100 / h100 = 2 e^eps; ratio exactly 2, interval 2 exp(± t(0.975, 2) · 0.01 / √3).
    const vllmE2e = verdicts[7];
    expect(vllmE2e).toMatchObject({ kind: 'machines', policy: 'vllm', workload: 'w', seeds: 3, note: null });
    const half = (4.302652729911275 * 0.01) / Math.sqrt(3);
    expect(vllmE2e.comparisons).toEqual([
      {
        policy: 'a100-llama2-7b',
        ratio: expect.closeTo(2, 12),
        ci_low: expect.closeTo(2 * Math.exp(-half), 9),
        ci_high: expect.closeTo(2 * Math.exp(half), 9),
        significant: true,
      },
    ]);
    expect(vllmE2e.comparisons[0].ci_low!).toBeGreaterThan(1);
    // vllm's throughput: a100 half of h100.
    expect(verdicts[6].comparisons[0]).toMatchObject({ ratio: expect.closeTo(0.5, 12), significant: true });
    expect(verdicts[6].comparisons[0].ci_high!).toBeLessThan(1);
    // sarathi's throughput: equal within noise, interval covers 1.
    const sarathiThroughput = verdicts[4].comparisons[0];
    expect(sarathiThroughput.ratio).toBeCloseTo(Math.exp(-0.01 / 3), 12);
    expect(sarathiThroughput.ci_low!).toBeLessThan(1);
    expect(sarathiThroughput.ci_high!).toBeGreaterThan(1);
    expect(sarathiThroughput.significant).toBe(false);

    expect(verdicts.map(verdictSentence)).toEqual([
      'At 2 req/s on w, on machine a100-llama2-7b, sarathi has the highest output throughput (3 seeds): ' +
        'vllm is 52.8 % lower (95 % CI 50.0–55.4 %).',
      'At 2 req/s on w, on machine a100-llama2-7b, sarathi has the lowest E2E p99 (3 seeds): ' +
        'vllm is 28.4 % higher (95 % CI 13.4–45.4 %).',
      'At 2 req/s on w, on machine h100-llama2-7b, sarathi has the highest output throughput (3 seeds): ' +
        'vllm is 5.8 % lower (95 % CI 3.5–8.1 %).',
      'At 2 req/s on w, on machine h100-llama2-7b, sarathi has the lowest E2E p99 (3 seeds): ' +
        'vllm is 28.4 % higher (95 % CI 13.4–45.4 %).',
      'At 2 req/s on w, under sarathi, h100-llama2-7b is the machine with the highest output throughput ' +
        '(3 seeds): a100-llama2-7b: no significant difference.',
      'At 2 req/s on w, under sarathi, h100-llama2-7b is the machine with the lowest E2E p99 (3 seeds): ' +
        'a100-llama2-7b is 100.0 % higher (95 % CI 95.1–105.0 %).',
      'At 2 req/s on w, under vllm, h100-llama2-7b is the machine with the highest output throughput ' +
        '(3 seeds): a100-llama2-7b is 50.0 % lower (95 % CI 48.7–51.2 %).',
      'At 2 req/s on w, under vllm, h100-llama2-7b is the machine with the lowest E2E p99 (3 seeds): ' +
        'a100-llama2-7b is 100.0 % higher (95 % CI 95.1–105.0 %).',
    ]);
  });

  it('with one seed gives the machine ratio without an interval', () => {
    const one = runs.filter((r) => r.seed === 1);
    const machines = sweepVerdicts(one, metrics).filter((v) => v.kind === 'machines');
    const vllmE2e = machines.find((v) => v.policy === 'vllm' && v.metric === 'e2e_p99_s')!;
    expect(vllmE2e.seeds).toBe(1);
    expect(vllmE2e.comparisons).toEqual([
      {
        policy: 'a100-llama2-7b',
        ratio: expect.closeTo(2 * Math.exp(-0.01), 12),
        ci_low: null,
        ci_high: null,
        significant: null,
      },
    ]);
    expect(verdictSentence(vllmE2e)).toBe(
      'At 2 req/s on w, under vllm, h100-llama2-7b is the machine with the lowest E2E p99 (1 seed): ' +
        'a100-llama2-7b is 98.0 % higher (one seed: significance cannot be judged).',
    );
  });

  it('compares machines only for a policy run on more than one, and only when machines differ', () => {
    const onlyVllmOnA100 = runs.filter((r) => r.machine === 'h100-llama2-7b' || r.policy === 'vllm');
    const verdicts = sweepVerdicts(onlyVllmOnA100, metrics);
    // a100 has one policy: no policy verdict there; only vllm has two machines.
    expect(verdicts.map((v) => [v.kind ?? 'policies', v.machine ?? v.policy])).toEqual([
      ['policies', 'h100-llama2-7b'],
      ['policies', 'h100-llama2-7b'],
      ['machines', 'vllm'],
      ['machines', 'vllm'],
    ]);
    // One machine: no machine field, no machine verdict, the same JSON as before machines counted.
    const single = sweepVerdicts(
      runs.filter((r) => r.machine === 'a100-llama2-7b'),
      metrics,
    );
    expect(single.map((v) => Object.keys(v))).toEqual(
      single.map(() => [
        'workload',
        'rate_rps',
        'nominal_rate_rps',
        'metric',
        'direction',
        'best_policy',
        'seeds',
        'comparisons',
        'note',
      ]),
    );
  });

  it('gives per-machine rows and the machine sentences in the Markdown summary', () => {
    const data = sweepSummaryData(runs);
    expect(data.rows.map((r) => [r.machine, r.policy, r.seeds])).toEqual([
      ['a100-llama2-7b', 'sarathi', [1, 2, 3]],
      ['a100-llama2-7b', 'vllm', [1, 2, 3]],
      ['h100-llama2-7b', 'sarathi', [1, 2, 3]],
      ['h100-llama2-7b', 'vllm', [1, 2, 3]],
    ]);
    expect(data.rows[3].metrics.e2e_p99_s!.mean).toBeCloseTo(E2E.reduce((a, b) => a + b) / 3, 12);
    const md = sweepSummaryMarkdown(data);
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^Verdicts, paired over seeds \(a seed gives every policy on every machine/);
    for (const v of data.verdicts) expect(lines).toContain(`- ${verdictSentence(v)}`);
    expect(lines).toContain(
      '- At 2 req/s on w, under vllm, h100-llama2-7b is the machine with the lowest E2E p99 (3 seeds): ' +
        'a100-llama2-7b is 100.0 % higher (95 % CI 95.1–105.0 %).',
    );
    const header = lines.find((l) => l.startsWith('| workload |'))!;
    expect(header).toMatch(/^\| workload \| rate \(req\/s\) \| machine \| policy \| seeds \|/);
    expect(lines.filter((l) => l.startsWith('| w | 2 | h100-llama2-7b | vllm | 3 |'))).toHaveLength(1);
  });
});
