import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../runner/store/store.js';
import { executeSweep, type SweepProgress } from '../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../runner/sweeps/sweep-plan.js';
import { pythonWorkerSkipReason } from '../helpers/python-worker-env.js';
import { alive, descendsFrom, workerPids } from '../helpers/processes.js';

/**
 * A worker pool (issue 16 item 2): `machine: {worker: [cpu1, cpu2], model: tiny-llama}` with two
 * real local Python workers on CPU. The sweep's runs execute on both at once, one per worker; one
 * worker killed with SIGKILL mid-run fails its run, which is retried once on the other worker and
 * stored with a warning saying so; the sweep ends with every run done.
 */
const reason = pythonWorkerSkipReason(['torch'], 'GPU worker pool tests');

const dir = mkdtempSync(join(tmpdir(), 'schedbench-worker-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason !== null)('a pool of two GPU workers', () => {
  it('runs runs on both at once and survives one worker killed mid-run', async () => {
    const store = Store.open(join(dir, 'pool.db'));
    try {
      store.addWorkerMachine({ name: 'cpu1', kind: 'local' });
      store.addWorkerMachine({ name: 'cpu2', kind: 'local' });
      const file = join(dir, 'pool.yaml');
      writeFileSync(
        file,
        [
          'name: pool',
          'machine: { worker: [cpu1, cpu2], model: tiny-llama, kvBlocks: 64, blockSize: 16, stepTimeoutS: 30 }',
          'requests: 24',
          'seeds: [1, 2]',
          'workloads:',
          '  - { name: long, types: [{ prompt: 32, output: 96, rate: 20 }] }',
          'policies: [{ policy: vllm }, { policy: sarathi }]',
          '',
        ].join('\n'),
      );
      const plan = planSweep(file, { registry: () => store });
      expect(plan.machine.name).toBe('cpu1+cpu2/tiny-llama');
      expect(plan.machine.pool?.map((w) => w.machine.name)).toEqual(['cpu1', 'cpu2']);

      const events: SweepProgress[] = [];
      const progressing = new Set<number>();
      let bothAtOnce = false;
      let killed: number | undefined;
      const ours = new Set<number>();
      const outcome = await executeSweep(plan, store, {
        jobs: 1,
        onProgress: (p) => {
          events.push(p);
          if (p.kind !== 'start') progressing.delete(p.runId);
        },
        onRunProgress: (runId, p) => {
          if (p.iterations < 2) return;
          progressing.add(runId);
          const workers = workerPids().filter((pid) => descendsFrom(pid, process.pid));
          for (const pid of workers) ours.add(pid);
          // Two runs simulating at once, each on its own worker process: kill one worker, once.
          if (progressing.size >= 2 && workers.length >= 2 && killed === undefined) {
            bothAtOnce = true;
            killed = workers[0];
            process.kill(killed, 'SIGKILL');
          }
        },
      });
      expect(bothAtOnce).toBe(true);
      expect(killed).toBeDefined();
      expect(alive(killed!)).toBe(false);
      expect(outcome).toMatchObject({ done: 4, failed: 0, cancelled: false });
      expect(store.runCounts(outcome.sweepId)).toEqual({ queued: 0, running: 0, done: 4, failed: 0 });
      // The run that was on the killed worker ran again on the other one, and says so.
      const retried = store
        .listRuns({ sweepId: outcome.sweepId })
        .filter((r) =>
          r.warnings.some((w) =>
            /^retried on worker cpu[12] of the pool after worker cpu[12] failed: /.test(w),
          ),
        );
      expect(retried).toHaveLength(1);
      expect(retried[0].warnings.join('\n')).toMatch(
        /on worker (cpu[12]) of the pool after worker (?!\1)cpu[12] failed: GPU worker cpu[12]: /,
      );
      // Each start names the worker the run executes on; both workers served runs.
      const starts = events.filter((e) => e.kind === 'start');
      expect(starts.every((e) => e.worker === 'cpu1' || e.worker === 'cpu2')).toBe(true);
      expect(starts.every((e) => e.label.endsWith(` on ${e.worker}`))).toBe(true);
      expect(new Set(starts.map((e) => e.worker))).toEqual(new Set(['cpu1', 'cpu2']));
      // Runs overlapped: a second run started before the first ended.
      const firstEnd = events.findIndex((e) => e.kind !== 'start');
      expect(events.slice(0, firstEnd).filter((e) => e.kind === 'start').length).toBeGreaterThanOrEqual(2);
      expect(workerPids().filter((pid) => descendsFrom(pid, process.pid))).toEqual([]);
    } finally {
      store.close();
    }
  }, 240_000);
});
