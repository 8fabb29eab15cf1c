import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sweepSpecJsonSchema } from '../../../runner/sweeps/spec-json-schema.js';

describe('docs/sweep-spec.schema.json', () => {
  it('is the schema the CLI validates with (run `npm run schema` after changing a spec schema)', () => {
    const published = JSON.parse(
      readFileSync(new URL('../../../docs/sweep-spec.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(published).toEqual(sweepSpecJsonSchema());
  });

  it('describes the fields users write, and rejects unknown ones', () => {
    const schema = sweepSpecJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'machine', 'workloads', 'policies']));
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema.properties.policies)).toMatch(/maxNumBatchedTokens/);
    expect(JSON.stringify(schema.properties.workloads)).toMatch(/AzureLLMInferenceTrace|azure/);
  });

  it('lets a workload rate and an arrival rate be a number or a capacity search', () => {
    type Node = { properties: Record<string, Node>; anyOf?: Node[]; oneOf?: Node[]; required?: string[] };
    const schema = sweepSpecJsonSchema() as unknown as Node & { properties: { workloads: { items: Node } } };
    const workload = (schema.properties.workloads as unknown as { items: Node }).items;
    const rates = [
      workload.properties.rate,
      ...workload.properties.arrival.oneOf!.map((p) => p.properties.rate),
    ];
    expect(rates).toHaveLength(4);
    for (const rate of rates) {
      const [number, search] = rate.anyOf!;
      expect(number).toMatchObject({ type: 'number' });
      expect(search.required).toEqual(['search']);
      expect(search.properties.search.required).toEqual(['min', 'max']);
      expect(Object.keys(search.properties.search.properties)).toEqual([
        'min',
        'max',
        'precision',
        'attainment',
      ]);
    }
  });
});
