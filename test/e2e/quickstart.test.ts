import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { METRIC_KEYS } from '../../runner/metrics/metric-keys.js';
import { inspectCharts } from '../browser/chart-inspection.js';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';
import { openOffline } from '../browser/offline-page.js';
import { runCli } from '../helpers/cli.js';

/**
 * The README's main job, through the real CLI: the quickstart sweep on the real Azure 2023
 * conversation trace, then its report, opened with no network in Chromium.
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-quickstart-'));
const db = join(dir, 'quickstart.db');
const report = join(dir, 'report.html');
let sweepId = '';

beforeAll(() => {
  const r = runCli(['sweep', 'examples/quickstart.yaml', '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  sweepId = r.stdout.trim().split('\n').at(-1)!;
});

describe('quickstart sweep through the CLI', () => {
  it('stores every run done, with all metric keys and no unfinished request', () => {
    expect(sweepId).toMatch(/^\d+$/);
    const r = runCli(['runs', '--sweep', sweepId, '--format', 'json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout) as {
      policy: string;
      workload: string;
      rate: number;
      status: string;
      metrics: Record<string, number | null>;
    }[];
    expect(runs).toHaveLength(21); // (4 azure rates + 2 sharegpt rates + 1 typed) x 3 policies
    expect(new Set(runs.map((x) => x.policy))).toEqual(new Set(['vllm', 'sarathi', 'fcfs']));
    const azure = runs.filter((x) => x.workload === 'azure-conv');
    expect(new Set(azure.map((x) => x.rate))).toEqual(new Set([2, 4, 6, 8]));
    for (const run of runs) {
      expect(run.status).toBe('done');
      expect(Object.keys(run.metrics)).toEqual([...METRIC_KEYS]);
      expect(run.metrics.requests).toBe(2000);
      expect(run.metrics.unfinished).toBe(0);
      expect(run.metrics.ttft_mean_s!).toBeLessThanOrEqual(run.metrics.e2e_mean_s!);
      expect(run.metrics.kv_peak_frac!).toBeLessThanOrEqual(1);
    }
    // Throughput grows with the offered rate while the replica keeps up.
    const vllm = azure.filter((x) => x.policy === 'vllm').sort((a, b) => a.rate - b.rate);
    expect(vllm[1].metrics.throughput_tok_s!).toBeGreaterThan(vllm[0].metrics.throughput_tok_s!);
  });

  it('compares runs side by side with the change against the first', () => {
    const r = runCli(['compare', '1', '2', '3', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run 1 \(baseline\)/);
    expect(r.stdout).toMatch(/^throughput_tok_s .*%\)/m);
    const json = JSON.parse(runCli(['compare', '1', '2', '--format', 'json', '--db', db]).stdout) as {
      change_pct: Record<string, number | null>[];
    };
    expect(json.change_pct[0].e2e_mean_s).toBe(0);
  });

  it('writes CSV and JSON reports with the same rows', () => {
    const csv = runCli(['report', sweepId, '--format', 'csv', '--out', join(dir, 'r.csv'), '--db', db]);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'r.csv'), 'utf8').trim().split(/\r?\n/);
    expect(lines).toHaveLength(22);
    expect(lines[0].split(',').slice(0, 8)).toEqual([
      'id',
      'sweep_id',
      'workload',
      'policy',
      'params',
      'seed',
      'rate',
      'status',
    ]);
    runCli(['report', sweepId, '--format', 'json', '--out', join(dir, 'r.json'), '--db', db]);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toHaveLength(21);
  });

  it('re-running the spec resumes: nothing left, same sweep id', () => {
    const r = runCli(['sweep', 'examples/quickstart.yaml', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(sweepId);
    expect(r.stderr).toMatch(/resuming sweep \d+ \(21 run\(s\) already done\): 0 run\(s\) to execute/);
  });
});

describe.skipIf(chromiumMissing('test/e2e/quickstart.test.ts (report in Chromium)'))(
  'the quickstart report in Chromium, offline',
  () => {
    let browser: Browser;
    beforeAll(async () => {
      const r = runCli(['report', '--latest', '--out', report, '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(report);
      expect(existsSync(report)).toBe(true);
      browser = await launchChromium();
    });
    afterAll(async () => browser?.close());

    it('shows every chart with data and makes no network request', async () => {
      const page = await openOffline(browser, report);
      try {
        expect(page.blockedRequests).toEqual([]);
        expect(page.pageErrors).toEqual([]);
        expect(page.consoleErrors).toEqual([]);
        const charts = await inspectCharts(page.page);
        const names = charts.map((c) => c.name);
        for (const w of ['azure-conv', 'sharegpt', 'typed']) {
          expect(names.filter((n) => n.endsWith(`:${w}`)).length).toBeGreaterThanOrEqual(4);
        }
        for (const c of charts) {
          expect(c.hasChart, c.name).toBe(true);
          expect(c.points, c.name).toBeGreaterThan(0);
          expect(c.paintedPixels, c.name).toBeGreaterThan(1000);
        }
        await page.page.screenshot({ path: join(dir, 'report.png'), fullPage: false });
      } finally {
        await page.close();
      }
    });
  },
);
