import { describe, expect, it } from 'vitest';
import {
  comparePolicies,
  NON_POSITIVE_NOTE,
  ONE_SEED_NOTE,
  pairedVerdicts,
  VERDICT_METRIC_INFO,
  type VerdictSample,
} from '../../../runner/metrics/paired-verdicts.js';

/** t(0.975, 2): the 95 % two-sided Student-t quantile with 3 seeds (tables: 4.3027). */
const T_975_2 = 4.302652729749464;

/** Samples of `policy` on seeds 1, 2, 3. */
function samples(policy: string, values: readonly (number | null)[]): VerdictSample[] {
  return values.map((value, i) => ({ policy, seed: i + 1, value }));
}

/** The hand-worked paired interval exp(mean ± t · sd / √3) of log ratios with the given mean and sd. */
function interval(mean: number, sd: number): [number, number] {
  const half = (T_975_2 * sd) / Math.sqrt(3);
  return [Math.exp(mean - half), Math.exp(mean + half)];
}

const A = [100, 200, 400];
// b_s / a_s = e^-0.1, e^-0.2, e^-0.3: log ratios with mean -0.2 and sd 0.1.
const B = A.map((a, i) => a * Math.exp(-0.1 * (i + 1)));
// c_s / a_s = e^-0.2, e^-0.25, e^-0.3: mean -0.25, sd 0.05.
const C = A.map((a, i) => a * Math.exp(-0.2 - 0.05 * i));

describe('comparePolicies (paired over seeds, log ratios)', () => {
  it('higher is better: best by geometric mean, ratios and t intervals worked out by hand', () => {
    const v = comparePolicies([...samples('c', C), ...samples('b', B), ...samples('a', A)], 'higher')!;
    expect(v.best_policy).toBe('a');
    expect(v.seeds).toBe(3);
    expect(v.note).toBeNull();
    expect(v.comparisons.map((c) => c.policy)).toEqual(['b', 'c']); // closest to the best first
    const [b, c] = v.comparisons;
    // b: ratio e^-0.2 = 0.8187; interval exp(-0.2 ± 4.3027 · 0.1 / √3) = [0.6386, 1.0496] covers 1.
    expect(b.ratio).toBeCloseTo(Math.exp(-0.2), 12);
    expect(b.ci_low).toBeCloseTo(interval(-0.2, 0.1)[0], 9);
    expect(b.ci_high).toBeCloseTo(interval(-0.2, 0.1)[1], 9);
    expect(b.ci_low).toBeCloseTo(0.6386403783748722, 9);
    expect(b.ci_high).toBeCloseTo(1.0496048617241855, 9);
    expect(b.significant).toBe(false);
    // c: ratio e^-0.25 = 0.7788; interval exp(-0.25 ± 4.3027 · 0.05 / √3) = [0.6878, 0.8818] excludes 1.
    expect(c.ratio).toBeCloseTo(Math.exp(-0.25), 12);
    expect(c.ci_low).toBeCloseTo(0.6878345940436348, 9);
    expect(c.ci_high).toBeCloseTo(0.8817972590575408, 9);
    expect(c.significant).toBe(true);
  });

  it('lower is better: the smallest values win and the others are ratios above 1', () => {
    const ttft = [1, 2, 4];
    // slow_s / fast_s = e^0.2, e^0.25, e^0.3: mean 0.25, sd 0.05.
    const slower = ttft.map((x, i) => x * Math.exp(0.2 + 0.05 * i));
    const all = [...samples('slow', slower), ...samples('fast', ttft)];
    const v = comparePolicies(all, 'lower')!;
    expect(v.best_policy).toBe('fast');
    const [slow] = v.comparisons;
    expect(slow.policy).toBe('slow');
    expect(slow.ratio).toBeCloseTo(Math.exp(0.25), 12); // 1.2840: 28.4 % higher
    expect(slow.ci_low).toBeCloseTo(1.1340475259231284, 9);
    expect(slow.ci_high).toBeCloseTo(1.4538378974532389, 9);
    expect(slow.significant).toBe(true);
    // The same values judged higher-is-better swap the roles.
    const flipped = comparePolicies(all, 'higher')!;
    expect(flipped.best_policy).toBe('slow');
    expect(flipped.comparisons[0].ratio).toBeCloseTo(Math.exp(-0.25), 12);
  });

  it('one seed: the ratio without interval, significance null, and a note saying why', () => {
    const v = comparePolicies(
      [
        { policy: 'vllm', seed: 7, value: 90 },
        { policy: 'sarathi', seed: 7, value: 100 },
      ],
      'higher',
    )!;
    expect(v).toEqual({
      best_policy: 'sarathi',
      seeds: 1,
      comparisons: [
        { policy: 'vllm', ratio: expect.closeTo(0.9, 12), ci_low: null, ci_high: null, significant: null },
      ],
      note: ONE_SEED_NOTE,
    });
  });

  it('identical values on every seed: ratio 1, no interval (never ± 0), not significant', () => {
    const v = comparePolicies([...samples('b', A), ...samples('a', A)], 'lower')!;
    expect(v.best_policy).toBe('a'); // a tie goes to the name
    expect(v.comparisons).toEqual([
      { policy: 'b', ratio: 1, ci_low: null, ci_high: null, significant: false },
    ]);
    expect(v.note).toBeNull();
  });

  it('the same ratio on every seed has no spread: no interval, significant when it is not 1', () => {
    const v = comparePolicies(
      [
        ...samples('a', A),
        ...samples(
          'b',
          A.map((x) => 0.9 * x),
        ),
      ],
      'higher',
    )!;
    expect(v.comparisons[0]).toMatchObject({ policy: 'b', ci_low: null, ci_high: null, significant: true });
    expect(v.comparisons[0].ratio).toBeCloseTo(0.9, 12);
  });

  it('a zero value: arithmetic means rank, ratio of means, no interval, a note', () => {
    const v = comparePolicies([...samples('a', [2, 3, 4]), ...samples('b', [0, 1, 2])], 'higher')!;
    expect(v.best_policy).toBe('a');
    expect(v.comparisons).toEqual([
      { policy: 'b', ratio: expect.closeTo(1 / 3, 12), ci_low: null, ci_high: null, significant: null },
    ]);
    expect(v.note).toBe(NON_POSITIVE_NOTE);
  });

  it('pairs only the seeds every policy has a value for; nothing to compare gives null', () => {
    const v = comparePolicies([...samples('a', [1, 2, 3]), ...samples('b', [1, 2, null])], 'lower')!;
    expect(v.seeds).toBe(2);
    expect(comparePolicies(samples('a', [1, 2, 3]), 'lower')).toBeNull();
    expect(
      comparePolicies([...samples('a', [1, 2, 3]), ...samples('b', [null, null, null])], 'lower'),
    ).toBeNull();
    expect(() =>
      comparePolicies([...samples('a', [1]), { policy: 'a', seed: 1, value: 2 }], 'lower'),
    ).toThrow(RangeError);
  });
});

describe('pairedVerdicts', () => {
  const run = (
    workload: string,
    rate: number | null,
    policy: string,
    seed: number,
    m: Record<string, number | null>,
  ) => ({
    workload,
    rate,
    policy,
    seed,
    metrics: m,
  });

  it('groups by workload and rate, judges each metric that has values, and reports the offered rate', () => {
    const runs = [1, 2, 3].flatMap((seed) => [
      run('w', 4, 'vllm', seed, { throughput_tok_s: 100 + seed, ttft_p50_s: 1, goodput_rps: null }),
      run('w', 4, 'sarathi', seed, { throughput_tok_s: 90 + seed, ttft_p50_s: 2, goodput_rps: null }),
      run('w', 2, 'vllm', seed, { throughput_tok_s: 50, offered_rate_rps: 1.9 + seed / 100 }),
      run('w', 2, 'sarathi', seed, { throughput_tok_s: 60, offered_rate_rps: 1.9 + seed / 100 }),
    ]);
    const verdicts = pairedVerdicts(runs, [
      VERDICT_METRIC_INFO.throughput_tok_s,
      VERDICT_METRIC_INFO.goodput_rps,
      VERDICT_METRIC_INFO.ttft_p50_s,
    ]);
    expect(verdicts.map((v) => [v.nominal_rate_rps, v.metric, v.best_policy])).toEqual([
      [2, 'throughput_tok_s', 'sarathi'],
      [4, 'throughput_tok_s', 'vllm'],
      [4, 'ttft_p50_s', 'vllm'],
    ]);
    expect(verdicts[0].rate_rps).toBeCloseTo(1.92, 12); // mean offered rate of the group's runs
    expect(verdicts[1].rate_rps).toBe(4); // no offered rate: the nominal one
    expect(verdicts[2]).toMatchObject({ workload: 'w', direction: 'lower', seeds: 3 });
    // ttft: 2 / 1 on every seed, no spread, a real difference.
    expect(verdicts[2].comparisons).toEqual([
      { policy: 'sarathi', ratio: expect.closeTo(2, 12), ci_low: null, ci_high: null, significant: true },
    ]);
  });

  it('with runs on several machines: policies per machine, then machines per policy, paired by seed', () => {
    const onMachine = (machine: string, r: ReturnType<typeof run>) => ({ ...r, machine });
    // h100 twice as fast as a100 on every seed, within ±1 % (log); vllm 10 % slower than sarathi.
    const eps = [-0.01, 0, 0.01];
    const runs = [1, 2, 3].flatMap((seed, i) =>
      (['sarathi', 'vllm'] as const).flatMap((policy) => {
        const e2e = (policy === 'vllm' ? 1.1 : 1) * (1 + seed / 10);
        return [
          onMachine('h100', run('w', 4, policy, seed, { e2e_p99_s: e2e })),
          onMachine('a100', run('w', 4, policy, seed, { e2e_p99_s: 2 * e2e * Math.exp(eps[i]) })),
        ];
      }),
    );
    const verdicts = pairedVerdicts(runs, [VERDICT_METRIC_INFO.e2e_p99_s]);
    expect(verdicts.map((v) => [v.kind, v.machine, v.policy, v.best_policy])).toEqual([
      [undefined, 'a100', undefined, 'sarathi'],
      [undefined, 'h100', undefined, 'sarathi'],
      ['machines', undefined, 'sarathi', 'h100'],
      ['machines', undefined, 'vllm', 'h100'],
    ]);
    for (const v of verdicts.slice(2)) {
      expect(v).toMatchObject({
        workload: 'w',
        rate_rps: 4,
        nominal_rate_rps: 4,
        seeds: 3,
        direction: 'lower',
      });
      const [c] = v.comparisons;
      expect(c.policy).toBe('a100');
      expect(c.ratio).toBeCloseTo(2, 12);
      expect(c.ci_low!).toBeGreaterThan(1.9);
      expect(c.ci_high!).toBeLessThan(2.1);
      expect(c.significant).toBe(true);
    }
    // Within h100: vllm / sarathi = 1.1 on every seed (no spread), the same as h100's runs alone.
    const h100 = pairedVerdicts(
      runs.filter((r) => r.machine === 'h100'),
      [VERDICT_METRIC_INFO.e2e_p99_s],
    );
    expect(h100).toHaveLength(1);
    expect(h100[0]).not.toHaveProperty('machine');
    expect(verdicts[1]).toEqual({ ...h100[0], machine: 'h100' });
    expect(h100[0].comparisons[0]).toMatchObject({
      ratio: expect.closeTo(1.1, 12),
      ci_low: null,
      significant: true,
    });
    // Not grouped by machine, runs of one policy and seed on two machines collide.
    expect(() => pairedVerdicts(runs, [VERDICT_METRIC_INFO.e2e_p99_s], 0.95, false)).toThrow(RangeError);
  });
});
