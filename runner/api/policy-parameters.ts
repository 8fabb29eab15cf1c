/**
 * The parameters of every registered policy, as `machines.list` reports them (`policies`), read
 * from the policies' own zod spec schemas (runner/schedulers/policy-spec.ts) through their JSON
 * Schema (the input side, as docs/sweep-spec.schema.json publishes it). A form builds its fields
 * from this list, so a new policy or parameter shows up without a change in the renderer.
 */
import { z } from 'zod';
import { PolicySpecSchema } from '../schedulers/policy-spec.js';
import type { PolicyOut, PolicyParamForm, PolicyParamOut } from './api-contract.js';

type JsonSchema = Record<string, unknown>;

/** Every registered policy with its parameters, in registry order. */
export function policiesOut(): PolicyOut[] {
  return PolicySpecSchema.options.map((option) => {
    const schema = z.toJSONSchema(option, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const policy = String(properties.policy?.const ?? '');
    const params: PolicyParamOut[] = Object.entries(properties)
      .filter(([key]) => key !== 'policy')
      .map(([key, property]) => ({
        key,
        default: property.default === undefined ? null : (property.default as PolicyParamOut['default']),
        description: typeof property.description === 'string' ? property.description : null,
        forms: formsOf(property),
      }));
    return { policy, params };
  });
}

/** The forms a parameter's value may take: one per alternative of an `anyOf`/`oneOf`. */
function formsOf(schema: JsonSchema): PolicyParamForm[] {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return alternatives.map(formOf);
  return [formOf(schema)];
}

/** One alternative: a number, a choice of words, a list of numbers, a one-key object, a boolean, or other. */
function formOf(schema: JsonSchema): PolicyParamForm {
  if (schema.type === 'boolean') return { kind: 'boolean' };
  if (schema.type === 'string') {
    if (Array.isArray(schema.enum)) return { kind: 'enum', values: schema.enum.map(String) };
    if (typeof schema.const === 'string') return { kind: 'enum', values: [schema.const] };
    return { kind: 'other' };
  }
  if (schema.type === 'number' || schema.type === 'integer') return numberForm(schema);
  if (schema.type === 'array') {
    const items = (schema.items ?? {}) as JsonSchema;
    if (items.type !== 'number' && items.type !== 'integer') return { kind: 'other' };
    return { kind: 'list', item: numberForm(items), minItems: Number(schema.minItems ?? 0) };
  }
  if (schema.type === 'object') {
    const properties = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
    if (properties.length !== 1) return { kind: 'other' };
    const [key, value] = properties[0];
    const inner = formOf(value);
    if (inner.kind !== 'number' && inner.kind !== 'list') return { kind: 'other' };
    return { kind: 'object', key, value: inner };
  }
  return { kind: 'other' };
}

/** A number's bounds (zod's int bound 2^53 - 1 is left out: it is no bound a person types). */
function numberForm(schema: JsonSchema): Extract<PolicyParamForm, { kind: 'number' }> {
  const bound = (v: unknown): number | null =>
    typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : null;
  const exclusiveMin = bound(schema.exclusiveMinimum);
  const exclusiveMax = bound(schema.exclusiveMaximum);
  return {
    kind: 'number',
    integer: schema.type === 'integer',
    min: exclusiveMin ?? bound(schema.minimum),
    exclusiveMin: exclusiveMin !== null,
    max: exclusiveMax ?? bound(schema.maximum),
    exclusiveMax: exclusiveMax !== null,
  };
}
