import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepSummaryData } from '../../runner/api/api-contract.js';
import { answerVerdicts, verdictSentence } from '../../runner/reports/verdict-sentence.js';
import { REPO, runCli } from '../helpers/cli.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * A sweep over `machine: [a100-llama2-7b, h100-llama2-7b]` on its page (issue 16 item 1), served
 * by the real `schedbench serve`: the verdicts are the API's (policies per machine, then the
 * machines per policy), the summary table has a Machine column, the stability table a line per
 * policy and machine. Screenshot: test-artifacts/screenshots/sweep-two-machines.png.
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

const SPEC = [
  'name: two-machines',
  'machine: [a100-llama2-7b, h100-llama2-7b]',
  'requests: 300',
  'seeds: [1, 2]',
  'workloads:',
  '  - { name: typed, types: [{ prompt: 512, output: 128, rate: 8 }] }',
  'policies: [{ policy: vllm }, { policy: sarathi }]',
  '',
].join('\n');

describe.skipIf(chromiumMissing('test/browser/machine-axis.test.ts'))('a sweep over two machines', () => {
  let dir: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
      throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
    }
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'schedbench-machine-axis-page-'));
    const db = join(dir, 'two.db');
    writeFileSync(join(dir, 'two.yaml'), SPEC);
    const sweep = runCli(['sweep', join(dir, 'two.yaml'), '--db', db, '--jobs', '2']);
    expect(sweep.code, sweep.stderr).toBe(0);
    serve = await startServe(db);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(serve.readyUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('states per-machine and machine verdicts, and tables by machine', async () => {
    await page.goto(`${serve.base}/#/sweeps/1`);
    await page.waitForSelector('.sweep-answer[data-answer-state="ready"]');
    const summary = await serve.call<SweepSummaryData>('sweeps.summary', { sweepId: 1 });
    const { capacity, paired } = answerVerdicts(summary.verdicts);
    const sentences = [...capacity, ...paired].map(verdictSentence);
    expect(sentences.some((s) => s.includes('is the machine with'))).toBe(true);
    expect(await page.locator('.sweep-verdict ul.verdicts li').allTextContents()).toEqual(sentences);

    const header = await page.locator('table.summary-table thead th').allTextContents();
    expect(header.slice(0, 4)).toEqual(['Workload', 'Rate (req/s)', 'Machine', 'Policy']);
    const machines = await page
      .locator('table.summary-table tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-machine')));
    expect(new Set(machines)).toEqual(new Set(['a100-llama2-7b', 'h100-llama2-7b']));
    expect(machines).toHaveLength(4);
    const lines = await page
      .locator('table.stability-table tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-policy')));
    expect(new Set(lines)).toEqual(
      new Set([
        'vllm on a100-llama2-7b',
        'sarathi on a100-llama2-7b',
        'vllm on h100-llama2-7b',
        'sarathi on h100-llama2-7b',
      ]),
    );
    await page.screenshot({ path: join(SHOTS, 'sweep-two-machines.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
