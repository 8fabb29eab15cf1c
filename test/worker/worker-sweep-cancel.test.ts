import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineProgress } from '../../runner/engine/engine-progress.js';
import { Store } from '../../runner/store/store.js';
import { executeSweep, type SweepProgress } from '../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../runner/sweeps/sweep-plan.js';
import { pythonWorkerSkipReason } from '../helpers/python-worker-env.js';
import { alive, descendsFrom, workerPids } from '../helpers/processes.js';

/**
 * Cancelling a GPU-in-the-loop sweep (the real Python worker, tiny-llama on CPU, as a local
 * worker machine): the run on the worker is interrupted by stopping the worker, and goes back to
 * the queue instead of failing; the worker is gone; a re-run completes the sweep.
 */
const reason = pythonWorkerSkipReason(['torch'], 'GPU-in-the-loop sweep cancel tests');

const dir = mkdtempSync(join(tmpdir(), 'schedbench-worker-cancel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason !== null)('cancelling a GPU-worker sweep', () => {
  it('stops the worker mid-run, requeues the run (never failed), and a re-run completes it', async () => {
    const store = Store.open(join(dir, 'gpu.db'));
    try {
      store.addWorkerMachine({ name: 'cpu', kind: 'local' });
      const file = join(dir, 'gpu-cancel.yaml');
      writeFileSync(
        file,
        [
          'name: gpu-cancel',
          'machine: { worker: cpu, model: tiny-llama, kvBlocks: 64, blockSize: 16, stepTimeoutS: 30 }',
          'requests: 24',
          'seeds: [1, 2]',
          'workloads:',
          '  - { name: long, types: [{ prompt: 32, output: 128, rate: 20 }] }',
          'policies: [{ policy: vllm }]',
          '',
        ].join('\n'),
      );
      const plan = planSweep(file, { registry: () => store });
      const ours = new Set<number>();
      const controller = new AbortController();
      const reports: EngineProgress[] = [];
      const events: SweepProgress[] = [];
      const outcome = await executeSweep(plan, store, {
        jobs: 4,
        signal: controller.signal,
        onProgress: (p) => events.push(p),
        onRunProgress: (_runId, p) => {
          reports.push(p);
          // This process's workers (those of test files running beside it are not ours).
          for (const pid of workerPids()) if (descendsFrom(pid, process.pid)) ours.add(pid);
          if (p.iterations >= 3) controller.abort();
        },
      });
      expect(outcome).toMatchObject({ cancelled: true, done: 0, failed: 0 });
      expect(events.map((e) => e.kind)).toEqual(['start', 'requeued']);
      expect(reports.length).toBeGreaterThan(0);
      expect(reports.at(-1)!.finished).toBeLessThan(24);
      expect(store.runCounts(outcome.sweepId)).toEqual({ queued: 2, running: 0, done: 0, failed: 0 });
      // The worker that ran is gone, and no other worker of this process is left.
      expect(ours.size).toBe(1);
      expect([...ours].filter(alive)).toEqual([]);
      expect(workerPids().filter((pid) => descendsFrom(pid, process.pid))).toEqual([]);

      const again = await executeSweep(plan, store, { jobs: 1 });
      expect(again).toMatchObject({ resumed: true, done: 2, failed: 0, cancelled: false });
      expect(store.runCounts(outcome.sweepId)).toEqual({ queued: 0, running: 0, done: 2, failed: 0 });
    } finally {
      store.close();
    }
  }, 180_000);
});
