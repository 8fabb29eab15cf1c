import { afterAll, describe, expect, it } from 'vitest';
import type { ExportOut } from '../../../runner/api/api-contract.js';
import { createApiService, type ApiResult } from '../../../runner/api/api-service.js';
import {
  exportFileName,
  fileDateStamp,
  sanitizeFileNamePart,
} from '../../../runner/reports/export-file-name.js';
import { RUNS_TABLE_COLUMNS } from '../../../runner/reports/runs-table.js';
import type { NewRun } from '../../../runner/store/run-row.js';
import { Store } from '../../../runner/store/store.js';
import { sampleResult } from '../../unit/store/fixtures.js';

/**
 * `export.report` through the API (in this process, on an in-memory database with hand-made
 * results; no build needed): the file is named after the runs' sweeps and the date, and the CSV
 * and JSON say where each run ran (its machine and the host its sweep ran on).
 */
const store = Store.open(':memory:', { host: 'lab-gpu-07' });
const api = createApiService(store, { jobs: 1, cwd: process.cwd() });
afterAll(async () => {
  await api.close();
  store.close();
});

const machineJson = (name: string): string =>
  JSON.stringify({
    name,
    description: 'a test machine',
    kvCapacityBlocks: 100,
    blockSize: 16,
    iterationTime: {},
  });
const run = (runKey: string, machine: string, seed: number): NewRun => ({
  runKey,
  workload: 'poisson',
  workloadJson: '{}',
  policy: 'vllm',
  paramsJson: '{}',
  seed,
  rate: 2,
  machine,
});
const sweep = (name: string, machine: string): number[] => {
  const sweepId = store.createSweep({
    name,
    specYaml: `name: ${name}\n`,
    specJson: '{}',
    specHash: `hash-${name}`,
    specPath: null,
    machineJson: machineJson(machine),
    runs: [run('a', machine, 1), run('b', machine, 2)],
  });
  const ids = store.listRuns({ sweepId }).map((r) => r.id);
  store.completeRun(ids[0]!, sampleResult(40, 10));
  return ids;
};
const paperRuns = sweep('paper: low demand / v2', 'a100-llama2-7b');
const otherRuns = sweep('ablation', 'h100-test');

async function exported(runIds: number[], format: 'html' | 'csv' | 'json'): Promise<ExportOut> {
  const result: ApiResult = await api.call('export.report', { runIds, format });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value as ExportOut;
}

/** RFC 4180 lines without quoted fields (these values have no commas). */
const csvRows = (text: string): string[][] =>
  text
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));

describe('export file names', () => {
  it('make a sweep name safe for any file system', () => {
    expect(sanitizeFileNamePart('paper: low demand / v2')).toBe('paper-low-demand-v2');
    expect(sanitizeFileNamePart('../../etc/passwd')).toBe('etc-passwd');
    expect(sanitizeFileNamePart('  "quoted"\ttab\nline  ')).toBe('quoted-tab-line');
    expect(sanitizeFileNamePart('Überlast_ρ=0.9')).toBe('Überlast_ρ-0.9');
    expect(sanitizeFileNamePart('...')).toBe('sweep');
    expect(sanitizeFileNamePart('')).toBe('sweep');
    expect(sanitizeFileNamePart('x'.repeat(200))).toHaveLength(60);
    expect(sanitizeFileNamePart(`${'a'.repeat(59)} b`)).toBe('a'.repeat(59));
  });

  it('carry the sweep names and the date', () => {
    const date = new Date('2025-03-04T15:30:12.345Z');
    expect(fileDateStamp(date)).toBe('2025-03-04-153012');
    expect(exportFileName(['quickstart'], date, 'csv')).toBe('schedbench-quickstart-2025-03-04-153012.csv');
    expect(exportFileName(['a b', 'a b', 'c'], date, 'pdf')).toBe('schedbench-a-b+c-2025-03-04-153012.pdf');
    expect(exportFileName(['a', 'b', 'c', 'd'], date, 'html')).toBe(
      'schedbench-a+b+2-more-2025-03-04-153012.html',
    );
    expect(exportFileName([], date, 'json')).toBe('schedbench-sweep-2025-03-04-153012.json');
  });
});

describe('export.report', () => {
  const stamp = String.raw`\d{4}-\d{2}-\d{2}-\d{6}`;

  it('names each format after the sweep and the date', async () => {
    for (const [format, mime] of [
      ['html', 'text/html'],
      ['csv', 'text/csv'],
      ['json', 'application/json'],
    ] as const) {
      const file = await exported(paperRuns, format);
      expect(file.filename).toMatch(new RegExp(`^schedbench-paper-low-demand-v2-${stamp}\\.${format}$`));
      expect(file.mime).toBe(mime);
    }
    const both = await exported([...paperRuns, ...otherRuns], 'csv');
    expect(both.filename).toMatch(new RegExp(`^schedbench-paper-low-demand-v2\\+ablation-${stamp}\\.csv$`));
  });

  it('writes the machine and the origin host of every run in the CSV', async () => {
    const [header, ...rows] = csvRows((await exported([...paperRuns, ...otherRuns], 'csv')).content);
    expect(header).toEqual([...RUNS_TABLE_COLUMNS]);
    const column = (name: string): string[] => rows.map((row) => row[header!.indexOf(name)]!);
    expect(header!.slice(0, 11)).toEqual([
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
    ]);
    expect(column('id').map(Number)).toEqual([...paperRuns, ...otherRuns]);
    expect(column('machine')).toEqual(['a100-llama2-7b', 'a100-llama2-7b', 'h100-test', 'h100-test']);
    expect(column('origin_host')).toEqual(['lab-gpu-07', 'lab-gpu-07', 'lab-gpu-07', 'lab-gpu-07']);
    expect(column('status')).toEqual(['done', 'queued', 'done', 'queued']);
  });

  it('writes them in the JSON too', async () => {
    const runs = JSON.parse((await exported(otherRuns, 'json')).content) as Record<string, unknown>[];
    expect(runs.map((r) => [r.id, r.machine, r.origin_host])).toEqual([
      [otherRuns[0], 'h100-test', 'lab-gpu-07'],
      [otherRuns[1], 'h100-test', 'lab-gpu-07'],
    ]);
  });
});
