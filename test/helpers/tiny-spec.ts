/**
 * The smallest useful sweep spec: one fcfs run of 40 requests of one type (20 prompt, 20 output
 * tokens, 5 req/s) on the default machine; it finishes in well under a second. For tests that
 * need a real sweep round trip (Electron, the runner process) and nothing more.
 */
export function tinyTypedSpec(name: string): string {
  return [
    `name: ${name}`,
    'machine: a100-llama2-7b',
    'requests: 40',
    'seeds: [1]',
    'workloads:',
    '  - name: typed',
    '    types: [{ prompt: 20, output: 20, rate: 5 }]',
    'policies: [{ policy: fcfs }]',
    '',
  ].join('\n');
}
