import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fluidEquilibrium } from '../../../runner/fluid/fluid-equilibrium.js';
import { requestTypes } from '../../../runner/fluid/request-types.js';
import { digestBinsOf, type DigestBins } from '../../../runner/metrics/run-digest.js';
import { fluidOverlay } from '../../../runner/reports/fluid-overlay.js';
import { loadReportData } from '../../../runner/reports/load-report-data.js';
import type { ReportData } from '../../../runner/reports/report-data.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';
import { requestList } from '../../helpers/request-lists.js';

/** The output-length bins of a request list, as a run's digest stores them. */
function binsOf(list: { promptTokens: Int32Array; outputTokens: Int32Array }): DigestBins {
  return digestBinsOf(list.promptTokens, list.outputTokens);
}

const LINEAR = { d0: 0.01, d1: 1e-5, exact: true };
const TYPES = [
  { prompt: 50, output: 50, rate: 6 },
  { prompt: 50, output: 100, rate: 4 },
];

describe('fluidOverlay', () => {
  it('matches the fluid benchmark by hand for a typed workload (declared types scaled to each rate)', () => {
    const list = requestList([[0, 50, 50]]); // records are not used for declared types
    const overlay = fluidOverlay(
      [
        { rate: 24, bins: binsOf(list), declared: TYPES },
        { rate: 8, bins: binsOf(list), declared: TYPES },
      ],
      LINEAR,
      'vllm',
    )!;
    // vllm token model: S_j = l'_j, m_j = l_j + (l'_j - 1)/2: (50, 74.5) and (100, 99.5).
    // At total rate r: lambda = (0.6 r, 0.4 r); sum lambda S m = r (0.6*50*74.5 + 0.4*100*99.5) = 6215 r.
    const work = (r: number): number => 6215 * r;
    const limit = 1 / (LINEAR.d1 * 6215); // about 16.09 req/s
    const throughput = (r: number): number => r * (0.6 * 50 + 0.4 * 100); // 70 r
    expect(overlay.types).toBe('declared');
    expect(overlay.points.map((p) => p.rate)).toEqual([8, 24]);
    const [low, high] = overlay.points;
    expect(low.load).toBeCloseTo(LINEAR.d1 * work(8), 12);
    expect(low.stable).toBe(true);
    expect(low.throughputStarTokS).toBeCloseTo(throughput(8), 9);
    expect(low.lineTokS).toBeCloseTo(throughput(8), 9);
    expect(low.mStarTokens).toBeCloseTo((LINEAR.d0 * work(8)) / (1 - LINEAR.d1 * work(8)), 6);
    expect(low.maxThroughputTokS).toBeCloseTo(throughput(limit), 6);
    expect(high.stable).toBe(false);
    expect(high.mStarTokens).toBeNull();
    expect(high.throughputStarTokS).toBeCloseTo(throughput(24), 9);
    expect(high.lineTokS).toBeCloseTo(throughput(limit), 6); // the most the mix sustains
    expect(overlay.maxStableRateRps).toBeCloseTo(limit, 9);
    expect(overlay.maxThroughputTokS).toBeCloseTo(throughput(limit), 6);
    // ... which is what fluidEquilibrium says for the scaled types.
    const f = fluidEquilibrium(
      TYPES.map((t) => ({ ...t, rate: (t.rate * 8) / 10 })),
      LINEAR.d0,
      LINEAR.d1,
      'vllm',
    );
    expect(low.mStarTokens).toBeCloseTo(f.mStarTokens!, 9);
    expect(overlay.note).toMatch(
      /declared types, token model vllm, d0 = 0\.01 s, d1 = 0\.00001 s per KV token/,
    );
    expect(overlay.note).toMatch(/stability limit of 16\.09 req\/s/);
    expect(overlay.note).not.toMatch(/linear fit/);
  });

  it('bins the output lengths of other workloads and says when the machine is a linear fit', () => {
    const rows: [number, number, number][] = Array.from({ length: 100 }, (_, i) => [
      i,
      100 + i,
      1 + (i % 50),
    ]);
    const list = requestList(rows);
    const overlay = fluidOverlay(
      [{ rate: 3, bins: binsOf(list), declared: null }],
      { ...LINEAR, exact: false },
      'paper',
    )!;
    const f = fluidEquilibrium(requestTypes(list, 3, null).types, LINEAR.d0, LINEAR.d1, 'paper');
    expect(overlay.types).toBe('binned');
    expect(overlay.points[0]).toMatchObject({
      rate: 3,
      load: f.load,
      stable: f.stable,
      mStarTokens: f.mStarTokens,
    });
    expect(overlay.points[0].throughputStarTokS).toBeCloseTo(3 * 25.5, 9); // mean output 25.5
    expect(overlay.note).toMatch(/binned into 10 types/);
    expect(overlay.note).toMatch(/not linear: the overlay uses its linear fit/);
  });

  it('bounds N replicas by N times one replica at rate / N (perfect balance)', () => {
    const bins = binsOf(requestList([[0, 50, 50]]));
    const one = fluidOverlay([{ rate: 8, bins, declared: TYPES }], LINEAR, 'vllm')!;
    const four = fluidOverlay(
      [
        { rate: 32, bins, declared: TYPES, replicas: 4 },
        { rate: 96, bins, declared: TYPES, replicas: 4 },
      ],
      LINEAR,
      'vllm',
    )!;
    const limit = 1 / (LINEAR.d1 * 6215); // one replica's, as above
    expect(four.maxStableRateRps).toBeCloseTo(4 * limit, 9);
    // At 32 req/s each replica sees 8: one replica's point at 8, its rates and throughputs times 4.
    const [low, high] = four.points;
    expect(low.rate).toBe(32);
    expect(low.load).toBeCloseTo(one.points[0].load, 12);
    expect(low.mStarTokens).toBeCloseTo(one.points[0].mStarTokens!, 9); // per replica
    expect(low.throughputStarTokS).toBeCloseTo(4 * one.points[0].throughputStarTokS, 9);
    expect(low.maxThroughputTokS).toBeCloseTo(4 * one.points[0].maxThroughputTokS!, 6);
    // 96 req/s is 24 per replica: beyond the limit, the line is 4 replicas' most.
    expect(high.stable).toBe(false);
    expect(high.lineTokS).toBeCloseTo(4 * 70 * limit, 6);
    expect(four.note).toMatch(/For 4 replicas: 4 times one replica's bound at rate \/ 4/);
    expect(one.note).not.toMatch(/replicas/);
    expect(() =>
      fluidOverlay(
        [
          { rate: 8, bins, declared: TYPES },
          { rate: 32, bins, declared: TYPES, replicas: 4 },
        ],
        LINEAR,
        'vllm',
      ),
    ).toThrow(/differ in replicas/);
  });

  it('has no limit on a machine with d1 = 0, and nothing for no rates', () => {
    const overlay = fluidOverlay(
      [{ rate: 2, bins: binsOf(requestList([[0, 5, 5]])), declared: TYPES }],
      { d0: 0.01, d1: 0, exact: true },
      'vllm',
    )!;
    expect(overlay.maxStableRateRps).toBeNull();
    expect(overlay.points[0]).toMatchObject({ stable: true, maxThroughputTokS: null, lineTokS: 2 * 70 });
    expect(JSON.parse(JSON.stringify(overlay))).toEqual(overlay); // no Infinity anywhere
    expect(fluidOverlay([], LINEAR, 'vllm')).toBeNull();
  });
});

describe('loadReportData: fluid overlay and stability from a real sweep', () => {
  let dir: string;
  let data: ReportData;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'schedbench-overlay-'));
    const spec = join(dir, 'sweep.yaml');
    // The typed mix at about 50 % and 150 % of its fluid limit (16.09 req/s), plus a synthetic
    // workload whose types are binned; fcfs with a batch cap that never binds before the limit.
    writeFileSync(
      spec,
      `name: overlay
machine: { model: linear, d0: 0.01, d1: 1.0e-5, kvCapacityTokens: 100000, blockSize: 1 }
requests: 2000
workloads:
  - name: typed
    types: [{ prompt: 50, output: 50, rate: 6 }, { prompt: 50, output: 100, rate: 4 }]
    rate: [8, 24]
  - name: synthetic
    requests: 300
    promptTokens: { dist: uniform, min: 20, max: 80 }
    outputTokens: { dist: uniform, min: 10, max: 90 }
    arrival: { process: poisson, rate: 2 }
policies:
  - { policy: fcfs, maxNumSeqs: 1024 }
`,
    );
    const store = Store.open(join(dir, 'results.db'));
    try {
      const outcome = await executeSweep(planSweep(spec), store, { jobs: 1 });
      data = loadReportData(store, outcome.sweepId);
    } finally {
      store.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores and reports each run stable or unstable', () => {
    const verdict = (workload: string, rate: number) =>
      data.runs.find((run) => run.workload === workload && run.rate === rate)!;
    expect(verdict('typed', 8).stable).toBe(true);
    expect(verdict('typed', 24).stable).toBe(false);
    expect(verdict('typed', 24).stability?.reason).toMatch(/^unstable/);
    // 300 requests: about 270 arrivals after the warm-up, enough for a verdict (>= 200).
    expect(verdict('synthetic', 2).stable).toBe(true);
  });

  it('computes the typed overlay from the declared types at each rate', () => {
    const overlay = data.fluid?.typed;
    expect(overlay?.types).toBe('declared');
    expect(overlay?.points.map((p) => [p.rate, p.stable])).toEqual([
      [8, true],
      [24, false],
    ]);
    expect(overlay?.maxStableRateRps).toBeCloseTo(1 / (1e-5 * 6215), 9);
    expect(overlay?.points[0].throughputStarTokS).toBeCloseTo(560, 9);
  });

  it('bins the stored requests of a non-typed workload', () => {
    const overlay = data.fluid?.synthetic;
    expect(overlay?.types).toBe('binned');
    expect(overlay?.points).toHaveLength(1);
    expect(overlay?.points[0].rate).toBe(2);
    expect(overlay?.points[0].stable).toBe(true);
  });

  it('has no overlay for a sweep whose machine JSON predates the linear model', () => {
    const store = Store.open(':memory:');
    try {
      const sweepId = store.createSweep({
        name: 'old',
        specYaml: 'name: old',
        specJson: '{}',
        specHash: 'old',
        specPath: null,
        machineJson: JSON.stringify({
          name: 'sim',
          description: 'old',
          kvCapacityBlocks: 10,
          blockSize: 16,
          iterationTime: { model: 'linear' },
        }),
        runs: [],
      });
      expect(loadReportData(store, sweepId).fluid).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
