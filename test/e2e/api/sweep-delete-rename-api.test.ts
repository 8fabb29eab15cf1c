import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorOut, ApiEvents, ApiOutputs } from '../../../runner/api/api-contract.js';
import { createApiService, type ApiResult } from '../../../runner/api/api-service.js';
import { Store } from '../../../runner/store/store.js';
import { REPO } from '../../helpers/cli.js';
import { RunGate } from '../../helpers/run-gate.js';

/**
 * `sweeps.rename`, `sweeps.delete` and `runs.get` through the API service on a real SQLite file.
 * A RunGate holds every run after it simulates, so the test knows the sweep is executing when it
 * asks to delete it (refused: conflict), and can cancel it and delete it then. Needs the build
 * (dist/): the SweepManager simulates on worker threads.
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-api-delete-'));
const file = join(dir, 'api.db');
const store = Store.open(file);
const gate = new RunGate();
const api = createApiService(store, { jobs: 1, cwd: REPO, runGate: gate.gate });

/** Two runs (two seeds) of 40 typed requests each: well under a second each. */
function spec(name: string): string {
  return [
    `name: ${name}`,
    'machine: a100-llama2-7b',
    'requests: 40',
    'seeds: [1, 2]',
    'workloads:',
    '  - name: typed',
    '    types: [{ prompt: 20, output: 20, rate: 5 }]',
    'policies: [{ policy: fcfs }]',
    '',
  ].join('\n');
}

async function ok<T>(result: Promise<ApiResult>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`API error: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

async function failure(result: Promise<ApiResult>): Promise<ApiErrorOut> {
  const r = await result;
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}

/** Resolves with the next `ended` event of a sweep. */
function ended(sweepId: () => number): Promise<ApiEvents['ended']> {
  return new Promise((resolve) => {
    const off = api.subscribe((event, data) => {
      const e = data as ApiEvents['ended'];
      if (event === 'ended' && e.sweepId === sweepId()) {
        off();
        resolve(e);
      }
    });
  });
}

/** Rows of every results table that belong to the runs of a sweep (read on a connection of its own). */
function resultRows(sweepId: number): number {
  const db = new Database(file, { readonly: true });
  try {
    return ['run_metrics', 'run_columns', 'run_digests']
      .map(
        (t) =>
          db
            .prepare(`SELECT count(*) FROM ${t} WHERE run_id IN (SELECT id FROM runs WHERE sweep_id = ?)`)
            .pluck()
            .get(sweepId) as number,
      )
      .reduce((a, b) => a + b, 0);
  } finally {
    db.close();
  }
}

let kept = 0;
beforeAll(async () => {
  // A finished sweep that every test keeps: deletes must never touch it.
  let id = 0;
  const end = ended(() => id);
  gate.open();
  id = (await ok<ApiOutputs['sweeps.start']>(api.call('sweeps.start', { yaml: spec('kept') }))).sweepId;
  expect(await end).toMatchObject({ done: 2, failed: 0 });
  kept = id;
}, 120_000);

afterAll(async () => {
  await api.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sweeps.delete and sweeps.rename', () => {
  it('refuses to delete a sweep while it runs here (conflict), deletes it once cancelled', async () => {
    // The gate was opened for the kept sweep: a fresh one holds this sweep's runs.
    const held = new RunGate();
    const heldApi = createApiService(store, { jobs: 1, cwd: REPO, runGate: held.gate });
    try {
      const { sweepId } = await ok<ApiOutputs['sweeps.start']>(
        heldApi.call('sweeps.start', { yaml: spec('held') }),
      );
      await new Promise<void>((resolve) => {
        const off = held.onChange(() => {
          if (held.held().length > 0) {
            off();
            resolve();
          }
        });
      });
      const listed = await ok<ApiOutputs['sweeps.list']>(heldApi.call('sweeps.list', {}));
      expect(listed.find((s) => s.id === sweepId)?.active).toBe(true);

      const conflict = await failure(heldApi.call('sweeps.delete', { sweepId }));
      expect(conflict).toEqual({
        code: 'conflict',
        message: `sweep ${sweepId} (held) is running: cancel it before deleting it`,
      });
      expect(store.getSweep(sweepId)).toBeDefined();
      expect(store.listRuns({ sweepId })).toHaveLength(2);

      // Renaming a running sweep is allowed: only the name changes.
      const renamed = await ok<ApiOutputs['sweeps.rename']>(
        heldApi.call('sweeps.rename', { sweepId, name: '  held, renamed ' }),
      );
      expect(renamed).toMatchObject({ id: sweepId, name: 'held, renamed', active: true });

      expect(await ok<ApiOutputs['sweeps.cancel']>(heldApi.call('sweeps.cancel', { sweepId }))).toEqual({
        cancelled: true,
      });
      const deleted = await ok<ApiOutputs['sweeps.delete']>(heldApi.call('sweeps.delete', { sweepId }));
      expect(deleted).toEqual({ sweepId, name: 'held, renamed', runs: 2 });
      expect(await failure(heldApi.call('sweeps.get', { sweepId }))).toMatchObject({ code: 'not-found' });
      const runs = await ok<ApiOutputs['runs.list']>(heldApi.call('runs.list', {}));
      expect(runs.every((r) => r.sweepId === kept)).toBe(true);
      expect(runs).toHaveLength(2);
    } finally {
      await heldApi.close();
    }
  }, 120_000);

  it('deletes a sweep whose runs a killed process left running (nothing executes it here)', async () => {
    const sweepId = store.createSweep({
      name: 'killed',
      specYaml: 'name: killed\n',
      specJson: '{"name":"killed"}',
      specHash: 'killed-hash',
      specPath: null,
      machineJson: JSON.stringify({ name: 'a100-llama2-7b' }),
      runs: [1, 2, 3].map((seed) => ({
        runKey: `run-${seed}`,
        workload: 'typed',
        workloadJson: '{}',
        policy: 'fcfs',
        paramsJson: '{}',
        seed,
        rate: 5,
        machine: 'a100-llama2-7b',
      })),
    });
    for (const run of store.listRuns({ sweepId }).slice(0, 2)) store.markRunning(run.id);
    expect(store.runCounts(sweepId)).toMatchObject({ running: 2, queued: 1 });
    const listed = await ok<ApiOutputs['sweeps.list']>(api.call('sweeps.list', {}));
    expect(listed.find((s) => s.id === sweepId)).toMatchObject({ active: false, counts: { running: 2 } });

    expect(await ok<ApiOutputs['sweeps.delete']>(api.call('sweeps.delete', { sweepId }))).toEqual({
      sweepId,
      name: 'killed',
      runs: 3,
    });
    expect(store.getSweep(sweepId)).toBeUndefined();
  });

  it('deletes a done sweep with all of its results, and nothing of the others', async () => {
    let id = 0;
    const end = ended(() => id);
    id = (await ok<ApiOutputs['sweeps.start']>(api.call('sweeps.start', { yaml: spec('done') }))).sweepId;
    expect(await end).toMatchObject({ done: 2 });
    expect(resultRows(id)).toBeGreaterThan(0);
    const keptRows = resultRows(kept);

    expect(await ok<ApiOutputs['sweeps.delete']>(api.call('sweeps.delete', { sweepId: id }))).toEqual({
      sweepId: id,
      name: 'done',
      runs: 2,
    });
    expect(resultRows(id)).toBe(0);
    expect(resultRows(kept)).toBe(keptRows);
    expect((await ok<ApiOutputs['sweeps.list']>(api.call('sweeps.list', {}))).map((s) => s.id)).toEqual([
      kept,
    ]);
    // The same spec now makes a new sweep (its spec hash is free again).
    const again = ended(() => id);
    const started = await ok<ApiOutputs['sweeps.start']>(api.call('sweeps.start', { yaml: spec('done') }));
    expect(started.resumed).toBe(false);
    id = started.sweepId;
    expect(await again).toMatchObject({ done: 2, failed: 0 });
  }, 120_000);

  it('answers not-found for an unknown sweep and bad-input for a bad name', async () => {
    expect(await failure(api.call('sweeps.delete', { sweepId: 9999 }))).toEqual({
      code: 'not-found',
      message: 'no sweep with id 9999',
    });
    expect(await failure(api.call('sweeps.rename', { sweepId: 9999, name: 'x' }))).toEqual({
      code: 'not-found',
      message: 'no sweep with id 9999',
    });
    expect(await failure(api.call('sweeps.rename', { sweepId: kept, name: '  ' }))).toEqual({
      code: 'bad-input',
      message: 'name: give the sweep a name',
      field: 'name',
    });
    expect(await failure(api.call('sweeps.rename', { sweepId: kept }))).toMatchObject({
      code: 'bad-input',
      field: 'name',
    });
    expect(await failure(api.call('sweeps.delete', { sweepId: 0 }))).toMatchObject({
      code: 'bad-input',
      field: 'sweepId',
    });
    expect(store.getSweep(kept)?.name).toBe('kept');
  });

  it('renames a sweep: the list and its runs show the new name', async () => {
    const renamed = await ok<ApiOutputs['sweeps.rename']>(
      api.call('sweeps.rename', { sweepId: kept, name: 'kept (baseline)' }),
    );
    const listed = await ok<ApiOutputs['sweeps.list']>(api.call('sweeps.list', {}));
    expect(listed.find((s) => s.id === kept)).toEqual(renamed);
    expect(renamed.name).toBe('kept (baseline)');
    const runs = await ok<ApiOutputs['runs.list']>(api.call('runs.list', { sweepIds: [kept] }));
    expect(runs.map((r) => r.sweepName)).toEqual(['kept (baseline)', 'kept (baseline)']);
  });
});

describe('runs.get', () => {
  it('gives what runs.list gives, plus the run key, workload, warnings, stability and machine', async () => {
    const [summary] = await ok<ApiOutputs['runs.list']>(api.call('runs.list', { sweepIds: [kept] }));
    const run = await ok<ApiOutputs['runs.get']>(api.call('runs.get', { runId: summary.id }));
    const stored = store.getRun(summary.id)!;
    expect(run).toMatchObject(summary);
    expect(run).toMatchObject({
      runKey: stored.runKey,
      workloadSpec: JSON.parse(stored.workloadJson) as Record<string, unknown>,
      warnings: stored.warnings,
      stability: stored.stability,
      startedAt: stored.startedAt,
      finishedAt: stored.finishedAt,
    });
    expect(run.stability?.reason.length).toBeGreaterThan(0);
    expect(run.machineInfo).toMatchObject({ name: 'a100-llama2-7b' });
    expect((run.machineInfo as { kvCapacityBlocks: number }).kvCapacityBlocks).toBeGreaterThan(0);
    expect(await failure(api.call('runs.get', { runId: 99_999 }))).toEqual({
      code: 'not-found',
      message: 'no run with id 99999',
    });
  });
});
