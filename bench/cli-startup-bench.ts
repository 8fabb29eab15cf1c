/**
 * `npm run bench:cli`: how long the `schedbench` command line takes to start, measured as the
 * wall time of child processes (median and min of 5, after one unmeasured warm-up of each, so the
 * file cache is warm), nothing subtracted:
 *  - `node -e ''`: Node's own start-up, the floor of any command;
 *  - `node bin/schedbench.js --version`;
 *  - `node bin/schedbench.js sweep SPEC --db FRESH.db --jobs 1` for a spec of one run of one
 *    request (uniform synthetic lengths, on `a100-llama2-7b`), a new database file each time:
 *    start-up, planning, database creation and migrations, a worker thread, the run, storing it.
 *  - the same with the arXiv-summarization lengths file (Vidur's processed trace), which the
 *    planner reads whole.
 * Goal: a sweep starts its first run within 0.3 s of the command. Numbers only; no
 * assertion. Temporary specs and databases are removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repositoryPath } from '../runner/repository-path.js';

const REPEATS = 5;
const BIN = repositoryPath('bin', 'schedbench.js');
const ARXIV = resolve(
  'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
);

const dir = mkdtempSync(join(tmpdir(), 'schedbench-cli-bench-'));

/** Wall seconds of one child process; throws with its output when it fails. */
function timeCommand(args: string[]): number {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wallS = (performance.now() - t0) / 1000;
  if (child.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${child.status}:\n${child.stdout}${child.stderr}`);
  }
  return wallS;
}

/** Median and min wall seconds of REPEATS runs (after one warm-up); `args(i)` gives run i's arguments. */
function measure(args: (i: number) => string[]): { median: number; min: number } {
  timeCommand(args(-1));
  const xs: number[] = [];
  for (let i = 0; i < REPEATS; i++) xs.push(timeCommand(args(i)));
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(xs.length / 2)], min: xs[0] };
}

/** A spec of one run of one request with the given workload lines. @returns its path */
function spec(name: string, workload: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      'requests: 1',
      'seeds: [1]',
      'workloads:',
      ...workload,
      '    arrival: { process: poisson, rate: 2 }',
      'policies:',
      '  - { policy: vllm }',
      '',
    ].join('\n'),
  );
  return file;
}

function line(label: string, m: { median: number; min: number }): void {
  console.log(`  ${label.padEnd(48)} median ${m.median.toFixed(3)} s, min ${m.min.toFixed(3)} s`);
}

try {
  const synthetic = spec('cli-bench-synthetic', [
    '  - name: synth',
    '    promptTokens: { dist: uniform, min: 50, max: 400 }',
    '    outputTokens: { dist: uniform, min: 20, max: 200 }',
  ]);
  const arxiv = spec('cli-bench-arxiv', [
    '  - name: arxiv',
    `    lengths: { path: ${JSON.stringify(ARXIV)} }`,
  ]);
  const sweep = (file: string, tag: string) => (i: number) => [
    BIN,
    'sweep',
    file,
    '--db',
    join(dir, `${tag}-${i + 1}.db`),
    '--jobs',
    '1',
  ];
  console.log(
    `CLI start-up: wall time of child processes (median and min of ${REPEATS}, nothing subtracted)`,
  );
  line(
    "node -e ''",
    measure(() => ['-e', '']),
  );
  line(
    'schedbench --version',
    measure(() => [BIN, '--version']),
  );
  line('schedbench sweep (1 run, 1 request, fresh db)', measure(sweep(synthetic, 'synthetic')));
  line('  the same, arXiv lengths file', measure(sweep(arxiv, 'arxiv')));
  console.log("  goal: a sweep's first run starts within 0.3 s of the command");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
