import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockHashTable } from '../../../runner/engine/block-hash-table.js';

describe('BlockHashTable', () => {
  it('behaves as a Map under any sequence of sets and deletes within its size (property)', () => {
    // Keys from a small pool, many sharing their low bits (the slot), so clusters form and
    // deletions must shift entries back across them, wrap-around included.
    const key = fc.oneof(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 40 }).map((k) => k * 2 ** 32 + 7), // all in slot 7
      fc.integer({ min: 0, max: 40 }).map((k) => k * 2 ** 32 + 63), // the last slot of 64
      fc.integer({ min: 0, max: 2 ** 53 - 1 }),
    );
    const op = fc.tuple(fc.constantFrom('set', 'delete', 'get'), key, fc.integer({ min: 0, max: 1000 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new BlockHashTable(32); // 64 slots
        const model = new Map<number, number>();
        for (const [kind, k, v] of ops) {
          if (kind === 'set') {
            if (!model.has(k) && model.size >= 32) continue; // within maxEntries, as the pool keeps it
            table.set(k, v);
            model.set(k, v);
          } else if (kind === 'delete') {
            expect(table.delete(k)).toBe(model.delete(k));
          } else {
            expect(table.get(k)).toBe(model.get(k) ?? -1);
          }
          expect(table.size).toBe(model.size);
        }
        for (const [k, v] of model) expect(table.get(k)).toBe(v);
        expect(new Map(table.entries())).toEqual(model);
      }),
      { numRuns: 300, seed: 20261208 },
    );
  });

  it('holds its full size with every key in one cluster', () => {
    const table = new BlockHashTable(8); // 16 slots
    for (let k = 0; k < 8; k++) table.set(k * 2 ** 32 + 15, k);
    for (let k = 0; k < 8; k++) expect(table.get(k * 2 ** 32 + 15)).toBe(k);
    expect(table.delete(15)).toBe(true);
    for (let k = 1; k < 8; k++) expect(table.get(k * 2 ** 32 + 15)).toBe(k);
    expect(table.get(15)).toBe(-1);
    expect(table.size).toBe(7);
  });

  it('rejects a size it cannot hold', () => {
    expect(() => new BlockHashTable(-1)).toThrow(RangeError);
    expect(() => new BlockHashTable(1.5)).toThrow(/maxEntries/);
  });
});
