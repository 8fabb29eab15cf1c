import { endianness } from 'node:os';
import { deflateSync, inflateSync } from 'node:zlib';

/** A typed-array column of a struct-of-arrays (runner/engine/run-records.ts). */
export type Column = Float64Array | Int32Array;

/**
 * How a column's bytes are stored (`run_columns.codec`, `run_digests.codec`):
 * - `f64-shuffle-deflate` / `i32-shuffle-deflate`: the elements' little-endian bytes (8 for a
 *   Float64, 4 for an Int32) byte-shuffled (transposed: byte 0 of every element, then byte 1 of
 *   every element, ...), then zlib-deflated (RFC 1950, with its Adler-32 check). Shuffling puts the
 *   slowly varying sign/exponent bytes and the high integer bytes side by side, which deflate
 *   compresses far better (the "shuffle" filter of HDF5 and Blosc);
 * - `f64-deflate` / `i32-deflate`: the little-endian bytes deflated as they are (better for a
 *   column whose values repeat whole, such as max_itl_s's NaNs and repeated gaps).
 * All are lossless: every bit of every element (NaN payloads, -0, subnormals) reads back.
 */
export type ColumnCodec = 'f64-shuffle-deflate' | 'i32-shuffle-deflate' | 'f64-deflate' | 'i32-deflate';

/** Every codec a reader knows. */
export const COLUMN_CODECS: readonly ColumnCodec[] = [
  'f64-shuffle-deflate',
  'i32-shuffle-deflate',
  'f64-deflate',
  'i32-deflate',
];

/** A column as stored: its codec, its element count and its bytes. */
export interface EncodedColumn {
  /** How `data` encodes the elements. */
  readonly codec: ColumnCodec;
  /** Elements of the column. */
  readonly length: number;
  /**
   * The encoded bytes; a Uint8Array owning its whole ArrayBuffer (a structured clone to the main
   * thread copies a view's whole buffer, so it must not be a slice of a larger pool).
   */
  readonly data: Uint8Array;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** The little-endian bytes of a column, shuffled or not (a fresh buffer, or a view when already LE and unshuffled). */
function columnBytes(column: Column, shuffle: boolean): Uint8Array {
  const width = column.BYTES_PER_ELEMENT;
  const native = new Uint8Array(column.buffer, column.byteOffset, column.byteLength);
  if (!shuffle && LITTLE_ENDIAN) return native;
  const n = column.length;
  const out = new Uint8Array(native.length);
  for (let k = 0; k < width; k++) {
    const from = LITTLE_ENDIAN ? k : width - 1 - k; // native position of little-endian byte k
    const at = shuffle ? k * n : k;
    const step = shuffle ? 1 : width;
    for (let i = 0, j = from, o = at; i < n; i++, j += width, o += step) out[o] = native[j];
  }
  return out;
}

/** A Uint8Array with exactly its own ArrayBuffer (zlib's output may be a slice of a shared pool). */
function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : Uint8Array.prototype.slice.call(bytes);
}

/**
 * Encodes a typed-array column losslessly (see ColumnCodec).
 *
 * @param column a Float64Array or an Int32Array
 * @param shuffle byte-shuffle before deflating (the right choice for most columns)
 * @returns the codec, the element count and the bytes
 */
export function encodeColumn(column: Column, shuffle = true): EncodedColumn {
  const kind = column instanceof Float64Array ? 'f64' : 'i32';
  const codec = `${kind}-${shuffle ? 'shuffle-' : ''}deflate` as ColumnCodec;
  return { codec, length: column.length, data: owned(deflateSync(columnBytes(column, shuffle))) };
}

/**
 * Decodes a column encoded by {@link encodeColumn}.
 *
 * @param encoded the stored codec, element count and bytes
 * @param where names the column in messages (`run 12 requests.arrival_s`)
 * @returns a Float64Array (`f64-*` codecs) or an Int32Array (`i32-*`) of `encoded.length` elements
 * @throws Error naming `where` when the codec is unknown, the bytes do not inflate (corrupt) or
 *   inflate to another size than length x element width
 */
export function decodeColumn(encoded: EncodedColumn, where: string): Column {
  const { codec, length } = encoded;
  if (!COLUMN_CODECS.includes(codec)) {
    throw new Error(
      `${where}: unknown column codec ${JSON.stringify(codec)} (written by a newer schedbench?)`,
    );
  }
  const shuffle = codec.includes('shuffle');
  const column = codec.startsWith('f64') ? new Float64Array(length) : new Int32Array(length);
  const width = column.BYTES_PER_ELEMENT;
  let bytes: Uint8Array;
  try {
    bytes = inflateSync(encoded.data);
  } catch (err) {
    throw new Error(`${where}: corrupt column data (${(err as Error).message})`, { cause: err });
  }
  if (bytes.length !== length * width) {
    throw new Error(
      `${where}: corrupt column data (${bytes.length} bytes for ${length} elements of ${width})`,
    );
  }
  const native = new Uint8Array(column.buffer);
  if (!shuffle && LITTLE_ENDIAN) {
    native.set(bytes);
    return column;
  }
  for (let k = 0; k < width; k++) {
    const to = LITTLE_ENDIAN ? k : width - 1 - k;
    const at = shuffle ? k * length : k;
    const step = shuffle ? 1 : width;
    for (let i = 0, j = to, o = at; i < length; i++, j += width, o += step) native[j] = bytes[o];
  }
  return column;
}
