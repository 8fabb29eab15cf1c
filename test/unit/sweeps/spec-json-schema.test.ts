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
});
