import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { WORKER_PYTHON as PYTHON, pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/**
 * The Python GPU worker's own test suite (worker/tests, pytest), run with Debian's
 * /usr/bin/python3 and its torch 1.13 on CPU (Debian's python3-torch serves /usr/bin/python3 only;
 * the first python3 on PATH may have no torch). On a machine without them the tests are skipped with a message; with
 * SCHEDBENCH_REQUIRE_ALL=1 (CI) a missing interpreter or package is a failure, never a skip.
 */
const reason = pythonWorkerSkipReason(['torch', 'pytest'], 'worker/tests (pytest)');

describe.skipIf(reason !== null)('Python worker (pytest worker/tests)', () => {
  it('passes its whole pytest suite', () => {
    const r = spawnSync(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'], {
      cwd: `${REPO}worker`,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, PYTHONPATH: `${REPO}worker`, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-30).join('\n');
    console.info(tail.split('\n').at(-1));
    expect(r.status, tail).toBe(0);
    expect(r.stdout).toMatch(/\d+ passed/);
    expect(r.stdout).not.toMatch(/\d+ (failed|error)/);
  }, 320_000);
});
