import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/**
 * `kvBlocks: auto` on a GPU worker machine without a calibration (issue 16 item 2): `schedbench
 * sweep` asks the worker (the real Python worker, tiny-llama on CPU, whose own `auto` sizing is
 * 1024 blocks there; on CUDA 90 % of the free memory after the weights), stores the size, and
 * every later plan uses the stored size without asking again.
 */
const reason = pythonWorkerSkipReason(['torch'], 'kvBlocks: auto asked of the worker');

const dir = mkdtempSync(join(tmpdir(), 'schedbench-worker-kv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spec(name: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: { worker: cpu, model: tiny-llama }',
      'requests: 8',
      'workloads:',
      '  - { name: short, types: [{ prompt: 16, output: 8, rate: 10 }] }',
      'policies: [{ policy: vllm }]',
      '',
    ].join('\n'),
  );
  return file;
}

describe.skipIf(reason !== null)('kvBlocks: auto without a calibration', () => {
  it('asks the worker once, stores its size, and every later sweep uses it', () => {
    const db = join(dir, 'kv.db');
    expect(runCli(['machines', 'add', 'cpu', '--local', '--db', db]).code).toBe(0);

    const first = runCli(['sweep', spec('first'), '--db', db, '--jobs', '1']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('asking worker cpu for its KV capacity with tiny-llama');
    expect(first.stderr).toMatch(
      /worker cpu: 1024 KV blocks of 16 tokens on cpu \(float32\); stored for later sweeps/,
    );

    const conn = new Database(db, { readonly: true });
    try {
      const stored = conn.prepare('SELECT * FROM worker_kv_sizes').all();
      expect(stored).toMatchObject([
        { machine: 'cpu', model: 'tiny-llama', dtype: '', block_size: 16, kv_blocks: 1024 },
      ]);
      const machine = JSON.parse(
        (conn.prepare('SELECT machine_json AS m FROM sweeps').get() as { m: string }).m,
      ) as {
        kvCapacityBlocks: number;
      };
      expect(machine.kvCapacityBlocks).toBe(1024);
    } finally {
      conn.close();
    }

    const second = runCli(['sweep', spec('second'), '--db', db, '--jobs', '1']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('asking worker');
  }, 180_000);
});
