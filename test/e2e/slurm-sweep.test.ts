import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import {
  loopbackSlurmSkipReason,
  startLoopbackSlurm,
  type LoopbackSlurm,
} from '../helpers/loopback-slurm.js';
import { argvOf, processesWhere } from '../helpers/processes.js';
import { countRows, expectEveryRunDoneOnce } from '../helpers/stored-runs.js';
import { pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

// Issue 16 item 3 on a real one-node Slurm (test/helpers/loopback-slurm.ts): a 24-run sweep
// submitted as one job array of 4 tasks ends with the same metrics, run for run, as the sweep run
// locally; a driver killed with SIGKILL midway and run again attaches to its array and completes
// with no run lost or stored twice; `scancel` of one task leaves its runs pending, and a re-run
// submits and completes them. Array tasks hold their runs (SCHEDBENCH_HOLD_RUNS, passed on by
// Slurm from the driver's environment) until the test sends SIGUSR2, so nothing races the clock.

const skip = loopbackSlurmSkipReason('test/e2e/slurm-sweep.test.ts');
const RUNS = 24;
const REQUESTS = 200;
const SPEC = [
  'name: on-slurm',
  'machine: a100-llama2-7b',
  `requests: ${REQUESTS}`,
  'seeds: [1, 2, 3]',
  'workloads:',
  '  - { name: typed, types: [{ prompt: 256, output: 64, rate: 1 }], rate: [2, 4, 6, 8] }',
  'policies: [{ policy: vllm }, { policy: sarathi }]',
  '',
].join('\n');

describe.skipIf(skip !== null)('schedbench sweep --executor slurm', () => {
  let slurm: LoopbackSlurm;
  let dir: string;
  let spec: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    slurm = await startLoopbackSlurm();
    dir = mkdtempSync(join(tmpdir(), 'schedbench-slurm-sweep-'));
    spec = join(dir, 'on-slurm.yaml');
    writeFileSync(spec, SPEC);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await slurm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    ...slurm.env,
    SCHEDBENCH_SLURM_POLL_MS: '200',
    ...extra,
  });
  const slurmArgs = (db: string) => [
    'sweep',
    spec,
    '--db',
    db,
    '--executor',
    'slurm',
    '--runs-per-task',
    '6',
    '--work-dir',
    join(dir, `work-${db.split('/').pop()}`),
  ];

  function metricsByKey(db: string): Map<string, Record<string, unknown>> {
    const conn = new Database(db, { readonly: true });
    try {
      const rows = conn
        .prepare(
          "SELECT r.run_key AS key, m.metrics_json AS metrics FROM runs r JOIN run_metrics m ON m.run_id = r.id WHERE r.status = 'done'",
        )
        .all() as { key: string; metrics: string }[];
      return new Map(
        rows.map((r) => {
          const {
            sim_wall_s: _wall,
            sim_cpu_s: _cpu,
            ...metrics
          } = JSON.parse(r.metrics) as Record<string, unknown>;
          return [r.key, metrics];
        }),
      );
    } finally {
      conn.close();
    }
  }

  const expectAllDoneOnce = (db: string): void => expectEveryRunDoneOnce(db, RUNS, REQUESTS);

  /** The live `schedbench shard` processes (array tasks: `shard MANIFEST --task I`), by task index. */
  function shardTasks(): Map<number, number> {
    const tasks = new Map<number, number>();
    for (const pid of processesWhere((argv) => argv.includes('shard') && argv.includes('--task'))) {
      const argv = argvOf(pid);
      tasks.set(Number(argv[argv.indexOf('--task') + 1]), pid);
    }
    return tasks;
  }

  /** Whether the shard of array task `task` holds a run `running` (its SIGUSR2 handler is set by then). */
  function holding(arrayDir: string, task: number): boolean {
    return (
      countRows(
        join(arrayDir, `shard-${task}.db`),
        "SELECT count(*) AS n FROM runs WHERE status = 'running'",
      ) > 0
    );
  }

  /**
   * Waits until array tasks `which` run `schedbench shard` and each holds a run (they hold their
   * runs until SIGUSR2; a node with 2 CPUs runs 2 tasks at once); the deadline only turns a hang
   * into a failure.
   * @param arrayDir the array's folder (its manifest and shards)
   * @returns their PIDs by task index
   */
  async function waitForTasks(arrayDir: string, which: number[]): Promise<Map<number, number>> {
    for (let tries = 0; tries < 600; tries++) {
      const tasks = shardTasks();
      if (which.every((t) => tasks.has(t) && holding(arrayDir, t))) return tasks;
      await sleep(100);
    }
    throw new Error(`tasks ${which.join(', ')} did not start in 60 s:\n${slurm.log().slice(-2000)}`);
  }

  it('runs a 24-run sweep as 4 array tasks with the metrics of the local sweep, run for run', () => {
    const local = join(dir, 'local.db');
    const reference = runCli(['sweep', spec, '--db', local, '--jobs', '2']);
    expect(reference.code, reference.stderr).toBe(0);

    const db = join(dir, 'slurm.db');
    const started = Date.now();
    const r = runCli(slurmArgs(db), { env: env() });
    const wallS = (Date.now() - started) / 1000;
    expect(r.code, `${r.stderr}\n${slurm.log().slice(-2000)}`).toBe(0);
    expect(r.stderr).toMatch(/submitted 24 run\(s\) as Slurm array \d+: 4 task\(s\) of up to 6 run\(s\)/);
    expect(r.stderr.match(/Slurm task \d+_\d ended: 6 run\(s\) merged in \d+ ms/g)).toHaveLength(4);
    expectAllDoneOnce(db);
    const onSlurm = metricsByKey(db);
    const here = metricsByKey(local);
    expect([...onSlurm.keys()].sort()).toEqual([...here.keys()].sort());
    for (const [key, metrics] of here) expect(onSlurm.get(key), key).toEqual(metrics);
    // The overhead per task, for the record: submission to the task's first run started, and merges.
    const conn = new Database(db, { readonly: true });
    const submitted = Date.parse(
      (conn.prepare('SELECT submitted_at AS t FROM slurm_arrays').get() as { t: string }).t,
    );
    conn.close();
    const firstStarts: number[] = [];
    for (let task = 0; task < 4; task++) {
      const shard = new Database(join(dir, 'work-slurm.db', 'sweep-1', 'array-1', `shard-${task}.db`), {
        readonly: true,
      });
      firstStarts.push(
        Date.parse((shard.prepare('SELECT min(started_at) AS t FROM runs').get() as { t: string }).t),
      );
      shard.close();
    }
    const merges = [...r.stderr.matchAll(/merged in (\d+) ms/g)].map((m) => Number(m[1]));
    console.log(
      `slurm overhead: sweep ${wallS.toFixed(1)} s; submission to first run started per task: ${firstStarts.map((t) => ((t - submitted) / 1000).toFixed(2)).join(', ')} s; merges: ${merges.join(', ')} ms`,
    );
  }, 180_000);

  it('a driver killed with SIGKILL midway, run again, attaches to its array and stores every run once', async () => {
    const db = join(dir, 'killed.db');
    const driver = startCli(slurmArgs(db), { env: env({ SCHEDBENCH_HOLD_RUNS: '1' }) });
    children.push(driver);
    const arrayDir = join(dir, 'work-killed.db', 'sweep-1', 'array-1');
    const first = await waitForTasks(arrayDir, [0, 1]);
    const gone = new Promise((resolve) => driver.once('exit', resolve));
    driver.kill('SIGKILL');
    await gone;
    // Tasks 0 and 1 end while no driver runs; tasks 2 and 3 then start and hold their runs.
    for (const t of [0, 1]) process.kill(first.get(t)!, 'SIGUSR2');
    const tasks = await waitForTasks(arrayDir, [2, 3]);
    const again = startCli(slurmArgs(db), { env: env() });
    children.push(again);
    let stderr = '';
    again.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => again.once('exit', resolve));
    while (!stderr.includes('attached to Slurm array')) await sleep(50);
    for (const t of [2, 3]) process.kill(tasks.get(t)!, 'SIGUSR2');
    expect(await exited, stderr).toBe(0);
    expect(stderr, stderr).not.toMatch(/submitted/);
    expectAllDoneOnce(db);
  }, 180_000);

  it('scancel of one task leaves its runs pending; a re-run submits and completes them', async () => {
    const db = join(dir, 'cancelled.db');
    const driver = startCli(slurmArgs(db), { env: env({ SCHEDBENCH_HOLD_RUNS: '1' }) });
    children.push(driver);
    let stderr = '';
    driver.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => driver.once('exit', resolve));
    const arrayDir = join(dir, 'work-cancelled.db', 'sweep-1', 'array-1');
    const first = await waitForTasks(arrayDir, [0, 1]);
    const jobId = /as Slurm array (\d+)/.exec(stderr)![1];
    // Task 3 is still pending (2 CPUs run tasks 0 and 1): cancelled, it never runs.
    expect(slurm.run('scancel', [`${jobId}_3`]).status).toBe(0);
    for (const t of [0, 1]) process.kill(first.get(t)!, 'SIGUSR2');
    const second = await waitForTasks(arrayDir, [2]);
    process.kill(second.get(2)!, 'SIGUSR2');
    expect(await exited, stderr).toBe(1);
    expect(stderr, stderr).toMatch(/18 of 24 run\(s\) done.*6 not done: run the same command again/);
    expect(countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'queued'")).toBe(6);

    const again = runCli(slurmArgs(db), { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/submitted 6 run\(s\) as Slurm array \d+: 1 task\(s\)/);
    expectAllDoneOnce(db);
  }, 180_000);

  it('Ctrl-C cancels the array with scancel: nothing left in Slurm, no run left running, and a re-run completes', async () => {
    const db = join(dir, 'interrupted.db');
    const driver = startCli(slurmArgs(db), { env: env({ SCHEDBENCH_HOLD_RUNS: '1' }) });
    children.push(driver);
    let stderr = '';
    driver.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => driver.once('exit', resolve));
    await waitForTasks(join(dir, 'work-interrupted.db', 'sweep-1', 'array-1'), [0, 1]);
    const jobId = /as Slurm array (\d+)/.exec(stderr)![1];
    driver.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain(`cancelled Slurm array ${jobId}`);
    // Slurm holds nothing of the array any more, and every run is back in the queue.
    const queue = slurm.run('squeue', ['-h', '-j', jobId]);
    expect(queue.stdout.trim()).toBe('');
    expect(countRows(db, "SELECT count(*) AS n FROM runs WHERE status = 'queued'")).toBe(RUNS);

    const again = runCli(slurmArgs(db), { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expectAllDoneOnce(db);
  }, 180_000);

  it('runs a GPU-in-the-loop sweep with a worker started in each array task (tiny-llama on CPU)', () => {
    if (pythonWorkerSkipReason(['torch'], 'GPU-in-the-loop on Slurm') !== null) return;
    const db = join(dir, 'gpu.db');
    expect(runCli(['machines', 'add', 'cpu', '--local', '--db', db]).code).toBe(0);
    const gpuSpec = join(dir, 'gpu-on-slurm.yaml');
    writeFileSync(
      gpuSpec,
      [
        'name: gpu-on-slurm',
        'machine: { worker: cpu, model: tiny-llama, kvBlocks: 64, blockSize: 16, stepTimeoutS: 60 }',
        'requests: 12',
        'seeds: [1, 2]',
        'workloads:',
        '  - { name: short, types: [{ prompt: 32, output: 24, rate: 10 }] }',
        'policies: [{ policy: vllm }]',
        '',
      ].join('\n'),
    );
    const r = runCli(
      [
        'sweep',
        gpuSpec,
        '--db',
        db,
        '--executor',
        'slurm',
        '--runs-per-task',
        '1',
        '--work-dir',
        join(dir, 'work-gpu'),
      ],
      { env: env() },
    );
    expect(r.code, `${r.stderr}\n${slurm.log().slice(-2000)}`).toBe(0);
    expect(r.stderr).toMatch(/submitted 2 run\(s\) as Slurm array \d+: 2 task\(s\)/);
    // Each run was timed on a worker inside its task: its measured iterations were merged too.
    const conn = new Database(db, { readonly: true });
    try {
      const perRun = conn
        .prepare(
          "SELECT r.machine AS machine, (SELECT coalesce(sum(length), 0) FROM run_columns i WHERE i.run_id = r.id AND i.struct = 'iterations' AND i.column_name = 'start_s') AS n FROM runs r WHERE r.status = 'done'",
        )
        .all() as { machine: string; n: number }[];
      expect(perRun).toHaveLength(2);
      for (const row of perRun) {
        expect(row.machine).toBe('cpu/tiny-llama');
        expect(row.n).toBeGreaterThan(0);
      }
    } finally {
      conn.close();
    }
  }, 240_000);
});
