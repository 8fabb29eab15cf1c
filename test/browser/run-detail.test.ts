import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  RunDetail,
  RunRequestsOut,
  RunSummary,
  RunTimeSeriesOut,
  SweepSummary,
} from '../../runner/api/api-contract.js';
import { METRIC_KEYS } from '../../runner/metrics/metric-keys.js';
import { formatNumber } from '../../runner/reports/format-number.js';
import { REPO, runCli } from '../helpers/cli.js';
import { inspectCharts } from './chart-inspection.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * The run detail page (`#/runs/ID`) and the Sweeps table's Rename and Delete, in Debian's
 * Chromium against the real `schedbench serve`: a run opened from the Runs table shows the
 * run's parameters, verdict, warnings and metrics as `runs.get` gives them, and draws CDFs and
 * time series whose points are the API's `runs.requests` and `runs.timeSeries`; a sweep renamed
 * and deleted through the UI is renamed and gone (its runs too) everywhere; a sweep running here
 * cannot be deleted. Screenshots go to test-artifacts/screenshots/.
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

/**
 * 1 policy (caching prefixes, on a cluster of 2 replicas) x 2 seeds of `requests` synthetic
 * requests at 6 req/s, with an SLO (goodput): 2 runs.
 */
function spec(name: string, requests: number): string {
  return [
    `name: ${name}`,
    'machine: a100-llama2-7b-linear',
    `requests: ${requests}`,
    'seeds: [1, 2]',
    'slo: { ttft_s: 0.5, e2e_s: 20 }',
    'workloads:',
    '  - name: synth',
    '    promptTokens: { dist: uniform, min: 50, max: 400 }',
    '    outputTokens: { dist: uniform, min: 20, max: 200 }',
    '    arrival: { process: poisson, rate: 6 }',
    'policies:',
    // With prefix caching, so the page shows its hit rate (0 here: synthetic prompts share nothing),
    // on two replicas, so it shows what each served.
    '  - { policy: sarathi, chunkSize: 256, prefixCaching: true, replicas: 2, routing: least-kv }',
    '',
  ].join('\n');
}

/** The datasets of every `canvas[data-chart]`: label and points before decimation. */
function drawnCharts(
  page: Page,
): Promise<{ name: string; datasets: { label: string; points: [number, number][] }[] }[]> {
  return page.evaluate(() => {
    interface Point {
      x: number;
      y: number;
    }
    interface CanvasLike {
      dataset: Record<string, string | undefined>;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<CanvasLike> };
      Chart: {
        getChart(
          c: CanvasLike,
        ): { data: { datasets: { label: string; data: Point[]; _data?: Point[] }[] } } | undefined;
      };
    };
    return Array.from(g.document.querySelectorAll('canvas[data-chart]')).map((canvas) => ({
      name: canvas.dataset.chart ?? '',
      datasets: (g.Chart.getChart(canvas)?.data.datasets ?? []).map((d) => ({
        label: d.label,
        points: (d._data ?? d.data).map((p): [number, number] => [p.x, p.y]),
      })),
    }));
  });
}

/** The empirical CDF the page must draw: every request with a value, ascending, y = rank / n. */
function expectedCdf(values: (number | null)[]): [number, number][] {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return sorted.map((x, i) => [x, (i + 1) / sorted.length]);
}

describe.skipIf(chromiumMissing('test/browser/run-detail.test.ts'))(
  'run detail and sweep delete (Chromium)',
  () => {
    let dir: string;
    let serve: ServeProcess;
    let browser: Browser;
    let page: Page;
    let kept = 0;
    let doomed = 0;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
        throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
      }
      mkdirSync(SHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'schedbench-run-detail-'));
      const db = join(dir, 'ui.db');
      const sweep = (name: string): number => {
        writeFileSync(join(dir, `${name}.yaml`), spec(name, 400));
        const r = runCli(['sweep', join(dir, `${name}.yaml`), '--db', db, '--jobs', '2']);
        expect(r.code, r.stderr).toBe(0);
        return Number(r.stdout.trim().split('\n').at(-1));
      };
      kept = sweep('kept');
      doomed = sweep('doomed');
      // Sweeps started through the API are held after they simulate (until SIGUSR2): one stays
      // running while the test tries to delete it.
      serve = await startServe(db, ['--jobs', '1'], { SCHEDBENCH_HOLD_RUNS: '1' });
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

    it('opens a run from the Runs table and shows its data as the API gives it', async () => {
      await page.waitForSelector('.runs-table[data-ready]');
      const runs = await serve.call<RunSummary[]>('runs.list', { sweepIds: [kept] });
      const target = runs[1];
      await page.screenshot({ path: join(SHOTS, 'runs-id-links.png') });
      await page
        .locator(`.tabulator-cell[tabulator-field="id"] a.run-link`, {
          hasText: new RegExp(`^${target.id}$`),
        })
        .click();
      await page.waitForSelector('[data-run-state="ready"]');
      expect(new URL(page.url()).hash).toBe(`#/runs/${target.id}`);
      const run = await serve.call<RunDetail>('runs.get', { runId: target.id });
      expect(run.status).toBe('done');

      const fact = (name: string): Promise<string | null> =>
        page.locator(`[data-fact="${name}"]`).first().textContent();
      expect(await fact('policy')).toBe(run.policy);
      expect(run.params.chunkSize).toBe(256);
      expect(await fact('params')).toBe(
        Object.keys(run.params)
          .sort()
          .map((k) => `${k}=${String(run.params[k])}`)
          .join(' '),
      );
      expect(await fact('workload')).toBe(run.workload);
      expect(await fact('seed')).toBe(String(run.seed));
      expect(await fact('rate')).toBe(`${formatNumber(run.rate)} req/s`);
      expect(await fact('offered-rate')).toContain(`${formatNumber(run.metrics!.offered_rate_rps)} req/s`);
      expect(await fact('machine')).toContain(run.machine);
      expect(await fact('machine')).toContain(
        `${formatNumber((run.machineInfo as { kvCapacityBlocks: number }).kvCapacityBlocks)} blocks`,
      );
      expect(await fact('run-key')).toBe(run.runKey);
      expect(await fact('sweep')).toBe(`kept (#${kept})`);
      expect(JSON.parse((await fact('workload-spec')) ?? 'null')).toEqual(run.workloadSpec);
      expect(await fact('status')).toBe('done');
      expect(await fact('stability')).toBe(
        run.stable === null ? 'no verdict' : run.stable ? 'stable' : 'unstable',
      );
      expect(await fact('stability-reason')).toBe(run.stability!.reason);
      const warnings = page.locator('[data-fact="warnings"]');
      if (run.warnings.length === 0) expect(await warnings.textContent()).toBe('None.');
      else expect(await warnings.locator('li').allTextContents()).toEqual(run.warnings);

      // Metrics: every metric with a value is shown once, with the API's exact value.
      const cells = await page
        .locator('td[data-metric]')
        .evaluateAll((tds) =>
          tds.map((td) => [
            (td as unknown as { dataset: Record<string, string> }).dataset.metric,
            (td as unknown as { dataset: Record<string, string> }).dataset.value,
            (td as unknown as { textContent: string }).textContent,
          ]),
        );
      const shown = new Map(cells.map(([key, value, text]) => [key, { value, text }]));
      expect(shown.size).toBe(cells.length);
      for (const key of METRIC_KEYS) {
        const v = run.metrics![key];
        if (v === null) continue;
        expect(shown.get(key), key).toEqual({ value: String(v), text: formatNumber(v) });
      }
      expect(run.metrics!.goodput_rps).not.toBeNull();
      expect(shown.has('goodput_rps')).toBe(true);
      expect(run.metrics!.prefix_cache_hit_rate).toBe(0);
      expect(shown.get('prefix_cache_hit_rate')).toEqual({ value: '0', text: formatNumber(0) });
      expect(run.metrics!.replicas).toBe(2);
      expect(shown.has('load_imbalance')).toBe(true);

      // Replicas: a row per replica with the API's loads; every request is on one of them.
      const loads = run.replicaLoads!;
      expect(loads.map((l) => l.replica)).toEqual([0, 1]);
      expect(loads.reduce((sum, l) => sum + l.requests, 0)).toBe(400);
      const replicaRows = await page
        .locator('[data-testid="replicas"] tr[data-replica]')
        .evaluateAll((trs) =>
          trs.map((tr) =>
            Array.from((tr as unknown as { children: ArrayLike<{ textContent: string }> }).children, (c) =>
              c.textContent.trim(),
            ),
          ),
        );
      const total = loads.reduce((sum, l) => sum + l.tokens, 0);
      expect(replicaRows).toEqual(
        loads.map((l) => [
          String(l.replica),
          formatNumber(l.requests),
          formatNumber(l.completed),
          formatNumber(l.tokens),
          `${formatNumber((l.tokens / total) * 100)} %`,
        ]),
      );
      expect(await page.locator('[data-testid="replicas"] .hint').textContent()).toContain(
        '2 replicas behind least-kv routing',
      );

      // Charts: drawn, and holding exactly the API's requests and time series.
      const canvases = await inspectCharts(page);
      expect(canvases.map((c) => c.name)).toEqual([
        'ttft-cdf',
        'tpot-cdf',
        'e2e-cdf',
        'queue-running',
        'kv-usage',
        'batch-prefill',
        'batch-decodes',
      ]);
      for (const canvas of canvases) {
        expect(canvas.hasChart, canvas.name).toBe(true);
        expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      }
      const requests = await serve.call<RunRequestsOut>('runs.requests', {
        runId: run.id,
        maxPoints: 200_000,
      });
      expect(requests.decimated).toBe(false);
      expect(requests.count).toBe(400);
      const series = await serve.call<RunTimeSeriesOut>('runs.timeSeries', { runId: run.id });
      const capacity = series.kvCapacityBlocks!;
      // The cluster's KV capacity is its two replicas' (its series sums their blocks).
      expect(capacity).toBe(2 * (run.machineInfo as { kvCapacityBlocks: number }).kvCapacityBlocks);
      const over = (values: number[], scale = 1): [number, number][] =>
        series.tS.map((t, i): [number, number] => [t, values[i] / scale]);
      const drawn = await drawnCharts(page);
      expect(drawn).toEqual([
        { name: 'ttft-cdf', datasets: [{ label: 'TTFT', points: expectedCdf(requests.ttftS) }] },
        { name: 'tpot-cdf', datasets: [{ label: 'TPOT', points: expectedCdf(requests.tpotS) }] },
        { name: 'e2e-cdf', datasets: [{ label: 'E2E latency', points: expectedCdf(requests.e2eS) }] },
        {
          name: 'queue-running',
          datasets: [
            { label: 'waiting', points: over(series.queueLength) },
            { label: 'running', points: over(series.running) },
          ],
        },
        { name: 'kv-usage', datasets: [{ label: 'KV usage', points: over(series.kvBlocks, capacity) }] },
        {
          name: 'batch-prefill',
          datasets: [{ label: 'prefill tokens', points: over(series.prefillTokens) }],
        },
        { name: 'batch-decodes', datasets: [{ label: 'decodes', points: over(series.decodeCount) }] },
      ]);
      expect(expectedCdf(requests.ttftS).length).toBeGreaterThan(100);
      await page.screenshot({ path: join(SHOTS, 'run-detail.png'), fullPage: true });
    });

    it('renames and deletes a sweep from the Sweeps table; its runs leave the Runs page', async () => {
      await page.goto(`${serve.base}/#/sweeps`);
      const row = (id: number) => page.locator(`.sweeps-table tr[data-sweep="${id}"]`);
      await row(doomed).waitFor();

      // Rename: the dialog holds the name; the table shows the new one.
      await row(doomed).locator('[data-action="rename"]').click();
      const dialog = page.locator('dialog.confirm-dialog[open]');
      await dialog.waitFor();
      expect(await dialog.locator('input[name="dialog-value"]').inputValue()).toBe('doomed');
      await dialog.locator('input[name="dialog-value"]').fill('   ');
      await dialog.locator('[data-action="dialog-confirm"]').click();
      await expect
        .poll(() => dialog.locator('.dialog-problem').textContent())
        .toBe('name: give the sweep a name');
      await dialog.locator('input[name="dialog-value"]').fill('doomed, renamed');
      await dialog.locator('[data-action="dialog-confirm"]').click();
      await expect.poll(() => row(doomed).locator('td:nth-child(2) a').textContent()).toBe('doomed, renamed');
      expect((await serve.call<SweepSummary[]>('sweeps.list', {})).find((s) => s.id === doomed)?.name).toBe(
        'doomed, renamed',
      );

      // Delete: cancelling keeps it; confirming deletes it.
      await row(doomed).locator('[data-action="delete"]').click();
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('\u201cdoomed, renamed\u201d and its 2 runs (2 done)');
      await page.screenshot({ path: join(SHOTS, 'sweeps-delete-dialog.png') });
      await dialog.locator('[data-action="dialog-cancel"]').click();
      await expect.poll(() => page.locator('dialog.confirm-dialog').count()).toBe(0);
      expect(await row(doomed).count()).toBe(1);
      await row(doomed).locator('[data-action="delete"]').click();
      await dialog.locator('[data-action="dialog-confirm"]').click();
      await expect.poll(() => row(doomed).count()).toBe(0);
      expect(await row(kept).count()).toBe(1);
      expect((await serve.call<SweepSummary[]>('sweeps.list', {})).map((s) => s.id)).toEqual([kept]);
      await page.screenshot({ path: join(SHOTS, 'sweeps-after-delete.png') });

      // The Runs page lists only the kept sweep's runs.
      await page.goto(`${serve.base}/#/runs`);
      await page.waitForSelector('.runs-table[data-ready]');
      await expect.poll(() => page.locator('.runs-count').textContent()).toBe('2 runs');
      const sweepsShown = await page.locator('.tabulator-row [tabulator-field="sweep"]').allTextContents();
      expect(sweepsShown).toEqual([`kept (#${kept})`, `kept (#${kept})`]);
      const runs = await serve.call<RunSummary[]>('runs.list', {});
      expect(runs.map((r) => r.sweepId)).toEqual([kept, kept]);
    });

    it('does not delete a sweep running here: the button is disabled and the API says conflict', async () => {
      const { sweepId } = await serve.call<{ sweepId: number }>('sweeps.start', { yaml: spec('held', 100) });
      await page.goto(`${serve.base}/#/sweeps`);
      const button = page.locator(`.sweeps-table tr[data-sweep="${sweepId}"] [data-action="delete"]`);
      await button.waitFor();
      expect(await page.locator(`.sweeps-table tr[data-sweep="${sweepId}"]`).getAttribute('data-state')).toBe(
        'active',
      );
      expect(await button.isDisabled()).toBe(true);
      await expect(serve.call('sweeps.delete', { sweepId })).rejects.toThrow(
        `sweeps.delete: sweep ${sweepId} (held) is running: cancel it before deleting it`,
      );
      // A run without results: what it is and its status, no metrics or charts.
      const running = (await serve.call<RunSummary[]>('runs.list', { sweepIds: [sweepId] })).find(
        (r) => r.status === 'running',
      )!;
      await page.goto(`${serve.base}/#/runs/${running.id}`);
      await page.waitForSelector('[data-run-state="ready"]');
      expect(await page.locator('[data-fact="status"]').textContent()).toBe('running');
      expect(await page.locator('[data-testid="no-results"]').textContent()).toContain('the run is running');
      expect(await page.locator('canvas[data-chart], td[data-metric]').count()).toBe(0);
      await page.screenshot({ path: join(SHOTS, 'run-detail-running.png') });
      serve.child.kill('SIGUSR2');
      // The page follows the run: once it is stored, it shows it again with its results.
      await page.locator('td[data-metric="throughput_tok_s"]').waitFor({ timeout: 60_000 });
      expect(await page.locator('[data-fact="status"]').textContent()).toBe('done');
      await page.waitForSelector('[data-run-state="ready"] canvas[data-chart="e2e-cdf"]');
      await expect
        .poll(
          async () =>
            (await serve.call<SweepSummary[]>('sweeps.list', {})).find((s) => s.id === sweepId)?.active,
          {
            timeout: 60_000,
          },
        )
        .toBe(false);

      // An unknown run: the banner says so, the page says it could not be loaded.
      await page.goto(`${serve.base}/#/runs/99999`);
      await page.waitForSelector('[data-run-state="error"]');
      expect(await page.locator('#error-banner').textContent()).toContain('no run with id 99999');
      expect(pageErrors).toEqual([]);
    }, 120_000);
  },
);
