import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineProgress } from '../../../runner/engine/engine-progress.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep, type SweepProgress } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** 4 runs of a typed workload (2,000 requests, several thousand iterations each), in this thread. */
function setup(): { store: Store; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-cancel-'));
  cleanup.push(dir);
  const file = join(dir, 'cancel.yaml');
  writeFileSync(
    file,
    [
      'name: cancel',
      'machine: a100-llama2-7b',
      'requests: 2000',
      'seeds: [1, 2]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }, { prompt: 50, output: 300, rate: 4 }] }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  return { store: Store.open(join(dir, 'cancel.db')), file };
}

describe('executeSweep with a signal (runs in this thread)', () => {
  it('starts no run after a cancel, leaves the rest queued, and a re-run completes the sweep', async () => {
    const { store, file } = setup();
    const plan = planSweep(file);
    const controller = new AbortController();
    const events: SweepProgress[] = [];
    const outcome = await executeSweep(plan, store, {
      jobs: 1,
      signal: controller.signal,
      onProgress: (p) => {
        events.push(p);
        if (p.kind === 'done') controller.abort();
      },
    });
    expect(outcome).toMatchObject({ cancelled: true, done: 1, failed: 0, resumed: false });
    expect(events.map((e) => e.kind)).toEqual(['start', 'done']);
    expect(store.runCounts(outcome.sweepId)).toEqual({ queued: 3, running: 0, done: 1, failed: 0 });
    expect(store.getSweep(outcome.sweepId)?.finishedAt).toBeNull();

    const again = await executeSweep(plan, store, { jobs: 1 });
    expect(again).toMatchObject({
      sweepId: outcome.sweepId,
      resumed: true,
      alreadyDone: 1,
      done: 3,
      cancelled: false,
    });
    expect(store.runCounts(outcome.sweepId)).toEqual({ queued: 0, running: 0, done: 4, failed: 0 });
    expect(store.getSweep(outcome.sweepId)?.finishedAt).not.toBeNull();
    store.close();
  });

  it('runs nothing when the signal has already fired', async () => {
    const { store, file } = setup();
    const outcome = await executeSweep(planSweep(file), store, { jobs: 1, signal: AbortSignal.abort() });
    expect(outcome).toMatchObject({ cancelled: true, done: 0, failed: 0 });
    expect(store.runCounts(outcome.sweepId)).toEqual({ queued: 4, running: 0, done: 0, failed: 0 });
    store.close();
  });

  it("reports each run's live progress while it runs, and the result is unchanged", async () => {
    const { store, file } = setup();
    const reports = new Map<number, EngineProgress[]>();
    const outcome = await executeSweep(planSweep(file), store, {
      jobs: 1,
      onRunProgress: (runId, p) => reports.set(runId, [...(reports.get(runId) ?? []), p]),
    });
    const runs = store.listRuns({ sweepId: outcome.sweepId });
    expect([...reports.keys()].sort()).toEqual(runs.map((r) => r.id));
    for (const run of runs) {
      const first = reports.get(run.id)![0];
      expect(first.total).toBe(2000);
      expect(first.iterations).toBeGreaterThan(0);
      expect(first.iterations).toBeLessThan(run.metrics!.iterations!);
    }
    const { store: plain, file: plainFile } = setup();
    const reference = await executeSweep(planSweep(plainFile), plain, { jobs: 1 });
    const strip = (s: Store, id: number) =>
      s.listRuns({ sweepId: id }).map((r) => ({ ...r.metrics, sim_wall_s: 0, sim_cpu_s: 0, key: r.runKey }));
    expect(strip(store, outcome.sweepId)).toEqual(strip(plain, reference.sweepId));
    store.close();
    plain.close();
  });
});
