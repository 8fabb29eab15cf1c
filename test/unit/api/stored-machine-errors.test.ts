import { afterAll, describe, expect, it } from 'vitest';
import { createApiService } from '../../../runner/api/api-service.js';
import type { NewRun } from '../../../runner/store/run-row.js';
import { Store } from '../../../runner/store/store.js';

/**
 * A sweep whose stored machine JSON this version cannot read (a damaged or foreign database):
 * every operation that needs it answers `bad-input` naming the sweep and the field, not a crash
 * deep in a report or a chart; the lists still show it, so one damaged sweep hides no other.
 */
const store = Store.open(':memory:');
const api = createApiService(store, { jobs: 1, cwd: process.cwd() });
const run = (runKey: string, seed: number): NewRun => ({
  runKey,
  workload: 'poisson',
  workloadJson: '{}',
  policy: 'vllm',
  paramsJson: '{}',
  seed,
  rate: 2,
  machine: 'sim',
});
const sweepId = store.createSweep({
  name: 'damaged',
  specYaml: 'name: damaged\n',
  specJson: '{}',
  specHash: 'damaged',
  specPath: null,
  machineJson: JSON.stringify({ name: 'sim', kvCapacityBlocks: '7' }),
  runs: [run('a', 1), run('b', 2), run('c', 3)],
});
const runId = store.listRuns({ sweepId })[0].id;

afterAll(async () => {
  await api.close();
  store.close();
});

describe('the API on a sweep with an unreadable stored machine', () => {
  it.each([
    ['sweeps.get', { sweepId }],
    ['runs.compare', { runIds: [runId] }],
    ['export.report', { runIds: [runId], format: 'json' }],
  ])('%s reports bad-input naming the sweep and the field', async (op, input) => {
    const result = await api.call(op, input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('bad-input');
    expect(result.error.message).toMatch(
      new RegExp(`^sweep ${sweepId}: its stored machine JSON is not a machine description: `),
    );
    expect(result.error.message).toContain('kvCapacityBlocks: ');
  });

  it('still lists the sweep, with the machine name the document gives', async () => {
    const result = await api.call('sweeps.list', {});
    expect(result.ok && (result.value as { id: number; machine: string }[])).toEqual([
      expect.objectContaining({ id: sweepId, machine: 'sim' }),
    ]);
  });

  it('still lists its runs (which do not read the machine JSON)', async () => {
    const result = await api.call('runs.list', {});
    expect(result.ok && (result.value as { sweepName: string }[]).map((r) => r.sweepName)).toEqual([
      'damaged',
      'damaged',
      'damaged',
    ]);
  });
});
