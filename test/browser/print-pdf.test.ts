import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing } from './chromium.js';
import type { ServeProcess } from './serve-process.js';
import { serveSweep, SHOTS, type ServedSweep } from './served-sweep.js';

/**
 * The printed pages (renderer/src/styles/print.css: A4 landscape, 10 mm side margins): the
 * Compare page and a sweep's page, laid out for print, have no table wider than the page, and
 * Chromium prints them to PDF pages that `pdftoppm` (poppler-utils) renders (the first page of
 * each goes to test-artifacts/screenshots/print-*.png). Needs pdftoppm; .ci/run installs it.
 */
const SPEC = [
  'name: printed',
  'machine: a100-llama2-7b-linear',
  'requests: 200',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: synth',
  '    promptTokens: { dist: uniform, min: 50, max: 400 }',
  '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  '    arrival: { process: poisson, rate: [4, 8] }',
  'policies:',
  '  - { policy: vllm, maxNumSeqs: [64, 128] }',
  '  - { policy: sarathi, chunkSize: 256 }',
  '  - { policy: fcfs }',
  '',
].join('\n');

function pdftoppmMissing(): boolean {
  try {
    execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
    return false;
  } catch {
    if (process.env.SCHEDBENCH_REQUIRE_ALL === '1') {
      throw new Error('test/browser/print-pdf.test.ts needs pdftoppm (poppler-utils); .ci/run installs it');
    }
    console.warn('skipping test/browser/print-pdf.test.ts: pdftoppm (poppler-utils) is not installed');
    return true;
  }
}

/** A binary PGM (P5) image: width, height and one grey byte per pixel. */
function readPgm(file: string): { width: number; height: number; pixels: Buffer } {
  const data = readFileSync(file);
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error(`${file}: not a binary PGM`);
  return { width: Number(header[1]), height: Number(header[2]), pixels: data.subarray(header[0].length) };
}

describe.skipIf(chromiumMissing('test/browser/print-pdf.test.ts') || pdftoppmMissing())(
  'printed pages (Chromium PDF, pdftoppm)',
  () => {
    let served: ServedSweep;
    let dir = '';
    let serve: ServeProcess;
    let browser: Browser;
    let sweepId = 0;
    let runIds: number[] = [];

    beforeAll(async () => {
      served = await serveSweep('printed', SPEC);
      ({ dir, serve, browser, sweepId, runIds } = served);
    }, 120_000);

    afterAll(() => served?.close());

    /**
     * Lays the page at `hash` out for print (print media, the printable width of A4 landscape
     * with print.css's 10 mm side margins: 277 mm = 1047 CSS px) and lists the tables that do not
     * fit it: a table whose right edge passes the page's, or that sits in a box it overflows
     * (scrolled or clipped: cut on paper). Then prints the page to PDF and renders every page with
     * pdftoppm: Chromium clips what passes the page at the paper's content edge, so a PDF page
     * shows a cut table no differently from a full-width one, which is why the layout is measured.
     */
    async function printed(
      name: string,
      hash: string,
      ready: string,
      inject?: string,
    ): Promise<{ overflowing: string[]; pages: { width: number; height: number }[] }> {
      const context = await browser.newContext({ viewport: { width: 1047, height: 688 } });
      const page = await context.newPage();
      await page.goto(serve.readyUrl);
      await page.goto(`${serve.base}/${hash}`);
      await page.waitForSelector(ready, { timeout: 30_000 });
      if (inject !== undefined) {
        await page.evaluate((html) => {
          const g = globalThis as unknown as {
            document: { querySelector(s: string): { insertAdjacentHTML(p: string, h: string): void } | null };
          };
          g.document.querySelector('main')!.insertAdjacentHTML('afterbegin', html);
        }, inject);
      }
      await page.emulateMedia({ media: 'print' });
      const overflowing = await page.evaluate(() => {
        interface El {
          tagName: string;
          className: string;
          parentElement: El | null;
          scrollWidth: number;
          clientWidth: number;
          getBoundingClientRect(): { right: number; width: number };
        }
        const g = globalThis as unknown as {
          innerWidth: number;
          document: { querySelectorAll(s: string): ArrayLike<El> };
          getComputedStyle(e: El): { overflowX: string; display: string };
        };
        const out: string[] = [];
        for (const table of Array.from(g.document.querySelectorAll('table'))) {
          if (g.getComputedStyle(table).display === 'none') continue;
          const rect = table.getBoundingClientRect();
          if (rect.width === 0) continue;
          const what = `table.${table.className || '(no class)'}`;
          if (rect.right > g.innerWidth + 1)
            out.push(`${what}: right edge ${Math.round(rect.right)} > ${g.innerWidth}`);
          for (let box = table.parentElement; box; box = box.parentElement) {
            const overflow = g.getComputedStyle(box).overflowX;
            if (overflow !== 'visible' && box.scrollWidth > box.clientWidth + 1) {
              out.push(
                `${what}: cut by ${box.tagName.toLowerCase()}.${box.className} (${box.scrollWidth} > ${box.clientWidth})`,
              );
            }
          }
        }
        return out;
      });
      const pdf = join(dir, `${name}.pdf`);
      // preferCSSPageSize: the page size and margins of print.css (A4 landscape, 14 mm x 10 mm).
      await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
      await context.close();
      execFileSync('pdftoppm', ['-r', '40', '-gray', pdf, join(dir, name)]);
      const pages = readdirSync(dir)
        .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.pgm'))
        .sort()
        .map((f) => readPgm(join(dir, f)));
      if (inject === undefined) {
        // The first page as an image to look at.
        execFileSync('pdftoppm', [
          '-r',
          '60',
          '-png',
          '-f',
          '1',
          '-l',
          '1',
          pdf,
          join(SHOTS, `print-${name}`),
        ]);
      }
      return { overflowing, pages: pages.map(({ width, height }) => ({ width, height })) };
    }

    it('finds a table wider than the page (the check below is not vacuous)', async () => {
      const cell = `<td>${'wide '.repeat(400)}</td>`;
      // Inline !important: nothing in print.css can narrow it (as content that cannot wrap).
      const wide = `<table class="too-wide" style="min-width: 4000px !important"><tr>${cell}</tr></table>`;
      const { overflowing } = await printed('wide', `#/sweeps/${sweepId}`, 'canvas[data-chart]', wide);
      expect(overflowing).toEqual([expect.stringMatching(/^table\.too-wide: right edge \d+ > 1047$/)]);
    }, 60_000);

    it.each([
      ['compare', () => `#/compare?runs=${runIds.join(',')}`, '[data-compare-state="ready"]'],
      ['sweep', () => `#/sweeps/${sweepId}`, 'canvas[data-chart]'],
    ] as const)(
      'prints the %s page to landscape PDF pages with no table wider than the page',
      async (name, hash, ready) => {
        const { overflowing, pages } = await printed(name, hash(), ready);
        expect(overflowing).toEqual([]);
        expect(pages.length).toBeGreaterThan(0);
        for (const p of pages) expect(p.width).toBeGreaterThan(p.height); // A4 landscape
      },
      60_000,
    );
  },
);
