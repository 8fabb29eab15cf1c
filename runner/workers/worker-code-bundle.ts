import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryPath } from '../repository-path.js';

/** The Python worker's code, ready to be copied to another machine. */
export interface WorkerCodeBundle {
  /** Files by path relative to the folder put on PYTHONPATH, e.g. `schedbench_worker/server.py`; sorted. */
  files: { path: string; bytes: Buffer }[];
  /** sha256 (hex) over the sorted relative paths and their bytes: names the remote cache folder. */
  hash: string;
}

/**
 * Reads `schedbench_worker/*.py` from `workerDir` (the folder that is put on PYTHONPATH).
 * The hash covers, for each file in path order, its relative path, its length and its bytes, so
 * that any change of a name or content gives another folder on the host.
 * @param workerDir folder holding the `schedbench_worker` package (default: the repository's `worker/`)
 * @throws Error when the package folder cannot be read
 */
export function workerCodeBundle(workerDir: string = repositoryPath('worker')): WorkerCodeBundle {
  const pkg = 'schedbench_worker';
  const names = readdirSync(join(workerDir, pkg))
    .filter((name) => name.endsWith('.py'))
    .sort();
  const hash = createHash('sha256');
  const files = names.map((name) => {
    const path = `${pkg}/${name}`;
    const bytes = readFileSync(join(workerDir, pkg, name));
    hash.update(`${path}\0${bytes.length}\0`);
    hash.update(bytes);
    return { path, bytes };
  });
  return { files, hash: hash.digest('hex') };
}

/**
 * Quotes `value` as one word for a POSIX shell (the remote login shell that runs an ssh command):
 * single quotes around it, each `'` written as `'\''`. Nothing inside is expanded.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Like {@link shellQuote} for a remote path, except that a leading `~/` (or a lone `~`) becomes
 * `"$HOME"/`, so the remote shell expands the home folder while the rest stays quoted.
 */
export function shellQuotePath(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${shellQuote(path.slice(2))}`;
  return shellQuote(path);
}
