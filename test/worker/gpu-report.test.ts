import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../runner/store/store.js';
import { BIN, REPO, runCli } from '../helpers/cli.js';
import { pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/**
 * `schedbench gpu-report` (runner/cli/gpu-report-command.ts), the one-call GPU report, run from the
 * build (dist/, made by `npm test`'s pretest step) on CPU with tiny-llama, a small calibration grid
 * and a short KV cache, so that some decode KV lengths are capped, one decode batch and one prefill
 * chunk do not fit, and every other section is filled with measured numbers. The renderer's exact
 * output is tested from a captured measurement in test/unit/reports/gpu-report-markdown.test.ts.
 */
const reason = pythonWorkerSkipReason(['torch'], 'schedbench gpu-report');
const MAIN = join(REPO, 'dist/runner/cli/main.js');

/** The cells of the first Markdown table after the heading `heading` (header row and rule dropped). */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  let i = start + 1;
  while (i < lines.length && !lines[i].startsWith('|')) i++;
  const rows: string[][] = [];
  for (; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(
      lines[i]
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows.slice(2);
}

/** A cell's leading number (`12.5 %`, `3.2 GB/s`, `1.2e-4`); NaN when it has none. */
function numberIn(cell: string): number {
  const match = /^-?\d[\d.,]*(e[+-]?\d+)?/.exec(cell);
  return match ? Number(match[0].replace(/,/g, '')) : NaN;
}

function expectFinite(cells: string[], what: string): number[] {
  const values = cells.map(numberIn);
  values.forEach((v, i) => expect(Number.isFinite(v), `${what}: "${cells[i]}"`).toBe(true));
  return values;
}

describe('schedbench gpu-report without a worker', () => {
  it('prints its options with --help', () => {
    const help = runCli(['gpu-report', '--help']);
    expect(help.code, help.stderr).toBe(0);
    for (const option of [
      '--out <file>',
      '--machine <name>',
      '--model <model>',
      '--rate <r>',
      '--timeout-s <s>',
    ]) {
      expect(help.stdout).toContain(option);
    }
  });

  it('rejects a malformed option before starting anything (exit 2)', () => {
    const bad = runCli(['gpu-report', '--rate', '0', '--db', join(tmpdir(), 'unused.db')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('schedbench: --rate must be a positive number of requests per second, got "0"\n');
  });
});

describe.skipIf(reason !== null)('schedbench gpu-report on CPU with tiny-llama', () => {
  let dir: string;
  let out: string;
  let db: string;
  let run: { status: number | null; stdout: string; stderr: string };
  let report: string;

  beforeAll(() => {
    expect(existsSync(MAIN), `${MAIN} missing: run npm run build`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'schedbench-gpu-report-test-'));
    out = join(dir, 'report', 'gpu-results.md');
    db = join(dir, 'report.db');
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'gpu-report',
        ...['--model', 'tiny-llama', '--out', out, '--db', db],
        ...['--kv-blocks', '96', '--prefill-chunks', '256,512,4096', '--requests', '16'],
        ...['--max-batch-tokens', '256', '--max-decodes', '16', '--max-kv-tokens', '256'],
        ...['--repeats', '2', '--warmup', '1'],
      ],
      { cwd: REPO, encoding: 'utf8', timeout: 150_000, env: { ...process.env, OMP_NUM_THREADS: '1' } },
    );
    run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
    report = existsSync(out) ? readFileSync(out, 'utf8') : '';
  }, 160_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the report path on stdout and progress on stderr', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${out}\n`);
    expect(run.stderr).toMatch(/^gpu-report: roofline: copy /m);
    expect(run.stderr).toMatch(/^gpu-report: gpu-in-the-loop: done, \d+ iterations/m);
    expect(report).toMatch(/^# GPU results: tiny-llama on cpu \(no GPU\)$/m);
    expect(report).toContain('Weights are **random**');
    expect(report).toContain('**No GPU was available**');
  });

  it('states the setup and every option used', () => {
    const setup = Object.fromEntries(tableAfter(report, '## Setup').map(([k, v]) => [k, v]));
    expect(setup.torch).toMatch(/^\d+\.\d+/);
    expect(setup.dtype).toBe('float32 (4 bytes)');
    expect(setup.parameters).toBe('619,136');
    expect(setup['KV cache']).toMatch(/^96 blocks of 16 tokens/);
    expect(Date.parse(setup['date (UTC)'])).toBeGreaterThan(0);
    const options = Object.fromEntries(
      tableAfter(report, '## How this was produced').map(([k, v]) => [k, v]),
    );
    expect(Object.keys(options)).toEqual(
      expect.arrayContaining([
        '--model',
        '--dtype',
        '--kv-blocks',
        '--requests',
        '--max-decodes',
        '--repeats',
      ]),
    );
    expect(options['--kv-blocks']).toBe('96 (allocated: 96)');
    expect(report).toContain('npm run gpu-report -- --model tiny-llama');
    expect(report).toMatch(
      /schedbench profile gpu-report-local --model tiny-llama --dtype float32 --kv-blocks 96/,
    );
  });

  it('reports the roofline, decode floors and prefill rates with finite numbers', () => {
    const roofline = tableAfter(report, '## Roofline');
    expect(roofline.map((r) => r[0])).toEqual([
      'copy bandwidth (`dst.copy_(src)`, read + write)',
      'matrix multiply (float32)',
    ]);
    for (const row of roofline) expect(expectFinite(row.slice(2), 'roofline').every((v) => v > 0)).toBe(true);
    expect(roofline[0][3]).toMatch(/ GB\/s$/);

    // 96 blocks: batch 16 gets 6 blocks each (KV 95), batch 64 one block (KV 15), batch 128 none.
    const decode = tableAfter(report, '## Decode iteration time vs the memory-bandwidth floor');
    expect(decode.map((r) => [r[0], r[1]])).toEqual([
      ['1', '512'],
      ['16', '95'],
      ['64', '15'],
    ]);
    for (const row of decode) {
      const [, , measured, weightFloor, floor, ratio, tokens] = expectFinite(row, 'decode');
      expect(measured).toBeGreaterThan(0);
      expect(weightFloor).toBeGreaterThan(0);
      expect(floor).toBeGreaterThan(weightFloor);
      // Every cell has 4 significant digits.
      expect(Math.abs(ratio / (measured / floor) - 1)).toBeLessThan(0.002);
      expect(tokens).toBeGreaterThan(0);
    }
    expect(report).toContain('Not timed: batch 128: 96 KV blocks cannot give 128 requests a block each.');
    expect(report).toMatch(/KV length below the requested 512 .*: batch 16, 64\./);

    const prefill = tableAfter(report, '## Prefill throughput vs the matrix-multiply rate');
    expect(prefill.map((r) => r[0])).toEqual(['256', '512']);
    for (const row of prefill) expect(expectFinite(row, 'prefill').every((v) => v > 0)).toBe(true);
    expect(prefill[0][4]).toMatch(/ %$/);
    expect(report).toContain('Not timed: chunk 4096: longer than the context (2048)');
  });

  it('reports the calibration: d0, d1, R² and the held-out errors of both models', () => {
    const [, d0, d1, r2] =
      /\*\*d0 = (\S+) ms\*\*, \*\*d1 = (\S+) µs per KV token\*\*, \*\*R² = (\S+)\*\*/.exec(report) ?? [];
    expectFinite([d0, d1, r2], 'linear fit');
    const errors = tableAfter(report, '## Calibration');
    expect(errors.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'linear (d0 + d1 x) train',
      'linear (d0 + d1 x) held-out',
      'calibrated profile train',
      'calibrated profile held-out',
    ]);
    for (const row of errors) expectFinite(row.slice(2), 'calibration errors');
    expect(numberIn(errors[3][2])).toBeGreaterThan(0);
    expect(report).toMatch(/held-out error \*\*\d+\.\d+ % mean\*\*/);
    expect(report).toContain('use it in a spec as   machine: profile:gpu-report-local/tiny-llama');
  });

  it('puts the GPU-in-the-loop run beside its simulated twin, with the per-iteration error', () => {
    const side = tableAfter(report, '## GPU-in-the-loop run vs its simulated twin');
    expect(side.map((r) => r[0])).toEqual(
      expect.arrayContaining([
        'throughput (output tok/s)',
        'mean TTFT (ms)',
        'p99 TTFT (ms)',
        'mean TPOT (ms)',
        'mean E2E (s)',
        'makespan (s)',
        'iterations',
      ]),
    );
    for (const row of side) expectFinite(row.slice(1), `side by side ${row[0]}`);
    expect(report).toMatch(/```yaml\nname: gpu-report-in-the-loop\nmachine:\n {2}worker: gpu-report-local\n/);
    expect(report).toContain('  kvBlocks: auto\n');
    expect(report).toContain('arrival: { process: poisson, rate: ');

    const perIteration = tableAfter(report, '### Per-iteration error of the calibrated model');
    expect(perIteration[0].slice(0, 2)).toEqual(['calibrated profile', 'all']);
    const [count, meanErr, medianErr] = expectFinite(perIteration[0].slice(2, 5), 'per-iteration error');
    expect(count).toBe(numberIn(side.find((r) => r[0] === 'iterations')![1]));
    expect(meanErr).toBeGreaterThanOrEqual(0);
    expect(medianErr).toBeGreaterThanOrEqual(0);
    expect(report).toContain('each prefill is approximated as equal chunks with no cached tokens');
  });

  it('stores the calibration and both runs, and removes the temporary machine', () => {
    const store = Store.open(db);
    try {
      expect(store.listWorkerMachines()).toEqual([]);
      const [calibration] = store.listCalibrations('gpu-report-local');
      expect(calibration).toMatchObject({
        model: 'tiny-llama',
        dtype: 'float32',
        kvBlocks: 96,
        blockSize: 16,
      });
      const runs = store.listRuns();
      expect(runs.map((r) => [r.machine, r.status])).toEqual([
        ['gpu-report-local/tiny-llama', 'done'],
        ['profile:gpu-report-local/tiny-llama', 'done'],
      ]);
      expect(store.getIterations(runs[0].id)!.timeS.length).toBe(runs[0].metrics!.iterations);
      expect(store.getIterations(runs[1].id)).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
