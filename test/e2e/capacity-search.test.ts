import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli, startCli } from '../helpers/cli.js';

/**
 * An M/D/1 queue built from the real engine: one type of 1 prompt and 1 output token (the prefill
 * emits the only token, so a request takes exactly one iteration under the vllm token model), a
 * linear machine with d1 = 0 so every iteration takes d0 = 10 ms, and fcfs with one request per
 * batch. Service is deterministic, 10 ms: the capacity is exactly 100 req/s.
 */
const CAPACITY_RPS = 100;

function md1Spec(name: string, seeds: number[], precision: number, extra: string[] = []): string {
  return [
    `name: ${name}`,
    ...extra,
    'machine: { model: linear, d0: 0.01, d1: 0, kvCapacityTokens: 4096, blockSize: 16 }',
    'requests: 4000',
    `seeds: [${seeds.join(', ')}]`,
    'workloads:',
    '  - name: md1',
    '    types: [{ prompt: 1, output: 1, rate: 1 }]',
    `    rate: { search: { min: 10, max: 400, precision: ${precision} } }`,
    'policies: [{ policy: fcfs, maxNumSeqs: 1 }]',
    '',
  ].join('\n');
}

interface CapacityJson {
  sweep_id: number;
  verdicts: { best_policy: string; comparisons: { significant: boolean | null }[] }[];
  searches: {
    workload: string;
    policy: string;
    status: string;
    outcome: string;
    max_rate_rps: number;
    lower_rps: number;
    upper_rps: number;
    lower_nominal_rps: number;
    upper_nominal_rps: number;
    probes: number;
    limiting: string;
    seeds: number;
  }[];
}

function capacity(db: string): CapacityJson {
  const r = runCli(['capacity', '--latest', '--db', db, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CapacityJson;
}

function doneRuns(db: string): { id: number; run_key: string; finished_at: string; rate: number }[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn
      .prepare("SELECT id, run_key, finished_at, rate FROM runs WHERE status = 'done' ORDER BY id")
      .all() as { id: number; run_key: string; finished_at: string; rate: number }[];
  } finally {
    conn.close();
  }
}

describe('capacity search', () => {
  it('brackets the known capacity of an M/D/1 queue within its precision', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-capacity-'));
    const spec = join(dir, 'md1.yaml');
    const db = join(dir, 'md1.db');
    writeFileSync(spec, md1Spec('md1', [1, 2], 0.02));
    const sweep = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
    expect(sweep.code, sweep.stderr).toBe(0);

    const [row] = capacity(db).searches;
    expect(row).toMatchObject({
      workload: 'md1',
      policy: 'fcfs',
      status: 'done',
      outcome: 'bracketed',
      seeds: 2,
    });
    expect(row.limiting).toBe('stability');
    expect((row.upper_nominal_rps - row.lower_nominal_rps) / row.lower_nominal_rps).toBeLessThanOrEqual(0.02);
    // The offered rates bracket the capacity to within the search's precision and the test's resolution.
    expect(row.lower_rps).toBeGreaterThan(CAPACITY_RPS * 0.95);
    expect(row.upper_rps).toBeLessThan(CAPACITY_RPS * 1.05);
    expect(row.max_rate_rps).toBe(row.lower_rps);
    // Every probe is stored as ordinary runs: one per seed.
    expect(doneRuns(db)).toHaveLength(row.probes * 2);

    const table = runCli(['capacity', '--latest', '--db', db]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/max_rate_rps/);
    expect(table.stdout).toMatch(/offered rates/);
  });

  it('under an SLO finds a lower rate, limited by the bound requests miss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-capacity-slo-'));
    const spec = join(dir, 'md1-slo.yaml');
    const db = join(dir, 'md1-slo.db');
    // TTFT = queueing delay + 10 ms of service: at 99 % attainment a 50 ms bound binds well below
    // the 100 req/s at which the queue stops being stable.
    writeFileSync(spec, md1Spec('md1-slo', [1, 2], 0.02, ['slo: { ttft_s: 0.05 }']));
    const sweep = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
    expect(sweep.code, sweep.stderr).toBe(0);
    const [row] = capacity(db).searches;
    expect(row).toMatchObject({ status: 'done', outcome: 'bracketed', limiting: 'ttft' });
    expect(row.upper_rps).toBeLessThan(CAPACITY_RPS * 0.95);
    // Every probe's runs carry the SLO metrics; the sustained one meets the target.
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const attainment = conn
        .prepare(
          "SELECT r.rate, json_extract(m.metrics_json, '$.slo_attainment') AS a FROM runs r JOIN run_metrics m ON m.run_id = r.id",
        )
        .all() as { rate: number; a: number }[];
      expect(attainment.every((x) => typeof x.a === 'number')).toBe(true);
      const atLower = attainment.filter((x) => x.rate === row.lower_nominal_rps).map((x) => x.a);
      expect(atLower).toHaveLength(2);
      expect((atLower[0] + atLower[1]) / 2).toBeGreaterThanOrEqual(0.99);
    } finally {
      conn.close();
    }
  });

  it('resumes after SIGKILL without repeating a probe, and finds what an uninterrupted search finds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-capacity-kill-'));
    const spec = join(dir, 'md1.yaml');
    writeFileSync(spec, md1Spec('md1-kill', [1, 2, 3], 0.005));
    const reference = join(dir, 'reference.db');
    const whole = runCli(['sweep', spec, '--db', reference, '--jobs', '1']);
    expect(whole.code, whole.stderr).toBe(0);
    const expected = capacity(reference).searches[0];
    const total = doneRuns(reference).length;

    const db = join(dir, 'killed.db');
    const child = startCli(['sweep', spec, '--db', db, '--jobs', '1']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, signal) => resolve(signal)),
    );
    // Killed once it says (on stderr, after storing it) that its fourth run is done.
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (/^\[4\/\d+\] run \d+ /m.test(stderr)) resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`the sweep ended (${code}) before 4 runs were done:\n${stderr}`)),
      );
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = doneRuns(db);
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(before.length).toBeLessThan(total); // killed mid-search

    const resumed = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = doneRuns(db);
    // The runs done before the kill were kept, not run again; no run key twice.
    const afterById = new Map(after.map((r) => [r.id, r]));
    for (const run of before) expect(afterById.get(run.id)).toEqual(run);
    expect(new Set(after.map((r) => r.run_key)).size).toBe(after.length);
    expect(after).toHaveLength(total);
    expect(after.map((r) => r.run_key).sort()).toEqual(
      doneRuns(reference)
        .map((r) => r.run_key)
        .sort(),
    );
    const found = capacity(db).searches[0];
    expect(found).toEqual({ ...expected });
  });

  it("finds Vidur's capacity on its arXiv setup within 5 %: 2.05 req/s under vllm, 2.23 under sarathi", () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-capacity-vidur-'));
    const db = join(dir, 'vidur.db');
    const sweep = runCli([
      'sweep',
      join(REPO, 'examples/capacity/vidur-arxiv-capacity.yaml'),
      '--db',
      db,
      '--jobs',
      '2',
    ]);
    expect(sweep.code, sweep.stderr).toBe(0);
    const out = capacity(db);
    const [vllm, sarathi] = out.searches;
    expect(vllm).toMatchObject({
      policy: 'vllm',
      status: 'done',
      outcome: 'bracketed',
      limiting: 'stability',
    });
    expect(sarathi).toMatchObject({ policy: 'sarathi', status: 'done', outcome: 'bracketed' });
    expect(Math.abs(vllm.max_rate_rps / 2.05 - 1)).toBeLessThan(0.05);
    expect(Math.abs(sarathi.max_rate_rps / 2.23 - 1)).toBeLessThan(0.05);
    // Sarathi sustains more, and the brackets say so.
    expect(out.verdicts).toHaveLength(1);
    expect(out.verdicts[0].best_policy).toMatch(/^sarathi/);
    expect(out.verdicts[0].comparisons[0]).toMatchObject({ significant: true });
    // The summary states it first, in words; the API serves the same searches.
    const summary = runCli(['summary', '--latest', '--db', db]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/^Capacity \(the largest offered rate/);
    expect(summary.stdout).toMatch(
      /- On arxiv, sarathi.* has the highest capacity \(2 seeds\): vllm.* is \d+\.\d % lower \(bracket range/,
    );
    // The HTML report opens with the same capacity verdict.
    const html = join(dir, 'report.html');
    const report = runCli(['report', '--latest', '--db', db, '--out', html]);
    expect(report.code, report.stderr).toBe(0);
    const section = /<section id="verdict">([\s\S]*?)<\/section>/.exec(readFileSync(html, 'utf8'))?.[1] ?? '';
    expect(section).toMatch(/On arxiv, sarathi.* has the highest capacity/);
    const api = runCli(['api', 'sweeps.capacity', JSON.stringify({ sweepId: out.sweep_id }), '--db', db]);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toEqual({ searches: out.searches, verdicts: out.verdicts });
  });
});
