import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { machinesCommand } from '../../../runner/cli/machines-command.js';
import { parseColumns, parseRateRange, RUNS_COLUMNS } from '../../../runner/cli/runs-command.js';
import { summaryTerminalText } from '../../../runner/cli/summary-command.js';
import {
  etaSeconds,
  formatDuration,
  progressLine,
  SweepProgressReporter,
} from '../../../runner/cli/sweep-progress.js';
import { terminalWidth, wrapText } from '../../../runner/cli/terminal-text.js';
import { sweepSummaryData } from '../../../runner/reports/verdicts.js';
import { sampleReportData } from '../reports/report-data-fixture.js';

/**
 * The CLI's terminal output (docs/decisions.md, "The CLI on a terminal"): runs columns and filters, the summary table, the
 * machines list at 100 columns, the progress line. The commands themselves: test/e2e/cli-terminal.test.ts.
 */
describe('wrapText and terminalWidth', () => {
  it('wraps at spaces with a hanging indent, never past the width unless a word is longer', () => {
    expect(wrapText('- one two three four', 9, '  ')).toEqual(['- one two', '  three', '  four']);
    expect(wrapText('abcdefghijkl x', 5)).toEqual(['abcdefghijkl', 'x']);
    expect(wrapText('', 10)).toEqual(['']);
    expect(wrapText('  a: b c', 6, '    ')).toEqual(['  a: b', '    c']);
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 40 }),
        fc.integer({ min: 10, max: 100 }),
        (words, width) => {
          const lines = wrapText(words.join(' '), width, '  ');
          for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
          expect(lines.join(' ').split(/\s+/).filter(Boolean)).toEqual(words);
        },
      ),
    );
  });

  it('is the terminal width on a terminal, else $COLUMNS, else the fallback', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 }, 100, {})).toBe(132);
    expect(terminalWidth({ isTTY: false }, 100, { COLUMNS: '90' })).toBe(90);
    expect(terminalWidth({ isTTY: false }, 100, { COLUMNS: 'wide' })).toBe(100);
    expect(terminalWidth({}, 77, {})).toBe(77);
  });
});

describe('runs --columns and --rate', () => {
  it('accepts known columns and all; an unknown one names it and lists the valid ones', () => {
    expect(parseColumns('id, machine,policy')).toEqual(['id', 'machine', 'policy']);
    expect(parseColumns('all')).toEqual([...RUNS_COLUMNS]);
    expect(RUNS_COLUMNS).toContain('machine');
    expect(() => parseColumns('id,nope')).toThrow(InputError);
    expect(() => parseColumns('id,nope')).toThrow(/unknown column "nope".*valid columns.*id, sweep_id/);
    expect(() => parseColumns(',')).toThrow(InputError);
  });

  it('parses one rate or an inclusive range, open at either end', () => {
    expect(parseRateRange('4')).toEqual({ min: 4, max: 4 });
    expect(parseRateRange('2..6.5')).toEqual({ min: 2, max: 6.5 });
    expect(parseRateRange('2..')).toEqual({ min: 2, max: Infinity });
    expect(parseRateRange('..6')).toEqual({ min: 0, max: 6 });
    for (const bad of ['', '..', 'x', '6..2', '1..2..3', '-1'])
      expect(() => parseRateRange(bad), bad).toThrow(/--rate must be/);
  });
});

describe('the progress line', () => {
  it('says ETA - until a run has ended, and never NaN or Infinity', () => {
    const start = { value: 0, total: 10, failed: 0, running: 2, elapsedS: 0, last: '' };
    expect(progressLine(start, 80)).toMatch(/ 0\/10 runs, 2 running, ETA -$/);
    expect(etaSeconds(start)).toBeUndefined();
    expect(etaSeconds({ value: 2, total: 10, elapsedS: 30 })).toBe(120);
    expect(etaSeconds({ value: 10, total: 10, elapsedS: 30 })).toBe(0);
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
    expect(formatDuration(Infinity)).toBe('-');
    expect(formatDuration(NaN)).toBe('-');
  });

  it('fits the terminal (one column to spare) and keeps the counts and the ETA whole', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 64 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.string({ maxLength: 200 }),
        fc.integer({ min: 40, max: 300 }),
        (a, b, running, elapsedS, last, width) => {
          const [value, total] = [Math.min(a, b), Math.max(a, b)];
          const state = { value, total, failed: Math.min(value, 3), running, elapsedS, last };
          const line = progressLine(state, width);
          expect(line.length).toBeLessThanOrEqual(width - 1);
          expect(line.split(' | ')[0]).not.toMatch(/NaN|Infinity|NF/);
          expect(line).toMatch(new RegExp(`${value}/${total}( runs)?,? .*ETA (-|[0-9hms]+)( \\||$)`));
        },
      ),
    );
  });

  it('renders through cli-progress on a terminal 80 columns wide', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let text = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const reporter = new SweepProgressReporter(stream as unknown as NodeJS.WriteStream);
    reporter.begin(3, 0, 1, false);
    const event = {
      total: 3,
      failed: 0,
      runId: 1,
      label: 'sarathi azure-conv-with-a-long-name rate=2 seed=1',
    };
    reporter.update({ ...event, kind: 'start', ended: 0, running: 1 });
    await new Promise((r) => setTimeout(r, 150));
    reporter.update({ ...event, kind: 'done', ended: 1, running: 0, simWallS: 0.1 });
    await new Promise((r) => setTimeout(r, 150));
    reporter.end();
    // Each redraw starts at column 1 (ESC [ 1 G) and clears to the right (ESC [ 0 K).
    const ESC = String.fromCharCode(27);
    const frames = text
      .split(`${ESC}[1G`)
      .slice(1)
      .map((part) => part.split(`${ESC}[0K`)[0]);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]).toMatch(/0\/3 runs, 0 running, ETA -$/);
    for (const frame of frames) {
      expect(frame.length).toBeLessThanOrEqual(79);
      expect(frame).not.toMatch(/NaN|Infinity|NF/);
    }
    expect(frames.at(-1)).toMatch(/1\/3 runs, 0 running, ETA \d+s \| done sarathi azure/);
  });
});

describe('summary as a terminal table', () => {
  const data = sampleReportData({
    workloads: ['azure-conv'],
    rates: [2, 4],
    seeds: [1, 2, 3],
    samples: 2,
    policies: [
      { policy: 'vllm', params: { maxNumSeqs: 64 } },
      { policy: 'vllm', params: { maxNumSeqs: 128 } },
      { policy: 'sarathi', params: { chunkSize: 512 } },
      { policy: 'mc-sf', params: {} },
    ],
  });
  const summary = sweepSummaryData(data.runs);

  it('puts the verdict sentences first, then one table per workload and rate, within the width', () => {
    for (const width of [80, 100, 160]) {
      const text = summaryTerminalText(summary, width);
      const lines = text.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^Verdicts, paired over seeds/);
      const first = lines.indexOf('') + 1;
      expect(lines.slice(0, first - 1).join(' ')).toMatch(/docs\/metrics\.md\):$/);
      expect(lines[first]).toMatch(/^- At .* has the (highest|lowest) /);
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(width);
      expect(lines).toContain('azure-conv at 2 req/s');
      expect(lines).toContain('azure-conv at 4 req/s');
      // Every policy heads a column, and every table line of a table has the same length.
      for (const label of ['vllm maxNumSeqs=64', 'vllm maxNumSeqs=128', 'sarathi', 'mc-sf'])
        expect(text).toContain(label);
      const tableLines = lines.filter((l) => /^[│┌├└]/.test(l));
      expect(tableLines.length).toBeGreaterThan(0);
      expect(text).toMatch(/│ throughput_tok_s +│ +[\d.]+ ± [\d.]+ │/);
      expect(text).not.toMatch(/\| --- \|/);
    }
  });

  it('spreads the policies over several tables on a narrow terminal', () => {
    const narrow = summaryTerminalText(summary, 80)
      .split('\n')
      .filter((l) => l.startsWith('┌'));
    const wide = summaryTerminalText(summary, 160)
      .split('\n')
      .filter((l) => l.startsWith('┌'));
    expect(narrow.length).toBeGreaterThan(wide.length);
  });
});

describe('machines list', () => {
  it('fits 100 columns: machines, linear fits, then each machine sources wrapped', () => {
    const text = machinesCommand('table', undefined, 100);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(text).toMatch(/a100-llama2-7b +A100-80GB +meta-llama\/Llama-2-7b-hf +profile +7424/);
    expect(text).toMatch(/^Sources of each term:$/m);
    expect(text).toMatch(/^a100-llama3-8b:\n {2}token-wise operators: /m);
  });
});
