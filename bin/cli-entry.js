// Which compiled CLI bin/schedbench.js runs: the esbuild bundle (dist/cli/main.js, written by
// scripts/bundle-cli.mjs as part of `npm run build`) when it is at least as new as the last tsc
// build of dist/runner/ (its build info file), else dist/runner/cli/main.js, so that a bare
// `tsc -p tsconfig.build.json` never leaves the CLI running older code than it just compiled.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} root the package root (the folder holding dist/)
 * @returns {string | undefined} absolute path of the CLI module to import, or undefined when
 *   dist/runner/cli/main.js does not exist (nothing is built)
 */
export function cliEntry(root) {
  const compiled = join(root, 'dist', 'runner', 'cli', 'main.js');
  if (!existsSync(compiled)) return undefined;
  const bundle = join(root, 'dist', 'cli', 'main.js');
  const buildInfo = join(root, 'dist', '.tsbuildinfo', 'build.tsbuildinfo');
  if (!existsSync(bundle)) return compiled;
  const built = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : statSync(compiled).mtimeMs;
  return statSync(bundle).mtimeMs >= built ? bundle : compiled;
}
