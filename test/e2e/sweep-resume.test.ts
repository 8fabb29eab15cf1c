import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli, startCli } from '../helpers/cli.js';
import { storedElementsSql } from '../helpers/stored-runs.js';

const ARXIV = join(
  REPO,
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);
const RUNS = 12;
const REQUESTS = 10_000;

function statusCounts(db: string): Record<string, number> {
  if (!existsSync(db)) return {};
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = conn.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } catch {
    return {}; // schema not created yet
  } finally {
    conn.close();
  }
}

describe('a sweep killed with SIGKILL mid-way', () => {
  it('resumes on re-run: the remaining runs complete, none is lost or duplicated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-kill-'));
    const spec = join(dir, 'kill.yaml');
    const db = join(dir, 'kill.db');
    writeFileSync(
      spec,
      [
        'name: kill-and-resume',
        'machine: a100-llama2-7b',
        `requests: ${REQUESTS}`,
        'seeds: [1, 2, 3, 4]',
        'workloads:',
        '  - name: arxiv',
        `    lengths: { path: ${JSON.stringify(ARXIV)} }`,
        '    arrival: { process: poisson, rate: 2 }',
        'policies: [{ policy: vllm }, { policy: sarathi }, { policy: fcfs }]',
        '',
      ].join('\n'),
    );

    const child = startCli(['sweep', spec, '--db', db, '--jobs', '2']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Killed once it says (on stderr, after storing it) that its third run is done.
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (new RegExp(`^\\[3/${RUNS}\\] run \\d+ .*: \\d+\\.\\d+ s$`, 'm').test(stderr)) resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`the sweep ended (${code}) before 3 runs were done:\n${stderr}`)),
      );
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const killed = statusCounts(db);
    expect(killed.done).toBeGreaterThanOrEqual(3);
    expect(killed.done).toBeLessThan(RUNS); // killed mid-way, not after the end
    expect((killed.queued ?? 0) + (killed.running ?? 0) + killed.done).toBe(RUNS);

    const resumed = runCli(['sweep', spec, '--db', db, '--jobs', '2']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      new RegExp(
        `resuming sweep 1 \\(${killed.done} run\\(s\\) already done\\): ${RUNS - killed.done} run\\(s\\) to execute`,
      ),
    );
    expect(resumed.stdout.trim().split('\n').at(-1)).toBe('1');

    const conn = new Database(db, { readonly: true });
    const one = (sql: string) => (conn.prepare(sql).get() as { n: number }).n;
    expect(one('SELECT count(*) AS n FROM sweeps')).toBe(1);
    expect(one("SELECT count(*) AS n FROM runs WHERE status = 'done'")).toBe(RUNS);
    expect(one('SELECT count(*) AS n FROM runs')).toBe(RUNS);
    expect(one('SELECT count(DISTINCT run_key) AS n FROM runs')).toBe(RUNS);
    expect(one('SELECT count(*) AS n FROM run_metrics')).toBe(RUNS);
    expect(one(storedElementsSql('requests'))).toBe(RUNS * REQUESTS);
    const perRun = conn
      .prepare(
        "SELECT run_id, sum(length) AS n FROM run_columns WHERE struct = 'requests' AND column_name = 'arrival_s' GROUP BY run_id",
      )
      .all() as {
      n: number;
    }[];
    expect(perRun.map((r) => r.n)).toEqual(Array(RUNS).fill(REQUESTS));
    conn.close();

    // A third invocation finds nothing left to do.
    const again = runCli(['sweep', spec, '--db', db, '--jobs', '2']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 run\(s\) to execute/);
  });
});
