import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityOut, CompareOut, RunSummary } from '../../runner/api/api-contract.js';
import { formatNumber } from '../../runner/reports/format-number.js';
import { REPO, runCli } from '../helpers/cli.js';
import { inspectCharts } from './chart-inspection.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * Compare by configuration in Debian's Chromium, through the real `schedbench serve`: runs
 * grouped into configurations (policy, params, workload, machine), compared with the baseline
 * configuration rate by rate (the percentages are those computed here from `runs.list` at the
 * same rate), parameters collapsed into one `params` column, a stability row, the log-scale
 * toggle, legend clicks, time series for chosen runs, the Pareto chart (its data are the API's)
 * and the capacity chart of a small capacity-search sweep (its data are `sweeps.capacity`'s).
 * Screenshots go to test-artifacts/screenshots/compare-config*.png.
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

/** 3 configurations (two vllm variants, sarathi on 2 replicas) x 2 rates x 2 seeds: 12 runs. */
const CONFIG_SPEC = [
  'name: by-config',
  'machine: a100-llama2-7b-linear',
  'requests: 250',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: synth',
  '    promptTokens: { dist: uniform, min: 50, max: 400 }',
  '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  '    arrival: { process: poisson, rate: [3, 6] }',
  'policies:',
  '  - { policy: vllm, maxNumSeqs: 64 }',
  '  - { policy: vllm, maxNumSeqs: 128 }',
  '  - { policy: sarathi, chunkSize: 256, replicas: 2, routing: least-kv }',
  '',
].join('\n');

/** The tiny M/D/1 capacity search: capacity 100 req/s under both policies. */
const CAPACITY_SPEC = [
  'name: tiny-capacity',
  'machine: {model: linear, d0: 0.01, d1: 0, kvCapacityTokens: 4096, blockSize: 16}',
  'requests: 2000',
  'seeds: [1]',
  'workloads:',
  '  - name: md1',
  '    types: [{prompt: 1, output: 1, rate: 1}]',
  '    rate: {search: {min: 25, max: 400, precision: 0.05}}',
  'policies:',
  '  - {policy: fcfs, maxNumSeqs: 1}',
  '  - {policy: vllm, maxNumSeqs: 1}',
  '',
].join('\n');

/** WAIT beside FCFS on the paper's low-demand mix, one short run each. */
const WAIT_SPEC = [
  'name: waits',
  'machine: a100-llama2-7b-linear',
  'tokenModel: paper',
  'requests: 400',
  'seeds: [1]',
  'workloads:',
  '  - name: low-demand',
  '    rate: 2000',
  '    types: [{ prompt: 10, output: 10, rate: 1 }, { prompt: 10, output: 20, rate: 1 }]',
  'policies:',
  '  - { policy: fcfs, maxNumSeqs: 290 }',
  '  - { policy: wait, variant: paper, thresholds: paper, batchCap: 290 }',
  '',
].join('\n');

/** What a canvas's chart holds: axis types, legend, and each dataset's label, points and extras. */
interface ChartState {
  name: string;
  xType: string;
  yType: string;
  legend: boolean;
  datasets: {
    label: string;
    points: [number, number][];
    values: (number | null)[];
    brackets: ([number | null, number | null] | null)[] | null;
    hidden: boolean;
  }[];
}

function chartStates(page: Page): Promise<ChartState[]> {
  return page.evaluate((): ChartState[] => {
    interface DatasetLike {
      label: string;
      data: unknown[];
      /** The data before the decimation plugin thinned it, when it did. */
      _data?: unknown[];
      brackets?: ([number | null, number | null] | null)[];
    }
    interface ChartLike {
      data: { datasets: DatasetLike[] };
      options: {
        scales: Record<string, { type: string }>;
        plugins: { legend: { display: boolean } };
      };
      isDatasetVisible(i: number): boolean;
    }
    interface CanvasLike {
      dataset: Record<string, string | undefined>;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<CanvasLike> };
      Chart: { getChart(c: CanvasLike): ChartLike | undefined };
    };
    return Array.from(g.document.querySelectorAll('canvas[data-chart]')).map((canvas) => {
      const chart = g.Chart.getChart(canvas)!;
      return {
        name: canvas.dataset.chart ?? '',
        xType: chart.options.scales.x.type,
        yType: chart.options.scales.y.type,
        legend: chart.options.plugins.legend.display,
        datasets: chart.data.datasets.map((d, i) => ({
          label: d.label,
          points: (d._data ?? d.data)
            .filter((p): p is { x: number; y: number } => typeof p === 'object' && p !== null)
            .map((p): [number, number] => [p.x, p.y]),
          values: d.data.map((p) => (typeof p === 'number' ? p : null)),
          brackets: d.brackets ?? null,
          hidden: !chart.isDatasetVisible(i),
        })),
      };
    });
  });
}

async function chart(page: Page, name: string): Promise<ChartState> {
  const found = (await chartStates(page)).find((c) => c.name === name);
  if (!found) throw new Error(`no chart ${name}`);
  return found;
}

/** A shown change `+12.3 %` / `−4.0 %` as a number. */
function parsePercent(text: string): number {
  return Number(text.replace('\u2212', '-').replace('\u00b1', '').replace(/[ %+]/g, ''));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.skipIf(chromiumMissing('test/browser/compare-config.test.ts'))(
  'Compare by configuration in Chromium (schedbench serve)',
  () => {
    let dir: string;
    let serve: ServeProcess;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];
    const ids: Record<string, number[]> = {};

    beforeAll(async () => {
      if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
        throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
      }
      mkdirSync(SHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'schedbench-compare-config-'));
      const db = join(dir, 'compare.db');
      for (const [name, spec] of [
        ['by-config', CONFIG_SPEC],
        ['tiny-capacity', CAPACITY_SPEC],
        ['waits', WAIT_SPEC],
      ]) {
        writeFileSync(join(dir, `${name}.yaml`), spec);
        const sweep = runCli(['sweep', join(dir, `${name}.yaml`), '--db', db, '--jobs', '2']);
        expect(sweep.code, sweep.stderr).toBe(0);
      }
      serve = await startServe(db);
      for (const [sweepId, name] of [
        [1, 'by-config'],
        [2, 'tiny-capacity'],
        [3, 'waits'],
      ] as const) {
        ids[name] = (await serve.call<RunSummary[]>('runs.list', { sweepIds: [sweepId] })).map((r) => r.id);
      }
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(serve.readyUrl);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('groups runs into configurations and compares them with the baseline at the same rate', async () => {
      const runIds = ids['by-config'];
      expect(runIds).toHaveLength(12);
      await page.goto(`${serve.base}/#/compare?runs=${runIds.join(',')}`);
      await page.waitForSelector('[data-compare-state="ready"]');
      const out = await serve.call<CompareOut>('runs.compare', { runIds });
      expect(out.configurations.map((c) => c.label)).toEqual([
        'vllm maxNumSeqs=64',
        'vllm maxNumSeqs=128',
        'sarathi',
      ]);

      // The configurations: only the fields that differ, parameters in one `params` column.
      const head = await page.locator('.compare-configs thead th').allTextContents();
      expect(head).toEqual(['configuration', 'policy', 'params', 'rates', 'seeds', 'runs']);
      const params = await page.locator('.compare-configs td[data-field="params"]').allTextContents();
      expect(params[0]).toContain('maxNumSeqs=64');
      expect(params[2]).toContain('chunkSize=256');
      expect(await page.locator('.compare-configs tbody tr').count()).toBe(3);
      expect(await page.locator('.compare-configs tr.baseline').getAttribute('data-configuration')).toBe('0');

      // Choose 6 req/s: each configuration against the baseline configuration at 6 req/s.
      await page.selectOption('select[name="rate"]', '6');
      await page.waitForSelector('.compare-metrics[data-rate="6"]');
      expect(new URL(page.url()).hash).toContain('rate=6');
      const runs = await serve.call<RunSummary[]>('runs.list', { sweepIds: [1] });
      const at = (configuration: number, rate: number): RunSummary[] =>
        runs.filter((r) => out.configurations[configuration].runIds.includes(r.id) && r.rate === rate);
      const meanOf = (configuration: number, rate: number, key: 'throughput_tok_s' | 'e2e_mean_s'): number =>
        mean(at(configuration, rate).map((r) => r.metrics![key]!));
      const checkChanges = async (baseline: number): Promise<void> => {
        for (const key of ['throughput_tok_s', 'e2e_mean_s'] as const) {
          const row = page.locator(`.compare-metrics tr[data-metric="${key}"] td`);
          const columns = (
            await page
              .locator('.compare-metrics thead th[data-configuration]')
              .evaluateAll((ths) =>
                ths.map(
                  (t) => (t as unknown as { dataset: { configuration: string } }).dataset.configuration,
                ),
              )
          ).map(Number);
          expect(columns[0]).toBe(baseline);
          expect(columns.slice().sort()).toEqual([0, 1, 2]);
          for (const [k, configuration] of columns.entries()) {
            const cell = row.nth(k);
            const value = meanOf(configuration, 6, key);
            // Shown with 4 significant digits.
            const shownValue = Number(await cell.locator('.value').textContent());
            expect(Math.abs(shownValue - value)).toBeLessThanOrEqual(Math.abs(value) * 5e-4 + 1e-12);
            if (configuration === baseline) {
              expect(await cell.locator('.change').count()).toBe(0);
              continue;
            }
            const base = meanOf(baseline, 6, key);
            const expected = ((value - base) / Math.abs(base)) * 100;
            const shown = parsePercent((await cell.locator('.change').textContent()) ?? '');
            expect(
              Math.abs(shown - expected),
              `${key} of configuration ${configuration}`,
            ).toBeLessThanOrEqual(Math.abs(expected) >= 100 ? 0.5 : 0.05);
            // The API says the same, rebased or not, against the same rate only.
            const apiCell = out.configurations[configuration].cells.find((c) => c.rate === 6)!;
            if (baseline === out.baselineConfiguration) {
              expect(apiCell.changePct[key]).toBeCloseTo(expected, 9);
            }
          }
        }
        // Stability: stable runs / runs of the configuration at 6 req/s.
        const stability = await page
          .locator('.compare-metrics tr[data-metric="stability"] td .value')
          .allTextContents();
        expect(stability[0]).toBe(
          `${at(baseline, 6).filter((r) => r.stable === true).length} / ${at(baseline, 6).length}`,
        );
      };
      await checkChanges(0);

      // Sarathi runs on 2 replicas: its cell shows each replica's share of the tokens (the API's
      // mean over seeds), the one-replica configurations a dash.
      const sharesRow = page.locator('.compare-metrics tr[data-metric="replica_shares"] td');
      const shownColumns = (
        await page
          .locator('.compare-metrics thead th[data-configuration]')
          .evaluateAll((ths) =>
            ths.map((t) => (t as unknown as { dataset: { configuration: string } }).dataset.configuration),
          )
      ).map(Number);
      for (const [k, configuration] of shownColumns.entries()) {
        const shares = out.configurations[configuration].cells.find((c) => c.rate === 6)!.replicaShares;
        const text = (await sharesRow.nth(k).textContent())!.trim();
        if (configuration === 2) {
          expect(shares).toHaveLength(2);
          expect(shares![0] + shares![1]).toBeCloseTo(1, 12);
          expect(text).toBe(`${shares!.map((x) => formatNumber(100 * x)).join(' \u00b7 ')} %`);
        } else {
          expect(shares).toBeUndefined();
          expect(text).toBe('-');
        }
      }
      // No inner scroll box: every metric row is on the page, none hidden in a scrolled box.
      const box = await page.locator('.compare-metrics-box').evaluate((el) => {
        const e = el as unknown as { scrollHeight: number; clientHeight: number };
        return { scroll: e.scrollHeight, client: e.clientHeight };
      });
      expect(box.scroll).toBeLessThanOrEqual(box.client + 1);
      await page.screenshot({ path: join(SHOTS, 'compare-config.png'), fullPage: true });

      // Another baseline configuration: recomputed here, against the same rate.
      await page.selectOption('select[name="baseline"]', '2');
      await expect
        .poll(() => page.locator('.compare-metrics thead th.baseline').getAttribute('data-configuration'))
        .toBe('2');
      await checkChanges(2);
      expect(new URL(page.url()).hash).toContain(`baseline=${out.configurations[2].runIds[0]}`);
      // The API asked for that baseline agrees.
      const rebased = await serve.call<CompareOut>('runs.compare', {
        runIds,
        baselineId: out.configurations[2].runIds[0],
        maxPointsPerRun: 10,
      });
      expect(rebased.baselineConfiguration).toBe(2);
      const vllm64 = rebased.configurations[0].cells.find((c) => c.rate === 6)!;
      expect(vllm64.changePct.throughput_tok_s).toBeCloseTo(
        ((meanOf(0, 6, 'throughput_tok_s') - meanOf(2, 6, 'throughput_tok_s')) /
          meanOf(2, 6, 'throughput_tok_s')) *
          100,
        9,
      );
    });

    it('switches the latency axes and CDFs to a log scale; a legend click hides a line', async () => {
      const before = await chartStates(page);
      const type = (name: string, axis: 'xType' | 'yType'): string | undefined =>
        before.find((c) => c.name === name)?.[axis];
      expect(type('latency-mean', 'yType')).toBe('linear');
      expect(type('ttft-cdf', 'xType')).toBe('linear');
      await page.locator('input[name="log-scale"]').check();
      expect((await chart(page, 'latency-mean')).yType).toBe('logarithmic');
      expect((await chart(page, 'latency-p99')).yType).toBe('logarithmic');
      expect((await chart(page, 'ttft-cdf')).xType).toBe('logarithmic');
      expect((await chart(page, 'e2e-cdf')).xType).toBe('logarithmic');
      expect((await chart(page, 'throughput')).yType).toBe('linear');
      expect(new URL(page.url()).hash).toContain('log=1');
      await page.locator('section.charts').screenshot({ path: join(SHOTS, 'compare-config-log.png') });
      await page.locator('input[name="log-scale"]').uncheck();
      expect((await chart(page, 'latency-mean')).yType).toBe('linear');

      // Every chart shows Chart.js's legend; clicking the first entry hides that line.
      for (const c of await chartStates(page)) expect(c.legend, c.name).toBe(true);
      const point = await page.evaluate(() => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): unknown };
          Chart: {
            getChart(c: unknown): {
              legend: { legendHitBoxes: { left: number; top: number; width: number; height: number }[] };
            };
          };
        };
        const box = g.Chart.getChart(g.document.querySelector('canvas[data-chart="throughput"]')).legend
          .legendHitBoxes[0];
        return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
      });
      await page.locator('canvas[data-chart="throughput"]').click({ position: point });
      // Chart.js handles canvas events on the next animation frame.
      await expect.poll(async () => (await chart(page, 'throughput')).datasets[0].hidden).toBe(true);
      const throughput = await chart(page, 'throughput');
      expect(throughput.datasets[0].hidden).toBe(true);
      expect(throughput.datasets.slice(1).every((d) => !d.hidden)).toBe(true);
    });

    it('draws the time series of chosen runs, and the Pareto chart from the API\u2019s values', async () => {
      const runIds = ids['by-config'];
      // What the page asked for: comparePointsPerRun(12) points per run.
      const out = await serve.call<CompareOut>('runs.compare', { runIds, maxPointsPerRun: 833 });
      // Time series: seed 1 of every configuration at the chosen rate (6 req/s), then one configuration's seeds.
      const kv = await chart(page, 'kv-usage');
      expect(kv.datasets).toHaveLength(3);
      expect(
        kv.datasets.every((d) => d.label.includes('seed 1') && d.label.includes('@ a100-llama2-7b-linear')),
      ).toBe(true);
      await page.selectOption('select[name="series"]', 'config-1');
      await expect.poll(async () => (await chart(page, 'kv-usage')).datasets.length).toBe(2);
      const chosen = out.runs
        .filter((r, i) => out.runConfiguration[i] === 1 && r.rate === 6)
        .map((r) => r.id);
      const queue = await chart(page, 'queue-length');
      const expected = out.charts.queueLength
        .filter((s) => chosen.includes(s.runIds[0]))
        .map((s) => s.x.map((x, i): [number, number] => [x, s.y[i]!]));
      expect(queue.datasets.map((d) => d.points)).toEqual(expected);

      // Pareto: one front per policy, the points the API computed.
      const pareto = await chart(page, 'pareto');
      expect(pareto.datasets.map((d) => d.label)).toEqual(out.charts.pareto.map((f) => f.label));
      expect(pareto.datasets.map((d) => d.label)).toEqual(['vllm', 'sarathi']);
      for (const [i, front] of out.charts.pareto.entries()) {
        const sort = (ps: [number, number][]): [number, number][] =>
          [...ps].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(sort(pareto.datasets[i].points)).toEqual(
          sort(front.points.map((p) => [p.perUserTokS, p.throughputTokS])),
        );
        // The line joins the front first, ascending in tokens/s per user.
        const onFront = front.points.filter((p) => p.front).map((p) => p.perUserTokS);
        expect(pareto.datasets[i].points.slice(0, onFront.length).map((p) => p[0])).toEqual(
          [...onFront].sort((a, b) => a - b),
        );
        // A point is the configuration's mean over seeds at its rate.
        const p = front.points[0];
        const at = out.runs.filter(
          (r, k) => out.runConfiguration[k] === p.configuration && r.rate === p.rate,
        );
        expect(p.throughputTokS).toBeCloseTo(mean(at.map((r) => r.metrics!.throughput_tok_s!)), 9);
        expect(p.perUserTokS).toBeCloseTo(
          mean(
            at.map(
              (r) =>
                r.metrics!.throughput_tok_s! / (r.metrics!.request_throughput_rps! * r.metrics!.e2e_mean_s!),
            ),
          ),
          9,
        );
      }
      expect(page.url()).toContain('series=config-1');
      for (const canvas of await inspectCharts(page)) {
        expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      }
      // No capacity search in this sweep: no capacity chart.
      await page.waitForSelector('[data-capacity-state="none"]');
    });

    it('draws the capacity chart of a capacity-search sweep from sweeps.capacity', async () => {
      const runIds = ids['tiny-capacity'];
      await page.goto(`${serve.base}/#/compare?runs=${runIds.join(',')}`);
      await page.waitForSelector('[data-capacity-state="ready"]');
      const capacity = await serve.call<CapacityOut>('sweeps.capacity', { sweepId: 2 });
      expect(capacity.searches).toHaveLength(2);
      const drawn = await chart(page, 'capacity:2:md1');
      const bars = drawn.datasets.filter((d) => d.brackets !== null);
      expect(bars).toHaveLength(2);
      for (const [i, row] of capacity.searches.entries()) {
        expect(bars[i].label.startsWith(row.policy.split(' ')[0])).toBe(true);
        expect(bars[i].values[i]).toBe(row.max_rate_rps);
        expect(bars[i].brackets![i]).toEqual([row.lower_rps, row.upper_rps]);
        expect(row.lower_rps).toBeGreaterThan(90);
        expect(row.upper_rps).toBeLessThan(105);
      }
      // The fluid limit is a line where the machine has one (d1 = 0 here: unbounded, none).
      const limits = drawn.datasets.filter((d) => d.brackets === null);
      const fluid = capacity.searches[0].fluid_max_stable_rate_rps;
      expect(limits.map((d) => d.values[0])).toEqual(fluid === null ? [] : [fluid]);
      const canvas = (await inspectCharts(page)).find((c) => c.name === 'capacity:2:md1')!;
      expect(canvas.paintedPixels).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      await page
        .locator('section.capacity-charts')
        .screenshot({ path: join(SHOTS, 'compare-config-capacity.png') });
    });

    it('notes under a waiting policy that it waits by design, with the docs', async () => {
      await page.goto(`${serve.base}/#/compare?runs=${ids.waits.join(',')}`);
      await page.waitForSelector('[data-compare-state="ready"]');
      const note = page.locator('.wait-note');
      expect(await note.count()).toBe(1);
      expect(await note.getAttribute('data-policy')).toBe('wait');
      expect(await note.textContent()).toContain('docs/paper-model.md');
      await page.locator('.compare-body').screenshot({ path: join(SHOTS, 'compare-config-wait.png') });
      expect(pageErrors).toEqual([]);
    });
  },
);
