import Table from 'cli-table3';
import type { MachineRegistry } from '../machines/machine-registry.js';
import { formatMeanWithInterval, metricsOfRows, type SummaryRow } from '../reports/seed-summary.js';
import { sweepSummaryMarkdown, verdictSentence, type SweepSummaryData } from '../reports/verdicts.js';
import type { Store } from '../store/store.js';
import { sweepSummaryOf } from '../sweeps/sweep-summary.js';
import { terminalWidth, wrapText } from './terminal-text.js';

/** Formats of `schedbench summary`. */
export const SUMMARY_FORMATS = ['table', 'markdown', 'json'] as const;
export type SummaryFormat = (typeof SUMMARY_FORMATS)[number];

/**
 * The format of `schedbench summary` without `--format`: an aligned table on a terminal, the
 * Markdown (for a document or another program) when stdout is a file or a pipe.
 */
export function defaultSummaryFormat(stdout: { isTTY?: boolean } = process.stdout): SummaryFormat {
  return stdout.isTTY ? 'table' : 'markdown';
}

/**
 * `schedbench summary SWEEP_ID`: per workload, rate and key metric, which policy is best and by
 * how much the others differ (paired over seeds, 95 % interval; docs/metrics.md, "Verdicts"),
 * then per workload, rate and policy each key metric's mean over the seeds with its 95 %
 * confidence interval. Table and Markdown: the verdicts as sentences above the table (the table
 * is split into several, each repeating workload, rate and policy, where it is wider than
 * `width`); JSON: `{ rows, verdicts, notes }` (SweepSummaryData, the same as the API's
 * `sweeps.summary`); a sweep with capacity searches adds a capacity verdict per workload
 * (sweepSummaryOf).
 * @param width terminal width for the table format (default: terminalWidth())
 * @throws InputError when the sweep does not exist (via the caller's chooseSweep)
 */
export function summaryCommand(
  store: Store,
  sweepId: number,
  format: SummaryFormat,
  registry?: () => MachineRegistry,
  width: number = terminalWidth(),
): string {
  const data = sweepSummaryOf(store, sweepId, registry);
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'markdown') return sweepSummaryMarkdown(data);
  return summaryTerminalText(data, width);
}

/** Widest a column gets (its content; cli-table3 adds one space of padding either side) before its cells wrap. */
const COLUMN_CAP = 20;

/**
 * The summary for a terminal: the verdict sentences (capacity first, then the paired verdicts,
 * then notes) wrapped at `width`, then the seed summary as aligned tables (cli-table3), one per
 * workload and rate: a row per key metric (after the seeds and the stability count), a column per
 * policy. Where the policies do not fit `width`, they are spread over several tables; long cells
 * wrap at spaces.
 */
export function summaryTerminalText(data: SweepSummaryData, width: number): string {
  const out: string[] = [];
  const bullets = (title: string, sentences: string[]): void => {
    if (sentences.length === 0) return;
    out.push(...wrapText(title, width), '');
    for (const s of sentences) out.push(...wrapText(`- ${s}`, width, '  '));
    out.push('');
  };
  const capacity = data.verdicts.filter((v) => v.metric === 'max_rate_rps');
  const paired = data.verdicts.filter((v) => v.metric !== 'max_rate_rps');
  bullets(
    'Capacity (the largest offered rate each policy sustains; brackets from `schedbench capacity`):',
    capacity.map(verdictSentence),
  );
  bullets(
    `Verdicts, paired over seeds (a seed gives every policy${paired.some((v) => v.kind === 'machines') ? ' on every machine' : ''} the same requests; 95 % t interval of the log ratio, docs/metrics.md):`,
    paired.map(verdictSentence),
  );
  for (const n of data.notes) out.push(...wrapText(`Note: ${n}`, width, '  '));
  if (data.notes.length > 0) out.push('');
  if (data.rows.length === 0) out.push('No done runs to summarise.');
  else out.push(...summaryTables(data.rows, width));
  return `${out.join('\n')}\n`;
}

function summaryTables(rows: readonly SummaryRow[], width: number): string[] {
  const groups = new Map<string, SummaryRow[]>();
  for (const row of rows) {
    const key = JSON.stringify([row.workload, row.rate, row.machine ?? null]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const out: string[] = [];
  for (const group of groups.values()) {
    const { workload, rate, machine } = group[0];
    // A sweep over several machines has a table per machine (rows carry `machine` then).
    const on = machine === undefined ? '' : ` on ${machine}`;
    out.push(rate === null ? `${workload}${on} (its own timing)` : `${workload} at ${rate} req/s${on}`);
    const metrics = metricsOfRows(group);
    const labels = ['seeds', 'stable', ...metrics];
    const columns = group.map((r) => {
      const judged = r.stability.stable + r.stability.unstable;
      return {
        head: r.policy,
        cells: [
          String(r.seeds.length),
          judged === 0 ? '-' : `${r.stability.stable}/${judged}`,
          ...metrics.map((k) => formatMeanWithInterval(r.metrics[k])),
        ],
      };
    });
    // Widths as cli-table3 counts them: the content plus one space of padding either side.
    const widthOf = (texts: string[]): number =>
      Math.min(COLUMN_CAP, Math.max(...texts.map((t) => t.length))) + 2;
    const labelWidth = Math.max(...labels.map((l) => l.length)) + 2;
    // Each column takes its width plus one border character; a line has one more.
    const parts: (typeof columns)[] = [];
    let part: typeof columns = [];
    let span = labelWidth + 2;
    for (const column of columns) {
      const w = widthOf([column.head, ...column.cells]) + 1;
      if (part.length > 0 && span + w > width) {
        parts.push(part);
        part = [];
        span = labelWidth + 2;
      }
      part.push(column);
      span += w;
    }
    parts.push(part);
    for (const shown of parts) {
      const table = new Table({
        head: ['', ...shown.map((c) => c.head)],
        colWidths: [labelWidth, ...shown.map((c) => widthOf([c.head, ...c.cells]))],
        colAligns: ['left', ...shown.map((): 'right' => 'right')],
        wordWrap: true,
        style: { head: [], border: [], compact: true },
      });
      labels.forEach((label, i) => table.push([label, ...shown.map((c) => c.cells[i])]));
      out.push(...table.toString().split('\n'));
    }
    out.push('');
  }
  return out;
}
