import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeColumn, encodeColumn } from '../../../runner/store/column-blob-codec.js';

/** The bytes of a typed array (bit-exact comparison: NaN payloads, -0). */
function bytes(a: Float64Array | Int32Array): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

describe('column blob codec', () => {
  it('round-trips every bit of Float64 columns, shuffled or not: NaN payloads, -0, subnormals, infinities', () => {
    const special = new Float64Array([0, -0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 1 / 3]);
    new DataView(special.buffer).setBigUint64(2 * 8, 0x7ff8_dead_beef_0001n, true); // a NaN with a payload
    for (const shuffle of [true, false]) {
      const encoded = encodeColumn(special, shuffle);
      expect(encoded.codec).toBe(shuffle ? 'f64-shuffle-deflate' : 'f64-deflate');
      expect(encoded.length).toBe(8);
      expect(bytes(decodeColumn(encoded, 'test'))).toEqual(bytes(special));
    }
  });

  it('round-trips arbitrary Float64 and Int32 columns (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double()),
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
        fc.boolean(),
        (d, i, shuffle) => {
          const f = Float64Array.from(d);
          const n = Int32Array.from(i);
          expect(bytes(decodeColumn(encodeColumn(f, shuffle), 'f'))).toEqual(bytes(f));
          const ints = decodeColumn(encodeColumn(n, shuffle), 'i');
          expect(ints).toBeInstanceOf(Int32Array);
          expect(Array.from(ints)).toEqual(i);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodes a subarray view by its own elements, into a buffer of its own', () => {
    const whole = Float64Array.from([1, 2, 3, 4, 5]);
    const encoded = encodeColumn(whole.subarray(1, 3));
    expect(encoded.data.byteOffset).toBe(0);
    expect(encoded.data.buffer.byteLength).toBe(encoded.data.byteLength);
    expect(Array.from(decodeColumn(encoded, 'x'))).toEqual([2, 3]);
  });

  it('names the column when the stored bytes are corrupt, of the wrong size or of an unknown codec', () => {
    const good = encodeColumn(Int32Array.from([1, 2, 3]));
    expect(() =>
      decodeColumn({ ...good, data: new Uint8Array([1, 2, 3]) }, 'run 1 requests.evictions'),
    ).toThrow(/^run 1 requests\.evictions: corrupt column data/);
    expect(() => decodeColumn({ ...good, length: 4 }, 'run 1 x')).toThrow(
      'run 1 x: corrupt column data (12 bytes for 4 elements of 4)',
    );
    expect(() => decodeColumn({ ...good, codec: 'zstd' as never }, 'run 1 x')).toThrow(
      'run 1 x: unknown column codec "zstd" (written by a newer schedbench?)',
    );
  });
});
