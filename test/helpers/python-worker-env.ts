import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The skip rule shared by the tests that run the Python GPU worker: Debian's /usr/bin/python3 with
 * its torch 1.13 on CPU (Debian's python3-torch installs torch for /usr/bin/python3 only; the first python3 on PATH may
 * have none). When the
 * interpreter or a module is missing the tests are skipped with a console warning; with
 * SCHEDBENCH_REQUIRE_ALL=1 (CI) that is a failure, never a skip.
 */
export const WORKER_PYTHON = '/usr/bin/python3';

/**
 * Checks that {@link WORKER_PYTHON} can import `modules`.
 * @param modules Python modules the tests need, e.g. `['torch', 'pytest']`
 * @param what the tests' name, for the messages
 * @returns null when the tests can run, else why they are skipped
 * @throws Error when they cannot run and SCHEDBENCH_REQUIRE_ALL=1
 */
export function pythonWorkerSkipReason(modules: string[], what: string): string | null {
  const reason = missing(modules);
  if (reason && process.env.SCHEDBENCH_REQUIRE_ALL === '1') {
    throw new Error(`SCHEDBENCH_REQUIRE_ALL=1 but ${reason}: ${what} cannot run`);
  }
  if (reason) console.warn(`SKIPPED ${what}: ${reason}. Set SCHEDBENCH_REQUIRE_ALL=1 to make this an error.`);
  return reason;
}

function missing(modules: string[]): string | null {
  if (!existsSync(WORKER_PYTHON)) return `${WORKER_PYTHON} not found`;
  const probe = spawnSync(WORKER_PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `${WORKER_PYTHON} cannot import ${modules.join(' and ')} (apt-get install -y --no-install-recommends python3-torch python3-numpy python3-pytest)`;
  }
  return null;
}
