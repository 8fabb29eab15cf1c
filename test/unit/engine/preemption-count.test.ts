import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../runner/engine/kv-blocks.js';
import { PolicyViolationError } from '../../../runner/engine/policy-violation.js';
import { simulate } from '../../../runner/engine/replica-engine.js';
import { RequestStatus } from '../../../runner/engine/request-status.js';
import type { EngineView, Scheduler } from '../../../runner/engine/scheduler.js';
import type { TokenModel } from '../../../runner/engine/token-model.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { mulberry32 } from '../../helpers/mulberry32.js';
import { requestList } from '../../helpers/request-lists.js';

/**
 * A policy that decides at random (seeded): decodes, prefill chunks (sometimes reserving blocks up
 * front), evictions, and iterations that schedule nothing while arrivals remain. It records, by
 * the definition of RequestRecords.preemptions, the pauses it causes: after each schedule(), a
 * request of the previous batch that still holds KV and is not in this batch was paused once (an
 * empty batch has no successor to compare with). It also checks blocksToDecode against the block
 * arithmetic of kv-blocks.ts before every decode.
 */
class RandomPolicy implements Scheduler {
  readonly name = 'random';
  readonly pauses: number[];
  private readonly live = new Set<number>();
  private previous: number[] = [];
  private arrived = 0;

  constructor(
    private readonly u: () => number,
    private readonly n: number,
  ) {
    this.pauses = new Array<number>(n).fill(0);
  }

  reservedBlocks(): number {
    return 0;
  }
  onArrival(id: number): void {
    this.live.add(id);
    this.arrived++;
  }
  onFinish(id: number): void {
    this.live.delete(id);
  }

  schedule(view: EngineView): void {
    const batch: number[] = [];
    const idle = this.arrived < this.n && this.u() < 0.15;
    if (!idle) {
      for (const id of [...this.live].sort(() => this.u() - 0.5)) this.tryOne(view, id, batch, 0.6);
      // With every request arrived the run must progress: then schedule the first that can run.
      if (batch.length === 0 && this.arrived === this.n) {
        for (const id of this.live) if (batch.length === 0) this.tryOne(view, id, batch, 1);
      }
    }
    for (const id of this.previous) {
      if (view.status(id) === RequestStatus.ACTIVE && !batch.includes(id)) this.pauses[id]++;
    }
    this.previous = batch;
  }

  private tryOne(view: EngineView, id: number, batch: number[], p: number): void {
    const u = this.u();
    const remaining = view.remainingPrefill(id);
    const mayDecode = remaining === 0 && (view.tokenModel === 'paper' || view.generatedTokens(id) > 0);
    if (p < 1 && view.status(id) === RequestStatus.ACTIVE && !view.isScheduled(id) && u > 0.95) {
      view.evict(id);
      return;
    }
    if (u > p) return;
    if (mayDecode) {
      const expected = Math.max(0, blocksFor(view.kvTokens(id) + 1, view.blockSize) - view.blocksHeld(id));
      expect(view.blocksToDecode(id)).toBe(expected);
      if (expected > view.freeBlocks()) return;
      view.decode(id);
    } else {
      const tokens = 1 + Math.floor(this.u() * remaining);
      const reserve = this.u() < 0.3 ? view.prefillTarget(id) + Math.floor(this.u() * 9) : 0;
      const need = Math.max(
        0,
        blocksFor(Math.max(view.kvTokens(id) + tokens, reserve), view.blockSize) - view.blocksHeld(id),
      );
      if (need > view.freeBlocks()) return;
      view.prefill(id, tokens, reserve);
    }
    batch.push(id);
  }
}

describe('preemption counts (paused with KV kept), counted lazily by the engine', () => {
  const models: TokenModel[] = ['vllm', 'paper'];
  for (let seed = 1; seed <= 24; seed++) {
    const tokenModel = models[seed % 2];
    const blockSize = [1, 3, 16][seed % 3];
    const horizonS = seed % 4 === 0 ? 40 : undefined;
    it(`match the definition under random decisions (seed ${seed}, ${tokenModel}, block ${blockSize}${horizonS ? ', horizon' : ''})`, () => {
      const u = mulberry32(seed);
      const rows: [number, number, number][] = [];
      let t = 0;
      for (let i = 0; i < 40; i++) {
        t += u() < 0.2 ? 5 + 10 * u() : u();
        rows.push([t, 1 + Math.floor(u() * 20), 1 + Math.floor(u() * 12)]);
      }
      const policy = new RandomPolicy(u, rows.length);
      const out = simulate(
        requestList(rows),
        {
          kvCapacityBlocks: 2000,
          blockSize,
          iterationTime: new LinearIterationTimeModel(0.5, 0),
          tokenModel,
          horizonS,
        },
        policy,
      );
      expect([...out.records.preemptions]).toEqual(policy.pauses);
      expect(policy.pauses.some((x) => x > 0)).toBe(true);
      expect(out.records.evictions.some((x) => x > 0)).toBe(true);
    });
  }

  it('still rejects a decode that needs a block when none is free', () => {
    // Two one-token prompts fill both blocks; request 0's decode then needs a second block.
    const one = requestList([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    const decodeAlways: Scheduler = {
      name: 'greedy',
      reservedBlocks: () => 0,
      onArrival: () => undefined,
      onFinish: () => undefined,
      schedule: (v) => {
        if (v.iteration > 1) return v.decode(0);
        v.prefill(0, 1);
        v.prefill(1, 1);
      },
    };
    const run = () =>
      simulate(
        one,
        { kvCapacityBlocks: 2, blockSize: 1, iterationTime: new LinearIterationTimeModel(1, 0) },
        decodeAlways,
      );
    expect(run).toThrow(PolicyViolationError);
    try {
      run();
    } catch (e) {
      expect((e as PolicyViolationError).rule).toBe('kv-capacity');
      expect((e as PolicyViolationError).message).toMatch(
        /decode of request #0 needs 1 more block\(s\) but only 0 of 2 are free/,
      );
    }
  });
});
