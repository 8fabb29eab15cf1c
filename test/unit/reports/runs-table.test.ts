import { describe, expect, it } from 'vitest';
import { METRIC_KEYS } from '../../../runner/metrics/metric-keys.js';
import type { ReportRun } from '../../../runner/reports/report-data.js';
import {
  formatTable,
  RUNS_TABLE_COLUMNS,
  runsTableRows,
  toCsv,
  toJson,
} from '../../../runner/reports/runs-table.js';
import { sampleReportData } from './report-data-fixture.js';

const data = sampleReportData({ workloads: ['w'], rates: [2], samples: 2 });
const done = data.runs.find((run) => run.status === 'done') as ReportRun;
const failed = data.runs.find((run) => run.status === 'failed') as ReportRun;
const tricky: ReportRun = { ...done, id: 42, params: { note: 'a, "b"', n: 3 }, workload: 'line\nbreak' };

describe('runsTableRows', () => {
  it('has the identity columns then every metric key, flat', () => {
    const [row] = runsTableRows([done]);
    expect(Object.keys(row)).toEqual([
      'id',
      'sweep_id',
      'workload',
      'policy',
      'params',
      'seed',
      'rate',
      'status',
      'stable',
      'machine',
      'origin_host',
      ...METRIC_KEYS,
    ]);
    expect(Object.keys(row)).toEqual(RUNS_TABLE_COLUMNS);
    expect(row.stable).toBe(true);
    expect(row.id).toBe(done.id);
    expect(row.sweep_id).toBe(7);
    expect(row.rate).toBe(2);
    expect(row.throughput_tok_s).toBe(done.metrics?.throughput_tok_s);
  });

  it('writes params as compact JSON with sorted keys', () => {
    expect(runsTableRows([tricky])[0].params).toBe('{"n":3,"note":"a, \\"b\\""}');
  });

  it('gives null metrics for a run without metrics', () => {
    const [row] = runsTableRows([failed]);
    expect(row.status).toBe('failed');
    for (const key of METRIC_KEYS) expect(row[key]).toBeNull();
  });
});

describe('toCsv', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180), CRLF line ends', () => {
    const csv = toCsv(runsTableRows([tricky, failed]));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(RUNS_TABLE_COLUMNS.join(','));
    expect(
      lines[1].startsWith('42,7,"line\nbreak",vllm,"{""n"":3,""note"":""a, \\""b\\""""}",1,2,done,'),
    ).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    // header + 2 rows + the empty string after the last CRLF
    expect(lines).toHaveLength(4);
  });

  it('writes null as an empty field and numbers in full precision', () => {
    const csv = toCsv([{ a: null, b: 0.1 + 0.2, c: 'x' }]);
    expect(csv).toBe('a,b,c\r\n,0.30000000000000004,x\r\n');
  });

  it('writes the header of RUNS_TABLE_COLUMNS for no rows', () => {
    expect(toCsv([])).toBe(`${RUNS_TABLE_COLUMNS.join(',')}\r\n`);
  });
});

describe('toJson', () => {
  it('writes each run with its identity, params object, error and metrics', () => {
    const parsed = JSON.parse(toJson([done, failed])) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(2);
    expect(Object.keys(parsed[0])).toEqual([
      'id',
      'sweep_id',
      'workload',
      'policy',
      'params',
      'seed',
      'rate',
      'machine',
      'origin_host',
      'status',
      'error',
      'stable',
      'stability',
      'metrics',
    ]);
    expect(parsed[0].params).toEqual(done.params);
    expect(parsed[0].stable).toBe(true);
    expect(parsed[0].stability).toEqual(done.stability);
    expect(Object.keys(parsed[0].metrics as object)).toEqual([...METRIC_KEYS]);
    expect(parsed[0].metrics).toEqual(done.metrics);
    expect(parsed[1]).toMatchObject({
      status: 'failed',
      error: failed.error,
      stable: null,
      stability: null,
      metrics: null,
    });
  });
});

describe('formatTable', () => {
  it('aligns columns: numbers right with 4 significant digits, text left, null as -', () => {
    const text = formatTable(
      [
        { policy: 'vllm', e2e: 12.3456789, n: 1000 },
        { policy: 'mc-sf long', e2e: null, n: 7 },
      ],
      ['policy', 'e2e', 'n'],
    );
    expect(text).toBe(
      [
        'policy        e2e     n',
        '----------  -----  ----',
        'vllm        12.35  1000',
        'mc-sf long      -     7',
        '',
      ].join('\n'),
    );
  });

  it('prints the runs table with every column', () => {
    const text = formatTable(runsTableRows(data.runs));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + data.runs.length);
    expect(lines[0].split(/\s+/)).toEqual(RUNS_TABLE_COLUMNS);
  });
});

describe('the stable column', () => {
  const unstable: ReportRun = { ...done, id: 43, stable: false };
  const unjudged: ReportRun = { ...done, id: 44, stable: null, stability: null };

  it('keeps the first eight identity columns and puts stable right after status', () => {
    expect(RUNS_TABLE_COLUMNS.slice(0, 9)).toEqual([
      'id',
      'sweep_id',
      'workload',
      'policy',
      'params',
      'seed',
      'rate',
      'status',
      'stable',
    ]);
    expect(runsTableRows([done, unstable, unjudged, failed]).map((row) => row.stable)).toEqual([
      true,
      false,
      null,
      null,
    ]);
  });

  it('is true / false / empty in CSV and true / false / - in the terminal table', () => {
    const lines = toCsv(runsTableRows([done, unstable, unjudged])).split('\r\n');
    expect(lines[0]).toMatch(/,rate,status,stable,/);
    expect(lines[1]).toMatch(/,2,done,true,/);
    expect(lines[2]).toMatch(/,2,done,false,/);
    expect(lines[3]).toMatch(/,2,done,,/);
    const table = formatTable(runsTableRows([done, unstable, unjudged]), ['id', 'stable']);
    expect(table.split('\n').slice(2, 5)).toEqual([' 1  true', '43  false', '44  -']);
  });
});
