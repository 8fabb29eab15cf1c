/**
 * Splitting JSON Lines text that arrives in pieces (see `text-chunks.ts`) into objects, one per
 * non-empty line, each with its 1-based line number, holding at most one piece plus one unfinished
 * line at a time.
 */
import { InputError, atLocation } from '../errors.js';
import { MAX_RECORD_CHARS, recordTooLong } from './csv-records.js';
import type { TextSink } from './text-chunks.js';

/** Receives one line's object and its 1-based line number. */
export type JsonlRecordHandler = (record: Record<string, unknown>, line: number) => void;

/** Turns JSON Lines text pieces into objects; a {@link TextSink}. Blank lines are skipped. */
export class JsonlRecordSplitter implements TextSink {
  /** Text after the last line end, not yet parsed. */
  private pending = '';
  /** Lines of the file before `pending`. */
  private linesBefore = 0;

  /**
   * @param file the file's path, for messages
   * @param onRecord receives each line's object
   */
  constructor(
    private readonly file: string,
    private readonly onRecord: JsonlRecordHandler,
  ) {}

  /**
   * Takes the next piece of text and parses every line it completes.
   * @throws InputError `file:line: not valid JSON: ...`, `file:line: expected one JSON object per
   *   line`, or for a line longer than {@link MAX_RECORD_CHARS}; whatever `onRecord` throws
   */
  push(text: string): void {
    if (this.pending.length > MAX_RECORD_CHARS) {
      throw recordTooLong(this.file, this.linesBefore + 1, 'not valid JSON');
    }
    const data = this.pending.length === 0 ? text : this.pending + text;
    const cut = data.lastIndexOf('\n') + 1;
    if (cut > 0) this.parse(data, cut);
    this.pending = cut === 0 ? data : data.slice(cut);
  }

  /**
   * Parses the last line when the text does not end with a line end.
   * @throws InputError as {@link push}
   */
  end(): void {
    const data = this.pending;
    this.pending = '';
    if (data.length > 0) this.parse(data, data.length);
  }

  /** Parses the lines of `data[0, end)`; `end` is just after a `\n` or the end of the text. */
  private parse(data: string, end: number): void {
    const file = this.file;
    let line = this.linesBefore;
    let start = 0;
    while (start < end) {
      let stop = data.indexOf('\n', start);
      if (stop === -1 || stop > end) stop = end;
      line += 1;
      const raw = data.slice(start, stop).trim();
      start = stop + 1;
      if (raw === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new InputError(atLocation(file, line, `not valid JSON: ${(err as Error).message}`), {
          file,
          line,
        });
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InputError(atLocation(file, line, 'expected one JSON object per line'), { file, line });
      }
      this.onRecord(value as Record<string, unknown>, line);
    }
    this.linesBefore = line;
  }
}
