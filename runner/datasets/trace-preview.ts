/**
 * The import preview of a user's trace (CSV with a header, or JSON Lines): its fields, its first
 * rows, a mapping of fields to arrival time / prompt tokens / output tokens (the user's, else a
 * guess), and, once the mapping is complete, the whole file read with it: the dataset's summary,
 * or the first problem with its line and column.
 */
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import { parseCsv } from '../workloads/csv-table.js';
import { readGenericTrace } from '../workloads/generic-trace.js';
import { readRegularFileHead } from '../workloads/regular-file.js';
import type { TimeUnit } from '../workloads/timestamp.js';
import type { TraceColumns } from '../workloads/workload-spec.js';
import { summarizeDataset, type DatasetSummary } from './dataset-summary.js';
import { suggestTraceMapping, type TraceMapping } from './trace-column-suggestion.js';

/** Rows shown in the preview. */
export const PREVIEW_ROWS = 10;
/** Bytes read from the start of the file for the fields and the rows shown. */
const HEAD_BYTES = 256 * 1024;

/** What the user chose so far; anything omitted is guessed. */
export interface TracePreviewRequest {
  /** Absolute path. */
  path: string;
  /** Default: from the extension (.jsonl, .ndjson, .json: jsonl; .csv: csv), else from the content. */
  format?: 'csv' | 'jsonl' | undefined;
  columns?: Partial<TraceColumns> | undefined;
  timestampFormat?: 'seconds' | 'datetime' | undefined;
  timeUnit?: TimeUnit | undefined;
}

/** A problem reading the file with the mapping. */
export interface TraceProblem {
  message: string;
  /** 1-based line of the file, when the problem is on one. */
  line: number | null;
  /** The column (field name) at fault, when known. */
  column: string | null;
}

/** The preview. */
export interface TracePreview {
  path: string;
  format: 'csv' | 'jsonl';
  sizeBytes: number;
  /** Field names: the CSV header, or the keys of the first JSON objects in order of appearance. */
  fields: string[];
  /** The first PREVIEW_ROWS rows: their line and their cells by field (null: absent). */
  rows: { line: number; cells: (string | null)[] }[];
  /** The mapping used: the request's choices, the rest guessed (see suggestTraceMapping). */
  mapping: TraceMapping;
  /**
   * The whole file read with the mapping: the summary, or the first problem; null while the
   * mapping lacks a field.
   */
  check: { ok: true; summary: DatasetSummary } | { ok: false; problem: TraceProblem } | null;
}

/**
 * Previews a trace file for import.
 * @throws InputError naming the path when the file is missing or unreadable, or field `format`
 *   when its head is neither a CSV with a header nor JSON Lines
 */
export function previewTrace(req: TracePreviewRequest): TracePreview {
  // Refuses a missing file, a FIFO, a device, a directory... before reading a byte.
  const { text: head, complete, size: sizeBytes } = readHead(req.path);
  const format = req.format ?? guessFormat(req.path, head);
  const { fields, rows, samples } = format === 'csv' ? csvHead(req.path, head) : jsonlHead(req.path, head);
  if (!complete && rows.length === 0) {
    throw new InputError(`${req.path}: the first ${HEAD_BYTES / 1024} KiB hold no complete row`, {
      file: req.path,
    });
  }
  const guess = suggestTraceMapping(fields, (f) => samples(f));
  const columns = { ...guess.columns, ...definedOnly(req.columns ?? {}) };
  const timestampFormat = req.timestampFormat ?? guess.timestampFormat;
  const mapping: TraceMapping = {
    columns,
    timestampFormat,
    timeUnit: timestampFormat === 'datetime' ? null : (req.timeUnit ?? guess.timeUnit ?? 's'),
  };
  return {
    path: req.path,
    format,
    sizeBytes,
    fields,
    rows,
    mapping,
    check: checkTrace(req.path, format, mapping),
  };
}

/**
 * Reads the whole file with a complete mapping.
 * @returns null when the mapping lacks a field; else the summary or the first problem
 */
export function checkTrace(
  path: string,
  format: 'csv' | 'jsonl',
  mapping: TraceMapping,
): TracePreview['check'] {
  const { arrival, prompt, output } = mapping.columns;
  if (arrival === undefined || prompt === undefined || output === undefined) return null;
  try {
    const table = readGenericTrace(
      path,
      {
        format,
        columns: { arrival, prompt, output },
        timeUnit: mapping.timeUnit ?? 's',
        timestampFormat: mapping.timestampFormat,
      },
      'path',
      'columns',
    );
    return { ok: true, summary: summarizeDataset(table) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return {
      ok: false,
      problem: { message: e.message, line: e.location.line ?? null, column: e.location.field ?? null },
    };
  }
}

function definedOnly(columns: Partial<TraceColumns>): Partial<TraceColumns> {
  return Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined && v !== ''));
}

/** The first HEAD_BYTES of the file, cut after its last complete line (unless it is all of it). */
function readHead(path: string): { text: string; complete: boolean; size: number } {
  const { head: bytes, size } = readRegularFileHead(path, HEAD_BYTES + 1, { field: 'path', what: 'trace' });
  const complete = bytes.length <= HEAD_BYTES;
  let text = bytes.subarray(0, Math.min(bytes.length, HEAD_BYTES)).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!complete) text = text.slice(0, text.lastIndexOf('\n') + 1);
  return { text, complete, size };
}

function guessFormat(path: string, head: string): 'csv' | 'jsonl' {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  return head.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

interface Head {
  fields: string[];
  rows: TracePreview['rows'];
  samples: (field: string) => unknown[];
}

function csvHead(path: string, head: string): Head {
  let table;
  try {
    table = parseCsv(head, path);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`${e.message} (read as CSV; choose JSON Lines if it is one)`, {
      ...e.location,
      field: 'format',
    });
  }
  const fields = [...table.header];
  const rows = table.rows
    .slice(0, PREVIEW_ROWS)
    .map((cells, i) => ({ line: table.lines[i], cells: [...cells] }));
  return {
    fields,
    rows,
    samples: (field) => {
      const i = fields.indexOf(field);
      return rows.map((r) => r.cells[i]);
    },
  };
}

function jsonlHead(path: string, head: string): Head {
  const objects: { line: number; value: Record<string, unknown> }[] = [];
  const lines = head.split('\n');
  for (let i = 0; i < lines.length && objects.length < PREVIEW_ROWS; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new InputError(
        `${path}:${i + 1}: not valid JSON (${(e as Error).message}); choose CSV if it is one`,
        {
          file: path,
          line: i + 1,
          field: 'format',
        },
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError(`${path}:${i + 1}: expected one JSON object per line`, {
        file: path,
        line: i + 1,
        field: 'format',
      });
    }
    objects.push({ line: i + 1, value: value as Record<string, unknown> });
  }
  const fields = [...new Set(objects.flatMap((o) => Object.keys(o.value)))];
  const show = (v: unknown): string | null => {
    if (v === undefined) return null;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  return {
    fields,
    rows: objects.map((o) => ({ line: o.line, cells: fields.map((f) => show(o.value[f])) })),
    samples: (field) => objects.map((o) => o.value[field]),
  };
}
