import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityOut, CompareOut, RunSummary, SweepSummaryData } from '../../runner/api/api-contract.js';
import { formatNumber } from '../../runner/reports/format-number.js';
import {
  answerVerdicts,
  formatMeanWithInterval,
  verdictSentence,
} from '../../runner/reports/verdict-sentence.js';
import { REPO, runCli } from '../helpers/cli.js';
import { inspectCharts } from './chart-inspection.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { openOffline } from './offline-page.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * A finished sweep's page is its answer (renderer/src/pages/sweep-detail-page.ts), served by the
 * real `schedbench serve` on a database made with `schedbench sweep`: sweep 1 runs two policies
 * at ONE arrival rate (the usual "N policies at one rate"), sweep 2 is a capacity search of an
 * M/D/1 queue under two policies. The page's verdict sentences are the API's (`sweeps.summary`
 * through verdictSentence, capacity first), its capacity table is `sweeps.capacity`, its summary
 * and stability are the summary's rows; the fluid bound is drawn at a single rate on the page, on
 * Compare and in the exported HTML report, which opens with the same verdict. Screenshots go to
 * test-artifacts/screenshots/ (sweep-answer*.png, compare-one-rate.png, report-verdict.png).
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

/** Two policies x one rate x two seeds on the linear A100 machine (it has a fluid bound): 4 runs. */
const ONE_RATE_SPEC = [
  'name: one-rate',
  'machine: a100-llama2-7b-linear',
  'requests: 300',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: synth',
  '    promptTokens: { dist: uniform, min: 50, max: 400 }',
  '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  '    arrival: { process: poisson, rate: 4 }',
  'policies:',
  '  - { policy: vllm }',
  '  - { policy: sarathi, chunkSize: 256 }',
  '',
].join('\n');

/** An M/D/1 queue of capacity 100 req/s (test/e2e/capacity-search.test.ts) searched under two policies. */
const CAPACITY_SPEC = [
  'name: md1-capacity',
  'machine: { model: linear, d0: 0.01, d1: 0, kvCapacityTokens: 4096, blockSize: 16 }',
  'requests: 2000',
  'seeds: [1]',
  'workloads:',
  '  - name: md1',
  '    types: [{ prompt: 1, output: 1, rate: 1 }]',
  '    rate: { search: { min: 25, max: 400, precision: 0.05 } }',
  'policies:',
  '  - { policy: fcfs, maxNumSeqs: 1 }',
  '  - { policy: vllm, maxNumSeqs: 1 }',
  '',
].join('\n');

/** What a chart draws of its fluid-bound dataset (label starting `Throughput*`). */
interface FluidDrawn {
  label: string;
  points: { x: number; y: number }[];
  pointStyle: unknown;
  radius: number;
  /** Every drawn point lies inside the plot area. */
  inside: boolean;
  visible: boolean;
}

/** The fluid-bound datasets of the chart on `canvas[data-chart=name]` (page or report). */
function fluidDrawn(page: Page, name: string): Promise<FluidDrawn[]> {
  return page.evaluate((name): FluidDrawn[] => {
    interface Element {
      x: number;
      y: number;
      options: { pointStyle: unknown; radius: number };
    }
    interface ChartLike {
      data: { datasets: { label: string; data: { x: number; y: number }[] }[] };
      chartArea: { left: number; right: number; top: number; bottom: number };
      getDatasetMeta(i: number): { data: Element[] };
      isDatasetVisible(i: number): boolean;
    }
    const g = globalThis as unknown as {
      document: { querySelector(s: string): unknown };
      Chart: { getChart(c: unknown): ChartLike | undefined };
    };
    const chart = g.Chart.getChart(g.document.querySelector(`canvas[data-chart="${name}"]`));
    if (!chart) return [];
    const area = chart.chartArea;
    return chart.data.datasets.flatMap((d, i) => {
      if (!d.label.startsWith('Throughput*')) return [];
      const elements = chart.getDatasetMeta(i).data;
      return [
        {
          label: d.label,
          points: d.data.map((p) => ({ x: p.x, y: p.y })),
          pointStyle: elements[0]?.options.pointStyle,
          radius: elements[0]?.options.radius ?? 0,
          inside: elements.every(
            (e) => e.x >= area.left && e.x <= area.right && e.y >= area.top && e.y <= area.bottom,
          ),
          visible: chart.isDatasetVisible(i),
        },
      ];
    });
  }, name);
}

/** The sentences the page must state for a sweep: the API's verdicts, capacity first. */
function expectedSentences(summary: SweepSummaryData): string[] {
  const { capacity, paired } = answerVerdicts(summary.verdicts);
  return [...capacity, ...paired].map(verdictSentence);
}

describe.skipIf(chromiumMissing('test/browser/sweep-answer.test.ts'))('the sweep page is the answer', () => {
  let dir: string;
  let serve: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
      throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
    }
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'schedbench-sweep-answer-'));
    const db = join(dir, 'answer.db');
    writeFileSync(join(dir, 'one-rate.yaml'), ONE_RATE_SPEC);
    writeFileSync(join(dir, 'capacity.yaml'), CAPACITY_SPEC);
    for (const spec of ['one-rate.yaml', 'capacity.yaml']) {
      const sweep = runCli(['sweep', join(dir, spec), '--db', db, '--jobs', '2']);
      expect(sweep.code, sweep.stderr).toBe(0);
    }
    serve = await startServe(db);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(serve.readyUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('states the API verdict, summary and stability of N policies at one rate, with the fluid bound drawn', async () => {
    await page.goto(`${serve.base}/#/sweeps/1`);
    await page.waitForSelector('.sweep-answer[data-answer-state="ready"]');
    const summary = await serve.call<SweepSummaryData>('sweeps.summary', { sweepId: 1 });
    const sentences = expectedSentences(summary);
    expect(sentences.length).toBeGreaterThan(0);
    expect(await page.locator('.sweep-verdict ul.verdicts li').allTextContents()).toEqual(sentences);
    expect(await page.locator('.sweep-verdict ul.verdicts-capacity').count()).toBe(0);
    expect(await page.locator('.sweep-capacity').count()).toBe(0);
    // The verdict opens the page: above the summary, the charts and the spec.
    const top = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((e) => (e as unknown as { offsetTop: number }).offsetTop);
    expect(await top('.sweep-verdict')).toBeLessThan(await top('.sweep-summary'));
    expect(await top('.sweep-summary')).toBeLessThan(await top('pre.spec'));

    // Summary by configuration: the API's rows, each metric as `schedbench summary` writes it.
    const rows = page.locator('table.summary-table tbody tr');
    expect(await rows.count()).toBe(summary.rows.length);
    for (const [i, row] of summary.rows.entries()) {
      const tr = rows.nth(i);
      expect(await tr.getAttribute('data-policy')).toBe(row.policy);
      for (const [key, value] of Object.entries(row.metrics)) {
        expect(await tr.locator(`td[data-metric="${key}"]`).textContent(), key).toBe(
          formatMeanWithInterval(value),
        );
      }
      // Stability: stable runs / runs at that configuration and rate.
      const cell = page.locator(
        `table.stability-table tr[data-policy="${row.policy}"] td[data-rate="${row.rate}"]`,
      );
      const runs = row.stability.stable + row.stability.unstable + row.stability.unjudged;
      expect(await cell.textContent()).toBe(`${row.stability.stable}/${runs}`);
      expect(runs).toBe(row.seeds.length);
    }

    // The rate charts, with the fluid bound at the one rate: one point, drawn as a tick.
    const runs = await serve.call<RunSummary[]>('runs.list', { sweepIds: [1] });
    const compare = await serve.call<CompareOut>('runs.compare', { runIds: runs.map((r) => r.id) });
    expect(compare.charts.fluidBound).toHaveLength(1);
    const [bound] = await fluidDrawn(page, 'throughput');
    expect(bound).toMatchObject({
      label: compare.charts.fluidBound[0].label,
      points: [{ x: compare.charts.fluidBound[0].x[0], y: compare.charts.fluidBound[0].y[0] }],
      pointStyle: 'line',
      inside: true,
      visible: true,
    });
    expect(bound.radius).toBeGreaterThan(5);
    const canvases = await inspectCharts(page);
    expect(canvases.map((c) => c.name)).toEqual(['latency-mean', 'latency-p99', 'throughput']);
    for (const canvas of canvases) {
      expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
    }
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'sweep-answer.png'), fullPage: true });
  });

  it('exports the HTML report (opening with the same verdict, the fluid bound drawn), CSV and JSON', async () => {
    const summary = await serve.call<SweepSummaryData>('sweeps.summary', { sweepId: 1 });
    const download = async (action: string, file: string): Promise<string> => {
      const [got] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`[data-action="${action}"]`),
      ]);
      const path = join(dir, file);
      await got.saveAs(path);
      return path;
    };
    const json = JSON.parse(readFileSync(await download('export-json', 'runs.json'), 'utf8')) as unknown[];
    expect(json).toHaveLength(4);
    expect(
      readFileSync(await download('export-csv', 'runs.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(5);

    const opened = await openOffline(browser, await download('export-html', 'report.html'));
    try {
      expect(opened.pageErrors).toEqual([]);
      expect(opened.blockedRequests).toEqual([]);
      expect(await opened.page.locator('main > section').first().getAttribute('id')).toBe('verdict');
      expect(await opened.page.locator('section#verdict li').allTextContents()).toEqual(
        expectedSentences(summary),
      );
      // One rate: the fluid line is a segment through it, inside the plot.
      const [line] = await fluidDrawn(opened.page, 'throughput:synth');
      expect(line.points.length).toBeGreaterThanOrEqual(2);
      expect(line.inside && line.visible).toBe(true);
      await opened.page.screenshot({ path: join(SHOTS, 'report-verdict.png'), fullPage: false });
    } finally {
      await opened.close();
    }
  });

  it('shows the capacity table of a capacity search as sweeps.capacity gives it, its verdict first', async () => {
    await page.goto(`${serve.base}/#/sweeps/2`);
    await page.waitForSelector('.sweep-answer[data-answer-state="ready"]');
    const capacity = await serve.call<CapacityOut>('sweeps.capacity', { sweepId: 2 });
    const summary = await serve.call<SweepSummaryData>('sweeps.summary', { sweepId: 2 });
    expect(capacity.searches).toHaveLength(2);
    const rows = page.locator('table.capacity-table tbody tr');
    expect(await rows.count()).toBe(capacity.searches.length);
    for (const [i, s] of capacity.searches.entries()) {
      const tr = rows.nth(i);
      const attrs = await tr.evaluate((e) => ({
        ...(e as unknown as { dataset: Record<string, string> }).dataset,
      }));
      expect(attrs).toEqual({
        workload: s.workload,
        policy: s.policy,
        params: JSON.stringify(s.params),
        maxRate: JSON.stringify(s.max_rate_rps),
        lower: JSON.stringify(s.lower_rps),
        upper: JSON.stringify(s.upper_rps),
        probes: JSON.stringify(s.probes),
        limiting: JSON.stringify(s.limiting),
        fluidLimit: JSON.stringify(s.fluid_max_stable_rate_rps),
        status: s.status,
      });
      expect(s).toMatchObject({ status: 'done', outcome: 'bracketed', limiting: 'stability' });
      expect(await tr.locator('td.max-rate').textContent()).toBe(formatNumber(s.max_rate_rps));
      expect(await tr.locator('td.bracket').textContent()).toBe(
        `${formatNumber(s.lower_rps)} \u2013 ${formatNumber(s.upper_rps)}`,
      );
      expect(await tr.locator('td.probes').textContent()).toBe(`${s.probes} \u00d7 1 seed`);
      expect(await tr.locator('td.fluid-limit').textContent()).toBe(
        formatNumber(s.fluid_max_stable_rate_rps),
      );
    }
    // The verdict: the capacity verdict (as sweeps.capacity states it) first, then the paired ones.
    const items = await page.locator('.sweep-verdict ul.verdicts li').allTextContents();
    expect(items).toEqual(expectedSentences(summary));
    expect(capacity.verdicts).toHaveLength(1);
    expect(items[0]).toBe(verdictSentence(capacity.verdicts[0]));
    expect(await page.locator('.sweep-verdict ul.verdicts-capacity li').count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'sweep-answer-capacity.png'), fullPage: true });
  });

  it('draws the fluid bound on Compare when every compared run has the same rate', async () => {
    const runs = await serve.call<RunSummary[]>('runs.list', { sweepIds: [1] });
    const ids = runs.map((r) => r.id).sort((a, b) => a - b);
    await page.goto(`${serve.base}/#/compare?runs=${ids.join(',')}`);
    await page.waitForSelector('[data-compare-state="ready"]');
    const [bound] = await fluidDrawn(page, 'throughput');
    expect(bound.points).toHaveLength(1);
    expect(bound).toMatchObject({ pointStyle: 'line', inside: true, visible: true });
    expect(bound.radius).toBeGreaterThan(5);
    // And the fluid stability limit as a vertical line, at the API's rate, drawn on the chart.
    const compare = await serve.call<CompareOut>('runs.compare', { runIds: ids });
    expect(compare.charts.fluidLimits).toHaveLength(1);
    const drawn = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): unknown };
        Chart: {
          getChart(c: unknown): {
            $verticalLinesDrawn?: number[];
            scales: { x: { getValueForPixel(p: number): number } };
          };
        };
      };
      const chart = g.Chart.getChart(g.document.querySelector('canvas[data-chart="throughput"]'));
      return (chart.$verticalLinesDrawn ?? []).map((px) => chart.scales.x.getValueForPixel(px));
    });
    expect(drawn).toHaveLength(1);
    expect(drawn[0]).toBeCloseTo(compare.charts.fluidLimits[0].rateRps, 1);
    await page.locator('[data-card="throughput"]').screenshot({ path: join(SHOTS, 'compare-one-rate.png') });
  });
});
