/**
 * A sweep spec as YAML text, written from plain values: block mappings and lists at the top,
 * flow style (`{ policy: vllm, chunkSize: 512 }`) for the entries of `workloads` and
 * `policies`, so the text reads like the examples in examples/.
 */

/** A value the writer accepts. */
export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined };

/** Words YAML 1.1/1.2 would read as something other than a string. */
const RESERVED = /^(?:true|false|yes|no|on|off|null|~|y|n)$/i;

/** A scalar: plain where YAML reads it back as the same string, else double-quoted (JSON). */
export function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  const plain =
    /^[A-Za-z_./][A-Za-z0-9_./ -]*$/.test(value) &&
    !RESERVED.test(value) &&
    !/\s$/.test(value) &&
    !value.includes(': ');
  return plain ? value : JSON.stringify(value);
}

/** A value in flow style: `[1, 2]`, `{ a: 1, b: x }`. */
export function yamlFlow(value: YamlValue): string {
  if (Array.isArray(value)) return `[${value.map(yamlFlow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(
      (entry): entry is [string, YamlValue] => entry[1] !== undefined,
    );
    return `{ ${entries.map(([k, v]) => `${yamlScalar(k)}: ${yamlFlow(v)}`).join(', ')} }`;
  }
  return yamlScalar(value);
}

/** A sweep spec with its workloads as block mappings of flow values. */
export interface SpecDocument {
  name: string;
  description?: string;
  machine: string;
  requests?: number;
  seeds: number[];
  /** Latency bounds, seconds (`ttft_s`, `tpot_s`, `e2e_s`): goodput and SLO attainment. */
  slo?: Record<string, number>;
  /** `skip`: requests that can never fit are left out and counted as rejected (default: refuse). */
  oversize?: 'refuse' | 'skip';
  workloads: Record<string, YamlValue | undefined>[];
  policies: Record<string, YamlValue | undefined>[];
}

/** The YAML text of a spec (a trailing newline; comments none). */
export function specYaml(spec: SpecDocument): string {
  const lines = [`name: ${yamlScalar(spec.name)}`];
  if (spec.description) lines.push(`description: ${yamlScalar(spec.description)}`);
  lines.push(`machine: ${yamlScalar(spec.machine)}`);
  if (spec.requests !== undefined) lines.push(`requests: ${spec.requests}`);
  lines.push(`seeds: ${yamlFlow(spec.seeds)}`);
  if (spec.slo && Object.keys(spec.slo).length > 0) lines.push(`slo: ${yamlFlow(spec.slo)}`);
  if (spec.oversize) lines.push(`oversize: ${spec.oversize}`);
  lines.push('workloads:');
  for (const workload of spec.workloads) {
    const entries = Object.entries(workload).filter(
      (entry): entry is [string, YamlValue] => entry[1] !== undefined,
    );
    entries.forEach(([key, value], i) =>
      lines.push(`${i === 0 ? '  - ' : '    '}${yamlScalar(key)}: ${yamlFlow(value)}`),
    );
  }
  lines.push('policies:');
  for (const policy of spec.policies) lines.push(`  - ${yamlFlow(policy)}`);
  return `${lines.join('\n')}\n`;
}
