import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepSummary } from '../../runner/api/api-contract.js';
import { REPO, startCli } from '../helpers/cli.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * A sweep another process runs (a `schedbench sweep` on the CLI, as a Slurm driver is), seen in
 * the UI of `schedbench serve` on the same database: `sweeps.list` names the process (its lease),
 * the Sweeps page shows it `running elsewhere` with its PID and host, offers no Resume and no
 * Delete, and follows its counts (read again every 5 s) until it completes. The CLI sweep holds its
 * runs (SCHEDBENCH_HOLD_RUNS) until SIGUSR2, so the page is seen mid-sweep without a race.
 * Screenshot: test-artifacts/screenshots/sweeps-elsewhere.png.
 */
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

describe.skipIf(chromiumMissing('test/browser/sweep-elsewhere.test.ts'))(
  'a sweep run by another process',
  () => {
    let dir: string;
    let db: string;
    let holder: ChildProcess;
    let serve: ServeProcess;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'schedbench-elsewhere-'));
      db = join(dir, 'elsewhere.db');
      const spec = join(dir, 'elsewhere.yaml');
      writeFileSync(
        spec,
        [
          'name: elsewhere',
          'machine: a100-llama2-7b',
          'requests: 200',
          'seeds: [1, 2]',
          'workloads:',
          '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
          'policies: [{ policy: vllm }, { policy: sarathi }]',
          '',
        ].join('\n'),
      );
      holder = startCli(['sweep', spec, '--db', db, '--jobs', '1'], { env: { SCHEDBENCH_HOLD_RUNS: '1' } });
      // Waits for a state of the database: the lease stored and a run held.
      for (;;) {
        try {
          const conn = new Database(db, { readonly: true, fileMustExist: true });
          const held = (
            conn.prepare("SELECT count(*) AS n FROM runs WHERE status = 'running'").get() as { n: number }
          ).n;
          const leases = (conn.prepare('SELECT count(*) AS n FROM sweep_leases').get() as { n: number }).n;
          conn.close();
          if (held > 0 && leases > 0) break;
        } catch {
          // not created yet
        }
        if (holder.exitCode !== null) throw new Error('the CLI sweep exited before holding a run');
        await sleep(50);
      }
      serve = await startServe(db);
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1400, height: 800 } })).newPage();
      await page.goto(serve.readyUrl);
    }, 60_000);

    afterAll(async () => {
      holder?.kill('SIGKILL');
      await browser?.close();
      await serve?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('is shown running elsewhere with its process, without Resume or Delete, until it completes', async () => {
      const [listed] = await serve.call<SweepSummary[]>('sweeps.list', {});
      expect(listed).toMatchObject({ id: 1, active: false, runBy: { pid: holder.pid, host: hostname() } });

      await page.goto(`${serve.base}/#/sweeps`);
      const row = page.locator('tr[data-sweep="1"]');
      await row.and(page.locator('[data-state="elsewhere"]')).waitFor();
      expect(await row.locator('.badge').textContent()).toBe('running elsewhere');
      expect(await row.locator('small.run-by').textContent()).toContain(
        `being run by PID ${holder.pid} on ${hostname()}`,
      );
      expect(await row.locator('[data-action="resume"]').count()).toBe(0);
      expect(await row.locator('[data-action="delete"]').isDisabled()).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'sweeps-elsewhere.png'), fullPage: true });

      // The CLI sweep goes on and ends: the page follows without being reloaded.
      const ended = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGUSR2');
      await ended;
      await row.and(page.locator('[data-state="complete"]')).waitFor({ timeout: 30_000 });
      expect(await row.locator('[data-count="done"]').textContent()).toBe('4 done');
    });
  },
);
