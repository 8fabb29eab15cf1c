import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents, ApiOutputs, CompareOut } from '../../../runner/api/api-contract.js';
import { createApiService, type ApiResult } from '../../../runner/api/api-service.js';
import { Store } from '../../../runner/store/store.js';
import { REPO } from '../../helpers/cli.js';

/**
 * The runner's API on a real SQLite file: a sweep started through the API runs in the
 * background to the end, and every read operation answers from what it stored. Needs the build
 * (dist/, made by `npm test`): the API's SweepManager simulates on worker threads, which load
 * dist/runner/sweeps/run-worker.js.
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-api-'));
const store = Store.open(join(dir, 'api.db'));
const api = createApiService(store, { jobs: 1, cwd: REPO });
const events: { event: string; data: unknown }[] = [];
api.subscribe((event, data) => events.push({ event, data }));

const SPEC = [
  'name: api-test',
  'machine: a100-llama2-7b',
  'requests: 150',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: synthetic',
  '    arrival: {process: poisson, rate: [2, 4]}',
  '    promptTokens: {dist: uniform, min: 50, max: 400}',
  '    outputTokens: {dist: uniform, min: 20, max: 200}',
  'policies:',
  '  - policy: vllm',
  '  - {policy: sarathi, chunkSize: 256}',
  '',
].join('\n');

async function ok<T>(result: Promise<ApiResult>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`API error: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

let sweepId = 0;
beforeAll(async () => {
  const ended = new Promise<ApiEvents['ended']>((resolve) =>
    api.subscribe((event, data) => {
      if (event === 'ended') resolve(data as ApiEvents['ended']);
    }),
  );
  const started = await ok<ApiOutputs['sweeps.start']>(api.call('sweeps.start', { yaml: SPEC }));
  sweepId = started.sweepId;
  expect(started.resumed).toBe(false);
  const end = await ended;
  expect(end).toMatchObject({ sweepId, cancelled: false, done: 8, failed: 0 });
}, 120_000);

afterAll(async () => {
  await api.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the API service on a real database', () => {
  it('reports health and lists the sweep with its counts', async () => {
    const health = await ok<ApiOutputs['health']>(api.call('health', {}));
    expect(health.apiVersion).toBe(1);
    expect(health.database).toBe(store.file);
    const sweeps = await ok<ApiOutputs['sweeps.list']>(api.call('sweeps.list', {}));
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toMatchObject({
      id: sweepId,
      name: 'api-test',
      machine: 'a100-llama2-7b',
      counts: { done: 8, failed: 0, queued: 0, running: 0 },
      active: false,
      imported: false,
    });
    const detail = await ok<ApiOutputs['sweeps.get']>(api.call('sweeps.get', { sweepId }));
    expect(detail.specYaml).toBe(SPEC);
  });

  it('pushed progress events with the counts rising to the end', () => {
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as ApiEvents['progress']);
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ sweepId, active: false, counts: { done: 8 } });
    const done = progress.map((p) => p.counts.done);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
  });

  it('filters and sorts runs', async () => {
    const all = await ok<ApiOutputs['runs.list']>(api.call('runs.list', {}));
    expect(all).toHaveLength(8);
    const vllm = await ok<ApiOutputs['runs.list']>(
      api.call('runs.list', { policies: ['vllm'], rateMin: 3, sortBy: 'throughput_tok_s', descending: true }),
    );
    expect(vllm).toHaveLength(2);
    expect(vllm.every((r) => r.policy === 'vllm' && r.rate === 4)).toBe(true);
    expect(vllm[0].metrics!.throughput_tok_s).toBeGreaterThanOrEqual(vllm[1].metrics!.throughput_tok_s!);
    const none = await ok<ApiOutputs['runs.list']>(api.call('runs.list', { machines: ['h100-phi2'] }));
    expect(none).toEqual([]);
  });

  it('compares runs: differing parameters, change against the baseline, seed spread and chart data', async () => {
    const runs = await ok<ApiOutputs['runs.list']>(api.call('runs.list', {}));
    const ids = runs.map((r) => r.id);
    const c = await ok<CompareOut>(api.call('runs.compare', { runIds: ids, baselineId: ids[1] }));
    expect(c.baselineId).toBe(ids[1]);
    expect(c.differing.map((d) => d.key)).toEqual(expect.arrayContaining(['policy', 'rate', 'seed']));
    expect(c.differing.map((d) => d.key)).not.toContain('machine');
    const throughput = c.metrics.find((m) => m.key === 'throughput_tok_s')!;
    expect(throughput.values).toEqual(runs.map((r) => r.metrics!.throughput_tok_s));
    expect(throughput.changePct[1]).toBeNull();
    const b = throughput.values[1]!;
    expect(throughput.changePct[0]).toBeCloseTo(((throughput.values[0]! - b) / b) * 100, 9);
    // Every run has one sibling differing only in seed: the spread is their sample std. dev.
    const sibling = runs.findIndex(
      (r, i) => i > 0 && r.policy === runs[0].policy && r.rate === runs[0].rate && r.seed !== runs[0].seed,
    );
    const pair = [throughput.values[0]!, throughput.values[sibling]!];
    expect(throughput.seedSpread[0]).toBeCloseTo(Math.abs(pair[0] - pair[1]) / Math.SQRT2, 9);
    // Throughput vs rate: one series per policy, a point per rate, the mean over seeds.
    expect(c.charts.throughputVsRate.map((s) => s.label).sort()).toEqual(['sarathi', 'vllm']);
    for (const s of c.charts.throughputVsRate) {
      expect(s.x).toEqual([2, 4]);
      const at4 = runs
        .filter((r) => r.policy === s.label && r.rate === 4)
        .map((r) => r.metrics!.throughput_tok_s!);
      expect(s.y[1]).toBeCloseTo((at4[0] + at4[1]) / 2, 9);
    }
    expect(c.charts.fluidBound.length).toBe(1);
    expect(c.charts.ttftCdf).toHaveLength(8);
    for (const cdf of c.charts.e2eCdf) {
      expect(cdf.y.at(-1)).toBe(1);
      expect([...cdf.x].sort((p, q) => p - q)).toEqual(cdf.x);
    }
    expect(Math.max(...c.charts.kvUsage.flatMap((s) => s.y as number[]))).toBeLessThanOrEqual(1);
  });

  it('summarises the sweep: seed-summary rows and paired verdicts (the CLI summary JSON)', async () => {
    const summary = await ok<ApiOutputs['sweeps.summary']>(api.call('sweeps.summary', { sweepId }));
    expect(Object.keys(summary)).toEqual(['rows', 'verdicts', 'notes']);
    expect(summary.notes).toEqual([]);
    expect(summary.rows.map((r) => [r.rate, r.policy, r.seeds])).toEqual([
      [2, 'sarathi', [1, 2]],
      [2, 'vllm', [1, 2]],
      [4, 'sarathi', [1, 2]],
      [4, 'vllm', [1, 2]],
    ]);
    // goodput_rps is null without SLOs (this spec sets none): no verdict on it.
    const metrics = ['throughput_tok_s', 'ttft_p50_s', 'ttft_p99_s', 'tpot_p99_s', 'e2e_p99_s'];
    expect(summary.verdicts.map((v) => [v.nominal_rate_rps, v.metric])).toEqual(
      [2, 4].flatMap((rate) => metrics.map((m) => [rate, m])),
    );
    const runs = await ok<ApiOutputs['runs.list']>(api.call('runs.list', {}));
    for (const v of summary.verdicts) {
      expect(v).toMatchObject({ workload: 'synthetic', seeds: 2, note: null });
      expect(Object.keys(v.comparisons[0])).toEqual(['policy', 'ratio', 'ci_low', 'ci_high', 'significant']);
      const [c] = v.comparisons;
      expect([v.best_policy, c.policy].sort()).toEqual(['sarathi', 'vllm']);
      // ratio = exp(mean over seeds of ln(other_s / best_s)), pairing the runs by seed.
      const value = (policy: string, seed: number): number =>
        runs.find((r) => r.policy === policy && r.seed === seed && r.rate === v.nominal_rate_rps)!.metrics![
          v.metric as 'throughput_tok_s'
        ]!;
      const logs = [1, 2].map((seed) => Math.log(value(c.policy, seed) / value(v.best_policy, seed)));
      expect(c.ratio).toBeCloseTo(Math.exp((logs[0] + logs[1]) / 2), 9);
      expect(v.direction === 'higher' ? c.ratio! <= 1 : c.ratio! >= 1).toBe(true);
      if (c.ci_low !== null) {
        expect(c.ci_low).toBeLessThanOrEqual(c.ratio!);
        expect(c.ci_high).toBeGreaterThanOrEqual(c.ratio!);
        expect(c.significant).toBe(c.ci_low > 1 || c.ci_high! < 1);
      }
    }
    expect(await api.call('sweeps.summary', { sweepId: 9999 })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  });

  it('returns per-request data, decimated on request, keeping the slowest requests', async () => {
    const [run] = await ok<ApiOutputs['runs.list']>(api.call('runs.list', { limit: 1 }));
    const full = await ok<ApiOutputs['runs.requests']>(api.call('runs.requests', { runId: run.id }));
    expect(full.count).toBe(150);
    expect(full.decimated).toBe(false);
    const small = await ok<ApiOutputs['runs.requests']>(
      api.call('runs.requests', { runId: run.id, maxPoints: 30 }),
    );
    expect(small.decimated).toBe(true);
    expect(small.index.length).toBeLessThanOrEqual(30);
    const slowest = Math.max(...(full.e2eS as number[]));
    expect(Math.max(...(small.e2eS as number[]))).toBe(slowest);
    const ts = await ok<ApiOutputs['runs.timeSeries']>(api.call('runs.timeSeries', { runId: run.id }));
    expect(ts.kvCapacityBlocks).toBe(7424);
    expect(ts.tS.length).toBe(ts.queueLength.length);
  });

  it('exports a self-contained HTML report and CSV of chosen runs', async () => {
    const runs = await ok<ApiOutputs['runs.list']>(api.call('runs.list', { policies: ['sarathi'] }));
    const html = await ok<ApiOutputs['export.report']>(
      api.call('export.report', { runIds: runs.map((r) => r.id), format: 'html' }),
    );
    expect(html.mime).toBe('text/html');
    expect(html.content).toContain('Content-Security-Policy');
    expect(html.content).not.toMatch(/<script[^>]+src=/);
    const csv = await ok<ApiOutputs['export.report']>(
      api.call('export.report', { runIds: runs.map((r) => r.id), format: 'csv' }),
    );
    expect(csv.content.trim().split('\n')).toHaveLength(runs.length + 1);
  });

  it('validates a spec and locates the problem', async () => {
    const good = await ok<ApiOutputs['sweeps.validate']>(api.call('sweeps.validate', { yaml: SPEC }));
    expect(good).toMatchObject({
      ok: true,
      runs: 8,
      machine: 'a100-llama2-7b',
      policies: ['vllm', 'sarathi'],
    });
    const bad = await ok<ApiOutputs['sweeps.validate']>(
      api.call('sweeps.validate', { yaml: SPEC.replace('chunkSize: 256', 'chunkSize: -1') }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problem.line).toBe(12);
      expect(bad.problem.message).toMatch(/chunkSize/);
    }
  });

  it('answers bad input, unknown operations and missing runs with typed errors', async () => {
    expect(await api.call('runs.compare', { runIds: [] })).toMatchObject({
      ok: false,
      error: { code: 'bad-input', field: 'runIds' },
    });
    expect(await api.call('runs.list', { sortBy: 'id', bogus: 1 })).toMatchObject({
      ok: false,
      error: { code: 'bad-input' },
    });
    expect(await api.call('sweeps.drop', {})).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await api.call('runs.timeSeries', { runId: 9999 })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await api.call('sweeps.start', { yaml: 'name: [' })).toMatchObject({
      ok: false,
      error: { code: 'bad-input' },
    });
  });

  it('lists the simulated machines, with no worker machines yet', async () => {
    const m = await ok<ApiOutputs['machines.list']>(api.call('machines.list', {}));
    expect(m.simulated.map((x) => x.name)).toContain('a100-llama2-7b');
    expect(m.workers).toEqual([]);
    expect(m.calibrations).toEqual([]);
  });

  it('lists the datasets, with or without reading their files, and refuses bad dataset input by field', async () => {
    const full = await ok<ApiOutputs['datasets.list']>(api.call('datasets.list', {}));
    const light = await ok<ApiOutputs['datasets.list']>(api.call('datasets.list', { summaries: false }));
    expect(light.map((d) => d.name)).toEqual(full.map((d) => d.name));
    expect(full.every((d) => d.summary !== null && d.problem === null)).toBe(true);
    expect(light.every((d) => d.summary === null && d.problem === null)).toBe(true);
    const azure = full.find((d) => d.name === 'azure-code')!;
    expect(azure.workload).toEqual({ trace: { path: azure.path, format: 'azure' } });
    expect(azure.summary?.requests).toBe(8_819);

    // A relative path resolves in the service's directory (here the repository).
    const preview = await ok<ApiOutputs['datasets.preview']>(
      api.call('datasets.preview', { path: 'data/vidur/data/processed_traces/splitwise_code.csv' }),
    );
    expect(preview.mapping.columns).toEqual({
      arrival: 'arrived_at',
      prompt: 'num_prefill_tokens',
      output: 'num_decode_tokens',
    });
    expect(preview.check?.ok && preview.check.summary.requests).toBe(8_819);

    expect(await api.call('datasets.preview', { path: 'no/such/trace.csv' })).toMatchObject({
      ok: false,
      error: { code: 'bad-input', message: expect.stringMatching(/no\/such\/trace\.csv: file not found/) },
    });
    expect(
      await api.call('datasets.import', {
        name: 'x',
        path: 'a.csv',
        format: 'csv',
        columns: { arrival: 't' },
      }),
    ).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'columns.prompt' } });
    expect(await api.call('datasets.list', {})).toMatchObject({ ok: true });
  });

  it('starting the same spec again resumes its sweep and runs nothing new', async () => {
    const again = await ok<ApiOutputs['sweeps.start']>(api.call('sweeps.start', { yaml: SPEC }));
    expect(again).toEqual({ sweepId, resumed: true });
    await new Promise<void>((resolve) =>
      api.subscribe((event, data) => {
        if (event === 'ended' && (data as ApiEvents['ended']).sweepId === sweepId) resolve();
      }),
    );
    const sweeps = await ok<ApiOutputs['sweeps.list']>(api.call('sweeps.list', {}));
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0].counts.done).toBe(8);
  });
});
