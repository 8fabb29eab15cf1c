import type * as fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Pretend Chromium is not installed: only the skip/throw decision is under test here.
vi.mock('node:fs', async (importOriginal) => ({
  ...(await importOriginal<typeof fs>()),
  existsSync: () => false,
}));

const { chromiumMissing, launchChromium } = await import('./chromium.js');

describe('chromiumMissing without /usr/bin/chromium', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('skips with a visible warning when SCHEDBENCH_REQUIRE_ALL is not 1', () => {
    vi.stubEnv('SCHEDBENCH_REQUIRE_ALL', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(chromiumMissing('some.test.ts')).toBe(true);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^SKIPPED some\.test\.ts: \/usr\/bin\/chromium not found/),
    );
  });

  it('throws when SCHEDBENCH_REQUIRE_ALL=1 (CI must not skip)', () => {
    vi.stubEnv('SCHEDBENCH_REQUIRE_ALL', '1');
    expect(() => chromiumMissing('some.test.ts')).toThrow(
      /SCHEDBENCH_REQUIRE_ALL=1 but \/usr\/bin\/chromium not found/,
    );
  });

  it('launchChromium refuses to start', async () => {
    await expect(launchChromium()).rejects.toThrow(/\/usr\/bin\/chromium not found/);
  });
});
