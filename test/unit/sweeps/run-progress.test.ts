import { describe, expect, it } from 'vitest';
import type { EngineProgress } from '../../../runner/engine/engine-progress.js';
import { SIMULATED_PROGRESS_ITERATIONS, throttledRunProgress } from '../../../runner/sweeps/run-progress.js';

const progress = (finished: number, total: number): EngineProgress => ({
  nowS: finished,
  startS: 0,
  iterations: finished * 10,
  arrived: total,
  finished,
  total,
  queueLength: total - finished,
  running: 0,
  kvBlocks: 0,
  outputTokens: finished * 100,
});

describe('throttledRunProgress', () => {
  it('passes the first report at once and always the one where every request has finished', () => {
    const seen: EngineProgress[] = [];
    const sink = throttledRunProgress((p) => seen.push(p));
    expect(sink.everyIterations).toBe(SIMULATED_PROGRESS_ITERATIONS);
    sink.report(progress(1, 50));
    sink.report(progress(50, 50));
    expect(seen.map((p) => p.finished)).toEqual([1, 50]);
  });
});
