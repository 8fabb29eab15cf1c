/**
 * `npm run bench:compare`: how long the renderer's Compare page takes to show 200 runs, in
 * Debian's Chromium (headless) served by the real `schedbench serve` (browser mode).
 *
 * The database holds 200 short runs (5 policies x 4 rates x 10 seeds, 300 requests each, on the
 * linear A100 machine so the throughput chart has its fluid bound) and one run of 100,000
 * requests. Two comparisons, each opened 5 times by a full page load of
 * `/#/compare?runs=...`:
 *   A. the 200 short runs;
 *   B. 199 short runs and the 100,000-request run (its CDFs and time series are decimated by
 *      the API and by Chart.js's decimation plugin).
 * Printed: the time from navigation start to every chart drawn and painted (the page's own
 * clock: its `data-painted-at`, two animation frames after the last chart was drawn), the part
 * spent waiting for `runs.compare`, and the size of its answer as transferred (gzip-compressed:
 * Chromium accepts gzip). Numbers only; no assertion (goal: < 1 s for A and B).
 * Without /usr/bin/chromium it prints that it is skipped, and why, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser } from 'playwright-core';
import { repositoryPath } from '../runner/repository-path.js';
import { Store } from '../runner/store/store.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { planSweep } from '../runner/sweeps/sweep-plan.js';

/** Debian's Chromium (as test/browser/chromium.ts); the bench never downloads a browser. */
const CHROMIUM = '/usr/bin/chromium';
const REPEATS = 5;

// `npm run bench` runs this after the engine bench: without Chromium there is nothing to measure,
// which is not a failure of the bench run (exit 0), but it must say so.
if (!existsSync(CHROMIUM)) {
  console.log(
    `compare render bench skipped: ${CHROMIUM} not found; it measures the Compare page in Debian's ` +
      'Chromium and never downloads a browser (apt-get install -y --no-install-recommends chromium)',
  );
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'schedbench-compare-bench-'));
const db = join(dir, 'compare.db');

/** Writes a spec file and runs its sweep into the database. @returns the run ids, in plan order */
async function sweep(name: string, lines: string[]): Promise<number[]> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [`name: ${name}`, 'machine: a100-llama2-7b-linear', ...lines, ''].join('\n'));
  const store = Store.open(db);
  try {
    const outcome = await executeSweep(planSweep(file), store, { jobs: availableParallelism() });
    if (outcome.failed > 0) throw new Error(`${name}: ${outcome.failed} runs failed`);
    return store.listRuns({ sweepId: outcome.sweepId }).map((r) => r.id);
  } finally {
    store.close();
  }
}

/** Starts `schedbench serve --port 0` on the database; resolves with its ready URL. */
function serve(): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(
    process.execPath,
    [repositoryPath('bin', 'schedbench.js'), 'serve', '--db', db, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const line = /^(http:\/\/\S+)\n$/m.exec(out)?.[1];
      if (line) resolve({ child, url: new URL(line) });
    });
    child.on('exit', (code) => reject(new Error(`schedbench serve exited (${code}):\n${out}`)));
  });
}

/** One page load of Compare: milliseconds from navigation start. */
interface Sample {
  drawnMs: number;
  compareWaitMs: number;
  compareBytes: number;
  pageRenderMs: number;
}

async function measure(browser: Browser, ready: URL, runIds: number[]): Promise<Sample[]> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await page.goto(ready.href); // signs in (cookie), lands on the Runs page
  const target = `${ready.origin}/#/compare?runs=${runIds.join(',')}`;
  const samples: Sample[] = [];
  for (let i = 0; i < REPEATS + 1; i++) {
    await page.goto('about:blank');
    await page.goto(target);
    // The page marks itself when drawn and two animation frames later (painted).
    await page.waitForSelector('[data-painted-at]', { state: 'attached', timeout: 120_000 });
    const sample = await page.evaluate((): Sample => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
        performance: {
          getEntriesByType(
            t: string,
          ): { name: string; startTime: number; responseEnd: number; encodedBodySize: number }[];
        };
      };
      const compare = g.performance
        .getEntriesByType('resource')
        .find((e) => e.name.endsWith('/api/runs.compare'));
      return {
        drawnMs: Number(g.document.querySelector('[data-painted-at]')?.getAttribute('data-painted-at')),
        compareWaitMs: compare ? compare.responseEnd - compare.startTime : NaN,
        compareBytes: compare ? compare.encodedBodySize : NaN,
        pageRenderMs: Number(g.document.querySelector('[data-render-ms]')?.getAttribute('data-render-ms')),
      };
    });
    if (i > 0) samples.push(sample); // the first load warms the server's caches and the JIT
  }
  await context.close();
  return samples;
}

function report(title: string, samples: Sample[]): void {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const drawn = samples.map((s) => s.drawnMs);
  console.log(title);
  console.log(
    `  navigation -> all charts drawn   median ${median(drawn).toFixed(0)} ms, min ${Math.min(...drawn).toFixed(0)} ms (${samples.length} loads; goal < 1000 ms)`,
  );
  console.log(
    `    of which runs.compare request  median ${median(samples.map((s) => s.compareWaitMs)).toFixed(0)} ms`,
  );
  console.log(
    `    page start -> charts drawn     median ${median(samples.map((s) => s.pageRenderMs)).toFixed(0)} ms (API wait, tables, charts)`,
  );
  console.log(
    `  runs.compare answer              ${(samples[0].compareBytes / 1e6).toFixed(2)} MB (as transferred)`,
  );
}

let server: ChildProcess | undefined;
let browser: Browser | undefined;
try {
  if (!existsSync(repositoryPath('dist', 'renderer', 'index.html'))) {
    throw new Error('dist/renderer is not built: npm run build');
  }
  let t0 = performance.now();
  const short = await sweep('short-runs', [
    'requests: 300',
    'seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]',
    'workloads:',
    '  - name: synth',
    '    promptTokens: { dist: uniform, min: 50, max: 400 }',
    '    outputTokens: { dist: uniform, min: 20, max: 200 }',
    '    arrival: { process: poisson, rate: [2, 4, 6, 8] }',
    'policies:',
    '  - { policy: vllm }',
    '  - { policy: sarathi }',
    '  - { policy: fcfs }',
    '  - { policy: vllm-v1 }',
    '  - { policy: mc-sf }',
  ]);
  const long = await sweep('long-run', [
    'requests: 100000',
    'seeds: [1]',
    'workloads:',
    '  - name: synth-long',
    '    promptTokens: { dist: uniform, min: 50, max: 400 }',
    '    outputTokens: { dist: uniform, min: 20, max: 200 }',
    '    arrival: { process: poisson, rate: 6 }',
    'policies:',
    '  - { policy: vllm }',
  ]);
  console.log(
    `database: ${short.length} short runs + ${long.length} run of 100,000 requests, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  t0 = performance.now();
  const started = await serve();
  server = started.child;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  report(
    `A. Compare ${short.length} short runs (Chromium headless, 1400x1000, schedbench serve)`,
    await measure(browser, started.url, short),
  );
  report(
    `B. Compare ${short.length - 1} short runs + the 100,000-request run`,
    await measure(browser, started.url, [...short.slice(0, -1), ...long]),
  );
} finally {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
