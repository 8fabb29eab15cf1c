import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../runner/reports/html-report.js';
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
    // 2 workloads x 3 policies x 3 rates x 2 seeds, 500 latency samples per run, 1 failed run per workload.
    data = sampleReportData({ workloads: WORKLOADS, seeds: [1, 2], samples: 500 });
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
