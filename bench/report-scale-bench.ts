/**
 * `npm run bench:report`: the read side on a large database. A sweep of 1,000 short runs
 * (5 policies x 20 rates x 10 seeds, 300 requests each, uniform synthetic lengths, Poisson rates
 * 0.5-10 req/s, on `a100-llama2-7b-linear`) is executed once into a temporary SQLite file (its
 * build time is printed, not a goal); then:
 *  1. `schedbench report ID --db FILE --out FILE.html` as a child process (wall time, start-up
 *     included), once;
 *  2. writeSweepReport (runner/cli/report-command.ts, what that command calls) in this process,
 *     HTML: the first call and the best of the next 3, and the bytes written;
 *  3. `runs.compare` of 200 of the runs (the 5 policies x 10 seeds at 4 of the rates, as the
 *     Compare page gets them) through the API service (createApiService,
 *     runner/api/api-service.ts) on a freshly opened store: the first call and the best of the
 *     next 3, and the bytes of its JSON answer.
 * Goals: the report of the 1,000-run sweep in < 3 s and < 10 MB; runs.compare of 200
 * runs in < 0.5 s and < 3 MB of JSON. Numbers only; no assertion. The temporary directory is
 * removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApiService } from '../runner/api/api-service.js';
import { writeSweepReport } from '../runner/cli/report-command.js';
import { repositoryPath } from '../runner/repository-path.js';
import { Store } from '../runner/store/store.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { planSweep } from '../runner/sweeps/sweep-plan.js';

const RATES = Array.from({ length: 20 }, (_, i) => (i + 1) / 2);
const COMPARED_RATES = [2, 4, 6, 8];
const REPEATS = 3;

const dir = mkdtempSync(join(tmpdir(), 'schedbench-report-bench-'));
const db = join(dir, 'report.db');

/** The first call's seconds and the best of the next REPEATS, and the last call's value. */
async function firstAndBest<T>(
  call: () => T | Promise<T>,
): Promise<{ firstS: number; bestS: number; value: T }> {
  let t0 = performance.now();
  let value = await call();
  const firstS = (performance.now() - t0) / 1000;
  let bestS = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    t0 = performance.now();
    value = await call();
    bestS = Math.min(bestS, (performance.now() - t0) / 1000);
  }
  return { firstS, bestS, value };
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

try {
  // The database: one sweep of 1,000 runs.
  const file = join(dir, 'report-bench.yaml');
  writeFileSync(
    file,
    [
      'name: report-bench',
      'machine: a100-llama2-7b-linear',
      'requests: 300',
      'seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]',
      'workloads:',
      '  - name: synth',
      '    promptTokens: { dist: uniform, min: 50, max: 400 }',
      '    outputTokens: { dist: uniform, min: 20, max: 200 }',
      `    arrival: { process: poisson, rate: [${RATES.join(', ')}] }`,
      'policies:',
      '  - { policy: vllm }',
      '  - { policy: sarathi }',
      '  - { policy: fcfs }',
      '  - { policy: vllm-v1 }',
      '  - { policy: mc-sf }',
      '',
    ].join('\n'),
  );
  let t0 = performance.now();
  let sweepId: number;
  let compared: number[];
  const store = Store.open(db);
  try {
    const outcome = await executeSweep(planSweep(file), store, { jobs: availableParallelism() });
    if (outcome.failed > 0) throw new Error(`report-bench: ${outcome.failed} runs failed`);
    sweepId = outcome.sweepId;
    const runs = store.listRuns({ sweepId });
    compared = runs.filter((r) => COMPARED_RATES.includes(r.rate ?? NaN)).map((r) => r.id);
    console.log(
      `database: ${runs.length} runs (5 policies x 20 rates x 10 seeds, 300 requests, a100-llama2-7b-linear), ` +
        `built in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${mb(statSync(db).size)}`,
    );
  } finally {
    store.close();
  }

  // 1. The CLI, as a user runs it.
  const cliOut = join(dir, 'cli-report.html');
  t0 = performance.now();
  const child = spawnSync(
    process.execPath,
    [repositoryPath('bin', 'schedbench.js'), 'report', String(sweepId), '--db', db, '--out', cliOut],
    { encoding: 'utf8' },
  );
  const cliS = (performance.now() - t0) / 1000;
  if (child.status !== 0) throw new Error(`schedbench report exited ${child.status}:\n${child.stderr}`);
  console.log(`report of the 1,000-run sweep (HTML; goal < 3 s, < 10 MB)`);
  console.log(
    `  ${'schedbench report (child process)'.padEnd(40)} ${cliS.toFixed(3)} s, ${mb(statSync(cliOut).size)}`,
  );

  // 2. The function it calls, in this process.
  const reader = Store.open(db);
  try {
    const out = join(dir, 'report.html');
    const r = await firstAndBest(() => writeSweepReport(reader, sweepId, out, 'html'));
    console.log(
      `  ${'writeSweepReport (in process)'.padEnd(40)} first ${r.firstS.toFixed(3)} s, best of ${REPEATS} after ` +
        `${r.bestS.toFixed(3)} s, ${mb(statSync(out).size)}`,
    );

    // 3. runs.compare through the API service.
    const api = createApiService(reader, { jobs: 1, cwd: dir });
    try {
      console.log(`runs.compare of ${compared.length} runs (API service; goal < 0.5 s, < 3 MB of JSON)`);
      // As the Compare page asks (renderer/src/pages/compare-page.ts comparePointsPerRun: 10,000
      // points in all, 50 to 2,000 per run), then with the contract's default (2,000 per run).
      const pagePoints = Math.max(50, Math.min(2000, Math.floor(10_000 / compared.length)));
      for (const [label, maxPointsPerRun] of [
        [`as the Compare page (${pagePoints} points/run)`, pagePoints],
        ['API default (2,000 points/run)', undefined],
      ] as const) {
        const c = await firstAndBest(async () => {
          const result = await api.call('runs.compare', { runIds: compared, maxPointsPerRun });
          if (!result.ok) throw new Error(`runs.compare: ${result.error.message}`);
          return result.value;
        });
        const bytes = Buffer.byteLength(JSON.stringify(c.value));
        console.log(
          `  ${label.padEnd(40)} first ${c.firstS.toFixed(3)} s, best of ${REPEATS} after ` +
            `${c.bestS.toFixed(3)} s, ${mb(bytes)} of JSON`,
        );
      }
    } finally {
      await api.close();
    }
  } finally {
    reader.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
