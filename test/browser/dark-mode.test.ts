import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing } from './chromium.js';
import type { ServeProcess } from './serve-process.js';
import { serveSweep, SHOTS, type ServedSweep } from './served-sweep.js';

/**
 * Dark mode (renderer/src/theme.ts): the app follows `prefers-color-scheme` until the user picks
 * a theme in the navigation bar, which is kept across reloads; every page is drawn light and dark
 * (screenshots `<page>-light.png` and `<page>-dark.png` in test-artifacts/screenshots/), with
 * light text on a dark background in dark mode, and charts that take their colours from it.
 */
const SPEC = [
  'name: themes',
  'machine: a100-llama2-7b-linear',
  'requests: 200',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: synth',
  '    promptTokens: { dist: uniform, min: 50, max: 400 }',
  '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  '    arrival: { process: poisson, rate: [4, 8] }',
  'policies: [{ policy: vllm }, { policy: sarathi, chunkSize: 256 }]',
  '',
].join('\n');

/** Relative luminance (0 black .. 1 white) of a CSS `rgb(...)`/`rgba(...)` colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map(Number);
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The page's background and text colours, and Chart.js's default text colour. */
function colours(
  page: Page,
): Promise<{ theme: string | undefined; background: string; text: string; chart: string }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as {
      document: { documentElement: { dataset: Record<string, string | undefined> }; body: unknown };
      getComputedStyle(e: unknown): { backgroundColor: string; color: string };
      Chart: { defaults: { color: string } };
    };
    // Pico paints the page's background on <html>; the body is transparent.
    const root = g.getComputedStyle(g.document.documentElement);
    const body = g.getComputedStyle(g.document.body);
    return {
      theme: g.document.documentElement.dataset.theme,
      background: root.backgroundColor,
      text: body.color,
      chart: String(g.Chart.defaults.color),
    };
  });
}

describe.skipIf(chromiumMissing('test/browser/dark-mode.test.ts'))('dark mode (Chromium)', () => {
  let served: ServedSweep;
  let serve: ServeProcess;
  let browser: Browser;
  let sweepId = 0;
  let runIds: number[] = [];

  beforeAll(async () => {
    served = await serveSweep('themes', SPEC);
    ({ serve, browser, sweepId, runIds } = served);
  }, 120_000);

  afterAll(() => served?.close());

  it('follows the system preference until a theme is chosen, and keeps the choice', async () => {
    const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(serve.readyUrl);
    await page.waitForSelector('[data-action="theme"]');
    const system = await colours(page);
    expect(system.theme).toBe('dark');
    expect(luminance(system.background)).toBeLessThan(0.1);
    expect(luminance(system.text)).toBeGreaterThan(0.4);
    await page.selectOption('[data-action="theme"]', 'light');
    const light = await colours(page);
    expect(light.theme).toBe('light');
    expect(luminance(light.background)).toBeGreaterThan(0.8);
    expect(light.chart).not.toBe(system.chart);
    await page.reload();
    await page.waitForSelector('[data-action="theme"]');
    expect((await colours(page)).theme).toBe('light');
    expect(await page.locator('[data-action="theme"]').inputValue()).toBe('light');
    await context.close();
  });

  it('draws every page in both themes (screenshots saved)', async () => {
    const pages: [string, string, string][] = [
      ['runs', '#/runs', '.runs-table[data-ready]'],
      ['compare', `#/compare?runs=${runIds.join(',')}`, '[data-compare-state="ready"]'],
      ['sweeps', '#/sweeps', '.new-sweep-form'],
      ['sweep-detail', `#/sweeps/${sweepId}`, 'canvas[data-chart]'],
      ['run-detail', `#/runs/${runIds[0]}`, 'canvas[data-chart]'],
      ['machines', '#/machines', 'table.machines'],
      ['datasets', '#/datasets', '.scroll-box[data-ready] table.datasets'],
    ];
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({
        colorScheme: scheme,
        viewport: { width: 1400, height: 900 },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(serve.readyUrl);
      for (const [name, hash, ready] of pages) {
        await page.goto(`${serve.base}/${hash}`);
        await page.waitForSelector(ready, { timeout: 30_000 });
        const c = await colours(page);
        expect(c.theme, name).toBe(scheme);
        if (scheme === 'dark') expect(luminance(c.background), name).toBeLessThan(0.1);
        else expect(luminance(c.background), name).toBeGreaterThan(0.8);
        await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
      }
      expect(errors).toEqual([]);
      await context.close();
    }
  }, 120_000);
});
