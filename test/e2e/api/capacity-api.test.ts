import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvents, ApiOutputs } from '../../../runner/api/api-contract.js';
import { createApiService, type ApiResult } from '../../../runner/api/api-service.js';
import { Store } from '../../../runner/store/store.js';
import { REPO } from '../../helpers/cli.js';

/**
 * A capacity search started from the UI's API: the sweep manager executes its probes in the
 * background (on worker threads: needs the build), shows each probe run's progress out of its
 * requests, and `sweeps.capacity` answers from the stored probes.
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-capacity-api-'));
const store = Store.open(join(dir, 'api.db'));
const api = createApiService(store, { jobs: 2, cwd: REPO });

// An M/D/1 queue of capacity 100 req/s (test/e2e/capacity-search.test.ts explains it).
const SPEC = [
  'name: capacity-api',
  'machine: { model: linear, d0: 0.01, d1: 0, kvCapacityTokens: 4096, blockSize: 16 }',
  'requests: 3000',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: md1',
  '    types: [{ prompt: 1, output: 1, rate: 1 }]',
  '    rate: { search: { min: 25, max: 400, precision: 0.05 } }',
  'policies: [{ policy: fcfs, maxNumSeqs: 1 }]',
  '',
].join('\n');

async function ok<T>(result: Promise<ApiResult>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`API error: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

afterAll(async () => {
  await api.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a capacity search through the API', () => {
  it('runs its probes in the background, shows their progress, and answers sweeps.capacity', async () => {
    const progress: ApiEvents['progress'][] = [];
    const ended = new Promise<ApiEvents['ended']>((resolve) =>
      api.subscribe((event, data) => {
        if (event === 'progress') progress.push(data as ApiEvents['progress']);
        if (event === 'ended') resolve(data as ApiEvents['ended']);
      }),
    );
    const { sweepId } = await ok<ApiOutputs['sweeps.start']>(api.call('sweeps.start', { yaml: SPEC }));
    const end = await ended;
    expect(end).toMatchObject({ sweepId, cancelled: false, failed: 0 });

    const { searches, verdicts } = await ok<ApiOutputs['sweeps.capacity']>(
      api.call('sweeps.capacity', { sweepId }),
    );
    expect(verdicts).toEqual([]); // one policy: nothing to compare
    expect(searches).toHaveLength(1);
    const [search] = searches;
    expect(search).toMatchObject({ workload: 'md1', policy: 'fcfs', status: 'done', outcome: 'bracketed' });
    expect(search.lower_rps).toBeGreaterThan(90);
    expect(search.upper_rps).toBeLessThan(110);
    // Every probe is two stored runs, all done, and the ended event counts them.
    expect(end.done).toBe(search.probes * 2);
    const runs = await ok<ApiOutputs['runs.list']>(api.call('runs.list', { sweepIds: [sweepId] }));
    expect(runs.filter((r) => r.status === 'done')).toHaveLength(search.probes * 2);
    // A live probe run is shown out of its 3,000 requests.
    const live = progress.flatMap((p) => p.live);
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((run) => run.total === 3000)).toBe(true);
    expect(await api.call('sweeps.capacity', { sweepId: 9999 })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  }, 120_000);
});
