import { describe, expect, it } from 'vitest';
import { formatNumber } from '../../../runner/reports/format-number.js';

describe('formatNumber', () => {
  it.each([
    [null, '-'],
    [0, '0'],
    [1000, '1000'],
    [-42, '-42'],
    [12.3456, '12.35'],
    [0.123456, '0.1235'],
    [0.5, '0.5000'],
    [1234.56, '1235'],
    [9999.7, '10000'],
    [12345.6, '12346'],
    [0.000123456, '1.235e-4'],
    [2e20, '2.000e+20'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'inf'],
  ])('%s -> %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});
