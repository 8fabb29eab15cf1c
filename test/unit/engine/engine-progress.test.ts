import { describe, expect, it } from 'vitest';
import type { EngineProgress } from '../../../runner/engine/engine-progress.js';
import type { IterationExecutor } from '../../../runner/engine/iteration-executor.js';
import { simulate, simulateOn, type EngineOutput } from '../../../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { requestList } from '../../helpers/request-lists.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

const MODEL = new LinearIterationTimeModel(0.01, 2e-5);
const CONFIG = { kvCapacityBlocks: 600, blockSize: 16 };

/** `n` requests, Poisson-like arrivals at about `rate` req/s, lengths from a fixed LCG (deterministic). */
function workload(n: number, rate: number): RequestList {
  let state = 12345;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  let t = 0;
  const rows: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - next()) / rate;
    rows.push([t, 1 + Math.floor(next() * 1500), 1 + Math.floor(next() * 300)]);
  }
  return requestList(rows);
}

/** Runs `simulate` with progress every `every` iterations; returns the output and the reports. */
function simulateWithProgress(
  list: RequestList,
  policy: object,
  every: number,
  horizonS?: number,
): { output: EngineOutput; reports: EngineProgress[] } {
  const reports: EngineProgress[] = [];
  const output = simulate(
    list,
    {
      ...CONFIG,
      iterationTime: MODEL,
      horizonS,
      progress: { everyIterations: every, report: (p) => reports.push(p) },
    },
    schedulerFor(policy, list, CONFIG),
  );
  return { output, reports };
}

function finishedCount(output: EngineOutput): number {
  return output.records.finish.reduce((a, f) => a + (Number.isNaN(f) ? 0 : 1), 0);
}

function finishedOutputTokens(output: EngineOutput): number {
  let sum = 0;
  output.records.finish.forEach((f, i) => {
    if (!Number.isNaN(f)) sum += output.records.outputTokens[i];
  });
  return sum;
}

describe('engine progress reports', () => {
  const list = workload(1500, 4);

  it.each([{ policy: 'vllm' }, { policy: 'sarathi', chunkSize: 256 }, { policy: 'fcfs' }])(
    'come every N iterations with consistent, monotonic values, and once at the end (%o)',
    (policy) => {
      const every = 97;
      const { output, reports } = simulateWithProgress(list, policy, every);
      const { iterations } = output.totals;
      expect(iterations).toBeGreaterThan(every * 10);
      expect(reports).toHaveLength(Math.floor(iterations / every) + 1);
      reports.slice(0, -1).forEach((p, i) => expect(p.iterations).toBe(every * (i + 1)));
      let seenQueue = false;
      for (let i = 0; i < reports.length; i++) {
        const p = reports[i];
        expect(p.total).toBe(list.arrival.length);
        expect(p.startS).toBe(list.arrival[0]);
        expect(p.queueLength + p.running + p.finished).toBe(p.arrived);
        expect(p.kvBlocks).toBeGreaterThanOrEqual(0);
        expect(p.kvBlocks).toBeLessThanOrEqual(CONFIG.kvCapacityBlocks);
        if (p.queueLength > 0) seenQueue = true;
        if (i === 0) continue;
        const q = reports[i - 1];
        expect(p.nowS).toBeGreaterThanOrEqual(q.nowS);
        expect(p.iterations).toBeGreaterThanOrEqual(q.iterations);
        expect(p.arrived).toBeGreaterThanOrEqual(q.arrived);
        expect(p.finished).toBeGreaterThanOrEqual(q.finished);
        expect(p.outputTokens).toBeGreaterThanOrEqual(q.outputTokens);
      }
      expect(seenQueue).toBe(true);
    },
  );

  it("end with a report that equals the run's totals", () => {
    const { output, reports } = simulateWithProgress(list, { policy: 'vllm' }, 50);
    expect(reports.at(-1)).toEqual({
      nowS: output.totals.endS,
      startS: output.totals.startS,
      iterations: output.totals.iterations,
      arrived: list.arrival.length,
      finished: list.arrival.length,
      total: list.arrival.length,
      queueLength: 0,
      running: 0,
      kvBlocks: 0,
      outputTokens: list.outputTokens.reduce((a, b) => a + b, 0),
    });
  });

  it('end at the horizon with the unfinished requests of a stopped run', () => {
    const { output, reports } = simulateWithProgress(list, { policy: 'fcfs' }, 50, 100);
    const last = reports.at(-1)!;
    expect(last.nowS).toBe(output.totals.endS);
    expect(last.iterations).toBe(output.totals.iterations);
    expect(last.finished).toBe(finishedCount(output));
    expect(last.finished).toBeLessThan(list.arrival.length);
    expect(last.outputTokens).toBe(finishedOutputTokens(output));
    expect(last.queueLength + last.running + last.finished).toBe(last.arrived);
  });

  it('leave the output unchanged: identical records, time series and totals', () => {
    for (const policy of [{ policy: 'vllm' }, { policy: 'sarathi', chunkSize: 256 }]) {
      const without = simulate(list, { ...CONFIG, iterationTime: MODEL }, schedulerFor(policy, list, CONFIG));
      const { output } = simulateWithProgress(list, policy, 1);
      expect(output).toEqual(without);
    }
  });

  it('are the same for simulateOn as for simulate', async () => {
    const executor: IterationExecutor = {
      execute: (batch) => Promise.resolve(MODEL.iterationTime(batch.shape)),
    };
    const policy = { policy: 'vllm' };
    const { output, reports } = simulateWithProgress(list, policy, 64);
    const onReports: EngineProgress[] = [];
    const onOutput = await simulateOn(
      list,
      { ...CONFIG, progress: { everyIterations: 64, report: (p) => onReports.push(p) } },
      schedulerFor(policy, list, CONFIG),
      executor,
    );
    expect(onOutput).toEqual(output);
    expect(onReports).toEqual(reports);
  });

  it('refuse an interval that is not a positive integer', () => {
    for (const everyIterations of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        simulate(
          list,
          { ...CONFIG, iterationTime: MODEL, progress: { everyIterations, report: () => undefined } },
          schedulerFor({ policy: 'vllm' }, list, CONFIG),
        ),
      ).toThrow(RangeError);
    }
  });
});
