import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../runner/reports/html-report.js';
import { FLUID_LINE_LABEL } from '../../runner/reports/report-charts.js';
import type { ReportData } from '../../runner/reports/report-data.js';
import { sampleReportData } from '../unit/reports/report-data-fixture.js';
import { inspectCharts } from './chart-inspection.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { openOffline } from './offline-page.js';

const WORKLOADS = ['azure-conv', 'sharegpt-synth'];
const CHART_KINDS = ['latency-e2e', 'latency-ttft', 'throughput', 'cdf-ttft', 'cdf-e2e'];

describe.skipIf(chromiumMissing('test/browser/report.test.ts'))('HTML report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  let reportFile: string;
  let data: ReportData;

  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'schedbench-report-'));
    // 2 workloads x 3 policies x 3 rates x 2 seeds, 500 latency samples per run, 1 failed run per
    // workload; vllm at 8 req/s on azure-conv is unstable; fluid limits at 10 and 6 req/s.
    data = sampleReportData({ workloads: WORKLOADS, seeds: [1, 2], samples: 500, fluid: true });
    reportFile = join(dir, 'report.html');
    writeFileSync(reportFile, renderHtmlReport(data));
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads offline without errors and draws every chart', async () => {
    const opened = await openOffline(browser, reportFile);
    try {
      expect(opened.blockedRequests).toEqual([]);
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.pageErrors).toEqual([]);
      const canvases = await inspectCharts(opened.page);
      expect(canvases.map((c) => c.name)).toEqual(
        WORKLOADS.flatMap((workload) => CHART_KINDS.map((kind) => `${kind}:${workload}`)),
      );
      for (const canvas of canvases) {
        expect(canvas.hasChart, canvas.name).toBe(true);
        expect(canvas.datasets, canvas.name).toBeGreaterThanOrEqual(3);
        expect(canvas.points, canvas.name).toBeGreaterThanOrEqual(9);
        // Axes, labels and lines paint well over 1% of a chart's pixels; a blank canvas paints none.
        expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      }
      const heading = await opened.page.textContent('h1');
      expect(heading).toBe(data.title);
      await opened.page.screenshot({ path: '/tmp/report.png', fullPage: true });
    } finally {
      await opened.close();
    }
  });

  it('draws the fluid Throughput* line, the stability limit and crosses for unstable runs', async () => {
    const opened = await openOffline(browser, reportFile);
    try {
      const inspect = (name: string) =>
        opened.page.evaluate(
          ({ name, fluidLabel }) => {
            interface Dataset {
              label: string;
              data: Array<{ x: number; y: number }>;
              borderDash: number[];
              pointStyle: string | string[];
            }
            interface ChartLike {
              data: { datasets: Dataset[] };
              $fluidLimitDrawn?: number[];
              scales: { x: { getPixelForValue(v: number): number } };
              chartArea: { top: number; bottom: number };
              currentDevicePixelRatio: number;
              options: { plugins: { subtitle: { text: string } } };
            }
            interface CanvasLike {
              getContext(kind: '2d'): {
                getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
              };
            }
            const page = globalThis as unknown as {
              document: { querySelector(s: string): CanvasLike };
              Chart: { getChart(c: unknown): ChartLike };
            };
            const canvas = page.document.querySelector(`canvas[data-chart="${name}"]`);
            const chart = page.Chart.getChart(canvas);
            const fluid = chart.data.datasets.find((d) => d.label === fluidLabel);
            // Grey pixels (the limit's color, #555555) in a 5-pixel column around each drawn line.
            const ratio = chart.currentDevicePixelRatio;
            const top = Math.ceil(chart.chartArea.top * ratio);
            const height = Math.floor((chart.chartArea.bottom - chart.chartArea.top) * ratio);
            const greyRows = (chart.$fluidLimitDrawn ?? []).map((x) => {
              const left = Math.round(x * ratio) - 2;
              const pixels = canvas.getContext('2d').getImageData(left, top, 5, height).data;
              let rows = 0;
              for (let r = 0; r < height; r++) {
                let grey = false;
                for (let c = 0; c < 5; c++) {
                  const i = (r * 5 + c) * 4;
                  const [red, green, blue, alpha] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
                  if (
                    alpha > 128 &&
                    Math.abs(red - 85) < 40 &&
                    Math.abs(green - 85) < 40 &&
                    Math.abs(blue - 85) < 40
                  )
                    grey = true;
                }
                if (grey) rows++;
              }
              return rows / height;
            });
            return {
              fluid: fluid
                ? { points: fluid.data.map((p) => [p.x, p.y]), dashed: fluid.borderDash.length > 0 }
                : null,
              drawn: chart.$fluidLimitDrawn ?? [],
              pixelAt10: chart.scales.x.getPixelForValue(10),
              pixelAt6: chart.scales.x.getPixelForValue(6),
              greyRows,
              pointStyles: chart.data.datasets.map((d) => d.pointStyle),
              labels: chart.data.datasets.map((d) => d.label),
              subtitle: chart.options.plugins.subtitle.text,
            };
          },
          { name, fluidLabel: FLUID_LINE_LABEL },
        );

      // azure-conv: limit 10 req/s beyond the highest rate (8): the axis is widened to show it,
      // and the line runs up to it.
      const azure = await inspect('throughput:azure-conv');
      expect(azure.fluid).toEqual({
        points: [
          [2, 2 * 210],
          [4, 4 * 210],
          [8, 8 * 210],
          [10, 10 * 210], // the limit, where the line would bend
        ],
        dashed: true,
      });
      expect(azure.drawn).toHaveLength(1);
      expect(azure.drawn[0]).toBeCloseTo(azure.pixelAt10, 6);
      expect(azure.greyRows[0]).toBeGreaterThan(0.3); // a dashed line: about half of the rows
      // sharegpt-synth: limit 6 req/s between 4 and 8: the line bends there and stays flat.
      const sharegpt = await inspect('throughput:sharegpt-synth');
      expect(sharegpt.fluid?.points).toEqual([
        [2, 2 * 340],
        [4, 4 * 340],
        [6, 6 * 340],
        [8, 6 * 340],
      ]);
      expect(sharegpt.drawn[0]).toBeCloseTo(sharegpt.pixelAt6, 6);
      for (const name of ['latency-e2e', 'latency-ttft']) {
        for (const workload of WORKLOADS) {
          const chart = await inspect(`${name}:${workload}`);
          expect(chart.fluid, `${name}:${workload}`).toBeNull();
          expect(chart.drawn, `${name}:${workload}`).toHaveLength(1);
          expect(chart.greyRows[0], `${name}:${workload}`).toBeGreaterThan(0.3);
        }
      }

      // vllm at 8 req/s on azure-conv was judged unstable (both seeds): its points are crosses.
      const e2e = await inspect('latency-e2e:azure-conv');
      const vllmMean = e2e.labels.indexOf('vllm mean');
      expect(e2e.pointStyles[vllmMean]).toEqual(['circle', 'circle', 'crossRot']);
      expect(e2e.pointStyles[e2e.labels.indexOf('sarathi mean')]).toEqual(['circle', 'circle', 'circle']);
      expect(e2e.subtitle).toMatch(/\u00d7 = a run judged unstable/);
      expect((await inspect('latency-e2e:sharegpt-synth')).subtitle).not.toMatch(/unstable/);

      // The stability summary: the largest stable rate per policy, and the fluid limit.
      const summary = opened.page.locator('#workload-0 table.stable-rates tbody tr');
      expect(await summary.allTextContents()).toEqual([
        'vllm4unstable from 8 req/s',
        'sarathi\u2265 8stable at every rate tested',
        'mc-sf\u2265 8stable at every rate tested',
        'fluid benchmark10stability limit of the type mix (arXiv 2504.11320v2 \u00a73)',
      ]);
      expect(await opened.page.locator('#workload-0 .fluid-note').textContent()).toBe(
        data.fluid!['azure-conv'].note,
      );
      expect(await opened.page.locator('#workload-0 table.runs td.stable-no').count()).toBe(2);
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('switches the CDFs of a workload with the rate selector', async () => {
    const opened = await openOffline(browser, reportFile);
    try {
      const lastX = (): Promise<number[]> =>
        opened.page.evaluate(() => {
          const page = globalThis as unknown as {
            document: { querySelector(s: string): unknown };
            Chart: { getChart(c: unknown): { data: { datasets: Array<{ data: Array<{ x: number }> }> } } };
          };
          const chart = page.Chart.getChart(
            page.document.querySelector('canvas[data-chart="cdf-e2e:azure-conv"]'),
          );
          return chart.data.datasets.map((d) => d.data[d.data.length - 1].x);
        });
      const atHighest = await lastX();
      expect(await opened.page.inputValue('select[data-cdf-group="cdf-0"]')).toBe('8');
      await opened.page.selectOption('select[data-cdf-group="cdf-0"]', '2');
      const atLowest = await lastX();
      expect(atLowest).toHaveLength(3);
      // Less load, shorter tail: the largest E2E sample of every policy shrinks.
      atLowest.forEach((x, i) => expect(x).toBeLessThan(atHighest[i]));
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('shows the runs table with the failed runs and their errors', async () => {
    const opened = await openOffline(browser, reportFile);
    try {
      expect(await opened.page.locator('table.runs tr.run').count()).toBe(data.runs.length);
      expect(await opened.page.locator('table.runs tr.error-row').count()).toBe(2);
      expect(await opened.page.locator('table.runs-print').first().isVisible()).toBe(false);
      expect(await opened.page.locator('pre.spec').textContent()).toBe(data.sweep.specYaml);
    } finally {
      await opened.close();
    }
  });

  it('prints: the runs table split to fit the page, charts kept', async () => {
    const opened = await openOffline(browser, reportFile);
    try {
      await opened.page.emulateMedia({ media: 'print' });
      expect(await opened.page.locator('table.runs').first().isVisible()).toBe(false);
      expect(await opened.page.locator('table.runs-print').first().isVisible()).toBe(true);
      const pdf = await opened.page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const canvases = await inspectCharts(opened.page);
      for (const canvas of canvases) expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0);
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('draws trace runs (rate null) on a category axis', async () => {
    const file = join(dir, 'trace-report.html');
    const traceData = sampleReportData({ workloads: ['trace-replay'], rates: [2, null], samples: 100 });
    writeFileSync(file, renderHtmlReport(traceData));
    const opened = await openOffline(browser, file);
    try {
      expect([...opened.blockedRequests, ...opened.consoleErrors, ...opened.pageErrors]).toEqual([]);
      const canvases = await inspectCharts(opened.page);
      expect(canvases).toHaveLength(5);
      for (const canvas of canvases) {
        expect(canvas.hasChart, canvas.name).toBe(true);
        expect(canvas.points, canvas.name).toBeGreaterThan(0);
        expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      }
    } finally {
      await opened.close();
    }
  });

  it('records blocked network requests (the check above is not vacuous)', async () => {
    const probe = join(dir, 'probe.html');
    writeFileSync(probe, '<!DOCTYPE html><html><body><img src="http://example.invalid/x.png"></body></html>');
    const opened = await openOffline(browser, probe);
    try {
      expect(opened.blockedRequests).toEqual(['http://example.invalid/x.png']);
    } finally {
      await opened.close();
    }
  });
});
