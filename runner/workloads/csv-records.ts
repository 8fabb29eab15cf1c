/**
 * Splitting CSV text that arrives in pieces (see `text-chunks.ts`) into records of trimmed text
 * cells, each with its 1-based line number in the file, holding at most one piece plus one
 * unfinished record at a time.
 *
 * Text is parsed in batches that end at a line end. A batch without any double quote (all the
 * shipped traces) takes a fast path that splits lines and commas directly. A batch holding a quote
 * is cut at the last line end where the count of `"` since the batch start is even: RFC 4180
 * quoting (`"a ""b"""`) keeps that parity, so a newline inside a quoted field never ends a batch.
 * It is then parsed with csv-parse (about 10x slower), each record's line counted from its byte
 * offset in the batch plus the file's lines before the batch. Both paths trim cells, accept LF and
 * CRLF line ends and skip empty lines, so they give the same records.
 */
import { parse } from 'csv-parse/sync';
import { InputError, atLocation } from '../errors.js';
import { formatBytes } from './regular-file.js';
import type { TextSink } from './text-chunks.js';

/**
 * Longest text held without a line end that can close a record (16 Mi characters): a CSV record
 * or a JSON line of a trace is a few hundred bytes (a Mooncake line with its hash list a few KiB),
 * so a longer one is a quote left open or not a text file, refused before it exhausts the heap.
 */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

/** Receives one record: its cells (trimmed) and the 1-based line of the file it ends on. */
export type CsvRecordHandler = (cells: string[], line: number) => void;

/**
 * The error for text that has run past {@link MAX_RECORD_CHARS} without a line end that ends a
 * record, at the line where that text starts.
 */
export function recordTooLong(file: string, line: number, what: string): InputError {
  return new InputError(
    atLocation(
      file,
      line,
      `${what}: no end of record within ${formatBytes(MAX_RECORD_CHARS)} of text from this line ` +
        '(a quote left open, or not a text file?)',
    ),
    { file, line },
  );
}

/**
 * Turns CSV text pieces into records; a {@link TextSink}. Records are handed out in file order as
 * soon as the batch holding them is complete; `end()` parses what is left.
 */
export class CsvRecordSplitter implements TextSink {
  /** Text after the last batch, not yet parsed (no even-parity line end in it). */
  private pending = '';
  /** Lines of the file before `pending`. */
  private linesBefore = 0;

  /**
   * @param file the file's path, for messages
   * @param onRecord receives each non-empty record
   */
  constructor(
    private readonly file: string,
    private readonly onRecord: CsvRecordHandler,
  ) {}

  /**
   * Takes the next piece of text and parses every batch it completes.
   * @throws InputError `file:line: not valid CSV: ...` (csv-parse's message, its line numbers
   *   offset to the file's), or for a record that runs past {@link MAX_RECORD_CHARS}; whatever
   *   `onRecord` throws
   */
  push(text: string): void {
    if (this.pending.length > MAX_RECORD_CHARS) {
      throw recordTooLong(this.file, this.linesBefore + 1, 'not valid CSV');
    }
    const data = this.pending.length === 0 ? text : this.pending + text;
    const firstQuote = data.indexOf('"');
    const cut = firstQuote === -1 ? data.lastIndexOf('\n') + 1 : cutAtEvenQuotes(data);
    if (cut > 0) this.parse(data, cut, firstQuote !== -1 && firstQuote < cut);
    this.pending = cut === 0 ? data : data.slice(cut);
  }

  /**
   * Parses the text left after the last line end.
   * @throws InputError as {@link push} (an unclosed quote: csv-parse's `Quote Not Closed`)
   */
  end(): void {
    const data = this.pending;
    this.pending = '';
    if (data.length > 0) this.parse(data, data.length, data.includes('"'));
  }

  /** Parses `data[0, end)`, which ends at a record boundary, and counts its lines. */
  private parse(data: string, end: number, quoted: boolean): void {
    if (quoted) {
      this.parseQuoted(end === data.length ? data : data.slice(0, end));
      return;
    }
    let line = this.linesBefore;
    let start = 0;
    while (start < end) {
      let stop = data.indexOf('\n', start);
      if (stop === -1 || stop > end) stop = end;
      line += 1;
      const last = stop > start && data.charCodeAt(stop - 1) === 13 ? stop - 1 : stop; // CRLF
      if (last > start) {
        const cells = data.slice(start, last).split(',');
        for (let i = 0; i < cells.length; i++) cells[i] = cells[i].trim();
        this.onRecord(cells, line);
      }
      start = stop + 1;
    }
    this.linesBefore = data.charCodeAt(end - 1) === 10 ? line : line - 1;
  }

  /**
   * Parses a batch with csv-parse. A record's line is counted here from csv-parse's `info.bytes`
   * (UTF-8 bytes consumed, its line end included), not taken from `info.lines`, which counts a
   * CRLF inside a quoted field as two lines.
   */
  private parseQuoted(batch: string): void {
    const offset = this.linesBefore;
    let parsed: { record: string[]; info: { bytes: number } }[];
    try {
      parsed = parse(batch, {
        skip_empty_lines: true,
        trim: true,
        relax_column_count: true,
        info: true,
      }) as unknown as typeof parsed;
    } catch (err) {
      const at = (err as { lines?: number }).lines;
      const line = at === undefined ? undefined : at + offset;
      const message = (err as Error).message.replace(
        /\b(at|on) line (\d+)/g,
        (_, word: string, n: string) => `${word} line ${Number(n) + offset}`,
      );
      throw new InputError(atLocation(this.file, line, `not valid CSV: ${message}`), {
        file: this.file,
        line,
      });
    }
    const bytes = Buffer.from(batch);
    let lineEnds = 0; // '\n' bytes before `counted`
    let counted = 0;
    const countTo = (position: number): void => {
      for (let i = bytes.indexOf(10, counted); i !== -1 && i < position; i = bytes.indexOf(10, i + 1)) {
        lineEnds += 1;
      }
      counted = Math.max(counted, position);
    };
    for (const { record, info } of parsed) {
      countTo(info.bytes - 1); // the record's own line end, when it has one, is not counted
      this.onRecord(record, offset + lineEnds + 1);
    }
    countTo(bytes.length);
    this.linesBefore = offset + lineEnds;
  }
}

/**
 * Where a batch of quoted CSV text can end: just after the last `\n` outside quotes (an even count
 * of `"` before it), or 0 when there is none. Each character is looked at a bounded number of
 * times, so a long quoted field costs linear time.
 */
function cutAtEvenQuotes(data: string): number {
  let cut = 0;
  let outside = 0; // start of the current stretch outside quotes
  let newline = data.indexOf('\n');
  for (;;) {
    const open = data.indexOf('"', outside);
    const stop = open === -1 ? data.length : open;
    while (newline !== -1 && newline < stop) {
      if (newline >= outside) cut = newline + 1;
      newline = data.indexOf('\n', newline + 1);
    }
    if (open === -1) return cut;
    const close = data.indexOf('"', open + 1);
    if (close === -1) return cut;
    outside = close + 1;
  }
}
