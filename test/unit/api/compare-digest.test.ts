import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CompareOut, ExportOut, SeriesOut } from '../../../runner/api/api-contract.js';
import { createApiService } from '../../../runner/api/api-service.js';
import { decodeStoredMachineSpec } from '../../../runner/machines/stored-machine-spec.js';
import { digestCdf } from '../../../runner/metrics/run-digest.js';
import { digestBinsOf } from '../../../runner/metrics/run-digest.js';
import { fluidOverlay } from '../../../runner/reports/fluid-overlay.js';
import { loadReportData } from '../../../runner/reports/load-report-data.js';
import { pointsPerSeries } from '../../../runner/reports/point-budget.js';
import type { FluidOverlay } from '../../../runner/reports/report-data.js';
import { roundAll } from '../../../runner/reports/significant-digits.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';

/**
 * The read side of a real sweep (runs.compare, the HTML report) works from the run digests and
 * time series alone: the per-request records are never read (getRequestRecords throws here).
 */
describe('charts from run digests, never from per-request records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-digest-read-'));
  let store: Store;
  let api: ReturnType<typeof createApiService>;
  let runIds: number[];
  let longRunId: number;
  let fromRecords: FluidOverlay;

  beforeAll(async () => {
    const spec = join(dir, 'spec.yaml');
    writeFileSync(
      spec,
      [
        'name: digest-read',
        'machine: a100-llama2-7b-linear',
        'requests: 150',
        'seeds: [1, 2]',
        'workloads:',
        '  - name: synth',
        '    promptTokens: { dist: uniform, min: 50, max: 400 }',
        '    outputTokens: { dist: uniform, min: 20, max: 200 }',
        '    arrival: { process: poisson, rate: [2, 4] }',
        '  - name: long',
        '    requests: 2500',
        '    promptTokens: { dist: uniform, min: 50, max: 400 }',
        '    outputTokens: { dist: uniform, min: 20, max: 200 }',
        '    arrival: { process: poisson, rate: 3 }',
        'policies:',
        '  - { policy: vllm }',
        '  - { policy: fcfs }',
        '',
      ].join('\n'),
    );
    store = Store.open(join(dir, 'results.db'));
    const outcome = await executeSweep(planSweep(spec), store, { jobs: 1 });
    const runs = store.listRuns({ sweepId: outcome.sweepId });
    runIds = runs.map((r) => r.id);
    const long = runs.find((r) => r.workload === 'long' && r.policy === 'vllm' && r.seed === 1)!;
    longRunId = long.id;
    // The overlay of the long workload as it was computed before digests: from the records.
    const machine = decodeStoredMachineSpec(store.getSweep(outcome.sweepId)!.machineJson, 'test');
    const records = store.getRequestRecords(longRunId);
    fromRecords = fluidOverlay(
      [{ rate: 3, bins: digestBinsOf(records.promptTokens, records.outputTokens), declared: null }],
      { d0: machine.linear!.d0!, d1: machine.linear!.d1!, d2: machine.linear!.d2 ?? 0, exact: true },
      machine.tokenModel!,
    )!;
    vi.spyOn(store, 'getRequestRecords').mockImplementation(() => {
      throw new Error('per-request records read by a chart');
    });
    api = createApiService(store, { jobs: 1, cwd: dir });
  });
  afterAll(async () => {
    await api?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const compare = async (input: Record<string, unknown>): Promise<CompareOut> => {
    const result = await api.call('runs.compare', input);
    if (!result.ok) throw new Error(result.error.message);
    return result.value as CompareOut;
  };

  it('runs.compare draws each CDF from the run digest, rounded, within the point budget', async () => {
    const out = await compare({ runIds, maxPointsPerRun: 300 });
    const perRun = pointsPerSeries(runIds.length, 300);
    expect(perRun).toBe(300); // 12 runs: the caller's bound, not the budget, applies
    expect(out.charts.e2eCdf).toHaveLength(runIds.length);
    for (const series of out.charts.e2eCdf) {
      const digest = store.getRunDigest(series.runIds[0]);
      const cdf = digestCdf(digest.e2eS, digest.finished, perRun);
      expect(series.x).toEqual(roundAll(cdf.x));
      expect(series.y).toEqual(roundAll(cdf.y));
    }
    const long = out.charts.ttftCdf.find((s) => s.runIds[0] === longRunId)!;
    expect(long.x).toHaveLength(300);
    expect(long.y[long.y.length - 1]).toBe(1);
    // The fluid bound of the binned workload: the same as from the records.
    const bound = out.charts.fluidBound.find((s) => s.label.includes('long'))!;
    expect(bound.y).toEqual(fromRecords.points.map((p) => p.lineTokS));
    expect(out.charts.fluidLimits.find((l) => l.label.includes('long'))?.rateRps).toBe(
      fromRecords.maxStableRateRps,
    );
  });

  it('cuts every per-run series to the budget share as runs are added, never above maxPointsPerRun', async () => {
    const out = await compare({ runIds }); // default maxPointsPerRun 2,000
    const perRun = pointsPerSeries(runIds.length, 2000);
    expect(perRun).toBeLessThan(2000);
    const series: SeriesOut[] = [
      ...out.charts.ttftCdf,
      ...out.charts.e2eCdf,
      ...out.charts.kvUsage,
      ...out.charts.queueLength,
      ...out.charts.batchPrefillTokens,
      ...out.charts.batchDecodes,
    ];
    expect(series.length).toBe(6 * runIds.length);
    for (const s of series) {
      expect(s.x.length).toBeLessThanOrEqual(perRun);
      expect(s.x.length).toBe(s.y.length);
      // At most 4 significant digits in every coordinate.
      for (const v of [...s.x, ...s.y]) {
        if (v === null || v === 0) continue;
        expect(Number(v.toPrecision(4))).toBe(v);
      }
    }
    // The long run's time series has more samples than the share: it is cut to exactly the share.
    expect(out.charts.queueLength.find((s) => s.runIds[0] === longRunId)!.x).toHaveLength(perRun);
  });

  it('the HTML report (export.report) and loadReportData read digests only', async () => {
    const result = await api.call('export.report', { runIds, format: 'html' });
    if (!result.ok) throw new Error(result.error.message);
    const html = (result.value as ExportOut).content;
    expect(html).toContain('data-chart="cdf-e2e:long"');
    const sweepId = store.getRun(runIds[0])!.sweepId;
    const data = loadReportData(store, sweepId);
    const digest = store.getRunDigest(longRunId);
    expect(data.distributions[longRunId]).toEqual({
      ttft: Array.from(digest.ttftS),
      e2e: Array.from(digest.e2eS),
      finished: digest.finished,
    });
    expect(data.distributions[longRunId].ttft).toHaveLength(1001);
    expect(data.fluid?.long.points).toEqual(fromRecords.points);
    expect(data.fluid?.long.types).toBe('binned');
    expect(store.getRequestRecords).toHaveBeenCalledTimes(0);
  });
});
