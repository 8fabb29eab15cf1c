import { describe, expect, it } from 'vitest';
import { McSfSpecSchema } from '../../../../runner/schedulers/mc-sf.js';
import { predictOutputLengths } from '../../../../runner/schedulers/output-length-predictor.js';
import { requestList } from '../../../helpers/request-lists.js';
import { mcSfFor, runScheduler } from './run-mc-sf.js';

describe('McSfSpecSchema', () => {
  it('fills the defaults: oracle predictor, epsilon 0, maxNumSeqs 128', () => {
    expect(McSfSpecSchema.parse({ policy: 'mc-sf' })).toEqual({
      policy: 'mc-sf',
      predictor: 'oracle',
      epsilon: 0,
      maxNumSeqs: 128,
    });
    expect(
      McSfSpecSchema.parse({ policy: 'mc-sf', predictor: 'noisy', epsilon: 0.8, maxNumSeqs: 4 }),
    ).toEqual({
      policy: 'mc-sf',
      predictor: 'noisy',
      epsilon: 0.8,
      maxNumSeqs: 4,
    });
  });

  it('rejects a negative epsilon with a message naming the field', () => {
    const r = McSfSpecSchema.safeParse({ policy: 'mc-sf', predictor: 'noisy', epsilon: -0.1 });
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0];
    expect(issue.path).toEqual(['epsilon']);
    expect(issue.message).toMatch(/epsilon/);
    const s = McSfSpecSchema.safeParse({ policy: 'mc-sf', epsilon: 'big' });
    expect(s.error!.issues[0].message).toMatch(/epsilon/);
  });

  it('rejects unknown fields, unknown predictors and a non-positive maxNumSeqs', () => {
    expect(McSfSpecSchema.safeParse({ policy: 'mc-sf', watermark: 0.01 }).success).toBe(false);
    expect(McSfSpecSchema.safeParse({ policy: 'mc-sf', predictor: 'learned' }).success).toBe(false);
    expect(McSfSpecSchema.safeParse({ policy: 'mc-sf', maxNumSeqs: 0 }).success).toBe(false);
    expect(McSfSpecSchema.safeParse({ policy: 'mc-sf', maxNumSeqs: 1.5 }).success).toBe(false);
    expect(McSfSpecSchema.safeParse({ policy: 'fcfs' }).success).toBe(false);
  });
});

describe('predictOutputLengths', () => {
  const outputs = Int32Array.from({ length: 2000 }, (_, i) => 1 + (i % 400));

  it('oracle returns the true lengths (epsilon and seed ignored)', () => {
    expect([...predictOutputLengths(outputs, 'oracle', 0.9, 3)]).toEqual([...outputs]);
  });

  it('noisy: round(o · U[1 - ε, 1 + ε]), at least 1, deterministic per seed, independent draws', () => {
    const a = predictOutputLengths(outputs, 'noisy', 0.5, 11);
    expect([...predictOutputLengths(outputs, 'noisy', 0.5, 11)]).toEqual([...a]);
    expect([...predictOutputLengths(outputs, 'noisy', 0.5, 12)]).not.toEqual([...a]);
    let sumRatio = 0;
    let below = 0;
    for (let i = 0; i < outputs.length; i++) {
      expect(a[i]).toBeGreaterThanOrEqual(Math.max(1, Math.floor(outputs[i] * 0.5)));
      expect(a[i]).toBeLessThanOrEqual(Math.ceil(outputs[i] * 1.5));
      sumRatio += a[i] / outputs[i];
      if (a[i] < outputs[i]) below++;
    }
    // Symmetric around the true length: mean ratio near 1, about half under-predicted.
    expect(sumRatio / outputs.length).toBeGreaterThan(0.95);
    expect(sumRatio / outputs.length).toBeLessThan(1.05);
    expect(below / outputs.length).toBeGreaterThan(0.4);
    expect(below / outputs.length).toBeLessThan(0.55);
    // epsilon > 1 can draw factors <= 0: those predict 1 token.
    expect(Math.min(...predictOutputLengths(outputs, 'noisy', 3, 11))).toBe(1);
    expect([...predictOutputLengths(outputs, 'noisy', 0, 11)]).toEqual([...outputs]);
  });

  it('throws RangeError on a negative epsilon or a bad seed', () => {
    expect(() => predictOutputLengths(outputs, 'noisy', -0.1, 1)).toThrow(/epsilon/);
    expect(() => predictOutputLengths(outputs, 'noisy', 0.1, -1)).toThrow(/seed/);
    expect(() => predictOutputLengths(outputs, 'noisy', 0.1, 2 ** 32)).toThrow(RangeError);
  });
});

describe('McSfScheduler construction', () => {
  const list = requestList([
    [0, 2, 3],
    [0, 2, 1],
  ]);

  it('refuses predictions that do not cover every request', () => {
    expect(() => mcSfFor(list, {}, { kvCapacityBlocks: 10 }, [3])).toThrow(RangeError);
  });

  it('refuses to plan for an engine whose machine is not the context machine', () => {
    expect(() =>
      runScheduler(list, mcSfFor(list, {}, { kvCapacityBlocks: 10 }), { kvCapacityBlocks: 12 }),
    ).toThrow(/not the context's machine/);
    expect(() =>
      runScheduler(list, mcSfFor(list, {}, { kvCapacityBlocks: 10 }), {
        kvCapacityBlocks: 10,
        tokenModel: 'paper',
      }),
    ).toThrow(/not the context's machine/);
  });

  it('holds no watermark', () => {
    expect(mcSfFor(list, {}, { kvCapacityBlocks: 10 }).reservedBlocks()).toBe(0);
  });
});
