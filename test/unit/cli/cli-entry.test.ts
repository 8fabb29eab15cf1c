/**
 * bin/cli-entry.js: bin/schedbench.js runs the esbuild bundle (dist/cli/main.js) only when it is
 * at least as new as the last tsc build, so a bare `tsc -p tsconfig.build.json` after a change is
 * never shadowed by an older bundle; with nothing built it says so (undefined).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryPath } from '../../../runner/repository-path.js';

const { cliEntry } = (await import(pathToFileURL(repositoryPath('bin', 'cli-entry.js')).href)) as {
  cliEntry: (root: string) => string | undefined;
};

const dir = mkdtempSync(join(tmpdir(), 'schedbench-cli-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `path` under the root with the given modification time (seconds since the epoch). */
function file(root: string, path: string, mtimeS: number): string {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, '');
  utimesSync(full, mtimeS, mtimeS);
  return full;
}

describe('cliEntry', () => {
  it('is undefined when nothing is built', () => {
    expect(cliEntry(join(dir, 'empty'))).toBeUndefined();
  });

  it('takes the compiled CLI when there is no bundle', () => {
    const root = join(dir, 'no-bundle');
    const compiled = file(root, 'dist/runner/cli/main.js', 1_000);
    file(root, 'dist/.tsbuildinfo/build.tsbuildinfo', 1_000);
    expect(cliEntry(root)).toBe(compiled);
  });

  it('takes the bundle when it is as new as the last tsc build, the compiled CLI when tsc ran after it', () => {
    const root = join(dir, 'both');
    const compiled = file(root, 'dist/runner/cli/main.js', 1_000);
    file(root, 'dist/.tsbuildinfo/build.tsbuildinfo', 2_000);
    const bundle = file(root, 'dist/cli/main.js', 2_000);
    expect(cliEntry(root)).toBe(bundle);
    file(root, 'dist/.tsbuildinfo/build.tsbuildinfo', 3_000);
    expect(cliEntry(root)).toBe(compiled);
  });
});
