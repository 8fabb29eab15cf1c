import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * An absolute path inside the repository (or installed package): `repositoryPath('data', ...)`.
 * Works from the TypeScript sources (runner/, under vitest) and from the compiled dist/runner/,
 * by looking for the package root (the folder with package.json and data/) one or two levels
 * above this module.
 * @throws Error when no package root is found (a broken installation)
 */
export function repositoryPath(...parts: string[]): string {
  for (const up of ['../', '../../']) {
    const root = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(root, 'package.json')) && existsSync(join(root, 'data'))) return join(root, ...parts);
  }
  throw new Error(`schedbench: package root not found above ${fileURLToPath(import.meta.url)}`);
}
