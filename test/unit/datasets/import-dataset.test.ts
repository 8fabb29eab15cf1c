import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasetCatalog, DatasetSummaries } from '../../../runner/datasets/dataset-catalog.js';
import { importDataset, type DatasetImport } from '../../../runner/datasets/import-dataset.js';
import { removeDataset } from '../../../runner/datasets/remove-dataset.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweepText } from '../../../runner/sweeps/sweep-plan.js';
import { stringify } from 'yaml';

/** Importing a user's trace into a real SQLite file, then running a sweep on it. */
let dir: string;
let store: Store;
let original: string;

const TRACE = [
  'tstamp,prompt_len,response_len,model',
  '1700000000.0,120,30,a',
  '1700000000.5,80,0,b',
  '1700000001.5,400,90,a',
  '1700000004.0,64,12,c',
  '1700000004.0,900,200,a',
  '',
].join('\n');

const request = (over: Partial<DatasetImport> = {}): DatasetImport => ({
  name: 'lmsys-export',
  path: original,
  format: 'csv',
  columns: { arrival: 'tstamp', prompt: 'prompt_len', output: 'response_len' },
  timestampFormat: 'seconds',
  ...over,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-datasets-'));
  original = join(dir, 'export.csv');
  writeFileSync(original, TRACE);
  store = Store.open(join(dir, 'db', 'results.db'));
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('importing a trace', () => {
  it('copies the file beside the database, stores the mapping, and lists it after the built-ins', () => {
    const { dataset, summary } = importDataset(store, request());
    expect(dataset.path.startsWith(join(dir, 'db', 'datasets'))).toBe(true);
    expect(readFileSync(dataset.path, 'utf8')).toBe(TRACE);
    expect(dataset).toMatchObject({
      name: 'lmsys-export',
      requests: 5,
      timeUnit: 's',
      originalPath: original,
    });
    expect(summary.zeroOutputRows).toBe(1);
    expect(summary.arrival?.durationS).toBe(4);

    // The original may change or vanish: the dataset does not.
    rmSync(original);
    const reopened = Store.open(store.file);
    try {
      const listed = datasetCatalog(reopened);
      expect(listed.filter((d) => d.builtIn).map((d) => d.name)).toEqual([
        'azure-conv',
        'azure-code',
        'mooncake-conv',
        'mooncake-synth',
        'sharegpt',
        'bwb',
        'arxiv',
      ]);
      const mine = listed[listed.length - 1];
      expect(mine).toMatchObject({ name: 'lmsys-export', builtIn: false, importedFrom: original });
      expect(mine.source).toEqual({
        kind: 'trace',
        trace: {
          path: dataset.path,
          format: 'csv',
          columns: { arrival: 'tstamp', prompt: 'prompt_len', output: 'response_len' },
          timeUnit: 's',
        },
      });
      expect(new DatasetSummaries().get(mine.source)).toEqual(summary);
    } finally {
      reopened.close();
    }
  });

  it('refuses a bad row with its line and column, and leaves nothing behind', () => {
    writeFileSync(original, TRACE.replace('400,90', '400,ninety'));
    expect(() => importDataset(store, request())).toThrow(/export\.csv:4: column "response_len"/);
    expect(store.datasets.list()).toEqual([]);
    expect(existsSync(join(dir, 'db', 'datasets'))).toBe(false);
  });

  it('refuses a taken name, a built-in name, an empty one and a unit on datetimes, storing nothing more', () => {
    importDataset(store, request());
    expect(() => importDataset(store, request())).toThrow(
      /name: a dataset named "lmsys-export" exists already/,
    );
    expect(() => importDataset(store, request({ name: 'azure-conv' }))).toThrow(/built-in dataset's name/);
    expect(() => importDataset(store, request({ name: '  ' }))).toThrow(/name: give the dataset a name/);
    expect(() =>
      importDataset(store, request({ name: 'x', timestampFormat: 'datetime', timeUnit: 'ms' })),
    ).toThrow(/timeUnit: applies to numeric timestamps only/);
    expect(store.datasets.list().map((d) => d.name)).toEqual(['lmsys-export']);
    expect(readdirSync(join(dir, 'db', 'datasets'))).toHaveLength(1);
  });

  it('shares one copy between two names for the same bytes', () => {
    const a = importDataset(store, request({ name: 'a' })).dataset;
    const b = importDataset(store, request({ name: 'b', timeUnit: 'ms' })).dataset;
    expect(b.path).toBe(a.path);
    expect(b.timeUnit).toBe('ms');
    expect(readdirSync(join(dir, 'db', 'datasets'))).toHaveLength(1);
  });

  it('removes an imported dataset and its copy, keeping a copy another dataset shares', () => {
    const a = importDataset(store, request({ name: 'a' })).dataset;
    importDataset(store, request({ name: 'b' }));
    expect(removeDataset(store, 'a')).toEqual({
      name: 'a',
      path: a.path,
      fileDeleted: false,
      keptForSweeps: [],
    });
    expect(existsSync(a.path)).toBe(true); // b still reads it
    expect(removeDataset(store, 'b')).toMatchObject({ fileDeleted: true });
    expect(existsSync(a.path)).toBe(false);
    expect(store.datasets.list()).toEqual([]);
    expect(() => removeDataset(store, 'b')).toThrow(/name: no imported dataset named "b"/);
    expect(() => removeDataset(store, 'sharegpt')).toThrow(/built-in dataset; only imported ones/);
  });

  it('is a workload a sweep runs: every request of the trace completes', async () => {
    const { dataset } = importDataset(store, request());
    const entry = datasetCatalog(store).find((d) => d.name === dataset.name)!;
    if (entry.source.kind !== 'trace') throw new Error('expected a trace');
    const yaml = stringify({
      name: 'on-imported',
      machine: 'a100-llama2-7b',
      seeds: [1],
      workloads: [{ name: dataset.name, trace: entry.source.trace }],
      policies: [{ policy: 'vllm' }, { policy: 'sarathi' }],
    });
    const plan = planSweepText(yaml, { file: 'editor.yaml', dir });
    const outcome = await executeSweep(plan, store, { jobs: 1 });
    expect(outcome.failed).toBe(0);
    const runs = store.listRuns({ sweepId: outcome.sweepId });
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.status).toBe('done');
      expect(run.metrics?.requests).toBe(5);
      expect(run.metrics?.completed).toBe(5);
      expect(store.getRequestRecords(run.id).promptTokens).toEqual(Int32Array.from([120, 80, 400, 64, 900]));
    }
    // Removing the dataset keeps the copy the sweep names, so the sweep can still be resumed.
    expect(removeDataset(store, dataset.name)).toMatchObject({
      fileDeleted: false,
      keptForSweeps: [outcome.sweepId],
    });
    expect(existsSync(dataset.path)).toBe(true);
    expect(datasetCatalog(store).some((d) => d.name === dataset.name)).toBe(false);
  });
});
