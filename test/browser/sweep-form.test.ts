import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidateOut } from '../../runner/api/api-contract.js';
import { formatNumber } from '../../runner/reports/format-number.js';
import { REPO } from '../helpers/cli.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * The New sweep form and YAML editor (renderer/src/sweeps/) in Debian's Chromium, served by the
 * real `schedbench serve` on an empty database: the editor's line numbers stay beside their text
 * line when a long spec scrolls, and its error mark sits at the line the problem names; the form
 * builds a spec with an SLO, a capacity search, a length cap and a policy parameter beyond the
 * main one, validates it and shows each workload's fluid stability limit, warning about rates
 * above it; problems show beside the form field that caused them, in plain words. A Poisson
 * workload's prefix sharing (shared system prompts, multi-turn sessions) and a policy's replicas
 * and routing are written as the spec takes them; a trace offers no prefix sharing. Screenshots
 * go to test-artifacts/screenshots/sweep-form-*.png.
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

/** A 40-line spec (no final newline) whose line 37 holds the first problem: `maxNumSeqs: 0`. */
function longSpec(): string {
  const lines = [
    'name: gutter-check',
    'machine: a100-llama2-7b-linear',
    'requests: 100',
    'seeds: [1]',
    'workloads:',
    '  - name: synth',
    '    promptTokens: { dist: uniform, min: 50, max: 400 }',
    '    outputTokens: { dist: uniform, min: 20, max: 200 }',
    '    arrival: { process: poisson, rate: 2 }',
    'policies:',
  ];
  while (lines.length < 40) {
    const n = lines.length + 1;
    lines.push(
      n === 37
        ? '  - { policy: vllm, maxNumSeqs: 0 }'
        : `  - { policy: vllm, maxNumBatchedTokens: ${1024 + 16 * n} }`,
    );
  }
  return lines.join('\n');
}

/** Where gutter row `line` and text line `line` of the editor are, in page pixels. */
interface LineGeometry {
  /** Top of the gutter row numbered `line`, and its text. */
  rowTop: number;
  rowText: string;
  /** Top of text line `line` in the textarea (its padding, line height and scroll). */
  textTop: number;
  /** The textarea's visible box. */
  viewTop: number;
  viewBottom: number;
  /** Top of the error band, null when hidden. */
  bandTop: number | null;
  scrollTop: number;
}

function geometry(page: Page, line: number): Promise<LineGeometry> {
  return page.evaluate((n): LineGeometry => {
    interface Box {
      top: number;
      bottom: number;
    }
    interface El {
      getBoundingClientRect(): Box;
      textContent: string | null;
      hidden: boolean;
    }
    interface Area extends El {
      clientTop: number;
      clientHeight: number;
      scrollTop: number;
    }
    const g = globalThis as unknown as {
      document: { querySelector(s: string): El | null };
      getComputedStyle(e: El): { paddingTop: string; lineHeight: string };
    };
    const area = g.document.querySelector('textarea[name="yaml"]') as Area;
    const row = g.document.querySelector(`.yaml-gutter [data-line="${n}"]`)!;
    const band = g.document.querySelector('.yaml-error-band')!;
    const style = g.getComputedStyle(area);
    const box = area.getBoundingClientRect();
    const viewTop = box.top + area.clientTop;
    return {
      rowTop: row.getBoundingClientRect().top,
      rowText: row.textContent ?? '',
      textTop:
        viewTop + parseFloat(style.paddingTop) + (n - 1) * parseFloat(style.lineHeight) - area.scrollTop,
      viewTop,
      viewBottom: viewTop + area.clientHeight,
      bandTop: band.hidden ? null : band.getBoundingClientRect().top,
      scrollTop: area.scrollTop,
    };
  }, line);
}

/**
 * Clicks the textarea at the height of gutter row `line` and returns the line the caret landed
 * on: the browser's own answer to "which text line is beside this number".
 */
async function lineBesideRow(page: Page, line: number): Promise<number> {
  const row = await page.locator(`.yaml-gutter [data-line="${line}"]`).boundingBox();
  const area = await page.locator('textarea[name="yaml"]').boundingBox();
  await page.mouse.click(area!.x + 40, row!.y + row!.height / 2);
  return page
    .locator('textarea[name="yaml"]')
    .evaluate(
      (t) =>
        (t as unknown as { value: string; selectionStart: number }).value
          .slice(0, (t as unknown as { selectionStart: number }).selectionStart)
          .split('\n').length,
    );
}

describe.skipIf(chromiumMissing('test/browser/sweep-form.test.ts'))(
  'New sweep form and YAML editor in Chromium (schedbench serve)',
  () => {
    let dir: string;
    let serve: ServeProcess;
    let browser: Browser;
    let context: BrowserContext;
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
        throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
      }
      mkdirSync(SHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'schedbench-sweep-form-'));
      serve = await startServe(join(dir, 'form.db'));
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(serve.readyUrl); // sets the sign-in cookie
      await page.close();
    });

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A fresh page on the Sweeps page, its form loaded. */
    async function sweepsPage(): Promise<Page> {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(`${serve.base}/#/sweeps`);
      await page.waitForSelector('.new-sweep-form');
      return page;
    }

    it('keeps each line number beside its text line when a 40-line spec scrolls, and marks line 37 there', async () => {
      const page = await sweepsPage();
      await page.click('[data-tab="yaml"]');
      const textarea = page.locator('textarea[name="yaml"]');
      await textarea.fill(longSpec());
      expect(await page.locator('.yaml-gutter [data-line]').count()).toBe(40);
      await page.click('[data-action="validate"]');
      await page.waitForSelector('.yaml-editor[data-error-line="37"]');
      expect(await page.locator('.yaml-editor').getAttribute('data-error-field')).toBe(
        'policies[26].maxNumSeqs',
      );
      expect(await page.locator('.yaml-gutter .error').textContent()).toBe('37');
      expect(await page.locator('.yaml-problem').textContent()).toMatch(
        /^Line 37 — field policies\[26\]\.maxNumSeqs: /,
      );

      // Marked and scrolled to: row 37 is in view, level with text line 37 and with the band.
      const marked = await geometry(page, 37);
      expect(marked.scrollTop).toBeGreaterThan(0);
      expect(marked.rowText).toBe('37');
      expect(marked.rowTop).toBeGreaterThanOrEqual(marked.viewTop);
      expect(marked.rowTop).toBeLessThan(marked.viewBottom);
      expect(Math.abs(marked.rowTop - marked.textTop)).toBeLessThanOrEqual(1);
      expect(Math.abs(marked.bandTop! - marked.textTop)).toBeLessThanOrEqual(1);
      await page.screenshot({ path: join(SHOTS, 'sweep-form-gutter.png') });

      // Scrolled with the wheel to the top and back to the bottom: still level, every visible row.
      const box = (await textarea.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -2000);
      await expect.poll(async () => (await geometry(page, 1)).scrollTop).toBe(0);
      expect((await geometry(page, 37)).rowTop).toBeGreaterThan((await geometry(page, 37)).viewBottom);
      await page.mouse.wheel(0, 2000);
      await expect
        .poll(async () => (await geometry(page, 40)).scrollTop)
        .toBeGreaterThan(marked.scrollTop - 1);
      for (const line of [37, 40, 25]) {
        const at = await geometry(page, line);
        expect(at.rowText).toBe(String(line));
        expect(Math.abs(at.rowTop - at.textTop), `line ${line}`).toBeLessThanOrEqual(1);
      }
      const bottom = await geometry(page, 37);
      expect(Math.abs(bottom.bandTop! - bottom.rowTop)).toBeLessThanOrEqual(1);
      // Half-way (lines 11 to 26 in view): every number moved with its line; 37's mark is below.
      await textarea.evaluate((t) => ((t as unknown as { scrollTop: number }).scrollTop = 200));
      // The gutter follows on the textarea's scroll event: wait until row 12 is level with its line.
      await expect
        .poll(async () => {
          const at = await geometry(page, 12);
          return Math.abs(at.rowTop - at.textTop);
        })
        .toBeLessThanOrEqual(1);
      for (const line of [12, 20, 25]) {
        const at = await geometry(page, line);
        expect(at.scrollTop).toBe(200);
        expect(at.rowTop).toBeGreaterThanOrEqual(at.viewTop - 20);
        expect(at.rowTop).toBeLessThan(at.viewBottom);
        expect(Math.abs(at.rowTop - at.textTop), `line ${line}`).toBeLessThanOrEqual(1);
      }
      const below = await geometry(page, 37);
      expect(below.rowTop).toBeGreaterThan(below.viewBottom);
      expect(Math.abs(below.bandTop! - below.rowTop)).toBeLessThanOrEqual(1);
      await page.screenshot({ path: join(SHOTS, 'sweep-form-gutter-scrolled.png') });
      // The browser agrees: a click beside a row puts the caret on the text line of that number.
      expect(await lineBesideRow(page, 20)).toBe(20);
      await textarea.evaluate((t) => ((t as unknown as { scrollTop: number }).scrollTop = 10_000));
      await expect.poll(async () => (await geometry(page, 37)).rowTop).toBeLessThan(marked.viewBottom);
      expect(await lineBesideRow(page, 37)).toBe(37);
      expect(await lineBesideRow(page, 25)).toBe(25);
      await page.close();
    });

    it('builds a spec with an SLO, a capacity search, maxTokens and vllm maxNumSeqs, and shows the fluid limit', async () => {
      const page = await sweepsPage();
      const form = page.locator('.new-sweep-form');
      await form.locator('input[name="name"]').fill('mooncake-capacity');
      await form.locator('select[name="trace"]').selectOption('mooncake-conv');
      await form.locator('input[name="requests"]').fill('');

      // The whole Mooncake trace on the default machine: some requests never fit. The runner's
      // problem shows beside the length cap, in plain words; nothing goes to the banner.
      await page.click('[data-action="validate"]');
      const capError = form.locator('.field-error[data-field="maxTokens"]');
      await capError.waitFor();
      expect(await capError.textContent()).toMatch(
        /^Workload mooncake-conv .* can never fit in the KV cache/,
      );
      expect(await form.locator('input[name="maxTokens"]').getAttribute('aria-invalid')).toBe('true');
      await expectBeside(page, 'input[name="maxTokens"]', capError);
      expect(await page.locator('.validate-result').textContent()).toMatch(/Not valid: see the marked field/);
      expect(await page.locator('body').textContent()).not.toMatch(/\[bad-input\]|spec\.yaml:\d+/);
      expect(await page.locator('#error-banner').isVisible()).toBe(false);
      await page.screenshot({ path: join(SHOTS, 'sweep-form-error.png'), fullPage: true });

      // A form check, beside its field too: a policy parameter under "more".
      await form.locator('input[name="maxTokens"]').fill('32768');
      expect(await form.locator('.field-error').count()).toBe(0);
      const vllm = form.locator('.policy-choice[data-policy="vllm"]');
      await vllm.locator('details.more-params summary').click();
      await form.locator('input[name="param-vllm-maxNumSeqs"]').fill('0');
      await page.click('[data-action="validate"]');
      const seqsError = form.locator('.field-error[data-field="param-vllm-maxNumSeqs"]');
      await seqsError.waitFor();
      expect(await seqsError.textContent()).toBe('max sequences: "0" must be greater than 0');
      await expectBeside(page, 'input[name="param-vllm-maxNumSeqs"]', seqsError);

      // The spec: SLO, capacity search, length cap, vllm's maxNumSeqs beside its main parameter,
      // and prefix caching turned on (a boolean: default, on or off).
      await form.locator('input[name="param-vllm-maxNumSeqs"]').fill('64');
      const caching = form.locator('select[name="param-vllm-prefixCaching"]');
      expect(await caching.locator('option').allTextContents()).toEqual(['default', 'on', 'off']);
      await caching.selectOption({ label: 'on' });
      await form.locator('input[name="rateMode"][value="search"]').check();
      await form.locator('input[name="searchMin"]').fill('0.5');
      await form.locator('input[name="searchMax"]').fill('4');
      await form.locator('input[name="slo-ttft_s"]').fill('5');
      await form.locator('input[name="slo-tpot_s"]').fill('0.2');
      await form.locator('select[name="oversize"]').selectOption('skip');
      await page.click('[data-action="validate"]');
      const ok = page.locator('.validate-result.ok');
      await expect
        .poll(() => ok.textContent())
        .toMatch(/Valid: 0 runs and 2 capacity searches .* on a100-llama2-7b/);
      await page.click('[data-tab="yaml"]');
      const yaml = await page.locator('textarea[name="yaml"]').inputValue();
      expect(yaml).toContain('slo: { ttft_s: 5, tpot_s: 0.2 }');
      expect(yaml).toContain('oversize: skip');
      expect(yaml).toContain('maxTokens: 32768');
      expect(yaml).toContain('rate: { search: { min: 0.5, max: 4 } }');
      expect(yaml).toContain(
        '- { policy: vllm, maxNumBatchedTokens: 4096, prefixCaching: true, maxNumSeqs: 64 }',
      );
      expect(yaml).toContain('- { policy: sarathi, chunkSize: 512 }');

      // The fluid limit shown is the runner's for this spec.
      const out = await serve.call<ValidateOut>('sweeps.validate', { yaml });
      if (!out.ok) throw new Error(out.problem.message);
      expect(out.fluid).toHaveLength(1);
      expect(out.fluid[0]).toMatchObject({
        workload: 'mooncake-conv',
        rateRps: null,
        search: { minRps: 0.5, maxRps: 4 },
      });
      const limit = out.fluid[0].maxStableRateRps!;
      expect(limit).toBeGreaterThan(0.5);
      const row = ok.locator('.fluid-limits tr[data-workload="mooncake-conv"]');
      expect(Number(await row.getAttribute('data-limit'))).toBeCloseTo(limit, 9);
      expect(await row.textContent()).toMatch(/search 0\.5 to 4.*req\/s/);
      await page.click('[data-tab="form"]');
      await page.screenshot({ path: join(SHOTS, 'sweep-form-valid.png'), fullPage: true });

      // Fixed rates on both sides of the limit: a warning names the one above it.
      await form.locator('input[name="rateMode"][value="fixed"]').check();
      const above = Math.ceil(limit * 2);
      await form.locator('input[name="rates"]').fill(`0.5, ${above}`);
      await page.click('[data-action="validate"]');
      await expect
        .poll(() => ok.locator('.warnings').textContent())
        .toMatch(new RegExp(`mooncake-conv: ${above} req/s is above the fluid stability limit`));
      expect(await ok.textContent()).toMatch(/Valid: 4 runs/);
      await page.screenshot({ path: join(SHOTS, 'sweep-form-warning.png'), fullPage: true });
      await page.close();
    });

    /** The spec the form writes, as the YAML tab shows it (back on the form afterwards). */
    async function formYaml(page: Page): Promise<string> {
      await page.click('[data-tab="yaml"]');
      const yaml = await page.locator('textarea[name="yaml"]').inputValue();
      await page.click('[data-tab="form"]');
      return yaml;
    }

    it('writes shared system prompts, multi-turn sessions and a policy entry with replicas and routing', async () => {
      const page = await sweepsPage();
      const form = page.locator('.new-sweep-form');
      await form.locator('input[name="name"]').fill('prefix-sharing');
      await form.locator('input[name="source"][value="poisson"]').check();
      const hint = form.locator('.prefix-hint');
      expect(await hint.getAttribute('data-hint')).toBe('none');
      expect(await form.locator('.prefix-shared').isVisible()).toBe(false);
      expect(await form.locator('.prefix-sessions').isVisible()).toBe(false);

      // Shared system prompts: K, L and a swept share f.
      await form.locator('input[name="prefixSharing"][value="shared"]').check();
      expect(await hint.getAttribute('data-hint')).toBe('shared');
      expect(await hint.textContent()).toMatch(/^K system prompts of L tokens, .*prefix caching .*vllm-v1/);
      expect(await form.locator('.prefix-sessions').isVisible()).toBe(false);
      await form.locator('input[name="sharedPrompts"]').fill('8');
      await form.locator('input[name="sharedTokens"]').fill('2048');
      await form.locator('input[name="sharedFraction"]').fill('0.25, 0.75');

      // A cluster: replicas and routing are vllm-v1 parameters under "more" (from machines.list).
      await form.locator('input[name="policy"][value="vllm-v1"]').check();
      const v1 = form.locator('.policy-choice[data-policy="vllm-v1"]');
      await v1.locator('details.more-params summary').click();
      const routing = form.locator('select[name="param-vllm-v1-routing"]');
      expect(await routing.locator('option').allTextContents()).toEqual([
        'round-robin',
        'least-outstanding',
        'least-kv',
        'power-of-two',
        'prefix-affinity',
      ]);
      expect(await form.locator('input[name="param-vllm-v1-replicas"]').getAttribute('placeholder')).toBe(
        'default',
      );
      await form.locator('input[name="param-vllm-v1-replicas"]').fill('4');
      await routing.selectOption('least-outstanding');

      const shared = await formYaml(page);
      expect(shared).toContain(
        [
          'workloads:',
          '  - name: synthetic',
          '    promptTokens: { dist: uniform, min: 50, max: 400 }',
          '    outputTokens: { dist: uniform, min: 20, max: 200 }',
          '    sharedPrefix: { prompts: 8, tokens: 2048, fraction: [0.25, 0.75] }',
          '    arrival: { process: poisson, rate: [2, 4] }',
          'policies:',
          '  - { policy: vllm, maxNumBatchedTokens: 4096 }',
          '  - { policy: sarathi, chunkSize: 512 }',
          '  - { policy: vllm-v1, maxNumBatchedTokens: 2048, replicas: 4, routing: least-outstanding }',
          '',
        ].join('\n'),
      );
      expect(shared).not.toContain('sessions');
      await page.click('[data-action="validate"]');
      const ok = page.locator('.validate-result.ok');
      // 2 rates x 2 shares x 3 policies.
      await expect.poll(() => ok.textContent()).toMatch(/Valid: 12 runs on a100-llama2-7b/);
      await form.locator('input[name="sharedTokens"]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'sweep-form-shared-prefix.png'), fullPage: true });

      // Multi-turn sessions: a uniform number of turns, then a fixed one; no sharedPrefix.
      await form.locator('input[name="prefixSharing"][value="sessions"]').check();
      expect(await hint.getAttribute('data-hint')).toBe('sessions');
      expect(await hint.textContent()).toMatch(
        /^Chats: each turn resends the history .*prefix caching .*vllm-v1/,
      );
      expect(await form.locator('.prefix-shared').isVisible()).toBe(false);
      await form.locator('input[name="sessionTurns"]').fill('3..8');
      await form.locator('input[name="sessionThinkTime"]').fill('30');
      const sessions = await formYaml(page);
      expect(sessions).toContain(
        [
          '    outputTokens: { dist: uniform, min: 20, max: 200 }',
          '    sessions: { turns: { dist: uniform, min: 3, max: 8 }, thinkTimeS: 30 }',
          '    arrival: { process: poisson, rate: [2, 4] }',
        ].join('\n'),
      );
      expect(sessions).not.toContain('sharedPrefix');
      await form.locator('input[name="sessionTurns"]').fill('4');
      await form.locator('input[name="sessionThinkTime"]').fill('0');
      expect(await formYaml(page)).toContain('    sessions: { turns: 4, thinkTimeS: 0 }\n');
      await page.click('[data-action="validate"]');
      await expect.poll(() => ok.textContent()).toMatch(/Valid: 6 runs on a100-llama2-7b/);
      // vllm-v1 runs on 4 replicas: the fluid limit is one replica's, with the cluster's beside it.
      const limitCell = ok.locator('.fluid-limits td[data-fluid-limit]').first();
      const perReplica = Number(await limitCell.getAttribute('data-fluid-limit'));
      expect(perReplica).toBeGreaterThan(0);
      expect(await limitCell.textContent()).toBe(
        `${formatNumber(perReplica)} req/s per replica (4 replicas: ${formatNumber(4 * perReplica)})`,
      );
      await page.screenshot({ path: join(SHOTS, 'sweep-form-sessions.png'), fullPage: true });

      // None again: the workload is the plain one.
      await form.locator('input[name="prefixSharing"][value="none"]').check();
      const plain = await formYaml(page);
      expect(plain).not.toMatch(/sharedPrefix|sessions/);
      expect(plain).toContain(
        '    outputTokens: { dist: uniform, min: 20, max: 200 }\n    arrival: { process: poisson, rate: [2, 4] }\n',
      );
      await page.close();
    });

    it('shows prefix-sharing problems beside their control, and offers no sharing for a trace', async () => {
      const page = await sweepsPage();
      const form = page.locator('.new-sweep-form');
      await form.locator('input[name="source"][value="poisson"]').check();
      await form.locator('input[name="prefixSharing"][value="shared"]').check();

      // The form's own check: a share above 1.
      await form.locator('input[name="sharedFraction"]').fill('1.5');
      await page.click('[data-action="validate"]');
      const fractionError = form.locator('.field-error[data-field="sharedFraction"]');
      await fractionError.waitFor();
      expect(await fractionError.textContent()).toBe('"1.5" must be at most 1');
      expect(await form.locator('input[name="sharedFraction"]').getAttribute('aria-invalid')).toBe('true');
      await expectBeside(page, 'input[name="sharedFraction"]', fractionError);
      expect(await page.locator('.validate-result').textContent()).toMatch(/Not valid: see the marked field/);
      await page.screenshot({ path: join(SHOTS, 'sweep-form-prefix-error.png'), fullPage: true });

      // The runner's checks, mapped back from workloads[0].sharedPrefix.tokens and
      // workloads[0].sessions.thinkTimeS to their controls.
      await form.locator('input[name="sharedFraction"]').fill('0.5');
      await form.locator('input[name="sharedTokens"]').fill('3000000000');
      await page.click('[data-action="validate"]');
      const tokensError = form.locator('.field-error[data-field="sharedTokens"]');
      await tokensError.waitFor();
      expect(await form.locator('.field-error').count()).toBe(1);
      await expectBeside(page, 'input[name="sharedTokens"]', tokensError);
      expect(await tokensError.textContent()).toBe('Too big: expected number to be <=2147483647');
      expect(await page.locator('body').textContent()).not.toMatch(/\[bad-input\]|spec\.yaml:\d+/);
      await form.locator('input[name="sharedTokens"]').fill('1024');
      await form.locator('input[name="prefixSharing"][value="sessions"]').check();
      await form.locator('input[name="sessionThinkTime"]').fill('2000000');
      await page.click('[data-action="validate"]');
      const thinkError = form.locator('.field-error[data-field="sessionThinkTime"]');
      await thinkError.waitFor();
      await expectBeside(page, 'input[name="sessionThinkTime"]', thinkError);
      expect(await thinkError.textContent()).toBe('Too big: expected number to be <=1000000');
      // And the form's own check of the turns.
      await form.locator('input[name="sessionThinkTime"]').fill('5');
      await form.locator('input[name="sessionTurns"]').fill('6..2');
      await page.click('[data-action="validate"]');
      const turnsError = form.locator('.field-error[data-field="sessionTurns"]');
      await turnsError.waitFor();
      expect(await turnsError.textContent()).toBe('6..2: need 1 <= min <= max');
      await expectBeside(page, 'input[name="sessionTurns"]', turnsError);
      await page.screenshot({ path: join(SHOTS, 'sweep-form-sessions-error.png'), fullPage: true });
      await form.locator('input[name="sessionTurns"]').fill('2..6');

      // A trace: the choice is disabled with the reason, its inputs hidden, and nothing written.
      await form.locator('input[name="source"][value="trace"]').check();
      for (const value of ['none', 'shared', 'sessions']) {
        expect(await form.locator(`input[name="prefixSharing"][value="${value}"]`).isDisabled()).toBe(true);
      }
      expect(await form.locator('.prefix-sessions').isVisible()).toBe(false);
      expect(await form.locator('.prefix-shared').isVisible()).toBe(false);
      const hint = form.locator('.prefix-hint');
      expect(await hint.getAttribute('data-hint')).toBe('trace');
      expect(await hint.textContent()).toMatch(/^Not for a recorded trace: it has its own prompts/);
      const yaml = await formYaml(page);
      expect(yaml).toContain('trace:');
      expect(yaml).not.toMatch(/sharedPrefix|sessions/);
      await form.locator('.prefix-sharing').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'sweep-form-prefix-trace.png'), fullPage: true });

      // Back to Poisson: the sessions chosen before are there again.
      await form.locator('input[name="source"][value="poisson"]').check();
      expect(await form.locator('input[name="prefixSharing"][value="sessions"]').isDisabled()).toBe(false);
      expect(await form.locator('.prefix-sessions').isVisible()).toBe(true);
      expect(await formYaml(page)).toContain(
        '    sessions: { turns: { dist: uniform, min: 2, max: 6 }, thinkTimeS: 5 }\n',
      );
      await page.close();
    });

    it('had no page errors and no console errors', () => {
      expect(pageErrors).toEqual([]);
      expect(consoleErrors).toEqual([]);
    });
  },
);

/** The problem's message sits right under its control (within 3 rows), overlapping it across. */
async function expectBeside(
  page: Page,
  controlSelector: string,
  message: ReturnType<Page['locator']>,
): Promise<void> {
  const control = (await page.locator(controlSelector).boundingBox())!;
  const text = (await message.boundingBox())!;
  expect(text.y).toBeGreaterThanOrEqual(control.y + control.height - 1);
  expect(text.y - (control.y + control.height)).toBeLessThan(60);
  expect(text.x).toBeLessThan(control.x + control.width);
  expect(text.x + text.width).toBeGreaterThan(control.x);
}
