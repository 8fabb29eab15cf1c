import Database from 'better-sqlite3';
import fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecords, TimeSeries } from '../../../runner/engine/run-records.js';
import type { RunResult } from '../../../runner/metrics/run-result.js';
import { runDigest } from '../../../runner/metrics/run-digest.js';
import type { RunMetrics } from '../../../runner/metrics/metric-keys.js';
import { Store } from '../../../runner/store/store.js';
import { StoreStateError } from '../../../runner/store/store-state-error.js';
import { newRun, newSweep, sampleMetrics, sampleResult, sampleStability, tempDir } from './fixtures.js';
import { storedElementsSql } from '../../helpers/stored-runs.js';
import type { StabilityResult } from '../../../runner/metrics/stability.js';

let file: string;
let store: Store;
let cleanup: () => void;
let runIds: number[];

beforeEach(() => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  file = join(tmp.dir, 'results.db');
  store = Store.open(file);
  const sweepId = store.createSweep(newSweep());
  runIds = store.listRuns({ sweepId }).map((r) => r.id);
});
afterEach(() => {
  store.close();
  cleanup();
});

/**
 * What is stored for a run, read through an independent connection: metrics rows, requests and
 * time-series samples (elements of the stored columns), digest rows.
 */
function storedRows(runId: number): { metrics: number; requests: number; samples: number; digests?: number } {
  const db = new Database(file, { readonly: true });
  try {
    const count = (sql: string): number => (db.prepare(sql).get(runId) as { n: number }).n;
    const digests = count('SELECT count(*) AS n FROM run_digests WHERE run_id = ?');
    return {
      metrics: count('SELECT count(*) AS n FROM run_metrics WHERE run_id = ?'),
      requests: count(storedElementsSql('requests', 'run_id = ?')),
      samples: count(storedElementsSql('time_series', 'run_id = ?')),
      ...(digests === 0 ? {} : { digests }),
    };
  } finally {
    db.close();
  }
}

/** Typed arrays compared as plain arrays, with NaN equal to NaN (Object.is semantics). */
function plain(struct: RequestRecords | TimeSeries): Record<string, number[]> {
  return Object.fromEntries(Object.entries(struct).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
}

function withRequests(result: RunResult, patch: Partial<RequestRecords>): RunResult {
  return { ...result, requests: { ...result.requests, ...patch } };
}

describe('completeRun', () => {
  it('round-trips 1,000 requests with NaN fields, the time series, metrics and warnings', () => {
    const result = sampleResult(1000, 200);
    expect(Number.isNaN(result.requests.finish[7])).toBe(true);
    expect(Number.isNaN(result.requests.firstScheduled[11])).toBe(true);
    const [id] = runIds;
    store.markRunning(id);
    store.completeRun(id, result);

    const requests = store.getRequestRecords(id);
    expect(requests.arrival).toBeInstanceOf(Float64Array);
    expect(requests.promptTokens).toBeInstanceOf(Int32Array);
    expect(plain(requests)).toEqual(plain(result.requests));
    expect(Object.keys(requests).sort()).toEqual(Object.keys(result.requests).sort());
    const series = store.getTimeSeries(id);
    expect(series.queueLength).toBeInstanceOf(Int32Array);
    expect(plain(series)).toEqual(plain(result.timeSeries));

    const run = store.getRun(id)!;
    expect(run.status).toBe('done');
    expect(run.metrics).toEqual(result.metrics);
    expect(run.metrics!.tpot_mean_s).toBeNull();
    expect(run.warnings).toEqual(result.warnings);
    expect(run.finishedAt).not.toBeNull();
    expect(store.listRuns({ runIds: [id] })[0].metrics).toEqual(result.metrics);
    expect(storedRows(id)).toEqual({ metrics: 1, requests: 1000, samples: 200, digests: 1 });
    expect(store.getRunDigest(id)).toEqual(result.digest);
  });

  it('stores and reads an empty result', () => {
    const [id] = runIds;
    store.completeRun(id, sampleResult(0, 0)); // straight from queued
    expect(store.getRequestRecords(id).arrival.length).toBe(0);
    expect(store.getTimeSeries(id).t.length).toBe(0);
    expect(store.getRun(id)?.startedAt).not.toBeNull();
  });

  it('round-trips arbitrary records exactly, -0 and NaN included (property)', () => {
    const time = fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 1e9, noNaN: true }));
    const count = fc.integer({ min: 0, max: 2 ** 31 - 1 });
    const tokens = fc.integer({ min: 1, max: 2 ** 31 - 1 });
    const request = fc.record({
      arrival: fc.double({ min: 0, max: 1e9, noNaN: true }),
      promptTokens: tokens,
      outputTokens: tokens,
      firstScheduled: time,
      firstToken: time,
      finish: time,
      generatedTokens: count,
      evictions: count,
      preemptions: count,
      recomputedTokens: count,
      maxItl: time,
    });
    let next = 0;
    fc.assert(
      fc.property(fc.array(request, { maxLength: 150 }), (rows) => {
        const base = sampleResult(0, 3);
        const requests = {} as Record<string, Float64Array | Int32Array>;
        for (const [key, array] of Object.entries(base.requests)) {
          const Ctor = array instanceof Float64Array ? Float64Array : Int32Array;
          requests[key] = Ctor.from(rows.map((r) => r[key as keyof typeof r]));
        }
        expect(store.addMissingRuns(store.latestSweep()!.id, [newRun(`p${next++}`)])).toBe(1);
        const runId = store.listRuns().at(-1)!.id;
        const records = requests as unknown as RequestRecords;
        store.completeRun(runId, { ...base, requests: records, digest: runDigest(records) });
        expect(plain(store.getRequestRecords(runId))).toEqual(plain(records));
        expect(store.getRunDigest(runId)).toEqual(runDigest(records));
      }),
      { numRuns: 40 },
    );
  });

  it('stores results exactly once', () => {
    const [id] = runIds;
    store.markRunning(id);
    store.completeRun(id, sampleResult(10, 3));
    expect(() => store.completeRun(id, sampleResult(5, 1))).toThrow(
      new StoreStateError(`run ${id} is done and cannot be completed; only running or queued runs can`),
    );
    expect(storedRows(id)).toEqual({ metrics: 1, requests: 10, samples: 3, digests: 1 });
    expect(plain(store.getRequestRecords(id))).toEqual(plain(sampleResult(10, 3).requests));
  });

  it('refuses to complete failed and unknown runs', () => {
    const [, b] = runIds;
    store.failRun(b, 'nope');
    expect(() => store.completeRun(b, sampleResult(1, 1))).toThrow(/is failed and cannot be completed/);
    expect(() => store.completeRun(424242, sampleResult(1, 1))).toThrow('run 424242 does not exist');
    expect(storedRows(b)).toEqual({ metrics: 0, requests: 0, samples: 0 });
  });

  it('leaves nothing behind when a value breaks a column rule', () => {
    const [id] = runIds;
    store.markRunning(id);
    const good = sampleResult(1000, 100);
    // The last time-series sample is invalid (the row tables' CHECK decode_count >= 0).
    const decodeCount = good.timeSeries.decodeCount.slice();
    decodeCount[99] = -1;
    const bad: RunResult = { ...good, timeSeries: { ...good.timeSeries, decodeCount } };
    expect(() => store.completeRun(id, bad)).toThrow(
      `run ${id}: timeSeries.decodeCount[99] is -1; it must be >= 0`,
    );
    expect(store.getRun(id)).toMatchObject({ status: 'running', metrics: null, finishedAt: null });
    expect(storedRows(id)).toEqual({ metrics: 0, requests: 0, samples: 0 });
    expect(() => store.getRequestRecords(id)).toThrow(/has no stored results/);

    // The run can still be completed (or failed) afterwards.
    store.completeRun(id, good);
    expect(storedRows(id)).toEqual({ metrics: 1, requests: 1000, samples: 100, digests: 1 });
  });

  it('rejects a NaN arrival, zero prompt tokens or a negative max ITL without storing anything', () => {
    const [id] = runIds;
    const good = sampleResult(200, 5);
    const arrival = good.requests.arrival.slice();
    arrival[199] = NaN;
    const promptTokens = good.requests.promptTokens.slice();
    promptTokens[20] = 0;
    const maxItl = good.requests.maxItl.slice();
    maxItl[3] = -0.5;
    expect(() => store.completeRun(id, withRequests(good, { arrival }))).toThrow(
      `run ${id}: requests.arrival[199] is NaN; it must be a number >= 0 (NaN, "never happened", is not allowed here)`,
    );
    expect(() => store.completeRun(id, withRequests(good, { promptTokens }))).toThrow(
      `run ${id}: requests.promptTokens[20] is 0; it must be >= 1`,
    );
    expect(() => store.completeRun(id, withRequests(good, { maxItl }))).toThrow(
      `run ${id}: requests.maxItl[3] is -0.5; it must be >= 0`,
    );
    expect(storedRows(id)).toEqual({ metrics: 0, requests: 0, samples: 0 });
    expect(store.getRun(id)?.status).toBe('queued');
  });

  it('rejects arrays of inconsistent lengths, naming the fields', () => {
    const [id] = runIds;
    const good = sampleResult(100, 10);
    const finish = good.requests.finish.subarray(0, 99);
    expect(() => store.completeRun(id, withRequests(good, { finish }))).toThrow(
      `run ${id}: requests.finish has 99 entries but requests.arrival has 100; all arrays must have the same length`,
    );
    const t = good.timeSeries.t.slice(0, 3);
    expect(() => store.completeRun(id, { ...good, timeSeries: { ...good.timeSeries, t } })).toThrow(
      /timeSeries\.queueLength has 10 entries but timeSeries\.t has 3/,
    );
    const wrongType = new Float64Array(100) as unknown as Int32Array;
    expect(() => store.completeRun(id, withRequests(good, { evictions: wrongType }))).toThrow(
      `run ${id}: requests.evictions must be a Int32Array`,
    );
    expect(storedRows(id)).toEqual({ metrics: 0, requests: 0, samples: 0 });
  });

  it('rejects missing, unknown and non-finite metrics, naming the key', () => {
    const [id] = runIds;
    const good = sampleResult(10, 2);
    const missing = sampleMetrics() as Partial<RunMetrics>;
    delete missing.ttft_p99_s;
    expect(() => store.completeRun(id, { ...good, metrics: missing as RunMetrics })).toThrow(
      `run ${id}: metric "ttft_p99_s" is missing`,
    );
    const unknown = { ...sampleMetrics(), not_a_metric: 1 } as RunMetrics;
    expect(() => store.completeRun(id, { ...good, metrics: unknown })).toThrow(
      `run ${id}: unknown metric key "not_a_metric"`,
    );
    expect(() =>
      store.completeRun(id, { ...good, metrics: { ...sampleMetrics(), makespan_s: NaN } }),
    ).toThrow(`run ${id}: metric "makespan_s" is NaN; it must be a finite number or null`);
    expect(storedRows(id)).toEqual({ metrics: 0, requests: 0, samples: 0 });
    expect(store.getRun(id)?.status).toBe('queued');
  });

  it('reads metrics stored by an older build with fewer keys as null', () => {
    const [id] = runIds;
    store.completeRun(id, sampleResult(1, 1));
    const db = new Database(file);
    db.prepare('UPDATE run_metrics SET metrics_json = ? WHERE run_id = ?').run(
      '{"requests": 1, "old_key": 3}',
      id,
    );
    db.close();
    const metrics = store.getRun(id)!.metrics!;
    expect(metrics.requests).toBe(1);
    expect(metrics.sim_wall_s).toBeNull();
    expect('old_key' in metrics).toBe(false);
    // Keys added later (goodput, offered rate, rejected requests) read as null on older runs.
    for (const key of [
      'goodput_rps',
      'goodput_tok_s',
      'slo_attainment',
      'offered_rate_rps',
      'rejected',
    ] as const) {
      expect(metrics[key]).toBeNull();
    }
  });

  it('refuses to read results of a run that is not done', () => {
    const [id] = runIds;
    expect(() => store.getRequestRecords(id)).toThrow(
      new StoreStateError(`run ${id} is queued and has no stored results; only done runs have`),
    );
    expect(() => store.getTimeSeries(9999)).toThrow('run 9999 does not exist');
  });
});

describe('stability verdicts', () => {
  /** The stored `stable` and `stability_json` columns of a run, read independently. */
  function storedStability(runId: number): { stable: number | null; stability_json: string | null } {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT stable, stability_json FROM run_metrics WHERE run_id = ?').get(runId) as {
        stable: number | null;
        stability_json: string | null;
      };
    } finally {
      db.close();
    }
  }

  it('round-trips stable, unstable and no-verdict results with all their details', () => {
    const verdicts = [sampleStability(true), sampleStability(false), sampleStability(null)];
    runIds.forEach((id, i) => store.completeRun(id, { ...sampleResult(5, 2), stability: verdicts[i] }));
    expect(runIds.map((id) => store.getRun(id)!.stable)).toEqual([true, false, null]);
    expect(runIds.map((id) => store.getRun(id)!.stability)).toEqual(verdicts);
    expect(store.listRuns().map((r) => r.stable)).toEqual([true, false, null]);
    expect(runIds.map((id) => storedStability(id).stable)).toEqual([1, 0, null]);
    const json = JSON.parse(storedStability(runIds[1]).stability_json!) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 3)).toEqual(['stable', 'method', 'reason']);
    expect(json.pValue).toBe(1e-12);
  });

  it('has no verdict for runs that are not done', () => {
    const run = store.getRun(runIds[0])!;
    expect(run.stable).toBeNull();
    expect(run.stability).toBeNull();
  });

  it('rejects a malformed verdict before writing anything', () => {
    const [id] = runIds;
    const bad = (patch: Partial<Record<keyof StabilityResult, unknown>>): RunResult => ({
      ...sampleResult(5, 2),
      stability: { ...sampleStability(false), ...patch } as StabilityResult,
    });
    expect(() => store.completeRun(id, bad({ pValue: NaN }))).toThrow(
      `run ${id}: stability.pValue is NaN; it must be a finite number or null`,
    );
    expect(() => store.completeRun(id, bad({ stable: 'no' }))).toThrow(
      `run ${id}: stability.stable is no; it must be true, false or null`,
    );
    expect(() =>
      store.completeRun(id, { ...sampleResult(5, 2), stability: undefined as unknown as StabilityResult }),
    ).toThrow(`run ${id}: stability must be a StabilityResult object`);
    expect(storedRows(id)).toEqual({ metrics: 0, requests: 0, samples: 0 });
    expect(store.getRun(id)?.status).toBe('queued');
  });

  it('refuses a stable column that contradicts the stored verdict (schema CHECK)', () => {
    const [id] = runIds;
    store.completeRun(id, sampleResult(1, 1));
    const db = new Database(file);
    try {
      expect(() => db.prepare('UPDATE run_metrics SET stable = 0 WHERE run_id = ?').run(id)).toThrow(
        /CHECK constraint failed/,
      );
      expect(() =>
        db.prepare('UPDATE run_metrics SET stability_json = NULL WHERE run_id = ?').run(id),
      ).toThrow(/CHECK constraint failed/);
    } finally {
      db.close();
    }
    expect(store.getRun(id)!.stable).toBe(true);
  });
});
