import { describe, expect, it } from 'vitest';
import { WorkloadSpecSchema, workloadSourceKind } from '../../../runner/workloads/workload-spec.js';
import { workloadSpecError } from '../../helpers/workload-spec-error.js';

const poisson = { process: 'poisson', rate: 2 };

function messages(value: unknown): string {
  const r = WorkloadSpecSchema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

const parseError = workloadSpecError;

describe('WorkloadSpecSchema', () => {
  it('accepts each source', () => {
    const ok = [
      { name: 'a', trace: { path: 'x.csv', format: 'azure' } },
      { name: 'a', trace: { path: 'x.jsonl', format: 'mooncake' }, rate: 3, requests: 100 },
      {
        name: 'a',
        trace: {
          path: 'x.csv',
          format: 'csv',
          columns: { arrival: 't', prompt: 'p', output: 'o' },
          timeUnit: 'ms',
        },
      },
      { name: 'a', trace: { path: 'x.csv', format: 'csv', timestampFormat: 'datetime' } },
      {
        name: 'a',
        lengths: { path: 'x.csv' },
        arrival: { process: 'gamma', rate: 1, cv: 2 },
        maxTokens: 4096,
      },
      {
        name: 'a',
        arrival: { process: 'gamma', rate: 1, burstiness: 0.5 },
        promptTokens: { dist: 'lognormal', mean: 500, sigma: 1, max: 8000 },
        outputTokens: { dist: 'zipf', s: 1.1, max: 2000 },
      },
      {
        name: 'a',
        arrival: { process: 'deterministic', rate: 1 },
        promptTokens: { dist: 'uniform', min: 1, max: 10 },
        outputTokens: { dist: 'file', path: 'l.csv', column: 'output' },
      },
      {
        name: 'a',
        arrival: poisson,
        promptTokens: { dist: 'lognormal', mu: 5, sigma: 0.5 },
        outputTokens: { dist: 'fixed', value: 7 },
      },
      {
        name: 'a',
        types: [
          { prompt: 10, output: 20, rate: 20 },
          { prompt: 10, output: 40, rate: 40 },
        ],
      },
    ];
    for (const spec of ok) expect(WorkloadSpecSchema.safeParse(spec).error?.issues ?? []).toEqual([]);
    expect(workloadSourceKind(WorkloadSpecSchema.parse(ok[0]))).toBe('trace');
    expect(workloadSourceKind(WorkloadSpecSchema.parse(ok[4]))).toBe('lengths');
    expect(workloadSourceKind(WorkloadSpecSchema.parse(ok[5]))).toBe('synthetic');
    expect(workloadSourceKind(WorkloadSpecSchema.parse(ok[8]))).toBe('types');
  });

  it('rejects unknown fields, naming them, at any depth', () => {
    expect(messages({ name: 'a', types: [{ prompt: 1, output: 1, rate: 1 }], sed: 3 })).toContain('"sed"');
    const err = parseError({ name: 'a', lengths: { path: 'x', colums: {} }, arrival: poisson });
    expect(err.message).toContain('sweep.yaml: workloads[1].lengths.colums: unknown field');
    expect(err.location.field).toBe('workloads[1].lengths.colums');
    const deep = parseError({ name: 'a', types: [{ prompt: 1, output: 1, rate: 1, weight: 2 }] });
    expect(deep.message).toContain('workloads[1].types[0].weight: unknown field');
  });

  it('rejects a seed in the workload (the sweep passes it)', () => {
    expect(parseError({ name: 'a', types: [{ prompt: 1, output: 1, rate: 1 }], seed: 1 }).message).toContain(
      'workloads[1].seed: unknown field',
    );
  });

  it('rejects non-positive rates everywhere', () => {
    expect(
      parseError({ name: 'a', lengths: { path: 'x' }, arrival: { process: 'poisson', rate: -1 } }).message,
    ).toContain('workloads[1].arrival.rate');
    expect(messages({ name: 'a', trace: { path: 'x', format: 'azure' }, rate: 0 })).toContain('rate');
    expect(messages({ name: 'a', types: [{ prompt: 1, output: 1, rate: -2 }] })).toContain('types.0.rate');
  });

  it('needs exactly one source', () => {
    expect(messages({ name: 'a' })).toContain('exactly one source');
    expect(
      messages({
        name: 'a',
        trace: { path: 'x', format: 'azure' },
        types: [{ prompt: 1, output: 1, rate: 1 }],
      }),
    ).toContain('trace and types');
  });

  it('checks the companions of each source', () => {
    expect(messages({ name: 'a', lengths: { path: 'x' } })).toContain('arrival: required');
    expect(messages({ name: 'a', trace: { path: 'x', format: 'azure' }, arrival: poisson })).toContain(
      'arrival:',
    );
    expect(messages({ name: 'a', lengths: { path: 'x' }, arrival: poisson, rate: 2 })).toContain('rate:');
    expect(messages({ name: 'a', arrival: poisson, promptTokens: { dist: 'fixed', value: 1 } })).toContain(
      'outputTokens',
    );
    expect(messages({ name: 'a', types: [{ prompt: 1, output: 1, rate: 1 }], arrival: poisson })).toContain(
      'arrival',
    );
  });

  it('gamma needs exactly one of cv and burstiness', () => {
    const base = { name: 'a', lengths: { path: 'x' } };
    expect(messages({ ...base, arrival: { process: 'gamma', rate: 1 } })).toContain('exactly one of `cv`');
    expect(messages({ ...base, arrival: { process: 'gamma', rate: 1, cv: 1, burstiness: 1 } })).toContain(
      'burstiness',
    );
  });

  it('lognormal needs exactly one of mean and mu; uniform needs min <= max', () => {
    const base = { name: 'a', arrival: poisson, outputTokens: { dist: 'fixed', value: 1 } };
    expect(messages({ ...base, promptTokens: { dist: 'lognormal', sigma: 1 } })).toContain(
      'exactly one of `mean`',
    );
    expect(messages({ ...base, promptTokens: { dist: 'lognormal', sigma: 1, mean: 5, mu: 1 } })).toContain(
      'mu',
    );
    expect(messages({ ...base, promptTokens: { dist: 'uniform', min: 5, max: 4 } })).toContain('max');
  });

  it('rejects grid lists and bad integers', () => {
    expect(
      messages({ name: 'a', lengths: { path: 'x' }, arrival: { process: 'poisson', rate: [1, 2] } }),
    ).toContain('arrival.rate');
    expect(messages({ name: 'a', types: [{ prompt: 1.5, output: 1, rate: 1 }] })).toContain('types.0.prompt');
    expect(messages({ name: 'a', types: [{ prompt: 1, output: 1, rate: 1 }], requests: 0 })).toContain(
      'requests',
    );
    expect(messages({ name: 'a', types: [{ prompt: 1, output: 1, rate: 1 }], maxTokens: 1 })).toContain(
      'maxTokens',
    );
    expect(
      messages({
        name: 'a',
        trace: { path: 'x', format: 'csv', timestampFormat: 'datetime', timeUnit: 'ms' },
      }),
    ).toContain('timeUnit');
    expect(messages({ name: 'a', trace: { path: 'x', format: 'azure', timeUnit: 'ms' } })).toContain(
      'timeUnit',
    );
  });
});
