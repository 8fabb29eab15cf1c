import { describe, expect, it } from 'vitest';
import { simulate } from '../../../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { POLICY_NAMES, PolicySpecSchema } from '../../../runner/schedulers/policy-spec.js';
import { requestList } from '../../helpers/request-lists.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

const list = requestList([
  [0, 40, 30],
  [0.01, 300, 80],
  [0.02, 120, 50],
  [0.5, 60, 200],
  [0.6, 500, 20],
]);

describe('policy registry', () => {
  it('knows every policy, in registry order', () => {
    expect(POLICY_NAMES).toEqual(['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'wait', 'nested-wait', 'mc-sf']);
  });

  it('validates each entry with its own schema and creates its scheduler', () => {
    for (const policy of POLICY_NAMES) {
      const spec = PolicySpecSchema.parse({ policy });
      expect(spec.policy).toBe(policy);
      expect(schedulerFor({ policy }, list, { kvCapacityBlocks: 200, blockSize: 16 }).name).toBe(policy);
    }
  });

  it('rejects an unknown policy naming the known ones', () => {
    const r = PolicySpecSchema.safeParse({ policy: 'sjf' });
    expect(r.error?.issues[0].message).toBe(`unknown policy "sjf" (known: ${POLICY_NAMES.join(', ')})`);
  });
});

describe('reservedBlocks of the watermark policies', () => {
  for (const policy of ['vllm', 'sarathi']) {
    it(`${policy}: floor(watermark x capacity) + 1, with no side effect on the run`, () => {
      const run = (probe: boolean) => {
        const scheduler = schedulerFor({ policy, watermark: 0.1 }, list, {
          kvCapacityBlocks: 60,
          blockSize: 16,
        });
        if (probe) {
          expect(scheduler.reservedBlocks(1000)).toBe(101);
          expect(scheduler.reservedBlocks(1000)).toBe(101);
        }
        expect(scheduler.reservedBlocks(60)).toBe(7);
        const out = simulate(
          list,
          { kvCapacityBlocks: 60, blockSize: 16, iterationTime: new LinearIterationTimeModel(0.01, 1e-6) },
          scheduler,
        );
        return JSON.stringify(out.totals);
      };
      expect(run(true)).toBe(run(false));
    });
  }
});
