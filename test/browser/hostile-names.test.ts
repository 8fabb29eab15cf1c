import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing } from './chromium.js';
import { serveSweep, SHOTS, type ServedSweep } from './served-sweep.js';

/**
 * Names are the user's, and the page shows them as text, never as HTML: a sweep and a workload
 * named with markup that would navigate the page or run script (a `<meta http-equiv=refresh>`, an
 * `<img onerror>`), run by the real CLI and served by `schedbench serve`, leave no element of
 * theirs in the DOM of any page (Runs with its filter dropdowns and tooltips open, Compare, Sweeps,
 * a sweep's and a run's detail, Machines, Datasets), and the page never navigates away.
 */

const REFRESH = '<meta http-equiv="refresh" content="0;url=about:blank">';
const SWEEP_NAME = `<img src=x onerror=window.__pwned=1 class=pwned> ${REFRESH}`;
const WORKLOAD_NAME = `${REFRESH}<img src=x onerror=window.__pwned=2 class=pwned><b class=pwned>bold</b>`;

const SPEC = [
  `name: ${JSON.stringify(SWEEP_NAME)}`,
  'machine: a100-llama2-7b-linear',
  'requests: 60',
  'seeds: [1, 2]',
  'workloads:',
  `  - name: ${JSON.stringify(WORKLOAD_NAME)}`,
  '    promptTokens: { dist: uniform, min: 50, max: 400 }',
  '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  '    arrival: { process: poisson, rate: 6 }',
  'policies:',
  '  - { policy: fcfs }',
  '  - { policy: vllm }',
  '',
].join('\n');

/** Elements the names would have made, had they been parsed as HTML, and the script's mark. */
function injected(page: Page): Promise<{ elements: number; pwned: unknown }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): { length: number } };
      __pwned?: unknown;
    };
    return {
      elements: g.document.querySelectorAll('.pwned, img[src="x"], body meta, meta[http-equiv]').length,
      pwned: g.__pwned ?? null,
    };
  });
}

describe.skipIf(chromiumMissing('test/browser/hostile-names.test.ts'))(
  'hostile sweep and workload names render as text',
  () => {
    let served: ServedSweep;
    let page: Page;
    const navigations: string[] = [];

    beforeAll(async () => {
      served = await serveSweep('hostile', SPEC);
      const context = await served.browser.newContext({ viewport: { width: 1400, height: 900 } });
      page = await context.newPage();
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) navigations.push(frame.url());
      });
      await page.goto(served.serve.readyUrl);
    }, 120_000);

    afterAll(async () => {
      await served?.close();
    });

    /** Asserts nothing was injected and the page stayed on the server. */
    async function clean(where: string): Promise<void> {
      expect(await injected(page), where).toEqual({ elements: 0, pwned: null });
      expect(page.url().startsWith(`${served.serve.base}/`), `${where}: ${page.url()}`).toBe(true);
      expect(
        navigations.filter((u) => !u.startsWith(`${served.serve.base}/`)),
        where,
      ).toEqual([]);
    }

    /** Opens `hash` and waits until the page shows `text` (as text). */
    async function visit(hash: string, text: string): Promise<void> {
      await page.goto(`${served.serve.base}/${hash}`);
      await page.waitForFunction(
        (t) =>
          (
            globalThis as unknown as { document: { body: { innerText: string } } }
          ).document.body.innerText.includes(t),
        text,
        { timeout: 20_000 },
      );
      // A meta refresh with a 0 s delay would have fired by now.
      await page.waitForTimeout(500);
    }

    it('Runs: cells, tooltips and the filter dropdowns of sweep and workload', async () => {
      await page.waitForSelector('.runs-table[data-ready]', { timeout: 20_000 });
      await page.waitForTimeout(500);
      await clean('runs');
      for (const field of ['sweep', 'workload']) {
        await page
          .locator(`.tabulator-col[tabulator-field="${field}"] .tabulator-header-filter input`)
          .click();
        const item = page
          .locator('.tabulator-edit-list .tabulator-edit-list-item')
          .filter({ hasText: 'pwned' });
        await item.first().waitFor({ timeout: 10_000 });
        const label = await item.first().innerText();
        expect(label).toContain(field === 'sweep' ? SWEEP_NAME : WORKLOAD_NAME);
        await page.waitForTimeout(300);
        await clean(`runs, ${field} filter open`);
        await page.keyboard.press('Escape');
      }
      await page.locator('.tabulator-cell[tabulator-field="workload"]').first().hover();
      await page.waitForTimeout(1500); // the tooltip shows after a delay
      await clean('runs, workload tooltip');
      await page.screenshot({ path: join(SHOTS, 'hostile-names-runs.png') });
    });

    it('Compare, Sweeps, sweep detail, run detail, Machines and Datasets', async () => {
      const { sweepId, runIds } = served;
      await visit(`#/compare?runs=${runIds.join(',')}`, 'stable runs');
      await clean('compare');
      await visit('#/sweeps', 'pwned');
      await clean('sweeps');
      await visit(`#/sweeps/${sweepId}`, 'pwned');
      await clean('sweep detail');
      await visit(`#/runs/${runIds[0]}`, 'pwned');
      await clean('run detail');
      await visit('#/machines', 'a100');
      await clean('machines');
      await visit('#/datasets', 'azure');
      await clean('datasets');
      await visit('#/runs', 'pwned');
      await clean('runs again');
    });
  },
);
