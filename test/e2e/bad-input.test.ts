import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../runner/store/store.js';
import { REPO, runCli } from '../helpers/cli.js';

const CONV = join(REPO, 'data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-bad-'));
});

/** A valid spec with `patch` applied to its text; returns the spec path. */
function specFile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const valid = (workload: string, policies = '  - { policy: vllm }') =>
  [
    'name: bad',
    'machine: a100-llama2-7b',
    'requests: 50',
    'workloads:',
    workload,
    'policies:',
    policies,
    '',
  ].join('\n');
const azure = `  - name: conv\n    trace: { path: ${JSON.stringify(CONV)}, format: azure }\n    rate: [2, 4]`;

/** Runs the sweep and checks exit 2, the message, and that nothing was stored. */
function expectRejected(name: string, text: string, message: RegExp): string {
  const spec = specFile(name, text);
  const db = join(dir, `${name}.db`);
  const r = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  if (existsSync(db)) {
    const store = Store.open(db);
    expect(store.listSweeps()).toEqual([]);
    store.close();
  }
  return r.stderr;
}

describe('bad input: clear message naming file and line or field, exit 2, nothing stored', () => {
  it('a valid spec is accepted (control)', () => {
    const r = runCli(['sweep', specFile('ok', valid(azure)), '--db', join(dir, 'ok.db'), '--jobs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+$/);
  });

  it('malformed YAML', () => {
    const text = valid(azure).replace('requests: 50', 'requests: [50');
    expectRejected('malformed', text, /malformed\.yaml:\d+: malformed YAML/);
  });

  it('an unknown policy', () => {
    expectRejected(
      'policy',
      valid(azure, '  - { policy: vllm }\n  - { policy: magic }'),
      /policy\.yaml:10: policies\[1\]\.policy: unknown policy "magic" \(known: vllm, sarathi, fcfs, vllm-v1, wait, nested-wait, mc-sf\)/,
    );
  });

  it('an unknown field, in a policy and at the top level', () => {
    expectRejected(
      'field',
      valid(azure, '  - { policy: vllm, maxNumSeq: 64 }'),
      /field\.yaml:9: policies\[0\]\.maxNumSeq: unknown field "maxNumSeq"/,
    );
    expectRejected('top', `${valid(azure)}sedes: [1]\n`, /top\.yaml:10: sedes: unknown field "sedes"/);
  });

  it('a negative rate, naming the grid element', () => {
    const text = valid(azure.replace('rate: [2, 4]', 'rate: [2, -4]'));
    expectRejected('rate', text, /rate\.yaml:7: workloads\[0\]\.rate\[1\]: /);
  });

  it('a missing trace file', () => {
    const text = valid(azure.replace(JSON.stringify(CONV), 'no/such/trace.csv'));
    expectRejected('missing', text, /no\/such\/trace\.csv/);
  });

  it('a trace row with a non-numeric token count, naming file, line and column', () => {
    const trace = join(dir, 'broken.csv');
    writeFileSync(
      trace,
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,abc,109\n',
    );
    const text = valid(azure.replace(JSON.stringify(CONV), JSON.stringify(trace)));
    const stderr = expectRejected('rowtrace', text, /broken\.csv:3/);
    expect(stderr).toMatch(/ContextTokens/);
  });

  it("bad parameters of the paper's policies, naming the field", () => {
    const typed =
      '  - {name: typed, types: [{prompt: 20, output: 100, rate: 6}, {prompt: 20, output: 200, rate: 4}]}';
    const withPolicy = (policy: string) => valid(typed, `  - {policy: fcfs}\n  - ${policy}`);
    expectRejected(
      'thresholds',
      withPolicy('{policy: wait, thresholds: [3, 4, 5]}'),
      /thresholds\.yaml:8: policies\[1\]: thresholds: 3 value\(s\) given but the workload has 2 prompt type\(s\)/,
    );
    expectRejected(
      'segments',
      withPolicy('{policy: nested-wait, segments: {boundaries: [50, 100]}}'),
      /segments\.yaml:8: policies\[1\]: segments: .*must cover the decode range 1\.\.200/,
    );
    expectRejected(
      'epsilon',
      withPolicy('{policy: mc-sf, predictor: noisy, epsilon: -0.2}'),
      /epsilon\.yaml:8: policies\[1\]\.epsilon: epsilon must be >= 0/,
    );
  });

  it('bad command-line values', () => {
    const spec = specFile('cli', valid(azure));
    expect(runCli(['sweep', spec, '--jobs', 'zero', '--db', join(dir, 'cli.db')]).code).toBe(2);
    expect(runCli(['sweep', join(dir, 'nope.yaml'), '--db', join(dir, 'cli.db')]).stderr).toMatch(
      /nope\.yaml: spec file not found/,
    );
    expect(runCli(['frobnicate']).code).toBe(2);
    expect(runCli(['runs', '--format', 'xml', '--db', join(dir, 'cli.db')]).stderr).toMatch(
      /--format must be one of table, json, csv/,
    );
  });
});
