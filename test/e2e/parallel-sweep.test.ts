import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../runner/store/store.js';
import { REPO, runCli } from '../helpers/cli.js';

const MOONCAKE = join(REPO, 'data/mooncake-fast25/conversation_trace.jsonl');

/** Metrics (minus wall time) and per-request finish times of every run, by run key. */
function results(db: string): Record<string, unknown> {
  const conn = new Database(db, { readonly: true });
  const runs = conn
    .prepare(
      'SELECT r.id, r.run_key, m.metrics_json FROM runs r JOIN run_metrics m ON m.run_id = r.id ORDER BY r.run_key',
    )
    .all() as { id: number; run_key: string; metrics_json: string }[];
  const out: Record<string, unknown> = {};
  for (const r of runs) {
    const metrics = JSON.parse(r.metrics_json) as Record<string, number | null>;
    metrics.sim_wall_s = 0;
    metrics.sim_cpu_s = 0;
    const store = Store.open(db, { readonly: true });
    const finish = Array.from(store.getRequestRecords(r.id).finish, (x) => (Number.isNaN(x) ? null : x));
    store.close();
    out[r.run_key] = { metrics, finish };
  }
  conn.close();
  return out;
}

describe('parallel sweeps', () => {
  it('store exactly what a serial sweep stores (worker threads change nothing but speed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-par-'));
    const spec = join(dir, 'par.yaml');
    writeFileSync(
      spec,
      [
        'name: parallel',
        'machine: a100-llama2-7b',
        'requests: 300',
        'workloads:',
        `  - { name: mooncake, trace: { path: ${JSON.stringify(MOONCAKE)}, format: mooncake }, maxTokens: 16384, rate: [0.5, 1] }`,
        'policies: [{ policy: vllm }, { policy: sarathi }, { policy: vllm-v1 }, { policy: fcfs }]',
        '',
      ].join('\n'),
    );
    const serial = runCli(['sweep', spec, '--db', join(dir, 'serial.db'), '--jobs', '1']);
    const parallel = runCli(['sweep', spec, '--db', join(dir, 'parallel.db'), '--jobs', '2']);
    expect(serial.code, serial.stderr).toBe(0);
    expect(parallel.code, parallel.stderr).toBe(0);
    const a = results(join(dir, 'serial.db'));
    expect(Object.keys(a)).toHaveLength(8);
    expect(results(join(dir, 'parallel.db'))).toEqual(a);
  });
});
