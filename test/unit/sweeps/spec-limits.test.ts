import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { countGrid, expandGrid } from '../../../runner/sweeps/grid.js';
import { MAX_ALIAS_COUNT, SpecDocument } from '../../../runner/sweeps/spec-document.js';
import { planSweepText } from '../../../runner/sweeps/sweep-plan.js';

const dir = mkdtempSync(join(tmpdir(), 'schedbench-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small valid synthetic spec; `extra` lines go at the top level, `workload`/`policies` replace. */
function spec(
  opts: { extra?: string[]; workload?: string[]; policies?: string[]; requests?: string } = {},
): string {
  return [
    'name: limits',
    'machine: a100-llama2-7b',
    `requests: ${opts.requests ?? '20'}`,
    ...(opts.extra ?? []),
    'workloads:',
    ...(opts.workload ?? [
      '  - name: synth',
      '    promptTokens: { dist: fixed, value: 100 }',
      '    outputTokens: { dist: fixed, value: 10 }',
      '    arrival: { process: poisson, rate: 1 }',
    ]),
    'policies:',
    ...(opts.policies ?? ['  - { policy: vllm }']),
    '',
  ].join('\n');
}

/** The InputError planning `text` throws, and how long it took, ms. */
function refusal(text: string): { err: InputError; ms: number } {
  const start = performance.now();
  try {
    planSweepText(text, { file: 'limits.yaml', dir });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return { err: err as InputError, ms: performance.now() - start };
  }
  throw new Error('expected an InputError');
}

describe('countGrid', () => {
  it('counts what expandGrid expands, without expanding', () => {
    const entries: Record<string, unknown>[] = [
      { name: 'a', rate: [1, 2, 3], arrival: { process: 'poisson', rate: [1, 2] } },
      { policy: 'wait', thresholds: [1, 2, 3], batchCap: [8, 16] },
      { name: 'b', trace: [{ path: ['x', 'y'] }, { path: 'z' }], rate: [1, 2] },
      { name: 'c', rate: [] },
      { name: 'd', types: [{ prompt: 1, output: 2, rate: 3 }], maxTokens: 4 },
    ];
    for (const e of entries) expect(countGrid(e)).toBe(expandGrid(e).length);
    expect(countGrid(entries[2])).toBe(6);
  });

  it('counts a 10^9 grid from a short entry in well under a second', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    const entry: Record<string, unknown> = { name: 'x' };
    for (let i = 0; i < 9; i++) entry[`k${i}`] = ten;
    const start = performance.now();
    expect(countGrid(entry)).toBe(1e9);
    expect(performance.now() - start).toBeLessThan(100);
  });
});

describe('size limits (counted before expansion)', () => {
  it('refuses a 10^9-run grid at once, naming the count and the `limits` field', () => {
    const ten = `[${Array.from({ length: 10 }, (_, i) => i + 1).join(', ')}]`;
    const { err, ms } = refusal(
      spec({
        workload: [
          '  - name: synth',
          `    promptTokens: { dist: uniform, min: ${ten}, max: [${Array.from({ length: 10 }, (_, i) => 100 + i)}] }`,
          `    outputTokens: { dist: uniform, min: ${ten}, max: [${Array.from({ length: 10 }, (_, i) => 100 + i)}] }`,
          `    maxTokens: [${Array.from({ length: 10 }, (_, i) => 1000 + i)}]`,
          `    arrival: { process: poisson, rate: ${ten} }`,
        ],
        policies: [
          `  - { policy: vllm, maxNumSeqs: ${ten}, maxNumBatchedTokens: [${Array.from({ length: 10 }, (_, i) => 4096 + i)}] }`,
          `  - { policy: fcfs, maxNumSeqs: ${ten} }`,
        ],
        extra: ['seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'],
      }),
    );
    // 10^6 workload points x 110 policy points x 10 seeds.
    expect(err.message).toContain('1100000000 runs');
    expect(err.message).toContain('1000000 workload points x 110 policy points x 10 seeds');
    expect(err.message).toContain('limit of 10000');
    expect(err.message).toContain('limits: {runs: N}');
    expect(err.message).toMatch(/^limits\.yaml:1: /);
    expect(ms).toBeLessThan(500);
  });

  it('applies the limit to one axis alone, so an empty axis elsewhere hides nothing', () => {
    const big = `[${Array.from({ length: 200 }, (_, i) => i + 1).join(', ')}]`;
    const { err } = refusal(
      spec({
        workload: [
          '  - name: synth',
          `    promptTokens: { dist: fixed, value: ${big} }`,
          `    outputTokens: { dist: fixed, value: ${big} }`,
          '    arrival: { process: poisson, rate: 1 }',
        ],
        policies: ['  - { policy: vllm, maxNumSeqs: [] }'],
      }),
    );
    expect(err.message).toContain(
      'one axis of the sweep alone is longer than the run limit of 10000 (40000 workload points x 0 policy points x 1 seeds)',
    );
  });

  it('applies it to the seeds alone too, and refuses an empty axis that would add no runs', () => {
    const seeds = `[${Array.from({ length: 20_000 }, (_, i) => i + 1).join(', ')}]`;
    const many = refusal(
      spec({ extra: [`seeds: ${seeds}`], policies: ['  - { policy: vllm, maxNumSeqs: [] }'] }),
    );
    expect(many.err.message).toContain(
      'one axis of the sweep alone is longer than the run limit of 10000 (1 workload points x 0 policy points x 20000 seeds)',
    );
    const empty = refusal(
      spec({ policies: ['  - { policy: vllm }', '  - { policy: sarathi, chunkSize: [] }'] }),
    );
    expect(empty.err.message).toMatch(
      /^limits\.yaml:\d+: policies\[1\]: policy entry 2 has no grid point: one of its list-valued fields is an empty list/,
    );
    const noRate = refusal(
      spec({
        workload: [
          '  - name: synth',
          '    promptTokens: { dist: fixed, value: 100 }',
          '    outputTokens: { dist: fixed, value: 10 }',
          '    arrival: { process: poisson, rate: [] }',
        ],
      }),
    );
    expect(noRate.err.message).toMatch(/workloads\[0\]: workload entry 1 has no grid point/);
  });

  it('honours a raised `limits.runs`, and a lowered one, naming the field line', () => {
    const policies = ['  - { policy: vllm, maxNumSeqs: [8, 16, 32] }'];
    const lowered = refusal(spec({ policies, extra: ['limits: { runs: 2 }'] })).err;
    expect(lowered.message).toMatch(/^limits\.yaml:4: limits\.runs: the sweep has 3 runs/);
    const plan = planSweepText(spec({ policies, extra: ['limits: { runs: 3 }'] }), {
      file: 'limits.yaml',
      dir,
    });
    expect(plan.runs).toHaveLength(3);
    expect(refusal(spec({ extra: ['limits: { runs: 100000000 }'] })).err.message).toContain('limits.runs');
  });

  it('refuses `requests: 1e9` (spec or workload) before any request is built', () => {
    const top = refusal(spec({ requests: '1e9' }));
    expect(top.err.message).toMatch(
      /^limits\.yaml:3: requests: 1000000000 requests per run is more than the limit of 10000000/,
    );
    expect(top.err.message).toContain('limits: {requests: N}');
    expect(top.ms).toBeLessThan(500);
    const inWorkload = refusal(
      spec({
        workload: [
          '  - name: synth',
          '    requests: [10, 1000000000]',
          '    promptTokens: { dist: fixed, value: 100 }',
          '    outputTokens: { dist: fixed, value: 10 }',
          '    arrival: { process: poisson, rate: 1 }',
        ],
      }),
    );
    expect(inWorkload.err.message).toMatch(
      /^limits\.yaml:6: workloads\[0\]\.requests\[1\]: 1000000000 requests/,
    );
    const raised = refusal(spec({ requests: '30', extra: ['limits: { requests: 25 }'] })).err;
    expect(raised.message).toContain('30 requests per run is more than the limit of 25');
  });
});

describe('integer and rate bounds', () => {
  it('refuses a token count above 2^31 - 1 with its line', () => {
    const { err } = refusal(
      spec({
        workload: [
          '  - name: synth',
          '    promptTokens: { dist: fixed, value: 100 }',
          '    outputTokens: { dist: fixed, value: 3000000000 }',
          '    arrival: { process: poisson, rate: 1 }',
        ],
      }),
    );
    expect(err.message).toMatch(/^limits\.yaml:7: workloads\[0\]\.outputTokens\.value: /);
    expect(err.message).toContain('2147483647');
    for (const bad of [
      '    types: [{ prompt: 3000000000, output: 5, rate: 1 }]',
      '    promptTokens: { dist: uniform, min: 1, max: 3000000000 }',
    ]) {
      const w = bad.includes('types')
        ? ['  - name: t', bad]
        : [
            '  - name: u',
            bad,
            '    outputTokens: { dist: fixed, value: 5 }',
            '    arrival: { process: poisson, rate: 1 }',
          ];
      expect(refusal(spec({ workload: w })).err.message).toMatch(/^limits\.yaml:6: .*2147483647/);
    }
  });

  it('refuses seeds outside 0..2^32-1, an infinite horizon and rates out of range', () => {
    expect(refusal(spec({ extra: ['seeds: [4294967296]'] })).err.message).toMatch(
      /^limits\.yaml:4: seeds\[0\]: .*4294967295/,
    );
    expect(refusal(spec({ extra: ['horizon: .inf'] })).err.message).toMatch(/^limits\.yaml:4: horizon: /);
    for (const rate of ['1e-9', '1e12']) {
      const w = [
        '  - name: synth',
        '    promptTokens: { dist: fixed, value: 100 }',
        '    outputTokens: { dist: fixed, value: 10 }',
        `    arrival: { process: poisson, rate: ${rate} }`,
      ];
      expect(refusal(spec({ workload: w })).err.message).toMatch(
        /^limits\.yaml:8: workloads\[0\]\.arrival\.rate: /,
      );
    }
  });

  it("refuses policy integer parameters beyond what the engine's Int32 arrays hold", () => {
    const { err } = refusal(spec({ policies: ['  - { policy: vllm, maxNumBatchedTokens: 3000000000 }'] }));
    expect(err.message).toMatch(/^limits\.yaml:10: policies\[0\]\.maxNumBatchedTokens: .*2147483647/);
    expect(refusal(spec({ policies: ['  - { policy: sarathi, chunkSize: 1e10 }'] })).err.message).toMatch(
      /policies\[0\]\.chunkSize/,
    );
  });
});

describe('YAML aliases', () => {
  it('refuses an alias bomb naming the file, and keeps a few aliases working', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    let err: unknown;
    try {
      SpecDocument.parse('bomb.yaml', bomb);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/^bomb\.yaml: too many YAML aliases/);
    expect((err as InputError).message).toContain(String(MAX_ALIAS_COUNT));
    expect((err as InputError).location.file).toBe('bomb.yaml');
    const ok = SpecDocument.parse('ok.yaml', 'a: &r [1, 2]\nb: *r\nc: *r\n');
    expect(ok.value).toEqual({ a: [1, 2], b: [1, 2], c: [1, 2] });
  });
});
