import { defineConfig } from 'vitest/config';
import { HeaviestProjectsFirst } from './test/helpers/heaviest-projects-first.js';

/**
 * The test projects, one per folder of test/ (run one with `npx vitest run --project NAME`):
 *
 * - unit: test/unit/**, the TypeScript sources in this process; no build, no child process that
 *   needs one (`npm run test:unit`).
 * - e2e: test/e2e/**, the build (dist/): the CLI, the runner process, worker-thread sweeps, the
 *   compiled Electron main process and preload.
 * - browser: test/browser/**, the renderer build and the HTML report in Debian's Chromium.
 * - worker: test/worker/**, everything that starts the Python GPU worker (/usr/bin/python3 with
 *   torch) or a loopback sshd.
 * - electron: test/electron/**, the desktop app in the real Electron binary (skips without it).
 *
 * All five run in one pool of `maxWorkers` processes: on a 2-core machine vitest's default is one
 * worker, which leaves a core idle while a test file waits on its child processes, so the pool
 * has one worker per core. The files of the heaviest projects start first (HeaviestProjectsFirst),
 * so that no long file runs alone at the end. Tests that look at system-wide state (processes,
 * ports) must only count what they started themselves: other files run at the same time.
 * Unit test files share their worker's module cache (`isolate: false`): they import the sources
 * read-only and keep no global state (no mocks, no environment changes), and a fresh module graph
 * per file cost more time than the tests themselves.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: '100%',
    sequence: { sequencer: HeaviestProjectsFirst },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
      { extends: true, test: { name: 'worker', include: ['test/worker/**/*.test.ts'] } },
      { extends: true, test: { name: 'electron', include: ['test/electron/**/*.test.ts'] } },
    ],
  },
});
