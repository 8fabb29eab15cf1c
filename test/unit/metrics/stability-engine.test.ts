import { describe, expect, it } from 'vitest';
import { simulate } from '../../../runner/engine/replica-engine.js';
import { fluidEquilibrium } from '../../../runner/fluid/fluid-equilibrium.js';
import type { PromptType } from '../../../runner/fluid/prompt-type.js';
import { resolveMachine } from '../../../runner/machines/resolve-machine.js';
import { assessStability } from '../../../runner/metrics/stability.js';
import { PolicySpecSchema } from '../../../runner/schedulers/policy-spec.js';
import { executeRun } from '../../../runner/sweeps/run-task.js';
import { buildRequestList, loadWorkload } from '../../../runner/workloads/build-workload.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { WorkloadSpecSchema } from '../../../runner/workloads/workload-spec.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

// A linear machine where the KV term dominates (d1 large), with room for M* many times over, so
// the fluid limit (arXiv 2504.11320v2 §3) is what binds: about 16 req/s for this two-type mix.
const MACHINE = { model: 'linear', d0: 0.01, d1: 1e-5, kvCapacityTokens: 100_000, blockSize: 1 } as const;
const MIX: PromptType[] = [
  { prompt: 50, output: 50, rate: 6 },
  { prompt: 50, output: 100, rate: 4 },
];
// fcfs with a batch cap above n* at every load tested here (the default 128 would bind first).
const FCFS = { policy: 'fcfs', maxNumSeqs: 1024 };

/** The mix with its rates scaled to `fraction` of the fluid stability limit, and its request list. */
function typedWorkload(fraction: number, seed: number): { types: PromptType[]; list: RequestList } {
  const fluid = fluidEquilibrium(MIX, MACHINE.d0, MACHINE.d1, 'vllm');
  const scale = (fraction * fluid.maxStableRateRps) / fluid.totalRateRps;
  const types = MIX.map((t) => ({ ...t, rate: t.rate * scale }));
  const spec = WorkloadSpecSchema.parse({ name: 'typed', types, requests: 2000 });
  return { types, list: buildRequestList(loadWorkload(spec, { specDir: '.' }), { seed }) };
}

/** fcfs on the typed workload at `fraction` of the fluid limit, judged by assessStability. */
function fcfsStability(fraction: number, seed: number) {
  const machine = resolveMachine(MACHINE);
  const { types, list } = typedWorkload(fraction, seed);
  const out = simulate(
    list,
    {
      kvCapacityBlocks: machine.kvCapacityBlocks,
      blockSize: machine.blockSize,
      iterationTime: machine.iterationTime,
      tokenModel: 'vllm',
    },
    schedulerFor(FCFS, list, {
      kvCapacityBlocks: machine.kvCapacityBlocks,
      blockSize: machine.blockSize,
      d0: MACHINE.d0,
      d1: MACHINE.d1,
      rateRps: types.reduce((sum, t) => sum + t.rate, 0),
      declaredTypes: types,
    }),
  );
  return assessStability(out.records, { endS: out.totals.endS });
}

describe('stability of engine runs against the fluid limit', () => {
  it('the fluid limit of the test mix is about 16 req/s', () => {
    expect(fluidEquilibrium(MIX, MACHINE.d0, MACHINE.d1, 'vllm').maxStableRateRps).toBeCloseTo(16.09, 2);
  });

  it.each([1, 2, 3])('fcfs at 50 %% of the fluid limit is stable (seed %i)', (seed) => {
    const result = fcfsStability(0.5, seed);
    expect(result.stable, result.reason).toBe(true);
    expect(Math.abs(result.growthFraction!)).toBeLessThan(0.02);
  });

  it.each([1, 2, 3])('fcfs at 150 %% of the fluid limit is unstable (seed %i)', (seed) => {
    const result = fcfsStability(1.5, seed);
    expect(result.stable, result.reason).toBe(false);
    // At least the fluid excess 1 - 1/1.5 of the arrivals piles up (fcfs does worse than the fluid).
    expect(result.growthFraction!).toBeGreaterThan(1 - 1 / 1.5);
    expect(result.pValue!).toBeLessThan(1e-6);
  });

  it('executeRun attaches the verdict to the run result', () => {
    const { types, list } = typedWorkload(1.5, 1);
    const result = executeRun({
      runId: 1,
      requests: list,
      machine: MACHINE,
      policy: PolicySpecSchema.parse(FCFS),
      tokenModel: 'vllm',
      horizonS: null,
      rateRps: types.reduce((sum, t) => sum + t.rate, 0),
      declaredTypes: types,
      seed: 1,
      slo: null,
      rejected: 0,
    });
    expect(result.stability).toEqual(fcfsStability(1.5, 1));
    expect(result.stability.stable).toBe(false);
  });
});
