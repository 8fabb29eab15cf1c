import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareOut, DatasetOut, RunSummary, SeriesOut } from '../../runner/api/api-contract.js';
import { REPO, runCli } from '../helpers/cli.js';
import { inspectCharts } from './chart-inspection.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { openOffline } from './offline-page.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * The renderer (dist/renderer, built by `npm run build`) in Debian's Chromium, served by the
 * real `schedbench serve` on a small database: the Runs page lists and filters the runs and
 * selects some; Compare shows what differs and draws charts whose data is the API's
 * `runs.compare` output; a sweep made with the New sweep form is validated (a problem marked at
 * its line), started, followed to its end and its runs appear; the exported HTML report opens
 * offline; API errors reach the banner. Screenshots of every page go to
 * test-artifacts/screenshots/ (look at them when the layout changes).
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

/** A spec of 2 policies x 2 rates x 2 seeds of `requests` synthetic requests: 8 runs. */
function tinySpec(name: string, requests: number): string {
  return [
    `name: ${name}`,
    'machine: a100-llama2-7b-linear',
    `requests: ${requests}`,
    'seeds: [1, 2]',
    'workloads:',
    '  - name: synth',
    '    promptTokens: { dist: uniform, min: 50, max: 400 }',
    '    outputTokens: { dist: uniform, min: 20, max: 200 }',
    '    arrival: { process: poisson, rate: [4, 8] }',
    'policies:',
    '  - { policy: vllm }',
    '  - { policy: sarathi, chunkSize: 256 }',
    '',
  ].join('\n');
}

/** What one canvas's Chart.js instance holds: its datasets' labels and points (before decimation). */
interface DrawnChart {
  name: string;
  datasets: { label: string; points: [number, number][] }[];
}

/** Every `canvas[data-chart]` of the page with its chart's data (the decimation plugin's `_data` when set). */
function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate((): DrawnChart[] => {
    interface Point {
      x: number;
      y: number;
    }
    interface DatasetLike {
      label: string;
      data: Point[];
      _data?: Point[];
    }
    interface CanvasLike {
      dataset: Record<string, string | undefined>;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<CanvasLike> };
      Chart: { getChart(c: CanvasLike): { data: { datasets: DatasetLike[] } } | undefined };
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

/** Every `canvas[data-chart]` with the y values of its chart's first dataset (bars or points). */
function chartData(page: Page): Promise<{ name: string; values: number[] }[]> {
  return page.evaluate(() => {
    interface CanvasLike {
      dataset: Record<string, string | undefined>;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<CanvasLike> };
      Chart: {
        getChart(c: CanvasLike): { data: { datasets: { data: (number | { y: number })[] }[] } } | undefined;
      };
    };
    return Array.from(g.document.querySelectorAll('canvas[data-chart]')).map((canvas) => ({
      name: canvas.dataset.chart ?? '',
      values: (g.Chart.getChart(canvas)?.data.datasets[0]?.data ?? []).map((v) =>
        typeof v === 'number' ? v : v.y,
      ),
    }));
  });
}

/**
 * The charts the Compare page must draw from a runs.compare output, as DrawnChart: across rates
 * the API's series and Pareto fronts (front first, ascending); at `rate` one CDF line per
 * configuration (its runs one after another, a gap point between); over time seed `seed` of
 * every configuration at `rate`.
 */
function expectedCharts(out: CompareOut, rate: number, seed: number): DrawnChart[] {
  const points = (s: SeriesOut): [number, number][] =>
    s.x.flatMap((x, i): [number, number][] => (s.y[i] === null ? [] : [[x, s.y[i] as number]]));
  const of = (name: string, list: SeriesOut[]): DrawnChart => ({
    name,
    datasets: list.map((s) => ({ label: s.label, points: points(s) })),
  });
  const runOf = (s: SeriesOut) => out.runs.findIndex((r) => r.id === s.runIds[0]);
  const cdf = (name: string, list: SeriesOut[]): DrawnChart => {
    const lines = new Map<number, { label: string; points: [number, number][]; runs: number }>();
    for (const s of list) {
      const i = runOf(s);
      if (out.runs[i].rate !== rate) continue;
      const c = out.runConfiguration[i];
      const line = lines.get(c) ?? { label: out.configurations[c].label, points: [], runs: 0 };
      if (line.points.length > 0) line.points.push([points(s)[0][0], NaN]);
      line.points.push(...points(s));
      line.runs += 1;
      lines.set(c, line);
    }
    return {
      name,
      datasets: [...lines.values()].map((l) => ({
        label: l.runs > 1 ? `${l.label} (${l.runs} seeds)` : l.label,
        points: l.points,
      })),
    };
  };
  const overTime = (name: string, list: SeriesOut[]): DrawnChart => ({
    name,
    datasets: list
      .filter((s) => out.runs[runOf(s)].rate === rate && out.runs[runOf(s)].seed === seed)
      .map((s) => {
        const run = out.runs[runOf(s)];
        const label = out.configurations[out.runConfiguration[runOf(s)]].label;
        return {
          label: `#${run.id} ${label} \u00b7 ${rate} req/s \u00b7 seed ${seed} @ ${run.machine}`,
          points: points(s),
        };
      }),
  });
  const c = out.charts;
  return [
    of('latency-mean', c.latencyVsRate.mean),
    of('latency-p99', c.latencyVsRate.p99),
    of('throughput', [...c.throughputVsRate, ...c.fluidBound]),
    {
      name: 'pareto',
      datasets: c.pareto.map((f) => ({
        label: f.label,
        points: [
          ...f.points.filter((p) => p.front).sort((a, b) => a.perUserTokS - b.perUserTokS),
          ...f.points.filter((p) => !p.front),
        ].map((p): [number, number] => [p.perUserTokS, p.throughputTokS]),
      })),
    },
    cdf('ttft-cdf', c.ttftCdf),
    cdf('e2e-cdf', c.e2eCdf),
    overTime('kv-usage', c.kvUsage),
    overTime('queue-length', c.queueLength),
    overTime('batch-prefill', c.batchPrefillTokens),
    overTime('batch-decodes', c.batchDecodes),
  ];
}

describe.skipIf(chromiumMissing('test/browser/renderer.test.ts'))(
  'renderer in Chromium (schedbench serve)',
  () => {
    let dir: string;
    let serve: ServeProcess;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
        throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
      }
      mkdirSync(SHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'schedbench-renderer-'));
      const db = join(dir, 'ui.db');
      writeFileSync(join(dir, 'tiny.yaml'), tinySpec('tiny', 300));
      const sweep = runCli(['sweep', join(dir, 'tiny.yaml'), '--db', db, '--jobs', '2']);
      expect(sweep.code, sweep.stderr).toBe(0);
      // Runs started from the UI are held after they simulate until SIGUSR2 (HeldRunsGate), so
      // the running sweep can be looked at without racing it.
      serve = await startServe(db, ['--jobs', '2'], { SCHEDBENCH_HOLD_RUNS: '1' });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
      page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      // The ready URL signs the tab in (localStorage) and leaves the address bar as `/` (Runs).
      await page.goto(serve.readyUrl);
      expect(new URL(page.url()).search).toBe('');
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('lists every run on the Runs page, with the key metrics', async () => {
      await page.waitForSelector('.runs-table[data-ready]');
      const runs = await serve.call<RunSummary[]>('runs.list', {});
      expect(runs).toHaveLength(8);
      await expect.poll(() => page.locator('.runs-count').textContent()).toBe('8 runs');
      const ids = await page
        .locator('.tabulator-row .tabulator-cell[tabulator-field="id"]')
        .allTextContents();
      expect(ids.map(Number).sort((a, b) => a - b)).toEqual(runs.map((r) => r.id).sort((a, b) => a - b));
      // Newest first; the throughput column shows the stored metric.
      const first = runs.find((r) => r.id === 8)!;
      const row = page.locator('.tabulator-row').first();
      expect(await row.locator('[tabulator-field="policy"]').textContent()).toBe(first.policy);
      expect(Number(await row.locator('[tabulator-field="throughput_tok_s"]').textContent())).toBeCloseTo(
        first.metrics!.throughput_tok_s!,
        0,
      );
      await page.screenshot({ path: join(SHOTS, 'runs.png') });
    });

    it('filters by policy, selects with checkbox and shift-click, and opens Compare', async () => {
      const pick = async (policy: string): Promise<void> => {
        await page.locator('.tabulator-col[tabulator-field="policy"] .tabulator-header-filter input').click();
        await page
          .locator('.tabulator-edit-list .tabulator-edit-list-item', { hasText: new RegExp(`^${policy}$`) })
          .click();
        await expect.poll(() => page.locator('.runs-count').textContent()).toBe('4 of 8 runs shown');
        const policies = await page.locator('.tabulator-row [tabulator-field="policy"]').allTextContents();
        expect(policies).toEqual([policy, policy, policy, policy]);
        const boxes = page.locator('.tabulator-row input.row-select');
        await boxes.first().click();
        await boxes.last().click({ modifiers: ['Shift'] });
        expect(
          await boxes.evaluateAll((list) => list.map((b) => (b as unknown as { checked: boolean }).checked)),
        ).toEqual([true, true, true, true]);
      };
      await pick('vllm');
      expect(await page.locator('.selected-count').textContent()).toBe('4 selected');
      await page.screenshot({ path: join(SHOTS, 'runs-filtered.png') });
      await page.click('[data-action="clear-filters"]');
      await expect.poll(() => page.locator('.runs-count').textContent()).toBe('8 runs');
      await pick('sarathi');
      // The vllm runs stayed selected while hidden by the filter.
      expect(await page.locator('.selected-count').textContent()).toBe('8 selected');

      const compareResponse = page.waitForResponse((r) => r.url().endsWith('/api/runs.compare'));
      await page.click('[data-action="compare"]');
      await page.waitForSelector('[data-compare-state="ready"]');
      expect(new URL(page.url()).hash).toBe('#/compare?runs=1,2,3,4,5,6,7,8');
      const response = await compareResponse;
      const shown = ((await response.json()) as { value: CompareOut }).value;
      // The page's data is the API's: the same call from here gives the same answer.
      const request = JSON.parse(response.request().postData() ?? '{}') as { runIds: number[] };
      expect(request.runIds).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await serve.call<CompareOut>('runs.compare', request)).toEqual(shown);

      // Configurations (every parameter but rate and seed) and the fields that differ: policy,
      // the parameters as one text (not workload, not one column per policy parameter).
      const keys = await page.locator('.compare-configs thead th').allTextContents();
      expect(keys).toEqual([
        'configuration',
        ...shown.configurationFields.map((d) => d.key),
        'rates',
        'seeds',
        'runs',
      ]);
      expect(keys).toEqual(expect.arrayContaining(['policy', 'params']));
      expect(keys).not.toContain('workload');
      expect(keys).not.toContain('sarathi.chunkSize');
      // Metrics at one rate (4 req/s): a stability row, then a row per metric with a value; seeds 1
      // and 2 of each configuration give a spread, the non-baseline configuration a change.
      expect(await page.locator('.compare-metrics').getAttribute('data-rate')).toBe('4');
      const throughputRow = page.locator('.compare-metrics tr[data-metric="throughput_tok_s"]');
      const cellsAt4 = shown.configurations.map((c) => c.cells.find((cell) => cell.rate === 4)!);
      const withValues = shown.metrics.filter((m) => cellsAt4.some((cell) => cell.mean[m.key] !== null));
      expect(await page.locator('.compare-metrics tbody tr').count()).toBe(1 + withValues.length);
      expect(await throughputRow.locator('.spread').count()).toBe(2);
      expect(await throughputRow.locator('.change').count()).toBe(1);
      expect(await page.locator('.compare-configs tr.baseline').getAttribute('data-configuration')).toBe('0');

      // Charts: one canvas each, drawn, holding exactly the API's series.
      const canvases = await inspectCharts(page);
      const names = expectedCharts(shown, 4, 1).map((c) => c.name);
      expect(canvases.map((c) => c.name)).toEqual(names);
      for (const canvas of canvases) {
        expect(canvas.hasChart, canvas.name).toBe(true);
        expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      }
      const drawn = await drawnCharts(page);
      expect(drawn).toEqual(expectedCharts(shown, 4, 1));
      const throughput = drawn.find((c) => c.name === 'throughput')!;
      expect(throughput.datasets).toHaveLength(3); // vllm, sarathi, the fluid bound
      expect(drawn.find((c) => c.name === 'ttft-cdf')!.datasets).toHaveLength(2); // a line per configuration
      // Throughput at a rate is the mean over the seeds of the runs' stored metric.
      const runs = await serve.call<RunSummary[]>('runs.list', {});
      const vllmAt4 = runs
        .filter((r) => r.policy === 'vllm' && r.rate === 4)
        .map((r) => r.metrics!.throughput_tok_s!);
      expect(vllmAt4).toHaveLength(2);
      const vllmLine = throughput.datasets.find((d) => d.label.startsWith('vllm'))!;
      expect(vllmLine.points[0][0]).toBe(4);
      expect(vllmLine.points[0][1]).toBeCloseTo((vllmAt4[0] + vllmAt4[1]) / 2, 9);
      await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });

      // Another baseline configuration: the changes are recomputed against it, at the same rate.
      await page.selectOption('select[name="baseline"]', '1');
      await expect
        .poll(() => page.locator('.compare-metrics thead th.baseline').getAttribute('data-configuration'))
        .toBe('1');
      const baselineRun = shown.configurations[1].runIds[0];
      const against = await serve.call<CompareOut>('runs.compare', {
        runIds: request.runIds,
        baselineId: baselineRun,
      });
      const changes = await throughputRow
        .locator('td')
        .evaluateAll((cells) =>
          cells.map(
            (c) =>
              (c as unknown as { querySelector(s: string): { textContent: string } | null }).querySelector(
                '.change',
              )?.textContent ?? null,
          ),
        );
      // The table puts the baseline configuration first; the API keeps the configurations in order.
      const columns = (
        await page
          .locator('.compare-metrics thead th[data-configuration]')
          .evaluateAll((ths) =>
            ths.map((t) => (t as unknown as { dataset: { configuration: string } }).dataset.configuration),
          )
      ).map(Number);
      expect(columns[0]).toBe(1);
      const expected = columns.map(
        (c) =>
          against.configurations[c].cells.find((cell) => cell.rate === 4)!.changePct.throughput_tok_s !==
          null,
      );
      expect(changes.map((c) => c !== null)).toEqual(expected);
      expect(new URL(page.url()).hash).toBe(`#/compare?runs=1,2,3,4,5,6,7,8&baseline=${baselineRun}&rate=4`);
    });

    it('exports the HTML report (it opens offline) and the CSV', async () => {
      const [html] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-action="export-html"]'),
      ]);
      expect(html.suggestedFilename()).toMatch(/^schedbench-.*\.html$/);
      const file = join(dir, 'exported.html');
      await html.saveAs(file);
      const opened = await openOffline(browser, file);
      try {
        expect(opened.blockedRequests).toEqual([]);
        expect(opened.consoleErrors).toEqual([]);
        expect(opened.pageErrors).toEqual([]);
        const charts = await inspectCharts(opened.page);
        expect(charts.length).toBeGreaterThan(0);
        for (const chart of charts) expect(chart.paintedPixels, chart.name).toBeGreaterThan(0);
        expect(await opened.page.locator('table.runs tr.run').count()).toBe(8);
      } finally {
        await opened.close();
      }
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-action="export-csv"]'),
      ]);
      const csvFile = join(dir, 'exported.csv');
      await csv.saveAs(csvFile);
      const lines = readFileSync(csvFile, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1 + 8);
    });

    it('makes a sweep with the form, marks a spec problem at its line, runs it to the end', async () => {
      await page.goto(`${serve.base}/#/sweeps`);
      await page.waitForSelector('.new-sweep-form');
      // Watch the events as the page gets them (server-sent events, with the tab's token).
      await page.evaluate(() => {
        const g = globalThis as unknown as {
          localStorage: { getItem(key: string): string | null };
          seen: { event: string; data: unknown }[];
        };
        g.seen = [];
        void (async () => {
          const res = await fetch('/api/events', {
            headers: { authorization: `Bearer ${g.localStorage.getItem('schedbench.token')}` },
          });
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buffer += value;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = /^event: (.*)$/m.exec(block)?.[1];
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (event && data && ['progress', 'ended'].includes(event)) {
                g.seen.push({ event, data: JSON.parse(data) });
              }
            }
          }
        })();
      });
      const form = page.locator('.new-sweep-form');
      await form.locator('input[name="name"]').fill('ui-sweep');
      await form.locator('input[name="requests"]').fill('2000');
      await form.locator('input[name="seeds"]').fill('1');
      await form.locator('input[name="source"][value="poisson"]').check();
      await form.locator('input[name="rates"]').fill('3, 6');
      await form.locator('input[name="promptTokens"]').fill('100..300');
      await form.locator('input[name="outputTokens"]').fill('50..150');
      await form.locator('input[name="policy"][value="sarathi"]').uncheck();
      await form.locator('input[name="policy"][value="fcfs"]').check();

      // To the YAML editor; break the arrival process there.
      await page.click('[data-tab="yaml"]');
      const textarea = page.locator('textarea[name="yaml"]');
      const yaml = await textarea.inputValue();
      expect(yaml).toContain('requests: 2000');
      expect(yaml).toContain('arrival: { process: poisson, rate: [3, 6] }');
      expect(yaml).toContain('- { policy: fcfs, maxNumSeqs: 128 }');
      const broken = yaml.replace('process: poisson', 'process: poison');
      await textarea.fill(broken);
      await page.click('[data-action="validate"]');
      const badLine = broken.split('\n').findIndex((l) => l.includes('poison')) + 1;
      await page.waitForSelector(`.yaml-editor[data-error-line="${badLine}"]`);
      expect(await page.locator('.yaml-editor').getAttribute('data-error-field')).toBe(
        'workloads[0].arrival.process',
      );
      expect(await page.locator('.yaml-gutter .error').textContent()).toBe(String(badLine));
      expect(await page.locator('.yaml-problem').textContent()).toMatch(
        /Line \d+ — field workloads\[0\]\.arrival\.process/,
      );
      const selected = await textarea.evaluate((t) => {
        const area = t as unknown as { value: string; selectionStart: number; selectionEnd: number };
        return area.value.slice(area.selectionStart, area.selectionEnd);
      });
      expect(selected).toContain('process: poison');
      await page.screenshot({ path: join(SHOTS, 'sweeps-validate.png'), fullPage: true });

      await textarea.fill(yaml);
      await page.click('[data-action="validate"]');
      await expect
        .poll(() => page.locator('.validate-result.ok').textContent())
        .toMatch(/Valid: 4 runs on a100-llama2-7b/);
      await page.click('[data-action="start"]');
      await page.waitForSelector('.validate-result [data-started="2"]');

      // The progress panel follows the events to the end; the table shows the sweep complete.
      const panel = page.locator('.sweep-progress[data-sweep="2"]');
      // While it runs (both lanes' runs held once simulated): counts, a progress bar, and the live
      // runs' throughput and queue length.
      await panel.locator('[data-count="running"]', { hasText: /^running 2$/ }).waitFor({ timeout: 60_000 });
      const live = panel.locator('.live-runs tr[data-run]');
      // Held runs stay at their final report, so waiting long for it races nothing.
      await expect
        .poll(() => live.locator('td:nth-child(2)').allTextContents(), { timeout: 30_000 })
        .toEqual(['2000 / 2000', '2000 / 2000']);
      for (const cell of await live.locator('[data-live="throughput"]').allTextContents()) {
        expect(Number(cell.replace(/,/g, ''))).toBeGreaterThan(0);
      }
      expect(await panel.locator('progress').getAttribute('max')).toBe('4');
      expect(await panel.locator('[data-count="done"]').textContent()).toBe('done 0');
      await page.screenshot({ path: join(SHOTS, 'sweeps-running.png') });
      serve.child.kill('SIGUSR2');
      await panel.locator('xpath=self::*[@data-state="ended"]').waitFor({ timeout: 60_000 });
      expect(await panel.locator('[data-count="done"]').textContent()).toBe('done 4');
      expect(await panel.locator('[data-count="failed"]').textContent()).toBe('failed 0');
      await page.waitForSelector('tr[data-sweep="2"][data-state="complete"]');
      expect(await page.locator('tr[data-sweep="2"] .counts').getAttribute('data-counts')).toBe('4/4');
      const seen = (await page.evaluate(() => (globalThis as unknown as { seen: unknown[] }).seen)) as {
        event: string;
        data: { sweepId: number; counts?: { done: number }; total?: number; done?: number };
      }[];
      const progress = seen.filter((e) => e.event === 'progress' && e.data.sweepId === 2);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((e) => e.data.total === 4)).toBe(true);
      const ended = seen.find((e) => e.event === 'ended' && e.data.sweepId === 2);
      expect(ended?.data.done).toBe(4);
      await page.screenshot({ path: join(SHOTS, 'sweeps.png'), fullPage: true });

      // Its runs appear on the Runs page.
      await page.click('a[data-nav="runs"]');
      await page.waitForSelector('.runs-table[data-ready]');
      await expect.poll(() => page.locator('.runs-count').textContent()).toBe('12 runs');
      const sweeps = await page.locator('.tabulator-row [tabulator-field="sweep"]').allTextContents();
      expect(sweeps.filter((s) => s === 'ui-sweep (#2)')).toHaveLength(4);
    });

    it('shows a sweep and the machines', async () => {
      await page.goto(`${serve.base}/#/sweeps/2`);
      await page.waitForSelector('pre.spec');
      expect(await page.locator('pre.spec').textContent()).toContain('name: ui-sweep');
      await page.screenshot({ path: join(SHOTS, 'sweep-detail.png'), fullPage: true });

      await page.click('a[data-nav="machines"]');
      await page.waitForSelector('table.machines');
      expect(
        await page.locator('tr[data-machine="a100-llama2-7b-linear"] .linear-fit').textContent(),
      ).toMatch(/d0 = 11\.25 ms/);
      await page.screenshot({ path: join(SHOTS, 'machines.png'), fullPage: true });
    });

    it('shows the built-in datasets with their histograms and arrival rate', async () => {
      await page.click('a[data-nav="datasets"]');
      await page.waitForSelector('.scroll-box[data-ready] table.datasets');
      const listed = await serve.call<DatasetOut[]>('datasets.list', {});
      const rows = await page
        .locator('table.datasets tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => (tr as unknown as { dataset: { dataset: string } }).dataset.dataset),
        );
      expect(rows).toEqual(listed.map((d) => d.name));
      expect(rows).toEqual(
        expect.arrayContaining(['azure-conv', 'azure-code', 'mooncake-conv', 'sharegpt', 'bwb', 'arxiv']),
      );
      // The first dataset is shown in full: its charts hold the API's summary.
      const azure = listed.find((d) => d.name === 'azure-conv')!;
      expect(azure.summary!.requests).toBe(19_366);
      await page.waitForSelector(
        '.dataset-detail[data-dataset="azure-conv"] canvas[data-chart="arrival-rate"]',
      );
      expect(await page.locator('.dataset-detail [data-stat="requests"]').textContent()).toBe('19,366');
      const charts = await chartData(page);
      expect(charts.map((c) => c.name)).toEqual(['prompt-histogram', 'output-histogram', 'arrival-rate']);
      expect(charts[0].values).toEqual(azure.summary!.promptTokens.histogram.counts);
      expect(charts[1].values).toEqual(azure.summary!.outputTokens.histogram.counts);
      expect(charts[2].values).toEqual(azure.summary!.arrival!.rateRps);
      for (const canvas of await inspectCharts(page)) {
        expect(canvas.paintedPixels, canvas.name).toBeGreaterThan(0.01 * canvas.width * canvas.height);
      }
      await page.screenshot({ path: join(SHOTS, 'datasets.png'), fullPage: true });

      // A length file has no arrival-rate chart.
      await page.click('table.datasets tr[data-dataset="sharegpt"] a');
      await page.waitForSelector(
        '.dataset-detail[data-dataset="sharegpt"] canvas[data-chart="output-histogram"]',
      );
      expect((await chartData(page)).map((c) => c.name)).toEqual(['prompt-histogram', 'output-histogram']);
    });

    it('imports a BurstGPT-style trace with a column mapping, then makes a sweep on it', async () => {
      const lines = ['Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type'];
      for (let i = 0; i < 300; i++) {
        const prompt = 50 + ((i * 37) % 900);
        const output = i % 50 === 7 ? 0 : 10 + ((i * 13) % 300);
        lines.push(`${i * 2},ChatGPT,${prompt},${output},${prompt + output},Conversation log`);
      }
      const trace = join(dir, 'burstgpt-export.csv');
      writeFileSync(trace, `${lines.join('\n')}\n`);

      await page.goto(`${serve.base}/#/datasets`);
      await page.waitForSelector('.scroll-box[data-ready]');
      // Browse… is the desktop app's native dialog; a browser has none to offer.
      expect(await page.locator('[data-action="browse"]').count()).toBe(0);
      await page.fill('.trace-import-form input[name="path"]', trace);
      await page.click('[data-action="preview"]');
      await page.waitForSelector('.check-result');
      // The guesses: BurstGPT's names, relative seconds; the whole file reads.
      const mapping = page.locator('.trace-mapping');
      expect(await mapping.locator('select[name="column-arrival"]').inputValue()).toBe('Timestamp');
      expect(await mapping.locator('select[name="column-prompt"]').inputValue()).toBe('Request tokens');
      expect(await mapping.locator('select[name="column-output"]').inputValue()).toBe('Response tokens');
      expect(await mapping.locator('select[name="timestamps"]').inputValue()).toBe('s');
      expect(await page.locator('.preview-rows tbody tr').count()).toBe(10);
      expect(await page.locator('.check-result').getAttribute('data-check')).toBe('ok');
      expect(await page.locator('.check-result').getAttribute('data-requests')).toBe('300');

      // A wrong mapping is refused at its line and column, shown at once.
      await mapping.locator('select[name="column-output"]').selectOption('Log Type');
      await page.waitForSelector('.check-result[data-check="problem"]');
      expect(await page.locator('.check-result').getAttribute('data-line')).toBe('2');
      expect(await page.locator('.check-result').getAttribute('data-column')).toBe('Log Type');
      expect(await page.locator('.preview-rows tr.bad-row').getAttribute('data-line')).toBe('2');
      expect(await page.locator('[data-action="import"]').isDisabled()).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'datasets-import-problem.png'), fullPage: true });
      await mapping.locator('select[name="column-output"]').selectOption('Response tokens');
      await page.waitForSelector('.check-result[data-check="ok"]');
      await page.screenshot({ path: join(SHOTS, 'datasets-import.png'), fullPage: true });

      await page.fill('input[name="name"]', 'burst-export');
      await page.click('[data-action="import"]');
      await page.waitForSelector(
        '.dataset-detail[data-dataset="burst-export"] canvas[data-chart="arrival-rate"]',
      );
      expect(new URL(page.url()).hash).toBe('#/datasets?name=burst-export');
      const imported = (await serve.call<DatasetOut[]>('datasets.list', {})).find(
        (d) => d.name === 'burst-export',
      )!;
      expect(imported).toMatchObject({ builtIn: false, importedFrom: trace, kind: 'trace' });
      expect(imported.summary).toMatchObject({ requests: 300, zeroOutputRows: 6 });
      expect(imported.path).not.toBe(trace); // the copy beside the database
      expect(readFileSync(imported.path, 'utf8')).toBe(readFileSync(trace, 'utf8'));
      expect(await page.locator('table.datasets tr.chosen').getAttribute('data-dataset')).toBe(
        'burst-export',
      );

      // A sweep on it, from the dataset's link: the form has it chosen; the spec names the copy.
      await page.click('[data-action="new-sweep"]');
      await page.waitForSelector('.new-sweep-form');
      expect(await page.locator('.new-sweep-form select[name="trace"]').inputValue()).toBe('burst-export');
      // Empty rates: replayed as recorded; empty requests: every request of the trace.
      await page.locator('.new-sweep-form input[name="rates"]').fill('');
      await page.locator('.new-sweep-form input[name="requests"]').fill('');
      await page.click('[data-tab="yaml"]');
      const yaml = await page.locator('textarea[name="yaml"]').inputValue();
      expect(yaml).not.toMatch(/^requests:/m);
      expect(yaml).toContain(`path: ${imported.path}`);
      expect(yaml).toContain(
        'columns: { arrival: Timestamp, prompt: Request tokens, output: Response tokens }',
      );
      await page.click('[data-action="validate"]');
      await expect
        .poll(() => page.locator('.validate-result').textContent())
        .toMatch(/Valid: 2 runs on a100-llama2-7b/);

      // Removed again (after a confirmation); no sweep names it, so its copy goes too.
      await page.goto(`${serve.base}/#/datasets?name=burst-export`);
      await page.waitForSelector('.dataset-detail[data-dataset="burst-export"]');
      expect(
        await page
          .locator('.dataset-detail[data-dataset="azure-conv"] [data-action="remove-dataset"]')
          .count(),
      ).toBe(0);
      page.once('dialog', (d) => void d.accept());
      await page.click('[data-action="remove-dataset"]');
      await page.waitForSelector('.dataset-detail[data-dataset="azure-conv"]');
      expect(await page.locator('table.datasets tr[data-dataset="burst-export"]').count()).toBe(0);
      expect(existsSync(imported.path)).toBe(false);
      expect(existsSync(trace)).toBe(true); // the user's own file is never touched
    });

    it('shows API errors in the banner', async () => {
      await page.goto(`${serve.base}/#/compare?runs=999`);
      const banner = page.locator('#error-banner');
      await banner.waitFor({ state: 'visible' });
      expect(await banner.textContent()).toMatch(/\[not-found\] no run with id 999/);
      await page.screenshot({ path: join(SHOTS, 'error-banner.png') });
      await banner.locator('button').click();
      expect(await banner.isVisible()).toBe(false);
    });

    it('had no page errors and no CSP violations', () => {
      expect(pageErrors).toEqual([]);
      // The only console errors: the 404 of the deliberate not-found call.
      expect(consoleErrors.filter((m) => !/status of 404/.test(m))).toEqual([]);
    });
  },
);
