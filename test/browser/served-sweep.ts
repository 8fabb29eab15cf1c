import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import { launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

/** Where browser tests save the screenshots to look at. */
export const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

/** A sweep run by the real CLI into a fresh database, served by `schedbench serve`, and Chromium. */
export interface ServedSweep {
  /** The temporary folder holding the spec and the database. */
  dir: string;
  sweepId: number;
  /** The sweep's run ids, in id order. */
  runIds: number[];
  serve: ServeProcess;
  browser: Browser;
  /** Closes Chromium, stops the server and removes the folder. */
  close(): Promise<void>;
}

/**
 * Runs `spec` with `schedbench sweep` into a new database, serves it (`schedbench serve --jobs 1`)
 * and launches Chromium. Needs the build (dist/renderer).
 * @param name a name for the temporary folder and the spec file
 * @throws when the build is missing or the sweep does not end with exit 0
 */
export async function serveSweep(name: string, spec: string): Promise<ServedSweep> {
  if (!existsSync(join(REPO, 'dist', 'renderer', 'index.html'))) {
    throw new Error('dist/renderer is not built: run `npm run build` (npm test does it first)');
  }
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), `schedbench-${name}-`));
  const db = join(dir, 'ui.db');
  writeFileSync(join(dir, `${name}.yaml`), spec);
  const r = runCli(['sweep', join(dir, `${name}.yaml`), '--db', db, '--jobs', '2']);
  expect(r.code, r.stderr).toBe(0);
  const sweepId = Number(r.stdout.trim().split('\n').at(-1));
  const runs = runCli(['runs', '--sweep', String(sweepId), '--db', db, '--format', 'json']);
  const runIds = (JSON.parse(runs.stdout) as { id: number }[]).map((x) => x.id);
  const serve = await startServe(db, ['--jobs', '1']);
  const browser = await launchChromium();
  return {
    dir,
    sweepId,
    runIds,
    serve,
    browser,
    close: async () => {
      await browser.close();
      await serve.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
