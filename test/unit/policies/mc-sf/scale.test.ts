import { describe, expect, it } from 'vitest';
import { simulate } from '../../../../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../../../../runner/latency/linear-model.js';
import { requestList } from '../../../helpers/request-lists.js';
import { mcSfFor } from './run-mc-sf.js';

describe('mc-sf on a 10,000-request trace', () => {
  it('runs in well under the time budget (incremental future-memory check) without evicting', () => {
    // Poisson arrivals at 50 req/s, exponential prompts (mean 40) and outputs (mean 85, max 400),
    // 1,031 blocks of 16 = 16,496 tokens, about the paper's Llama2-70B capacity (PAPER.md section 10.1).
    let x = 42;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: [number, number, number][] = [];
    let t = 0;
    for (let i = 0; i < 10_000; i++) {
      t += -Math.log(1 - next()) * 0.02;
      rows.push([
        t,
        1 + Math.floor(-Math.log(1 - next()) * 40),
        Math.min(400, 1 + Math.floor(-Math.log(1 - next()) * 85)),
      ]);
    }
    const list = requestList(rows);
    const o = { kvCapacityBlocks: 1031, blockSize: 16 };
    const start = performance.now();
    const out = simulate(
      list,
      { ...o, iterationTime: new LinearIterationTimeModel(0.01, 1e-6) },
      mcSfFor(list, {}, o),
    );
    const ms = performance.now() - start;
    expect(out.records.finish.every((f) => Number.isFinite(f))).toBe(true);
    expect(out.records.evictions.every((e) => e === 0)).toBe(true);
    expect(out.records.preemptions.every((e) => e === 0)).toBe(true);
    expect(out.totals.kvPeakBlocks).toBeLessThanOrEqual(1031);
    expect(ms).toBeLessThan(5000); // about 0.25 s here
  });
});
