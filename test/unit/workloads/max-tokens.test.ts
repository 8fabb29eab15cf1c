import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMaxTokens } from '../../../runner/workloads/max-tokens.js';

describe('applyMaxTokens (Vidur)', () => {
  it('scales a 3000 + 2000 request under maxTokens 4096 proportionally', () => {
    const p = Int32Array.of(3000);
    const o = Int32Array.of(2000);
    expect(applyMaxTokens(p, o, 4096)).toBe(1);
    // excess 904: prompt loses ceil(904*0.6) = 543, output ceil(904*0.4) = 362
    expect([p[0], o[0]]).toEqual([2457, 1638]);
    expect(p[0] + o[0]).toBeLessThanOrEqual(4096);
    expect(p[0]).toBeLessThan(3000);
    expect(o[0]).toBeLessThan(2000);
  });

  it('leaves requests within the cap alone', () => {
    const p = Int32Array.of(100, 4000);
    const o = Int32Array.of(50, 96);
    expect(applyMaxTokens(p, o, 4096)).toBe(0);
    expect(Array.from(p)).toEqual([100, 4000]);
    expect(Array.from(o)).toEqual([50, 96]);
  });

  it('keeps each side >= 1 and the total <= maxTokens for any input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 2, max: 100_000 }),
        (prompt, output, max) => {
          const p = Int32Array.of(prompt);
          const o = Int32Array.of(output);
          applyMaxTokens(p, o, max);
          expect(p[0]).toBeGreaterThanOrEqual(1);
          expect(o[0]).toBeGreaterThanOrEqual(1);
          if (prompt + output > max) expect(p[0] + o[0]).toBeLessThanOrEqual(max);
          else expect([p[0], o[0]]).toEqual([prompt, output]);
          expect(p[0]).toBeLessThanOrEqual(prompt);
          expect(o[0]).toBeLessThanOrEqual(output);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('handles the extreme split (1 + many) at the smallest cap', () => {
    const p = Int32Array.of(1, 9999);
    const o = Int32Array.of(9999, 1);
    applyMaxTokens(p, o, 2);
    expect(Array.from(p)).toEqual([1, 1]);
    expect(Array.from(o)).toEqual([1, 1]);
  });
});
