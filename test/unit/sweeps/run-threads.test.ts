/**
 * Run threads started before planning (startRunThreads, as the CLI's `sweep` does) carry the
 * sweep's runs, and executeSweep leaves them to their owner: they serve a second sweep, and the
 * results equal those of runs simulated in this thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';
import { startRunThreads } from '../../../runner/sweeps/run-threads.js';

const dir = mkdtempSync(join(tmpdir(), 'schedbench-run-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spec(name: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      'requests: 300',
      'seeds: [1, 2]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }, { prompt: 50, output: 300, rate: 4 }] }',
      'policies: [{ policy: vllm }, { policy: sarathi }]',
      '',
    ].join('\n'),
  );
  return file;
}

/** Stored metrics of a sweep's runs by run key, without the timing metrics. */
function metricsOf(store: Store, sweepId: number): Record<string, unknown> {
  return Object.fromEntries(
    store.listRuns({ sweepId }).map((r) => {
      const { sim_wall_s: _wall, sim_cpu_s: _cpu, ...rest } = r.metrics!;
      return [r.runKey, rest];
    }),
  );
}

describe('startRunThreads', () => {
  it('runs two sweeps on threads started ahead, which executeSweep does not destroy', async () => {
    const threads = startRunThreads(2);
    const store = Store.open(join(dir, 'threads.db'));
    try {
      const first = await executeSweep(planSweep(spec('first')), store, { jobs: 2, threads });
      expect(first).toMatchObject({ done: 4, failed: 0 });
      expect(threads.completed).toBe(4);
      const second = await executeSweep(planSweep(spec('second')), store, { jobs: 2, threads });
      expect(second).toMatchObject({ done: 4, failed: 0 });
      expect(threads.completed).toBe(8);

      const inThread = Store.open(join(dir, 'in-thread.db'));
      try {
        const serial = await executeSweep(planSweep(spec('first')), inThread, { jobs: 1 });
        expect(metricsOf(store, first.sweepId)).toEqual(metricsOf(inThread, serial.sweepId));
      } finally {
        inThread.close();
      }
    } finally {
      store.close();
      await threads.destroy();
    }
  });
});
