import { describe, expect, it } from 'vitest';
import {
  CHART_SIGNIFICANT_DIGITS,
  roundAll,
  roundSignificant,
} from '../../../runner/reports/significant-digits.js';
import { mulberry32 } from '../../helpers/mulberry32.js';

describe('roundSignificant', () => {
  it('keeps CHART_SIGNIFICANT_DIGITS digits and prints short in JSON', () => {
    expect(CHART_SIGNIFICANT_DIGITS).toBe(4);
    expect(roundSignificant(0.012345678)).toBe(0.01235);
    expect(roundSignificant(17.968600793137732)).toBe(17.97);
    expect(roundSignificant(1234.5678)).toBe(1235);
    expect(roundSignificant(123456.78)).toBe(123500);
    expect(roundSignificant(-0.00098765)).toBe(-0.0009877);
    expect(roundSignificant(9999.6)).toBe(10000);
    expect(roundSignificant(0.0003333333333333333)).toBe(0.0003333);
    expect(JSON.stringify(roundAll([0.1 + 0.2, 1 / 3, 2 / 3]))).toBe('[0.3,0.3333,0.6667]');
  });

  it('agrees with toPrecision, within half a unit of the last digit kept, for any magnitude', () => {
    const random = mulberry32(11, '(0, 1)');
    for (let i = 0; i < 20_000; i++) {
      const x = (random() < 0.5 ? -1 : 1) * random() * 10 ** Math.floor(random() * 40 - 20);
      for (const digits of [1, 4, 5]) {
        const rounded = roundSignificant(x, digits);
        expect(rounded).toBeCloseTo(Number(x.toPrecision(digits)), 20 - Math.floor(Math.log10(Math.abs(x))));
        expect(Math.abs(rounded - x)).toBeLessThanOrEqual(
          Math.abs(x) * 0.5 * 10 ** (1 - digits) * (1 + 1e-12),
        );
        expect(
          String(rounded)
            .replace(/^-?0\.0*|[-.]|e.*$/g, '')
            .replace(/0+$/, '').length,
        ).toBeLessThanOrEqual(digits);
      }
    }
  });

  it('leaves zero, infinities, NaN and null (roundAll) alone, and refuses bad digits', () => {
    expect(roundSignificant(0)).toBe(0);
    expect(roundSignificant(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(roundSignificant(Number.NaN)).toBeNaN();
    expect(roundAll([null, 1.23456, null])).toEqual([null, 1.235, null]);
    expect(roundAll(Float64Array.of(2.71828))).toEqual([2.718]);
    expect(() => roundSignificant(1, 0)).toThrow(RangeError);
    expect(() => roundSignificant(1, 2.5)).toThrow(RangeError);
  });
});
