import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../runner/api/api-contract.js';
import { REPO, runCli } from '../helpers/cli.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * The renderer's side of the desktop app's messages and its exports, in Debian's Chromium on the
 * real `schedbench serve` (dist/ built):
 * - as the desktop app: a stand-in `window.schedbench` (the preload's members, electron/
 *   ipc-channels.ts) forwards API calls to the server and records what the page asks of the main
 *   process; the test sends it menu commands and runner states as main.ts would. File › Save
 *   report… saves the HTML report of what is shown, Open spec… goes to the Sweeps page with the
 *   spec, runner crashes and restarts reach the banner, PDF goes to printToPDF (savePdf) with the
 *   title and the sweep, never to window.print;
 * - in browser mode: PDF is window.print with a print-only heading (title, sweep, database), and
 *   in print media no table of the Compare page is wider than the page or cut by a scroll box.
 */
const SWEEP_NAME = 'desktop: export/test';
const SPEC = [
  `name: "${SWEEP_NAME}"`,
  'machine: a100-llama2-7b-linear',
  'requests: 80',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: a-rather-long-workload-name-that-makes-columns-wide',
  '    promptTokens: { dist: uniform, min: 50, max: 400 }',
  '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  '    arrival: { process: poisson, rate: [2, 4, 8] }',
  'policies:',
  '  - { policy: vllm, maxNumSeqs: 96, maxNumBatchedTokens: 3072 }',
  '  - { policy: sarathi, chunkSize: 256 }',
  '',
].join('\n');

/** What the stand-in bridge recorded. */
interface Recorded {
  saved: {
    via: 'saveFile' | 'savePdf';
    suggestedName: string;
    kind?: string;
    content?: string;
    title?: string;
    sweep?: string;
  }[];
  printed: number;
}

describe.skipIf(chromiumMissing('test/browser/desktop-messages.test.ts'))(
  'desktop messages and exports',
  () => {
    let dir = '';
    let db = '';
    let serve: ServeProcess;
    let browser: Browser;
    let runIds: number[] = [];
    const stamp = String.raw`\d{4}-\d{2}-\d{2}-\d{6}`;

    beforeAll(async () => {
      expect(existsSync(join(REPO, 'dist', 'renderer', 'index.html')), 'run npm run build').toBe(true);
      dir = mkdtempSync(join(tmpdir(), 'schedbench-desktop-messages-'));
      db = join(dir, 'desktop.db');
      writeFileSync(join(dir, 'spec.yaml'), SPEC);
      const sweep = runCli(['sweep', join(dir, 'spec.yaml'), '--db', db, '--jobs', '2']);
      expect(sweep.code, sweep.stderr).toBe(0);
      serve = await startServe(db);
      runIds = (await serve.call<RunSummary[]>('runs.list', {})).map((r) => r.id).sort((a, b) => a - b);
      expect(runIds).toHaveLength(12);
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A page signed in to the server; as the desktop app when `desktop` (a stand-in bridge). */
    async function openPage(desktop: boolean): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      if (desktop) {
        await page.addInitScript((token: string) => {
          type Listener = (...args: unknown[]) => void;
          const menu = new Set<Listener>();
          const status = new Set<Listener>();
          const recorded = { saved: [] as unknown[], printed: 0 };
          const subscribe = (set: Set<Listener>) => (listener: Listener) => {
            set.add(listener);
            return () => set.delete(listener);
          };
          const g = globalThis as unknown as Record<string, unknown>;
          g.__desktop = {
            recorded,
            menu: (command: string, data: unknown) => menu.forEach((l) => l(command, data)),
            status: (s: unknown) => status.forEach((l) => l(s)),
          };
          g.schedbench = {
            call: async (op: string, input: unknown) => {
              const res = await fetch(`/api/${op}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
                body: JSON.stringify(input),
              });
              return res.json();
            },
            onEvent: () => () => undefined,
            openSpec: async () => null,
            chooseTrace: async () => null,
            saveFile: async (request: Record<string, unknown>) => {
              recorded.saved.push({ via: 'saveFile', ...request });
              return { saved: true, path: `/saved/${String(request.suggestedName)}` };
            },
            savePdf: async (request: Record<string, unknown>) => {
              recorded.saved.push({ via: 'savePdf', ...request });
              return { saved: true, path: `/saved/${String(request.suggestedName)}` };
            },
            onMenu: subscribe(menu),
            onRunnerStatus: subscribe(status),
          };
          g.print = () => {
            recorded.printed += 1;
          };
        }, serve.token);
      }
      await page.goto(serve.readyUrl);
      return page;
    }

    const recorded = (page: Page): Promise<Recorded> =>
      page.evaluate(
        () => (globalThis as unknown as { __desktop: { recorded: Recorded } }).__desktop.recorded,
      );
    const menu = (page: Page, command: string, data: unknown): Promise<void> =>
      page.evaluate(
        ([c, d]) =>
          (globalThis as unknown as { __desktop: { menu(c: unknown, d: unknown): void } }).__desktop.menu(
            c,
            d,
          ),
        [command, data] as const,
      );
    const runnerStatus = (page: Page, state: string, message: string, restarts: number): Promise<void> =>
      page.evaluate(
        (s) => (globalThis as unknown as { __desktop: { status(s: unknown): void } }).__desktop.status(s),
        { state, message, restarts },
      );
    const compare = async (page: Page): Promise<void> => {
      await page.goto(`${serve.base}/#/compare?runs=${runIds.join(',')}`);
      await page.waitForSelector('[data-compare-state="ready"]');
    };

    it('as the desktop app: exports through the Save dialog and PDF through printToPDF', async () => {
      const page = await openPage(true);
      await compare(page);
      await page.click('[data-action="export-csv"]');
      await page.click('[data-action="export-pdf"]');
      await expect.poll(async () => (await recorded(page)).saved.length).toBe(2);
      const { saved: both, printed } = await recorded(page);
      // The CSV waits for the runner's export, the PDF does not: find each by how it was saved.
      const saved = [both.find((x) => x.via === 'saveFile'), both.find((x) => x.via === 'savePdf')];
      expect(saved[0]).toMatchObject({
        via: 'saveFile',
        kind: 'csv',
        suggestedName: expect.stringMatching(new RegExp(`^schedbench-desktop-export-test-${stamp}\\.csv$`)),
      });
      const header = saved[0]!.content!.split('\r\n')[0]!.split(',');
      expect(header).toEqual(expect.arrayContaining(['machine', 'origin_host']));
      expect(saved[1]).toEqual({
        via: 'savePdf',
        suggestedName: expect.stringMatching(new RegExp(`^schedbench-desktop-export-test-${stamp}\\.pdf$`)),
        title: 'Compare 12 runs',
        sweep: SWEEP_NAME,
      });
      expect(printed).toBe(0);
      await page.context().close();
    });

    it('as the desktop app: File › Save report… saves the report of the page shown, or says there is none', async () => {
      const page = await openPage(true);
      await compare(page);
      await menu(page, 'save-report', null);
      await expect.poll(async () => (await recorded(page)).saved.length).toBe(1);
      let saved = (await recorded(page)).saved;
      expect(saved[0]).toMatchObject({ via: 'saveFile', kind: 'html' });
      expect(saved[0]!.suggestedName).toMatch(new RegExp(`^schedbench-desktop-export-test-${stamp}\\.html$`));
      expect(saved[0]!.content).toMatch(/^<!doctype html>/i);

      await page.goto(`${serve.base}/#/sweeps/1`);
      await menu(page, 'save-report', null);
      await expect.poll(async () => (await recorded(page)).saved.length).toBe(2);
      saved = (await recorded(page)).saved;
      // Every run of the sweep is in its report.
      expect(saved[1]!.content!.match(/<tr class="run/g)?.length ?? 0).toBeGreaterThanOrEqual(12);

      await page.goto(`${serve.base}/#/datasets`);
      await menu(page, 'save-report', null);
      await expect
        .poll(() => page.locator('#error-banner li').last().textContent())
        .toMatch(/saving the report: this page shows no report/);
      expect((await recorded(page)).saved).toHaveLength(2);
      await page.context().close();
    });

    it('as the desktop app: Open spec… goes to the Sweeps page and puts the spec in the YAML editor', async () => {
      const page = await openPage(true);
      const spec = { path: '/specs/opened.yaml', dir: '/specs', yaml: 'name: opened\n' };
      await menu(page, 'open-spec', spec);
      await expect.poll(() => page.evaluate('location.hash')).toBe('#/sweeps');
      expect(await page.evaluate('history.state.schedbenchOpenedSpec')).toEqual(spec);
      await page.waitForSelector('.page-sweeps');
      // The New sweep editor shows the opened spec in its YAML tab, and validates it in its folder.
      await page.waitForSelector('.new-sweep .tab-yaml:not([hidden])');
      expect(await page.locator('.new-sweep .tab-yaml textarea').inputValue()).toBe(spec.yaml);
      await page.click('[data-action="validate"]');
      await expect
        .poll(() => page.locator('.validate-result').textContent(), { timeout: 30_000 })
        .toMatch(/machine/);
      await page.context().close();
    });

    it('as the desktop app: shows the runner crashing and coming back in the banner', async () => {
      const page = await openPage(true);
      await page.waitForSelector('.page-runs');
      await runnerStatus(page, 'running', 'the runner process started', 0);
      await runnerStatus(
        page,
        'restarting',
        'the runner process was killed (SIGKILL); restarting in 0.5 s',
        0,
      );
      await runnerStatus(page, 'running', 'the runner process restarted (1 restart)', 1);
      const notices = page.locator('#error-banner li[data-code="runner"]');
      await expect
        .poll(() => notices.allTextContents())
        .toEqual([
          'The runner process stopped: the runner process was killed (SIGKILL); restarting in 0.5 s',
          'The runner process is back: the runner process restarted (1 restart). Calls in flight when it stopped failed; repeat them.',
        ]);
      expect(await page.locator('#error-banner').isVisible()).toBe(true);
      await page.context().close();
    });

    it('in a browser: PDF is window.print with a print-only heading; no table is cut in print', async () => {
      const page = await openPage(false);
      await compare(page);
      // (Page scripts as text: this file is typechecked without the DOM's types.)
      await page.evaluate(`{
        window.__printed = [];
        window.print = () => {
          const meta = document.querySelector('.print-meta');
          window.__printed.push({ title: document.title, meta: meta ? meta.textContent : null });
        };
      }`);
      await page.click('[data-action="export-pdf"]');
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as { __printed: unknown[] }).__printed.length))
        .toBe(1);
      const [printed] = await page.evaluate(
        () => (globalThis as unknown as { __printed: { title: string; meta: string }[] }).__printed,
      );
      expect(printed!.title).toMatch(new RegExp(`^schedbench-desktop-export-test-${stamp}$`));
      expect(printed!.meta).toContain('Compare 12 runs');
      expect(printed!.meta).toContain(`Sweep: ${SWEEP_NAME}`);
      expect(printed!.meta).toContain(`Database: ${db}`);
      // Afterwards the page is as it was.
      await expect.poll(() => page.evaluate("document.querySelectorAll('.print-meta').length")).toBe(0);
      expect(await page.title()).toBe('Schedbench');

      // Print media on a page as wide as A4 landscape's printable width (277 mm at 96 dpi).
      await page.setViewportSize({ width: 1047, height: 740 });
      await page.emulateMedia({ media: 'print' });
      const layout = (await page.evaluate(`({
        width: document.documentElement.clientWidth,
        tables: [...document.querySelectorAll('table')].map((t) => Math.ceil(t.getBoundingClientRect().right)),
        boxes: [...document.querySelectorAll('.scroll-box')].map((b) => [b.scrollWidth, b.clientWidth]),
        pageScroll: document.documentElement.scrollWidth,
      })`)) as { width: number; tables: number[]; boxes: [number, number][]; pageScroll: number };
      expect(layout.tables.length).toBeGreaterThanOrEqual(2);
      for (const right of layout.tables) expect(right).toBeLessThanOrEqual(layout.width);
      for (const [scroll, client] of layout.boxes) expect(scroll).toBeLessThanOrEqual(client + 1);
      expect(layout.pageScroll).toBeLessThanOrEqual(layout.width);
      await page.context().close();
    });
  },
);
