import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a headless, offline, quiet Chromium (Debian's /usr/bin/chromium; the background-networking
 * flags stop it from dialling out on a closed network). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** True when the environment demands that no test be skipped (CI: `SCHEDBENCH_REQUIRE_ALL=1`). */
export function requireAll(): boolean {
  return process.env.SCHEDBENCH_REQUIRE_ALL === '1';
}

/**
 * Whether browser tests must be skipped, for `describe.skipIf(chromiumMissing())`. Returns false
 * when CHROMIUM_PATH exists. When it is missing: throws if SCHEDBENCH_REQUIRE_ALL=1 (a CI run
 * must not skip silently), otherwise prints a console warning naming the reason and returns true.
 *
 * @param what the tests that would be skipped, for the warning (e.g. `report.test.ts`)
 * @throws Error when Chromium is missing and SCHEDBENCH_REQUIRE_ALL=1
 */
export function chromiumMissing(what = 'browser tests'): boolean {
  if (existsSync(CHROMIUM_PATH)) return false;
  const reason = `${CHROMIUM_PATH} not found (install it: apt-get install -y --no-install-recommends chromium)`;
  if (requireAll()) throw new Error(`SCHEDBENCH_REQUIRE_ALL=1 but ${reason}: ${what} cannot run`);
  console.warn(`SKIPPED ${what}: ${reason}. Set SCHEDBENCH_REQUIRE_ALL=1 to make this an error.`);
  return true;
}

/**
 * Launches Debian's Chromium headless with CHROMIUM_ARGS through playwright-core. The caller
 * closes the browser. Guard the calling tests with {@link chromiumMissing}.
 *
 * @throws Error when CHROMIUM_PATH does not exist (whatever SCHEDBENCH_REQUIRE_ALL says), or
 *   when the launch fails
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} not found (install it: apt-get install -y --no-install-recommends chromium)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
