import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiOutputs } from '../../runner/api/api-contract.js';
import { createApiService } from '../../runner/api/api-service.js';
import { Store } from '../../runner/store/store.js';
import { newSweep, sampleResult } from '../unit/store/fixtures.js';
import { REPO, runCli } from '../helpers/cli.js';

/**
 * Issue 15 (items 2, 7, 9) end to end: a sweep spec too large, or with values the engine cannot
 * hold, or a YAML alias bomb, is refused by the CLI with exit 2 and a message, storing nothing;
 * `sweeps.validate` answers at once; `import` refuses a database with a done run lacking its
 * results or a worker machine `machines add` would refuse, importing nothing.
 */
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-limits-e2e-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEN = `[${Array.from({ length: 10 }, (_, i) => i + 1).join(', ')}]`;
const HUNDREDS = `[${Array.from({ length: 10 }, (_, i) => 100 + i).join(', ')}]`;

/** A 16-line spec whose grid has 10^9 runs (10^6 workload points x 100 policy points x 10 seeds). */
const HUGE = [
  'name: huge',
  'machine: a100-llama2-7b',
  'requests: 20',
  `seeds: ${TEN}`,
  'workloads:',
  '  - name: synth',
  `    promptTokens: { dist: uniform, min: ${TEN}, max: ${HUNDREDS} }`,
  `    outputTokens: { dist: uniform, min: ${TEN}, max: ${HUNDREDS} }`,
  `    arrival: { process: poisson, rate: ${TEN} }`,
  `    maxTokens: [${Array.from({ length: 10 }, (_, i) => 1000 + i).join(', ')}]`,
  'policies:',
  `  - { policy: vllm, maxNumSeqs: ${TEN}, maxNumBatchedTokens: [${Array.from({ length: 10 }, (_, i) => 4096 + i).join(', ')}] }`,
  '',
].join('\n');

/** Runs `schedbench sweep` on `text`; expects exit 2, nothing on stdout and nothing stored. */
function refusedSweep(name: string, text: string): { stderr: string; ms: number } {
  const spec = join(dir, `${name}.yaml`);
  writeFileSync(spec, text);
  const db = join(dir, `${name}.db`);
  const start = performance.now();
  const r = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
  const ms = performance.now() - start;
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  const store = Store.open(db);
  try {
    expect(store.listSweeps()).toEqual([]);
  } finally {
    store.close();
  }
  return { stderr: r.stderr, ms };
}

describe('sweep specs past the limits', () => {
  it('refuses a 10^9-run grid with its count and how to raise the limit, in seconds', () => {
    const { stderr, ms } = refusedSweep('huge', HUGE);
    expect(stderr).toContain('huge.yaml:1: the sweep has 1000000000 runs');
    expect(stderr).toContain('1000000 workload points x 100 policy points x 10 seeds');
    expect(stderr).toContain('limits: {runs: N}');
    // Process start-up included; the expansion alone used to take minutes and gigabytes.
    expect(ms).toBeLessThan(20_000);
  });

  it('refuses `requests: 1e9` and a token count of 3e9 with their lines', () => {
    const requests = refusedSweep(
      'requests',
      ['name: r', 'machine: a100-llama2-7b', 'requests: 1e9', ...SMALL_WORKLOAD].join('\n'),
    ).stderr;
    expect(requests).toMatch(
      /requests\.yaml:3: requests: 1000000000 requests per run is more than the limit/,
    );
    expect(requests).toContain('limits: {requests: N}');
    const tokens = refusedSweep(
      'tokens',
      [
        'name: t',
        'machine: a100-llama2-7b',
        'requests: 20',
        'workloads:',
        '  - name: synth',
        '    promptTokens: { dist: fixed, value: 3000000000 }',
        '    outputTokens: { dist: fixed, value: 10 }',
        '    arrival: { process: poisson, rate: 1 }',
        'policies: [{ policy: vllm }]',
        '',
      ].join('\n'),
    ).stderr;
    expect(tokens).toMatch(/tokens\.yaml:6: workloads\[0\]\.promptTokens\.value: .*2147483647/);
  });

  it('refuses a YAML alias bomb with exit 2, naming the file', () => {
    const bomb = [
      'name: &n bomb',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
      'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
      '',
    ].join('\n');
    const { stderr } = refusedSweep('bomb', bomb);
    expect(stderr).toMatch(/bomb\.yaml: too many YAML aliases/);
  });

  it('answers sweeps.validate for a 10^9-run grid at once, with the count', async () => {
    const store = Store.open(join(dir, 'validate.db'));
    try {
      const api = createApiService(store, { jobs: 1, cwd: REPO });
      const start = performance.now();
      const r = await api.call('sweeps.validate', { yaml: HUGE });
      expect(performance.now() - start).toBeLessThan(1000);
      expect(r.ok).toBe(true);
      const out = (r as { ok: true; value: ApiOutputs['sweeps.validate'] }).value;
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.problem.message).toContain('1000000000 runs');
    } finally {
      store.close();
    }
  });
});

/** The workload and policy lines of a small valid spec. */
const SMALL_WORKLOAD = [
  'workloads:',
  '  - name: synth',
  '    promptTokens: { dist: fixed, value: 100 }',
  '    outputTokens: { dist: fixed, value: 10 }',
  '    arrival: { process: poisson, rate: 1 }',
  'policies: [{ policy: vllm }]',
  '',
];

describe('import checks what it brings in', () => {
  /** A source database with one sweep whose run `a` is done; `spoil` then edits the file. */
  function source(name: string, spoil: (db: Database.Database) => void): string {
    const file = join(dir, name);
    const store = Store.open(file, { host: 'gpu-server' });
    const sweepId = store.createSweep(newSweep());
    const [run] = store.listRuns({ sweepId, runKey: 'a' });
    store.markRunning(run.id);
    store.completeRun(run.id, sampleResult(5, 2));
    store.close();
    const db = new Database(file);
    try {
      spoil(db);
    } finally {
      db.close();
    }
    return file;
  }

  /** Imports `file` into a fresh database; expects exit 2 and that nothing was imported. */
  function refusedImport(file: string, target: string): string {
    const into = join(dir, target);
    const r = runCli(['import', file, '--db', into]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('nothing was imported');
    const store = Store.open(into);
    try {
      expect(store.listSweeps()).toEqual([]);
      expect(store.listWorkerMachines()).toEqual([]);
    } finally {
      store.close();
    }
    return r.stderr;
  }

  it('refuses a done run without its metrics or its requests', () => {
    const noMetrics = source('no-metrics.db', (db) => db.prepare('DELETE FROM run_metrics').run());
    expect(refusedImport(noMetrics, 'into-1.db')).toMatch(
      /1 run\(s\) marked done have no stored results: run \d+ of sweep \d+ \(no metrics\)/,
    );
    const noRequests = source('no-requests.db', (db) =>
      db.prepare("DELETE FROM run_columns WHERE struct = 'requests'").run(),
    );
    expect(refusedImport(noRequests, 'into-2.db')).toMatch(/\(no requests\)/);
  });

  it('refuses a worker machine that `machines add` would refuse', () => {
    const badMachine = source('bad-machine.db', (db) =>
      db
        .prepare(
          "INSERT INTO worker_machines (name, kind, host, user, created_at) VALUES ('gpu1', 'ssh', 'gpu1.lan', 'me@x', '2026-01-01T00:00:00Z')",
        )
        .run(),
    );
    expect(refusedImport(badMachine, 'into-3.db')).toMatch(/machine "gpu1": user "me@x" must not contain/);
  });

  it('still imports a sound database', () => {
    const sound = source('sound.db', () => {});
    const r = runCli(['import', sound, '--db', join(dir, 'into-4.db')]);
    expect(r.code, r.stderr).toBe(0);
  });
});
