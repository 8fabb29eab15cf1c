import { readFileSync } from 'node:fs';
import { repositoryPath } from '../repository-path.js';

/** The `version` of schedbench's package.json (`schedbench --version`). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(repositoryPath('package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
