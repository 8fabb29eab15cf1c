import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError, atLocation } from '../errors.js';

/**
 * Most aliases (`*name`) a spec may resolve, counting the aliases inside aliased nodes: a few
 * nested aliases can otherwise stand for billions of nodes (a "billion laughs" alias bomb).
 */
export const MAX_ALIAS_COUNT = 100;

/** A path into a parsed spec: object keys and list indices, e.g. `['workloads', 1, 'arrival', 'rate']`. */
export type SpecPath = (string | number)[];

/** Formats a path the way users write it: `workloads[1].arrival.rate`. */
export function formatPath(path: SpecPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/**
 * A YAML spec file parsed once, keeping source positions so that any error can name the line.
 * Uses the `yaml` package's document API (LineCounter for offsets -> lines).
 */
export class SpecDocument {
  private constructor(
    readonly file: string,
    readonly text: string,
    readonly value: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses YAML text.
   * @param file path used in messages
   * @throws InputError naming the file and line for malformed YAML (first error only)
   */
  static parse(file: string, text: string): SpecDocument {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const line = err.linePos?.[0]?.line ?? lines.linePos(err.pos[0]).line;
      const reason = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(atLocation(file, line, `malformed YAML: ${reason}`), { file, line });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // The yaml package throws a ReferenceError for an alias count over maxAliasCount (and for
      // an alias to an anchor it cannot resolve).
      if (!(err instanceof ReferenceError)) throw err;
      const excessive = /excessive alias count/i.test(err.message);
      throw new InputError(
        `${file}: ` +
          (excessive
            ? `too many YAML aliases: they expand to more than ${MAX_ALIAS_COUNT} aliased nodes ` +
              '(an alias bomb?); write the values out or use fewer aliases'
            : `malformed YAML: ${err.message}`),
        { file },
      );
    }
    return new SpecDocument(file, text, value, doc, lines);
  }

  /**
   * The 1-based line of the node at `path`, or of its nearest existing ancestor; undefined when
   * not even the root has a position. For a missing key the parent mapping's line is given.
   */
  lineOf(path: SpecPath): number | undefined {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.doc.getIn(path.slice(0, depth), true) as
        { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line;
      // For scalar values getIn(..., true) returns the node; for a key-only match fall back to the pair's key.
      if (depth > 0) {
        const parent = depth === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, depth - 1), true);
        const key = path[depth - 1];
        if (isMap(parent) && typeof key === 'string') {
          const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
          const keyRange = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
          if (keyRange) return this.lines.linePos(keyRange[0]).line;
        }
        if (isSeq(parent) && typeof key === 'number') {
          const item = parent.items[key] as { range?: [number, number, number] } | undefined;
          if (item?.range) return this.lines.linePos(item.range[0]).line;
        }
      }
    }
    return undefined;
  }

  /** An InputError `file:line: field: message` for the node at `path`. */
  errorAt(path: SpecPath, message: string): InputError {
    const line = this.lineOf(path);
    const field = formatPath(path);
    return new InputError(atLocation(this.file, line, field ? `${field}: ${message}` : message), {
      file: this.file,
      line,
      field,
    });
  }
}
