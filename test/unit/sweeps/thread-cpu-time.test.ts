import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { executeRun } from '../../../runner/sweeps/run-task.js';
import { planSweepText, runTaskOf } from '../../../runner/sweeps/sweep-plan.js';
import { threadCpuSeconds } from '../../../runner/sweeps/thread-cpu-time.js';
import { tinyTypedSpec } from '../../helpers/tiny-spec.js';

/** Whether this platform has a per-thread CPU clock (Node >= 23.9, or Linux). */
const hasClock = 'threadCpuUsage' in process || existsSync('/proc/thread-self/schedstat');

/** Spins the calling thread for `ms` milliseconds of wall time. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe.runIf(hasClock)('threadCpuSeconds', () => {
  it('counts the time the thread computes, not the time it waits', () => {
    const c0 = threadCpuSeconds()!;
    const w0 = performance.now();
    spin(60);
    const c1 = threadCpuSeconds()!;
    const w1 = performance.now();
    expect(c1).toBeGreaterThan(c0);
    // A thread cannot run longer than the wall time that passed (small slack: the two clocks are
    // read one after the other).
    expect(c1 - c0).toBeLessThanOrEqual((w1 - w0) / 1000 + 0.005);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    expect(threadCpuSeconds()! - c1).toBeLessThan(0.15);
  });
});

describe('sim_cpu_s', () => {
  it('is measured where a clock exists, and is at most about the wall time', () => {
    const plan = planSweepText(tinyTypedSpec('cpu'), { file: 'spec.yaml', dir: '.' });
    const { metrics } = executeRun(runTaskOf(plan, plan.runs[0], 0));
    if (!hasClock) {
      expect(metrics.sim_cpu_s).toBeNull();
      return;
    }
    // The /proc clock advances by scheduler ticks (a few ms): a run this short may read 0.
    expect(metrics.sim_cpu_s).toBeGreaterThanOrEqual(0);
    expect(metrics.sim_cpu_s!).toBeLessThanOrEqual(metrics.sim_wall_s! + 0.01);
  });
});
