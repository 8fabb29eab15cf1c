/**
 * Reading an open file's text in fixed-size chunks, synchronously, so that a trace is never held
 * whole: each chunk of bytes is decoded as UTF-8 with `node:string_decoder` (a character split
 * across two chunks is completed by the next one), a leading byte-order mark is removed, and the
 * text is handed to a {@link TextSink} (a line or record splitter). A cheap first pass,
 * {@link countLineEnds}, counts `\n` bytes without decoding, to size the columns before parsing.
 */
import { readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Bytes read per `readSync` (1 MiB): large enough for few calls, small next to the columns. */
export const TEXT_CHUNK_BYTES = 1024 * 1024;

/** Receives a file's text piece by piece, in order; pieces are cut anywhere, even inside a line. */
export interface TextSink {
  /** Takes the next piece of text. */
  push(text: string): void;
  /** Called once after the last piece. */
  end(): void;
}

/**
 * Counts the `\n` bytes of an open file, reading it from offset 0 (the descriptor's own position
 * is not used or moved). UTF-8 never uses byte 0x0A inside a multi-byte character, so this is the
 * number of line ends of the text.
 * @param fd an open descriptor of a regular file
 * @param chunkBytes bytes per read (default {@link TEXT_CHUNK_BYTES})
 * @returns the count; the file has at most that count + 1 lines
 */
export function countLineEnds(fd: number, chunkBytes: number = TEXT_CHUNK_BYTES): number {
  const buffer = Buffer.allocUnsafe(chunkBytes);
  let count = 0;
  let position = 0;
  for (;;) {
    const n = readSync(fd, buffer, 0, chunkBytes, position);
    if (n === 0) return count;
    position += n;
    const bytes = n === chunkBytes ? buffer : buffer.subarray(0, n);
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count += 1;
  }
}

/**
 * Reads an open file from offset 0 to its end and hands its text to `sink`: UTF-8 decoded across
 * chunk boundaries (an invalid byte becomes U+FFFD, as `Buffer.toString` does), a leading
 * byte-order mark removed; `sink.end()` is called after the last piece.
 * @param fd an open descriptor of a regular file (not closed here)
 * @param sink the splitter that takes the text
 * @param chunkBytes bytes per read (default {@link TEXT_CHUNK_BYTES}; tests use small ones)
 * @throws whatever `sink` throws (e.g. an InputError for a bad row), and an fs error from a read
 */
export function readTextChunks(fd: number, sink: TextSink, chunkBytes: number = TEXT_CHUNK_BYTES): void {
  const buffer = Buffer.allocUnsafe(chunkBytes);
  const decoder = new StringDecoder('utf8');
  let first = true;
  const hand = (text: string): void => {
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length > 0) sink.push(text);
  };
  let position = 0;
  for (;;) {
    const n = readSync(fd, buffer, 0, chunkBytes, position);
    if (n === 0) break;
    position += n;
    hand(decoder.write(n === chunkBytes ? buffer : buffer.subarray(0, n)));
  }
  hand(decoder.end());
  sink.end();
}

/**
 * Counts `\n` in a text held whole (the {@link countLineEnds} of a text already read).
 * @returns the count; the text has at most that count + 1 lines
 */
export function countTextLineEnds(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count += 1;
  return count;
}
